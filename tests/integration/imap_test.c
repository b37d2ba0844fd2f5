/*
 * tests/integration/imap_test.c - accessd's IMAP server end to end: a
 * real slapd with the sample tree (schema/samples/example.test.ldif), the
 * built accessd with its lookup process, Python's imaplib as the client
 * (tests/integration/imap_client.py) and smtplib.LMTP for deliveries.
 *
 * Each test starts its own accessd in a temporary directory (as nobody
 * when the suite runs as root) and checks the server's real replies:
 * every command, response code and limit of issue 6 that is done.
 * Nothing is mocked.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "tests/integration/itest.h"
#include "lib/banned.h"

#define BASE "dc=example,dc=test"
#define SENDER "sender@remote.example"

const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

static struct itest_slapd *shared;
static char *shared_dir;

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char *ldif = itest_srcpath("schema/samples/example.test.ldif");

	(void)set;
	shared_dir = itest_tmpdir("imap-test");
	if (shared_dir != NULL && ldif != NULL)
		shared = itest_slapd_start(shared_dir, ldif);
	free(ldif);
	if (shared != NULL) {
		setenv("ADTEST_URI", shared->uri, 1);
		setenv("ADTEST_SLAPD_DIR", shared->dir, 1);
		setenv("ADTEST_BINDDN", shared->binddn, 1);
		setenv("ADTEST_BINDPW", shared->bindpw, 1);
	}
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	(void)st;
	itest_slapd_stop(&shared);
	itest_cleanup_dir(&shared_dir);
}

/* An accessd of a test. */
struct ad {
	char *dir;
	char *conf;
	char *log;
	char *ca;
	uint16_t lmtp, imap, imaps;
	struct itest_proc *p;
};

/* What a failed assertion would leave running (each test is a process
 * of its own, so these are per test). */
static struct itest_proc *running;
static char *running_dir;
static struct itest_slapd *private_slapd;

/* What op() allocated in this test. */
#define OP_STRS_MAX 256
static char *op_strs[OP_STRS_MAX];
static size_t n_op_strs;

static void
op_free_all(void)
{
	while (n_op_strs > 0)
		free(op_strs[--n_op_strs]);
}

static void
t_fini(void)
{
	op_free_all();
	itest_stop(&running, 2000);
	itest_cleanup_dir(&running_dir);
	itest_slapd_stop(&private_slapd);
}

TestSuite(imap, .fini = t_fini, .timeout = 90);

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	cr_assert_not_null(v, "the shared slapd did not start (%s)", name);
	return v;
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	fclose(f);
}

static char *
read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t n = 0;

	cr_assert_not_null(f, "%s", path);
	p = malloc(1 << 20);
	n = fread(p, 1, (1 << 20) - 1, f);
	p[n] = '\0';
	fclose(f);
	*len_out = n;
	return p;
}

static void
own_by_nobody(const char *path)
{
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		cr_assert_not_null(pw);
		cr_assert_eq(chown(path, pw->pw_uid, pw->pw_gid), 0);
	}
}

/* Write the configuration (uri: the directory) and start accessd. */
static void
ad_start(struct ad *a, const char *uri, const char *accessd_extra,
    const char *store_extra, const char *imap_extra)
{
	const char *sd = env("ADTEST_SLAPD_DIR");
	char *text = NULL, *bin = NULL, *mail = NULL, *sock = NULL;
	char *argv[] = { NULL, "-c", NULL, "-f", NULL };
	uint16_t ports[3];
	const char *user = geteuid() == 0 ? "nobody" : getpwuid(geteuid())->pw_name;

	memset(a, 0, sizeof(*a));
	a->dir = itest_tmpdir("accessd");
	cr_assert_not_null(a->dir);
	own_by_nobody(a->dir);
	cr_assert_eq(itest_free_ports(ports, 3), 0);
	a->lmtp = ports[0];
	a->imap = ports[1];
	a->imaps = ports[2];
	cr_assert_geq(asprintf(&a->conf, "%s/tessera.conf", a->dir), 0);
	cr_assert_geq(asprintf(&a->log, "%s/accessd.log", a->dir), 0);
	cr_assert_geq(asprintf(&a->ca, "%s/tls/ca.crt", sd), 0);
	cr_assert_geq(asprintf(&mail, "%s/mail", a->dir), 0);
	cr_assert_eq(mkdir(mail, 0700), 0);
	own_by_nobody(mail);
	cr_assert_geq(asprintf(&text,
	    "[global]\nrun_dir = %s\nuser = %s\ndirectory_user = %s\n"
	    "log_level = debug\nshutdown_grace = 1s\n"
	    "[tls]\ncertificate = %s/tls/server.crt\nkey = %s/tls/server.key\n"
	    "[directory]\nuris = %s\nbase_dn = " BASE "\nstarttls = no\n"
	    "connect_timeout = 1s\nop_timeout = 3s\n"
	    "[lookup]\nquery_timeout = 5s\n"
	    "[accessd]\nhostname = mail.example.test\n%s"
	    "[accessd.store]\nmail_root = %s\n%s%s"
	    "[accessd.listener.lmtp]\nport = %u\ntype = lmtp\n"
	    "[accessd.listener.imap]\nport = %u\ntype = imap\n"
	    "[accessd.listener.imaps]\nport = %u\ntype = imaps\n"
	    "[accessd.imap]\n%s",
	    a->dir, user, user, sd, sd, uri,
	    accessd_extra != NULL ? accessd_extra : "", mail,
	    store_extra != NULL && strstr(store_extra, "fsync") != NULL ? "" :
	    "fsync = no\n", store_extra != NULL ? store_extra : "", a->lmtp, a->imap,
	    a->imaps, imap_extra != NULL ? imap_extra : ""), 0);
	write_file(a->conf, text, strlen(text));
	free(text);
	free(mail);
	cr_assert_geq(asprintf(&bin, "%s/accessd/accessd",
	    getenv("TESSERA_BUILDDIR") ? getenv("TESSERA_BUILDDIR") : "."), 0);
	argv[0] = bin;
	argv[2] = a->conf;
	a->p = itest_start(argv, NULL, a->log);
	free(bin);
	cr_assert_not_null(a->p);
	running = a->p;
	running_dir = a->dir;
	ITEST_ASSERT(itest_wait_listen_proc(a->p, "127.0.0.1", a->lmtp,
	    10000) == 0, a->p, "accessd does not listen");
	/* the lookup process starts beside the listeners: wait for it */
	cr_assert_geq(asprintf(&sock, "%s/accessd-lookup.sock", a->dir), 0);
	for (int i = 0; i < 500 && access(sock, F_OK) != 0; i++)
		usleep(20 * 1000);
	ITEST_ASSERT(access(sock, F_OK) == 0, a->p, "no lookup socket");
	free(sock);
}

static void
ad_stop(struct ad *a)
{
	int st;
	size_t len;
	char *log;

	running = NULL;
	running_dir = NULL;
	st = a->p != NULL ? itest_stop(&a->p, 5000) : 0;
	log = read_file(a->log, &len);

	cr_expect_eq(st, 0, "accessd exit status %d", st);
	/* sessions _exit: a sanitizer report of theirs is only in the log */
	cr_expect_null(strstr(log, "Sanitizer"), "sanitizer report in %s",
	    a->log);
	cr_expect_null(strstr(log, "runtime error:"), "UBSan report in %s",
	    a->log);
	cr_expect_null(strstr(log, "child died"), "a child died: %s", log);
	free(log);
	itest_cleanup_dir(&a->dir);
	free(a->conf);
	free(a->log);
	free(a->ca);
}

