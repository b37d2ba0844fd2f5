/*
 * tests/unit/lib/smtp_cmd_test.c - unit tests for lib/smtp_cmd.c.
 *
 * Every verb and its argument grammar, the reply chosen for each kind of
 * error, LMTP's LHLO, SMTPUTF8 for MAIL and RCPT, the line limits, and
 * lib/smtp_cmd_write.c, whose lines parse back to what was written.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/smtp_cmd.h"
#include "lib/smtp_cmd_write.h"
#include "lib/banned.h"

static struct pool *pool;
static struct smtp_limits lim;
static struct smtp_cmd_opts opts;

static void
setup(void)
{
	pool = pool_new("test");
	smtp_limits_default(&lim);
	memset(&opts, 0, sizeof(opts));
	opts.ext = SMTP_EXT_ALL;
}

static void
teardown(void)
{
	pool_free(&pool);
}

TestSuite(smtp_cmd, .init = setup, .fini = teardown);

static int
parse(const char *s, struct smtp_cmd *cmd, struct smtp_error *err)
{
	return smtp_cmd_parse(pool, s, strlen(s), &lim, &opts, cmd, err);
}

static void
ok(const char *s, enum smtp_verb verb, struct smtp_cmd *cmd)
{
	struct smtp_error err = { 0 };

	cr_assert_eq(parse(s, cmd, &err), 0, "'%s': %d %s %s", s, err.code,
	    err.enh, err.text);
	cr_assert_eq(cmd->verb, verb, "'%s'", s);
}

static void
bad(const char *s, int code, const char *enh)
{
	struct smtp_cmd cmd;
	struct smtp_error err = { 0 };

	cr_assert_eq(parse(s, &cmd, &err), -1, "accepted '%s'", s);
	cr_assert_eq(err.code, code, "'%s': %d %s %s", s, err.code, err.enh,
	    err.text);
	cr_assert_str_eq(err.enh, enh, "'%s': %s", s, err.enh);
	cr_assert_not_null(err.text);
}

Test(smtp_cmd, verbs_case_insensitive)
{
	struct smtp_cmd c;

	ok("ehlo client.example", SMTP_CMD_EHLO, &c);
	cr_assert_str_eq(c.name, "EHLO");
	cr_assert_str_eq(c.arg, "client.example");
	ok("HeLo client.example", SMTP_CMD_HELO, &c);
	ok("data", SMTP_CMD_DATA, &c);
	ok("RSET", SMTP_CMD_RSET, &c);
	ok("rset  ", SMTP_CMD_RSET, &c);
	ok("QUIT", SMTP_CMD_QUIT, &c);
	ok("StartTLS", SMTP_CMD_STARTTLS, &c);
	cr_assert_str_eq(c.name, "STARTTLS");
	cr_assert_str_eq(smtp_cmd_name(SMTP_CMD_BDAT), "BDAT");
}

Test(smtp_cmd, unknown_and_malformed_verbs)
{
	bad("FOO", 502, "5.5.1");
	bad("FOO bar", 502, "5.5.1");
	bad("MAILX FROM:<a@b.org>", 502, "5.5.1");
	bad("", 500, "5.5.2");
	bad(" QUIT", 500, "5.5.2");
	bad("QU1T", 500, "5.5.2");
	bad("MAIL:FROM:<a@b.org>", 500, "5.5.2");
	bad("GET / HTTP/1.0", 502, "5.5.1");
}

Test(smtp_cmd, control_bytes_in_line)
{
	struct smtp_cmd c;
	struct smtp_error err;

	bad("NOOP a\rb", 500, "5.5.2");
	bad("NOOP a\nb", 500, "5.5.2");
	bad("QUIT\r", 500, "5.5.2");
	cr_assert_eq(smtp_cmd_parse(pool, "NOOP \0x", 7, &lim, &opts, &c,
	    &err), -1);
	cr_assert_eq(err.code, 500);
	cr_assert_eq(smtp_cmd_parse(pool, "QUIT\0", 5, &lim, &opts, &c,
	    &err), -1);
}

Test(smtp_cmd, hello_arguments)
{
	struct smtp_cmd c;

	ok("EHLO [192.0.2.7]", SMTP_CMD_EHLO, &c);
	cr_assert(c.helo_literal);
	cr_assert_str_eq(c.arg, "[192.0.2.7]");
	ok("EHLO [IPv6:2001:db8::7]", SMTP_CMD_EHLO, &c);
	ok("HELO localhost", SMTP_CMD_HELO, &c);
	cr_assert(!c.helo_literal);
	bad("EHLO", 501, "5.5.4");
	bad("EHLO ", 501, "5.5.4");
	bad("EHLO bad..name", 501, "5.5.4");
	bad("EHLO two words", 501, "5.5.4");
	bad("EHLO [300.1.1.1]", 501, "5.5.4");
	bad("EHLO b\xc3\xbc" "cher.example", 501, "5.5.4");
}

Test(smtp_cmd, lmtp_has_lhlo_only)
{
	struct smtp_cmd c;

	bad("LHLO client.example", 502, "5.5.1");
	opts.lmtp = true;
	ok("lhlo client.example", SMTP_CMD_LHLO, &c);
	cr_assert_str_eq(c.arg, "client.example");
	bad("EHLO client.example", 502, "5.5.1");
	bad("HELO client.example", 502, "5.5.1");
	ok("MAIL FROM:<a@b.example>", SMTP_CMD_MAIL, &c);
}

Test(smtp_cmd, mail_from)
{
	struct smtp_cmd c;

	ok("MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME", SMTP_CMD_MAIL,
	    &c);
	cr_assert_str_eq(c.path.addr, "a@b.example");
	cr_assert_eq(c.mail.size, 100);
	cr_assert_eq(c.mail.body, SMTP_BODY_8BITMIME);
	ok("mail from:<>", SMTP_CMD_MAIL, &c);
	cr_assert(c.path.is_null);
	/* a space after the colon, as many clients send */
	ok("MAIL FROM: <a@b.example>", SMTP_CMD_MAIL, &c);
	ok("MAIL FROM:<a@b.example>  ", SMTP_CMD_MAIL, &c);
	bad("MAIL", 501, "5.5.4");
	bad("MAIL FROM", 501, "5.5.4");
	bad("MAIL FROM <a@b.example>", 501, "5.5.4");
	bad("MAIL TO:<a@b.example>", 501, "5.5.4");
	bad("MAIL FROM:a@b.example", 501, "5.1.7");
	bad("MAIL FROM:<a@b.example>SIZE=1", 501, "5.5.4");
	bad("MAIL FROM:<a@b..example>", 501, "5.1.7");
	bad("MAIL FROM:<a@b.example> X=1", 555, "5.5.4");
	bad("MAIL FROM:<a@b.example> SIZE=1 SIZE=2", 501, "5.5.4");
	bad("MAIL FROM:<postmaster>", 501, "5.1.7");
}

