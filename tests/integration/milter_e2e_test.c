/*
 * tests/integration/milter_e2e_test.c - the project's milters under mtad,
 * end to end: a real slapd, the built accessd (LMTP, POP3), the built
 * mtad with its queue manager, and the built tessera-virusd (signatures
 * of tests/data/clamav) and tessera-spamd (trained on tests/data/spam)
 * as its [milter.virus] and [milter.spam]. Mail goes in over SMTP
 * (tests/integration/milter_send.py) and is read back over POP3
 * (tests/integration/accessd_client.py): the EICAR string bare, inline,
 * in a base64 attachment and zipped is refused at the end of DATA with
 * 554 5.7.1 naming the signature and nothing is queued; ham arrives with
 * X-Spam-Status: No and virusd's X-Virus-Scanned; spam is refused with
 * 550 5.7.1 or tagged Yes, per the thresholds. Nothing is mocked.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "mtad/queue.h"
#include "tests/integration/itest.h"
#include "tests/integration/itest_milters.h"
#include "lib/banned.h"

#define BASE "dc=example,dc=test"
#define SENDER "sender@remote.example"
#define RCPT "alice@example.test"

const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

static struct itest_slapd *shared;
static char *shared_dir;

/* The slapd, the trained database and the test messages, shared by the
 * tests (each runs in a process of its own: handed over by env). */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char *ldif = itest_srcpath("schema/samples/example.test.ldif");
	char *db = NULL, *msgs = NULL;

	(void)set;
	shared_dir = itest_tmpdir("milter-e2e");
	if (shared_dir == NULL || ldif == NULL)
		goto out;
	chmod(shared_dir, 0755);
	shared = itest_slapd_start(shared_dir, ldif);
	if (asprintf(&db, "%s/spamd.db", shared_dir) < 0 ||
	    asprintf(&msgs, "%s/msgs", shared_dir) < 0)
		goto out;
	if (shared != NULL && itest_spamd_train(db) == 0 &&
	    mkdir(msgs, 0755) == 0 && itest_eicar_files(msgs) == 0) {
		chmod(db, 0644);
		setenv("E2E_URI", shared->uri, 1);
		setenv("E2E_SLAPD_DIR", shared->dir, 1);
		setenv("E2E_DB", db, 1);
		setenv("E2E_MSGS", msgs, 1);
	}
out:
	free(db);
	free(msgs);
	free(ldif);
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	(void)st;
	itest_slapd_stop(&shared);
	itest_cleanup_dir(&shared_dir);
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	cr_assert_not_null(v, "the suite's set-up failed (%s): see above",
	    name);
	return v;
}

/* One test's daemons. */
struct e2e {
	char *dir;
	char *ad_conf, *ad_log, *mt_conf, *mt_log;
	uint16_t smtp, lmtp, pop3;
	struct itest_proc *accessd, *mtad;
	struct itest_milterd *spamd, *virusd;
};

/* File-level, so that the suite's fini stops the daemons when an
 * assertion ends a test early: they run in process groups of their own
 * and would outlive it. */
static struct e2e E;

static void
e2e_fini(void)
{
	struct itest_milterd **milters[] = { &E.spamd, &E.virusd, NULL };

	itest_stop(&E.mtad, 5000);
	itest_stop(&E.accessd, 5000);
	itest_milterds_stop(milters);
	itest_cleanup_dir(&E.dir);
	free(E.ad_conf);
	free(E.ad_log);
	free(E.mt_conf);
	free(E.mt_log);
	memset(&E, 0, sizeof(E));
}

TestSuite(milter_e2e, .timeout = 120, .fini = e2e_fini);

