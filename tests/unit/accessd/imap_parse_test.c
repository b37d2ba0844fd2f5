/*
 * tests/unit/accessd/imap_parse_test.c - the IMAP command grammar
 * (accessd/imap_parse.c): atoms, quoted strings, literals, lists and
 * their limits at max and max + 1, sequence sets; modified UTF-7
 * (accessd/imap_mutf7.c); the [accessd.imap] table and its docs.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/pool.h"
#include "accessd/imap_mutf7.h"
#include "accessd/imap_parse.h"
#include "accessd/imapd_config.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

static const struct imap_parse_limits lim = { .depth_max = 3,
	.args_max = 8, .ranges_max = 3 };

static int
parse(struct pool *p, const char *s, struct imap_cmd *c, const char **err)
{
	const char *tag = NULL;

	return imap_parse_command((const uint8_t *)s, strlen(s), &lim, p, c,
	    &tag, err);
}

Test(imap_parse, tag_name_and_args)
{
	struct pool *p = pool_new("t");
	struct imap_cmd c;
	const char *err = NULL;

	cr_assert_eq(parse(p, "a1 login \"al\\\"ice\" {4}\r\nde\0o\r\n", &c,
	    &err), -1);	/* the literal is 4 bytes: "de" NUL 'o' is cut by
			 * strlen above, so it is short */
	cr_assert_eq(parse(p, "a1 login \"al\\\"ice\" {4}\r\ndemo\r\n", &c,
	    &err), 0, "%s", err);
	cr_assert_str_eq(c.tag, "a1");
	cr_assert_str_eq(c.name, "LOGIN");
	cr_assert_eq(c.n_args, 2);
	cr_assert_str_eq(c.args[0].s, "al\"ice");
	cr_assert(c.args[1].literal);
	cr_assert_str_eq(c.args[1].s, "demo");
	cr_assert_eq(parse(p, "x UID fetch 1:* (FLAGS BODY.PEEK[HEADER.FIELDS "
	    "(A B)]<0.10>)\r\n", &c, &err), 0, "%s", err);
	cr_assert(c.uid);
	cr_assert_str_eq(c.name, "FETCH");
	cr_assert_eq(c.args[1].kind, IMAP_ARG_LIST);
	cr_assert_str_eq(c.args[1].list[1].s,
	    "BODY.PEEK[HEADER.FIELDS (A B)]<0.10>");
	cr_assert_eq(parse(p, "y APPEND INBOX {3+}\r\nabc\r\n", &c, &err), 0);
	cr_assert_str_eq(c.args[1].s, "abc");
	cr_assert_eq(parse(p, "z NOOP\r\n", &c, &err), 0);
	cr_assert_eq(c.n_args, 0);
	pool_free(&p);
}

Test(imap_parse, syntax_errors)
{
	static const char *const bad[] = { "", "a1\r\n", " NOOP\r\n",
		"a1  NOOP\r\n", "a1 NOOP \r\n", "a1 X (a  b)\r\n",
		"a1 X (a b\r\n", "a1 X a)\r\n", "a1 X \"ab\r\n",
		"a1 X \"a\\b\"\r\n", "a1 X {5}\r\nab\r\n", "a1 X a[b\r\n",
		"a1 X {x}\r\nab\r\n", "a1 X ( a)\r\n", "a+ NOOP\r\n",
		"a1 NOOP", "a1 X a\"b\r\n", "a1 UID\r\n", NULL };
	struct pool *p = pool_new("t");

	for (size_t i = 0; bad[i] != NULL; i++) {
		struct imap_cmd c;
		const char *err = NULL;

		cr_assert_eq(parse(p, bad[i], &c, &err), -1, "accepted %s",
		    bad[i]);
		cr_assert_not_null(err);
	}
	pool_free(&p);
}

Test(imap_parse, depth_and_args_at_and_past_max)
{
	struct pool *p = pool_new("t");
	struct imap_cmd c;
	const char *err = NULL;

	cr_assert_eq(parse(p, "a X (((a)))\r\n", &c, &err), 0);
	cr_assert_eq(parse(p, "a X ((((a))))\r\n", &c, &err), -1);
	cr_assert_str_eq(err, "[LIMIT] Too deeply nested");
	cr_assert_eq(parse(p, "a X 1 2 3 4 5 6 7 8\r\n", &c, &err), 0);
	cr_assert_eq(parse(p, "a X 1 2 3 4 5 6 7 8 9\r\n", &c, &err), -1);
	cr_assert_str_eq(err, "[LIMIT] Too many arguments");
	pool_free(&p);
}

Test(imap_parse, literal_announcements)
{
	uint64_t n = 0;
	bool ns = false;

	cr_assert_eq(imap_line_literal((const uint8_t *)"a X {12}\r\n", 10, &n,
	    &ns), 1);
	cr_assert_eq(n, 12);
	cr_assert_not(ns);
	cr_assert_eq(imap_line_literal((const uint8_t *)"a X {0+}\r\n", 10, &n,
	    &ns), 1);
	cr_assert_eq(n, 0);
	cr_assert(ns);
	cr_assert_eq(imap_line_literal((const uint8_t *)"a X {}\r\n", 8, &n,
	    &ns), -1);
	cr_assert_eq(imap_line_literal((const uint8_t *)"a X }\r\n", 7, &n,
	    &ns), 0);
	cr_assert_eq(imap_line_literal((const uint8_t *)
	    "a {99999999999999999999}\r\n", 26, &n, &ns), -1);
}

