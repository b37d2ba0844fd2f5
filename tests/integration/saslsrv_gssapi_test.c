/*
 * tests/integration/saslsrv_gssapi_test.c - lib/saslsrv with the GSSAPI
 * mechanism against a real MIT KDC (tests/fixtures/kdc.sh): the SASL path
 * of the daemons is only a mechanism away from Kerberos sign-on.
 *
 * The server side is saslsrv with the service keytab given as the Cyrus
 * "keytab" option; the client is Cyrus's own GSSAPI client with a ticket
 * cache filled by kinit. Checked: a user with a ticket authenticates as
 * her principal, which the daemon's principal callback sees in full
 * (user@REALM) and may refuse; no ticket, a keytab without the service's
 * key, and GSSAPI not allowed on the session all fail with the right
 * result; a session offering GSSAPI without a principal callback is
 * refused.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <sasl/sasl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/saslsrv.h"
#include "tests/integration/itest.h"
#include "tests/integration/itest_kdc.h"
#include "tests/unit/sasl_plugins.h"
#include "lib/banned.h"

/* Cyrus's GSSAPI plugin does not release MIT's credentials and names on
 * its failure paths (no ticket, no key); those are the Kerberos
 * libraries' allocations, not ours. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libgssapi_krb5.so\nleak:libkrb5.so\n";
}

static char *tmp;
static struct itest_kdc *kdc;
static char ccache[600], keytab[600];

static enum saslsrv_check
never(void *ctx, const char *user, const char *pass, size_t passlen)
{
	(void)ctx;
	(void)user;
	(void)pass;
	(void)passlen;
	cr_assert_fail("GSSAPI must not ask for a password");
	return SASLSRV_CHECK_BADPASS;
}

/* The principal callback: records what it was asked, answers verdict. */
static char seen_principal[300];
static bool seen_authz;
static enum saslsrv_check verdict = SASLSRV_CHECK_OK;

static enum saslsrv_check
principal_check(void *ctx, const char *principal, const char *authz,
    const char **reason_out)
{
	(void)ctx;
	snprintf(seen_principal, sizeof(seen_principal), "%s", principal);
	seen_authz = authz != NULL;
	if (verdict == SASLSRV_CHECK_NOUSER)
		*reason_out = "realm_not_allowed";
	return verdict;
}

/* Start the KDC, get alice a ticket (kinit from her keytab) into ccache
 * and point this process's Kerberos library at the realm. */
static void
t_init(void)
{
	char dir[512], cmd[1600];
	char *argv[] = { "sh", "-c", cmd, NULL };
	char cc_env[700];
	char *env[5];

	sasl_plugins_keep_gssapi_mapped();
	tmp = itest_tmpdir("saslsrv-gssapi");
	cr_assert_not_null(tmp);
	snprintf(dir, sizeof(dir), "%s/kdc", tmp);
	kdc = itest_kdc_start(dir, NULL);
	cr_assert_not_null(kdc);
	snprintf(ccache, sizeof(ccache), "FILE:%s/alice.ccache", tmp);
	snprintf(keytab, sizeof(keytab), "%s/imap.keytab", kdc->keytab_dir);
	snprintf(cc_env, sizeof(cc_env), "KRB5CCNAME=%s", ccache);
	snprintf(cmd, sizeof(cmd), "kinit -k -t %s/alice.keytab alice",
	    kdc->keytab_dir);
	env[0] = kdc->env[0];
	env[1] = kdc->env[2];
	env[2] = cc_env;
	env[3] = "KRB5_CLIENT_KTNAME";
	env[4] = NULL;
	cr_assert_eq(itest_run(argv, env, NULL, 30000), 0, "kinit failed");
	setenv("KRB5_CONFIG", kdc->krb5_config, 1);
	setenv("KRB5RCACHEDIR", kdc->rcache_dir, 1);
	setenv("KRB5CCNAME", ccache, 1);
	/* a client keytab would get tickets by itself: "no ticket" must
	 * mean none */
	unsetenv("KRB5_CLIENT_KTNAME");
	unsetenv("KRB5_KTNAME");
}

