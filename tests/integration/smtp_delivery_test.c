/*
 * tests/integration/smtp_delivery_test.c - delivery to remote domains: a
 * real slapd (schema/samples/example.test.ldif) for the accepted domains,
 * the DNS fixture (tests/fixtures/dns.sh, unbound) serving MX and A
 * records, a real SMTP server as the remote host (tests/fixtures/
 * smtp_peer.py, Python aiosmtpd) and the built mtad; mail is submitted
 * with Python smtplib (tests/integration/mtad_client.py) as alice with
 * AUTH, so mtad relays it. Nothing is mocked.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "mtad/queue.h"
#include "tests/integration/itest.h"
#include "tests/integration/itest_dns.h"
#include "lib/banned.h"

#define BASE "dc=example,dc=test"
#define SENDER "alice@example.test"
#define PY "/usr/bin/python3"

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
	shared_dir = itest_tmpdir("smtpc-test");
	if (shared_dir != NULL && ldif != NULL)
		shared = itest_slapd_start(shared_dir, ldif);
	free(ldif);
	if (shared != NULL)
		setenv("SMTPC_URI", shared->uri, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	(void)st;
	itest_slapd_stop(&shared);
	itest_cleanup_dir(&shared_dir);
}

TestSuite(smtp_delivery, .timeout = 90);

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	cr_assert_not_null(v, "the shared slapd did not start (%s)", name);
	return v;
}

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

/* One test's world: the DNS server, the peer and mtad. */
struct w {
	char *dir;
	struct itest_dns *dns;
	uint16_t peer_port;
	char *peer_dir;
	char *peer_log;
	struct itest_proc *peer;
	uint16_t smtp_port;		/* mtad's */
	char *conf;
	char *log;
	struct itest_proc *mtad;
};

static void
w_new(struct w *w, const char *records)
{
	memset(w, 0, sizeof(*w));
	w->dir = itest_tmpdir("smtpc");
	cr_assert_not_null(w->dir);
	own_by_user(w->dir);
	cr_assert_geq(asprintf(&w->peer_dir, "%s/peer", w->dir), 0);
	cr_assert_eq(mkdir(w->peer_dir, 0755), 0);
	cr_assert_geq(asprintf(&w->peer_log, "%s/peer.log", w->dir), 0);
	cr_assert_geq(asprintf(&w->conf, "%s/tessera.conf", w->dir), 0);
	cr_assert_geq(asprintf(&w->log, "%s/mtad.log", w->dir), 0);
	w->peer_port = itest_free_port();
	cr_assert_neq(w->peer_port, 0);
	if (records != NULL) {
		char *d = NULL;

		cr_assert_geq(asprintf(&d, "%s/dns", w->dir), 0);
		cr_assert_eq(mkdir(d, 0700), 0);
		w->dns = itest_dns_start(d, records);
		free(d);
		cr_assert_not_null(w->dns, "DNS fixture did not start");
	}
}

/* The peer with extra arguments (NULL-terminated). */
static void
peer_start(struct w *w, const char *const *extra)
{
	char *script = itest_srcpath("tests/fixtures/smtp_peer.py");
	char port[8];
	char *argv[24] = { PY, script, "--port", port, "--dir", w->peer_dir };
	size_t n = 6;

	snprintf(port, sizeof(port), "%u", w->peer_port);
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 23; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	w->peer = itest_start(argv, NULL, w->peer_log);
	free(script);
	cr_assert_not_null(w->peer);
	ITEST_ASSERT(itest_wait_listen_proc(w->peer, "127.0.0.1",
	    w->peer_port, 15000) == 0, w->peer, "the peer does not listen");
}

/* mtad relaying for alice, [mtad.smtp] port = the peer's, plus smtp_extra
 * lines in [mtad.smtp]. */
