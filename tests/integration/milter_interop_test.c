/*
 * tests/integration/milter_interop_test.c - milters and MTAs from
 * elsewhere, nothing mocked:
 *  - Debian's clamav-milter (with its clamd reading the project's own
 *    signatures, tests/data/clamav) as a [milter.clamav] of the built
 *    mtad (with a real slapd): EICAR refused at the end of DATA with the
 *    reply clamav-milter asks for and nothing queued; clean mail queued
 *    with its X-Virus-Status: Clean.
 *  - Postfix from Debian (tests/fixtures/postfix.sh, a private instance
 *    relaying to smtp-sink) with the built tessera-virusd and
 *    tessera-spamd as its smtpd_milters: the same verdicts as under mtad
 *    (EICAR refused with 554 5.7.1 naming the signature, spam refused
 *    with 550 5.7.1, ham relayed with X-Spam-Status: No, tagging per the
 *    thresholds). Postfix's master must start as root: run otherwise,
 *    these tests are skipped, saying so.
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

/* The slapd (for mtad), the trained database and the test messages,
 * handed to the tests (processes of their own) by env. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char *ldif = itest_srcpath("schema/samples/example.test.ldif");
	char *db = NULL, *msgs = NULL;

	(void)set;
	shared_dir = itest_tmpdir("milter-interop");
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
		setenv("IOP_URI", shared->uri, 1);
		setenv("IOP_DB", db, 1);
		setenv("IOP_MSGS", msgs, 1);
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

/* prog's path: in PATH, else in /usr/sbin or /sbin (a non-root PATH
 * may lack them; execvpe searches this process's PATH), or NULL. Caller
 * frees. */
static char *
find_prog(const char *prog)
{
	char *argv[] = { "sh", "-c", NULL, NULL };
	char *cmd = NULL, *path;
	struct buf *out = buf_new(256, 4096);
	int rc;

	cr_assert_geq(asprintf(&cmd, "PATH=$PATH:/usr/sbin:/sbin command -v "
	    "%s", prog), 0);
	argv[2] = cmd;
	rc = itest_run(argv, NULL, out, 10000);
	path = rc == 0 && buf_cstr(out)[0] == '/' ? strndup(buf_cstr(out),
	    strcspn(buf_cstr(out), "\n")) : NULL;
	buf_free(&out);
	free(cmd);
	return path;
}

static bool
have(const char *prog)
{
	char *p = find_prog(prog);

	free(p);
	return p != NULL;
}

/* Send file (a name in IOP_MSGS, or absolute) to alice on port; the
 * reply to the end of DATA (caller frees). */
static char *
send_msg(uint16_t port, const char *file, const char *log)
{
	char *path = file[0] == '/' ? strdup(file) :
	    path_in(env("IOP_MSGS"), file);
	char *out = itest_send_file(port, SENDER, RCPT, path);
	char *data;

	ITEST_ASSERT_LOG(out != NULL, log, "sending %s failed", path);
	data = itest_send_reply(out, "DATA");
	ITEST_ASSERT_LOG(data != NULL, log, "no end of DATA for %s:\n%s",
	    path, out);
	free(out);
	free(path);
	return data;
}

#define EXPECT_PREFIX(s, prefix, log) ITEST_ASSERT_LOG( \
	strncmp((s), (prefix), strlen(prefix)) == 0, (log), \
	"want \"%s...\", got \"%s\"", (prefix), (s))

/* ---- clamav-milter (with clamd) under mtad ---- */

/* One test's clamd, clamav-milter and mtad. File-level so that the
 * suite's fini stops them when an assertion ends the test early. */
static struct {
	char *dir;
	char *clamd_log, *milter_log, *mtad_log;
	uint16_t smtp, milter_port;
	struct itest_proc *clamd, *milter, *mtad;
} C;

static void
clam_fini(void)
{
	itest_stop(&C.mtad, 5000);
	itest_stop(&C.milter, 10000);
	itest_stop(&C.clamd, 10000);
	itest_cleanup_dir(&C.dir);
	free(C.clamd_log);
	free(C.milter_log);
	free(C.mtad_log);
	memset(&C, 0, sizeof(C));
}

TestSuite(clamav_milter, .timeout = 120, .fini = clam_fini);

