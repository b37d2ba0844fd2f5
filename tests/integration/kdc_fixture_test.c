/*
 * tests/integration/kdc_fixture_test.c - the MIT KDC fixture
 * (tests/fixtures/kdc.sh through itest_kdc): users get tickets with their
 * password and only with it, every service principal is issued, keytabs
 * are private, and a restart keeps the realm, the port and the keys.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/buf.h"
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

static char *tmp;
static struct itest_kdc *kdc;
static struct buf *out;
static char ccache_env[600];

static void
t_init(void)
{
	char dir[512];

	tmp = itest_tmpdir("kdc-fixture");
	cr_assert_not_null(tmp);
	snprintf(dir, sizeof(dir), "%s/kdc", tmp);
	kdc = itest_kdc_start(dir, NULL);
	cr_assert_not_null(kdc);
	snprintf(ccache_env, sizeof(ccache_env), "KRB5CCNAME=FILE:%s/cc", tmp);
	out = buf_new(4096, ITEST_OUTPUT_MAX);
}

static void
t_fini(void)
{
	itest_kdc_stop(&kdc);
	itest_cleanup_dir(&tmp);
	buf_free(&out);
}

TestSuite(kdc, .init = t_init, .fini = t_fini, .timeout = 60);

/* Run a shell command with the fixture's environment and a private ticket
 * cache; its exit status, output in out. */
static int
sh(const char *cmd)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	char *env[] = { kdc->env[0], kdc->env[1], kdc->env[2], ccache_env,
		"KRB5_CLIENT_KTNAME", NULL };

	buf_reset(out);
	return itest_run(argv, env, out, 30000);
}

Test(kdc, password_tickets_and_services)
{
	struct stat st;
	char path[600];

	cr_assert_str_eq(kdc->realm, "EXAMPLE.TEST");
	cr_assert_eq(sh("echo demo | kinit alice >/dev/null && klist"), 0,
	    "%s", buf_cstr(out));
	cr_assert_not_null(strstr(buf_cstr(out), "alice@EXAMPLE.TEST"), "%s",
	    buf_cstr(out));
	cr_assert_eq(sh("kvno smtp/localhost imap/localhost pop/localhost "
	    "ldap/localhost"), 0, "%s", buf_cstr(out));
	cr_assert_not_null(strstr(buf_cstr(out), "pop/localhost@EXAMPLE.TEST: "
	    "kvno = 1"), "%s", buf_cstr(out));
	/* the wrong password gets nothing; nor does an unknown user */
	cr_assert_neq(sh("kdestroy; echo wrong | kinit bob"), 0);
	cr_assert_neq(sh("echo demo | kinit mallory"), 0);
	cr_assert_eq(sh("echo demo | kinit carol"), 0, "%s", buf_cstr(out));
	/* keytabs: one per service and user, owner-only */
	snprintf(path, sizeof(path), "%s/imap.keytab", kdc->keytab_dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 077, 0);
}

Test(kdc, keytabs_hold_current_keys)
{
	char cmd[1024];

	/* a service key from its keytab matches the KDC's: kinit -k works
	 * for each, and services.keytab holds them all */
	snprintf(cmd, sizeof(cmd), "for s in smtp imap pop ldap; do "
	    "kinit -k -t %s/$s.keytab $s/localhost || exit 1; done && "
	    "klist -k %s/services.keytab", kdc->keytab_dir, kdc->keytab_dir);
	cr_assert_eq(sh(cmd), 0, "%s", buf_cstr(out));
	cr_assert_not_null(strstr(buf_cstr(out), "ldap/localhost@EXAMPLE.TEST"),
	    "%s", buf_cstr(out));
	snprintf(cmd, sizeof(cmd), "kinit -k -t %s/alice.keytab alice",
	    kdc->keytab_dir);
	cr_assert_eq(sh(cmd), 0, "%s", buf_cstr(out));
}

Test(kdc, restart_keeps_realm_port_and_keys)
{
	char *kdc_addr = strdup(kdc->kdc);
	char *argv[] = { "sh", NULL, "status", kdc->dir, NULL };
	char *script = itest_srcpath("tests/fixtures/kdc.sh");

	argv[1] = script;
	cr_assert_eq(itest_run(argv, NULL, NULL, 10000), 0);
	cr_assert_eq(itest_kdc_halt(kdc), 0);
	cr_assert_eq(itest_run(argv, NULL, NULL, 10000), 1);
	cr_assert_neq(sh("echo demo | kinit alice"), 0);
	cr_assert_eq(itest_kdc_resume(kdc), 0);
	cr_assert_eq(itest_run(argv, NULL, NULL, 10000), 0);
	cr_assert_str_eq(kdc->kdc, kdc_addr);
	cr_assert_eq(sh("echo demo | kinit alice"), 0, "%s", buf_cstr(out));
	free(kdc_addr);
	free(script);
}
