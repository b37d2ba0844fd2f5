/*
 * tests/unit/lib/msg_header_test.c - unit tests for lib/msg_header.c:
 * field splitting, folding, offsets, lookup, filters and every limit
 * at max-1, max and max+1.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/msg_header.h"
#include "lib/pool.h"
#include "lib/banned.h"

static struct pool *pool;
static struct msg_limits lim;

static void
setup(void)
{
	pool = pool_new("test");
	msg_limits_defaults(&lim);
}

static void
teardown(void)
{
	pool_free(&pool);
}

static int
parse(const char *s, struct msg_headers *h)
{
	const char *err = NULL;

	return msg_header_parse((const uint8_t *)s, strlen(s), &lim, pool, h,
	    &err);
}

TestSuite(msg_header, .init = setup, .fini = teardown);

Test(msg_header, splits_fields_and_keeps_offsets)
{
	const char *m = "From: a@b\r\nSubject: hello\r\n world\r\n\r\nbody";
	const uint8_t *p = (const uint8_t *)m;
	struct msg_headers h;

	cr_assert_eq(parse(m, &h), 0);
	cr_assert_eq(h.count, 2);
	cr_assert(h.has_blank_line);
	cr_assert_eq(h.size, strlen(m) - 4);
	cr_assert_eq(h.fields[0].off, 0);
	cr_assert_eq(h.fields[0].name_len, 4);
	cr_assert_eq(h.fields[0].end, 11);
	cr_assert_eq(h.fields[1].off, 11);
	cr_assert_eq(memcmp(m + h.fields[1].value_off, " hello\r\n world", 14),
	    0);
	cr_assert_eq(h.fields[1].value_len, 14);
	cr_assert_str_eq(msg_header_value(pool, p, &h.fields[1]),
	    "hello world");
	cr_assert_str_eq(msg_header_get(pool, p, &h, "SUBJECT"), "hello world");
	cr_assert_null(msg_header_get(pool, p, &h, "To"));
}

Test(msg_header, bare_lf_and_space_before_colon)
{
	const char *m = "Subject : x\nX-A:y\n\tz\n\nbody";
	struct msg_headers h;

	cr_assert_eq(parse(m, &h), 0);
	cr_assert_eq(h.count, 2);
	cr_assert_eq(h.size, strlen(m) - 4);
	cr_assert(msg_header_is((const uint8_t *)m, &h.fields[0], "subject"));
	cr_assert_str_eq(msg_header_value(pool, (const uint8_t *)m,
	    &h.fields[1]), "y\tz");
}

Test(msg_header, no_blank_line_runs_to_the_end)
{
	const char *m = "A: 1\r\nB: 2";
	struct msg_headers h;

	cr_assert_eq(parse(m, &h), 0);
	cr_assert_eq(h.count, 2);
	cr_assert_not(h.has_blank_line);
	cr_assert_eq(h.size, strlen(m));
	cr_assert_eq(h.fields[1].end, strlen(m));
	cr_assert_str_eq(msg_header_value(pool, (const uint8_t *)m,
	    &h.fields[1]), "2");
}

Test(msg_header, garbage_lines_are_skipped)
{
	const char *m = " leading continuation\r\nnot a field\r\n"
	    "A: 1\r\n: no name\r\nB: 2\r\n\r\n";
	struct msg_headers h;

	cr_assert_eq(parse(m, &h), 0);
	cr_assert_eq(h.count, 2);
	cr_assert(msg_header_is((const uint8_t *)m, &h.fields[0], "a"));
	cr_assert(msg_header_is((const uint8_t *)m, &h.fields[1], "b"));
}

Test(msg_header, count_and_find_by_index)
{
	const char *m = "Received: 1\r\nX: a\r\nreceived: 2\r\nRECEIVED: 3\r\n\r\n";
	const uint8_t *p = (const uint8_t *)m;
	struct msg_headers h;

	cr_assert_eq(parse(m, &h), 0);
	cr_assert_eq(msg_header_count(p, &h, "Received"), 3);
	cr_assert_str_eq(msg_header_value(pool, p,
	    msg_header_find(p, &h, "received", 2)), "3");
	cr_assert_null(msg_header_find(p, &h, "received", 3));
}

Test(msg_header, nul_in_value_becomes_space)
{
	const char m[] = "A: x\0y\r\n\r\n";
	struct msg_headers h;
	const char *err;

	cr_assert_eq(msg_header_parse((const uint8_t *)m, sizeof(m) - 1, &lim,
	    pool, &h, &err), 0);
	cr_assert_str_eq(msg_header_value(pool, (const uint8_t *)m,
	    &h.fields[0]), "x y");
}

Test(msg_header, filter_fields_and_not)
{
	const char *m = "From: a\r\nTo: b\r\n c\r\nSubject: s\r\n\r\nbody";
	const char *names[] = { "to", "SUBJECT" };
	struct buf *b = buf_new(64, 1024);
	struct msg_headers h;

	cr_assert_eq(parse(m, &h), 0);
	cr_assert_eq(msg_header_filter((const uint8_t *)m, &h, names, 2, false,
	    b), 0);
	cr_assert_str_eq(buf_cstr(b), "To: b\r\n c\r\nSubject: s\r\n\r\n");
	buf_reset(b);
	cr_assert_eq(msg_header_filter((const uint8_t *)m, &h, names, 2, true,
	    b), 0);
	cr_assert_str_eq(buf_cstr(b), "From: a\r\n\r\n");
	buf_free(&b);
	b = buf_new(4, 8);
	cr_assert_eq(msg_header_filter((const uint8_t *)m, &h, names, 2, false,
	    b), -1);
	buf_free(&b);
}

Test(msg_header, line_limit_at_max_and_past_it)
{
	struct msg_headers h;
	const char *err = NULL;
	const char *m = "Subject: 123456\r\n\r\n";	/* line of 15 bytes */

	lim.header_line_max = 15;
	cr_assert_eq(parse(m, &h), 0);
	lim.header_line_max = 14;
	cr_assert_eq(msg_header_parse((const uint8_t *)m, strlen(m), &lim, pool,
	    &h, &err), -1);
	cr_assert_str_eq(err, "header line too long");
	cr_assert_eq(h.count, 1);	/* still recorded, best effort */
	cr_assert_eq(h.size, strlen(m));
}

