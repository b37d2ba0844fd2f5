/*
 * tests/integration/qmgr_dsn_test.c - expansion at delivery, bounces
 * (RFC 3464 reports) and loop detection, end to end: a real slapd
 * (schema/samples/example.test.ldif plus tests/integration/qmgr_dsn.ldif),
 * the built accessd (LMTP, POP3) and mtad with its queue manager; Python
 * smtplib and a raw SMTP driver send (tests/integration/mtad_client.py),
 * poplib reads the mailboxes (tests/integration/accessd_client.py) and
 * Python's email module parses the reports
 * (tests/integration/dsn_parse.py). Messages that SMTP cannot carry (too
 * many Received: fields, which the session refuses) are committed into
 * mtad's queue with the queue API, as the session would. Nothing is
 * mocked.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "mtad/queue.h"
#include "tests/integration/itest.h"
#include "lib/banned.h"

#define BASE "dc=example,dc=test"

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
	char *a = itest_srcpath("schema/samples/example.test.ldif");
	char *b = itest_srcpath("tests/integration/qmgr_dsn.ldif");
	char *both = NULL;

	(void)set;
	shared_dir = itest_tmpdir("qmgr-dsn-test");
	if (shared_dir != NULL && a != NULL && b != NULL &&
	    asprintf(&both, "%s:%s", a, b) > 0)
		shared = itest_slapd_start(shared_dir, both);
	free(a);
	free(b);
	free(both);
	if (shared != NULL) {
		setenv("QDTEST_URI", shared->uri, 1);
		setenv("QDTEST_SLAPD_DIR", shared->dir, 1);
	}
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	cr_assert_not_null(v, "the shared slapd did not start (%s)", name);
	return v;
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	(void)st;
	itest_slapd_stop(&shared);
	itest_cleanup_dir(&shared_dir);
}

TestSuite(qmgr_dsn, .timeout = 90);

static const char *
user_name(void)
{
	return geteuid() == 0 ? "nobody" : getpwuid(geteuid())->pw_name;
}

static void
own_by_user(const char *path)
{
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		cr_assert_not_null(pw);
		cr_assert_eq(chown(path, pw->pw_uid, pw->pw_gid), 0);
	}
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
}

/* The whole file (caller frees), "" if missing. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p = calloc(1, 1 << 20);
	size_t n;

	cr_assert_not_null(p);
	if (f == NULL)
		return p;
	n = fread(p, 1, (1 << 20) - 1, f);
	p[n] = '\0';
	fclose(f);
	return p;
}

static const char *
builddir(void)
{
	const char *b = getenv("TESSERA_BUILDDIR");

	return b != NULL ? b : ".";
}

/* One daemon of a test: accessd or mtad. */
struct d {
	char *dir;
	char *conf;
	char *log;
	uint16_t port;		/* accessd: LMTP; mtad: SMTP */
	uint16_t pop3;
	struct itest_proc *p;
};

static void
d_new(struct d *d, const char *tag)
{
	memset(d, 0, sizeof(*d));
	d->dir = itest_tmpdir(tag);
	cr_assert_not_null(d->dir);
	own_by_user(d->dir);
	cr_assert_geq(asprintf(&d->conf, "%s/tessera.conf", d->dir), 0);
	cr_assert_geq(asprintf(&d->log, "%s/%s.log", d->dir, tag), 0);
}

static void
d_exec(struct d *d, const char *prog)
{
	char *bin = NULL;
	char *argv[] = { NULL, "-c", d->conf, "-f", NULL };

	cr_assert_geq(asprintf(&bin, "%s/%s", builddir(), prog), 0);
	argv[0] = bin;
	d->p = itest_start(argv, NULL, d->log);
	free(bin);
	cr_assert_not_null(d->p);
	ITEST_ASSERT(itest_wait_listen_proc(d->p, "127.0.0.1", d->port,
	    10000) == 0, d->p, "%s does not listen", prog);
}

