/*
 * mtad/lmtp_client.c - the LMTP client of the queue manager: a cache of
 * connections per host, and on one of them one pipelined transaction per
 * message, every due recipient, one reply per accepted recipient after
 * the final dot (RFC 2033 section 4.2).
 *
 * Runs in the delivery threads of the qmgr child. A connection is used by
 * one thread at a time: taken from the cache (or made), used for one
 * message, given back or closed; the cache's list and counts are guarded
 * by the slot mutex (mtad/qmgr_slots.h). Replies come from accessd, still
 * read through the bounded reply reader with a deadline on every read.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/smtp.h"
#include "lib/smtp_cmd_write.h"
#include "lib/smtp_reply.h"
#include "lib/str.h"
#include "lib/stream.h"
#include "lib/xalloc.h"
#include "mtad/lmtp_client.h"
#include "mtad/qmgr_slots.h"
#include "mtad/queue.h"
#include "lib/banned.h"

#define LMTP_REPLY_LINE_MAX 4096
/* A connection being closed waits this long at most for QUIT's reply. */
#define LMTP_QUIT_WAIT_MS 1000

struct lmtp_conn {
	struct stream *s;
	struct smtp_reply *r;
	char *dest;			/* "HOST:PORT", the slot's name */
	unsigned ext;			/* SMTP_EXT_* offered in LHLO */
	size_t messages;		/* transactions begun */
	uint64_t idle_since;		/* ms, while in the cache */
	struct lmtp_conn *next;		/* in the cache */
	/* while one message is delivered */
	struct pool *pool;
	const char *err;		/* why the connection failed */
	bool reusable;			/* in a known state for the next one */
};

