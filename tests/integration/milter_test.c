/*
 * tests/integration/milter_test.c - mtad's milter client end to end: the
 * built mtad against a real slapd, with a real libmilter milter
 * (tests/milter/testmilter, one behaviour per test) or Debian's opendkim
 * in the chain, driven over SMTP by tests/integration/mtad_client.py.
 * What mtad replies is asserted, and what lands in the queue (headers,
 * body, envelope, incoming/ or hold/) is read back with libtqueue.
 * Fault tests: a milter not listening, exiting mid-message, never
 * answering, sending garbage; each with the configured default action,
 * its log line and nothing half-committed in the queue.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

	(void)set;
	shared_dir = itest_tmpdir("milter-test");
	if (shared_dir != NULL && ldif != NULL)
		shared = itest_slapd_start(shared_dir, ldif);
	if (shared != NULL)
		setenv("MLTEST_URI", shared->uri, 1);
	free(ldif);
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	(void)st;
	itest_slapd_stop(&shared);
	itest_cleanup_dir(&shared_dir);
}

TestSuite(milter, .timeout = 90);

/* One test's mtad and milters. */
struct mt {
	char *dir;
	char *conf;
	char *log;
	uint16_t smtp, smtp2;
	struct itest_proc *p;
	struct itest_proc *milter[2];
	char *mlog[2];
	uint16_t mport[2];
	int grace[2];		/* ms after SIGTERM; 0: 2 s */
};

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static char *
builddir_path(const char *rel)
{
	const char *b = getenv("TESSERA_BUILDDIR");
	char *p = NULL;

	cr_assert_geq(asprintf(&p, "%s/%s", b ? b : ".", rel), 0);
	return p;
}

/* A fresh directory and two free ports for milters. */
static void
mt_init(struct mt *t)
{
	uint16_t ports[4];

	memset(t, 0, sizeof(*t));
	cr_assert_not_null(getenv("MLTEST_URI"), "slapd did not start");
	t->dir = itest_tmpdir("milter");
	cr_assert_not_null(t->dir);
	chmod(t->dir, 0755);
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		cr_assert_not_null(pw);
		cr_assert_eq(chown(t->dir, pw->pw_uid, pw->pw_gid), 0);
	}
	cr_assert_eq(itest_free_ports(ports, 4), 0);
	t->smtp = ports[0];
	t->smtp2 = ports[1];
	t->mport[0] = ports[2];
	t->mport[1] = ports[3];
	cr_assert_geq(asprintf(&t->conf, "%s/tessera.conf", t->dir), 0);
	cr_assert_geq(asprintf(&t->log, "%s/mtad.log", t->dir), 0);
}

/* Start testmilter number i in mode on its port. */
static void
milter_start(struct mt *t, int i, const char *mode)
{
	char *bin = builddir_path("tests/milter/testmilter");
	char sock[64];

	snprintf(sock, sizeof(sock), "inet:%u@127.0.0.1", t->mport[i]);
	cr_assert_geq(asprintf(&t->mlog[i], "%s/milter%d.log", t->dir, i), 0);
	{
		char *argv[] = { bin, sock, (char *)mode, t->mlog[i], NULL };

		t->milter[i] = itest_start(argv, NULL, t->mlog[i]);
	}
	free(bin);
	cr_assert_not_null(t->milter[i]);
	cr_assert_eq(itest_wait_listen_proc(t->milter[i], "127.0.0.1",
	    t->mport[i], 10000), 0, "testmilter does not listen");
}

/* Write the configuration (milter_conf: [milter.*] sections and
 * anything else, mtad_extra: lines of [mtad]) and start mtad. */
static void
mt_run(struct mt *t, const char *mtad_extra, const char *milter_conf)
{
	char *text = NULL, *bin = builddir_path("mtad/mtad");

	cr_assert_geq(asprintf(&text,
	    "[global]\nrun_dir = %s\nstate_dir = %s\nuser = nobody\n"
	    "directory_user = nobody\nlog_level = debug\nshutdown_grace = 1s\n"
	    "[directory]\nuris = %s\nbase_dn = " BASE "\nstarttls = no\n"
	    "[lookup]\nquery_timeout = 5s\n"
	    "[mtad]\nhostname = mx.example.test\nqueue_manager = no\n%s"
	    "[mtad.listener.smtp]\nport = %u\n"
	    "[mtad.listener.inbound]\nport = %u\n%s",
	    t->dir, t->dir, getenv("MLTEST_URI"),
	    mtad_extra != NULL ? mtad_extra : "", t->smtp, t->smtp2,
	    milter_conf), 0);
	write_file(t->conf, text);
	free(text);
	{
		char *argv[] = { bin, "-c", t->conf, "-f", NULL };

		t->p = itest_start(argv, NULL, t->log);
	}
	free(bin);
	cr_assert_not_null(t->p);
	cr_assert_eq(itest_wait_listen_proc(t->p, "127.0.0.1", t->smtp,
	    10000), 0, "mtad does not listen");
}

