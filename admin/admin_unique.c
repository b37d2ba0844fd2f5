/*
 * admin/admin_unique.c - address ownership: uniqueness and lookups.
 *
 * Runs in the tessera command. Addresses come from the command line and
 * reach filters only through dir_expand (RFC 4515 escaping). The check
 * and the write that follows it are two operations: two administrators
 * adding the same address in the same instant could both pass it (the
 * directory has no unique index across attributes); daemons then see an
 * ambiguous address as a temporary failure, never a misdelivery.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "directory/dir_escape.h"
#include "admin/admin.h"
#include "admin/admin_args.h"
#include "admin/admin_ldap.h"
#include "admin/admin_unique.h"
#include "lib/banned.h"

static const char *const all_attrs[] = { "*", "entryUUID", NULL };

int
admin_check_address(struct admin *a, const char *what, const char *address)
{
	const char *why = admin_address_check(address, strlen(address));

	if (why != NULL)
		return admin_fail(a, ADMIN_EX_DATAERR, "invalid %s \"%s\": %s",
		    what, address, why);
	return ADMIN_OK;
}

char *
admin_filter(struct pool *pool, const char *template, const char *value)
{
	struct buf *b = buf_new(256, 65536);
	const char *err = NULL;
	char *f = NULL;

	if (dir_expand(template, value, DIR_ESCAPE_FILTER, b, &err) == 0)
		f = pool_strdup(pool, buf_cstr(b));
	buf_free(&b);
	return f;
}

/* "(|(mail=%s)(mailLocalAddress=%s)(proxyAddresses=smtp:%s))" */
static char *
owner_template(struct admin *a)
{
	const struct dir_profile *p = a->prof;
	struct buf *b = buf_new(128, 4096);
	char *t;

	buf_append_str(b, "(|");
	if (p->attr_mail != NULL)
		buf_printf(b, "(%s=%%s)", p->attr_mail);
	if (p->attr_alt_address != NULL)
		buf_printf(b, "(%s=%%s)", p->attr_alt_address);
	if (p->attr_proxy_addresses != NULL)
		buf_printf(b, "(%s=smtp:%%s)", p->attr_proxy_addresses);
	buf_append_str(b, ")");
	t = pool_strdup(a->pool, buf_cstr(b));
	buf_free(&b);
	return t;
}

int
admin_owners(struct admin *a, const char *address, struct pool *pool,
    struct admin_entry ***out, size_t *n_out)
{
	char *filter;
	int rc = admin_connect(a);

	if (rc != ADMIN_OK)
		return rc;
	filter = admin_filter(pool, owner_template(a), address);
	if (filter == NULL)
		return admin_fail(a, ADMIN_EX_DATAERR, "address \"%s\" cannot"
		    " be put in a filter", address);
	if (admin_ldap_search(a->ldap, a->base_dn, LDAP_SCOPE_SUBTREE, filter,
	    all_attrs, 2, pool, out, n_out, NULL) == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	return ADMIN_OK;
}

int
admin_unique_check(struct admin *a, const char *address)
{
	struct pool *p = pool_new_child(a->pool, "unique");
	struct admin_entry **v;
	size_t n;
	int rc = admin_owners(a, address, p, &v, &n);

	if (rc == ADMIN_OK && n > 0)
		rc = admin_fail(a, ADMIN_EX_EXISTS, "address %s is already"
		    " owned by %s", address, v[0]->dn);
	pool_free(&p);
	return rc;
}

int
admin_find(struct admin *a, const char *address, struct pool *pool,
    struct admin_entry **out)
{
	struct admin_entry **v;
	size_t n;
	int rc = admin_owners(a, address, pool, &v, &n);

	if (rc != ADMIN_OK)
		return rc;
	if (n == 0)
		return admin_fail(a, ADMIN_EX_NOTFOUND, "no entry owns %s",
		    address);
	if (n > 1)
		return admin_fail(a, ADMIN_EX_SOFTWARE, "address %s is owned"
		    " by two entries, %s and %s: fix the directory first",
		    address, v[0]->dn, v[1]->dn);
	*out = v[0];
	return ADMIN_OK;
}

int
admin_domain_is_accepted(struct admin *a, const char *domain, bool *yes)
{
	static const char *const attrs[] = { "1.1", NULL };
	struct pool *p = pool_new_child(a->pool, "domain");
	struct admin_entry **v;
	size_t n = 0;
	char *filter = admin_filter(p, a->prof->filter_domain, domain);
	int rc = admin_connect(a);

	if (rc == ADMIN_OK && filter == NULL)
		rc = admin_fail(a, ADMIN_EX_DATAERR, "bad domain %s", domain);
	if (rc == ADMIN_OK && admin_ldap_search(a->ldap, a->domain_base,
	    LDAP_SCOPE_SUBTREE, filter, attrs, 1, p, &v, &n, NULL) == -1)
		rc = admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	*yes = n > 0;
	pool_free(&p);
	return rc;
}

int
admin_check_domain_accepted(struct admin *a, const char *address)
{
	const char *at = strrchr(address, '@');
	const char *domain = at != NULL ? at + 1 : address;
	bool yes = false;
	int rc = admin_domain_is_accepted(a, domain, &yes);

	if (rc == ADMIN_OK && !yes)
		rc = admin_fail(a, ADMIN_EX_DATAERR, "%s is not an accepted"
		    " domain (add it with: tessera domain add %s)", domain,
		    domain);
	return rc;
}