/* Copy the project's signature files into dir/db. */
static char *
clam_db(const char *dir)
{
	static const char *const sigs[] = { "tessera-test.hdb",
		"tessera-test.ndb", NULL };
	char *db = path_in(dir, "db");

	cr_assert_eq(mkdir(db, 0755), 0);
	for (size_t i = 0; sigs[i] != NULL; i++) {
		char *rel = NULL, *src, *dst = path_in(db, sigs[i]), *text;

		cr_assert_geq(asprintf(&rel, "tests/data/clamav/%s", sigs[i]),
		    0);
		src = itest_srcpath(rel);
		text = itest_slurp(src);
		cr_assert_not_null(text, "%s", src);
		write_file(dst, text);
		free(text);
		free(src);
		free(dst);
		free(rel);
	}
	return db;
}

/* clamd on a unix socket in C.dir (foreground, as the current user),
 * clamav-milter on a free port talking to it with on_infected, then
 * mtad with it as [milter.clamav]. */
static void
clam_start(const char *on_infected)
{
	char *db, *sock, *conf, *text = NULL;
	uint16_t ports[2];

	if (!have("clamd") || !have("clamav-milter"))
		cr_skip_test("Debian's clamav-daemon and clamav-milter are not "
		    "installed (./quickstart installs them)");
	memset(&C, 0, sizeof(C));
	env("IOP_URI");
	C.dir = itest_tmpdir("clamav-milter");
	cr_assert_not_null(C.dir);
	cr_assert_eq(chmod(C.dir, 0755), 0);
	cr_assert_eq(itest_free_ports(ports, 2), 0);
	C.smtp = ports[0];
	C.milter_port = ports[1];
	db = clam_db(C.dir);
	sock = path_in(C.dir, "clamd.sock");

	conf = path_in(C.dir, "clamd.conf");
	C.clamd_log = path_in(C.dir, "clamd.log");
	cr_assert_geq(asprintf(&text, "LocalSocket %s\nDatabaseDirectory %s\n"
	    "Foreground yes\nPidFile %s/clamd.pid\nTemporaryDirectory %s\n"
	    "LogFile %s\nLogTime yes\n", sock, db, C.dir, C.dir, C.clamd_log),
	    0);
	write_file(conf, text);
	free(text);
	{
		char *bin = find_prog("clamd");
		char *argv[] = { bin, "-c", conf, NULL };

		C.clamd = itest_start(argv, NULL, C.clamd_log);
		free(bin);
	}
	cr_assert_not_null(C.clamd);
	free(conf);
	for (int i = 0; i < 600 && access(sock, F_OK) != 0; i++) {
		ITEST_ASSERT_LOG(itest_alive(C.clamd), C.clamd_log,
		    "clamd exited");
		usleep(50 * 1000);
	}
	ITEST_ASSERT_LOG(access(sock, F_OK) == 0, C.clamd_log,
	    "clamd made no socket in 30 s");
	ITEST_ASSERT_LOG(itest_file_has(C.clamd_log, "Loaded 4 signatures",
	    0), C.clamd_log, "clamd did not load the project's signatures");

	conf = path_in(C.dir, "clamav-milter.conf");
	C.milter_log = path_in(C.dir, "clamav-milter.log");
	cr_assert_geq(asprintf(&text, "MilterSocket inet:%u@127.0.0.1\n"
	    "ClamdSocket unix:%s\nForeground yes\nPidFile %s/milter.pid\n"
	    "TemporaryDirectory %s\nLogFile %s\nLogTime yes\n"
	    "LogInfected Full\nLogClean Basic\nOnClean Accept\n"
	    "OnInfected %s\nOnFail Defer\nRejectMsg Virus found: %%v\n"
	    "AddHeader Replace\n", C.milter_port, sock, C.dir, C.dir,
	    C.milter_log, on_infected), 0);
	write_file(conf, text);
	free(text);
	{
		char *bin = find_prog("clamav-milter");
		char *argv[] = { bin, "-c", conf, NULL };

		C.milter = itest_start(argv, NULL, C.milter_log);
		free(bin);
	}
	cr_assert_not_null(C.milter);
	ITEST_ASSERT_LOG(itest_wait_listen_proc(C.milter, "127.0.0.1",
	    C.milter_port, 30000) == 0, C.milter_log,
	    "clamav-milter does not listen");
	free(conf);

	conf = path_in(C.dir, "tessera.conf");
	C.mtad_log = path_in(C.dir, "mtad.log");
	{
		char *q = path_in(C.dir, "mtad");

		cr_assert_eq(mkdir(q, 0755), 0);
		cr_assert_eq(itest_give(q), 0);
		cr_assert_geq(asprintf(&text,
		    "[global]\nrun_dir = %s\nstate_dir = %s\nuser = %s\n"
		    "directory_user = %s\nlog_level = debug\n"
		    "shutdown_grace = 1s\n"
		    "[directory]\nuris = %s\nbase_dn = " BASE "\n"
		    "starttls = no\n[lookup]\nquery_timeout = 5s\n"
		    "[mtad]\nhostname = mx.example.test\nqueue_manager = no\n"
		    "[mtad.listener.smtp]\nport = %u\n"
		    "[milter.clamav]\nsocket = inet:127.0.0.1:%u\n",
		    q, q, itest_run_user(), itest_run_user(), env("IOP_URI"),
		    C.smtp, C.milter_port), 0);
		free(q);
	}
	write_file(conf, text);
	free(text);
	{
		const char *b = getenv("TESSERA_BUILDDIR");
		char *bin = NULL;

		cr_assert_geq(asprintf(&bin, "%s/mtad/mtad", b ? b : "."), 0);
		{
			char *argv[] = { bin, "-c", conf, "-f", NULL };

			C.mtad = itest_start(argv, NULL, C.mtad_log);
		}
		free(bin);
	}
	cr_assert_not_null(C.mtad);
	ITEST_ASSERT(itest_wait_listen_proc(C.mtad, "127.0.0.1", C.smtp,
	    15000) == 0, C.mtad, "mtad does not listen");
	free(conf);
	free(db);
	free(sock);
}

