/*
 * tests/unit/mtad/queue_state_test.c - unit tests for mtad/queue_state.c:
 * per-recipient updates in ID.state on temporary spools.
 *
 * Updates survive reopening and never touch the message file; the last
 * update of a recipient wins; a torn append is ignored and cut off; a
 * malformed state file sends the message to corrupt/; a state file left
 * behind by a move interrupted by a crash is still read and brought back;
 * a process killed in the middle of an update leaves the old or the new
 * state, never a corrupt one.
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

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "mtad/queue.h"
#include "tests/unit/mtad/queue_testutil.h"
#include "lib/banned.h"

static char *spool;
static struct queue *q;
static struct pool *pool;
static char id[QUEUE_ID_MAX];
static const char body[] = "Subject: t\r\n\r\nhello\r\n";

static void
setup(void)
{
	struct queue_env env;

	log_init("test", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	spool = qt_tmpdir();
	q = qt_open(spool, 0, 0);
	pool = pool_new("test");
	qt_env(&env, pool, 3);
	cr_assert_eq(qt_commit(q, &env, body, sizeof(body) - 1, 0, id), 0);
}

static void
teardown(void)
{
	queue_close(&q);
	pool_free(&pool);
	qt_rmrf(spool);
	free(spool);
}

TestSuite(queue_state, .init = setup, .fini = teardown);

static struct queue_msg *
open_msg(enum queue_dir dir)
{
	struct queue_msg *m;
	const char *err = NULL;

	cr_assert_eq(queue_msg_open(q, dir, id, pool, &m, &err), QUEUE_MSG_OK,
	    "%s", err);
	return m;
}

static void
update(struct queue_msg *m, size_t rcpt, enum queue_rcpt_state s,
    uint32_t attempts, const char *reply)
{
	struct queue_state_rec r = { rcpt, s, attempts, 1764990000, reply };
	const char *err = NULL;

	cr_assert_eq(queue_msg_update(m, &r, 1, &err), 0, "%s", err);
}

static void
append_raw(const char *dir, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/queue/%s/%s.state", spool, dir, id);
	f = fopen(path, "a");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(queue_state, updates_survive_reopen_and_leave_the_message_alone)
{
	struct queue_msg *m = open_msg(QUEUE_INCOMING);
	struct queue_state_rec two[2] = {
		{ 1, QUEUE_RCPT_DEFERRED, 1, 1764990000, "451 4.4.1 later" },
		{ 2, QUEUE_RCPT_BOUNCED, 1, 0, "550 5.1.1 unknown" },
	};
	size_t before_len, after_len;
	char *before = qt_read_queue_file(spool, "incoming", id, &before_len);
	char *after;
	const char *err;

	update(m, 0, QUEUE_RCPT_DELIVERED, 1, "250 2.0.0 Ok");
	cr_assert_eq(queue_msg_update(m, two, 2, &err), 0);
	cr_assert_eq(m->env.rcpts[0].state, QUEUE_RCPT_DELIVERED);
	queue_msg_close(&m);
	m = open_msg(QUEUE_INCOMING);
	cr_assert_eq(m->env.rcpts[0].state, QUEUE_RCPT_DELIVERED);
	cr_assert_str_eq(m->env.rcpts[0].reply, "250 2.0.0 Ok");
	cr_assert_eq(m->env.rcpts[1].state, QUEUE_RCPT_DEFERRED);
	cr_assert_eq(m->env.rcpts[1].next_try, 1764990000);
	cr_assert_eq(m->env.rcpts[1].attempts, 1);
	cr_assert_eq(m->env.rcpts[2].state, QUEUE_RCPT_BOUNCED);
	cr_assert_str_eq(m->env.rcpts[2].reply, "550 5.1.1 unknown");
	queue_msg_close(&m);
	after = qt_read_queue_file(spool, "incoming", id, &after_len);
	cr_assert_eq(before_len, after_len);
	cr_assert_eq(memcmp(before, after, before_len), 0);
	free(before);
	free(after);
}

Test(queue_state, last_update_of_a_recipient_wins)
{
	struct queue_msg *m = open_msg(QUEUE_INCOMING);

	update(m, 1, QUEUE_RCPT_DEFERRED, 1, "421 busy");
	update(m, 1, QUEUE_RCPT_DEFERRED, 2, "451 again");
	update(m, 1, QUEUE_RCPT_DELIVERED, 3, "250 ok");
	queue_msg_close(&m);
	m = open_msg(QUEUE_INCOMING);
	cr_assert_eq(m->env.rcpts[1].state, QUEUE_RCPT_DELIVERED);
	cr_assert_eq(m->env.rcpts[1].attempts, 3);
	cr_assert_str_eq(m->env.rcpts[1].reply, "250 ok");
	cr_assert_eq(m->env.rcpts[0].state, QUEUE_RCPT_PENDING);
	queue_msg_close(&m);
}

Test(queue_state, hostile_reply_stays_on_one_line_and_long_reply_is_cut)
{
	char longer[QUEUE_REPLY_MAX + 100];
	struct queue_msg *m = open_msg(QUEUE_INCOMING);
	char *state;
	size_t n, lines = 0;

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	update(m, 0, QUEUE_RCPT_DEFERRED, 1, "451 x\r\nrcpt 1 state=delivered "
	    "attempts=1 next=0 reply=-\r\n");
	update(m, 2, QUEUE_RCPT_DEFERRED, 1, longer);
	queue_msg_close(&m);
	state = qt_read_queue_file(spool, "incoming", pool_printf(pool,
	    "%s.state", id), &n);
	for (size_t i = 0; i < n; i++)
		lines += state[i] == '\n';
	cr_assert_eq(lines, 2);
	free(state);
	m = open_msg(QUEUE_INCOMING);
	cr_assert_eq(m->env.rcpts[1].state, QUEUE_RCPT_PENDING);
	cr_assert_eq(strlen(m->env.rcpts[2].reply), QUEUE_REPLY_MAX);
	queue_msg_close(&m);
}

Test(queue_state, done_and_next_try_follow_the_updates)
{
	struct queue_msg *m = open_msg(QUEUE_INCOMING);
	struct queue_state_rec r[3] = {
		{ 0, QUEUE_RCPT_DELIVERED, 1, 0, "250 ok" },
		{ 1, QUEUE_RCPT_DEFERRED, 1, 1764990500, "451 later" },
		{ 2, QUEUE_RCPT_DEFERRED, 1, 1764990100, "451 later" },
	};
	const char *err;

	cr_assert_not(queue_env_is_done(&m->env));
	cr_assert_eq(queue_env_next_try(&m->env), 0, "pending: due now");
	cr_assert_eq(queue_msg_update(m, r, 3, &err), 0);
	cr_assert_eq(queue_env_next_try(&m->env), 1764990100);
	r[0].rcpt = 2;
	r[1].state = QUEUE_RCPT_BOUNCED;
	cr_assert_eq(queue_msg_update(m, r, 2, &err), 0);
	cr_assert(queue_env_is_done(&m->env));
	cr_assert_eq(queue_env_next_try(&m->env), UINT64_MAX);
	queue_msg_close(&m);
}

Test(queue_state, update_of_a_recipient_out_of_range_is_refused)
{
	struct queue_msg *m = open_msg(QUEUE_INCOMING);
	struct queue_state_rec r = { 3, QUEUE_RCPT_DELIVERED, 1, 0, "" };
	const char *err = NULL;

	cr_assert_eq(queue_msg_update(m, &r, 1, &err), -1);
	cr_assert_not_null(err);
	r.rcpt = 0;
	r.state = (enum queue_rcpt_state)9;
	cr_assert_eq(queue_msg_update(m, &r, 1, &err), -1);
	queue_msg_close(&m);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_STATE), 0);
}

Test(queue_state, torn_last_line_is_ignored_then_cut_off)
{
	struct queue_msg *m = open_msg(QUEUE_INCOMING);
	char *state;

	update(m, 0, QUEUE_RCPT_DEFERRED, 1, "451 later");
	queue_msg_close(&m);
	append_raw("incoming", "rcpt 0 state=delivered att");
	m = open_msg(QUEUE_INCOMING);
	cr_assert_eq(m->env.rcpts[0].state, QUEUE_RCPT_DEFERRED);
	update(m, 1, QUEUE_RCPT_DELIVERED, 1, "250 ok");
	queue_msg_close(&m);
	state = qt_read_queue_file(spool, "incoming", pool_printf(pool,
	    "%s.state", id), NULL);
	cr_assert_null(strstr(state, "att\n"));
	cr_assert_null(strstr(state, "attrcpt"));
	free(state);
	m = open_msg(QUEUE_INCOMING);
	cr_assert_eq(m->env.rcpts[0].state, QUEUE_RCPT_DEFERRED);
	cr_assert_eq(m->env.rcpts[1].state, QUEUE_RCPT_DELIVERED);
	queue_msg_close(&m);
}

Test(queue_state, torn_first_line_is_ignored_then_cut_off)
{
	struct queue_msg *m;

	append_raw("incoming", "rcpt 0 sta");
	m = open_msg(QUEUE_INCOMING);
	cr_assert_eq(m->env.rcpts[0].state, QUEUE_RCPT_PENDING);
	update(m, 0, QUEUE_RCPT_DELIVERED, 1, "250 ok");
	queue_msg_close(&m);
	m = open_msg(QUEUE_INCOMING);
	cr_assert_eq(m->env.rcpts[0].state, QUEUE_RCPT_DELIVERED);
	queue_msg_close(&m);
}

Test(queue_state, malformed_state_file_sends_the_message_to_corrupt)
{
	struct queue_msg *m = NULL;
	const char *err = NULL;
	char *log;

	append_raw("incoming", "rcpt 7 state=delivered attempts=1 next=0 "
	    "reply=-\n");
	qt_log_start(spool);
	cr_assert_eq(queue_msg_open(q, QUEUE_INCOMING, id, pool, &m, &err),
	    QUEUE_MSG_CORRUPT);
	log = qt_log_end();
	cr_assert_null(m);
	cr_assert_not_null(strstr(log, id), "log: %s", log);
	cr_assert_not_null(strstr(log, "corrupt"), "log: %s", log);
	free(log);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_MESSAGE), 0);
	cr_assert_eq(qt_count(spool, "incoming", QUEUE_NAME_STATE), 0);
	cr_assert_eq(qt_count(spool, "corrupt", QUEUE_NAME_MESSAGE), 1);
	cr_assert_eq(qt_count(spool, "corrupt", QUEUE_NAME_STATE), 1);
}

Test(queue_state, state_line_over_the_limit_is_corrupt)
{
	struct queue_msg *m = NULL;
	const char *err;
	char line[QUEUE_LINE_MAX_DEFAULT + 100];

	memset(line, 'r', sizeof(line) - 2);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	append_raw("incoming", line);
	cr_assert_eq(queue_msg_open(q, QUEUE_INCOMING, id, pool, &m, &err),
	    QUEUE_MSG_CORRUPT);
}

Test(queue_state, state_follows_moves_and_survives_an_interrupted_one)
{
	struct queue_msg *m = open_msg(QUEUE_INCOMING);
	struct queue_recover_stats st;
	const char *err;
	char from[4096], to[4096];

	update(m, 0, QUEUE_RCPT_DEFERRED, 1, "451 later");
	cr_assert_eq(queue_msg_move(m, QUEUE_ACTIVE, false, &err), 0, "%s",
	    err);
	cr_assert_eq(m->dir, QUEUE_ACTIVE);
	cr_assert_eq(qt_count(spool, "active", QUEUE_NAME_STATE), 1);
	queue_msg_close(&m);
	/* a crash between the two renames of a move to deferred/ */
	snprintf(from, sizeof(from), "%s/queue/active/%s", spool, id);
	snprintf(to, sizeof(to), "%s/queue/deferred/%s", spool, id);
	cr_assert_eq(rename(from, to), 0);
	m = open_msg(QUEUE_DEFERRED);
	cr_assert_eq(m->env.rcpts[0].state, QUEUE_RCPT_DEFERRED,
	    "state left in active/ is still read");
	/* the next update brings it back first */
	update(m, 1, QUEUE_RCPT_DELIVERED, 1, "250 ok");
	cr_assert_eq(qt_count(spool, "active", QUEUE_NAME_STATE), 0);
	cr_assert_eq(qt_count(spool, "deferred", QUEUE_NAME_STATE), 1);
	queue_msg_close(&m);
	m = open_msg(QUEUE_DEFERRED);
	cr_assert_eq(m->env.rcpts[0].state, QUEUE_RCPT_DEFERRED);
	cr_assert_eq(m->env.rcpts[1].state, QUEUE_RCPT_DELIVERED);
	queue_msg_close(&m);
	/* the same crash again; this time recovery reunites them */
	snprintf(from, sizeof(from), "%s/queue/deferred/%s", spool, id);
	snprintf(to, sizeof(to), "%s/queue/hold/%s", spool, id);
	cr_assert_eq(rename(from, to), 0);
	cr_assert_eq(queue_recover(q, pool, &st, &err), 0);
	cr_assert_eq(st.states_moved, 1);
	cr_assert_eq(qt_count(spool, "hold", QUEUE_NAME_STATE), 1);
	m = open_msg(QUEUE_HOLD);
	cr_assert_eq(m->env.rcpts[1].state, QUEUE_RCPT_DELIVERED);
	queue_msg_close(&m);
}

