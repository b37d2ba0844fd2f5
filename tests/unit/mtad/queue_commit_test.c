/*
 * tests/unit/mtad/queue_commit_test.c - unit tests for
 * mtad/queue_commit.c on temporary spools.
 *
 * Write/commit/abort round trips (message bytes identical through the
 * body descriptor), envelopes that outgrow or undershoot their reserved
 * room, crash simulation (a child SIGKILLed at each step of a commit and
 * at random moments while committing in a loop: every acknowledged
 * message is there and whole, nothing half-written ever looks committed,
 * partial files are cleaned at recovery), and several processes
 * committing at once.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "mtad/queue.h"
#include "tests/unit/mtad/queue_testutil.h"
#include "lib/banned.h"

static char *spool;
static struct queue *q;
static struct pool *pool;

static void
setup(void)
{
	spool = qt_tmpdir();
	q = qt_open(spool, 0, 0);
	pool = pool_new("test");
}

static void
teardown(void)
{
	queue_close(&q);
	pool_free(&pool);
	qt_rmrf(spool);
	free(spool);
}

TestSuite(queue_commit, .init = setup, .fini = teardown);

/* Open id in dir and check its envelope and message bytes. */
static void
check_message(enum queue_dir dir, const char *id, const struct queue_env *env,
    const uint8_t *body, size_t len)
{
	struct queue_msg *m;
	const char *err = NULL;
	char *got;
	size_t glen;
	int fd;

	cr_assert_eq(queue_msg_open(q, dir, id, pool, &m, &err), QUEUE_MSG_OK,
	    "%s: %s", id, err);
	if (env != NULL)
		qt_env_assert_eq(env, &m->env);
	cr_assert_eq(m->env.size, len);
	fd = queue_msg_body_fd(m, &err);
	cr_assert_neq(fd, -1, "%s", err);
	got = qt_read_fd(fd, &glen);
	close(fd);
	cr_assert_eq(glen, len, "%s: %zu bytes, want %zu", id, glen, len);
	cr_assert_eq(memcmp(got, body, len), 0, "%s: bytes differ", id);
	free(got);
	queue_msg_close(&m);
}

Test(queue_commit, committed_message_reads_back_byte_identical)
{
	struct queue_env env;
	char id[QUEUE_ID_MAX];
	static const char body[] = "Received: from x\r\nSubject: hi\r\n\r\n"
	    "bare\nLF and NUL \0 kept as received\r\n";

	qt_env(&env, pool, 3);
	cr_assert_eq(qt_commit(q, &env, body, sizeof(body) - 1, 0, id), 0);
	cr_assert_str_eq(env.id, id);
	cr_assert_eq(env.size, sizeof(body) - 1);
	cr_assert(queue_id_is_valid(id));
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_MESSAGE), 1);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_TEMP), 0);
	check_message(QUEUE_INCOMING, id, &env, (const uint8_t *)body,
	    sizeof(body) - 1);
}

Test(queue_commit, large_message_streamed_in_odd_chunks)
{
	enum { LEN = 3 * 1024 * 1024 + 17 };
	uint8_t *body = xmalloc(LEN);
	struct queue_env env;
	char id[QUEUE_ID_MAX];

	qt_fill(body, LEN, 1);
	qt_env(&env, pool, 1);
	cr_assert_eq(qt_commit(q, &env, body, LEN, 997, id), 0);
	check_message(QUEUE_INCOMING, id, &env, body, LEN);
	/* one write bigger than the write buffer */
	cr_assert_eq(qt_commit(q, &env, body, LEN, 0, id), 0);
	check_message(QUEUE_INCOMING, id, &env, body, LEN);
	free(body);
}

Test(queue_commit, empty_message_commits)
{
	struct queue_env env;
	char id[QUEUE_ID_MAX];

	qt_env(&env, pool, 1);
	cr_assert_eq(qt_commit(q, &env, "", 0, 0, id), 0);
	check_message(QUEUE_INCOMING, id, &env, (const uint8_t *)"", 0);
}

Test(queue_commit, abort_leaves_nothing)
{
	struct queue_env env;
	const char *err;
	struct queue_writer *w;

	qt_env(&env, pool, 1);
	w = queue_writer_new(q, &env, pool, &err);
	cr_assert_not_null(w);
	cr_assert_eq(queue_writer_write(w, "abc", 3, &err), 0);
	cr_assert_eq(queue_writer_size(w), 3);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_TEMP), 1);
	queue_writer_abort(&w);
	cr_assert_null(w);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_TEMP), 0);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_MESSAGE), 0);
	queue_writer_abort(&w);		/* NULL-safe */
}