/* A [milter.NAME] section for testmilter i, plus extra lines. */
static char *
milter_section(struct mt *t, const char *name, int i, const char *extra)
{
	char *s = NULL;

	cr_assert_geq(asprintf(&s, "[milter.%s]\nsocket = inet:127.0.0.1:%u\n"
	    "%s", name, t->mport[i], extra != NULL ? extra : ""), 0);
	return s;
}

static void
mt_stop(struct mt *t)
{
	int st = itest_stop(&t->p, 5000);

	for (int i = 0; i < 2; i++) {
		itest_stop(&t->milter[i], t->grace[i] > 0 ? t->grace[i] :
		    2000);
		free(t->mlog[i]);
	}
	cr_expect_eq(st, 0, "mtad exit status %d", st);
	itest_cleanup_dir(&t->dir);
	free(t->conf);
	free(t->log);
}

/* mtad_client.py raw on port with steps; its output. */
static char *
raw(struct mt *t, uint16_t port, const char *const *steps)
{
	char *script = itest_srcpath("tests/integration/mtad_client.py");
	char portstr[8];
	char *argv[64];
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	size_t n = 0;
	int rc;
	char *s;

	snprintf(portstr, sizeof(portstr), "%u", port);
	argv[n++] = "python3";
	argv[n++] = script;
	argv[n++] = "raw";
	argv[n++] = portstr;
	for (size_t i = 0; steps[i] != NULL && n < 63; i++)
		argv[n++] = (char *)steps[i];
	argv[n] = NULL;
	rc = itest_run(argv, NULL, out, 60000);
	ITEST_ASSERT(rc == 0, t->p, "client failed (%d): %s", rc,
	    buf_cstr(out));
	free(script);
	s = strdup(buf_cstr(out));
	buf_free(&out);
	return s;
}

#define RAW(t, port, ...) raw((t), (port), \
	(const char *const[]){ __VA_ARGS__, NULL })

#define MSG "Subject: hello\r\nFrom: <someone@elsewhere.example>\r\n" \
	"To: <alice@example.test>\r\n\r\nbody line one\r\nbody line two\r\n"

/* One message from someone@elsewhere.example to alice (and bob). */
static char *
send_msg(struct mt *t, bool bob)
{
	return RAW(t, t->smtp, "read", "send:EHLO client.example.net\r\n",
	    "read", "send:MAIL FROM:<someone@elsewhere.example>\r\n", "read",
	    "send:RCPT TO:<alice@example.test>\r\n", "read",
	    bob ? "send:RCPT TO:<bob@example.test>\r\n" : "send:NOOP\r\n",
	    "read", "send:DATA\r\n", "read", "send:" MSG ".\r\n", "read",
	    "send:QUIT\r\n", "read");
}

/* Line i (0-based) of the client's output. */
static char *
line_of(const char *out, int i)
{
	const char *p = out;

	for (; i > 0 && p != NULL; i--) {
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	cr_assert_not_null(p, "no line %d in:\n%s", i, out);
	return strndup(p, strcspn(p, "\n"));
}

#define LINE_DATA_END 6		/* reply to the message's final dot */
#define LINE_MAIL 2
#define LINE_RCPT2 4

static void
expect_line(struct mt *t, const char *out, int i, const char *prefix)
{
	char *l = line_of(out, i);

	ITEST_ASSERT(strncmp(l, prefix, strlen(prefix)) == 0, t->p,
	    "reply %d: want \"%s\", got \"%s\" in:\n%s", i, prefix, l, out);
	free(l);
}

/* Whether path has a line with needle after a line with anchor (NULL:
 * anywhere), waiting up to 10 s for it. */
static bool
file_has_after(const char *path, const char *anchor, const char *needle)
{
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		char line[8192];
		bool after = anchor == NULL, found = false;

		if (f != NULL) {
			while (!found && fgets(line, sizeof(line), f) != NULL) {
				found = after && strstr(line, needle) != NULL;
				after = after || strstr(line, anchor) != NULL;
			}
			fclose(f);
		}
		if (found)
			return true;
		usleep(20 * 1000);
	}
	return false;
}

static bool
file_has(const char *path, const char *needle)
{
	return file_has_after(path, NULL, needle);
}

