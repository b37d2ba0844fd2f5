/*
 * tests/unit/lib/smtp_reply_test.c - unit tests for lib/smtp_reply.c.
 *
 * Building single and multi-line replies (with and without enhanced
 * codes, with text that tries to inject lines), and reading them back:
 * continuation, inconsistent codes, malformed lines, the line length and
 * line count limits, EHLO keywords.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/smtp_reply.h"
#include "lib/banned.h"

static struct smtp_limits lim;

static void
setup(void)
{
	smtp_limits_default(&lim);
}

TestSuite(smtp_reply, .init = setup);

Test(smtp_reply, format_single_and_multi_line)
{
	struct buf *b = buf_new(64, 1024);

	cr_assert_eq(smtp_reply_format(b, 250, "2.1.0", "Ok"), 0);
	cr_assert_str_eq(buf_cstr(b), "250 2.1.0 Ok\r\n");
	buf_reset(b);
	cr_assert_eq(smtp_reply_format(b, 250, NULL,
	    "mx.example\nPIPELINING\nSIZE 1000"), 0);
	cr_assert_str_eq(buf_cstr(b),
	    "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
	buf_reset(b);
	cr_assert_eq(smtp_reply_format(b, 550, "5.1.1", "No such user\nhere"),
	    0);
	cr_assert_str_eq(buf_cstr(b),
	    "550-5.1.1 No such user\r\n550 5.1.1 here\r\n");
	buf_reset(b);
	cr_assert_eq(smtp_reply_format(b, 354, NULL, ""), 0);
	cr_assert_str_eq(buf_cstr(b), "354 \r\n");
	buf_reset(b);
	cr_assert_eq(smtp_reply_format(b, 221, "2.0.0", NULL), 0);
	cr_assert_str_eq(buf_cstr(b), "221 2.0.0\r\n");
	buf_free(&b);
}

Test(smtp_reply, format_neutralises_control_characters)
{
	struct buf *b = buf_new(64, 1024);

	cr_assert_eq(smtp_reply_format(b, 501, "5.1.3",
	    "Bad <a\r250 ok\x01\x7f>"), 0);
	cr_assert_str_eq(buf_cstr(b), "501 5.1.3 Bad <a?250 ok?" "?>\r\n");
	buf_free(&b);
}

Test(smtp_reply, format_rejects_bad_codes)
{
	struct buf *b = buf_new(64, 1024);

	cr_assert_eq(smtp_reply_format(b, 199, NULL, "x"), -1);
	cr_assert_eq(smtp_reply_format(b, 600, NULL, "x"), -1);
	cr_assert_eq(smtp_reply_format(b, 260, NULL, "x"), -1);
	cr_assert_eq(smtp_reply_format(b, 550, "4.1.1", "x"), -1);
	cr_assert_eq(smtp_reply_format(b, 550, "5.1", "x"), -1);
	cr_assert_eq(smtp_reply_format(b, 550, "5.1.1234", "x"), -1);
	cr_assert_eq(smtp_reply_format(b, 550, "5..1", "x"), -1);
	cr_assert_eq(b->len, 0);
	cr_assert(smtp_enh_is_valid("5.123.456", 9, 550));
	cr_assert(smtp_enh_is_valid("4.4.3", 5, 0));
	cr_assert(!smtp_enh_is_valid("3.0.0", 5, 0));
	buf_free(&b);
}

Test(smtp_reply, format_stops_at_ceiling)
{
	struct buf *b = buf_new(8, 16);

	cr_assert_eq(smtp_reply_format(b, 250, NULL, "1234567890"), 0);
	cr_assert_eq(b->len, 16);
	buf_reset(b);
	cr_assert_eq(smtp_reply_format(b, 250, NULL, "12345678901"), -1);
	cr_assert_eq(b->len, 0);
	buf_free(&b);
}

Test(smtp_reply, format_error)
{
	struct buf *b = buf_new(64, 1024);
	struct smtp_error e = { 555, "5.5.4", "Unsupported MAIL parameter" };

	cr_assert_eq(smtp_reply_error(b, &e, true), 0);
	cr_assert_str_eq(buf_cstr(b), "555 5.5.4 Unsupported MAIL parameter\r\n");
	buf_reset(b);
	cr_assert_eq(smtp_reply_error(b, &e, false), 0);
	cr_assert_str_eq(buf_cstr(b), "555 Unsupported MAIL parameter\r\n");
	buf_free(&b);
}

static int
feed(struct smtp_reply *r, const char *line, const char **err)
{
	return smtp_reply_parse_line(r, line, strlen(line), err);
}

Test(smtp_reply, parse_multi_line)
{
	struct smtp_reply *r = smtp_reply_new(&lim);
	const char *err = NULL;
	const char *pp;
	size_t pl;

	cr_assert_eq(feed(r, "250-mx.example Hello", &err), 0);
	cr_assert_eq(feed(r, "250-PIPELINING", &err), 0);
	cr_assert_eq(feed(r, "250-SIZE 10240000", &err), 0);
	cr_assert_eq(feed(r, "250-auth PLAIN LOGIN", &err), 0);
	cr_assert_eq(feed(r, "250 STARTTLS", &err), 1);
	cr_assert(r->done);
	cr_assert_eq(r->code, 250);
	cr_assert_eq(r->lines, 5);
	cr_assert_str_eq(buf_cstr(r->text), "mx.example Hello\nPIPELINING\n"
	    "SIZE 10240000\nauth PLAIN LOGIN\nSTARTTLS");
	cr_assert(smtp_reply_ehlo_has(r, "SIZE", &pp, &pl));
	cr_assert_eq(pl, 8);
	cr_assert_eq(strncmp(pp, "10240000", 8), 0);
	cr_assert(smtp_reply_ehlo_has(r, "AUTH", &pp, &pl));
	cr_assert_eq(strncmp(pp, "PLAIN LOGIN", pl), 0);
	cr_assert(smtp_reply_ehlo_has(r, "starttls", &pp, &pl));
	cr_assert_eq(pl, 0);
	cr_assert(!smtp_reply_ehlo_has(r, "mx.example", NULL, NULL));
	cr_assert(!smtp_reply_ehlo_has(r, "PIPE", NULL, NULL));
	cr_assert(!smtp_reply_ehlo_has(r, "8BITMIME", NULL, NULL));
	/* nothing after the last line */
	cr_assert_eq(feed(r, "250 more", &err), -1);
	smtp_reply_reset(r);
	cr_assert_eq(feed(r, "221 bye", &err), 1);
	cr_assert_eq(r->code, 221);
	smtp_reply_free(&r);
	cr_assert_null(r);
}

