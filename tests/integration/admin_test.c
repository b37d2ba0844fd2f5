/*
 * tests/integration/admin_test.c - the tessera command against a real
 * slapd with the Tessera schema and the sample tree.
 *
 * Each test runs the built binary ($TESSERA_BUILDDIR/tessera) with a
 * config file of its own, checks its exit code, stdout and stderr, and
 * checks the directory itself with ldapsearch, ldapwhoami or libtdir.
 * One shared slapd serves the tests that only add entries of their own
 * (each uses addresses no other test touches); tests that stop the
 * server or change its ACLs start their own. Nothing is mocked.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "directory/dir.h"
#include "accessd/store.h"
#include "mtad/queue.h"
#include "mtad/queue_commit.h"
#include "mtad/queue_env.h"
#include "mtad/queue_move.h"
#include "mtad/queue_msg.h"
#include "mtad/queue_state.h"
#include "tests/integration/itest.h"
#include "lib/banned.h"

#define BASE "dc=example,dc=test"
#define ADMIN_DN "cn=admin," BASE
#define HELPDESK_DN "cn=helpdesk," BASE
#define RUN_TIMEOUT_MS 30000

/* Entries besides the sample tree. Passwords are "demo". */
static const char extra_ldif[] =
"dn: cn=helpdesk," BASE "\n"
"objectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
"cn: helpdesk\nuserPassword: {SSHA}aJKOJJlzi8d1JDtBbdBTkguOXjFjooEH\n\n"
"dn: ou=staging," BASE "\nobjectClass: organizationalUnit\nou: staging\n\n"
"dn: uid=stay,ou=staging," BASE "\n"
"objectClass: inetOrgPerson\nobjectClass: inetLocalMailRecipient\n"
"objectClass: tesseraMailUser\nuid: stay\ncn: Stay Put\nsn: Put\n"
"mail: stay@example.test\ntesseraAccountState: active\n\n"
"dn: cn=stgroup,ou=groups," BASE "\n"
"objectClass: groupOfNames\nobjectClass: tesseraMailGroup\ncn: stgroup\n"
"mail: stgroup@example.test\n"
"member: uid=stay,ou=staging," BASE "\n"
"member: uid=alice,ou=people," BASE "\n\n"
"dn: ou=listing," BASE "\nobjectClass: organizationalUnit\nou: listing\n\n"
"dn: uid=l1,ou=listing," BASE "\nobjectClass: inetOrgPerson\n"
"objectClass: tesseraMailUser\nuid: l1\ncn: L One\nsn: One\n"
"mail: l1@example.test\n\n"
"dn: uid=l2,ou=listing," BASE "\nobjectClass: inetOrgPerson\n"
"objectClass: tesseraMailUser\nuid: l2\ncn: L Two\nsn: Two\n"
"mail: l2@example.test\n\n"
"dn: uid=l3,ou=listing," BASE "\nobjectClass: inetOrgPerson\n"
"objectClass: tesseraMailUser\nuid: l3\ncn: L Three\nsn: Three\n"
"mail: l3@example.test\n";

/* ACLs put in front of the fixture's for the rollback tests: the
 * helpdesk may write everything but passwords, and in ou=staging it may
 * add entries but not delete them. Its searches return 2 entries at
 * most. */
static const char helpdesk_acl[] =
"limits dn.exact=\"" HELPDESK_DN "\" size=2\n"
"access to attrs=userPassword\n"
"    by dn.exact=\"" HELPDESK_DN "\" read\n"
"    by self write\n    by anonymous auth\n    by * none\n"
"access to dn.subtree=\"ou=staging," BASE "\"\n"
"    by dn.exact=\"" HELPDESK_DN "\" =arscxd\n    by * read\n"
"access to *\n"
"    by dn.exact=\"" HELPDESK_DN "\" write\n    by * read\n";

/* Criterion's runner leaks two small blocks of its own when it runs
 * tests in parallel; keep LeakSanitizer on for everything else. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

static struct itest_slapd *shared;
static char *shared_dir;

/* "sample.ldif:extra.ldif" for a server in dir (malloc). */
static char *
ldif_files(const char *dir)
{
	char *sample = itest_srcpath("schema/samples/example.test.ldif");
	char *extra = NULL, *both = NULL;
	FILE *f;

	if (asprintf(&extra, "%s/extra.ldif", dir) < 0)
		extra = NULL;
	f = extra != NULL ? fopen(extra, "w") : NULL;
	if (f != NULL) {
		fputs(extra_ldif, f);
		fclose(f);
		if (sample != NULL && asprintf(&both, "%s:%s", sample, extra) < 0)
			both = NULL;
	}
	free(sample);
	free(extra);
	return both;
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char *files;

	(void)set;
	shared_dir = itest_tmpdir("admin-test");
	if (shared_dir == NULL)
		return;
	files = ldif_files(shared_dir);
	shared = files != NULL ? itest_slapd_start(shared_dir, files) : NULL;
	free(files);
	if (shared != NULL) {
		setenv("ADMTEST_URI", shared->uri, 1);
		setenv("ADMTEST_CACERT", shared->cacert, 1);
	}
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	(void)st;
	itest_slapd_stop(&shared);
	itest_cleanup_dir(&shared_dir);
}

/* Per test: a directory for its files, a pool, its own slapd if any. */
static char *tdir;
static struct pool *pool;
static struct itest_slapd *own;
static char *own_dir;

static void
t_init(void)
{
	tdir = itest_tmpdir("admin-t");
	cr_assert_not_null(tdir);
	pool = pool_new("test");
}

static void
t_fini(void)
{
	itest_slapd_stop(&own);
	itest_cleanup_dir(&own_dir);
	itest_cleanup_dir(&tdir);
	pool_free(&pool);
}

TestSuite(admin, .init = t_init, .fini = t_fini, .timeout = 120);

static const char *
shared_uri(void)
{
	const char *v = getenv("ADMTEST_URI");

	cr_assert_not_null(v, "the shared slapd did not start");
	return v;
}

static char *
file_in_tdir(const char *name, const char *content)
{
	char *path = pool_printf(pool, "%s/%s", tdir, name);
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "cannot write %s", path);
	fputs(content, f);
	fclose(f);
	return path;
}

/* A config for uri binding as dn/password, with extra [admin] lines. */
static char *
conf_for(const char *uri, const char *dn, const char *pw, const char *extra)
{
	char *pwfile = file_in_tdir("admin.pw", pw);

	return file_in_tdir("tessera.conf", pool_printf(pool,
	    "[directory]\nuris = %s\nstarttls = no\nbase_dn = " BASE "\n"
	    "user_base_dn = ou=people," BASE "\n"
	    "group_base_dn = ou=groups," BASE "\n"
	    "domain_base_dn = ou=domains," BASE "\n"
	    "connect_timeout = 2s\nop_timeout = 5s\n"
	    "[admin]\nbind_dn = %s\nbind_password_file = %s\n"
	    "alias_base_dn = ou=aliases," BASE "\n%s",
	    uri, dn, pwfile, extra != NULL ? extra : ""));
}

static char *
conf(const char *extra)
{
	return conf_for(shared_uri(), ADMIN_DN, "secret\n", extra);
}

struct res {
	int rc;
	const char *out;
	const char *err;
};

/* Run tessera -c cf ARGS... (NULL-terminated); stdin_text (or NULL for
 * /dev/null) is fed to its standard input. */
static struct res
tessera_v(const char *cf, const char *stdin_text, va_list ap)
{
	const char *build = getenv("TESSERA_BUILDDIR");
	char *bin = pool_printf(pool, "%s/tessera", build != NULL ? build :
	    ".");
	char *argv[64];
	char *env[2] = { NULL, NULL };
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	struct buf *err = buf_new(1024, ITEST_OUTPUT_MAX);
	struct res r;
	size_t n = 0;
	const char *a;

	if (stdin_text != NULL) {
		argv[n++] = "sh";
		argv[n++] = "-c";
		argv[n++] = "printf '%s' \"$ADMTEST_STDIN\" | \"$0\" \"$@\"";
		env[0] = pool_printf(pool, "ADMTEST_STDIN=%s", stdin_text);
	}
	argv[n++] = bin;
	argv[n++] = "-c";
	argv[n++] = (char *)cf;
	while ((a = va_arg(ap, const char *)) != NULL && n < 63)
		argv[n++] = (char *)a;
	argv[n] = NULL;
	r.rc = itest_run_split(argv, env, out, err, RUN_TIMEOUT_MS);
	r.out = pool_strdup(pool, buf_cstr(out));
	r.err = pool_strdup(pool, buf_cstr(err));
	buf_free(&out);
	buf_free(&err);
	return r;
}

static struct res
tessera(const char *cf, ...)
{
	va_list ap;
	struct res r;

	va_start(ap, cf);
	r = tessera_v(cf, NULL, ap);
	va_end(ap);
	return r;
}

static struct res
tessera_stdin(const char *cf, const char *in, ...)
{
	va_list ap;
	struct res r;

	va_start(ap, in);
	r = tessera_v(cf, in, ap);
	va_end(ap);
	return r;
}