Test(imap_parse, sequence_sets)
{
	struct pool *p = pool_new("t");
	struct imap_range *r;
	size_t n;

	cr_assert_eq(imap_seqset_parse("1,3:5,7:*", 9, 3, p, &r, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(r[2].hi, 0);
	imap_seqset_resolve(r, n, 6);
	cr_assert_eq(r[2].lo, 6);
	cr_assert_eq(r[2].hi, 7);
	cr_assert(imap_seqset_has(r, n, 4));
	cr_assert_not(imap_seqset_has(r, n, 2));
	cr_assert_eq(imap_seqset_parse("1,2,3,4", 7, 3, p, &r, &n), -1);
	cr_assert_eq(imap_seqset_parse("0", 1, 3, p, &r, &n), -1);
	cr_assert_eq(imap_seqset_parse("1:", 2, 3, p, &r, &n), -1);
	cr_assert_eq(imap_seqset_parse("1,,2", 4, 3, p, &r, &n), -1);
	cr_assert_eq(imap_seqset_parse("4294967296", 10, 3, p, &r, &n), -1);
	cr_assert_eq(imap_seqset_parse("", 0, 3, p, &r, &n), -1);
	pool_free(&p);
}

Test(imap_mutf7, round_trip_and_errors)
{
	struct buf *u = buf_new(64, 1024), *m = buf_new(64, 1024);

	cr_assert_eq(imap_mutf7_decode("R&AOk-sum&AOk-/&-x", 18, u), 0);
	cr_assert_str_eq(buf_cstr(u), "R\xc3\xa9sum\xc3\xa9/&x");
	cr_assert_eq(imap_mutf7_encode((const char *)u->data, u->len, m), 0);
	cr_assert_str_eq(buf_cstr(m), "R&AOk-sum&AOk-/&-x");
	buf_reset(m);
	/* U+1F600 needs a surrogate pair */
	cr_assert_eq(imap_mutf7_encode("\xf0\x9f\x98\x80", 4, m), 0);
	buf_reset(u);
	cr_assert_eq(imap_mutf7_decode((const char *)m->data, m->len, u), 0);
	cr_assert_str_eq(buf_cstr(u), "\xf0\x9f\x98\x80");
	buf_reset(u);
	cr_assert_eq(imap_mutf7_decode("&AOk", 4, u), -1);
	cr_assert_eq(imap_mutf7_decode("&AGE-", 5, u), -1); /* 'a' encoded */
	cr_assert_eq(imap_mutf7_decode("\xc3\xa9", 2, u), -1);
	cr_assert_eq(imap_mutf7_encode("\xc3", 1, m), -1);
	buf_free(&u);
	buf_free(&m);
}

Test(imapd_config, defaults_ranges_and_docs)
{
	struct cfg_section_def defs[1] = { imapd_config_def };
	struct buf *err = buf_new(64, 4096);
	struct cfg *c = cfg_new(defs, 1);
	const struct imapd_config *ic;

	cr_assert_eq(cfg_load_string(c, "t.conf", "", err), 0, "%s",
	    buf_cstr(err));
	ic = cfg_get(c, "accessd.imap");
	cr_assert_eq(ic->idle_timeout, 30u * 60 * 1000);
	cr_assert_eq(ic->line_max, 65536);
	cr_assert_eq(ic->auth_line_max, 20480);
	cr_assert_not(ic->plaintext_loopback);
	cr_assert_eq(ic->send_timeout, 5u * 60 * 1000);
	cr_assert_eq(ic->send_buffer, 0);
	cr_assert_eq(ic->nonsync_literals, IMAPD_NONSYNC_PLUS);
	cfg_free(&c);
	c = cfg_new(defs, 1);
	cr_assert_eq(cfg_load_string(c, "t.conf", "[accessd.imap]\n"
	    "nonsync_literals = minus\n", err), 0, "%s", buf_cstr(err));
	cr_assert_eq(((const struct imapd_config *)cfg_get(c,
	    "accessd.imap"))->nonsync_literals, IMAPD_NONSYNC_MINUS);
	cfg_free(&c);
	c = cfg_new(defs, 1);
	cr_assert_eq(cfg_load_string(c, "t.conf", "[accessd.imap]\n"
	    "nonsync_literals = star\n", err), -1);
	cfg_free(&c);
	c = cfg_new(defs, 1);
	cr_assert_eq(cfg_load_string(c, "t.conf", "[accessd.imap]\n"
	    "depth_max = 1\n", err), -1);
	cfg_free(&c);
	cr_assert_eq(docs_check_sections(defs, 1), 15);
	buf_free(&err);
}
