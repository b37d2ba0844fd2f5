/*
 * tests/integration/gssapi_auth_test.c - Kerberos sign-on end to end:
 * AUTH GSSAPI on mtad submission and accessd POP3, AUTHENTICATE GSSAPI
 * on accessd IMAP, with real clients.
 *
 * Fixtures, started once for the suite: two MIT KDCs (realm EXAMPLE.TEST
 * with alice, bob, carol, dave, erin, frank; realm OTHER.TEST with its own alice
 * and a cross-realm key krbtgt/EXAMPLE.TEST@OTHER.TEST, so OTHER.TEST
 * principals get real tickets for EXAMPLE.TEST services), a slapd with
 * the sample tree plus erin (receive-only) and frank (whose authzTo
 * grants him bob and the disabled carol), and the built mtad and
 * accessd sharing one tessera.conf ([sasl] keytab with smtp/localhost,
 * pop/localhost and imap/localhost, hostname localhost, allowed_realms
 * EXAMPLE.TEST; the submission and POP3 listeners name their mechanisms,
 * the IMAP listener takes [sasl] mechanisms). In the directory carol is
 * disabled, dave has no entry.
 *
 * Clients: Cyrus's smtptest, pop3test and imtest (cyrus-clients) and msmtp
 * (GNU SASL), each with its own ticket cache filled by kinit from the
 * fixture's user keytabs. Tests that need another configuration (allowed
 * realms, a directory that is down) start daemons of their own; the test
 * of the lookup process's own Kerberos bind (short tickets, KDC and
 * slapd restarts) starts its own KDC and slapd too.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "tests/integration/itest.h"
#include "tests/integration/itest_kdc.h"
#include "lib/banned.h"

#define BASE "dc=example,dc=test"
#define SMTPTEST "/usr/lib/cyrus/bin/smtptest"
#define POP3TEST "/usr/lib/cyrus/bin/pop3test"
#define IMTEST "/usr/lib/cyrus/bin/imtest"

const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

/* What the runner process started; tests find it through GT_* env. */
static struct {
	char *dir;
	struct itest_kdc *kdc, *kdc2;
	struct itest_slapd *slapd;
	struct itest_proc *mtad, *accessd;
} fx;

static const char erin_ldif[] =
    "dn: uid=erin,ou=people," BASE "\n"
    "objectClass: inetOrgPerson\n"
    "objectClass: inetLocalMailRecipient\n"
    "objectClass: tesseraMailUser\n"
    "uid: erin\ncn: Erin Receiver\nsn: Receiver\n"
    "mail: erin@example.test\ntesseraAccountState: receive-only\n"
    "\n"
    "dn: uid=frank,ou=people," BASE "\n"
    "objectClass: inetOrgPerson\n"
    "objectClass: inetLocalMailRecipient\n"
    "objectClass: tesseraMailUser\n"
    "uid: frank\ncn: Frank Delegate\nsn: Delegate\n"
    "mail: frank@example.test\ntesseraAccountState: active\n"
    "authzTo: dn:uid=bob,ou=people," BASE "\n"
    "authzTo: dn.exact:uid=carol,ou=people," BASE "\n";

static int
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void
give_to_nobody(const char *path)
{
	struct passwd *pw;

	if (geteuid() == 0 && (pw = getpwnam("nobody")) != NULL)
		(void)!chown(path, pw->pw_uid, pw->pw_gid);
}