#define EXPECT_RC(r, want) \
	cr_assert_eq((r).rc, (want), "exit %d, want %d\nstdout: %s\nstderr: %s", \
	    (r).rc, (want), (r).out, (r).err)
#define EXPECT_IN(hay, needle) \
	cr_expect_not_null(strstr((hay), (needle)), "\"%s\" not in:\n%s", \
	    (needle), (hay))

/* ldapsearch as the rootdn at uri: LDIF of base (scope sub) with filter. */
static const char *
ldap_at(const char *uri, const char *base, const char *filter,
    const char *attr)
{
	char *argv[] = { "ldapsearch", "-LLL", "-x", "-o", "ldif_wrap=no",
		"-H", (char *)uri, "-D", ADMIN_DN, "-w", "secret", "-b",
		(char *)base, (char *)filter, (char *)attr, NULL };
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	int rc = itest_run_split(argv, NULL, out, NULL, RUN_TIMEOUT_MS);
	const char *s = pool_strdup(pool, buf_cstr(out));

	buf_free(&out);
	cr_assert(rc == 0 || rc == 32, "ldapsearch exit %d: %s", rc, s);
	return s;
}

static const char *
ldap_get(const char *base, const char *filter, const char *attr)
{
	return ldap_at(shared_uri(), base, filter, attr);
}

/* Does a simple bind as dn with pw work? (ldapwhoami) */
static bool
can_bind(const char *dn, const char *pw)
{
	char *argv[] = { "ldapwhoami", "-x", "-H", (char *)shared_uri(), "-D",
		(char *)dn, "-w", (char *)pw, NULL };

	return itest_run(argv, NULL, NULL, RUN_TIMEOUT_MS) == 0;
}

/* Run python3 code with text as its stdin; the code asserts. */
static void
py_check(const char *text, const char *code)
{
	char *argv[] = { "sh", "-c",
		"printf '%s' \"$J\" | python3 -c \"$P\"", NULL };
	char *env[3];
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	int rc;

	env[0] = pool_printf(pool, "J=%s", text);
	env[1] = pool_printf(pool, "P=import base64,sys\nt=sys.stdin.read()\n"
	    "%s", code);
	env[2] = NULL;
	rc = itest_run(argv, env, out, RUN_TIMEOUT_MS);
	cr_expect_eq(rc, 0, "check failed: %s\ntext: %s\ncode: %s",
	    buf_cstr(out), text, code);
	buf_free(&out);
}

/* Run python3 code on json (its stdin, parsed as d); the code asserts. */
static void
json_check(const char *json, const char *code)
{
	char *argv[] = { "sh", "-c",
		"printf '%s' \"$J\" | python3 -c \"$P\"", NULL };
	char *env[3];
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	int rc;

	env[0] = pool_printf(pool, "J=%s", json);
	env[1] = pool_printf(pool, "P=import json,sys\nd=json.load(sys.stdin)\n"
	    "%s", code);
	env[2] = NULL;
	rc = itest_run(argv, env, out, RUN_TIMEOUT_MS);
	cr_expect_eq(rc, 0, "JSON check failed: %s\njson: %s\ncode: %s",
	    buf_cstr(out), json, code);
	buf_free(&out);
}

static struct dir *
open_dir(const char *uri)
{
	static char *uris[2];
	struct dir_settings s;
	const char *err = NULL;
	struct dir *d;

	dir_settings_defaults(&s);
	uris[0] = (char *)uri;
	uris[1] = NULL;
	s.uris = uris;
	s.base_dn = BASE;
	s.starttls = false;
	s.connect_timeout_ms = 2000;
	s.op_timeout_ms = 3000;
	d = dir_new(&s, pool, &err);
	cr_assert_not_null(d, "dir_new: %s", err);
	return d;
}

static enum dir_auth
check_password(const char *login, const char *pw)
{
	struct dir *d = open_dir(shared_uri());
	struct dir_info info;
	enum dir_auth r = dir_check_password(d, login, pw, strlen(pw), pool,
	    NULL, &info);

	dir_free(&d);
	return r;
}

Test(admin, usage_errors_exit_64)
{
	const char *cf = conf(NULL);
	struct res r = tessera(cf, NULL);

	EXPECT_RC(r, 64);
	EXPECT_IN(r.err, "usage:");
	r = tessera(cf, "frobnicate", NULL);
	EXPECT_RC(r, 64);
	EXPECT_IN(r.err, "unknown command frobnicate");
	r = tessera(cf, "user", "fly", NULL);
	EXPECT_RC(r, 64);
	EXPECT_IN(r.err, "unknown verb");
	r = tessera(cf, "user", NULL);
	EXPECT_RC(r, 64);
	r = tessera(cf, "user", "add", "u1@example.test", NULL);
	EXPECT_RC(r, 64);
	EXPECT_IN(r.err, "--name is required");
	r = tessera(cf, "user", "add", "u1@example.test", "--name", NULL);
	EXPECT_RC(r, 64);
	EXPECT_IN(r.err, "--name needs a value");
	r = tessera(cf, "user", "add", "u1@example.test", "--name", "U",
	    "--colour", "red", NULL);
	EXPECT_RC(r, 64);
	r = tessera(cf, "user", "show", "a@example.test", "b@example.test",
	    NULL);
	EXPECT_RC(r, 64);
	r = tessera(cf, "alias", "add", "x@example.test", NULL);
	EXPECT_RC(r, 64);
	r = tessera(cf, "group", "add-member", "staff@example.test", NULL);
	EXPECT_RC(r, 64);
	r = tessera(cf, "--bogus", "user", "list", NULL);
	EXPECT_RC(r, 64);
	/* nothing of this reached the directory */
	cr_expect_str_eq(ldap_get(BASE, "(mail=u1@example.test)", "dn"), "");
}

Test(admin, configuration_errors_exit_78)
{
	struct res r = tessera(pool_printf(pool, "%s/missing.conf", tdir),
	    "user", "list", NULL);

	EXPECT_RC(r, 78);
	EXPECT_IN(r.err, "missing.conf");
	r = tessera(file_in_tdir("bad.conf", "[admin]\nlist_max = 0\n"
	    "no_such = 1\n"), "user", "list", NULL);
	EXPECT_RC(r, 78);
	EXPECT_IN(r.err, "no_such");
	/* no admin bind: reads work, changes are refused */
	r = tessera(file_in_tdir("ro.conf", pool_printf(pool, "[directory]\n"
	    "uris = %s\nstarttls = no\nbase_dn = " BASE "\n", shared_uri())),
	    "user", "disable", "bob@example.test", NULL);
	EXPECT_RC(r, 78);
	EXPECT_IN(r.err, "bind_dn");
	r = tessera(pool_printf(pool, "%s/ro.conf", tdir), "user", "show",
	    "bob@example.test", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "state: active");
}

Test(admin, user_add_show_list_and_json)
{
	const char *cf = conf(NULL);
	struct res r = tessera(cf, "user", "add", "dana@example.test", "--name",
	    "Dana Scully", "--quota", "250M", "--host", "mail2.example.test",
	    NULL);
	const char *l;

	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "created uid=dana,ou=people," BASE);
	l = ldap_get("uid=dana,ou=people," BASE, "(objectClass=*)", "*");
	EXPECT_IN(l, "mail: dana@example.test");
	EXPECT_IN(l, "cn: Dana Scully");
	EXPECT_IN(l, "sn: Scully");
	EXPECT_IN(l, "tesseraMailQuotaBytes: 262144000");
	EXPECT_IN(l, "mailHost: mail2.example.test");
	EXPECT_IN(l, "tesseraAccountState: active");
	EXPECT_IN(l, "objectClass: tesseraMailUser");
	cr_expect_null(strstr(l, "userPassword"));

	r = tessera(cf, "user", "show", "dana@example.test", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "address: dana@example.test\n");
	EXPECT_IN(r.out, "login: dana\n");
	EXPECT_IN(r.out, "quota_bytes: 262144000\n");
	EXPECT_IN(r.out, "mail_host: mail2.example.test\n");
	EXPECT_IN(r.out, "mailbox_id: ");

	r = tessera(cf, "--json", "user", "show", "dana@example.test", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d['address'] == 'dana@example.test'\n"
	    "assert d['dn'] == 'uid=dana,ou=people," BASE "'\n"
	    "assert d['name'] == 'Dana Scully'\n"
	    "assert d['state'] == 'active'\n"
	    "assert d['quota_bytes'] == 262144000\n"
	    "assert d['quota_messages'] is None\n"
	    "assert d['mail_host'] == 'mail2.example.test'\n"
	    "assert len(d['mailbox_id']) == 36\n"
	    "assert d['groups'] == [] and d['send_as'] == []\n");

	r = tessera(cf, "--json", "user", "show", "alice.liddell@example.test",
	    NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d['address'] == 'alice@example.test'\n"
	    "assert 'alice.liddell@example.test' in d['addresses']\n"
	    "assert 'staff@example.test' in d['groups']\n");

	r = tessera(cf, "user", "list", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "dana@example.test state=active name=\"Dana Scully\"");
	EXPECT_IN(r.out, "carol@example.test state=disabled");
	r = tessera(cf, "--json", "user", "list", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "u = {x['address']: x for x in d}\n"
	    "assert u['dana@example.test']['state'] == 'active'\n"
	    "assert u['carol@example.test']['state'] == 'disabled'\n"
	    "assert u['bob@example.test']['dn'] == 'uid=bob,ou=people," BASE
	    "'\nassert [x['address'] for x in d] == sorted(x['address'] for x"
	    " in d)\n");
}

