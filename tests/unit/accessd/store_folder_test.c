/*
 * tests/unit/accessd/store_folder_test.c - the store's folder API on a
 * temporary directory: append and fetch, flags with modseqs, expunge,
 * copy and move (UIDPLUS), cached strings, limits at max and max + 1,
 * the index as a cache (deleted, damaged, torn: same UIDs and
 * UIDVALIDITY after the rebuild), hostile files, compaction and change
 * notification across processes.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "lib/mime.h"
#include "lib/mime_imap.h"
#include "lib/msg_header.h"
#include "accessd/store_int.h"
#include "accessd/store_mime.h"
#include "tests/unit/accessd/store_testutil.h"
#include "lib/banned.h"

static char *root;
static struct store_limits lim;
static struct store_mailbox *mb;
static struct buf *err;

static void
setup(void)
{
	log_init("store_folder_test", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	    LOG_LEVEL_WARN);
	root = st_tmpdir();
	st_limits(&lim, 0);
	mb = st_mailbox(root, "u-1", &lim);
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

TestSuite(store_folder, .init = setup, .fini = teardown);

static char *
index_path(const char *dirname)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s/%s", store_mailbox_path(mb), dirname,
	    STORE_INDEX_FILE);
	return xstrdup(p);
}

Test(store_folder, append_and_fetch)
{
	struct store_folder *f = st_folder(mb, "INBOX");
	struct buf *b = buf_new(64, 1 << 20);
	uint32_t uid = 0;
	char text[64];
	ssize_t n;
	int fd;

	cr_assert_eq(store_folder_count(f), 0);
	cr_assert_neq(store_folder_uidvalidity(f), 0);
	cr_assert_eq(store_folder_uidnext(f), 1);
	cr_assert_eq(st_append(f, "Subject: one\r\n\r\nbody 1\r\n"), 1);
	cr_assert_eq(store_append(f, "Subject: two\r\n\r\n", 16,
	    STORE_FLAG_SEEN | STORE_FLAG_DRAFT, "$Work", 1600000000, NULL, &uid,
	    err), STORE_OK, "%s", buf_cstr(err));
	cr_assert_eq(uid, 2);
	cr_assert_eq(store_folder_count(f), 2);
	cr_assert_eq(store_folder_uidnext(f), 3);
	const struct store_msg *m = store_folder_find(f, 2, NULL);
	cr_assert_not_null(m);
	cr_assert_eq(m->flags, STORE_FLAG_SEEN | STORE_FLAG_DRAFT);
	cr_assert_str_eq(m->keywords, "$Work");
	cr_assert_eq(m->internal_date, 1600000000);
	cr_assert_eq(m->size, 16);
	cr_assert_gt(m->modseq, store_folder_msg(f, 0)->modseq);
	cr_assert_eq(store_folder_highestmodseq(f), m->modseq);
	cr_assert_eq(store_msg_read(f, 1, b, err), STORE_OK);
	cr_assert_str_eq(buf_cstr(b), "Subject: one\r\n\r\nbody 1\r\n");
	fd = store_msg_open(f, 2, err);
	cr_assert_geq(fd, 0);
	n = read(fd, text, sizeof(text));
	cr_assert_eq(n, 16);
	close(fd);
	cr_assert_eq(store_msg_open(f, 3, err), -1);
	buf_reset(b);
	cr_assert_eq(store_msg_read(f, 9, b, err), STORE_NOTFOUND);
	/* a second handle sees the same */
	struct store_folder *g = st_folder(mb, "inbox");
	cr_assert_eq(store_folder_count(g), 2);
	cr_assert_eq(store_folder_uidvalidity(g), store_folder_uidvalidity(f));
	st_assert_consistent(g, store_mailbox_path(mb));
	store_folder_close(&g);
	store_folder_close(&f);
	buf_free(&b);
}

/* The header alone: up to the empty line (CRLF or LF), also when that
 * line is split across two reads; the whole message without one, or with
 * none in the first STORE_HEAD_MAX bytes. */
