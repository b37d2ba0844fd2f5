/*
 * tests/unit/lib/smtp_addr_test.c - unit tests for lib/smtp_addr.c.
 *
 * Paths, null sender, Postmaster, source routes, quoted local parts,
 * address literals, domain syntax and IDNA, SMTPUTF8, and every limit at
 * max and max+1.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/pool.h"
#include "lib/smtp_addr.h"
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

TestSuite(smtp_addr, .init = setup, .fini = teardown);

static int
parse(const char *s, unsigned flags, struct smtp_path *pa,
    struct smtp_error *err)
{
	return smtp_path_parse(pool, s, strlen(s), &lim, flags, pa, NULL, err);
}

static void
expect_err(const char *s, unsigned flags, int code, const char *enh)
{
	struct smtp_path pa;
	struct smtp_error err = { 0 };

	cr_assert_eq(parse(s, flags, &pa, &err), -1, "accepted %s", s);
	cr_assert_eq(err.code, code, "%s: code %d", s, err.code);
	cr_assert_str_eq(err.enh, enh, "%s: enh %s", s, err.enh);
	cr_assert_not_null(err.text);
}

Test(smtp_addr, plain_mailbox)
{
	struct smtp_path pa;
	struct smtp_error err;

	cr_assert_eq(parse("<Alice@Example.ORG>", SMTP_PATH_RECIPIENT, &pa,
	    &err), 0);
	cr_assert_str_eq(pa.local, "Alice");
	cr_assert_str_eq(pa.domain, "Example.ORG");
	cr_assert_str_eq(pa.domain_ascii, "example.org");
	cr_assert_str_eq(pa.addr, "Alice@Example.ORG");
	cr_assert(!pa.is_null && !pa.is_postmaster && !pa.is_utf8);
	cr_assert(!pa.is_literal);
}

Test(smtp_addr, null_sender_only_for_sender)
{
	struct smtp_path pa;
	struct smtp_error err;

	cr_assert_eq(parse("<>", SMTP_PATH_SENDER, &pa, &err), 0);
	cr_assert(pa.is_null);
	cr_assert(smtp_addr_is_null(&pa));
	cr_assert_str_eq(pa.addr, "");
	expect_err("<>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
}

Test(smtp_addr, postmaster_without_domain_only_for_recipient)
{
	struct smtp_path pa;
	struct smtp_error err;

	cr_assert_eq(parse("<postMaster>", SMTP_PATH_RECIPIENT, &pa, &err), 0);
	cr_assert(pa.is_postmaster);
	cr_assert_null(pa.domain);
	cr_assert_str_eq(pa.addr, "Postmaster");
	expect_err("<postmaster>", SMTP_PATH_SENDER, 501, "5.1.7");
	expect_err("<postmasterx>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
}

Test(smtp_addr, source_route_is_dropped)
{
	struct smtp_path pa;
	struct smtp_error err;

	cr_assert_eq(parse("<@a.example,@b.example:u@c.example>",
	    SMTP_PATH_RECIPIENT, &pa, &err), 0);
	cr_assert_str_eq(pa.addr, "u@c.example");
	expect_err("<@a.example:>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<@a..example:u@c.example>", SMTP_PATH_RECIPIENT, 501,
	    "5.1.3");
	expect_err("<@a.example;u@c.example>", SMTP_PATH_RECIPIENT, 501,
	    "5.1.3");
	expect_err("<@a.example,u@c.example>", SMTP_PATH_RECIPIENT, 501,
	    "5.1.3");
}

Test(smtp_addr, quoted_local_part)
{
	struct smtp_path pa;
	struct smtp_error err;

	cr_assert_eq(parse("<\"john doe\"@example.org>", SMTP_PATH_SENDER,
	    &pa, &err), 0);
	cr_assert_str_eq(pa.local, "john doe");
	cr_assert_str_eq(pa.addr, "\"john doe\"@example.org");
	/* quoting that is not needed is dropped */
	cr_assert_eq(parse("<\"john\"@example.org>", SMTP_PATH_SENDER, &pa,
	    &err), 0);
	cr_assert_str_eq(pa.addr, "john@example.org");
	/* quoted pairs undone and redone */
	cr_assert_eq(parse("<\"a\\\"b\\\\c\"@example.org>", SMTP_PATH_SENDER,
	    &pa, &err), 0);
	cr_assert_str_eq(pa.local, "a\"b\\c");
	cr_assert_str_eq(pa.addr, "\"a\\\"b\\\\c\"@example.org");
	cr_assert_eq(parse("<\"\"@example.org>", SMTP_PATH_SENDER, &pa,
	    &err), 0);
	cr_assert_str_eq(pa.addr, "\"\"@example.org");
	expect_err("<\"a\tb\"@example.org>", SMTP_PATH_SENDER, 501, "5.1.7");
	expect_err("<\"ab@example.org>", SMTP_PATH_SENDER, 501, "5.1.7");
	expect_err("<\"a\\", SMTP_PATH_SENDER, 501, "5.1.7");
}