static char *
path_in(const char *dir, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* Copy a file (a keytab) to dst, mode 0600, owned by the session user. */
static int
copy_file(const char *src, const char *dst)
{
	char *argv[] = { "cp", (char *)src, (char *)dst, NULL };

	if (itest_run(argv, NULL, NULL, 10000) != 0 || chmod(dst, 0600) != 0)
		return -1;
	give_to_nobody(dst);
	return 0;
}

/* Daemon environment: the EXAMPLE.TEST configuration, a replay cache the
 * session user may write, no ticket cache or client keytab. */
static char **
daemon_env(const char *dir)
{
	static char *env[7];
	char *rc = path_in(dir, "rcache");

	mkdir(rc, 0700);
	give_to_nobody(rc);
	env[0] = fx.kdc->env[0];
	if (asprintf(&env[1], "KRB5RCACHEDIR=%s", rc) < 0)
		return NULL;
	env[2] = "KRB5_KTNAME";
	env[3] = "KRB5_CLIENT_KTNAME";
	env[4] = "KRB5CCNAME";
	env[5] = NULL;
	free(rc);
	return env;
}

/* Write dir/NAME.conf for both daemons and return its path. uri may
 * carry further [directory] lines after it. */
static char *
write_conf(const char *dir, const char *name, const char *uri,
    const char *sasl_extra, const char *accessd_extra, uint16_t sub,
    uint16_t lmtp, uint16_t pop, uint16_t imap)
{
	char *conf = NULL, *text = NULL, *mail = path_in(dir, "mail");
	char *kt = path_in(dir, "mail.keytab"), *run = path_in(dir, "run");

	mkdir(mail, 0700);
	give_to_nobody(mail);
	mkdir(run, 0700);
	give_to_nobody(run);
	if (asprintf(&conf, "%s/%s.conf", dir, name) < 0 ||
	    asprintf(&text,
	    "[global]\nrun_dir = %s\nstate_dir = %s\nuser = nobody\n"
	    "directory_user = nobody\nlog_level = debug\n"
	    "shutdown_grace = 1s\n"
	    "[directory]\nuris = %s\nbase_dn = " BASE "\nstarttls = no\n"
	    "connect_timeout = 1s\nop_timeout = 2s\n"
	    "[lookup]\nquery_timeout = 5s\n"
	    "[sasl]\nkeytab = %s\nhostname = localhost\n"
	    "mechanisms = GSSAPI PLAIN LOGIN\n%s"
	    "[mtad]\nhostname = mx.example.test\nlmtp_host = 127.0.0.1\n"
	    "lmtp_port = %u\n"
	    "[mtad.listener.sub]\nport = %u\ntype = submission\n"
	    "sasl_mechanisms = GSSAPI PLAIN LOGIN\n"
	    "[accessd]\nhostname = mail.example.test\n%s"
	    "[accessd.store]\nmail_root = %s\nfsync = no\n"
	    "[accessd.listener.lmtp]\nport = %u\ntype = lmtp\n"
	    "[accessd.listener.pop3]\nport = %u\ntype = pop3\n"
	    "sasl_mechanisms = GSSAPI PLAIN LOGIN\n"
	    "[accessd.listener.imap]\nport = %u\ntype = imap\n",
	    run, run, uri, kt, sasl_extra, lmtp, sub, accessd_extra, mail,
	    lmtp, pop, imap) < 0 ||
	    write_text(conf, text) != 0) {
		free(conf);
		conf = NULL;
	}
	free(text);
	free(mail);
	free(kt);
	free(run);
	return conf;
}

static struct itest_proc *
start_daemon(const char *dir, const char *prog, const char *conf,
    uint16_t port)
{
	const char *b = getenv("TESSERA_BUILDDIR");
	char *bin = NULL, *log = NULL;
	struct itest_proc *p = NULL;
	char **env = daemon_env(dir);

	if (asprintf(&bin, "%s/%s/%s", b != NULL ? b : ".", prog, prog) >= 0 &&
	    asprintf(&log, "%s/%s.log", dir, prog) >= 0 && env != NULL) {
		char *argv[] = { bin, "-c", (char *)conf, "-f", NULL };

		p = itest_start(argv, env, log);
	}
	if (p != NULL && itest_wait_listen_proc(p, "127.0.0.1", port,
	    10000) != 0)
		itest_stop(&p, 2000);
	free(env != NULL ? env[1] : NULL);
	free(bin);
	free(log);
	return p;
}

static void
setenv_u16(const char *name, uint16_t v)
{
	char s[8];

	snprintf(s, sizeof(s), "%u", v);
	setenv(name, s, 1);
}

/* The second realm: OTHER.TEST, trusted by EXAMPLE.TEST. */
static int
start_kdc2(void)
{
	char *d2 = path_in(fx.dir, "kdc2");
	static const char trust[] = "addprinc -pw trust-key "
	    "krbtgt/EXAMPLE.TEST@OTHER.TEST";

	setenv("KDC_REALM", "OTHER.TEST", 1);
	fx.kdc2 = itest_kdc_start(d2, NULL);
	unsetenv("KDC_REALM");
	free(d2);
	if (fx.kdc2 == NULL)
		return -1;
	return itest_kdc_admin(fx.kdc, trust) == 0 &&
	    itest_kdc_admin(fx.kdc2, trust) == 0 ? 0 : -1;
}

static int
setup(void)
{
	char *d = NULL, *ldif = NULL, *sample = NULL, *ldifs = NULL;
	char *kt = NULL, *conf = NULL, *cc = NULL;
	uint16_t ports[4];
	int rc = -1;

	fx.dir = itest_tmpdir("gssapi-auth");
	if (fx.dir == NULL)
		return -1;
	chmod(fx.dir, 0755);
	d = path_in(fx.dir, "kdc");
	fx.kdc = itest_kdc_start(d, "dave erin frank");
	free(d);
	if (fx.kdc == NULL || start_kdc2() == -1)
		return -1;
	ldif = path_in(fx.dir, "erin.ldif");
	sample = itest_srcpath("schema/samples/example.test.ldif");
	if (write_text(ldif, erin_ldif) != 0 ||
	    asprintf(&ldifs, "%s:%s", sample, ldif) < 0)
		goto out;
	d = path_in(fx.dir, "slapd");
	fx.slapd = itest_slapd_start(d, ldifs);
	free(d);
	kt = path_in(fx.kdc->keytab_dir, "services.keytab");
	d = path_in(fx.dir, "mail.keytab");
	if (fx.slapd == NULL || copy_file(kt, d) != 0 ||
	    itest_free_ports(ports, 4) != 0)
		goto out;
	conf = write_conf(fx.dir, "tessera", fx.slapd->uri,
	    "allowed_realms = EXAMPLE.TEST\n", "", ports[0], ports[1],
	    ports[2], ports[3]);
	if (conf == NULL)
		goto out;
	fx.accessd = start_daemon(fx.dir, "accessd", conf, ports[1]);
	fx.mtad = start_daemon(fx.dir, "mtad", conf, ports[0]);
	if (fx.accessd == NULL || fx.mtad == NULL)
		goto out;
	if (asprintf(&cc, "%s:%s", fx.kdc->krb5_config,
	    fx.kdc2->krb5_config) < 0)
		goto out;
	setenv("GT_DIR", fx.dir, 1);
	setenv("GT_URI", fx.slapd->uri, 1);
	setenv("GT_CLIENT_KRB5_CONFIG", cc, 1);
	setenv("GT_KT", fx.kdc->keytab_dir, 1);
	setenv("GT_KDC_DIR", fx.kdc->dir, 1);
	setenv("GT_KT2", fx.kdc2->keytab_dir, 1);
	setenv_u16("GT_SUB", ports[0]);
	setenv_u16("GT_POP", ports[2]);
	setenv_u16("GT_IMAP", ports[3]);
	rc = 0;
out:
	free(d);
	free(ldif);
	free(sample);
	free(ldifs);
	free(kt);
	free(conf);
	free(cc);
	return rc;
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	(void)set;
	if (setup() == -1)
		fprintf(stderr, "gssapi_auth_test: fixtures did not start\n");
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	(void)st;
	itest_stop(&fx.mtad, 5000);
	itest_stop(&fx.accessd, 5000);
	itest_slapd_stop(&fx.slapd);
	itest_kdc_stop(&fx.kdc2);
	itest_kdc_stop(&fx.kdc);
	itest_cleanup_dir(&fx.dir);
}

/* Daemons a test started for itself (struct own below): stopped after
 * the test even when an assertion ended it early. */
static struct itest_proc *own_procs[2];
static char *own_dir;
static struct itest_kdc *own_kdc;
static struct itest_slapd *own_slapd;

static void
own_cleanup(void)
{
	itest_stop(&own_procs[0], 5000);
	itest_stop(&own_procs[1], 5000);
	itest_slapd_stop(&own_slapd);
	itest_kdc_stop(&own_kdc);
	itest_cleanup_dir(&own_dir);
}

TestSuite(gssapi_auth, .timeout = 90, .fini = own_cleanup);

static const char *
need(const char *name)
{
	const char *v = getenv(name);

	cr_assert_not_null(v, "%s unset: the suite's fixtures did not start",
	    name);
	return v;
}

/* A ticket cache for principal (kinit from its keytab in kt_dir):
 * "FILE:..." in a new string. */
static char *
ticket(const char *kt_var, const char *user, const char *principal)
{
	char *cc = NULL, *kt = NULL, *ccenv = NULL, *cfg = NULL;
	struct buf *out = buf_new(256, ITEST_OUTPUT_MAX);
	int rc;

	cr_assert_geq(asprintf(&cc, "FILE:%s/%s-%d.cc", need("GT_DIR"),
	    principal, (int)getpid()), 0);
	cr_assert_geq(asprintf(&kt, "%s/%s.keytab", need(kt_var), user), 0);
	cr_assert_geq(asprintf(&ccenv, "KRB5CCNAME=%s", cc), 0);
	cr_assert_geq(asprintf(&cfg, "KRB5_CONFIG=%s",
	    need("GT_CLIENT_KRB5_CONFIG")), 0);
	{
		char *argv[] = { "kinit", "-k", "-t", kt, (char *)principal,
			NULL };
		char *env[] = { cfg, ccenv, "KRB5_CLIENT_KTNAME", NULL };

		rc = itest_run(argv, env, out, 30000);
	}
	cr_assert_eq(rc, 0, "kinit %s: %s", principal, buf_cstr(out));
	buf_free(&out);
	free(kt);
	free(ccenv);
	free(cfg);
	return cc;
}

/* Run a client with the ticket cache cc (NULL: an empty one); its exit
 * status, output in out. */
static int
client(char *const argv[], const char *cc, struct buf *out)
{
	char *ccenv = NULL, *cfg = NULL;
	int rc;

	if (cc != NULL)
		cr_assert_geq(asprintf(&ccenv, "KRB5CCNAME=%s", cc), 0);
	else
		cr_assert_geq(asprintf(&ccenv, "KRB5CCNAME=FILE:%s/none.cc",
		    need("GT_DIR")), 0);
	cr_assert_geq(asprintf(&cfg, "KRB5_CONFIG=%s",
	    need("GT_CLIENT_KRB5_CONFIG")), 0);
	{
		char *env[] = { cfg, ccenv, "KRB5_CLIENT_KTNAME",
			"KRB5_KTNAME", NULL };

		buf_reset(out);
		rc = itest_run(argv, env, out, 30000);
	}
	free(ccenv);
	free(cfg);
	return rc;
}

/* smtptest -m GSSAPI against the suite's submission port (or port). */
static void
smtptest(const char *port, const char *cc, const char *authz,
    struct buf *out)
{
	char *argv[] = { SMTPTEST, "-m", "GSSAPI", "-p", (char *)port,
		authz != NULL ? "-u" : "localhost", (char *)authz, "localhost",
		NULL };

	if (authz == NULL)
		argv[6] = NULL;
	(void)client(argv, cc, out);
}

/* pop3test -m GSSAPI, then the commands in a file (STAT, RETR 1, QUIT
 * or as given). */
static void
pop3test(const char *port, const char *cc, const char *cmds,
    struct buf *out)
{
	char *file = NULL;

	cr_assert_geq(asprintf(&file, "%s/pop-%d.cmds", need("GT_DIR"),
	    (int)getpid()), 0);
	cr_assert_eq(write_text(file, cmds), 0);
	{
		char *argv[] = { POP3TEST, "-m", "GSSAPI", "-p", (char *)port,
			"-f", file, "localhost", NULL };

		(void)client(argv, cc, out);
	}
	unlink(file);
	free(file);
}

/* imtest -m GSSAPI (-u authz if given), then the commands in a file
 * (". LOGOUT" or as given). */
static void
imtest(const char *port, const char *cc, const char *authz, const char *cmds,
    struct buf *out)
{
	char *file = NULL;

	cr_assert_geq(asprintf(&file, "%s/imap-%d.cmds", need("GT_DIR"),
	    (int)getpid()), 0);
	cr_assert_eq(write_text(file, cmds), 0);
	{
		char *argv[] = { IMTEST, "-m", "GSSAPI", "-p", (char *)port,
			"-f", file, authz != NULL ? "-u" : "localhost",
			(char *)authz, "localhost", NULL };

		if (authz == NULL)
			argv[8] = NULL;
		(void)client(argv, cc, out);
	}
	unlink(file);
	free(file);
}

static bool
has(const struct buf *b, const char *s)
{
	return strstr(buf_cstr(b), s) != NULL;
}

/* Whether log file name (in dir) has a line containing every one of the
 * strings (NULL-terminated). Retries for up to 5 s: lines may lag. */
static bool
log_line(const char *dir, const char *name, const char *const *want)
{
	char *path = path_in(dir, name);
	bool found = false;

	for (int tries = 0; tries < 50 && !found; tries++) {
		FILE *f = fopen(path, "r");
		char line[4096];

		while (f != NULL && !found && fgets(line, sizeof(line), f)) {
			size_t i;

			for (i = 0; want[i] != NULL; i++)
				if (strstr(line, want[i]) == NULL)
					break;
			found = want[i] == NULL;
		}
		if (f != NULL)
			fclose(f);
		if (!found)
			usleep(100 * 1000);
	}
	if (!found)
		itest_dump_log(path);
	free(path);
	return found;
}

#define LOG_HAS(dir, name, ...) \
	log_line((dir), (name), (const char *const[]){ __VA_ARGS__, NULL })

/* ---- SMTP submission ------------------------------------------------ */

Test(gssapi_auth, smtp_ticket_signs_on)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *cc = ticket("GT_KT", "alice", "alice");

	smtptest(need("GT_SUB"), cc, NULL, out);
	cr_assert(has(out, "250 AUTH GSSAPI"), "%s", buf_cstr(out));
	cr_assert(has(out, "235 2.7.0"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "mtad.log", "event=auth ",
	    "mech=GSSAPI", "user=alice",
	    "entry=uid=alice,ou=people," BASE,
	    "principal=alice@EXAMPLE.TEST"));
	buf_free(&out);
	free(cc);
}

