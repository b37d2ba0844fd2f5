/*
 * tests/unit/milters/spam_db_test.c - unit tests for the token database
 * (milters/spam/spam_db.c): build, write, reopen; every corruption the
 * validator knows is rejected cleanly; the size limit at and past its
 * maximum; readers keep their view while a learner replaces the file.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "milters/spam/spam_db.h"
#include "milters/spam/spam_token.h"
#include "lib/banned.h"

static char dir[] = "/tmp/spam_db_test.XXXXXX";
static char path[256];

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(str_printf(path, sizeof(path), "%s/db", dir), 0);
}

static void
teardown(void)
{
	char p[300];

	unlink(path);
	cr_assert_eq(str_printf(p, sizeof(p), "%s.lock", path), 0);
	unlink(p);
	rmdir(dir);
}

TestSuite(spam_db, .init = setup, .fini = teardown);

/* A builder with 2 spam messages {1,2,3}, {1,2} and 1 ham {3,4}. */
static struct spam_db_builder *
sample(void)
{
	struct spam_db_builder *b = spam_db_builder_new(NULL);
	struct spam_tokens t;
	static const uint64_t m[3][3] = { { 1, 2, 3 }, { 1, 2, 0 },
		{ 3, 4, 0 } };

	spam_tokens_init(&t, 10);
	for (int i = 0; i < 3; i++) {
		spam_tokens_reset(&t);
		for (int j = 0; j < 3 && m[i][j] != 0; j++)
			spam_tokens_add_hash(&t, m[i][j]);
		spam_db_builder_add(b, &t, i < 2);
	}
	spam_tokens_deinit(&t);
	return b;
}

static void
expect(const struct spam_db *db, uint64_t h, uint32_t s, uint32_t g)
{
	uint32_t ss, gg;

	spam_db_lookup(db, h, &ss, &gg);
	cr_assert_eq(ss, s, "token %llu spam %u want %u",
	    (unsigned long long)h, ss, s);
	cr_assert_eq(gg, g, "token %llu ham %u want %u",
	    (unsigned long long)h, gg, g);
}

Test(spam_db, write_then_open_gives_the_counts)
{
	struct spam_db_builder *b = sample();
	struct spam_db *db;
	const char *err = NULL;

	cr_assert_eq(spam_db_builder_write(b, path, &err), 0, "%s", err);
	db = spam_db_open(path, SPAM_DB_SIZE_MAX_DEFAULT, false, &err);
	cr_assert_not_null(db, "%s", err);
	cr_assert_eq(db->n_spam, 2);
	cr_assert_eq(db->n_ham, 1);
	cr_assert_eq(db->n, 4);
	expect(db, 1, 2, 0);
	expect(db, 2, 2, 0);
	expect(db, 3, 1, 1);
	expect(db, 4, 0, 1);
	expect(db, 5, 0, 0);
	spam_db_free(&db);
	cr_assert_null(db);
	spam_db_builder_free(&b);
}

Test(spam_db, builder_lookup_sees_what_was_added)
{
	struct spam_db_builder *b = sample(), *e = spam_db_builder_new(NULL);
	uint64_t ns, nh;
	uint32_t s, g;

	spam_db_builder_totals(b, &ns, &nh);
	cr_assert_eq(ns, 2);
	cr_assert_eq(nh, 1);
	spam_db_builder_lookup(b, 1, &s, &g);
	cr_assert(s == 2 && g == 0);
	spam_db_builder_lookup(b, 3, &s, &g);
	cr_assert(s == 1 && g == 1);
	spam_db_builder_lookup(b, 5, &s, &g);
	cr_assert(s == 0 && g == 0);
	/* an empty builder has no table yet */
	spam_db_builder_lookup(e, 1, &s, &g);
	cr_assert(s == 0 && g == 0);
	spam_db_builder_free(&b);
	spam_db_builder_free(&e);
}