Test(store_folder, read_head)
{
	struct store_folder *f = st_folder(mb, "INBOX");
	struct buf *b = buf_new(64, 1 << 20);
	struct buf *msg = buf_new(64, 1 << 20);
	uint32_t lf;

	/* "X: " + filler + CRLF puts the empty line's CRLF at every offset
	 * around the first read's end */
	for (size_t at = STORE_HEAD_CHUNK - 4; at <= STORE_HEAD_CHUNK + 2;
	    at++) {
		uint32_t uid = 0;

		buf_reset(msg);
		buf_append_str(msg, "X: ");
		while (msg->len < at - 2)
			buf_append_byte(msg, 'h');
		buf_append_str(msg, "\r\n\r\nbody\r\n\r\nmore\r\n");
		cr_assert_eq(store_append(f, (const char *)msg->data, msg->len,
		    0, NULL, 0, NULL, &uid, err), STORE_OK, "%s",
		    buf_cstr(err));
		buf_reset(b);
		cr_assert_eq(store_msg_read_head(f, uid, b, err),
		    STORE_OK, "%s", buf_cstr(err));
		cr_assert_eq(b->len, at + 2, "at %zu: %zu bytes", at, b->len);
		cr_assert(memcmp(b->data, msg->data, b->len) == 0);
	}
	lf = st_append(f, "Subject: lf\n\nbody\n\nmore\n");
	cr_assert_gt(lf, 0);
	buf_reset(b);
	cr_assert_eq(store_msg_read_head(f, lf, b, err), STORE_OK);
	cr_assert_str_eq(buf_cstr(b), "Subject: lf\n\n");
	lf = st_append(f, "Subject: no body\r\n");
	cr_assert_gt(lf, 0);
	buf_reset(b);
	cr_assert_eq(store_msg_read_head(f, lf, b, err), STORE_OK);
	cr_assert_str_eq(buf_cstr(b), "Subject: no body\r\n");
	/* no end of header within STORE_HEAD_MAX: the whole message */
	buf_reset(msg);
	while (msg->len <= STORE_HEAD_MAX)
		buf_append_str(msg, "X-Long: 0123456789abcdef0123456789\r\n");
	buf_append_str(msg, "Subject: last\r\n\r\nbody\r\n");
	cr_assert_eq(store_append(f, (const char *)msg->data, msg->len, 0,
	    NULL, 0, NULL, &lf, err), STORE_OK, "%s", buf_cstr(err));
	buf_reset(b);
	cr_assert_eq(store_msg_read_head(f, lf, b, err), STORE_OK);
	cr_assert_eq(b->len, msg->len);
	cr_assert(memcmp(b->data, msg->data, b->len) == 0);
	buf_reset(b);
	cr_assert_eq(store_msg_read_head(f, 99999, b, err), STORE_NOTFOUND);
	store_folder_close(&f);
	buf_free(&msg);
	buf_free(&b);
}

Test(store_folder, streamed_append_and_message_size_limit)
{
	struct store_append *tx;
	struct store_folder *f;
	char big[1025];
	char *inbox = st_folder_dir(mb, "");
	uint32_t uid = 0;

	store_mailbox_close(&mb);
	lim.message_size_max = 1024;
	mb = st_mailbox(root, "u-1", &lim);
	f = st_folder(mb, "INBOX");
	memset(big, 'a', sizeof(big));
	/* max - 1, max: accepted, in pieces */
	cr_assert_eq(store_append(f, big, 1023, 0, NULL, 0, NULL, NULL, err),
	    STORE_OK);
	cr_assert_eq(store_append_begin(f, &tx, err), STORE_OK);
	cr_assert_eq(store_append_write(tx, big, 1000, err), STORE_OK);
	cr_assert_eq(store_append_write(tx, big, 24, err), STORE_OK);
	cr_assert_eq(store_append_commit(&tx, 0, NULL, 0, NULL, NULL, NULL,
	    &uid, err), STORE_OK);
	cr_assert_null(tx);
	cr_assert_eq(uid, 2);
	cr_assert_eq(store_folder_find(f, 2, NULL)->size, 1024);
	/* max + 1: refused, nothing left behind */
	cr_assert_eq(store_append(f, big, 1025, 0, NULL, 0, NULL, NULL, err),
	    STORE_TOOBIG);
	cr_assert_eq(store_append_begin(f, &tx, err), STORE_OK);
	cr_assert_eq(store_append_write(tx, big, 1000, err), STORE_OK);
	cr_assert_eq(store_append_write(tx, big, 25, err), STORE_TOOBIG);
	store_append_abort(&tx);
	cr_assert_eq(store_folder_count(f), 2);
	char tmpd[4096];
	snprintf(tmpd, sizeof(tmpd), "%s/tmp", inbox);
	cr_assert_eq(rmdir(tmpd), 0, "tmp/ not empty");
	mkdir(tmpd, 0700);
	st_assert_consistent(f, inbox);
	store_folder_close(&f);
	free(inbox);
}

