/*
 * tests/integration/mtad_test.c - the built mtad against a real slapd
 * (schema/samples/example.test.ldif), spoken to by real clients: Python
 * smtplib and a raw-socket dialogue driver (tests/integration/
 * mtad_client.py) for bytes smtplib would not send (bare LF, pipelining,
 * BDAT, oversized lines). Accepted messages are read back from the queue
 * directory with libtqueue.
 *
 * One shared slapd serves most tests; the outage test halts its own.
 * Each test starts its own mtad (as nobody when run as root).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <signal.h>
#include <pwd.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	char *ldif = itest_srcpath("schema/samples/example.test.ldif");
	char *certs = itest_srcpath("tests/fixtures/certs.sh");
	char *cdir = NULL;

	(void)set;
	shared_dir = itest_tmpdir("mtad-test");
	if (shared_dir != NULL && ldif != NULL)
		shared = itest_slapd_start(shared_dir, ldif);
	if (shared != NULL)
		setenv("MTTEST_URI", shared->uri, 1);
	if (shared_dir != NULL && certs != NULL &&
	    asprintf(&cdir, "%s/certs", shared_dir) >= 0) {
		char *argv[] = { "sh", certs, cdir, NULL };

		if (itest_run(argv, NULL, NULL, 60000) == 0) {
			chmod(cdir, 0755);
			setenv("MTTEST_CERTS", cdir, 1);
		}
	}
	free(cdir);
	free(certs);
	free(ldif);
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	(void)st;
	itest_slapd_stop(&shared);
	itest_cleanup_dir(&shared_dir);
}

TestSuite(mtad, .timeout = 60);

/* A running mtad of one test. */
struct mt {
	char *dir;
	char *conf;
	char *log;
	uint16_t smtp, sub, subs;
	struct itest_proc *p;
};

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static const char *
certs(void)
{
	const char *c = getenv("MTTEST_CERTS");

	cr_assert_not_null(c, "test certificates were not made");
	return c;
}

/* Start the mtad of t (configured) and wait until it listens. */
static void
mt_run(struct mt *t)
{
	char *bin = NULL;
	const char *b = getenv("TESSERA_BUILDDIR");

	cr_assert_geq(asprintf(&bin, "%s/mtad/mtad", b ? b : "."), 0);
	{
		char *argv[] = { bin, "-c", t->conf, "-f", NULL };

		t->p = itest_start(argv, NULL, t->log);
	}
	free(bin);
	cr_assert_not_null(t->p);
	cr_assert_eq(itest_wait_listen_proc(t->p, "127.0.0.1", t->smtp,
	    10000), 0, "mtad does not listen");
}

/* Start mtad against uri with extra [mtad] lines; listeners smtp
 * (starttls), submission (starttls) and submissions (implicit). */
static void
mt_start_l(struct mt *t, const char *uri, const char *mtad_extra,
    const char *smtp_extra)
{
	char *text = NULL, *bin = NULL;
	const char *b = getenv("TESSERA_BUILDDIR");
	uint16_t ports[3];

	memset(t, 0, sizeof(*t));
	cr_assert_not_null(uri, "the shared slapd did not start");
	t->dir = itest_tmpdir("mtad");
	cr_assert_not_null(t->dir);
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		cr_assert_not_null(pw);
		cr_assert_eq(chown(t->dir, pw->pw_uid, pw->pw_gid), 0);
	}
	cr_assert_eq(itest_free_ports(ports, 3), 0);
	t->smtp = ports[0];
	t->sub = ports[1];
	t->subs = ports[2];
	cr_assert_geq(asprintf(&t->conf, "%s/tessera.conf", t->dir), 0);
	cr_assert_geq(asprintf(&t->log, "%s/mtad.log", t->dir), 0);
	cr_assert_geq(asprintf(&text,
	    "[global]\nrun_dir = %s\nstate_dir = %s\nuser = nobody\n"
	    "directory_user = nobody\nlog_level = debug\nshutdown_grace = 1s\n"
	    "[tls]\ncertificate = %s/server.crt\nkey = %s/server.key\n"
	    "[directory]\nuris = %s\nbase_dn = " BASE "\nstarttls = no\n"
	    "connect_timeout = 1s\nop_timeout = 2s\n"
	    "[lookup]\nquery_timeout = 5s\n"
	    "[mtad]\nhostname = mx.example.test\nqueue_manager = no\n%s"
	    "[mtad.listener.smtp]\nport = %u\ntls = starttls\n%s"
	    "[mtad.listener.submission]\nport = %u\ntls = starttls\n"
	    "type = submission\n"
	    "[mtad.listener.submissions]\nport = %u\ntls = implicit\n"
	    "type = submissions\n",
	    t->dir, t->dir, certs(), certs(), uri,
	    mtad_extra != NULL ? mtad_extra : "", t->smtp,
	    smtp_extra != NULL ? smtp_extra : "", t->sub, t->subs),
	    0);
	write_file(t->conf, text);
	free(text);
	(void)bin;
	(void)b;
	mt_run(t);
}

static void
mt_start(struct mt *t, const char *uri, const char *mtad_extra)
{
	mt_start_l(t, uri, mtad_extra, NULL);
}

