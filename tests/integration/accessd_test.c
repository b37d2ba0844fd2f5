/*
 * tests/integration/accessd_test.c - accessd end to end: a real slapd
 * with the sample tree (schema/samples/example.test.ldif), the built
 * accessd with its lookup process, Python's smtplib.LMTP and poplib as
 * clients (tests/integration/accessd_client.py).
 *
 * One shared slapd serves the tests that only read the directory; tests
 * that change entries use entries no other test reads (bob's quota, an
 * added user on another mail host), the outage test has a slapd of its
 * own. Each test starts its own accessd in a temporary directory (as
 * nobody when the suite runs as root). Nothing is mocked.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
	shared_dir = itest_tmpdir("accessd-test");
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
	uint16_t lmtp, pop3, pop3s;
	struct itest_proc *p;
};

/* What a failed assertion would leave running (each test is a process
 * of its own, so these are per test). */
static struct itest_proc *running;
static char *running_dir;
static struct itest_slapd *private_slapd;

static void
t_fini(void)
{
	itest_stop(&running, 2000);
	itest_cleanup_dir(&running_dir);
	itest_slapd_stop(&private_slapd);
}

TestSuite(accessd, .fini = t_fini, .timeout = 60);

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
    const char *store_extra)
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
	a->pop3 = ports[1];
	a->pop3s = ports[2];
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
	    "[accessd.listener.pop3]\nport = %u\ntype = pop3\n"
	    "[accessd.listener.pop3s]\nport = %u\ntype = pop3s\n",
	    a->dir, user, user, sd, sd, uri,
	    accessd_extra != NULL ? accessd_extra : "", mail,
	    store_extra != NULL && strstr(store_extra, "fsync") != NULL ? "" :
	    "fsync = no\n", store_extra != NULL ? store_extra : "", a->lmtp, a->pop3,
	    a->pop3s), 0);
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
	char *argv[32];
	char *script = itest_srcpath("tests/integration/accessd_client.py");
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	size_t n = 0;
	int rc;
	char *res;

	argv[n++] = "python3";
	argv[n++] = script;
	for (size_t i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	rc = itest_run(argv, NULL, out, 30000);
	free(script);
	res = strdup(buf_cstr(out));
	buf_free(&out);
	ITEST_ASSERT(rc == 0, a->p, "client failed (%d): %s", rc, res);
	return res;
}

static char *
lmtp(struct ad *a, const char *rcpts, const char *msg, size_t len,
    const char *size)
{
	char port[8], *file = NULL;
	char *args[] = { "lmtp", port, SENDER, (char *)rcpts, NULL, NULL,
		NULL };
	char *out;

	snprintf(port, sizeof(port), "%u", a->lmtp);
	cr_assert_geq(asprintf(&file, "%s/msg.eml", a->dir), 0);
	write_file(file, msg, len);
	args[4] = file;
	args[5] = (char *)size;
	out = client(a, args);
	free(file);
	return out;
}

/* pop3 with ops on port (a->pop3 unless implicit). */
static char *
pop3(struct ad *a, uint16_t port, char *const ops[])
{
	char p[8];
	char *args[32] = { "pop3", p, a->ca };
	size_t n = 3;

	snprintf(p, sizeof(p), "%u", port);
	for (size_t i = 0; ops[i] != NULL && n < 31; i++)
		args[n++] = ops[i];
	args[n] = NULL;
	return client(a, args);
}

#define HAS(out, s, a) ITEST_ASSERT(strstr((out), (s)) != NULL, (a)->p, \
	"expected \"%s\" in:\n%s", (s), (out))
#define HASNT(out, s, a) ITEST_ASSERT(strstr((out), (s)) == NULL, (a)->p, \
	"did not expect \"%s\" in:\n%s", (s), (out))

static const char MSG[] = "From: sender@remote.example\r\n"
	"To: info@example.test\r\nSubject: hello\r\n\r\n"
	"first line\r\n.leading dot\r\nlast line\r\n";

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