static char *
path_in(const char *dir, const char *name)
{
	char *p = NULL;

	cr_assert_geq(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	cr_assert_eq(fclose(f), 0);
}

static struct itest_proc *
daemon_start(const char *prog, const char *conf, const char *log,
    uint16_t port)
{
	const char *b = getenv("TESSERA_BUILDDIR");
	char *bin = NULL;
	struct itest_proc *p;

	cr_assert_geq(asprintf(&bin, "%s/%s", b != NULL ? b : ".", prog), 0);
	{
		char *argv[] = { bin, "-c", (char *)conf, "-f", NULL };

		p = itest_start(argv, NULL, log);
	}
	free(bin);
	cr_assert_not_null(p);
	ITEST_ASSERT(itest_wait_listen_proc(p, "127.0.0.1", port, 15000) == 0,
	    p, "%s does not listen on %u", prog, port);
	return p;
}

/* Everything, with spam_extra lines in [spamd] (thresholds). */
static void
e2e_start(const char *spam_extra)
{
	uint16_t ports[3];
	char *text = NULL, *mail, *sub[3];
	static const char *const subs[] = { "mtad", "accessd", "milters" };

	memset(&E, 0, sizeof(E));
	env("E2E_URI");
	E.dir = itest_tmpdir("milter-e2e");
	cr_assert_not_null(E.dir);
	cr_assert_eq(chmod(E.dir, 0755), 0);
	for (int i = 0; i < 3; i++) {
		sub[i] = path_in(E.dir, subs[i]);
		cr_assert_eq(mkdir(sub[i], 0755), 0);
		cr_assert_eq(itest_give(sub[i]), 0);
	}
	cr_assert_eq(itest_free_ports(ports, 3), 0);
	E.smtp = ports[0];
	E.lmtp = ports[1];
	E.pop3 = ports[2];

	E.virusd = itest_virusd_start(sub[2], NULL);
	cr_assert_not_null(E.virusd, "tessera-virusd did not start");
	E.spamd = itest_spamd_start(sub[2], env("E2E_DB"), spam_extra);
	cr_assert_not_null(E.spamd, "tessera-spamd did not start");

	mail = path_in(sub[1], "mail");
	cr_assert_eq(mkdir(mail, 0700), 0);
	cr_assert_eq(itest_give(mail), 0);
	E.ad_conf = path_in(sub[1], "tessera.conf");
	E.ad_log = path_in(sub[1], "accessd.log");
	cr_assert_geq(asprintf(&text,
	    "[global]\nrun_dir = %s\nuser = %s\ndirectory_user = %s\n"
	    "log_level = debug\nshutdown_grace = 1s\n"
	    "[tls]\ncertificate = %s/tls/server.crt\n"
	    "key = %s/tls/server.key\n"
	    "[directory]\nuris = %s\nbase_dn = " BASE "\nstarttls = no\n"
	    "[lookup]\nquery_timeout = 5s\n"
	    "[accessd]\nhostname = mail.example.test\n"
	    "[accessd.store]\nmail_root = %s\nfsync = no\n"
	    "[accessd.listener.lmtp]\nport = %u\ntype = lmtp\n"
	    "[accessd.listener.pop3]\nport = %u\ntype = pop3\n",
	    sub[1], itest_run_user(), itest_run_user(), env("E2E_SLAPD_DIR"),
	    env("E2E_SLAPD_DIR"), env("E2E_URI"), mail, E.lmtp, E.pop3), 0);
	write_file(E.ad_conf, text);
	free(text);
	free(mail);
	E.accessd = daemon_start("accessd/accessd", E.ad_conf, E.ad_log,
	    E.pop3);

	E.mt_conf = path_in(sub[0], "tessera.conf");
	E.mt_log = path_in(sub[0], "mtad.log");
	cr_assert_geq(asprintf(&text,
	    "[global]\nrun_dir = %s\nstate_dir = %s\nuser = %s\n"
	    "directory_user = %s\nlog_level = debug\nshutdown_grace = 1s\n"
	    "[directory]\nuris = %s\nbase_dn = " BASE "\nstarttls = no\n"
	    "[lookup]\nquery_timeout = 5s\n"
	    "[mtad]\nhostname = mx.example.test\nlmtp_host = 127.0.0.1\n"
	    "lmtp_port = %u\nretry_min = 1s\nretry_max = 2s\n"
	    "queue_scan_interval = 200ms\n"
	    "[mtad.smtp]\nrelayhost = 127.0.0.1\nrelayhost_port = 9\n"
	    "[mtad.listener.smtp]\nport = %u\n"
	    "[milter.virus]\nsocket = inet:127.0.0.1:%u\n"
	    "[milter.spam]\nsocket = inet:127.0.0.1:%u\n",
	    sub[0], sub[0], itest_run_user(), itest_run_user(), env("E2E_URI"),
	    E.lmtp, E.smtp, E.virusd->port, E.spamd->port), 0);
	write_file(E.mt_conf, text);
	free(text);
	E.mtad = daemon_start("mtad/mtad", E.mt_conf, E.mt_log, E.smtp);
	for (int i = 0; i < 3; i++)
		free(sub[i]);
}

static void
e2e_stop(void)
{
	struct itest_milterd **milters[] = { &E.spamd, &E.virusd, NULL };
	int mt = itest_stop(&E.mtad, 5000), ad = itest_stop(&E.accessd, 5000);
	char *log = itest_slurp(E.mt_log);

	cr_expect_eq(mt, 0, "mtad exit status %d", mt);
	cr_expect_eq(ad, 0, "accessd exit status %d", ad);
	cr_expect_eq(itest_milterds_stop(milters), 0, "a milter did not exit"
	    " cleanly");
	cr_expect(log == NULL || strstr(log, "Sanitizer") == NULL,
	    "sanitizer report in mtad's log");
	free(log);
	e2e_fini();
}

/* Send file (a name in E2E_MSGS, or absolute) to alice; the reply to the
 * end of DATA (caller frees). */
static char *
send_msg(const char *file)
{
	char *path = file[0] == '/' ? strdup(file) :
	    path_in(env("E2E_MSGS"), file);
	char *out = itest_send_file(E.smtp, SENDER, RCPT, path);
	char *data;

	ITEST_ASSERT(out != NULL, E.mtad, "sending %s failed", path);
	data = itest_send_reply(out, "DATA");
	ITEST_ASSERT(data != NULL, E.mtad, "no end of DATA for %s:\n%s", path,
	    out);
	free(out);
	free(path);
	return data;
}

#define EXPECT_PREFIX(s, prefix, proc) ITEST_ASSERT( \
	strncmp((s), (prefix), strlen(prefix)) == 0, (proc), \
	"want \"%s...\", got \"%s\"", (prefix), (s))

