/*
 * directory/dir_sasl.c - the directory's verdict on a Kerberos (GSSAPI)
 * login (see dir_sasl.h for the order of the checks).
 *
 * Runs in session processes. Realms are compared exactly: Kerberos realm
 * names are case-sensitive. The entry is looked up without the cache, so
 * an account disabled a minute ago cannot log in.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "lib/pool.h"
#include "lib/str.h"
#include "directory/dir_client.h"
#include "directory/dir_int.h"
#include "directory/dir_sasl.h"
#include "lib/banned.h"

const char *
dir_sasl_realm(const char *principal)
{
	const char *at = strrchr(principal, '@');

	return at != NULL && at[1] != '\0' && at != principal ? at + 1 : NULL;
}

static bool
realm_allowed(const char *const *allowed, const char *realm)
{
	for (size_t i = 0; allowed != NULL && allowed[i] != NULL; i++)
		if (strcmp(allowed[i], realm) == 0)
			return true;
	return false;
}

static enum saslsrv_check
refuse(struct dir_sasl *ds, enum saslsrv_check c, const char *reason,
    const char **reason_out)
{
	ds->reason = reason;
	*reason_out = reason;
	return c;
}

static enum saslsrv_check
tempfail(struct dir_sasl *ds, const struct dir_info *info,
    const char **reason_out)
{
	ds->error = info->error != NULL ? pool_strdup(ds->pool, info->error) :
	    "directory unavailable";
	return refuse(ds, SASLSRV_CHECK_TEMPFAIL, "tempfail", reason_out);
}

/* Does the entry's attr_authz_to name dn ("dn:DN" or "dn.exact:DN")? */
static bool
grants(const struct dir_entry *who, const char *dn, struct pool *pool)
{
	const char *key = dir_dn_key(dn, pool);

	for (size_t i = 0; i < who->n_authz_to; i++) {
		const char *v = who->authz_to[i];

		if (str_prefix_ci(v, "dn.exact:"))
			v += 9;
		else if (str_prefix_ci(v, "dn:"))
			v += 3;
		else
			continue;	/* other authzTo forms: not grants */
		if (strcmp(dir_dn_key(v, pool), key) == 0)
			return true;
	}
	return false;
}

/* May the login act as authz? When authz names the same entry, or an
 * entry the login's entry grants (attr_authz_to); the account is then
 * the authz entry. */
static enum saslsrv_check
check_authz(struct dir_sasl *ds, const char *principal, const char *authz,
    const char **reason_out)
{
	struct dir_info info = { 0 };
	struct dir_entry *e = NULL;
	enum dir_result r;

	if (strcmp(authz, principal) == 0)
		return SASLSRV_CHECK_OK;
	r = dir_client_lookup_login(ds->dc, authz, ds->pool, &e, &info);
	if (r == DIR_TEMPFAIL)
		return tempfail(ds, &info, reason_out);
	if (r == DIR_FOUND && e->dn != NULL && ds->entry->dn != NULL &&
	    strcmp(dir_dn_key(e->dn, ds->pool),
	    dir_dn_key(ds->entry->dn, ds->pool)) == 0)
		return SASLSRV_CHECK_OK;
	if (r == DIR_FOUND && e->dn != NULL && grants(ds->entry, e->dn,
	    ds->pool)) {
		if (e->state != DIR_STATE_ACTIVE)
			return refuse(ds, SASLSRV_CHECK_AUTHZ, "authz_inactive",
			    reason_out);
		ds->entry = e;
		return SASLSRV_CHECK_OK;
	}
	return refuse(ds, SASLSRV_CHECK_AUTHZ, "authz_refused", reason_out);
}

enum saslsrv_check
dir_sasl_principal(void *ctx, const char *principal, const char *authz,
    const char **reason_out)
{
	struct dir_sasl *ds = ctx;
	struct dir_info info = { 0 };
	const char *realm = dir_sasl_realm(principal);
	enum dir_result r;

	ds->entry = NULL;
	ds->reason = NULL;
	ds->error = NULL;
	if (realm == NULL)
		return refuse(ds, SASLSRV_CHECK_NOUSER, "bad_principal",
		    reason_out);
	if (!realm_allowed(ds->allowed_realms, realm))
		return refuse(ds, SASLSRV_CHECK_NOUSER, "realm_not_allowed",
		    reason_out);
	r = dir_client_lookup_principal(ds->dc, principal, ds->pool,
	    &ds->entry, &info);
	if (r == DIR_TEMPFAIL)
		return tempfail(ds, &info, reason_out);
	if (r == DIR_NOTFOUND) {
		ds->entry = NULL;
		return refuse(ds, SASLSRV_CHECK_NOUSER, "no_user", reason_out);
	}
	if (ds->entry->state == DIR_STATE_DISABLED)
		return refuse(ds, SASLSRV_CHECK_DISABLED, "disabled",
		    reason_out);
	if (ds->entry->state == DIR_STATE_RECEIVE_ONLY)
		return refuse(ds, SASLSRV_CHECK_DISABLED, "receive_only",
		    reason_out);
	if (authz != NULL) {
		enum saslsrv_check c = check_authz(ds, principal, authz,
		    reason_out);

		if (c != SASLSRV_CHECK_OK)
			return c;
	}
	return SASLSRV_CHECK_OK;
}