Test(gssapi_auth, smtp_without_a_ticket_fails)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *argv[] = { "msmtp", "--host=localhost", NULL, "--auth=gssapi",
		"--user=alice", "--tls=off", "--from=alice@example.test",
		"bob@example.test", NULL };
	char *port = NULL;

	smtptest(need("GT_SUB"), NULL, NULL, out);
	cr_assert(has(out, "250 AUTH GSSAPI"), "%s", buf_cstr(out));
	cr_assert(!has(out, "235 "), "%s", buf_cstr(out));
	cr_assert(has(out, "Authentication failed"), "%s", buf_cstr(out));
	cr_assert_geq(asprintf(&port, "--port=%s", need("GT_SUB")), 0);
	argv[2] = port;
	cr_assert_neq(client(argv, NULL, out), 0, "%s", buf_cstr(out));
	free(port);
	buf_free(&out);
}

Test(gssapi_auth, smtp_disabled_account_refused)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *cc = ticket("GT_KT", "carol", "carol");

	smtptest(need("GT_SUB"), cc, NULL, out);
	cr_assert(has(out, "535 5.7.8"), "%s", buf_cstr(out));
	cr_assert(!has(out, "235 "), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "mtad.log", "event=auth-failed",
	    "mech=GSSAPI", "reason=disabled", "principal=carol@EXAMPLE.TEST",
	    "entry=uid=carol,ou=people," BASE));
	buf_free(&out);
	free(cc);
}