static void
mtad_start(struct w *w, const char *smtp_extra)
{
	char *text = NULL, *bin = NULL;
	char *argv[] = { NULL, "-c", w->conf, "-f", NULL };

	w->smtp_port = itest_free_port();
	cr_assert_neq(w->smtp_port, 0);
	cr_assert_geq(asprintf(&text,
	    "[global]\nrun_dir = %s\nstate_dir = %s\nuser = %s\n"
	    "directory_user = %s\nlog_level = debug\nshutdown_grace = 1s\n"
	    "[dns]\nservers = %s\ntimeout = 3s\n"
	    "[directory]\nuris = %s\nbase_dn = " BASE "\nstarttls = no\n"
	    "connect_timeout = 1s\nop_timeout = 2s\n"
	    "[lookup]\nquery_timeout = 5s\n"
	    "[mtad]\nhostname = mx.example.test\nlmtp_host = 127.0.0.1\n"
	    "lmtp_port = %u\nlmtp_timeout = 5s\nretry_min = 1s\n"
	    "retry_max = 2s\nqueue_scan_interval = 200ms\n"
	    "auth_plaintext_loopback = yes\n"
	    "[mtad.smtp]\nport = %u\nconnect_timeout = 2s\n%s%s%s"
	    "[mtad.listener.smtp]\nport = %u\n",
	    w->dir, w->dir, user_name(), user_name(),
	    w->dns != NULL ? w->dns->server : "127.0.0.1@1",
	    env("SMTPC_URI"), itest_free_port(), w->peer_port,
	    strstr(smtp_extra, "command_timeout") != NULL ? "" :
	    "command_timeout = 5s\n",
	    strstr(smtp_extra, "data_timeout") != NULL ? "" :
	    "data_timeout = 5s\n", smtp_extra, w->smtp_port), 0);
	write_file(w->conf, text);
	free(text);
	cr_assert_geq(asprintf(&bin, "%s/mtad/mtad", builddir()), 0);
	argv[0] = bin;
	w->mtad = itest_start(argv, NULL, w->log);
	free(bin);
	cr_assert_not_null(w->mtad);
	ITEST_ASSERT(itest_wait_listen_proc(w->mtad, "127.0.0.1",
	    w->smtp_port, 10000) == 0, w->mtad, "mtad does not listen");
}

static void
w_free(struct w *w)
{
	int st = w->mtad != NULL ? itest_stop(&w->mtad, 5000) : 0;
	char *log = slurp(w->log);

	cr_expect_eq(st, 0, "mtad exit status %d", st);
	cr_expect_null(strstr(log, "Sanitizer"), "sanitizer report in %s",
	    w->log);
	cr_expect_null(strstr(log, "runtime error:"), "UBSan report");
	cr_expect_null(strstr(log, "child died"), "a child died: %s", log);
	free(log);
	if (w->peer != NULL)
		itest_stop(&w->peer, 3000);
	itest_dns_stop(&w->dns);
	itest_cleanup_dir(&w->dir);
	free(w->peer_dir);
	free(w->peer_log);
	free(w->conf);
	free(w->log);
}

/* Submit a message from alice to the to addresses (NULL-terminated);
 * the client's output (caller frees). */
static char *
submit(struct w *w, const char *body, const char *const *to)
{
	char *script = itest_srcpath("tests/integration/mtad_client.py");
	char port[8];
	char *argv[32] = { PY, script, "smtplib", port, "--login",
		"alice:demo", "--from", SENDER };
	size_t n = 8;
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	char *res;
	int rc;

	snprintf(port, sizeof(port), "%u", w->smtp_port);
	for (size_t i = 0; to[i] != NULL && n < 28; i++) {
		argv[n++] = "--to";
		argv[n++] = (char *)to[i];
	}
	argv[n++] = "--body";
	argv[n++] = (char *)body;
	argv[n] = NULL;
	rc = itest_run(argv, NULL, out, 30000);
	free(script);
	res = strdup(buf_cstr(out));
	buf_free(&out);
	ITEST_ASSERT(rc == 0, w->mtad, "mtad_client.py failed (%d): %s", rc,
	    res);
	ITEST_ASSERT(strstr(res, "DATA 250") != NULL, w->mtad,
	    "not accepted: %s", res);
	return res;
}

static int
count(const char *hay, const char *s)
{
	int k = 0;

	for (const char *p = strstr(hay, s); p != NULL; p = strstr(p + 1, s))
		k++;
	return k;
}

