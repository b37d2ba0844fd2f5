/*
 * tests/unit/accessd/store_crash_test.c - a crash at any moment leaves no
 * message or a whole one: deliverers killed with SIGKILL at varying
 * moments (every acknowledged message survives, index and files agree),
 * and the leftovers of each crash window made by hand (PENDING with and
 * without its file, a tmp file).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "accessd/store_int.h"
#include "tests/unit/accessd/store_testutil.h"
#include "lib/banned.h"

static char *root;
static struct store_limits lim;
static struct buf *err;

static void
setup(void)
{
	log_init("store_crash_test", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	    LOG_LEVEL_WARN);
	root = st_tmpdir();
	st_limits(&lim, 1);
	err = buf_new(64, 8192);
}

static void
teardown(void)
{
	st_rmtree(root);
	free(root);
	buf_free(&err);
}

TestSuite(store_crash, .init = setup, .fini = teardown);

/* Deliver until killed, writing each acknowledged UID to fd. */
static void
deliverer(int fd)
{
	struct store_mailbox *mb = store_mailbox_open(root, "victim", &lim,
	    NULL);
	struct store_folder *f = NULL;
	struct store_range r = { 1, UINT32_MAX - 1 };

	if (mb == NULL || store_folder_open(mb, "INBOX", &f, NULL) != STORE_OK)
		_exit(1);
	for (unsigned i = 0;; i++) {
		uint32_t uid;

		if (store_append(f, "Subject: x\r\n\r\nbody\r\n", 20,
		    i % 3 == 0 ? STORE_FLAG_SEEN : 0, NULL, 0, NULL, &uid,
		    NULL) != STORE_OK)
			_exit(2);
		if (write(fd, &uid, sizeof(uid)) != sizeof(uid))
			_exit(3);
		/* flag changes and expunges are in the crash windows too */
		if (i % 5 == 4) {
			r.lo = r.hi = uid;
			store_set_flags(f, &r, 1, STORE_FLAGS_ADD,
			    STORE_FLAG_FLAGGED, "k", 0, NULL, NULL, NULL);
		}
	}
}

Test(store_crash, sigkill_during_deliveries_loses_nothing_acknowledged)
{
	static const int delays_ms[] = { 3, 11, 17, 29, 41, 53, 67, 79, 97, 5,
		23, 37 };
	uint32_t *acked = xcalloc(1 << 16, sizeof(uint32_t));
	size_t nacked = 0;
	struct store_mailbox *mb = st_mailbox(root, "victim", &lim);
	char *inbox = st_folder_dir(mb, "");

	for (size_t round = 0; round < sizeof(delays_ms) / sizeof(delays_ms[0]);
	    round++) {
		int p[2], st;
		pid_t pid;
		uint32_t uid;

		cr_assert_eq(pipe(p), 0);
		pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			close(p[0]);
			deliverer(p[1]);
		}
		close(p[1]);
		/* the first delivery done (however slow the machine), then
		 * the kill lands at a different moment each round */
		cr_assert_eq(read(p[0], &uid, sizeof(uid)), sizeof(uid));
		acked[nacked++] = uid;
		usleep((useconds_t)delays_ms[round] * 1000);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		cr_assert(WIFSIGNALED(st), "deliverer failed: %d", st);
		while (read(p[0], &uid, sizeof(uid)) == sizeof(uid) &&
		    nacked < (1 << 16))
			acked[nacked++] = uid;
		close(p[0]);

		/* a reader first, then a writer (which resolves leftovers) */
		struct store_folder *f = st_folder(mb, "INBOX");
		uint32_t next = store_folder_uidnext(f);
		cr_assert_eq(store_append(f, "after", 5, 0, NULL, 0, NULL, &uid,
		    err), STORE_OK, "%s", buf_cstr(err));
		cr_assert_geq(uid, next);
		st_assert_consistent(f, inbox);
		for (size_t i = 0; i < nacked; i++)
			cr_assert_not_null(store_folder_find(f, acked[i], NULL),
			    "acknowledged UID %u lost", acked[i]);
		store_folder_close(&f);
	}
	/* and the same after a rebuild from the files alone */
	struct store_folder *f = st_folder(mb, "INBOX");
	size_t n = store_folder_count(f);
	uint32_t uv = store_folder_uidvalidity(f);
	store_folder_close(&f);
	char ip[4096];
	snprintf(ip, sizeof(ip), "%s/%s", inbox, STORE_INDEX_FILE);
	cr_assert_eq(unlink(ip), 0);
	f = st_folder(mb, "INBOX");
	cr_assert_eq(store_folder_count(f), n);
	cr_assert_eq(store_folder_uidvalidity(f), uv);
	st_assert_consistent(f, inbox);
	store_folder_close(&f);
	store_mailbox_close(&mb);
	free(inbox);
	free(acked);
}

