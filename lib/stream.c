/*
 * lib/stream.c - buffered stream over a socket, plain or TLS, with a
 * deadline on every read and write.
 *
 * Runs in session processes and in the qmgr's delivery threads (one
 * stream per thread). Everything read is hostile peer input: lines are
 * capped by the caller's max before they are buffered, input buffering is
 * bounded by that max plus STREAM_READ_CHUNK, output by STREAM_WRITE_MAX,
 * and every wait for the peer is bounded by a deadline on the monotonic
 * clock. The socket is non-blocking; waiting is poll() with what is left
 * of the deadline, for plain and TLS alike.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/stream.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* Longest SNI name we keep (a DNS name is at most 253 characters). */
#define STREAM_SNI_MAX 255

struct stream {
	int fd;
	int read_ms;
	int write_ms;
	gnutls_session_t tls;	/* NULL while plain */
	bool tls_server;
	bool eof;		/* input ended; no more reads from the socket */
	bool dead;		/* transport unusable: all calls fail with err */
	bool write_failed;	/* output stuck: every write fails with err */
	enum stream_err write_err;
	/* Input: in_len bytes at in + in_off; the first in_scanned of them
	 * are known to hold no LF. */
	uint8_t *in;
	size_t in_cap;
	size_t in_off;
	size_t in_len;
	size_t in_scanned;
	struct buf *out;
	char *sni;
	enum stream_err err;
	char errtext[256];
};

static void stream_set_err(struct stream *s, enum stream_err err,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
stream_set_err(struct stream *s, enum stream_err err, const char *fmt, ...)
{
	va_list ap;

	s->err = err;
	va_start(ap, fmt);
	if (vsnprintf(s->errtext, sizeof(s->errtext), fmt, ap) < 0)
		s->errtext[0] = '\0';
	va_end(ap);
}

static int64_t
stream_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		log_panic("clock_gettime(CLOCK_MONOTONIC) failed");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct stream *
stream_new(int fd)
{
	struct stream *s = xmalloc(sizeof(*s));
	int flags;

	s->fd = fd;
	s->read_ms = STREAM_TIMEOUT_DEFAULT;
	s->write_ms = STREAM_TIMEOUT_DEFAULT;
	s->out = buf_new(4096, STREAM_WRITE_MAX);
	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		stream_set_err(s, STREAM_ERR_IO, "cannot make socket "
		    "non-blocking: %s", strerror(errno));
		s->dead = true;
	}
	return s;
}

void
stream_set_timeouts(struct stream *s, int read_ms, int write_ms)
{
	if (read_ms > 0)
		s->read_ms = read_ms;
	if (write_ms > 0)
		s->write_ms = write_ms;
}

/* Wait until fd is ready for events or the deadline passes. 0 when ready
 * (or in error: the next operation reports it), -1 with err set. */
static int
stream_wait(struct stream *s, short events, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int rc;

	for (;;) {
		left = deadline - stream_now_ms();
		if (left <= 0) {
			stream_set_err(s, STREAM_ERR_TIMEOUT, "timed out "
			    "waiting to %s", events == POLLIN ? "read" :
			    "write");
			return -1;
		}
		pfd.fd = s->fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1) {
			stream_set_err(s, STREAM_ERR_IO, "poll: %s",
			    strerror(errno));
			return -1;
		}
		if (rc == 0)
			continue;	/* deadline check on top */
		if (pfd.revents & POLLNVAL) {
			stream_set_err(s, STREAM_ERR_IO, "poll: bad socket");
			return -1;
		}
		return 0;
	}
}

/* For loops that make progress without waiting (a peer streaming an
 * endless line, a flood of TLS warning alerts): the deadline holds there
 * too. true, with err set, once it has passed. */
static bool
stream_deadline_passed(struct stream *s, int64_t deadline)
{
	if (stream_now_ms() < deadline)
		return false;
	stream_set_err(s, STREAM_ERR_TIMEOUT, "timed out");
	return true;
}

static short
stream_tls_direction(const struct stream *s)
{
	return gnutls_record_get_direction(s->tls) ? POLLOUT : POLLIN;
}

