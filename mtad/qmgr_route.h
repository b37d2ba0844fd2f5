/*
 * mtad/qmgr_route.h - where the queue manager sends each recipient:
 * accepted (local) domains by LMTP to accessd (mtad/lmtp_client.h) of
 * the recipient's mail host (its entry's mailHost, else [mtad]
 * lmtp_host; one transaction per host), all
 * others by SMTP (mtad/smtp_client.h), grouped by next hop (the domain,
 * or the relayhost when one is set) with one connection per group, at
 * most max_rcpts_per_connection recipients each, and at most
 * max_connections connections open at once, max_per_destination of them
 * to one next hop, counted across every message being delivered.
 *
 * Runs in the qmgr child: one struct qmgr_route is made at start; each
 * delivery thread works on a copy with its own lookup-process client
 * (dir), sharing the resolver, the LMTP connection cache and the SMTP
 * slots. A recipient's domain is asked of the lookup process
 * (dir_client_domain_accepted) once per message; a directory that does
 * not answer defers the recipient (451 4.3.0).
 */
#ifndef MTAD_QMGR_ROUTE_H
#define MTAD_QMGR_ROUTE_H

#include "directory/dir_client.h"
#include "lib/dns.h"
#include "mtad/deliver.h"
#include "mtad/lmtp_client.h"
#include "mtad/smtp_client_config.h"

struct pool;
struct queue_msg;

struct qmgr_slots;

struct qmgr_route {
	struct lmtp_peer lmtp;
	struct lmtp_cache *lmtp_cache;	/* shared */
	const struct smtp_client_settings *smtp;
	struct qmgr_slots *smtp_slots;	/* shared */
	struct dir_client *dir;		/* one per thread */
	struct dns_resolver *dns;	/* shared (thread-safe) */
};

/* Set up rt in the qmgr child: a lookup-process client from dcs, a
 * resolver from dns, an LMTP connection cache with lcs and the SMTP slots
 * (lmtp and smtp are borrowed). 0, or -1 with *err_out (in pool) if the
 * resolver cannot be made. */
int qmgr_route_init(struct qmgr_route *rt, const struct lmtp_peer *lmtp,
    const struct lmtp_cache_settings *lcs,
    const struct smtp_client_settings *smtp,
    const struct dir_client_settings *dcs, const struct dns_settings *dns,
    struct pool *pool, const char **err_out);
void qmgr_route_deinit(struct qmgr_route *rt);

/* Deliver m to its recipients with todo[i] set; res[i] (m->env.nrcpts
 * entries) receives each outcome, strings in pool. xqid: m's queue id
 * when its delivery is in doubt (lmtp_deliver), else NULL. Returns when
 * every connection is done. */
void qmgr_route_deliver(struct qmgr_route *rt, const struct queue_msg *m,
    const char *xqid, const unsigned char *todo, struct deliver_result *res,
    struct pool *pool);

#endif