/* Wait up to ms for the mtad log to hold s n times. */
static bool
wait_log(struct w *w, const char *s, int n, int ms)
{
	for (int waited = 0; waited <= ms; waited += 50) {
		char *log = slurp(w->log);
		int k = count(log, s);

		free(log);
		if (k >= n)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

/* Messages the peer stored. */
static int
peer_count(struct w *w)
{
	int n = 0;

	for (;; n++) {
		char *p = NULL;
		bool there;

		cr_assert_geq(asprintf(&p, "%s/msg-%d.eml", w->peer_dir, n + 1),
		    0);
		there = access(p, F_OK) == 0;
		free(p);
		if (!there)
			return n;
	}
}

/* File msg-N.EXT of the peer (caller frees). */
static char *
peer_file(struct w *w, int n, const char *ext)
{
	char *p = NULL, *s;

	cr_assert_geq(asprintf(&p, "%s/msg-%d.%s", w->peer_dir, n, ext), 0);
	s = slurp(p);
	free(p);
	return s;
}

static char *
mtad_log(struct w *w)
{
	return slurp(w->log);
}

/* Wait up to 5 s for a message in deferred/ with nrcpts recipients and
 * put its envelope into *env: a retry has the message in active/ for a
 * moment, and a bounce report delivered in parallel may be deferred
 * before it. */
static bool
deferred_with(struct w *w, size_t nrcpts, struct queue_env *env,
    struct pool *pool)
{
	for (int waited = 0; waited <= 5000; waited += 50) {
		const char *err;
		struct queue *q = queue_open(w->dir, NULL, pool, &err);
		struct queue_msg *m;
		char **ids;
		size_t n;
		bool found = false;

		cr_assert_not_null(q, "%s", err);
		cr_assert_eq(queue_scan_ids(q, QUEUE_DEFERRED, pool, &ids, &n,
		    &err), 0, "%s", err);
		for (size_t i = 0; i < n && !found; i++) {
			/* gone to active/ for a retry since the scan */
			if (queue_msg_open(q, QUEUE_DEFERRED, ids[i], pool, &m,
			    &err) != QUEUE_MSG_OK)
				continue;
			if (m->env.nrcpts == nrcpts) {
				*env = m->env;
				found = true;
			}
			queue_msg_close(&m);
		}
		queue_close(&q);
		if (found)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

#define HAS(out, s, p) ITEST_ASSERT(strstr((out), (s)) != NULL, (p), \
	"expected \"%s\" in:\n%s", (s), (out))

/* MX records of remote.test: the preferred host is down (127.0.0.2, where
 * nothing listens), the second is the peer; plain.test has no MX, only an
 * address (the implicit MX). */
#define RECORDS \
	"remote.test. 60 IN MX 10 mx0.remote.test.\n" \
	"remote.test. 60 IN MX 20 mx1.remote.test.\n" \
	"mx0.remote.test. 60 IN A 127.0.0.2\n" \
	"mx1.remote.test. 60 IN A 127.0.0.1\n" \
	"plain.test. 60 IN A 127.0.0.1\n"

#define BODY "first line\\n.leading dot\\n..two dots\\nlast line"
#define WIRE_BODY "first line\r\n.leading dot\r\n..two dots\r\nlast line\r\n"

/* A message to a local user, a remote domain found through its second MX
 * and a domain without MX: local by LMTP (accessd is down here, so it is
 * deferred), the remote ones by SMTP, each domain in its own connection,
 * the exact bytes once each. */
Test(smtp_delivery, routes_local_by_lmtp_and_remote_by_mx)
{
	struct w w;
	char *out, *log, *eml, *json, port[16];
	struct pool *pool = pool_new("test");
	struct queue_env env;

	w_new(&w, RECORDS);
	peer_start(&w, NULL);
	mtad_start(&w, "");
	out = submit(&w, BODY, (const char *const[]){ "bob@remote.test",
	    "carol@plain.test", "alice@example.test", NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "status=delivered", 2, 15000), w.mtad,
	    "remote recipients not delivered");
	ITEST_ASSERT(wait_log(&w, "event=deferred", 1, 10000), w.mtad,
	    "not deferred for the local recipient");
	log = mtad_log(&w);
	snprintf(port, sizeof(port), ":%u ", w.peer_port);
	HAS(log, "rcpt=bob@remote.test relay=mx1.remote.test[127.0.0.1]:",
	    w.mtad);
	HAS(log, "rcpt=carol@plain.test relay=plain.test[127.0.0.1]:", w.mtad);
	HAS(log, port, w.mtad);
	HAS(log, "dsn=2.0.0 status=delivered reply=\"250 2.0.0 "
	    "mx1.remote.test[127.0.0.1]", w.mtad);
	HAS(log, "rcpt=alice@example.test relay=lmtp:127.0.0.1:", w.mtad);
	cr_assert_eq(count(log, "status=delivered"), 2, "%s", log);
	free(log);

	/* two domains, two connections, one message each */
	cr_assert_eq(peer_count(&w), 2);
	for (int k = 1; k <= 2; k++) {
		eml = peer_file(&w, k, "eml");
		json = peer_file(&w, k, "json");
		cr_assert(strncmp(eml, "Received: from ", 15) == 0, "%s", eml);
		HAS(eml, "by mx.example.test", w.mtad);
		HAS(eml, "\r\nFrom: <" SENDER ">\r\nTo: <bob@remote.test>\r\n"
		    "Subject: test\r\n\r\n" WIRE_BODY, w.mtad);
		cr_assert(strlen(eml) >= strlen(WIRE_BODY) &&
		    strcmp(eml + strlen(eml) - strlen(WIRE_BODY), WIRE_BODY)
		    == 0, "message does not end with the body: %s", eml);
		HAS(json, "\"mail_from\": \"" SENDER "\"", w.mtad);
		cr_assert(strstr(json, "\"rcpt_tos\": [\"bob@remote.test\"]") !=
		    NULL || strstr(json, "\"rcpt_tos\": [\"carol@plain.test\"]")
		    != NULL, "%s", json);
		HAS(json, "SIZE=", w.mtad);
		HAS(json, "\"tls\": false", w.mtad);
		HAS(json, "\"pipelined\": true", w.mtad);
		free(eml);
		free(json);
	}
	/* alice waits in deferred/, the others are final (between two
	 * retries: a retry has it in active/ for a moment) */
	cr_assert(deferred_with(&w, 3, &env, pool),
	    "the message is not in deferred/");
	cr_assert_eq(env.rcpts[0].state, QUEUE_RCPT_DELIVERED);
	cr_assert_eq(env.rcpts[1].state, QUEUE_RCPT_DELIVERED);
	cr_assert_eq(env.rcpts[2].state, QUEUE_RCPT_DEFERRED);
	pool_free(&pool);
	w_free(&w);
}

/* 451 to RCPT: deferred, delivered on the retry, once. */
Test(smtp_delivery, temporary_failure_then_success_on_retry)
{
	struct w w;
	char *out, *log, *json;

	w_new(&w, RECORDS);
	peer_start(&w, (const char *const[]){ "--no-pipelining", NULL });
	mtad_start(&w, "");
	out = submit(&w, "retry me", (const char *const[]){
	    "temp1@remote.test", NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "event=removed", 1, 20000), w.mtad,
	    "not delivered on retry");
	log = mtad_log(&w);
	HAS(log, "rcpt=temp1@remote.test relay=mx1.remote.test[127.0.0.1]:",
	    w.mtad);
	HAS(log, "attempt=1 dsn=4.3.0 status=deferred reply=\"451 4.3.0 "
	    "mx1.remote.test[127.0.0.1]", w.mtad);
	HAS(log, "attempt=2 dsn=2.0.0 status=delivered", w.mtad);
	free(log);
	cr_assert_eq(peer_count(&w), 1);
	json = peer_file(&w, 1, "json");
	HAS(json, "\"rcpt_tos\": [\"temp1@remote.test\"]", w.mtad);
	HAS(json, "\"pipelined\": false", w.mtad);
	free(json);
	w_free(&w);
}

/* 550 to RCPT: that recipient is bounced in the queue with the reply, the
 * other remote one delivered, the local one still deferred. */
Test(smtp_delivery, permanent_failure_marks_the_recipient_bounced)
{
	struct w w;
	char *out, *log, *json;
	struct pool *pool = pool_new("test");
	struct queue_env env;

	w_new(&w, RECORDS);
	peer_start(&w, NULL);
	mtad_start(&w, "");
	out = submit(&w, "to three", (const char *const[]){
	    "perm@remote.test", "ok@remote.test", "alice@example.test",
	    NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "event=deferred", 1, 15000), w.mtad,
	    "first run not finished");
	log = mtad_log(&w);
	HAS(log, "rcpt=perm@remote.test relay=mx1.remote.test[127.0.0.1]:",
	    w.mtad);
	HAS(log, "dsn=5.1.1 status=bounced reply=\"550 5.1.1 "
	    "mx1.remote.test[127.0.0.1]", w.mtad);
	/* the bounce report for perm@ follows the message into the queue */
	HAS(log, "event=dsn dsn_id=", w.mtad);
	free(log);
	cr_assert(deferred_with(&w, 3, &env, pool),
	    "the message is not in deferred/");
	cr_assert_eq(env.rcpts[0].state, QUEUE_RCPT_BOUNCED);
	cr_assert_not_null(strstr(env.rcpts[0].reply, "550 5.1.1 "),
	    "%s", env.rcpts[0].reply);
	cr_assert_not_null(strstr(env.rcpts[0].reply, "no such user here"),
	    "%s", env.rcpts[0].reply);
	cr_assert_eq(env.rcpts[1].state, QUEUE_RCPT_DELIVERED);
	cr_assert_eq(env.rcpts[2].state, QUEUE_RCPT_DEFERRED);
	cr_assert_eq(peer_count(&w), 1);
	json = peer_file(&w, 1, "json");
	HAS(json, "\"rcpt_tos\": [\"ok@remote.test\"]", w.mtad);
	free(json);
	pool_free(&pool);
	w_free(&w);
}

/* No server at the MX hosts: deferred with the connection failure; the
 * peer comes up: delivered once. */
Test(smtp_delivery, peer_down_then_up_delivers_once)
{
	struct w w;
	char *out, *log;

	w_new(&w, RECORDS);
	mtad_start(&w, "");
	out = submit(&w, "while down", (const char *const[]){
	    "bob@remote.test", NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "status=deferred", 2, 15000), w.mtad,
	    "not deferred twice");
	log = mtad_log(&w);
	HAS(log, "relay=mx1.remote.test[127.0.0.1]:", w.mtad);
	HAS(log, "dsn=4.4.1 status=deferred reply=\"451 4.4.1 connect to "
	    "mx1.remote.test[127.0.0.1]:", w.mtad);
	HAS(log, "Connection refused", w.mtad);
	free(log);
	peer_start(&w, NULL);
	ITEST_ASSERT(wait_log(&w, "event=removed", 1, 20000), w.mtad,
	    "not delivered once the peer is up");
	usleep(1500 * 1000);	/* a second delivery would come by now */
	cr_assert_eq(peer_count(&w), 1);
	log = mtad_log(&w);
	cr_assert_eq(count(log, "status=delivered"), 1, "%s", log);
	free(log);
	w_free(&w);
}

/* Certificates for the peer (mx1.remote.test) in w->dir/tls. */
static char *
make_certs(struct w *w)
{
	char *script = itest_srcpath("tests/fixtures/certs.sh");
	char *dir = NULL;
	char *argv[] = { "sh", script, NULL, "mx1.remote.test", NULL };
	struct buf *out = buf_new(256, 65536);
	int rc;

	cr_assert_geq(asprintf(&dir, "%s/tls", w->dir), 0);
	argv[2] = dir;
	rc = itest_run(argv, NULL, out, 60000);
	cr_assert_eq(rc, 0, "certs.sh: %s", buf_cstr(out));
	buf_free(&out);
	free(script);
	return dir;
}

/* STARTTLS offered: used, with the certificate checked (tls = verify). */
Test(smtp_delivery, starttls_used_and_verified)
{
	struct w w;
	char *out, *tls, *crt = NULL, *key = NULL, *extra = NULL, *json;

	w_new(&w, RECORDS);
	tls = make_certs(&w);
	cr_assert_geq(asprintf(&crt, "%s/server.crt", tls), 0);
	cr_assert_geq(asprintf(&key, "%s/server.key", tls), 0);
	peer_start(&w, (const char *const[]){ "--tls", crt, key, NULL });
	cr_assert_geq(asprintf(&extra, "tls = verify\n"
	    "tls_ca_file = %s/ca.crt\n", tls), 0);
	mtad_start(&w, extra);
	out = submit(&w, "secret", (const char *const[]){ "bob@remote.test",
	    NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "event=removed", 1, 15000), w.mtad,
	    "not delivered over TLS");
	cr_assert_eq(peer_count(&w), 1);
	json = peer_file(&w, 1, "json");
	HAS(json, "\"tls\": true", w.mtad);
	free(json);
	free(extra);
	free(crt);
	free(key);
	free(tls);
	w_free(&w);
}

/* tls = verify against a host without STARTTLS: deferred, nothing sent. */
Test(smtp_delivery, tls_verify_refuses_a_host_without_starttls)
{
	struct w w;
	char *out, *log;

	w_new(&w, RECORDS);
	peer_start(&w, NULL);
	mtad_start(&w, "tls = verify\n");
	out = submit(&w, "secret", (const char *const[]){ "bob@remote.test",
	    NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "status=deferred", 1, 15000), w.mtad,
	    "not deferred");
	log = mtad_log(&w);
	HAS(log, "STARTTLS not offered (tls = verify)", w.mtad);
	free(log);
	cr_assert_eq(peer_count(&w), 0);
	w_free(&w);
}

/* A relayhost with AUTH (after STARTTLS): every remote domain goes
 * there, with no DNS at all; a wrong password defers. */
Test(smtp_delivery, relayhost_with_auth)
{
	struct w w;
	char *out, *log, *tls, *crt = NULL, *key = NULL, *extra = NULL;
	char *pwfile = NULL, *json;

	w_new(&w, NULL);
	tls = make_certs(&w);
	cr_assert_geq(asprintf(&crt, "%s/server.crt", tls), 0);
	cr_assert_geq(asprintf(&key, "%s/server.key", tls), 0);
	cr_assert_geq(asprintf(&pwfile, "%s/relay.pw", w.dir), 0);
	write_file(pwfile, "wrong\n");
	peer_start(&w, (const char *const[]){ "--tls", crt, key, "--auth",
	    "relayuser:s3cret pw", NULL });
	cr_assert_geq(asprintf(&extra, "relayhost = 127.0.0.1\n"
	    "relayhost_port = %u\nrelayhost_username = relayuser\n"
	    "relayhost_password_file = %s\n", w.peer_port, pwfile), 0);
	mtad_start(&w, extra);
	out = submit(&w, "via the smarthost", (const char *const[]){
	    "dave@nowhere.test", "erin@elsewhere.test", NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "status=deferred", 2, 15000), w.mtad,
	    "wrong password not deferred");
	log = mtad_log(&w);
	HAS(log, "relay=127.0.0.1[127.0.0.1]:", w.mtad);
	HAS(log, "AUTH failed: 535", w.mtad);
	free(log);
	cr_assert_eq(peer_count(&w), 0);
	itest_stop(&w.mtad, 5000);

	/* the right password: one connection carries both recipients */
	write_file(pwfile, "s3cret pw\n");
	mtad_start(&w, extra);
	ITEST_ASSERT(wait_log(&w, "event=removed", 1, 20000), w.mtad,
	    "not delivered through the relayhost");
	cr_assert_eq(peer_count(&w), 1);
	json = peer_file(&w, 1, "json");
	HAS(json, "\"auth\": \"relayuser\"", w.mtad);
	HAS(json, "\"tls\": true", w.mtad);
	HAS(json, "\"rcpt_tos\": [\"dave@nowhere.test\", "
	    "\"erin@elsewhere.test\"]", w.mtad);
	free(json);
	free(pwfile);
	free(extra);
	free(crt);
	free(key);
	free(tls);
	w_free(&w);
}

/* max_rcpts_per_connection = 1: two recipients of one domain go in two
 * connections; max_addresses = 1: only the first MX host is tried. */
Test(smtp_delivery, connection_limits_are_crossed)
{
	struct w w;
	char *out, *log;

	w_new(&w, RECORDS);
	peer_start(&w, NULL);
	mtad_start(&w, "max_rcpts_per_connection = 1\n");
	out = submit(&w, "split", (const char *const[]){ "a@plain.test",
	    "b@plain.test", NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "event=removed", 1, 15000), w.mtad,
	    "not delivered");
	cr_assert_eq(peer_count(&w), 2);
	itest_stop(&w.mtad, 5000);

	mtad_start(&w, "max_addresses = 1\n");
	out = submit(&w, "first MX only", (const char *const[]){
	    "bob@remote.test", NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "status=deferred", 1, 15000), w.mtad,
	    "not deferred");
	log = mtad_log(&w);
	HAS(log, "relay=mx0.remote.test[127.0.0.2]:", w.mtad);
	free(log);
	cr_assert_eq(peer_count(&w), 2);
	w_free(&w);
}

/* A greeting line longer than reply_line_max, a reply of more lines than
 * reply_lines_max, a final reply slower than data_timeout and a server
 * that never greets (command_timeout): each deferred. */
Test(smtp_delivery, reply_limits_and_timeouts_defer)
{
	struct w w;
	char *out, *log;
	int fd;
	struct sockaddr_in sin;

	w_new(&w, RECORDS);
	peer_start(&w, (const char *const[]){ "--ident-len", "600", NULL });
	mtad_start(&w, "reply_line_max = 512\n");
	out = submit(&w, "long greeting", (const char *const[]){
	    "bob@plain.test", NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "status=deferred", 1, 15000), w.mtad,
	    "not deferred");
	log = mtad_log(&w);
	HAS(log, "reply line too long", w.mtad);
	free(log);
	itest_stop(&w.mtad, 5000);
	itest_stop(&w.peer, 3000);

	/* aiosmtpd's EHLO reply has more than 3 lines */
	peer_start(&w, NULL);
	mtad_start(&w, "reply_lines_max = 3\n");
	ITEST_ASSERT(wait_log(&w, "status=deferred", 2, 15000), w.mtad,
	    "not deferred");
	log = mtad_log(&w);
	HAS(log, "bad reply: too many reply lines", w.mtad);
	free(log);
	itest_stop(&w.mtad, 5000);
	itest_stop(&w.peer, 3000);
	cr_assert_eq(peer_count(&w), 0);

	/* the peer answers the final dot after 3 s, mtad waits 1 s */
	peer_start(&w, (const char *const[]){ "--data-delay", "3", NULL });
	mtad_start(&w, "data_timeout = 1s\n");
	ITEST_ASSERT(wait_log(&w, "status=deferred", 3, 15000), w.mtad,
	    "not deferred");
	itest_stop(&w.mtad, 5000);
	log = mtad_log(&w);
	HAS(log, "dsn=4.4.2 status=deferred reply=\"451 4.4.2 lost connection"
	    " with plain.test[127.0.0.1]:", w.mtad);
	HAS(log, "timed out", w.mtad);
	free(log);
	itest_stop(&w.peer, 3000);

	/* a listener that accepts (the kernel does) and never speaks */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(w.peer_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(fd, 16), 0);
	mtad_start(&w, "command_timeout = 1s\n");
	ITEST_ASSERT(wait_log(&w, "status=deferred", 4, 15000), w.mtad,
	    "silent server not deferred");
	log = mtad_log(&w);
	HAS(log, "reply=\"451 4.4.1 plain.test[127.0.0.1]:", w.mtad);
	HAS(log, "timed out", w.mtad);
	free(log);
	close(fd);
	w_free(&w);
}

/* A raw SMTP dialogue with mtad (AUTH as alice, then the steps). */
static void
raw(struct w *w, const char *const *steps)
{
	char *script = itest_srcpath("tests/integration/mtad_client.py");
	char port[8];
	char *argv[40] = { PY, script, "raw", port };
	size_t n = 4;
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	int rc;

	snprintf(port, sizeof(port), "%u", w->smtp_port);
	for (size_t i = 0; steps[i] != NULL && n < 39; i++)
		argv[n++] = (char *)steps[i];
	argv[n] = NULL;
	rc = itest_run(argv, NULL, out, 30000);
	free(script);
	ITEST_ASSERT(rc == 0 && strstr(buf_cstr(out), "250 2.0.0 Ok: queued")
	    != NULL, w->mtad, "raw dialogue failed (%d): %s", rc,
	    buf_cstr(out));
	buf_free(&out);
}

/* RET, ENVID, NOTIFY and ORCPT reach a host that offers DSN. */
Test(smtp_delivery, dsn_parameters_are_passed_on)
{
	struct w w;
	char *json;

	w_new(&w, RECORDS);
	peer_start(&w, NULL);
	mtad_start(&w, "");
	raw(&w, (const char *const[]){ "read", "send:EHLO client.test\r\n",
	    "read", "send:AUTH PLAIN AGFsaWNlAGRlbW8=\r\n", "read",
	    "send:MAIL FROM:<" SENDER "> RET=HDRS ENVID=env+2Did7\r\n", "read",
	    "send:RCPT TO:<bob@remote.test> NOTIFY=FAILURE,DELAY "
	    "ORCPT=rfc822;Bob@remote.test\r\n", "read", "send:DATA\r\n",
	    "read", "send:Subject: dsn\r\n\r\nbody\r\n.\r\n", "read",
	    "send:QUIT\r\n", "read", NULL });
	ITEST_ASSERT(wait_log(&w, "event=removed", 1, 15000), w.mtad,
	    "not delivered");
	cr_assert_eq(peer_count(&w), 1);
	json = peer_file(&w, 1, "json");
	HAS(json, "\"RET=HDRS\"", w.mtad);
	HAS(json, "\"ENVID=env-id7\"", w.mtad);	/* xtext: "-" needs no escape */
	HAS(json, "\"NOTIFY=FAILURE,DELAY\"", w.mtad);
	HAS(json, "\"ORCPT=rfc822;Bob@remote.test\"", w.mtad);
	free(json);
	w_free(&w);
}

/* A domain that does not exist and one with a null MX bounce at once;
 * a message over the host's SIZE bounces 5.3.4; nothing reaches the
 * peer. */
Test(smtp_delivery, dns_and_size_failures_bounce)
{
	struct w w;
	char *out, *log, body[400];

	w_new(&w, RECORDS "nullmx.test. 60 IN MX 0 .\n");
	peer_start(&w, (const char *const[]){ "--size", "200", NULL });
	mtad_start(&w, "");
	out = submit(&w, "x", (const char *const[]){ "a@nosuch.test",
	    "b@nullmx.test", NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "event=removed", 1, 15000), w.mtad,
	    "not finished");
	log = mtad_log(&w);
	HAS(log, "rcpt=a@nosuch.test relay=none", w.mtad);
	HAS(log, "dsn=5.1.2 status=bounced reply=\"550 5.1.2 domain"
	    " nosuch.test not found", w.mtad);
	HAS(log, "rcpt=b@nullmx.test relay=none", w.mtad);
	HAS(log, "dsn=5.1.10 status=bounced reply=\"556 5.1.10 nullmx.test"
	    " accepts no mail (null MX)", w.mtad);
	free(log);

	memset(body, 'y', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	out = submit(&w, body, (const char *const[]){ "c@plain.test", NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "event=removed", 2, 15000), w.mtad,
	    "not finished");
	log = mtad_log(&w);
	HAS(log, "dsn=5.3.4 status=bounced reply=\"552 5.3.4 message of ",
	    w.mtad);
	HAS(log, "exceeds the size limit of plain.test[127.0.0.1]:", w.mtad);
	free(log);
	cr_assert_eq(peer_count(&w), 0);
	w_free(&w);
}

/* The most messages the peer received at once. */
static int
peer_max_active(struct w *w)
{
	char *p = NULL, *s;
	int n;

	cr_assert_geq(asprintf(&p, "%s/max_active", w->peer_dir), 0);
	s = slurp(p);
	n = (int)strtol(s, NULL, 10);
	free(s);
	free(p);
	return n;
}

/* Three recipients of one domain, one per connection, with the peer
 * slow to answer each message: max_per_destination = 1 keeps them one at
 * a time, max_connections = 2 lets two run together, the defaults all
 * three. */
Test(smtp_delivery, concurrency_limits_per_destination_and_total)
{
	struct w w;
	char *out;
	static const char *const limits[] = {
		"max_rcpts_per_connection = 1\nmax_per_destination = 1\n",
		"max_rcpts_per_connection = 1\nmax_connections = 2\n",
		"max_rcpts_per_connection = 1\n",
	};

	w_new(&w, RECORDS);
	peer_start(&w, (const char *const[]){ "--data-delay", "2.5", NULL });
	for (int k = 0; k < 3; k++) {
		mtad_start(&w, limits[k]);
		out = submit(&w, "in parallel?", (const char *const[]){
		    "a@plain.test", "b@plain.test", "c@plain.test", NULL });
		free(out);
		ITEST_ASSERT(wait_log(&w, "event=removed", k + 1, 20000),
		    w.mtad, "not delivered");
		cr_assert_eq(peer_count(&w), 3 * (k + 1));
		cr_assert_eq(peer_max_active(&w), k + 1, "limits %s: %d at"
		    " once", limits[k], peer_max_active(&w));
		itest_stop(&w.mtad, 5000);
	}
	w_free(&w);
}

/* Four messages, each with one recipient of the same domain, the peer
 * slow to answer each: the limits hold across messages, not only within
 * one. max_parallel_messages = 1 delivers them one at a time;
 * max_per_destination = 2 lets two run together, max_connections = 3
 * three (of the four queued at once). */
Test(smtp_delivery, concurrency_limits_hold_across_messages,
    .timeout = 200)
{
	struct w w;
	static const char *const limits[] = {
		"data_timeout = 30s\n"
		    "[mtad.delivery]\nmax_parallel_messages = 1\n",
		"data_timeout = 30s\nmax_per_destination = 2\n",
		"data_timeout = 30s\nmax_connections = 3\n",
	};
	static const char *const to[] = { "a@plain.test", "b@plain.test",
		"c@plain.test", "d@plain.test" };

	w_new(&w, RECORDS);
	/* slow enough that four submissions (a Python client each, mtad
	 * perhaps under ASan on a loaded machine) fit in one answer */
	peer_start(&w, (const char *const[]){ "--data-delay", "6", NULL });
	for (int k = 0; k < 3; k++) {
		mtad_start(&w, limits[k]);
		for (int i = 0; i < 4; i++)
			free(submit(&w, "one of four", (const char *const[]){
			    to[i], NULL }));
		ITEST_ASSERT(wait_log(&w, "event=removed", 4 * (k + 1),
		    60000), w.mtad, "not delivered");
		cr_assert_eq(peer_count(&w), 4 * (k + 1));
		/* the peer's high-water mark only grows: each round must
		 * reach its limit and not pass it */
		cr_assert_eq(peer_max_active(&w), k + 1, "limits %s: %d at"
		    " once", limits[k], peer_max_active(&w));
		itest_stop(&w.mtad, 5000);
	}
	w_free(&w);
}

/* A host that greets with 421 and hangs up, on 127.0.0.2. */
struct busy {
	int fd;
	int accepted;
};

static void *
busy_run(void *arg)
{
	struct busy *b = arg;
	int c = accept(b->fd, NULL, NULL);

	if (c >= 0) {
		static const char g[] = "421 4.3.2 busy, try the next MX\r\n";

		b->accepted++;
		if (write(c, g, sizeof(g) - 1) < 0)
			b->accepted = -100;
		usleep(200 * 1000);
		close(c);
	}
	return NULL;
}

/* The preferred MX greets with 421: the next MX gets the message. */
Test(smtp_delivery, busy_greeting_tries_the_next_mx)
{
	struct w w;
	struct busy b = { -1, 0 };
	struct sockaddr_in sin;
	pthread_t th;
	char *out, *log;

	w_new(&w, RECORDS);
	b.fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(b.fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(w.peer_port);
	cr_assert_eq(inet_pton(AF_INET, "127.0.0.2", &sin.sin_addr), 1);
	cr_assert_eq(bind(b.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(b.fd, 4), 0);
	cr_assert_eq(pthread_create(&th, NULL, busy_run, &b), 0);
	peer_start(&w, NULL);
	mtad_start(&w, "");
	out = submit(&w, "next one", (const char *const[]){ "bob@remote.test",
	    NULL });
	free(out);
	ITEST_ASSERT(wait_log(&w, "event=removed", 1, 15000), w.mtad,
	    "not delivered");
	pthread_join(th, NULL);
	close(b.fd);
	cr_assert_eq(b.accepted, 1, "the first MX was not tried");
	log = mtad_log(&w);
	HAS(log, "event=host-failed relay=mx0.remote.test[127.0.0.2]:", w.mtad);
	HAS(log, "greeting: 421 4.3.2 busy, try the next MX", w.mtad);
	HAS(log, "rcpt=bob@remote.test relay=mx1.remote.test[127.0.0.1]:",
	    w.mtad);
	HAS(log, "status=delivered", w.mtad);
	free(log);
	cr_assert_eq(peer_count(&w), 1);
	w_free(&w);
}
