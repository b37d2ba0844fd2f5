/*
 * tests/unit/mtad/delivery_test.c - the queue manager's steps that need
 * no server: the [mtad.delivery] section (defaults, ranges, documented),
 * the loop check at its limits, which outcomes are reported (NOTIFY) and
 * the report queued into a real spool (envelope, origin mark, RET).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "mtad/delivery_config.h"
#include "mtad/dsn.h"
#include "mtad/qmgr_loop.h"
#include "mtad/qmgr_submit.h"
#include "tests/unit/docs_check.h"
#include "tests/unit/mtad/queue_testutil.h"
#include "lib/banned.h"

static struct cfg *
load(const char *text, int *rc)
{
	struct buf *err = buf_new(256, 65536);
	struct cfg *c = cfg_new(&delivery_config_def, 1);

	*rc = cfg_load_string(c, "test.conf", text, err);
	buf_free(&err);
	return c;
}

/* The parallel delivery and LMTP connection keys: defaults, and each
 * limit at its bounds and past them. 0, or the number of failures. */
static int
d_defaults_checked(void)
{
	static const struct { const char *text; int rc; } cases[] = {
		{ "max_parallel_messages = 1000\n", 0 },
		{ "max_parallel_messages = 1001\n", -1 },
		{ "max_parallel_messages = 0\n", -1 },
		{ "lmtp_max_connections = 1\n", 0 },
		{ "lmtp_max_connections = 1001\n", -1 },
		{ "lmtp_max_per_destination = 0\n", -1 },
		{ "lmtp_idle_timeout = 100ms\n", 0 },
		{ "lmtp_idle_timeout = 99ms\n", -1 },
		{ "lmtp_idle_timeout = 2h\n", -1 },
		{ "lmtp_max_messages_per_connection = 1\n", 0 },
		{ "lmtp_max_messages_per_connection = 1000001\n", -1 },
	};
	int rc, bad = 0;
	struct cfg *c = load("", &rc);
	const struct delivery_config *d = cfg_get(c, "mtad.delivery");

	bad += d->max_parallel_messages != 20;
	bad += d->lmtp_max_connections != 10;
	bad += d->lmtp_max_per_destination != 10;
	bad += d->lmtp_idle_timeout != 10000;
	bad += d->lmtp_max_messages_per_connection != 1000;
	cfg_free(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];

		cr_assert_eq(str_printf(text, sizeof(text),
		    "[mtad.delivery]\n%s", cases[i].text), 0);
		c = load(text, &rc);
		if (rc != cases[i].rc) {
			cr_log_error("%s: %d", cases[i].text, rc);
			bad++;
		}
		cfg_free(&c);
	}
	return bad;
}

Test(delivery_config, defaults_and_ranges)
{
	int rc;
	struct cfg *c = load("", &rc);
	const struct delivery_config *d = cfg_get(c, "mtad.delivery");

	cr_assert_eq(rc, 0);
	cr_assert_str_eq(d->postmaster, "postmaster");
	cr_assert_eq(d->delay_warning, 0);
	cr_assert_eq(d->dsn_return_max, 1024 * 1024);
	cr_assert_eq(d->loop_header_max, 1024 * 1024);
	cfg_free(&c);
	c = load("[mtad.delivery]\ndelay_warning = 30d\n"
	    "loop_header_max = 4k\n", &rc);
	cr_assert_eq(rc, 0);
	cfg_free(&c);
	c = load("[mtad.delivery]\ndelay_warning = 31d\n", &rc);
	cr_assert_eq(rc, -1);
	cfg_free(&c);
	c = load("[mtad.delivery]\nloop_header_max = 4095\n", &rc);
	cr_assert_eq(rc, -1);
	cfg_free(&c);
	cr_assert_eq(d_defaults_checked(), 0);
	c = load("[mtad.delivery]\nno_such_key = 1\n", &rc);
	cr_assert_eq(rc, -1);
	cfg_free(&c);
}

Test(delivery_config, every_key_documented)
{
	cr_assert_eq(docs_check_sections(&delivery_config_def, 1), 9);
}