/* accessd with LMTP and POP3 on ports[0] and ports[1]. */
static void
ad_start_on(struct d *a, const uint16_t ports[2])
{
	char *text = NULL, *mail = NULL, *sock = NULL;

	d_new(a, "accessd");
	a->port = ports[0];
	a->pop3 = ports[1];
	cr_assert_geq(asprintf(&mail, "%s/mail", a->dir), 0);
	cr_assert_eq(mkdir(mail, 0700), 0);
	own_by_user(mail);
	cr_assert_geq(asprintf(&text,
	    "[global]\nrun_dir = %s\nuser = %s\ndirectory_user = %s\n"
	    "log_level = debug\nshutdown_grace = 1s\n"
	    "[tls]\ncertificate = %s/tls/server.crt\n"
	    "key = %s/tls/server.key\n"
	    "[directory]\nuris = %s\nbase_dn = " BASE "\nstarttls = no\n"
	    "connect_timeout = 1s\nop_timeout = 3s\n"
	    "[lookup]\nquery_timeout = 5s\n"
	    "[accessd]\nhostname = mail.example.test\n"
	    "[accessd.store]\nmail_root = %s\nfsync = no\n"
	    "[accessd.listener.lmtp]\nport = %u\ntype = lmtp\n"
	    "[accessd.listener.pop3]\nport = %u\ntype = pop3\n",
	    a->dir, user_name(), user_name(), env("QDTEST_SLAPD_DIR"),
	    env("QDTEST_SLAPD_DIR"), env("QDTEST_URI"), mail, a->port,
	    a->pop3), 0);
	write_file(a->conf, text);
	free(text);
	free(mail);
	d_exec(a, "accessd/accessd");
	cr_assert_geq(asprintf(&sock, "%s/accessd-lookup.sock", a->dir), 0);
	for (int i = 0; i < 500 && access(sock, F_OK) != 0; i++)
		usleep(20 * 1000);
	ITEST_ASSERT(access(sock, F_OK) == 0, a->p, "no lookup socket");
	free(sock);
}

/* accessd with LMTP and POP3 on two free ports. */
static void
ad_start(struct d *a)
{
	uint16_t ports[2];

	cr_assert_eq(itest_free_ports(ports, 2), 0);
	ad_start_on(a, ports);
}

/* mtad delivering to LMTP port lmtp_port with directory uri; dir_extra
 * goes into [directory], extra after [mtad] (it may open sections). */
static void
mt_start_full(struct d *t, uint16_t lmtp_port, const char *uri,
    const char *dir_extra, const char *extra)
{
	char *text = NULL;

	d_new(t, "mtad");
	t->port = itest_free_port();
	cr_assert_neq(t->port, 0);
	cr_assert_geq(asprintf(&text,
	    "[global]\nrun_dir = %s\nstate_dir = %s\nuser = %s\n"
	    "directory_user = %s\nlog_level = debug\nshutdown_grace = 1s\n"
	    "[directory]\nuris = %s\nbase_dn = " BASE "\nstarttls = no\n"
	    "connect_timeout = 1s\nop_timeout = 2s\n%s"
	    "[lookup]\nquery_timeout = 5s\n"
	    "[mtad]\nhostname = mx.example.test\nlmtp_host = 127.0.0.1\n"
	    "lmtp_port = %u\n%sretry_min = 1s\n"
	    "retry_max = 2s\nqueue_scan_interval = 200ms\n%s"
	    "[mtad.listener.smtp]\nport = %u\n",
	    t->dir, t->dir, user_name(), user_name(), uri, dir_extra,
	    lmtp_port, strstr(extra, "lmtp_timeout") != NULL ? "" :
	    "lmtp_timeout = 10s\n", extra, t->port), 0);
	write_file(t->conf, text);
	free(text);
	d_exec(t, "mtad/mtad");
}

static void
mt_start(struct d *t, uint16_t lmtp_port, const char *extra)
{
	mt_start_full(t, lmtp_port, env("QDTEST_URI"), "", extra);
}

static void
d_stop(struct d *d)
{
	int st = d->p != NULL ? itest_stop(&d->p, 5000) : 0;
	char *log = slurp(d->log);

	cr_expect_eq(st, 0, "exit status %d", st);
	cr_expect_null(strstr(log, "Sanitizer"), "sanitizer report in %s",
	    d->log);
	cr_expect_null(strstr(log, "runtime error:"), "UBSan report in %s",
	    d->log);
	cr_expect_null(strstr(log, "child died"), "a child died: %s", log);
	free(log);
	itest_cleanup_dir(&d->dir);
	free(d->conf);
	free(d->log);
}

/* Run python3 script args...; its output (caller frees). */
static char *
py(struct d *d, const char *script, const char *const *args)
{
	char *path = itest_srcpath(script);
	char *argv[40];
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	size_t n = 0;
	int rc;
	char *res;

	argv[n++] = "python3";
	argv[n++] = path;
	for (size_t i = 0; args[i] != NULL && n < 39; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	rc = itest_run(argv, NULL, out, 30000);
	free(path);
	res = strdup(buf_cstr(out));
	buf_free(&out);
	ITEST_ASSERT(rc == 0, d->p, "%s failed (%d): %s", script, rc, res);
	return res;
}

#define HAS(out, s, d) ITEST_ASSERT(strstr((out), (s)) != NULL, (d)->p, \
	"expected \"%s\" in:\n%s", (s), (out))
