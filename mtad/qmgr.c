/*
 * mtad/qmgr.c - the queue manager: a dispatching thread watches incoming/
 * with inotify (and scans incoming/ and deferred/ every scan_interval)
 * and puts the queue ids it finds on the work list (mtad/qmgr_work.h);
 * max_parallel_messages delivery threads take them one at a time, move
 * each message to active/, settle loops and expansion
 * (mtad/qmgr_prepare.c), deliver its due recipients (by LMTP or SMTP,
 * mtad/qmgr_route.c), queue the bounces and notices due
 * (mtad/qmgr_report.c), record the results, then delete the message (all
 * final) or move it to deferred/.
 *
 * Runs in the qmgr child. A message is worked on by one thread at a time
 * (the work list knows it from the moment it is found until its thread
 * is done), so its state-file updates stay per message and atomic as
 * mtad/queue_state.h makes them. Each delivery thread has its own
 * lookup-process client; the LMTP connection cache and the SMTP slots
 * are shared, so their limits hold across messages.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "mtad/qmgr.h"
#include "mtad/qmgr_route.h"
#include "mtad/qmgr_steps.h"
#include "mtad/qmgr_work.h"
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
	if (ntodo > 0)
		qmgr_route_deliver(qm->route, m, dir == QUEUE_ACTIVE ? id :
		    NULL, todo, res, pool);
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
		/* the clock the attempt was scheduled by: a delay warning
		 * judged by the clock after a slow attempt, and the next by
		 * the one before, came twice */
		qmgr_report(qm, q, m, recs, nrecs, relay, now, pool);
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

/* Ids that may wait for a delivery thread at once; a scan finding more
 * leaves the rest for the scan made when room is made. */
#define QMGR_WORK_WAITING_MAX 20000

/* What the threads of the qmgr child share. */
struct qmgr_run {
	struct qmgr *qm;
	struct queue *q;
	struct qmgr_work *work;
};

static void *
delivery_thread(void *arg)
{
	struct qmgr_run *run = arg;
	struct qmgr wq = *run->qm;
	struct qmgr_route rt = *run->qm->route;
	enum queue_dir dir;
	char id[QUEUE_ID_MAX];

	/* its own lookup-process client: lookups of different messages go
	 * in parallel, not one at a time over one socket */
	rt.dir = dir_client_new(&wq.dcs);
	wq.dir = rt.dir;
	wq.route = &rt;
	while (qmgr_work_take(run->work, &dir, id)) {
		process(&wq, run->q, dir, id);
		qmgr_work_done(run->work, id);
	}
	dir_client_free(&rt.dir);
	return NULL;
}

/* Put every message of dir on the work list. */
static void
scan_dir(struct qmgr_run *run, enum queue_dir dir)
{
	struct pool *pool = pool_new("qmgr-scan");
	char **ids;
	size_t n;
	const char *err;

	if (queue_scan_ids(run->q, dir, pool, &ids, &n, &err) == -1)
		log_error("event=scan-failed dir=%s error=\"%s\"",
		    queue_dir_name(dir), err);
	else
		for (size_t i = 0; i < n; i++)
			if (qmgr_work_add(run->work, dir, ids[i]) ==
			    QMGR_WORK_FULL)
				break;
	pool_free(&pool);
}

/* Read the inotify events waiting on ino: each message renamed into
 * incoming/ goes on the work list. false if events were lost (the
 * kernel's queue overflowed, or the list was full): scan instead. */
static bool
read_events(struct qmgr_run *run, int ino)
{
	char buf[8192] __attribute__((aligned(__alignof__(
	    struct inotify_event))));
	bool complete = true;
	ssize_t n;

	while ((n = read(ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;
			char id[QUEUE_ID_MAX];

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				complete = false;
				continue;
			}
			if (ev->len == 0 || queue_name_classify(ev->name, id) !=
			    QUEUE_NAME_MESSAGE)
				continue;
			if (qmgr_work_add(run->work, QUEUE_INCOMING, id) ==
			    QMGR_WORK_FULL)
				complete = false;
		}
	}
	return complete;
}

static int
watch_incoming(struct queue *q, struct pool *pool)
{
	int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	/* a commit renames its file into place (or links it: IN_CREATE) */
	if (ino != -1 && inotify_add_watch(ino, pool_printf(pool, "%s/%s",
	    q->root, queue_dir_name(QUEUE_INCOMING)),
	    IN_MOVED_TO | IN_CREATE) == -1) {
		close(ino);
		ino = -1;
	}
	if (ino == -1)
		log_warn_errno("inotify: falling back to polling");
	return ino;
}