#define LOG_HAS(t, needle) ITEST_ASSERT(file_has((t)->log, (needle)), \
	(t)->p, "mtad log lacks \"%s\"", (needle))
#define MLOG_HAS(t, i, needle) ITEST_ASSERT(file_has((t)->mlog[i], \
	(needle)), (t)->p, "milter log %s lacks \"%s\"", (t)->mlog[i], \
	(needle))

/* Files in queue directory d (messages and anything else). */
static size_t
files_in(struct mt *t, const char *d)
{
	char *path = NULL;
	DIR *dp;
	struct dirent *de;
	size_t n = 0;

	cr_assert_geq(asprintf(&path, "%s/queue/%s", t->dir, d), 0);
	dp = opendir(path);
	cr_assert_not_null(dp, "%s", path);
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dp);
	free(path);
	return n;
}

/* The only message of directory d: its bytes and envelope. */
static char *
queued(struct mt *t, enum queue_dir d, struct queue_env *env_out,
    struct pool *pool)
{
	const char *err;
	struct queue *q = queue_open(t->dir, NULL, pool, &err);
	struct queue_msg *m;
	struct buf *b = buf_new(4096, 16 * 1024 * 1024);
	char **ids, chunk[4096], *s;
	size_t n;
	ssize_t k;
	int fd;

	cr_assert_not_null(q, "%s", err);
	cr_assert_eq(queue_scan_ids(q, d, pool, &ids, &n, &err), 0, "%s", err);
	ITEST_ASSERT(n == 1, t->p, "%zu messages in %s", n,
	    queue_dir_name(d));
	cr_assert_eq(queue_msg_open(q, d, ids[0], pool, &m, &err),
	    QUEUE_MSG_OK, "%s", err);
	fd = queue_msg_body_fd(m, &err);
	cr_assert_geq(fd, 0, "%s", err);
	while ((k = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(b, chunk, (size_t)k);
	close(fd);
	if (env_out != NULL)
		*env_out = m->env;
	queue_msg_close(&m);
	queue_close(&q);
	s = strdup(buf_cstr(b));
	buf_free(&b);
	return s;
}

/* Start milter 0 in mode with extra [milter.t] lines and mtad. */
static void
setup1(struct mt *t, const char *mode, const char *extra)
{
	char *sec;

	mt_init(t);
	if (mode != NULL)
		milter_start(t, 0, mode);
	sec = milter_section(t, "t", 0, extra);
	mt_run(t, NULL, sec);
	free(sec);
}

Test(milter, pass_sends_stages_and_macros)
{
	struct mt t;
	char *o, *body, *qid, *want;
	struct pool *pool = pool_new("t");

	setup1(&t, "pass", NULL);
	o = send_msg(&t, false);
	expect_line(&t, o, LINE_DATA_END, "250 2.0.0 Ok: queued as ");
	qid = strdup(strstr(o, "queued as ") + 10);
	qid[strcspn(qid, "\r\n ")] = '\0';
	MLOG_HAS(&t, 0, "connect host=[127.0.0.1] client_addr=127.0.0.1"
	    " j=mx.example.test daemon_name=mtad");
	MLOG_HAS(&t, 0, "helo client.example.net");
	MLOG_HAS(&t, 0, "mail <someone@elsewhere.example>"
	    " mail_addr=someone@elsewhere.example auth_authen=-");
	MLOG_HAS(&t, 0, "rcpt <alice@example.test>"
	    " rcpt_addr=alice@example.test");
	MLOG_HAS(&t, 0, "header Subject: hello");
	MLOG_HAS(&t, 0, "header To: <alice@example.test>");
	cr_assert_geq(asprintf(&want, "eom i=%s body=30", qid), 0);
	MLOG_HAS(&t, 0, want);
	/* the probe of mt_run's itest_wait_listen_proc logged a connect and
	 * a close of its own before: this session's close follows its eom */
	ITEST_ASSERT(file_has_after(t.mlog[0], want, "close"), t.p,
	    "milter log %s lacks a close after \"%s\"", t.mlog[0], want);
	body = queued(&t, QUEUE_INCOMING, NULL, pool);
	cr_assert_not_null(strstr(body, MSG), "%s", body);
	cr_assert_eq(files_in(&t, "incoming"), 1);
	free(want);
	free(qid);
	free(body);
	free(o);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, reject_at_rcpt_refuses_that_recipient)
{
	struct mt t;
	char *o;
	struct queue_env env;
	struct pool *pool = pool_new("t");

	setup1(&t, "reject-rcpt", NULL);
	o = send_msg(&t, true);
	expect_line(&t, o, 3, "250 ");
	expect_line(&t, o, LINE_RCPT2, "550 5.7.1 Recipient refused by"
	    " testmilter");
	expect_line(&t, o, LINE_DATA_END, "250 2.0.0 Ok: queued as ");
	LOG_HAS(&t, "event=milter-reply");
	LOG_HAS(&t, "stage=rcpt action=replycode code=550 enh=5.7.1");
	free(queued(&t, QUEUE_INCOMING, &env, pool));
	cr_assert_eq(env.nrcpts, 1);
	cr_assert_str_eq(env.rcpts[0].addr, "alice@example.test");
	free(o);
	mt_stop(&t);
	pool_free(&pool);
}

/* A verdict at end of message: reply, and nothing left in the queue. */
static void
verdict(const char *mode, const char *extra, const char *reply,
    const char *logline)
{
	struct mt t;
	char *o;

	setup1(&t, mode, extra);
	o = send_msg(&t, false);
	expect_line(&t, o, LINE_DATA_END, reply);
	if (logline != NULL)
		LOG_HAS(&t, logline);
	cr_assert_eq(files_in(&t, "incoming"), 0, "something was queued");
	cr_assert_eq(files_in(&t, "hold"), 0);
	free(o);
	mt_stop(&t);
}

Test(milter, tempfail_at_eom)
{
	verdict("tempfail", NULL, "451 4.7.1 ", "stage=eom action=tempfail");
}

Test(milter, reject_at_eom_with_its_reply)
{
	verdict("reject-eom", NULL, "554 5.7.1 Message refused by testmilter",
	    "stage=eom action=replycode code=554");
}

Test(milter, multiline_reply)
{
	verdict("reject-ml", NULL, "550 5.7.1 line two",
	    "text=\"Refused, line one\\x0aline two\"");
}

Test(milter, discard_says_250_and_keeps_nothing)
{
	verdict("discard", NULL, "250 2.0.0 Ok: queued as ",
	    "event=discarded");
}

/* A message through a milter in mode: its queued bytes (incoming/). */
static char *
edited(struct mt *t, const char *mode, const char *extra,
    struct queue_env *env, struct pool *pool, bool bob)
{
	char *o, *body;

	setup1(t, mode, extra);
	o = send_msg(t, bob);
	expect_line(t, o, LINE_DATA_END, "250 2.0.0 Ok: queued as ");
	body = queued(t, QUEUE_INCOMING, env, pool);
	cr_assert_eq(files_in(t, "incoming"), 1, "temp files left behind");
	free(o);
	return body;
}

Test(milter, add_and_insert_header)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *b = edited(&t, "addheader", NULL, NULL, pool, false);
	const char *first = strstr(b, "X-Test-First: inserted\r\n\tfolded\r\n"
	    "Subject: hello\r\n");
	const char *last = strstr(b, "To: <alice@example.test>\r\n"
	    "X-Test-Milter: added by testmilter\r\n\r\nbody line one\r\n");

	cr_assert_not_null(first, "inserted header not first:\n%s", b);
	cr_assert_eq(strncmp(b, "Received: ", 10), 0, "%s", b);
	cr_assert_not_null(last, "added header not last:\n%s", b);
	LOG_HAS(&t, "event=milter-edits");
	free(b);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, change_header)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *b = edited(&t, "chgheader", NULL, NULL, pool, false);