/* A header with n Received: fields and the given extra lines. */
static struct buf *
header(size_t n, const char *extra)
{
	struct buf *b = buf_new(1024, 1 << 20);

	for (size_t i = 0; i < n; i++)
		buf_printf(b, "Received: from h%zu by h%zu; Mon, 1 Jan 2024\r\n"
		    "\tfolded line\r\n", i, i + 1);
	buf_printf(b, "%sSubject: x\r\n\r\nReceived: in the body\r\n",
	    extra);
	return b;
}

Test(qmgr_loop, received_limit_at_max_and_past_it)
{
	struct pool *pool = pool_new("t");
	struct qmgr_loop_info li;
	struct buf *b = header(50, "");

	qmgr_loop_scan(b->data, b->len, 51, pool, &li);
	cr_assert_eq(li.received, 50);		/* the body does not count */
	cr_assert_null(qmgr_loop_check(&li, 50, "a@b", true));
	cr_assert_not_null(qmgr_loop_check(&li, 49, "a@b", true));
	buf_free(&b);
	b = header(51, "");
	qmgr_loop_scan(b->data, b->len, 51, pool, &li);
	cr_assert_eq(li.received, 51);
	cr_assert_not_null(qmgr_loop_check(&li, 50, "a@b", false));
	buf_free(&b);
	pool_free(&pool);
}

Test(qmgr_loop, delivered_to_names_the_recipient)
{
	struct pool *pool = pool_new("t");
	struct qmgr_loop_info li;
	struct buf *b = header(2, "Delivered-To: <Alice@Example.test>\r\n"
	    "delivered-to:\r\n bob@example.test\r\n");

	qmgr_loop_scan(b->data, b->len, 51, pool, &li);
	cr_assert_eq(li.delivered_to_count, 2);
	cr_assert_eq(li.n_delivered_to, 2);
	cr_assert_not_null(qmgr_loop_check(&li, 50, "alice@example.test",
	    true));
	cr_assert_not_null(qmgr_loop_check(&li, 50, "bob@example.test",
	    true));
	cr_assert_null(qmgr_loop_check(&li, 50, "carol@example.test",
	    true));
	/* an expanded copy carries its own Delivered-To: lines */
	cr_assert_null(qmgr_loop_check(&li, 50, "alice@example.test",
	    false));
	/* only dt_max values are kept; the count goes on */
	qmgr_loop_scan(b->data, b->len, 1, pool, &li);
	cr_assert_eq(li.n_delivered_to, 1);
	cr_assert_eq(li.delivered_to_count, 2);
	cr_assert_not_null(qmgr_loop_check(&li, 1, "x@y", false));
	buf_free(&b);
	pool_free(&pool);
}

/* Read the header of text through a file: at most max bytes. */
static size_t
read_header(const char *text, size_t max, struct pool *pool, uint8_t **p)
{
	char path[] = "/tmp/delivery-test-XXXXXX";
	int fd = mkstemp(path);
	size_t len;
	const char *err;

	cr_assert_neq(fd, -1);
	unlink(path);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	lseek(fd, 0, SEEK_SET);
	cr_assert_eq(qmgr_loop_read_header(fd, max, pool, p, &len, &err), 0);
	close(fd);
	return len;
}

Test(qmgr_loop, header_read_stops_at_blank_line_and_max)
{
	struct pool *pool = pool_new("t");
	uint8_t *p;

	cr_assert_eq(read_header("A: 1\r\nB: 2\r\n\r\nbody\r\n", 4096, pool,
	    &p), 14);
	cr_assert_eq(memcmp(p, "A: 1\r\nB: 2\r\n\r\n", 14), 0);
	cr_assert_eq(read_header("A: 1\r\nB: 2\r\n\r\nbody\r\n", 8, pool,
	    &p), 8);
	cr_assert_eq(read_header("A: 1\r\n", 4096, pool, &p), 6);
	pool_free(&pool);
}