Test(store_folder, flags_and_modseq)
{
	struct store_folder *f = st_folder(mb, "INBOX");
	struct store_folder *other = st_folder(mb, "INBOX");
	struct store_range all = { 1, 100 }, two = { 2, 2 };
	struct st_changes ch = { 0 }, och = { 0 };
	uint64_t ms;

	st_append(f, "a");
	st_append(f, "b");
	st_append(f, "c");
	cr_assert_eq(store_folder_sync(other, NULL, NULL, err), STORE_OK);
	ms = store_folder_highestmodseq(f);
	cr_assert_eq(store_set_flags(f, &all, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_SEEN, "$Work", 0, st_record, &ch, err), STORE_OK);
	cr_assert_eq(ch.count[STORE_CHANGE_FLAGS], 3);
	for (size_t i = 0; i < 3; i++) {
		const struct store_msg *m = store_folder_msg(f, i);

		cr_assert_eq(m->flags, STORE_FLAG_SEEN);
		cr_assert_str_eq(m->keywords, "$Work");
		cr_assert_gt(m->modseq, ms);
	}
	cr_assert_gt(store_folder_msg(f, 1)->modseq,
	    store_folder_msg(f, 0)->modseq);
	cr_assert_gt(store_folder_msg(f, 2)->modseq,
	    store_folder_msg(f, 1)->modseq);
	cr_assert_eq(store_folder_highestmodseq(f),
	    store_folder_msg(f, 2)->modseq);
	ms = store_folder_highestmodseq(f);
	/* add again: nothing changes, no new modseq */
	ch.n = 0;
	memset(ch.count, 0, sizeof(ch.count));
	cr_assert_eq(store_set_flags(f, &all, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_SEEN, "$work", 0, st_record, &ch, err), STORE_OK);
	cr_assert_eq(ch.count[STORE_CHANGE_FLAGS], 0);
	cr_assert_eq(store_folder_highestmodseq(f), ms);
	cr_assert_eq(store_set_flags(f, &two, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_FLAGGED, "Later Todo", 0, NULL, NULL, err), STORE_OK);
	cr_assert_str_eq(store_folder_find(f, 2, NULL)->keywords,
	    "$Work Later Todo");
	cr_assert_eq(store_set_flags(f, &two, 1, STORE_FLAGS_REMOVE,
	    STORE_FLAG_SEEN, "later", 0, NULL, NULL, err), STORE_OK);
	cr_assert_str_eq(store_folder_find(f, 2, NULL)->keywords, "$Work Todo");
	cr_assert_eq(store_folder_find(f, 2, NULL)->flags, STORE_FLAG_FLAGGED);
	cr_assert_eq(store_set_flags(f, &two, 1, STORE_FLAGS_REPLACE,
	    STORE_FLAG_ANSWERED, NULL, 0, NULL, NULL, err), STORE_OK);
	cr_assert_str_eq(store_folder_find(f, 2, NULL)->keywords, "");
	cr_assert_eq(store_folder_find(f, 2, NULL)->flags, STORE_FLAG_ANSWERED);
	/* UNCHANGEDSINCE: message 2 changed after ms, 1 and 3 did not */
	ch.n = 0;
	memset(ch.count, 0, sizeof(ch.count));
	cr_assert_eq(store_set_flags(f, &all, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_DELETED, NULL, ms, st_record, &ch, err), STORE_OK);
	cr_assert_eq(ch.count[STORE_CHANGE_CONFLICT], 1);
	cr_assert_eq(ch.count[STORE_CHANGE_FLAGS], 2);
	cr_assert_eq(ch.uid[0], 2);
	cr_assert_eq(store_folder_find(f, 2, NULL)->flags, STORE_FLAG_ANSWERED);
	/* the other handle learns all of it */
	cr_assert(store_folder_changed(other));
	cr_assert_eq(store_folder_sync(other, st_record, &och, err), STORE_OK);
	cr_assert_not(store_folder_changed(other));
	cr_assert_geq(och.count[STORE_CHANGE_FLAGS], 3);
	cr_assert_eq(store_folder_highestmodseq(other),
	    store_folder_highestmodseq(f));
	cr_assert_eq(store_folder_find(other, 1, NULL)->flags,
	    STORE_FLAG_SEEN | STORE_FLAG_DELETED);
	/* bad input */
	cr_assert_eq(store_set_flags(f, &all, 1, STORE_FLAGS_ADD, 0x80, NULL, 0,
	    NULL, NULL, err), STORE_INVALID);
	cr_assert_eq(store_set_flags(f, &all, 1, STORE_FLAGS_ADD, 0, "a\\b", 0,
	    NULL, NULL, err), STORE_INVALID);
	store_folder_close(&other);
	store_folder_close(&f);
}

Test(store_folder, keywords_limit)
{
	struct store_folder *f;
	struct store_range one = { 1, 1 };
	char kw[64];

	store_mailbox_close(&mb);
	lim.keywords_max = 10;
	mb = st_mailbox(root, "u-1", &lim);
	f = st_folder(mb, "INBOX");
	memset(kw, 'k', sizeof(kw));
	kw[10] = '\0';	/* max */
	cr_assert_eq(store_append(f, "x", 1, 0, kw, 0, NULL, NULL, err),
	    STORE_OK);
	kw[10] = 'k';
	kw[11] = '\0';	/* max + 1 */
	cr_assert_eq(store_append(f, "x", 1, 0, kw, 0, NULL, NULL, err),
	    STORE_LIMIT);
	cr_assert_eq(store_set_flags(f, &one, 1, STORE_FLAGS_ADD, 0, "z", 0,
	    NULL, NULL, err), STORE_LIMIT);
	cr_assert_eq(store_set_flags(f, &one, 1, STORE_FLAGS_REPLACE, 0,
	    "abcdefghi", 0, NULL, NULL, err), STORE_OK);	/* max - 1 */
	store_folder_close(&f);
}

