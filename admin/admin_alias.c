/*
 * admin/admin_alias.c - `tessera alias ...`: addresses that deliver to
 * another address (tesseraMailAlias entries).
 *
 * Runs in the tessera command, bound as the [admin] DN. An alias is an
 * entry cn=ALIAS,<alias base> with mailLocalAddress ALIAS and
 * tesseraAliasTarget TARGET (the full address names the entry, so
 * info@a.test and info@b.test can both exist). The alias address must be
 * free and in an accepted domain; the target may be any valid address,
 * local or not.
 */
#include "config.h"

#include <string.h>

#include "lib/pool.h"
#include "lib/str.h"
#include "admin/admin.h"
#include "admin/admin_entry.h"
#include "admin/admin_ldap.h"
#include "admin/admin_out.h"
#include "admin/admin_unique.h"
#include "lib/banned.h"

int
admin_alias_add(struct admin *a, int argc, char **argv)
{
	static const char *const classes[] = { "tesseraMailAlias" };
	const char *alias, *target, *v0[1], *v1[1];
	struct admin_mod mods[4];
	struct admin_entry **owners;
	size_t n_owners;
	bool local;
	char *dn;
	int rc;

	if (argc != 2)
		return admin_fail(a, ADMIN_EX_USAGE, "ALIAS and TARGET needed");
	alias = argv[0];
	target = argv[1];
	if ((rc = admin_check_address(a, "alias", alias)) != ADMIN_OK ||
	    (rc = admin_check_address(a, "target", target)) != ADMIN_OK)
		return rc;
	if (str_eq_ci(alias, target))
		return admin_fail(a, ADMIN_EX_DATAERR, "an alias cannot point"
		    " to itself");
	if (a->prof->class_alias == NULL || a->prof->attr_alias_target == NULL
	    || a->prof->attr_alt_address == NULL)
		return admin_fail(a, ADMIN_EX_UNAVAILABLE, "the profile has no"
		    " alias class or attributes");
	if ((rc = admin_require_writable(a)) != ADMIN_OK ||
	    (rc = admin_check_domain_accepted(a, alias)) != ADMIN_OK ||
	    (rc = admin_unique_check(a, alias)) != ADMIN_OK)
		return rc;
	/* a local target must exist; a remote one cannot be checked */
	if ((rc = admin_owners(a, target, a->pool, &owners, &n_owners)) !=
	    ADMIN_OK || (rc = admin_domain_is_accepted(a,
	    strrchr(target, '@') + 1, &local)) != ADMIN_OK)
		return rc;
	if (n_owners == 0 && local)
		return admin_fail(a, ADMIN_EX_NOTFOUND, "target %s does not"
		    " exist (its domain is local, but no entry owns it)",
		    target);
	dn = admin_dn(a->pool, "cn", alias, a->alias_base);
	v0[0] = alias;
	v1[0] = target;
	mods[0] = (struct admin_mod){ LDAP_MOD_ADD, "objectClass", classes, 1 };
	mods[1] = (struct admin_mod){ LDAP_MOD_ADD, "cn", v0, 1 };
	mods[2] = (struct admin_mod){ LDAP_MOD_ADD, a->prof->attr_alt_address,
		v0, 1 };
	mods[3] = (struct admin_mod){ LDAP_MOD_ADD, a->prof->attr_alias_target,
		v1, 1 };
	if (admin_ldap_add(a->ldap, dn, mods, 4) == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	admin_out_note(a->out, "created %s: %s -> %s", dn, alias, target);
	return ADMIN_OK;
}

int
admin_alias_remove(struct admin *a, int argc, char **argv)
{
	struct admin_entry *e;
	int rc;

	if (argc != 1)
		return admin_fail(a, ADMIN_EX_USAGE, "ALIAS needed");
	if ((rc = admin_check_address(a, "alias", argv[0])) != ADMIN_OK ||
	    (rc = admin_require_writable(a)) != ADMIN_OK ||
	    (rc = admin_find_kind(a, argv[0], DIR_KIND_ALIAS, a->pool, &e))
	    != ADMIN_OK)
		return rc;
	/* an alias entry holding further addresses keeps them */
	{
		size_t n;
		char **v = admin_entry_addresses(a, e, a->pool, &n);

		if (n > 1) {
			const char *val[1] = { argv[0] };
			struct admin_mod mod = { LDAP_MOD_DELETE, NULL, val, 1 };

			for (size_t i = 0; i < n; i++)
				if (str_eq_ci(v[i], argv[0]))
					val[0] = v[i];
			mod.attr = admin_entry_value(e, a->prof->attr_mail) !=
			    NULL && str_eq_ci(admin_entry_value(e,
			    a->prof->attr_mail), argv[0]) ? a->prof->attr_mail :
			    a->prof->attr_alt_address;
			if (admin_ldap_modify(a->ldap, e->dn, &mod, 1) == -1)
				return admin_fail(a, admin_ldap_exit_code(
				    a->ldap->last_rc), "%s",
				    a->ldap->last_error);
			admin_out_note(a->out, "removed %s from %s", argv[0],
			    e->dn);
			return ADMIN_OK;
		}
	}
	if (admin_ldap_delete(a->ldap, e->dn) == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	admin_out_note(a->out, "deleted %s (%s)", e->dn, argv[0]);
	return ADMIN_OK;
}

int
admin_alias_list(struct admin *a, int argc, char **argv)
{
	static const char *const attrs[] = { "*", NULL };
	const struct dir_profile *p = a->prof;
	struct admin_entry **v;
	const char *target = NULL;
	size_t n;
	bool truncated;
	char *filter;
	int rc;

	if (argc > 1)
		return admin_fail(a, ADMIN_EX_USAGE, "at most one TARGET");
	if (argc == 1) {
		target = argv[0];
		if ((rc = admin_check_address(a, "target", target)) != ADMIN_OK)
			return rc;
	}
	if (p->class_alias == NULL || p->attr_alias_target == NULL)
		return admin_fail(a, ADMIN_EX_UNAVAILABLE, "the profile has no"
		    " aliases");
	if ((rc = admin_connect(a)) != ADMIN_OK)
		return rc;
	if (target != NULL)
		filter = admin_filter(a->pool, pool_printf(a->pool,
		    "(&(objectClass=%s)(%s=%%s))", p->class_alias,
		    p->attr_alias_target), target);
	else
		filter = pool_printf(a->pool, "(objectClass=%s)",
		    p->class_alias);
	if (filter == NULL)
		return admin_fail(a, ADMIN_EX_DATAERR, "bad target %s", target);
	if (admin_ldap_search(a->ldap, a->base_dn, LDAP_SCOPE_SUBTREE, filter,
	    attrs, (size_t)a->conf->list_max, a->pool, &v, &n, &truncated)
	    == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	admin_entries_sort(a, v, n);
	admin_out_begin_list(a->out, NULL);
	for (size_t i = 0; i < n; i++) {
		size_t nt;
		char **t = admin_entry_values(v[i], p->attr_alias_target, &nt);

		admin_out_begin_obj(a->out, NULL);
		admin_out_str(a->out, "alias", admin_entry_address(a, v[i]));
		admin_out_strs(a->out, "targets", t, nt);
		admin_out_str(a->out, "dn", v[i]->dn);
		admin_out_end_obj(a->out);
	}
	admin_out_end_list(a->out);
	admin_list_truncated(a, truncated, n);
	return ADMIN_OK;
}
