/*
 * mtad/qmgr_expand.h - expansion at delivery: the queue manager resolves
 * each recipient due through the lookup process and follows aliases,
 * groups (nested, through dir_client_group_members) and forwarding
 * addresses to the final recipients: mailboxes (users), contacts and
 * addresses the directory does not know (remote, or left to the next
 * hop to refuse).
 *
 * The walk is deduplicated (a mailbox reachable several ways, through
 * several recipients of the message, gets one copy), loop-safe (an entry
 * already on the path is not entered again; a recipient whose every path
 * loops is bounced 5.4.6), bounded (max_depth levels, max_targets final
 * recipients; past them the recipient is bounced) and skips disabled
 * accounts reached through a group, alias or forwarding. A directory
 * that cannot be asked defers the whole message: never a bounce.
 *
 * When any recipient expands to something other than itself, the final
 * recipients go into a new queued message (qmgr_expand_commit: the same
 * bytes, with a Delivered-To: line for each recipient whose forwarding
 * was followed, the original recipient as ORCPT, marked "expanded" so it
 * is not expanded again, mtad/qmgr_submit.h) and the original recipients
 * are final. A crash between the commit and the state update can only
 * deliver twice, never lose the message.
 */
#ifndef MTAD_QMGR_EXPAND_H
#define MTAD_QMGR_EXPAND_H

#include <stdbool.h>
#include <stddef.h>

#include "mtad/queue.h"

struct dir_client;
struct pool;

struct qmgr_expand_limits {
	unsigned max_depth;		/* alias/group/forwarding levels, the
					 * recipient itself the first */
	size_t max_targets;		/* final recipients of one message */
};

/* One final recipient. */
struct qmgr_target {
	const char *addr;
	size_t parent;			/* index of the envelope recipient */
};

/* The outcome for one envelope recipient that was due. */
struct qmgr_expand_rcpt {
	int code;			/* 0: expanded; 5xx: bounce it */
	const char *enh;		/* with code */
	const char *text;
	size_t ntargets;		/* final recipients it contributed */
	bool forwarded;			/* a forwarding address followed */
};

struct qmgr_expansion {
	struct qmgr_target *targets;
	size_t ntargets;
	struct qmgr_expand_rcpt *rcpts;	/* env->nrcpts entries */
	bool identity;			/* each due recipient is its own and
					 * only final recipient: nothing to
					 * do */
	const char *tempfail;		/* set when -1 is returned */
};

/* Expand the recipients of env whose todo[i] is nonzero. 0 with *out
 * filled (in pool), or -1 with out->tempfail when the directory could
 * not be asked. One log line per skipped disabled account and per
 * recipient bounced. */
int qmgr_expand(struct dir_client *dc, const struct queue_env *env,
    const unsigned char *todo, const struct qmgr_expand_limits *lim,
    struct pool *pool, struct qmgr_expansion *out);

/* Queue the expanded message for x (x->ntargets > 0) of the open message
 * m, behind a Received: line of hostname naming its new queue id (so an
 * in-doubt LMTP delivery of the copy can be recognised by accessd, see
 * accessd(8) XQID). 0 with id_out set once it is on stable storage, or -1
 * with *err_out (in pool). */
int qmgr_expand_commit(struct queue *q, const struct queue_msg *m,
    const struct qmgr_expansion *x, const char *hostname, struct pool *pool,
    char id_out[QUEUE_ID_MAX], const char **err_out);

#endif