Test(gssapi_auth, smtp_no_entry_and_receive_only_refused)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *dave = ticket("GT_KT", "dave", "dave");
	char *erin = ticket("GT_KT", "erin", "erin");

	smtptest(need("GT_SUB"), dave, NULL, out);
	cr_assert(has(out, "535 5.7.8"), "%s", buf_cstr(out));
	smtptest(need("GT_SUB"), erin, NULL, out);
	cr_assert(has(out, "535 5.7.8"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "mtad.log", "event=auth-failed",
	    "reason=no_user", "principal=dave@EXAMPLE.TEST", "entry=-"));
	cr_assert(LOG_HAS(need("GT_DIR"), "mtad.log", "event=auth-failed",
	    "reason=receive_only", "principal=erin@EXAMPLE.TEST"));
	buf_free(&out);
	free(dave);
	free(erin);
}

Test(gssapi_auth, smtp_foreign_realm_refused)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *cc = ticket("GT_KT2", "alice", "alice@OTHER.TEST");

	/* Kerberos itself accepts the cross-realm ticket: the refusal is
	 * allowed_realms' */
	smtptest(need("GT_SUB"), cc, NULL, out);
	cr_assert(has(out, "535 5.7.8"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "mtad.log", "event=auth-failed",
	    "reason=realm_not_allowed", "principal=alice@OTHER.TEST"));
	buf_free(&out);
	free(cc);
}

Test(gssapi_auth, smtp_authorization_identity)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *cc = ticket("GT_KT", "alice", "alice");

	/* another account: refused */
	smtptest(need("GT_SUB"), cc, "bob", out);
	cr_assert(has(out, "535 5.7.8"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "mtad.log", "event=auth-failed",
	    "result=fail_authz", "reason=authz_refused",
	    "principal=alice@EXAMPLE.TEST"));
	/* her own address names the same entry: accepted */
	smtptest(need("GT_SUB"), cc, "alice@example.test", out);
	cr_assert(has(out, "235 2.7.0"), "%s", buf_cstr(out));
	buf_free(&out);
	free(cc);
}

/* ---- POP3 ----------------------------------------------------------- */

Test(gssapi_auth, pop3_ticket_signs_on_and_refusals)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *alice = ticket("GT_KT", "alice", "alice");
	char *carol = ticket("GT_KT", "carol", "carol");
	char *other = ticket("GT_KT2", "alice", "alice@OTHER.TEST");
	const char *pop = need("GT_POP");

	pop3test(pop, alice, "STAT\r\nQUIT\r\n", out);
	cr_assert(has(out, "GSSAPI"), "%s", buf_cstr(out));
	cr_assert(has(out, "+OK Logged in"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "accessd.log", "accessd/pop3[",
	    "login user=alice",
	    "dn=\"uid=alice,ou=people," BASE));
	pop3test(pop, carol, "QUIT\r\n", out);
	cr_assert(has(out, "-ERR [AUTH]"), "%s", buf_cstr(out));
	cr_assert(!has(out, "+OK Logged in"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "accessd.log", "accessd/pop3[",
	    "mech=GSSAPI",
	    "reason=disabled", "principal=carol@EXAMPLE.TEST"));
	pop3test(pop, other, "QUIT\r\n", out);
	cr_assert(has(out, "-ERR [AUTH]"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "accessd.log", "accessd/pop3[",
	    "mech=GSSAPI",
	    "reason=realm_not_allowed", "principal=alice@OTHER.TEST"));
	pop3test(pop, NULL, "QUIT\r\n", out);
	cr_assert(!has(out, "+OK Logged in"), "%s", buf_cstr(out));
	cr_assert(has(out, "Authentication failed"), "%s", buf_cstr(out));
	buf_free(&out);
	free(alice);
	free(carol);
	free(other);
}


/* ---- IMAP ----------------------------------------------------------- */

Test(gssapi_auth, imap_ticket_signs_on)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *alice = ticket("GT_KT", "alice", "alice");

	imtest(need("GT_IMAP"), alice, NULL, ". LOGOUT\r\n", out);
	/* the listener names no mechanisms: [sasl] mechanisms apply */
	cr_assert(has(out, "AUTH=GSSAPI"), "%s", buf_cstr(out));
	cr_assert(has(out, "SASL-IR"), "%s", buf_cstr(out));
	/* imtest sent the ticket with the command (SASL-IR) */
	cr_assert(has(out, "AUTHENTICATE GSSAPI YII"), "%s", buf_cstr(out));
	cr_assert(has(out, "OK [CAPABILITY"), "%s", buf_cstr(out));
	cr_assert(has(out, "Logged in"), "%s", buf_cstr(out));
	cr_assert(has(out, "* BYE Logging out"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "accessd.log", "accessd/imap[",
	    "login user=alice",
	    "dn=\"uid=alice,ou=people," BASE));
	buf_free(&out);
	free(alice);
}

