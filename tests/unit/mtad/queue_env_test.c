/*
 * tests/unit/mtad/queue_env_test.c - unit tests for mtad/queue_env.c and
 * the state-line format of mtad/queue_state.c.
 *
 * Round trips, byte-by-byte input, hostile values (CR, LF, NUL, spaces,
 * 8-bit), canonical escaping, every malformation the parser must refuse,
 * and the line and recipient limits at max-1, max and max+1.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "mtad/queue.h"
#include "tests/unit/mtad/queue_testutil.h"
#include "lib/banned.h"

static const struct queue_limits lim = { 8192, 100 };

static struct pool *pool;

static void
setup(void)
{
	pool = pool_new("test");
}

static void
teardown(void)
{
	pool_free(&pool);
}

TestSuite(queue_env, .init = setup, .fini = teardown);

/* Format env, append the blank line and a body. */
static struct buf *
file_of(const struct queue_env *env, const struct queue_limits *l)
{
	struct buf *b = buf_new(1024, 64 << 20);
	const char *err = NULL;

	cr_assert_eq(queue_env_format(env, l, b, &err), 0, "format: %s", err);
	cr_assert_eq(buf_append_str(b, "\nBODY\r\n"), 0);
	return b;
}

static int
parse(const struct buf *b, const struct queue_limits *l, struct queue_env *e,
    size_t *off, const char **err)
{
	return queue_env_parse(b->data, b->len, l, pool, e, off, err);
}

static void
sample(struct queue_env *env, size_t n)
{
	qt_env(env, pool, n);
	queue_id_new(env->id);
	env->size = 7;
}

Test(queue_env, format_then_parse_gives_the_same_envelope)
{
	struct queue_env env, got;
	struct buf *b;
	const char *err = NULL;
	size_t off = 0;

	sample(&env, 4);
	env.auth = "alice";
	env.smtputf8 = true;
	env.rcpts[1].notify = QUEUE_NOTIFY_NEVER;
	env.rcpts[2].notify = QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE |
	    QUEUE_NOTIFY_DELAY;
	env.rcpts[2].state = QUEUE_RCPT_DEFERRED;
	env.rcpts[2].attempts = 3;
	env.rcpts[2].next_try = 1764971234;
	env.rcpts[2].reply = "451 4.3.0 try later";
	env.rcpts[3].orcpt = "";
	b = file_of(&env, &lim);
	cr_assert_eq(parse(b, &lim, &got, &off, &err), 1, "%s", err);
	qt_env_assert_eq(&env, &got);
	cr_assert_eq(b->len - off, 6);
	cr_assert_eq(memcmp(b->data + off, "BODY\r\n", 6), 0);
	buf_free(&b);
}

Test(queue_env, null_sender_and_empty_values_round_trip)
{
	struct queue_env env, got;
	struct buf *b;
	const char *err;
	size_t off;

	sample(&env, 1);
	env.sender = "";
	env.helo = "-";		/* the value "-" is not the empty value */
	env.client_name = NULL;
	env.body = QUEUE_BODY_NONE;
	env.ret = QUEUE_RET_NONE;
	b = file_of(&env, &lim);
	cr_assert_not_null(strstr(buf_cstr(b), "\nmail-from -\n"));
	cr_assert_not_null(strstr(buf_cstr(b), "\nhelo %2D\n"));
	cr_assert_eq(parse(b, &lim, &got, &off, &err), 1);
	cr_assert_str_eq(got.sender, "");
	cr_assert_str_eq(got.helo, "-");
	cr_assert_str_eq(got.client_name, "");
	buf_free(&b);
}

Test(queue_env, input_fed_byte_by_byte_needs_more_until_the_blank_line)
{
	struct queue_env env, got;
	struct buf *b;
	const char *err;
	size_t off, end;

	sample(&env, 3);
	b = file_of(&env, &lim);
	end = (size_t)(strstr(buf_cstr(b), "\n\n") - buf_cstr(b)) + 2;
	for (size_t n = 0; n < end; n++)
		cr_assert_eq(queue_env_parse(b->data, n, &lim, pool, &got, &off,
		    &err), 0, "at %zu", n);
	cr_assert_eq(queue_env_parse(b->data, end, &lim, pool, &got, &off,
	    &err), 1);
	cr_assert_eq(off, end);
	buf_free(&b);
}

