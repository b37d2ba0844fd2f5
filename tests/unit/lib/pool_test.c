/*
 * tests/unit/lib/pool_test.c - unit tests for lib/pool.c.
 *
 * Children die with parents, freeing a child unlinks it, strings copy.
 * Leaks show up under the sanitizer build (LeakSanitizer).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/pool.h"
#include "lib/banned.h"

Test(pool, alloc_is_zeroed_and_counted)
{
	struct pool *p = pool_new("t");
	unsigned char *m = pool_alloc(p, 64);

	for (int i = 0; i < 64; i++)
		cr_assert_eq(m[i], 0);
	cr_assert_eq(pool_used(p), 64);
	pool_free(&p);
	cr_assert_null(p);
}

Test(pool, strings)
{
	struct pool *p = pool_new("t");

	cr_assert_str_eq(pool_strdup(p, "abc"), "abc");
	cr_assert_str_eq(pool_strndup(p, "abcdef", 3), "abc");
	cr_assert_str_eq(pool_strndup(p, "ab", 10), "ab");
	cr_assert_str_eq(pool_printf(p, "%s=%d", "n", 42), "n=42");
	pool_free(&p);
}

Test(pool, child_freed_with_parent_and_alone)
{
	struct pool *p = pool_new("conn");
	struct pool *a = pool_new_child(p, "txn1");
	struct pool *b = pool_new_child(p, "txn2");
	struct pool *c = pool_new_child(b, "cmd");

	pool_strdup(a, "a");
	pool_strdup(c, "c");
	pool_free(&a);		/* unlinks from parent */
	cr_assert_null(a);
	pool_strdup(b, "b");
	pool_free(&p);		/* frees b and c */
	cr_assert_null(p);
}

Test(pool, secret_pool)
{
	struct pool *s = pool_new_secret("cred");
	struct pool *c = pool_new_child(s, "inner");
	char *pw = pool_strdup(c, "hunter2");

	cr_assert_str_eq(pw, "hunter2");
	pool_free(&s);
	pool_free(&s);	/* NULL-safe */
}