Test(gssapi_auth, imap_refusals)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *carol = ticket("GT_KT", "carol", "carol");
	char *dave = ticket("GT_KT", "dave", "dave");
	char *erin = ticket("GT_KT", "erin", "erin");
	char *other = ticket("GT_KT2", "alice", "alice@OTHER.TEST");
	const char *imap = need("GT_IMAP");

	imtest(imap, carol, NULL, ". LOGOUT\r\n", out);
	cr_assert(has(out, "NO [AUTHENTICATIONFAILED]"), "%s", buf_cstr(out));
	cr_assert(!has(out, "Logged in"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "accessd.log", "accessd/imap[",
	    "mech=GSSAPI",
	    "result=fail_auth", "reason=disabled",
	    "principal=carol@EXAMPLE.TEST",
	    "dn=\"uid=carol,ou=people," BASE));
	imtest(imap, dave, NULL, ". LOGOUT\r\n", out);
	cr_assert(has(out, "NO [AUTHENTICATIONFAILED]"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "accessd.log", "accessd/imap[",
	    "mech=GSSAPI",
	    "reason=no_user", "principal=dave@EXAMPLE.TEST", "dn=\"-\""));
	imtest(imap, erin, NULL, ". LOGOUT\r\n", out);
	cr_assert(has(out, "NO [AUTHENTICATIONFAILED]"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "accessd.log", "accessd/imap[",
	    "mech=GSSAPI",
	    "reason=receive_only", "principal=erin@EXAMPLE.TEST"));
	/* Kerberos accepts the cross-realm ticket; allowed_realms does not */
	imtest(imap, other, NULL, ". LOGOUT\r\n", out);
	cr_assert(has(out, "NO [AUTHENTICATIONFAILED]"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "accessd.log", "accessd/imap[",
	    "mech=GSSAPI",
	    "reason=realm_not_allowed", "principal=alice@OTHER.TEST"));
	/* no ticket: the client cannot even start */
	imtest(imap, NULL, NULL, ". LOGOUT\r\n", out);
	cr_assert(!has(out, "Logged in"), "%s", buf_cstr(out));
	cr_assert(has(out, "Authentication failed"), "%s", buf_cstr(out));
	buf_free(&out);
	free(carol);
	free(dave);
	free(erin);
	free(other);
}

Test(gssapi_auth, imap_authorization_identity)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *alice = ticket("GT_KT", "alice", "alice");

	/* another account: refused as an authorization failure */
	imtest(need("GT_IMAP"), alice, "bob", ". LOGOUT\r\n", out);
	cr_assert(has(out, "NO [AUTHORIZATIONFAILED]"), "%s", buf_cstr(out));
	cr_assert(!has(out, "Logged in"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "accessd.log", "mech=GSSAPI",
	    "result=fail_authz", "reason=authz_refused",
	    "principal=alice@EXAMPLE.TEST"));
	/* her own address names the same entry: accepted */
	imtest(need("GT_IMAP"), alice, "alice@example.test", ". LOGOUT\r\n",
	    out);
	cr_assert(has(out, "Logged in"), "%s", buf_cstr(out));
	buf_free(&out);
	free(alice);
}

/* An authorization identity the directory grants: frank's entry names
 * bob in authzTo, so frank's ticket with authzid bob opens bob's
 * mailbox; alice is not granted; carol is granted but disabled. */
Test(gssapi_auth, imap_authorization_granted_by_the_directory)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *frank = ticket("GT_KT", "frank", "frank");

	imtest(need("GT_IMAP"), frank, "bob", ". SELECT INBOX\r\n"
	    ". LOGOUT\r\n", out);
	cr_assert(has(out, "Logged in"), "%s", buf_cstr(out));
	cr_assert(has(out, ". OK [READ-WRITE]"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "accessd.log", "mech=GSSAPI",
	    "principal=frank@EXAMPLE.TEST", "user=bob"));
	imtest(need("GT_IMAP"), frank, "alice", ". LOGOUT\r\n", out);
	cr_assert(has(out, "NO [AUTHORIZATIONFAILED]"), "%s", buf_cstr(out));
	cr_assert(!has(out, "Logged in"), "%s", buf_cstr(out));
	imtest(need("GT_IMAP"), frank, "carol", ". LOGOUT\r\n", out);
	cr_assert(has(out, "NO [AUTHORIZATIONFAILED]"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "accessd.log", "result=fail_authz",
	    "reason=authz_inactive", "principal=frank@EXAMPLE.TEST"));
	/* and on submission: AUTH as bob with frank's ticket */
	smtptest(need("GT_SUB"), frank, "bob", out);
	cr_assert(has(out, "235 2.7.0"), "%s", buf_cstr(out));
	buf_free(&out);
	free(frank);
}

/* A message submitted with msmtp and a Kerberos login arrives, and bob
 * reads it with pop3test and his own Kerberos login. */
Test(gssapi_auth, submitted_by_kerberos_read_back_by_kerberos)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *alice = ticket("GT_KT", "alice", "alice");
	char *bob = ticket("GT_KT", "bob", "bob");
	char *msg = NULL, *cmd = NULL, *subject = NULL, *cfg = NULL;
	bool seen = false;

	cr_assert_geq(asprintf(&subject, "kerberos end to end %d",
	    (int)getpid()), 0);
	cr_assert_geq(asprintf(&msg, "%s/msg-%d.txt", need("GT_DIR"),
	    (int)getpid()), 0);
	{
		char *text = NULL;

		cr_assert_geq(asprintf(&text, "From: alice@example.test\n"
		    "To: bob@example.test\nSubject: %s\n\nsigned on once\n",
		    subject), 0);
		cr_assert_eq(write_text(msg, text), 0);
		free(text);
	}
	cr_assert_geq(asprintf(&cmd, "msmtp --host=localhost --port=%s"
	    " --auth=gssapi --user=alice --tls=off"
	    " --from=alice@example.test bob@example.test < %s",
	    need("GT_SUB"), msg), 0);
	{
		char *argv[] = { "sh", "-c", cmd, NULL };

		cr_assert_eq(client(argv, alice, out), 0, "msmtp: %s",
		    buf_cstr(out));
	}
	cr_assert(LOG_HAS(need("GT_DIR"), "mtad.log", "event=accepted",
	    "auth=alice"));
	/* delivery is asynchronous (queue manager, LMTP): poll */
	for (int i = 0; i < 50 && !seen; i++) {
		pop3test(need("GT_POP"), bob,
		    "LIST\r\nTOP 1 0\r\nTOP 2 0\r\nTOP 3 0\r\nQUIT\r\n", out);
		cr_assert(has(out, "+OK Logged in"), "%s", buf_cstr(out));
		seen = has(out, subject);
		if (!seen)
			usleep(200 * 1000);
	}
	cr_assert(seen, "the message did not arrive: %s", buf_cstr(out));
	cr_assert(has(out, "(authenticated as alice)"), "%s", buf_cstr(out));
	buf_free(&out);
	unlink(msg);
	free(msg);
	free(cmd);
	free(cfg);
	free(subject);
	free(alice);
	free(bob);
}