Test(dsn, notify_decides_what_is_reported)
{
	struct queue_env env = { .sender = "a@b" };
	struct queue_rcpt r = { .notify = 0 };

	cr_assert(dsn_wanted(&env, &r, DSN_FAILED));
	cr_assert(dsn_wanted(&env, &r, DSN_DELAYED));
	cr_assert_not(dsn_wanted(&env, &r, DSN_DELIVERED));
	r.notify = QUEUE_NOTIFY_NEVER;
	cr_assert_not(dsn_wanted(&env, &r, DSN_FAILED));
	cr_assert_not(dsn_wanted(&env, &r, DSN_DELAYED));
	r.notify = QUEUE_NOTIFY_SUCCESS;
	cr_assert_not(dsn_wanted(&env, &r, DSN_FAILED));
	cr_assert(dsn_wanted(&env, &r, DSN_DELIVERED));
	r.notify = QUEUE_NOTIFY_FAILURE | QUEUE_NOTIFY_DELAY;
	cr_assert(dsn_wanted(&env, &r, DSN_FAILED));
	cr_assert(dsn_wanted(&env, &r, DSN_DELAYED));
	cr_assert_not(dsn_wanted(&env, &r, DSN_DELIVERED));
	/* the null sender: failures only (to the postmaster) */
	env.sender = "";
	r.notify = 0;
	env.client_addr = "x";
	cr_assert(dsn_wanted(&env, &r, DSN_FAILED));
	cr_assert_not(dsn_wanted(&env, &r, DSN_DELAYED));
}

static const char body[] = "Received: from x by y\r\nSubject: hello\r\n"
    "\r\nline one\r\nline two\r\n";

/* Commit a message with env, open it, queue a report on its first
 * recipient; the report's id, or "" if none. */
static int
report(struct queue *q, struct queue_env *env, const struct dsn_settings *s,
    struct pool *pool, char id[QUEUE_ID_MAX])
{
	struct queue_msg *m;
	struct dsn_rcpt r = { .addr = env->rcpts[0].addr,
		.orcpt = env->rcpts[0].orcpt, .action = DSN_FAILED,
		.status = "5.2.2", .reply = "552 5.2.2 Over quota\r\nInjected:"
		" x", .remote_mta = "127.0.0.1", .last_attempt = 1764970001 };
	const char *err;
	char mid[QUEUE_ID_MAX];
	int rc;

	cr_assert_eq(qt_commit(q, env, body, strlen(body), 0, mid), 0);
	cr_assert_eq(queue_msg_open(q, QUEUE_INCOMING, mid, pool, &m, &err),
	    QUEUE_MSG_OK);
	id[0] = '\0';
	rc = dsn_send(q, m, &r, 1, s, pool, id, &err);
	cr_assert_neq(rc, -1, "%s", err);
	queue_msg_close(&m);
	cr_assert_eq(queue_delete(q, QUEUE_INCOMING, mid, pool, &err), 0);
	return rc;
}

/* The report id: envelope into *env, its message text (malloc'd). */
static char *
read_report(struct queue *q, const char *id, struct pool *pool,
    struct queue_env *env)
{
	struct queue_msg *m;
	const char *err;
	size_t len;
	char *text;
	int fd;

	cr_assert_eq(queue_msg_open(q, QUEUE_INCOMING, id, pool, &m, &err),
	    QUEUE_MSG_OK, "%s", err);
	*env = m->env;
	fd = queue_msg_body_fd(m, &err);
	text = qt_read_fd(fd, &len);
	close(fd);
	queue_msg_close(&m);
	return text;
}

Test(dsn, report_is_queued_to_the_sender)
{
	char *dir = qt_tmpdir(), *text, id[QUEUE_ID_MAX];
	struct queue *q = qt_open(dir, 0, 0);
	struct pool *pool = pool_new("t");
	struct dsn_settings s = { .hostname = "mx.example.test",
		.postmaster = "pm@example.test", .return_max = 1 << 20,
		.header_max = 4096 };
	struct queue_env env, got;

	qt_env(&env, pool, 1);
	env.ret = QUEUE_RET_FULL;
	cr_assert_eq(report(q, &env, &s, pool, id), 1);
	text = read_report(q, id, pool, &got);
	cr_assert_str_eq(got.sender, "");
	cr_assert_eq(got.nrcpts, 1);
	cr_assert_str_eq(got.rcpts[0].addr, "alice@example.org");
	cr_assert_eq(qmgr_origin(&got), QMGR_ORIGIN_DSN);
	/* it opens with a Received: line naming its own queue id (accessd's
	 * in-doubt check looks for "id QID" there) */
	cr_assert_eq(strncmp(text, "Received: by mx.example.test (Tessera)"
	    " with local\r\n\tid ", 55), 0, "%s", text);
	cr_assert_eq(strncmp(text + 55, id, strlen(id)), 0, "%s", text);
	cr_assert_eq(text[55 + strlen(id)], ' ');
	cr_assert_not_null(strstr(text, "Content-Type: multipart/report;"
	    " report-type=delivery-status;"));
	cr_assert_not_null(strstr(text, "Original-Envelope-Id: QQ314159\r\n"));
	cr_assert_not_null(strstr(text, "Final-Recipient: rfc822;"
	    " user0@example.test\r\nOriginal-Recipient:"
	    " rfc822;user0@example.test\r\nAction: failed\r\n"
	    "Status: 5.2.2\r\nRemote-MTA: dns; 127.0.0.1\r\n"
	    "Diagnostic-Code: smtp; 552 5.2.2 Over quota??Injected: x\r\n"));
	cr_assert_not_null(strstr(text, "Content-Type: message/rfc822\r\n"
	    "\r\nReceived: from x by y\r\nSubject: hello\r\n\r\nline one\r\n"
	    "line two\r\n\r\n--"));
	free(text);
	queue_close(&q);
	qt_rmrf(dir);
	free(dir);
	pool_free(&pool);
}