	cr_assert_not_null(strstr(b, "\r\nSubject: changed by testmilter\r\n"
	    "From: "), "%s", b);
	cr_assert_null(strstr(b, "hello"), "%s", b);
	free(b);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, delete_header)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *b = edited(&t, "delheader", NULL, NULL, pool, false);

	cr_assert_null(strstr(b, "Subject"), "%s", b);
	cr_assert_not_null(strstr(b, "From: <someone@elsewhere.example>\r\n"
	    "To: <alice@example.test>\r\n\r\nbody line one\r\n"), "%s", b);
	free(b);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, replace_body)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *b = edited(&t, "replbody", NULL, NULL, pool, false);
	const char *sep = strstr(b, "\r\n\r\n");

	cr_assert_not_null(sep, "%s", b);
	cr_assert_str_eq(sep + 4, "replaced body\r\nline two\r\n");
	cr_assert_not_null(strstr(b, "Subject: hello\r\n"), "%s", b);
	free(b);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, add_recipient)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	struct queue_env env;
	char *b = edited(&t, "addrcpt", NULL, &env, pool, false);

	cr_assert_eq(env.nrcpts, 2);
	cr_assert_str_eq(env.rcpts[0].addr, "alice@example.test");
	cr_assert_str_eq(env.rcpts[1].addr, "bob@example.test");
	free(b);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, delete_recipient)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	struct queue_env env;
	char *b = edited(&t, "delrcpt", NULL, &env, pool, true);

	cr_assert_eq(env.nrcpts, 1);
	cr_assert_str_eq(env.rcpts[0].addr, "alice@example.test");
	free(b);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, change_sender)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	struct queue_env env;
	char *b = edited(&t, "chgfrom", NULL, &env, pool, false);

	cr_assert_str_eq(env.sender, "bounces@example.test");
	free(b);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, quarantine_goes_to_hold)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *o, *b;

	setup1(&t, "quarantine", NULL);
	o = send_msg(&t, false);
	expect_line(&t, o, LINE_DATA_END, "250 2.0.0 Ok: queued as ");
	cr_assert_eq(files_in(&t, "incoming"), 0);
	b = queued(&t, QUEUE_HOLD, NULL, pool);
	cr_assert_not_null(strstr(b, MSG), "%s", b);
	LOG_HAS(&t, "event=quarantined");
	LOG_HAS(&t, "reason=\"testmilter says hold\"");
	free(b);
	free(o);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, not_listening_tempfails_at_mail)
{
	struct mt t;
	char *o;

	setup1(&t, NULL, "connect_timeout = 1s\n");
	o = send_msg(&t, false);
	expect_line(&t, o, LINE_MAIL, "451 4.7.1 Service unavailable");
	LOG_HAS(&t, "event=milter-error");
	LOG_HAS(&t, "milter=t stage=connect error=\"connect inet:127.0.0.1:");
	LOG_HAS(&t, "action=tempfail");
	cr_assert_eq(files_in(&t, "incoming"), 0);
	free(o);
	mt_stop(&t);
}