Test(store_folder, expunge_and_uid_expunge)
{
	struct store_folder *f = st_folder(mb, "INBOX");
	struct store_folder *other = st_folder(mb, "INBOX");
	struct store_range del = { 2, 4 }, three = { 3, 3 }, all = { 1, 9 };
	struct st_changes ch = { 0 }, och = { 0 };
	char *inbox = st_folder_dir(mb, "");

	for (int i = 0; i < 5; i++)
		st_append(f, "m");
	cr_assert_eq(store_set_flags(f, &del, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_DELETED, NULL, 0, NULL, NULL, err), STORE_OK);
	cr_assert_eq(store_folder_sync(other, NULL, NULL, err), STORE_OK);
	/* UID EXPUNGE 3: only 3 goes although 2 and 4 are \Deleted too */
	cr_assert_eq(store_expunge(f, &three, 1, st_record, &ch, err), STORE_OK);
	cr_assert_eq(ch.count[STORE_CHANGE_EXPUNGE], 1);
	cr_assert_eq(ch.pos[0], 2);
	cr_assert_eq(store_folder_count(f), 4);
	/* EXPUNGE: 2 and 4, each reported at its position at that moment */
	ch.n = 0;
	memset(ch.count, 0, sizeof(ch.count));
	cr_assert_eq(store_expunge(f, NULL, 0, st_record, &ch, err), STORE_OK);
	cr_assert_eq(ch.count[STORE_CHANGE_EXPUNGE], 2);
	cr_assert_eq(ch.uid[0], 2);
	cr_assert_eq(ch.pos[0], 1);
	cr_assert_eq(ch.uid[1], 4);
	cr_assert_eq(ch.pos[1], 1);
	cr_assert_eq(store_folder_count(f), 2);
	cr_assert_eq(store_folder_msg(f, 1)->uid, 5);
	st_assert_consistent(f, inbox);
	/* nothing \Deleted left: no-op */
	cr_assert_eq(store_expunge(f, &all, 1, NULL, NULL, err), STORE_OK);
	cr_assert_eq(store_folder_count(f), 2);
	cr_assert_eq(store_folder_sync(other, st_record, &och, err), STORE_OK);
	cr_assert_eq(och.count[STORE_CHANGE_EXPUNGE], 3);
	cr_assert_eq(store_folder_count(other), 2);
	/* UIDNEXT never goes back */
	cr_assert_eq(store_folder_uidnext(f), 6);
	store_folder_close(&other);
	store_folder_close(&f);
	free(inbox);
}

Test(store_folder, copy_and_move_with_uidplus)
{
	struct store_folder *in = st_folder(mb, "INBOX");
	struct store_folder *ar = st_folder(mb, "Archive");
	struct store_range set[2] = { { 2, 3 }, { 3, 9 } };
	struct store_copied cp;
	struct pool *pool = pool_new("test");
	struct st_changes ch = { 0 };
	struct buf *b = buf_new(64, 4096);

	for (int i = 0; i < 4; i++)
		st_append(in, i % 2 ? "odd" : "even");
	st_append(ar, "already here");
	cr_assert_eq(store_copy(in, set, 2, ar, false, NULL, pool, &cp, NULL,
	    NULL, err), STORE_OK, "%s", buf_cstr(err));
	cr_assert_eq(cp.n, 3);
	cr_assert_eq(cp.uidvalidity, store_folder_uidvalidity(ar));
	cr_assert_eq(cp.src_uids[0], 2);
	cr_assert_eq(cp.src_uids[2], 4);
	cr_assert_eq(cp.dst_uids[0], 2);
	cr_assert_eq(cp.dst_uids[2], 4);
	cr_assert_eq(store_folder_count(in), 4);
	cr_assert_eq(store_folder_sync(ar, NULL, NULL, err), STORE_OK);
	cr_assert_eq(store_folder_count(ar), 4);
	cr_assert_eq(store_msg_read(ar, 3, b, err), STORE_OK);
	cr_assert_str_eq(buf_cstr(b), "even");
	/* MOVE 1: leaves INBOX, reported as expunge */
	struct store_range one = { 1, 1 };
	cr_assert_eq(store_copy(in, &one, 1, ar, true, NULL, pool, &cp,
	    st_record, &ch, err), STORE_OK);
	cr_assert_eq(cp.n, 1);
	cr_assert_eq(cp.dst_uids[0], 5);
	cr_assert_eq(ch.count[STORE_CHANGE_EXPUNGE], 1);
	cr_assert_eq(store_folder_count(in), 3);
	cr_assert_null(store_folder_find(in, 1, NULL));
	cr_assert_eq(store_copy(in, &one, 1, in, true, NULL, pool, &cp, NULL,
	    NULL, err), STORE_INVALID);
	/* nothing to copy is fine */
	cr_assert_eq(store_copy(in, &one, 1, ar, false, NULL, pool, &cp, NULL,
	    NULL, err), STORE_OK);
	cr_assert_eq(cp.n, 0);
	char *d1 = st_folder_dir(mb, ""), *d2 = st_folder_dir(mb, ".Archive");
	cr_assert_eq(store_folder_sync(ar, NULL, NULL, err), STORE_OK);
	st_assert_consistent(in, d1);
	st_assert_consistent(ar, d2);
	free(d1);
	free(d2);
	buf_free(&b);
	pool_free(&pool);
	store_folder_close(&ar);
	store_folder_close(&in);
}