static void
die_at(const char *step, void *arg)
{
	if (strcmp(step, (const char *)arg) == 0)
		kill(getpid(), SIGKILL);
}

static void
killed_during_update(const char *step, enum queue_rcpt_state want)
{
	struct queue_msg *m = open_msg(QUEUE_INCOMING);
	int status;
	pid_t pid;

	update(m, 0, QUEUE_RCPT_DEFERRED, 1, "451 first");
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		queue_set_step_fn(q, die_at, (void *)step);
		update(m, 0, QUEUE_RCPT_DELIVERED, 2, "250 second");
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status));
	queue_msg_close(&m);
	m = open_msg(QUEUE_INCOMING);
	cr_assert_eq(m->env.rcpts[0].state, want);
	queue_msg_close(&m);
}

Test(queue_state, killed_after_the_append_keeps_a_readable_state)
{
	/* the write reached the file (page cache) before the kill */
	killed_during_update("state-written", QUEUE_RCPT_DELIVERED);
}

Test(queue_state, killed_after_the_sync_keeps_the_new_state)
{
	killed_during_update("state-synced", QUEUE_RCPT_DELIVERED);
}

/* A reply that makes the state line of rcpt 0 exactly len bytes. */
static char *
reply_for_line(size_t len)
{
	const char *head = "rcpt 0 state=deferred attempts=1 next=1764990000 "
	    "reply=";
	size_t need = len - strlen(head), k = need / 3, m = need % 3;
	char *r = pool_alloc(pool, k + m + 1);

	memset(r, '\x01', k);		/* written as %01: three bytes */
	memset(r + k, 'r', m);
	cr_assert_leq(k + m, QUEUE_REPLY_MAX);
	return r;
}

