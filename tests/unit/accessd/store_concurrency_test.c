/*
 * tests/unit/accessd/store_concurrency_test.c - several processes
 * delivering into one folder at once (all messages there, UIDs unique and
 * ascending, each process's acknowledged UIDs present), with flag changes
 * and expunges from another process at the same time.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "accessd/store_int.h"
#include "tests/unit/accessd/store_testutil.h"
#include "lib/banned.h"

#define PROCS 5
#define PER_PROC 60

static char *root;
static struct store_limits lim;

static void
setup(void)
{
	log_init("store_concurrency_test", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	    LOG_LEVEL_WARN);
	root = st_tmpdir();
	st_limits(&lim, 0);
}

static void
teardown(void)
{
	st_rmtree(root);
	free(root);
}

TestSuite(store_concurrency, .init = setup, .fini = teardown);

static void
deliver(int fd, int who)
{
	struct store_mailbox *mb = store_mailbox_open(root, "shared", &lim,
	    NULL);
	struct store_folder *f = NULL;
	char msg[64];

	if (mb == NULL || store_folder_open(mb, "INBOX", &f, NULL) != STORE_OK)
		_exit(1);
	for (int i = 0; i < PER_PROC; i++) {
		uint32_t uid;
		int len = snprintf(msg, sizeof(msg), "From: p%d\r\n\r\n%d\r\n",
		    who, i);

		if (store_append(f, msg, (size_t)len, 0, NULL, 0, NULL, &uid,
		    NULL) != STORE_OK ||
		    write(fd, &uid, sizeof(uid)) != sizeof(uid))
			_exit(2);
	}
	store_folder_close(&f);
	store_mailbox_close(&mb);
	_exit(0);
}

/* Flags every message seen so far, repeatedly, while others deliver. */
static void
flagger(void)
{
	struct store_mailbox *mb = store_mailbox_open(root, "shared", &lim,
	    NULL);
	struct store_folder *f = NULL;
	struct store_range all = { 1, UINT32_MAX - 1 };

	if (mb == NULL || store_folder_open(mb, "INBOX", &f, NULL) != STORE_OK)
		_exit(1);
	for (int i = 0; i < 40; i++)
		if (store_set_flags(f, &all, 1, i % 2 ? STORE_FLAGS_ADD :
		    STORE_FLAGS_REMOVE, STORE_FLAG_SEEN, NULL, 0, NULL, NULL,
		    NULL) != STORE_OK)
			_exit(2);
	_exit(0);
}

Test(store_concurrency, parallel_deliveries_get_unique_ascending_uids)
{
	struct store_mailbox *mb = st_mailbox(root, "shared", &lim);
	char *inbox = st_folder_dir(mb, "");
	uint32_t acked[PROCS * PER_PROC];
	size_t nacked = 0;
	int p[2], st;
	pid_t fl;

	cr_assert_eq(pipe(p), 0);
	for (int i = 0; i < PROCS; i++)
		if (fork() == 0) {
			close(p[0]);
			deliver(p[1], i);
		}
	if ((fl = fork()) == 0)
		flagger();
	close(p[1]);
	for (;;) {
		uint32_t uid;

		if (read(p[0], &uid, sizeof(uid)) != sizeof(uid))
			break;
		cr_assert_lt(nacked, PROCS * PER_PROC);
		acked[nacked++] = uid;
	}
	close(p[0]);
	for (int i = 0; i < PROCS + 1; i++) {
		cr_assert_gt(wait(&st), 0);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "child failed: %d", st);
	}
	(void)fl;
	cr_assert_eq(nacked, PROCS * PER_PROC);

	struct store_folder *f = st_folder(mb, "INBOX");
	cr_assert_eq(store_folder_count(f), PROCS * PER_PROC);
	for (size_t i = 0; i < store_folder_count(f); i++)
		cr_assert_eq(store_folder_msg(f, i)->uid, i + 1);
	for (size_t i = 0; i < nacked; i++)
		cr_assert_not_null(store_folder_find(f, acked[i], NULL));
	st_assert_consistent(f, inbox);
	uint64_t bytes, msgs;
	cr_assert_eq(store_quota_get(mb, &bytes, &msgs, NULL), STORE_OK);
	cr_assert_eq(msgs, PROCS * PER_PROC);
	store_folder_close(&f);
	store_mailbox_close(&mb);
	free(inbox);
}