Test(queue_env, hostile_address_cannot_add_or_hide_a_line)
{
	struct queue_env env, got;
	struct buf *b;
	const char *err;
	size_t off, lines = 0;
	const char *evil = "x@y\r\nrcpt evil@z orcpt=- notify=- state=delivered"
	    " attempts=0 next=0 reply=-\n\nfake body";

	sample(&env, 2);
	env.rcpts[0].addr = (char *)evil;
	env.sender = "a b\tc@\x7f\xc3\xa9";
	env.rcpts[1].reply = "250 ok\r\n\r\nrcpt-count 9";
	b = file_of(&env, &lim);
	cr_assert_null(memchr(b->data, '\r', b->len - 7));
	for (size_t i = 0; i < b->len - 7; i++)
		lines += b->data[i] == '\n';
	cr_assert_eq(lines, QUEUE_ENV_FIXED_LINES + 2);
	cr_assert_eq(parse(b, &lim, &got, &off, &err), 1, "%s", err);
	cr_assert_eq(got.nrcpts, 2);
	cr_assert_str_eq(got.rcpts[0].addr, evil);
	cr_assert_eq(got.rcpts[0].state, QUEUE_RCPT_PENDING);
	cr_assert_str_eq(got.sender, env.sender);
	cr_assert_str_eq(got.rcpts[1].reply, env.rcpts[1].reply);
	buf_free(&b);
}

/* Replace the first occurrence of from by to in the formatted file. */
static struct buf *
edited(const struct queue_env *env, const char *from, const char *to)
{
	struct buf *b = file_of(env, &lim), *o = buf_new(1024, 1 << 20);
	const char *s = buf_cstr(b), *p = strstr(s, from);

	cr_assert_not_null(p, "no %s", from);
	buf_append(o, s, (size_t)(p - s));
	buf_append_str(o, to);
	buf_append(o, p + strlen(from), b->len - (size_t)(p - s) -
	    strlen(from));
	buf_free(&b);
	return o;
}

static void
refused(const char *from, const char *to)
{
	struct queue_env env, got;
	struct buf *b;
	const char *err = NULL;
	size_t off;

	sample(&env, 2);
	b = edited(&env, from, to);
	cr_expect_eq(parse(b, &lim, &got, &off, &err), -1,
	    "accepted %s -> %s", from, to);
	cr_expect_not_null(err);
	buf_free(&b);
}

Test(queue_env, malformed_envelopes_are_refused)
{
	refused("tessera-queue 1\n", "tessera-queue 2\n");
	refused("tessera-queue 1\n", "tessera-queue 01\n");
	refused("arrival ", "arrival  ");
	refused("arrival 1764970000", "arrival 01764970000");
	refused("arrival 1764970000", "arrival -1");
	refused("arrival 1764970000", "arrival 99999999999999999999");
	refused("helo mx.example.org\n", "");
	refused("helo mx.example.org\n", "helo mx.example.org\nhelo x\n");
	refused("helo mx.example.org", "helo mx.example.org ");
	refused("helo mx.example.org", "helo mx.example.org\r");
	refused("helo mx.example.org", "helo mx\x01.example.org");
	refused("helo mx.example.org", "helo mx\xc3\xa9.example.org");
	refused("helo mx.example.org", "helo mx%00.example.org");
	refused("helo mx.example.org", "helo mx%2e.example.org");
	refused("helo mx.example.org", "helo mx%2E.example.org");
	refused("helo mx.example.org", "helo mx%4");
	refused("helo mx.example.org", "helo %");
	refused("mail-body 8BITMIME", "mail-body 8bitmime");
	refused("mail-smtputf8 no", "mail-smtputf8 0");
	refused("mail-ret HDRS", "mail-ret NONE");
	refused("rcpt-count 2", "rcpt-count 3");
	refused("rcpt-count 2", "rcpt-count 1");
	refused("rcpt-count 2", "rcpt-count 0");
	refused("rcpt-count 2", "rcpt-count 101");
	refused("rcpt user0@example.test ", "rcpt - ");
	refused("notify=-", "notify=FAILURE,SUCCESS");
	refused("notify=-", "notify=NEVER,SUCCESS");
	refused("notify=-", "notify=");
	refused("state=pending", "state=sent");
	refused("attempts=0", "attempts=4294967296");
	refused("attempts=0", "attempt=0");
	refused("reply=-", "reply=- extra=1");
	refused("reply=-\n", "reply=-\nrcpt x orcpt=- notify=- state=pending "
	    "attempts=0 next=0 reply=-\n");
	refused("reply=-\n\n", "reply=-\n###x\n\n");
	refused("reply=-\n\n", "reply=-\n # \n\n");
	refused("id ", "id 0");
}