Test(queue_state, state_line_limit_at_max_minus_one_max_and_max_plus_one)
{
	struct queue *small = qt_open(spool, QUEUE_LINE_MAX_MIN, 0);
	struct queue_state_rec r = { 0, QUEUE_RCPT_DEFERRED, 1, 1764990000,
		NULL };
	struct queue_msg *m;
	const char *err;

	cr_assert_eq(queue_msg_open(small, QUEUE_INCOMING, id, pool, &m, &err),
	    QUEUE_MSG_OK);
	for (size_t n = QUEUE_LINE_MAX_MIN - 1; n <= QUEUE_LINE_MAX_MIN; n++) {
		r.reply = reply_for_line(n);
		cr_assert_eq(queue_msg_update(m, &r, 1, &err), 0, "%zu", n);
	}
	r.reply = reply_for_line(QUEUE_LINE_MAX_MIN + 1);
	cr_assert_eq(queue_msg_update(m, &r, 1, &err), -1);
	queue_msg_close(&m);
	/* what was written reads back under the same limit */
	cr_assert_eq(queue_msg_open(small, QUEUE_INCOMING, id, pool, &m, &err),
	    QUEUE_MSG_OK, "%s", err);
	cr_assert_str_eq(m->env.rcpts[0].reply,
	    reply_for_line(QUEUE_LINE_MAX_MIN));
	queue_msg_close(&m);
	/* and a line one byte longer, written by hand, is refused */
	{
		struct buf *b = buf_new(64, 1 << 20);

		buf_printf(b, "rcpt 0 state=deferred attempts=1 "
		    "next=1764990000 reply=");
		queue_esc_append(b, reply_for_line(QUEUE_LINE_MAX_MIN + 1));
		cr_assert_eq(b->len, QUEUE_LINE_MAX_MIN + 1);
		buf_append_byte(b, '\n');
		append_raw("incoming", buf_cstr(b));
		buf_free(&b);
	}
	cr_assert_eq(queue_msg_open(small, QUEUE_INCOMING, id, pool, &m, &err),
	    QUEUE_MSG_CORRUPT);
	queue_close(&small);
}
