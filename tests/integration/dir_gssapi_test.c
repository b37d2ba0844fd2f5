/*
 * tests/integration/dir_gssapi_test.c - libtdir binding to a real slapd
 * with SASL/GSSAPI from a keytab, against a real MIT KDC (kdc.sh): reads
 * that anonymous clients may not make, a principal missing from the
 * keytab, a key the KDC no longer knows, KDC and slapd restarts, and a
 * ticket that expires and is renewed from the keytab on its own.
 *
 * slapd here lets only bound clients read (SLAPD_ANON_READ=no), so a
 * lookup that finds alice proves the GSSAPI bind happened.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "directory/dir.h"
#include "tests/integration/itest.h"
#include "tests/integration/itest_kdc.h"
#include "lib/banned.h"

/* Criterion's runner leaks a small block of its own when it runs tests
 * in parallel; keep LeakSanitizer on for everything else. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

#define SVC "tessera-dir"

static char *tmp;
static struct itest_kdc *kdc;
static struct itest_slapd *slapd;
static struct pool *pool;
static char keytab[512];

static void
t_init(void)
{
	char *ldif = itest_srcpath("schema/samples/example.test.ldif");
	char dir[512], kt_env[600], conf_env[600];
	char *env[4];

	/* as in the lookup process (lib/server.c): a write to a server that
	 * went away through SASL's security layer must not kill us */
	signal(SIGPIPE, SIG_IGN);
	pool = pool_new("test");
	tmp = itest_tmpdir("dir-gssapi");
	cr_assert_not_null(tmp);
	snprintf(dir, sizeof(dir), "%s/kdc", tmp);
	kdc = itest_kdc_start(dir, SVC);
	cr_assert_not_null(kdc, "the KDC fixture did not start");
	/* this process's libkrb5 uses the fixture's realm and replay cache */
	setenv("KRB5_CONFIG", kdc->krb5_config, 1);
	setenv("KRB5RCACHEDIR", kdc->rcache_dir, 1);
	unsetenv("KRB5_CLIENT_KTNAME");
	unsetenv("KRB5CCNAME");
	snprintf(keytab, sizeof(keytab), "%s/" SVC ".keytab", kdc->keytab_dir);
	snprintf(kt_env, sizeof(kt_env), "SLAPD_KRB5_KEYTAB=%s/ldap.keytab",
	    kdc->keytab_dir);
	snprintf(conf_env, sizeof(conf_env), "KRB5_CONFIG=%s",
	    kdc->krb5_config);
	env[0] = kt_env;
	env[1] = conf_env;
	env[2] = "SLAPD_ANON_READ=no";
	env[3] = NULL;
	snprintf(dir, sizeof(dir), "%s/slapd", tmp);
	slapd = itest_slapd_start_env(dir, ldif, env);
	free(ldif);
	cr_assert_not_null(slapd, "the slapd fixture did not start");
	cr_assert_not_null(slapd->sasl_uri, "slapd.sh exported no "
	    "LDAP_SASL_URI");
}

static void
t_fini(void)
{
	itest_slapd_stop(&slapd);
	itest_kdc_stop(&kdc);
	itest_cleanup_dir(&tmp);
	pool_free(&pool);
}

TestSuite(dir_gssapi, .init = t_init, .fini = t_fini, .timeout = 120);

static void
settings(struct dir_settings *s, char **uris)
{
	dir_settings_defaults(s);
	uris[0] = slapd->sasl_uri;
	uris[1] = NULL;
	s->uris = uris;
	s->base_dn = slapd->basedn;
	s->ca_file = slapd->cacert;
	s->bind_method = DIR_BIND_GSSAPI;
	s->bind_keytab = keytab;
	s->cache_max_entries = 0;	/* every lookup asks slapd */
	s->retry_dead_ms = 0;
	s->connect_timeout_ms = 2000;
	s->op_timeout_ms = 3000;
}

static struct dir *
open_dir(const struct dir_settings *s)
{
	const char *err = NULL;
	struct dir *d = dir_new(s, pool, &err);

	cr_assert_not_null(d, "dir_new: %s", err);
	return d;
}

static void
must_find_alice(struct dir *d)
{
	struct dir_entry *e = NULL;
	struct dir_info info;
	enum dir_result r = dir_lookup_address(d, "alice@example.test", pool,
	    &e, &info);

	ITEST_ASSERT_LOG(r == DIR_FOUND, slapd->log, "alice: %s (%s)",
	    dir_result_name(r), info.error != NULL ? info.error : "-");
	cr_assert_str_eq(e->login, "alice");
}

Test(dir_gssapi, bind_reads_what_anonymous_cannot)
{
	char *uris[2];
	struct dir_settings s;
	struct dir *d;
	struct dir_entry *e = NULL;
	struct buf *log = buf_new(4096, ITEST_OUTPUT_MAX);
	char *argv[] = { "grep", "-c", "mech=GSSAPI", slapd->log, NULL };

	settings(&s, uris);
	d = open_dir(&s);
	must_find_alice(d);
	dir_free(&d);
	/* slapd logged the SASL bind of the service principal */
	cr_assert_eq(itest_run(argv, NULL, log, 10000), 0);
	/* the same server without the bind: nothing to read */
	settings(&s, uris);
	s.bind_method = DIR_BIND_SIMPLE;
	s.bind_keytab = NULL;
	d = open_dir(&s);
	cr_assert_neq(dir_lookup_address(d, "alice@example.test", pool, &e,
	    NULL), DIR_FOUND);
	dir_free(&d);
	buf_free(&log);
}

