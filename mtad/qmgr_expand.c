/*
 * mtad/qmgr_expand.c - aliases, groups and forwarding followed at
 * delivery time (see mtad/qmgr_expand.h).
 *
 * Runs in the queue manager; asks the lookup process (dir_client), so no
 * directory credential is held here. Addresses come from the envelope
 * and from directory values; both are only compared and passed on.
 */
#include "config.h"

#include <string.h>
#include <time.h>
#include <strings.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "directory/dir_client.h"
#include "mtad/qmgr_expand.h"
#include "mtad/qmgr_submit.h"
#include "lib/banned.h"

/* State of one expansion: shared by every recipient of the message. */
struct walk {
	struct dir_client *dc;
	struct pool *pool;
	const struct qmgr_expand_limits *lim;
	const char *id;			/* queue id, for the logs */
	const char **seen;		/* entry DNs entered */
	size_t nseen, seen_cap;
	const char **path;		/* DNs on the current path */
	size_t npath;
	struct qmgr_target *targets;
	size_t ntargets, targets_cap;
	size_t parent;			/* recipient being expanded */
	bool loop, too_deep, too_many, forwarded;
	const char *tempfail;
};

static bool
in_list(const char *const *list, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(list[i], key) == 0)
			return true;
	return false;
}

static void
push(const char ***arr, size_t *n, size_t *cap, const char *s,
    struct pool *pool)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		const char **a = pool_alloc(pool, ncap * sizeof(*a));

		if (*n > 0)
			memcpy(a, *arr, *n * sizeof(*a));
		*arr = a;
		*cap = ncap;
	}
	(*arr)[(*n)++] = s;
}

static void
add_target(struct walk *w, const char *addr)
{
	for (size_t i = 0; i < w->ntargets; i++)
		if (strcasecmp(w->targets[i].addr, addr) == 0)
			return;		/* reachable several ways: once */
	if (w->ntargets >= w->lim->max_targets) {
		w->too_many = true;
		return;
	}
	if (w->ntargets == w->targets_cap) {
		size_t ncap = w->targets_cap ? w->targets_cap * 2 : 16;
		struct qmgr_target *t = pool_alloc(w->pool,
		    ncap * sizeof(*t));

		if (w->ntargets > 0)
			memcpy(t, w->targets, w->ntargets * sizeof(*t));
		w->targets = t;
		w->targets_cap = ncap;
	}
	w->targets[w->ntargets].addr = pool_strdup(w->pool, addr);
	w->targets[w->ntargets].parent = w->parent;
	w->ntargets++;
}

static int visit_addr(struct walk *w, const char *addr, unsigned depth);

/* Follow entry e (found for addr; addr NULL for a group member) at
 * depth. 0, or -1 on a directory failure. */
static int
visit_entry(struct walk *w, const struct dir_entry *e, const char *addr,
    unsigned depth)
{
	size_t saved_path = w->npath;
	struct dir_entry **members;
	struct dir_info info = { 0 };
	size_t nm;
	int rc = 0;

	if (in_list(w->path, w->npath, e->dn)) {
		w->loop = true;
		return 0;
	}
	if (in_list(w->seen, w->nseen, e->dn))
		return 0;		/* deduplicated */
	push(&w->seen, &w->nseen, &w->seen_cap, e->dn, w->pool);
	if (depth > 0 && e->kind == DIR_KIND_USER &&
	    e->state == DIR_STATE_DISABLED) {
		log_info("queue_id=%s event=expand-skip entry=%s"
		    " reason=disabled", w->id, e->dn);
		return 0;
	}
	w->path[w->npath++] = e->dn;
	switch (e->kind) {
	case DIR_KIND_USER:
		if (e->n_forward_to > 0) {
			w->forwarded = true;
			for (size_t i = 0; rc == 0 && i < e->n_forward_to; i++)
				rc = visit_addr(w, e->forward_to[i], depth + 1);
			if (e->forward_keep_copy && e->address != NULL)
				add_target(w, depth == 0 && addr != NULL ?
				    addr : e->address);
		} else if (depth == 0 && addr != NULL)
			add_target(w, addr);
		else if (e->address != NULL)
			add_target(w, e->address);
		break;
	case DIR_KIND_CONTACT:
		if (e->address != NULL)
			add_target(w, e->address);
		break;
	case DIR_KIND_ALIAS:
		for (size_t i = 0; rc == 0 && i < e->n_targets; i++)
			rc = visit_addr(w, e->targets[i], depth + 1);
		break;
	case DIR_KIND_GROUP:
		if (depth + 1 >= w->lim->max_depth) {
			w->too_deep = true;
			break;
		}
		if (dir_client_group_members(w->dc, e, w->pool, &members, &nm,
		    &info) == DIR_TEMPFAIL) {
			w->tempfail = info.error != NULL ? info.error :
			    "group members: directory unavailable";
			rc = -1;
			break;
		}
		for (size_t i = 0; rc == 0 && i < nm; i++)
			rc = visit_entry(w, members[i], NULL, depth + 1);
		break;
	}
	w->npath = saved_path;
	return rc;
}

static int
visit_addr(struct walk *w, const char *addr, unsigned depth)
{
	struct dir_info info = { 0 };
	struct dir_entry *e = NULL;
	enum dir_result r;

	if (depth >= w->lim->max_depth) {
		w->too_deep = true;
		return 0;
	}
	r = dir_client_lookup_address(w->dc, addr, w->pool, &e, &info);
	if (r == DIR_TEMPFAIL) {
		w->tempfail = info.error != NULL ? info.error :
		    "directory unavailable";
		return -1;
	}
	if (r == DIR_NOTFOUND) {
		/* not ours to expand: a remote address, or one the next
		 * hop refuses */
		add_target(w, addr);
		return 0;
	}
	return visit_entry(w, e, addr, depth);
}

