/*
 * directory/dir_lookup.c - address, login and domain lookups.
 *
 * Input is hostile (an SMTP RCPT address, an IMAP login): it is bounded
 * and checked for control bytes before anything else, and reaches LDAP
 * only through dir_expand. An address or login that two entries claim is
 * a directory error (TEMPFAIL naming both DNs), never a silent pick.
 */
#include "config.h"

#include <ldap.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "directory/dir_int.h"
#include "lib/banned.h"

/* Search with template and value; exactly one recipient entry is FOUND.
 * users_only: entries that are not users do not count (login lookups). */
static enum dir_result
lookup_one(struct dir *d, struct dir_op *op, const char *what,
    const char *template, const char *base, const char *value,
    bool users_only, struct pool *pool, struct dir_entry **out)
{
	struct buf *filter = buf_new(256, DIR_FILTER_MAX);
	struct dir_conn *c = NULL;
	LDAPMessage *res = NULL;
	struct dir_entry *found[2] = { NULL, NULL };
	size_t n = 0;
	enum dir_result r = DIR_TEMPFAIL;
	int rc;

	if (dir_filter_build(template, value, filter, op) == -1 ||
	    (c = dir_conn_borrow(d->conns, op)) == NULL)
		goto out;
	/* two are enough to know the answer is ambiguous */
	if (dir_conn_search(d->conns, c, op, base, LDAP_SCOPE_SUBTREE,
	    buf_cstr(filter), d->prof->entry_attrs, 2, DIR_CONN_SIZELIMIT_OK,
	    &res, &rc) == -1)
		goto out;
	for (LDAPMessage *m = ldap_first_entry(c->ld, res); m != NULL;
	    m = ldap_next_entry(c->ld, m)) {
		struct dir_entry *e = dir_entry_from_ldap(d, c->ld, m, pool);

		if (e == NULL || (users_only && e->kind != DIR_KIND_USER))
			continue;
		if (n < 2)
			found[n] = e;
		n++;
	}
	if (n > 1 || (rc == LDAP_SIZELIMIT_EXCEEDED && n > 0)) {
		op->error = pool_printf(op->pool, "%s: ambiguous %s: more than "
		    "one entry owns it (%s; %s)", op->server, what,
		    found[0]->dn, found[1] != NULL ? found[1]->dn : "...");
	} else if (rc == LDAP_SIZELIMIT_EXCEEDED) {
		op->error = pool_printf(op->pool, "%s: ambiguous %s: several "
		    "entries match %s", op->server, what, buf_cstr(filter));
	} else if (n == 0) {
		r = DIR_NOTFOUND;
	} else {
		*out = found[0];
		r = DIR_FOUND;
	}
out:
	ldap_msgfree(res);
	dir_conn_return(d->conns, &c);
	buf_free(&filter);
	return r;
}

/* A cached single-entry lookup: cache, then lookup_one, then cache. */
static enum dir_result
cached_one(struct dir *d, enum dir_cache_kind kind, const char *what,
    const char *template, const char *base, const char *value, size_t max,
    bool users_only, struct pool *pool, struct dir_entry **out,
    struct dir_info *info)
{
	struct dir_op op;
	struct dir_cache_value cv;
	struct dir_entry *e = NULL;
	enum dir_result r;

	dir_op_begin(&op, pool);
	*out = NULL;
	if (!dir_input_ok(value, max))
		return dir_op_end(d, &op, info, DIR_NOTFOUND, false);
	if (dir_cache_get(d->cache, kind, value, pool, &cv)) {
		op.server = cv.server;
		if (cv.result == DIR_FOUND && cv.n_entries == 1)
			*out = cv.entries[0];
		return dir_op_end(d, &op, info, cv.result, true);
	}
	r = lookup_one(d, &op, what, template, base, value, users_only, pool,
	    &e);
	if (r != DIR_TEMPFAIL) {
		struct dir_entry *list[2] = { e, NULL };

		memset(&cv, 0, sizeof(cv));
		cv.result = r;
		cv.server = op.server;
		if (r == DIR_FOUND) {
			cv.entries = list;
			cv.n_entries = 1;
		}
		dir_cache_put(d->cache, kind, value, &cv);
	}
	*out = e;
	return dir_op_end(d, &op, info, r, false);
}