Test(store_concurrency, first_open_by_many_at_once_makes_one_mailbox)
{
	int st;

	for (int i = 0; i < PROCS; i++)
		if (fork() == 0) {
			struct store_mailbox *cmb = store_mailbox_open(root,
			    "fresh", &lim, NULL);
			struct store_folder *f = NULL;

			if (cmb == NULL || store_folder_open(cmb, "INBOX", &f,
			    NULL) != STORE_OK || store_append(f, "hi", 2, 0, NULL,
			    0, NULL, NULL, NULL) != STORE_OK)
				_exit(1);
			_exit(0);
		}
	for (int i = 0; i < PROCS; i++) {
		cr_assert_gt(wait(&st), 0);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	struct store_mailbox *mb = st_mailbox(root, "fresh", &lim);
	struct store_folder *f = st_folder(mb, "INBOX");
	cr_assert_eq(store_folder_count(f), PROCS);
	cr_assert_eq(store_folder_uidnext(f), PROCS + 1);
	store_folder_close(&f);
	f = st_folder(mb, "Sent");
	store_folder_close(&f);
	store_mailbox_close(&mb);
}

/* The same, many times, with the processes released together: no
 * opener may find the mailbox half made (UIDVALIDITY before the index
 * once let one write an index its creator then replaced: two messages
 * got UID 1 and one was lost). */
Test(store_concurrency, first_deliveries_racing_never_share_a_uid)
{
	char id[32];
	int st, go[2];

	for (int round = 0; round < 40; round++) {
		cr_assert_eq(snprintf(id, sizeof(id), "race%d", round) > 0, 1);
		cr_assert_eq(pipe(go), 0);
		for (int i = 0; i < PROCS; i++)
			if (fork() == 0) {
				struct store_mailbox *cmb;
				struct store_folder *f = NULL;
				char c;

				close(go[1]);
				if (read(go[0], &c, 1) != 0)
					_exit(3);
				cmb = store_mailbox_open(root, id, &lim, NULL);
				if (cmb == NULL || store_folder_open(cmb, "INBOX",
				    &f, NULL) != STORE_OK || store_append(f, "hi",
				    2, 0, NULL, 0, NULL, NULL, NULL) != STORE_OK)
					_exit(1);
				_exit(0);
			}
		close(go[0]);
		usleep(5000);
		close(go[1]);	/* every child's read returns at once */
		for (int i = 0; i < PROCS; i++) {
			cr_assert_gt(wait(&st), 0);
			cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			    "round %d: child failed: %d", round, st);
		}
		struct store_mailbox *mb = st_mailbox(root, id, &lim);
		struct store_folder *f = st_folder(mb, "INBOX");
		char *inbox = st_folder_dir(mb, "");

		cr_assert_eq(store_folder_count(f), PROCS, "round %d", round);
		cr_assert_eq(store_folder_uidnext(f), PROCS + 1, "round %d",
		    round);
		for (size_t i = 0; i < store_folder_count(f); i++)
			cr_assert_eq(store_folder_msg(f, i)->uid, i + 1);
		st_assert_consistent(f, inbox);
		free(inbox);
		store_folder_close(&f);
		store_mailbox_close(&mb);
	}
}

Test(store_concurrency, a_folder_appears_whole_to_sessions_racing_its_creation)
{
	struct store_mailbox *mb = st_mailbox(root, "racer", &lim);
	int st;

	for (int i = 0; i < PROCS; i++)
		if (fork() == 0) {
			struct store_mailbox *cmb = store_mailbox_open(root,
			    "racer", &lim, NULL);
			struct store_folder *f = NULL;

			for (int k = 0; k < 20000 && cmb != NULL &&
			    store_folder_open(cmb, "Race", &f, NULL) != STORE_OK;
			    k++)
				usleep(50);
			if (f == NULL || store_append(f, "r", 1, 0, NULL, 0, NULL,
			    NULL, NULL) != STORE_OK)
				_exit(1);
			_exit(0);
		}
	usleep(20000);
	cr_assert_eq(store_folder_create(mb, "Race", NULL), STORE_OK);
	for (int i = 0; i < PROCS; i++) {
		cr_assert_gt(wait(&st), 0);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	struct store_folder *f = st_folder(mb, "Race");
	cr_assert_eq(store_folder_count(f), PROCS);
	char *dir = st_folder_dir(mb, ".Race");
	st_assert_consistent(f, dir);
	free(dir);
	store_folder_close(&f);
	store_mailbox_close(&mb);
}
