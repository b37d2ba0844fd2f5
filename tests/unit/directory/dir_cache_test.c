/*
 * tests/unit/directory/dir_cache_test.c - unit tests for dir_cache.c with
 * a fake clock: positive and negative TTLs expire separately, TEMPFAIL is
 * never stored, the size bound evicts the oldest, values are deep copies.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lib/pool.h"
#include "directory/dir_cache.h"
#include "lib/banned.h"

static uint64_t fake_now;
static struct pool *pool;

static uint64_t
fake_clock(void *arg)
{
	return *(uint64_t *)arg;
}

static void
setup(void)
{
	fake_now = 1000;
	pool = pool_new("test");
}

static void
teardown(void)
{
	pool_free(&pool);
}

TestSuite(dir_cache, .init = setup, .fini = teardown);

static struct dir_cache *
cache(size_t max)
{
	return dir_cache_new(max, 60000, 10000, fake_clock, &fake_now);
}

static void
put_found(struct dir_cache *c, enum dir_cache_kind kind, const char *key,
    const char *address)
{
	struct dir_entry e = { .kind = DIR_KIND_USER, .dn = "uid=x",
		.address = (char *)(uintptr_t)address };
	struct dir_entry *list[2] = { &e, NULL };
	struct dir_cache_value v = { .result = DIR_FOUND, .entries = list,
		.n_entries = 1, .server = "ldap://s1" };

	dir_cache_put(c, kind, key, &v);
}

static void
put_result(struct dir_cache *c, const char *key, enum dir_result r)
{
	struct dir_cache_value v = { .result = r, .server = "ldap://s1" };

	dir_cache_put(c, DIR_CACHE_ADDRESS, key, &v);
}

static bool
hit(struct dir_cache *c, enum dir_cache_kind kind, const char *key,
    struct dir_cache_value *v)
{
	struct dir_cache_value tmp;

	return dir_cache_get(c, kind, key, pool, v != NULL ? v : &tmp);
}

Test(dir_cache, positive_hit_until_ttl)
{
	struct dir_cache *c = cache(10);
	struct dir_cache_value v;

	put_found(c, DIR_CACHE_ADDRESS, "alice@example.test",
	    "alice@example.test");
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "alice@example.test", &v));
	cr_assert_eq(v.result, DIR_FOUND);
	cr_assert_eq(v.n_entries, 1);
	cr_assert_str_eq(v.entries[0]->address, "alice@example.test");
	cr_assert_str_eq(v.server, "ldap://s1");
	fake_now += 59999;
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "alice@example.test", NULL));
	fake_now += 1;
	cr_assert(!hit(c, DIR_CACHE_ADDRESS, "alice@example.test", NULL));
	dir_cache_free(&c);
	cr_assert_null(c);
}

Test(dir_cache, negative_expires_separately)
{
	struct dir_cache *c = cache(10);
	struct dir_cache_value v;

	put_result(c, "nobody@example.test", DIR_NOTFOUND);
	put_found(c, DIR_CACHE_ADDRESS, "alice@example.test", "alice@x");
	fake_now += 9999;
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "nobody@example.test", &v));
	cr_assert_eq(v.result, DIR_NOTFOUND);
	cr_assert_eq(v.n_entries, 0);
	fake_now += 1;
	cr_assert(!hit(c, DIR_CACHE_ADDRESS, "nobody@example.test", NULL));
	/* the positive one outlives it */
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "alice@example.test", NULL));
	dir_cache_free(&c);
}

Test(dir_cache, tempfail_never_cached)
{
	struct dir_cache *c = cache(10);
	struct dir_cache_stats st;

	put_result(c, "down@example.test", DIR_TEMPFAIL);
	cr_assert(!hit(c, DIR_CACHE_ADDRESS, "down@example.test", NULL));
	dir_cache_stats(c, &st);
	cr_assert_eq(st.entries, 0);
	/* nor does a TEMPFAIL replace a good answer */
	put_found(c, DIR_CACHE_ADDRESS, "a@x", "a@x");
	put_result(c, "a@x", DIR_TEMPFAIL);
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "a@x", NULL));
	dir_cache_free(&c);
}

