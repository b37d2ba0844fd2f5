/*
 * mtad/lmtp_client.h - deliver one queued message over LMTP (RFC 2033):
 * LHLO, MAIL FROM, RCPT per recipient due, DATA, one reply per accepted
 * recipient; the per-recipient outcome is handed back, not recorded.
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
	uint64_t timeout_ms;		/* each read and write */
	const char *helo;		/* our name for LHLO */
	const char *xqid;		/* a delivery in doubt: sent as MAIL
					 * XQID= when offered, NULL if not */
};

/* Deliver m to its recipients whose todo[i] is nonzero; res[i] (nrcpts
 * entries, allocated by the caller) receives the outcome of each (relay
 * "lmtp:HOST:PORT"). A connection or protocol failure gives every
 * unfinished recipient 451 with the reason. Strings live in pool. */
void lmtp_deliver(const struct lmtp_peer *peer, const struct queue_msg *m,
    const unsigned char *todo, struct deliver_result *res, struct pool *pool);

#endif