static void
clam_stop(void)
{
	int mt = itest_stop(&C.mtad, 5000);
	int cm = itest_stop(&C.milter, 10000);
	int cd = itest_stop(&C.clamd, 10000);

	cr_expect_eq(mt, 0, "mtad exit status %d", mt);
	/* both catch SIGTERM and exit 0 or are ended by it */
	cr_expect(cm == 0 || cm == 143, "clamav-milter exit status %d", cm);
	cr_expect(cd == 0 || cd == 143, "clamd exit status %d", cd);
	clam_fini();
}

/* Messages in directory d of mtad's queue; the first one's text into
 * *first when it is not NULL and there is one (caller frees). */
static size_t
clam_queued(enum queue_dir d, char **first)
{
	struct pool *pool = pool_new("queued");
	char *qdir = path_in(C.dir, "mtad");
	const char *err;
	struct queue *q = queue_open(qdir, NULL, pool, &err);
	char **ids;
	size_t n;

	cr_assert_not_null(q, "%s", err);
	cr_assert_eq(queue_scan_ids(q, d, pool, &ids, &n, &err), 0, "%s", err);
	if (first != NULL && n > 0) {
		struct queue_msg *m;
		struct buf *b = buf_new(4096, 16 * 1024 * 1024);
		char chunk[4096];
		ssize_t k;
		int fd;

		cr_assert_eq(queue_msg_open(q, d, ids[0], pool, &m, &err),
		    QUEUE_MSG_OK, "%s", err);
		fd = queue_msg_body_fd(m, &err);
		cr_assert_geq(fd, 0, "%s", err);
		while ((k = read(fd, chunk, sizeof(chunk))) > 0)
			buf_append(b, chunk, (size_t)k);
		close(fd);
		queue_msg_close(&m);
		*first = strdup(buf_cstr(b));
		buf_free(&b);
	}
	queue_close(&q);
	pool_free(&pool);
	free(qdir);
	return n;
}

static size_t
clam_queued_all(void)
{
	size_t n = 0;

	for (int d = 0; d < QUEUE_NDIRS; d++)
		n += clam_queued((enum queue_dir)d, NULL);
	return n;
}