struct lmtp_cache {
	struct lmtp_cache_settings set;
	struct qmgr_slots *slots;	/* its mutex guards idle too */
	struct lmtp_conn *idle;		/* most recently used first */
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct lmtp_cache *
lmtp_cache_new(const struct lmtp_cache_settings *set)
{
	struct lmtp_cache *c = xcalloc(1, sizeof(*c));

	c->set = *set;
	if (c->set.max_messages == 0)
		c->set.max_messages = 1;
	c->slots = qmgr_slots_new(set->max_connections, set->max_per_dest);
	return c;
}

/* Say QUIT (briefly waiting for the answer) and free *cp. */
static void
conn_close(struct lmtp_conn **cp, const char *why)
{
	struct lmtp_conn *c = *cp;
	struct pool *p = pool_new("lmtp-quit");
	const char *err;

	if (c->s != NULL && stream_write(c->s, "QUIT\r\n", 6) == 0 &&
	    stream_flush(c->s) == 0)
		(void)deliver_read_reply(c->s, c->r, LMTP_REPLY_LINE_MAX,
		    LMTP_QUIT_WAIT_MS, p, &err);
	log_info("event=lmtp-close peer=%s messages=%zu reason=%s",
	    c->dest, c->messages, why);
	pool_free(&p);
	stream_free(&c->s);
	smtp_reply_free(&c->r);
	free(c->dest);
	free(c);
	*cp = NULL;
}

void
lmtp_cache_free(struct lmtp_cache **cp)
{
	struct lmtp_cache *c = *cp;

	if (c == NULL)
		return;
	while (c->idle != NULL) {
		struct lmtp_conn *k = c->idle;

		c->idle = k->next;
		qmgr_slots_release(c->slots, k->dest);
		conn_close(&k, "shutdown");
	}
	qmgr_slots_free(&c->slots);
	free(c);
	*cp = NULL;
}

uint64_t
lmtp_cache_expire(struct lmtp_cache *c, uint64_t now_ms)
{
	struct lmtp_conn *old = NULL, **pp, *k;
	uint64_t next = 0;

	qmgr_slots_lock(c->slots);
	for (pp = &c->idle; (k = *pp) != NULL;) {
		uint64_t age = now_ms - k->idle_since;

		if (age >= c->set.idle_timeout_ms) {
			*pp = k->next;
			k->next = old;
			old = k;
			qmgr_slots_release_locked(c->slots, k->dest);
			continue;
		}
		if (next == 0 || c->set.idle_timeout_ms - age < next)
			next = c->set.idle_timeout_ms - age;
		pp = &k->next;
	}
	qmgr_slots_unlock(c->slots);
	while ((k = old) != NULL) {
		old = k->next;
		conn_close(&k, "idle");
	}
	return next;
}

size_t
lmtp_cache_peak(struct lmtp_cache *c)
{
	return qmgr_slots_peak(c->slots);
}

static int
read_reply(struct lmtp_conn *c, const struct lmtp_peer *peer)
{
	if (deliver_read_reply(c->s, c->r, LMTP_REPLY_LINE_MAX,
	    peer->timeout_ms, c->pool, &c->err) == -1)
		return -1;
	if (c->r->code == 421)
		c->reusable = false;	/* the server is closing */
	return 0;
}

static int
send_buf(struct lmtp_conn *c, const struct lmtp_peer *peer, struct buf *b)
{
	stream_set_timeouts(c->s, (int)peer->timeout_ms,
	    (int)peer->timeout_ms);
	if (stream_write(c->s, b->data, b->len) == -1 ||
	    stream_flush(c->s) == -1) {
		c->err = pool_strdup(c->pool, stream_error_text(c->s));
		return -1;
	}
	return 0;
}

/* Greeting and LHLO on the new connection c. 0 or -1 with c->err. */
static int
conn_hello(struct lmtp_conn *c, const struct lmtp_peer *peer)
{
	struct buf *b = buf_new(256, 4096);
	static const struct { const char *kw; unsigned bit; } kw[] = {
		{ "SIZE", SMTP_EXT_SIZE }, { "8BITMIME", SMTP_EXT_8BITMIME },
		{ "SMTPUTF8", SMTP_EXT_SMTPUTF8 }, { "XQID", SMTP_EXT_XQID },
	};
	int rc = -1;

	if (read_reply(c, peer) == -1)
		goto out;
	if (c->r->code != 220) {
		c->err = pool_printf(c->pool, "greeting %d %s", c->r->code,
		    buf_cstr(c->r->text));
		goto out;
	}
	if (buf_printf(b, "LHLO %s\r\n", peer->helo) == -1) {
		c->err = "our name is too long for LHLO";
		goto out;
	}
	if (send_buf(c, peer, b) == -1 || read_reply(c, peer) == -1)
		goto out;
	if (c->r->code != 250) {
		c->err = pool_printf(c->pool, "LHLO refused: %d %s",
		    c->r->code, buf_cstr(c->r->text));
		goto out;
	}
	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (smtp_reply_ehlo_has(c->r, kw[i].kw, NULL, NULL))
			c->ext |= kw[i].bit;
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* A new connection to peer (its slot dest already taken). NULL with
 * *err_out (in pool) if it cannot be made or refuses us. */
static struct lmtp_conn *
conn_open(const struct lmtp_peer *peer, const char *dest, struct pool *pool,
    const char **err_out)
{
	struct smtp_limits lim;
	struct lmtp_conn *c;
	const char *err;
	int fd = deliver_connect_host(peer->host, peer->port,
	    peer->timeout_ms, &err);

	if (fd == -1) {
		*err_out = pool_printf(pool, "connect to %s: %s", dest, err);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->s = stream_new(fd);
	smtp_limits_default(&lim);
	c->r = smtp_reply_new(&lim);
	c->dest = xstrdup(dest);
	c->pool = pool;
	if (conn_hello(c, peer) == -1) {
		*err_out = pool_printf(pool, "%s: %s", dest, c->err);
		stream_free(&c->s);
		conn_close(&c, "refused");
		return NULL;
	}
	log_info("event=lmtp-connect peer=%s", dest);
	return c;
}

/* A connection to dest: an idle one from the cache (*reused_out true) or
 * a new one, waiting while the limits allow neither. NULL with *err_out
 * if a new one cannot be made. */
static struct lmtp_conn *
conn_get(struct lmtp_cache *cache, const struct lmtp_peer *peer,
    const char *dest, bool *reused_out, struct pool *pool,
    const char **err_out)
{
	struct lmtp_conn *c, **pp, *evict;

	qmgr_slots_lock(cache->slots);
	for (;;) {
		for (pp = &cache->idle; (c = *pp) != NULL; pp = &c->next)
			if (strcmp(c->dest, dest) == 0)
				break;
		if (c != NULL) {
			bool stale = mono_ms() - c->idle_since >=
			    cache->set.idle_timeout_ms;

			*pp = c->next;
			if (stale)
				qmgr_slots_release_locked(cache->slots,
				    c->dest);
			qmgr_slots_unlock(cache->slots);
			if (!stale) {
				*reused_out = true;
				return c;
			}
			/* past its idle time: the dispatcher has not been
			 * round yet */
			conn_close(&c, "idle");
			qmgr_slots_lock(cache->slots);
			continue;
		}
		if (qmgr_slots_try_locked(cache->slots, dest))
			break;
		/* the total is full of idle connections to other hosts:
		 * the least recently used one makes room */
		if (!qmgr_slots_total_room_locked(cache->slots) &&
		    qmgr_slots_dest_room_locked(cache->slots, dest) &&
		    cache->idle != NULL) {
			for (pp = &cache->idle; (*pp)->next != NULL;
			    pp = &(*pp)->next)
				;
			evict = *pp;
			*pp = NULL;
			qmgr_slots_release_locked(cache->slots, evict->dest);
			qmgr_slots_unlock(cache->slots);
			conn_close(&evict, "room-for-another-host");
			qmgr_slots_lock(cache->slots);
			continue;
		}
		qmgr_slots_wait_locked(cache->slots);
	}
	qmgr_slots_unlock(cache->slots);
	*reused_out = false;
	c = conn_open(peer, dest, pool, err_out);
	if (c == NULL)
		qmgr_slots_release(cache->slots, dest);
	return c;
}

/* Give c back to the cache, or close it. */
static void
conn_put(struct lmtp_cache *cache, struct lmtp_conn *c)
{
	const char *why = !c->reusable ? "error" :
	    c->messages >= cache->set.max_messages ? "max-messages" : NULL;

	c->pool = NULL;
	c->err = NULL;
	if (why != NULL) {
		char *dest = xstrdup(c->dest);

		conn_close(&c, why);
		qmgr_slots_release(cache->slots, dest);
		free(dest);
		return;
	}
	qmgr_slots_lock(cache->slots);
	c->idle_since = mono_ms();
	c->next = cache->idle;
	cache->idle = c;
	qmgr_slots_broadcast_locked(cache->slots);
	qmgr_slots_unlock(cache->slots);
}

static void
set_result(struct deliver_result *res, const struct smtp_reply *r,
    struct pool *pool)
{
	res->code = r->code;
	res->enh = pool_strdup(pool, r->enh);
	res->text = pool_strdup(pool, buf_cstr(r->text));
}

/* Send the message bytes of m dot-stuffed, then ".". 0 or -1. */
static int
send_body(struct lmtp_conn *c, const struct lmtp_peer *peer,
    const struct queue_msg *m)
{
	const char *err;
	int fd = queue_msg_body_fd(m, &err), rc;

	if (fd == -1) {
		c->err = pool_printf(c->pool, "message body: %s", err);
		return -1;
	}
	stream_set_timeouts(c->s, (int)peer->timeout_ms,
	    (int)peer->timeout_ms);
	rc = deliver_body_send(c->s, fd, m->env.size, &err);
	close(fd);
	if (rc == -1)
		c->err = pool_strdup(c->pool, err);
	return rc;
}

/* RSET (on reuse), MAIL, the RCPTs and DATA in one write into b; sent[i]
 * marks the RCPTs written. -1 if MAIL FROM cannot be written. */
static int
write_envelope(struct lmtp_conn *c, const char *xqid, bool reused,
    const struct queue_msg *m, const unsigned char *todo,
    unsigned char *sent, struct deliver_result *res, struct buf *b)
{
	const struct queue_env *e = &m->env;
	struct smtp_mail_params mp;
	unsigned ext = c->ext & (SMTP_EXT_SIZE | SMTP_EXT_8BITMIME |
	    SMTP_EXT_SMTPUTF8);

	if (xqid != NULL && (c->ext & SMTP_EXT_XQID))
		ext |= SMTP_EXT_XQID;
	deliver_mail_params(e, &mp);
	mp.xqid = (char *)xqid;
	if (reused && buf_append_str(b, "RSET\r\n") == -1)
		return -1;
	if (smtp_cmd_write_mail(b, e->sender, &mp, ext) == -1)
		return -1;
	for (size_t i = 0; i < e->nrcpts; i++) {
		size_t mark = b->len;

		if (!todo[i])
			continue;
		if (smtp_cmd_write_rcpt(b, e->rcpts[i].addr, NULL, 0) == -1) {
			b->len = mark;
			res[i].code = 553;
			res[i].enh = "5.1.3";
			res[i].text = "recipient address cannot be sent";
			continue;
		}
		sent[i] = 1;
	}
	return buf_append_str(b, "DATA\r\n");
}

/* The replies to MAIL, the RCPTs and DATA; then the message and a reply
 * per accepted recipient. -1 with c->err on a connection failure (every
 * recipient without a result then still has code 0). */
static int
replies(struct lmtp_conn *c, const struct lmtp_peer *peer,
    const struct queue_msg *m, const unsigned char *sent,
    struct deliver_result *res)
{
	size_t n = m->env.nrcpts, accepted = 0;
	unsigned char *ok = pool_alloc(c->pool, n + 1);
	bool mail_ok;

	if (read_reply(c, peer) == -1)
		return -1;
	mail_ok = c->r->code / 100 == 2;
	for (size_t i = 0; i < n; i++)
		if (sent[i] && !mail_ok)	/* holds for everyone */
			set_result(&res[i], c->r, c->pool);
	for (size_t i = 0; i < n; i++) {
		if (!sent[i])
			continue;
		if (read_reply(c, peer) == -1)
			return -1;
		if (!mail_ok)
			continue;
		if (c->r->code / 100 == 2) {
			ok[i] = 1;
			accepted++;
		} else {
			set_result(&res[i], c->r, c->pool);
		}
	}
	if (read_reply(c, peer) == -1)		/* DATA */
		return -1;
	if (c->r->code == 354 && accepted == 0) {
		/* DATA should have been refused (RFC 2920 3.1): how many
		 * replies an empty message gets is unclear, so this
		 * connection is not used again */
		c->reusable = false;
		return 0;
	}
	if (c->r->code != 354) {
		for (size_t i = 0; i < n; i++)
			if (ok[i])
				set_result(&res[i], c->r, c->pool);
		return 0;
	}
	if (send_body(c, peer, m) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		if (read_reply(c, peer) == -1)
			return -1;
		set_result(&res[i], c->r, c->pool);
	}
	return 0;
}

/* The transaction of m on c. 0 when every recipient sent has its result;
 * 1 when a reused connection turned out closed before anything of m was
 * taken (try a new one); -1 with c->err on a connection failure. */
static int
transact(struct lmtp_conn *c, const struct lmtp_peer *peer, const char *xqid,
    bool reused, const struct queue_msg *m, const unsigned char *todo,
    struct deliver_result *res)
{
	size_t n = m->env.nrcpts;
	unsigned char *sent = pool_alloc(c->pool, n + 1);
	struct buf *b = buf_new(1024, 1024 * 1024);
	int rc = -1;

	c->messages++;
	c->reusable = false;
	if (write_envelope(c, xqid, reused, m, todo, sent, res, b) == -1) {
		c->err = "envelope too long to send";
		goto out;
	}
	if (send_buf(c, peer, b) == -1) {
		rc = reused ? 1 : -1;
		goto out;
	}
	if (reused && (read_reply(c, peer) == -1 || c->r->code != 250)) {
		/* closed while idle (its idle timeout, a restart) */
		rc = 1;
		goto out;
	}
	c->reusable = true;
	rc = replies(c, peer, m, sent, res);
	if (rc == -1)
		c->reusable = false;
out:
	buf_free(&b);
	return rc;
}

void
lmtp_deliver(struct lmtp_cache *cache, const struct lmtp_peer *peer,
    const char *xqid, const struct queue_msg *m, const unsigned char *todo,
    struct deliver_result *res, struct pool *pool)
{
	const char *dest = pool_printf(pool, "%s:%u", peer->host, peer->port);
	const char *relay = pool_printf(pool, "lmtp:%s", dest);
	const char *err = "failed";
	int rc = -1;

	for (size_t i = 0; i < m->env.nrcpts; i++) {
		res[i].code = 0;
		res[i].enh = "";
		res[i].text = "";
		res[i].relay = relay;
	}
	/* each cached connection found closed is dropped; then a new one */
	for (size_t tries = 0; tries <= cache->set.max_connections; tries++) {
		bool reused;
		struct lmtp_conn *c = conn_get(cache, peer, dest, &reused,
		    pool, &err);

		if (c == NULL)
			break;
		c->pool = pool;
		rc = transact(c, peer, xqid, reused, m, todo, res);
		if (rc == -1)
			err = pool_printf(pool, "%s: %s", dest, c->err);
		conn_put(cache, c);
		if (rc != 1)
			break;
		rc = -1;
		err = "cached connection closed";
	}
	if (rc == 0)
		return;
	for (size_t i = 0; i < m->env.nrcpts; i++)
		if (todo[i] && res[i].code == 0) {
			res[i].code = 451;
			res[i].enh = "4.4.1";
			res[i].text = err;
		}
}