Test(smtp_addr, dot_string_rules)
{
	struct smtp_path pa;
	struct smtp_error err;

	cr_assert_eq(parse("<a.b+c!#$%&'*/=?^_`{|}~-d@example.org>",
	    SMTP_PATH_RECIPIENT, &pa, &err), 0);
	expect_err("<.a@example.org>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<a.@example.org>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<a..b@example.org>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<a b@example.org>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<a(b)@example.org>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<@example.org>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<ab>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("ab@example.org", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<ab@example.org", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<ab@example.org>x", SMTP_PATH_RECIPIENT, 501, "5.1.3");
}

Test(smtp_addr, nul_is_rejected)
{
	struct smtp_path pa;
	struct smtp_error err;
	const char s[] = "<a\0b@example.org>";

	cr_assert_eq(smtp_path_parse(pool, s, sizeof(s) - 1, &lim,
	    SMTP_PATH_RECIPIENT, &pa, NULL, &err), -1);
	cr_assert_eq(smtp_path_parse(pool, "<ab@exa\0mple.org>", 17, &lim,
	    SMTP_PATH_RECIPIENT, &pa, NULL, &err), -1);
}

Test(smtp_addr, address_literals)
{
	struct smtp_path pa;
	struct smtp_error err;

	cr_assert_eq(parse("<u@[192.0.2.1]>", SMTP_PATH_RECIPIENT, &pa,
	    &err), 0);
	cr_assert(pa.is_literal);
	cr_assert_str_eq(pa.domain, "[192.0.2.1]");
	cr_assert_str_eq(pa.addr, "u@[192.0.2.1]");
	cr_assert_eq(parse("<u@[IPv6:2001:db8::1]>", SMTP_PATH_RECIPIENT, &pa,
	    &err), 0);
	cr_assert_eq(parse("<u@[ipv6:::ffff:192.0.2.1]>", SMTP_PATH_RECIPIENT,
	    &pa, &err), 0);
	expect_err("<u@[192.0.2]>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<u@[192.0.2.256]>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<u@[IPv6:2001:db8::g]>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<u@[2001:db8::1]>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<u@[x-tag:foo]>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<u@[192.0.2.1>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	expect_err("<u@[]>", SMTP_PATH_RECIPIENT, 501, "5.1.3");
	cr_assert_eq(smtp_addr_literal_check("[1.2.3.4]", 9), 0);
	cr_assert_eq(smtp_addr_literal_check("1.2.3.4", 7), -1);
	cr_assert_eq(smtp_addr_literal_check("[IPv6:]", 7), -1);
}

Test(smtp_addr, domain_syntax)
{
	const char *why = NULL;
	char *ascii = NULL;

	cr_assert_eq(smtp_domain_check(pool, "a-b.Example1.org", 16, &lim,
	    false, &ascii, &why), 0);
	cr_assert_str_eq(ascii, "a-b.example1.org");
	cr_assert_eq(smtp_domain_check(pool, "localhost", 9, &lim, false,
	    NULL, NULL), 0);
	static const char *const bad[] = { "", ".", "a..b", ".a", "a.",
	    "-a.org", "a-.org", "a_b.org", "a b", "a.org.", "[1.2.3.4]",
	    "a/b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		cr_assert_eq(smtp_domain_check(pool, bad[i], strlen(bad[i]),
		    &lim, false, NULL, &why), -1, "accepted '%s'", bad[i]);
		cr_assert_not_null(why);
	}
}