static void
t_fini(void)
{
	sasl_client_done();
	saslsrv_done();
	itest_kdc_stop(&kdc);
	itest_cleanup_dir(&tmp);
}

TestSuite(saslsrv_gssapi, .init = t_init, .fini = t_fini, .timeout = 60);

static void
init_with_keytab(const char *kt)
{
	struct saslsrv_option opt = { "keytab", kt };
	const char *err = NULL;

	cr_assert_eq(saslsrv_init("tessera-test", &opt, 1, &err), 0, "%s",
	    err);
	cr_assert_eq(sasl_client_init(NULL), SASL_OK);
}

static struct saslsrv *
session(const char *const *mechs)
{
	struct saslsrv_params p = {
		.service = "imap",
		.server_fqdn = "localhost",
		.local_addr = "127.0.0.1;143",
		.remote_addr = "127.0.0.1;40000",
		.external_ssf = 0,
		.plaintext_ok = false,
		.mechs = mechs,
		.checkpass = never,
		.principal = principal_check,
	};
	const char *err = NULL;
	struct saslsrv *s = saslsrv_new(&p, &err);

	cr_assert_not_null(s, "%s", err);
	return s;
}

/* A whole exchange between Cyrus's GSSAPI client (service imap, host
 * localhost) and s; the server's last result. */
static enum saslsrv_result
exchange(struct saslsrv *s)
{
	sasl_conn_t *c = NULL;
	const char *out = NULL, *mech = NULL;
	unsigned outlen = 0;
	struct buf *chal = buf_new(256, 65536);
	enum saslsrv_result r;
	int rc, rounds = 0;

	cr_assert_eq(sasl_client_new("imap", "localhost", NULL, NULL, NULL, 0,
	    &c), SASL_OK);
	rc = sasl_client_start(c, "GSSAPI", NULL, &out, &outlen, &mech);
	cr_assert(rc == SASL_OK || rc == SASL_CONTINUE, "client start: %s",
	    sasl_errdetail(c));
	r = saslsrv_start(s, "GSSAPI", (const uint8_t *)out, outlen,
	    out != NULL, chal);
	while (r == SASLSRV_CONTINUE && rounds++ < 10) {
		rc = sasl_client_step(c, (const char *)chal->data,
		    (unsigned)chal->len, NULL, &out, &outlen);
		cr_assert(rc == SASL_OK || rc == SASL_CONTINUE,
		    "client step: %s", sasl_errdetail(c));
		r = saslsrv_step(s, (const uint8_t *)out, outlen, chal);
	}
	sasl_dispose(&c);
	buf_free(&chal);
	return r;
}

Test(saslsrv_gssapi, ticket_signs_on_as_the_principal)
{
	static const char *const mechs[] = { "PLAIN", "GSSAPI", NULL };
	struct saslsrv *s;
	enum saslsrv_result r;

	init_with_keytab(keytab);
	s = session(mechs);
	/* offered without TLS: GSSAPI sends no password */
	cr_assert_str_eq(saslsrv_mechs(s), "GSSAPI");
	r = exchange(s);
	cr_assert_eq(r, SASLSRV_DONE, "%s (%s)", saslsrv_result_name(r),
	    saslsrv_fail_reason(s));
	/* Cyrus's GSSAPI plugin drops the realm when it is the server's
	 * default realm (a foreign realm stays, as user@REALM); mapping the
	 * name to a directory entry is the daemon's business */
	cr_assert_str_eq(saslsrv_authn(s), "alice");
	cr_assert_str_eq(saslsrv_user(s), "alice");
	/* the daemon is asked with the realm put back */
	cr_assert_str_eq(seen_principal, "alice@EXAMPLE.TEST");
	cr_assert_str_eq(saslsrv_principal(s), "alice@EXAMPLE.TEST");
	cr_assert(!seen_authz);
	saslsrv_free(&s);
}