Test(dir_cache, zero_ttl_disables_that_half)
{
	struct dir_cache *c = dir_cache_new(10, 60000, 0, fake_clock,
	    &fake_now);

	put_result(c, "nobody@x", DIR_NOTFOUND);
	cr_assert(!hit(c, DIR_CACHE_ADDRESS, "nobody@x", NULL));
	put_found(c, DIR_CACHE_ADDRESS, "a@x", "a@x");
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "a@x", NULL));
	dir_cache_free(&c);
}

Test(dir_cache, size_bound_evicts_oldest)
{
	struct dir_cache *c = cache(3);
	struct dir_cache_stats st;

	put_found(c, DIR_CACHE_ADDRESS, "a", "a");	/* max - 2 */
	put_found(c, DIR_CACHE_ADDRESS, "b", "b");	/* max - 1 */
	put_found(c, DIR_CACHE_ADDRESS, "c", "c");	/* max */
	dir_cache_stats(c, &st);
	cr_assert_eq(st.entries, 3);
	cr_assert_eq(st.evictions, 0);
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "a", NULL));
	put_found(c, DIR_CACHE_ADDRESS, "d", "d");	/* max + 1 */
	dir_cache_stats(c, &st);
	cr_assert_eq(st.entries, 3);
	cr_assert_eq(st.evictions, 1);
	/* insertion order, not use: "a" was oldest although just read */
	cr_assert(!hit(c, DIR_CACHE_ADDRESS, "a", NULL));
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "b", NULL));
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "c", NULL));
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "d", NULL));
	dir_cache_free(&c);
}

Test(dir_cache, replace_keeps_one_entry)
{
	struct dir_cache *c = cache(3);
	struct dir_cache_value v;
	struct dir_cache_stats st;

	put_found(c, DIR_CACHE_ADDRESS, "a", "first");
	put_found(c, DIR_CACHE_ADDRESS, "A", "second");
	dir_cache_stats(c, &st);
	cr_assert_eq(st.entries, 1);
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "a", &v));
	cr_assert_str_eq(v.entries[0]->address, "second");
	dir_cache_free(&c);
}

Test(dir_cache, key_case_insensitive_and_kinds_apart)
{
	struct dir_cache *c = cache(10);

	put_found(c, DIR_CACHE_ADDRESS, "Alice@Example.TEST", "x");
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "alice@example.test", NULL));
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "ALICE@EXAMPLE.TEST", NULL));
	cr_assert(!hit(c, DIR_CACHE_LOGIN, "alice@example.test", NULL));
	cr_assert(!hit(c, DIR_CACHE_ADDRESS, "alice@example.tes", NULL));
	dir_cache_free(&c);
}

Test(dir_cache, values_are_deep_copies)
{
	struct dir_cache *c = cache(10);
	char addr[] = "alice@example.test";
	char *addrs[] = { addr, NULL };
	struct dir_entry e = { .kind = DIR_KIND_USER, .dn = "uid=alice",
		.address = addr, .addresses = addrs, .n_addresses = 1 };
	struct dir_entry *list[] = { &e, NULL };
	char *strs[] = { "example.test", NULL };
	struct dir_cache_value v = { .result = DIR_FOUND, .entries = list,
		.n_entries = 1, .strings = strs, .n_strings = 1 }, out, out2;

	dir_cache_put(c, DIR_CACHE_ADDRESS, "k", &v);
	addr[0] = 'X';		/* the caller's memory changes ... */
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "k", &out));
	cr_assert_str_eq(out.entries[0]->address, "alice@example.test");
	cr_assert_str_eq(out.entries[0]->addresses[0], "alice@example.test");
	cr_assert_null(out.entries[0]->addresses[1]);
	cr_assert_null(out.entries[1]);
	cr_assert_str_eq(out.strings[0], "example.test");
	cr_assert_null(out.server);
	out.entries[0]->address[0] = 'Y';	/* ... and so does a reader's */
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "k", &out2));
	cr_assert_str_eq(out2.entries[0]->address, "alice@example.test");
	cr_assert_neq(out.entries[0], out2.entries[0]);
	dir_cache_free(&c);
}

Test(dir_cache, disabled_when_max_zero)
{
	struct dir_cache *c = cache(0);
	struct dir_cache_stats st;

	put_found(c, DIR_CACHE_ADDRESS, "a", "a");
	cr_assert(!hit(c, DIR_CACHE_ADDRESS, "a", NULL));
	dir_cache_stats(c, &st);
	cr_assert_eq(st.entries, 0);
	cr_assert_eq(st.misses, 1);
	dir_cache_free(&c);
}