#define HASNT(out, s, d) ITEST_ASSERT(strstr((out), (s)) == NULL, (d)->p, \
	"did not expect \"%s\" in:\n%s", (s), (out))

/* smtplib: from, to each of to[], a short body; asserts the 250. */
static void
send_mail(struct d *t, const char *from, const char *const *to)
{
	char port[8], *out;
	const char *args[24] = { "smtplib", port, "--from", from };
	size_t n = 4;

	snprintf(port, sizeof(port), "%u", t->port);
	for (size_t i = 0; to[i] != NULL && n < 20; i++) {
		args[n++] = "--to";
		args[n++] = to[i];
	}
	args[n++] = "--body";
	args[n++] = "hello";
	args[n] = NULL;
	out = py(t, "tests/integration/mtad_client.py", args);
	HAS(out, "DATA 250", t);
	free(out);
}

/* A raw SMTP transaction: MAIL line mail (after "MAIL FROM:"), RCPT lines
 * rcpts (after "RCPT TO:"), message text (with \\r\\n escapes, without
 * the final dot); asserts the 250 after the data. */
static void
send_raw(struct d *t, const char *mail, const char *const *rcpts,
    const char *text)
{
	char port[8], *out;
	const char *args[40] = { "raw", port, "read",
		"send:EHLO client.example.net\\r\\n", "read" };
	char *lines[16];
	size_t n = 5, nl = 0;

	snprintf(port, sizeof(port), "%u", t->port);
	cr_assert_geq(asprintf(&lines[nl], "send:MAIL FROM:%s\\r\\n", mail),
	    0);
	args[n++] = lines[nl++];
	args[n++] = "read";
	for (size_t i = 0; rcpts[i] != NULL && nl < 14; i++) {
		cr_assert_geq(asprintf(&lines[nl], "send:RCPT TO:%s\\r\\n",
		    rcpts[i]), 0);
		args[n++] = lines[nl++];
		args[n++] = "read";
	}
	args[n++] = "send:DATA\\r\\n";
	args[n++] = "read";
	cr_assert_geq(asprintf(&lines[nl], "send:%s\\r\\n.\\r\\n", text), 0);
	args[n++] = lines[nl++];
	args[n++] = "read";
	args[n++] = "send:QUIT\\r\\n";
	args[n++] = "read";
	args[n] = NULL;
	out = py(t, "tests/integration/mtad_client.py", args);
	HAS(out, "250 2.0.0 Ok: queued as", t);
	free(out);
	for (size_t i = 0; i < nl; i++)
		free(lines[i]);
}

/* Messages in user's mailbox (POP3 STAT). */
static int
mailbox_count(struct d *a, const char *user)
{
	char port[8], *ca = NULL, *u = NULL, *out, *p;
	int n = -1;

	snprintf(port, sizeof(port), "%u", a->pop3);
	cr_assert_geq(asprintf(&ca, "%s/tls/ca.crt", env("QDTEST_SLAPD_DIR")),
	    0);
	cr_assert_geq(asprintf(&u, "user:%s", user), 0);
	out = py(a, "tests/integration/accessd_client.py", (const char *[]){
	    "pop3", port, ca, "stls", u, "pass:demo", "stat", NULL });
	p = strstr(out, "STAT ");
	if (p != NULL)
		n = (int)strtol(p + 5, NULL, 10);
	free(out);
	free(ca);
	free(u);
	return n;
}

/* Wait up to ms for user's mailbox to hold n messages; the count. */
static int
wait_mailbox(struct d *a, const char *user, int n, int ms)
{
	int k = -1;

	for (int waited = 0; waited <= ms; waited += 250) {
		k = mailbox_count(a, user);
		if (k >= n)
			return k;
		usleep(250 * 1000);
	}
	return k;
}

/* Message i (1-based) of user's mailbox: the text (caller frees) and, in
 * *parsed (caller frees), what dsn_parse.py makes of it. */
