/*
 * tests/unit/accessd/store_list_test.c - the folder list: first-open
 * defaults with special-use, create (with parents), delete, rename (with
 * children; INBOX moves its messages), subscriptions, UTF-8 and dotted
 * names, and the folder count and depth limits at max and max + 1.
 */
#include "config.h"

#include <criterion/criterion.h>
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
static struct pool *pool;

static void
setup(void)
{
	log_init("store_list_test", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	    LOG_LEVEL_WARN);
	root = st_tmpdir();
	st_limits(&lim, 0);
	mb = st_mailbox(root, "l", &lim);
	err = buf_new(64, 8192);
	pool = pool_new("list");
}

static void
teardown(void)
{
	store_mailbox_close(&mb);
	st_rmtree(root);
	free(root);
	buf_free(&err);
	pool_free(&pool);
}

TestSuite(store_list, .init = setup, .fini = teardown);

/* The list as "name[flags] ..." (N noselect, S subscribed, C children,
 * special-use appended). */
static const char *
list(void)
{
	struct store_folder_info *fi;
	size_t n;
	char *out = pool_alloc(pool, 8192);
	size_t o = 0;

	cr_assert_eq(store_folder_list(mb, pool, &fi, &n, err), STORE_OK);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, 8192 - o, "%s%s[%s%s%s%s]",
		    i ? " " : "", fi[i].name, fi[i].noselect ? "N" : "",
		    fi[i].subscribed ? "S" : "", fi[i].has_children ? "C" : "",
		    fi[i].special ? store_special_name(fi[i].special) : "");
	return out;
}

Test(store_list, first_open_creates_the_special_use_folders)
{
	cr_assert_str_eq(list(), "INBOX[S] Archive[S\\Archive] "
	    "Drafts[S\\Drafts] Junk[S\\Junk] Sent[S\\Sent] Trash[S\\Trash]");
	/* a deleted default is not brought back by the next open */
	cr_assert_eq(store_folder_delete(mb, "Junk", err), STORE_OK);
	store_mailbox_close(&mb);
	mb = st_mailbox(root, "l", &lim);
	cr_assert_null(strstr(list(), "Junk[]"));
	cr_assert_null(strstr(list(), "Junk[S\\"));
	/* bad ids */
	cr_assert_null(store_mailbox_open(root, "../x", &lim, err));
	cr_assert_null(store_mailbox_open(root, "", &lim, err));
}

Test(store_list, create_with_parents_and_delete)
{
	cr_assert_eq(store_folder_create(mb, "Work/2026/Q1", err), STORE_OK,
	    "%s", buf_cstr(err));
	cr_assert_eq(store_folder_create(mb, "Work/2026", err), STORE_EXISTS);
	cr_assert_eq(store_folder_create(mb, "inbox", err), STORE_EXISTS);
	cr_assert_eq(store_folder_create(mb, "INBOX/Sub", err), STORE_OK);
	cr_assert_eq(store_folder_create(mb, "v1.2", err), STORE_OK);
	cr_assert_eq(store_folder_create(mb, "Ärger/日本", err), STORE_OK);
	cr_assert_eq(store_folder_create(mb, "a%b", err), STORE_INVALID);
	cr_assert_str_eq(list(), "INBOX[SC] Archive[S\\Archive] "
	    "Drafts[S\\Drafts] INBOX/Sub[] Junk[S\\Junk] Sent[S\\Sent] "
	    "Trash[S\\Trash] Work[C] Work/2026[C] Work/2026/Q1[] v1.2[] "
	    "\xc3\x84rger[C] \xc3\x84rger/\xe6\x97\xa5\xe6\x9c\xac[]");
	/* deleting a parent leaves its children, the parent \Noselect */
	cr_assert_eq(store_folder_delete(mb, "Work", err), STORE_OK);
	cr_assert_not_null(strstr(list(), "Work[NC] Work/2026[C]"));
	cr_assert_eq(store_folder_delete(mb, "Work", err), STORE_NOTFOUND);
	cr_assert_eq(store_folder_delete(mb, "INBOX", err), STORE_INVALID);
	cr_assert_eq(store_folder_delete(mb, "v1.2", err), STORE_OK);
	cr_assert_null(strstr(list(), "v1.2"));
	/* a folder made again has a new UIDVALIDITY (RFC 3501 2.3.1.1) */
	struct store_folder *f = st_folder(mb, "Sent");
	uint32_t uv = store_folder_uidvalidity(f);
	st_append(f, "x");
	store_folder_close(&f);
	cr_assert_eq(store_folder_delete(mb, "Sent", err), STORE_OK);
	cr_assert_eq(store_folder_create(mb, "Sent", err), STORE_OK);
	f = st_folder(mb, "Sent");
	cr_assert_neq(store_folder_uidvalidity(f), uv);
	cr_assert_eq(store_folder_count(f), 0);
	store_folder_close(&f);
}

