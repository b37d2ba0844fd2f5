/*
 * tests/unit/accessd/store_index_test.c - the tessera.index format:
 * records round-trip, torn tails and damage are told apart, records that
 * contradict the state are refused, the record limit holds at max and
 * max + 1, and feeding the log byte by byte gives the same view.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "accessd/store_index.h"
#include "tests/unit/accessd/store_testutil.h"
#include "lib/banned.h"

#define REC_MAX 4096

static struct store_msg
msg(uint32_t uid, uint64_t modseq, const char *file)
{
	struct store_msg m = { .uid = uid, .flags = STORE_FLAG_SEEN,
		.modseq = modseq, .size = 100 + uid, .internal_date = 1700000000,
		.file = (char *)file, .keywords = (char *)"$Work" };
	return m;
}

/* A log: three messages, a flag change, an expunge, a cache record. */
static struct buf *
sample_log(void)
{
	struct buf *b = buf_new(256, 1 << 20);
	struct store_msg m1 = msg(1, 1, "a,U=1"), m2 = msg(2, 2, "b,U=2"),
	    m3 = msg(5, 3, "c,U=5");

	cr_assert_eq(store_index_enc_msg(b, STORE_REC_ADD, &m1), 0);
	cr_assert_eq(store_index_enc_msg(b, STORE_REC_ADD, &m2), 0);
	cr_assert_eq(store_index_enc_msg(b, STORE_REC_PENDING, &m3), 0);
	cr_assert_eq(store_index_enc_msg(b, STORE_REC_ADD, &m3), 0);
	cr_assert_eq(store_index_enc_flags(b, 2, STORE_FLAG_DELETED, 4,
	    "x y"), 0);
	cr_assert_eq(store_index_enc_expunge(b, 1, 5), 0);
	cr_assert_eq(store_index_enc_cache(b, 5, "(env)", NULL), 0);
	return b;
}

Test(store_index, records_round_trip)
{
	struct buf *b = sample_log();
	struct store_index idx;
	struct st_changes ch = { 0 };
	size_t used;

	store_index_init(&idx);
	idx.uidnext = 1;
	cr_assert_eq(store_index_parse_records(&idx, b->data, b->len, REC_MAX,
	    st_record, &ch, &used), 1);
	cr_assert_eq(used, b->len);
	cr_assert_eq(idx.n, 2);
	cr_assert_eq(idx.msgs[0].uid, 2);
	cr_assert_eq(idx.msgs[0].flags, STORE_FLAG_DELETED);
	cr_assert_str_eq(idx.msgs[0].keywords, "x y");
	cr_assert_eq(idx.msgs[0].modseq, 4);
	cr_assert_eq(idx.msgs[1].uid, 5);
	cr_assert_str_eq(idx.msgs[1].file, "c,U=5");
	cr_assert_str_eq(idx.msgs[1].envelope, "(env)");
	cr_assert_null(idx.msgs[1].bodystructure);
	cr_assert_eq(idx.msgs[1].size, 105);
	cr_assert_eq(idx.msgs[1].internal_date, 1700000000);
	cr_assert_eq(idx.uidnext, 6);
	cr_assert_eq(idx.highestmodseq, 5);
	cr_assert_eq(idx.npending, 0);
	cr_assert_eq(ch.count[STORE_CHANGE_NEW], 3);
	cr_assert_eq(ch.count[STORE_CHANGE_FLAGS], 1);
	cr_assert_eq(ch.count[STORE_CHANGE_EXPUNGE], 1);
	/* the expunge was reported at its position before removal */
	cr_assert_eq(ch.kind[4], STORE_CHANGE_EXPUNGE);
	cr_assert_eq(ch.uid[4], 1);
	cr_assert_eq(ch.pos[4], 0);
	store_index_deinit(&idx);
	buf_free(&b);
}

Test(store_index, byte_by_byte_gives_the_same_view)
{
	struct buf *b = sample_log();
	struct store_index idx;
	size_t off = 0, end = 0;

	store_index_init(&idx);
	/* a reader that sees the file grow one byte at a time */
	while (end < b->len) {
		size_t used;
		int rc;

		end++;
		rc = store_index_parse_records(&idx, b->data + off, end - off,
		    REC_MAX, NULL, NULL, &used);
		cr_assert_neq(rc, -1, "at byte %zu", end);
		off += used;
	}
	cr_assert_eq(off, b->len);
	cr_assert_eq(idx.n, 2);
	cr_assert_eq(idx.highestmodseq, 5);
	store_index_deinit(&idx);
	buf_free(&b);
}

Test(store_index, torn_tail_is_incomplete_not_damage)
{
	struct buf *b = sample_log();
	struct store_index idx;
	size_t used;

	store_index_init(&idx);
	cr_assert_eq(store_index_parse_records(&idx, b->data, b->len - 3,
	    REC_MAX, NULL, NULL, &used), 0);
	cr_assert_lt(used, b->len - 3);
	cr_assert_eq(idx.n, 2);	/* cache record lost, all else there */
	cr_assert_null(idx.msgs[1].envelope);
	store_index_deinit(&idx);
	buf_free(&b);
}

Test(store_index, flipped_bit_is_damage)
{
	struct buf *b = sample_log();
	struct store_index idx;
	size_t used;

	b->data[20] ^= 0x10;	/* inside the first record's body */
	store_index_init(&idx);
	cr_assert_eq(store_index_parse_records(&idx, b->data, b->len, REC_MAX,
	    NULL, NULL, &used), -1);
	cr_assert_eq(used, 0);
	cr_assert_eq(idx.n, 0);
	store_index_deinit(&idx);
	buf_free(&b);
}

