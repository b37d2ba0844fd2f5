/*
 * tests/integration/virusd_test.c - tessera-virusd as a milter: the built
 * program runs on a unix socket in a temporary directory with the
 * project's signatures, and Debian's miltertest plays the MTA
 * (tests/integration/virusd/message.lua): EICAR in an attachment, inline
 * and zipped, and a clamav-testfiles mail, each refused with 554 5.7.1
 * naming the signature; clean mail accepted with X-Virus-Scanned;
 * quarantine mode; limits crossed with each exceed action; a reload on
 * SIGHUP picking up a new database; the scan command.
 *
 * Started as root, the milter runs as nobody (its run directory and
 * temporary directory are given to nobody).
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
#include "lib/xalloc.h"
#include "tests/integration/itest.h"
#include "tests/unit/milters/virusd_testdata.h"
#include "lib/banned.h"

const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}


#define EICAR_SIG "Tessera.Test.EICAR.NDB.UNOFFICIAL"
#define CLAMEXE_SIG "Tessera.Test.ClamExe.NDB.UNOFFICIAL"

struct vd {
	char *dir;		/* everything of this test */
	char *data;		/* virusd_mkdata.py's files */
	char *db;		/* the database directory it loads */
	char *sock;		/* unix:PATH */
	char *conf;
	char *log;
	struct itest_proc *p;
};

/* The milter of the running test. File-level so that the suite's fini
 * stops it when an assertion ends the test early: it runs in a process
 * group of its own and would outlive the test. */
static struct vd V;

static void vd_stop(struct vd *v);

static void
vd_fini(void)
{
	if (V.p != NULL)
		vd_stop(&V);
}

TestSuite(virusd, .timeout = 90, .fini = vd_fini);

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* A new string, printf-style; caller frees. */
static char *
fmt(const char *f, ...)
{
	struct buf *x = buf_new(64, 8192);
	va_list ap;
	char *s;

	va_start(ap, f);
	cr_assert_eq(buf_vprintf(x, f, ap), 0);
	va_end(ap);
	s = buf_steal(x, NULL);
	buf_free(&x);
	return s;
}

static void
give_to_nobody(const char *path)
{
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		cr_assert_not_null(pw);
		cr_assert_eq(chown(path, pw->pw_uid, pw->pw_gid), 0);
	}
}

/* Copy the project's database files named in files (NULL-terminated)
 * into v->db. */
static void
db_add(struct vd *v, const char *const *files)
{
	for (size_t i = 0; files[i] != NULL; i++) {
		char *rel = fmt("tests/data/clamav/%s", files[i]);
		char *src = vt_srcpath(rel);
		char *dst = vt_join(v->db, files[i]);

		cr_assert_eq(vt_copy(src, dst), 0, "copy %s", src);
		free(rel);
		free(src);
		free(dst);
	}
}