/* Run the client script; its output (caller frees). */
static char *
client(struct ad *a, char *const args[])
{
	char *argv[72];
	char *script = itest_srcpath("tests/integration/imap_client.py");
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	size_t n = 0;
	int rc;
	char *res;

	argv[n++] = "python3";
	argv[n++] = script;
	for (size_t i = 0; args[i] != NULL && n < 71; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	rc = itest_run(argv, NULL, out, 30000);
	free(script);
	res = strdup(buf_cstr(out));
	buf_free(&out);
	ITEST_ASSERT(rc == 0, a->p, "client failed (%d): %s", rc, res);
	return res;
}

#define HAS(out, s, a) ITEST_ASSERT(strstr((out), (s)) != NULL, (a)->p, \
	"expected \"%s\" in:\n%s", (s), (out))
#define HASNT(out, s, a) ITEST_ASSERT(strstr((out), (s)) == NULL, (a)->p, \
	"did not expect \"%s\" in:\n%s", (s), (out))

static int
ldap_modify(const char *ldif, const char *dir)
{
	char *file = NULL;
	char *argv[] = { "ldapmodify", "-x", "-H", (char *)env("ADTEST_URI"),
		"-D", (char *)env("ADTEST_BINDDN"), "-w",
		(char *)env("ADTEST_BINDPW"), "-f", NULL, NULL };
	struct buf *out = buf_new(256, 65536);
	int rc;

	cr_assert_geq(asprintf(&file, "%s/mod.ldif", dir), 0);
	write_file(file, ldif, strlen(ldif));
	argv[9] = file;
	rc = itest_run(argv, NULL, out, 20000);
	if (rc != 0)
		fprintf(stderr, "ldapmodify: %s\n", buf_cstr(out));
	buf_free(&out);
	free(file);
	return rc;
}


/* imap_client.py on port with ops (NULL-terminated). */
static char *
imap(struct ad *a, uint16_t port, char *const ops[])
{
	char p[8];
	char *args[70] = { p, a->ca };
	size_t n = 2;

	snprintf(p, sizeof(p), "%u", port);
	for (size_t i = 0; ops[i] != NULL && n < 69; i++)
		args[n++] = ops[i];
	args[n] = NULL;
	return client(a, args);
}

#define IMAP(a, port, ...) imap((a), (port), (char *[]){ __VA_ARGS__, NULL })

/* A file in the test's directory with text (path: caller frees). */
static char *
tfile(struct ad *a, const char *name, const char *text, size_t len)
{
	char *path = NULL;

	cr_assert_geq(asprintf(&path, "%s/%s", a->dir, name), 0);
	write_file(path, text, len);
	return path;
}

static char *
datafile(const char *name)
{
	char *rel = NULL, *p;

	cr_assert_geq(asprintf(&rel, "tests/data/%s", name), 0);
	p = itest_srcpath(rel);
	free(rel);
	return p;
}

static char *op(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A formatted op argument, freed when the test ends (op_free_all). */
static char *
op(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	cr_assert_geq(vasprintf(&s, fmt, ap), 0);
	va_end(ap);
	cr_assert_lt(n_op_strs, OP_STRS_MAX);
	op_strs[n_op_strs++] = s;
	return s;
}

#define PLAIN_OK "plaintext_loopback = yes\n"

static const char MSG[] = "From: Sender <sender@remote.example>\r\n"
	"To: alice@example.test\r\nSubject: hello imap\r\n"
	"Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n"
	"Message-ID: <m1@remote.example>\r\n\r\nfirst line\r\nsecond line\r\n";

Test(imap, capability_logindisabled_starttls_login)
{
	struct ad a;
	char *out;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL, NULL);
	out = IMAP(&a, a.imap, "capa", "login:alice:demo", "starttls", "capa",
	    "login:alice:wrong", "login:alice:demo", "capa", "logout");
	HAS(out, "GREETING * OK [CAPABILITY IMAP4rev1", &a);
	/* before TLS: STARTTLS and LOGINDISABLED, no plaintext mechanism */
	HAS(out, "OP capa OK IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE "
	    "NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN LIST-EXTENDED SPECIAL-USE QUOTA "
	    "QUOTA=RES-STORAGE QUOTA=RES-MESSAGE STARTTLS LOGINDISABLED", &a);
	HAS(out, "ERR login b'[PRIVACYREQUIRED] LOGIN is disabled", &a);
	HAS(out, "OP starttls OK", &a);
	/* after TLS: AUTH=PLAIN, no STARTTLS, no LOGINDISABLED */
	HAS(out, "QUOTA=RES-MESSAGE AUTH=PLAIN AUTH=LOGIN", &a);
	HAS(out, "ERR login b'[AUTHENTICATIONFAILED]", &a);
	HAS(out, "OP login OK [CAPABILITY", &a);
	HAS(out, "OP logout BYE", &a);
	free(out);
	ad_stop(&a);
}

Test(imap, imaps_authenticate_plain_with_and_without_sasl_ir)
{
	struct ad a;
	char *out;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL, NULL);
	/* \0alice\0demo, \0alice\0nope */
	out = IMAP(&a, a.imaps, "tls", "capa",
	    "raw:a1 AUTHENTICATE PLAIN AGFsaWNlAG5vcGU=",
	    "raw:a2 AUTHENTICATE PLAIN AGFsaWNlAGRlbW8=", "raw:a3 NOOP",
	    "raw:a4 AUTHENTICATE PLAIN =");
	HAS(out, "AUTH=PLAIN", &a);
	HASNT(out, "LOGINDISABLED", &a);
	HASNT(out, "STARTTLS", &a);
	HAS(out, "R a1 NO [AUTHENTICATIONFAILED]", &a);
	HAS(out, "R a2 OK [CAPABILITY", &a);
	HAS(out, "R a3 OK NOOP completed", &a);
	HAS(out, "R a4 BAD Already logged in", &a);
	free(out);
	out = IMAP(&a, a.imaps, "tls", "plain:bob:demo", "select:INBOX");
	HAS(out, "OP plain OK", &a);
	HAS(out, "OP select OK", &a);
	free(out);
	/* AUTHENTICATE LOGIN (two challenges), and a cancelled exchange */
	out = IMAP(&a, a.imaps, "tls", "raw:a6 AUTHENTICATE PLAIN\\n*",
	    "raw:a7 AUTHENTICATE LOGIN\\nYWxpY2U=\\nZGVtbw==",
	    "raw:a8 AUTHENTICATE X-UNKNOWN");
	HAS(out, "R a6 BAD Authentication cancelled", &a);
	HAS(out, "R + VXNlcm5hbWU6", &a);
	HAS(out, "R a7 OK [CAPABILITY", &a);
	HAS(out, "R a8 BAD Already logged in", &a);
	free(out);
	out = IMAP(&a, a.imaps, "tls", "raw:a9 AUTHENTICATE X-UNKNOWN",
	    "raw:a10 AUTHENTICATE PLAIN !!!!");
	HAS(out, "R a9 NO Unsupported mechanism", &a);
	HAS(out, "R a10 BAD Malformed authentication data", &a);
	free(out);
	/* the session ends after auth_failures_max failures */
	out = IMAP(&a, a.imaps, "tls", "login:alice:x", "login:alice:y",
	    "login:alice:z", "noop");
	HAS(out, "Too many failed logins", &a);
	free(out);
	ad_stop(&a);
}

