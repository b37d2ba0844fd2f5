/*
 * directory/dir_group.c - recursive group expansion.
 *
 * Two ways, chosen by the profile: "walk" reads the group and then each
 * member DN with a base-scope search, breadth first, remembering every DN
 * seen (so a loop of groups terminates and a user in two nested groups
 * counts once); "in_chain" asks Active Directory for every user and
 * contact below the group in one search with LDAP_MATCHING_RULE_IN_CHAIN.
 * Group data is the administrator's, but a runaway nesting or a huge list
 * must not pin a connection: depth and size are bounded, and crossing a
 * bound is TEMPFAIL with the reason, never a silently cut member list.
 */
#include "config.h"

#include <ldap.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "directory/dir_int.h"
#include "lib/banned.h"

/* An open-addressing set of DN keys (strings owned by a pool). */
struct dnset {
	const char **slot;
	size_t cap, n;		/* cap: power of two */
};

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Add key; false if it was already there. */
static bool
dnset_add(struct dnset *s, const char *key)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct dnset bigger = { .cap = s->cap != 0 ? s->cap * 2 : 64 };

		bigger.slot = xcalloc(bigger.cap, sizeof(*bigger.slot));
		for (size_t j = 0; j < s->cap; j++)
			if (s->slot[j] != NULL)
				(void)dnset_add(&bigger, s->slot[j]);
		free(s->slot);
		*s = bigger;
	}
	for (i = str_hash(key) & (s->cap - 1); s->slot[i] != NULL;
	    i = (i + 1) & (s->cap - 1))
		if (strcmp(s->slot[i], key) == 0)
			return false;
	s->slot[i] = key;
	s->n++;
	return true;
}

struct walk_item {
	const char *dn;
	unsigned depth;
};

struct walk {
	struct dir *d;
	struct dir_op *op;
	struct pool *pool, *tmp;
	struct dir_conn *c;
	struct dnset seen;
	struct walk_item *queue;
	size_t head, tail, qcap;
	struct dir_entry **members;
	size_t n_members, mcap;
};

static void
walk_push(struct walk *w, const char *dn, unsigned depth)
{
	if (w->tail == w->qcap) {
		w->qcap = w->qcap != 0 ? w->qcap * 2 : 32;
		w->queue = xreallocarray(w->queue, w->qcap, sizeof(*w->queue));
	}
	w->queue[w->tail].dn = dn;
	w->queue[w->tail].depth = depth;
	w->tail++;
}

static void
members_add(struct dir_entry ***list, size_t *n, size_t *cap,
    struct dir_entry *e)
{
	if (*n + 1 >= *cap) {
		*cap = *cap != 0 ? *cap * 2 : 32;
		*list = xreallocarray(*list, *cap, sizeof(**list));
	}
	(*list)[(*n)++] = e;
	(*list)[*n] = NULL;
}

static bool
msg_is_group(const struct dir *d, LDAP *ld, LDAPMessage *m, struct pool *pool)
{
	size_t n;
	char **cls;

	if (d->prof->class_group == NULL)
		return false;
	cls = dir_values(ld, m, "objectClass", pool, &n);
	for (size_t i = 0; i < n; i++)
		if (str_eq_ci(cls[i], d->prof->class_group))
			return true;
	return false;
}

/* Expand one group entry's member values into the queue. */
static enum dir_result
walk_group(struct walk *w, LDAPMessage *m, const struct walk_item *it)
{
	struct dir *d = w->d;
	size_t n;
	char **vals = dir_values(w->c->ld, m, d->prof->attr_member, w->tmp, &n);

	if (vals == NULL)
		return DIR_FOUND;
	if (it->depth >= d->group_max_depth) {
		w->op->error = pool_printf(w->op->pool, "%s: group nesting "
		    "deeper than %u levels at %s", w->op->server,
		    d->group_max_depth, it->dn);
		return DIR_TEMPFAIL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!dnset_add(&w->seen, dir_dn_key(vals[i], w->tmp)))
			continue;
		/* groups count too, so a tree of empty groups is bounded */
		if (w->seen.n > 2 * d->group_max_members + 1) {
			w->op->error = pool_printf(w->op->pool, "%s: group %s "
			    "reaches more than %zu entries", w->op->server,
			    w->queue[0].dn, 2 * d->group_max_members);
			return DIR_TEMPFAIL;
		}
		walk_push(w, vals[i], it->depth + 1);
	}
	return DIR_FOUND;
}