static int calls;

static int
fake_parser(void *arg, const uint8_t *msg, size_t len, char **env,
    char **bs)
{
	calls++;
	if (len > 0 && msg[0] == '!')
		return -1;
	*env = xstrdup("(\"date\" \"subject\")");
	*bs = xstrdup(arg);
	return 0;
}

Test(store_folder, cached_envelope_and_bodystructure)
{
	struct store_folder *f = st_folder(mb, "INBOX");
	const char *env, *bs;

	st_append(f, "Subject: x\r\n\r\n");
	st_append(f, "!bad");
	calls = 0;
	cr_assert_eq(store_msg_cache(f, 1, fake_parser, "(\"text\")", &env, &bs,
	    err), STORE_OK, "%s", buf_cstr(err));
	cr_assert_str_eq(env, "(\"date\" \"subject\")");
	cr_assert_str_eq(bs, "(\"text\")");
	cr_assert_eq(store_msg_cache(f, 1, fake_parser, "other", &env, &bs,
	    err), STORE_OK);
	cr_assert_str_eq(bs, "(\"text\")");
	cr_assert_eq(calls, 1);
	cr_assert_eq(store_msg_cache(f, 2, fake_parser, "x", &env, &bs, err),
	    STORE_INVALID);
	cr_assert_eq(store_msg_cache(f, 7, fake_parser, "x", &env, &bs, err),
	    STORE_NOTFOUND);
	/* another session finds them in the index without parsing */
	struct store_folder *g = st_folder(mb, "INBOX");
	cr_assert_eq(store_msg_cache(g, 1, fake_parser, "x", &env, &bs, err),
	    STORE_OK);
	cr_assert_str_eq(bs, "(\"text\")");
	cr_assert_eq(calls, 2);	/* only the failed one again */
	store_folder_close(&g);
	store_folder_close(&f);
}

/* What IMAP will do: cache ENVELOPE and BODYSTRUCTURE through lib/mime,
 * and fetch a body section from the stored bytes. */
Test(store_folder, mime_cache_and_sections)
{
	static const char msg[] = "From: Alice <alice@example.test>\r\n"
	    "To: bob@example.test\r\nSubject: parts\r\n"
	    "Date: Sat, 05 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
	    "--b\r\nContent-Type: application/pdf\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n";
	struct store_folder *f = st_folder(mb, "INBOX");
	struct pool *p = pool_new("test");
	struct buf *want_env = buf_new(256, 65536), *want_bs = buf_new(256,
	    65536), *bytes = buf_new(256, 65536);
	struct msg_limits mlim;
	struct mime_message *m;
	struct mime_section sec;
	const char *env, *bs, *e;

	cr_assert_eq(st_append(f, msg), 1);
	cr_assert_eq(store_msg_cache(f, 1, store_mime_cache, NULL, &env, &bs,
	    err), STORE_OK, "%s", buf_cstr(err));
	msg_limits_defaults(&mlim);
	m = mime_parse(p, (const uint8_t *)msg, sizeof(msg) - 1, &mlim);
	cr_assert_eq(mime_imap_envelope(m, m->root, p, want_env), 0);
	cr_assert_eq(mime_imap_bodystructure(m, m->root, true, p, want_bs), 0);
	cr_assert_str_eq(env, buf_cstr(want_env));
	cr_assert_str_eq(bs, buf_cstr(want_bs));
	cr_assert_not_null(strstr(bs, "\"APPLICATION\" \"PDF\""), "%s", bs);
	cr_assert_not_null(strstr(env, "\"parts\""), "%s", env);
	/* BODY[1] of the stored message is the text part */
	cr_assert_eq(store_msg_read(f, 1, bytes, err), STORE_OK);
	m = mime_parse(p, bytes->data, bytes->len, &mlim);
	cr_assert_eq(mime_section_find(m, "1", 1, &sec, &e), 0, "%s", e);
	cr_assert_eq(sec.len, 5);
	cr_assert_eq(memcmp(bytes->data + sec.off, "hello", 5), 0);
	cr_assert_eq(mime_section_find(m, "3", 1, &sec, &e), -1);
	buf_free(&want_env);
	buf_free(&want_bs);
	buf_free(&bytes);
	pool_free(&p);
	store_folder_close(&f);
}

/* UIDs, UIDVALIDITY and delivery flags of a folder, as text. */
static void
describe(struct store_folder *f, char *out, size_t size)
{
	size_t o = 0;

	o += (size_t)snprintf(out + o, size - o, "v=%u n=%u:",
	    store_folder_uidvalidity(f), store_folder_uidnext(f));
	for (size_t i = 0; i < store_folder_count(f) && o < size; i++) {
		const struct store_msg *m = store_folder_msg(f, i);

		o += (size_t)snprintf(out + o, size - o, " %u/%x/%llu/%lld",
		    m->uid, m->flags, (unsigned long long)m->size,
		    (long long)m->internal_date);
	}
}