Test(dsn, ret_hdrs_and_return_max_return_the_header_only)
{
	char *dir = qt_tmpdir(), *text, id[QUEUE_ID_MAX];
	struct queue *q = qt_open(dir, 0, 0);
	struct pool *pool = pool_new("t");
	struct dsn_settings s = { .hostname = "mx.example.test",
		.postmaster = "", .return_max = sizeof(body) - 1,
		.header_max = 4096 };
	struct queue_env env, got;

	qt_env(&env, pool, 1);
	env.ret = QUEUE_RET_HDRS;
	cr_assert_eq(report(q, &env, &s, pool, id), 1);
	text = read_report(q, id, pool, &got);
	cr_assert_not_null(strstr(text, "Content-Type: text/rfc822-headers"
	    "\r\n\r\nReceived: from x by y\r\nSubject: hello\r\n\r\n\r\n--"));
	cr_assert_null(strstr(text, "line one"));
	free(text);
	/* no RET: whole up to return_max (the size itself), then header */
	env.ret = QUEUE_RET_NONE;
	cr_assert_eq(report(q, &env, &s, pool, id), 1);
	text = read_report(q, id, pool, &got);
	cr_assert_not_null(strstr(text, "line two"));
	free(text);
	s.return_max = sizeof(body) - 2;
	cr_assert_eq(report(q, &env, &s, pool, id), 1);
	text = read_report(q, id, pool, &got);
	cr_assert_null(strstr(text, "line two"));
	cr_assert_not_null(strstr(text, "text/rfc822-headers"));
	free(text);
	queue_close(&q);
	qt_rmrf(dir);
	free(dir);
	pool_free(&pool);
}

Test(dsn, null_sender_goes_to_postmaster_once)
{
	char *dir = qt_tmpdir(), *text, id[QUEUE_ID_MAX];
	struct queue *q = qt_open(dir, 0, 0);
	struct pool *pool = pool_new("t");
	struct dsn_settings s = { .hostname = "mx.example.test",
		.postmaster = "pm@example.test", .return_max = 1 << 20,
		.header_max = 4096 };
	struct queue_env env, got;

	qt_env(&env, pool, 1);
	env.sender = "";
	cr_assert_eq(report(q, &env, &s, pool, id), 1);
	text = read_report(q, id, pool, &got);
	cr_assert_str_eq(got.rcpts[0].addr, "pm@example.test");
	cr_assert_eq(qmgr_origin(&got), QMGR_ORIGIN_DSN2);
	free(text);
	/* the postmaster's copy failing is only logged */
	qmgr_origin_set(&env, QMGR_ORIGIN_DSN2, pool);
	cr_assert_eq(report(q, &env, &s, pool, id), 0);
	cr_assert_str_eq(id, "");
	/* no postmaster configured: nothing */
	qmgr_origin_set(&env, QMGR_ORIGIN_DSN, pool);
	s.postmaster = "";
	cr_assert_eq(report(q, &env, &s, pool, id), 0);
	queue_close(&q);
	qt_rmrf(dir);
	free(dir);
	pool_free(&pool);
}