Test(imap, state_and_syntax_errors)
{
	struct ad a;
	char *out;
	char big5000[5001];

	memset(big5000, 'y', 5000);
	big5000[5000] = '\0';

	ad_start(&a, env("ADTEST_URI"), NULL, NULL, PLAIN_OK);
	out = IMAP(&a, a.imap, "raw:b1 SELECT INBOX", "raw:b2 FROB",
	    "raw:b3 NOOP extra", "raw:b4 LOGIN \"alice\" \"unterminated",
	    "raw:b5  NOOP", "raw:b6 LOGIN alice demo", "raw:b7 LOGIN a b",
	    "raw:b8 FETCH 1 FLAGS", "raw:b9 UID NOOP", "raw:b10 SELECT \"INBOX",
	    "raw:b11 NAMESPACE", "raw:b12 ID NIL", "raw:b13 ENABLE CONDSTORE",
	    "raw:e1 ENABLE UTF8=ACCEPT X-UNKNOWN IMAP4rev2", "raw:e2 ENABLE",
	    "raw:e3 ENABLE \"CONDSTORE\"",
	    op("raw:e4 ID (\"a\" {5000+}\\n%s)", big5000),
	    "raw:b14 SELECT INBOX", "raw:b15 FETCH 2 FLAGS",
	    "raw:b16 FETCH 1:* (FLAGS", "raw:e5 ENABLE CONDSTORE",
	    "raw:b17 LOGOUT");
	HAS(out, "R b1 BAD Log in first", &a);
	HAS(out, "R b2 BAD Unknown command", &a);
	HAS(out, "R b3 BAD No arguments expected", &a);
	HAS(out, "R b4 BAD Bad character in quoted string", &a);
	HAS(out, "R b5 BAD Missing or bad command name", &a);
	HAS(out, "R b6 OK [CAPABILITY", &a);
	HAS(out, "R b7 BAD Already logged in", &a);
	HAS(out, "R b8 BAD No mailbox selected", &a);
	HAS(out, "R b9 BAD Unknown command", &a);
	HAS(out, "R b10 BAD Bad character in quoted string", &a);
	HAS(out, "R * NAMESPACE ((\"\" \"/\")) NIL NIL", &a);
	HAS(out, "R * ID (\"name\" \"tessera\"", &a);
	/* nothing this server offers needs enabling: ENABLED lists none,
	 * unknown names are no error (RFC 5161 3.1) */
	HAS(out, "R * ENABLED\nR b13 OK ENABLE completed", &a);
	HAS(out, "R * ENABLED\nR e1 OK ENABLE completed", &a);
	HAS(out, "R e2 BAD ENABLE needs capabilities", &a);
	HAS(out, "R e3 BAD Bad capability", &a);
	/* LITERAL+ (the default): a non-synchronizing literal over 4096
	 * octets within literal_max is taken without a go-ahead */
	HASNT(out, "R + Ready", &a);
	HAS(out, "R e4 OK ID completed", &a);
	/* ENABLE after SELECT is an error (RFC 5161 3.1) */
	HAS(out, "R e5 BAD ENABLE is not allowed with a mailbox selected", &a);
	HAS(out, "R b14 OK [READ-WRITE] SELECT completed", &a);
	HAS(out, "R b15 BAD Message sequence number out of range", &a);
	HAS(out, "R b16 BAD Missing )", &a);
	HAS(out, "R * BYE Logging out", &a);
	HAS(out, "R b17 OK LOGOUT completed", &a);
	free(out);
	ad_stop(&a);
}

Test(imap, mailbox_commands_and_codes)
{
	struct ad a;
	char *out, *msg;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL, PLAIN_OK);
	msg = tfile(&a, "m.eml", MSG, strlen(MSG));
	out = IMAP(&a, a.imap, "login:alice:demo", "list::*",
	    "create:Work/2026", "create:Work/2026", "list::Work/%",
	    "list::%", "list::", "subscribe:Work/2026", "lsub::*",
	    "status:Work/2026:(MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT)",
	    op("append:Nope::%s", msg), op("append:Work/2026:(\\Seen):%s", msg),
	    "status:Work/2026:(MESSAGES UNSEEN)",
	    "rename:Work/2026:Archive2026", "rename:Nope:Other",
	    "rename:Archive2026:Sent", "examine:Archive2026",
	    "delete:Archive2026", "delete:Archive2026", "select:Archive2026",
	    "delete:INBOX", "create:inbox", "unsubscribe:Work/2026",
	    "create:R&AOk-sum&AOk-", "list::R*", "raw:c1 STATUS INBOX (FOO)",
	    "getquotaroot:INBOX", "raw:e1 LIST (SUBSCRIBED) \"\" \"*\"",
	    "raw:e2 LIST \"\" (\"INBOX\" \"Wo%\") RETURN (SUBSCRIBED CHILDREN)",
	    "raw:e3 LIST (SPECIAL-USE) \"\" \"*\"", "raw:e4 LIST \"\" * RETURN",
	    op("append:INBOX::%s", msg), "rename:INBOX:Old",
	    "status:INBOX:(MESSAGES)", "status:Old:(MESSAGES)");
	HAS(out, "OP list OK (\\HasNoChildren) \"/\" \"INBOX\"", &a);
	HAS(out, "(\\HasNoChildren \\Sent) \"/\" \"Sent\"", &a);
	HAS(out, "(\\HasNoChildren \\Trash) \"/\" \"Trash\"", &a);
	HAS(out, "OP create OK", &a);
	HAS(out, "OP create NO [ALREADYEXISTS]", &a);
	HAS(out, "OP list OK (\\HasNoChildren) \"/\" \"Work/2026\"\n", &a);
	HAS(out, "(\\HasChildren) \"/\" \"Work\"\n", &a);
	HAS(out, "OP list OK (\\Noselect) \"/\" \"\"", &a);
	HAS(out, "(\\HasNoChildren \\Trash) \"/\" \"Trash\" | (\\HasNoChildren) \"/\" \"Work/2026\"\n", &a);
	HAS(out, "OP status OK \"Work/2026\" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY", &a);
	HAS(out, "OP append NO [TRYCREATE] No such mailbox", &a);
	HAS(out, "OP append OK [APPENDUID", &a);
	HAS(out, "OP status OK \"Work/2026\" (MESSAGES 1 UNSEEN 0)", &a);
	HAS(out, "OP rename NO [NONEXISTENT]", &a);
	HAS(out, "OP rename NO [ALREADYEXISTS]", &a);
	HAS(out, "OP examine OK 1", &a);
	HAS(out, "* READ-ONLY ", &a);
	HAS(out, "OP delete NO [NONEXISTENT]", &a);
	HAS(out, "OP select NO [NONEXISTENT]", &a);
	HAS(out, "OP delete NO [CANNOT] INBOX cannot be deleted", &a);
	HAS(out, "OP create NO [ALREADYEXISTS]", &a);
	HAS(out, "OP unsubscribe OK", &a);
	/* modified UTF-7 in and out: "Résumé" */
	HAS(out, "OP list OK (\\HasNoChildren) \"/\" \"R&AOk-sum&AOk-\"", &a);
	HAS(out, "R c1 BAD Unknown status item", &a);
	/* LIST-EXTENDED: selection and return options, several patterns */
	HAS(out, "R * LIST (\\HasNoChildren \\Trash \\Subscribed) \"/\" \"Trash\"\n"
	    "R e1 OK", &a);
	HAS(out, "R * LIST (\\HasNoChildren \\Subscribed) \"/\" \"INBOX\"\n"
	    "R * LIST (\\HasNoChildren) \"/\" \"Work\"\nR e2 OK", &a);
	HAS(out, "R * LIST (\\HasNoChildren \\Archive) \"/\" \"Archive\"\n", &a);
	HAS(out, "R * LIST (\\HasNoChildren \\Trash) \"/\" \"Trash\"\nR e3 OK", &a);
	HAS(out, "R e4 BAD", &a);
	/* RENAME INBOX moves its messages and leaves it empty */
	HAS(out, "OP rename OK RENAME completed\nOP status OK \"INBOX\" "
	    "(MESSAGES 0)\nOP status OK \"Old\" (MESSAGES 1)", &a);
	HAS(out, "OP getquotaroot OK [b'\"INBOX\" \"\"'] | [b'\"\" (STORAGE 0 51200)']", &a);
	free(out);
	free(msg);
	ad_stop(&a);
}

