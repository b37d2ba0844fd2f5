/*
 * tests/unit/lib/buf_test.c - unit tests for lib/buf.c.
 *
 * Ceilings at max-1, max and max+1, formatted appends, consume and steal.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/banned.h"

Test(buf, append_stops_at_ceiling)
{
	struct buf *b = buf_new(4, 8);

	cr_assert_eq(buf_append(b, "1234567", 7), 0);	/* max - 1 */
	cr_assert_eq(buf_append(b, "8", 1), 0);		/* max */
	cr_assert_eq(buf_append(b, "9", 1), -1);	/* max + 1 */
	cr_assert_eq(b->len, 8);
	cr_assert_str_eq(buf_cstr(b), "12345678");
	buf_free(&b);
	cr_assert_null(b);
}

Test(buf, failed_append_leaves_buffer_unchanged)
{
	struct buf *b = buf_new(2, 5);

	cr_assert_eq(buf_append_str(b, "abc"), 0);
	cr_assert_eq(buf_append_str(b, "def"), -1);
	cr_assert_str_eq(buf_cstr(b), "abc");
	buf_free(&b);
}

Test(buf, printf_grows_and_respects_ceiling)
{
	struct buf *b = buf_new(1, 32);

	cr_assert_eq(buf_printf(b, "250-%s\r\n", "mail.example.test"), 0);
	cr_assert_str_eq(buf_cstr(b), "250-mail.example.test\r\n");
	cr_assert_eq(buf_printf(b, "%s", "0123456789"), -1);
	cr_assert_eq(b->len, 23);
	cr_assert_eq(buf_printf(b, "%d", 123456789), 0);
	cr_assert_eq(b->len, 32);
	buf_free(&b);
}

Test(buf, binary_data_with_nul)
{
	struct buf *b = buf_new(4, 100);

	cr_assert_eq(buf_append(b, "a\0b", 3), 0);
	cr_assert_eq(b->len, 3);
	cr_assert_eq(memcmp(b->data, "a\0b\0", 4), 0);
	buf_free(&b);
}

Test(buf, consume_and_truncate)
{
	struct buf *b = buf_new(4, 100);

	buf_append_str(b, "hello world");
	buf_consume(b, 6);
	cr_assert_str_eq(buf_cstr(b), "world");
	buf_truncate(b, 3);
	cr_assert_str_eq(buf_cstr(b), "wor");
	buf_truncate(b, 10);
	cr_assert_str_eq(buf_cstr(b), "wor");
	buf_consume(b, 99);
	cr_assert_eq(b->len, 0);
	cr_assert_str_eq(buf_cstr(b), "");
	buf_free(&b);
}

Test(buf, steal_hands_over_bytes)
{
	struct buf *b = buf_new(4, 100);
	size_t len;
	char *s;

	buf_append_str(b, "taken");
	s = buf_steal(b, &len);
	cr_assert_str_eq(s, "taken");
	cr_assert_eq(len, 5);
	cr_assert_eq(b->len, 0);
	cr_assert_eq(buf_append_str(b, "again"), 0);
	cr_assert_str_eq(buf_cstr(b), "again");
	free(s);
	buf_free(&b);
}

Test(buf, reserve_overflow_is_refused)
{
	struct buf *b = buf_new(4, 16);

	cr_assert_eq(buf_reserve(b, SIZE_MAX), -1);
	cr_assert_eq(buf_reserve(b, 16), 0);
	buf_append_str(b, "x");
	cr_assert_eq(buf_reserve(b, 16), -1);
	buf_free(&b);
}

Test(buf, free_is_null_safe)
{
	struct buf *b = NULL;

	buf_free(&b);
	buf_free(NULL);
	b = buf_new(4, 8);
	buf_append_str(b, "secret");
	buf_free_secret(&b);
	cr_assert_null(b);
}