Test(smtp_addr, label_length_63_and_64)
{
	char d[80];

	memset(d, 'a', 63);
	memcpy(d + 63, ".org", 5);
	cr_assert_eq(smtp_domain_check(pool, d, strlen(d), &lim, false, NULL,
	    NULL), 0);
	memset(d, 'a', 64);
	memcpy(d + 64, ".org", 5);
	cr_assert_eq(smtp_domain_check(pool, d, strlen(d), &lim, false, NULL,
	    NULL), -1);
}

/* A domain of n bytes: labels of "a"s. */
static void
make_domain(char *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = i % 10 == 9 ? '.' : 'a';
	d[n] = '\0';
	if (d[n - 1] == '.')
		d[n - 1] = 'b';
}

Test(smtp_addr, domain_limit_crossed)
{
	char d[400];

	lim.domain_max = 100;
	make_domain(d, 99);
	cr_assert_eq(smtp_domain_check(pool, d, 99, &lim, false, NULL, NULL),
	    0);
	make_domain(d, 100);
	cr_assert_eq(smtp_domain_check(pool, d, 100, &lim, false, NULL, NULL),
	    0);
	make_domain(d, 101);
	cr_assert_eq(smtp_domain_check(pool, d, 101, &lim, false, NULL, NULL),
	    -1);
}

Test(smtp_addr, local_part_limit_crossed)
{
	char s[200];
	struct smtp_path pa;
	struct smtp_error err;

	lim.local_max = 10;
	for (size_t n = 9; n <= 11; n++) {
		s[0] = '<';
		memset(s + 1, 'x', n);
		memcpy(s + 1 + n, "@example.org>", 14);
		cr_assert_eq(parse(s, SMTP_PATH_RECIPIENT, &pa, &err),
		    n <= 10 ? 0 : -1, "n=%zu", n);
		/* quoted: the decoded length counts */
		s[1] = '"';
		memset(s + 2, 'y', n);
		memcpy(s + 2 + n, "\"@example.org>", 15);
		cr_assert_eq(parse(s, SMTP_PATH_RECIPIENT, &pa, &err),
		    n <= 10 ? 0 : -1, "quoted n=%zu", n);
	}
	cr_assert_str_eq(err.text, "Local part too long");
}

Test(smtp_addr, path_limit_crossed)
{
	char s[100];
	struct smtp_path pa;
	struct smtp_error err;

	lim.path_max = 20;
	/* "<" + local + "@ex.org>" = n bytes */
	for (size_t n = 19; n <= 21; n++) {
		size_t local = n - 9;

		s[0] = '<';
		memset(s + 1, 'x', local);
		memcpy(s + 1 + local, "@ex.org>", 9);
		cr_assert_eq(strlen(s), n);
		cr_assert_eq(parse(s, SMTP_PATH_SENDER, &pa, &err),
		    n <= 20 ? 0 : -1, "n=%zu", n);
	}
	cr_assert_eq(err.code, 501);
	cr_assert_str_eq(err.enh, "5.1.7");
	cr_assert_str_eq(err.text, "Path too long");
}

Test(smtp_addr, used_out_stops_at_path)
{
	struct smtp_path pa;
	struct smtp_error err;
	size_t used = 0;
	const char *s = "<a@b.org> SIZE=10";

	cr_assert_eq(smtp_path_parse(pool, s, strlen(s), &lim, SMTP_PATH_SENDER,
	    &pa, &used, &err), 0);
	cr_assert_eq(used, 9);
	s = "<a@\"b.org>";
	cr_assert_eq(smtp_path_parse(pool, s, strlen(s), &lim, SMTP_PATH_SENDER,
	    &pa, &used, &err), -1);
}

Test(smtp_addr, utf8_needs_smtputf8)
{
	struct smtp_path pa;
	struct smtp_error err;

	expect_err("<j\xc3\xb6rg@example.org>", SMTP_PATH_RECIPIENT, 553,
	    "5.6.7");
	expect_err("<jorg@b\xc3\xbc" "cher.example>", SMTP_PATH_RECIPIENT, 553,
	    "5.6.7");
	cr_assert_eq(parse("<j\xc3\xb6rg@b\xc3\xbc" "cher.example>",
	    SMTP_PATH_RECIPIENT | SMTP_PATH_UTF8, &pa, &err), 0);
	cr_assert(pa.is_utf8);
	cr_assert_str_eq(pa.local, "j\xc3\xb6rg");
	cr_assert_str_eq(pa.domain, "b\xc3\xbc" "cher.example");
	cr_assert_str_eq(pa.domain_ascii, "xn--bcher-kva.example");
	cr_assert_eq(parse("<\"j\xc3\xb6 rg\"@example.org>",
	    SMTP_PATH_RECIPIENT | SMTP_PATH_UTF8, &pa, &err), 0);
	cr_assert_str_eq(pa.addr, "\"j\xc3\xb6 rg\"@example.org");
}