Test(dir_cache, key_length_limit)
{
	static char key[DIR_CACHE_KEY_MAX + 2];
	struct dir_cache *c = cache(10);

	memset(key, 'k', DIR_CACHE_KEY_MAX);		/* max */
	put_found(c, DIR_CACHE_ADDRESS, key, "a");
	cr_assert(hit(c, DIR_CACHE_ADDRESS, key, NULL));
	key[DIR_CACHE_KEY_MAX] = 'k';			/* max + 1 */
	put_found(c, DIR_CACHE_ADDRESS, key, "a");
	cr_assert(!hit(c, DIR_CACHE_ADDRESS, key, NULL));
	key[DIR_CACHE_KEY_MAX] = '\0';
	key[DIR_CACHE_KEY_MAX - 1] = '\0';		/* max - 1 */
	put_found(c, DIR_CACHE_ADDRESS, key, "a");
	cr_assert(hit(c, DIR_CACHE_ADDRESS, key, NULL));
	dir_cache_free(&c);
}

Test(dir_cache, counters_and_clear)
{
	struct dir_cache *c = cache(10);
	struct dir_cache_stats st;

	put_found(c, DIR_CACHE_ADDRESS, "a", "a");
	put_result(c, "b", DIR_NOTFOUND);
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "a", NULL));
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "b", NULL));
	cr_assert(!hit(c, DIR_CACHE_ADDRESS, "c", NULL));
	fake_now += 10000;
	cr_assert(!hit(c, DIR_CACHE_ADDRESS, "b", NULL));
	dir_cache_stats(c, &st);
	cr_assert_eq(st.hits, 2);
	cr_assert_eq(st.misses, 2);
	cr_assert_eq(st.expirations, 1);
	cr_assert_eq(st.entries, 1);
	dir_cache_clear(c);
	dir_cache_stats(c, &st);
	cr_assert_eq(st.entries, 0);
	cr_assert(!hit(c, DIR_CACHE_ADDRESS, "a", NULL));
	dir_cache_free(&c);
}

Test(dir_cache, many_entries_and_rehash_free_of_leaks)
{
	struct dir_cache *c = cache(1000);
	char key[32];
	struct dir_cache_stats st;

	for (int i = 0; i < 2500; i++) {
		snprintf(key, sizeof(key), "user%d@example.test", i);
		put_found(c, DIR_CACHE_ADDRESS, key, key);
	}
	dir_cache_stats(c, &st);
	cr_assert_eq(st.entries, 1000);
	cr_assert_eq(st.evictions, 1500);
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "user2499@example.test", NULL));
	cr_assert(hit(c, DIR_CACHE_ADDRESS, "user1500@example.test", NULL));
	cr_assert(!hit(c, DIR_CACHE_ADDRESS, "user1499@example.test", NULL));
	dir_cache_free(&c);
}

struct thread_arg {
	struct dir_cache *c;
	int id;
	int hits;
};

static void *
hammer(void *p)
{
	struct thread_arg *a = p;
	struct pool *tp = pool_new("thread");
	char key[32];

	for (int i = 0; i < 2000; i++) {
		struct dir_cache_value v;

		snprintf(key, sizeof(key), "k%d", (i * 7 + a->id) % 50);
		if (dir_cache_get(a->c, DIR_CACHE_ADDRESS, key, tp, &v)) {
			a->hits++;
			if (v.entries == NULL ||
			    strcmp(v.entries[0]->address, key) != 0)
				a->hits = -1000000;
		} else {
			put_found(a->c, DIR_CACHE_ADDRESS, key, key);
		}
	}
	pool_free(&tp);
	return NULL;
}

Test(dir_cache, concurrent_use, .timeout = 30)
{
	struct dir_cache *c = dir_cache_new(20, 60000, 10000, NULL, NULL);
	pthread_t t[4];
	struct thread_arg a[4];

	for (int i = 0; i < 4; i++) {
		a[i] = (struct thread_arg){ .c = c, .id = i };
		pthread_create(&t[i], NULL, hammer, &a[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_geq(a[i].hits, 0, "thread %d saw a wrong value", i);
	}
	dir_cache_free(&c);
}

Test(dir_cache, monotonic_clock_moves_forward)
{
	uint64_t a = dir_clock_monotonic(NULL);
	uint64_t b = dir_clock_monotonic(NULL);

	cr_assert_geq(b, a);
	cr_assert_gt(a, 0);
}