static void
mt_stop(struct mt *t)
{
	int st = itest_stop(&t->p, 5000);

	cr_expect_eq(st, 0, "mtad exit status %d", st);
	itest_cleanup_dir(&t->dir);
	free(t->conf);
	free(t->log);
}

/* Run mtad_client.py with args (NULL-terminated); its output. */
static char *
client(struct mt *t, const char *mode, uint16_t port, const char *const *args)
{
	char *script = itest_srcpath("tests/integration/mtad_client.py");
	char portstr[8], cafile[512];
	char *argv[64];
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	size_t n = 0;
	int rc;

	snprintf(portstr, sizeof(portstr), "%u", port);
	snprintf(cafile, sizeof(cafile), "%s/ca.crt", certs());
	argv[n++] = "python3";
	argv[n++] = script;
	argv[n++] = (char *)mode;
	argv[n++] = portstr;
	argv[n++] = "--cafile";
	argv[n++] = cafile;
	for (size_t i = 0; args[i] != NULL && n < 63; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	rc = itest_run(argv, NULL, out, 30000);
	ITEST_ASSERT(rc == 0, t->p, "client failed (%d): %s", rc,
	    buf_cstr(out));
	free(script);
	{
		char *s = strdup(buf_cstr(out));

		buf_free(&out);
		return s;
	}
}

#define RAW(t, port, ...) client((t), "raw", (port), \
	(const char *const[]){ __VA_ARGS__, NULL })
#define SEND(t, port, ...) client((t), "smtplib", (port), \
	(const char *const[]){ __VA_ARGS__, NULL })

/* Assert that out's lines, in order, start with the given prefixes. */
static void
expect_lines(struct mt *t, const char *out, const char *const *want)
{
	const char *p = out;

	for (size_t i = 0; want[i] != NULL; i++) {
		size_t wl = strlen(want[i]);
		const char *nl = strchr(p, '\n');

		ITEST_ASSERT(*p != '\0', t->p, "reply %zu missing (want %s)"
		    " in:\n%s", i, want[i], out);
		ITEST_ASSERT(strncmp(p, want[i], wl) == 0, t->p, "reply %zu:"
		    " want \"%s\" in:\n%s", i, want[i], out);
		p = nl != NULL ? nl + 1 : p + strlen(p);
	}
}

#define EXPECT(t, out, ...) expect_lines((t), (out), \
	(const char *const[]){ __VA_ARGS__, NULL })

/* Queued messages in incoming/: count, and the body of the one with id
 * (NULL: the only one) into *body_out (malloc'd) with its envelope. */
static size_t
queued(struct mt *t, const char *id, char **body_out,
    struct queue_env *env_out, struct pool *pool)
{
	const char *err;
	struct queue *q = queue_open(t->dir, NULL, pool, &err);
	char **ids;
	size_t n;

	cr_assert_not_null(q, "%s", err);
	cr_assert_eq(queue_scan_ids(q, QUEUE_INCOMING, pool, &ids, &n, &err),
	    0, "%s", err);
	if (body_out != NULL && n > 0) {
		struct queue_msg *m;
		const char *want = id != NULL ? id : ids[0];
		struct buf *b = buf_new(4096, 16 * 1024 * 1024);
		char chunk[4096];
		ssize_t k;
		int fd;

		cr_assert_eq(queue_msg_open(q, QUEUE_INCOMING, want, pool, &m,
		    &err), QUEUE_MSG_OK, "%s: %s", want, err);
		fd = queue_msg_body_fd(m, &err);
		cr_assert_geq(fd, 0, "%s", err);
		while ((k = read(fd, chunk, sizeof(chunk))) > 0)
			buf_append(b, chunk, (size_t)k);
		close(fd);
		if (env_out != NULL)
			*env_out = m->env;
		queue_msg_close(&m);
		*body_out = strdup(buf_cstr(b));
		buf_free(&b);
	}
	queue_close(&q);
	return n;
}

/* The queue id of a "250 2.0.0 Ok: queued as ID" in out. */
static char *
queue_id_in(const char *out)
{
	const char *p = strstr(out, "queued as ");
	char *id;

	cr_assert_not_null(p, "no queue id in:\n%s", out);
	id = strndup(p + 10, strcspn(p + 10, " \r\n"));
	return id;
}

static bool
log_has(const struct mt *t, const char *needle)
{
	FILE *f = fopen(t->log, "r");
	char line[4096];
	bool found = false;

	for (int i = 0; i < 50 && !found; i++) {
		if (f == NULL)
			f = fopen(t->log, "r");
		if (f != NULL) {
			rewind(f);
			while (!found && fgets(line, sizeof(line), f) != NULL)
				found = strstr(line, needle) != NULL;
		}
		if (!found)
			usleep(20 * 1000);
	}
	if (f != NULL)
		fclose(f);
	return found;
}

#define URI getenv("MTTEST_URI")
#define EHLO "send:EHLO client.example.net\r\n", "read"
#define GREET "read"