Test(msg_header, count_limit_at_max_and_past_it)
{
	const char *m = "A: 1\r\nB: 2\r\nC: 3\r\n\r\nbody";
	struct msg_headers h;

	lim.header_count_max = 4;
	cr_assert_eq(parse(m, &h), 0);
	lim.header_count_max = 3;
	cr_assert_eq(parse(m, &h), 0);
	cr_assert_eq(h.count, 3);
	lim.header_count_max = 2;
	cr_assert_eq(parse(m, &h), -1);
	cr_assert_str_eq(h.error, "too many header fields");
	cr_assert_eq(h.count, 2);
	cr_assert_eq(h.size, strlen(m) - 4);
}

Test(msg_header, size_limit_at_max_and_past_it)
{
	const char *m = "A: 1\r\nB: 2\r\n\r\nbody";	/* block: 14 bytes */
	struct msg_headers h;

	lim.header_size_max = 13;
	cr_assert_eq(parse(m, &h), 0);	/* the fields end at 12 */
	lim.header_size_max = 12;
	cr_assert_eq(parse(m, &h), 0);
	lim.header_size_max = 11;
	cr_assert_eq(parse(m, &h), -1);
	cr_assert_str_eq(h.error, "header too large");
	cr_assert_eq(h.count, 1);
	cr_assert_eq(h.size, 14);
}

Test(msg_header, byte_by_byte_prefixes_never_overrun)
{
	const char *m = "From: a\r\nTo: b\r\n c\r\n\r\nbody";
	size_t len = strlen(m);

	for (size_t n = 0; n <= len; n++) {
		uint8_t *copy = pool_alloc(pool, n + 1);
		struct msg_headers h;
		const char *err;

		memcpy(copy, m, n);
		msg_header_parse(copy, n, &lim, pool, &h, &err);
		cr_assert_leq(h.size, n);
		for (size_t i = 0; i < h.count; i++)
			cr_assert_leq(h.fields[i].end, n);
	}
}

Test(msg_header, scan_finds_the_end_fed_byte_by_byte)
{
	const char *m = "From: a\r\nTo: b\r\n c\r\n\r\nbody\r\n\r\n";
	struct msg_header_scan s = { 0 };
	struct msg_headers h;
	size_t end = 0, n;
	int rc = 0;

	cr_assert_eq(parse(m, &h), 0);
	for (n = 0; n <= strlen(m) && rc == 0; n++)
		rc = msg_header_scan(&s, (const uint8_t *)m, n, 1000, &end);
	cr_assert_eq(rc, 1);
	cr_assert_eq(end, h.size);
	cr_assert_eq(n - 1, h.size);	/* found as soon as the LF came */
}

Test(msg_header, scan_of_lf_and_empty_headers)
{
	struct msg_header_scan s = { 0 };
	size_t end = 0;

	cr_assert_eq(msg_header_scan(&s, (const uint8_t *)"\r\nbody", 6, 100,
	    &end), 1);
	cr_assert_eq(end, 2);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(msg_header_scan(&s, (const uint8_t *)"A: b\n\nc", 7, 100,
	    &end), 1);
	cr_assert_eq(end, 6);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(msg_header_scan(&s, (const uint8_t *)"A: b\r\n \r\n", 9,
	    100, &end), 0);	/* a line of one space is a continuation */
}

Test(msg_header, scan_limit_at_max_and_past_it)
{
	const char *m = "A: 1\r\n\r\n";	/* ends at 8 */
	struct msg_header_scan s = { 0 };
	size_t end;

	cr_assert_eq(msg_header_scan(&s, (const uint8_t *)m, 8, 8, &end), 1);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(msg_header_scan(&s, (const uint8_t *)m, 8, 7, &end), -1);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(msg_header_scan(&s, (const uint8_t *)m, 6, 7, &end), 0);
	cr_assert_eq(msg_header_scan(&s, (const uint8_t *)m, 7, 7, &end), -1);
}