/* Expand recipient i; fill its outcome. 0, or -1 (tempfail). */
static int
expand_one(struct walk *w, const struct queue_rcpt *r,
    struct qmgr_expand_rcpt *o)
{
	size_t t0 = w->ntargets, s0 = w->nseen;

	w->loop = w->too_deep = w->too_many = w->forwarded = false;
	w->npath = 0;
	if (visit_addr(w, r->addr, 0) == -1)
		return -1;
	o->forwarded = w->forwarded;
	o->ntargets = w->ntargets - t0;
	if (w->too_deep || w->too_many || (w->loop && o->ntargets == 0)) {
		o->code = w->too_many ? 550 : 554;
		o->enh = w->too_many ? "5.5.3" : "5.4.6";
		o->text = w->too_many ? pool_printf(w->pool, "Expansion"
		    " exceeds %zu recipients", w->lim->max_targets) :
		    w->too_deep ? pool_printf(w->pool, "Alias, group or"
		    " forwarding expansion deeper than %u levels",
		    w->lim->max_depth) : "Alias or forwarding loop";
		/* its partial result goes: targets and marks */
		w->ntargets = t0;
		w->nseen = s0;
		o->ntargets = 0;
		log_info("queue_id=%s event=expand-failed rcpt=%s dsn=%s"
		    " reason=\"%s\"", w->id, r->addr, o->enh, o->text);
	}
	return 0;
}

int
qmgr_expand(struct dir_client *dc, const struct queue_env *env,
    const unsigned char *todo, const struct qmgr_expand_limits *lim,
    struct pool *pool, struct qmgr_expansion *out)
{
	struct walk w = { .dc = dc, .pool = pool, .lim = lim, .id = env->id };

	memset(out, 0, sizeof(*out));
	out->rcpts = pool_alloc(pool, (env->nrcpts + 1) * sizeof(*out->rcpts));
	w.path = pool_alloc(pool, (lim->max_depth + 1) * sizeof(*w.path));
	out->identity = true;
	for (size_t i = 0; i < env->nrcpts; i++) {
		struct qmgr_expand_rcpt *o = &out->rcpts[i];
		size_t t0 = w.ntargets;

		if (!todo[i])
			continue;
		w.parent = i;
		if (expand_one(&w, &env->rcpts[i], o) == -1) {
			out->tempfail = w.tempfail;
			return -1;
		}
		if (o->code != 0 || o->ntargets != 1 || strcasecmp(
		    w.targets[t0].addr, env->rcpts[i].addr) != 0)
			out->identity = false;
	}
	out->targets = w.targets;
	out->ntargets = w.ntargets;
	return 0;
}

/* The expanded message's envelope: env's, with the final recipients. */
static void
expanded_env(const struct queue_env *env, const struct qmgr_expansion *x,
    struct pool *pool, struct queue_env *out)
{
	*out = *env;
	memset(out->id, 0, sizeof(out->id));
	out->size = 0;
	qmgr_origin_set(out, qmgr_origin(env) | QMGR_ORIGIN_EXPANDED, pool);
	out->rcpts = pool_alloc(pool, x->ntargets * sizeof(*out->rcpts));
	out->nrcpts = x->ntargets;
	for (size_t i = 0; i < x->ntargets; i++) {
		const struct queue_rcpt *p = &env->rcpts[x->targets[i].parent];
		struct queue_rcpt *r = &out->rcpts[i];

		r->addr = (char *)x->targets[i].addr;
		r->orcpt = p->orcpt[0] != '\0' ? p->orcpt :
		    pool_printf(pool, "rfc822;%s", p->addr);
		r->notify = p->notify;
		r->state = QUEUE_RCPT_PENDING;
		r->reply = "";
	}
}

int
qmgr_expand_commit(struct queue *q, const struct queue_msg *m,
    const struct qmgr_expansion *x, const char *hostname, struct pool *pool,
    char id_out[QUEUE_ID_MAX], const char **err_out)
{
	struct queue_env env;
	struct queue_writer *w;
	struct buf *hdr = buf_new(256, 1024 * 1024);
	uint64_t copied;
	int fd, rc = -1;

	expanded_env(&m->env, x, pool, &env);
	w = queue_writer_new(q, &env, pool, err_out);
	if (w == NULL) {
		buf_free(&hdr);
		return -1;
	}
	qmgr_submit_received(hdr, hostname, queue_writer_id(w),
	    pool_printf(pool, "expanded from %s", m->id));
	for (size_t i = 0; i < m->env.nrcpts; i++)
		if (x->rcpts[i].forwarded && buf_printf(hdr, "Delivered-To:"
		    " %s\r\n", m->env.rcpts[i].addr) == -1) {
			*err_out = "too many Delivered-To: lines";
			queue_writer_abort(&w);
			buf_free(&hdr);
			return -1;
		}
	fd = queue_msg_body_fd(m, err_out);
	if (fd != -1 && queue_writer_write(w, hdr->data, hdr->len,
	    err_out) == 0 && qmgr_submit_copy(w, fd, m->env.size, &copied,
	    pool, err_out) == 0) {
		if (copied != m->env.size) {
			*err_out = "queued message shorter than its envelope";
			queue_writer_abort(&w);
		} else if (queue_writer_commit(&w, &env, err_out) == 0) {
			memcpy(id_out, env.id, QUEUE_ID_MAX);
			rc = 0;
		}
	} else
		queue_writer_abort(&w);
	if (fd != -1)
		close(fd);
	buf_free(&hdr);
	return rc;
}
