/*
 * mtad/deliver.c - what the LMTP and SMTP clients of the queue manager
 * share on the wire: connecting within a deadline, reading a reply, and
 * the message bytes of a queued message, dot-stuffed, CRLF-terminated,
 * ended by ".".
 *
 * Runs in the queue manager's delivery threads: no state here. Replies
 * come from the next hop (hostile: bounded by the caller's line limit and
 * the reply parser's); the message bytes come from our own queue file,
 * written after the session normalised line ends.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/smtp_reply.h"
#include "lib/str.h"
#include "lib/stream.h"
#include "mtad/deliver.h"
#include "mtad/queue.h"
#include "lib/banned.h"

int
deliver_connect(const struct sockaddr *sa, socklen_t len,
    uint64_t timeout_ms, const char **err_out)
{
	int fd, soerr = 0;
	socklen_t el = sizeof(soerr);
	struct pollfd pfd;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd == -1) {
		*err_out = strerror(errno);
		return -1;
	}
	if (connect(fd, sa, len) == -1) {
		if (errno != EINPROGRESS) {
			*err_out = strerror(errno);
			goto fail;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, (int)timeout_ms) != 1) {
			*err_out = "connection timed out";
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) == -1 ||
		    soerr != 0) {
			*err_out = strerror(soerr != 0 ? soerr : errno);
			goto fail;
		}
	}
	return fd;		/* non-blocking, as lib/stream.h wants */
fail:
	close(fd);
	return -1;
}

int
deliver_connect_host(const char *host, unsigned port, uint64_t timeout_ms,
    const char **err_out)
{
	struct addrinfo hints, *res, *ai;
	char portstr[16];
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	(void)str_printf(portstr, sizeof(portstr), "%u", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		*err_out = gai_strerror(rc);
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = deliver_connect(ai->ai_addr, ai->ai_addrlen, timeout_ms,
		    err_out);
	freeaddrinfo(res);
	return fd;
}

int
deliver_read_reply(struct stream *s, struct smtp_reply *r, size_t line_max,
    uint64_t timeout_ms, struct pool *pool, const char **err_out)
{
	const char *line, *err;
	size_t len;
	int rc;

	stream_set_timeouts(s, (int)timeout_ms, (int)timeout_ms);
	smtp_reply_reset(r);
	for (;;) {
		rc = stream_read_line(s, line_max, &line, &len);
		if (rc != 1) {
			*err_out = rc == 0 ? "connection closed by peer" :
			    stream_error(s) == STREAM_ERR_TOO_LONG ?
			    "reply line too long" :
			    pool_strdup(pool, stream_error_text(s));
			return -1;
		}
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			len--;
		rc = smtp_reply_parse_line(r, line, len, &err);
		if (rc == -1) {
			*err_out = pool_printf(pool, "bad reply: %s", err);
			return -1;
		}
		if (rc == 1)
			return 0;
	}
}

void
deliver_mail_params(const struct queue_env *e, struct smtp_mail_params *mp)
{
	static const enum smtp_body body[] = {
		[QUEUE_BODY_NONE] = SMTP_BODY_NONE,
		[QUEUE_BODY_7BIT] = SMTP_BODY_7BIT,
		[QUEUE_BODY_8BITMIME] = SMTP_BODY_8BITMIME,
		[QUEUE_BODY_BINARYMIME] = SMTP_BODY_BINARYMIME,
	};

	memset(mp, 0, sizeof(*mp));
	mp->has_size = true;
	mp->size = e->size;
	mp->body = body[e->body];
	mp->smtputf8 = e->smtputf8;
}

int
deliver_body_send(struct stream *s, int fd, uint64_t size,
    const char **err_out)
{
	char in[16384];
	bool bol = true, cr = false;
	uint64_t left = size;

	while (left > 0) {
		size_t want = left < sizeof(in) ? (size_t)left : sizeof(in);
		ssize_t n = read(fd, in, want);
		size_t from = 0;

		if (n <= 0) {
			*err_out = n == 0 ? "message body truncated" :
			    strerror(errno);
			return -1;
		}
		left -= (uint64_t)n;
		/* write runs between line starts; a '.' at a line start is
		 * doubled */
		for (size_t i = 0; i < (size_t)n; i++) {
			if (bol && in[i] == '.') {
				if (stream_write(s, in + from, i - from) ==
				    -1 || stream_write(s, ".", 1) == -1)
					goto werr;
				from = i;
			}
			bol = in[i] == '\n';
			cr = in[i] == '\r';
		}
		if (stream_write(s, in + from, (size_t)n - from) == -1)
			goto werr;
	}
	if (!bol && stream_write(s, cr ? "\n" : "\r\n", cr ? 1 : 2) == -1)
		goto werr;
	if (stream_write(s, ".\r\n", 3) == -1 || stream_flush(s) == -1)
		goto werr;
	return 0;
werr:
	*err_out = stream_error_text(s);
	return -1;
}
