/*
 * accessd/store_index.h - the tessera.index file format: a checksummed
 * header and a log of checksummed records, parsed into a folder's view.
 *
 * The file is untrusted bytes (a crash can tear it, anyone with access to
 * the disk can write it): every record carries its length and CRC-32 and
 * every record is checked against the state before it is applied (UIDs
 * strictly ascending, modseqs strictly ascending, flags and expunges only
 * for UIDs that exist, file names that are plain names). The parser is
 * pure, takes its limit explicitly and is fuzzed
 * (tests/fuzz/store_index_fuzz.c).
 *
 * Layout, all integers little-endian:
 *   header  "TSIDX\0\1\n" u32 uidvalidity u32 uidnext u64 highestmodseq
 *           u32 crc32(previous 24 bytes)                      (28 bytes)
 *   record  u32 body_len u32 crc32(body) body
 *   body    u8 type, then by type:
 *     ADD, PENDING  u32 uid u32 flags u64 modseq u64 size i64 date
 *                   s16 file s16 keywords s32 envelope s32 bodystructure
 *     ABORT         u32 uid
 *     FLAGS         u32 uid u32 flags u64 modseq s16 keywords
 *     EXPUNGE       u32 uid u64 modseq
 *     CACHE         u32 uid s32 envelope s32 bodystructure
 *   s16/s32: u16/u32 length then bytes (no NUL inside); for the cache
 *   strings a length of 0xffffffff means "not cached".
 * PENDING is written before a delivery's rename into cur/, ADD after; a
 * PENDING left behind by a writer that died is resolved by the next lock
 * holder (ADD if the file is there, ABORT if not).
 */
#ifndef ACCESSD_STORE_INDEX_H
#define ACCESSD_STORE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "accessd/store.h"

#define STORE_INDEX_HDR_LEN 28
/* Longest file name a record may carry (NAME_MAX). */
#define STORE_INDEX_FILE_MAX 255

enum store_rec_type {
	STORE_REC_ADD = 1,
	STORE_REC_PENDING = 2,
	STORE_REC_ABORT = 3,
	STORE_REC_FLAGS = 4,
	STORE_REC_EXPUNGE = 5,
	STORE_REC_CACHE = 6,
};

/* A folder's state: header values and the messages in UID order. */
struct store_index {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	struct store_msg *msgs;
	size_t n, cap;
	struct store_msg *pending;	/* PENDING not yet resolved */
	size_t npending, pcap;
	size_t records;			/* records applied since the header */
};

void store_index_init(struct store_index *idx);
/* Free everything; idx is then as after init. */
void store_index_deinit(struct store_index *idx);
/* Move src's contents into dst (deinit first), leaving src empty. */
void store_index_move(struct store_index *dst, struct store_index *src);
/* The message with uid and its position, or NULL. */
struct store_msg *store_index_find(const struct store_index *idx,
    uint32_t uid, size_t *pos_out);
/* Position of the first message with a UID >= uid (n if none). */
size_t store_index_lower_bound(const struct store_index *idx, uint32_t uid);
/* Free the strings of m. */
void store_msg_clear(struct store_msg *m);

/* CRC-32 (IEEE, as zlib) of len bytes. */
uint32_t store_crc32(const void *p, size_t len);

/* Header. parse: 0, or -1 (bad magic or CRC, uidvalidity 0). */
int store_index_header_parse(const uint8_t *p, size_t len,
    struct store_index *idx);
void store_index_header_encode(const struct store_index *idx,
    uint8_t out[STORE_INDEX_HDR_LEN]);

/* Apply the records in p[len] to idx, calling cb (NULL allowed) for each
 * change of the view. Returns 1 when every byte was a good record, 0 when
 * the bytes end inside a record (a writer's append still under way, or a
 * torn tail), -1 at a bad record (CRC, length past rec_max, content that
 * contradicts the state); *used_out is the length of the good records
 * before the stop, all of them applied. */
int store_index_parse_records(struct store_index *idx, const uint8_t *p,
    size_t len, size_t rec_max, store_change_fn cb, void *arg,
    size_t *used_out);

/* Record encoders: append one whole record to out. -1 if it does not fit
 * out's ceiling (set it to rec_max + 8). */
int store_index_enc_msg(struct buf *out, enum store_rec_type type,
    const struct store_msg *m);
int store_index_enc_flags(struct buf *out, uint32_t uid, uint32_t flags,
    uint64_t modseq, const char *keywords);
int store_index_enc_expunge(struct buf *out, uint32_t uid, uint64_t modseq);
int store_index_enc_abort(struct buf *out, uint32_t uid);
int store_index_enc_cache(struct buf *out, uint32_t uid,
    const char *envelope, const char *bodystructure);

/* Whether s[len] is a keyword list we store: space-separated atoms of
 * printable ASCII without ()[]{}%*"\ (RFC 3501 flag-keyword), none
 * starting with '\'. */
int store_keywords_ok(const char *s, size_t len);

#endif