Test(queue_env, raw_nul_byte_is_refused_wherever_it_is)
{
	struct queue_env env, got;
	struct buf *b;
	const char *err;
	size_t off, end;

	sample(&env, 2);
	b = file_of(&env, &lim);
	end = (size_t)(strstr(buf_cstr(b), "\n\n") - buf_cstr(b));
	for (size_t i = 0; i < end; i += 7) {
		uint8_t save = b->data[i];

		b->data[i] = '\0';
		cr_assert_eq(parse(b, &lim, &got, &off, &err), -1, "at %zu", i);
		b->data[i] = save;
	}
	cr_assert_eq(parse(b, &lim, &got, &off, &err), 1);
	buf_free(&b);
}

Test(queue_env, padding_lines_before_the_blank_line_are_skipped)
{
	struct queue_env env, got;
	struct buf *b;
	const char *err;
	size_t off;

	sample(&env, 1);
	b = edited(&env, "reply=-\n\n", "reply=-\n#\n#####\n\n");
	cr_assert_eq(parse(b, &lim, &got, &off, &err), 1, "%s", err);
	cr_assert_eq(b->len - off, 6);
	buf_free(&b);
}

Test(queue_env, reply_longer_than_the_cap_is_cut_when_written)
{
	struct queue_env env, got;
	char reply[QUEUE_REPLY_MAX + 50];
	struct buf *b;
	const char *err;
	size_t off;

	memset(reply, 'r', sizeof(reply) - 1);
	reply[sizeof(reply) - 1] = '\0';
	sample(&env, 1);
	env.rcpts[0].reply = reply;
	b = file_of(&env, &lim);
	cr_assert_eq(parse(b, &lim, &got, &off, &err), 1);
	cr_assert_eq(strlen(got.rcpts[0].reply), QUEUE_REPLY_MAX);
	buf_free(&b);
}

/* An envelope whose helo line is exactly n bytes long. */
static void
helo_line_of(struct queue_env *env, size_t n)
{
	char *h = pool_alloc(pool, n);

	cr_assert_gt(n, 5);
	memset(h, 'h', n - 5);		/* "helo " + value */
	env->helo = h;
}

Test(queue_env, line_limit_at_max_minus_one_max_and_max_plus_one)
{
	struct queue_limits l = { 1024, 10 };
	struct queue_env env, got;
	struct buf *b, *out;
	const char *err = NULL;
	size_t off;

	for (size_t n = 1023; n <= 1024; n++) {
		sample(&env, 1);
		helo_line_of(&env, n);
		b = file_of(&env, &l);
		cr_assert_eq(parse(b, &l, &got, &off, &err), 1, "%zu: %s", n,
		    err);
		buf_free(&b);
	}
	sample(&env, 1);
	helo_line_of(&env, 1025);
	out = buf_new(1024, 1 << 20);
	cr_assert_eq(queue_env_format(&env, &l, out, &err), -1);
	cr_assert_eq(out->len, 0, "nothing written on failure");
	buf_free(&out);
	/* written under a larger limit, read under the smaller one */
	b = file_of(&env, &lim);
	cr_assert_eq(parse(b, &l, &got, &off, &err), -1);
	cr_assert_str_eq(err, "line too long");
	/* and not only once the whole line is in: a long prefix is enough */
	cr_assert_eq(queue_env_parse(b->data, (size_t)(strstr(buf_cstr(b),
	    "helo ") - buf_cstr(b)) + 1025, &l, pool, &got, &off, &err), -1);
	buf_free(&b);
}

Test(queue_env, recipient_limit_at_max_minus_one_max_and_max_plus_one)
{
	struct queue_limits l = { 8192, 20 };
	struct queue_env env, got;
	struct buf *b, *out;
	const char *err = NULL;
	size_t off;

	for (size_t n = 19; n <= 20; n++) {
		sample(&env, n);
		b = file_of(&env, &l);
		cr_assert_eq(parse(b, &l, &got, &off, &err), 1, "%s", err);
		cr_assert_eq(got.nrcpts, n);
		buf_free(&b);
	}
	sample(&env, 21);
	out = buf_new(1024, 1 << 20);
	cr_assert_eq(queue_env_format(&env, &l, out, &err), -1);
	cr_assert_str_eq(err, "too many recipients");
	buf_free(&out);
	b = file_of(&env, &lim);
	cr_assert_eq(parse(b, &l, &got, &off, &err), -1);
	buf_free(&b);
}

