/*
 * mtad/lmtp_client.c - the LMTP client of the queue manager: one
 * transaction per message, every due recipient, one reply per accepted
 * recipient after the final dot (RFC 2033 section 4.2).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/smtp.h"
#include "lib/str.h"
#include "lib/smtp_cmd_write.h"
#include "lib/smtp_reply.h"
#include "lib/stream.h"
#include "mtad/lmtp_client.h"
#include "mtad/queue.h"
#include "lib/banned.h"

struct lmtp_conn {
	struct stream *s;
	struct smtp_reply *r;
	struct pool *pool;
	const char *err;		/* why the connection failed */
};

static int
connect_to(const char *host, unsigned port, const char **err)
{
	struct addrinfo hints, *res, *ai;
	char portstr[16];
	int fd = -1, rc, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	str_printf(portstr, sizeof(portstr), "%u", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		*err = gai_strerror(rc);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		*err = strerror(saved);
	return fd;
}

/* Read one complete reply into c->r. 0, or -1 with c->err. */
static int
read_reply(struct lmtp_conn *c)
{
	const char *line, *err;
	size_t len;
	int rc;

	smtp_reply_reset(c->r);
	for (;;) {
		rc = stream_read_line(c->s, 4096, &line, &len);
		if (rc != 1) {
			c->err = rc == 0 ? "connection closed by peer" :
			    stream_error_text(c->s);
			return -1;
		}
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			len--;
		rc = smtp_reply_parse_line(c->r, line, len, &err);
		if (rc == -1) {
			c->err = pool_printf(c->pool, "bad reply: %s", err);
			return -1;
		}
		if (rc == 1)
			return 0;
	}
}

static void
set_result(struct deliver_result *res, const struct smtp_reply *r,
    struct pool *pool)
{
	res->code = r->code;
	res->enh = pool_strdup(pool, r->enh);
	res->text = pool_strdup(pool, buf_cstr(r->text));
}

static int
send_buf(struct lmtp_conn *c, struct buf *b)
{
	if (stream_write(c->s, b->data, b->len) == -1 ||
	    stream_flush(c->s) == -1) {
		c->err = stream_error_text(c->s);
		return -1;
	}
	return 0;
}

/* Send the message bytes of m dot-stuffed, then ".". 0 or -1. */
static int
send_body(struct lmtp_conn *c, const struct queue_msg *m)
{
	const char *err;
	int fd = queue_msg_body_fd(m, &err), rc;

	if (fd == -1) {
		c->err = pool_printf(c->pool, "message body: %s", err);
		return -1;
	}
	rc = deliver_body_send(c->s, fd, m->env.size, &err);
	close(fd);
	if (rc == -1)
		c->err = pool_strdup(c->pool, err);
	return rc;
}

static const enum smtp_body body_map[] = {
	[QUEUE_BODY_NONE] = SMTP_BODY_NONE,
	[QUEUE_BODY_7BIT] = SMTP_BODY_7BIT,
	[QUEUE_BODY_8BITMIME] = SMTP_BODY_8BITMIME,
	[QUEUE_BODY_BINARYMIME] = SMTP_BODY_BINARYMIME,
};

/* The transaction; -1 with c->err on connection failure, every recipient
 * without a final result then still has code 0. */
static int
transact(struct lmtp_conn *c, const struct lmtp_peer *peer,
    const struct queue_msg *m, const unsigned char *todo,
    struct deliver_result *res, struct pool *pool)
{
	const struct queue_env *e = &m->env;
	struct smtp_mail_params mp;
	unsigned ext = 0;
	size_t accepted = 0;
	struct buf *b = buf_new(1024, 64 * 1024);
	int rc = -1;

	if (read_reply(c) == -1)
		goto out;
	if (c->r->code != 220) {
		c->err = pool_printf(pool, "greeting %d %s", c->r->code,
		    buf_cstr(c->r->text));
		goto out;
	}
	buf_printf(b, "LHLO %s\r\n", peer->helo);
	if (send_buf(c, b) == -1 || read_reply(c) == -1)
		goto out;
	if (c->r->code != 250) {
		c->err = pool_printf(pool, "LHLO refused: %d %s",
		    c->r->code, buf_cstr(c->r->text));
		goto out;
	}
	if (smtp_reply_ehlo_has(c->r, "SIZE", NULL, NULL))
		ext |= SMTP_EXT_SIZE;
	if (smtp_reply_ehlo_has(c->r, "8BITMIME", NULL, NULL))
		ext |= SMTP_EXT_8BITMIME;
	if (smtp_reply_ehlo_has(c->r, "SMTPUTF8", NULL, NULL))
		ext |= SMTP_EXT_SMTPUTF8;
	if (peer->xqid != NULL && smtp_reply_ehlo_has(c->r, "XQID", NULL,
	    NULL))
		ext |= SMTP_EXT_XQID;
	memset(&mp, 0, sizeof(mp));
	mp.has_size = true;
	mp.size = e->size;
	mp.body = body_map[e->body];
	mp.smtputf8 = e->smtputf8;
	mp.xqid = (char *)peer->xqid;
	buf_reset(b);
	if (smtp_cmd_write_mail(b, e->sender, &mp, ext) == -1) {
		c->err = "cannot write MAIL FROM";
		goto out;
	}
	if (send_buf(c, b) == -1 || read_reply(c) == -1)
		goto out;
	if (c->r->code / 100 != 2) {
		/* the sender is refused: the answer holds for everyone */
		for (size_t i = 0; i < e->nrcpts; i++)
			if (todo[i])
				set_result(&res[i], c->r, pool);
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < e->nrcpts; i++) {
		if (!todo[i])
			continue;
		buf_reset(b);
		if (smtp_cmd_write_rcpt(b, e->rcpts[i].addr, NULL, 0) == -1) {
			res[i].code = 553;
			res[i].enh = "5.1.3";
			res[i].text = "recipient address cannot be sent";
			continue;
		}
		if (send_buf(c, b) == -1 || read_reply(c) == -1)
			goto out;
		if (c->r->code / 100 == 2)
			accepted++;
		else
			set_result(&res[i], c->r, pool);
	}
	if (accepted == 0) {
		rc = 0;
		goto out;
	}
	buf_reset(b);
	buf_printf(b, "DATA\r\n");
	if (send_buf(c, b) == -1 || read_reply(c) == -1)
		goto out;
	if (c->r->code != 354) {
		for (size_t i = 0; i < e->nrcpts; i++)
			if (todo[i] && res[i].code == 0)
				set_result(&res[i], c->r, pool);
		rc = 0;
		goto out;
	}
	if (send_body(c, m) == -1)
		goto out;
	for (size_t i = 0; i < e->nrcpts; i++) {
		if (!todo[i] || res[i].code != 0)
			continue;
		if (read_reply(c) == -1)
			goto out;
		set_result(&res[i], c->r, pool);
	}
	rc = 0;
	buf_reset(b);
	buf_printf(b, "QUIT\r\n");
	if (send_buf(c, b) == 0)
		(void)read_reply(c);
out:
	buf_free(&b);
	return rc;
}

void
lmtp_deliver(const struct lmtp_peer *peer, const struct queue_msg *m,
    const unsigned char *todo, struct deliver_result *res, struct pool *pool)
{
	struct smtp_limits lim;
	struct lmtp_conn c;
	const char *err = NULL;
	int fd, rc = -1;
	const char *relay = pool_printf(pool, "lmtp:%s:%u", peer->host,
	    peer->port);

	for (size_t i = 0; i < m->env.nrcpts; i++) {
		res[i].code = 0;
		res[i].enh = "";
		res[i].text = "";
		res[i].relay = relay;
	}
	memset(&c, 0, sizeof(c));
	c.pool = pool;
	fd = connect_to(peer->host, peer->port, &err);
	if (fd == -1) {
		c.err = pool_printf(pool, "connect to %s:%u: %s", peer->host,
		    peer->port, err);
	} else {
		smtp_limits_default(&lim);
		c.s = stream_new(fd);
		stream_set_timeouts(c.s, (int)peer->timeout_ms,
		    (int)peer->timeout_ms);
		c.r = smtp_reply_new(&lim);
		rc = transact(&c, peer, m, todo, res, pool);
		smtp_reply_free(&c.r);
		stream_free(&c.s);
	}
	if (rc == 0)
		return;
	for (size_t i = 0; i < m->env.nrcpts; i++)
		if (todo[i] && res[i].code == 0) {
			res[i].code = 451;
			res[i].enh = "4.4.1";
			res[i].text = c.err != NULL ? c.err : "failed";
		}
}