/* The same over IMAP: smtptest cannot send a message, so alice submits
 * with msmtp (GNU SASL's GSSAPI) to bob, the queue manager delivers it
 * over LMTP, and bob reads it with imtest and his own Kerberos login. */
Test(gssapi_auth, submitted_by_kerberos_read_over_imap_by_kerberos)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *alice = ticket("GT_KT", "alice", "alice");
	char *bob = ticket("GT_KT", "bob", "bob");
	char *msg = NULL, *cmd = NULL, *subject = NULL, *search = NULL;
	bool seen = false;

	cr_assert_geq(asprintf(&subject, "kerberos over imap %d",
	    (int)getpid()), 0);
	cr_assert_geq(asprintf(&msg, "%s/imsg-%d.txt", need("GT_DIR"),
	    (int)getpid()), 0);
	{
		char *text = NULL;

		cr_assert_geq(asprintf(&text, "From: alice@example.test\n"
		    "To: bob@example.test\nSubject: %s\n\n"
		    "read back with a ticket\n", subject), 0);
		cr_assert_eq(write_text(msg, text), 0);
		free(text);
	}
	cr_assert_geq(asprintf(&cmd, "msmtp --host=localhost --port=%s"
	    " --auth=gssapi --user=alice --tls=off"
	    " --from=alice@example.test bob@example.test < %s",
	    need("GT_SUB"), msg), 0);
	{
		char *argv[] = { "sh", "-c", cmd, NULL };

		cr_assert_eq(client(argv, alice, out), 0, "msmtp: %s",
		    buf_cstr(out));
	}
	cr_assert(LOG_HAS(need("GT_DIR"), "mtad.log", "event=accepted",
	    "auth=alice"));
	/* find it by subject (other tests write to bob too), then fetch it */
	cr_assert_geq(asprintf(&search, ". SELECT INBOX\r\n"
	    ". UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n"
	    ". SEARCH SUBJECT \"%s\"\r\n"
	    ". FETCH 1:* BODY[]\r\n. LOGOUT\r\n", subject), 0);
	/* delivery is asynchronous (queue manager, LMTP): poll */
	for (int i = 0; i < 50 && !seen; i++) {
		imtest(need("GT_IMAP"), bob, NULL, search, out);
		cr_assert(has(out, "Logged in"), "%s", buf_cstr(out));
		seen = has(out, subject) && has(out, "read back with a ticket");
		if (!seen)
			usleep(200 * 1000);
	}
	cr_assert(seen, "the message did not arrive: %s", buf_cstr(out));
	cr_assert(has(out, "(authenticated as alice)"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(need("GT_DIR"), "accessd.log", "accessd/imap[",
	    "login user=bob",
	    "dn=\"uid=bob,ou=people," BASE));
	buf_free(&out);
	unlink(msg);
	free(msg);
	free(cmd);
	free(search);
	free(subject);
	free(alice);
	free(bob);
}

/* ---- configurations of their own ------------------------------------ */

struct own {
	char *dir, *conf;
	uint16_t ports[4];
	struct itest_proc *mtad, *accessd;
	char sub[8], pop[8], imap[8];
};

static void
own_start_a(struct own *o, const char *uri, const char *sasl_extra,
    const char *accessd_extra)
{
	char *kt = NULL, *dst = NULL;

	memset(o, 0, sizeof(*o));
	o->dir = itest_tmpdir("gssapi-own");
	cr_assert_not_null(o->dir);
	own_dir = o->dir;
	chmod(o->dir, 0755);
	kt = path_in(need("GT_KT"), "services.keytab");
	dst = path_in(o->dir, "mail.keytab");
	cr_assert_eq(copy_file(kt, dst), 0);
	cr_assert_eq(itest_free_ports(o->ports, 4), 0);
	o->conf = write_conf(o->dir, "tessera", uri, sasl_extra, accessd_extra,
	    o->ports[0], o->ports[1], o->ports[2], o->ports[3]);
	cr_assert_not_null(o->conf);
	snprintf(o->sub, sizeof(o->sub), "%u", o->ports[0]);
	snprintf(o->pop, sizeof(o->pop), "%u", o->ports[2]);
	snprintf(o->imap, sizeof(o->imap), "%u", o->ports[3]);
	free(kt);
	free(dst);
}

static void
own_start(struct own *o, const char *uri, const char *sasl_extra)
{
	own_start_a(o, uri, sasl_extra, "");
}

static void
own_stop(struct own *o)
{
	own_cleanup();
	o->mtad = o->accessd = NULL;
	o->dir = NULL;
	free(o->conf);
}

/* The daemons of this suite need fx.kdc for their environment; in a
 * test process it is rebuilt from the environment. */
static void
own_env(void)
{
	static struct itest_kdc k;
	static char *cfg;

	if (fx.kdc != NULL)
		return;
	cr_assert_geq(asprintf(&cfg, "KRB5_CONFIG=%s/krb5.conf",
	    need("GT_KDC_DIR")), 0);
	k.env[0] = cfg;
	fx.kdc = &k;
}

