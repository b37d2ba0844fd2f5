/*
 * mtad/qmgr.h - the queue manager, a supervised child of the mtad master:
 * takes committed messages from incoming/ as they arrive (inotify) and
 * deferred ones when due, delivers them by LMTP (mtad/lmtp_client.h) or
 * SMTP (mtad/smtp_client.h), as mtad/qmgr_route.h decides, several at
 * once ([mtad.delivery] max_parallel_messages delivery threads), and
 * records each recipient's result.
 */
#ifndef MTAD_QMGR_H
#define MTAD_QMGR_H

#include <stdint.h>

#include "directory/dir_client.h"
#include "lib/dns.h"
#include "mtad/delivery_config.h"
#include "mtad/queue.h"
#include "mtad/smtp_client_config.h"

struct qmgr {
	const char *state_dir;
	struct queue_limits qlim;
	const char *hostname;		/* our name for LHLO */
	const char *lmtp_host;
	unsigned lmtp_port;
	uint64_t lmtp_timeout_ms;
	uint64_t retry_min_ms;		/* first retry delay */
	uint64_t retry_max_ms;		/* backoff cap */
	uint64_t scan_interval_ms;	/* deferred/ looked at this often */
	uint64_t lifetime_ms;		/* temporary failures bounce after */
	/* loops, expansion, bounces (mtad/qmgr_steps.h) */
	struct dir_client_settings dcs;	/* the lookup process */
	struct dir_client *dir;		/* opened in the child */
	unsigned expand_max_depth;	/* [directory] group_max_depth */
	size_t expand_max_targets;	/* [directory] group_max_members */
	size_t max_received;		/* [mtad] max_received */
	const struct delivery_config *delivery;
	/* routing (mtad/qmgr_route.h): accepted domains, MX lookups, SMTP */
	struct dns_settings dns;
	const struct smtp_client_settings *smtp;
	struct qmgr_route *route;	/* set by qmgr_child_run */
};

/* server_child_fn: ctx is a struct qmgr. Never returns. */
void qmgr_child_run(void *ctx);

/* The retry delay in seconds after attempts failed tries (1, 2, ...):
 * retry_min doubled per earlier try, capped at retry_max. */
uint64_t qmgr_backoff(const struct qmgr *qm, uint32_t attempts);

#endif