static bool
log_has(const struct vd *v, const char *what)
{
	FILE *f = fopen(v->log, "r");
	char line[4096];
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

/* Wait up to 20 s for the log line what, or fail if the milter died. */
static void
wait_log(struct vd *v, const char *what)
{
	for (int i = 0; i < 400; i++) {
		if (log_has(v, what))
			return;
		cr_assert(itest_alive(v->p), "tessera-virusd exited");
		usleep(50000);
	}
	itest_dump_log(v->log);
	cr_assert_fail("no log line \"%s\"", what);
}

/* Write the configuration ([virusd] extra lines) and start the milter
 * with the database files db_files. */
static void
vd_start(struct vd *v, const char *extra, const char *const *db_files)
{
	const char *b = getenv("TESSERA_BUILDDIR");
	const char *user = geteuid() == 0 ? "nobody" :
	    getpwuid(geteuid())->pw_name;
	char *bin, *run, *tmp, *text;
	struct buf *t = buf_new(256, 8192);

	memset(v, 0, sizeof(*v));
	v->dir = itest_tmpdir("virusd");
	cr_assert_not_null(v->dir);
	cr_assert_eq(chmod(v->dir, 0755), 0);
	v->data = vt_data_dir();
	cr_assert_not_null(v->data);
	v->db = vt_join(v->dir, "db");
	run = vt_join(v->dir, "run");
	tmp = vt_join(v->dir, "tmp");
	cr_assert_eq(mkdir(v->db, 0755), 0);
	cr_assert_eq(mkdir(run, 0755), 0);
	cr_assert_eq(mkdir(tmp, 0700), 0);
	give_to_nobody(run);
	give_to_nobody(tmp);
	db_add(v, db_files);
	v->sock = fmt("unix:%s/virusd.sock", run);
	v->conf = vt_join(v->dir, "tessera.conf");
	v->log = vt_join(v->dir, "virusd.log");
	buf_printf(t, "[global]\nuser = %s\nlog_level = info\n"
	    "[virusd]\nsocket = %s\n", user, v->sock);
	buf_printf(t, "database_dir = %s\ntemp_dir = %s\n%s", v->db, tmp,
	    extra);
	text = buf_steal(t, NULL);
	cr_assert_eq(vt_write(v->conf, text, strlen(text)), 0);
	bin = fmt("%s/milters/virus/tessera-virusd", b ? b : ".");
	{
		char *argv[] = { bin, "-c", v->conf, "-f", NULL };

		v->p = itest_start(argv, NULL, v->log);
	}
	cr_assert_not_null(v->p);
	wait_log(v, "virusd: listening on");
	free(bin);
	free(text);
	free(run);
	free(tmp);
	buf_free(&t);
}

static void
vd_stop(struct vd *v)
{
	int rc = itest_stop(&v->p, 15000);

	free(v->db);
	free(v->sock);
	free(v->conf);
	free(v->log);
	vt_rmdir(&v->data);
	itest_cleanup_dir(&v->dir);
	memset(v, 0, sizeof(*v));
	cr_expect_eq(rc, 0, "tessera-virusd exit status %d", rc);
}

/* One message to send and what to expect of it. */
struct msg {
	const char *file;	/* in the data directory, or absolute */
	const char *expect;	/* reject, tempfail, accept, quarantine */
	const char *a, *b, *c;	/* reject/tempfail: code, xcode, text;
				 * accept: header name, value;
				 * quarantine: name, value, reason */
};

/* The miltertest command line that sends msgs over one milter
 * connection (at most 3): argv (64 slots) NULL-terminated, its strings
 * freed by args_free. */
static void
args_build(struct vd *v, const struct msg *msgs, size_t n, char **argv)
{
	size_t k = 0;

	cr_assert_leq(n, 3);
	argv[k++] = xstrdup("miltertest");
	argv[k++] = xstrdup("-s");
	argv[k++] = vt_srcpath("tests/integration/virusd/message.lua");
	argv[k++] = fmt("-Dsock=%s", v->sock);
	argv[k++] = fmt("-Dn=%zu", n);
	for (size_t i = 0; i < n; i++) {
		const struct msg *m = &msgs[i];
		bool reply = strcmp(m->expect, "reject") == 0 ||
		    strcmp(m->expect, "tempfail") == 0;
		char *path = m->file[0] == '/' ? fmt("%s", m->file) :
		    vt_join(v->data, m->file);

		argv[k++] = fmt("-Dfile%zu=%s", i + 1, path);
		free(path);
		argv[k++] = fmt("-Dexpect%zu=%s", i + 1, m->expect);
		argv[k++] = fmt(reply ? "-Dcode%zu=%s" : "-Dhname%zu=%s",
		    i + 1, m->a);
		argv[k++] = fmt(reply ? "-Dxcode%zu=%s" : "-Dhvalue%zu=%s",
		    i + 1, m->b);
		if (m->c != NULL)
			argv[k++] = fmt(reply ? "-Dtext%zu=%s" :
			    "-Dreason%zu=%s", i + 1, m->c);
	}
	argv[k] = NULL;
}

static void
args_free(char **argv)
{
	for (size_t i = 0; argv[i] != NULL; i++)
		free(argv[i]);
}

/* Send msgs over one milter connection with miltertest; 0 if every
 * expectation held. Output (for messages) into out. */
static int
miltertest(struct vd *v, const struct msg *msgs, size_t n, struct buf *out)
{
	char *argv[64];
	int rc;

	args_build(v, msgs, n, argv);
	rc = itest_run(argv, NULL, out, 60000);
	args_free(argv);
	return rc;
}

static void
expect_all(struct vd *v, const struct msg *msgs, size_t n)
{
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	int rc = miltertest(v, msgs, n, out);

	if (rc != 0)
		itest_dump_log(v->log);
	cr_assert_eq(rc, 0, "miltertest: status %d\n%s", rc, buf_cstr(out));
	buf_free(&out);
}

static const char *const all_db[] = { "tessera-test.hdb",
	"tessera-test.ndb", NULL };

#define REJECT(f, sig) { f, "reject", "554", "5.7.1", "Virus found: " sig }
#define CLEAN(f) { f, "accept", "X-Virus-Scanned", "tessera-virusd", NULL }

Test(virusd, eicar_attachment_is_refused_naming_the_signature)
{
	const struct msg m[] = { REJECT("attach.eml", EICAR_SIG) };

	vd_start(&V, "", all_db);
	expect_all(&V, m, 1);
	cr_assert(log_has(&V, "qid=QID1 result=infected name=\"" EICAR_SIG
	    "\" verdict=reject"));
	vd_stop(&V);
}

Test(virusd, eicar_inline_zipped_and_a_testfiles_mail_are_refused)
{
	const struct msg m[] = {
		REJECT("inline.eml", EICAR_SIG),
		REJECT("attach-zip.eml", EICAR_SIG),
		REJECT(VT_TESTFILES "/clam.mail", CLAMEXE_SIG),
	};

	vd_start(&V, "", all_db);
	expect_all(&V, m, 3);
	vd_stop(&V);
}

/* Clean mail, also after a refused message on the same connection
 * (nothing of the previous message is left in the buffer). */
Test(virusd, clean_mail_is_accepted_with_the_header)
{
	const struct msg m[] = {
		CLEAN("clean.eml"),
		REJECT("attach.eml", EICAR_SIG),
		CLEAN("clean-attach.eml"),
	};

	vd_start(&V, "", all_db);
	expect_all(&V, m, 3);
	vd_stop(&V);
}

Test(virusd, scanned_header_is_configurable)
{
	const struct msg m[] = {
		{ "clean.eml", "accept", "X-Scanned-By", "av.example.test",
		  NULL },
	};

	vd_start(&V, "scanned_header = X-Scanned-By: av.example.test\n",
	    all_db);
	expect_all(&V, m, 1);
	vd_stop(&V);
}

Test(virusd, quarantine_mode_holds_infected_mail)
{
	const struct msg m[] = {
		{ "attach.eml", "quarantine", "X-Virus-Status",
		  "infected; signature=" EICAR_SIG, "virus " EICAR_SIG },
		CLEAN("clean.eml"),
	};

	vd_start(&V, "action = quarantine\n", all_db);
	expect_all(&V, m, 2);
	cr_assert(log_has(&V, "verdict=quarantine"));
	vd_stop(&V);
}

/* A zip six deep past max_recursion = 3, and a message past
 * max_message_size (spilled to temp_dir on the way): each exceed action. */
Test(virusd, limits_take_the_exceed_action)
{
	const struct msg accept[] = {
		{ "attach-depth6.eml", "accept", "X-Virus-Status",
		  "unscanned; limit=max_recursion", NULL },
		{ "big.eml", "accept", "X-Virus-Status",
		  "unscanned; limit=max_message_size", NULL },
		CLEAN("clean.eml"),
	};
	const struct msg tempfail[] = {
		{ "attach-depth6.eml", "tempfail", "451", "4.7.1",
		  "Message could not be scanned for viruses (limit"
		  " max_recursion)" },
	};
	const struct msg reject[] = {
		{ "big.eml", "reject", "554", "5.7.1",
		  "Message exceeds the virus scan limit max_message_size" },
		REJECT("attach.eml", EICAR_SIG),
	};
	const char *lim = "max_recursion = 3\nmax_message_size = 100k\n"
	    "memory_size = 10k\n";
	char *conf;

	conf = fmt("%sexceed_action = accept\n", lim);
	vd_start(&V, conf, all_db);
	free(conf);
	expect_all(&V, accept, 3);
	cr_assert(log_has(&V, "result=exceeded name=\"max_message_size\""
	    " verdict=accept size=343212 spilled=yes"));
	vd_stop(&V);

	conf = fmt("%sexceed_action = tempfail\n", lim);
	vd_start(&V, conf, all_db);
	free(conf);
	expect_all(&V, tempfail, 1);
	vd_stop(&V);

	conf = fmt("%sexceed_action = reject\n", lim);
	vd_start(&V, conf, all_db);
	free(conf);
	expect_all(&V, reject, 2);
	vd_stop(&V);
}

Test(virusd, max_scan_size_is_a_limit)
{
	const struct msg m[] = {
		{ "big.eml", "tempfail", "451", "4.7.1",
		  "Message could not be scanned for viruses (limit"
		  " max_scan_size)" },
		CLEAN("clean.eml"),
	};

	vd_start(&V, "max_scan_size = 64k\nexceed_action = tempfail\n",
	    all_db);
	expect_all(&V, m, 2);
	vd_stop(&V);
}

/* Eight MTA connections at once, each with infected and clean mail,
 * all scanned with the one engine of the filter process. */
Test(virusd, concurrent_connections_share_the_engine)
{
	const struct msg m[] = {
		REJECT("attach.eml", EICAR_SIG),
		CLEAN("clean-attach.eml"),
		REJECT("attach-zip.eml", EICAR_SIG),
	};
	struct itest_proc *p[8];
	char *logs[8];
	char *argv[64];

	vd_start(&V, "", all_db);
	args_build(&V, m, 3, argv);
	for (size_t i = 0; i < 8; i++) {
		logs[i] = fmt("%s/miltertest%zu.log", V.dir, i);
		p[i] = itest_start(argv, NULL, logs[i]);
		cr_assert_not_null(p[i]);
	}
	args_free(argv);
	for (size_t i = 0; i < 8; i++) {
		int rc;

		for (int t = 0; t < 1200 && itest_alive(p[i]); t++)
			usleep(50000);
		rc = itest_stop(&p[i], 1000);
		if (rc != 0)
			itest_dump_log(logs[i]);
		cr_assert_eq(rc, 0, "miltertest %zu: status %d", i, rc);
		free(logs[i]);
	}
	vd_stop(&V);
}

/* The pid in the last log line "filter process pid=N started". */
static pid_t
filter_pid(const struct vd *v)
{
	FILE *f = fopen(v->log, "r");
	char line[4096];
	long pid = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = strstr(line, "filter process pid=");

		if (p != NULL && strstr(p, " started") != NULL)
			pid = strtol(p + strlen("filter process pid="), NULL, 10);
	}
	fclose(f);
	cr_assert_gt(pid, 0);
	return (pid_t)pid;
}