static void
fill(struct store_folder *f)
{
	struct store_range r = { 2, 2 };

	for (int i = 0; i < 6; i++)
		cr_assert_eq(store_append(f, "hello", 5 - (size_t)(i % 3),
		    i == 3 ? STORE_FLAG_SEEN : 0, NULL, 1500000000 + i, NULL,
		    NULL, err), STORE_OK);
	cr_assert_eq(store_set_flags(f, &r, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_DELETED, NULL, 0, NULL, NULL, err), STORE_OK);
	cr_assert_eq(store_expunge(f, NULL, 0, NULL, NULL, err), STORE_OK);
	/* the last UIDs gone too: UIDNEXT must still not come back */
	r.lo = r.hi = 6;
	cr_assert_eq(store_set_flags(f, &r, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_DELETED, NULL, 0, NULL, NULL, err), STORE_OK);
	cr_assert_eq(store_expunge(f, NULL, 0, NULL, NULL, err), STORE_OK);
}

Test(store_folder, deleted_index_is_rebuilt_with_same_uids)
{
	struct store_folder *f = st_folder(mb, "Sent");
	char before[2048], after[2048];
	char *ip = index_path(".Sent");
	uint64_t hm;

	fill(f);
	describe(f, before, sizeof(before));
	hm = store_folder_highestmodseq(f);
	store_folder_close(&f);
	cr_assert_eq(unlink(ip), 0);
	f = st_folder(mb, "Sent");
	describe(f, after, sizeof(after));
	cr_assert_str_eq(after, before);
	cr_assert_eq(store_folder_uidnext(f), 7);
	/* modseqs go on above the ones given before */
	cr_assert_gt(store_folder_msg(f, 0)->modseq, hm);
	cr_assert_gt(store_folder_highestmodseq(f), hm);
	cr_assert_eq(st_append(f, "next"), 7);
	store_folder_close(&f);
	free(ip);
}

Test(store_folder, damaged_index_is_rebuilt)
{
	struct store_folder *f = st_folder(mb, "Sent");
	char before[2048], after[2048];
	char *ip = index_path(".Sent");
	struct stat st;
	int fd;

	fill(f);
	describe(f, before, sizeof(before));
	store_folder_close(&f);
	cr_assert_eq(stat(ip, &st), 0);
	fd = open(ip, O_WRONLY);
	cr_assert_eq(pwrite(fd, "\xff\xff\xff", 3, STORE_INDEX_HDR_LEN + 40), 3);
	close(fd);
	f = st_folder(mb, "Sent");
	describe(f, after, sizeof(after));
	cr_assert_str_eq(after, before);
	store_folder_close(&f);
	/* a damaged header, too */
	fd = open(ip, O_WRONLY);
	cr_assert_eq(pwrite(fd, "X", 1, 0), 1);
	close(fd);
	f = st_folder(mb, "Sent");
	describe(f, after, sizeof(after));
	cr_assert_str_eq(after, before);
	store_folder_close(&f);
	/* and an empty one */
	cr_assert_eq(truncate(ip, 0), 0);
	f = st_folder(mb, "Sent");
	describe(f, after, sizeof(after));
	cr_assert_str_eq(after, before);
	store_folder_close(&f);
	free(ip);
}

Test(store_folder, torn_tail_is_cut_and_earlier_records_kept)
{
	struct store_folder *f = st_folder(mb, "INBOX");
	struct store_range r = { 1, 1 };
	char *ip = index_path("");
	struct stat st;

	st_append(f, "one");
	st_append(f, "two");
	cr_assert_eq(store_set_flags(f, &r, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_FLAGGED, "kept", 0, NULL, NULL, err), STORE_OK);
	cr_assert_eq(stat(ip, &st), 0);
	store_folder_close(&f);
	/* half a record at the end, as a writer killed mid-write leaves */
	int fd = open(ip, O_WRONLY | O_APPEND);
	cr_assert_eq(write(fd, "\x40\x00\x00\x00\x01\x02", 6), 6);
	close(fd);
	f = st_folder(mb, "INBOX");	/* a reader: tolerates it */
	cr_assert_eq(store_folder_count(f), 2);
	cr_assert_str_eq(store_folder_find(f, 1, NULL)->keywords, "kept");
	st_append(f, "three");		/* a writer: cuts it */
	cr_assert_eq(store_folder_count(f), 3);
	cr_assert_str_eq(store_folder_find(f, 1, NULL)->keywords, "kept");
	store_folder_close(&f);
	f = st_folder(mb, "INBOX");
	cr_assert_eq(store_folder_count(f), 3);
	cr_assert_eq(store_folder_find(f, 1, NULL)->flags, STORE_FLAG_FLAGGED);
	store_folder_close(&f);
	free(ip);
}