Test(queue_env, no_recipients_is_refused_when_written)
{
	struct queue_env env;
	struct buf *out = buf_new(1024, 1 << 20);
	const char *err = NULL;

	sample(&env, 1);
	env.nrcpts = 0;
	cr_assert_eq(queue_env_format(&env, &lim, out, &err), -1);
	sample(&env, 1);
	env.rcpts[0].notify = QUEUE_NOTIFY_NEVER | QUEUE_NOTIFY_DELAY;
	cr_assert_eq(queue_env_format(&env, &lim, out, &err), -1);
	sample(&env, 1);
	env.rcpts[0].addr = "";
	cr_assert_eq(queue_env_format(&env, &lim, out, &err), -1);
	buf_free(&out);
}

Test(queue_env, escape_is_canonical_and_refuses_nul)
{
	struct buf *b = buf_new(64, 1024);
	char *s;

	cr_assert_eq(queue_esc_append(b, "a b%\n\xff-"), 0);
	cr_assert_str_eq(buf_cstr(b), "a%20b%25%0A%FF-");
	cr_assert_eq(queue_esc_decode((char *)b->data, b->len, pool, &s), 0);
	cr_assert_str_eq(s, "a b%\n\xff-");
	cr_assert_eq(queue_esc_decode("%00", 3, pool, &s), -1);
	cr_assert_eq(queue_esc_decode("%0a", 3, pool, &s), -1);
	cr_assert_eq(queue_esc_decode("%41", 3, pool, &s), -1);
	cr_assert_eq(queue_esc_decode("a%2D", 4, pool, &s), -1);
	cr_assert_eq(queue_esc_decode("%2D", 3, pool, &s), 0);
	cr_assert_str_eq(s, "-");
	cr_assert_eq(queue_esc_decode("", 0, pool, &s), -1);
	buf_free(&b);
}

static int
state_line(const char *s, struct queue_state_rec *r)
{
	return queue_state_parse_line(s, strlen(s), 3, pool, r);
}

Test(queue_env, state_line_round_trip_and_refusals)
{
	struct queue_state_rec r = { 2, QUEUE_RCPT_DEFERRED, 4, 1764980000,
		"451 4.4.1 no answer\r\nrcpt 0 state=delivered" }, got;
	struct buf *b = buf_new(64, 4096);

	cr_assert_eq(queue_state_format(&r, 1024, b), 0);
	cr_assert_eq(b->data[b->len - 1], '\n');
	cr_assert_null(memchr(b->data, '\r', b->len));
	cr_assert_null(memchr(b->data, '\n', b->len - 1));
	cr_assert_eq(queue_state_parse_line((char *)b->data, b->len - 1, 3,
	    pool, &got), 0);
	cr_assert_eq(got.rcpt, 2);
	cr_assert_eq(got.state, QUEUE_RCPT_DEFERRED);
	cr_assert_eq(got.attempts, 4);
	cr_assert_eq(got.next_try, 1764980000);
	cr_assert_str_eq(got.reply, r.reply);
	/* index past the recipients */
	cr_assert_eq(queue_state_parse_line((char *)b->data, b->len - 1, 2,
	    pool, &got), -1);
	cr_assert_eq(state_line("rcpt 0 state=delivered attempts=1 next=0",
	    &got), -1);
	cr_assert_eq(state_line("rcpt 00 state=delivered attempts=1 next=0 "
	    "reply=-", &got), -1);
	cr_assert_eq(state_line("rcpt 0 state=delivered attempts=1 next=0 "
	    "reply=-", &got), 0);
	cr_assert_eq(state_line("rcpt 0 state=delivered  attempts=1 next=0 "
	    "reply=-", &got), -1);
	cr_assert_eq(state_line("rcpt 0 state=delivered attempts=1 next=0 "
	    "reply=- ", &got), -1);
	cr_assert_eq(state_line("rcpt 0 state=delivered attempts=1 next=0 "
	    "reply=%0", &got), -1);
	/* a line over the limit is not written */
	buf_reset(b);
	cr_assert_eq(queue_state_format(&r, 40, b), -1);
	cr_assert_eq(b->len, 0);
	buf_free(&b);
}