Test(store_list, rename_moves_children_and_keeps_messages)
{
	struct store_folder *f;
	uint32_t uv;

	cr_assert_eq(store_folder_create(mb, "A/B", err), STORE_OK);
	f = st_folder(mb, "A/B");
	st_append(f, "in b");
	uv = store_folder_uidvalidity(f);
	store_folder_close(&f);
	cr_assert_eq(store_folder_rename(mb, "A", "Z", err), STORE_OK, "%s",
	    buf_cstr(err));
	cr_assert_not_null(strstr(list(), "Z[C] Z/B[]"));
	cr_assert_null(strstr(list(), "A["));
	f = st_folder(mb, "Z/B");
	cr_assert_eq(store_folder_count(f), 1);
	cr_assert_eq(store_folder_uidvalidity(f), uv);
	store_folder_close(&f);
	cr_assert_eq(store_folder_rename(mb, "Z", "Sent", err), STORE_EXISTS);
	cr_assert_eq(store_folder_rename(mb, "Nope", "X", err), STORE_NOTFOUND);
	cr_assert_eq(store_folder_rename(mb, "Z", "Z/C", err), STORE_INVALID);
	cr_assert_eq(store_folder_rename(mb, "Z", "INBOX", err), STORE_INVALID);
}

Test(store_list, renaming_inbox_moves_its_messages)
{
	struct store_folder *in = st_folder(mb, "INBOX"), *old;
	uint64_t b, m;

	st_append(in, "one");
	st_append(in, "two");
	cr_assert_eq(store_folder_rename(mb, "INBOX", "Old", err), STORE_OK,
	    "%s", buf_cstr(err));
	cr_assert_eq(store_folder_sync(in, NULL, NULL, err), STORE_OK);
	cr_assert_eq(store_folder_count(in), 0);
	cr_assert_eq(store_folder_uidnext(in), 3);	/* INBOX stays, empty */
	old = st_folder(mb, "Old");
	cr_assert_eq(store_folder_count(old), 2);
	cr_assert_not_null(strstr(list(), "INBOX[S]"));
	cr_assert_eq(store_quota_get(mb, &b, &m, err), STORE_OK);
	cr_assert_eq(m, 2);
	cr_assert_eq(b, 6);
	cr_assert_eq(store_folder_rename(mb, "INBOX", "Old", err),
	    STORE_EXISTS);
	store_folder_close(&old);
	store_folder_close(&in);
}

Test(store_list, subscriptions)
{
	cr_assert_eq(store_subscribe(mb, "Sent", false, err), STORE_OK);
	cr_assert_not_null(strstr(list(), "Sent[\\Sent]"));
	cr_assert_eq(store_subscribe(mb, "Sent", true, err), STORE_OK);
	cr_assert_eq(store_subscribe(mb, "Sent", true, err), STORE_OK);
	cr_assert_not_null(strstr(list(), "Sent[S\\Sent]"));
	/* a name that does not exist may be subscribed (RFC 3501 6.3.6) */
	cr_assert_eq(store_subscribe(mb, "Later", true, err), STORE_OK);
	cr_assert_eq(store_folder_create(mb, "Later", err), STORE_OK);
	cr_assert_not_null(strstr(list(), "Later[S]"));
	cr_assert_eq(store_subscribe(mb, "a*", true, err), STORE_INVALID);
}

Test(store_list, planted_symlink_is_no_folder)
{
	char p[4096];
	struct store_folder *f = NULL;

	snprintf(p, sizeof(p), "%s/.Evil", store_mailbox_path(mb));
	cr_assert_eq(symlink(root, p), 0);
	cr_assert_null(strstr(list(), "Evil"));
	cr_assert_eq(store_folder_open(mb, "Evil", &f, err), STORE_NOTFOUND);
	cr_assert_null(f);
}

Test(store_list, folder_count_and_depth_limits)
{
	store_mailbox_close(&mb);
	lim.folders_max = 8;	/* INBOX + 5 defaults + 2 */
	lim.folder_depth_max = 2;
	mb = st_mailbox(root, "lim", &lim);
	cr_assert_eq(store_folder_create(mb, "one", err), STORE_OK); /* max-1 */
	cr_assert_eq(store_folder_create(mb, "two", err), STORE_OK); /* max */
	cr_assert_eq(store_folder_create(mb, "three", err), STORE_LIMIT);
	cr_assert_eq(store_folder_delete(mb, "two", err), STORE_OK);
	cr_assert_eq(store_folder_create(mb, "one/x", err), STORE_OK);
	cr_assert_eq(store_folder_create(mb, "one/x/y", err), STORE_LIMIT);
	/* parents count too: a/b needs two */
	cr_assert_eq(store_folder_delete(mb, "one/x", err), STORE_OK);
	cr_assert_eq(store_folder_create(mb, "a/b", err), STORE_LIMIT);
}