Test(mtad, greeting_ehlo_and_basic_commands)
{
	struct mt t;
	char *o;

	mt_start(&t, URI, NULL);
	o = RAW(&t, t.smtp, GREET, EHLO, "send:HELP\r\n", "read",
	    "send:VRFY alice\r\n", "read", "send:NOOP\r\n", "read",
	    "send:RSET\r\n", "read", "send:EXPN staff\r\n", "read",
	    "send:QUIT\r\n", "read", "eof");
	EXPECT(&t, o, "220 mx.example.test ESMTP", "250 ", "214 2.0.0",
	    "252 2.5.2", "250 2.0.0", "250 2.0.0", "502 5.5.1", "221 2.0.0",
	    "EOF");
	free(o);
	/* mtad -n prints the effective configuration */
	{
		struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
		const char *b = getenv("TESSERA_BUILDDIR");
		char *bin = NULL;
		int rc;

		cr_assert_geq(asprintf(&bin, "%s/mtad/mtad", b ? b : "."), 0);
		{
			char *argv[] = { bin, "-n", "-c", t.conf, NULL };

			rc = itest_run(argv, NULL, out, 10000);
		}
		cr_assert_eq(rc, 0, "%s", buf_cstr(out));
		cr_assert_not_null(strstr(buf_cstr(out), "[mtad]"), "%s",
		    buf_cstr(out));
		cr_assert_not_null(strstr(buf_cstr(out), "mx.example.test"));
		free(bin);
		buf_free(&out);
	}
	mt_stop(&t);
}

Test(mtad, ehlo_extensions)
{
	struct mt t;
	char *script = itest_srcpath("tests/integration/mtad_client.py");
	char *o;

	(void)script;
	free(script);
	mt_start(&t, URI, NULL);
	/* smtplib reports the extensions it saw */
	{
		char cmd[512];
		char port[8];
		struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);

		snprintf(port, sizeof(port), "%u", t.smtp);
		snprintf(cmd, sizeof(cmd), "import smtplib; c = smtplib.SMTP("
		    "'127.0.0.1', %s, timeout=10); c.ehlo('a.example');"
		    " print(sorted(c.esmtp_features)); c.quit()", port);
		{
			char *argv[] = { "python3", "-c", cmd, NULL };

			cr_assert_eq(itest_run(argv, NULL, out, 20000), 0,
			    "%s", buf_cstr(out));
		}
		o = strdup(buf_cstr(out));
		buf_free(&out);
	}
	ITEST_ASSERT(strstr(o, "'8bitmime', 'chunking', 'dsn',"
	    " 'enhancedstatuscodes', 'pipelining', 'size', 'smtputf8',"
	    " 'starttls'") != NULL, t.p, "features: %s", o);
	ITEST_ASSERT(strstr(o, "'auth'") == NULL, t.p, "AUTH before TLS: %s",
	    o);
	free(o);
	mt_stop(&t);
}

Test(mtad, rcpt_outcomes_and_relay)
{
	struct mt t;
	char *o;

	mt_start(&t, URI, NULL);
	o = RAW(&t, t.smtp, GREET, EHLO,
	    "send:MAIL FROM:<someone@elsewhere.example>\r\n", "read",
	    "send:RCPT TO:<alice@example.test>\r\n", "read",
	    "send:RCPT TO:<info@example.test>\r\n", "read",
	    "send:RCPT TO:<nobody@example.test>\r\n", "read",
	    "send:RCPT TO:<carol@example.test>\r\n", "read",
	    "send:RCPT TO:<staff@example.test>\r\n", "read",
	    "send:RCPT TO:<all@example.test>\r\n", "read",
	    "send:RCPT TO:<victim@elsewhere.example>\r\n", "read",
	    "send:RSET\r\n", "read",
	    "send:MAIL FROM:<bob@example.test>\r\n", "read",
	    "send:RCPT TO:<staff@example.test>\r\n", "read",
	    "send:QUIT\r\n", "read");
	EXPECT(&t, o, "220", "250", "250 2.1.0", "250 2.1.5", "250 2.1.5",
	    "550 5.1.1", "550 5.2.1", "550 5.7.1", "250 2.1.5", "554 5.7.1",
	    "250 2.0.0", "250 2.1.0", "250 2.1.5", "221");
	free(o);
	cr_assert(log_has(&t, "reason=unknown-user"));
	cr_assert(log_has(&t, "reason=disabled entry=uid=carol"));
	cr_assert(log_has(&t, "reason=relay-denied"));
	mt_stop(&t);
}

Test(mtad, directory_down_is_451_never_550)
{
	struct mt t;
	char *d = itest_tmpdir("mtad-slapd");
	char *ldif = itest_srcpath("schema/samples/example.test.ldif");
	struct itest_slapd *s = itest_slapd_start(d, ldif);
	char *o;

	cr_assert_not_null(s);
	mt_start(&t, s->uri, NULL);
	o = RAW(&t, t.smtp, GREET, EHLO, "send:MAIL FROM:<x@example.org>\r\n",
	    "read", "send:RCPT TO:<alice@example.test>\r\n", "read");
	EXPECT(&t, o, "220", "250", "250", "250 2.1.5");
	free(o);
	cr_assert_eq(itest_slapd_halt(s), 0);
	o = RAW(&t, t.smtp, GREET, EHLO, "send:MAIL FROM:<x@example.org>\r\n",
	    "read", "send:RCPT TO:<nobody@example.test>\r\n", "read",
	    "send:RCPT TO:<bob@example.test>\r\n", "read");
	/* (alice@ is still in the lookup process's positive cache) */
	EXPECT(&t, o, "220", "250", "250", "451 4.4.3", "451 4.4.3");
	free(o);
	/* AUTH with the directory down: 454 4.7.0 */
	o = RAW(&t, t.sub, GREET, EHLO, "send:STARTTLS\r\n", "read", "tls",
	    EHLO, "send:AUTH PLAIN AGFsaWNlAGRlbW8=\r\n", "read");
	EXPECT(&t, o, "220", "250", "220 2.0.0", "TLS", "250", "454 4.7.0");
	free(o);
	mt_stop(&t);
	itest_slapd_stop(&s);
	itest_cleanup_dir(&d);
	free(ldif);
}