/* A filter process that dies (after its first 5 s) is started again by
 * the supervisor, and mail is scanned again. */
Test(virusd, a_killed_filter_process_is_restarted)
{
	const struct msg m[] = { REJECT("attach.eml", EICAR_SIG) };
	pid_t first;

	vd_start(&V, "", all_db);
	expect_all(&V, m, 1);
	first = filter_pid(&V);
	sleep(6);
	cr_assert_eq(kill(first, SIGKILL), 0);
	wait_log(&V, "ended (status 9)");
	for (int i = 0; i < 200 && filter_pid(&V) == first; i++)
		usleep(50000);
	cr_assert_neq(filter_pid(&V), first);
	expect_all(&V, m, 1);
	vd_stop(&V);
}

/* A scan that fails (temp_dir removed under the running milter) gets
 * error_action: tempfail by default, or accept with a header. */
Test(virusd, scan_errors_take_the_error_action)
{
	const struct msg tempfail[] = {
		{ "attach.eml", "tempfail", "451", "4.7.1",
		  "Virus scan failed, try again later" },
		{ "clean.eml", "tempfail", "451", "4.7.1",
		  "Virus scan failed, try again later" },
	};
	const struct msg accept[] = {
		{ "clean.eml", "accept", "X-Virus-Status", "unscanned; error",
		  NULL },
	};
	char *tmp;

	vd_start(&V, "", all_db);
	tmp = vt_join(V.dir, "tmp");
	cr_assert_eq(rmdir(tmp), 0);
	expect_all(&V, tempfail, 2);
	cr_assert(log_has(&V, "result=error"));
	free(tmp);
	vd_stop(&V);

	vd_start(&V, "error_action = accept\n", all_db);
	tmp = vt_join(V.dir, "tmp");
	cr_assert_eq(rmdir(tmp), 0);
	expect_all(&V, accept, 1);
	free(tmp);
	vd_stop(&V);
}

