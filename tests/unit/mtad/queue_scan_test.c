/*
 * tests/unit/mtad/queue_scan_test.c - unit tests for mtad/queue_scan.c,
 * mtad/queue_move.c and mtad/queue_msg.c on temporary spools.
 *
 * Listing (sender, recipients and their states, size, age), id scans
 * that skip temp, state and foreign files, moves between directories
 * and deletion (also interrupted by a kill), start-up recovery, and
 * files that fail to parse going to corrupt/ with a log line.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/pool.h"
#include "mtad/queue.h"
#include "tests/unit/mtad/queue_testutil.h"
#include "lib/banned.h"

static char *spool;
static struct queue *q;
static struct pool *pool;

static void
setup(void)
{
	log_init("test", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
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

TestSuite(queue_scan, .init = setup, .fini = teardown);

static void
commit(size_t nrcpts, const char *sender, size_t len, char id[QUEUE_ID_MAX])
{
	struct queue_env env;
	char body[4096];

	memset(body, 'b', sizeof(body));
	qt_env(&env, pool, nrcpts);
	env.sender = (char *)sender;
	cr_assert_eq(qt_commit(q, &env, body, len, 0, id), 0);
}

static void
put_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/queue/%s/%s", spool, dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(queue_scan, list_shows_sender_recipients_states_size_and_age)
{
	char a[QUEUE_ID_MAX], b[QUEUE_ID_MAX];
	struct queue_entry *e;
	struct queue_msg *m;
	struct queue_state_rec r = { 1, QUEUE_RCPT_DELIVERED, 1, 0, "250 ok" };
	const char *err;
	size_t n;

	commit(2, "alice@example.org", 100, a);
	commit(1, "", 2000, b);
	cr_assert_eq(queue_msg_open(q, QUEUE_INCOMING, a, pool, &m, &err),
	    QUEUE_MSG_OK);
	cr_assert_eq(queue_msg_update(m, &r, 1, &err), 0);
	queue_msg_close(&m);
	cr_assert_eq(queue_list(q, QUEUE_INCOMING, 1764970000 + 90, pool, &e,
	    &n, &err), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(e[0].env.id, a, "oldest first");
	cr_assert_str_eq(e[0].env.sender, "alice@example.org");
	cr_assert_eq(e[0].env.nrcpts, 2);
	cr_assert_str_eq(e[0].env.rcpts[0].addr, "user0@example.test");
	cr_assert_eq(e[0].env.rcpts[0].state, QUEUE_RCPT_PENDING);
	cr_assert_eq(e[0].env.rcpts[1].state, QUEUE_RCPT_DELIVERED);
	cr_assert_eq(e[0].env.size, 100);
	cr_assert_eq(e[0].age, 90);
	cr_assert_str_eq(e[1].env.sender, "");
	cr_assert_eq(e[1].env.size, 2000);
	cr_assert_eq(queue_list(q, QUEUE_HOLD, 0, pool, &e, &n, &err), 0);
	cr_assert_eq(n, 0);
}

Test(queue_scan, scan_skips_temp_state_and_foreign_files)
{
	char a[QUEUE_ID_MAX], tmpid[QUEUE_ID_MAX];
	char **ids;
	size_t n;
	const char *err;

	commit(1, "x@y", 10, a);
	queue_id_new(tmpid);
	put_file("incoming", pool_printf(pool, "%s.tmp", tmpid), "partial");
	put_file("incoming", pool_printf(pool, "%s.state", a), "");
	put_file("incoming", "README", "not ours");
	put_file("incoming", "0000000000000000000", "19 chars");
	cr_assert_eq(queue_scan_ids(q, QUEUE_INCOMING, pool, &ids, &n, &err),
	    0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(ids[0], a);
}

Test(queue_scan, moves_between_directories_and_delete)
{
	static const enum queue_dir path[] = { QUEUE_ACTIVE, QUEUE_DEFERRED,
		QUEUE_HOLD, QUEUE_INCOMING, QUEUE_ACTIVE };
	enum queue_dir from = QUEUE_INCOMING, where;
	char a[QUEUE_ID_MAX], b[QUEUE_ID_MAX];
	const char *err = NULL;

	commit(1, "x@y", 10, a);
	commit(1, "x@y", 10, b);
	for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		cr_assert_eq(queue_move(q, a, from, path[i], true, pool,
		    &err), 0, "%s", err);
		cr_assert_eq(queue_msg_find(q, a, &where), 0);
		cr_assert_eq(where, path[i]);
		from = path[i];
	}
	/* never onto an existing message, never from where it is not */
	cr_assert_eq(queue_move(q, b, QUEUE_INCOMING, QUEUE_INCOMING, true,
	    pool, &err), -1);
	cr_assert_eq(queue_move(q, a, QUEUE_INCOMING, QUEUE_HOLD, true, pool,
	    &err), -1);
	put_file("hold", b, "placeholder");
	cr_assert_eq(queue_move(q, b, QUEUE_INCOMING, QUEUE_HOLD, true, pool,
	    &err), -1);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_MESSAGE), 1);
	cr_assert_eq(queue_move(q, "../../etc", QUEUE_ACTIVE, QUEUE_HOLD, true,
	    pool, &err), -1);
	/* delete removes the state file too */
	put_file("active", pool_printf(pool, "%s.state", a), "");
	cr_assert_eq(queue_delete(q, QUEUE_ACTIVE, a, pool, &err), 0);
	cr_assert_eq(queue_msg_find(q, a, &where), -1);
	cr_assert_eq(qt_count(spool, "active", QUEUE_NAME_STATE), 0);
	cr_assert_eq(queue_delete(q, QUEUE_ACTIVE, a, pool, &err), -1);
}

