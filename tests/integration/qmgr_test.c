/*
 * tests/integration/qmgr_test.c - mail flowing end to end for local
 * recipients: a real slapd (schema/samples/example.test.ldif), the built
 * accessd (LMTP, POP3) and the built mtad with its queue manager; Python
 * smtplib sends (tests/integration/mtad_client.py), Python poplib reads
 * the mailbox (tests/integration/accessd_client.py). Nothing is mocked.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "mtad/queue.h"
#include "mtad/queue_id.h"
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
	shared_dir = itest_tmpdir("qmgr-test");
	if (shared_dir != NULL && ldif != NULL)
		shared = itest_slapd_start(shared_dir, ldif);
	free(ldif);
	/* the tests run in other processes: hand them the slapd by env */
	if (shared != NULL) {
		setenv("QMTEST_URI", shared->uri, 1);
		setenv("QMTEST_SLAPD_DIR", shared->dir, 1);
		setenv("QMTEST_BINDDN", shared->binddn, 1);
		setenv("QMTEST_BINDPW", shared->bindpw, 1);
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

TestSuite(qmgr, .timeout = 60);

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

/* accessd with LMTP on lmtp_port and POP3 on pop3 (both free ports),
 * extra lines in [accessd]. */
static void
ad_start_x(struct d *a, uint16_t lmtp_port, uint16_t pop3, const char *extra)
{
	char *text = NULL, *mail = NULL, *sock = NULL;

	d_new(a, "accessd");
	a->port = lmtp_port;
	a->pop3 = pop3;
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
	    "[accessd]\nhostname = mail.example.test\n%s"
	    "[accessd.store]\nmail_root = %s\nfsync = no\n"
	    "[accessd.listener.lmtp]\nport = %u\ntype = lmtp\n"
	    "[accessd.listener.pop3]\nport = %u\ntype = pop3\n",
	    a->dir, user_name(), user_name(), env("QMTEST_SLAPD_DIR"),
	    env("QMTEST_SLAPD_DIR"), env("QMTEST_URI"), extra, mail, lmtp_port,
	    pop3), 0);
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

static void
ad_start(struct d *a, uint16_t lmtp_port, uint16_t pop3)
{
	ad_start_x(a, lmtp_port, pop3, "");
}

/* mtad delivering to LMTP port lmtp_port, retrying after 1s, scanning
 * deferred/ every 200ms (unless extra sets queue_scan_interval); extra
 * [mtad] lines (which may end in further sections). */
static void
mt_start_x(struct d *t, uint16_t lmtp_port, const char *extra)
{
	char *text = NULL;

	d_new(t, "mtad");
	t->port = itest_free_port();
	cr_assert_neq(t->port, 0);
	cr_assert_geq(asprintf(&text,
	    "[global]\nrun_dir = %s\nstate_dir = %s\nuser = %s\n"
	    "directory_user = %s\nlog_level = debug\nshutdown_grace = 1s\n"
	    "[directory]\nuris = %s\nbase_dn = " BASE "\nstarttls = no\n"
	    "connect_timeout = 1s\nop_timeout = 2s\n"
	    "[lookup]\nquery_timeout = 5s\n"
	    "[mtad]\nhostname = mx.example.test\nlmtp_host = 127.0.0.1\n"
	    "lmtp_port = %u\nlmtp_timeout = 10s\nretry_min = 1s\n"
	    "retry_max = 2s\n%s%s"
	    /* remote mail (reports to SENDER) to a relayhost where nothing
	     * listens: it waits in the queue, no DNS leaves loopback */
	    "[mtad.smtp]\nrelayhost = 127.0.0.1\nrelayhost_port = 9\n"
	    "[mtad.listener.smtp]\nport = %u\n",
	    t->dir, t->dir, user_name(), user_name(), env("QMTEST_URI"),
	    lmtp_port, strstr(extra, "queue_scan_interval") != NULL ? "" :
	    "queue_scan_interval = 200ms\n", extra, t->port), 0);
	write_file(t->conf, text);
	free(text);
	d_exec(t, "mtad/mtad");
}