Test(accessd, alias_delivery_then_pop3_retr_uidl_dele)
{
	struct ad a;
	char *out, *retr = NULL, *path = NULL, *want = NULL, *got, *u1, *u2;
	size_t len;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL);
	out = lmtp(&a, "info@example.test", MSG, strlen(MSG), NULL);
	HAS(out, "LHLO 250 8bitmime enhancedstatuscodes pipelining size", &a);
	HAS(out, "RCPT info@example.test 250 2.1.5", &a);
	HAS(out, "DATA info@example.test 250 2.0.0", &a);
	free(out);

	cr_assert_geq(asprintf(&path, "%s/retr.eml", a.dir), 0);
	cr_assert_geq(asprintf(&retr, "retr:1:%s", path), 0);
	out = pop3(&a, a.pop3, (char *[]){ "stls", "user:alice", "pass:demo",
	    "stat", "uidl", retr, NULL });
	HAS(out, "PASS +OK", &a);
	HAS(out, "STAT 1 ", &a);
	HAS(out, "RETR +OK", &a);
	u1 = strstr(out, "UIDL ");
	cr_assert_not_null(u1);
	u1 = strndup(u1, strcspn(u1, "\n"));
	free(out);
	cr_assert_geq(asprintf(&want, "Return-Path: <" SENDER ">\r\n"
	    "Delivered-To: info@example.test\r\n%s", MSG), 0);
	got = read_file(path, &len);
	cr_assert_eq(len, strlen(want), "RETR gave %zu bytes, want %zu:\n%s",
	    len, strlen(want), got);
	cr_assert_eq(memcmp(got, want, len), 0, "RETR gave:\n%s", got);
	free(got);

	/* UIDL stable; DELE + QUIT removes; a drop without QUIT does not */
	out = pop3(&a, a.pop3s, (char *[]){ "tls", "user:alice", "pass:demo",
	    "uidl", "dele:1", NULL });
	u2 = strstr(out, "UIDL ");
	cr_assert_not_null(u2);
	cr_assert_eq(strncmp(u1, u2, strlen(u1)), 0, "%s vs %s", u1, u2);
	free(out);
	out = pop3(&a, a.pop3s, (char *[]){ "tls", "user:alice", "pass:demo",
	    "stat", "dele:1", "list", "quit", NULL });
	HAS(out, "STAT 1 ", &a);
	HAS(out, "DELE +OK", &a);
	HAS(out, "QUIT +OK", &a);
	free(out);
	out = pop3(&a, a.pop3s, (char *[]){ "tls", "plain:alice:demo",
	    "stat", "quit", NULL });
	HAS(out, "AUTH +OK", &a);
	HAS(out, "STAT 0 0", &a);
	free(out);
	free(u1);
	free(want);
	free(retr);
	free(path);
	ad_stop(&a);
}

Test(accessd, lmtp_unknown_user_and_per_recipient_replies)
{
	struct ad a;
	char *out;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL);
	out = lmtp(&a, "nobody@example.test,alice@example.test,"
	    "carol@example.test,staff@example.test", MSG, strlen(MSG), NULL);
	HAS(out, "RCPT nobody@example.test 550 5.1.1", &a);
	HAS(out, "RCPT alice@example.test 250 2.1.5", &a);
	HAS(out, "RCPT carol@example.test 550 5.2.1", &a);
	HAS(out, "RCPT staff@example.test 550 5.1.1", &a);
	HAS(out, "DATA alice@example.test 250 2.0.0", &a);
	free(out);
	ad_stop(&a);
}

Test(accessd, lmtp_quota_one_recipient_of_two)
{
	struct ad a;
	char *out, big[4096];

	memset(big, 'x', sizeof(big));
	memcpy(big, "Subject: big\r\n\r\n", 16);
	for (size_t i = 100; i < sizeof(big); i += 100)
		memcpy(big + i - 2, "\r\n", 2);
	memcpy(big + sizeof(big) - 2, "\r\n", 2);
	ad_start(&a, env("ADTEST_URI"), NULL, NULL);
	cr_assert_eq(ldap_modify("dn: uid=bob,ou=people," BASE "\n"
	    "changetype: modify\nreplace: tesseraMailQuotaBytes\n"
	    "tesseraMailQuotaBytes: 2000\n", a.dir), 0);
	out = lmtp(&a, "alice@example.test,bob@example.test", big,
	    sizeof(big), NULL);
	HAS(out, "DATA alice@example.test 250 2.0.0", &a);
	HAS(out, "DATA bob@example.test 552 5.2.2", &a);
	free(out);
	ad_stop(&a);

	ad_start(&a, env("ADTEST_URI"), "quota_full_tempfail = yes\n", NULL);
	out = lmtp(&a, "bob@example.test,alice@example.test", big,
	    sizeof(big), NULL);
	HAS(out, "DATA bob@example.test 452 4.2.2", &a);
	HAS(out, "DATA alice@example.test 250 2.0.0", &a);
	free(out);
	ad_stop(&a);
}