Test(saslsrv_gssapi, principal_check_refuses)
{
	static const char *const mechs[] = { "GSSAPI", NULL };
	static const enum saslsrv_check v[] = { SASLSRV_CHECK_NOUSER,
		SASLSRV_CHECK_DISABLED, SASLSRV_CHECK_AUTHZ,
		SASLSRV_CHECK_TEMPFAIL };
	static const enum saslsrv_result want[] = { SASLSRV_FAIL_AUTH,
		SASLSRV_FAIL_AUTH, SASLSRV_FAIL_AUTHZ, SASLSRV_FAIL_TEMP };
	static const char *const reason[] = { "realm_not_allowed",
		"disabled", "authz_refused", "tempfail" };

	init_with_keytab(keytab);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct saslsrv *s = session(mechs);
		enum saslsrv_result r;

		verdict = v[i];
		r = exchange(s);
		cr_assert_eq(r, want[i], "%zu: %s (%s)", i,
		    saslsrv_result_name(r), saslsrv_fail_reason(s));
		cr_assert_str_eq(saslsrv_fail_reason(s), reason[i]);
		cr_assert_str_eq(saslsrv_principal(s), "alice@EXAMPLE.TEST");
		cr_assert_null(saslsrv_user(s));
		saslsrv_free(&s);
	}
	verdict = SASLSRV_CHECK_OK;
}

Test(saslsrv_gssapi, gssapi_needs_a_principal_check)
{
	static const char *const mechs[] = { "PLAIN", "GSSAPI", NULL };
	struct saslsrv_params p = { .service = "imap",
		.server_fqdn = "localhost", .mechs = mechs, .checkpass = never };
	const char *err = NULL;

	init_with_keytab(keytab);
	cr_assert_null(saslsrv_new(&p, &err));
	cr_assert_str_eq(err, "GSSAPI needs a principal check");
}

Test(saslsrv_gssapi, no_ticket_fails)
{
	static const char *const mechs[] = { "GSSAPI", NULL };
	char empty[700];
	struct saslsrv *s;
	enum saslsrv_result r;

	sasl_conn_t *c = NULL;
	const char *out = NULL, *mech = NULL;
	unsigned outlen = 0;
	struct buf *chal = buf_new(256, 65536);
	static const char junk[] = "not a Kerberos token";

	snprintf(empty, sizeof(empty), "FILE:%s/none.ccache", tmp);
	setenv("KRB5CCNAME", empty, 1);
	init_with_keytab(keytab);
	/* without a ticket the client cannot even begin */
	cr_assert_eq(sasl_client_new("imap", "localhost", NULL, NULL, NULL, 0,
	    &c), SASL_OK);
	cr_assert_neq(sasl_client_start(c, "GSSAPI", NULL, &out, &outlen,
	    &mech), SASL_OK);
	sasl_dispose(&c);
	/* and whatever such a client sends instead is refused */
	s = session(mechs);
	r = saslsrv_start(s, "GSSAPI", (const uint8_t *)junk,
	    sizeof(junk) - 1, true, chal);
	cr_assert(r == SASLSRV_FAIL_AUTH || r == SASLSRV_FAIL_PROTO, "%s (%s)",
	    saslsrv_result_name(r), saslsrv_fail_reason(s));
	saslsrv_free(&s);
	buf_free(&chal);
}

Test(saslsrv_gssapi, keytab_without_the_service_key_fails)
{
	static const char *const mechs[] = { "GSSAPI", NULL };
	char other[700];
	struct saslsrv *s;
	enum saslsrv_result r;

	/* smtp's keytab holds no key for imap/localhost */
	snprintf(other, sizeof(other), "%s/smtp.keytab", kdc->keytab_dir);
	init_with_keytab(other);
	s = session(mechs);
	r = exchange(s);
	cr_assert(r == SASLSRV_FAIL_AUTH || r == SASLSRV_FAIL_TEMP, "%s",
	    saslsrv_result_name(r));
	saslsrv_free(&s);
}

Test(saslsrv_gssapi, not_allowed_on_the_session)
{
	static const char *const mechs[] = { "PLAIN", NULL };
	struct buf *out = buf_new(64, 4096);
	struct saslsrv *s;

	init_with_keytab(keytab);
	s = session(mechs);
	cr_assert_str_eq(saslsrv_mechs(s), "");
	cr_assert_eq(saslsrv_start(s, "GSSAPI", NULL, 0, false, out),
	    SASLSRV_FAIL_MECH);
	saslsrv_free(&s);
	buf_free(&out);
}
