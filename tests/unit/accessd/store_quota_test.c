/*
 * tests/unit/accessd/store_quota_test.c - quota accounting: usage follows
 * deliveries, copies, moves, expunges and folder deletion; the limits
 * hold at max and refuse max + 1 (bytes and messages) with a result of
 * their own; recalc repairs a damaged or lost quota file.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "accessd/store_int.h"
#include "tests/unit/accessd/store_testutil.h"
#include "lib/banned.h"

static char *root;
static struct store_limits lim;
static struct store_mailbox *mb;
static struct buf *err;

static void
setup(void)
{
	log_init("store_quota_test", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	    LOG_LEVEL_WARN);
	root = st_tmpdir();
	st_limits(&lim, 0);
	mb = st_mailbox(root, "q", &lim);
	err = buf_new(64, 8192);
}

static void
teardown(void)
{
	store_mailbox_close(&mb);
	st_rmtree(root);
	free(root);
	buf_free(&err);
}

TestSuite(store_quota, .init = setup, .fini = teardown);

static void
usage(uint64_t want_bytes, uint64_t want_msgs)
{
	uint64_t b, m;

	cr_assert_eq(store_quota_get(mb, &b, &m, err), STORE_OK);
	cr_assert_eq(b, want_bytes, "bytes %llu, want %llu",
	    (unsigned long long)b, (unsigned long long)want_bytes);
	cr_assert_eq(m, want_msgs, "messages %llu, want %llu",
	    (unsigned long long)m, (unsigned long long)want_msgs);
}

Test(store_quota, usage_follows_every_change)
{
	struct store_folder *in = st_folder(mb, "INBOX");
	struct store_folder *tr = st_folder(mb, "Trash");
	struct store_range r = { 1, 2 }, all = { 1, 100 };
	struct store_copied cp;
	struct pool *pool = pool_new("t");

	usage(0, 0);
	st_append(in, "12345");
	st_append(in, "1234567890");
	st_append(in, "123");
	usage(18, 3);
	cr_assert_eq(store_copy(in, &r, 1, tr, false, NULL, pool, &cp, NULL,
	    NULL, err), STORE_OK);
	usage(33, 5);
	struct store_range three = { 3, 3 };
	cr_assert_eq(store_copy(in, &three, 1, tr, true, NULL, pool, &cp, NULL,
	    NULL, err), STORE_OK);
	usage(33, 5);
	cr_assert_eq(store_set_flags(in, &all, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_DELETED, NULL, 0, NULL, NULL, err), STORE_OK);
	cr_assert_eq(store_expunge(in, NULL, 0, NULL, NULL, err), STORE_OK);
	usage(18, 3);
	store_folder_close(&tr);
	cr_assert_eq(store_folder_delete(mb, "Trash", err), STORE_OK);
	usage(0, 0);
	store_folder_close(&in);
	pool_free(&pool);
}

Test(store_quota, limits_at_max_and_past)
{
	struct store_folder *f = st_folder(mb, "INBOX");
	struct store_quota q = { .bytes = 20, .messages = 0 };
	char *inbox = st_folder_dir(mb, "");

	st_append(f, "1234567890");	/* 10 used */
	cr_assert_eq(store_quota_check(mb, &q, 9, err), STORE_OK);
	cr_assert_eq(store_quota_check(mb, &q, 10, err), STORE_OK);
	cr_assert_eq(store_quota_check(mb, &q, 11, err), STORE_OVERQUOTA);
	cr_assert_eq(store_quota_check(mb, &q, UINT64_MAX, err),
	    STORE_OVERQUOTA);
	cr_assert_eq(store_append(f, "12345678901", 11, 0, NULL, 0, &q, NULL,
	    err), STORE_OVERQUOTA);
	cr_assert_eq(store_folder_count(f), 1);
	st_assert_consistent(f, inbox);
	cr_assert_eq(store_append(f, "1234567890", 10, 0, NULL, 0, &q, NULL,
	    err), STORE_OK);
	usage(20, 2);
	cr_assert_eq(store_append(f, "x", 1, 0, NULL, 0, &q, NULL, err),
	    STORE_OVERQUOTA);
	/* message count: 2 used, limit 3 takes one more, not two */
	q.bytes = 0;
	q.messages = 3;
	cr_assert_eq(store_append(f, "x", 1, 0, NULL, 0, &q, NULL, err),
	    STORE_OK);
	cr_assert_eq(store_append(f, "x", 1, 0, NULL, 0, &q, NULL, err),
	    STORE_OVERQUOTA);
	/* no limits: anything goes */
	q.messages = 0;
	cr_assert_eq(store_quota_check(mb, &q, UINT64_MAX, err), STORE_OK);
	cr_assert_eq(store_quota_check(mb, NULL, 5, err), STORE_OK);
	/* a copy that would pass the limit is refused whole */
	struct store_folder *ar = st_folder(mb, "Archive");
	struct store_range all = { 1, 100 };
	struct store_copied cp;
	struct pool *pool = pool_new("t");
	q.messages = 5;
	cr_assert_eq(store_copy(f, &all, 1, ar, false, &q, pool, &cp, NULL,
	    NULL, err), STORE_OVERQUOTA);
	cr_assert_eq(store_folder_count(ar), 0);
	pool_free(&pool);
	store_folder_close(&ar);
	store_folder_close(&f);
	free(inbox);
}

Test(store_quota, recalc_repairs_the_file)
{
	struct store_folder *f = st_folder(mb, "INBOX");
	struct store_folder *s = st_folder(mb, "Sent");
	char qp[4096];
	uint64_t b = 0, m = 0;
	int fd;

	st_append(f, "abc");
	st_append(s, "defgh");
	st_append(s, "ij");
	usage(10, 3);
	snprintf(qp, sizeof(qp), "%s/%s", store_mailbox_path(mb),
	    STORE_QUOTA_FILE);
	fd = open(qp, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, "garbage", 7), 7);
	close(fd);
	usage(0, 0);	/* damaged: read as empty, logged */
	cr_assert_eq(store_quota_recalc(mb, &b, &m, err), STORE_OK);
	cr_assert_eq(b, 10);
	cr_assert_eq(m, 3);
	usage(10, 3);
	cr_assert_eq(unlink(qp), 0);
	usage(0, 0);
	cr_assert_eq(store_quota_recalc(mb, NULL, NULL, err), STORE_OK);
	usage(10, 3);
	st_append(f, "k");
	usage(11, 4);
	store_folder_close(&s);
	store_folder_close(&f);
}