Test(mtad, message_queued_with_received_header)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	struct queue_env env;
	char *o, *id, *body = NULL;

	mt_start(&t, URI, NULL);
	o = SEND(&t, t.smtp, "--from", "someone@elsewhere.example", "--to",
	    "alice@example.test", "--body", "line one\\n.dot line\\n..two");
	EXPECT(&t, o, "MAIL 250", "RCPT 250", "DATA 250 2.0.0 Ok: queued as");
	id = queue_id_in(o);
	cr_assert_eq(queued(&t, id, &body, &env, pool), 1);
	cr_assert_str_eq(env.sender, "someone@elsewhere.example");
	cr_assert_eq(env.nrcpts, 1);
	cr_assert_str_eq(env.rcpts[0].addr, "alice@example.test");
	cr_assert_str_eq(env.helo, "client.example.net");
	cr_assert(strncmp(body, "Received: from client.example.net"
	    " ([127.0.0.1])\r\n\tby mx.example.test (Tessera) with ESMTP\r\n"
	    "\tid ", 76) == 0, "%s", body);
	cr_assert_not_null(strstr(body, id));
	cr_assert_not_null(strstr(body, "for <alice@example.test>;"));
	/* dot-stuffing undone: smtplib stuffed ".dot" and "..two" */
	cr_assert_not_null(strstr(body, "\r\n.dot line\r\n..two\r\n"), "%s",
	    body);
	cr_assert(log_has(&t, "event=accepted queue_id="));
	free(body);
	free(id);
	free(o);
	mt_stop(&t);
	pool_free(&pool);
}

Test(mtad, bare_lf_and_cr_rejected)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *o;

	mt_start(&t, URI, NULL);
	o = RAW(&t, t.smtp, GREET, EHLO, "send:MAIL FROM:<a@b.example>\r\n",
	    "read", "send:RCPT TO:<alice@example.test>\r\n", "read",
	    "send:DATA\r\n", "read",
	    "send:Subject: x\r\n\r\nsmuggle\n.\nMAIL FROM:<x@y>\r\n.\r\n",
	    "read", "send:MAIL FROM:<a@b.example>\r\n", "read",
	    "send:RCPT TO:<alice@example.test>\r\n", "read",
	    "send:DATA\r\n", "read", "send:Subject: x\r\n\r\nbare\rcr\r\n.\r\n",
	    "read", "send:QUIT\r\n", "read");
	EXPECT(&t, o, "220", "250", "250", "250", "354", "550 5.6.11",
	    "250", "250", "354", "550 5.6.11", "221");
	free(o);
	cr_assert_eq(queued(&t, NULL, NULL, NULL, pool), 0);
	mt_stop(&t);
	pool_free(&pool);
}

Test(mtad, bdat_and_pipelining)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *o, *id, *body = NULL;

	mt_start(&t, URI, NULL);
	/* everything pipelined in one write; BDAT chunks of 14 and 9 */
	o = RAW(&t, t.smtp, GREET, "send:EHLO c.example\r\n"
	    "MAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.test>\r\n"
	    "RCPT TO:<bob@example.test>\r\n"
	    "BDAT 14\r\nSubject: b\r\n\r\nBDAT 9 LAST\r\nbody.\r\n\r\n"
	    "QUIT\r\n", "read", "read", "read", "read", "read", "read",
	    "read");
	EXPECT(&t, o, "220", "250", "250 2.1.0", "250 2.1.5", "250 2.1.5",
	    "250 2.0.0 14 octets", "250 2.0.0 Ok: queued as", "221");
	id = queue_id_in(o);
	cr_assert_eq(queued(&t, id, &body, NULL, pool), 1);
	cr_assert_not_null(strstr(body, "\r\nSubject: b\r\n\r\nbody.\r\n\r\n"),
	    "%s", body);
	cr_assert_null(strstr(body, "\tfor <"), "two recipients: no for");
	free(body);
	free(id);
	free(o);
	mt_stop(&t);
	pool_free(&pool);
}

