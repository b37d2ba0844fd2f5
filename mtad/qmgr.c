/*
 * mtad/qmgr.c - the queue manager loop: watch incoming/ with inotify,
 * move each message to active/, settle loops and expansion
 * (mtad/qmgr_prepare.c), deliver its due recipients (by LMTP or SMTP,
 * mtad/qmgr_route.c), queue the bounces and notices due
 * (mtad/qmgr_report.c), record the results, then delete the message (all
 * final) or move it to deferred/; deferred/ is scanned every
 * scan_interval for due messages.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "mtad/qmgr.h"
#include "mtad/qmgr_route.h"
#include "mtad/qmgr_steps.h"
#include "lib/banned.h"

uint64_t
qmgr_backoff(const struct qmgr *qm, uint32_t attempts)
{
	uint64_t d = qm->retry_min_ms / 1000;

	if (d == 0)
		d = 1;
	for (uint32_t i = 1; i < attempts && d < qm->retry_max_ms / 1000; i++)
		d *= 2;
	if (d > qm->retry_max_ms / 1000 && qm->retry_max_ms >= 1000)
		d = qm->retry_max_ms / 1000;
	return d;
}

static uint64_t
now_s(void)
{
	return (uint64_t)time(NULL);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *
status_name(enum queue_rcpt_state s)
{
	switch (s) {
	case QUEUE_RCPT_DELIVERED:
		return "delivered";
	case QUEUE_RCPT_BOUNCED:
		return "bounced";
	case QUEUE_RCPT_DEFERRED:
		return "deferred";
	default:
		return "pending";
	}
}

static bool
rcpt_final(enum queue_rcpt_state s)
{
	return s == QUEUE_RCPT_DELIVERED || s == QUEUE_RCPT_BOUNCED;
}

/* Deliver message id, found in dir (incoming/, deferred/ or active/ after
 * a restart), when it is due. */
