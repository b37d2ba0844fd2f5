/*
 * tests/unit/lib/smtp_param_test.c - unit tests for lib/smtp_param.c and
 * lib/smtp_xtext.c.
 *
 * Each MAIL and RCPT parameter, its bad values and duplicates, parameters
 * of extensions not offered, the SIZE limit, and xtext both ways.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/smtp_cmd_write.h"
#include "lib/smtp_param.h"
#include "lib/smtp_xtext.h"
#include "lib/banned.h"

static struct pool *pool;
static struct smtp_limits lim;

static void
setup(void)
{
	pool = pool_new("test");
	smtp_limits_default(&lim);
}

static void
teardown(void)
{
	pool_free(&pool);
}

TestSuite(smtp_param, .init = setup, .fini = teardown);
TestSuite(smtp_xtext);

static int
mail(const char *s, unsigned ext, struct smtp_mail_params *mp,
    struct smtp_error *err)
{
	return smtp_param_parse_mail(pool, s, strlen(s), &lim, ext, mp, err);
}

static int
rcpt(const char *s, unsigned ext, struct smtp_rcpt_params *rp,
    struct smtp_error *err)
{
	return smtp_param_parse_rcpt(pool, s, strlen(s), &lim, ext, rp, err);
}

static void
mail_err(const char *s, unsigned ext, int code, const char *enh)
{
	struct smtp_mail_params mp;
	struct smtp_error err = { 0 };

	cr_assert_eq(mail(s, ext, &mp, &err), -1, "accepted '%s'", s);
	cr_assert_eq(err.code, code, "'%s': %d %s", s, err.code, err.text);
	cr_assert_str_eq(err.enh, enh);
}

static void
rcpt_err(const char *s, unsigned ext, int code)
{
	struct smtp_rcpt_params rp;
	struct smtp_error err = { 0 };

	cr_assert_eq(rcpt(s, ext, &rp, &err), -1, "accepted '%s'", s);
	cr_assert_eq(err.code, code, "'%s': %d %s", s, err.code, err.text);
	cr_assert_str_eq(err.enh, "5.5.4");
}

Test(smtp_param, none)
{
	struct smtp_mail_params mp;
	struct smtp_error err;

	cr_assert_eq(mail("", SMTP_EXT_ALL, &mp, &err), 0);
	cr_assert(!mp.has_size && mp.body == SMTP_BODY_NONE && !mp.smtputf8);
	cr_assert(mp.ret == SMTP_RET_NONE && mp.envid == NULL &&
	    mp.auth == NULL);
	cr_assert_eq(mail("   ", SMTP_EXT_ALL, &mp, &err), 0);
}

Test(smtp_param, all_mail_params)
{
	struct smtp_mail_params mp;
	struct smtp_error err;

	cr_assert_eq(mail("size=12345 BODY=8bitmime SMTPUTF8 RET=HDRS "
	    "ENVID=QQ+2Bx+3Dy AUTH=<>", SMTP_EXT_ALL, &mp, &err), 0);
	cr_assert(mp.has_size);
	cr_assert_eq(mp.size, 12345);
	cr_assert_eq(mp.body, SMTP_BODY_8BITMIME);
	cr_assert(mp.smtputf8);
	cr_assert_eq(mp.ret, SMTP_RET_HDRS);
	cr_assert_str_eq(mp.envid, "QQ+x=y");
	cr_assert_str_eq(mp.auth, "<>");
	cr_assert_eq(mail("BODY=7BIT RET=full AUTH=a+2Bb@example.org",
	    SMTP_EXT_ALL, &mp, &err), 0);
	cr_assert_eq(mp.body, SMTP_BODY_7BIT);
	cr_assert_eq(mp.ret, SMTP_RET_FULL);
	cr_assert_str_eq(mp.auth, "a+b@example.org");
	cr_assert_eq(mail("BODY=BINARYMIME", SMTP_EXT_ALL, &mp, &err), 0);
	cr_assert_eq(mp.body, SMTP_BODY_BINARYMIME);
}

Test(smtp_param, unoffered_extension_is_unknown)
{
	mail_err("SIZE=1", SMTP_EXT_ALL & ~SMTP_EXT_SIZE, 555, "5.5.4");
	mail_err("BODY=8BITMIME", SMTP_EXT_SIZE, 555, "5.5.4");
	mail_err("SMTPUTF8", SMTP_EXT_ALL & ~SMTP_EXT_SMTPUTF8, 555, "5.5.4");
	mail_err("RET=FULL", SMTP_EXT_ALL & ~SMTP_EXT_DSN, 555, "5.5.4");
	mail_err("ENVID=x", SMTP_EXT_ALL & ~SMTP_EXT_DSN, 555, "5.5.4");
	mail_err("AUTH=<>", SMTP_EXT_ALL & ~SMTP_EXT_AUTH, 555, "5.5.4");
	mail_err("BODY=BINARYMIME", SMTP_EXT_ALL & ~SMTP_EXT_BINARYMIME, 501,
	    "5.5.4");
	mail_err("X-FOO=bar", SMTP_EXT_ALL, 555, "5.5.4");
	mail_err("NOTIFY=NEVER", SMTP_EXT_ALL, 555, "5.5.4");
	rcpt_err("RET=FULL", SMTP_EXT_ALL, 555);
	rcpt_err("NOTIFY=NEVER", SMTP_EXT_ALL & ~SMTP_EXT_DSN, 555);
}

/* XQID= is Tessera's LMTP keyword: only when offered, letters and
 * digits, at most SMTP_XQID_MAX; written back only when offered. */