Test(mtad, limits)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *o;
	char big[3000];

	mt_start(&t, URI, "max_message_size = 100\nmax_recipients = 2\n"
	    "max_line_length = 80\nmax_command_length = 512\nmax_errors = 5\n"
	    "idle_timeout = 1s\ndata_timeout = 1s\n");
	memset(big, 'a', 600);
	memcpy(big, "send:NOOP ", 10);
	memcpy(big + 600, "\\r\\n", 5);
	/* command line over 512, SIZE= over 100, recipients over 2 */
	o = RAW(&t, t.smtp, GREET, EHLO, big, "read",
	    "send:MAIL FROM:<a@b.example> SIZE=101\r\n", "read",
	    "send:MAIL FROM:<a@b.example> SIZE=100\r\n", "read",
	    "send:RCPT TO:<alice@example.test>\r\n", "read",
	    "send:RCPT TO:<bob@example.test>\r\n", "read",
	    "send:RCPT TO:<info@example.test>\r\n", "read",
	    "send:QUIT\r\n", "read");
	EXPECT(&t, o, "220", "250", "500 5.5.2", "552 5.3.4", "250 2.1.0",
	    "250 2.1.5", "250 2.1.5", "452 4.5.3", "221");
	free(o);
	cr_assert(log_has(&t, "event=reject stage=command client=127.0.0.1"
	    " code=552 enh=5.3.4"));
	cr_assert(log_has(&t, "code=452 enh=4.5.3 reason=too-many-recipients"));
	/* message over 100 bytes while streaming; a line over 80 */
	o = RAW(&t, t.smtp, GREET, EHLO, "send:MAIL FROM:<a@b.example>\r\n",
	    "read", "send:RCPT TO:<alice@example.test>\r\n", "read",
	    "send:DATA\r\n", "read", "bytes:70:x", "send:\r\n", "bytes:70:y",
	    "send:\r\n.\r\n", "read",
	    "send:MAIL FROM:<a@b.example>\r\n", "read",
	    "send:RCPT TO:<alice@example.test>\r\n", "read",
	    "send:DATA\r\n", "read", "bytes:90:z", "send:\r\n.\r\n", "read",
	    "send:QUIT\r\n", "read");
	EXPECT(&t, o, "220", "250", "250", "250", "354", "552 5.3.4", "250",
	    "250", "354", "500 5.5.2", "221");
	free(o);
	/* too many errors: 421 and close */
	o = RAW(&t, t.smtp, GREET, "send:BOGUS\r\n", "read", "send:BOGUS\r\n",
	    "read", "send:BOGUS\r\n", "read", "send:BOGUS\r\n", "read",
	    "send:BOGUS\r\n", "read", "read", "eof");
	EXPECT(&t, o, "220", "502", "502", "502", "502", "502", "421 4.7.0",
	    "EOF");
	free(o);
	/* idle timeout: 421 4.4.2 */
	o = RAW(&t, t.smtp, GREET, "read", "eof");
	EXPECT(&t, o, "220", "421 4.4.2", "EOF");
	free(o);
	/* data timeout: 421 4.4.2 in the middle of a message; nothing kept */
	o = RAW(&t, t.smtp, GREET, EHLO, "send:MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<alice@example.test>\r\nDATA\r\n", "read", "read",
	    "read", "send:Subject: half\r\n", "read", "eof");
	EXPECT(&t, o, "220", "250", "250", "250", "354", "421 4.4.2", "EOF");
	free(o);
	/* ESMTP parameters after HELO are unknown */
	o = RAW(&t, t.smtp, GREET, "send:HELO c.example\r\n", "read",
	    "send:MAIL FROM:<a@b.example> SIZE=10\r\n", "read",
	    "send:QUIT\r\n", "read");
	EXPECT(&t, o, "220", "250 mx.example.test", "555 5.5.4", "221");
	free(o);
	cr_assert_eq(queued(&t, NULL, NULL, NULL, pool), 0);
	mt_stop(&t);
	pool_free(&pool);
}

Test(mtad, starttls_and_auth_on_submission)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	struct queue_env env;
	char *o, *id, *body = NULL;

	mt_start(&t, URI, NULL);
	/* before TLS: no MAIL without AUTH, no AUTH */
	o = RAW(&t, t.sub, GREET, EHLO, "send:MAIL FROM:<alice@example.test>"
	    "\r\n", "read", "send:AUTH PLAIN AGFsaWNlAGRlbW8=\r\n", "read",
	    "send:STARTTLS\r\n", "read", "tls", "send:MAIL FROM:<a@b.example>"
	    "\r\n", "read", EHLO,
	    "send:AUTH PLAIN AGFsaWNlAHdyb25n\r\n", "read",
	    "send:AUTH PLAIN AGNhcm9sAGRlbW8=\r\n", "read",
	    "send:AUTH LOGIN\r\n", "read", "send:YWxpY2U=\r\n", "read",
	    "send:ZGVtbw==\r\n", "read",
	    "send:MAIL FROM:<bob@example.test>\r\n", "read",
	    "send:MAIL FROM:<alice.liddell@example.test>\r\n", "read",
	    "send:QUIT\r\n", "read");
	EXPECT(&t, o, "220", "250", "530 5.7.0", "538 5.7.11", "220 2.0.0",
	    "TLS", "503 5.5.1", "250", "535 5.7.8", "535 5.7.8", "334", "334",
	    "235 2.7.0", "553 5.7.1", "250 2.1.0", "221");
	free(o);
	/* smtplib: STARTTLS, AUTH, send-as granted (bob may send as info@),
	 * relay to a foreign domain */
	o = SEND(&t, t.sub, "--starttls", "--login", "bob:demo", "--from",
	    "info@example.test", "--to", "someone@elsewhere.example");
	EXPECT(&t, o, "MAIL 250", "RCPT 250", "DATA 250 2.0.0 Ok: queued as");
	id = queue_id_in(o);
	cr_assert_eq(queued(&t, id, &body, &env, pool), 1);
	cr_assert_str_eq(env.auth, "bob");
	cr_assert_str_neq(env.tls_version, "");
	cr_assert_not_null(strstr(body, "with ESMTPSA"), "%s", body);
	cr_assert_not_null(strstr(body, "(authenticated as bob)"), "%s", body);
	cr_assert_not_null(strstr(body, "(using TLS1."), "%s", body);
	free(body);
	free(id);
	free(o);
	/* send-as not granted */
	o = SEND(&t, t.sub, "--starttls", "--login", "alice:demo", "--from",
	    "bob@example.test", "--to", "someone@elsewhere.example");
	EXPECT(&t, o, "MAIL 553");
	free(o);
	/* implicit TLS */
	o = SEND(&t, t.subs, "--ssl", "--login", "alice:demo", "--from",
	    "alice@example.test", "--to", "bob@example.test");
	EXPECT(&t, o, "MAIL 250", "RCPT 250", "DATA 250 2.0.0 Ok: queued as");
	free(o);
	cr_assert(log_has(&t, "event=auth client=127.0.0.1 mech=PLAIN"
	    " user=bob"));
	cr_assert(log_has(&t, "reason=bad_password"));
	mt_stop(&t);
	pool_free(&pool);
}

