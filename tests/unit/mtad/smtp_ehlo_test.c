/*
 * tests/unit/mtad/smtp_ehlo_test.c - reading a remote server's EHLO
 * capabilities (mtad/smtp_ehlo.c) from the text lib's reply reader
 * builds: known keywords, their parameters, malformed and unknown lines.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/smtp.h"
#include "lib/smtp_reply.h"
#include "mtad/smtp_ehlo.h"
#include "lib/banned.h"

/* Parse the reply lines (CRLF-separated) as the client does. */
static void
parse(const char *wire, struct smtp_ehlo *e)
{
	struct smtp_limits lim;
	struct smtp_reply *r;
	const char *p = wire, *err;
	int rc = 0;

	smtp_limits_default(&lim);
	r = smtp_reply_new(&lim);
	while (*p != '\0') {
		const char *nl = strstr(p, "\r\n");

		cr_assert_not_null(nl);
		rc = smtp_reply_parse_line(r, p, (size_t)(nl - p), &err);
		cr_assert_neq(rc, -1, "%s", err);
		p = nl + 2;
	}
	cr_assert_eq(rc, 1);
	smtp_ehlo_parse(buf_cstr(r->text), r->text->len, e);
	smtp_reply_free(&r);
}

Test(smtp_ehlo, reads_every_known_keyword)
{
	struct smtp_ehlo e;

	parse("250-mx.example.net Hello\r\n250-PIPELINING\r\n"
	    "250-SIZE 10240000\r\n250-STARTTLS\r\n250-AUTH CRAM-MD5 LOGIN\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
	    "250-SMTPUTF8\r\n250-BINARYMIME\r\n250 CHUNKING\r\n", &e);
	cr_assert(e.pipelining);
	cr_assert(e.starttls);
	cr_assert(e.enhanced);
	cr_assert_eq(e.size_max, 10240000);
	cr_assert_eq(e.auth, SMTP_EHLO_AUTH_LOGIN);
	cr_assert_eq(e.ext, SMTP_EXT_SIZE | SMTP_EXT_8BITMIME |
	    SMTP_EXT_SMTPUTF8 | SMTP_EXT_DSN | SMTP_EXT_AUTH |
	    SMTP_EXT_CHUNKING | SMTP_EXT_BINARYMIME);
	cr_assert_eq(e.keywords, 10);
}

Test(smtp_ehlo, greeting_line_is_not_a_keyword)
{
	struct smtp_ehlo e;

	parse("250 PIPELINING\r\n", &e);
	cr_assert_not(e.pipelining);
	cr_assert_eq(e.keywords, 0);
}

Test(smtp_ehlo, case_and_old_auth_form)
{
	struct smtp_ehlo e;

	parse("250-x\r\n250-auth=plain\r\n250-starttls\r\n250 size 5\r\n", &e);
	cr_assert_eq(e.auth, SMTP_EHLO_AUTH_PLAIN);
	cr_assert(e.starttls);
	cr_assert_eq(e.size_max, 5);
}

Test(smtp_ehlo, bad_size_values_mean_no_limit)
{
	struct smtp_ehlo e;

	parse("250-x\r\n250 SIZE\r\n", &e);
	cr_assert_eq(e.size_max, 0);
	cr_assert(e.ext & SMTP_EXT_SIZE);
	parse("250-x\r\n250 SIZE 12a\r\n", &e);
	cr_assert_eq(e.size_max, 0);
	parse("250-x\r\n250 SIZE 99999999999999999999\r\n", &e);
	cr_assert_eq(e.size_max, 0);
	/* the largest kept, and one past it */
	parse("250-x\r\n250 SIZE 281474976710655\r\n", &e);
	cr_assert_eq(e.size_max, SMTP_EHLO_SIZE_MAX);
	parse("250-x\r\n250 SIZE 281474976710656\r\n", &e);
	cr_assert_eq(e.size_max, 0);
}

Test(smtp_ehlo, malformed_and_unknown_lines_are_ignored)
{
	struct smtp_ehlo e;

	parse("250-x\r\n250--PIPELINING\r\n250-PIPELINING\tX\r\n"
	    "250-STARTTLS=1\r\n250-X-UNKNOWN yes\r\n250-DSNX\r\n250 \r\n", &e);
	cr_assert_not(e.pipelining);
	cr_assert_not(e.starttls);
	cr_assert_eq(e.ext, 0);
	cr_assert_eq(e.keywords, 3);	/* STARTTLS=1, X-UNKNOWN, DSNX */
}

Test(smtp_ehlo, text_without_lines_after_the_greeting)
{
	struct smtp_ehlo e;

	smtp_ehlo_parse("greeting", 8, &e);
	cr_assert_eq(e.keywords, 0);
	smtp_ehlo_parse("", 0, &e);
	cr_assert_eq(e.ext, 0);
}