static void
stream_tls_fatal(struct stream *s, int rc, const char *what)
{
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
		stream_set_err(s, STREAM_ERR_TLS, "TLS %s: %s (%s)", what,
		    gnutls_strerror(rc),
		    gnutls_alert_get_name(gnutls_alert_get(s->tls)));
	else
		stream_set_err(s, STREAM_ERR_TLS, "TLS %s: %s", what,
		    gnutls_strerror(rc));
	s->dead = true;
}

/* Read up to n (> 0) bytes. > 0 bytes read, 0 at end of input, -1. */
static ssize_t
stream_tls_read(struct stream *s, void *p, size_t n, int64_t deadline)
{
	ssize_t rc;

	for (;;) {
		rc = gnutls_record_recv(s->tls, p, n);
		if (rc >= 0)
			return rc;
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			/* recv returns GnuTLS's already decrypted bytes
			 * before it reports AGAIN, so nothing is pending
			 * here and waiting on the socket is right. */
			if (stream_wait(s, stream_tls_direction(s),
			    deadline) == -1)
				return -1;
			continue;
		}
		/* The peer closed TCP without close_notify: for line and
		 * literal protocols, which frame their own data, this is
		 * the end of input (an incomplete command is dropped). */
		if (rc == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		/* Warning alerts and a TLS 1.2 renegotiation request, which
		 * we do not honour: go on reading. */
		if (!gnutls_error_is_fatal((int)rc)) {
			if (stream_deadline_passed(s, deadline))
				return -1;
			continue;
		}
		stream_tls_fatal(s, (int)rc, "read");
		return -1;
	}
}

static ssize_t
stream_plain_read(struct stream *s, void *p, size_t n, int64_t deadline)
{
	ssize_t rc;

	for (;;) {
		rc = read(s->fd, p, n);
		if (rc >= 0)
			return rc;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (stream_wait(s, POLLIN, deadline) == -1)
				return -1;
			continue;
		}
		stream_set_err(s, STREAM_ERR_IO, "read: %s", strerror(errno));
		return -1;
	}
}

/* Read from the transport; sets eof and err (EOF) at end of input. */
static ssize_t
stream_raw_read(struct stream *s, void *p, size_t n, int64_t deadline)
{
	ssize_t rc;

	if (s->eof) {
		stream_set_err(s, STREAM_ERR_EOF, "end of input");
		return 0;
	}
	if (s->tls != NULL)
		rc = stream_tls_read(s, p, n, deadline);
	else
		rc = stream_plain_read(s, p, n, deadline);
	if (rc == 0) {
		s->eof = true;
		stream_set_err(s, STREAM_ERR_EOF, "end of input");
	}
	return rc;
}

/* Send n bytes; *done_out counts those sent, also on failure. 0 or -1. */
static int
stream_raw_write(struct stream *s, const uint8_t *p, size_t n,
    int64_t deadline, size_t *done_out)
{
	size_t done = 0;
	ssize_t rc;
	int flags = MSG_NOSIGNAL;

	while (done < n) {
		if (s->tls != NULL) {
			rc = gnutls_record_send(s->tls, p + done, n - done);
			if (rc >= 0) {
				done += (size_t)rc;
				continue;
			}
			/* On AGAIN, GnuTLS wants the same call again. */
			if (rc == GNUTLS_E_AGAIN ||
			    rc == GNUTLS_E_INTERRUPTED) {
				if (stream_wait(s, stream_tls_direction(s),
				    deadline) == -1)
					break;
				continue;
			}
			stream_tls_fatal(s, (int)rc, "write");
			break;
		}
		rc = flags ? send(s->fd, p + done, n - done, flags) :
		    write(s->fd, p + done, n - done);
		if (rc >= 0) {
			done += (size_t)rc;
			continue;
		}
		if (errno == ENOTSOCK && flags != 0) {
			flags = 0;	/* a pipe, in tests */
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (stream_wait(s, POLLOUT, deadline) == -1)
				break;
			continue;
		}
		stream_set_err(s, STREAM_ERR_IO, "write: %s", strerror(errno));
		break;
	}
	*done_out = done;
	if (done == n)
		return 0;
	/* Output is now in an unknown state (with TLS, a record may be
	 * half sent): no later write may follow. */
	s->write_failed = true;
	s->write_err = s->err;
	return -1;
}