Test(accessd, lmtp_mail_host_elsewhere)
{
	struct ad a;
	char *out;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL);
	cr_assert_eq(ldap_modify("dn: uid=dave,ou=people," BASE "\n"
	    "changetype: add\nobjectClass: inetOrgPerson\n"
	    "objectClass: inetLocalMailRecipient\nobjectClass: tesseraMailUser\n"
	    "uid: dave\ncn: Dave\nsn: Dave\nmail: dave@example.test\n"
	    "mailHost: mail2.example.test\ntesseraAccountState: active\n",
	    a.dir), 0);
	out = lmtp(&a, "dave@example.test,alice@example.test", MSG,
	    strlen(MSG), NULL);
	HAS(out, "RCPT dave@example.test 550 5.1.6", &a);
	HAS(out, "mail2.example.test", &a);
	HAS(out, "DATA alice@example.test 250", &a);
	free(out);
	ad_stop(&a);
}

Test(accessd, lmtp_limits_crossed)
{
	struct ad a;
	char *out, line[1200];
	char msg[4000];
	size_t n;

	ad_start(&a, env("ADTEST_URI"), "lmtp_recipients_max = 2\n"
	    "lmtp_line_max = 1000\n", "message_size_max = 2k\n");
	/* recipients: 2 accepted, the third 452 4.5.3 */
	out = lmtp(&a, "alice@example.test,info@example.test,"
	    "alice.liddell@example.test", MSG, strlen(MSG), NULL);
	HAS(out, "RCPT info@example.test 250", &a);
	HAS(out, "RCPT alice.liddell@example.test 452 4.5.3", &a);
	HAS(out, "DATA info@example.test 250", &a);
	free(out);
	/* a line of 1000 bytes with CRLF passes, 1001 does not */
	n = (size_t)snprintf(msg, sizeof(msg), "Subject: l\r\n\r\n");
	memset(line, 'y', 998);
	memcpy(line + 998, "\r\n", 3);
	n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s", line);
	out = lmtp(&a, "alice@example.test", msg, n, NULL);
	HAS(out, "DATA alice@example.test 250", &a);
	free(out);
	n = (size_t)snprintf(msg, sizeof(msg), "Subject: l\r\n\r\ny%s", line);
	out = lmtp(&a, "alice@example.test,info@example.test", msg, n, NULL);
	HAS(out, "DATA alice@example.test 500 5.5.2", &a);
	HAS(out, "DATA info@example.test 500 5.5.2", &a);
	free(out);
	/* size: SIZE= over the limit, and a message over it */
	out = lmtp(&a, "alice@example.test", MSG, strlen(MSG), "5000");
	HAS(out, "MAIL 552 5.3.4", &a);
	free(out);
	memset(msg, 'z', sizeof(msg));
	memcpy(msg, "Subject: s\r\n\r\n", 14);
	for (size_t i = 100; i < sizeof(msg); i += 100)
		memcpy(msg + i - 2, "\r\n", 2);
	memcpy(msg + 2100 - 2, "\r\n", 2);
	out = lmtp(&a, "alice@example.test", msg, 2100, NULL);
	HAS(out, "DATA alice@example.test 552 5.3.4", &a);
	free(out);
	ad_stop(&a);
}

