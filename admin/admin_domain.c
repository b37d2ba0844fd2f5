/*
 * admin/admin_domain.c - `tessera domain ...`: the accepted mail domains
 * (tesseraMailDomain entries) and their default quotas.
 *
 * Runs in the tessera command, bound as the [admin] DN. A domain is the
 * entry tesseraDomain=DOMAIN,<domain base>.
 */
#include "config.h"

#include <string.h>

#include "lib/pool.h"
#include "lib/str.h"
#include "admin/admin.h"
#include "admin/admin_args.h"
#include "admin/admin_entry.h"
#include "admin/admin_ldap.h"
#include "admin/admin_out.h"
#include "admin/admin_unique.h"
#include "lib/banned.h"

int
admin_domain_add(struct admin *a, int argc, char **argv)
{
	static const char *const classes[] = { "tesseraMailDomain" };
	const char *domain = NULL, *quota_s = NULL, *desc = NULL, *why;
	const char *v_dom[1], *v_q[1], *v_desc[1];
	struct admin_mod mods[4];
	char q[24], *dn;
	uint64_t quota = 0;
	size_t n = 0;
	bool exists;
	int rc;

	for (int i = 0; i < argc;) {
		int m;

		if ((m = admin_opt(a, argc, argv, &i, "--quota", &quota_s)) ||
		    (m = admin_opt(a, argc, argv, &i, "--description", &desc))) {
			if (m == -1)
				return ADMIN_EX_USAGE;
			continue;
		}
		if (argv[i][0] == '-' || domain != NULL)
			return admin_fail(a, ADMIN_EX_USAGE, "unexpected"
			    " argument %s", argv[i]);
		domain = argv[i++];
	}
	if (domain == NULL)
		return admin_fail(a, ADMIN_EX_USAGE, "DOMAIN missing");
	if ((why = admin_domain_check(domain, strlen(domain))) != NULL)
		return admin_fail(a, ADMIN_EX_DATAERR, "invalid domain \"%s\":"
		    " %s", domain, why);
	if (quota_s != NULL && admin_size_parse(quota_s, strlen(quota_s),
	    a->conf->quota_max, &quota, &why) == -1)
		return admin_fail(a, ADMIN_EX_DATAERR, "invalid --quota \"%s\":"
		    " %s", quota_s, why);
	if (desc != NULL && (why = admin_name_check(desc, strlen(desc))) !=
	    NULL)
		return admin_fail(a, ADMIN_EX_DATAERR, "invalid --description:"
		    " %s", why);
	if ((rc = admin_require_writable(a)) != ADMIN_OK ||
	    (rc = admin_domain_is_accepted(a, domain, &exists)) != ADMIN_OK)
		return rc;
	if (exists)
		return admin_fail(a, ADMIN_EX_EXISTS, "%s is already an accepted"
		    " domain", domain);
	dn = admin_dn(a->pool, a->prof->attr_domain, domain, a->domain_base);
	v_dom[0] = domain;
	mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, "objectClass", classes, 1 };
	mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, a->prof->attr_domain,
		v_dom, 1 };
	if (quota > 0) {
		str_printf(q, sizeof(q), "%llu", (unsigned long long)quota);
		v_q[0] = q;
		mods[n++] = (struct admin_mod){ LDAP_MOD_ADD,
			"tesseraMailQuotaBytes", v_q, 1 };
	}
	if (desc != NULL) {
		v_desc[0] = desc;
		mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, "description",
			v_desc, 1 };
	}
	if (admin_ldap_add(a->ldap, dn, mods, n) == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	admin_out_note(a->out, "created %s", dn);
	return ADMIN_OK;
}

static void
out_number(struct admin_out *o, const char *key, const char *v)
{
	uint64_t n;

	if (v != NULL && parse_u64(v, strlen(v), UINT64_MAX, &n) == 0)
		admin_out_u64(o, key, n);
	else
		admin_out_str(o, key, NULL);
}

int
admin_domain_list(struct admin *a, int argc, char **argv)
{
	static const char *const attrs[] = { "*", NULL };
	struct admin_entry **v;
	size_t n;
	bool truncated;
	int rc;

	if (argc > 0)
		return admin_fail(a, ADMIN_EX_USAGE, "unexpected argument %s",
		    argv[0]);
	if ((rc = admin_connect(a)) != ADMIN_OK)
		return rc;
	if (admin_ldap_search(a->ldap, a->domain_base, LDAP_SCOPE_SUBTREE,
	    a->prof->filter_domains, attrs, (size_t)a->conf->list_max, a->pool,
	    &v, &n, &truncated) == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	admin_entries_sort(a, v, n);
	admin_out_begin_list(a->out, NULL);
	for (size_t i = 0; i < n; i++) {
		admin_out_begin_obj(a->out, NULL);
		admin_out_str(a->out, "domain", admin_entry_value(v[i],
		    a->prof->attr_domain));
		out_number(a->out, "quota_bytes", admin_entry_value(v[i],
		    "tesseraMailQuotaBytes"));
		out_number(a->out, "quota_messages", admin_entry_value(v[i],
		    "tesseraMailQuotaMessages"));
		admin_out_str(a->out, "description", admin_entry_value(v[i],
		    "description"));
		admin_out_str(a->out, "dn", v[i]->dn);
		admin_out_end_obj(a->out);
	}
	admin_out_end_list(a->out);
	admin_list_truncated(a, truncated, n);
	return ADMIN_OK;
}