Test(imap, fetch_items_sections_and_seen)
{
	struct ad a;
	char *out, *nested = datafile("nested-rfc822.eml");
	char *alt = datafile("alternative.eml");
	char *broken = datafile("missing-end.eml");
	char *wrong = datafile("wrong-boundary.eml");
	char *mixed = datafile("mixed-attachment.eml");
	char *eight;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL, PLAIN_OK);
	eight = tfile(&a, "8bit.eml", "From: =?UTF-8?B?SsO8cmdlbg==?= <j@x.test>\r\n"
	    "Subject: Gr\xc3\xbc\xc3\x9f" "e\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\nSch\xc3\xb6n\r\n", 145);
	out = IMAP(&a, a.imap, "login:alice:demo", op("append:Drafts::%s", mixed),
	    op("append:Drafts::%s", eight), "examine:Drafts",
	    "fetch:1:(BODYSTRUCTURE BODY.PEEK[2.MIME] BODY.PEEK[2]<0.8>)",
	    "fetch:2:(ENVELOPE BODY.PEEK[TEXT])", "search:CHARSET UTF-8 FROM J",
	    op("append:INBOX::%s", nested), op("append:INBOX::%s", alt),
	    op("append:INBOX::%s", broken), op("append:INBOX::%s", wrong),
	    "select:INBOX", "raw:u0 UNSELECT", "select:INBOX", "fetch:1:(FLAGS RFC822.SIZE UID)",
	    "fetch:1:BODYSTRUCTURE", "fetch:1:(BODY.PEEK[2.1] BODY.PEEK[2.HEADER.FIELDS (SUBJECT)])",
	    "fetch:1:(BODY.PEEK[HEADER.FIELDS (Subject To)])",
	    "fetch:1:(BODY.PEEK[HEADER.FIELDS.NOT (Subject To From Content-Type)])",
	    "fetch:1:(BODY.PEEK[]<0.4> BODY.PEEK[1.MIME])",
	    "fetch:1:(FLAGS)", "fetch:1:(BODY[TEXT]<2.3>)", "fetch:1:FLAGS",
	    "fetch:2:(ENVELOPE)", "fetch:3:(BODYSTRUCTURE BODY)",
	    "fetch:4:(BODYSTRUCTURE BODY[1])", "fetch:2:FAST",
	    "fetch:2:RFC822.HEADER", "fetch:2:FLAGS", "fetch:2:RFC822",
	    "uidfetch:3:(FLAGS)", "fetch:1:(BODY[9.9])",
	    "raw:f1 FETCH 1 (BODY[HEADER.FIELDS])", "raw:f2 FETCH 1 FROB",
	    "examine:INBOX", "fetch:3:BODY[]", "fetch:3:FLAGS");
	/* multipart/mixed with an RFC 2231 attachment, and 8-bit text */
	HAS(out, "\"APPLICATION\" \"PDF\"", &a);
	HAS(out, "BODY[2.MIME] {", &a);
	HAS(out, "BODY[2]<0> {8}", &a);
	HAS(out, "OP fetch OK 2 (ENVELOPE (NIL {7} Gr\xc3\xbc\xc3\x9f" "e", &a);
	HAS(out, "BODY[TEXT] {8} Sch\xc3\xb6n", &a);
	HAS(out, "OP search CHARSET UTF-8 FROM J OK 2\n", &a);
	HAS(out, "OP fetch OK 1 (FLAGS () RFC822.SIZE 4", &a);
	HAS(out, "\"MESSAGE\" \"RFC822\"", &a);
	HAS(out, "BODY[2.1] {2} hi |", &a);
	HAS(out, "BODY[2.HEADER.FIELDS (\"SUBJECT\")] {18} Subject: inner\r\n\r\n", &a);
	HAS(out, "BODY[HEADER.FIELDS (\"Subject\" \"To\")] {35} To: b@example.com\r\n"
	    "Subject: fwd\r\n\r\n", &a);
	HAS(out, "HEADER.FIELDS.NOT (\"Subject\" \"To\" \"From\" \"Content-Type\")] "
	    "{2} \r\n", &a);
	HAS(out, "BODY[]<0> {4} From", &a);
	HAS(out, "BODY[1.MIME] {46} Content-Type: text/plain; charset=us-ascii\r\n\r\n", &a);
	/* PEEK left \Seen alone, BODY[TEXT] set it and said so */
	HAS(out, "OP fetch OK 1 (FLAGS ())", &a);
	HAS(out, "BODY[TEXT]<2> {3} out |  FLAGS (\\Seen))\n", &a);
	HAS(out, "OP fetch OK 1 (FLAGS (\\Seen))", &a);
	HAS(out, "OP fetch OK 2 (ENVELOPE (", &a);
	HAS(out, "OP fetch OK 3 (BODYSTRUCTURE (", &a);
	HAS(out, "OP fetch OK 4 (BODYSTRUCTURE ", &a);
	HAS(out, "OP fetch OK 2 (FLAGS () INTERNALDATE \"", &a);
	HAS(out, "OP fetch OK 2 (FLAGS ())", &a);
	HAS(out, "2 (RFC822 {", &a);
	HAS(out, "FLAGS (\\Seen))", &a);
	HAS(out, "OP uidfetch OK 3 (UID 3 FLAGS ())", &a);
	HAS(out, "OP fetch OK 1 (BODY[9.9] {0}  | )", &a);
	HAS(out, "R f1 BAD Bad fetch item", &a);
	HAS(out, "R f2 BAD Bad fetch item", &a);
	/* EXAMINE: BODY[] does not set \Seen */
	HAS(out, "OP fetch OK 3 (FLAGS ())", &a);
	free(out);
	free(nested);
	free(alt);
	free(broken);
	free(wrong);
	free(mixed);
	free(eight);
	ad_stop(&a);
}

Test(imap, quota_overquota_and_getquota)
{
	struct ad a;
	char *out, *msg, big[3000];

	memset(big, 'x', sizeof(big));
	memcpy(big, "Subject: big\r\n\r\n", 16);
	for (size_t i = 100; i < sizeof(big); i += 100)
		memcpy(big + i - 2, "\r\n", 2);
	ad_start(&a, env("ADTEST_URI"), NULL, NULL, PLAIN_OK);
	cr_assert_eq(ldap_modify("dn: uid=bob,ou=people," BASE "\n"
	    "changetype: modify\nreplace: tesseraMailQuotaBytes\n"
	    "tesseraMailQuotaBytes: 4096\n", a.dir), 0);
	msg = tfile(&a, "big.eml", big, sizeof(big));
	out = IMAP(&a, a.imap, "login:bob:demo", op("append:INBOX::%s", msg),
	    op("append:INBOX::%s", msg), "getquotaroot:INBOX",
	    "raw:q1 GETQUOTA \"\"", "raw:q2 GETQUOTA other",
	    "raw:q3 APPEND INBOX {3000}", "select:INBOX", "copy:1:Trash");
	HAS(out, "OP append OK [APPENDUID", &a);
	HAS(out, "OP append NO [OVERQUOTA] Message refused", &a);
	HAS(out, "* QUOTA \"\" (STORAGE 3 4)", &a);
	HAS(out, "R * QUOTA \"\" (STORAGE 3 4)", &a);
	HAS(out, "R q2 NO [NONEXISTENT]", &a);
	/* refused before the literal is sent */
	HAS(out, "R q3 NO [OVERQUOTA] Message refused", &a);
	HAS(out, "OP copy NO [OVERQUOTA]", &a);
	free(out);
	free(msg);
	ad_stop(&a);
}