Test(dir_gssapi, named_principal_and_starttls)
{
	char *uris[2];
	struct dir_settings s;
	struct dir *d;
	const char *err = NULL;
	char principal[128];

	snprintf(principal, sizeof(principal), SVC "@%s", kdc->realm);
	settings(&s, uris);
	s.bind_principal = principal;
	s.starttls = true;
	d = open_dir(&s);
	must_find_alice(d);
	dir_free(&d);
	/* a principal the keytab holds no key for is refused at dir_new */
	snprintf(principal, sizeof(principal), "bob@%s", kdc->realm);
	settings(&s, uris);
	s.bind_principal = principal;
	d = dir_new(&s, pool, &err);
	if (d != NULL) {
		/* or, at the latest, the bind fails: never anonymous */
		struct dir_entry *e;
		struct dir_info info;

		cr_assert_eq(dir_lookup_address(d, "alice@example.test", pool,
		    &e, &info), DIR_TEMPFAIL);
		cr_assert_not_null(strstr(info.error, "GSSAPI bind"), "%s",
		    info.error);
		dir_free(&d);
	} else {
		cr_assert_not_null(strstr(err, "keytab"), "%s", err);
	}
}

Test(dir_gssapi, settings_refused)
{
	char *uris[2];
	struct dir_settings s;
	const char *err = NULL;

	settings(&s, uris);
	s.bind_keytab = NULL;
	cr_assert_null(dir_new(&s, pool, &err));
	cr_assert_not_null(strstr(err, "bind_keytab"), "%s", err);
	settings(&s, uris);
	s.bind_keytab = "/nonexistent/tessera.keytab";
	cr_assert_null(dir_new(&s, pool, &err));
	cr_assert_not_null(strstr(err, "not readable"), "%s", err);
	settings(&s, uris);
	s.bind_dn = "cn=admin,dc=example,dc=test";
	s.bind_password_file = "/dev/null";
	cr_assert_null(dir_new(&s, pool, &err));
	cr_assert_not_null(strstr(err, "GSSAPI"), "%s", err);
}

/* The KDC changed the service's key: the keytab is stale, the bind fails
 * and the lookup is a temporary failure naming the bind, never "no such
 * user". */
Test(dir_gssapi, stale_keytab_is_tempfail)
{
	char *uris[2];
	struct dir_settings s;
	struct dir *d;
	struct dir_entry *e;
	struct dir_info info;

	cr_assert_eq(itest_kdc_admin(kdc, "cpw -randkey " SVC), 0);
	settings(&s, uris);
	d = open_dir(&s);
	cr_assert_eq(dir_lookup_address(d, "alice@example.test", pool, &e,
	    &info), DIR_TEMPFAIL);
	cr_assert_not_null(info.error);
	cr_assert_not_null(strstr(info.error, "GSSAPI bind"), "%s", info.error);
	cr_assert_not_null(strstr(info.error, slapd->sasl_uri), "%s",
	    info.error);
	dir_free(&d);
}

/* A slapd restart drops the connection: the next lookup reconnects and
 * binds again; a KDC restart changes nothing for tickets already held. */
Test(dir_gssapi, restarts_of_kdc_and_slapd)
{
	char *uris[2];
	struct dir_settings s;
	struct dir *d;

	settings(&s, uris);
	d = open_dir(&s);
	must_find_alice(d);
	cr_assert_eq(itest_kdc_halt(kdc), 0);
	cr_assert_eq(itest_kdc_resume(kdc), 0);
	must_find_alice(d);
	cr_assert_eq(itest_slapd_restart(slapd), 0);
	must_find_alice(d);
	dir_free(&d);
}

/* With tickets of a few seconds, a bind after they expired gets a new
 * ticket from the keytab by itself; while the KDC is down that is a
 * temporary failure, and it recovers when the KDC is back. */
Test(dir_gssapi, expired_ticket_renewed_from_keytab)
{
	char *uris[2];
	struct dir_settings s;
	struct dir *d;
	struct dir_entry *e;
	struct dir_info info;
	enum dir_result r;

	cr_assert_eq(itest_kdc_admin(kdc, "modprinc -maxlife \"4 seconds\" "
	    SVC), 0);
	settings(&s, uris);
	d = open_dir(&s);
	must_find_alice(d);
	/* the ticket expires while slapd is down and the KDC too */
	cr_assert_eq(itest_slapd_halt(slapd), 0);
	cr_assert_eq(itest_kdc_halt(kdc), 0);
	sleep(6);
	cr_assert_eq(itest_slapd_resume(slapd), 0);
	r = dir_lookup_address(d, "alice@example.test", pool, &e, &info);
	cr_assert_eq(r, DIR_TEMPFAIL, "%s", dir_result_name(r));
	cr_assert_not_null(strstr(info.error, "GSSAPI bind"), "%s", info.error);
	/* the KDC is back: a new ticket from the keytab, no restart needed */
	cr_assert_eq(itest_kdc_resume(kdc), 0);
	must_find_alice(d);
	dir_free(&d);
}