Test(queue_commit, refused_envelope_leaves_nothing)
{
	struct queue_env env;
	const char *err = NULL;
	struct queue_writer *w;

	qt_env(&env, pool, 1);
	w = queue_writer_new(q, NULL, pool, &err);
	cr_assert_eq(queue_writer_write(w, "abc", 3, &err), 0);
	env.nrcpts = 0;
	cr_assert_eq(queue_writer_commit(&w, &env, &err), -1);
	cr_assert_null(w);
	cr_assert_not_null(err);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_TEMP), 0);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_MESSAGE), 0);
}

Test(queue_commit, write_error_fails_the_commit_and_leaves_nothing)
{
	int status;
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0) {
		/* a file size limit stands in for a full disk: writes past
		 * it fail with EFBIG */
		struct rlimit rl = { 100000, 100000 };
		struct queue_env env;
		struct queue_writer *w;
		const char *err = NULL;
		uint8_t chunk[8192];
		int rc = 0;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		memset(chunk, 'x', sizeof(chunk));
		qt_env(&env, pool, 1);
		w = queue_writer_new(q, &env, pool, &err);
		for (int i = 0; i < 100 && rc == 0; i++)
			rc = queue_writer_write(w, chunk, sizeof(chunk), &err);
		if (rc != -1 || err == NULL || strstr(err, "write") == NULL)
			_exit(1);
		/* no more writes, and the commit fails and cleans up */
		if (queue_writer_write(w, chunk, 1, &err) != -1 ||
		    queue_writer_commit(&w, &env, &err) != -1 || w != NULL)
			_exit(2);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d",
	    status);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_TEMP), 0);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_MESSAGE), 0);
}

Test(queue_commit, open_fails_without_a_state_dir_and_with_bad_limits)
{
	struct queue_limits small = { QUEUE_LINE_MAX_MIN - 1, 10 };
	const char *err = NULL;
	char *missing = pool_printf(pool, "%s/no/such/dir", spool);

	cr_assert_null(queue_open(missing, NULL, pool, &err));
	cr_assert_not_null(strstr(err, missing), "%s", err);
	err = NULL;
	cr_assert_null(queue_open(spool, &small, pool, &err));
	cr_assert_not_null(err);
	small.line_max = QUEUE_LINE_MAX_MIN;
	small.rcpt_max = 0;
	cr_assert_null(queue_open(spool, &small, pool, &err));
}

/* Commit body with hint h and final envelope env. */
static void
commit_hinted(const struct queue_env *h, struct queue_env *env,
    const uint8_t *body, size_t len, char id[QUEUE_ID_MAX])
{
	const char *err = NULL;
	struct queue_writer *w = queue_writer_new(q, h, pool, &err);

	cr_assert_not_null(w, "%s", err);
	memcpy(id, queue_writer_id(w), QUEUE_ID_MAX);
	cr_assert_eq(queue_writer_write(w, body, len, &err), 0);
	cr_assert_eq(queue_writer_commit(&w, env, &err), 0, "%s", err);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_TEMP), 0);
}

Test(queue_commit, envelope_larger_than_its_room_is_relocated)
{
	struct queue_env hint, env;
	uint8_t body[50000];
	char id[QUEUE_ID_MAX];

	qt_fill(body, sizeof(body), 2);
	qt_env(&hint, pool, 1);
	qt_env(&env, pool, 300);	/* a milter added recipients */
	commit_hinted(&hint, &env, body, sizeof(body), id);
	check_message(QUEUE_INCOMING, id, &env, body, sizeof(body));
	/* no hint at all, and more than the default room */
	commit_hinted(NULL, &env, body, sizeof(body), id);
	check_message(QUEUE_INCOMING, id, &env, body, sizeof(body));
}

Test(queue_commit, envelope_smaller_than_its_room_is_padded)
{
	struct queue_env hint, env;
	uint8_t body[1000];
	char id[QUEUE_ID_MAX];
	char *file;

	qt_fill(body, sizeof(body), 3);
	qt_env(&hint, pool, 400);
	qt_env(&env, pool, 1);		/* a milter removed recipients */
	commit_hinted(&hint, &env, body, sizeof(body), id);
	check_message(QUEUE_INCOMING, id, &env, body, sizeof(body));
	file = qt_read_queue_file(spool, "incoming", id, NULL);
	cr_assert_not_null(strstr(file, "\n####"));
	free(file);
}