Test(clamav_milter, under_mtad_refuses_eicar_and_passes_clean_mail)
{
	static const char *const infected[] = { "inline.eml", "attach.eml",
		"attach-zip.eml" };
	char *r, *first = NULL;

	clam_start("Reject");
	for (size_t i = 0; i < 3; i++) {
		r = send_msg(C.smtp, infected[i], C.mtad_log);
		EXPECT_PREFIX(r, "550 5.7.1 Virus found: " ITEST_EICAR_SIG,
		    C.milter_log);
		free(r);
		ITEST_ASSERT_LOG(clam_queued_all() == 0, C.mtad_log,
		    "%s was queued", infected[i]);
	}
	ITEST_ASSERT_LOG(itest_file_has(C.mtad_log, "milter=clamav stage=eom"
	    " action=replycode code=550 enh=5.7.1", 2000), C.mtad_log,
	    "no milter-reply line");
	ITEST_ASSERT_LOG(itest_file_has(C.milter_log, ITEST_EICAR_SIG, 2000),
	    C.milter_log, "clamav-milter logged no infection");
	r = send_msg(C.smtp, "clean-zip.eml", C.mtad_log);
	EXPECT_PREFIX(r, "250 2.0.0 Ok: queued as ", C.mtad_log);
	free(r);
	cr_assert_eq(clam_queued(QUEUE_INCOMING, &first), 1);
	cr_assert_not_null(strstr(first, "X-Virus-Status: Clean\r\n"), "%s",
	    first);
	cr_assert_not_null(strstr(first, "X-Virus-Scanned: clamav-milter "), "%s",
	    first);
	free(first);
	clam_stop();
}

/* OnInfected Quarantine: clamav-milter asks for the hold queue, and
 * mtad puts the message there instead of refusing it. */
Test(clamav_milter, on_infected_quarantine_goes_to_the_hold_queue)
{
	char *r, *held = NULL;

	clam_start("Quarantine");
	r = send_msg(C.smtp, "attach.eml", C.mtad_log);
	EXPECT_PREFIX(r, "250 2.0.0 Ok: queued as ", C.mtad_log);
	free(r);
	cr_assert_eq(clam_queued(QUEUE_INCOMING, NULL), 0);
	cr_assert_eq(clam_queued(QUEUE_HOLD, &held), 1);
	cr_assert_not_null(strstr(held, "X-Virus-Status: Infected ("
	    ITEST_EICAR_SIG ")\r\n"), "%s", held);
	free(held);
	clam_stop();
}

/* ---- Postfix with tessera-virusd and tessera-spamd ---- */

/* One test's Postfix and milters (file-level for the suite's fini). */
static struct {
	char *dir, *pf_dir, *log, *dump, *conf;
	uint16_t smtp;
	struct itest_milterd *spamd, *virusd;
} P;

static void
pf_fini(void)
{
	struct itest_milterd **milters[] = { &P.spamd, &P.virusd, NULL };

	if (P.pf_dir != NULL) {
		char *script = itest_srcpath("tests/fixtures/postfix.sh");
		char *argv[] = { "sh", script, "stop", P.pf_dir, NULL };

		itest_run(argv, NULL, NULL, 60000);
		free(script);
	}
	itest_milterds_stop(milters);
	itest_cleanup_dir(&P.dir);
	free(P.pf_dir);
	free(P.log);
	free(P.dump);
	free(P.conf);
	memset(&P, 0, sizeof(P));
}

TestSuite(postfix_milters, .timeout = 120, .fini = pf_fini);

/* tessera-virusd and tessera-spamd (spam_extra lines in [spamd]), then
 * a private Postfix with them as smtpd_milters, in that order. */