Test(smtp_cmd, mail_size_over_limit)
{
	lim.message_size_max = 5000;
	bad("MAIL FROM:<a@b.example> SIZE=5001", 552, "5.3.4");
}

Test(smtp_cmd, rcpt_to)
{
	struct smtp_cmd c;

	ok("RCPT TO:<x@y.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@y",
	    SMTP_CMD_RCPT, &c);
	cr_assert_str_eq(c.path.addr, "x@y.example");
	cr_assert_eq(c.rcpt.notify, SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE);
	cr_assert_str_eq(c.rcpt.orcpt, "x@y");
	ok("rcpt to:<Postmaster>", SMTP_CMD_RCPT, &c);
	cr_assert(c.path.is_postmaster);
	ok("RCPT TO:<@relay.example:x@y.example>", SMTP_CMD_RCPT, &c);
	cr_assert_str_eq(c.path.addr, "x@y.example");
	bad("RCPT TO:<>", 501, "5.1.3");
	bad("RCPT FROM:<x@y.example>", 501, "5.5.4");
	bad("RCPT TO:<x@y.example> SIZE=1", 555, "5.5.4");
	opts.ext = 0;
	bad("RCPT TO:<x@y.example> NOTIFY=NEVER", 555, "5.5.4");
}

Test(smtp_cmd, smtputf8_gates_utf8_paths)
{
	struct smtp_cmd c;

	bad("MAIL FROM:<j\xc3\xb6rg@example.org>", 553, "5.6.7");
	ok("MAIL FROM:<j\xc3\xb6rg@example.org> SMTPUTF8", SMTP_CMD_MAIL, &c);
	cr_assert(c.path.is_utf8);
	cr_assert(c.mail.smtputf8);
	/* the path is still checked first for syntax */
	bad("MAIL FROM:<j\xc3\xb6rg@@example.org> SMTPUTF8", 501, "5.1.7");
	opts.ext = SMTP_EXT_ALL & ~SMTP_EXT_SMTPUTF8;
	bad("MAIL FROM:<j\xc3\xb6rg@example.org> SMTPUTF8", 555, "5.5.4");
	opts.ext = SMTP_EXT_ALL;
	bad("RCPT TO:<m\xc3\xbcller@example.org>", 553, "5.6.7");
	opts.txn_smtputf8 = true;
	ok("RCPT TO:<m\xc3\xbcller@b\xc3\xbc" "cher.example>", SMTP_CMD_RCPT,
	    &c);
	cr_assert_str_eq(c.path.domain_ascii, "xn--bcher-kva.example");
}

