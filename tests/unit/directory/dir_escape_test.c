/*
 * tests/unit/directory/dir_escape_test.c - unit tests for dir_escape.c.
 *
 * Hostile values (filter injection, NUL, non-UTF-8, DN metacharacters)
 * must come out inert; template errors are caught.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "directory/dir_escape.h"
#include "lib/banned.h"

static struct buf *b;

static void
setup(void)
{
	b = buf_new(64, 1024);
}

static void
teardown(void)
{
	buf_free(&b);
}

TestSuite(dir_escape, .init = setup, .fini = teardown);

Test(dir_escape, filter_injection_is_inert)
{
	const char *err = NULL;

	cr_assert_eq(dir_expand("(&(objectClass=inetOrgPerson)(mail=%s))",
	    "*)(uid=*", DIR_ESCAPE_FILTER, b, &err), 0);
	cr_assert_str_eq(buf_cstr(b),
	    "(&(objectClass=inetOrgPerson)(mail=\\2a\\29\\28uid=\\2a))");
}

Test(dir_escape, filter_nul_backslash_and_non_utf8)
{
	dir_escape_filter(b, "a\0b\\c\xff\xc3(", 8);
	cr_assert_str_eq(buf_cstr(b), "a\\00b\\5cc\\ff\\c3\\28");
}

Test(dir_escape, dn_special_characters)
{
	dir_escape_dn(b, "Smith, John+x=\"y\"<a>;", 21);
	cr_assert_str_eq(buf_cstr(b),
	    "Smith\\, John\\+x\\=\\\"y\\\"\\<a\\>\\;");
	buf_reset(b);
	dir_escape_dn(b, "#lead trail ", 12);
	cr_assert_str_eq(buf_cstr(b), "\\#lead trail\\ ");
	buf_reset(b);
	dir_escape_dn(b, " x\n", 3);
	cr_assert_str_eq(buf_cstr(b), "\\ x\\0a");
}

Test(dir_escape, template_parts)
{
	const char *err = NULL;

	cr_assert_eq(dir_expand("(uid=%u)(d=%d)(a=%a)%%", "Al*ce@ex.test",
	    DIR_ESCAPE_FILTER, b, &err), 0);
	cr_assert_str_eq(buf_cstr(b), "(uid=Al\\2ace)(d=ex.test)(a=Al\\2ace@ex.test)%");
	/* the last '@' splits: a quoted local part may hold '@' */
	cr_assert_eq(dir_expand("%u|%d", "\"a@b\"@c", DIR_ESCAPE_FILTER, b, &err), 0);
	cr_assert_str_eq(buf_cstr(b), "\"a@b\"|c");
	/* no '@': %u is everything, %d is empty */
	cr_assert_eq(dir_expand("%u|%d", "alice", DIR_ESCAPE_FILTER, b, &err), 0);
	cr_assert_str_eq(buf_cstr(b), "alice|");
}

Test(dir_escape, dn_mode_template)
{
	const char *err = NULL;

	cr_assert_eq(dir_expand("uid=%u,ou=people,dc=example,dc=test",
	    "a,b=c@x", DIR_ESCAPE_DN, b, &err), 0);
	cr_assert_str_eq(buf_cstr(b), "uid=a\\,b\\=c,ou=people,dc=example,dc=test");
}

Test(dir_escape, template_errors)
{
	const char *err = NULL;

	cr_assert_eq(dir_template_check("(mail=%s)", &err), 0);
	cr_assert_eq(dir_template_check("(mail=%x)", &err), -1);
	cr_assert_not_null(strstr(err, "unknown"));
	cr_assert_eq(dir_template_check("(mail=%", &err), -1);
	cr_assert_eq(dir_expand("(mail=%q)", "a", DIR_ESCAPE_FILTER, b, &err), -1);
}

Test(dir_escape, ceiling_is_an_error)
{
	struct buf *small = buf_new(4, 10);
	const char *err = NULL;

	cr_assert_eq(dir_expand("(mail=%s)", "abc", DIR_ESCAPE_FILTER, small, &err), 0);
	cr_assert_eq(dir_expand("(mail=%s)", "abcd", DIR_ESCAPE_FILTER, small, &err), -1);
	cr_assert_str_eq(err, "expanded template too long");
	buf_free(&small);
}