Test(accessd, pop3_logins)
{
	struct ad a;
	char *out;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL);
	/* no login before TLS */
	out = pop3(&a, a.pop3, (char *[]){ "capa", "user:alice",
	    "plain:alice:demo", "quit", NULL });
	HAS(out, "STLS", &a);
	HASNT(out, "USER +OK", &a);
	HAS(out, "ERR -ERR [AUTH]", &a);
	HASNT(out, "AUTH +OK", &a);
	free(out);
	out = pop3(&a, a.pop3, (char *[]){ "stls", "capa", "user:alice",
	    "pass:wrong", "user:carol", "pass:demo", "plain:alice:demo",
	    "stat", "quit", NULL });
	HAS(out, "STLS +OK", &a);
	HAS(out, "SASL", &a);
	HAS(out, "ERR -ERR [AUTH] Invalid login", &a);
	HAS(out, "ERR -ERR [AUTH] Account may not log in", &a);
	HAS(out, "AUTH +OK", &a);
	HAS(out, "STAT 0 0", &a);
	free(out);
	out = pop3(&a, a.pop3, (char *[]){ "stls", "login:alice:demo", "stat",
	    "quit", NULL });
	HAS(out, "LOGIN +OK", &a);
	HAS(out, "STAT 0 0", &a);
	free(out);
	/* plaintext pipelined behind STLS is dropped, not taken as sent
	 * over TLS (RFC 2595 4) */
	out = pop3(&a, a.pop3, (char *[]){ "stlsinject", "quit", NULL });
	HAS(out, "STLS +OK", &a);
	HAS(out, "ERR -ERR USER first", &a);
	free(out);
	ad_stop(&a);
}

Test(accessd, pop3_in_use_and_idle_timeout)
{
	struct ad a;
	struct itest_proc *first;
	char *script = itest_srcpath("tests/integration/accessd_client.py");
	char port[8], *log = NULL, *release = NULL, *hold = NULL, *out = NULL;
	size_t len;
	int ended = 0;

	ad_start(&a, env("ADTEST_URI"), "pop3_idle_timeout = 5s\n", NULL);
	snprintf(port, sizeof(port), "%u", a.pop3s);
	cr_assert_geq(asprintf(&log, "%s/first.log", a.dir), 0);
	cr_assert_geq(asprintf(&release, "%s/release", a.dir), 0);
	cr_assert_geq(asprintf(&hold, "holduntil:%s", release), 0);
	/* the first session holds bob's mailbox until the test releases it
	 * (a NOOP every half second: under pop3_idle_timeout) */
	first = itest_start((char *[]){ "python3", script, "pop3", port, a.ca,
	    "tls", "user:bob", "pass:demo", hold, "quit", NULL }, NULL, log);
	cr_assert_not_null(first);
	for (int i = 0; i < 1500; i++) {
		free(out);
		out = read_file(log, &len);
		if (strstr(out, "PASS ") != NULL || !itest_alive(first))
			break;
		usleep(20 * 1000);
	}
	ITEST_ASSERT(strstr(out, "PASS +OK") != NULL, first, "first login: %s",
	    out);
	free(out);
	out = pop3(&a, a.pop3s, (char *[]){ "tls", "user:bob", "pass:demo",
	    NULL });
	HAS(out, "ERR -ERR [IN-USE]", &a);
	free(out);
	write_file(release, "", 0);
	for (int i = 0; i < 1500 && itest_alive(first); i++)
		usleep(20 * 1000);
	ITEST_ASSERT(itest_stop(&first, 5000) == 0, a.p, "first client");
	out = read_file(log, &len);
	ITEST_ASSERT(strstr(out, "HELD released\nQUIT +OK") != NULL, a.p,
	    "first client: %s", out);
	free(out);
	/* both sessions ended: the mailbox is free */
	for (int i = 0; i < 500 && ended < 2; i++) {
		char *alog = read_file(a.log, &len);

		ended = 0;
		for (const char *p = strstr(alog, "session end listener=pop3s");
		    p != NULL; p = strstr(p + 1, "session end listener=pop3s"))
			ended++;
		free(alog);
		if (ended < 2)
			usleep(20 * 1000);
	}
	ITEST_ASSERT(ended == 2, a.p, "%d POP3 sessions ended", ended);
	/* silent for longer than pop3_idle_timeout: the session is gone */
	out = pop3(&a, a.pop3s, (char *[]){ "tls", "user:bob", "pass:demo",
	    "sleep:8", "noop", NULL });
	HAS(out, "PASS +OK", &a);
	HASNT(out, "NOOP +OK", &a);
	free(out);
	free(script);
	free(log);
	free(release);
	free(hold);
	ad_stop(&a);
}