static char *
fetch(struct d *a, const char *user, int i, char **parsed)
{
	char port[8], *ca = NULL, *u = NULL, *path = NULL, *retr = NULL;
	char *out, *text;

	snprintf(port, sizeof(port), "%u", a->pop3);
	cr_assert_geq(asprintf(&ca, "%s/tls/ca.crt", env("QDTEST_SLAPD_DIR")),
	    0);
	cr_assert_geq(asprintf(&u, "user:%s", user), 0);
	cr_assert_geq(asprintf(&path, "%s/msg-%s-%d.eml", a->dir, user, i),
	    0);
	cr_assert_geq(asprintf(&retr, "retr:%d:%s", i, path), 0);
	out = py(a, "tests/integration/accessd_client.py", (const char *[]){
	    "pop3", port, ca, "stls", u, "pass:demo", retr, NULL });
	HAS(out, "RETR +OK", a);
	free(out);
	text = slurp(path);
	if (parsed != NULL) {
		char *argv[] = { "python3", NULL, path, NULL };
		struct buf *b = buf_new(1024, ITEST_OUTPUT_MAX);

		argv[1] = itest_srcpath("tests/integration/dsn_parse.py");
		(void)itest_run(argv, NULL, b, 30000);
		*parsed = strdup(buf_cstr(b));
		free(argv[1]);
		buf_free(&b);
	}
	free(ca);
	free(u);
	free(path);
	free(retr);
	return text;
}

