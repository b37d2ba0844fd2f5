/*
 * tests/integration/spamd_test.c - tessera-spamd as a program: learn,
 * train (on errors) and classify on tests/data/spam (held-out accuracy
 * within bounds), the
 * database across runs and when corrupt, and milter mode driven by
 * Debian's miltertest (tests/integration/spamd_milter.lua) on a unix
 * socket: ham tagged "No", spam refused with 550 5.7.1, tagging between
 * thresholds, forged fields removed, a replaced database picked up, the
 * message size limit.
 *
 * Runs the built tessera-spamd in a temporary directory; started as
 * root, the milter runs as nobody.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "milters/spam/spam_db.h"
#include "tests/integration/itest.h"
#include "lib/banned.h"

const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

struct sp {
	char *dir, *db, *conf, *sock, *log, *bin, *data, *script;
	struct itest_proc *p;
};

static struct sp t;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* Run tessera-spamd with args (NULL-terminated, at most 8); output in
 * *out (caller frees) when out is not NULL. Returns the exit status. */
static int
spamd(struct buf **out, const char *const *args)
{
	char *argv[12] = { t.bin };
	size_t n = 1;
	struct buf *b = buf_new(4096, ITEST_OUTPUT_MAX);
	int rc;

	for (; args[n - 1] != NULL && n < 11; n++)
		argv[n] = (char *)args[n - 1];
	argv[n] = NULL;
	rc = itest_run(argv, NULL, b, 60000);
	if (out != NULL)
		*out = b;
	else
		buf_free(&b);
	return rc;
}

static char *
data_path(const char *rel)
{
	char *p = NULL;

	cr_assert_geq(asprintf(&p, "%s/%s", t.data, rel), 0);
	return p;
}

static void
learn(const char *db, const char *kind, const char *rel)
{
	char *path = data_path(rel);
	struct buf *out;
	const char *args[] = { "-d", db, "learn", kind, path, NULL };
	int rc = spamd(&out, args);

	cr_assert_eq(rc, 0, "learn %s %s: %s", kind, rel, buf_cstr(out));
	cr_assert(strstr(buf_cstr(out), "learnt 160 ") != NULL, "%s",
	    buf_cstr(out));
	buf_free(&out);
	free(path);
}

static void
t_init(void)
{
	memset(&t, 0, sizeof(t));
	t.dir = itest_tmpdir("spamd");
	cr_assert_not_null(t.dir);
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		cr_assert_not_null(pw);
		cr_assert_eq(chown(t.dir, pw->pw_uid, pw->pw_gid), 0);
	}
	cr_assert_geq(asprintf(&t.db, "%s/spamd.db", t.dir), 0);
	cr_assert_geq(asprintf(&t.conf, "%s/tessera.conf", t.dir), 0);
	cr_assert_geq(asprintf(&t.sock, "%s/spamd.sock", t.dir), 0);
	cr_assert_geq(asprintf(&t.log, "%s/spamd.log", t.dir), 0);
	cr_assert_geq(asprintf(&t.bin, "%s/tessera-spamd",
	    getenv("TESSERA_BUILDDIR") ? getenv("TESSERA_BUILDDIR") : "."),
	    0);
	t.data = itest_srcpath("tests/data/spam");
	t.script = itest_srcpath("tests/integration/spamd_milter.lua");
	learn(t.db, "--ham", "train/ham");
	learn(t.db, "--spam", "train/spam");
}

static void
t_fini(void)
{
	if (t.p != NULL) {
		/* libmilter notices SIGTERM at its listener's next poll
		 * timeout, up to about 5 s */
		int st = itest_stop(&t.p, 15000);

		cr_expect_eq(st, 0, "tessera-spamd exit status %d", st);
	}
	itest_cleanup_dir(&t.dir);
	free(t.db);
	free(t.conf);
	free(t.sock);
	free(t.log);
	free(t.bin);
	free(t.data);
	free(t.script);
}

TestSuite(spamd, .init = t_init, .fini = t_fini, .timeout = 120);