Test(smtp_cmd, commands_without_arguments)
{
	bad("DATA x", 501, "5.5.4");
	bad("RSET x", 501, "5.5.4");
	bad("QUIT now", 501, "5.5.4");
	bad("STARTTLS x", 501, "5.5.4");
}

Test(smtp_cmd, string_arguments)
{
	struct smtp_cmd c;

	ok("NOOP", SMTP_CMD_NOOP, &c);
	cr_assert_null(c.arg);
	ok("NOOP hello there", SMTP_CMD_NOOP, &c);
	cr_assert_str_eq(c.arg, "hello there");
	ok("HELP", SMTP_CMD_HELP, &c);
	ok("HELP MAIL", SMTP_CMD_HELP, &c);
	cr_assert_str_eq(c.arg, "MAIL");
	ok("VRFY alice", SMTP_CMD_VRFY, &c);
	cr_assert_str_eq(c.arg, "alice");
	ok("EXPN staff", SMTP_CMD_EXPN, &c);
	bad("VRFY", 501, "5.5.4");
	bad("EXPN  ", 501, "5.5.4");
}

Test(smtp_cmd, bdat)
{
	struct smtp_cmd c;

	ok("BDAT 100", SMTP_CMD_BDAT, &c);
	cr_assert_eq(c.bdat_size, 100);
	cr_assert(!c.bdat_last);
	ok("bdat 0 last", SMTP_CMD_BDAT, &c);
	cr_assert_eq(c.bdat_size, 0);
	cr_assert(c.bdat_last);
	bad("BDAT", 501, "5.5.4");
	bad("BDAT x", 501, "5.5.4");
	bad("BDAT -1", 501, "5.5.4");
	bad("BDAT 1 FIRST", 501, "5.5.4");
	bad("BDAT 1 LAST x", 501, "5.5.4");
	bad("BDAT 1  LAST", 501, "5.5.4");
	bad("BDAT 99999999999999999999999", 501, "5.5.4");
	lim.message_size_max = 100;
	ok("BDAT 100", SMTP_CMD_BDAT, &c);
	bad("BDAT 101", 552, "5.3.4");
}

Test(smtp_cmd, auth)
{
	struct smtp_cmd c;

	ok("AUTH plain", SMTP_CMD_AUTH, &c);
	cr_assert_str_eq(c.arg, "PLAIN");
	cr_assert_null(c.arg2);
	ok("AUTH PLAIN AGFsaWNlAHNlY3JldA==", SMTP_CMD_AUTH, &c);
	cr_assert_str_eq(c.arg2, "AGFsaWNlAHNlY3JldA==");
	ok("AUTH EXTERNAL =", SMTP_CMD_AUTH, &c);
	cr_assert_str_eq(c.arg2, "=");
	ok("AUTH SCRAM-SHA-256", SMTP_CMD_AUTH, &c);
	ok("AUTH x_1", SMTP_CMD_AUTH, &c);
	bad("AUTH", 501, "5.5.4");
	bad("AUTH PL@IN", 501, "5.5.4");
	bad("AUTH ABCDEFGHIJKLMNOPQRSTU", 501, "5.5.4");
	bad("AUTH PLAIN abc", 501, "5.5.4");
	bad("AUTH PLAIN ab=c", 501, "5.5.4");
	bad("AUTH PLAIN ab!c", 501, "5.5.4");
	bad("AUTH PLAIN abcd efgh", 501, "5.5.4");
}