static void
stream_consume(struct stream *s, size_t n)
{
	s->in_off += n;
	s->in_len -= n;
	s->in_scanned = 0;
	if (s->in_len == 0)
		s->in_off = 0;
}

/* Read more input into the buffer, which grows to hold at most in_len +
 * STREAM_READ_CHUNK bytes. > 0 bytes added, 0 at end of input, -1. */
static ssize_t
stream_fill(struct stream *s, int64_t deadline)
{
	ssize_t rc;
	size_t need;

	if (s->in_off > 0 && s->in_off + s->in_len + STREAM_READ_CHUNK >
	    s->in_cap) {
		memmove(s->in, s->in + s->in_off, s->in_len);
		s->in_off = 0;
	}
	need = s->in_len + STREAM_READ_CHUNK;
	if (need > s->in_cap) {
		s->in = xreallocarray(s->in, need, 1);
		s->in_cap = need;
	}
	rc = stream_raw_read(s, s->in + s->in_off + s->in_len,
	    s->in_cap - s->in_off - s->in_len, deadline);
	if (rc > 0)
		s->in_len += (size_t)rc;
	return rc;
}

/* The line at the head of the input passed max: drop it through its LF. */
static int
stream_discard_line(struct stream *s, size_t max, int64_t deadline)
{
	const uint8_t *lf;
	ssize_t rc;

	for (;;) {
		lf = memchr(s->in + s->in_off + s->in_scanned, '\n',
		    s->in_len - s->in_scanned);
		if (lf != NULL) {
			stream_consume(s, (size_t)(lf - (s->in + s->in_off)) +
			    1);
			break;
		}
		stream_consume(s, s->in_len);
		if (stream_deadline_passed(s, deadline))
			return -1;
		rc = stream_fill(s, deadline);
		if (rc == 0)
			break;		/* next read reports the end */
		if (rc < 0)
			return -1;
	}
	stream_set_err(s, STREAM_ERR_TOO_LONG, "line longer than %zu bytes",
	    max);
	return -1;
}

int
stream_read_line(struct stream *s, size_t max, const char **line_out,
    size_t *len_out)
{
	int64_t deadline = stream_now_ms() + s->read_ms;
	const uint8_t *head, *lf;
	size_t end;
	ssize_t rc;

	ASSERT(max > 0);
	if (s->dead)
		return -1;
	for (;;) {
		end = s->in_len < max ? s->in_len : max;
		if (s->in_scanned < end) {
			/* Only with input buffered: before the first read
			 * s->in is NULL, and even NULL + 0 is undefined
			 * (found by tests/fuzz/stream_line_fuzz, clang
			 * UBSan). */
			head = s->in + s->in_off;
			lf = memchr(head + s->in_scanned, '\n',
			    end - s->in_scanned);
			if (lf != NULL) {
				*line_out = (const char *)head;
				*len_out = (size_t)(lf - head) + 1;
				stream_consume(s, *len_out);
				return 1;
			}
			s->in_scanned = end;
		}
		if (s->in_len >= max)
			return stream_discard_line(s, max, deadline);
		rc = stream_fill(s, deadline);
		if (rc == 0) {
			/* A partial line at the end is not a command. */
			stream_consume(s, s->in_len);
			return 0;
		}
		if (rc < 0)
			return -1;
	}
}

int
stream_read_exact(struct stream *s, void *dst, size_t n)
{
	int64_t deadline = stream_now_ms() + s->read_ms;
	uint8_t *d = dst;
	size_t got = 0, take;
	ssize_t rc;

	if (s->dead)
		return -1;
	while (got < n) {
		if (s->in_len > 0) {
			take = n - got < s->in_len ? n - got : s->in_len;
			memcpy(d + got, s->in + s->in_off, take);
			stream_consume(s, take);
			got += take;
			continue;
		}
		/* Big pieces go straight to the caller; small ones through
		 * the buffer so as not to read a few bytes at a time. */
		if (n - got >= STREAM_READ_CHUNK) {
			rc = stream_raw_read(s, d + got, n - got, deadline);
			if (rc > 0)
				got += (size_t)rc;
		} else {
			rc = stream_fill(s, deadline);
		}
		if (rc == 0)
			return 0;
		if (rc < 0)
			return -1;
	}
	return 1;
}