Test(mtad, auth_plaintext_on_loopback_when_allowed)
{
	struct mt t;
	char *o;

	mt_start(&t, URI, "auth_plaintext_loopback = yes\n");
	o = RAW(&t, t.sub, GREET, EHLO, "send:AUTH PLAIN\r\n", "read",
	    "send:*\r\n", "read", "send:AUTH PLAIN\r\n", "read",
	    "send:AGFsaWNlAGRlbW8=\r\n",
	    "read", "send:MAIL FROM:<alice@example.test>\r\n", "read",
	    "send:RCPT TO:<staff@example.test>\r\n", "read",
	    "send:QUIT\r\n", "read");
	EXPECT(&t, o, "220", "250", "334", "501 5.0.0", "334", "235 2.7.0",
	    "250 2.1.0", "250 2.1.5", "221");
	free(o);
	mt_stop(&t);
}

Test(mtad, mail_loop_refused)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *o;

	mt_start(&t, URI, "max_received = 2\n");
	o = RAW(&t, t.smtp, GREET, EHLO, "send:MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<alice@example.test>\r\nDATA\r\n", "read", "read", "read",
	    "send:Received: from a\r\nReceived: from b\r\nSubject: x\r\n\r\n"
	    "loop\r\n.\r\n", "read",
	    "send:MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<alice@example.test>\r\nDATA\r\n", "read", "read", "read",
	    "send:Received: from a\r\nSubject: x\r\n\r\nok\r\n.\r\n", "read",
	    "send:QUIT\r\n", "read");
	EXPECT(&t, o, "220", "250", "250", "250", "354", "554 5.4.6", "250",
	    "250", "354", "250 2.0.0 Ok: queued as", "221");
	free(o);
	cr_assert_eq(queued(&t, NULL, NULL, NULL, pool), 1);
	mt_stop(&t);
	pool_free(&pool);
}

/* A connection held open by the test (greeting read). */
static int
hold(struct mt *t, uint16_t port)
{
	char buf[512];
	int fd = -1;
	ssize_t n = 0;

	/* the probe of itest_wait_listen may still hold its session */
	for (int i = 0; i < 50; i++) {
		fd = itest_connect("127.0.0.1", port, 5000);
		cr_assert_geq(fd, 0);
		memset(buf, 0, sizeof(buf));
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 3 && strncmp(buf, "421", 3) != 0)
			break;
		close(fd);
		usleep(100 * 1000);
	}
	ITEST_ASSERT(n > 3 && strncmp(buf, "220", 3) == 0, t->p,
	    "no greeting: %zd %s", n, n > 0 ? buf : "");
	return fd;
}

Test(mtad, connection_caps_per_client_and_listener)
{
	struct mt t;
	char *o;
	int fd;

	mt_start_l(&t, URI, NULL, "max_sessions = 2\nmax_per_client = 1\n");
	fd = hold(&t, t.smtp);
	o = RAW(&t, t.smtp, GREET, "eof");
	EXPECT(&t, o, "421 4.3.2", "EOF");
	free(o);
	/* another client address is still served, up to max_sessions */
	o = RAW(&t, t.smtp, "--source", "127.0.0.2", GREET, "send:QUIT\r\n",
	    "read");
	EXPECT(&t, o, "220", "221");
	free(o);
	close(fd);
	mt_stop(&t);

	mt_start_l(&t, URI, NULL, "max_sessions = 1\nmax_per_client = 0\n");
	fd = hold(&t, t.smtp);
	o = RAW(&t, t.smtp, "--source", "127.0.0.2", GREET, "eof");
	EXPECT(&t, o, "421 4.3.2", "EOF");
	free(o);
	close(fd);
	mt_stop(&t);
}