static void
mt_start(struct d *t, uint16_t lmtp_port)
{
	mt_start_x(t, lmtp_port, "");
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
	char *argv[32];
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	size_t n = 0;
	int rc;
	char *res;

	argv[n++] = "python3";
	argv[n++] = path;
	for (size_t i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	rc = itest_run(argv, NULL, out, 30000);
	free(path);
	res = strdup(buf_cstr(out));
	buf_free(&out);
	ITEST_ASSERT(rc == 0, d->p, "%s failed (%d): %s", script, rc, res);
	return res;
}

static char *
send_mail(struct d *t, const char *body, const char *const *to)
{
	char port[8];
	const char *args[24] = { "smtplib", port, "--from", SENDER };
	size_t n = 4;

	snprintf(port, sizeof(port), "%u", t->port);
	for (size_t i = 0; to[i] != NULL && n < 20; i++) {
		args[n++] = "--to";
		args[n++] = to[i];
	}
	args[n++] = "--body";
	args[n++] = body;
	args[n] = NULL;
	return py(t, "tests/integration/mtad_client.py", args);
}

static char *
pop3(struct d *a, const char *const *ops)
{
	char port[8], *ca = NULL;
	const char *args[24] = { "pop3", port };
	size_t n = 3;
	char *out;

	snprintf(port, sizeof(port), "%u", a->pop3);
	cr_assert_geq(asprintf(&ca, "%s/tls/ca.crt", env("QMTEST_SLAPD_DIR")), 0);
	args[2] = ca;
	for (size_t i = 0; ops[i] != NULL && n < 23; i++)
		args[n++] = ops[i];
	args[n] = NULL;
	out = py(a, "tests/integration/accessd_client.py", args);
	free(ca);
	return out;
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

/* Wait up to ms for every LMTP session accessd a opened to have ended
 * (the probe that waited for its listener counts as one). */
static bool
wait_lmtp_closed(struct d *a, int ms)
{
	for (int waited = 0; waited <= ms; waited += 50) {
		char *log = slurp(a->log);
		int opened = 0, closed = 0;

		for (const char *p = strstr(log, ": connect client=");
		    p != NULL; p = strstr(p + 1, ": connect client="))
			opened++;
		for (const char *p = strstr(log, ": disconnect"); p != NULL;
		    p = strstr(p + 1, ": disconnect"))
			closed++;
		free(log);
		if (opened > 0 && closed >= opened)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

/* Messages in directory dir of t's queue; the first one's envelope into
 * *env (if not NULL). */
static size_t
in_queue(struct d *t, enum queue_dir dir, struct queue_env *env,
    struct pool *pool)
{
	const char *err;
	struct queue *q = queue_open(t->dir, NULL, pool, &err);
	struct queue_msg *m;
	char **ids;
	size_t n;

	cr_assert_not_null(q, "%s", err);
	cr_assert_eq(queue_scan_ids(q, dir, pool, &ids, &n, &err), 0, "%s",
	    err);
	if (env != NULL && n > 0) {
		cr_assert_eq(queue_msg_open(q, dir, ids[0], pool, &m, &err),
		    QUEUE_MSG_OK, "%s", err);
		*env = m->env;
		queue_msg_close(&m);
	}
	queue_close(&q);
	return n;
}

/* in_queue(t, QUEUE_DEFERRED, ...) once it holds one message, waited for
 * up to 5 s: a retry has the message in active/ for a moment. */
static size_t
deferred_one(struct d *t, struct queue_env *env, struct pool *pool)
{
	size_t n = 0;

	for (int waited = 0; waited <= 5000; waited += 50) {
		n = in_queue(t, QUEUE_DEFERRED, env, pool);
		if (n == 1)
			break;
		usleep(50 * 1000);
	}
	return n;
}

#define HAS(out, s, d) ITEST_ASSERT(strstr((out), (s)) != NULL, (d)->p, \
	"expected \"%s\" in:\n%s", (s), (out))

Test(qmgr, local_delivery_reaches_the_mailbox)
{
	struct d a, t;
	uint16_t ports[2];
	char *out, *path = NULL, *retr = NULL, *got;
	struct pool *pool = pool_new("test");

	cr_assert_eq(itest_free_ports(ports, 2), 0);
	ad_start(&a, ports[0], ports[1]);
	mt_start(&t, ports[0]);
	out = send_mail(&t, "first line\\n.leading dot\\nlast line",
	    (const char *const[]){ "alice@example.test",
	    "info@example.test", NULL });
	HAS(out, "DATA 250", &t);
	free(out);
	/* info@ is an alias of alice@: expanded at delivery into one new
	 * message with alice@ once (mtad/qmgr_expand.h) */
	ITEST_ASSERT(wait_log(&t, "event=removed", 2, 10000), t.p,
	    "message not delivered");
	got = slurp(t.log);
	HAS(got, "rcpt=info@example.test relay=expand", &t);
	HAS(got, "rcpt=alice@example.test relay=lmtp:127.0.0.1:", &t);
	HAS(got, "dsn=2.0.0 status=delivered", &t);
	cr_assert_null(strstr(got, "rcpt=info@example.test relay=lmtp"));
	free(got);
	cr_assert_eq(in_queue(&t, QUEUE_INCOMING, NULL, pool) +
	    in_queue(&t, QUEUE_ACTIVE, NULL, pool) +
	    in_queue(&t, QUEUE_DEFERRED, NULL, pool), 0);

	cr_assert_geq(asprintf(&path, "%s/retr.eml", a.dir), 0);
	cr_assert_geq(asprintf(&retr, "retr:1:%s", path), 0);
	out = pop3(&a, (const char *const[]){ "stls", "user:alice",
	    "pass:demo", "stat", retr, NULL });
	HAS(out, "PASS +OK", &a);
	HAS(out, "STAT 1 ", &a);
	HAS(out, "RETR +OK", &a);
	free(out);
	got = slurp(path);
	HAS(got, "Return-Path: <" SENDER ">\r\n", &a);
	HAS(got, "Received: from client.example.net", &a);
	HAS(got, "by mx.example.test", &a);
	HAS(got, "Subject: test\r\n\r\nfirst line\r\n.leading dot\r\n"
	    "last line\r\n", &a);
	HAS(got, "Delivered-To: alice@example.test\r\n", &a);
	free(got);
	free(path);
	free(retr);
	pool_free(&pool);
	d_stop(&t);
	d_stop(&a);
}

/* mtad delivering to lmtp_port where nothing listens yet, with one
 * message for alice (text body) accepted and deferred. */
static void
mt_start_deferred(struct d *t, uint16_t lmtp_port, const char *body)
{
	char *out;

	mt_start(t, lmtp_port);
	out = send_mail(t, body, (const char *const[]){
	    "alice@example.test", NULL });
	HAS(out, "DATA 250", t);
	free(out);
	ITEST_ASSERT(wait_log(t, "event=deferred", 1, 10000), t->p,
	    "message not deferred");
}

Test(qmgr, accessd_down_defers_then_delivers_on_retry)
{
	struct d a, t;
	uint16_t ports[2];
	struct queue_env env;
	char *out, *log;
	struct pool *pool = pool_new("test");

	cr_assert_eq(itest_free_ports(ports, 2), 0);
	mt_start_deferred(&t, ports[0], "while down");
	log = slurp(t.log);
	HAS(log, "status=deferred reply=\"451 4.4.1 connect to 127.0.0.1:",
	    &t);
	free(log);
	cr_assert_eq(deferred_one(&t, &env, pool), 1);
	cr_assert_eq(env.nrcpts, 1);
	cr_assert_eq(env.rcpts[0].state, QUEUE_RCPT_DEFERRED);
	cr_assert_geq(env.rcpts[0].attempts, 1);
	cr_assert_neq(env.rcpts[0].next_try, 0);
	cr_assert_not_null(strstr(env.rcpts[0].reply, "451 4.4.1 connect"),
	    "%s", env.rcpts[0].reply);

	ad_start(&a, ports[0], ports[1]);
	ITEST_ASSERT(wait_log(&t, "event=removed", 1, 15000), t.p,
	    "not delivered after accessd came back");
	log = slurp(t.log);
	HAS(log, "status=delivered", &t);
	free(log);
	cr_assert_eq(in_queue(&t, QUEUE_DEFERRED, NULL, pool), 0);
	out = pop3(&a, (const char *const[]){ "stls", "user:alice",
	    "pass:demo", "stat", NULL });
	HAS(out, "STAT 1 ", &a);
	free(out);
	pool_free(&pool);
	d_stop(&t);
	d_stop(&a);
}

static int
ldap_modify(const char *ldif, const char *dir)
{
	char *file = NULL;
	char *argv[] = { "ldapmodify", "-x", "-H", (char *)env("QMTEST_URI"),
		"-D", (char *)env("QMTEST_BINDDN"), "-w",
		(char *)env("QMTEST_BINDPW"), "-f", NULL, NULL };
	struct buf *out = buf_new(256, 65536);
	int rc;

	cr_assert_geq(asprintf(&file, "%s/mod.ldif", dir), 0);
	write_file(file, ldif);
	argv[9] = file;
	rc = itest_run(argv, NULL, out, 20000);
	if (rc != 0)
		fprintf(stderr, "ldapmodify: %s\n", buf_cstr(out));
	buf_free(&out);
	free(file);
	return rc;
}

/* bob over quota: 552 5.2.2 from accessd bounces bob only; alice gets
 * the message; nothing stays in the queue. */
Test(qmgr, over_quota_recipient_bounces_alone)
{
	struct d a, t;
	uint16_t ports[2];
	char body[6000], *out, *log;

	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	for (size_t i = 70; i + 2 < sizeof(body) - 1; i += 72)
		memcpy(body + i, "\\n", 2);
	cr_assert_eq(itest_free_ports(ports, 2), 0);
	ad_start(&a, ports[0], ports[1]);
	cr_assert_eq(ldap_modify("dn: uid=bob,ou=people," BASE "\n"
	    "changetype: modify\nreplace: tesseraMailQuotaBytes\n"
	    "tesseraMailQuotaBytes: 2000\n", a.dir), 0);
	mt_start(&t, ports[0]);
	out = send_mail(&t, body, (const char *const[]){ "alice@example.test",
	    "bob@example.test", NULL });
	HAS(out, "DATA 250", &t);
	free(out);
	ITEST_ASSERT(wait_log(&t, "event=removed", 1, 10000), t.p,
	    "message not finished");
	log = slurp(t.log);
	HAS(log, "rcpt=bob@example.test relay=lmtp:127.0.0.1:", &t);
	HAS(log, "dsn=5.2.2 status=bounced reply=\"552 5.2.2", &t);
	HAS(log, "rcpt=alice@example.test relay=lmtp:127.0.0.1:", &t);
	HAS(log, "status=delivered", &t);
	free(log);
	out = pop3(&a, (const char *const[]){ "stls", "user:alice",
	    "pass:demo", "stat", NULL });
	HAS(out, "STAT 1 ", &a);
	free(out);
	d_stop(&t);
	d_stop(&a);
}

/* bob's entry names another mail host (mailHost 127.0.0.3): his copy
 * goes by LMTP to that host (nothing listens there: deferred, 4.4.1)
 * while alice's, in the same message, goes to the configured accessd. */
Test(qmgr, recipient_mail_host_routes_lmtp_to_that_host)
{
	struct d a, t;
	uint16_t ports[2];
	char *out, *log, *want;
	int found;

	cr_assert_eq(itest_free_ports(ports, 2), 0);
	ad_start(&a, ports[0], ports[1]);
	cr_assert_eq(ldap_modify("dn: uid=bob,ou=people," BASE "\n"
	    "changetype: modify\nreplace: mailHost\n"
	    "mailHost: 127.0.0.3\n", a.dir), 0);
	mt_start(&t, ports[0]);
	out = send_mail(&t, "to two hosts", (const char *const[]){
	    "alice@example.test", "bob@example.test", NULL });
	HAS(out, "DATA 250", &t);
	free(out);
	cr_assert_geq(asprintf(&want, "rcpt=bob@example.test"
	    " relay=lmtp:127.0.0.3:%u", (unsigned)ports[0]), 0);
	found = wait_log(&t, want, 1, 15000) &&
	    wait_log(&t, "rcpt=alice@example.test relay=lmtp:127.0.0.1:", 1,
	    15000);
	/* bob back on this host before anything can fail */
	cr_assert_eq(ldap_modify("dn: uid=bob,ou=people," BASE "\n"
	    "changetype: modify\ndelete: mailHost\n", a.dir), 0);
	ITEST_ASSERT(found, t.p, "no delivery attempt to each host");
	log = slurp(t.log);
	HAS(log, "dsn=4.4.1 status=deferred", &t);
	HAS(log, "dsn=2.0.0 status=delivered", &t);
	cr_assert_null(strstr(log, "rcpt=bob@example.test relay=lmtp:127.0.0.1"),
	    "%s", log);
	free(log);
	free(want);
	out = pop3(&a, (const char *const[]){ "stls", "user:alice",
	    "pass:demo", "stat", NULL });
	HAS(out, "STAT 1 ", &a);
	free(out);
	d_stop(&t);
	d_stop(&a);
}

/* max_queue_lifetime crossed: a recipient still deferred is bounced
 * (4.4.7) on the next try and the message leaves the queue; its report
 * to the sender waits in the queue (nothing listens for LMTP). */
Test(qmgr, queue_lifetime_expiry_bounces)
{
	struct d t;
	char *out, *log;
	struct pool *pool = pool_new("test");
	uint16_t port = itest_free_port();	/* nothing listens there */

	mt_start_x(&t, port, "max_queue_lifetime = 2s\n");
	out = send_mail(&t, "never delivered", (const char *const[]){
	    "alice@example.test", NULL });
	HAS(out, "DATA 250", &t);
	free(out);
	ITEST_ASSERT(wait_log(&t, "status=deferred", 1, 10000), t.p,
	    "first attempt not deferred");
	ITEST_ASSERT(wait_log(&t, "event=removed", 1, 15000), t.p,
	    "not given up after max_queue_lifetime");
	log = slurp(t.log);
	HAS(log, "dsn=4.4.7 status=bounced", &t);
	HAS(log, "gave up after", &t);
	HAS(log, "event=dsn dsn_id=", &t);
	free(log);
	ITEST_ASSERT(wait_log(&t, "event=deferred", 2, 10000), t.p,
	    "report not tried");
	{
		struct queue_env env;

		/* between two tries it sits in deferred/ */
		cr_assert_eq(deferred_one(&t, &env, pool), 1);
		cr_assert_eq(in_queue(&t, QUEUE_INCOMING, NULL, pool), 0);
		cr_assert_str_eq(env.sender, "");
		cr_assert_str_eq(env.rcpts[0].addr, SENDER);
	}
	pool_free(&pool);
	d_stop(&t);
}

/* Run `tessera -c CONF queue VERB ID` for t; its exit status. */
static int
queue_ctl(struct d *t, const char *verb, const char *id)
{
	struct buf *out = buf_new(256, 65536);
	char *bin = NULL;
	char *argv[] = { NULL, "-c", t->conf, "queue", (char *)verb,
		(char *)id, NULL };
	int st;

	cr_assert_geq(asprintf(&bin, "%s/tessera", builddir()), 0);
	argv[0] = bin;
	st = itest_run(argv, NULL, out, 10000);
	cr_log_info("tessera queue %s %s: %d %s", verb, id, st, buf_cstr(out));
	free(bin);
	buf_free(&out);
	return st;
}

/* A held message stays put while the queue manager runs and its next hop
 * is back; released, it is delivered at once, exactly once. */
Test(qmgr, held_message_waits_then_release_delivers)
{
	struct d a, t;
	uint16_t ports[2];
	struct queue_env env;
	char *out, *log;
	char id[QUEUE_ID_MAX];
	struct pool *pool = pool_new("test");

	cr_assert_eq(itest_free_ports(ports, 2), 0);
	mt_start_deferred(&t, ports[0], "held");
	cr_assert_eq(deferred_one(&t, &env, pool), 1);
	cr_assert_eq(str_copy(id, sizeof(id), env.id), 0);
	/* the runner may have it in active/ for a retry: busy, try again */
	for (int i = 0; i < 50; i++) {
		int st = queue_ctl(&t, "hold", id);

		if (st == 0)
			break;
		cr_assert_eq(st, 75, "hold: exit %d", st);
		usleep(100 * 1000);
	}
	cr_assert_eq(in_queue(&t, QUEUE_HOLD, NULL, pool), 1);

	ad_start(&a, ports[0], ports[1]);
	/* retry_max is 2s: several retries would have happened by now */
	usleep(4000 * 1000);
	cr_assert_eq(in_queue(&t, QUEUE_HOLD, NULL, pool), 1, "still held");
	log = slurp(t.log);
	ITEST_ASSERT(strstr(log, "status=delivered") == NULL, t.p,
	    "a held message was delivered");
	free(log);

	cr_assert_eq(queue_ctl(&t, "release", id), 0);
	ITEST_ASSERT(wait_log(&t, "status=delivered", 1, 10000), t.p,
	    "not delivered after release");
	ITEST_ASSERT(wait_log(&t, "event=removed", 1, 10000), t.p,
	    "not removed after delivery");
	cr_assert_eq(in_queue(&t, QUEUE_HOLD, NULL, pool), 0);
	out = pop3(&a, (const char *const[]){ "stls", "user:alice",
	    "pass:demo", "stat", NULL });
	HAS(out, "STAT 1 ", &a);
	free(out);
	pool_free(&pool);
	d_stop(&t);
	d_stop(&a);
}

/* What accessd's log says of its LMTP sessions that delivered (the
 * probe of itest_wait_listen_proc is one that did not). */
struct lmtp_stats {
	int sessions;		/* sessions with a delivery */
	int max_open;		/* the most of them open at once */
	int delivered;		/* deliveries, all sessions */
	int max_per_session;	/* the most deliveries of one session */
};

/* The pid of an accessd/lmtp log line, or -1. */
static long
lmtp_pid(const char *line)
{
	const char *p = strstr(line, " accessd/lmtp[");

	return p == NULL ? -1 : strtol(p + strlen(" accessd/lmtp["), NULL, 10);
}

static void
lmtp_stats(struct d *a, struct lmtp_stats *st)
{
	char *log = slurp(a->log);
	struct { long pid; int n; } sess[256];
	size_t nsess = 0;
	int open = 0;

	memset(st, 0, sizeof(*st));
	/* first the deliveries per session, then the overlap of those */
	for (int pass = 0; pass < 2; pass++) {
		for (const char *line = log; *line != '\0';) {
			const char *end = strchr(line, '\n');
			size_t len = end != NULL ? (size_t)(end - line) :
			    strlen(line);
			char *l = strndup(line, len);
			long pid = lmtp_pid(l);
			size_t k;

			line += len + (end != NULL);
			for (k = 0; k < nsess && sess[k].pid != pid; k++)
				;
			if (pid != -1 && pass == 0 &&
			    strstr(l, ": delivered to=") != NULL) {
				if (k == nsess) {
					cr_assert_lt(nsess, 256);
					sess[nsess].pid = pid;
					sess[nsess++].n = 0;
				}
				st->delivered++;
				if (++sess[k].n > st->max_per_session)
					st->max_per_session = sess[k].n;
			} else if (pid != -1 && pass == 1 && k < nsess &&
			    strstr(l, ": connect client=") != NULL) {
				st->sessions++;
				if (++open > st->max_open)
					st->max_open = open;
			} else if (pid != -1 && pass == 1 && k < nsess &&
			    strstr(l, ": disconnect") != NULL) {
				open--;
			}
			free(l);
		}
	}
	free(log);
}

/* Messages queued while accessd is down, all due together when it comes
 * back: the delivery threads take them at once over at most
 * lmtp_max_connections LMTP connections, several open together, each
 * carrying several messages (at most lmtp_max_messages_per_connection),
 * and each message stored once. */
Test(qmgr, parallel_deliveries_share_and_reuse_lmtp_connections,
    .timeout = 120)
{
	struct d a, t;
	uint16_t ports[2];
	struct lmtp_stats st;
	char *out, *log, port[8];
	char *script = itest_srcpath("tests/integration/mtad_client.py");
	char *argv[] = { "python3", script, "load", port, "--clients", "4",
		"--seconds", "30", "--max", "24", "--out", NULL, NULL };
	struct pool *pool = pool_new("test");
	int n = 0;

	cr_assert_eq(itest_free_ports(ports, 2), 0);
	/* alice's mailbox made first (a POP3 login makes it), then accessd
	 * stopped: concurrent first deliveries into a mailbox not yet made
	 * race in accessd's store (two got uid 1, one message unlisted) */
	ad_start(&a, ports[0], ports[1]);
	out = pop3(&a, (const char *const[]){ "stls", "user:alice",
	    "pass:demo", "stat", NULL });
	HAS(out, "STAT 0 ", &a);
	free(out);
	cr_assert_eq(itest_stop(&a.p, 5000), 0);
	/* deferred/ scanned every 3s: the retries come in one batch */
	mt_start_x(&t, ports[0], "queue_scan_interval = 3s\n"
	    "[mtad.delivery]\nmax_parallel_messages = 6\n"
	    "lmtp_max_connections = 3\nlmtp_max_messages_per_connection = 5\n");
	snprintf(port, sizeof(port), "%u", t.port);
	cr_assert_geq(asprintf(&argv[11], "%s/acked.txt", t.dir), 0);
	{
		struct buf *o = buf_new(1024, ITEST_OUTPUT_MAX);
		int rc = itest_run(argv, NULL, o, 60000);

		ITEST_ASSERT(rc == 0, t.p, "load client: %s", buf_cstr(o));
		buf_free(&o);
	}
	{
		char *acked = slurp(argv[11]);

		for (const char *p = acked; (p = strchr(p, '\n')) != NULL;
		    p++)
			n++;
		free(acked);
	}
	cr_assert_geq(n, 24);
	/* each tried once and deferred (nothing listens yet) */
	ITEST_ASSERT(wait_log(&t, "event=deferred", n, 20000), t.p,
	    "not all %d deferred", n);
	d_exec(&a, "accessd/accessd");
	ITEST_ASSERT(wait_log(&t, "event=removed", n, 30000), t.p,
	    "not all %d delivered", n);
	lmtp_stats(&a, &st);
	cr_log_info("LMTP sessions %d, at once %d, deliveries %d, most in"
	    " one session %d", st.sessions, st.max_open, st.delivered,
	    st.max_per_session);
	cr_assert_eq(st.delivered, n);
	cr_assert_gt(st.max_open, 1, "never more than one LMTP connection");
	cr_assert_leq(st.max_open, 3, "lmtp_max_connections = 3 crossed");
	cr_assert_gt(st.max_per_session, 1, "no connection was reused");
	cr_assert_leq(st.max_per_session, 5,
	    "lmtp_max_messages_per_connection = 5 crossed");
	/* n/5 connections at the least; far fewer than one per message */
	cr_assert_geq(st.sessions, (n + 4) / 5);
	cr_assert_lt(st.sessions, n);
	log = slurp(t.log);
	HAS(log, "event=lmtp-close peer=127.0.0.1:", &t);
	HAS(log, "reason=max-messages", &t);
	free(log);
	out = pop3(&a, (const char *const[]){ "stls", "user:alice",
	    "pass:demo", "stat", NULL });
	{
		char *stat = NULL;

		cr_assert_geq(asprintf(&stat, "STAT %d ", n), 0);
		HAS(out, stat, &a);
		free(stat);
	}
	free(out);
	cr_assert_eq(in_queue(&t, QUEUE_INCOMING, NULL, pool) +
	    in_queue(&t, QUEUE_ACTIVE, NULL, pool) +
	    in_queue(&t, QUEUE_DEFERRED, NULL, pool), 0);
	free(argv[11]);
	free(script);
	pool_free(&pool);
	d_stop(&t);
	d_stop(&a);
}

/* An idle LMTP connection is closed after lmtp_idle_timeout; the next
 * message opens a new one. A cached connection accessd closed meanwhile
 * (its own idle timeout) is replaced without deferring anything. */
Test(qmgr, idle_lmtp_connections_time_out)
{
	struct d a, t;
	uint16_t ports[2];
	struct lmtp_stats st;
	char *out;

	cr_assert_eq(itest_free_ports(ports, 2), 0);
	ad_start(&a, ports[0], ports[1]);
	mt_start_x(&t, ports[0], "[mtad.delivery]\nlmtp_idle_timeout = 1s\n");
	out = send_mail(&t, "one", (const char *const[]){
	    "alice@example.test", NULL });
	free(out);
	ITEST_ASSERT(wait_log(&t, "event=removed", 1, 10000), t.p,
	    "first not delivered");
	ITEST_ASSERT(wait_log(&t, "reason=idle", 1, 5000), t.p,
	    "the idle connection was not closed");
	out = send_mail(&t, "two", (const char *const[]){
	    "alice@example.test", NULL });
	free(out);
	ITEST_ASSERT(wait_log(&t, "event=removed", 2, 10000), t.p,
	    "second not delivered");
	lmtp_stats(&a, &st);
	cr_assert_eq(st.sessions, 2, "%d LMTP sessions", st.sessions);
	cr_assert_eq(st.delivered, 2, "%d deliveries", st.delivered);
	d_stop(&t);
	d_stop(&a);

	/* accessd gives up first (its lmtp_idle_timeout 1s, ours 10s) */
	ad_start_x(&a, ports[0], ports[1], "lmtp_idle_timeout = 1s\n");
	mt_start(&t, ports[0]);
	for (int i = 0; i < 2; i++) {
		out = send_mail(&t, "again", (const char *const[]){
		    "alice@example.test", NULL });
		free(out);
		ITEST_ASSERT(wait_log(&t, "event=removed", i + 1, 10000), t.p,
		    "message %d not delivered", i + 1);
		if (i == 0)
			ITEST_ASSERT(wait_lmtp_closed(&a, 5000), a.p,
			    "accessd kept the idle session");
	}
	lmtp_stats(&a, &st);
	cr_assert_eq(st.sessions, 2, "%d LMTP sessions", st.sessions);
	cr_assert_eq(st.delivered, 2, "%d deliveries", st.delivered);
	out = slurp(t.log);
	cr_assert_null(strstr(out, "status=deferred"), "a stale cached"
	    " connection deferred a message");
	free(out);
	d_stop(&t);
	d_stop(&a);
}

/* A copy of file dir/name, to put back later. */
static char *
save_file(const char *dir, const char *name)
{
	char *path = NULL, *text;

	cr_assert_geq(asprintf(&path, "%s/%s", dir, name), 0);
	text = slurp(path);
	free(path);
	return text;
}

/* mtad killed after accessd stored a message but before mtad recorded it
 * (rebuilt here: the message and its state file put back in active/, as
 * a kill -9 in that window leaves them): after the restart the queue
 * manager marks the delivery as in doubt (XQID) and accessd finds its
 * copy: the mailbox holds the message once, and the queue is empty. */
Test(qmgr, restart_in_doubt_does_not_deliver_twice)
{
	struct d a, t;
	uint16_t ports[2];
	struct queue_env env;
	char *msg, *state, *out, *path = NULL, *qdir = NULL;
	char id[QUEUE_ID_MAX];
	struct pool *pool = pool_new("test");

	cr_assert_eq(itest_free_ports(ports, 2), 0);
	mt_start_deferred(&t, ports[0], "in doubt");
	cr_assert_eq(deferred_one(&t, &env, pool), 1);
	cr_assert_eq(str_copy(id, sizeof(id), env.id), 0);
	cr_assert_geq(asprintf(&qdir, "%s/queue/deferred", t.dir), 0);
	msg = save_file(qdir, id);
	state = save_file(qdir, pool_printf(pool, "%s.state", id));
	cr_assert_gt(strlen(msg), 0);

	ad_start(&a, ports[0], ports[1]);
	ITEST_ASSERT(wait_log(&t, "event=removed", 1, 15000), t.p,
	    "not delivered after accessd came back");
	cr_assert_eq(itest_stop(&t.p, 5000), 0);
	/* the crash window: stored by accessd, still in active/ */
	cr_assert_geq(asprintf(&path, "%s/queue/active/%s", t.dir, id), 0);
	write_file(path, msg);
	own_by_user(path);
	write_file(pool_printf(pool, "%s.state", path), state);
	own_by_user(pool_printf(pool, "%s.state", path));
	d_exec(&t, "mtad/mtad");
	ITEST_ASSERT(wait_log(&a, "duplicate to=<alice@example.test>", 1,
	    15000), a.p, "accessd did not recognise the stored copy");
	ITEST_ASSERT(wait_log(&t, "event=removed", 2, 15000), t.p,
	    "the in-doubt message was not finished");
	cr_assert_eq(in_queue(&t, QUEUE_ACTIVE, NULL, pool), 0);
	cr_assert_eq(in_queue(&t, QUEUE_DEFERRED, NULL, pool), 0);
	out = pop3(&a, (const char *const[]){ "stls", "user:alice",
	    "pass:demo", "stat", NULL });
	HAS(out, "STAT 1 ", &a);
	free(out);
	free(msg);
	free(state);
	free(path);
	free(qdir);
	pool_free(&pool);
	d_stop(&t);
	d_stop(&a);
}

/* The queue ids the load client had acknowledged, and how many stored
 * copies name each (filled by count_copy over the mail store). */
static struct {
	char (*id)[64];
	unsigned *copies;
	size_t n;
	size_t stray;		/* stored copies of no acknowledged id */
} acked;

static int
count_copy(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	char head[8192];
	ssize_t got;
	bool found = false;
	int fd;

	(void)st;
	(void)ftw;
	if (type != FTW_F || strstr(path, "/cur/") == NULL)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_neq(fd, -1, "%s", path);
	got = read(fd, head, sizeof(head) - 1);
	close(fd);
	cr_assert_gt(got, 0, "%s", path);
	head[got] = '\0';
	if (strstr(head, "\r\nDelivered-To: alice@example.test\r\n") == NULL)
		return 0;
	for (size_t i = 0; i < acked.n; i++) {
		char *p = strstr(head, acked.id[i]);

		if (p != NULL && p - head > 3 && memcmp(p - 3, "id ", 3) == 0) {
			acked.copies[i]++;
			found = true;
		}
	}
	acked.stray += !found;
	return 0;
}

/* mtad killed with SIGKILL, process group and all, several times while
 * 5 clients send (at most 400 messages, under alice's quota) and the
 * queue manager delivers: after the restart
 * every acknowledged message reaches the mailbox exactly once. */
Test(qmgr, kill_9_during_delivery_loses_and_doubles_nothing, .timeout = 150)
{
	struct d a, t;
	uint16_t ports[2];
	char *script = itest_srcpath("tests/integration/mtad_client.py");
	char *rec = NULL, *loadlog = NULL, *mail = NULL, line[256], port[8];
	struct itest_proc *load;
	struct pool *pool = pool_new("test");
	size_t left = 1;
	FILE *f;

	cr_assert_eq(itest_free_ports(ports, 2), 0);
	ad_start(&a, ports[0], ports[1]);
	mt_start(&t, ports[0]);
	cr_assert_geq(asprintf(&rec, "%s/acked.txt", t.dir), 0);
	cr_assert_geq(asprintf(&loadlog, "%s/load.log", t.dir), 0);
	snprintf(port, sizeof(port), "%u", t.port);
	{
		char *argv[] = { "python3", script, "load", port, "--clients",
			"5", "--seconds", "5", "--max", "400", "--out", rec,
			NULL };

		load = itest_start(argv, NULL, loadlog);
	}
	cr_assert_not_null(load);
	srand((unsigned)getpid());
	for (int round = 0; round < 3; round++) {
		/* once deliveries run: the kill lands among them */
		ITEST_ASSERT(wait_log(&t, "status=delivered", round + 1, 20000),
		    t.p, "no delivery before kill %d", round + 1);
		usleep((useconds_t)(300 + rand() % 700) * 1000);
		cr_assert_eq(kill(-t.p->pid, SIGKILL), 0);
		cr_assert_eq(itest_stop(&t.p, 2000), 128 + SIGKILL);
		d_exec(&t, "mtad/mtad");
	}
	while (itest_alive(load))
		usleep(100 * 1000);
	ITEST_ASSERT(itest_stop(&load, 1000) == 0, t.p, "load client failed");
	/* the queue drains */
	for (int i = 0; i < 900 && left > 0; i++) {
		left = in_queue(&t, QUEUE_INCOMING, NULL, pool) +
		    in_queue(&t, QUEUE_ACTIVE, NULL, pool) +
		    in_queue(&t, QUEUE_DEFERRED, NULL, pool);
		if (left > 0)
			usleep(100 * 1000);
	}
	ITEST_ASSERT(left == 0, t.p, "%zu messages still queued", left);

	f = fopen(rec, "r");
	cr_assert_not_null(f);
	acked.id = calloc(4096, sizeof(*acked.id));
	acked.copies = calloc(4096, sizeof(*acked.copies));
	while (fgets(line, sizeof(line), f) != NULL && acked.n < 4096)
		cr_assert_eq(sscanf(line, "%63s", acked.id[acked.n++]), 1);
	fclose(f);
	cr_assert_gt(acked.n, 20, "only %zu messages acknowledged", acked.n);
	cr_assert_geq(asprintf(&mail, "%s/mail", a.dir), 0);
	cr_assert_eq(nftw(mail, count_copy, 16, FTW_PHYS), 0);
	for (size_t i = 0; i < acked.n; i++)
		ITEST_ASSERT(acked.copies[i] == 1, t.p, "acknowledged message "
		    "%s stored %u times", acked.id[i], acked.copies[i]);
	cr_log_info("%zu acknowledged, each stored once; %zu unacknowledged "
	    "(cut by a kill) delivered too", acked.n, acked.stray);
	free(acked.id);
	free(acked.copies);
	free(script);
	free(rec);
	free(loadlog);
	free(mail);
	pool_free(&pool);
	d_stop(&t);
	d_stop(&a);
}