Test(milter, not_listening_with_accept_goes_on)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *o, *b;

	setup1(&t, NULL, "default_action = accept\n");
	o = send_msg(&t, false);
	expect_line(&t, o, LINE_DATA_END, "250 2.0.0 Ok: queued as ");
	LOG_HAS(&t, "action=accept");
	b = queued(&t, QUEUE_INCOMING, NULL, pool);
	free(b);
	free(o);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, never_answers_times_out)
{
	verdict("hang", "eom_timeout = 1s\n", "451 4.7.1 ",
	    "stage=eom error=\"read: timeout\" action=tempfail");
}

Test(milter, never_answers_with_accept_queues)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *b = edited(&t, "hang", "eom_timeout = 1s\n"
	    "default_action = accept\n", NULL, pool, false);

	cr_assert_not_null(strstr(b, MSG), "%s", b);
	LOG_HAS(&t, "stage=eom error=\"read: timeout\" action=accept");
	free(b);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, exits_mid_message)
{
	verdict("exit", NULL, "451 4.7.1 ", "error=\"connection closed by the"
	    " milter\" action=tempfail");
}

Test(milter, malformed_packet)
{
	verdict("garbage", NULL, "451 4.7.1 ", "error=\"bad reply: unknown"
	    " reply command (command 0x5a)\" action=tempfail");
}

Test(milter, packet_over_the_limit)
{
	verdict("huge", NULL, "451 4.7.1 ", "error=\"bad reply: packet larger"
	    " than max_packet_size\"");
}

Test(milter, max_packet_size_is_enforced)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *b;

	/* a 5000-byte header value: over 2k, within the default */
	verdict("bighdr", "max_packet_size = 2k\n", "451 4.7.1 ",
	    "packet larger than max_packet_size");
	b = edited(&t, "bighdr", NULL, NULL, pool, false);
	cr_assert_not_null(strstr(b, "X-Big: xxxx"), "%s", b);
	free(b);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, max_edits_is_enforced)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *b;

	/* five headers added: over 4, at 5 */
	verdict("manyedits", "max_edits = 4\n", "451 4.7.1 ",
	    "error=\"more modifications than max_edits\"");
	b = edited(&t, "manyedits", "max_edits = 5\n", NULL, pool, false);
	cr_assert_not_null(strstr(b, "X-Many: one more\r\nX-Many: one more\r\n"
	    "X-Many: one more\r\nX-Many: one more\r\nX-Many: one more\r\n\r\n"),
	    "%s", b);
	free(b);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, never_answers_negotiation)
{
	struct mt t;
	char *o;

	setup1(&t, "silent", "connect_timeout = 500ms\n");
	o = send_msg(&t, false);
	expect_line(&t, o, LINE_MAIL, "451 4.7.1 Service unavailable");
	LOG_HAS(&t, "stage=connect error=\"read: timeout\" action=tempfail");
	cr_assert_eq(files_in(&t, "incoming"), 0);
	free(o);
	mt_stop(&t);
}