enum dir_result
dir_lookup_address(struct dir *d, const char *address, struct pool *pool,
    struct dir_entry **out, struct dir_info *info)
{
	return cached_one(d, DIR_CACHE_ADDRESS, "address",
	    d->prof->filter_address, d->base_dn, address, DIR_ADDRESS_MAX,
	    false, pool, out, info);
}

enum dir_result
dir_lookup_login(struct dir *d, const char *login, struct pool *pool,
    struct dir_entry **out, struct dir_info *info)
{
	return cached_one(d, DIR_CACHE_LOGIN, "login", d->prof->filter_login,
	    d->user_base_dn, login, DIR_LOGIN_MAX, true, pool, out, info);
}

enum dir_result
dir_lookup_login_uncached(struct dir *d, struct dir_op *op, const char *login,
    struct pool *pool, struct dir_entry **out)
{
	*out = NULL;
	if (!dir_input_ok(login, DIR_LOGIN_MAX))
		return DIR_NOTFOUND;
	return lookup_one(d, op, "login", d->prof->filter_login,
	    d->user_base_dn, login, true, pool, out);
}

enum dir_result
dir_lookup_principal(struct dir *d, const char *principal, struct pool *pool,
    struct dir_entry **out, struct dir_info *info)
{
	struct dir_op op;
	enum dir_result r;

	dir_op_begin(&op, pool);
	*out = NULL;
	if (!dir_input_ok(principal, DIR_LOGIN_MAX) ||
	    d->prof->filter_principal == NULL)
		return dir_op_end(d, &op, info, DIR_NOTFOUND, false);
	r = lookup_one(d, &op, "principal", d->prof->filter_principal,
	    d->user_base_dn, principal, true, pool, out);
	return dir_op_end(d, &op, info, r, false);
}

enum dir_result
dir_domain_accepted(struct dir *d, const char *domain, struct pool *pool,
    struct dir_info *info)
{
	struct dir_op op;
	struct dir_cache_value cv;
	struct buf *filter;
	struct dir_conn *c = NULL;
	LDAPMessage *res = NULL;
	enum dir_result r = DIR_TEMPFAIL;
	int rc;

	dir_op_begin(&op, pool);
	if (!dir_input_ok(domain, DIR_DOMAIN_MAX) ||
	    (d->accepted_domains == NULL && d->prof->filter_domain == NULL))
		return dir_op_end(d, &op, info, DIR_NOTFOUND, false);
	if (d->accepted_domains != NULL) {
		op.server = "configuration";
		for (size_t i = 0; i < d->n_accepted_domains; i++)
			if (str_eq_ci(d->accepted_domains[i], domain))
				return dir_op_end(d, &op, info, DIR_FOUND,
				    false);
		return dir_op_end(d, &op, info, DIR_NOTFOUND, false);
	}
	if (dir_cache_get(d->cache, DIR_CACHE_DOMAIN, domain, pool, &cv)) {
		op.server = cv.server;
		return dir_op_end(d, &op, info, cv.result, true);
	}
	filter = buf_new(128, DIR_FILTER_MAX);
	if (dir_filter_build(d->prof->filter_domain, domain, filter, &op) == 0 &&
	    (c = dir_conn_borrow(d->conns, &op)) != NULL &&
	    dir_conn_search(d->conns, c, &op, d->domain_base_dn,
	    LDAP_SCOPE_SUBTREE, buf_cstr(filter), (char *[]){ "1.1", NULL }, 1,
	    DIR_CONN_SIZELIMIT_OK, &res, &rc) == 0)
		r = ldap_count_entries(c->ld, res) > 0 ? DIR_FOUND :
		    DIR_NOTFOUND;
	ldap_msgfree(res);
	dir_conn_return(d->conns, &c);
	buf_free(&filter);
	if (r != DIR_TEMPFAIL) {
		memset(&cv, 0, sizeof(cv));
		cv.result = r;
		cv.server = op.server;
		dir_cache_put(d->cache, DIR_CACHE_DOMAIN, domain, &cv);
	}
	return dir_op_end(d, &op, info, r, false);
}