Test(smtp_param, xqid_only_when_offered)
{
	struct smtp_mail_params mp;
	struct smtp_error err;
	struct buf *out = buf_new(256, 4096);
	char big[SMTP_XQID_MAX + 8];

	mail_err("XQID=1K1XD3919P900K2G00", SMTP_EXT_ALL, 555, "5.5.4");
	cr_assert_eq(mail("XQID=1K1XD3919P900K2G00", SMTP_EXT_XQID, &mp, &err),
	    0);
	cr_assert_str_eq(mp.xqid, "1K1XD3919P900K2G00");
	mail_err("XQID=", SMTP_EXT_XQID, 501, "5.5.4");
	mail_err("XQID", SMTP_EXT_XQID, 501, "5.5.4");
	mail_err("XQID=a/b", SMTP_EXT_XQID, 501, "5.5.4");
	mail_err("XQID=a XQID=b", SMTP_EXT_XQID, 501, "5.5.4");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[SMTP_XQID_MAX] = '\0';
	cr_assert_eq(mail(pool_printf(pool, "XQID=%s", big), SMTP_EXT_XQID,
	    &mp, &err), 0, "exactly SMTP_XQID_MAX");
	big[SMTP_XQID_MAX] = 'a';
	mail_err(pool_printf(pool, "XQID=%s", big), SMTP_EXT_XQID, 501,
	    "5.5.4");
	memset(&mp, 0, sizeof(mp));
	mp.xqid = "Q1";
	cr_assert_eq(smtp_cmd_write_mail(out, "a@b.example", &mp, 0), 0);
	cr_assert_str_eq(buf_cstr(out), "MAIL FROM:<a@b.example>\r\n");
	buf_reset(out);
	cr_assert_eq(smtp_cmd_write_mail(out, "a@b.example", &mp,
	    SMTP_EXT_XQID), 0);
	cr_assert_str_eq(buf_cstr(out), "MAIL FROM:<a@b.example> XQID=Q1\r\n");
	mp.xqid = "Q 1";
	cr_assert_eq(smtp_cmd_write_mail(out, "a@b.example", &mp,
	    SMTP_EXT_XQID), -1);
	buf_free(&out);
}