static void
process(struct qmgr *qm, struct queue *q, enum queue_dir dir, const char *id)
{
	struct pool *pool = pool_new("qmgr-msg");
	struct queue_msg *m = NULL;
	struct queue_state_rec *recs;
	struct deliver_result *res, *pre;
	const char **relay;
	unsigned char *todo, *settled;
	const char *err;
	size_t n, ntodo = 0, nrecs = 0;
	uint64_t now = now_s();
	bool all_final = true;
	enum queue_msg_result rc;
	struct buf *esc = buf_new(256, 4096);

	rc = queue_msg_open(q, dir, id, pool, &m, &err);
	if (rc != QUEUE_MSG_OK) {
		/* corrupt ones were logged and moved; gone ones are fine */
		if (rc == QUEUE_MSG_ERROR)
			log_error("queue_id=%s event=open-failed dir=%s"
			    " error=\"%s\"", id, queue_dir_name(dir), err);
		goto out;
	}
	if (dir == QUEUE_DEFERRED) {
		uint64_t due = queue_env_next_try(&m->env);

		if (due > now)
			goto out;
	}
	if (dir != QUEUE_ACTIVE &&
	    queue_msg_move(m, QUEUE_ACTIVE, false, &err) == -1) {
		log_error("queue_id=%s event=move-failed to=active error=\"%s\"",
		    id, err);
		goto out;
	}
	n = m->env.nrcpts;
	todo = pool_alloc(pool, n + 1);
	settled = pool_alloc(pool, n + 1);
	res = pool_alloc(pool, (n + 1) * sizeof(*res));
	pre = pool_alloc(pool, (n + 1) * sizeof(*pre));
	relay = pool_alloc(pool, (n + 1) * sizeof(*relay));
	recs = pool_alloc(pool, (n + 1) * sizeof(*recs));
	for (size_t i = 0; i < n; i++) {
		const struct queue_rcpt *r = &m->env.rcpts[i];

		/* in active/ after a restart any unfinished recipient may
		 * have been in flight: all are tried now, in doubt (XQID) */
		todo[i] = !rcpt_final(r->state) && (r->next_try <= now ||
		    dir == QUEUE_ACTIVE);
		if (todo[i])
			ntodo++;
		relay[i] = pool_printf(pool, "lmtp:%s:%u", qm->lmtp_host,
		    qm->lmtp_port);
	}
	if (ntodo > 0)
		qmgr_prepare(qm, q, m, todo, settled, pre, relay, pool);
	ntodo = 0;
	for (size_t i = 0; i < n; i++)
		ntodo += todo[i] != 0;
	/* found in active/ (a restart cut its delivery short): the next hop
	 * may have stored it already; LMTP is told so it can tell */
	qm->route->lmtp.xqid = dir == QUEUE_ACTIVE ? id : NULL;
	if (ntodo > 0)
		qmgr_route_deliver(qm->route, m, todo, res, pool);
	for (size_t i = 0; i < n; i++) {
		if (settled[i])
			res[i] = pre[i];
		else if (todo[i] && res[i].relay != NULL)
			relay[i] = res[i].relay;
	}
	for (size_t i = 0; i < n; i++) {
		const struct queue_rcpt *r = &m->env.rcpts[i];
		struct queue_state_rec *s;
		const char *reply;

		if (!todo[i] && !settled[i])
			continue;
		s = &recs[nrecs++];
		s->rcpt = i;
		s->attempts = r->attempts + 1;
		s->next_try = 0;
		if (res[i].code / 100 == 2)
			s->state = QUEUE_RCPT_DELIVERED;
		else if (res[i].code / 100 == 5)
			s->state = QUEUE_RCPT_BOUNCED;
		else if (now - m->env.arrival >= qm->lifetime_ms / 1000) {
			/* a temporary failure past the queue lifetime */
			s->state = QUEUE_RCPT_BOUNCED;
			res[i].text = pool_printf(pool, "%s (gave up after"
			    " %llus in the queue)", res[i].text,
			    (unsigned long long)(now - m->env.arrival));
			res[i].enh = "4.4.7";
		} else {
			s->state = QUEUE_RCPT_DEFERRED;
			s->next_try = now + qmgr_backoff(qm, s->attempts);
		}
		reply = pool_printf(pool, "%d%s%s %s", res[i].code,
		    res[i].enh[0] != '\0' ? " " : "", res[i].enh,
		    res[i].text);
		s->reply = reply;
		buf_reset(esc);
		log_info("queue_id=%s event=delivery rcpt=%s relay=%s"
		    " delay=%llus attempt=%u dsn=%s status=%s reply=\"%s\"",
		    id, r->addr, relay[i],
		    (unsigned long long)(now_s() - m->env.arrival),
		    (unsigned)s->attempts,
		    res[i].enh[0] != '\0' ? res[i].enh :
		    res[i].code / 100 == 2 ? "2.0.0" :
		    res[i].code / 100 == 5 ? "5.0.0" : "4.0.0",
		    status_name(s->state),
		    log_escape(esc, reply, strlen(reply)));
	}
	if (nrecs > 0)
		qmgr_report(qm, q, m, recs, nrecs, relay, now_s(), pool);
	if (nrecs > 0 && queue_msg_update(m, recs, nrecs, &err) == -1) {
		/* results not recorded: leave in active/ to retry later */
		log_error("queue_id=%s event=update-failed error=\"%s\"", id,
		    err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!rcpt_final(m->env.rcpts[i].state))
			all_final = false;
	if (all_final) {
		if (queue_delete(q, QUEUE_ACTIVE, id, pool, &err) == -1)
			log_error("queue_id=%s event=delete-failed"
			    " error=\"%s\"", id, err);
		else
			log_info("queue_id=%s event=removed", id);
	} else if (queue_msg_move(m, QUEUE_DEFERRED, false, &err) == -1) {
		log_error("queue_id=%s event=move-failed to=deferred"
		    " error=\"%s\"", id, err);
	} else {
		log_info("queue_id=%s event=deferred next_try=%llu", id,
		    (unsigned long long)queue_env_next_try(&m->env));
	}
out:
	buf_free(&esc);
	queue_msg_close(&m);
	pool_free(&pool);
}

static void
run_dir(struct qmgr *qm, struct queue *q, enum queue_dir dir)
{
	struct pool *pool = pool_new("qmgr-scan");
	char **ids;
	size_t n;
	const char *err;

	if (queue_scan_ids(q, dir, pool, &ids, &n, &err) == -1)
		log_error("event=scan-failed dir=%s error=\"%s\"",
		    queue_dir_name(dir), err);
	else
		for (size_t i = 0; i < n; i++)
			process(qm, q, dir, ids[i]);
	pool_free(&pool);
}

/* Wait (at most QMGR_LOOKUP_WAIT_MS) for the lookup process, started
 * beside the queue manager, to answer: messages left in active/ by a
 * restart are in doubt only until their first attempt, which should not
 * be an expansion deferred because the lookup socket is not there yet. */
#define QMGR_LOOKUP_WAIT_MS 15000

static void
wait_lookup(struct qmgr *qm)
{
	uint64_t t0 = now_ms();

	for (;;) {
		struct pool *p = pool_new("qmgr-ping");
		struct dir_stats st;
		struct dir_info info = { 0 };
		enum dir_result r = dir_client_stats(qm->dir, p, &st, &info);

		if (r != DIR_TEMPFAIL) {
			pool_free(&p);
			return;
		}
		if (now_ms() - t0 >= QMGR_LOOKUP_WAIT_MS) {
			log_warn("event=lookup-wait-timeout error=\"%s\"",
			    info.error != NULL ? info.error : "tempfail");
			pool_free(&p);
			return;
		}
		pool_free(&p);
		usleep(50 * 1000);
	}
}

void
qmgr_child_run(void *ctx)
{
	struct qmgr *qm = ctx;
	struct pool *pool = pool_new("qmgr");
	const char *err;
	struct queue *q = queue_open(qm->state_dir, &qm->qlim, pool, &err);
	struct lmtp_peer lmtp = { .host = qm->lmtp_host,
		.port = qm->lmtp_port, .timeout_ms = qm->lmtp_timeout_ms,
		.helo = qm->hostname };
	struct qmgr_route route;
	uint64_t last_scan = 0;
	int ino;

	if (q == NULL)
		log_fatal("queue: %s", err);
	if (qmgr_route_init(&route, &lmtp, qm->smtp, &qm->dcs, &qm->dns, pool,
	    &err) == -1)
		log_fatal("qmgr: DNS resolver: %s", err);
	qm->route = &route;
	qm->dir = route.dir;	/* one lookup-process client for all steps */
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino != -1 && inotify_add_watch(ino, pool_printf(pool, "%s/%s",
	    q->root, queue_dir_name(QUEUE_INCOMING)),
	    IN_MOVED_TO | IN_CLOSE_WRITE) == -1) {
		close(ino);
		ino = -1;
	}
	if (ino == -1)
		log_warn_errno("inotify: falling back to polling");
	log_info("event=qmgr-start lmtp=%s:%u inotify=%s", qm->lmtp_host,
	    qm->lmtp_port, ino != -1 ? "yes" : "no");
	wait_lookup(qm);
	run_dir(qm, q, QUEUE_ACTIVE);	/* left there by a restart */
	for (;;) {
		struct pollfd pfd = { .fd = ino, .events = POLLIN };
		uint64_t t = now_ms();
		int timeout = ino == -1 ? 200 : (int)qm->scan_interval_ms;

		run_dir(qm, q, QUEUE_INCOMING);
		if (t - last_scan >= qm->scan_interval_ms) {
			run_dir(qm, q, QUEUE_DEFERRED);
			last_scan = t;
		}
		if (poll(&pfd, ino == -1 ? 0 : 1, timeout) > 0) {
			char evbuf[4096];

			while (read(ino, evbuf, sizeof(evbuf)) > 0)
				;
		}
	}
}