static void
pf_start(const char *spam_extra)
{
	char *script, *milters, *out_text;
	char ports[2][8], vm[64], sm[64];
	uint16_t p[2];
	struct buf *out;
	int rc;

	if (geteuid() != 0)
		cr_skip_test("Postfix's master must be started as root: run "
		    "this suite as root to test Postfix with tessera-spamd and "
		    "tessera-virusd");
	if (!have("postfix") || !have("smtp-sink"))
		cr_skip_test("Debian's postfix is not installed (./quickstart "
		    "installs it)");
	memset(&P, 0, sizeof(P));
	P.dir = itest_tmpdir("postfix-milters");
	cr_assert_not_null(P.dir);
	cr_assert_eq(chmod(P.dir, 0755), 0);
	milters = path_in(P.dir, "milters");
	cr_assert_eq(mkdir(milters, 0755), 0);
	cr_assert_eq(itest_give(milters), 0);
	P.virusd = itest_virusd_start(milters, NULL);
	cr_assert_not_null(P.virusd, "tessera-virusd did not start");
	P.spamd = itest_spamd_start(milters, env("IOP_DB"), spam_extra);
	cr_assert_not_null(P.spamd, "tessera-spamd did not start");
	free(milters);

	cr_assert_eq(itest_free_ports(p, 2), 0);
	P.smtp = p[0];
	snprintf(ports[0], sizeof(ports[0]), "%u", p[0]);
	snprintf(ports[1], sizeof(ports[1]), "%u", p[1]);
	snprintf(vm, sizeof(vm), "inet:127.0.0.1:%u", P.virusd->port);
	snprintf(sm, sizeof(sm), "inet:127.0.0.1:%u", P.spamd->port);
	P.pf_dir = path_in(P.dir, "postfix");
	script = itest_srcpath("tests/fixtures/postfix.sh");
	out = buf_new(1024, ITEST_OUTPUT_MAX);
	{
		char *argv[] = { "sh", script, "start", P.pf_dir, ports[0],
			ports[1], vm, sm, NULL };

		rc = itest_run_split(argv, (char *const[]){
		    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
		    "/sbin:/bin", NULL }, out, NULL, 120000);
	}
	out_text = strdup(buf_cstr(out));
	buf_free(&out);
	free(script);
	cr_assert_eq(rc, 0, "postfix.sh start: %d: %s", rc, out_text);
	P.log = itest_env_value(out_text, "POSTFIX_LOG");
	P.dump = itest_env_value(out_text, "POSTFIX_SINK_DUMP");
	P.conf = itest_env_value(out_text, "POSTFIX_CONF");
	cr_assert(P.log != NULL && P.dump != NULL && P.conf != NULL, "%s",
	    out_text);
	free(out_text);
}

static void
pf_stop(void)
{
	struct itest_milterd **milters[] = { &P.spamd, &P.virusd, NULL };
	char *script = itest_srcpath("tests/fixtures/postfix.sh");
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	char *argv[] = { "sh", script, "stop", P.pf_dir, NULL };
	int rc = itest_run(argv, NULL, out, 60000);

	cr_expect_eq(rc, 0, "postfix.sh stop: %s", buf_cstr(out));
	buf_free(&out);
	free(script);
	free(P.pf_dir);
	P.pf_dir = NULL;
	cr_expect_eq(itest_milterds_stop(milters), 0, "a milter did not exit"
	    " cleanly");
	pf_fini();
}

/* Messages smtp-sink received so far. */
static int
sunk(void)
{
	char *text = itest_slurp(P.dump);
	int n = 0;

	for (const char *p = text != NULL ? strstr(text, "X-Client-Addr: ") :
	    NULL; p != NULL; p = strstr(p + 1, "X-Client-Addr: "))
		n++;
	free(text);
	return n;
}

/* Wait until Postfix relayed the message with Message-ID or Subject
 * key to the sink; the dump's text from that message on (caller frees). */
static char *
relayed(const char *key)
{
	for (int i = 0; i < 300; i++) {
		char *text = itest_slurp(P.dump);
		char *at = text != NULL ? strstr(text, key) : NULL;

		if (at != NULL) {
			/* back to the start of that message's dump */
			char *start = at;

			while (start > text && strncmp(start, "X-Client-Addr: ",
			    15) != 0)
				start--;
			start = strdup(start);
			free(text);
			return start;
		}
		free(text);
		usleep(50 * 1000);
	}
	itest_dump_log(P.log);
	cr_assert_fail("Postfix did not relay the message with %s", key);
	return NULL;
}

/* The header block of a message's dump, up to its first empty line. */
static char *
header_of(const char *dump)
{
	const char *end = strstr(dump, "\n\n");

	return strndup(dump, end != NULL ? (size_t)(end - dump) : strlen(dump));
}

/* Whether Postfix's queue is empty (postqueue -p). */
static bool
pf_queue_empty_now(void)
{
	char *bin = find_prog("postqueue");
	char *argv[] = { bin, "-c", P.conf, "-p", NULL };
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	bool empty;

	cr_assert_not_null(bin, "no postqueue");
	itest_run(argv, NULL, out, 30000);
	free(bin);
	empty = strstr(buf_cstr(out), "Mail queue is empty") != NULL;
	if (!empty)
		fprintf(stderr, "postqueue -p: %s\n", buf_cstr(out));
	buf_free(&out);
	return empty;
}

