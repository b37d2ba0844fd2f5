/*
 * tests/unit/milters/spam_config_test.c - unit tests for the [spamd]
 * section (milters/spam/spam_config.c): defaults, values, the threshold
 * syntax and ranges, cross-key checks, and every key documented in
 * docs/tessera.conf.5.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "milters/spam/spam_config.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

/* Load text; *cp (strings of *s point into it) is for the caller to
 * free. */
static int
load(const char *text, struct spam_settings *s, struct buf *err,
    struct cfg **cp)
{
	int rc;

	*cp = cfg_new(&spam_config_def, 1);
	rc = cfg_load_string(*cp, "t.conf", text, err);
	if (rc == 0)
		spam_config_settings(*cp, s);
	return rc;
}

Test(spam_config, defaults)
{
	struct cfg *c = cfg_new(&spam_config_def, 1);
	struct spam_settings s;

	spam_config_settings(c, &s);
	cr_assert_float_eq(s.tag_threshold, 0.9, 1e-9);
	cr_assert_float_eq(s.reject_threshold, 0.99, 1e-9);
	cr_assert_eq(s.tok.token_len_max, SPAM_TOKEN_LEN_MAX_DEFAULT);
	cr_assert_eq(s.tok.tokens_max, SPAM_TOKENS_MAX_DEFAULT);
	cr_assert_eq(s.tok.text_max, SPAM_TEXT_MAX_DEFAULT);
	cr_assert_eq(s.message_size_max, 1 << 20);
	cr_assert_eq(s.timeout_s, 120);
	cfg_free(&c);
}

Test(spam_config, values_are_read)
{
	struct buf *err = buf_new(64, 4096);
	struct spam_settings s;
	struct cfg *c;

	cr_assert_eq(load("[spamd]\nsocket = inet:9999@127.0.0.1\n"
	    "database = /tmp/x.db\ntag_threshold = .5\nreject_threshold = 1\n"
	    "message_size_max = 64k\ntoken_len_max = 20\ntokens_max = 100\n"
	    "text_max = 2k\ndatabase_size_max = 1M\ntimeout = 30s\n", &s, err, &c),
	    0, "%s", buf_cstr(err));
	cr_assert_float_eq(s.tag_threshold, 0.5, 1e-9);
	cr_assert_float_eq(s.reject_threshold, 1.0, 1e-9);
	cr_assert_str_eq(s.database, "/tmp/x.db");
	cr_assert_eq(s.message_size_max, 65536);
	cr_assert_eq(s.tok.token_len_max, 20);
	cr_assert_eq(s.tok.tokens_max, 100);
	cr_assert_eq(s.tok.text_max, 2048);
	cr_assert_eq(s.database_size_max, 1 << 20);
	cr_assert_eq(s.timeout_s, 30);
	cfg_free(&c);
	buf_free(&err);
}

Test(spam_config, threshold_syntax)
{
	double v;

	cr_assert_eq(spam_threshold_parse("0", &v), 0);
	cr_assert_float_eq(v, 0.0, 1e-12);
	cr_assert_eq(spam_threshold_parse("1", &v), 0);
	cr_assert_eq(spam_threshold_parse("1.0", &v), 0);
	cr_assert_eq(spam_threshold_parse("0.999999", &v), 0);
	cr_assert_float_eq(v, 0.999999, 1e-12);
	cr_assert_eq(spam_threshold_parse("0.9999999", &v), -1);
	cr_assert_eq(spam_threshold_parse("1.000001", &v), -1);
	cr_assert_eq(spam_threshold_parse("2", &v), -1);
	cr_assert_eq(spam_threshold_parse("", &v), -1);
	cr_assert_eq(spam_threshold_parse(".", &v), -1);
	cr_assert_eq(spam_threshold_parse("-0.5", &v), -1);
	cr_assert_eq(spam_threshold_parse("0.5x", &v), -1);
	cr_assert_eq(spam_threshold_parse("1e-3", &v), -1);
}

Test(spam_config, bad_values_are_errors)
{
	const char *bad[] = { "tag_threshold = 1.5",
		"reject_threshold = high", "tag_threshold = 0.95\n"
		"reject_threshold = 0.9", "socket = /run/x.sock",
		"database =", "token_len_max = 7", "token_len_max = 129",
		"tokens_max = 15", "message_size_max = 4095", "text_max = 1023",
		"timeout = 0", "no_such_key = 1" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf *err = buf_new(64, 4096), *text = buf_new(64, 4096);
		struct spam_settings s;
		struct cfg *c;

		buf_printf(text, "[spamd]\n%s\n", bad[i]);
		cr_assert_eq(load(buf_cstr(text), &s, err, &c), -1,
		    "%s accepted", bad[i]);
		cfg_free(&c);
		cr_assert_gt(err->len, 0);
		buf_free(&err);
		buf_free(&text);
	}
}

Test(spam_config, every_key_is_documented)
{
	cr_assert_geq(docs_check_sections(&spam_config_def, 1), 10);
}
