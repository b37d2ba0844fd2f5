/*
 * mtad/qmgr_route.c - routing of one message's due recipients: local
 * domains by LMTP, remote ones by SMTP in groups per next hop, the groups
 * run by delivery threads within the connection limits.
 *
 * Runs in a delivery thread of the qmgr child, one per message being
 * delivered. That thread classifies, opens each job's body descriptor and
 * runs the LMTP delivery (over the shared connection cache) while the SMTP
 * jobs run in up to max_connections threads of their own; a job starts
 * only when its next hop has a free slot in the slots shared by every
 * message (mtad/qmgr_slots.h), so the limits hold across messages. Each
 * job has its own pool, and results are copied into the message's pool
 * once every thread is joined, so no pool is shared between threads.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/pool.h"
#include "lib/smtp.h"
#include "lib/smtp_addr.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mtad/qmgr_route.h"
#include "mtad/qmgr_slots.h"
#include "mtad/queue.h"
#include "mtad/smtp_client.h"
#include "lib/banned.h"

int
qmgr_route_init(struct qmgr_route *rt, const struct lmtp_peer *lmtp,
    const struct lmtp_cache_settings *lcs,
    const struct smtp_client_settings *smtp,
    const struct dir_client_settings *dcs, const struct dns_settings *dns,
    struct pool *pool, const char **err_out)
{
	memset(rt, 0, sizeof(*rt));
	rt->lmtp = *lmtp;
	rt->smtp = smtp;
	rt->dns = dns_resolver_new(dns, pool, err_out);
	if (rt->dns == NULL)
		return -1;
	rt->dir = dir_client_new(dcs);
	rt->lmtp_cache = lmtp_cache_new(lcs);
	rt->smtp_slots = qmgr_slots_new(smtp->max_connections,
	    smtp->max_per_destination);
	return 0;
}

void
qmgr_route_deinit(struct qmgr_route *rt)
{
	lmtp_cache_free(&rt->lmtp_cache);
	qmgr_slots_free(&rt->smtp_slots);
	dir_client_free(&rt->dir);
	dns_resolver_free(&rt->dns);
}

/* Where recipients go. */
enum route_kind { ROUTE_DONE, ROUTE_LMTP, ROUTE_SMTP };

/* One recipient domain of the message, looked up once. */
struct dom {
	const char *name;		/* as in the address */
	const char *ascii;		/* A-labels, lower case (the key) */
	enum route_kind kind;
	size_t dest;			/* SMTP: index of its next hop */
};

/* One SMTP connection's work. */
struct job {
	struct smtp_client_job cj;
	unsigned char *todo;
	size_t dest;
	bool started;
};

/* The SMTP jobs of one message; the started flags are guarded by the
 * slot mutex, shared with every other message's jobs. */
struct sched {
	struct qmgr_slots *slots;
	struct job *jobs;
	size_t njobs;
};

/* The next job whose next hop has a free connection slot (taken),
 * marked started; NULL when every job has started. Called with the slot
 * mutex held; waits while jobs remain but none has room. */
static struct job *
next_job(struct sched *s)
{
	for (;;) {
		bool left = false;

		for (size_t i = 0; i < s->njobs; i++) {
			struct job *j = &s->jobs[i];

			if (j->started)
				continue;
			left = true;
			if (qmgr_slots_try_locked(s->slots, j->cj.nexthop)) {
				j->started = true;
				return j;
			}
		}
		if (!left)
			return NULL;
		qmgr_slots_wait_locked(s->slots);
	}
}

static void *
worker(void *arg)
{
	struct sched *s = arg;
	struct job *j;

	qmgr_slots_lock(s->slots);
	while ((j = next_job(s)) != NULL) {
		qmgr_slots_unlock(s->slots);
		smtp_client_deliver(&j->cj);
		qmgr_slots_lock(s->slots);
		qmgr_slots_release_locked(s->slots, j->cj.nexthop);
	}
	qmgr_slots_unlock(s->slots);
	return NULL;
}

static void
set_res(struct deliver_result *r, int code, const char *enh,
    const char *text)
{
	r->code = code;
	r->enh = enh;
	r->text = text;
	r->relay = "none";
}

/* The domain of recipient addr (which has an '@') in doms, adding it
 * when new; NULL when the domain is not valid (res set). */
static struct dom *
classify(struct qmgr_route *rt, const char *addr, struct dom *doms,
    size_t *ndoms, struct deliver_result *res, struct pool *pool)
{
	const char *dom = strrchr(addr, '@') + 1, *why;
	struct smtp_limits lim;
	struct dir_info info;
	struct dom *d;
	char *ascii;
	enum dir_result r;

	for (size_t i = 0; i < *ndoms; i++)
		if (strcmp(doms[i].name, dom) == 0)
			return &doms[i];
	smtp_limits_default(&lim);
	if (dom[0] == '[') {
		if (smtp_addr_literal_check(dom, strlen(dom)) == -1)
			goto bad;
		ascii = pool_strdup(pool, dom);
	} else if (smtp_domain_check(pool, dom, strlen(dom), &lim, true,
	    &ascii, &why) == -1) {
		goto bad;
	}
	d = &doms[(*ndoms)++];
	d->name = dom;
	d->ascii = ascii;
	memset(&info, 0, sizeof(info));
	r = ascii[0] == '[' ? DIR_NOTFOUND : dir_client_domain_accepted(rt->dir,
	    ascii, pool, &info);
	if (r == DIR_TEMPFAIL) {
		log_warn("event=route-tempfail domain=%s error=\"%s\"", ascii,
		    info.error != NULL ? info.error : "?");
		d->kind = ROUTE_DONE;
	} else {
		d->kind = r == DIR_FOUND ? ROUTE_LMTP : ROUTE_SMTP;
	}
	return d;
bad:
	set_res(res, 553, "5.1.2", "recipient domain is not valid");
	return NULL;
}