/* A "NOOP xxx" line of n bytes without CRLF. */
static char *
noop_line(size_t n)
{
	char *s = pool_alloc(pool, n + 1);

	memcpy(s, "NOOP ", 5);
	memset(s + 5, 'x', n - 5);
	return s;
}

Test(smtp_cmd, line_limit_crossed)
{
	struct smtp_cmd c;
	struct smtp_error err;

	lim.cmd_line_max = 100;
	lim.auth_line_max = 100;
	/* the limit counts the CRLF: 98 bytes + CRLF = 100 */
	cr_assert_eq(smtp_cmd_parse(pool, noop_line(97), 97, &lim, &opts, &c,
	    &err), 0);
	cr_assert_eq(smtp_cmd_parse(pool, noop_line(98), 98, &lim, &opts, &c,
	    &err), 0);
	cr_assert_eq(smtp_cmd_parse(pool, noop_line(99), 99, &lim, &opts, &c,
	    &err), -1);
	cr_assert_eq(err.code, 500);
	cr_assert_str_eq(err.enh, "5.5.2");
	cr_assert_str_eq(err.text, "Line too long");
}

Test(smtp_cmd, auth_has_its_own_line_limit)
{
	struct smtp_cmd c;
	struct smtp_error err;
	char s[300] = "AUTH PLAIN ";
	size_t n;

	lim.cmd_line_max = 100;
	lim.auth_line_max = 200;
	/* 11 + 184 = 195 bytes: base64 of a multiple of 4, under 200 */
	n = 11 + 184;
	memset(s + 11, 'A', 184);
	s[n] = '\0';
	cr_assert_eq(smtp_cmd_parse(pool, s, n, &lim, &opts, &c, &err), 0);
	/* 11 + 188 = 199 bytes, + CRLF = 201 > 200 */
	memset(s + 11, 'A', 188);
	cr_assert_eq(smtp_cmd_parse(pool, s, 199, &lim, &opts, &c, &err), -1);
	cr_assert_eq(err.code, 500);
	/* 11 + 184 + CRLF at exactly 198: accepted; 198 + CRLF = 200 too */
	n = 11 + 184;
	cr_assert_eq(smtp_cmd_parse(pool, s, n, &lim, &opts, &c, &err), 0);
	/* other commands stay at cmd_line_max */
	cr_assert_eq(smtp_cmd_parse(pool, noop_line(150), 150, &lim, &opts, &c,
	    &err), -1);
	cr_assert_eq(err.code, 500);
}

/* Parse line, write the command back, parse that: same address and
 * parameters. */
static void
round_trip(const char *line)
{
	struct smtp_cmd a, b;
	struct smtp_error err;
	struct buf *out = buf_new(64, 4096);
	const char *w;
	int rc;

	ok(line, strncasecmp(line, "MAIL", 4) == 0 ? SMTP_CMD_MAIL :
	    SMTP_CMD_RCPT, &a);
	if (a.verb == SMTP_CMD_MAIL)
		rc = smtp_cmd_write_mail(out, a.path.addr, &a.mail, opts.ext);
	else
		rc = smtp_cmd_write_rcpt(out, a.path.addr, &a.rcpt, opts.ext);
	cr_assert_eq(rc, 0);
	w = buf_cstr(out);
	cr_assert_eq(strcmp(w + out->len - 2, "\r\n"), 0);
	cr_assert_eq(smtp_cmd_parse(pool, w, out->len - 2, &lim, &opts, &b,
	    &err), 0, "%s", w);
	cr_assert_str_eq(a.path.addr, b.path.addr);
	cr_assert_eq(a.mail.has_size, b.mail.has_size);
	cr_assert_eq(a.mail.size, b.mail.size);
	cr_assert_eq(a.mail.body, b.mail.body);
	cr_assert_eq(a.mail.smtputf8, b.mail.smtputf8);
	cr_assert_eq(a.mail.ret, b.mail.ret);
	cr_assert_str_eq(a.mail.envid ? a.mail.envid : "-",
	    b.mail.envid ? b.mail.envid : "-");
	cr_assert_str_eq(a.mail.auth ? a.mail.auth : "-",
	    b.mail.auth ? b.mail.auth : "-");
	cr_assert_eq(a.rcpt.notify, b.rcpt.notify);
	cr_assert_str_eq(a.rcpt.orcpt ? a.rcpt.orcpt : "-",
	    b.rcpt.orcpt ? b.rcpt.orcpt : "-");
	buf_free(&out);
}