/* Read one queued DN: a group is expanded, anything else is a member. */
static enum dir_result
walk_one(struct walk *w, const struct walk_item *it)
{
	struct dir *d = w->d;
	LDAPMessage *res = NULL, *m;
	struct dir_entry *e;
	enum dir_result r = DIR_FOUND;
	int rc;

	if (dir_conn_search(d->conns, w->c, w->op, it->dn, LDAP_SCOPE_BASE,
	    "(objectClass=*)", d->prof->entry_attrs, 0,
	    DIR_CONN_NOSUCHOBJECT_OK, &res, &rc) == -1)
		return DIR_TEMPFAIL;
	m = res != NULL ? ldap_first_entry(w->c->ld, res) : NULL;
	if (m == NULL) {
		/* a member DN that no longer exists is skipped; the group
		 * itself gone is NOTFOUND */
		r = it->depth == 0 ? DIR_NOTFOUND : DIR_FOUND;
	} else if (msg_is_group(d, w->c->ld, m, w->tmp)) {
		r = walk_group(w, m, it);
	} else if (it->depth == 0) {
		r = DIR_NOTFOUND;	/* not a group */
	} else if ((e = dir_entry_from_ldap(d, w->c->ld, m, w->pool)) != NULL) {
		if (w->n_members == d->group_max_members) {
			w->op->error = pool_printf(w->op->pool, "%s: group %s "
			    "has more than %zu members", w->op->server,
			    w->queue[0].dn, d->group_max_members);
			r = DIR_TEMPFAIL;
		} else {
			members_add(&w->members, &w->n_members, &w->mcap, e);
		}
	}
	ldap_msgfree(res);
	return r;
}

static enum dir_result
expand_walk(struct dir *d, struct dir_op *op, const char *group_dn,
    struct pool *pool, struct dir_entry ***out, size_t *n_out)
{
	struct walk w = { .d = d, .op = op, .pool = pool };
	enum dir_result r = DIR_FOUND;

	if ((w.c = dir_conn_borrow(d->conns, op)) == NULL)
		return DIR_TEMPFAIL;
	w.tmp = pool_new("dir_group_walk");
	(void)dnset_add(&w.seen, dir_dn_key(group_dn, w.tmp));
	walk_push(&w, group_dn, 0);
	while (r == DIR_FOUND && w.head < w.tail) {
		struct walk_item it = w.queue[w.head++];

		r = walk_one(&w, &it);
	}
	dir_conn_return(d->conns, &w.c);
	if (r == DIR_FOUND) {
		*out = pool_alloc(pool, (w.n_members + 1) * sizeof(**out));
		for (size_t i = 0; i < w.n_members; i++)
			(*out)[i] = w.members[i];
		*n_out = w.n_members;
	}
	free(w.members);
	free(w.queue);
	free(w.seen.slot);
	pool_free(&w.tmp);
	return r;
}

static enum dir_result
expand_in_chain(struct dir *d, struct dir_op *op, const char *group_dn,
    struct pool *pool, struct dir_entry ***out, size_t *n_out)
{
	struct buf *filter = buf_new(256, DIR_FILTER_MAX);
	struct dir_conn *c = NULL;
	LDAPMessage *res = NULL;
	enum dir_result r = DIR_TEMPFAIL;
	struct dir_entry **list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	int limit = d->group_max_members >= (size_t)INT32_MAX ? 0 :
	    (int)d->group_max_members + 1;