/* Split the SMTP recipients into jobs per next hop and chunk; returns
 * how many. */
static size_t
make_jobs(struct qmgr_route *rt, const struct queue_msg *m,
    struct dom *const *dom_of, size_t ndest, const char *const *hop,
    struct deliver_result *res, struct job *jobs)
{
	size_t n = m->env.nrcpts, njobs = 0;

	for (size_t d = 0; d < ndest; d++) {
		struct job *cur = NULL;
		size_t in_cur = 0;

		for (size_t i = 0; i < n; i++) {
			if (dom_of[i] == NULL || dom_of[i]->kind !=
			    ROUTE_SMTP || dom_of[i]->dest != d)
				continue;
			if (cur == NULL ||
			    in_cur >= rt->smtp->max_rcpts_per_connection) {
				cur = &jobs[njobs++];
				cur->todo = xcalloc(n + 1, 1);
				cur->dest = d;
				cur->cj.set = rt->smtp;
				cur->cj.dns = rt->dns;
				cur->cj.nexthop = hop[d];
				cur->cj.relay = rt->smtp->relayhost != NULL;
				cur->cj.env = &m->env;
				cur->cj.todo = cur->todo;
				cur->cj.res = res;
				cur->cj.pool = pool_new("smtp-job");
				cur->cj.body_fd = -1;
				in_cur = 0;
			}
			cur->todo[i] = 1;
			in_cur++;
		}
	}
	return njobs;
}

/* The delivery threads of one message. */
struct runner {
	struct sched s;
	pthread_t *th;
	size_t started;
};

static void
run_start(struct runner *ru, struct qmgr_route *rt, struct job *jobs,
    size_t njobs)
{
	size_t nthreads = njobs < rt->smtp->max_connections ? njobs :
	    rt->smtp->max_connections;

	memset(ru, 0, sizeof(*ru));
	ru->s.slots = rt->smtp_slots;
	ru->s.jobs = jobs;
	ru->s.njobs = njobs;
	ru->th = xcalloc(nthreads + 1, sizeof(*ru->th));
	for (size_t i = 0; i < nthreads; i++)
		if (pthread_create(&ru->th[ru->started], NULL, worker,
		    &ru->s) == 0)
			ru->started++;
		else
			log_warn("event=thread-failed jobs=%zu", njobs);
}

static void
run_join(struct runner *ru)
{
	if (ru->started == 0)
		worker(&ru->s);	/* no thread could be made: do it here */
	for (size_t i = 0; i < ru->started; i++)
		pthread_join(ru->th[i], NULL);
	free(ru->th);
}

/* The next hop of each SMTP domain (the relayhost, if set, for all). */
static size_t
assign_hops(struct qmgr_route *rt, struct dom *doms, size_t ndoms,
    const char **hop)
{
	size_t ndest = 0;

	for (size_t i = 0; i < ndoms; i++) {
		const char *h = rt->smtp->relayhost != NULL ?
		    rt->smtp->relayhost : doms[i].ascii;
		size_t k;

		if (doms[i].kind != ROUTE_SMTP)
			continue;
		for (k = 0; k < ndest && strcmp(hop[k], h) != 0; k++)
			;
		if (k == ndest)
			hop[ndest++] = h;
		doms[i].dest = k;
	}
	return ndest;
}

/* The LMTP host of local recipient addr: its entry's mail host, or NULL
 * for the configured one (no mail host, our own name, no entry: that
 * accessd answers for it). 451 4.3.0 in *res and "" when the directory
 * does not answer. */
static const char *
mail_host_of(struct qmgr_route *rt, const char *addr,
    struct deliver_result *res, struct pool *pool)
{
	struct dir_entry *e = NULL;
	struct dir_info info = { 0 };

	if (strchr(addr, '@') == NULL)		/* "postmaster" */
		return NULL;
	switch (dir_client_lookup_address(rt->dir, addr, pool, &e, &info)) {
	case DIR_FOUND:
		if (e->mail_host == NULL || e->mail_host[0] == '\0' ||
		    (rt->lmtp.helo != NULL && str_eq_ci(e->mail_host,
		    rt->lmtp.helo)))
			return NULL;
		return e->mail_host;
	case DIR_NOTFOUND:
		return NULL;
	default:
		set_res(res, 451, "4.3.0", pool_printf(pool, "directory "
		    "unavailable for %s: %s", addr, info.error != NULL ?
		    info.error : "no answer"));
		return "";
	}
}