Test(queue_commit, room_left_over_by_exactly_one_byte)
{
	struct queue_env hint, env;
	struct buf *b = buf_new(4096, 1 << 20);
	const char *err;
	char id[QUEUE_ID_MAX], *helo;
	size_t room, e;

	/* room = hint's envelope at full number widths + 1 + slack; make
	 * the final envelope exactly room - 2 bytes, leaving one byte
	 * between it and the blank line, which no padding line fits */
	qt_env(&hint, pool, 1);
	queue_id_new(hint.id);
	hint.size = UINT64_C(999999999999999);
	hint.arrival = UINT64_C(99999999999);
	cr_assert_eq(queue_env_format(&hint, &q->lim, b, &err), 0);
	room = b->len + 1 + QUEUE_RESERVE_SLACK;
	qt_env(&env, pool, 1);
	queue_id_new(env.id);
	env.size = 1000;
	buf_reset(b);
	cr_assert_eq(queue_env_format(&env, &q->lim, b, &err), 0);
	e = b->len;
	cr_assert_lt(e, room - 2);
	helo = pool_alloc(pool, strlen(env.helo) + room - 2 - e + 1);
	memset(helo, 'h', strlen(env.helo) + room - 2 - e);
	env.helo = helo;
	uint8_t body[1000];
	qt_fill(body, sizeof(body), 4);
	commit_hinted(&hint, &env, body, sizeof(body), id);
	check_message(QUEUE_INCOMING, id, &env, body, sizeof(body));
	buf_free(&b);
}

/* ---- crash simulation ---------------------------------------------- */

static void
die_at(const char *step, void *arg)
{
	if (strcmp(step, (const char *)arg) == 0)
		kill(getpid(), SIGKILL);
}

/* In a child: commit one message, SIGKILLed at step (or mid-stream when
 * step is "stream"). The child reports its id on fd. */
static void
child_commit(const char *step, int fd)
{
	struct pool *p = pool_new("child");
	struct queue_env env;
	const char *err;
	struct queue_writer *w;
	uint8_t body[20000];

	qt_fill(body, sizeof(body), 5);
	queue_set_step_fn(q, die_at, (void *)step);
	qt_env(&env, p, 2);
	w = queue_writer_new(q, &env, p, &err);
	if (w == NULL || write(fd, queue_writer_id(w), QUEUE_ID_LEN) !=
	    QUEUE_ID_LEN)
		_exit(2);
	if (queue_writer_write(w, body, 10000, &err) == -1)
		_exit(2);
	if (strcmp(step, "stream") == 0)
		kill(getpid(), SIGKILL);
	if (queue_writer_write(w, body + 10000, 10000, &err) == -1 ||
	    queue_writer_commit(&w, &env, &err) == -1)
		_exit(2);
	_exit(0);
}

static void
crash_at(const char *step, bool committed)
{
	struct queue_recover_stats st;
	char id[QUEUE_ID_MAX] = "";
	const char *err;
	uint8_t body[20000];
	int p[2], status;
	pid_t pid;

	qt_fill(body, sizeof(body), 5);
	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		close(p[0]);
		child_commit(step, p[1]);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], id, QUEUE_ID_LEN), QUEUE_ID_LEN);
	close(p[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "child not killed at %s (status %d)", step, status);
	cr_assert_eq(queue_recover(q, pool, &st, &err), 0, "%s", err);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_TEMP), 0);
	if (committed) {
		cr_assert_eq(st.temps_removed, 0, "at %s", step);
		check_message(QUEUE_INCOMING, id, NULL, body, sizeof(body));
	} else {
		cr_assert_eq(st.temps_removed, 1, "at %s", step);
		cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_MESSAGE), 0,
		    "killed at %s, yet a message appeared", step);
	}
}

Test(queue_commit, killed_while_streaming_leaves_only_a_temp_file)
{
	crash_at("stream", false);
}

Test(queue_commit, killed_after_the_envelope_write_is_not_committed)
{
	crash_at("written", false);
}

Test(queue_commit, killed_after_the_file_sync_is_not_committed)
{
	crash_at("synced", false);
}

Test(queue_commit, killed_after_the_rename_leaves_a_whole_message)
{
	crash_at("renamed", true);
}

Test(queue_commit, killed_after_the_commit_leaves_a_whole_message)
{
	crash_at("committed", true);
}

/* Child: commit messages in a loop, writing each id once committed. */
static void __attribute__((noreturn))
commit_loop(int fd, unsigned seed, size_t len)
{
	struct pool *p = pool_new("loop");
	uint8_t *body = xmalloc(len);

	for (unsigned i = 0;; i++) {
		struct queue_env env;
		char id[QUEUE_ID_MAX];

		qt_fill(body, len, seed + i);
		qt_env(&env, p, 1 + i % 3);
		if (qt_commit(q, &env, body, len, 4096, id) == -1)
			_exit(2);
		/* the acknowledgement: only now would the session say 250 */
		if (write(fd, id, QUEUE_ID_LEN) != QUEUE_ID_LEN)
			_exit(2);
	}
}

