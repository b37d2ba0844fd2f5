/*
 * mtad/qmgr_report.c - after the next hop answered: which outcomes call
 * for a delivery status notification, and queueing it (mtad/dsn.h) before
 * the states are recorded. See mtad/qmgr_steps.h.
 *
 * Runs in the queue manager.
 */
#include "config.h"

#include <string.h>

#include "lib/log.h"
#include "lib/pool.h"
#include "mtad/dsn.h"
#include "mtad/qmgr_steps.h"
#include "lib/banned.h"

/* Whether a delay warning is due for r, deferred again now: the first
 * attempt at or past arrival + delay_warning. The previous attempt is
 * when r's current next_try was scheduled (next_try minus the backoff
 * then), so no mark in the queue is needed. */
static bool
delay_due(const struct qmgr *qm, const struct queue_env *env,
    const struct queue_rcpt *r, uint64_t now)
{
	uint64_t warn_at, prev;

	if (qm->delivery->delay_warning == 0)
		return false;
	warn_at = env->arrival + qm->delivery->delay_warning / 1000;
	if (now < warn_at)
		return false;
	if (r->attempts == 0)
		return true;	/* first try, already late */
	if (r->next_try < qmgr_backoff(qm, r->attempts))
		return false;	/* rescheduled by hand: unknown, no repeat */
	prev = r->next_try - qmgr_backoff(qm, r->attempts);
	return prev < warn_at;
}

/* The host of relay "proto:host:port" for Remote-MTA, or NULL. */
static const char *
remote_of(const char *relay, struct pool *pool)
{
	const char *h, *end;

	if (relay == NULL || (h = strchr(relay, ':')) == NULL)
		return NULL;
	h++;
	end = strrchr(h, ':');
	return pool_strndup(pool, h, end != NULL ? (size_t)(end - h) :
	    strlen(h));
}

/* The enhanced code in reply "NNN X.Y.Z text", or "". */
static const char *
enh_of(const char *reply, struct pool *pool)
{
	size_t n;

	if (strlen(reply) < 6 || reply[3] != ' ')
		return "";
	n = strspn(reply + 4, "0123456789.");
	if (n < 5)
		return "";
	return pool_strndup(pool, reply + 4, n);
}

void
qmgr_report(struct qmgr *qm, struct queue *q, struct queue_msg *m,
    struct queue_state_rec *recs, size_t n, const char *const *relay,
    uint64_t now, struct pool *pool)
{
	struct dsn_rcpt *d = pool_alloc(pool, (n + 1) * sizeof(*d));
	struct dsn_settings s = { .hostname = qm->hostname,
		.postmaster = qm->delivery->postmaster,
		.return_max = qm->delivery->dsn_return_max,
		.header_max = (size_t)qm->delivery->loop_header_max,
		.retry_until = m->env.arrival + qm->lifetime_ms / 1000 };
	char id[QUEUE_ID_MAX];
	const char *err;
	size_t nd = 0, nfailed = 0;
	int rc;

	for (size_t k = 0; k < n; k++) {
		const struct queue_rcpt *r = &m->env.rcpts[recs[k].rcpt];
		const char *rl = relay[recs[k].rcpt];
		enum dsn_action a;

		if (recs[k].state == QUEUE_RCPT_BOUNCED)
			a = DSN_FAILED;
		else if (recs[k].state == QUEUE_RCPT_DELIVERED &&
		    (rl == NULL || strcmp(rl, "expand") != 0))
			a = DSN_DELIVERED;
		else if (recs[k].state == QUEUE_RCPT_DEFERRED &&
		    delay_due(qm, &m->env, r, now))
			a = DSN_DELAYED;
		else
			continue;
		if (!dsn_wanted(&m->env, r, a))
			continue;
		d[nd].addr = r->addr;
		d[nd].orcpt = r->orcpt;
		d[nd].action = a;
		d[nd].reply = recs[k].reply;
		d[nd].status = enh_of(recs[k].reply, pool);
		d[nd].remote_mta = remote_of(rl, pool);
		d[nd].last_attempt = now;
		nfailed += a == DSN_FAILED;
		nd++;
	}
	if (nd == 0)
		return;
	rc = dsn_send(q, m, d, nd, &s, pool, id, &err);
	if (rc == 1) {
		log_info("queue_id=%s event=dsn dsn_id=%s to=<%s> nrcpt=%zu"
		    " failed=%zu", m->id, id, m->env.sender[0] != '\0' ?
		    m->env.sender : s.postmaster, nd, nfailed);
		return;
	}
	if (rc == 0) {
		log_info("queue_id=%s event=dsn-dropped reason=%s nrcpt=%zu",
		    m->id, s.postmaster[0] == '\0' ? "no-postmaster" :
		    "bounce-of-bounce", nd);
		return;
	}
	log_error("queue_id=%s event=dsn-failed error=\"%s\"", m->id, err);
	/* keep the bounces pending so the report is tried again */
	for (size_t k = 0; k < n; k++)
		if (recs[k].state == QUEUE_RCPT_BOUNCED) {
			recs[k].state = QUEUE_RCPT_DEFERRED;
			recs[k].next_try = now + qmgr_backoff(qm,
			    recs[k].attempts);
		}
}