Test(mtad, smtputf8_and_dsn_parameters_stored)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	struct queue_env env;
	char *o, *id, *body = NULL;

	mt_start(&t, URI, NULL);
	o = RAW(&t, t.smtp, GREET, EHLO,
	    "send:MAIL FROM:<j\xc3\xb6rg@b.example>\r\n", "read",
	    "send:MAIL FROM:<j\xc3\xb6rg@b.example> SMTPUTF8 RET=HDRS"
	    " ENVID=env+2Bid BODY=8BITMIME\r\n", "read",
	    "send:RCPT TO:<\xc3\xbc@example.test>\r\n", "read",
	    "send:RCPT TO:<alice@example.test> NOTIFY=SUCCESS,FAILURE"
	    " ORCPT=rfc822;alice@example.test\r\n", "read",
	    "send:DATA\r\n", "read", "send:Subject: \xc3\xa4\r\n\r\nhi\r\n.\r\n",
	    "read", "send:QUIT\r\n", "read");
	EXPECT(&t, o, "220", "250", "553 5.6.7", "250 2.1.0", "550 5.1.1",
	    "250 2.1.5", "354", "250 2.0.0 Ok: queued as", "221");
	id = queue_id_in(o);
	cr_assert_eq(queued(&t, id, &body, &env, pool), 1);
	cr_assert_str_eq(env.sender, "j\xc3\xb6rg@b.example");
	cr_assert(env.smtputf8);
	cr_assert_eq(env.ret, QUEUE_RET_HDRS);
	cr_assert_eq(env.body, QUEUE_BODY_8BITMIME);
	cr_assert_str_eq(env.envid, "env+id");
	cr_assert_eq(env.nrcpts, 1);
	cr_assert_eq(env.rcpts[0].notify, QUEUE_NOTIFY_SUCCESS |
	    QUEUE_NOTIFY_FAILURE);
	cr_assert_str_eq(env.rcpts[0].orcpt, "rfc822;alice@example.test");
	free(body);
	free(id);
	free(o);
	mt_stop(&t);
	pool_free(&pool);
}

Test(mtad, starttls_discards_pipelined_plaintext)
{
	struct mt t;
	char *o;

	mt_start(&t, URI, NULL);
	/* RSET injected behind STARTTLS must not be answered inside TLS */
	o = RAW(&t, t.smtp, GREET, EHLO, "send:STARTTLS\r\nRSET\r\n", "read",
	    "tls", "send:NOOP\r\n", "read", "send:MAIL FROM:<a@b.example>\r\n",
	    "read", EHLO, "send:QUIT\r\n", "read");
	EXPECT(&t, o, "220", "250", "220 2.0.0", "TLS", "250 2.0.0",
	    "503 5.5.1", "250", "221");
	free(o);
	mt_stop(&t);
}

Test(mtad, swaks_submission_and_relay_denied)
{
	struct mt t;
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char server[32];
	int rc;

	/* this swaks has no TLS (Net::SSLeay): plaintext AUTH on loopback */
	mt_start(&t, URI, "auth_plaintext_loopback = yes\n");
	snprintf(server, sizeof(server), "127.0.0.1:%u", t.sub);
	{
		char *argv[] = { "swaks", "--server", server,
			"--auth", "LOGIN", "--auth-user", "alice",
			"--auth-password", "demo", "--from",
			"alice@example.test", "--to", "bob@example.test",
			"--helo", "swaks.example", NULL };

		rc = itest_run(argv, NULL, out, 30000);
	}
	ITEST_ASSERT(rc == 0 && strstr(buf_cstr(out),
	    "<-  250 2.0.0 Ok: queued as") != NULL, t.p, "swaks %d:\n%s", rc,
	    buf_cstr(out));
	buf_reset(out);
	snprintf(server, sizeof(server), "127.0.0.1:%u", t.smtp);
	{
		char *argv[] = { "swaks", "--server", server, "--from",
			"x@elsewhere.example", "--to", "y@elsewhere.example",
			"--helo", "swaks.example", NULL };

		rc = itest_run(argv, NULL, out, 30000);
	}
	ITEST_ASSERT(rc != 0 && strstr(buf_cstr(out),
	    "<** 554 5.7.1 <y@elsewhere.example>: Relay access denied") !=
	    NULL, t.p, "swaks %d:\n%s", rc, buf_cstr(out));
	buf_free(&out);
	mt_stop(&t);
}