Test(store_folder, lost_uidvalidity_file_keeps_uids)
{
	struct store_folder *f = st_folder(mb, "Drafts");
	char p[4096];
	char *ip = index_path(".Drafts");
	uint32_t uv;

	st_append(f, "a");
	st_append(f, "b");
	uv = store_folder_uidvalidity(f);
	store_folder_close(&f);
	snprintf(p, sizeof(p), "%s/.Drafts/%s", store_mailbox_path(mb),
	    STORE_UIDV_FILE);
	cr_assert_eq(unlink(p), 0);
	/* index intact: nothing changes */
	f = st_folder(mb, "Drafts");
	cr_assert_eq(store_folder_uidvalidity(f), uv);
	store_folder_close(&f);
	/* both gone: same UIDs, but a new UIDVALIDITY as clients' caches
	 * can no longer be trusted */
	cr_assert_eq(unlink(ip), 0);
	f = st_folder(mb, "Drafts");
	cr_assert_neq(store_folder_uidvalidity(f), uv);
	cr_assert_eq(store_folder_count(f), 2);
	cr_assert_eq(store_folder_msg(f, 1)->uid, 2);
	cr_assert_eq(st_append(f, "c"), 3);
	store_folder_close(&f);
	free(ip);
}

Test(store_folder, hostile_files_are_ignored)
{
	struct store_folder *f = st_folder(mb, "Junk");
	char *dir = st_folder_dir(mb, ".Junk");
	char *ip = index_path(".Junk");
	char p[4096];
	static const char *const junk[] = { "evil", "x,U=abc", "y,U=0",
		"z,U=1:2,S\x01", "\xff\xfe,U=\xff", "w,U=99999999999" };

	st_append(f, "real one");
	st_append(f, "real two");
	store_folder_close(&f);
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		snprintf(p, sizeof(p), "%s/cur/%s", dir, junk[i]);
		int fd = open(p, O_WRONLY | O_CREAT, 0600);
		cr_assert_geq(fd, 0);
		close(fd);
	}
	/* a symlink and a directory with names of ours, a duplicate UID */
	snprintf(p, sizeof(p), "%s/cur/s,U=5", dir);
	cr_assert_eq(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/cur/d,U=6", dir);
	cr_assert_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/cur/dup,U=1,S=3", dir);
	close(open(p, O_WRONLY | O_CREAT, 0600));
	cr_assert_eq(unlink(ip), 0);
	f = st_folder(mb, "Junk");
	cr_assert_eq(store_folder_count(f), 2);
	cr_assert_eq(store_folder_msg(f, 0)->uid, 1);
	cr_assert_eq(store_folder_msg(f, 1)->uid, 2);
	cr_assert_eq(st_append(f, "three"), 3);
	store_folder_close(&f);
	free(dir);
	free(ip);
}

Test(store_folder, compaction_keeps_the_view)
{
	struct store_folder *f = st_folder(mb, "INBOX");
	struct store_folder *other = st_folder(mb, "INBOX");
	struct store_range all = { 1, 10 };
	char *ip = index_path("");
	char before[2048], after[2048];
	struct stat st1, st2;
	uint64_t hm;

	for (int i = 0; i < 10; i++)
		st_append(f, "m");
	cr_assert_eq(stat(ip, &st1), 0);
	/* 10 records per round: past 2 * 10 + STORE_COMPACT_SLACK */
	for (int i = 0; i < STORE_COMPACT_SLACK / 10 + 10; i++)
		cr_assert_eq(store_set_flags(f, &all, 1, i % 2 ?
		    STORE_FLAGS_REMOVE : STORE_FLAGS_ADD, STORE_FLAG_SEEN,
		    NULL, 0, NULL, NULL, err), STORE_OK);
	hm = store_folder_highestmodseq(f);
	cr_assert_eq(stat(ip, &st2), 0);
	cr_assert_neq(st1.st_ino, st2.st_ino, "index was not compacted");
	cr_assert_lt(st2.st_size, STORE_COMPACT_SLACK * 20);
	describe(f, before, sizeof(before));
	cr_assert_eq(store_folder_sync(other, NULL, NULL, err), STORE_OK);
	describe(other, after, sizeof(after));
	cr_assert_str_eq(after, before);
	cr_assert_eq(store_folder_highestmodseq(other), hm);
	store_folder_close(&other);
	other = st_folder(mb, "INBOX");
	cr_assert_eq(store_folder_highestmodseq(other), hm);
	cr_assert_eq(store_folder_find(other, 3, NULL)->modseq,
	    store_folder_find(f, 3, NULL)->modseq);
	store_folder_close(&other);
	store_folder_close(&f);
	free(ip);
}

