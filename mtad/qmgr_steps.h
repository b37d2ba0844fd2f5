/*
 * mtad/qmgr_steps.h - the steps of the queue manager around the hand-over
 * to the next hop (mtad/qmgr.c): before it, loop detection and expansion
 * (mtad/qmgr_prepare.c); after it, delivery status notifications
 * (mtad/qmgr_report.c).
 */
#ifndef MTAD_QMGR_STEPS_H
#define MTAD_QMGR_STEPS_H

#include <stdint.h>

#include "mtad/lmtp_client.h"
#include "mtad/qmgr.h"
#include "mtad/queue.h"

struct pool;

/* Settle what need not go to the next hop: for each recipient with
 * todo[i] set that loops (bounced 5.4.6), is expanded into a new message
 * (2.1.5), fails expansion (5xx) or cannot be expanded now (4xx: the
 * directory is down, a read or commit failed), clear todo[i], set
 * settled[i], its outcome in pre[i] and the relay named in the log in
 * relay[i]. Recipients left in todo go to the next hop unchanged. */
void qmgr_prepare(struct qmgr *qm, struct queue *q, struct queue_msg *m,
    unsigned char *todo, unsigned char *settled, struct deliver_result *pre,
    const char **relay, struct pool *pool);

/* Queue the delivery status notification the n new states recs of m
 * call for (failures, successes asked for by NOTIFY, delay warnings past
 * [mtad.delivery] delay_warning); relay[i] names the host that answered
 * recipient i (NULL: none, "expand": an expansion, never reported as a
 * success). Called before the states are recorded: if the report cannot
 * be queued, each bounce in recs becomes a deferral (tried again, so
 * the report is not lost) and is logged. now in unix seconds. */
void qmgr_report(struct qmgr *qm, struct queue *q, struct queue_msg *m,
    struct queue_state_rec *recs, size_t n, const char *const *relay,
    uint64_t now, struct pool *pool);

#endif