Test(accessd, directory_down)
{
	struct ad a;
	char *dir = itest_tmpdir("accessd-down");
	char *ldif = itest_srcpath("schema/samples/example.test.ldif");
	struct itest_slapd *s;
	char *out;

	s = private_slapd = itest_slapd_start(dir, ldif);
	cr_assert_not_null(s);
	ad_start(&a, s->uri, NULL, NULL);
	out = lmtp(&a, "alice@example.test", MSG, strlen(MSG), NULL);
	HAS(out, "RCPT alice@example.test 250", &a);
	free(out);
	cr_assert_eq(itest_slapd_halt(s), 0);
	out = lmtp(&a, "bob@example.test", MSG, strlen(MSG), NULL);
	HAS(out, "RCPT bob@example.test 451 4.4.3", &a);
	free(out);
	out = pop3(&a, a.pop3s, (char *[]){ "tls", "user:alice", "pass:demo",
	    NULL });
	HAS(out, "ERR -ERR [SYS/TEMP]", &a);
	free(out);
	ad_stop(&a);
	itest_slapd_stop(&private_slapd);
	itest_cleanup_dir(&dir);
	free(ldif);
}

/* Connect to port, send text (pipelined, all at once), half-close and
 * return everything the server said until it closed (caller frees). */
static char *
converse(struct ad *a, uint16_t port, const char *text, bool half_close)
{
	int fd = itest_connect("127.0.0.1", port, 5000);
	struct buf *out = buf_new(1024, 1 << 20);
	char chunk[4096], *res;
	ssize_t n;

	ITEST_ASSERT(fd != -1, a->p, "cannot connect to %u", port);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	if (half_close)
		shutdown(fd, SHUT_WR);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(out, chunk, (size_t)n);
	close(fd);
	res = strdup(buf_cstr(out));
	buf_free(&out);
	return res;
}

Test(accessd, lmtp_sequence_pipelining_and_line_limit)
{
	struct ad a;
	char *out, *text = NULL, longline[700];

	ad_start(&a, env("ADTEST_URI"), "lmtp_command_line_max = 512\n",
	    NULL);
	out = converse(&a, a.lmtp, "MAIL FROM:<a@b.example>\r\n"
	    "LHLO x.example\r\nDATA\r\nRCPT TO:<alice@example.test>\r\n"
	    "MAIL FROM:<a@b.example>\r\nMAIL FROM:<a@b.example>\r\nDATA\r\n"
	    "RCPT TO:<alice@example.test>\r\nRSET\r\nDATA\r\nNOOP\r\nQUIT\r\n",
	    true);
	HAS(out, "220 mail.example.test LMTP", &a);
	HAS(out, "503 5.5.1 Send LHLO first", &a);
	HAS(out, "250-mail.example.test\r\n250-PIPELINING", &a);
	HAS(out, "503 5.5.1 Need MAIL before RCPT", &a);
	HAS(out, "503 5.5.1 Nested MAIL", &a);
	HAS(out, "554 5.5.1 No valid recipients", &a);
	HAS(out, "250 2.1.5", &a);
	HAS(out, "503 5.5.1 Need RCPT before DATA", &a);
	HAS(out, "221 2.0.0", &a);
	free(out);
	/* a command line of 512 bytes with CRLF passes, 513 does not */
	memset(longline, 'n', sizeof(longline));
	memcpy(longline, "NOOP ", 5);
	longline[510] = '\0';
	cr_assert_geq(asprintf(&text, "LHLO x\r\n%s\r\n%sn\r\nQUIT\r\n",
	    longline, longline), 0);
	out = converse(&a, a.lmtp, text, true);
	HAS(out, "250 2.0.0 Ok\r\n500 5.5.2", &a);
	HAS(out, "221 2.0.0", &a);
	free(out);
	free(text);
	ad_stop(&a);
}

Test(accessd, lmtp_idle_timeout)
{
	struct ad a;
	char *out;

	ad_start(&a, env("ADTEST_URI"), "lmtp_idle_timeout = 1s\n", NULL);
	out = converse(&a, a.lmtp, "LHLO x\r\n", false);
	HAS(out, "421 4.4.2", &a);
	free(out);
	ad_stop(&a);
}

/* Started under a soft open-files limit of 512, accessd raises it to the
 * hard limit (at most 65536) for itself and the processes it forks, and
 * its lookup process serves as many clients as the listeners allow
 * sessions (3 listeners of 100 here, and 8 spare), above the default 256
 * of [lookup] max_clients. */