static int
parse_one(struct store_index *idx, struct buf *b)
{
	size_t used;

	return store_index_parse_records(idx, b->data, b->len, REC_MAX, NULL,
	    NULL, &used);
}

Test(store_index, contradictions_are_refused)
{
	struct store_index idx;
	struct buf *b = buf_new(256, 1 << 16);
	struct store_msg m = msg(7, 10, "f,U=7");

	store_index_init(&idx);
	store_index_enc_msg(b, STORE_REC_ADD, &m);
	cr_assert_eq(parse_one(&idx, b), 1);
	/* UIDs must ascend */
	buf_reset(b);
	m = msg(7, 11, "g,U=7");
	store_index_enc_msg(b, STORE_REC_ADD, &m);
	cr_assert_eq(parse_one(&idx, b), -1);
	/* a flag change for a UID that does not exist */
	buf_reset(b);
	store_index_enc_flags(b, 8, 0, 11, "");
	cr_assert_eq(parse_one(&idx, b), -1);
	/* modseq must go up */
	buf_reset(b);
	store_index_enc_flags(b, 7, 0, 10, "");
	cr_assert_eq(parse_one(&idx, b), -1);
	/* unknown flag bits, bad keywords */
	buf_reset(b);
	store_index_enc_flags(b, 7, 0x100, 11, "");
	cr_assert_eq(parse_one(&idx, b), -1);
	buf_reset(b);
	store_index_enc_flags(b, 7, 0, 11, "\\Seen");
	cr_assert_eq(parse_one(&idx, b), -1);
	/* a file name that is a path */
	buf_reset(b);
	m = msg(9, 12, "../../etc/passwd");
	store_index_enc_msg(b, STORE_REC_ADD, &m);
	cr_assert_eq(parse_one(&idx, b), -1);
	/* the UID that leaves no UIDNEXT */
	buf_reset(b);
	m = msg(UINT32_MAX, 12, "h,U=1");
	store_index_enc_msg(b, STORE_REC_ADD, &m);
	cr_assert_eq(parse_one(&idx, b), -1);
	/* expunge and abort of unknown UIDs */
	buf_reset(b);
	store_index_enc_expunge(b, 3, 20);
	cr_assert_eq(parse_one(&idx, b), -1);
	buf_reset(b);
	store_index_enc_abort(b, 30);
	cr_assert_eq(parse_one(&idx, b), -1);
	/* still good after all that */
	buf_reset(b);
	store_index_enc_flags(b, 7, STORE_FLAG_SEEN, 11, "a b");
	cr_assert_eq(parse_one(&idx, b), 1);
	cr_assert_eq(idx.n, 1);
	store_index_deinit(&idx);
	buf_free(&b);
}

Test(store_index, record_limit_at_max_and_past)
{
	struct store_index idx;
	struct buf *b = buf_new(256, 1 << 16);
	struct store_msg m = msg(1, 1, "f,U=1");
	char env[REC_MAX];
	size_t used, fixed;

	store_index_init(&idx);
	m.envelope = (char *)"";
	store_index_enc_msg(b, STORE_REC_ADD, &m);
	fixed = b->len - 8;		/* body without envelope bytes */
	buf_reset(b);
	memset(env, 'e', sizeof(env));
	env[REC_MAX - fixed] = '\0';	/* body exactly REC_MAX */
	m.envelope = env;
	store_index_enc_msg(b, STORE_REC_ADD, &m);
	cr_assert_eq(b->len - 8, REC_MAX);
	cr_assert_eq(store_index_parse_records(&idx, b->data, b->len, REC_MAX,
	    NULL, NULL, &used), 1);
	store_index_deinit(&idx);
	cr_assert_eq(store_index_parse_records(&idx, b->data, b->len,
	    REC_MAX - 1, NULL, NULL, &used), -1);
	store_index_deinit(&idx);
	/* the encoder stops at its buffer's ceiling */
	struct buf *small = buf_new(16, 64);
	cr_assert_eq(store_index_enc_msg(small, STORE_REC_ADD, &m), -1);
	cr_assert_eq(small->len, 0);
	buf_free(&small);
	buf_free(&b);
}

Test(store_index, header_round_trip_and_damage)
{
	struct store_index a, b;
	uint8_t h[STORE_INDEX_HDR_LEN];

	store_index_init(&a);
	store_index_init(&b);
	a.uidvalidity = 1234;
	a.uidnext = 99;
	a.highestmodseq = 1ull << 40;
	store_index_header_encode(&a, h);
	cr_assert_eq(store_index_header_parse(h, sizeof(h), &b), 0);
	cr_assert_eq(b.uidvalidity, 1234);
	cr_assert_eq(b.uidnext, 99);
	cr_assert_eq(b.highestmodseq, 1ull << 40);
	cr_assert_eq(store_index_header_parse(h, sizeof(h) - 1, &b), -1);
	h[9] ^= 1;
	cr_assert_eq(store_index_header_parse(h, sizeof(h), &b), -1);
}

Test(store_index, keyword_syntax)
{
	cr_assert(store_keywords_ok("", 0));
	cr_assert(store_keywords_ok("$Forwarded Work", 15));
	cr_assert_not(store_keywords_ok(" a", 2));
	cr_assert_not(store_keywords_ok("a ", 2));
	cr_assert_not(store_keywords_ok("a  b", 4));
	cr_assert_not(store_keywords_ok("\\Seen", 5));
	cr_assert_not(store_keywords_ok("a(b", 3));
	cr_assert_not(store_keywords_ok("\xc3\xa9", 2));
}

Test(store_index, crc32_known_value)
{
	cr_assert_eq(store_crc32("123456789", 9), 0xcbf43926u);
}