Test(admin, user_add_default_quota_and_login_option)
{
	const char *cf = conf("default_quota = 5M\ndefault_mail_host ="
	    " mx9.example.test\n");
	struct res r = tessera(cf, "user", "add", "e.f@example.test", "--name",
	    "E F", "--login", "ef-login", NULL);
	const char *l;

	EXPECT_RC(r, 0);
	l = ldap_get("uid=ef-login,ou=people," BASE, "(objectClass=*)", "*");
	EXPECT_IN(l, "tesseraMailQuotaBytes: 5242880");
	EXPECT_IN(l, "mailHost: mx9.example.test");
	/* the login is taken now */
	r = tessera(cf, "user", "add", "other.ef@example.test", "--name", "O",
	    "--login", "ef-login", NULL);
	EXPECT_RC(r, 73);
	EXPECT_IN(r.err, "uid=ef-login,ou=people," BASE);
	r = tessera(cf, "user", "add", "bad@example.test", "--name", "B",
	    "--login", "a b", NULL);
	EXPECT_RC(r, 65);
}

Test(admin, password_from_stdin_then_bind_works_and_passwd_changes_it)
{
	const char *cf = conf(NULL);
	const char *dn = "uid=pat,ou=people," BASE;
	struct res r = tessera_stdin(cf, "first-Secret 1\n", "user", "add",
	    "pat@example.test", "--name", "Pat", "--password-file", "-", NULL);
	const char *l;

	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "password set");
	cr_expect(can_bind(dn, "first-Secret 1"));
	cr_expect(!can_bind(dn, "wrong"));
	/* stored hashed by slapd, never as given */
	l = ldap_get(dn, "(objectClass=*)", "userPassword");
	py_check(l, "v = [x for x in t.splitlines() if x.startswith("
	    "'userPassword:: ')]\nassert len(v) == 1, t\n"
	    "h = base64.b64decode(v[0].split(' ', 1)[1])\n"
	    "assert h.startswith(b'{SSHA}'), h\n"
	    "assert b'first-Secret' not in h\n");
	cr_expect_eq(check_password("pat", "first-Secret 1"), DIR_AUTH_OK);

	/* passwd reads stdin by default, and a file with --password-file */
	r = tessera_stdin(cf, "second\r\n", "user", "passwd", "pat@example.test",
	    NULL);
	EXPECT_RC(r, 0);
	cr_expect(can_bind(dn, "second"));
	cr_expect(!can_bind(dn, "first-Secret 1"));
	r = tessera(cf, "user", "passwd", "pat@example.test",
	    "--password-file", file_in_tdir("pw", "third\nignored line\n"),
	    NULL);
	EXPECT_RC(r, 0);
	cr_expect(can_bind(dn, "third"));

	/* errors: missing file, empty, not found */
	r = tessera(cf, "user", "passwd", "pat@example.test",
	    "--password-file", "/nonexistent/pw", NULL);
	EXPECT_RC(r, 66);
	r = tessera_stdin(cf, "\n", "user", "passwd", "pat@example.test", NULL);
	EXPECT_RC(r, 65);
	EXPECT_IN(r.err, "empty password");
	r = tessera_stdin(cf, "x\n", "user", "passwd", "nobody@example.test",
	    NULL);
	EXPECT_RC(r, 67);
	cr_expect(can_bind(dn, "third"));
}

Test(admin, password_max_is_enforced_before_anything_is_written)
{
	const char *cf = conf("password_max = 8\n");
	struct res r = tessera_stdin(cf, "12345678", "user", "add",
	    "pm1@example.test", "--name", "P M", "--password-file", "-", NULL);

	EXPECT_RC(r, 0);
	cr_expect(can_bind("uid=pm1,ou=people," BASE, "12345678"));
	r = tessera_stdin(cf, "123456789", "user", "add", "pm2@example.test",
	    "--name", "P M", "--password-file", "-", NULL);
	EXPECT_RC(r, 65);
	EXPECT_IN(r.err, "password_max");
	cr_expect_str_eq(ldap_get(BASE, "(mail=pm2@example.test)", "dn"), "");
}

Test(admin, duplicate_address_is_refused_naming_the_owner)
{
	const char *cf = conf(NULL);
	struct res r = tessera(cf, "user", "add", "alice.liddell@example.test",
	    "--name", "Other Alice", "--login", "alice2", NULL);

	EXPECT_RC(r, 73);
	EXPECT_IN(r.err, "owned by uid=alice,ou=people," BASE);
	/* case does not matter, and aliases and groups own addresses too */
	r = tessera(cf, "user", "add", "INFO@Example.Test", "--name", "I",
	    "--login", "info2", NULL);
	EXPECT_RC(r, 73);
	EXPECT_IN(r.err, "cn=info,ou=aliases," BASE);
	r = tessera(cf, "alias", "add", "staff@example.test",
	    "bob@example.test", NULL);
	EXPECT_RC(r, 73);
	EXPECT_IN(r.err, "cn=staff,ou=groups," BASE);
	r = tessera(cf, "group", "create", "bob@example.test", "--name",
	    "bobgroup", NULL);
	EXPECT_RC(r, 73);
	EXPECT_IN(r.err, "uid=bob,ou=people," BASE);
	cr_expect_str_eq(ldap_get(BASE, "(|(uid=alice2)(uid=info2)"
	    "(cn=bobgroup))", "dn"), "");
}

Test(admin, bad_data_exits_65)
{
	const char *cf = conf("quota_max = 1G\n");
	const char *bad[] = { "no-at-sign", "a@b", "*)(uid=*@example.test",
		"a..b@example.test", "x y@example.test", NULL };
	struct res r;

	for (size_t i = 0; bad[i] != NULL; i++) {
		r = tessera(cf, "user", "add", bad[i], "--name", "X", NULL);
		EXPECT_RC(r, 65);
		EXPECT_IN(r.err, "invalid address");
		r = tessera(cf, "user", "show", bad[i], NULL);
		EXPECT_RC(r, 65);
	}
	r = tessera(cf, "user", "add", "q1@example.test", "--name", "Q",
	    "--quota", "lots", NULL);
	EXPECT_RC(r, 65);
	EXPECT_IN(r.err, "invalid --quota");
	/* quota_max crossed: 1G is accepted, 1025M is not */
	r = tessera(cf, "user", "add", "q1@example.test", "--name", "Q",
	    "--quota", "1025M", NULL);
	EXPECT_RC(r, 65);
	EXPECT_IN(r.err, "quota_max");
	r = tessera(cf, "user", "add", "q1@example.test", "--name", "Q",
	    "--quota", "1G", NULL);
	EXPECT_RC(r, 0);
	r = tessera(cf, "user", "add", "q2@example.test", "--name", "Q\tTab",
	    NULL);
	EXPECT_RC(r, 65);
	r = tessera(cf, "user", "add", "q3@example.test", "--name", "Q",
	    "--host", "bad_host!", NULL);
	EXPECT_RC(r, 65);
	r = tessera(cf, "user", "add", "q4@unknown-domain.test", "--name", "Q",
	    NULL);
	EXPECT_RC(r, 65);
	EXPECT_IN(r.err, "not an accepted domain");
	r = tessera(cf, "user", "set-quota", "q1@example.test", "-5", NULL);
	EXPECT_RC(r, 65);
	r = tessera(cf, "user", "show", "staff@example.test", NULL);
	EXPECT_RC(r, 65);
	EXPECT_IN(r.err, "is a group");
	cr_expect_str_eq(ldap_get(BASE, "(|(mail=q2@example.test)"
	    "(mail=q3@example.test)(mail=q4@unknown-domain.test))", "dn"), "");
}

Test(admin, not_found_exits_67)
{
	const char *cf = conf(NULL);
	const char *verbs[] = { "show", "disable", "enable", "receive-only",
		"delete", NULL };
	struct res r;

	for (size_t i = 0; verbs[i] != NULL; i++) {
		r = tessera(cf, "user", verbs[i], "ghost@example.test", NULL);
		EXPECT_RC(r, 67);
		EXPECT_IN(r.err, "ghost@example.test");
	}
	r = tessera(cf, "user", "set-quota", "ghost@example.test", "1M", NULL);
	EXPECT_RC(r, 67);
	r = tessera(cf, "group", "show", "ghost@example.test", NULL);
	EXPECT_RC(r, 67);
	r = tessera(cf, "alias", "remove", "ghost@example.test", NULL);
	EXPECT_RC(r, 67);
	r = tessera(cf, "lookup", "ghost@example.test", NULL);
	EXPECT_RC(r, 67);
}