Test(imap, store_expunge_copy_move_uidplus)
{
	struct ad a;
	char *out, *msg;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL, PLAIN_OK);
	msg = tfile(&a, "m.eml", MSG, strlen(MSG));
	out = IMAP(&a, a.imap, "login:alice:demo", op("append:INBOX::%s", msg),
	    op("append:INBOX::%s", msg), op("append:INBOX::%s", msg),
	    op("append:INBOX::%s", msg), "select:INBOX", "raw:u0 UNSELECT",
	    "select:INBOX", "store:1:+FLAGS:(\\Flagged $Work)", "store:2:+FLAGS.SILENT:\\Seen",
	    "store:1:-FLAGS:($Work)", "uidstore:3:FLAGS:(\\Answered Foo)",
	    "fetch:1~4:FLAGS", "raw:s1 STORE 1 +FLAGS (\\Recent)",
	    "raw:s2 STORE 1 BOGUS (\\Seen)", "copy:1~2:Trash",
	    "uidcopy:4:Nope", "move:3:Archive", "raw:s3 UID MOVE 2 Junk",
	    "store:1:+FLAGS:\\Deleted", "raw:s4 UID EXPUNGE 2",
	    "raw:s5 EXPUNGE", "fetch:1~*:(UID FLAGS)", "status:Trash:(MESSAGES)",
	    "status:Archive:(MESSAGES)", "status:Junk:(MESSAGES)",
	    "examine:Trash", "raw:s6 STORE 1 +FLAGS \\Seen", "raw:s7 EXPUNGE",
	    "raw:s8 UNSELECT", "select:Trash", "store:1:+FLAGS:\\Deleted",
	    "close", "status:Trash:(MESSAGES)");
	HAS(out, "OP store OK 1 (FLAGS (\\Flagged $Work))", &a);
	HAS(out, "OP store OK \n", &a);	/* .SILENT: no FETCH */
	HAS(out, "OP store OK 1 (FLAGS (\\Flagged))", &a);
	HAS(out, "OP uidstore OK 3 (FLAGS (\\Answered Foo) UID 3)", &a);
	HAS(out, "OP fetch OK 1 (FLAGS (\\Flagged)) | 2 (FLAGS (\\Seen)) | "
	    "3 (FLAGS (\\Answered Foo)) | 4 (FLAGS ())", &a);
	HAS(out, "R s1 BAD Bad flags", &a);
	HAS(out, "R s2 BAD Unknown STORE item", &a);
	HAS(out, "OP copy OK [COPYUID", &a);
	HAS(out, " 1:2 1:2] COPY completed", &a);
	HAS(out, "OP uidcopy NO [TRYCREATE]", &a);
	/* MOVE: COPYUID in an untagged OK, then the EXPUNGE */
	HAS(out, "* OK [COPYUID", &a);
	HAS(out, "OP move OK MOVE completed", &a);
	HAS(out, "* EXPUNGE 3", &a);
	HAS(out, "R * 2 EXPUNGE\nR s3 OK UID MOVE completed", &a);
	/* UID EXPUNGE 2 leaves message 1 (\Deleted, UID 1) alone */
	HAS(out, "R s4 OK UID EXPUNGE completed", &a);
	HAS(out, "R * 1 EXPUNGE\nR s5 OK EXPUNGE completed", &a);
	HAS(out, "OP fetch OK 1 (UID 4 FLAGS ())", &a);
	HAS(out, "OP status OK \"Trash\" (MESSAGES 2)", &a);
	HAS(out, "OP status OK \"Archive\" (MESSAGES 1)", &a);
	HAS(out, "OP status OK \"Junk\" (MESSAGES 1)", &a);
	HAS(out, "R s6 NO [READ-ONLY]", &a);
	HAS(out, "R s7 NO [READ-ONLY]", &a);
	HAS(out, "R s8 OK UNSELECT completed", &a);
	HAS(out, "OP close OK CLOSE completed", &a);
	HAS(out, "OP status OK \"Trash\" (MESSAGES 1)", &a);
	free(out);
	free(msg);
	ad_stop(&a);
}

Test(imap, search_keys)
{
	struct ad a;
	char *out, *m1, *m2, *alt = datafile("alternative.eml");

	ad_start(&a, env("ADTEST_URI"), NULL, NULL, PLAIN_OK);
	m1 = tfile(&a, "m1.eml", MSG, strlen(MSG));
	m2 = tfile(&a, "m2.eml", "From: bob@example.test\r\nTo: carol@x.test\r\n"
	    "Subject: budget\r\nDate: Mon, 01 Jun 2020 08:00:00 +0000\r\n\r\n"
	    "numbers inside\r\n", 116);
	out = IMAP(&a, a.imap, "login:alice:demo", op("append:INBOX::%s", m1),
	    op("append:INBOX:(\\Seen \\Flagged):%s", m2),
	    op("append:INBOX::%s", alt), "select:INBOX",
	    "search:ALL", "search:SUBJECT budget", "search:FROM BOB",
	    "search:OR SEEN SUBJECT hello", "search:NOT SEEN",
	    "search:(FLAGGED SEEN)", "search:BODY inside",
	    "search:TEXT budget", "search:HEADER Message-ID m1@remote",
	    "raw:x0 SEARCH CHARSET UTF-8 SUBJECT {5}\\nCaf\xc3\xa9", "search:SENTBEFORE 1-Jan-2021",
	    "search:SENTSINCE 1-Jan-2021", "search:LARGER 150",
	    "search:SMALLER 150", "search:2~*", "uidsearch:UID 2~3 UNFLAGGED",
	    "search:CHARSET UTF-8 BODY Hello", "search:TO carol",
	    "search:SINCE 1-Jan-2000 UNDELETED", "search:ON 1-Jan-2000",
	    "search:KEYWORD $Work", "search:UNKEYWORD $Work",
	    "search:NOT NOT NOT SEEN", "search:OR OR SEEN FLAGGED DRAFT",
	    "raw:x1 SEARCH CHARSET KOI8-R ALL", "raw:x2 SEARCH FROB",
	    "raw:x3 SEARCH SINCE 40-Foo-2000", "raw:x4 SEARCH",
	    "raw:x5 SEARCH ((((((((((((((((((ALL))))))))))))))))))",
	    "raw:x6 SEARCH NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
	    "NOT NOT NOT NOT NOT ALL");
	HAS(out, "OP search ALL OK 1 2 3\n", &a);
	HAS(out, "OP search SUBJECT budget OK 2\n", &a);
	HAS(out, "OP search FROM BOB OK 2\n", &a);
	HAS(out, "OP search OR SEEN SUBJECT hello OK 1 2\n", &a);
	HAS(out, "OP search NOT SEEN OK 1 3\n", &a);
	HAS(out, "OP search (FLAGGED SEEN) OK 2\n", &a);
	HAS(out, "OP search BODY inside OK 2\n", &a);
	HAS(out, "OP search TEXT budget OK 2\n", &a);
	HAS(out, "OP search HEADER Message-ID m1@remote OK 1\n", &a);
	HAS(out, "R * SEARCH 3\nR x0 OK SEARCH completed", &a);
	HAS(out, "OP search SENTBEFORE 1-Jan-2021 OK 2\n", &a);
	HAS(out, "OP search SENTSINCE 1-Jan-2021 OK 1 3\n", &a);
	HAS(out, "OP search 2:* OK 2 3\n", &a);
	HAS(out, "OP uidsearch UID 2:3 UNFLAGGED OK 3\n", &a);
	HAS(out, "OP search CHARSET UTF-8 BODY Hello OK 3\n", &a);
	HAS(out, "OP search TO carol OK 2 3\n", &a);
	HAS(out, "OP search SINCE 1-Jan-2000 UNDELETED OK 1 2 3\n", &a);
	HAS(out, "OP search ON 1-Jan-2000 OK \n", &a);
	HAS(out, "OP search KEYWORD $Work OK \n", &a);
	HAS(out, "OP search UNKEYWORD $Work OK 1 2 3\n", &a);
	HAS(out, "OP search NOT NOT NOT SEEN OK 1 3\n", &a);
	HAS(out, "OP search OR OR SEEN FLAGGED DRAFT OK 2\n", &a);
	HAS(out, "R x1 NO [BADCHARSET (UTF-8 US-ASCII)]", &a);
	HAS(out, "R x2 BAD Unknown search key", &a);
	HAS(out, "R x3 BAD Bad date", &a);
	HAS(out, "R x4 BAD SEARCH needs a key", &a);
	HAS(out, "R x5 BAD [LIMIT] Too deeply nested", &a);
	HAS(out, "R x6 BAD [LIMIT] Search keys nested too deeply", &a);
	free(out);
	free(m1);
	free(m2);
	free(alt);
	ad_stop(&a);
}