Test(gssapi_auth, allowed_realms_decide)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *other = ticket("GT_KT2", "alice", "alice@OTHER.TEST");
	char *alice = ticket("GT_KT", "alice", "alice");
	struct own o;

	own_env();
	own_start(&o, need("GT_URI"), "allowed_realms = OTHER.TEST\n");
	o.mtad = own_procs[0] = start_daemon(o.dir, "mtad", o.conf,
	    o.ports[0]);
	cr_assert_not_null(o.mtad);
	/* OTHER.TEST allowed: its alice maps to uid alice (the uid@realm
	 * rule) */
	smtptest(o.sub, other, NULL, out);
	cr_assert(has(out, "235 2.7.0"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(o.dir, "mtad.log", "event=auth ",
	    "principal=alice@OTHER.TEST", "entry=uid=alice,ou=people,"));
	/* and EXAMPLE.TEST, the service's own realm, is not */
	smtptest(o.sub, alice, NULL, out);
	cr_assert(has(out, "535 5.7.8"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(o.dir, "mtad.log", "reason=realm_not_allowed",
	    "principal=alice@EXAMPLE.TEST"));
	own_stop(&o);
	buf_free(&out);
	free(other);
	free(alice);
}

Test(gssapi_auth, directory_down_is_a_temporary_failure)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *alice = ticket("GT_KT", "alice", "alice");
	char *uri = NULL;
	struct own o;

	own_env();
	/* a port nobody listens on */
	cr_assert_geq(asprintf(&uri, "ldap://127.0.0.1:%u",
	    itest_free_port()), 0);
	own_start(&o, uri, "allowed_realms = EXAMPLE.TEST\n");
	o.mtad = own_procs[0] = start_daemon(o.dir, "mtad", o.conf,
	    o.ports[0]);
	o.accessd = own_procs[1] = start_daemon(o.dir, "accessd", o.conf,
	    o.ports[1]);
	cr_assert_not_null(o.mtad);
	cr_assert_not_null(o.accessd);
	smtptest(o.sub, alice, NULL, out);
	cr_assert(has(out, "454 4.7.0"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(o.dir, "mtad.log", "event=auth-failed",
	    "result=fail_temp", "principal=alice@EXAMPLE.TEST", "error="));
	pop3test(o.pop, alice, "QUIT\r\n", out);
	cr_assert(has(out, "-ERR [SYS/TEMP]"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(o.dir, "accessd.log", "mech=GSSAPI",
	    "result=fail_temp", "principal=alice@EXAMPLE.TEST"));
	imtest(o.imap, alice, NULL, ". LOGOUT\r\n", out);
	cr_assert(has(out, "NO [UNAVAILABLE]"), "%s", buf_cstr(out));
	cr_assert(!has(out, "Logged in"), "%s", buf_cstr(out));
	own_stop(&o);
	buf_free(&out);
	free(alice);
	free(uri);
}

Test(gssapi_auth, gssapi_without_allowed_realms_does_not_start)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	const char *b = getenv("TESSERA_BUILDDIR");
	char *bin = NULL;
	struct own o;

	own_env();
	own_start(&o, need("GT_URI"), "");
	cr_assert_geq(asprintf(&bin, "%s/mtad/mtad", b != NULL ? b : "."), 0);
	{
		char *argv[] = { bin, "-c", o.conf, "-n", NULL };

		cr_assert_eq(itest_run(argv, NULL, out, 10000), 78, "%s",
		    buf_cstr(out));
	}
	cr_assert(has(out, "offers GSSAPI"), "%s", buf_cstr(out));
	cr_assert(has(out, "allowed_realms"), "%s", buf_cstr(out));
	own_stop(&o);
	buf_free(&out);
	free(bin);
}

/* A ticket is one long base64 line; pop3_auth_line_max caps it (the
 * suite's accessd, with the default 16k, took the same ticket). */
Test(gssapi_auth, pop3_auth_line_limit)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *alice = ticket("GT_KT", "alice", "alice");
	struct own o;

	own_env();
	own_start_a(&o, need("GT_URI"), "allowed_realms = EXAMPLE.TEST\n",
	    "pop3_auth_line_max = 512\n");
	o.accessd = own_procs[1] = start_daemon(o.dir, "accessd", o.conf,
	    o.ports[1]);
	cr_assert_not_null(o.accessd);
	pop3test(o.pop, alice, "QUIT\r\n", out);
	cr_assert(has(out, "-ERR Line too long"), "%s", buf_cstr(out));
	cr_assert(!has(out, "+OK Logged in"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS(o.dir, "accessd.log", "reason=line_too_long",
	    "max=512"));
	own_stop(&o);
	buf_free(&out);
	free(alice);
}

/* Read from fd until want has come (1) or 5 s passed (0); what came is
 * appended to got. */
static bool
read_until(int fd, struct buf *got, const char *want)
{
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (strstr(buf_cstr(got), want) == NULL) {
		char chunk[512];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n <= 0)
			return false;
		buf_append(got, chunk, (size_t)n);
	}
	return true;
}

static void
send_text(int fd, const char *text)
{
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* An AUTHENTICATE continuation line is capped at [accessd.imap]
 * auth_line_max; one within it reaches SASL (and fails as the garbage it
 * is), one past it gets BAD [LIMIT] and the session goes on. */
Test(gssapi_auth, imap_auth_line_limit)
{
	struct buf *got = buf_new(4096, ITEST_OUTPUT_MAX);
	char line[400];
	struct own o;
	int fd;

	own_env();
	own_start_a(&o, need("GT_URI"), "allowed_realms = EXAMPLE.TEST\n",
	    "[accessd.imap]\nauth_line_max = 256\n");
	o.accessd = own_procs[1] = start_daemon(o.dir, "accessd", o.conf,
	    o.ports[1]);
	cr_assert_not_null(o.accessd);
	fd = itest_connect("127.0.0.1", o.ports[3], 5000);
	cr_assert_geq(fd, 0);
	cr_assert(read_until(fd, got, "* OK"), "%s", buf_cstr(got));
	/* 252 base64 bytes + CRLF: within the limit */
	memset(line, 'A', 252);
	memcpy(line + 252, "\r\n", 3);
	buf_reset(got);
	send_text(fd, "a AUTHENTICATE GSSAPI\r\n");
	cr_assert(read_until(fd, got, "+ \r\n"), "%s", buf_cstr(got));
	send_text(fd, line);
	cr_assert(read_until(fd, got, "\r\na "), "%s", buf_cstr(got));
	cr_assert(read_until(fd, got, "failed\r\n"), "%s", buf_cstr(got));
	cr_assert(has(got, "a NO [AUTHENTICATIONFAILED]"), "%s",
	    buf_cstr(got));
	cr_assert(!has(got, "[LIMIT]"), "%s", buf_cstr(got));
	/* 300 + CRLF: over it */
	buf_reset(got);
	memset(line, 'A', 300);
	memcpy(line + 300, "\r\n", 3);
	send_text(fd, "b AUTHENTICATE GSSAPI\r\n");
	cr_assert(read_until(fd, got, "+ \r\n"), "%s", buf_cstr(got));
	send_text(fd, line);
	cr_assert(read_until(fd, got, "b BAD [LIMIT]"), "%s", buf_cstr(got));
	send_text(fd, "c NOOP\r\n");
	cr_assert(read_until(fd, got, "c OK"), "%s", buf_cstr(got));
	close(fd);
	cr_assert(LOG_HAS(o.dir, "accessd.log", "reason=line_too_long",
	    "max=256"));
	own_stop(&o);
	buf_free(&got);
}

/* Lines of file path holding both a and b. */
static int
count_lines(const char *path, const char *a, const char *b)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int n = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, a) != NULL && strstr(line, b) != NULL)
			n++;
	if (f != NULL)
		fclose(f);
	return n;
}

