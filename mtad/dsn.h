/*
 * mtad/dsn.h - delivery status notifications (RFC 3464): which outcomes
 * are reported (RFC 3461 NOTIFY), and the multipart/report message,
 * committed into the queue like any message and delivered normally.
 *
 * A report goes to the envelope sender; never to the null sender <>.
 * When a message with the null sender fails (a bounce that cannot be
 * delivered, usually), a failure report goes to the configured postmaster
 * instead, marked so that its own failure is only logged. The report
 * returns the original message (RET=FULL, or no RET) up to a size limit,
 * else (and for RET=HDRS) its header only.
 */
#ifndef MTAD_DSN_H
#define MTAD_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtad/queue.h"

struct buf;
struct pool;

enum dsn_action { DSN_FAILED, DSN_DELAYED, DSN_DELIVERED };

/* One recipient reported on. */
struct dsn_rcpt {
	const char *addr;		/* final recipient */
	const char *orcpt;		/* "type;address" (ORCPT), "" if none */
	enum dsn_action action;
	const char *status;		/* enhanced code "5.2.2"; "" derives
					 * it from reply's class */
	const char *reply;		/* "552 5.2.2 text" from the peer or
					 * our own reason */
	const char *remote_mta;		/* host that answered; NULL if none */
	uint64_t last_attempt;		/* unix seconds */
};

struct dsn_settings {
	const char *hostname;		/* Reporting-MTA, From: domain */
	const char *postmaster;		/* "": double bounces only logged */
	uint64_t return_max;		/* bytes of the original returned */
	size_t header_max;		/* header bytes returned (RET=HDRS) */
	uint64_t retry_until;		/* Will-Retry-Until for delays (unix
					 * seconds), 0: not given */
};

/* Whether outcome action of recipient r of the message with envelope env
 * is reported: r's NOTIFY asks for it (no NOTIFY: failures and delays
 * are, success is not; NEVER: nothing); for the null sender, failures
 * only (to the postmaster), unless env is itself such a report. */
bool dsn_wanted(const struct queue_env *env, const struct queue_rcpt *r,
    enum dsn_action action);

/* Format the report's text up to the returned content: header fields,
 * the human-readable part, the message/delivery-status part and the
 * header of the third part (content type ctype, "message/rfc822" or
 * "text/rfc822-headers"), for the message with envelope env, to report
 * recipient to, dated now. boundary must not occur in the message.
 * Control characters in values from the envelope become '?'. 0, or -1
 * past out's ceiling. */
int dsn_format(const struct queue_env *env, const char *to,
    const struct dsn_rcpt *rcpts, size_t n, const struct dsn_settings *s,
    const char *boundary, const char *ctype, uint64_t now, struct buf *out);

/* Queue a report on n recipients of the open message m (rcpts all wanted
 * by dsn_wanted, or of a null-sender message). 1 with id_out set when a
 * report was committed (on stable storage), 0 when none is due (null
 * sender of a report to the postmaster, or no postmaster), -1 with
 * *err_out (in pool) when the commit failed. */
int dsn_send(struct queue *q, const struct queue_msg *m,
    const struct dsn_rcpt *rcpts, size_t n, const struct dsn_settings *s,
    struct pool *pool, char id_out[QUEUE_ID_MAX], const char **err_out);

#endif