Test(milter, command_timeout_at_helo)
{
	struct mt t;
	char *o;

	setup1(&t, "hang-helo", "command_timeout = 500ms\n");
	o = RAW(&t, t.smtp, "read", "send:EHLO client.example.net\r\n",
	    "read", "send:MAIL FROM:<someone@elsewhere.example>\r\n",
	    "read", "send:QUIT\r\n", "read");
	expect_line(&t, o, 1, "451 4.7.1 Service unavailable");
	expect_line(&t, o, 2, "503 ");	/* no HELO accepted */
	LOG_HAS(&t, "stage=helo error=\"read: timeout\" action=tempfail");
	free(o);
	mt_stop(&t);
}

Test(milter, body_in_chunks_and_bdat)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *o, *b, *cmd = NULL, *msg = NULL;
	char body[2601];

	/* 2600 body bytes in 1k chunks: three BODY packets */
	memset(body, 'b', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	for (size_t i = 98; i < sizeof(body) - 2; i += 100) {
		body[i] = '\r';
		body[i + 1] = '\n';
	}
	body[sizeof(body) - 3] = '\r';
	body[sizeof(body) - 2] = '\n';
	setup1(&t, "addheader", "body_chunk_size = 1k\n");
	cr_assert_geq(asprintf(&msg, "Subject: bdat\r\n\r\n%s", body), 0);
	cr_assert_geq(asprintf(&cmd, "send:BDAT %zu LAST\r\n%s",
	    strlen(msg), msg), 0);
	o = RAW(&t, t.smtp, "read", "send:EHLO client.example.net\r\n",
	    "read", "send:MAIL FROM:<someone@elsewhere.example>\r\n",
	    "read", "send:RCPT TO:<alice@example.test>\r\n", "read", cmd,
	    "read", "send:QUIT\r\n", "read");
	expect_line(&t, o, 4, "250 2.0.0 Ok: queued as ");
	MLOG_HAS(&t, 0, "body=2600");
	MLOG_HAS(&t, 0, "chunks=3");
	b = queued(&t, QUEUE_INCOMING, NULL, pool);
	cr_assert_not_null(strstr(b, "X-Test-First: inserted\r\n\tfolded\r\n"
	    "Subject: bdat\r\nX-Test-Milter: added by testmilter\r\n\r\n"),
	    "%s", b);
	cr_assert_not_null(strstr(b, body), "body changed");
	free(b);
	free(o);
	free(cmd);
	free(msg);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, tempfail_then_retry_when_back)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *o, *b;

	/* down: 451 and nothing queued; up again: the retry is queued */
	setup1(&t, NULL, NULL);
	o = send_msg(&t, false);
	expect_line(&t, o, LINE_MAIL, "451 4.7.1");
	free(o);
	cr_assert_eq(files_in(&t, "incoming"), 0);
	milter_start(&t, 0, "addheader");
	o = send_msg(&t, false);
	expect_line(&t, o, LINE_DATA_END, "250 2.0.0 Ok: queued as ");
	b = queued(&t, QUEUE_INCOMING, NULL, pool);
	cr_assert_not_null(strstr(b, "X-Test-Milter: added"), "%s", b);
	free(b);
	free(o);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, chain_runs_in_order_and_per_listener)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	char *a, *c, *all, *o, *b;

	mt_init(&t);
	milter_start(&t, 0, "addheader");
	milter_start(&t, 1, "chgheader");
	a = milter_section(&t, "first", 0, NULL);
	c = milter_section(&t, "second", 1, "listeners = smtp\n");
	cr_assert_geq(asprintf(&all, "%s%s", a, c), 0);
	mt_run(&t, "milters = second, first\n", all);
	o = send_msg(&t, false);
	expect_line(&t, o, LINE_DATA_END, "250 2.0.0 Ok: queued as ");
	b = queued(&t, QUEUE_INCOMING, NULL, pool);
	cr_assert_not_null(strstr(b, "Subject: changed by testmilter"), "%s",
	    b);
	cr_assert_not_null(strstr(b, "X-Test-Milter: added"), "%s", b);
	free(b);
	free(o);
	/* the inbound listener has only "first" */
	o = RAW(&t, t.smtp2, "read", "send:EHLO c.example\r\n", "read",
	    "send:QUIT\r\n", "read");
	free(o);
	MLOG_HAS(&t, 0, "helo c.example");
	{
		FILE *f = fopen(t.mlog[1], "r");
		char line[4096];

		cr_assert_not_null(f);
		while (fgets(line, sizeof(line), f) != NULL)
			cr_assert_null(strstr(line, "helo c.example"),
			    "second milter used on the inbound listener");
		fclose(f);
	}
	free(a);
	free(c);
	free(all);
	mt_stop(&t);
	pool_free(&pool);
}