/* The lookup process binds to slapd by Kerberos from its own keytab
 * (tessera-dir, no password; this slapd answers no anonymous search) and
 * keeps working as its 4-second tickets expire (a new one from the keytab
 * at the next bind), through a KDC restart and directory restarts. Its own KDC and slapd: the suite's KDC is not
 * stopped under the other tests. */
Test(gssapi_auth, lookup_process_binds_by_kerberos_through_restarts,
    .timeout = 150)
{
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *sample = itest_srcpath("schema/samples/example.test.ldif");
	char *d = NULL, *kt = NULL, *dst = NULL, *uri = NULL, *conf = NULL;
	char *kt_env = NULL, *cfg_env = NULL, *alice = NULL, *dirkt = NULL;
	char imap[8], *kdc_log = NULL;
	uint16_t ports[4];
	int tgts;

	own_dir = itest_tmpdir("gssapi-lookup");
	cr_assert_not_null(own_dir);
	chmod(own_dir, 0755);
	d = path_in(own_dir, "kdc");
	own_kdc = itest_kdc_start(d, "tessera-dir");
	free(d);
	cr_assert_not_null(own_kdc, "the KDC fixture did not start");
	cr_assert_eq(itest_kdc_admin(own_kdc,
	    "modprinc -maxlife \"4 seconds\" tessera-dir"), 0);
	cr_assert_geq(asprintf(&kt_env, "SLAPD_KRB5_KEYTAB=%s/ldap.keytab",
	    own_kdc->keytab_dir), 0);
	cr_assert_geq(asprintf(&cfg_env, "KRB5_CONFIG=%s",
	    own_kdc->krb5_config), 0);
	{
		char *env[] = { kt_env, cfg_env, "SLAPD_ANON_READ=no", NULL };

		d = path_in(own_dir, "slapd");
		own_slapd = itest_slapd_start_env(d, sample, env);
		free(d);
	}
	cr_assert_not_null(own_slapd, "the slapd fixture did not start");
	cr_assert_not_null(own_slapd->sasl_uri);
	kt = path_in(own_kdc->keytab_dir, "services.keytab");
	dst = path_in(own_dir, "mail.keytab");
	cr_assert_eq(copy_file(kt, dst), 0);
	free(kt);
	kt = path_in(own_kdc->keytab_dir, "tessera-dir.keytab");
	dirkt = path_in(own_dir, "dir.keytab");
	cr_assert_eq(copy_file(kt, dirkt), 0);
	/* every lookup asks slapd; a failed server is tried again at once */
	cr_assert_geq(asprintf(&uri, "%s\nbind_method = gssapi\n"
	    "bind_keytab = %s\ncache_max_entries = 0\nretry_dead = 0s",
	    own_slapd->sasl_uri, dirkt), 0);
	cr_assert_eq(itest_free_ports(ports, 4), 0);
	conf = write_conf(own_dir, "tessera", uri,
	    "allowed_realms = EXAMPLE.TEST\n", "", ports[0], ports[1],
	    ports[2], ports[3]);
	cr_assert_not_null(conf);
	fx.kdc = own_kdc;	/* the daemon's environment: this realm */
	own_procs[1] = start_daemon(own_dir, "accessd", conf, ports[1]);
	cr_assert_not_null(own_procs[1]);
	snprintf(imap, sizeof(imap), "%u", ports[3]);
	setenv("GT_CLIENT_KRB5_CONFIG", own_kdc->krb5_config, 1);
	setenv("GT_LKT", own_kdc->keytab_dir, 1);
	alice = ticket("GT_LKT", "alice", "alice");

	/* 1. the principal's entry comes through a GSSAPI-bound connection */
	imtest(imap, alice, NULL, ". LOGOUT\r\n", out);
	cr_assert(has(out, "Logged in"), "%s", buf_cstr(out));
	cr_assert(LOG_HAS("", own_slapd->log, "mech=GSSAPI"));
	kdc_log = path_in(own_kdc->dir, "kdc.log");
	tgts = count_lines(kdc_log, "AS_REQ", "tessera-dir@EXAMPLE.TEST for "
	    "krbtgt/");
	cr_assert_geq(tgts, 1, "the lookup process asked no ticket");
	/* 2. the lookup process's ticket expires (its bound connection does
	 * not care) and slapd restarts: the bind on the new connection gets
	 * a new ticket from the keytab by itself */
	sleep(6);
	imtest(imap, alice, NULL, ". LOGOUT\r\n", out);
	cr_assert(has(out, "Logged in"), "expired, bound: %s", buf_cstr(out));
	cr_assert_eq(itest_slapd_restart(own_slapd), 0);
	imtest(imap, alice, NULL, ". LOGOUT\r\n", out);
	cr_assert(has(out, "Logged in"), "after expiry: %s", buf_cstr(out));
	cr_assert_gt(count_lines(kdc_log, "AS_REQ", "tessera-dir@EXAMPLE.TEST "
	    "for krbtgt/"), tgts, "no new ticket after expiry");
	/* 3. the KDC goes down, the ticket expires and slapd restarts: the
	 * lookup process cannot bind again, the login is a temporary failure
	 * (alice's client still holds its imap/localhost ticket) */
	cr_assert_eq(itest_kdc_halt(own_kdc), 0);
	sleep(6);
	cr_assert_eq(itest_slapd_restart(own_slapd), 0);
	imtest(imap, alice, NULL, ". LOGOUT\r\n", out);
	cr_assert(has(out, "NO [UNAVAILABLE]"), "KDC down: %s", buf_cstr(out));
	cr_assert(LOG_HAS(own_dir, "accessd.log", "result=fail_temp",
	    "principal=alice@EXAMPLE.TEST", "GSSAPI bind"));
	/* 4. the KDC is back: a new ticket, a new bind, no daemon restart */
	cr_assert_eq(itest_kdc_resume(own_kdc), 0);
	imtest(imap, alice, NULL, ". LOGOUT\r\n", out);
	cr_assert(has(out, "Logged in"), "KDC back: %s", buf_cstr(out));
	own_cleanup();
	buf_free(&out);
	free(sample);
	free(dst);
	free(kt);
	free(dirkt);
	free(uri);
	free(conf);
	free(kt_env);
	free(cfg_env);
	free(alice);
	free(kdc_log);
}