/* Append a PENDING record for uid to the folder's index as a writer that
 * died after writing it would have; with_file: it died after the rename
 * too. */
static void
leave_pending(struct store_mailbox *mb, const char *dirname, uint32_t uid,
    bool with_file)
{
	char ip[4096], name[256], fp[4096];
	struct buf *rec = buf_new(256, 65536);
	struct store_msg m = { .uid = uid, .modseq = 1000, .size = 7,
		.internal_date = 1234567890, .keywords = (char *)"" };
	int fd;

	snprintf(name, sizeof(name), "crashed.M1P1Q1.host,U=%u,S=7:2,", uid);
	m.file = name;
	cr_assert_eq(store_index_enc_msg(rec, STORE_REC_PENDING, &m), 0);
	snprintf(ip, sizeof(ip), "%s/%s/%s", store_mailbox_path(mb), dirname,
	    STORE_INDEX_FILE);
	fd = open(ip, O_WRONLY | O_APPEND);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, rec->data, rec->len), (ssize_t)rec->len);
	close(fd);
	if (with_file) {
		snprintf(fp, sizeof(fp), "%s/%s/cur/%s", store_mailbox_path(mb),
		    dirname, name);
		fd = open(fp, O_WRONLY | O_CREAT, 0600);
		cr_assert_eq(write(fd, "crashed", 7), 7);
		close(fd);
	}
	buf_free(&rec);
}

Test(store_crash, pending_with_its_file_becomes_a_message)
{
	struct store_mailbox *mb = st_mailbox(root, "p", &lim);
	struct store_folder *f = st_folder(mb, "INBOX");
	char *inbox = st_folder_dir(mb, "");
	struct buf *b = buf_new(64, 4096);

	st_append(f, "one");
	leave_pending(mb, "", 2, true);
	/* readers do not see a message in flight */
	cr_assert_eq(store_folder_sync(f, NULL, NULL, err), STORE_OK);
	cr_assert_eq(store_folder_count(f), 1);
	/* the next writer finds the file and records it */
	cr_assert_eq(st_append(f, "three"), 3);
	cr_assert_eq(store_folder_count(f), 3);
	cr_assert_eq(store_msg_read(f, 2, b, err), STORE_OK);
	cr_assert_str_eq(buf_cstr(b), "crashed");
	cr_assert_eq(store_folder_find(f, 2, NULL)->internal_date, 1234567890);
	st_assert_consistent(f, inbox);
	store_folder_close(&f);
	store_mailbox_close(&mb);
	buf_free(&b);
	free(inbox);
}

Test(store_crash, pending_without_its_file_is_dropped)
{
	struct store_mailbox *mb = st_mailbox(root, "p", &lim);
	struct store_folder *f = st_folder(mb, "Sent");
	char *dir = st_folder_dir(mb, ".Sent");
	char tmp[4096];
	int fd;

	st_append(f, "one");
	leave_pending(mb, ".Sent", 2, false);
	/* and a tmp file of a delivery killed before its rename */
	snprintf(tmp, sizeof(tmp), "%s/tmp/123.M1P1Q9.host", dir);
	fd = open(tmp, O_WRONLY | O_CREAT, 0600);
	close(fd);
	store_folder_close(&f);
	f = st_folder(mb, "Sent");
	/* a tmp file as old as Maildir's limit goes at the next open, a
	 * younger one stays */
	char oldtmp[4096];
	struct timespec ts[2] = { { .tv_sec = time(NULL) - STORE_TMP_MAX_AGE -
		60 }, { .tv_sec = time(NULL) - STORE_TMP_MAX_AGE - 60 } };
	snprintf(oldtmp, sizeof(oldtmp), "%s/tmp/100.M1P1Q8.host", dir);
	fd = open(oldtmp, O_WRONLY | O_CREAT, 0600);
	cr_assert_eq(futimens(fd, ts), 0);
	close(fd);
	store_folder_close(&f);
	f = st_folder(mb, "Sent");
	cr_assert_neq(access(oldtmp, F_OK), 0, "stale tmp file kept");
	cr_assert_eq(access(tmp, F_OK), 0, "young tmp file removed");
	/* UID 2 was promised to nobody, but is not given again */
	cr_assert_eq(st_append(f, "three"), 3);
	cr_assert_eq(store_folder_count(f), 2);
	cr_assert_null(store_folder_find(f, 2, NULL));
	st_assert_consistent(f, dir);
	store_folder_close(&f);
	store_mailbox_close(&mb);
	free(dir);
}