/* SIGHUP reloads database_dir: with hash signatures only, EICAR inside a
 * body passes; after the body signatures are added and the milter told,
 * it is refused. A reload that fails keeps the engine in service. */
Test(virusd, sighup_reloads_the_databases)
{
	static const char *const hdb_only[] = { "tessera-test.hdb", NULL };
	static const char *const ndb[] = { "tessera-test.ndb", NULL };
	const struct msg before[] = { CLEAN("inline.eml") };
	const struct msg after[] = { REJECT("inline.eml", EICAR_SIG) };
	char *broken;

	vd_start(&V, "", hdb_only);
	expect_all(&V, before, 1);
	db_add(&V, ndb);
	cr_assert_eq(kill(V.p->pid, SIGHUP), 0);
	wait_log(&V, "virusd: reloaded database_dir=");
	expect_all(&V, after, 1);
	cr_assert(log_has(&V, "signatures=4"));

	broken = vt_join(V.db, "broken.ndb");
	cr_assert_eq(vt_write(broken, "Broken:0:*:zz\n", 14), 0);
	cr_assert_eq(kill(V.p->pid, SIGHUP), 0);
	wait_log(&V, "reload failed, keeping the databases in service");
	expect_all(&V, after, 1);
	free(broken);
	vd_stop(&V);
}