/* Verdict counts of `classify` over a directory of tests/data/spam. */
static void
classify_counts(const char *rel, int *ham, int *tag, int *reject,
    const char *pick, char **pick_out)
{
	char *path = data_path(rel);
	const char *args[] = { "-d", t.db, "classify", path, NULL };
	struct buf *out;
	int rc = spamd(&out, args);
	char *line, *save = NULL, *text;

	cr_assert_eq(rc, 0, "classify: %s", buf_cstr(out));
	*ham = *tag = *reject = 0;
	text = buf_steal(out, NULL);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *v = strstr(line, " verdict=");

		cr_assert_not_null(v, "odd line: %s", line);
		if (strcmp(v, " verdict=ham") == 0)
			(*ham)++;
		else if (strcmp(v, " verdict=tag") == 0)
			(*tag)++;
		else if (strcmp(v, " verdict=reject") == 0)
			(*reject)++;
		else
			cr_assert_fail("odd verdict: %s", line);
		if (pick != NULL && *pick_out == NULL &&
		    strcmp(v + 9, pick) == 0)
			*pick_out = strndup(line, (size_t)(strstr(line,
			    ": score=") - line));
	}
	free(text);
	buf_free(&out);
	free(path);
}

Test(spamd, held_out_messages_are_classified_within_bounds)
{
	int ham, tag, reject;

	/* 40 held-out ham: at most one false positive */
	classify_counts("test/ham", &ham, &tag, &reject, NULL, NULL);
	cr_assert_eq(ham + tag + reject, 40);
	cr_assert_geq(ham, 39, "ham: %d ham, %d tagged, %d refused", ham, tag,
	    reject);
	/* 40 held-out spam: at most four missed, most refused outright */
	classify_counts("test/spam", &ham, &tag, &reject, NULL, NULL);
	cr_assert_eq(ham + tag + reject, 40);
	cr_assert_leq(ham, 4, "spam: %d ham, %d tagged, %d refused", ham, tag,
	    reject);
	cr_assert_geq(reject, 30, "spam: %d refused", reject);
}

Test(spamd, train_learns_only_what_it_gets_wrong)
{
	char *sp = data_path("train/spam"), *hm = data_path("train/ham");
	const char *args[] = { "-d", t.db, "train", "--spam", sp, "--ham",
		hm, NULL };
	const char *err = NULL;
	struct spam_db *db;
	struct buf *out;
	int ham, tag, reject;
	unsigned long learnt = 0;
	const char *p;

	cr_assert_eq(unlink(t.db), 0);
	cr_assert_eq(spamd(&out, args), 0, "%s", buf_cstr(out));
	p = strstr(buf_cstr(out), "trained on 160 spam and 160 ham: ");
	cr_assert_not_null(p, "%s", buf_cstr(out));
	learnt = strtoul(p + strlen("trained on 160 spam and 160 ham: "),
	    NULL, 10);
	cr_assert(learnt > 0 && learnt < 320, "%s", buf_cstr(out));
	buf_free(&out);
	db = spam_db_open(t.db, 1 << 30, false, &err);
	cr_assert_not_null(db, "%s", err);
	cr_assert_eq(db->n_spam + db->n_ham, learnt);
	cr_assert_gt(db->n_spam, 0);
	cr_assert_gt(db->n_ham, 0);
	spam_db_free(&db);
	/* the held-out messages within the same bounds as after learn */
	classify_counts("test/ham", &ham, &tag, &reject, NULL, NULL);
	cr_assert_geq(ham, 39, "ham: %d ham, %d tagged, %d refused", ham, tag,
	    reject);
	classify_counts("test/spam", &ham, &tag, &reject, NULL, NULL);
	cr_assert_leq(ham, 4, "spam: %d ham, %d tagged, %d refused", ham, tag,
	    reject);
	free(sp);
	free(hm);
}