/* Wait for new messages and scan when due, putting what is found on the
 * work list; close idle LMTP connections when due. Never returns. */
static void
dispatch(struct qmgr_run *run, int ino)
{
	struct qmgr *qm = run->qm;
	uint64_t last_scan = now_ms();

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = qmgr_work_fd(run->work), .events = POLLIN },
			{ .fd = ino, .events = POLLIN },
		};
		uint64_t t = now_ms(), wait, idle;
		bool rescan = ino == -1;

		wait = t - last_scan >= qm->scan_interval_ms ? 0 :
		    qm->scan_interval_ms - (t - last_scan);
		/* an LMTP connection made idle after this is closed by the
		 * next round at the latest */
		idle = lmtp_cache_expire(qm->route->lmtp_cache, t);
		if (idle == 0)
			idle = qm->delivery->lmtp_idle_timeout;
		if (idle < wait)
			wait = idle;
		if (ino == -1 && wait > 200)
			wait = 200;
		if (poll(pfd, ino == -1 ? 1 : 2, (int)wait) > 0) {
			if (pfd[0].revents & POLLIN) {
				qmgr_work_fd_clear(run->work);
				rescan = true;
			}
			if ((pfd[1].revents & POLLIN) &&
			    !read_events(run, ino))
				rescan = true;
		}
		t = now_ms();
		if (t - last_scan >= qm->scan_interval_ms) {
			/* also what an event could not name: a message
			 * released from hold/ while its id was still busy */
			scan_dir(run, QUEUE_INCOMING);
			scan_dir(run, QUEUE_DEFERRED);
			last_scan = t;
		} else if (rescan) {
			scan_dir(run, QUEUE_INCOMING);
		}
	}
}

void
qmgr_child_run(void *ctx)
{
	struct qmgr *qm = ctx;
	struct pool *pool = pool_new("qmgr");
	const char *err;
	struct queue *q = queue_open(qm->state_dir, &qm->qlim, pool, &err);
	const struct delivery_config *dc = qm->delivery;
	struct lmtp_peer lmtp = { .host = qm->lmtp_host,
		.port = qm->lmtp_port, .timeout_ms = qm->lmtp_timeout_ms,
		.helo = qm->hostname };
	struct lmtp_cache_settings lcs = {
		.max_connections = (size_t)dc->lmtp_max_connections,
		.max_per_dest = (size_t)dc->lmtp_max_per_destination,
		.idle_timeout_ms = dc->lmtp_idle_timeout,
		.max_messages = (size_t)dc->lmtp_max_messages_per_connection,
	};
	size_t nthreads = (size_t)dc->max_parallel_messages, started = 0;
	struct qmgr_route route;
	struct qmgr_run run = { .qm = qm };
	int ino;

	if (q == NULL)
		log_fatal("queue: %s", err);
	run.q = q;
	if (qmgr_route_init(&route, &lmtp, &lcs, qm->smtp, &qm->dcs, &qm->dns,
	    pool, &err) == -1)
		log_fatal("qmgr: DNS resolver: %s", err);
	qm->route = &route;
	qm->dir = route.dir;	/* the dispatching thread's */
	ino = watch_incoming(q, pool);
	run.work = qmgr_work_new(QMGR_WORK_WAITING_MAX);
	wait_lookup(qm);
	for (size_t i = 0; i < nthreads; i++) {
		pthread_t th;

		if (pthread_create(&th, NULL, delivery_thread, &run) != 0) {
			log_warn("event=thread-failed started=%zu", started);
			continue;
		}
		pthread_detach(th);
		started++;
	}
	if (started == 0)
		log_fatal("qmgr: no delivery thread could be started");
	log_info("event=qmgr-start lmtp=%s:%u inotify=%s threads=%zu"
	    " lmtp_max_connections=%zu smtp_max_connections=%zu",
	    qm->lmtp_host, qm->lmtp_port, ino != -1 ? "yes" : "no", started,
	    lcs.max_connections, qm->smtp->max_connections);
	scan_dir(&run, QUEUE_ACTIVE);	/* left there by a restart */
	scan_dir(&run, QUEUE_INCOMING);
	scan_dir(&run, QUEUE_DEFERRED);
	dispatch(&run, ino);
}