static void
die_at(const char *step, void *arg)
{
	if (strcmp(step, (const char *)arg) == 0)
		kill(getpid(), SIGKILL);
}

Test(queue_scan, delete_killed_halfway_leaves_an_orphan_state_recovered)
{
	struct queue_recover_stats st;
	struct queue_msg *m;
	struct queue_state_rec r = { 0, QUEUE_RCPT_DELIVERED, 1, 0, "250 ok" };
	char a[QUEUE_ID_MAX];
	const char *err;
	int status;
	pid_t pid;

	commit(1, "x@y", 10, a);
	cr_assert_eq(queue_msg_open(q, QUEUE_INCOMING, a, pool, &m, &err),
	    QUEUE_MSG_OK);
	cr_assert_eq(queue_msg_update(m, &r, 1, &err), 0);
	queue_msg_close(&m);
	pid = fork();
	if (pid == 0) {
		queue_set_step_fn(q, die_at, "deleted-message");
		queue_delete(q, QUEUE_INCOMING, a, pool, &err);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status));
	/* the message is gone (never redelivered), its results linger */
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_MESSAGE), 0);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_STATE), 1);
	qt_log_start(spool);
	cr_assert_eq(queue_recover(q, pool, &st, &err), 0);
	free(qt_log_end());
	cr_assert_eq(st.states_removed, 1);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_STATE), 0);
}

Test(queue_scan, move_killed_halfway_keeps_the_results)
{
	struct queue_msg *m;
	struct queue_state_rec r = { 0, QUEUE_RCPT_DELIVERED, 1, 0, "250 ok" };
	char a[QUEUE_ID_MAX];
	const char *err;
	int status;
	pid_t pid;

	commit(2, "x@y", 10, a);
	cr_assert_eq(queue_msg_open(q, QUEUE_INCOMING, a, pool, &m, &err),
	    QUEUE_MSG_OK);
	cr_assert_eq(queue_msg_update(m, &r, 1, &err), 0);
	queue_msg_close(&m);
	pid = fork();
	if (pid == 0) {
		queue_set_step_fn(q, die_at, "moved-message");
		queue_move(q, a, QUEUE_INCOMING, QUEUE_DEFERRED, true, pool,
		    &err);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status));
	cr_assert_eq(queue_msg_open(q, QUEUE_DEFERRED, a, pool, &m, &err),
	    QUEUE_MSG_OK);
	cr_assert_eq(m->env.rcpts[0].state, QUEUE_RCPT_DELIVERED,
	    "a delivered recipient is not delivered again");
	queue_msg_close(&m);
}

Test(queue_scan, recover_removes_partial_files_and_logs_them)
{
	struct queue_recover_stats st;
	char t1[QUEUE_ID_MAX], t2[QUEUE_ID_MAX], a[QUEUE_ID_MAX];
	const char *err;
	char *log;

	commit(1, "x@y", 10, a);
	queue_id_new(t1);
	queue_id_new(t2);
	put_file("incoming", pool_printf(pool, "%s.tmp", t1), "partial");
	put_file("incoming", pool_printf(pool, "%s.r.tmp", t2), "partial");
	put_file("incoming", "notes.txt", "foreign");
	qt_log_start(spool);
	cr_assert_eq(queue_recover(q, pool, &st, &err), 0);
	log = qt_log_end();
	cr_assert_eq(st.temps_removed, 2);
	cr_assert_eq(st.foreign, 1);
	cr_assert_not_null(strstr(log, t1), "%s", log);
	cr_assert_not_null(strstr(log, t2), "%s", log);
	free(log);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_TEMP), 0);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_MESSAGE), 1);
}