Test(smtp_addr, malformed_utf8_rejected)
{
	unsigned f = SMTP_PATH_RECIPIENT | SMTP_PATH_UTF8;

	/* overlong "/", a lone continuation byte, a surrogate, past U+10FFFF,
	 * a truncated sequence */
	expect_err("<a\xc0\xafz@example.org>", f, 501, "5.1.3");
	expect_err("<a\x80z@example.org>", f, 501, "5.1.3");
	expect_err("<a\xed\xa0\x80z@example.org>", f, 501, "5.1.3");
	expect_err("<a\xf4\x90\x80\x80z@example.org>", f, 501, "5.1.3");
	expect_err("<a\xe2\x82@example.org>", f, 501, "5.1.3");
	expect_err("<a@b\xc3.example>", f, 501, "5.1.3");
	cr_assert(smtp_utf8_is_valid("\xe2\x82\xac", 3));
	cr_assert(!smtp_utf8_is_valid("\xe2\x82", 2));
	cr_assert(!smtp_utf8_is_valid("a\0b", 3));
}

Test(smtp_addr, idna_labels_checked)
{
	char *ascii = NULL;

	cr_assert_eq(smtp_domain_check(pool, "XN--bcher-kva.example", 21, &lim,
	    false, &ascii, NULL), 0);
	cr_assert_str_eq(ascii, "xn--bcher-kva.example");
	/* not valid punycode, or not the canonical A-label of anything */
	cr_assert_eq(smtp_domain_check(pool, "xn--a.example", 13, &lim, false,
	    NULL, NULL), -1);
	cr_assert_eq(smtp_domain_check(pool, "xn--.example", 12, &lim, false,
	    NULL, NULL), -1);
	cr_assert_eq(smtp_domain_check(pool, "xn--abc-.example", 16, &lim,
	    false, NULL, NULL), -1);
	/* code points IDNA2008 forbids: soft hyphen (UTS 46 would map it
	 * away), a symbol (U+2615), "_" */
	cr_assert_eq(smtp_domain_check(pool, "a\xc2\xad" "b.example", 12, &lim,
	    true, NULL, NULL), -1);
	cr_assert_eq(smtp_domain_check(pool, "\xe2\x98\x95.example", 11, &lim,
	    true, NULL, NULL), -1);
	cr_assert_eq(smtp_domain_check(pool, "a_\xc3\xb6.example", 12, &lim,
	    true, NULL, NULL), -1);
	/* hyphens where RFC 5891 forbids them in U-labels */
	cr_assert_eq(smtp_domain_check(pool, "\xc3\xb6-.example", 11, &lim,
	    true, NULL, NULL), -1);
	cr_assert_eq(smtp_domain_check(pool, "-\xc3\xb6.example", 11, &lim,
	    true, NULL, NULL), -1);
	cr_assert_eq(smtp_domain_check(pool, "ab--\xc3\xb6.example", 14, &lim,
	    true, NULL, NULL), -1);
	/* ASCII upper case is folded before IDNA, so this is fine */
	cr_assert_eq(smtp_domain_check(pool, "B\xc3\xbc" "cher.example", 15,
	    &lim, true, &ascii, NULL), 0);
	cr_assert_str_eq(ascii, "xn--bcher-kva.example");
	cr_assert_eq(smtp_domain_check(pool, "b\xc3\xbc" "cher.example", 15,
	    &lim, false, NULL, NULL), -1);
}

Test(smtp_addr, dot_string_predicate)
{
	cr_assert(smtp_local_is_dot_string("a.b", 3, false));
	cr_assert(!smtp_local_is_dot_string("a b", 3, false));
	cr_assert(!smtp_local_is_dot_string("", 0, false));
	cr_assert(!smtp_local_is_dot_string("\xc3\xb6", 2, false));
	cr_assert(smtp_local_is_dot_string("\xc3\xb6", 2, true));
	cr_assert(!smtp_local_is_dot_string("\xc3", 1, true));
}