Test(smtp_reply, parse_enhanced_codes)
{
	struct smtp_reply *r = smtp_reply_new(&lim);
	const char *err;

	cr_assert_eq(feed(r, "550-5.1.1 No such user", &err), 0);
	cr_assert_eq(feed(r, "550 5.1.1 here", &err), 1);
	cr_assert_str_eq(r->enh, "5.1.1");
	cr_assert_str_eq(buf_cstr(r->text), "No such user\nhere");
	smtp_reply_reset(r);
	/* a class that does not match is text */
	cr_assert_eq(feed(r, "250 5.1.1 odd", &err), 1);
	cr_assert_str_eq(r->enh, "");
	cr_assert_str_eq(buf_cstr(r->text), "5.1.1 odd");
	smtp_reply_reset(r);
	cr_assert_eq(feed(r, "250 2.0.0", &err), 1);
	cr_assert_str_eq(r->enh, "2.0.0");
	cr_assert_str_eq(buf_cstr(r->text), "");
	smtp_reply_reset(r);
	cr_assert_eq(feed(r, "354", &err), 1);
	cr_assert_eq(r->code, 354);
	smtp_reply_free(&r);
}

Test(smtp_reply, parse_rejects_malformed_lines)
{
	static const char *const bad[] = { "", "25", "2500 x", "250x", "abc",
	    "199 x", "600 x", "260 x", "25a x", " 250 x", "250\tx",
	    "250 a\rb" };
	struct smtp_reply *r = smtp_reply_new(&lim);
	const char *err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		smtp_reply_reset(r);
		err = NULL;
		cr_assert_eq(feed(r, bad[i], &err), -1, "accepted '%s'", bad[i]);
		cr_assert_not_null(err);
	}
	smtp_reply_reset(r);
	cr_assert_eq(smtp_reply_parse_line(r, "250 a\0b", 7, &err), -1);
	smtp_reply_free(&r);
}

Test(smtp_reply, parse_rejects_changed_code)
{
	struct smtp_reply *r = smtp_reply_new(&lim);
	const char *err = NULL;

	cr_assert_eq(feed(r, "250-first", &err), 0);
	cr_assert_eq(feed(r, "251 second", &err), -1);
	cr_assert_str_eq(err, "reply code changed between lines");
	smtp_reply_free(&r);
}

Test(smtp_reply, line_length_limit_crossed)
{
	char line[64];
	struct smtp_reply *r;
	const char *err;

	lim.reply_line_max = 20;
	r = smtp_reply_new(&lim);
	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	/* 18 bytes + CRLF = 20 */
	cr_assert_eq(smtp_reply_parse_line(r, line, 17, &err), 1);
	smtp_reply_reset(r);
	cr_assert_eq(smtp_reply_parse_line(r, line, 18, &err), 1);
	smtp_reply_reset(r);
	cr_assert_eq(smtp_reply_parse_line(r, line, 19, &err), -1);
	cr_assert_str_eq(err, "reply line too long");
	smtp_reply_free(&r);
}

Test(smtp_reply, line_count_limit_crossed)
{
	struct smtp_reply *r;
	const char *err;

	lim.reply_lines_max = 3;
	r = smtp_reply_new(&lim);
	cr_assert_eq(feed(r, "250-a", &err), 0);
	cr_assert_eq(feed(r, "250-b", &err), 0);
	cr_assert_eq(feed(r, "250 c", &err), 1);
	smtp_reply_reset(r);
	cr_assert_eq(feed(r, "250-a", &err), 0);
	cr_assert_eq(feed(r, "250-b", &err), 0);
	cr_assert_eq(feed(r, "250-c", &err), 0);
	cr_assert_eq(feed(r, "250 d", &err), -1);
	cr_assert_str_eq(err, "too many reply lines");
	smtp_reply_free(&r);
}

Test(smtp_reply, format_then_parse_round_trip)
{
	struct buf *b = buf_new(64, 4096);
	struct smtp_reply *r = smtp_reply_new(&lim);
	const char *p, *nl, *err;
	int rc = 0;

	cr_assert_eq(smtp_reply_format(b, 452, "4.5.3",
	    "Too many recipients\nTry again later\n"), 0);
	for (p = buf_cstr(b); (nl = strstr(p, "\r\n")) != NULL; p = nl + 2)
		rc = smtp_reply_parse_line(r, p, (size_t)(nl - p), &err);
	cr_assert_eq(rc, 1);
	cr_assert_eq(r->code, 452);
	cr_assert_str_eq(r->enh, "4.5.3");
	cr_assert_str_eq(buf_cstr(r->text), "Too many recipients\n"
	    "Try again later\n");
	cr_assert_eq(r->lines, 3);
	buf_free(&b);
	smtp_reply_free(&r);
}