Test(admin, states_disable_receive_only_enable)
{
	const char *cf = conf(NULL);
	const char *dn = "uid=sam,ou=people," BASE;
	struct res r = tessera_stdin(cf, "pw-sam", "user", "add",
	    "sam@example.test", "--name", "Sam", "--password-file", "-", NULL);

	EXPECT_RC(r, 0);
	cr_expect_eq(check_password("sam", "pw-sam"), DIR_AUTH_OK);

	r = tessera(cf, "user", "disable", "sam@example.test", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "is now disabled");
	EXPECT_IN(ldap_get(dn, "(objectClass=*)", "tesseraAccountState"),
	    "tesseraAccountState: disabled");
	/* the platform's password check refuses it, right password or not */
	cr_expect_eq(check_password("sam", "pw-sam"), DIR_AUTH_DISABLED);
	r = tessera(cf, "user", "disable", "sam@example.test", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "already disabled");

	r = tessera(cf, "user", "receive-only", "sam@example.test", NULL);
	EXPECT_RC(r, 0);
	cr_expect_eq(check_password("sam", "pw-sam"), DIR_AUTH_RECEIVE_ONLY);
	r = tessera(cf, "--json", "lookup", "sam@example.test", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d['state'] == 'receive-only'\n"
	    "assert d['kind'] == 'user'\n");

	r = tessera(cf, "user", "enable", "sam@example.test", NULL);
	EXPECT_RC(r, 0);
	cr_expect_eq(check_password("sam", "pw-sam"), DIR_AUTH_OK);
	r = tessera(cf, "user", "show", "sam@example.test", NULL);
	EXPECT_IN(r.out, "state: active");
}