/* Rewrite the committed message a with from replaced by to. */
static void
tamper(const char *a, const char *from, const char *to)
{
	size_t len;
	char *s = qt_read_queue_file(spool, "incoming", a, &len);
	char *p = strstr(s, from);
	char path[4096];
	FILE *f;

	cr_assert_not_null(p);
	snprintf(path, sizeof(path), "%s/queue/incoming/%s", spool, a);
	f = fopen(path, "w");
	fwrite(s, 1, (size_t)(p - s), f);
	fputs(to, f);
	fwrite(p + strlen(from), 1, len - (size_t)(p - s) - strlen(from), f);
	fclose(f);
	free(s);
}

static void
goes_to_corrupt(const char *a, const char *reason)
{
	struct queue_entry *e;
	struct queue_msg *m;
	const char *err = NULL;
	enum queue_dir where;
	size_t n;
	char *log;

	qt_log_start(spool);
	cr_assert_eq(queue_list(q, QUEUE_INCOMING, 0, pool, &e, &n, &err), 0);
	log = qt_log_end();
	cr_assert_eq(n, 0);
	cr_assert_eq(queue_msg_find(q, a, &where), 0);
	cr_assert_eq(where, QUEUE_CORRUPT);
	cr_assert_not_null(strstr(log, "corrupt"), "%s", log);
	cr_assert_not_null(strstr(log, a), "%s", log);
	cr_assert_not_null(strstr(log, reason), "%s", log);
	free(log);
	/* opened there, it is still reported corrupt and stays */
	cr_assert_eq(queue_msg_open(q, QUEUE_CORRUPT, a, pool, &m, &err),
	    QUEUE_MSG_CORRUPT);
	cr_assert_eq(qt_count(spool, "corrupt", QUEUE_NAME_MESSAGE), 1);
	/* and the listing of corrupt/ shows it with the reason */
	cr_assert_eq(queue_list(q, QUEUE_CORRUPT, 0, pool, &e, &n, &err), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(e[0].env.id, a);
	cr_assert_not_null(e[0].corrupt);
	cr_assert_not_null(strstr(e[0].corrupt, reason), "%s", e[0].corrupt);
}

Test(queue_scan, garbled_envelope_goes_to_corrupt)
{
	char a[QUEUE_ID_MAX];

	commit(1, "x@y", 10, a);
	tamper(a, "\nhelo ", "\nhelo\r");
	goes_to_corrupt(a, "control");
}

Test(queue_scan, truncated_message_goes_to_corrupt)
{
	char a[QUEUE_ID_MAX];

	commit(1, "x@y", 100, a);
	tamper(a, "bbbbbbbbbb", "");
	goes_to_corrupt(a, "length");
}

Test(queue_scan, envelope_naming_another_id_goes_to_corrupt)
{
	char a[QUEUE_ID_MAX], other[QUEUE_ID_MAX];

	commit(1, "x@y", 10, a);
	queue_id_new(other);
	tamper(a, a, other);
	goes_to_corrupt(a, "file name");
}

Test(queue_scan, too_many_recipients_for_the_reader_goes_to_corrupt)
{
	struct queue *small;
	struct queue_msg *m;
	char a[QUEUE_ID_MAX];
	const char *err;

	commit(5, "x@y", 10, a);
	small = qt_open(spool, 0, 4);
	qt_log_start(spool);
	cr_assert_eq(queue_msg_open(small, QUEUE_INCOMING, a, pool, &m, &err),
	    QUEUE_MSG_CORRUPT);
	free(qt_log_end());
	queue_close(&small);
	small = qt_open(spool, 0, 5);
	cr_assert_eq(queue_msg_open(small, QUEUE_CORRUPT, a, pool, &m, &err),
	    QUEUE_MSG_OK, "at the limit it reads");
	queue_msg_close(&m);
	queue_close(&small);
}

Test(queue_scan, open_of_a_missing_message_is_notfound)
{
	struct queue_msg *m;
	char a[QUEUE_ID_MAX];
	const char *err;

	queue_id_new(a);
	cr_assert_eq(queue_msg_open(q, QUEUE_ACTIVE, a, pool, &m, &err),
	    QUEUE_MSG_NOTFOUND);
	cr_assert_eq(queue_msg_open(q, QUEUE_ACTIVE, "../x", pool, &m, &err),
	    QUEUE_MSG_NOTFOUND);
}

Test(queue_scan, dir_names_round_trip)
{
	enum queue_dir d;

	for (int i = 0; i < QUEUE_NDIRS; i++) {
		cr_assert_eq(queue_dir_parse(queue_dir_name((enum queue_dir)i),
		    &d), 0);
		cr_assert_eq(d, (enum queue_dir)i);
	}
	cr_assert_eq(queue_dir_parse("tmp", &d), -1);
}