/* Local recipients by LMTP, one transaction per mail host: the
 * recipient's entry names it (mailHost), else [mtad] lmtp_host. */
static void
deliver_local(struct qmgr_route *rt, const struct queue_msg *m,
    const char *xqid, const unsigned char *lmtp_todo,
    struct deliver_result *res, struct pool *pool)
{
	size_t n = m->env.nrcpts;
	const char **host = pool_alloc(pool, (n + 1) * sizeof(*host));
	unsigned char *group = pool_alloc(pool, n + 1);
	unsigned char *done = pool_alloc(pool, n + 1);
	struct deliver_result *lr = pool_alloc(pool, (n + 1) * sizeof(*lr));

	for (size_t i = 0; i < n; i++) {
		done[i] = !lmtp_todo[i];
		if (lmtp_todo[i]) {
			host[i] = mail_host_of(rt, m->env.rcpts[i].addr,
			    &res[i], pool);
			if (host[i] != NULL && host[i][0] == '\0')
				done[i] = 1;	/* deferred: no directory */
		}
	}
	for (size_t first = 0; first < n; first++) {
		struct lmtp_peer peer = rt->lmtp;

		if (done[first])
			continue;
		if (host[first] != NULL)
			peer.host = host[first];
		for (size_t i = first; i < n; i++) {
			group[i] = !done[i] && (host[i] == host[first] ||
			    (host[i] != NULL && host[first] != NULL &&
			    str_eq_ci(host[i], host[first])));
			if (group[i])
				done[i] = 1;
		}
		for (size_t i = 0; i < first; i++)
			group[i] = 0;
		lmtp_deliver(rt->lmtp_cache, &peer, xqid, m, group, lr, pool);
		for (size_t i = first; i < n; i++)
			if (group[i])
				res[i] = lr[i];
	}
}

void
qmgr_route_deliver(struct qmgr_route *rt, const struct queue_msg *m,
    const char *xqid, const unsigned char *todo, struct deliver_result *res,
    struct pool *pool)
{
	size_t n = m->env.nrcpts, ndoms = 0, ndest, njobs = 0;
	struct dom *doms = pool_alloc(pool, (n + 1) * sizeof(*doms));
	struct dom **dom_of = pool_alloc(pool, (n + 1) * sizeof(*dom_of));
	const char **hop = pool_alloc(pool, (n + 1) * sizeof(*hop));
	unsigned char *lmtp_todo = pool_alloc(pool, n + 1);
	struct job *jobs = pool_alloc(pool, (n + 1) * sizeof(*jobs));
	bool any_lmtp = false;
	struct runner ru;

	for (size_t i = 0; i < n; i++) {
		const char *addr = m->env.rcpts[i].addr;

		if (!todo[i])
			continue;
		if (strchr(addr, '@') == NULL) {	/* "postmaster" */
			lmtp_todo[i] = 1;
			any_lmtp = true;
			continue;
		}
		dom_of[i] = classify(rt, addr, doms, &ndoms, &res[i], pool);
		if (dom_of[i] == NULL)
			continue;
		if (dom_of[i]->kind == ROUTE_DONE) {
			set_res(&res[i], 451, "4.3.0", pool_printf(pool,
			    "directory unavailable for domain %s",
			    dom_of[i]->ascii));
		} else if (dom_of[i]->kind == ROUTE_LMTP) {
			lmtp_todo[i] = 1;
			any_lmtp = true;
		}
	}
	ndest = assign_hops(rt, doms, ndoms, hop);
	if (ndest > 0)
		njobs = make_jobs(rt, m, dom_of, ndest, hop, res, jobs);
	for (size_t k = 0; k < njobs; k++) {
		const char *err;

		jobs[k].cj.body_fd = queue_msg_body_fd(m, &err);
		if (jobs[k].cj.body_fd == -1) {
			for (size_t i = 0; i < n; i++)
				if (jobs[k].todo[i])
					set_res(&res[i], 451, "4.3.0", err);
			jobs[k].started = true;		/* skipped */
		}
	}
	/* SMTP in the threads, LMTP here meanwhile */
	if (njobs > 0)
		run_start(&ru, rt, jobs, njobs);
	if (any_lmtp)
		deliver_local(rt, m, xqid, lmtp_todo, res, pool);
	if (njobs > 0)
		run_join(&ru);
	for (size_t k = 0; k < njobs; k++) {
		/* the strings move to the message's pool before the job's
		 * pool goes */
		for (size_t i = 0; i < n; i++) {
			struct deliver_result *r = &res[i];

			if (!jobs[k].todo[i] || jobs[k].cj.body_fd == -1)
				continue;
			r->enh = pool_strdup(pool, r->enh);
			r->text = pool_strdup(pool, r->text);
			r->relay = pool_strdup(pool, r->relay);
		}
		if (jobs[k].cj.body_fd != -1)
			close(jobs[k].cj.body_fd);
		pool_free(&jobs[k].cj.pool);
		free(jobs[k].todo);
	}
}