	if (dir_filter_build(d->prof->filter_group_members, group_dn, filter,
	    op) == -1 || (c = dir_conn_borrow(d->conns, op)) == NULL ||
	    dir_conn_search(d->conns, c, op, d->user_base_dn,
	    LDAP_SCOPE_SUBTREE, buf_cstr(filter), d->prof->entry_attrs, limit,
	    DIR_CONN_SIZELIMIT_OK, &res, &rc) == -1)
		goto out;
	if (rc == LDAP_SIZELIMIT_EXCEEDED ||
	    (size_t)ldap_count_entries(c->ld, res) > d->group_max_members) {
		op->error = pool_printf(op->pool, "%s: group %s has more than "
		    "%zu members", op->server, group_dn, d->group_max_members);
		goto out;
	}
	for (LDAPMessage *m = ldap_first_entry(c->ld, res); m != NULL;
	    m = ldap_next_entry(c->ld, m)) {
		struct dir_entry *e = dir_entry_from_ldap(d, c->ld, m, pool);

		if (e != NULL && e->kind != DIR_KIND_GROUP)
			members_add(&list, &n, &cap, e);
	}
	*out = pool_alloc(pool, (n + 1) * sizeof(**out));
	for (size_t i = 0; i < n; i++)
		(*out)[i] = list[i];
	*n_out = n;
	r = DIR_FOUND;
out:
	free(list);
	ldap_msgfree(res);
	dir_conn_return(d->conns, &c);
	buf_free(&filter);
	return r;
}

enum dir_result
dir_group_members(struct dir *d, const struct dir_entry *group,
    struct pool *pool, struct dir_entry ***members_out, size_t *n_out,
    struct dir_info *info)
{
	struct dir_op op;
	struct dir_cache_value cv;
	struct dir_entry **list = NULL;
	size_t n = 0;
	enum dir_result r;

	dir_op_begin(&op, pool);
	*members_out = NULL;
	*n_out = 0;
	if (group == NULL || group->kind != DIR_KIND_GROUP || group->dn == NULL)
		return dir_op_end(d, &op, info, DIR_NOTFOUND, false);
	if (dir_cache_get(d->cache, DIR_CACHE_MEMBERS, group->dn, pool, &cv)) {
		op.server = cv.server;
		if (cv.result == DIR_FOUND) {
			*members_out = cv.entries;
			*n_out = cv.n_entries;
		}
		return dir_op_end(d, &op, info, cv.result, true);
	}
	if (d->prof->group_mode == DIR_GROUP_IN_CHAIN)
		r = expand_in_chain(d, &op, group->dn, pool, &list, &n);
	else
		r = expand_walk(d, &op, group->dn, pool, &list, &n);
	if (r != DIR_TEMPFAIL) {
		memset(&cv, 0, sizeof(cv));
		cv.result = r;
		cv.server = op.server;
		cv.entries = list;
		cv.n_entries = n;
		dir_cache_put(d->cache, DIR_CACHE_MEMBERS, group->dn, &cv);
	}
	if (r == DIR_FOUND) {
		*members_out = list;
		*n_out = n;
	}
	return dir_op_end(d, &op, info, r, false);
}

/* info of a call made of two calls. */
static void
info_merge(struct dir_info *out, const struct dir_info *a,
    const struct dir_info *b)
{
	out->server = b->server != NULL ? b->server : a->server;
	out->cached = a->cached && b->cached;
	out->round_trips = a->round_trips + b->round_trips;
	out->latency_us = a->latency_us + b->latency_us;
	out->error = b->error != NULL ? b->error : a->error;
}

enum dir_result
dir_group_has_member(struct dir *d, const struct dir_entry *group,
    const char *address, struct pool *pool, struct dir_info *info)
{
	struct dir_info i1 = { 0 }, i2 = { 0 };
	struct dir_entry *who = NULL, **members = NULL;
	size_t n = 0;
	enum dir_result r;
	const char *key;

	r = dir_lookup_address(d, address, pool, &who, &i1);
	if (r == DIR_FOUND) {
		r = dir_group_members(d, group, pool, &members, &n, &i2);
		if (r == DIR_FOUND) {
			r = DIR_NOTFOUND;
			key = dir_dn_key(who->dn, pool);
			for (size_t i = 0; i < n && r == DIR_NOTFOUND; i++)
				if (strcmp(dir_dn_key(members[i]->dn, pool),
				    key) == 0)
					r = DIR_FOUND;
		}
	}
	if (info != NULL)
		info_merge(info, &i1, &i2);
	return r;
}