Test(accessd, open_files_and_lookup_clients_fit_the_listeners)
{
	struct ad a;
	struct rlimit rl;
	char *log, *want = NULL;
	size_t len;
	unsigned long long hard;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	hard = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536 ? 65536 :
	    (unsigned long long)rl.rlim_max;
	cr_assert_gt(hard, 512, "hard open-files limit %llu", hard);
	rl.rlim_cur = 512;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ad_start(&a, env("ADTEST_URI"), NULL, NULL);
	/* the lookup process logs its limit once it listens */
	log = read_file(a.log, &len);
	for (int i = 0; i < 250 && strstr(log, "max_clients=308\n") == NULL;
	    i++) {
		free(log);
		usleep(20 * 1000);
		log = read_file(a.log, &len);
	}
	cr_assert_geq(asprintf(&want, "open_files=%llu (raised from 512,",
	    hard), 0);
	HAS(log, want, &a);
	HAS(log, "accessd/lookup", &a);
	HAS(log, "max_clients=308: the daemon's listeners", &a);
	HAS(log, "max_clients=308\n", &a);
	cr_assert_null(strstr(log, "with an open-files limit of"), "%s", log);
	free(want);
	free(log);
	ad_stop(&a);
}

Test(accessd, pop3_commands_top_rset_and_limits)
{
	struct ad a;
	char *out, *top = NULL, *text = NULL, *got, longline[300];
	size_t len;

	ad_start(&a, env("ADTEST_URI"), "pop3_plaintext_loopback = yes\n"
	    "pop3_line_max = 256\npop3_auth_failures_max = 2\n", NULL);
	out = lmtp(&a, "alice.liddell@example.test", MSG, strlen(MSG), NULL);
	HAS(out, "DATA alice.liddell@example.test 250", &a);
	free(out);
	out = lmtp(&a, "alice@example.test", MSG, strlen(MSG), NULL);
	free(out);
	cr_assert_geq(asprintf(&top, "top:2:1:%s/top.eml", a.dir), 0);
	/* plaintext allowed from loopback by the setting */
	out = pop3(&a, a.pop3, (char *[]){ "capa", "user:alice", "pass:demo",
	    "list", top, "dele:1", "stat", "raw:RETR 1", "raw:RETR 3",
	    "raw:LIST 0", "rset", "stat", "noop", "quit", NULL });
	HAS(out, "USER", &a);
	HAS(out, "PASS +OK", &a);
	HAS(out, "TOP +OK", &a);
	HAS(out, "STAT 1 ", &a);
	HAS(out, "ERR -ERR Message deleted", &a);
	HAS(out, "ERR -ERR No such message", &a);
	HAS(out, "ERR -ERR Invalid message number", &a);
	HAS(out, "STAT 2 ", &a);
	HAS(out, "NOOP +OK", &a);
	HAS(out, "QUIT +OK Bye, 0 messages deleted", &a);
	free(out);
	*strrchr(top, ':') = '\0';
	free(top);
	cr_assert_geq(asprintf(&top, "%s/top.eml", a.dir), 0);
	got = read_file(top, &len);
	cr_assert_str_eq(got, "Return-Path: <" SENDER ">\r\n"
	    "Delivered-To: alice@example.test\r\n"
	    "From: sender@remote.example\r\nTo: info@example.test\r\n"
	    "Subject: hello\r\n\r\nfirst line\r\n");
	free(got);
	free(top);
	/* a line of 256 bytes with CRLF passes, 257 does not; the second
	 * failed login closes the session */
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "USER ", 5);
	longline[254] = '\0';
	cr_assert_geq(asprintf(&text, "%s\r\n%sa\r\nUSER alice\r\n"
	    "PASS bad\r\nUSER alice\r\nPASS bad\r\nNOOP\r\n", longline,
	    longline), 0);
	out = converse(&a, a.pop3, text, true);
	HAS(out, "POP3 ready\r\n+OK\r\n-ERR Line too long\r\n+OK\r\n"
	    "-ERR [AUTH] Invalid login\r\n+OK\r\n-ERR [AUTH] Invalid login\r\n"
	    "-ERR [AUTH] Too many failures", &a);
	HASNT(out, "Log in first", &a);
	free(out);
	free(text);
	ad_stop(&a);
}

