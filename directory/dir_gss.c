/*
 * directory/dir_gss.c - Kerberos credentials of the lookup process (from
 * its keytab) and the SASL/GSSAPI bind of its LDAP connections.
 *
 * Runs in the lookup process; the keytab is its secret like a bind
 * password would be. The KDC and the directory are trusted servers, but
 * every failure is reported with Kerberos's or SASL's own words.
 */
#include "config.h"

#include <krb5.h>
#include <sasl/sasl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/pool.h"
#include "lib/str.h"
#include "directory/dir_gss.h"
#include "lib/banned.h"

/* Kerberos's text for code, in pool. */
static const char *
krb_text(krb5_context ctx, krb5_error_code code, struct pool *pool)
{
	const char *m = krb5_get_error_message(ctx, code);
	char *out = pool_strdup(pool, m != NULL ? m : "unknown error");

	krb5_free_error_message(ctx, m);
	return out;
}

/* The principal to use: the one named, which the keytab must hold, or the
 * keytab's first. 0, or a Kerberos error with *what_out. */
static krb5_error_code
pick_principal(krb5_context ctx, krb5_keytab kt, const char *principal,
    krb5_principal *out, const char **what_out)
{
	krb5_kt_cursor cur;
	krb5_keytab_entry ent;
	krb5_error_code rc;

	if (principal != NULL) {
		*what_out = "principal";
		if ((rc = krb5_parse_name(ctx, principal, out)) != 0)
			return rc;
		*what_out = "keytab";
		rc = krb5_kt_get_entry(ctx, kt, *out, 0, 0, &ent);
		if (rc != 0) {
			krb5_free_principal(ctx, *out);
			*out = NULL;
			return rc;
		}
		krb5_free_keytab_entry_contents(ctx, &ent);
		return 0;
	}
	*what_out = "keytab";
	if ((rc = krb5_kt_start_seq_get(ctx, kt, &cur)) != 0)
		return rc;
	rc = krb5_kt_next_entry(ctx, kt, &ent, &cur);
	if (rc == 0) {
		rc = krb5_copy_principal(ctx, ent.principal, out);
		krb5_free_keytab_entry_contents(ctx, &ent);
	}
	krb5_kt_end_seq_get(ctx, kt, &cur);
	return rc;
}

int
dir_gss_setup(const char *keytab, const char *principal,
    struct pool *err_pool, const char **err_out)
{
	char ktname[4096 + 8], ccname[64];
	krb5_context ctx = NULL;
	krb5_keytab kt = NULL;
	krb5_principal princ = NULL;
	krb5_ccache cc = NULL;
	krb5_error_code rc;
	const char *what = "keytab";
	int ret = -1;

	if (keytab == NULL || access(keytab, R_OK) != 0) {
		*err_out = pool_printf(err_pool, "keytab %s is not readable",
		    keytab != NULL ? keytab : "(none)");
		return -1;
	}
	if (str_printf(ktname, sizeof(ktname), "FILE:%s", keytab) == -1) {
		*err_out = "keytab path too long";
		return -1;
	}
	(void)str_printf(ccname, sizeof(ccname), "MEMORY:tessera-dir-%ld",
	    (long)getpid());
	if ((rc = krb5_init_context(&ctx)) != 0) {
		*err_out = "Kerberos library: cannot initialise (krb5.conf?)";
		return -1;
	}
	if ((rc = krb5_kt_resolve(ctx, ktname, &kt)) != 0 ||
	    (rc = pick_principal(ctx, kt, principal, &princ, &what)) != 0)
		goto out;
	/* an empty cache made out to the principal: the first bind fills it
	 * from the client keytab */
	what = "ticket cache";
	if ((rc = krb5_cc_resolve(ctx, ccname, &cc)) != 0 ||
	    (rc = krb5_cc_initialize(ctx, cc, princ)) != 0)
		goto out;
	if (setenv("KRB5_CLIENT_KTNAME", ktname, 1) != 0 ||
	    setenv("KRB5CCNAME", ccname, 1) != 0) {
		*err_out = "cannot set the Kerberos environment";
		goto done;
	}
	ret = 0;
out:
	if (rc != 0)
		*err_out = pool_printf(err_pool, "Kerberos %s (%s%s%s): %s",
		    what, keytab, principal != NULL ? ", " : "",
		    principal != NULL ? principal : "",
		    krb_text(ctx, rc, err_pool));
done:
	if (cc != NULL)
		krb5_cc_close(ctx, cc);
	if (princ != NULL)
		krb5_free_principal(ctx, princ);
	if (kt != NULL)
		krb5_kt_close(ctx, kt);
	krb5_free_context(ctx);
	return ret;
}

/* SASL asks nothing GSSAPI needs an answer to (no authorization identity
 * of our own): take its default, else nothing. */
static int
interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	sasl_interact_t *it = in;

	(void)ld;
	(void)flags;
	(void)defaults;
	for (; it != NULL && it->id != SASL_CB_LIST_END; it++) {
		it->result = it->defresult != NULL ? it->defresult : "";
		it->len = (unsigned)strlen(it->result);
	}
	return LDAP_SUCCESS;
}

int
dir_gss_bind(LDAP *ld)
{
	int rc;

	if ((rc = ldap_set_option(ld, LDAP_OPT_X_SASL_NOCANON,
	    LDAP_OPT_ON)) != LDAP_SUCCESS)
		return rc;
	return ldap_sasl_interactive_bind_s(ld, NULL, "GSSAPI", NULL, NULL,
	    LDAP_SASL_QUIET, interact, NULL);
}
