/*
 * mtad/qmgr_prepare.c - before a message goes to the next hop: the loop
 * check (mtad/qmgr_loop.h) and expansion at delivery
 * (mtad/qmgr_expand.h). See mtad/qmgr_steps.h.
 *
 * Runs in the queue manager. The message header is hostile input, read
 * up to [mtad.delivery] loop_header_max bytes.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/pool.h"
#include "mtad/qmgr_expand.h"
#include "mtad/qmgr_loop.h"
#include "mtad/qmgr_steps.h"
#include "mtad/qmgr_submit.h"
#include "lib/banned.h"

static void
settle(size_t i, int code, const char *enh, const char *text,
    const char *relay_name, unsigned char *todo, unsigned char *settled,
    struct deliver_result *pre, const char **relay)
{
	todo[i] = 0;
	settled[i] = 1;
	pre[i].code = code;
	pre[i].enh = enh;
	pre[i].text = text;
	relay[i] = relay_name;
}

/* 554 5.4.6 for each recipient due that would loop. -1 if the header
 * cannot be read (every recipient due was settled 451). */
static int
check_loops(struct qmgr *qm, struct queue_msg *m, unsigned char *todo,
    unsigned char *settled, struct deliver_result *pre, const char **relay,
    struct pool *pool)
{
	bool check_dt = !(qmgr_origin(&m->env) & QMGR_ORIGIN_EXPANDED);
	struct qmgr_loop_info li;
	const char *err;
	uint8_t *h;
	size_t hlen;
	int fd = queue_msg_body_fd(m, &err), rc = -1;

	if (fd != -1) {
		rc = qmgr_loop_read_header(fd, (size_t)
		    qm->delivery->loop_header_max, pool, &h, &hlen, &err);
		close(fd);
	}
	if (rc == -1) {
		log_error("queue_id=%s event=header-read-failed error=\"%s\"",
		    m->id, err);
		for (size_t i = 0; i < m->env.nrcpts; i++)
			if (todo[i])
				settle(i, 451, "4.3.0", "Cannot read the"
				    " queued message", "-", todo, settled, pre,
				    relay);
		return -1;
	}
	qmgr_loop_scan(h, hlen, qm->max_received + 1, pool, &li);
	for (size_t i = 0; i < m->env.nrcpts; i++) {
		const char *why;

		if (!todo[i])
			continue;
		why = qmgr_loop_check(&li, qm->max_received,
		    m->env.rcpts[i].addr, check_dt);
		if (why != NULL)
			settle(i, 554, "5.4.6", why, "-", todo, settled, pre,
			    relay);
	}
	return 0;
}

static void
expand(struct qmgr *qm, struct queue *q, struct queue_msg *m,
    unsigned char *todo, unsigned char *settled, struct deliver_result *pre,
    const char **relay, struct pool *pool)
{
	struct qmgr_expand_limits lim = { .max_depth = qm->expand_max_depth,
		.max_targets = qm->expand_max_targets };
	struct qmgr_expansion x;
	char id[QUEUE_ID_MAX] = "";
	const char *err = NULL;
	size_t n = m->env.nrcpts;

	if (lim.max_targets > qm->qlim.rcpt_max)
		lim.max_targets = qm->qlim.rcpt_max;
	if (qmgr_expand(qm->dir, &m->env, todo, &lim, pool, &x) == -1) {
		log_warn("queue_id=%s event=expand-deferred reason=directory"
		    " error=\"%s\"", m->id, x.tempfail);
		for (size_t i = 0; i < n; i++)
			if (todo[i])
				settle(i, 451, "4.4.3", "Directory"
				    " unavailable during expansion", "-",
				    todo, settled, pre, relay);
		return;
	}
	if (x.identity)
		return;
	if (x.ntargets > 0 &&
	    qmgr_expand_commit(q, m, &x, qm->hostname, pool, id, &err) == -1) {
		log_error("queue_id=%s event=expand-commit-failed error=\"%s\"",
		    m->id, err);
		for (size_t i = 0; i < n; i++)
			if (todo[i])
				settle(i, 451, "4.3.0", "Cannot queue the"
				    " expanded message", "-", todo, settled,
				    pre, relay);
		return;
	}
	if (x.ntargets > 0)
		log_info("queue_id=%s event=expanded new_id=%s nrcpt=%zu",
		    m->id, id, x.ntargets);
	for (size_t i = 0; i < n; i++) {
		const struct qmgr_expand_rcpt *o = &x.rcpts[i];

		if (!todo[i])
			continue;
		if (o->code != 0)
			settle(i, o->code, o->enh, o->text, "-", todo,
			    settled, pre, relay);
		else
			settle(i, 250, "2.1.5", o->ntargets > 0 ?
			    pool_printf(pool, "Expanded into %s (%zu"
			    " recipients)", id, o->ntargets) : "Expanded"
			    " into no further recipients", "expand", todo,
			    settled, pre, relay);
	}
}

void
qmgr_prepare(struct qmgr *qm, struct queue *q, struct queue_msg *m,
    unsigned char *todo, unsigned char *settled, struct deliver_result *pre,
    const char **relay, struct pool *pool)
{
	bool any = false;

	if (check_loops(qm, m, todo, settled, pre, relay, pool) == -1)
		return;
	for (size_t i = 0; i < m->env.nrcpts; i++)
		any |= todo[i] != 0;
	if (!any || (qmgr_origin(&m->env) & QMGR_ORIGIN_EXPANDED))
		return;
	expand(qm, q, m, todo, settled, pre, relay, pool);
}