Test(store_folder, notification_across_processes)
{
	struct store_folder *f = st_folder(mb, "INBOX");
	struct st_changes ch = { 0 };
	struct pollfd pfd;
	pid_t pid;
	int st, fd;

	st_append(f, "first");
	fd = store_folder_notify_fd(f, err);
	cr_assert_geq(fd, 0, "%s", buf_cstr(err));
	pfd.fd = fd;
	pfd.events = POLLIN;
	cr_assert_eq(poll(&pfd, 1, 0), 0);	/* quiet until something happens */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct store_mailbox *cmb = store_mailbox_open(root, "u-1", &lim,
		    NULL);
		struct store_folder *cf = NULL;
		struct store_range one = { 1, 1 };

		usleep(100000);
		if (cmb == NULL || store_folder_open(cmb, "INBOX", &cf,
		    NULL) != STORE_OK || store_append(cf, "second", 6, 0, NULL,
		    0, NULL, NULL, NULL) != STORE_OK || store_set_flags(cf, &one,
		    1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0, NULL, NULL,
		    NULL) != STORE_OK)
			_exit(1);
		_exit(0);
	}
	cr_assert_eq(poll(&pfd, 1, 10000), 1, "no notification");
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	store_folder_notify_drain(f);
	cr_assert(store_folder_changed(f));
	cr_assert_eq(store_folder_sync(f, st_record, &ch, err), STORE_OK);
	cr_assert_eq(ch.count[STORE_CHANGE_NEW], 1);
	cr_assert_eq(ch.count[STORE_CHANGE_FLAGS], 1);
	cr_assert_eq(store_folder_count(f), 2);
	cr_assert_eq(store_folder_find(f, 1, NULL)->flags, STORE_FLAG_SEEN);
	cr_assert_eq(poll(&pfd, 1, 0), 0);
	store_folder_close(&f);
}

Test(store_folder, listener_hears_changes_found_on_the_way)
{
	struct store_folder *f = st_folder(mb, "INBOX");
	struct store_folder *other = st_folder(mb, "INBOX");
	struct st_changes ch = { 0 };
	struct store_copied cp;
	struct pool *pool = pool_new("t");
	struct store_range one = { 1, 1 };

	store_folder_set_listener(f, st_record, &ch);
	st_append(other, "from elsewhere");
	/* an append through f (no cb) syncs f: both messages reported */
	st_append(f, "own");
	cr_assert_eq(ch.count[STORE_CHANGE_NEW], 2);
	/* a copy into the selected folder itself */
	cr_assert_eq(store_copy(f, &one, 1, f, false, NULL, pool, &cp, NULL,
	    NULL, err), STORE_OK);
	cr_assert_eq(ch.count[STORE_CHANGE_NEW], 3);
	cr_assert_eq(store_folder_count(f), 3);
	store_folder_close(&other);
	store_folder_close(&f);
	pool_free(&pool);
}

Test(store_folder, vanished_file_is_expunged_on_fetch)
{
	struct store_folder *f = st_folder(mb, "INBOX");
	struct store_folder *other = st_folder(mb, "INBOX");
	struct st_changes ch = { 0 }, och = { 0 };
	struct buf *b = buf_new(64, 4096);
	char p[4096];
	uint64_t bytes, msgs;

	st_append(f, "keep");
	st_append(f, "vanish");
	cr_assert_eq(store_folder_sync(other, NULL, NULL, err), STORE_OK);
	store_folder_set_listener(f, st_record, &ch);
	snprintf(p, sizeof(p), "%s/cur/%s", store_mailbox_path(mb),
	    store_folder_find(f, 2, NULL)->file);
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(store_msg_read(f, 2, b, err), STORE_NOTFOUND);
	cr_assert_eq(ch.count[STORE_CHANGE_EXPUNGE], 1);
	cr_assert_eq(store_folder_count(f), 1);
	cr_assert_eq(store_quota_get(mb, &bytes, &msgs, err), STORE_OK);
	cr_assert_eq(msgs, 1);
	cr_assert_eq(bytes, 4);
	cr_assert_eq(store_folder_sync(other, st_record, &och, err), STORE_OK);
	cr_assert_eq(och.count[STORE_CHANGE_EXPUNGE], 1);
	/* an ordinary expunge by another session is not a ghost */
	struct store_range all = { 1, 9 };
	cr_assert_eq(store_set_flags(other, &all, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_DELETED, NULL, 0, NULL, NULL, err), STORE_OK);
	cr_assert_eq(store_expunge(other, NULL, 0, NULL, NULL, err), STORE_OK);
	buf_reset(b);
	cr_assert_eq(store_msg_read(f, 1, b, err), STORE_NOTFOUND);
	cr_assert_eq(ch.count[STORE_CHANGE_EXPUNGE], 2);
	cr_assert_eq(store_quota_get(mb, &bytes, &msgs, err), STORE_OK);
	cr_assert_eq(msgs, 0);
	store_folder_close(&other);
	store_folder_close(&f);
	buf_free(&b);
}

Test(store_folder, sync_of_a_deleted_folder_says_so)
{
	struct store_folder *f = st_folder(mb, "Trash");

	st_append(f, "x");
	cr_assert_eq(store_folder_delete(mb, "Trash", err), STORE_OK);
	cr_assert_eq(store_folder_sync(f, NULL, NULL, err), STORE_NOTFOUND);
	store_folder_close(&f);
}