/* Read the domain list; FOUND (with at least one), NOTFOUND or TEMPFAIL
 * (a list cut by the size limit is not presented as complete). */
static enum dir_result
domains_read(struct dir *d, struct dir_op *op, struct pool *pool,
    char ***out, size_t *n_out)
{
	struct dir_conn *c;
	LDAPMessage *res = NULL;
	char *attrs[] = { (char *)(uintptr_t)d->prof->attr_domain, NULL };
	enum dir_result r = DIR_TEMPFAIL;
	size_t n = 0, cap;
	char **list;
	int rc;

	if ((c = dir_conn_borrow(d->conns, op)) == NULL)
		return DIR_TEMPFAIL;
	if (dir_conn_search(d->conns, c, op, d->domain_base_dn,
	    LDAP_SCOPE_SUBTREE, d->prof->filter_domains, attrs,
	    (int)d->result_size_limit, 0, &res, &rc) == -1)
		goto out;
	cap = (size_t)ldap_count_entries(c->ld, res);
	list = pool_alloc(pool, (cap + 1) * sizeof(*list));
	for (LDAPMessage *m = ldap_first_entry(c->ld, res); m != NULL && n < cap;
	    m = ldap_next_entry(c->ld, m)) {
		size_t nv;
		char **v = dir_values(c->ld, m, d->prof->attr_domain, pool, &nv);

		if (v != NULL)
			list[n++] = v[0];
	}
	*out = list;
	*n_out = n;
	r = n > 0 ? DIR_FOUND : DIR_NOTFOUND;
out:
	ldap_msgfree(res);
	dir_conn_return(d->conns, &c);
	return r;
}

enum dir_result
dir_domains(struct dir *d, struct pool *pool, char ***domains_out,
    size_t *n_out, struct dir_info *info)
{
	struct dir_op op;
	struct dir_cache_value cv;
	enum dir_result r;
	char **list = NULL;
	size_t n = 0;

	dir_op_begin(&op, pool);
	*domains_out = NULL;
	*n_out = 0;
	if (d->accepted_domains != NULL) {
		list = pool_alloc(pool, (d->n_accepted_domains + 1) *
		    sizeof(*list));
		for (n = 0; n < d->n_accepted_domains; n++)
			list[n] = pool_strdup(pool, d->accepted_domains[n]);
		op.server = "configuration";
		*domains_out = list;
		*n_out = n;
		return dir_op_end(d, &op, info, DIR_FOUND, false);
	}
	if (d->prof->filter_domains == NULL || d->prof->attr_domain == NULL)
		return dir_op_end(d, &op, info, DIR_NOTFOUND, false);
	if (dir_cache_get(d->cache, DIR_CACHE_DOMAINS, "*", pool, &cv)) {
		op.server = cv.server;
		*domains_out = cv.strings;
		*n_out = cv.n_strings;
		return dir_op_end(d, &op, info, cv.result, true);
	}
	r = domains_read(d, &op, pool, &list, &n);
	if (r != DIR_TEMPFAIL) {
		memset(&cv, 0, sizeof(cv));
		cv.result = r;
		cv.server = op.server;
		cv.strings = list;
		cv.n_strings = n;
		dir_cache_put(d->cache, DIR_CACHE_DOMAINS, "*", &cv);
		*domains_out = list;
		*n_out = n;
	}
	return dir_op_end(d, &op, info, r, false);
}