Test(virusd, a_database_without_signatures_stops_the_start)
{
	const char *b = getenv("TESSERA_BUILDDIR");
	char *dir = itest_tmpdir("virusd-empty");
	char *conf = vt_join(dir, "tessera.conf");
	char *log = vt_join(dir, "log");
	char *bin = fmt("%s/milters/virus/tessera-virusd", b ? b : ".");
	char *text = fmt("[global]\nuser = nobody\n[virusd]\n"
	    "socket = unix:%s/s.sock\ndatabase_dir = %s\n", dir, dir);
	char *argv[] = { bin, "-c", conf, "-f", NULL };
	struct itest_proc *p;
	int rc = -1;

	cr_assert_eq(chmod(dir, 0755), 0);
	cr_assert_eq(vt_write(conf, text, strlen(text)), 0);
	p = itest_start(argv, NULL, log);
	cr_assert_not_null(p);
	for (int i = 0; i < 200 && itest_alive(p); i++)
		usleep(50000);
	cr_assert_not(itest_alive(p), "still running without signatures");
	rc = itest_stop(&p, 1000);
	cr_assert_eq(rc, 1);
	{
		const struct vd lv = { .log = log };

		cr_assert(log_has(&lv, "cannot load databases from"));
	}
	free(conf);
	free(log);
	free(bin);
	free(text);
	itest_cleanup_dir(&dir);
}

/* The scan command: one line per file, the exit status says the worst. */
Test(virusd, scan_command)
{
	const char *b = getenv("TESSERA_BUILDDIR");
	char *bin = fmt("%s/milters/virus/tessera-virusd", b ? b : ".");
	char *db = vt_srcpath("tests/data/clamav");
	char *data = vt_data_dir();
	char *eicar = vt_join(data, "eicar.com");
	char *clean = vt_join(data, "clean.eml");
	char *exe = vt_join(VT_TESTFILES, "clam.exe");
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	char *infected[] = { bin, "-d", db, "scan", clean, eicar, exe, NULL };
	char *ok[] = { bin, "-d", db, "scan", clean, NULL };
	char *missing[] = { bin, "-d", db, "scan", clean,
		(char *)"/nonexistent/file", NULL };
	struct buf *line = buf_new(256, 4096);

	cr_assert_eq(itest_run(infected, NULL, out, 30000), 1, "%s",
	    buf_cstr(out));
	buf_printf(line, "%s: clean action=accept\n", clean);
	cr_assert_not_null(strstr(buf_cstr(out), buf_cstr(line)), "%s",
	    buf_cstr(out));
	buf_reset(line);
	buf_printf(line, "%s: infected " EICAR_SIG " action=reject\n", eicar);
	cr_assert_not_null(strstr(buf_cstr(out), buf_cstr(line)), "%s",
	    buf_cstr(out));
	cr_assert_not_null(strstr(buf_cstr(out), "clam.exe: infected "
	    "Tessera.Test.ClamExe."), "%s", buf_cstr(out));
	buf_reset(out);
	cr_assert_eq(itest_run(ok, NULL, out, 30000), 0, "%s", buf_cstr(out));
	buf_reset(out);
	cr_assert_eq(itest_run(missing, NULL, out, 30000), 2, "%s",
	    buf_cstr(out));
	cr_assert_not_null(strstr(buf_cstr(out),
	    "/nonexistent/file: error cannot open"), "%s", buf_cstr(out));
	buf_free(&out);
	buf_free(&line);
	free(bin);
	free(db);
	free(eicar);
	free(clean);
	free(exe);
	vt_rmdir(&data);
}
