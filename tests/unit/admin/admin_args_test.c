/*
 * tests/unit/admin/admin_args_test.c - validation of addresses, domains,
 * host names, display names and sizes typed into the tessera command
 * (admin/admin_args.c), each limit at max-1/max/max+1.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin_args.h"
#include "lib/banned.h"

static const char *
addr(const char *s)
{
	return admin_address_check(s, strlen(s));
}

static const char *
dom(const char *s)
{
	return admin_domain_check(s, strlen(s));
}

/* A string of n copies of c (static buffer, n < 1024). */
static const char *
rep(char c, size_t n)
{
	static char b[1024];

	cr_assert_lt(n, sizeof(b));
	memset(b, c, n);
	b[n] = '\0';
	return b;
}

Test(admin_args, good_addresses)
{
	cr_expect_null(addr("alice@example.test"));
	cr_expect_null(addr("a.b+tag@sub.example.test"));
	cr_expect_null(addr("o'brien@example.test"));
	cr_expect_null(addr("x@a-b.example"));
	cr_expect_null(addr("Alice@Example.TEST"));
}

Test(admin_args, bad_addresses)
{
	const char *bad[] = { "", "alice", "@example.test", "alice@",
		"alice@example", ".alice@example.test", "alice.@example.test",
		"a..b@example.test", "a b@example.test", "a\"b@example.test",
		"a(b)@example.test", "a,b@example.test", "a@b@example.test",
		"alice@-example.test", "alice@example-.test",
		"alice@exa_mple.test", "alice@example..test", "al\x01" "ce@e.t",
		"*)(uid=*@example.test", "al\xc3\xa9@example.test",
		"alice@example.test.", NULL };

	for (size_t i = 0; bad[i] != NULL; i++)
		cr_expect_not_null(addr(bad[i]), "accepted \"%s\"", bad[i]);
	/* a NUL inside the bytes is not an address either */
	cr_expect_not_null(admin_address_check("a\0b@example.test", 16));
}

Test(admin_args, local_part_limit)
{
	char b[200];

	snprintf(b, sizeof(b), "%s@example.test", rep('a', 63));
	cr_expect_null(addr(b));
	snprintf(b, sizeof(b), "%s@example.test", rep('a', 64));
	cr_expect_null(addr(b));
	snprintf(b, sizeof(b), "%s@example.test", rep('a', 65));
	cr_expect_not_null(addr(b));
}

Test(admin_args, label_and_domain_limits)
{
	char b[600];

	snprintf(b, sizeof(b), "%s.test", rep('a', 63));
	cr_expect_null(dom(b));
	snprintf(b, sizeof(b), "%s.test", rep('a', 64));
	cr_expect_not_null(dom(b));
	/* 253 bytes in all: 4 labels of 61 + ".abc" = 4*62 - 1 + 4... */
	snprintf(b, sizeof(b), "%s.", rep('a', 61));
	{
		char d[600] = "";

		for (int i = 0; i < 4; i++)
			strncat(d, b, sizeof(d) - strlen(d) - 1);
		/* 248 bytes so far: add "abcde" -> 253 */
		strncat(d, "abcde", sizeof(d) - strlen(d) - 1);
		cr_expect_eq(strlen(d), 253);
		cr_expect_null(dom(d));
		strncat(d, "f", sizeof(d) - strlen(d) - 1);
		cr_expect_not_null(dom(d));
	}
	cr_expect_not_null(dom("localhost"));
	cr_expect_null(admin_host_check("localhost", 9));
	cr_expect_not_null(admin_host_check("-x", 2));
}

Test(admin_args, address_total_limit)
{
	char b[700];
	char d[300] = "";

	/* 64 + 1 + 253 = 318 is fine; the domain part caps the total */
	for (int i = 0; i < 4; i++) {
		strncat(d, rep('b', 61), sizeof(d) - strlen(d) - 1);
		strncat(d, ".", sizeof(d) - strlen(d) - 1);
	}
	strncat(d, "abcde", sizeof(d) - strlen(d) - 1);
	snprintf(b, sizeof(b), "%s@%s", rep('a', 64), d);
	cr_expect_null(addr(b));
	snprintf(b, sizeof(b), "%s@%s", rep('a', 66), d);
	cr_expect_not_null(addr(b));
	cr_expect_not_null(admin_address_check(rep('a', 321), 321));
}

Test(admin_args, names)
{
	cr_expect_null(admin_name_check("Alice Liddell", 13));
	cr_expect_null(admin_name_check("Zo\xc3\xab", 4));
	cr_expect_not_null(admin_name_check("", 0));
	cr_expect_not_null(admin_name_check("   ", 3));
	cr_expect_not_null(admin_name_check("a\nb", 3));
	cr_expect_not_null(admin_name_check("a\x7f", 2));
	cr_expect_not_null(admin_name_check("\xc3", 1));
	cr_expect_not_null(admin_name_check("\xc0\xaf", 2));
	cr_expect_not_null(admin_name_check("\xed\xa0\x80", 3));
	cr_expect_null(admin_name_check(rep('n', 256), 256));
	cr_expect_not_null(admin_name_check(rep('n', 257), 257));
}

static int
size(const char *s, uint64_t max, uint64_t *v)
{
	const char *why = NULL;
	int rc = admin_size_parse(s, strlen(s), max, v, &why);

	if (rc == -1)
		cr_expect_not_null(why);
	return rc;
}

Test(admin_args, sizes)
{
	uint64_t v = 7;

	cr_expect_eq(size("0", 100, &v), 0);
	cr_expect_eq(v, 0);
	cr_expect_eq(size("none", 100, &v), 0);
	cr_expect_eq(v, 0);
	cr_expect_eq(size("512", UINT64_MAX, &v), 0);
	cr_expect_eq(v, 512);
	cr_expect_eq(size("10k", UINT64_MAX, &v), 0);
	cr_expect_eq(v, 10240);
	cr_expect_eq(size("500M", UINT64_MAX, &v), 0);
	cr_expect_eq(v, 500ULL << 20);
	cr_expect_eq(size("2GB", UINT64_MAX, &v), 0);
	cr_expect_eq(v, 2ULL << 30);
	cr_expect_eq(size("1t", UINT64_MAX, &v), 0);
	cr_expect_eq(v, 1ULL << 40);
	cr_expect_eq(size("100b", UINT64_MAX, &v), 0);
	cr_expect_eq(v, 100);
	const char *bad[] = { "", "M", "-1", "1.5G", "10x", "10 M", "10MM",
		"10Mbb", "18446744073709551616", "16777216T", " 1", NULL };
	for (size_t i = 0; bad[i] != NULL; i++)
		cr_expect_eq(size(bad[i], UINT64_MAX, &v), -1, "accepted %s",
		    bad[i]);
}

Test(admin_args, size_max_is_enforced)
{
	uint64_t v;

	cr_expect_eq(size("1023", 1024, &v), 0);
	cr_expect_eq(size("1024", 1024, &v), 0);
	cr_expect_eq(size("1k", 1024, &v), 0);
	cr_expect_eq(size("1025", 1024, &v), -1);
}
