/*
 * tests/unit/lib/str_test.c - unit tests for lib/str.c.
 *
 * Truncation, number parsing at its bounds, overflow-checked size math.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "lib/str.h"
#include "lib/banned.h"

Test(str, copy_fits_and_truncates)
{
	char d[4];

	cr_assert_eq(str_copy(d, sizeof(d), "abc"), 0);
	cr_assert_str_eq(d, "abc");
	cr_assert_eq(str_copy(d, sizeof(d), "abcd"), -1);
	cr_assert_str_eq(d, "abc");
	cr_assert_eq(str_copy(d, 0, "a"), -1);
}

Test(str, printf_reports_truncation)
{
	char d[6];

	cr_assert_eq(str_printf(d, sizeof(d), "%d", 12345), 0);
	cr_assert_str_eq(d, "12345");
	cr_assert_eq(str_printf(d, sizeof(d), "%d", 123456), -1);
}

Test(str, parse_u64_bounds)
{
	uint64_t v = 7;

	cr_assert_eq(parse_u64("99", 2, 100, &v), 0);
	cr_assert_eq(v, 99);
	cr_assert_eq(parse_u64("100", 3, 100, &v), 0);
	cr_assert_eq(v, 100);
	cr_assert_eq(parse_u64("101", 3, 100, &v), -1);
	cr_assert_eq(parse_u64("18446744073709551615", 20, UINT64_MAX, &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(parse_u64("18446744073709551616", 20, UINT64_MAX, &v), -1);
	cr_assert_eq(parse_u64("", 0, 100, &v), -1);
	cr_assert_eq(parse_u64("-1", 2, 100, &v), -1);
	cr_assert_eq(parse_u64(" 1", 2, 100, &v), -1);
	cr_assert_eq(parse_u64("12x", 3, 1000, &v), -1);
	/* length, not NUL, ends the number */
	cr_assert_eq(parse_u64("123", 2, 1000, &v), 0);
	cr_assert_eq(v, 12);
	/* a maximum below 9: a digit over it is refused, not wrapped */
	cr_assert_eq(parse_u64("8", 1, 8, &v), 0);
	cr_assert_eq(v, 8);
	cr_assert_eq(parse_u64("9", 1, 8, &v), -1);
	cr_assert_eq(parse_u64("1", 1, 0, &v), -1);
	cr_assert_eq(parse_u64("0", 1, 0, &v), 0);
	cr_assert_eq(parse_u64("09", 2, 8, &v), -1);
}

Test(str, size_math_overflows)
{
	size_t r = 0;

	cr_assert_eq(size_add(1, 2, &r), 0);
	cr_assert_eq(r, 3);
	cr_assert_eq(size_add(SIZE_MAX, 1, &r), -1);
	cr_assert_eq(r, 3);
	cr_assert_eq(size_mul(SIZE_MAX / 2, 2, &r), 0);
	cr_assert_eq(size_mul(SIZE_MAX / 2 + 1, 2, &r), -1);
	cr_assert_eq(size_mul(0, SIZE_MAX, &r), 0);
	cr_assert_eq(r, 0);
}

Test(str, case_insensitive_compare)
{
	cr_assert(str_eq_ci("EHLO", "ehlo"));
	cr_assert_not(str_eq_ci("EHLO", "ehl"));
	cr_assert_not(str_eq_ci("EHL", "ehlo"));
	cr_assert(str_prefix_ci("MAIL FROM:<a>", "mail from:"));
	cr_assert_not(str_prefix_ci("MAIL", "mail from:"));
}

Test(str, trim)
{
	char s[] = " \t hello world \r\n";

	cr_assert_str_eq(str_trim(s), "hello world");
}