/* Whether Postfix's queue is empty within 10 s: the queue manager
 * removes a message after the delivery agent reported the sink's 250,
 * which is after the sink wrote its dump. */
static bool
pf_queue_empty(void)
{
	for (int i = 0; i < 40; i++) {
		if (pf_queue_empty_now())
			return true;
		usleep(250 * 1000);
	}
	return false;
}

/* The verdicts mtad gives with the same milters (milter_e2e_test.c). */
Test(postfix_milters, same_verdicts_as_under_mtad, .timeout = 180)
{
	static const char *const infected[] = { "eicar-bare.eml",
		"inline.eml", "attach.eml", "attach-zip.eml" };
	char *ham = itest_spam_pick(env("IOP_DB"), "ham", "ham", 0, NULL);
	char *spam = itest_spam_pick(env("IOP_DB"), "spam", "reject", 0, NULL);
	char *r, *dump, *head;

	cr_assert_not_null(ham, "no held-out ham is classified ham");
	cr_assert_not_null(spam, "no held-out spam is classified reject");
	pf_start(NULL);
	for (size_t i = 0; i < 4; i++) {
		r = send_msg(P.smtp, infected[i], P.log);
		EXPECT_PREFIX(r, "554 5.7.1 Virus found: " ITEST_EICAR_SIG,
		    P.log);
		free(r);
	}
	/* Postfix logs through postlogd, after its reply */
	ITEST_ASSERT_LOG(itest_file_has(P.log, "milter-reject: END-OF-MESSAGE"
	    " from localhost[127.0.0.1]: 5.7.1 Virus found: "
	    ITEST_EICAR_SIG, 10000), P.log, "Postfix logged no milter-reject");
	r = send_msg(P.smtp, spam, P.log);
	EXPECT_PREFIX(r, "550 5.7.1", P.log);
	free(r);
	r = send_msg(P.smtp, ham, P.log);
	EXPECT_PREFIX(r, "250 2.0.0 Ok: queued as ", P.log);
	free(r);
	/* ham has no Message-ID of its own for certain: its Subject line */
	{
		char *text = itest_slurp(ham), *subj;

		cr_assert_not_null(text);
		subj = strstr(text, "\nSubject: ");
		cr_assert_not_null(subj, "%s has no Subject", ham);
		subj = strndup(subj + 1, strcspn(subj + 1, "\r\n"));
		dump = relayed(subj);
		free(subj);
		free(text);
	}
	head = header_of(dump);
	cr_assert_not_null(strstr(head, "\nX-Spam-Status: No, score="), "%s",
	    head);
	cr_assert_not_null(strstr(head, "\nX-Spam-Score: "), "%s", head);
	cr_assert_not_null(strstr(head, "\nX-Virus-Scanned: tessera-virusd"),
	    "%s", head);
	free(head);
	free(dump);
	/* only the ham got through, and nothing is left in Postfix's queue */
	cr_assert_eq(sunk(), 1);
	cr_assert(pf_queue_empty());
	cr_assert(itest_file_has(P.virusd->log, "verdict=reject", 0));
	cr_assert(itest_file_has(P.spamd->log, "verdict=reject", 0));
	cr_assert(itest_file_has(P.spamd->log, "verdict=ham", 0));
	free(ham);
	free(spam);
	pf_stop();
}

/* Tagging per the thresholds, under Postfix too: with everything from
 * 0 tagged and only 1 refused, ham is relayed with X-Spam-Status: Yes. */
Test(postfix_milters, tagged_between_the_thresholds)
{
	char *ham = itest_spam_pick(env("IOP_DB"), "ham", "ham", 1, NULL);
	char *r, *dump, *head;

	cr_assert_not_null(ham, "no second held-out ham is classified ham");
	pf_start("tag_threshold = 0\nreject_threshold = 1\n");
	r = send_msg(P.smtp, ham, P.log);
	EXPECT_PREFIX(r, "250 2.0.0 Ok: queued as ", P.log);
	free(r);
	dump = relayed("X-Spam-Status: ");
	head = header_of(dump);
	cr_assert_not_null(strstr(head, "\nX-Spam-Status: Yes, score="), "%s",
	    head);
	free(head);
	free(dump);
	free(ham);
	pf_stop();
}