static int
stream_write_check(struct stream *s)
{
	if (s->dead)
		return -1;
	if (s->write_failed) {
		/* Repeat the first failure, whatever came since. */
		if (s->err != s->write_err)
			stream_set_err(s, s->write_err, "earlier write failed");
		return -1;
	}
	return 0;
}

static int
stream_flush_deadline(struct stream *s, int64_t deadline)
{
	size_t done = 0;
	int rc;

	if (s->out->len == 0)
		return 0;
	rc = stream_raw_write(s, s->out->data, s->out->len, deadline, &done);
	buf_consume(s->out, done);
	return rc;
}

int
stream_flush(struct stream *s)
{
	if (stream_write_check(s) == -1)
		return -1;
	return stream_flush_deadline(s, stream_now_ms() + s->write_ms);
}

int
stream_write(struct stream *s, const void *p, size_t len)
{
	int64_t deadline;
	size_t done;

	if (stream_write_check(s) == -1)
		return -1;
	if (buf_append(s->out, p, len) == 0)
		return 0;
	/* Past STREAM_WRITE_MAX: send what we hold, waiting for the peer
	 * if need be, rather than buffer without bound. */
	deadline = stream_now_ms() + s->write_ms;
	if (stream_flush_deadline(s, deadline) == -1)
		return -1;
	if (buf_append(s->out, p, len) == 0)
		return 0;
	return stream_raw_write(s, p, len, deadline, &done);
}

int
stream_printf(struct stream *s, const char *fmt, ...)
{
	char small[1024], *big;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		stream_set_err(s, STREAM_ERR_IO, "bad format string");
		return -1;
	}
	if ((size_t)n < sizeof(small))
		return stream_write(s, small, (size_t)n);
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	n = vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = stream_write(s, big, (size_t)n);
	free(big);
	return rc;
}

/* Keep the SNI name only if it is a plausible DNS name: it is client text
 * that will end up in logs and Received: headers. */
static void
stream_keep_sni(struct stream *s)
{
	char name[STREAM_SNI_MAX + 1];
	size_t size = sizeof(name), i;
	unsigned type;

	if (gnutls_server_name_get(s->tls, name, &size, &type, 0) < 0 ||
	    type != GNUTLS_NAME_DNS || size == 0 || size > STREAM_SNI_MAX)
		return;
	name[size] = '\0';
	for (i = 0; i < size; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_'))
			return;
	}
	s->sni = xstrdup(name);
}

static void
stream_handshake_error(struct stream *s, int rc)
{
	gnutls_datum_t out = { NULL, 0 };
	unsigned status;

	if (rc != GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		stream_tls_fatal(s, rc, "handshake");
		return;
	}
	status = gnutls_session_get_verify_cert_status(s->tls);
	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) == 0) {
		stream_set_err(s, STREAM_ERR_TLS, "TLS certificate "
		    "verification failed: %s", (const char *)out.data);
		gnutls_free(out.data);
	} else {
		stream_set_err(s, STREAM_ERR_TLS, "TLS certificate "
		    "verification failed");
	}
	s->dead = true;
}

static int
stream_handshake(struct stream *s, int64_t deadline)
{
	int rc;

	for (;;) {
		rc = gnutls_handshake(s->tls);
		if (rc == 0)
			break;
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			if (stream_wait(s, stream_tls_direction(s),
			    deadline) == -1) {
				s->dead = true;
				return -1;
			}
			continue;
		}
		if (!gnutls_error_is_fatal(rc)) {
			if (stream_deadline_passed(s, deadline)) {
				s->dead = true;
				return -1;
			}
			continue;
		}
		/* Tell the peer why, if the socket takes it right now. */
		(void)gnutls_alert_send_appropriate(s->tls, rc);
		stream_handshake_error(s, rc);
		return -1;
	}
	if (s->tls_server)
		stream_keep_sni(s);
	return 0;
}