/* SEARCH header keys and FETCH of the message's header sections read
 * only its header; a header over the 256 KiB read for them (300 lines of
 * 900 bytes before the Subject) is read with the whole message and still
 * searched and fetched to its end; a FETCH that also wants the text reads
 * it all. */
Test(imap, header_keys_and_sections_read_the_header_alone)
{
	struct ad a;
	char *out, *m1, *m2;
	struct buf *big = buf_new(4096, 1 << 20);

	for (int i = 0; i < 300; i++) {
		buf_printf(big, "X-Filler-%d: ", i);
		for (int k = 0; k < 880; k++)
			buf_append_byte(big, (uint8_t)('a' + k % 26));
		buf_append_str(big, "\r\n");
	}
	buf_append_str(big, "Subject: longhead\r\n\r\nbody with budget\r\n");
	cr_assert_gt(big->len, 256 * 1024);
	ad_start(&a, env("ADTEST_URI"), NULL, NULL, PLAIN_OK);
	m1 = tfile(&a, "m1.eml", MSG, strlen(MSG));
	m2 = tfile(&a, "m2.eml", buf_cstr(big), big->len);
	out = IMAP(&a, a.imap, "login:alice:demo", op("append:INBOX::%s", m1),
	    op("append:INBOX::%s", m2), "select:INBOX",
	    "search:SUBJECT longhead", "search:HEADER X-Filler-299 xyz",
	    "search:SUBJECT hello", "search:SUBJECT budget",
	    "search:BODY budget", "fetch:1:(BODY.PEEK[HEADER])",
	    "fetch:1:(RFC822.HEADER BODY.PEEK[TEXT])",
	    "fetch:2:(BODY.PEEK[HEADER.FIELDS (Subject)])");
	HAS(out, "OP search SUBJECT longhead OK 2\n", &a);
	HAS(out, "OP search HEADER X-Filler-299 xyz OK 2\n", &a);
	HAS(out, "OP search SUBJECT hello OK 1\n", &a);
	HAS(out, "OP search SUBJECT budget OK \n", &a);
	HAS(out, "OP search BODY budget OK 2\n", &a);
	/* header sections read the header alone, or all when more is asked */
	HAS(out, "OP fetch OK 1 (BODY[HEADER] {157} From: Sender", &a);
	HAS(out, "Message-ID: <m1@remote.example>\r\n\r\n | )\n", &a);
	HAS(out, "(RFC822.HEADER {157} From: Sender", &a);
	HAS(out, "BODY[TEXT] {25} first line\r\nsecond line\r\n | )\n",
	    &a);
	HAS(out, "BODY[HEADER.FIELDS (\"Subject\")] {21} Subject: longhead"
	    "\r\n\r\n | )\n", &a);
	free(out);
	free(m1);
	free(m2);
	buf_free(&big);
	ad_stop(&a);
}

Test(imap, concurrent_sessions_see_changes_in_rfc_order)
{
	struct ad a;
	char *out, *msg;
	char lmtp_op[64];

	ad_start(&a, env("ADTEST_URI"), NULL, NULL, PLAIN_OK);
	msg = tfile(&a, "m.eml", MSG, strlen(MSG));
	snprintf(lmtp_op, sizeof(lmtp_op), "lmtp:%u:alice@example.test",
	    a.lmtp);
	out = IMAP(&a, a.imap, "login:alice:demo", op("append:INBOX::%s", msg),
	    op("append:INBOX::%s", msg), op("append:INBOX::%s", msg),
	    "select:INBOX",
	    "open:2", "login:alice:demo", "select:INBOX",
	    "store:1:+FLAGS:\\Flagged", "store:2:+FLAGS:\\Deleted", "expunge",
	    op("append:INBOX::%s", msg), lmtp_op,
	    "use:1", "raw:c1 FETCH 1:3 (FLAGS)", "raw:c2 STORE 3 +FLAGS \\Seen",
	    "raw:c3 SEARCH ALL", "raw:c4 NOOP", "raw:c5 FETCH 1:* UID",
	    "use:2", "raw:d1 NOOP");
	/* session 1 during FETCH/STORE/SEARCH: new messages and flags, no
	 * EXPUNGE; numbering unchanged (message 2 is still there) */
	/* \Recent: session 1 selected first and got messages 1-3, session
	 * 2 none; session 2 saw its APPEND (4) first, session 1 the LMTP
	 * delivery (5) */
	HAS(out, "* RECENT 3\n", &a);
	HAS(out, "* RECENT 0\n", &a);
	HAS(out, "R * 5 EXISTS\nR * 4 RECENT\nR * 1 FETCH (UID 1 FLAGS "
	    "(\\Flagged \\Recent))\nR * 1 FETCH (FLAGS (\\Flagged \\Recent))\n"
	    "R * 3 FETCH (FLAGS (\\Recent))\nR c1 NO [EXPUNGEISSUED]", &a);
	HAS(out, "R * 3 FETCH (FLAGS (\\Seen \\Recent))\nR c2 OK STORE "
	    "completed", &a);
	HAS(out, "R * 4 EXISTS\nR * 1 RECENT\nR * 2 FETCH (UID 3 FLAGS "
	    "(\\Seen))\nR d1 OK NOOP completed", &a);
	HAS(out, "R * SEARCH 1 3 4 5\nR c3 OK SEARCH completed", &a);
	/* then NOOP: the EXPUNGE, in order, before the tagged reply */
	HAS(out, "R * 2 EXPUNGE\nR c4 OK NOOP completed", &a);
	HAS(out, "R * 1 FETCH (UID 1)\nR * 2 FETCH (UID 3)\nR * 3 FETCH (UID 4)\n"
	    "R * 4 FETCH (UID 5)\nR c5 OK FETCH completed", &a);
	/* session 2 hears of session 1's \Seen */
	HAS(out, "R * 2 FETCH (UID 3 FLAGS (\\Seen))\nR d1 OK NOOP completed", &a);
	free(out);
	free(msg);
	ad_stop(&a);
}

