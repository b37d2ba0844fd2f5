/*
 * tests/fuzz/store_index_fuzz.c - fuzz target for the tessera.index parser
 * (accessd/store_index.c): header, then records, as a folder open reads
 * them from disk.
 *
 * Invariants beyond "does not crash":
 *  - the parser reports how far the good records reach, never past the
 *    input, and says "complete" exactly when it reached the end;
 *  - the view it builds is sane: UIDs non-zero, strictly ascending and
 *    below UIDNEXT, modseqs at most HIGHESTMODSEQ, flags known, file
 *    names plain, keywords well-formed;
 *  - the view written out again as a compacted index (header + one ADD
 *    per message) parses back to the same view.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "accessd/store_index.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REC_MAX 8192

static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
check_sane(const struct store_index *idx)
{
	for (size_t i = 0; i < idx->n; i++) {
		const struct store_msg *m = &idx->msgs[i];

		if (m->uid == 0 || m->uid >= idx->uidnext ||
		    (i > 0 && m->uid <= idx->msgs[i - 1].uid) ||
		    m->modseq > idx->highestmodseq ||
		    (m->flags & ~STORE_FLAG_ALL) != 0 ||
		    m->file == NULL || strchr(m->file, '/') != NULL ||
		    m->file[0] == '.' || m->keywords == NULL ||
		    !store_keywords_ok(m->keywords, strlen(m->keywords)))
			abort();
	}
}

static void
check_round_trip(const struct store_index *idx)
{
	struct buf *b = buf_new(256, 1 << 24), *rec = buf_new(256, REC_MAX + 8);
	uint8_t hdr[STORE_INDEX_HDR_LEN];
	struct store_index again;
	size_t used;

	store_index_header_encode(idx, hdr);
	buf_append(b, hdr, sizeof(hdr));
	for (size_t i = 0; i < idx->n; i++) {
		buf_reset(rec);
		if (store_index_enc_msg(rec, STORE_REC_ADD, &idx->msgs[i]) == -1)
			abort();	/* it was parsed within REC_MAX */
		buf_append(b, rec->data, rec->len);
	}
	store_index_init(&again);
	if (store_index_header_parse(b->data, b->len, &again) == -1 ||
	    store_index_parse_records(&again, b->data + STORE_INDEX_HDR_LEN,
	    b->len - STORE_INDEX_HDR_LEN, REC_MAX, NULL, NULL, &used) != 1 ||
	    again.n != idx->n || again.uidnext != idx->uidnext ||
	    again.highestmodseq != idx->highestmodseq ||
	    again.uidvalidity != idx->uidvalidity)
		abort();
	for (size_t i = 0; i < idx->n; i++) {
		const struct store_msg *x = &idx->msgs[i], *y = &again.msgs[i];

		if (x->uid != y->uid || x->flags != y->flags ||
		    x->modseq != y->modseq || x->size != y->size ||
		    x->internal_date != y->internal_date ||
		    !str_same(x->file, y->file) ||
		    !str_same(x->keywords, y->keywords) ||
		    !str_same(x->envelope, y->envelope) ||
		    !str_same(x->bodystructure, y->bodystructure))
			abort();
	}
	store_index_deinit(&again);
	buf_free(&rec);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_index idx;
	size_t used = 0;
	int rc;

	store_index_init(&idx);
	if (store_index_header_parse(data, size, &idx) == -1)
		return 0;
	rc = store_index_parse_records(&idx, data + STORE_INDEX_HDR_LEN,
	    size - STORE_INDEX_HDR_LEN, REC_MAX, NULL, NULL, &used);
	if (used > size - STORE_INDEX_HDR_LEN ||
	    (rc == 1) != (used == size - STORE_INDEX_HDR_LEN))
		abort();
	check_sane(&idx);
	check_round_trip(&idx);
	store_index_deinit(&idx);
	return 0;
}
