/*
 * tests/unit/lib/xalloc_test.c - unit tests for lib/xalloc.c.
 *
 * Zeroing, copies, and that an overflowing size aborts instead of
 * returning a short block.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "lib/xalloc.h"
#include "lib/banned.h"

Test(xalloc, zeroed)
{
	unsigned char *p = xmalloc(100);

	for (int i = 0; i < 100; i++)
		cr_assert_eq(p[i], 0);
	free(p);
	p = xcalloc(0, 0);	/* a valid, freeable block */
	cr_assert_not_null(p);
	free(p);
}

Test(xalloc, copies_are_terminated)
{
	char *s = xstrndup("abcdef", 3);
	char *m = xmemdup("x\0y", 3);
	char *d = xstrdup("hello");

	cr_assert_str_eq(s, "abc");
	cr_assert_eq(memcmp(m, "x\0y\0", 4), 0);
	cr_assert_str_eq(d, "hello");
	free(s);
	free(m);
	free(d);
}

Test(xalloc, reallocarray_keeps_contents)
{
	char *p = xmalloc(4);

	memcpy(p, "abc", 4);
	p = xreallocarray(p, 1000, 2);
	cr_assert_str_eq(p, "abc");
	free(p);
}

Test(xalloc, overflow_aborts, .signal = SIGABRT)
{
	void *p = xcalloc(SIZE_MAX / 2, 3);

	free(p);
}

Test(xalloc, reallocarray_overflow_aborts, .signal = SIGABRT)
{
	void *p = xreallocarray(NULL, SIZE_MAX / 2, 3);

	free(p);
}

Test(xalloc, wipe_clears)
{
	char s[8] = "secret";

	mem_wipe(s, sizeof(s));
	for (size_t i = 0; i < sizeof(s); i++)
		cr_assert_eq(s[i], 0);
	mem_wipe(NULL, 10);
}