Test(spamd, database_persists_and_adds_up_across_runs)
{
	const char *err = NULL;
	struct spam_db *db = spam_db_open(t.db, 1 << 30, false, &err);
	char *one = data_path("test/ham");
	const char *args[] = { "-d", t.db, "learn", "--ham", one, NULL };
	struct buf *out;

	cr_assert_not_null(db, "%s", err);
	cr_assert_eq(db->n_spam, 160);
	cr_assert_eq(db->n_ham, 160);
	cr_assert_gt(db->n, 1000);
	spam_db_free(&db);
	cr_assert_eq(spamd(&out, args), 0, "%s", buf_cstr(out));
	cr_assert(strstr(buf_cstr(out), "learnt 40 ham messages") != NULL);
	buf_free(&out);
	db = spam_db_open(t.db, 1 << 30, false, &err);
	cr_assert_not_null(db, "%s", err);
	cr_assert_eq(db->n_ham, 200);
	cr_assert_eq(db->n_spam, 160);
	spam_db_free(&db);
	free(one);
}

Test(spamd, corrupt_database_is_refused)
{
	char *msg = data_path("test/ham");
	const char *cargs[] = { "-d", t.db, "classify", msg, NULL };
	const char *largs[] = { "-d", t.db, "learn", "--spam", msg, NULL };
	struct buf *out;
	FILE *f;
	char head[8];

	static const char junk[] = "TSPAMDB\0garbage that is no database at"
	    " all, and long enough to have a header";

	write_file(t.db, junk, sizeof(junk) - 1);
	cr_assert_eq(spamd(&out, cargs), 1);
	cr_assert(strstr(buf_cstr(out), "bad header size") != NULL ||
	    strstr(buf_cstr(out), "unsupported database version") != NULL,
	    "%s", buf_cstr(out));
	buf_free(&out);
	/* learn does not build on (or replace) a database it cannot read */
	cr_assert_eq(spamd(&out, largs), 1);
	buf_free(&out);
	f = fopen(t.db, "r");
	cr_assert_not_null(f);
	cr_assert_eq(fread(head, 1, 8, f), 8);
	fclose(f);
	cr_assert_eq(memcmp(head, "TSPAMDB\0", 8), 0);
	free(msg);
}

/* Write the config (extra lines in [spamd]) and start the milter. */
static void
milter_start(const char *db, const char *extra)
{
	char *text = NULL, *argv[] = { t.bin, "-c", t.conf, "-f", "run",
		NULL };
	uint64_t t0 = now_ms();

	cr_assert_geq(asprintf(&text, "[global]\nuser = %s\nlog_level = debug\n"
	    "[spamd]\nsocket = unix:%s\ndatabase = %s\n%s",
	    geteuid() == 0 ? "nobody" : getpwuid(geteuid())->pw_name, t.sock,
	    db, extra), 0);
	write_file(t.conf, text, strlen(text));
	free(text);
	t.p = itest_start(argv, NULL, t.log);
	cr_assert_not_null(t.p);
	for (;;) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		cr_assert_lt(strlen(t.sock), sizeof(sa.sun_path));
		memcpy(sa.sun_path, t.sock, strlen(t.sock) + 1);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(fd);
			return;
		}
		close(fd);
		ITEST_ASSERT(itest_alive(t.p), t.p, "tessera-spamd died");
		ITEST_ASSERT(now_ms() - t0 < 10000, t.p, "no socket in 10 s");
		usleep(20 * 1000);
	}
}

/* Whether the log has a line containing needle, waiting up to wait_ms. */
static bool
log_has(const char *needle, int wait_ms)
{
	uint64_t t0 = now_ms();

	for (;;) {
		FILE *f = fopen(t.log, "r");
		char line[4096];
		bool found = false;

		if (f != NULL) {
			while (!found && fgets(line, sizeof(line), f) != NULL)
				found = strstr(line, needle) != NULL;
			fclose(f);
		}
		if (found || now_ms() - t0 >= (uint64_t)wait_ms)
			return found;
		usleep(20 * 1000);
	}
}

/* One message through the milter with miltertest; expect: ham, tag or
 * reject. */
