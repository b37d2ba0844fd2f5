/*
 * mtad/lmtp_client.h - deliver queued messages over LMTP (RFC 2033):
 * LHLO once per connection, then per message MAIL FROM, RCPT per
 * recipient due and DATA pipelined in one write (RFC 2033 section 5
 * makes PIPELINING mandatory), one reply per accepted recipient; the
 * per-recipient outcome is handed back, not recorded.
 *
 * Connections are kept for the next message to the same host: a cache
 * shared by the delivery threads holds idle ones (at most idle_timeout,
 * at most max_messages transactions each, RSET before each reuse), and
 * counts open ones against max_connections in all and max_per_dest to
 * one host (mtad/qmgr_slots.h); a thread that finds no room waits.
 */
#ifndef MTAD_LMTP_CLIENT_H
#define MTAD_LMTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "mtad/deliver.h"

struct pool;
struct queue_msg;

/* Where and how to connect. */
struct lmtp_peer {
	const char *host;		/* numeric address or name */
	unsigned port;
	uint64_t timeout_ms;		/* connect, each read and write */
	const char *helo;		/* our name for LHLO */
};

/* [mtad.delivery] lmtp_* settings. */
struct lmtp_cache_settings {
	size_t max_connections;		/* open at once, idle ones included */
	size_t max_per_dest;		/* to one host:port */
	uint64_t idle_timeout_ms;	/* an idle one is closed after */
	size_t max_messages;		/* transactions per connection */
};

struct lmtp_cache;

/* An empty cache. Never NULL. */
struct lmtp_cache *lmtp_cache_new(const struct lmtp_cache_settings *set);
/* Close every idle connection (none may be in use) and free *cp
 * (NULL-safe), clearing it. */
void lmtp_cache_free(struct lmtp_cache **cp);
/* Close the idle connections idle for idle_timeout or longer (now_ms on
 * CLOCK_MONOTONIC). Returns in how many ms the next one is due (0: none
 * idle). */
uint64_t lmtp_cache_expire(struct lmtp_cache *c, uint64_t now_ms);
/* The most connections open at once so far. */
size_t lmtp_cache_peak(struct lmtp_cache *c);

/* Deliver m to its recipients whose todo[i] is nonzero, over a cached
 * connection to peer or a new one; res[i] (nrcpts entries, allocated by
 * the caller) receives the outcome of each (relay "lmtp:HOST:PORT"). A
 * delivery in doubt (found in active/ after a restart) passes its queue
 * id as xqid: sent as MAIL XQID= when offered, so the server can tell a
 * copy it stored already; NULL otherwise. A cached connection that
 * turns out closed is replaced once, before anything of m was sent. A
 * connection or protocol failure gives every unfinished recipient 451
 * with the reason. Strings live in pool. Thread-safe. */
void lmtp_deliver(struct lmtp_cache *c, const struct lmtp_peer *peer,
    const char *xqid, const struct queue_msg *m, const unsigned char *todo,
    struct deliver_result *res, struct pool *pool);

#endif