Test(smtp_cmd, write_round_trips)
{
	round_trip("MAIL FROM:<>");
	round_trip("mail from: <a@b.example> size=10 body=binarymime smtputf8 "
	    "ret=hdrs envid=a+2Bb+3Dc auth=u+2Bx@y.example");
	round_trip("MAIL FROM:<\"a b\"@[192.0.2.1]> RET=FULL AUTH=<>");
	round_trip("RCPT TO:<Postmaster>");
	round_trip("RCPT TO:<@r.example:x@y.example> NOTIFY=delay,success "
	    "ORCPT=rfc822;x+2By+20z@y.example");
	round_trip("RCPT TO:<x@y.example> NOTIFY=NEVER");
}

Test(smtp_cmd, write_only_offered_parameters)
{
	struct smtp_mail_params mp = { .has_size = true, .size = 5,
	    .body = SMTP_BODY_8BITMIME, .smtputf8 = true, .ret = SMTP_RET_FULL,
	    .envid = "e", .auth = "<>" };
	struct smtp_rcpt_params rp = { .notify = SMTP_NOTIFY_FAILURE,
	    .orcpt_type = "rfc822", .orcpt = "a@b" };
	struct buf *out = buf_new(64, 4096);

	cr_assert_eq(smtp_cmd_write_mail(out, "a@b.example", &mp, 0), 0);
	cr_assert_str_eq(buf_cstr(out), "MAIL FROM:<a@b.example>\r\n");
	buf_reset(out);
	cr_assert_eq(smtp_cmd_write_mail(out, "a@b.example", &mp,
	    SMTP_EXT_SIZE | SMTP_EXT_DSN), 0);
	cr_assert_str_eq(buf_cstr(out),
	    "MAIL FROM:<a@b.example> SIZE=5 RET=FULL ENVID=e\r\n");
	buf_reset(out);
	cr_assert_eq(smtp_cmd_write_rcpt(out, "x@y", &rp, 0), 0);
	cr_assert_str_eq(buf_cstr(out), "RCPT TO:<x@y>\r\n");
	buf_reset(out);
	cr_assert_eq(smtp_cmd_write_rcpt(out, "x@y", &rp, SMTP_EXT_DSN), 0);
	cr_assert_str_eq(buf_cstr(out),
	    "RCPT TO:<x@y> NOTIFY=FAILURE ORCPT=rfc822;a@b\r\n");
	buf_free(&out);
}

Test(smtp_cmd, write_refuses_line_breaks_and_ceiling)
{
	struct smtp_mail_params mp = { .envid = "a\r\nRCPT TO:<x@y>" };
	struct smtp_rcpt_params rp = { .orcpt_type = "rfc822;x", .orcpt = "a" };
	struct buf *out = buf_new(16, 24);

	cr_assert_eq(smtp_cmd_write_mail(out, "a\r\nb", NULL, 0), -1);
	cr_assert_eq(smtp_cmd_write_mail(out, "a@b", &mp, SMTP_EXT_DSN), -1);
	cr_assert_eq(smtp_cmd_write_rcpt(out, "a@b", &rp, SMTP_EXT_DSN), -1);
	cr_assert_eq(out->len, 0);
	/* "MAIL FROM:<a@b.example>\r\n" is 25 bytes, one over */
	cr_assert_eq(smtp_cmd_write_mail(out, "a@b.example", NULL, 0), -1);
	cr_assert_eq(out->len, 0);
	cr_assert_eq(smtp_cmd_write_mail(out, "a@b.exampl", NULL, 0), 0);
	cr_assert_eq(out->len, 24);
	buf_free(&out);
}