Test(accessd, concurrent_deliveries_get_distinct_uids, .timeout = 120)
{
	struct ad a;
	struct itest_proc *procs[10];
	char *script = itest_srcpath("tests/integration/accessd_client.py");
	char port[8], *out, *p;
	size_t n = 0;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL);
	snprintf(port, sizeof(port), "%u", a.lmtp);
	for (int i = 0; i < 10; i++) {
		char *log = NULL, tag[8];

		snprintf(tag, sizeof(tag), "c%d", i);
		cr_assert_geq(asprintf(&log, "%s/many%d.log", a.dir, i), 0);
		procs[i] = itest_start((char *[]){ "python3", script,
		    "lmtpmany", port, "alice@example.test", "100", tag, NULL },
		    NULL, log);
		cr_assert_not_null(procs[i]);
		free(log);
	}
	for (int i = 0; i < 10; i++) {
		for (int w = 0; w < 9000 && itest_alive(procs[i]); w++)
			usleep(10 * 1000);
		ITEST_ASSERT(procs[i]->reaped && procs[i]->status == 0,
		    procs[i], "client %d failed", i);
		out = read_file(procs[i]->log_path, &n);
		HAS(out, "SENT 100", &a);
		free(out);
		itest_stop(&procs[i], 1000);
	}
	out = pop3(&a, a.pop3s, (char *[]){ "tls", "user:alice", "pass:demo",
	    "uidl", "quit", NULL });
	HAS(out, "QUIT +OK", &a);
	/* UIDL lines "n v.uid": 1000 entries, uids distinct */
	p = strstr(out, "UIDL ");
	cr_assert_not_null(p);
	p += 5;
	{
		static char seen[1 << 16];
		size_t count = 0;

		memset(seen, 0, sizeof(seen));
		while (*p != '\n' && *p != '\0') {
			unsigned long num, uv, uid;
			int used = 0;

			cr_assert_eq(sscanf(p, "%lu %lu.%lu%n", &num, &uv, &uid,
			    &used), 3, "bad UIDL at %.40s", p);
			cr_assert_lt(uid, sizeof(seen));
			cr_assert_eq(seen[uid], 0, "uid %lu twice", uid);
			seen[uid] = 1;
			count++;
			p += used;
			while (*p == ' ')
				p++;
		}
		cr_assert_eq(count, 1000);
	}
	free(out);
	free(script);
	ad_stop(&a);
}

/* The pid of the newest LMTP session in a's log, or 0. */
static pid_t
last_lmtp_session(struct ad *a)
{
	size_t len;
	char *log = read_file(a->log, &len), *p = log, *hit = NULL;
	long pid = 0;

	while ((p = strstr(p, "session start listener=lmtp")) != NULL)
		hit = p++;
	if (hit != NULL && (hit = strstr(hit, " pid=")) != NULL)
		pid = strtol(hit + 5, NULL, 10);
	free(log);
	return (pid_t)pid;
}

Test(accessd, kill_9_during_deliveries_loses_nothing_acknowledged)
{
	struct ad a;
	struct itest_proc *c;
	char *script = itest_srcpath("tests/integration/accessd_client.py");
	char port[8], *log = NULL, *out, *p;
	size_t n, acks = 0, stat = 0;
	pid_t pid;

	ad_start(&a, env("ADTEST_URI"), NULL, "fsync = yes\n");
	snprintf(port, sizeof(port), "%u", a.lmtp);
	cr_assert_geq(asprintf(&log, "%s/kill.log", a.dir), 0);
	c = itest_start((char *[]){ "python3", script, "lmtpmany", port,
	    "alice@example.test", "100000", "k", NULL }, NULL, log);
	cr_assert_not_null(c);
	/* a Python client started on a loaded machine may take seconds
	 * before its first delivery: up to 30 s for 30 */
	for (int w = 0; w < 3000; w++) {
		out = read_file(log, &n);
		acks = 0;
		for (p = out; (p = strstr(p, "ACK ")) != NULL; p++)
			acks++;
		free(out);
		if (acks >= 30)
			break;
		usleep(10 * 1000);
	}
	ITEST_ASSERT(acks >= 30, c, "deliveries did not start");
	pid = last_lmtp_session(&a);
	cr_assert_gt(pid, 0);
	cr_assert_eq(kill(pid, SIGKILL), 0);
	for (int w = 0; w < 1000 && itest_alive(c); w++)
		usleep(10 * 1000);
	out = read_file(log, &n);
	acks = 0;
	for (p = out; (p = strstr(p, "ACK ")) != NULL; p++)
		acks++;
	free(out);
	itest_stop(&c, 1000);
	/* every acknowledged message is there, at most the one in flight
	 * more, and the mailbox reads fine */
	out = pop3(&a, a.pop3s, (char *[]){ "tls", "user:alice", "pass:demo",
	    "stat", "top:1:0:/dev/null", "quit", NULL });
	p = strstr(out, "STAT ");
	cr_assert_not_null(p, "%s", out);
	stat = strtoul(p + 5, NULL, 10);
	cr_assert(stat >= acks && stat <= acks + 1, "%zu acknowledged, %zu "
	    "in the mailbox", acks, stat);
	HAS(out, "TOP +OK", &a);
	free(out);
	free(log);
	free(script);
	ad_stop(&a);
}