/* Messages in every directory of mtad's queue. */
static size_t
queued(void)
{
	struct pool *pool = pool_new("queued");
	char *qdir = path_in(E.dir, "mtad");
	const char *err;
	struct queue *q = queue_open(qdir, NULL, pool, &err);
	size_t total = 0;

	cr_assert_not_null(q, "%s", err);
	for (int d = 0; d < QUEUE_NDIRS; d++) {
		char **ids;
		size_t n;

		cr_assert_eq(queue_scan_ids(q, (enum queue_dir)d, pool, &ids,
		    &n, &err), 0, "%s", err);
		total += n;
	}
	queue_close(&q);
	pool_free(&pool);
	free(qdir);
	return total;
}

/* alice's mailbox over POP3 (STLS): the number of messages, and the
 * first one's text into *first (caller frees) when there is one. */
static int
mailbox(char **first)
{
	char *script = itest_srcpath("tests/integration/accessd_client.py");
	char *ca = NULL, *retr = NULL, *file = path_in(E.dir, "retr.eml");
	char port[8];
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	int n = -1, rc;
	const char *stat;

	snprintf(port, sizeof(port), "%u", E.pop3);
	cr_assert_geq(asprintf(&ca, "%s/tls/ca.crt", env("E2E_SLAPD_DIR")),
	    0);
	cr_assert_geq(asprintf(&retr, "retr:1:%s", file), 0);
	unlink(file);
	{
		char *argv[] = { "python3", script, "pop3", port, ca, "stls",
			"user:alice", "pass:demo", "stat", retr, NULL };

		rc = itest_run(argv, NULL, out, 30000);
	}
	ITEST_ASSERT(rc == 0, E.accessd, "POP3 client: %d: %s", rc,
	    buf_cstr(out));
	stat = strstr(buf_cstr(out), "STAT ");
	ITEST_ASSERT(stat != NULL, E.accessd, "no STAT in %s", buf_cstr(out));
	n = (int)strtol(stat + 5, NULL, 10);
	*first = n > 0 ? itest_slurp(file) : NULL;
	buf_free(&out);
	free(script);
	free(ca);
	free(retr);
	free(file);
	return n;
}

/* Wait for the k-th delivery by the queue manager. */
static void
wait_delivered(int k)
{
	for (int i = 0; i < 300; i++) {
		char *log = itest_slurp(E.mt_log);
		int n = 0;

		for (const char *p = log != NULL ? strstr(log,
		    "status=delivered") : NULL; p != NULL; p = strstr(p + 1,
		    "status=delivered"))
			n++;
		free(log);
		if (n >= k)
			return;
		usleep(50 * 1000);
	}
	itest_dump_log(E.mt_log);
	cr_assert_fail("message %d not delivered", k);
}

#define VIRUS_REPLY "554 5.7.1 Virus found: " ITEST_EICAR_SIG

/* The EICAR string as the whole body, inline in a text, in a base64
 * attachment and zipped in one: each refused at the end of DATA naming
 * the signature, with nothing in any queue directory or the mailbox. */