Test(spam_db, learning_adds_to_the_base)
{
	struct spam_db_builder *b = sample(), *b2;
	struct spam_db *db = spam_db_builder_finish(b), *db2;
	struct spam_tokens t;

	spam_tokens_init(&t, 10);
	spam_tokens_add_hash(&t, 4);
	spam_tokens_add_hash(&t, 9);
	b2 = spam_db_builder_new(db);
	spam_db_builder_add(b2, &t, false);
	db2 = spam_db_builder_finish(b2);
	cr_assert_eq(db2->n_ham, 2);
	cr_assert_eq(db2->n_spam, 2);
	expect(db2, 4, 0, 2);
	expect(db2, 9, 0, 1);
	expect(db2, 1, 2, 0);
	spam_tokens_deinit(&t);
	spam_db_free(&db);
	spam_db_free(&db2);
	spam_db_builder_free(&b);
	spam_db_builder_free(&b2);
}

Test(spam_db, missing_file)
{
	const char *err = NULL;
	struct spam_db *db = spam_db_open(path, 1 << 20, true, &err);

	cr_assert_not_null(db);
	cr_assert_eq(db->n, 0);
	cr_assert_eq(db->n_spam + db->n_ham, 0);
	spam_db_free(&db);
	cr_assert_null(spam_db_open(path, 1 << 20, false, &err));
	cr_assert_str_eq(err, "no such file");
}

static void
store(const uint8_t *img, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	cr_assert_neq(fd, -1);
	cr_assert_eq(write(fd, img, len), (ssize_t)len);
	close(fd);
}