/* Wait up to ms for the log of d to hold s n times. */
static bool
wait_log(struct d *d, const char *s, int n, int ms)
{
	for (int waited = 0; waited <= ms; waited += 50) {
		char *log = slurp(d->log);
		int k = 0;

		for (const char *p = strstr(log, s); p != NULL;
		    p = strstr(p + 1, s))
			k++;
		free(log);
		if (k >= n)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

/* How often s occurs in d's log. */
static int
log_count(struct d *d, const char *s)
{
	char *log = slurp(d->log);
	int k = 0;

	for (const char *p = strstr(log, s); p != NULL; p = strstr(p + 1, s))
		k++;
	free(log);
	return k;
}

/* Commit body into t's queue as the session would (sender from, one
 * recipient to), in a child running as the daemons' user so that the
 * queue manager may read the file. */
static void
inject(struct d *t, const char *from, const char *to, const char *body)
{
	pid_t pid = fork();
	int st;

	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct pool *pool = pool_new("inject");
		struct queue_rcpt r = { .addr = (char *)to, .orcpt = "",
			.reply = "" };
		struct queue_env e = { .client_addr = "127.0.0.1",
			.client_name = "", .helo = "client.example.net",
			.auth = "", .tls_version = "", .tls_cipher = "",
			.sender = (char *)from, .envid = "", .rcpts = &r,
			.nrcpts = 1 };
		const char *err;
		struct queue *q;
		struct queue_writer *w;

		if (geteuid() == 0) {
			struct passwd *pw = getpwnam("nobody");

			if (pw == NULL || setgid(pw->pw_gid) == -1 ||
			    setuid(pw->pw_uid) == -1)
				_exit(2);
		}
		q = queue_open(t->dir, NULL, pool, &err);
		if (q == NULL)
			_exit(3);
		w = queue_writer_new(q, &e, pool, &err);
		if (w == NULL || queue_writer_write(w, body, strlen(body),
		    &err) == -1 || queue_writer_commit(&w, &e, &err) == -1) {
			fprintf(stderr, "inject: %s\n", err);
			_exit(4);
		}
		queue_close(&q);
		pool_free(&pool);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "inject failed %d",
	    st);
}

/* staff@ (a group), alice@ herself and helpdesk@ (an alias of staff@,
 * info@ -> alice@ and dave@, who forwards to bob@): alice and bob get
 * the message once each. */
Test(qmgr_dsn, group_alias_and_direct_reach_each_member_once)
{
	struct d a, t;
	char *log;

	ad_start(&a);
	mt_start(&t, a.port, "");
	send_mail(&t, "alice@example.test", (const char *const[]){
	    "staff@example.test", "alice@example.test",
	    "helpdesk@example.test", NULL });
	ITEST_ASSERT(wait_log(&t, "event=removed", 2, 15000), t.p,
	    "messages not delivered");
	log = slurp(t.log);
	HAS(log, "rcpt=staff@example.test relay=expand", &t);
	HAS(log, "dsn=2.1.5 status=delivered reply=\"250 2.1.5 Expanded"
	    " into", &t);
	HAS(log, "event=expanded", &t);
	HAS(log, "rcpt=bob@example.test relay=lmtp:", &t);
	free(log);
	cr_assert_eq(log_count(&t, "relay=lmtp:"), 2, "one LMTP delivery"
	    " each to alice and bob");
	cr_assert_eq(mailbox_count(&a, "alice"), 1);
	cr_assert_eq(mailbox_count(&a, "bob"), 1);
	d_stop(&t);
	d_stop(&a);
}

/* ring-a@ and ring-b@ contain each other (and staff@, alice, bob);
 * withcarol@ holds alice and the disabled carol: one copy each for alice
 * and bob, none for carol, no bounce. */
Test(qmgr_dsn, nested_cycle_and_disabled_member)
{
	struct d a, t;
	char *log;

	ad_start(&a);
	mt_start(&t, a.port, "");
	send_mail(&t, "sender@remote.example", (const char *const[]){
	    "ring-a@example.test", "withcarol@example.test", NULL });
	ITEST_ASSERT(wait_log(&t, "event=removed", 2, 15000), t.p,
	    "messages not delivered");
	log = slurp(t.log);
	HAS(log, "event=expand-skip entry=uid=carol,ou=people," BASE
	    " reason=disabled", &t);
	HASNT(log, "status=bounced", &t);
	HASNT(log, "rcpt=carol@example.test", &t);
	free(log);
	cr_assert_eq(mailbox_count(&a, "alice"), 1);
	cr_assert_eq(mailbox_count(&a, "bob"), 1);
	d_stop(&t);
	d_stop(&a);
}

/* dave forwards to bob; eve forwards to alice and keeps a copy. */
Test(qmgr_dsn, forwarding_with_and_without_copy)
{
	struct d a, t;
	char *text;

	ad_start(&a);
	mt_start(&t, a.port, "");
	send_mail(&t, "sender@remote.example", (const char *const[]){
	    "dave@example.test", "eve@example.test", NULL });
	ITEST_ASSERT(wait_log(&t, "event=removed", 2, 15000), t.p,
	    "messages not delivered");
	cr_assert_eq(mailbox_count(&a, "bob"), 1);
	cr_assert_eq(mailbox_count(&a, "alice"), 1);
	cr_assert_eq(mailbox_count(&a, "eve"), 1);
	cr_assert_eq(mailbox_count(&a, "dave"), 0);
	text = fetch(&a, "bob", 1, NULL);
	HAS(text, "Delivered-To: dave@example.test\r\n", &a);
	HAS(text, "Delivered-To: bob@example.test\r\n", &a);
	free(text);
	d_stop(&t);
	d_stop(&a);
}

/* loop1 forwards to loop2, which forwards back: 5.4.6 to the sender. */
Test(qmgr_dsn, forwarding_loop_bounces)
{
	struct d a, t;
	char *text, *parsed;

	ad_start(&a);
	mt_start(&t, a.port, "");
	send_mail(&t, "alice@example.test", (const char *const[]){
	    "loop1@example.test", NULL });
	ITEST_ASSERT(wait_mailbox(&a, "alice", 1, 15000) == 1, t.p,
	    "no report");
	text = fetch(&a, "alice", 1, &parsed);
	HAS(parsed, "TYPE multipart/report", &a);
	HAS(parsed, "RCPT Final-Recipient: rfc822; loop1@example.test", &a);
	HAS(parsed, "RCPT Status: 5.4.6", &a);
	HAS(parsed, "RCPT Action: failed", &a);
	free(text);
	free(parsed);
	d_stop(&t);
	d_stop(&a);
}

/* frank's mailbox is full (552 5.2.2): he alone is bounced, bob gets the
 * message, and the report lands in the sender's (alice's) mailbox as a
 * multipart/report that Python's email module reads. */
Test(qmgr_dsn, quota_full_recipient_bounced_alone_with_report)
{
	struct d a, t;
	char *text, *parsed, *log;

	ad_start(&a);
	mt_start(&t, a.port, "");
	send_mail(&t, "alice@example.test", (const char *const[]){
	    "frank@example.test", "bob@example.test", NULL });
	ITEST_ASSERT(wait_mailbox(&a, "alice", 1, 15000) == 1, t.p,
	    "no report");
	cr_assert_eq(mailbox_count(&a, "bob"), 1);
	log = slurp(t.log);
	HAS(log, "rcpt=frank@example.test relay=lmtp:", &t);
	HAS(log, "dsn=5.2.2 status=bounced", &t);
	HAS(log, "event=dsn dsn_id=", &t);
	HAS(log, "to=<alice@example.test> nrcpt=1 failed=1", &t);
	free(log);
	text = fetch(&a, "alice", 1, &parsed);
	HAS(parsed, "TYPE multipart/report", &a);
	HAS(parsed, "REPORT-TYPE delivery-status", &a);
	HAS(parsed, "TO <alice@example.test>", &a);
	HAS(parsed, "SUBJECT Undelivered Mail Returned to Sender", &a);
	HAS(parsed, "PARTS 3", &a);
	HAS(parsed, "PART 0 text/plain", &a);
	HAS(parsed, "PART 1 message/delivery-status", &a);
	HAS(parsed, "PART 2 message/rfc822", &a);
	HAS(parsed, "MSG Reporting-MTA: dns; mx.example.test", &a);
	HAS(parsed, "MSG Arrival-Date: ", &a);
	HAS(parsed, "RCPT Final-Recipient: rfc822; frank@example.test", &a);
	HAS(parsed, "RCPT Action: failed", &a);
	HAS(parsed, "RCPT Status: 5.2.2", &a);
	HAS(parsed, "RCPT Remote-MTA: dns; 127.0.0.1", &a);
	HAS(parsed, "RCPT Diagnostic-Code: smtp; 552 5.2.2", &a);
	HAS(parsed, "RETURNED-SUBJECT test", &a);
	HASNT(parsed, "bob@example.test", &a);
	/* the report's own Return-Path: the null sender */
	HAS(text, "Return-Path: <>\r\n", &a);
	free(text);
	free(parsed);
	d_stop(&t);
	d_stop(&a);
}

/* NOTIFY=NEVER for frank: no report on his bounce; NOTIFY=SUCCESS with
 * ORCPT for bob, ENVID and RET=HDRS: a success report with those. */
Test(qmgr_dsn, notify_never_and_success_orcpt_envid_ret)
{
	struct d a, t;
	char *text, *parsed;

	ad_start(&a);
	mt_start(&t, a.port, "");
	send_raw(&t, "<alice@example.test> RET=HDRS ENVID=ENV42",
	    (const char *const[]){ "<frank@example.test> NOTIFY=NEVER",
	    "<bob@example.test> NOTIFY=SUCCESS"
	    " ORCPT=rfc822;bob-orig@example.test", NULL },
	    "From: <alice@example.test>\\r\\nSubject: dsn params\\r\\n"
	    "\\r\\nbody line");
	ITEST_ASSERT(wait_mailbox(&a, "alice", 1, 15000) == 1, t.p,
	    "no success report");
	ITEST_ASSERT(wait_log(&t, "event=removed", 2, 10000), t.p,
	    "report not delivered");
	cr_assert_eq(mailbox_count(&a, "bob"), 1);
	text = fetch(&a, "alice", 1, &parsed);
	HAS(parsed, "TYPE multipart/report", &a);
	HAS(parsed, "SUBJECT Successful Mail Delivery Report", &a);
	HAS(parsed, "MSG Original-Envelope-Id: ENV42", &a);
	HAS(parsed, "RCPT Final-Recipient: rfc822; bob@example.test", &a);
	HAS(parsed, "RCPT Original-Recipient: rfc822;bob-orig@example.test",
	    &a);
	HAS(parsed, "RCPT Action: delivered", &a);
	HAS(parsed, "RCPT Status: 2.", &a);
	HAS(parsed, "PART 2 text/rfc822-headers", &a);
	HAS(parsed, "RETURNED-SUBJECT dsn params", &a);
	HASNT(parsed, "frank", &a);
	HASNT(text, "body line", &a);
	free(text);
	free(parsed);
	/* and only that one report (a second would be queued when the
	 * message was settled, before it was removed; 2 s to deliver it) */
	usleep(2000 * 1000);
	cr_assert_eq(mailbox_count(&a, "alice"), 1);
	cr_assert_eq(log_count(&t, "event=dsn "), 1);
	d_stop(&t);
	d_stop(&a);
}

/* A message from <> that bounces: nothing to <>, one copy of the report
 * to the postmaster (bob here), none about that copy. */
Test(qmgr_dsn, null_sender_gets_none_postmaster_does)
{
	struct d a, t;
	char *text, *parsed, *log;

	ad_start(&a);
	mt_start(&t, a.port, "[mtad.delivery]\npostmaster = bob@example.test\n");
	send_raw(&t, "<>", (const char *const[]){ "<frank@example.test>",
	    NULL }, "From: <MAILER-DAEMON@elsewhere.example>\\r\\n"
	    "Subject: a bounce\\r\\n\\r\\nbody");
	ITEST_ASSERT(wait_mailbox(&a, "bob", 1, 15000) == 1, t.p,
	    "no postmaster copy");
	ITEST_ASSERT(wait_log(&t, "event=removed", 2, 10000), t.p,
	    "report not delivered");
	log = slurp(t.log);
	HAS(log, "to=<bob@example.test> nrcpt=1 failed=1", &t);
	HASNT(log, "to=<>", &t);
	free(log);
	cr_assert_eq(log_count(&t, "event=dsn "), 1);
	text = fetch(&a, "bob", 1, &parsed);
	HAS(parsed, "TYPE multipart/report", &a);
	HAS(parsed, "RCPT Final-Recipient: rfc822; frank@example.test", &a);
	HAS(parsed, "RETURNED-SUBJECT a bounce", &a);
	free(text);
	free(parsed);
	d_stop(&t);
	d_stop(&a);
}

/* A message with more than max_received Received: fields (committed
 * into the queue: the session refuses such mail): 5.4.6 to the sender,
 * nothing to bob. The limit: max_received fields pass. */
Test(qmgr_dsn, too_many_received_bounces_5_4_6)
{
	struct d a, t;
	struct buf *b = buf_new(4096, 1 << 20), *ok = buf_new(4096, 1 << 20);
	char *text, *parsed;

	for (int i = 0; i < 6; i++)
		buf_printf(b, "Received: from h%d.example by h%d.example;"
		    " Mon, 1 Jan 2024 00:00:00 +0000\r\n", i, i + 1);
	buf_append(ok, b->data, b->len - (b->len / 6));	/* 5 fields */
	buf_printf(b, "Subject: looping\r\n\r\nbody\r\n");
	buf_printf(ok, "Subject: not looping\r\n\r\nbody\r\n");
	ad_start(&a);
	mt_start(&t, a.port, "max_received = 5\n");
	inject(&t, "alice@example.test", "bob@example.test", buf_cstr(b));
	ITEST_ASSERT(wait_mailbox(&a, "alice", 1, 15000) == 1, t.p,
	    "no report");
	text = fetch(&a, "alice", 1, &parsed);
	HAS(parsed, "RCPT Final-Recipient: rfc822; bob@example.test", &a);
	HAS(parsed, "RCPT Status: 5.4.6", &a);
	HAS(parsed, "Too many Received", &a);
	free(text);
	free(parsed);
	cr_assert_eq(mailbox_count(&a, "bob"), 0);
	inject(&t, "alice@example.test", "bob@example.test", buf_cstr(ok));
	ITEST_ASSERT(wait_mailbox(&a, "bob", 1, 15000) == 1, t.p,
	    "5 Received: fields (the limit) not delivered");
	buf_free(&b);
	buf_free(&ok);
	d_stop(&t);
	d_stop(&a);
}

/* Delivered-To: naming the recipient: 5.4.6. */
Test(qmgr_dsn, delivered_to_the_recipient_bounces)
{
	struct d a, t;
	char *text, *parsed;

	ad_start(&a);
	mt_start(&t, a.port, "");
	send_raw(&t, "<alice@example.test>", (const char *const[]){
	    "<bob@example.test>", NULL }, "Delivered-To: Bob@Example.test"
	    "\\r\\nSubject: came back\\r\\n\\r\\nbody");
	ITEST_ASSERT(wait_mailbox(&a, "alice", 1, 15000) == 1, t.p,
	    "no report");
	text = fetch(&a, "alice", 1, &parsed);
	HAS(parsed, "RCPT Status: 5.4.6", &a);
	HAS(parsed, "Delivered-To: names this recipient", &a);
	free(text);
	free(parsed);
	cr_assert_eq(mailbox_count(&a, "bob"), 0);
	d_stop(&t);
	d_stop(&a);
}

/* The directory down while a group is expanded: deferred, never
 * bounced. */
Test(qmgr_dsn, directory_down_during_expansion_defers)
{
	struct d t;
	char *uri = NULL, *log;
	uint16_t dead = itest_free_port();

	cr_assert_geq(asprintf(&uri, "ldap://127.0.0.1:%u", dead), 0);
	mt_start_full(&t, itest_free_port(), uri, "", "");
	inject(&t, "alice@example.test", "staff@example.test",
	    "Subject: x\r\n\r\nbody\r\n");
	ITEST_ASSERT(wait_log(&t, "status=deferred", 2, 15000), t.p,
	    "not deferred");
	log = slurp(t.log);
	HAS(log, "event=expand-deferred reason=directory", &t);
	HAS(log, "rcpt=staff@example.test relay=- delay=", &t);
	HAS(log, "dsn=4.4.3 status=deferred", &t);
	HASNT(log, "status=bounced", &t);
	HASNT(log, "event=dsn ", &t);
	free(log);
	free(uri);
	d_stop(&t);
}

/* [directory] group_max_depth 2: dave@ -> bob@ (two levels) is
 * delivered, helpdesk@ -> dave@ -> bob@ (three) bounced 5.4.6;
 * group_max_members 1: eve@ (eve and alice) bounced 5.5.3. */
Test(qmgr_dsn, expansion_limits_crossed_bounce)
{
	struct d a, t;
	char *log;

	ad_start(&a);
	mt_start_full(&t, a.port, env("QDTEST_URI"),
	    "group_max_depth = 2\ngroup_max_members = 1\n", "");
	send_mail(&t, "sender@remote.example", (const char *const[]){
	    "dave@example.test", "helpdesk@example.test",
	    "eve@example.test", NULL });
	ITEST_ASSERT(wait_mailbox(&a, "bob", 1, 15000) == 1, t.p,
	    "dave's forwarding not followed");
	ITEST_ASSERT(wait_log(&t, "event=removed", 2, 10000), t.p,
	    "not finished");
	log = slurp(t.log);
	HAS(log, "rcpt=helpdesk@example.test dsn=5.4.6 reason=\"Alias,"
	    " group or forwarding expansion deeper than 2 levels\"", &t);
	HAS(log, "rcpt=eve@example.test dsn=5.5.3 reason=\"Expansion"
	    " exceeds 1 recipients\"", &t);
	free(log);
	cr_assert_eq(mailbox_count(&a, "eve"), 0);
	cr_assert_eq(mailbox_count(&a, "alice"), 0);
	d_stop(&t);
	d_stop(&a);
}

/* delay_warning 1s, accessd down for a while: one delay notice (Action:
 * delayed) for a recipient asking for DELAY, however many retries (a
 * recipient without DELAY gets none: tests/unit/mtad/delivery_test.c);
 * then the message and the notice are delivered. */
Test(qmgr_dsn, delay_warning_sent_once)
{
	struct d a, t;
	uint16_t ports[2];
	char *text, *parsed;

	cr_assert_eq(itest_free_ports(ports, 2), 0);
	mt_start(&t, ports[0], "[mtad.delivery]\ndelay_warning = 1s\n");
	send_raw(&t, "<alice@example.test>", (const char *const[]){
	    "<bob@example.test> NOTIFY=DELAY,FAILURE", NULL },
	    "Subject: slow\\r\\n\\r\\nbody");
	ITEST_ASSERT(wait_log(&t, "event=dsn ", 1, 15000), t.p,
	    "no delay notice");
	/* three more tries of the message: no second notice */
	ITEST_ASSERT(wait_log(&t, "rcpt=bob@example.test relay=lmtp", 4,
	    20000), t.p, "not retried");
	cr_assert_eq(log_count(&t, "event=dsn "), 1);
	cr_assert_eq(log_count(&t, "nrcpt=1 failed=0"), 1);
	ad_start_on(&a, ports);
	ITEST_ASSERT(wait_mailbox(&a, "alice", 1, 15000) == 1, t.p,
	    "notice not delivered");
	ITEST_ASSERT(wait_mailbox(&a, "bob", 1, 15000) == 1, t.p,
	    "message not delivered");
	text = fetch(&a, "alice", 1, &parsed);
	HAS(parsed, "SUBJECT Delayed Mail (still being retried)", &a);
	HAS(parsed, "RCPT Final-Recipient: rfc822; bob@example.test", &a);
	HAS(parsed, "RCPT Action: delayed", &a);
	HAS(parsed, "RCPT Status: 4.4.1", &a);
	HAS(parsed, "RCPT Will-Retry-Until: ", &a);
	free(text);
	free(parsed);
	d_stop(&t);
	d_stop(&a);
}

/* The same with a first attempt that outlasts delay_warning (a host that
 * accepts the connection and never greets, lmtp_timeout 2s): the attempt
 * that began before the warning time does not warn, the next one does,
 * and no later one. The queue manager used to judge the first attempt by
 * the clock after it and the next by the clock before it, and warned
 * twice. */
Test(qmgr_dsn, delay_warning_once_after_a_slow_attempt)
{
	struct d t;
	struct sockaddr_in sin;
	uint16_t port = itest_free_port();
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_neq(port, 0);
	cr_assert_geq(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(fd, 16), 0);
	mt_start(&t, port, "lmtp_timeout = 2s\n"
	    "[mtad.delivery]\ndelay_warning = 1s\n");
	send_raw(&t, "<alice@example.test>", (const char *const[]){
	    "<bob@example.test> NOTIFY=DELAY,FAILURE", NULL },
	    "Subject: slow\\r\\n\\r\\nbody");
	ITEST_ASSERT(wait_log(&t, "rcpt=bob@example.test relay=lmtp", 3,
	    30000), t.p, "not tried three times");
	ITEST_ASSERT(log_count(&t, "event=dsn ") == 1, t.p,
	    "%d delay notices", log_count(&t, "event=dsn "));
	d_stop(&t);
	close(fd);
}