Test(imap, idle_woken_by_lmtp_delivery_and_idle_timeout)
{
	struct ad a;
	char *out, idle_op[80];

	ad_start(&a, env("ADTEST_URI"), NULL, NULL, PLAIN_OK
	    "idle_timeout = 5s\n");
	snprintf(idle_op, sizeof(idle_op), "idle:10:%u:bob@example.test",
	    a.lmtp);
	out = IMAP(&a, a.imap, "login:bob:demo", "select:INBOX", idle_op,
	    "idle:1", "raw:i2 IDLE", "sleep:8", "noop");
	HAS(out, "R + idling", &a);
	HAS(out, "LMTP delivered\nR * 1 EXISTS", &a);
	HAS(out, "R I1 OK IDLE terminated", &a);
	/* re-armed: a second IDLE that sees nothing and ends with DONE */
	HAS(out, "IDLE timeout\nR I1 OK IDLE terminated", &a);
	/* an IDLE longer than idle_timeout ends the session (8 s against
	 * 5 s: a loaded machine may be late with the timer) */
	HAS(out, "R * BYE Autologout; idle for too long", &a);
	free(out);
	ad_stop(&a);
}

Test(imap, limits_crossed)
{
	struct ad a;
	char *out, *line, *big;
	char lit[2100];

	ad_start(&a, env("ADTEST_URI"), NULL, "message_size_max = 1k\n",
	    PLAIN_OK "line_max = 1k\nliteral_max = 1k\ncommand_max = 4k\n"
	    "depth_max = 3\nargs_max = 16\nranges_max = 16\n"
	    "search_keys_max = 4\nlogin_timeout = 1s\n");
	memset(lit, 'x', sizeof(lit));
	lit[sizeof(lit) - 1] = '\0';
	/* a line of exactly 1024 bytes with its CRLF, then one longer */
	line = op("raw:l1 ID (\"%.1012s\")", lit);
	big = op("raw:l2 ID (\"%.1013s\")", lit);
	out = IMAP(&a, a.imap, "login:alice:demo", line,
	    op("raw:l3 ID (\"a\" {1024}\\n%.1024s)", lit), "raw:l4 ID ({1025}",
	    "raw:l5 APPEND INBOX {1025}", op("raw:l6 APPEND INBOX {1024}\\nSubject: x\\n\\n%.1010s", lit),
	    "raw:l7 ID (((1)))", "raw:l8 ID ((((1))))",
	    "raw:l9 ID (1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)",
	    "raw:l10 ID (1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)",
	    "select:INBOX",
	    "raw:l11 FETCH 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1 FLAGS",
	    "raw:l12 FETCH 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1 FLAGS",
	    "raw:l13 SEARCH SEEN SEEN SEEN SEEN",
	    "raw:l14 SEARCH SEEN SEEN SEEN SEEN SEEN",
	    "raw:l15 SEARCH (((SEEN)))", "raw:l16 SEARCH ((((SEEN))))",
	    "raw:l18 FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
	    "raw:l19 FETCH 1 (((FLAGS)))", "raw:l20 FETCH 1 ((((FLAGS))))",
	    op("raw:l21 ID (\"a\" {1000}\\n%.1000s \"b\" {1000}\\n%.1000s "
	    "\"c\" {1000}\\n%.1000s \"d\" {1000}\\n%.1000s \"e\" {1000}", lit,
	    lit, lit, lit), "noop",
	    big, "noop");
	HAS(out, "R l1 OK ID completed", &a);
	HAS(out, "R + Ready for literal data\nR * ID", &a);
	HAS(out, "R l3 OK ID completed", &a);
	HAS(out, "R l4 BAD [LIMIT] Literal too large", &a);
	HAS(out, "R l5 NO [TOOBIG] Message refused", &a);
	HAS(out, "R l6 OK [APPENDUID", &a);
	HAS(out, "R l7 OK ID completed", &a);
	HAS(out, "R l8 BAD [LIMIT] Too deeply nested", &a);
	HAS(out, "R l9 OK ID completed", &a);
	HAS(out, "R l10 BAD [LIMIT] Too many arguments", &a);
	HAS(out, "R l11 OK FETCH completed", &a);
	HAS(out, "R l12 BAD Bad sequence set", &a);
	HAS(out, "R l13 OK SEARCH completed", &a);
	HAS(out, "R l14 BAD [LIMIT] Too many search keys", &a);
	/* parenthesis depth in SEARCH and FETCH, at and over depth_max 3 */
	HAS(out, "R l15 OK SEARCH completed", &a);
	HAS(out, "R l16 BAD [LIMIT] Too deeply nested", &a);
	HAS(out, "R l18 OK FETCH completed", &a);
	HAS(out, "R l19 BAD Bad fetch item", &a);
	HAS(out, "R l20 BAD [LIMIT] Too deeply nested", &a);
	/* command_max 4k: the fifth literal of 1000 would cross it */
	HAS(out, "R l21 BAD [LIMIT] Literal too large", &a);
	HAS(out, "OP noop OK", &a);
	HAS(out, "R * BYE [LIMIT] Line too long", &a);
	free(out);
	/* a non-synchronizing literal over the limit ends the session */
	out = IMAP(&a, a.imap, "login:alice:demo", "raw:n1 ID ({1025+}",
	    "noop");
	HAS(out, "R n1 BAD [LIMIT] Literal too large\n", &a);
	HAS(out, "Cannot skip a literal that large", &a);
	free(out);
	/* a client silent for longer than login_timeout before logging in
	 * (3 s past it: a loaded machine may be late with the timer) */
	out = IMAP(&a, a.imap, "sleep:4", "noop");
	HAS(out, "Autologout", &a);
	free(out);
	ad_stop(&a);
}

Test(imap, literal_minus)
{
	struct ad a;
	char *out;
	char lit[5001];

	memset(lit, 'z', sizeof(lit) - 1);
	lit[sizeof(lit) - 1] = '\0';
	ad_start(&a, env("ADTEST_URI"), NULL, NULL, PLAIN_OK
	    "nonsync_literals = minus\n");
	/* LITERAL-: {4096+} is fine, a synchronizing {5000} too */
	out = IMAP(&a, a.imap, "login:alice:demo",
	    op("raw:m1 ID (\"a\" {4096+}\\n%.4096s)", lit),
	    op("raw:m2 ID (\"a\" {5000}\\n%.5000s)", lit),
	    op("raw:m3 APPEND INBOX {4097+}\\n%.4097s", lit), "noop");
	/* and says so instead of LITERAL+ */
	HAS(out, "GREETING * OK [CAPABILITY IMAP4rev1 LITERAL- SASL-IR", &a);
	HASNT(out, "LITERAL+", &a);
	HAS(out, "R m1 OK ID completed", &a);
	HAS(out, "R + Ready for literal data\nR * ID", &a);
	HAS(out, "R m2 OK ID completed", &a);
	/* RFC 7888 section 4: over 4096 octets is BAD [TOOBIG]; the
	 * literal's bytes are on the way, so the session ends */
	HAS(out, "R m3 BAD [TOOBIG]", &a);
	HAS(out, "Cannot skip a literal that large", &a);
	HASNT(out, "OP noop OK", &a);
	free(out);
	/* an ID with {4097+} too, and nothing was appended by m3 */
	out = IMAP(&a, a.imap, "login:alice:demo", "examine:INBOX",
	    op("raw:m4 ID (\"a\" {4097+}\\n%.4097s)", lit));
	HAS(out, "OP examine OK 0", &a);
	HAS(out, "R m4 BAD [TOOBIG]", &a);
	free(out);
	ad_stop(&a);
}

/* The VmRSS growth the client saw ("SLOW max growth N kB"). */
static long
slow_growth(struct ad *a, const char *out)
{
	const char *p = strstr(out, "SLOW max growth ");

	ITEST_ASSERT(p != NULL, a->p, "no growth in:\n%s", out);
	return strtol(p + 16, NULL, 10);
}