/* A packaged POP3 client: fetchmail over STLS with certificate checks
 * takes alice's mail to a file (its MDA) and deletes it on the server. */
Test(accessd, fetchmail_fetches_over_stls)
{
	struct ad a;
	char *rc_file = NULL, *mbox = NULL, *rc_text = NULL, *out;
	char *argv[] = { "fetchmail", "-f", NULL, "--nosyslog", "-N", "-v",
		NULL };
	char *ops[] = { "stls", "user:alice", "pass:demo", "stat", "quit",
		NULL };
	struct buf *log = buf_new(4096, ITEST_OUTPUT_MAX);
	FILE *f;
	char got[4096];
	size_t n;
	int rc;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL);
	out = lmtp(&a, "info@example.test", MSG, strlen(MSG), NULL);
	HAS(out, "DATA info@example.test 250 2.0.0", &a);
	free(out);
	cr_assert_geq(asprintf(&rc_file, "%s/fetchmailrc", a.dir), 0);
	cr_assert_geq(asprintf(&mbox, "%s/fetched.mbox", a.dir), 0);
	cr_assert_geq(asprintf(&rc_text, "poll 127.0.0.1 protocol POP3 "
	    "port %u user alice password demo sslproto tls1.2+ sslcertck "
	    "sslcommonname localhost "
	    "sslcertfile %s mda \"/bin/sh -c 'cat >> %s'\"\n", a.pop3, a.ca,
	    mbox), 0);
	write_file(rc_file, rc_text, strlen(rc_text));
	cr_assert_eq(chmod(rc_file, 0600), 0);
	argv[2] = rc_file;
	rc = itest_run(argv, (char *[]){ "FETCHMAILHOME", NULL }, log, 30000);
	ITEST_ASSERT(rc == 0, a.p, "fetchmail exit %d:\n%s", rc,
	    buf_cstr(log));
	f = fopen(mbox, "r");
	cr_assert_not_null(f, "fetchmail delivered nothing:\n%s", buf_cstr(log));
	n = fread(got, 1, sizeof(got) - 1, f);
	fclose(f);
	got[n] = '\0';
	HAS(got, "Subject: hello", &a);
	HAS(got, "Delivered-To: info@example.test", &a);
	HAS(got, ".leading dot", &a);
	/* fetched means deleted on the server */
	out = pop3(&a, a.pop3, ops);
	HAS(out, "STAT 0 0", &a);
	free(out);
	free(rc_file);
	free(mbox);
	free(rc_text);
	buf_free(&log);
	ad_stop(&a);
}

Test(accessd, swaks_delivers_by_lmtp)
{
	struct ad a;
	char server[32];
	char *argv[] = { "swaks", "--protocol", "LMTP", "--server", server,
		"--from", SENDER, "--to", "alice@example.test,nobody@example.test",
		"--header", "Subject: swaks", "--body", "by swaks", NULL };
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	int rc;

	ad_start(&a, env("ADTEST_URI"), NULL, NULL);
	snprintf(server, sizeof(server), "127.0.0.1:%u", a.lmtp);
	rc = itest_run(argv, NULL, out, 30000);
	/* swaks exits non-zero when a recipient is refused */
	ITEST_ASSERT(rc != 127 && rc != -1, a.p, "swaks: %d", rc);
	HAS(buf_cstr(out), " 250 2.1.5 <alice@example.test>", &a);
	HAS(buf_cstr(out), " 550 5.1.1 <nobody@example.test>", &a);
	HAS(buf_cstr(out), " 250 2.0.0 <alice@example.test> Delivered", &a);
	buf_free(&out);
	ad_stop(&a);
}