Test(milter, config_names_must_exist)
{
	struct mt t;
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	char *bin = builddir_path("mtad/mtad");
	char *text = NULL;
	int rc;

	mt_init(&t);
	cr_assert_geq(asprintf(&text, "[mtad]\nmilters = nosuch\n"
	    "[mtad.listener.smtp]\nport = %u\n[milter.t]\n"
	    "socket = inet:127.0.0.1:%u\nlisteners = nolistener\n"
	    "[milter.u]\nsocket = tcp:somewhere\n", t.smtp, t.mport[0]), 0);
	write_file(t.conf, text);
	{
		char *argv[] = { bin, "-n", "-c", t.conf, NULL };

		rc = itest_run(argv, NULL, out, 10000);
	}
	cr_assert_eq(rc, 78, "%s", buf_cstr(out));
	cr_assert_not_null(strstr(buf_cstr(out),
	    "[milter.u]: socket: expected unix:PATH"), "%s",
	    buf_cstr(out));
	free(text);
	buf_reset(out);
	cr_assert_geq(asprintf(&text, "[directory]\nuris = ldap://127.0.0.1:9"
	    "\nbase_dn = " BASE "\n[mtad]\nmilters = nosuch\n"
	    "[mtad.listener.smtp]\nport = %u\n[milter.t]\n"
	    "socket = inet:127.0.0.1:%u\nlisteners = nolistener\n", t.smtp,
	    t.mport[0]), 0);
	write_file(t.conf, text);
	{
		char *argv[] = { bin, "-n", "-c", t.conf, NULL };

		rc = itest_run(argv, NULL, out, 10000);
	}
	cr_assert_eq(rc, 78, "%s", buf_cstr(out));
	cr_assert_not_null(strstr(buf_cstr(out), "[mtad] milters: no"
	    " [milter.nosuch] section"), "%s", buf_cstr(out));
	cr_assert_not_null(strstr(buf_cstr(out), "[milter.t] listeners: no"
	    " [mtad.listener.nolistener] section"), "%s", buf_cstr(out));
	free(text);
	free(bin);
	buf_free(&out);
	itest_cleanup_dir(&t.dir);
	free(t.conf);
	free(t.log);
}

/* Start Debian's opendkim with configuration text on milter port i. */
static void
opendkim_start(struct mt *t, int i, const char *conf_text)
{
	char *conf = NULL;

	cr_assert_geq(asprintf(&conf, "%s/opendkim%d.conf", t->dir, i), 0);
	cr_assert_geq(asprintf(&t->mlog[i], "%s/opendkim%d.log", t->dir, i),
	    0);
	write_file(conf, conf_text);
	{
		char *argv[] = { "opendkim", "-f", "-x", conf, NULL };

		t->milter[i] = itest_start(argv, NULL, t->mlog[i]);
	}
	/* libmilter notices SIGTERM within its 5 s poll */
	t->grace[i] = 8000;
	cr_assert_not_null(t->milter[i]);
	ITEST_ASSERT(itest_wait_listen_proc(t->milter[i], "127.0.0.1",
	    t->mport[i], 10000) == 0, t->milter[i], "opendkim does not"
	    " listen");
	free(conf);
}

#define DKIM_MSG "From: Someone <someone@example.test>\r\n" \
	"To: <alice@example.test>\r\nSubject: signed\r\n" \
	"Date: Sun, 06 Dec 2026 01:00:00 +0000\r\n" \
	"Message-ID: <dkim-1@example.test>\r\n\r\nSigned body.\r\n"