Test(imap, slow_reader_is_bounded_and_cut_off, .timeout = 120)
{
	struct ad a;
	char *out, *path, *msg, *s_ended;
	size_t len = 1024 * 1024, hl;
	double ended;

	ad_start(&a, env("ADTEST_URI"), NULL, "message_size_max = 2m\n",
	    PLAIN_OK "send_timeout = 2s\nsend_buffer = 64k\n");
	/* a 1 MiB message: 100 pipelined FETCH BODY[] ask for 100 MiB */
	msg = malloc(len);
	cr_assert_not_null(msg);
	hl = (size_t)snprintf(msg, len, "From: a@example.test\r\n"
	    "Subject: big one\r\n\r\n");
	for (size_t i = hl; i + 64 <= len; i += 64) {
		memset(msg + i, 'b', 62);
		memcpy(msg + i + 62, "\r\n", 2);
	}
	path = tfile(&a, "big.eml", msg, hl + (len - hl) / 64 * 64);
	free(msg);
	/* alice: the quota test lowers bob's quota in the shared slapd */
	out = IMAP(&a, a.imap, "login:alice:demo",
	    op("append:INBOX::%s", path), "select:INBOX",
	    op("slowread:%ld:alice:demo:100:20", (long)a.p->pid), "noop");
	HAS(out, "OP append OK", &a);
	HAS(out, "SLOW s3 OK FETCH completed", &a);
	HAS(out, "SLOW session found", &a);
	/* the session holds one reply at most, not the 100 MiB asked */
	ITEST_ASSERT(slow_growth(&a, out) < 16 * 1024, a.p,
	    "session grew: %s", out);
	/* and ends once the client took nothing for send_timeout */
	s_ended = strstr(out, "SLOW session ended after ");
	ITEST_ASSERT(s_ended != NULL, a.p, "session not ended: %s", out);
	ended = strtod(s_ended + 25, NULL);
	ITEST_ASSERT(ended >= 1.5 && ended < 12, a.p, "ended after %.1f s",
	    ended);
	HAS(out, "SLOW connection closed", &a);
	/* the other session was served meanwhile, and still is */
	HAS(out, "OP other OK 1 (BODY[HEADER.FIELDS (\"SUBJECT\")] {20}", &a);
	HAS(out, "Subject: big one", &a);
	HAS(out, "OP noop OK", &a);
	free(out);
	{
		char *log = read_file(a.log, &len);

		HAS(log, "send timeout: client takes no replies", &a);
		free(log);
	}
	free(path);
	ad_stop(&a);
}

Test(imap, directory_down_is_unavailable)
{
	struct ad a;
	char *dir = itest_tmpdir("imap-down");
	char *ldif = itest_srcpath("schema/samples/example.test.ldif");
	struct itest_slapd *s;
	char *out;

	s = private_slapd = itest_slapd_start(dir, ldif);
	cr_assert_not_null(s);
	ad_start(&a, s->uri, NULL, NULL, PLAIN_OK);
	out = IMAP(&a, a.imap, "login:alice:demo", "logout");
	HAS(out, "OP login OK", &a);
	free(out);
	cr_assert_eq(itest_slapd_halt(s), 0);
	out = IMAP(&a, a.imap, "login:bob:demo",
	    "raw:u1 AUTHENTICATE PLAIN AGFsaWNlAGRlbW8=");
	HAS(out, "ERR login b'[UNAVAILABLE] Directory unavailable", &a);
	HAS(out, "R u1 NO [UNAVAILABLE]", &a);
	free(out);
	ad_stop(&a);
	itest_slapd_stop(&private_slapd);
	itest_cleanup_dir(&dir);
	free(ldif);
}

/* Run mbsync (Debian's isync) with config conf; its output (caller frees). */
static char *
mbsync(struct ad *a, const char *conf)
{
	char *argv[] = { "mbsync", "-V", "-c", (char *)conf, "-a", NULL };
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	int rc = itest_run(argv, NULL, out, 60000);
	char *res = strdup(buf_cstr(out));

	buf_free(&out);
	ITEST_ASSERT(rc == 0, a->p, "mbsync failed (%d): %s", rc, res);
	return res;
}

/* The one file in dir (a Maildir cur/ or new/), or NULL. */
static char *
only_file(const char *dir)
{
	char *cmd = op("ls -1 %s 2>/dev/null | head -n 1", dir);
	FILE *f = popen(cmd, "r");
	char line[1024] = "";

	cr_assert_not_null(f);
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	pclose(f);
	line[strcspn(line, "\n")] = '\0';
	return line[0] != '\0' ? op("%s/%s", dir, line) : NULL;
}

Test(imap, mbsync_pulls_changes_flags_and_moves_pushes_back, .timeout = 150)
{
	struct ad a;
	char *out, *conf, *local, *text, lmtp_op[64], *f1, *f2, *to;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL, NULL);
	snprintf(lmtp_op, sizeof(lmtp_op), "lmtp:%u:alice@example.test",
	    a.lmtp);
	out = IMAP(&a, a.imaps, "tls", lmtp_op, lmtp_op);
	free(out);
	local = op("%s/local", a.dir);
	cr_assert_eq(mkdir(local, 0700), 0);
	text = op("IMAPAccount acc\nHost localhost\nPort %u\nUser alice\n"
	    "Pass demo\nSSLType IMAPS\nCertificateFile %s\n"
	    "AuthMechs PLAIN\n\nIMAPStore far\nAccount acc\n\n"
	    "MaildirStore near\nPath %s/\nInbox %s/INBOX\nSubFolders Verbatim\n\n"
	    "Channel ch\nFar :far:\nNear :near:\nPatterns INBOX Archive\n"
	    "Create Both\nExpunge Both\nSync All\nSyncState *\n",
	    a.imaps, a.ca, local, local);
	conf = tfile(&a, "mbsyncrc", text, strlen(text));
	out = mbsync(&a, conf);
	free(out);
	/* pulled: two messages in the local INBOX */
	f1 = only_file(op("%s/INBOX/new", local));
	if (f1 == NULL)
		f1 = only_file(op("%s/INBOX/cur", local));
	cr_assert_not_null(f1, "mbsync pulled nothing");
	/* locally: read one (flag S) and move it to Archive */
	to = op("%s/Archive/cur/moved:2,S", local);
	cr_assert_eq(rename(f1, to), 0, "rename %s %s", f1, to);
	f2 = only_file(op("%s/INBOX/new", local));
	if (f2 == NULL)
		f2 = only_file(op("%s/INBOX/cur", local));
	cr_assert_not_null(f2);
	{
		/* the other: flagged locally */
		char *flagged = op("%s/INBOX/cur/kept:2,F", local);

		cr_assert_eq(rename(f2, flagged), 0);
	}
	out = mbsync(&a, conf);
	free(out);
	/* pushed: the server has one flagged message in INBOX and the moved,
	 * seen one in Archive */
	out = IMAP(&a, a.imaps, "tls", "login:alice:demo",
	    "status:INBOX:(MESSAGES)", "status:Archive:(MESSAGES UNSEEN)",
	    "select:INBOX", "fetch:1~*:(FLAGS)");
	HAS(out, "OP status OK \"INBOX\" (MESSAGES 1)", &a);
	HAS(out, "OP status OK \"Archive\" (MESSAGES 1 UNSEEN 0)", &a);
	HAS(out, "OP fetch OK 1 (FLAGS (\\Flagged))", &a);
	free(out);
	free(conf);
	ad_stop(&a);
}