static uint64_t
fnv(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Re-seal the checksum so a test reaches the checks after it. */
static void
reseal(uint8_t *img, size_t len)
{
	uint64_t h = fnv(img + SPAM_DB_HEADER_SIZE, len - SPAM_DB_HEADER_SIZE);

	for (int i = 0; i < 8; i++, h >>= 8)
		img[40 + i] = (uint8_t)h;
}

static void
expect_rejected(const uint8_t *img, size_t len, const char *want)
{
	const char *err = NULL;
	struct spam_db v;

	cr_assert_eq(spam_db_parse(img, len, &v, &err), -1);
	cr_assert_str_eq(err, want);
	store(img, len);
	err = NULL;
	cr_assert_null(spam_db_open(path, SPAM_DB_SIZE_MAX_DEFAULT, true,
	    &err));
	cr_assert_str_eq(err, want);
}

Test(spam_db, corrupt_files_are_rejected_cleanly)
{
	struct spam_db_builder *b = sample();
	size_t len;
	uint8_t *img = spam_db_builder_image(b, &len), *bad = xmalloc(len);
	struct spam_db v;
	const char *err;

	cr_assert_eq(len, SPAM_DB_HEADER_SIZE + 4 * SPAM_DB_RECORD_SIZE);
	cr_assert_eq(spam_db_parse(img, len, &v, &err), 0);

	expect_rejected(img, 0, "truncated header");
	expect_rejected(img, SPAM_DB_HEADER_SIZE - 1, "truncated header");
	expect_rejected(img, len - 1,
	    "file size does not match the record count");
	memcpy(bad, img, len);
	bad[0] = 'X';
	expect_rejected(bad, len, "not a tessera-spamd database (bad magic)");
	memcpy(bad, img, len);
	bad[8] = 2;
	expect_rejected(bad, len, "unsupported database version");
	memcpy(bad, img, len);
	bad[12] = 40;
	expect_rejected(bad, len, "bad header size");
	memcpy(bad, img, len);
	bad[32] = 0xff;		/* record count */
	bad[39] = 0xff;
	expect_rejected(bad, len, "file size does not match the record count");
	memcpy(bad, img, len);
	bad[len - 1] ^= 1;	/* a count, checksum not resealed */
	expect_rejected(bad, len, "checksum mismatch");
	memcpy(bad, img, len);	/* swap records 0 and 1: order */
	memcpy(bad + SPAM_DB_HEADER_SIZE, img + SPAM_DB_HEADER_SIZE +
	    SPAM_DB_RECORD_SIZE, SPAM_DB_RECORD_SIZE);
	memcpy(bad + SPAM_DB_HEADER_SIZE + SPAM_DB_RECORD_SIZE,
	    img + SPAM_DB_HEADER_SIZE, SPAM_DB_RECORD_SIZE);
	reseal(bad, len);
	expect_rejected(bad, len, "records not in ascending order");
	memcpy(bad, img, len);	/* spam count 3 > 2 spam messages */
	bad[SPAM_DB_HEADER_SIZE + 8] = 3;
	reseal(bad, len);
	expect_rejected(bad, len, "record count out of range");
	memcpy(bad, img, len);	/* both counts 0 */
	memset(bad + SPAM_DB_HEADER_SIZE + 8, 0, 8);
	reseal(bad, len);
	expect_rejected(bad, len, "record count out of range");
	free(bad);
	free(img);
	spam_db_builder_free(&b);
}

/* database_size_max at the file's size, and one byte below */
Test(spam_db, size_limit)
{
	struct spam_db_builder *b = sample();
	size_t len = SPAM_DB_HEADER_SIZE + 4 * SPAM_DB_RECORD_SIZE;
	const char *err = NULL;
	struct spam_db *db;

	cr_assert_eq(spam_db_builder_write(b, path, &err), 0);
	db = spam_db_open(path, len + 1, false, &err);
	cr_assert_not_null(db);
	spam_db_free(&db);
	db = spam_db_open(path, len, false, &err);
	cr_assert_not_null(db);
	spam_db_free(&db);
	cr_assert_null(spam_db_open(path, len - 1, false, &err));
	cr_assert_str_eq(err, "larger than the database size limit");
	spam_db_builder_free(&b);
}

Test(spam_db, reader_keeps_its_view_while_the_file_is_replaced)
{
	struct spam_db_builder *b = sample(), *b2 = spam_db_builder_new(NULL);
	struct spam_db *old, *fresh;
	struct spam_tokens t;
	const char *err = NULL;

	cr_assert_eq(spam_db_builder_write(b, path, &err), 0);
	old = spam_db_open(path, 1 << 20, false, &err);
	cr_assert_not_null(old);
	spam_tokens_init(&t, 10);
	spam_tokens_add_hash(&t, 77);
	spam_db_builder_add(b2, &t, true);
	cr_assert_eq(spam_db_builder_write(b2, path, &err), 0);
	expect(old, 1, 2, 0);		/* still the old mapping */
	cr_assert_eq(old->n_spam, 2);
	fresh = spam_db_open(path, 1 << 20, false, &err);
	cr_assert_not_null(fresh);
	expect(fresh, 1, 0, 0);
	expect(fresh, 77, 1, 0);
	spam_tokens_deinit(&t);
	spam_db_free(&old);
	spam_db_free(&fresh);
	spam_db_builder_free(&b);
	spam_db_builder_free(&b2);
}

Test(spam_db, write_failure_leaves_the_old_file)
{
	struct spam_db_builder *b = sample();
	const char *err = NULL;
	char bad[300];

	cr_assert_eq(str_printf(bad, sizeof(bad), "%s/nodir/db", dir), 0);
	cr_assert_eq(spam_db_builder_write(b, bad, &err), -1);
	cr_assert_str_eq(err, "cannot create the new file");
	spam_db_builder_free(&b);
}

static int
flock_try(int fd)
{
	return flock(fd, LOCK_EX | LOCK_NB);
}

Test(spam_db, lock_is_exclusive)
{
	int a = spam_db_lock(path), fd;
	char p[300];

	cr_assert_neq(a, -1);
	cr_assert_eq(str_printf(p, sizeof(p), "%s.lock", path), 0);
	fd = open(p, O_RDWR);
	cr_assert_neq(fd, -1);
	cr_assert_eq(flock_try(fd), -1);
	close(a);
	cr_assert_eq(flock_try(fd), 0);
	close(fd);
}