Test(milter, opendkim_signs_and_verifies, .timeout = 120)
{
	struct mt t;
	struct pool *pool = pool_new("t");
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	char *text = NULL, *dns = NULL, *key = NULL, *o, *b, *id, *path = NULL;
	char *step = NULL, *secs = NULL, *rec;
	FILE *f;
	char line[4096];

	mt_init(&t);
	{
		char *argv[] = { "opendkim-genkey", "-D", t.dir, "-d",
			"example.test", "-s", "test", NULL };

		cr_assert_eq(itest_run(argv, NULL, out, 60000), 0, "%s",
		    buf_cstr(out));
	}
	/* the public key as a TXT record for opendkim's test DNS data */
	cr_assert_geq(asprintf(&path, "%s/test.txt", t.dir), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	buf_reset(out);
	while (fgets(line, sizeof(line), f) != NULL)
		for (char *q = strchr(line, '"'); q != NULL;
		    q = strchr(q + 1, '"')) {
			char *e = strchr(q + 1, '"');

			cr_assert_not_null(e);
			buf_append(out, q + 1, (size_t)(e - q - 1));
			q = e;
		}
	fclose(f);
	rec = strdup(buf_cstr(out));
	cr_assert_not_null(strstr(rec, "p=MII"), "%s", rec);
	cr_assert_geq(asprintf(&dns, "%s/dns.txt", t.dir), 0);
	cr_assert_geq(asprintf(&text, "test._domainkey.example.test %s\n",
	    rec), 0);
	write_file(dns, text);
	free(text);
	cr_assert_geq(asprintf(&key, "%s/test.private", t.dir), 0);
	cr_assert_geq(asprintf(&text, "Mode s\nDomain example.test\n"
	    "Selector test\nKeyFile %s\nCanonicalization simple/simple\n"
	    "Socket inet:%u@127.0.0.1\nSyslog no\nLogWhy yes\n"
	    "InternalHosts 127.0.0.1\nRequireSafeKeys no\n"
	    "PidFile %s/opendkim0.pid\n", key, t.mport[0], t.dir), 0);
	opendkim_start(&t, 0, text);
	free(text);
	cr_assert_geq(asprintf(&text, "Mode v\nSocket inet:%u@127.0.0.1\n"
	    "Syslog no\nLogWhy yes\nTestDNSData file:%s\n"
	    "AuthservID verifier.example.test\nInternalHosts 192.0.2.1\n"
	    "AlwaysAddARHeader yes\nPidFile %s/opendkim1.pid\n", t.mport[1],
	    dns, t.dir), 0);
	opendkim_start(&t, 1, text);
	free(text);
	cr_assert_geq(asprintf(&secs, "[milter.sign]\n"
	    "socket = inet:127.0.0.1:%u\nlisteners = smtp\n"
	    "[milter.verify]\nsocket = inet:127.0.0.1:%u\n"
	    "listeners = inbound\n", t.mport[0], t.mport[1]), 0);
	mt_run(&t, NULL, secs);
	/* outbound: signed */
	o = RAW(&t, t.smtp, "read", "send:EHLO client.example.test\r\n",
	    "read", "send:MAIL FROM:<someone@example.test>\r\n", "read",
	    "send:RCPT TO:<alice@example.test>\r\n", "read", "send:NOOP\r\n",
	    "read", "send:DATA\r\n", "read", "send:" DKIM_MSG ".\r\n", "read",
	    "send:QUIT\r\n", "read");
	expect_line(&t, o, LINE_DATA_END, "250 2.0.0 Ok: queued as ");
	b = queued(&t, QUEUE_INCOMING, NULL, pool);
	ITEST_ASSERT(strstr(b, "\r\nDKIM-Signature: v=1; a=rsa-sha256;"
	    " c=simple/simple; d=example.test;") != NULL, t.milter[0],
	    "no signature:\n%s", b);
	id = strndup(strstr(o, "queued as ") + 10, 18);
	free(path);
	cr_assert_geq(asprintf(&path, "%s/queue/incoming/%s", t.dir, id), 0);
	cr_assert_eq(unlink(path), 0, "%s", path);
	free(o);
	/* inbound: the signed message as received verifies */
	cr_assert_geq(asprintf(&step, "send:%s.\r\n", b), 0);
	o = RAW(&t, t.smtp2, "read", "send:EHLO mx.example.test\r\n",
	    "read", "send:MAIL FROM:<someone@example.test>\r\n", "read",
	    "send:RCPT TO:<alice@example.test>\r\n", "read", "send:NOOP\r\n",
	    "read", "send:DATA\r\n", "read", step, "read", "send:QUIT\r\n",
	    "read");
	expect_line(&t, o, LINE_DATA_END, "250 2.0.0 Ok: queued as ");
	free(b);
	b = queued(&t, QUEUE_INCOMING, NULL, pool);
	ITEST_ASSERT(strstr(b, "Authentication-Results: verifier.example.test;"
	    "\r\n\tdkim=pass") != NULL || strstr(b, "Authentication-Results:"
	    " verifier.example.test; dkim=pass") != NULL, t.milter[1],
	    "not verified:\n%s", b);
	if (getenv("MILTER_TEST_SHOW") != NULL)
		fprintf(stderr, "%s", b);
	free(b);
	free(o);
	free(step);
	free(id);
	free(rec);
	free(dns);
	free(key);
	free(path);
	free(secs);
	buf_free(&out);
	mt_stop(&t);
	pool_free(&pool);
}