Test(milter_e2e, eicar_is_refused_at_end_of_data_and_not_queued)
{
	static const char *const files[] = { "eicar-bare.eml", "inline.eml",
		"attach.eml", "attach-zip.eml" };
	char *first = NULL;

	e2e_start(NULL);
	for (size_t i = 0; i < 4; i++) {
		char *r = send_msg(files[i]);

		EXPECT_PREFIX(r, VIRUS_REPLY, E.mtad);
		free(r);
		ITEST_ASSERT(queued() == 0, E.mtad, "%s was queued", files[i]);
	}
	ITEST_ASSERT(itest_file_has(E.mt_log, "milter=virus stage=eom "
	    "action=replycode code=554 enh=5.7.1 text=\"Virus found: "
	    ITEST_EICAR_SIG "\"", 2000), E.mtad, "no milter-reply line");
	cr_assert(itest_file_has(E.virusd->log, "result=infected name=\""
	    ITEST_EICAR_SIG "\" verdict=reject", 2000));
	cr_assert_eq(mailbox(&first), 0);
	/* the connection is still good for clean mail after the refusals */
	{
		char *r = send_msg("clean.eml");

		EXPECT_PREFIX(r, "250 2.0.0 Ok: queued as ", E.mtad);
		free(r);
	}
	wait_delivered(1);
	cr_assert_eq(mailbox(&first), 1);
	cr_assert_not_null(strstr(first, "Subject: lunch\r\n"), "%s", first);
	free(first);
	e2e_stop();
}

/* Ham: delivered to the INBOX with spamd's and virusd's fields. Spam the
 * classifier is sure of: refused with 550 5.7.1, not queued. */
Test(milter_e2e, ham_arrives_tagged_no_and_spam_is_refused)
{
	double score = -1;
	char *ham = itest_spam_pick(env("E2E_DB"), "ham", "ham", 0, &score);
	char *spam = itest_spam_pick(env("E2E_DB"), "spam", "reject", 0, NULL);
	char *r, *first = NULL;

	cr_assert_not_null(ham, "no held-out ham is classified ham");
	cr_assert_not_null(spam, "no held-out spam is classified reject");
	e2e_start(NULL);
	r = send_msg(spam);
	EXPECT_PREFIX(r, "550 5.7.1", E.mtad);
	free(r);
	ITEST_ASSERT(queued() == 0, E.mtad, "the spam was queued");
	cr_assert(itest_file_has(E.spamd->log, "verdict=reject", 2000));
	r = send_msg(ham);
	EXPECT_PREFIX(r, "250 2.0.0 Ok: queued as ", E.mtad);
	free(r);
	wait_delivered(1);
	cr_assert_eq(mailbox(&first), 1, "only the ham is delivered");
	cr_assert_not_null(strstr(first, "\r\nX-Spam-Status: No, score="),
	    "%s", first);
	cr_assert_not_null(strstr(first, "\r\nX-Spam-Score: "), "%s", first);
	cr_assert_not_null(strstr(first, "\r\nX-Virus-Scanned: "), "%s",
	    first);
	cr_assert_not_null(strstr(first, "Delivered-To: " RCPT "\r\n"));
	free(first);
	free(ham);
	free(spam);
	e2e_stop();
}

/* The thresholds decide: with everything from 0 tagged and only a
 * score of 1 refused, ham is delivered with X-Spam-Status: Yes; and a
 * spam the default thresholds tag (when the classifier gives one) is
 * delivered tagged too. */
Test(milter_e2e, messages_between_the_thresholds_are_tagged_yes)
{
	char *ham = itest_spam_pick(env("E2E_DB"), "ham", "ham", 0, NULL);
	char *r, *first = NULL;

	cr_assert_not_null(ham, "no held-out ham is classified ham");
	e2e_start("tag_threshold = 0\nreject_threshold = 1\n");
	r = send_msg(ham);
	EXPECT_PREFIX(r, "250 2.0.0 Ok: queued as ", E.mtad);
	free(r);
	wait_delivered(1);
	cr_assert_eq(mailbox(&first), 1);
	cr_assert_not_null(strstr(first, "\r\nX-Spam-Status: Yes, score="),
	    "%s", first);
	free(first);
	cr_assert(itest_file_has(E.spamd->log, "verdict=tag", 2000));
	free(ham);
	e2e_stop();
}

Test(milter_e2e, spam_the_classifier_is_unsure_of_is_tagged_yes)
{
	double score = 0;
	char *spam = itest_spam_pick(env("E2E_DB"), "spam", "tag", 0, &score);
	char *r, *first = NULL;

	if (spam == NULL)
		cr_skip_test("no held-out spam scores between the default "
		    "thresholds (0.9, 0.99) with this classifier");
	e2e_start(NULL);
	r = send_msg(spam);
	EXPECT_PREFIX(r, "250 2.0.0 Ok: queued as ", E.mtad);
	free(r);
	wait_delivered(1);
	cr_assert_eq(mailbox(&first), 1);
	cr_assert_not_null(strstr(first, "\r\nX-Spam-Status: Yes, score="),
	    "%s (classify said %.4f)", first, score);
	free(first);
	free(spam);
	e2e_stop();
}