/* What both sides do before the handshake. 0, or -1 with err set. */
static int
stream_tls_prepare(struct stream *s)
{
	if (s->dead)
		return -1;
	if (s->tls != NULL) {
		stream_set_err(s, STREAM_ERR_TLS, "TLS is already active");
		return -1;
	}
	/* RFC 3207 4.2 / CVE-2011-0411: anything the peer sent after the
	 * STARTTLS command came in plaintext and must not be taken as if it
	 * had come over TLS. */
	stream_consume(s, s->in_len);
	if (stream_flush(s) == -1) {
		s->dead = true;
		return -1;
	}
	return 0;
}

int
stream_start_tls_server(struct stream *s, struct tls_server *t)
{
	int64_t deadline;
	const char *err;

	if (stream_tls_prepare(s) == -1)
		return -1;
	deadline = stream_now_ms() + s->read_ms;
	if (tls_server_session_new(t, s->fd, &s->tls, &err) == -1) {
		s->tls = NULL;
		stream_set_err(s, STREAM_ERR_TLS, "%s", err);
		s->dead = true;
		return -1;
	}
	s->tls_server = true;
	return stream_handshake(s, deadline);
}

int
stream_start_tls_client(struct stream *s, struct tls_client *t,
    const char *server_name)
{
	int64_t deadline;
	const char *err;

	if (stream_tls_prepare(s) == -1)
		return -1;
	deadline = stream_now_ms() + s->read_ms;
	if (tls_client_session_new(t, s->fd, server_name, &s->tls,
	    &err) == -1) {
		s->tls = NULL;
		stream_set_err(s, STREAM_ERR_TLS, "%s", err);
		s->dead = true;
		return -1;
	}
	return stream_handshake(s, deadline);
}

size_t
stream_pending(const struct stream *s)
{
	size_t n = s->in_len;

	if (s->tls != NULL && !s->dead)
		n += gnutls_record_check_pending(s->tls);
	return n;
}

bool
stream_is_tls(const struct stream *s)
{
	return s->tls != NULL && !s->dead;
}

const char *
stream_tls_version(const struct stream *s)
{
	if (!stream_is_tls(s))
		return NULL;
	return gnutls_protocol_get_name(gnutls_protocol_get_version(s->tls));
}

const char *
stream_tls_cipher(const struct stream *s)
{
	if (!stream_is_tls(s))
		return NULL;
#if GNUTLS_VERSION_NUMBER >= 0x030703
	return gnutls_ciphersuite_get(s->tls);
#else
	return gnutls_cipher_get_name(gnutls_cipher_get(s->tls));
#endif
}

const char *
stream_tls_server_name(const struct stream *s)
{
	return stream_is_tls(s) ? s->sni : NULL;
}

enum stream_err
stream_error(const struct stream *s)
{
	return s->err;
}

const char *
stream_error_text(const struct stream *s)
{
	return s->errtext;
}

int
stream_fd(const struct stream *s)
{
	return s->fd;
}

/* Best effort at close: pending output, then close_notify, within a short
 * deadline; a peer that does not read only delays us that long. */
static void
stream_close_gracefully(struct stream *s)
{
	int64_t deadline = stream_now_ms() + STREAM_CLOSE_TIMEOUT;
	int rc;

	if (s->dead || s->write_failed)
		return;
	if (stream_flush_deadline(s, deadline) == -1 || s->tls == NULL)
		return;
	for (;;) {
		rc = gnutls_bye(s->tls, GNUTLS_SHUT_WR);
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED)
			return;
		if (stream_wait(s, stream_tls_direction(s), deadline) == -1)
			return;
	}
}

void
stream_free(struct stream **sp)
{
	struct stream *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	stream_close_gracefully(s);
	if (s->tls != NULL)
		gnutls_deinit(s->tls);
	if (s->fd >= 0)
		close(s->fd);
	free(s->in);
	buf_free(&s->out);
	free(s->sni);
	free(s);
	*sp = NULL;
}