Test(admin, set_quota_and_remove_it)
{
	const char *cf = conf(NULL);
	const char *dn = "uid=quinn,ou=people," BASE;
	struct res r = tessera(cf, "user", "add", "quinn@example.test",
	    "--name", "Quinn", NULL);

	EXPECT_RC(r, 0);
	r = tessera(cf, "user", "set-quota", "quinn@example.test", "2g", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(ldap_get(dn, "(objectClass=*)", "tesseraMailQuotaBytes"),
	    "tesseraMailQuotaBytes: 2147483648");
	r = tessera(cf, "--json", "lookup", "quinn@example.test", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d['quota_bytes'] == 2147483648\n");
	r = tessera(cf, "user", "set-quota", "quinn@example.test", "none",
	    NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "removed");
	cr_expect_null(strstr(ldap_get(dn, "(objectClass=*)",
	    "tesseraMailQuotaBytes"), "tesseraMailQuotaBytes"));
	r = tessera(cf, "user", "set-quota", "quinn@example.test", "0", NULL);
	EXPECT_RC(r, 0);
	r = tessera(cf, "user", "set-quota", "quinn@example.test", NULL);
	EXPECT_RC(r, 64);
}

Test(admin, user_delete_leaves_groups_consistent)
{
	const char *cf = conf(NULL);
	struct res r;
	const char *l;

	EXPECT_RC(tessera(cf, "user", "add", "del1@example.test", "--name",
	    "Del One", NULL), 0);
	EXPECT_RC(tessera(cf, "user", "add", "del2@example.test", "--name",
	    "Del Two", NULL), 0);
	EXPECT_RC(tessera(cf, "group", "create", "delg-only@example.test",
	    NULL), 0);
	EXPECT_RC(tessera(cf, "group", "create", "delg-two@example.test",
	    NULL), 0);
	EXPECT_RC(tessera(cf, "group", "add-member", "delg-only@example.test",
	    "del1@example.test", NULL), 0);
	EXPECT_RC(tessera(cf, "group", "add-member", "delg-two@example.test",
	    "del1@example.test", NULL), 0);
	EXPECT_RC(tessera(cf, "group", "add-member", "delg-two@example.test",
	    "del2@example.test", NULL), 0);
	EXPECT_RC(tessera(cf, "alias", "add", "del-alias@example.test",
	    "del1@example.test", NULL), 0);

	r = tessera(cf, "user", "delete", "del1@example.test", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "removed from 2 groups");
	EXPECT_IN(r.err, "warning: alias del-alias@example.test");
	cr_expect_str_eq(ldap_get("ou=people," BASE, "(uid=del1)", "dn"), "");
	l = ldap_get("cn=delg-two,ou=groups," BASE, "(objectClass=*)",
	    "member");
	EXPECT_IN(l, "member: uid=del2,ou=people," BASE);
	cr_expect_null(strstr(l, "del1"));
	/* the last member of a group is replaced by the placeholder */
	l = ldap_get("cn=delg-only,ou=groups," BASE, "(objectClass=*)",
	    "member");
	cr_expect_null(strstr(l, "del1"), "%s", l);
	EXPECT_IN(l, "member:\n");
	r = tessera(cf, "--json", "group", "show", "delg-only@example.test",
	    NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d['members'] == []\n");
	r = tessera(cf, "user", "delete", "del1@example.test", NULL);
	EXPECT_RC(r, 67);
}

Test(admin, alias_add_list_filtered_remove)
{
	const char *cf = conf(NULL);
	struct res r;

	EXPECT_RC(tessera(cf, "user", "add", "atarget@example.test", "--name",
	    "A Target", NULL), 0);
	r = tessera(cf, "alias", "add", "al1@example.test",
	    "atarget@example.test", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "al1@example.test -> atarget@example.test");
	EXPECT_IN(ldap_get("ou=aliases," BASE, "(mailLocalAddress="
	    "al1@example.test)", "tesseraAliasTarget"),
	    "tesseraAliasTarget: atarget@example.test");
	EXPECT_RC(tessera(cf, "alias", "add", "al2@example.test",
	    "atarget@example.test", NULL), 0);
	EXPECT_RC(tessera(cf, "alias", "add", "al-ext@example.test",
	    "someone@remote.example", NULL), 0);

	r = tessera(cf, "alias", "list", "atarget@example.test", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "al1@example.test targets=atarget@example.test");
	EXPECT_IN(r.out, "al2@example.test targets=atarget@example.test");
	cr_expect_null(strstr(r.out, "info@"));
	cr_expect_null(strstr(r.out, "al-ext@"));
	r = tessera(cf, "--json", "alias", "list", "atarget@example.test",
	    NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert [x['alias'] for x in d] == "
	    "['al1@example.test', 'al2@example.test']\n"
	    "assert all(x['targets'] == ['atarget@example.test'] for x in d)\n");
	r = tessera(cf, "--json", "alias", "list", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "a = {x['alias']: x['targets'] for x in d}\n"
	    "assert a['info@example.test'] == ['alice@example.test']\n"
	    "assert a['al-ext@example.test'] == ['someone@remote.example']\n");
	/* the platform resolves it as an alias */
	r = tessera(cf, "--json", "lookup", "al1@example.test", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d['kind'] == 'alias'\n"
	    "assert d['targets'] == ['atarget@example.test']\n");

	/* errors */
	r = tessera(cf, "alias", "add", "al1@example.test", "bob@example.test",
	    NULL);
	EXPECT_RC(r, 73);
	EXPECT_IN(r.err, "cn=al1@example.test,ou=aliases," BASE);
	r = tessera(cf, "alias", "add", "al3@example.test",
	    "ghost@example.test", NULL);
	EXPECT_RC(r, 67);
	r = tessera(cf, "alias", "add", "al3@example.test", "al3@example.test",
	    NULL);
	EXPECT_RC(r, 65);
	r = tessera(cf, "alias", "remove", "bob@example.test", NULL);
	EXPECT_RC(r, 65);
	EXPECT_IN(r.err, "not an alias");
	cr_expect_neq(ldap_get("ou=people," BASE, "(uid=bob)", "dn")[0], '\0');

	r = tessera(cf, "alias", "remove", "al1@example.test", NULL);
	EXPECT_RC(r, 0);
	cr_expect_str_eq(ldap_get("ou=aliases," BASE,
	    "(mailLocalAddress=al1@example.test)", "dn"), "");
	r = tessera(cf, "alias", "remove", "al1@example.test", NULL);
	EXPECT_RC(r, 67);
}

Test(admin, group_create_members_nested_senders)
{
	const char *cf = conf(NULL);
	const char *gdn = "cn=proj,ou=groups," BASE;
	struct dir *d;
	struct dir_entry *g = NULL, **m = NULL;
	struct dir_info info;
	size_t n = 0;
	struct res r;
	const char *l;

	EXPECT_RC(tessera(cf, "user", "add", "gm1@example.test", "--name",
	    "G M1", NULL), 0);
	r = tessera(cf, "group", "create", "proj@example.test", "--senders",
	    "members", NULL);
	EXPECT_RC(r, 0);
	l = ldap_get(gdn, "(objectClass=*)", "*");
	EXPECT_IN(l, "tesseraSenderPolicy: members");
	EXPECT_IN(l, "mail: proj@example.test");
	EXPECT_IN(l, "objectClass: tesseraMailGroup");

	EXPECT_RC(tessera(cf, "group", "add-member", "proj@example.test",
	    "gm1@example.test", NULL), 0);
	/* a nested group */
	r = tessera(cf, "group", "add-member", "proj@example.test",
	    "staff@example.test", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "group cn=staff,ou=groups," BASE);
	l = ldap_get(gdn, "(objectClass=*)", "member");
	EXPECT_IN(l, "member: uid=gm1,ou=people," BASE);
	EXPECT_IN(l, "member: cn=staff,ou=groups," BASE);
	cr_expect_null(strstr(l, "member: \n"), "placeholder left: %s", l);

	/* the platform expands it recursively */
	d = open_dir(shared_uri());
	cr_assert_eq(dir_lookup_address(d, "proj@example.test", pool, &g,
	    &info), DIR_FOUND);
	cr_assert_eq(dir_group_members(d, g, pool, &m, &n, &info), DIR_FOUND,
	    "%s", info.error);
	cr_expect_eq(n, 3, "members: %zu", n);
	cr_expect_eq(g->sender_policy, DIR_SENDERS_MEMBERS);
	dir_free(&d);

	r = tessera(cf, "--json", "group", "show", "proj@example.test", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d['senders'] == 'members'\n"
	    "k = {x['address']: x['kind'] for x in d['members']}\n"
	    "assert k == {'gm1@example.test': 'user',"
	    " 'staff@example.test': 'group'}, k\n");
	r = tessera(cf, "group", "show", "proj@example.test", NULL);
	EXPECT_IN(r.out, "members:\n");
	EXPECT_IN(r.out, "  staff@example.test kind=group");

	/* errors */
	r = tessera(cf, "group", "add-member", "proj@example.test",
	    "gm1@example.test", NULL);
	EXPECT_RC(r, 73);
	r = tessera(cf, "group", "add-member", "proj@example.test",
	    "proj@example.test", NULL);
	EXPECT_RC(r, 65);
	r = tessera(cf, "group", "add-member", "proj@example.test",
	    "info@example.test", NULL);
	EXPECT_RC(r, 65);
	r = tessera(cf, "group", "add-member", "proj@example.test",
	    "ghost@example.test", NULL);
	EXPECT_RC(r, 67);
	r = tessera(cf, "group", "add-member", "bob@example.test",
	    "gm1@example.test", NULL);
	EXPECT_RC(r, 65);
	r = tessera(cf, "group", "remove-member", "proj@example.test",
	    "bob@example.test", NULL);
	EXPECT_RC(r, 67);
	EXPECT_IN(r.err, "not a direct member");
	r = tessera(cf, "group", "create", "proj@example.test", NULL);
	EXPECT_RC(r, 73);

	/* listed senders: an entry by DN, an outsider by address */
	r = tessera(cf, "group", "set-senders", "proj@example.test",
	    "bob@example.test", "partner@remote.example", NULL);
	EXPECT_RC(r, 0);
	l = ldap_get(gdn, "(objectClass=*)", "*");
	EXPECT_IN(l, "tesseraSenderPolicy: listed");
	EXPECT_IN(l, "tesseraAllowedSender: uid=bob,ou=people," BASE);
	EXPECT_IN(l, "tesseraAllowedSenderAddress: partner@remote.example");
	r = tessera(cf, "--json", "lookup", "proj@example.test", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d['kind'] == 'group'\n"
	    "assert d['senders'] == 'listed'\n"
	    "assert d['allowed_sender_addresses'] == ['partner@remote.example']"
	    "\n");
	r = tessera(cf, "group", "set-senders", "proj@example.test", "anyone",
	    NULL);
	EXPECT_RC(r, 0);
	l = ldap_get(gdn, "(objectClass=*)", "*");
	EXPECT_IN(l, "tesseraSenderPolicy: anyone");
	cr_expect_null(strstr(l, "tesseraAllowedSender"));
	r = tessera(cf, "group", "set-senders", "proj@example.test", "anyone",
	    "bob@example.test", NULL);
	EXPECT_RC(r, 64);

	r = tessera(cf, "group", "remove-member", "proj@example.test",
	    "staff@example.test", NULL);
	EXPECT_RC(r, 0);
	l = ldap_get(gdn, "(objectClass=*)", "member");
	cr_expect_null(strstr(l, "staff"));
}

Test(admin, group_create_listed_senders_and_default)
{
	const char *cf = conf("default_group_senders = anyone\n");
	struct res r = tessera(cf, "group", "create", "g-def@example.test",
	    NULL);

	EXPECT_RC(r, 0);
	EXPECT_IN(ldap_get("cn=g-def,ou=groups," BASE, "(objectClass=*)",
	    "tesseraSenderPolicy"), "tesseraSenderPolicy: anyone");
	r = tessera(cf, "group", "create", "g-list@example.test", "--name",
	    "Listed Group", "--senders", "alice@example.test",
	    "x@remote.example", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(ldap_get("cn=Listed Group,ou=groups," BASE, "(objectClass=*)",
	    "*"), "tesseraAllowedSender: uid=alice,ou=people," BASE);
	r = tessera(cf, "group", "create", "g-bad@example.test", "--senders",
	    "everyone?", NULL);
	EXPECT_RC(r, 65);
	r = tessera(cf, "group", "create", "g-bad@example.test", "--senders",
	    NULL);
	EXPECT_RC(r, 64);
}

Test(admin, domain_add_and_list)
{
	const char *cf = conf(NULL);
	struct res r = tessera(cf, "domain", "add", "newdom.test", "--quota",
	    "2G", "--description", "New domain", NULL);

	EXPECT_RC(r, 0);
	EXPECT_IN(ldap_get("ou=domains," BASE, "(tesseraDomain=newdom.test)",
	    "*"), "tesseraMailQuotaBytes: 2147483648");
	r = tessera(cf, "domain", "list", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "example.test quota_bytes=104857600");
	EXPECT_IN(r.out, "newdom.test quota_bytes=2147483648");
	r = tessera(cf, "--json", "domain", "list", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "m = {x['domain']: x for x in d}\n"
	    "assert m['newdom.test']['quota_bytes'] == 2147483648\n"
	    "assert m['newdom.test']['description'] == 'New domain'\n"
	    "assert m['example.test']['quota_messages'] == 100000\n");
	/* users can now be created there; the platform accepts it */
	EXPECT_RC(tessera(cf, "user", "add", "first@newdom.test", "--name",
	    "First", NULL), 0);
	{
		struct dir *d = open_dir(shared_uri());

		cr_expect_eq(dir_domain_accepted(d, "newdom.test", pool, NULL),
		    DIR_FOUND);
		dir_free(&d);
	}
	r = tessera(cf, "domain", "add", "NEWDOM.test", NULL);
	EXPECT_RC(r, 73);
	r = tessera(cf, "domain", "add", "not_a_domain", NULL);
	EXPECT_RC(r, 65);
	r = tessera(cf, "domain", "add", "x.test", "--quota", "many", NULL);
	EXPECT_RC(r, 65);
	r = tessera(cf, "domain", "add", NULL);
	EXPECT_RC(r, 64);
}

Test(admin, lookup_shows_how_the_platform_resolves)
{
	const char *cf = conf(NULL);
	struct res r = tessera(cf, "lookup", "alice.liddell@example.test",
	    NULL);

	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "kind: user\n");
	EXPECT_IN(r.out, "address: alice@example.test\n");
	EXPECT_IN(r.out, pool_printf(pool, "directory.server: %s\n",
	    shared_uri()));
	EXPECT_IN(r.out, "directory.cached: no\n");
	r = tessera(cf, "--json", "lookup", "bob@example.test", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, pool_printf(pool,
	    "assert d['result'] == 'found' and d['kind'] == 'user'\n"
	    "assert d['send_as'] == ['info@example.test']\n"
	    "assert d['state'] == 'active'\n"
	    "assert len(d['mailbox_id']) == 36\n"
	    "i = d['directory']\n"
	    "assert i['server'] == '%s'\n"
	    "assert i['cached'] is False and i['round_trips'] >= 1\n",
	    shared_uri()));
	r = tessera(cf, "--json", "lookup", "carol@example.test", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d['state'] == 'disabled'\n");
	r = tessera(cf, "lookup", "nobody@example.test", NULL);
	EXPECT_RC(r, 67);
	EXPECT_IN(r.err, "not found");
	r = tessera(cf, "lookup", NULL);
	EXPECT_RC(r, 64);
}

/* With a lookup process running, `lookup` asks it, as the daemons'
 * sessions do: the second answer comes from its cache. --direct, or no
 * lookup process, resolves in the command itself. */
/* Whether the lookup process logged (in log) that it listens. */
static bool
listening(const char *log)
{
	FILE *f = fopen(log, "r");
	char line[4096];
	bool found = false;

	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, "listening socket=") != NULL;
	if (f != NULL)
		fclose(f);
	return found;
}

Test(admin, lookup_asks_the_running_lookup_process)
{
	const char *build = getenv("TESSERA_BUILDDIR");
	char *run = pool_printf(pool, "%s/run", tdir);
	char *sock = pool_printf(pool, "%s/lookup.sock", run);
	char *cf, *argv[] = { NULL, "-c", NULL, "-f", NULL };
	struct itest_proc *p;
	struct stat st;
	struct res r;
	int i;

	cr_assert_eq(mkdir(run, 0755), 0);
	if (geteuid() == 0) {
		/* the lookup process drops to directory_user */
		struct passwd *pw = getpwnam("nobody");

		cr_assert_not_null(pw);
		cr_assert_eq(chown(run, pw->pw_uid, pw->pw_gid), 0);
		cr_assert_eq(chmod(tdir, 0711), 0);
	}
	cf = conf(pool_printf(pool, "[global]\nrun_dir = %s\n"
	    "directory_user = nobody\nlog_dest = stderr\n", run));
	argv[0] = pool_printf(pool, "%s/tessera-lookupd", build != NULL ?
	    build : ".");
	argv[2] = cf;
	p = itest_start(argv, NULL, pool_printf(pool, "%s/lookupd.log", tdir));
	cr_assert_not_null(p);
	/* the socket file exists from bind(), connections are taken from
	 * listen() on: it says so after that (else tessera would find no
	 * lookup process and resolve directly) */
	for (i = 0; i < 400 && !listening(p->log_path); i++)
		usleep(50000);
	ITEST_ASSERT(i < 400 && stat(sock, &st) == 0, p,
	    "tessera-lookupd does not listen on %s", sock);
	r = tessera(cf, "--json", "lookup", "bob@example.test", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, pool_printf(pool, "i = d['directory']\n"
	    "assert i['via'] == '%s', i\n"
	    "assert i['server'] == '%s' and i['cached'] is False\n",
	    sock, shared_uri()));
	r = tessera(cf, "--json", "lookup", "bob@example.test", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "i = d['directory']\n"
	    "assert i['cached'] is True and i['round_trips'] == 0, i\n"
	    "assert d['kind'] == 'user'\n");
	r = tessera(cf, "--json", "lookup", "--direct", "bob@example.test",
	    NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "i = d['directory']\n"
	    "assert i['via'] == 'direct' and i['cached'] is False, i\n");
	r = tessera(cf, "lookup", "--direct", NULL);
	EXPECT_RC(r, 64);
	cr_assert_eq(itest_stop(&p, 5000), 0);
	/* no lookup process any more: resolved directly */
	r = tessera(cf, "--json", "lookup", "bob@example.test", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d['directory']['via'] == 'direct'\n");
}

/* Commit a message from sender to the n recipients in rcpts into the
 * queue under state_dir, as an mtad session would; its id in pool. */
static const char *
queue_one(const char *state_dir, const char *sender, const char *const *rcpts,
    size_t n)
{
	static const char body[] = "Subject: queued\r\n\r\nhello\r\n";
	struct queue_env env;
	struct queue *q;
	struct queue_writer *w;
	const char *err = NULL;

	q = queue_open(state_dir, NULL, pool, &err);
	cr_assert_not_null(q, "%s", err);
	memset(&env, 0, sizeof(env));
	env.client_addr = "127.0.0.1";
	env.client_name = "";
	env.helo = "client.example.test";
	env.auth = "alice";
	env.tls_version = "";
	env.tls_cipher = "";
	env.sender = (char *)sender;
	env.envid = "";
	env.rcpts = pool_alloc(pool, n * sizeof(*env.rcpts));
	env.nrcpts = n;
	for (size_t i = 0; i < n; i++) {
		env.rcpts[i].addr = (char *)rcpts[i];
		env.rcpts[i].orcpt = "";
		env.rcpts[i].reply = "";
	}
	w = queue_writer_new(q, &env, pool, &err);
	cr_assert_not_null(w, "%s", err);
	cr_assert_eq(queue_writer_write(w, body, sizeof(body) - 1, &err), 0);
	cr_assert_eq(queue_writer_commit(&w, &env, &err), 0, "%s", err);
	queue_close(&q);
	return pool_strdup(pool, env.id);
}

Test(admin, queue_list_and_show)
{
	static const char *const two[] = { "bob@example.test",
		"carol@example.test" };
	static const char *const one[] = { "info@example.test" };
	char *state = pool_printf(pool, "%s/state", tdir);
	const char *cf = conf(pool_printf(pool, "[global]\nstate_dir = %s\n",
	    state));
	const char *id1, *id2;
	struct res r;

	/* no queue yet: said, not created */
	cr_assert_eq(mkdir(state, 0700), 0);
	r = tessera(cf, "queue", "list", NULL);
	EXPECT_RC(r, 67);
	EXPECT_IN(r.err, "no queue at");
	id1 = queue_one(state, "alice@example.test", two, 2);
	id2 = queue_one(state, "", one, 1);
	r = tessera(cf, "queue", "list", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, pool_printf(pool, "%s queue=incoming", id1));
	EXPECT_IN(r.out, "recipients=bob@example.test:pending,"
	    "carol@example.test:pending");
	EXPECT_IN(r.out, pool_printf(pool, "%s queue=incoming", id2));
	EXPECT_IN(r.out, "sender=<>");
	r = tessera(cf, "--json", "queue", "list", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, pool_printf(pool, "assert len(d) == 2, d\n"
	    "m = [e for e in d if e['id'] == '%s'][0]\n"
	    "assert m['sender'] == 'alice@example.test' and m['nrcpt'] == 2\n"
	    "assert [x['state'] for x in m['recipients']] == "
	    "['pending', 'pending']\n", id1));
	r = tessera(cf, "--json", "queue", "list", "deferred", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d == []\n");
	r = tessera(cf, "--json", "queue", "show", id1, NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d['auth'] == 'alice'\n"
	    "assert d['helo'] == 'client.example.test'\n"
	    "assert d['recipients'][1]['address'] == 'carol@example.test'\n"
	    "assert d['size'] > 0 and d['queue'] == 'incoming'\n");
	r = tessera(cf, "queue", "show", "1K1XD3919P900K2G00", NULL);
	EXPECT_RC(r, 67);
	r = tessera(cf, "queue", "list", "bogus", NULL);
	EXPECT_RC(r, 64);
	r = tessera(cf, "queue", "show", NULL);
	EXPECT_RC(r, 64);
}

/* Make message id (in incoming/) look tried and deferred for an hour:
 * moved to deferred/ with its recipients deferred. */
static void
defer_one(const char *state_dir, const char *id)
{
	struct queue *q;
	struct queue_msg *m = NULL;
	struct queue_state_rec recs[4];
	const char *err = NULL;
	time_t later = time(NULL) + 3600;

	q = queue_open(state_dir, NULL, pool, &err);
	cr_assert_not_null(q, "%s", err);
	cr_assert_eq(queue_msg_open(q, QUEUE_INCOMING, id, pool, &m, &err),
	    QUEUE_MSG_OK, "%s", err);
	cr_assert_leq(m->env.nrcpts, 4);
	for (size_t i = 0; i < m->env.nrcpts; i++)
		recs[i] = (struct queue_state_rec){ .rcpt = i,
			.state = QUEUE_RCPT_DEFERRED, .attempts = 2,
			.next_try = (uint64_t)later,
			.reply = "451 4.4.1 peer down" };
	cr_assert_eq(queue_msg_update(m, recs, m->env.nrcpts, &err), 0,
	    "%s", err);
	cr_assert_eq(queue_msg_move(m, QUEUE_DEFERRED, true, &err), 0, "%s",
	    err);
	queue_msg_close(&m);
	queue_close(&q);
}

/* The directory message id is in now, and its first recipient. */
static enum queue_dir
where(const char *state_dir, const char *id, struct queue_rcpt *r0)
{
	struct queue *q;
	struct queue_msg *m = NULL;
	enum queue_dir d = QUEUE_NDIRS;
	const char *err = NULL;

	q = queue_open(state_dir, NULL, pool, &err);
	cr_assert_not_null(q, "%s", err);
	if (queue_msg_find(q, id, &d) == 0 && r0 != NULL) {
		cr_assert_eq(queue_msg_open(q, d, id, pool, &m, &err),
		    QUEUE_MSG_OK, "%s", err);
		*r0 = m->env.rcpts[0];
		queue_msg_close(&m);
	}
	queue_close(&q);
	return d;
}

/* hold, release, flush, requeue and delete move messages between the
 * spool's directories and make deferred recipients due at once, keeping
 * their attempts and last reply; a message in active/ is never touched. */
Test(admin, queue_hold_release_flush_requeue_delete)
{
	static const char *const one[] = { "bob@example.test" };
	char *state = pool_printf(pool, "%s/state", tdir);
	const char *cf = conf(pool_printf(pool, "[global]\nstate_dir = %s\n",
	    state));
	const char *id1, *id2, *id3;
	struct queue_rcpt r0;
	struct res r;

	cr_assert_eq(mkdir(state, 0700), 0);
	id1 = queue_one(state, "alice@example.test", one, 1);
	id2 = queue_one(state, "alice@example.test", one, 1);
	id3 = queue_one(state, "alice@example.test", one, 1);
	defer_one(state, id1);
	defer_one(state, id2);

	/* flush: deferred -> incoming, due now, attempts and reply kept */
	r = tessera(cf, "queue", "flush", id1, NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "result=flushed");
	cr_assert_eq(where(state, id1, &r0), QUEUE_INCOMING);
	cr_assert_eq(r0.state, QUEUE_RCPT_DEFERRED);
	cr_assert_eq(r0.next_try, 0);
	cr_assert_eq(r0.attempts, 2);
	cr_assert_str_eq(r0.reply, "451 4.4.1 peer down");
	/* a message already due is left as it is */
	r = tessera(cf, "--json", "queue", "flush", id3, NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d[0]['result'] == 'unchanged', d\n"
	    "assert d[0]['reason'] == 'already due', d\n");

	/* hold: out of the runner's sight; flush does not deliver it */
	r = tessera(cf, "queue", "hold", id2, NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "result=held");
	cr_assert_eq(where(state, id2, &r0), QUEUE_HOLD);
	cr_assert_neq(r0.next_try, 0, "hold does not make it due");
	r = tessera(cf, "queue", "flush", "all", NULL);
	EXPECT_RC(r, 0);
	cr_assert_eq(where(state, id2, NULL), QUEUE_HOLD);
	r = tessera(cf, "queue", "hold", id2, NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "already held");
	r = tessera(cf, "queue", "list", "hold", NULL);
	EXPECT_IN(r.out, pool_printf(pool, "%s queue=hold", id2));
	/* release: back to incoming, due now */
	r = tessera(cf, "queue", "release", id2, NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.out, "result=released");
	cr_assert_eq(where(state, id2, &r0), QUEUE_INCOMING);
	cr_assert_eq(r0.next_try, 0);
	cr_assert_eq(r0.attempts, 2);

	/* hold all, then requeue all: every one back in incoming */
	r = tessera(cf, "--json", "queue", "hold", "all", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert len(d) == 3, d\n"
	    "assert all(x['result'] == 'held' for x in d), d\n");
	cr_assert_eq(where(state, id3, NULL), QUEUE_HOLD);
	r = tessera(cf, "queue", "requeue", "all", NULL);
	EXPECT_RC(r, 0);
	cr_assert_eq(where(state, id1, NULL), QUEUE_INCOMING);
	cr_assert_eq(where(state, id3, NULL), QUEUE_INCOMING);

	/* a message being delivered (in active/) is busy, never changed */
	{
		struct queue *q;
		const char *err = NULL;

		q = queue_open(state, NULL, pool, &err);
		cr_assert_not_null(q, "%s", err);
		cr_assert_eq(queue_move(q, id3, QUEUE_INCOMING, QUEUE_ACTIVE,
		    true, pool, &err), 0, "%s", err);
		queue_close(&q);
	}
	r = tessera(cf, "queue", "delete", id3, NULL);
	EXPECT_RC(r, 75);
	EXPECT_IN(r.err, "being delivered");
	cr_assert_eq(where(state, id3, NULL), QUEUE_ACTIVE);

	/* delete: gone with its state file */
	r = tessera(cf, "queue", "delete", id1, id2, NULL);
	EXPECT_RC(r, 0);
	cr_assert_eq(where(state, id1, NULL), QUEUE_NDIRS);
	cr_assert_eq(where(state, id2, NULL), QUEUE_NDIRS);
	cr_assert_eq(access(pool_printf(pool, "%s/queue/incoming/%s.state",
	    state, id1), F_OK), -1);
	r = tessera(cf, "queue", "delete", id1, NULL);
	EXPECT_RC(r, 67);

	/* bad arguments */
	r = tessera(cf, "queue", "hold", NULL);
	EXPECT_RC(r, 64);
	r = tessera(cf, "queue", "hold", "../etc", NULL);
	EXPECT_RC(r, 64);
	r = tessera(cf, "queue", "hold", "all", id3, NULL);
	EXPECT_RC(r, 64);
}

/* mailbox recalc counts the store again and rewrites the usage the
 * store had lost. */
Test(admin, mailbox_recalc_counts_again)
{
	static const char m1[] = "Subject: one\r\n\r\nfirst\r\n";
	static const char m2[] = "Subject: two\r\n\r\nsecond message\r\n";
	char *mail = pool_printf(pool, "%s/mail", tdir);
	const char *cf = conf(pool_printf(pool, "[accessd.store]\n"
	    "mail_root = %s\n", mail));
	struct dir *d = open_dir(shared_uri());
	struct dir_entry *e = NULL;
	struct store_limits lim;
	struct store_mailbox *mb;
	struct store_folder *f = NULL;
	struct buf *err = buf_new(256, 4096);
	uint32_t uid;
	char *quota;
	FILE *fp;
	struct res r;

	r = tessera(cf, "mailbox", "recalc", "alice@example.test", NULL);
	EXPECT_RC(r, 67);
	EXPECT_IN(r.err, "no mail store at");
	cr_assert_eq(mkdir(mail, 0700), 0);
	cr_assert_eq(dir_lookup_address(d, "alice@example.test", pool, &e,
	    NULL), DIR_FOUND);
	store_limits_defaults(&lim);
	mb = store_mailbox_open(mail, e->mailbox_id, &lim, err);
	cr_assert_not_null(mb, "%s", buf_cstr(err));
	cr_assert_eq(store_folder_open(mb, "INBOX", &f, err), STORE_OK, "%s",
	    buf_cstr(err));
	cr_assert_eq(store_append(f, m1, sizeof(m1) - 1, 0, NULL, 0, NULL,
	    &uid, err), STORE_OK, "%s", buf_cstr(err));
	cr_assert_eq(store_append(f, m2, sizeof(m2) - 1, 0, NULL, 0, NULL,
	    &uid, err), STORE_OK, "%s", buf_cstr(err));
	quota = pool_printf(pool, "%s/tessera.quota", store_mailbox_path(mb));
	store_folder_close(&f);
	store_mailbox_close(&mb);
	/* the usage drifted: the file says something else */
	fp = fopen(quota, "w");
	cr_assert_not_null(fp, "%s", quota);
	fputs("7 70000\n", fp);
	fclose(fp);
	r = tessera(cf, "--json", "mailbox", "recalc", "alice@example.test",
	    NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, pool_printf(pool, "assert d['messages'] == 2, d\n"
	    "assert d['bytes'] == %zu, d\n"
	    "assert d['mailbox_id'] == '%s'\n",
	    sizeof(m1) - 1 + sizeof(m2) - 1, e->mailbox_id));
	/* what it wrote is what the store reads now */
	r = tessera(cf, "--json", "mailbox", "recalc", "alice@example.test",
	    NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert d['messages_before'] == 2, d\n");
	r = tessera(cf, "mailbox", "recalc", "nobody@example.test", NULL);
	EXPECT_RC(r, 67);
	r = tessera(cf, "mailbox", "recalc", "staff@example.test", NULL);
	EXPECT_RC(r, 65);
	r = tessera(cf, "mailbox", "recalc", NULL);
	EXPECT_RC(r, 64);
	dir_free(&d);
	buf_free(&err);
}

Test(admin, list_max_is_enforced)
{
	const char *cf = conf("user_base_dn = ou=listing," BASE "\n"
	    "list_max = 3\n");
	struct res r = tessera(cf, "--json", "user", "list", NULL);

	EXPECT_RC(r, 0);
	json_check(r.out, "assert [x['address'] for x in d] == "
	    "['l1@example.test', 'l2@example.test', 'l3@example.test']\n");
	cr_expect_str_eq(r.err, "");
	cf = conf("user_base_dn = ou=listing," BASE "\nlist_max = 2\n");
	r = tessera(cf, "--json", "user", "list", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert len(d) == 2\n");
	EXPECT_IN(r.err, "list_max");
}

/* A slapd of this test's own (the shared one must stay up and keep its
 * ACLs). */
static struct itest_slapd *
own_slapd(void)
{
	char *files;

	own_dir = itest_tmpdir("admin-own");
	cr_assert_not_null(own_dir);
	files = ldif_files(own_dir);
	cr_assert_not_null(files);
	own = itest_slapd_start(own_dir, files);
	free(files);
	cr_assert_not_null(own, "slapd did not start");
	return own;
}

Test(admin, directory_down_exits_75_naming_the_server)
{
	struct itest_slapd *s = own_slapd();
	const char *cf = conf_for(s->uri, ADMIN_DN, "secret\n", NULL);
	struct res r = tessera(cf, "user", "show", "bob@example.test", NULL);

	EXPECT_RC(r, 0);
	cr_assert_eq(itest_slapd_halt(s), 0);
	r = tessera(cf, "user", "show", "bob@example.test", NULL);
	EXPECT_RC(r, 75);
	EXPECT_IN(r.err, s->uri);
	EXPECT_IN(r.err, "Can't contact LDAP server");
	r = tessera(cf, "user", "add", "down@example.test", "--name", "Down",
	    NULL);
	EXPECT_RC(r, 75);
	EXPECT_IN(r.err, s->uri);
	r = tessera(cf, "lookup", "bob@example.test", NULL);
	EXPECT_RC(r, 75);
	EXPECT_IN(r.err, s->uri);
	r = tessera(cf, "--json", "user", "list", NULL);
	EXPECT_RC(r, 75);
	cr_expect_str_eq(r.out, "");
	/* and back */
	cr_assert_eq(itest_slapd_resume(s), 0);
	r = tessera(cf, "user", "add", "down@example.test", "--name", "Down",
	    NULL);
	EXPECT_RC(r, 0);
}

Test(admin, wrong_admin_password_exits_77)
{
	const char *cf = conf_for(shared_uri(), ADMIN_DN, "not-it\n", NULL);
	struct res r = tessera(cf, "user", "show", "bob@example.test", NULL);

	EXPECT_RC(r, 77);
	EXPECT_IN(r.err, "Invalid credentials");
}

/* Put helpdesk_acl in front of the fixture's ACLs and restart. */
static void
install_helpdesk_acl(struct itest_slapd *s)
{
	char *path = pool_printf(pool, "%s/slapd.conf", s->dir);
	struct buf *b = buf_new(4096, 1 << 20);
	char line[1024];
	bool done = false;
	FILE *f = fopen(path, "r");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (!done && strncmp(line, "access to attrs=userPassword", 28)
		    == 0) {
			buf_append_str(b, helpdesk_acl);
			done = true;
		}
		buf_append_str(b, line);
	}
	fclose(f);
	cr_assert(done, "no ACL found in %s", path);
	cr_assert_eq(itest_slapd_halt(s), 0);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(buf_cstr(b), f);
	fclose(f);
	buf_free(&b);
	cr_assert_eq(itest_slapd_resume(s), 0);
}

Test(admin, failed_second_step_rolls_the_first_back)
{
	struct itest_slapd *s = own_slapd();
	const char *cf, *l;
	struct res r;

	install_helpdesk_acl(s);
	cf = conf_for(s->uri, HELPDESK_DN, "demo\n", NULL);
	/* the helpdesk can create users, but not set passwords: the entry
	 * it added is deleted again */
	r = tessera_stdin(cf, "pw", "user", "add", "rb@example.test", "--name",
	    "Roll Back", "--password-file", "-", NULL);
	EXPECT_RC(r, 77);
	EXPECT_IN(r.err, "password modify");
	EXPECT_IN(r.err, "rolled back: deleted uid=rb,ou=people," BASE);
	cr_expect_str_eq(ldap_at(s->uri, BASE, "(uid=rb)", "dn"), "");
	/* without a password it works: the first step alone was fine */
	r = tessera(cf, "user", "add", "rb@example.test", "--name", "Roll Back",
	    NULL);
	EXPECT_RC(r, 0);
	cr_expect_neq(ldap_at(s->uri, BASE, "(uid=rb)", "dn")[0], '\0');

	/* user delete: the membership removed first comes back when the
	 * entry cannot be deleted (ou=staging: add, no delete) */
	r = tessera(cf, "user", "delete", "stay@example.test", NULL);
	EXPECT_RC(r, 77);
	EXPECT_IN(r.err, "rolled back: cn=stgroup,ou=groups," BASE);
	l = ldap_at(s->uri, "cn=stgroup,ou=groups," BASE, "(objectClass=*)",
	    "member");
	EXPECT_IN(l, "member: uid=stay,ou=staging," BASE);
	EXPECT_IN(l, "member: uid=alice,ou=people," BASE);
	cr_expect_neq(ldap_at(s->uri, BASE, "(uid=stay)", "dn")[0], '\0');
}

Test(admin, failed_rollback_says_what_is_left_and_exits_70)
{
	struct itest_slapd *s = own_slapd();
	const char *cf;
	struct res r;

	install_helpdesk_acl(s);
	cf = conf_for(s->uri, HELPDESK_DN, "demo\n",
	    "user_base_dn = ou=staging," BASE "\n");
	r = tessera_stdin(cf, "pw", "user", "add", "left@example.test",
	    "--name", "Left Over", "--password-file", "-", NULL);
	EXPECT_RC(r, 70);
	EXPECT_IN(r.err, "ROLLBACK FAILED");
	EXPECT_IN(r.err, "LEFT IN THE DIRECTORY: entry uid=left,ou=staging,"
	    BASE);
	/* exactly what it said is there */
	cr_expect_neq(ldap_at(s->uri, "ou=staging," BASE, "(uid=left)",
	    "dn")[0], '\0');
}

Test(admin, ad_profile_refuses_changes_with_69)
{
	const char *cf = file_in_tdir("ad.conf", pool_printf(pool,
	    "[directory]\nuris = %s\nstarttls = no\nbase_dn = " BASE "\n"
	    "profile = ad\n", shared_uri()));
	struct res r = tessera(cf, "user", "add", "adu@example.test", "--name",
	    "A D", NULL);

	EXPECT_RC(r, 69);
	EXPECT_IN(r.err, "ad profile");
	r = tessera(cf, "alias", "add", "ada@example.test", "bob@example.test",
	    NULL);
	EXPECT_RC(r, 69);
}

Test(admin, changes_are_logged_with_entry_server_and_bind)
{
	const char *cf = conf("[global]\nlog_dest = stderr\nlog_level = info\n");
	struct res r = tessera(cf, "user", "add", "audit@example.test",
	    "--name", "Audit Me", NULL);

	EXPECT_RC(r, 0);
	EXPECT_IN(r.err, pool_printf(pool, "change=add dn=\"uid=audit,"
	    "ou=people," BASE "\" server=%s by=\"" ADMIN_DN "\" result=ok",
	    shared_uri()));
	r = tessera(cf, "user", "disable", "audit@example.test", NULL);
	EXPECT_RC(r, 0);
	EXPECT_IN(r.err, "change=modify dn=\"uid=audit,ou=people," BASE "\"");
	/* reads are not changes */
	r = tessera(cf, "user", "show", "audit@example.test", NULL);
	EXPECT_RC(r, 0);
	cr_expect_null(strstr(r.err, "change="), "%s", r.err);
}

/* A config whose [directory] section is given whole (admin bind as the
 * rootdn). */
static char *
conf_directory(const char *name, const char *directory)
{
	char *pwfile = file_in_tdir("admin.pw", "secret\n");

	return file_in_tdir(name, pool_printf(pool, "[directory]\n%s"
	    "base_dn = " BASE "\nconnect_timeout = 2s\nop_timeout = 5s\n"
	    "[admin]\nbind_dn = " ADMIN_DN "\nbind_password_file = %s\n",
	    directory, pwfile));
}

Test(admin, failover_to_the_second_uri)
{
	uint16_t dead = itest_free_port();
	const char *cf = conf_directory("fo.conf", pool_printf(pool,
	    "uris = ldap://127.0.0.1:%u %s\nstarttls = no\n", dead,
	    shared_uri()));
	struct res r;

	cr_assert_neq(dead, 0);
	r = tessera(cf, "user", "add", "failover@example.test", "--name",
	    "Fail Over", NULL);
	EXPECT_RC(r, 0);
	r = tessera(cf, "--json", "lookup", "failover@example.test", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, pool_printf(pool, "assert d['directory']['server']"
	    " == '%s'\n", shared_uri()));
	/* every server dead: 75, each named */
	cf = conf_directory("dead.conf", pool_printf(pool,
	    "uris = ldap://127.0.0.1:%u\nstarttls = no\n", dead));
	r = tessera(cf, "user", "list", NULL);
	EXPECT_RC(r, 75);
	EXPECT_IN(r.err, pool_printf(pool, "ldap://127.0.0.1:%u", dead));
}

Test(admin, starttls_with_the_fixture_ca_and_a_wrong_one)
{
	const char *ca = getenv("ADMTEST_CACERT");
	const char *cf;
	struct res r;

	cr_assert_not_null(ca);
	cf = conf_directory("tls.conf", pool_printf(pool, "uris = %s\n"
	    "starttls = yes\ntls_verify = yes\nca_file = %s\n", shared_uri(),
	    ca));
	r = tessera(cf, "user", "add", "tls@example.test", "--name", "T L S",
	    NULL);
	EXPECT_RC(r, 0);
	r = tessera(cf, "user", "show", "tls@example.test", NULL);
	EXPECT_RC(r, 0);
	/* a CA that did not sign the server's certificate: no change made */
	cf = conf_directory("badtls.conf", pool_printf(pool, "uris = %s\n"
	    "starttls = yes\ntls_verify = yes\nca_file = %s\n", shared_uri(),
	    file_in_tdir("other-ca.pem", "")));
	r = tessera(cf, "user", "add", "tls2@example.test", "--name", "T L S",
	    NULL);
	EXPECT_RC(r, 75);
	EXPECT_IN(r.err, pool_printf(pool, "%s: StartTLS", shared_uri()));
	cr_expect_str_eq(ldap_get(BASE, "(mail=tls2@example.test)", "dn"), "");
}

Test(admin, server_size_limit_is_reported_apart_from_list_max)
{
	struct itest_slapd *s = own_slapd();
	const char *cf;
	struct res r;

	install_helpdesk_acl(s);
	cf = conf_for(s->uri, HELPDESK_DN, "demo\n",
	    "user_base_dn = ou=listing," BASE "\nlist_max = 10\n");
	r = tessera(cf, "--json", "user", "list", NULL);
	EXPECT_RC(r, 0);
	json_check(r.out, "assert len(d) == 2\n");
	EXPECT_IN(r.err, "size limit stopped the listing after 2 entries");
	cr_expect_null(strstr(r.err, "list_max"));
}
