/*
 * tests/unit/lib/mime_param_test.c - unit tests for lib/mime_param.c:
 * Content-Type values, quoting, comments, RFC 2231 continuations and
 * charsets, and malformed parameter lists.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/mime_param.h"
#include "lib/pool.h"
#include "lib/banned.h"

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

TestSuite(mime_param, .init = setup, .fini = teardown);

Test(mime_param, type_and_plain_parameters)
{
	struct mime_params ps;
	char *v;

	mime_param_parse(pool, "Text/HTML (a comment); charset=\"UTF-8\"; "
	    "format = flowed ;DelSp=yes", &v, &ps);
	cr_assert_str_eq(v, "text/html");
	cr_assert_eq(ps.n, 3);
	cr_assert_str_eq(ps.v[0].name, "charset");
	cr_assert_str_eq(ps.v[0].value, "UTF-8");
	cr_assert_str_eq(ps.v[1].name, "format");
	cr_assert_str_eq(ps.v[1].value, "flowed");
	cr_assert_str_eq(ps.v[2].name, "delsp");
	cr_assert_str_eq(mime_param_get(&ps, "CHARSET"), "UTF-8");
	cr_assert_null(mime_param_get(&ps, "boundary"));
}

Test(mime_param, quoted_values_keep_semicolons_and_escapes)
{
	struct mime_params ps;
	char *v;

	mime_param_parse(pool, "attachment; filename=\"a; b \\\"c\\\".txt\"",
	    &v, &ps);
	cr_assert_str_eq(v, "attachment");
	cr_assert_eq(ps.n, 1);
	cr_assert_str_eq(ps.v[0].value, "a; b \"c\".txt");
}

Test(mime_param, rfc2231_continuations_and_charset)
{
	struct mime_params ps;
	char *v;

	mime_param_parse(pool, "application/pdf; name*1=\"sum.pdf\"; "
	    "name*0*=utf-8''r%C3%A9; x=1", &v, &ps);
	cr_assert_eq(ps.n, 2);
	cr_assert_str_eq(ps.v[0].name, "name");
	cr_assert(ps.v[0].extended);
	cr_assert_str_eq(ps.v[0].value, "r\xc3\xa9sum.pdf");
	cr_assert_str_eq(ps.v[0].imap_value, "utf-8''r%C3%A9sum.pdf");
	cr_assert_str_eq(ps.v[1].name, "x");
}

Test(mime_param, rfc2231_plain_continuations_and_latin1)
{
	struct mime_params ps;
	char *v;

	mime_param_parse(pool, "message/external-body; URL*0=\"ftp://\"; "
	    "URL*1=\"host/f\"; title*=iso-8859-1'fr'caf%E9", &v, &ps);
	cr_assert_eq(ps.n, 2);
	cr_assert_str_eq(mime_param_get(&ps, "url"), "ftp://host/f");
	cr_assert_not(ps.v[0].extended);
	cr_assert_str_eq(mime_param_get(&ps, "title"), "caf\xc3\xa9");
	cr_assert_str_eq(ps.v[1].imap_value, "iso-8859-1'fr'caf%E9");
}

Test(mime_param, extended_wins_over_plain)
{
	struct mime_params ps;
	char *v;

	mime_param_parse(pool, "a; filename=\"old.txt\"; "
	    "filename*=utf-8''new.txt", &v, &ps);
	cr_assert_eq(ps.n, 2);
	cr_assert_str_eq(mime_param_get(&ps, "filename"), "new.txt");
}

Test(mime_param, encoded_words_in_values_are_decoded_for_callers)
{
	struct mime_params ps;
	char *v;

	mime_param_parse(pool, "a; filename=\"=?UTF-8?B?w6k=?=.txt\"", &v, &ps);
	cr_assert_str_eq(ps.v[0].value, "\xc3\xa9.txt");
	cr_assert_str_eq(ps.v[0].imap_value, "=?UTF-8?B?w6k=?=.txt");
}

Test(mime_param, malformed_lists)
{
	struct mime_params ps;
	char *v;

	mime_param_parse(pool, "", &v, &ps);
	cr_assert_str_eq(v, "");
	cr_assert_eq(ps.n, 0);
	mime_param_parse(pool, ";;; =x; novalue; a=\"unterminated", &v, &ps);
	cr_assert_eq(ps.n, 1);
	cr_assert_str_eq(ps.v[0].value, "unterminated");
	mime_param_parse(pool, "text/plain junk; charset=us-ascii", &v, &ps);
	cr_assert_str_eq(v, "text/plain");
	cr_assert_str_eq(mime_param_get(&ps, "charset"), "us-ascii");
	mime_param_parse(pool, "text / plain;x=1", &v, &ps);
	cr_assert_str_eq(v, "text/plain");
	cr_assert_str_eq(mime_param_get(&ps, "x"), "1");
	mime_param_parse(pool, "a; n*0*=bad-no-quotes%41; n*99999=x", &v, &ps);
	cr_assert_str_eq(mime_param_get(&ps, "n"), "bad-no-quotesA");
}
