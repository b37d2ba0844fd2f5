/*
 * mtad/milter_conn.c - a session's connection to one milter: connect
 * (unix or TCP) within connect_timeout, OPTNEG, and framed packets both
 * ways over a stream with a deadline on every read and write.
 *
 * Runs in the SMTP session process. The milter is a separate program
 * and may be down, hang or send anything: reads are bounded by
 * max_packet_size before a byte is buffered, and decoded by the strict
 * parser of mtad/milter_proto.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/stream.h"
#include "lib/xalloc.h"
#include "mtad/milter_conn.h"
#include "lib/banned.h"

/* Output buffered for one stage: the biggest is a body chunk plus its
 * macros. */
#define OUT_MAX (MILTER_CHUNK_MAX + 64 * 1024)

static int
clamp_ms(uint64_t ms)
{
	return ms > 24ULL * 3600 * 1000 ? 24 * 3600 * 1000 : (int)ms;
}

/* Wait for a non-blocking connect. 0, or -1 with errno. */
static int
connect_wait(int fd, const struct sockaddr *sa, socklen_t len, int ms)
{
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	int e = 0;
	socklen_t el = sizeof(e);
	int r;

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return -1;
	do
		r = poll(&pf, 1, ms);
	while (r == -1 && errno == EINTR);
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (r == -1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
		return -1;
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

static int
dial(const struct milter_addr *a, int ms, const char **why)
{
	int fd = -1;

	if (a->is_unix) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		memcpy(sun.sun_path, a->path, sizeof(a->path));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
		if (fd == -1 || connect_wait(fd, (struct sockaddr *)&sun,
		    sizeof(sun), ms) == -1)
			goto fail;
		return fd;
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
			.ai_flags = AI_NUMERICSERV }, *res = NULL, *ai;
		int gr = getaddrinfo(a->host, a->port, &hints, &res);

		if (gr != 0) {
			*why = gai_strerror(gr);
			return -1;
		}
		errno = ECONNREFUSED;
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype |
			    SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd == -1)
				continue;
			if (connect_wait(fd, ai->ai_addr, ai->ai_addrlen, ms)
			    == 0)
				break;
			{
				int e = errno;

				close(fd);
				errno = e;
			}
			fd = -1;
		}
		freeaddrinfo(res);
		if (fd != -1)
			return fd;
	}
fail:
	*why = strerror(errno);
	if (fd != -1)
		close(fd);
	return -1;
}

static const char *
stream_why(struct milter_conn *c)
{
	switch (stream_error(c->st)) {
	case STREAM_ERR_TIMEOUT:
		return "timeout";
	case STREAM_ERR_EOF:
		return "connection closed by the milter";
	default:
		return pool_printf(c->pool, "I/O error: %s",
		    stream_error_text(c->st));
	}
}

int
milter_conn_send(struct milter_conn *c, const char **err_out)
{
	int ms = clamp_ms(c->def->command_timeout);

	if (c->st == NULL) {
		*err_out = "not connected";
		return -1;
	}
	stream_set_timeouts(c->st, ms, ms);
	if (stream_write(c->st, c->out->data, c->out->len) == -1 ||
	    stream_flush(c->st) == -1) {
		buf_reset(c->out);
		*err_out = pool_printf(c->pool, "send: %s", stream_why(c));
		return -1;
	}
	buf_reset(c->out);
	return 0;
}

int
milter_conn_read(struct milter_conn *c, uint64_t timeout_ms,
    struct milter_reply *r, const char **err_out)
{
	int ms = clamp_ms(timeout_ms);
	uint8_t hdr[4];
	size_t len;
	const char *why;
	int rr;

	if (c->st == NULL) {
		*err_out = "not connected";
		return -1;
	}
	stream_set_timeouts(c->st, ms, ms);
	if ((rr = stream_read_exact(c->st, hdr, 4)) != 1)
		goto io;
	if (milter_frame_len(hdr, (size_t)c->def->max_packet_size, &len,
	    &why) == -1) {
		*err_out = pool_printf(c->pool, "bad reply: %s", why);
		return -1;
	}
	if ((rr = stream_read_exact(c->st, c->in, len)) != 1)
		goto io;
	c->in[len] = '\0';
	if (milter_reply_parse(c->in, len, r, &why) == -1) {
		*err_out = pool_printf(c->pool, "bad reply: %s (command 0x%02x)",
		    why, c->in[0]);
		return -1;
	}
	return 0;
io:
	*err_out = rr == 0 ? "connection closed by the milter" :
	    pool_printf(c->pool, "read: %s", stream_why(c));
	return -1;
}

int
milter_conn_open(struct milter_conn *c, const char *name,
    const struct milter_def *def, struct pool *pool, const char **err_out)
{
	struct milter_addr a;
	struct milter_reply r;
	const char *why = NULL;
	int fd;

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->def = def;
	c->pool = pool;
	if (milter_addr_parse(def->socket, &a, &why) == -1) {
		*err_out = why;
		return -1;
	}
	fd = dial(&a, clamp_ms(def->connect_timeout), &why);
	if (fd == -1) {
		*err_out = pool_printf(pool, "connect %s: %s", def->socket, why);
		return -1;
	}
	c->st = stream_new(fd);
	c->out = buf_new(4096, OUT_MAX);
	c->in = xmalloc((size_t)def->max_packet_size + 1);
	if (milter_put_optneg(c->out, MILTER_VERSION, MILTER_ACT_ALL,
	    MILTER_P_OFFERED) == -1 || milter_conn_send(c, &why) == -1 ||
	    milter_conn_read(c, def->connect_timeout, &r, &why) == -1)
		goto fail;
	if (r.cmd != MILTER_R_OPTNEG) {
		why = "negotiation: the milter did not answer OPTNEG";
		goto fail;
	}
	if ((r.actions & ~MILTER_ACT_ALL) != 0) {
		why = "negotiation: the milter asks for unknown actions";
		goto fail;
	}
	if ((r.protocol & ~(MILTER_P_OFFERED)) != 0) {
		why = pool_printf(pool, "negotiation: the milter asks for"
		    " protocol flags 0x%x mtad does not offer",
		    r.protocol & ~MILTER_P_OFFERED);
		goto fail;
	}
	c->actions = r.actions;
	c->protocol = r.protocol;
	return 0;
fail:
	*err_out = why;
	milter_conn_close(c, false);
	return -1;
}

void
milter_conn_close(struct milter_conn *c, bool quit)
{
	if (c->st != NULL && quit && c->out != NULL) {
		buf_reset(c->out);
		if (milter_put(c->out, MILTER_CMD_QUIT, NULL, 0) == 0) {
			const char *e;

			(void)milter_conn_send(c, &e);
		}
	}
	stream_free(&c->st);
	buf_free(&c->out);
	free(c->in);
	c->in = NULL;
}