Test(queue_commit, random_kills_lose_no_acknowledged_message)
{
	enum { ROUNDS = 12, LEN = 30000 };
	static uint8_t body[LEN];
	unsigned rnd = 12345;
	size_t acked_total = 0;

	for (int r = 0; r < ROUNDS; r++) {
		struct queue_recover_stats st;
		char ids[4096][QUEUE_ID_MAX];
		size_t n = 0, got = 0;
		const char *err;
		char *all;
		int p[2], status;
		pid_t pid;
		char **list;
		size_t nlist;

		cr_assert_eq(pipe(p), 0);
		pid = fork();
		cr_assert_neq(pid, -1);
		if (pid == 0) {
			close(p[0]);
			commit_loop(p[1], (unsigned)r * 100000, LEN);
		}
		close(p[1]);
		/* once the child is under way (its first acknowledgement;
		 * a loaded or sanitized build is slow to get there), kill it
		 * at a pseudo-random moment of the next commits */
		cr_assert_eq(read(p[0], ids[0], QUEUE_ID_LEN), QUEUE_ID_LEN);
		ids[0][QUEUE_ID_LEN] = '\0';
		n = 1;
		rnd = rnd * 1103515245 + 12345;
		usleep((rnd >> 8) % 30000);
		kill(pid, SIGKILL);
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		all = qt_read_fd(p[0], &got);
		close(p[0]);
		for (size_t off = 0; off + QUEUE_ID_LEN <= got && n < 4096;
		    off += QUEUE_ID_LEN, n++) {
			memcpy(ids[n], all + off, QUEUE_ID_LEN);
			ids[n][QUEUE_ID_LEN] = '\0';
		}
		free(all);
		cr_assert_eq(queue_recover(q, pool, &st, &err), 0);
		cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_TEMP), 0);
		/* every acknowledged message is there, byte-identical */
		for (size_t i = 0; i < n; i++) {
			qt_fill(body, LEN, (unsigned)r * 100000 + (unsigned)i);
			check_message(QUEUE_INCOMING, ids[i], NULL, body, LEN);
		}
		/* and every file that looks committed is whole: at most one
		 * more than acknowledged (killed between rename and reply) */
		cr_assert_eq(queue_scan_ids(q, QUEUE_INCOMING, pool, &list,
		    &nlist, &err), 0);
		for (size_t i = 0; i < nlist; i++) {
			struct queue_msg *m;

			cr_assert_eq(queue_msg_open(q, QUEUE_INCOMING, list[i],
			    pool, &m, &err), QUEUE_MSG_OK, "%s: %s", list[i],
			    err);
			queue_msg_close(&m);
		}
		acked_total += n;
		cr_assert_geq(nlist, acked_total);
		cr_assert_leq(nlist, acked_total + 1);
		acked_total = nlist;
	}
	cr_assert_geq(acked_total, ROUNDS);
}

Test(queue_commit, concurrent_processes_get_unique_ids_and_all_read_back)
{
	enum { PROCS = 8, EACH = 25 };
	char **ids;
	size_t n;
	const char *err;
	pid_t pids[PROCS];

	for (int i = 0; i < PROCS; i++) {
		pids[i] = fork();
		cr_assert_neq(pids[i], -1);
		if (pids[i] == 0) {
			struct pool *p = pool_new("child");
			uint8_t body[5000];

			for (int k = 0; k < EACH; k++) {
				struct queue_env env;
				char id[QUEUE_ID_MAX];

				qt_fill(body, sizeof(body), 7);
				qt_env(&env, p, 2);
				if (qt_commit(q, &env, body, sizeof(body), 1000,
				    id) == -1)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int i = 0; i < PROCS; i++) {
		int status;

		cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	cr_assert_eq(queue_scan_ids(q, QUEUE_INCOMING, pool, &ids, &n, &err),
	    0);
	cr_assert_eq(n, PROCS * EACH);
	for (size_t i = 0; i < n; i++) {
		uint8_t body[5000];

		if (i > 0)
			cr_assert_lt(strcmp(ids[i - 1], ids[i]), 0);
		qt_fill(body, sizeof(body), 7);
		check_message(QUEUE_INCOMING, ids[i], NULL, body, sizeof(body));
	}
}