Test(mtad, bdat_errors)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *o;

	mt_start(&t, URI, "max_message_size = 40\n");
	/* bare LF inside a chunk: 550 5.6.11 at the chunk; the next BDAT of
	 * the dead transaction is read and refused, the session goes on */
	o = RAW(&t, t.smtp, GREET, EHLO, "send:MAIL FROM:<a@b.example>\r\n"
	    "RCPT TO:<alice@example.test>\r\n", "read", "read",
	    "send:BDAT 12\r\nSubject: a\n\n", "read",
	    "send:BDAT 5 LAST\r\nb\r\n\r\n", "read",
	    /* over max_message_size across two chunks */
	    "send:MAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.test>\r\n",
	    "read", "read", "send:BDAT 30\r\n", "bytes:28:x", "send:\r\n",
	    "read", "send:BDAT 30 LAST\r\n", "bytes:28:y", "send:\r\n", "read",
	    "send:BDAT 3 LAST\r\nabc", "read", "send:QUIT\r\n", "read");
	EXPECT(&t, o, "220", "250", "250 2.1.0", "250 2.1.5", "550 5.6.11",
	    "503 5.5.1", "250 2.1.0", "250 2.1.5", "250 2.0.0 30 octets",
	    "552 5.3.4", "503 5.5.1", "221");
	free(o);
	cr_assert_eq(queued(&t, NULL, NULL, NULL, pool), 0);
	mt_stop(&t);
	pool_free(&pool);
}

/* Whether the message queued as id has a body (after our Received:
 * header) whose SHA-256 is hex. */
static bool
body_hash_is(struct queue *q, const char *id, const char *hex,
    struct pool *pool)
{
	struct queue_msg *m;
	const char *err;
	struct buf *b = buf_new(65536, 64 * 1024 * 1024);
	char chunk[65536], got[65];
	uint8_t dig[32];
	const char *p, *end;
	ssize_t k;
	int fd;

	if (queue_msg_open(q, QUEUE_INCOMING, id, pool, &m, &err) !=
	    QUEUE_MSG_OK) {
		fprintf(stderr, "%s: %s\n", id, err);
		buf_free(&b);
		return false;
	}
	fd = queue_msg_body_fd(m, &err);
	cr_assert_geq(fd, 0, "%s", err);
	while ((k = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(b, chunk, (size_t)k);
	close(fd);
	queue_msg_close(&m);
	/* skip "Received: ..." and its folded lines */
	p = (const char *)b->data;
	end = p + b->len;
	cr_assert(strncmp(p, "Received: ", 10) == 0);
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		cr_assert_not_null(nl);
		p = nl + 1;
		if (p >= end || *p != '\t')
			break;
	}
	cr_assert_eq(gnutls_hash_fast(GNUTLS_DIG_SHA256, p, (size_t)(end - p),
	    dig), 0);
	for (int i = 0; i < 32; i++)
		snprintf(got + 2 * i, 3, "%02x", dig[i]);
	buf_free(&b);
	if (strcmp(got, hex) != 0)
		fprintf(stderr, "%s: hash %s, client sent %s\n", id, got, hex);
	return strcmp(got, hex) == 0;
}

Test(mtad, kill9_under_load_loses_no_acknowledged_message, .timeout = 120)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	struct itest_proc *load;
	char *script = itest_srcpath("tests/integration/mtad_client.py");
	char *rec = NULL, *loadlog = NULL, port[8], line[256];
	const char *err;
	struct queue *q;
	size_t n = 0, tmp = 0;
	FILE *f;
	DIR *d;
	struct dirent *de;

	mt_start(&t, URI, NULL);
	cr_assert_geq(asprintf(&rec, "%s/acked.txt", t.dir), 0);
	cr_assert_geq(asprintf(&loadlog, "%s/load.log", t.dir), 0);
	snprintf(port, sizeof(port), "%u", t.smtp);
	{
		char *argv[] = { "python3", script, "load", port, "--clients",
			"20", "--seconds", "7", "--out", rec, NULL };

		load = itest_start(argv, NULL, loadlog);
	}
	cr_assert_not_null(load);
	srand((unsigned)getpid());
	for (int round = 0; round < 3; round++) {
		usleep((useconds_t)(700 + rand() % 800) * 1000);
		cr_assert_eq(kill(-t.p->pid, SIGKILL), 0);
		cr_assert_eq(itest_stop(&t.p, 1000), 128 + SIGKILL);
		mt_run(&t);
	}
	while (itest_alive(load))
		usleep(100 * 1000);
	ITEST_ASSERT(itest_stop(&load, 1000) == 0, t.p, "load client failed");
	/* a graceful stop, then a start: recovery finds nothing to clean */
	cr_assert_eq(itest_stop(&t.p, 5000), 0);
	mt_run(&t);
	q = queue_open(t.dir, NULL, pool, &err);
	cr_assert_not_null(q, "%s", err);
	f = fopen(rec, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char id[64], hex[80];

		cr_assert_eq(sscanf(line, "%63s %79s", id, hex), 2);
		ITEST_ASSERT(body_hash_is(q, id, hex, pool), t.p,
		    "acknowledged message %s lost or changed", id);
		n++;
	}
	fclose(f);
	queue_close(&q);
	itest_dump_log(loadlog);
	cr_assert_gt(n, 20, "only %zu messages acknowledged", n);
	{
		char *inc = NULL;

		cr_assert_geq(asprintf(&inc, "%s/queue/incoming", t.dir), 0);
		d = opendir(inc);
		cr_assert_not_null(d);
		while ((de = readdir(d)) != NULL)
			tmp += strstr(de->d_name, ".tmp") != NULL;
		closedir(d);
		free(inc);
	}
	cr_assert_eq(tmp, 0, "%zu temp files left", tmp);
	free(rec);
	free(loadlog);
	free(script);
	mt_stop(&t);
	pool_free(&pool);
}