Test(smtp_param, duplicates_rejected)
{
	mail_err("SIZE=1 SIZE=1", SMTP_EXT_ALL, 501, "5.5.4");
	mail_err("BODY=7BIT body=7bit", SMTP_EXT_ALL, 501, "5.5.4");
	mail_err("SMTPUTF8 SMTPUTF8", SMTP_EXT_ALL, 501, "5.5.4");
	mail_err("RET=FULL RET=HDRS", SMTP_EXT_ALL, 501, "5.5.4");
	mail_err("ENVID=a ENVID=b", SMTP_EXT_ALL, 501, "5.5.4");
	mail_err("AUTH=<> AUTH=<>", SMTP_EXT_ALL, 501, "5.5.4");
	rcpt_err("NOTIFY=NEVER NOTIFY=NEVER", SMTP_EXT_ALL, 501);
	rcpt_err("ORCPT=rfc822;a@b ORCPT=rfc822;a@b", SMTP_EXT_ALL, 501);
}

Test(smtp_param, bad_values)
{
	static const char *const bad[] = { "SIZE", "SIZE=", "SIZE=-1",
	    "SIZE=1x", "SIZE=123456789012345678901", "SIZE=18446744073709551616",
	    "BODY", "BODY=8BIT", "SMTPUTF8=yes", "RET", "RET=NONE", "ENVID",
	    "ENVID=a+2", "ENVID=a+zz", "ENVID=a+00b", "ENVID=a+0Ab",
	    "ENVID=a+C3+B6", "AUTH", "AUTH=a+0", "AUTH=a+07",
	    "SIZE=1  =x", "=x", "-A=1", "SIZE=1\tBODY=7BIT", "SIZE=1=2",
	    "ENVID=\xc3", "SIZE=\x7f" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		mail_err(bad[i], SMTP_EXT_ALL, 501, "5.5.4");
}

Test(smtp_param, size_limit_crossed)
{
	struct smtp_mail_params mp;
	struct smtp_error err;

	lim.message_size_max = 1000;
	cr_assert_eq(mail("SIZE=999", SMTP_EXT_ALL, &mp, &err), 0);
	cr_assert_eq(mail("SIZE=1000", SMTP_EXT_ALL, &mp, &err), 0);
	mail_err("SIZE=1001", SMTP_EXT_ALL, 552, "5.3.4");
	lim.message_size_max = 0;
	cr_assert_eq(mail("SIZE=18446744073709551615", SMTP_EXT_ALL, &mp,
	    &err), 0);
	cr_assert_eq(mp.size, UINT64_MAX);
}

Test(smtp_param, envid_limit_crossed)
{
	char s[200] = "ENVID=";
	struct smtp_mail_params mp;
	struct smtp_error err;

	memset(s + 6, 'e', SMTP_ENVID_MAX);
	cr_assert_eq(mail(s, SMTP_EXT_ALL, &mp, &err), 0);
	cr_assert_eq(strlen(mp.envid), SMTP_ENVID_MAX);
	s[6 + SMTP_ENVID_MAX] = 'e';
	mail_err(s, SMTP_EXT_ALL, 501, "5.5.4");
}

Test(smtp_param, notify)
{
	struct smtp_rcpt_params rp;
	struct smtp_error err;

	cr_assert_eq(rcpt("NOTIFY=never", SMTP_EXT_ALL, &rp, &err), 0);
	cr_assert_eq(rp.notify, SMTP_NOTIFY_NEVER);
	cr_assert_eq(rcpt("NOTIFY=SUCCESS,FAILURE,DELAY", SMTP_EXT_ALL, &rp,
	    &err), 0);
	cr_assert_eq(rp.notify, SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE |
	    SMTP_NOTIFY_DELAY);
	cr_assert_eq(rcpt("NOTIFY=DELAY", SMTP_EXT_ALL, &rp, &err), 0);
	cr_assert_eq(rp.notify, SMTP_NOTIFY_DELAY);
	cr_assert_eq(rcpt("", SMTP_EXT_ALL, &rp, &err), 0);
	cr_assert_eq(rp.notify, 0);
	rcpt_err("NOTIFY=NEVER,SUCCESS", SMTP_EXT_ALL, 501);
	rcpt_err("NOTIFY=SUCCESS,SUCCESS", SMTP_EXT_ALL, 501);
	rcpt_err("NOTIFY=SUCCESS,", SMTP_EXT_ALL, 501);
	rcpt_err("NOTIFY=,SUCCESS", SMTP_EXT_ALL, 501);
	rcpt_err("NOTIFY=SOMETIMES", SMTP_EXT_ALL, 501);
	rcpt_err("NOTIFY", SMTP_EXT_ALL, 501);
}

Test(smtp_param, orcpt)
{
	struct smtp_rcpt_params rp;
	struct smtp_error err;

	cr_assert_eq(rcpt("ORCPT=rfc822;a+2Bb@example.org NOTIFY=FAILURE",
	    SMTP_EXT_ALL, &rp, &err), 0);
	cr_assert_str_eq(rp.orcpt_type, "rfc822");
	cr_assert_str_eq(rp.orcpt, "a+b@example.org");
	cr_assert_eq(rp.notify, SMTP_NOTIFY_FAILURE);
	rcpt_err("ORCPT=rfc822", SMTP_EXT_ALL, 501);
	rcpt_err("ORCPT=;a@b", SMTP_EXT_ALL, 501);
	rcpt_err("ORCPT=rfc822;", SMTP_EXT_ALL, 501);
	rcpt_err("ORCPT=rfc 822;a", SMTP_EXT_ALL, 501);
	rcpt_err("ORCPT=rf.c;a", SMTP_EXT_ALL, 501);
	rcpt_err("ORCPT=rfc822;a+0Db", SMTP_EXT_ALL, 501);
}

Test(smtp_param, orcpt_limit_crossed)
{
	char s[700] = "ORCPT=rfc822;";
	struct smtp_rcpt_params rp;
	struct smtp_error err;
	size_t pre = strlen("rfc822;");

	memset(s + 13, 'o', SMTP_ORCPT_MAX - pre);
	cr_assert_eq(rcpt(s, SMTP_EXT_ALL, &rp, &err), 0);
	s[13 + SMTP_ORCPT_MAX - pre] = 'o';
	rcpt_err(s, SMTP_EXT_ALL, 501);
}

Test(smtp_xtext, decode)
{
	struct buf *b = buf_new(16, 64);

	cr_assert_eq(smtp_xtext_decode("a+2Bb+3d", 8, b), 0);
	cr_assert_str_eq(buf_cstr(b), "a+b=");
	buf_reset(b);
	cr_assert_eq(smtp_xtext_decode("", 0, b), 0);
	cr_assert_eq(b->len, 0);
	static const char *const bad[] = { "a=b", "a b", "+", "+4", "+4g",
	    "\x7f", "\xc3\xb6" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(b);
		buf_append_str(b, "keep");
		cr_assert_eq(smtp_xtext_decode(bad[i], strlen(bad[i]), b), -1,
		    "accepted %s", bad[i]);
		cr_assert_str_eq(buf_cstr(b), "keep");
	}
	buf_free(&b);
}

Test(smtp_xtext, encode_round_trip)
{
	struct buf *e = buf_new(16, 1024), *d = buf_new(16, 1024);
	uint8_t all[256];

	for (size_t i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	cr_assert_eq(smtp_xtext_encode(all, sizeof(all), e), 0);
	for (size_t i = 0; i < e->len; i++)
		cr_assert(e->data[i] > 32 && e->data[i] < 127 &&
		    e->data[i] != '=');
	cr_assert_eq(smtp_xtext_decode(buf_cstr(e), e->len, d), 0);
	cr_assert_eq(d->len, 256);
	cr_assert_eq(memcmp(d->data, all, 256), 0);
	buf_reset(e);
	cr_assert_eq(smtp_xtext_encode("a+b =", 5, e), 0);
	cr_assert_str_eq(buf_cstr(e), "a+2Bb+20+3D");
	buf_free(&e);
	buf_free(&d);
}

Test(smtp_xtext, ceiling)
{
	struct buf *b = buf_new(4, 4);

	cr_assert_eq(smtp_xtext_encode("abcd", 4, b), 0);
	buf_reset(b);
	cr_assert_eq(smtp_xtext_encode("abc=", 4, b), -1);
	cr_assert_eq(b->len, 0);
	cr_assert_eq(smtp_xtext_decode("abcde", 5, b), -1);
	cr_assert_eq(b->len, 0);
	buf_free(&b);
}