static void
milter_check(const char *msg, const char *expect, bool forged)
{
	char *sock = NULL, *m = NULL, *e = NULL;
	char *env[] = { NULL, NULL, NULL, forged ? "SPAMD_FORGED=1" :
		"SPAMD_FORGED", NULL };
	char *argv[] = { "miltertest", "-s", t.script, NULL };
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	int rc;

	cr_assert_geq(asprintf(&sock, "SPAMD_SOCKET=unix:%s", t.sock), 0);
	cr_assert_geq(asprintf(&m, "SPAMD_MESSAGE=%s", msg), 0);
	cr_assert_geq(asprintf(&e, "SPAMD_EXPECT=%s", expect), 0);
	env[0] = sock;
	env[1] = m;
	env[2] = e;
	rc = itest_run(argv, env, out, 30000);
	ITEST_ASSERT_LOG(rc == 0, t.log, "miltertest (%s, want %s) exit %d: %s",
	    msg, expect, rc, buf_cstr(out));
	buf_free(&out);
	free(sock);
	free(m);
	free(e);
}

/* A held-out message of kind ("ham", "spam") that classify gives
 * verdict (caller frees). */
static char *
pick(const char *kind, const char *verdict)
{
	char rel[32], *path = NULL;
	int h, tg, r;

	cr_assert_eq(str_printf(rel, sizeof(rel), "test/%s", kind), 0);
	classify_counts(rel, &h, &tg, &r, verdict, &path);
	cr_assert_not_null(path, "no %s message is classified %s", kind,
	    verdict);
	return path;
}

Test(spamd, milter_marks_ham_and_refuses_spam)
{
	char *ham = pick("ham", "ham"), *spam = pick("spam", "reject");

	milter_start(t.db, "");
	milter_check(ham, "ham", false);
	milter_check(ham, "ham", true);	/* forged fields removed */
	milter_check(spam, "reject", false);
	cr_assert(log_has("verdict=ham", 2000));
	cr_assert(log_has("verdict=reject", 2000));
	free(ham);
	free(spam);
}

Test(spamd, milter_tags_between_the_thresholds)
{
	char *ham = pick("ham", "ham"), *spam = pick("spam", "reject");

	/* everything from 0 is tagged; only a score of 1 is refused */
	milter_start(t.db, "tag_threshold = 0\nreject_threshold = 1\n");
	milter_check(ham, "tag", false);
	cr_assert(log_has("verdict=tag", 2000));
	free(ham);
	free(spam);
}

Test(spamd, milter_picks_up_a_replaced_database)
{
	char *ham = pick("ham", "ham"), *later = NULL;

	cr_assert_geq(asprintf(&later, "%s/later.db", t.dir), 0);
	milter_start(later, "");
	cr_assert(log_has("not loaded: no such file", 2000));
	/* nothing learnt: one half, not tagged */
	milter_check(ham, "ham", false);
	cr_assert(log_has("verdict=ham score=0.5000", 2000));
	learn(later, "--ham", "train/ham");
	learn(later, "--spam", "train/spam");
	milter_check(ham, "ham", false);
	cr_assert(log_has("loaded spam=160 ham=160", 2000));
	cr_assert(log_has("verdict=ham score=0.0", 2000));
	free(later);
	free(ham);
}

Test(spamd, milter_keeps_its_database_when_the_new_file_is_corrupt)
{
	char *ham = pick("ham", "ham");

	milter_start(t.db, "");
	write_file(t.db, "XXXXXXXX", 8);
	milter_check(ham, "ham", false);
	cr_assert(log_has("not loaded: truncated header; keeping", 2000));
	cr_assert(log_has("verdict=ham score=0.0", 2000));
	free(ham);
}

/* message_size_max: a message past it is scored on its first bytes */
Test(spamd, milter_message_size_limit)
{
	char *ham = pick("ham", "ham"), *big = NULL;
	struct buf *b = buf_new(8192, 1 << 20);
	FILE *f = fopen(ham, "r");
	char chunk[4096];
	size_t n;

	cr_assert_not_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	fclose(f);
	while (b->len < 6000)
		buf_append_str(b, "padding padding padding padding\n");
	cr_assert_geq(asprintf(&big, "%s/big.eml", t.dir), 0);
	write_file(big, (const char *)b->data, b->len);
	milter_start(t.db, "message_size_max = 4k\n");
	milter_check(big, "ham", false);
	cr_assert(log_has("truncated=yes", 2000));
	buf_free(&b);
	free(big);
	free(ham);
}
