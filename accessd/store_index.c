/*
 * accessd/store_index.c - encode and parse tessera.index (format in
 * store_index.h) and keep a folder's view in UID order.
 *
 * Runs in accessd session processes and admin tools. The bytes come from
 * disk and are not trusted: lengths are checked before every read, a
 * record is applied only when its CRC matches and it agrees with the
 * state, and nothing here touches a file.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "accessd/store_index.h"
#include "lib/banned.h"

static const uint8_t magic[8] = { 'T', 'S', 'I', 'D', 'X', 0, 1, '\n' };

uint32_t
store_crc32(const void *p, size_t len)
{
	static const uint32_t nib[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const uint8_t *b = p;
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		c ^= b[i];
		c = (c >> 4) ^ nib[c & 0xf];
		c = (c >> 4) ^ nib[c & 0xf];
	}
	return c ^ 0xffffffffu;
}

void
store_index_init(struct store_index *idx)
{
	memset(idx, 0, sizeof(*idx));
}

void
store_msg_clear(struct store_msg *m)
{
	free(m->file);
	free(m->keywords);
	free(m->envelope);
	free(m->bodystructure);
	memset(m, 0, sizeof(*m));
}

void
store_index_deinit(struct store_index *idx)
{
	for (size_t i = 0; i < idx->n; i++)
		store_msg_clear(&idx->msgs[i]);
	for (size_t i = 0; i < idx->npending; i++)
		store_msg_clear(&idx->pending[i]);
	free(idx->msgs);
	free(idx->pending);
	store_index_init(idx);
}

void
store_index_move(struct store_index *dst, struct store_index *src)
{
	store_index_deinit(dst);
	*dst = *src;
	store_index_init(src);
}

struct store_msg *
store_index_find(const struct store_index *idx, uint32_t uid,
    size_t *pos_out)
{
	size_t lo = 0, hi = idx->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (idx->msgs[mid].uid == uid) {
			if (pos_out != NULL)
				*pos_out = mid;
			return &idx->msgs[mid];
		}
		if (idx->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t
store_index_lower_bound(const struct store_index *idx, uint32_t uid)
{
	size_t lo = 0, hi = idx->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (idx->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- little-endian helpers ------------------------------------------- */

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- header ---------------------------------------------------------- */

int
store_index_header_parse(const uint8_t *p, size_t len,
    struct store_index *idx)
{
	if (len < STORE_INDEX_HDR_LEN || memcmp(p, magic, 8) != 0 ||
	    get32(p + 24) != store_crc32(p, 24) || get32(p + 8) == 0)
		return -1;
	idx->uidvalidity = get32(p + 8);
	idx->uidnext = get32(p + 12);
	idx->highestmodseq = get64(p + 16);
	if (idx->uidnext == 0)
		idx->uidnext = 1;
	return 0;
}

void
store_index_header_encode(const struct store_index *idx,
    uint8_t out[STORE_INDEX_HDR_LEN])
{
	memcpy(out, magic, 8);
	put32(out + 8, idx->uidvalidity);
	put32(out + 12, idx->uidnext);
	put64(out + 16, idx->highestmodseq);
	put32(out + 24, store_crc32(out, 24));
}

/* ---- encoding -------------------------------------------------------- */

struct enc {
	struct buf *out;
	size_t start;
	int fail;
};

static void
enc_bytes(struct enc *e, const void *p, size_t n)
{
	if (!e->fail && buf_append(e->out, p, n) == -1)
		e->fail = 1;
}

static void
enc_u8(struct enc *e, uint8_t v)
{
	enc_bytes(e, &v, 1);
}

static void
enc_u32(struct enc *e, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	enc_bytes(e, b, 4);
}

static void
enc_u64(struct enc *e, uint64_t v)
{
	uint8_t b[8];

	put64(b, v);
	enc_bytes(e, b, 8);
}

static void
enc_s16(struct enc *e, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	uint8_t b[2] = { (uint8_t)n, (uint8_t)(n >> 8) };

	if (n > 0xffff) {
		e->fail = 1;
		return;
	}
	enc_bytes(e, b, 2);
	enc_bytes(e, s, n);
}

static void
enc_s32(struct enc *e, const char *s)
{
	if (s == NULL) {
		enc_u32(e, 0xffffffffu);
		return;
	}
	size_t n = strlen(s);
	if (n >= 0xffffffffu) {
		e->fail = 1;
		return;
	}
	enc_u32(e, (uint32_t)n);
	enc_bytes(e, s, n);
}

static void
enc_begin(struct enc *e, struct buf *out, enum store_rec_type type)
{
	e->out = out;
	e->start = out->len;
	e->fail = 0;
	enc_u32(e, 0);
	enc_u32(e, 0);
	enc_u8(e, (uint8_t)type);
}

static int
enc_end(struct enc *e)
{
	size_t body;

	if (e->fail) {
		buf_truncate(e->out, e->start);
		return -1;
	}
	body = e->out->len - e->start - 8;
	put32(e->out->data + e->start, (uint32_t)body);
	put32(e->out->data + e->start + 4,
	    store_crc32(e->out->data + e->start + 8, body));
	return 0;
}

int
store_index_enc_msg(struct buf *out, enum store_rec_type type,
    const struct store_msg *m)
{
	struct enc e;

	enc_begin(&e, out, type);
	enc_u32(&e, m->uid);
	enc_u32(&e, m->flags);
	enc_u64(&e, m->modseq);
	enc_u64(&e, m->size);
	enc_u64(&e, (uint64_t)m->internal_date);
	enc_s16(&e, m->file);
	enc_s16(&e, m->keywords);
	enc_s32(&e, m->envelope);
	enc_s32(&e, m->bodystructure);
	return enc_end(&e);
}

int
store_index_enc_flags(struct buf *out, uint32_t uid, uint32_t flags,
    uint64_t modseq, const char *keywords)
{
	struct enc e;

	enc_begin(&e, out, STORE_REC_FLAGS);
	enc_u32(&e, uid);
	enc_u32(&e, flags);
	enc_u64(&e, modseq);
	enc_s16(&e, keywords);
	return enc_end(&e);
}

int
store_index_enc_expunge(struct buf *out, uint32_t uid, uint64_t modseq)
{
	struct enc e;

	enc_begin(&e, out, STORE_REC_EXPUNGE);
	enc_u32(&e, uid);
	enc_u64(&e, modseq);
	return enc_end(&e);
}

int
store_index_enc_abort(struct buf *out, uint32_t uid)
{
	struct enc e;

	enc_begin(&e, out, STORE_REC_ABORT);
	enc_u32(&e, uid);
	return enc_end(&e);
}

int
store_index_enc_cache(struct buf *out, uint32_t uid, const char *envelope,
    const char *bodystructure)
{
	struct enc e;

	enc_begin(&e, out, STORE_REC_CACHE);
	enc_u32(&e, uid);
	enc_s32(&e, envelope);
	enc_s32(&e, bodystructure);
	return enc_end(&e);
}

/* ---- decoding -------------------------------------------------------- */

struct dec {
	const uint8_t *p;
	size_t len, off;
	int fail;
};

static int
dec_need(struct dec *d, size_t n)
{
	if (d->fail || d->len - d->off < n) {
		d->fail = 1;
		return -1;
	}
	return 0;
}

static uint32_t
dec_u32(struct dec *d)
{
	uint32_t v;

	if (dec_need(d, 4) == -1)
		return 0;
	v = get32(d->p + d->off);
	d->off += 4;
	return v;
}

static uint64_t
dec_u64(struct dec *d)
{
	uint64_t v;

	if (dec_need(d, 8) == -1)
		return 0;
	v = get64(d->p + d->off);
	d->off += 8;
	return v;
}

/* A string of n bytes without NULs, copied; NULL on failure. */
static char *
dec_bytes(struct dec *d, size_t n)
{
	if (dec_need(d, n) == -1)
		return NULL;
	if (memchr(d->p + d->off, '\0', n) != NULL) {
		d->fail = 1;
		return NULL;
	}
	d->off += n;
	return xstrndup((const char *)d->p + d->off - n, n);
}

static char *
dec_s16(struct dec *d)
{
	size_t n;

	if (dec_need(d, 2) == -1)
		return NULL;
	n = (size_t)d->p[d->off] | (size_t)d->p[d->off + 1] << 8;
	d->off += 2;
	return dec_bytes(d, n);
}

/* Cache string: *out NULL for "not cached". */
static void
dec_s32(struct dec *d, char **out)
{
	uint32_t n = dec_u32(d);

	*out = NULL;
	if (!d->fail && n != 0xffffffffu)
		*out = dec_bytes(d, n);
}

static int
file_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= STORE_INDEX_FILE_MAX && s[0] != '.' &&
	    strchr(s, '/') == NULL;
}

int
store_keywords_ok(const char *s, size_t len)
{
	int at_start = 1;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ') {
			if (at_start)
				return 0;	/* empty atom */
			at_start = 1;
			continue;
		}
		if (c <= 0x20 || c >= 0x7f || strchr("(){}[]%*\"\\", c) != NULL)
			return 0;
		at_start = 0;
	}
	return len == 0 || !at_start;
}

static int
msg_decode(struct dec *d, struct store_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->uid = dec_u32(d);
	m->flags = dec_u32(d);
	m->modseq = dec_u64(d);
	m->size = dec_u64(d);
	m->internal_date = (int64_t)dec_u64(d);
	m->file = dec_s16(d);
	m->keywords = dec_s16(d);
	dec_s32(d, &m->envelope);
	dec_s32(d, &m->bodystructure);
	/* the largest UID leaves room for a UIDNEXT (RFC 3501 2.3.1.1) */
	if (d->fail || m->uid == 0 || m->uid == UINT32_MAX ||
	    (m->flags & ~STORE_FLAG_ALL) != 0 ||
	    !file_name_ok(m->file) ||
	    !store_keywords_ok(m->keywords, strlen(m->keywords)))
		return -1;
	return 0;
}

static void
push_msg(struct store_msg **arr, size_t *n, size_t *cap,
    const struct store_msg *m)
{
	if (*n == *cap) {
		*cap = *cap != 0 ? *cap * 2 : 64;
		*arr = xreallocarray(*arr, *cap, sizeof(**arr));
	}
	(*arr)[(*n)++] = *m;
}

static struct store_msg *
find_pending(struct store_index *idx, uint32_t uid, size_t *pos)
{
	for (size_t i = 0; i < idx->npending; i++)
		if (idx->pending[i].uid == uid) {
			*pos = i;
			return &idx->pending[i];
		}
	return NULL;
}

static void
drop_pending(struct store_index *idx, size_t i)
{
	store_msg_clear(&idx->pending[i]);
	memmove(&idx->pending[i], &idx->pending[i + 1],
	    (idx->npending - i - 1) * sizeof(idx->pending[0]));
	idx->npending--;
}

/* ADD or PENDING. */
static int
apply_msg(struct store_index *idx, struct dec *d, int pending,
    store_change_fn cb, void *arg)
{
	struct store_msg m;
	size_t pi;

	if (msg_decode(d, &m) == -1 || m.modseq == 0)
		goto bad;
	if (pending) {
		/* a new UID, above every message and every other pending */
		if (m.uid < idx->uidnext || find_pending(idx, m.uid, &pi) != NULL)
			goto bad;
		for (size_t i = 0; i < idx->npending; i++)
			if (idx->pending[i].uid > m.uid)
				goto bad;
		push_msg(&idx->pending, &idx->npending, &idx->pcap, &m);
		return 0;
	}
	/* a compacted index starts with UIDNEXT in its header and lists
	 * the messages below it, so an ADD only has to ascend */
	if (find_pending(idx, m.uid, &pi) != NULL)
		drop_pending(idx, pi);
	/* an ADD's modseq need not ascend: a compacted index lists the
	 * messages in UID order with the modseqs they had */
	if (idx->n > 0 && idx->msgs[idx->n - 1].uid >= m.uid)
		goto bad;
	push_msg(&idx->msgs, &idx->n, &idx->cap, &m);
	if (m.modseq > idx->highestmodseq)
		idx->highestmodseq = m.modseq;
	if (m.uid >= idx->uidnext)
		idx->uidnext = m.uid + 1;
	if (cb != NULL)
		cb(arg, STORE_CHANGE_NEW, &idx->msgs[idx->n - 1], idx->n - 1);
	return 0;
bad:
	store_msg_clear(&m);
	return -1;
}

static int
apply_abort(struct store_index *idx, struct dec *d)
{
	uint32_t uid = dec_u32(d);
	size_t pi;

	if (d->fail || find_pending(idx, uid, &pi) == NULL)
		return -1;
	drop_pending(idx, pi);
	if (uid >= idx->uidnext)
		idx->uidnext = uid + 1;
	return 0;
}

static int
apply_flags(struct store_index *idx, struct dec *d, store_change_fn cb,
    void *arg)
{
	uint32_t uid = dec_u32(d), flags = dec_u32(d);
	uint64_t modseq = dec_u64(d);
	char *kw = dec_s16(d);
	struct store_msg *m;
	size_t pos;

	if (d->fail || (flags & ~STORE_FLAG_ALL) != 0 ||
	    modseq <= idx->highestmodseq ||
	    !store_keywords_ok(kw, strlen(kw)) ||
	    (m = store_index_find(idx, uid, &pos)) == NULL) {
		free(kw);
		return -1;
	}
	m->flags = flags;
	m->modseq = modseq;
	free(m->keywords);
	m->keywords = kw;
	idx->highestmodseq = modseq;
	if (cb != NULL)
		cb(arg, STORE_CHANGE_FLAGS, m, pos);
	return 0;
}

static int
apply_expunge(struct store_index *idx, struct dec *d, store_change_fn cb,
    void *arg)
{
	uint32_t uid = dec_u32(d);
	uint64_t modseq = dec_u64(d);
	struct store_msg *m;
	size_t pos;

	if (d->fail || modseq <= idx->highestmodseq ||
	    (m = store_index_find(idx, uid, &pos)) == NULL)
		return -1;
	if (cb != NULL)
		cb(arg, STORE_CHANGE_EXPUNGE, m, pos);
	store_msg_clear(m);
	memmove(&idx->msgs[pos], &idx->msgs[pos + 1],
	    (idx->n - pos - 1) * sizeof(idx->msgs[0]));
	idx->n--;
	idx->highestmodseq = modseq;
	return 0;
}

static int
apply_cache(struct store_index *idx, struct dec *d)
{
	uint32_t uid = dec_u32(d);
	char *env, *bs;
	struct store_msg *m;

	dec_s32(d, &env);
	dec_s32(d, &bs);
	if (d->fail || (m = store_index_find(idx, uid, NULL)) == NULL) {
		free(env);
		free(bs);
		return -1;
	}
	free(m->envelope);
	free(m->bodystructure);
	m->envelope = env;
	m->bodystructure = bs;
	return 0;
}

static int
apply_body(struct store_index *idx, const uint8_t *body, size_t len,
    store_change_fn cb, void *arg)
{
	struct dec d = { .p = body, .len = len, .off = 1 };
	int rc;

	switch (body[0]) {
	case STORE_REC_ADD:
		rc = apply_msg(idx, &d, 0, cb, arg);
		break;
	case STORE_REC_PENDING:
		rc = apply_msg(idx, &d, 1, cb, arg);
		break;
	case STORE_REC_ABORT:
		rc = apply_abort(idx, &d);
		break;
	case STORE_REC_FLAGS:
		rc = apply_flags(idx, &d, cb, arg);
		break;
	case STORE_REC_EXPUNGE:
		rc = apply_expunge(idx, &d, cb, arg);
		break;
	case STORE_REC_CACHE:
		rc = apply_cache(idx, &d);
		break;
	default:
		return -1;
	}
	/* a record says exactly its body: trailing bytes are damage */
	if (rc == 0 && d.off != len)
		return -1;
	return rc;
}

int
store_index_parse_records(struct store_index *idx, const uint8_t *p,
    size_t len, size_t rec_max, store_change_fn cb, void *arg,
    size_t *used_out)
{
	size_t off = 0;
	int rc = 1;

	while (off < len) {
		uint32_t blen, crc;

		if (len - off < 8) {
			rc = 0;
			break;
		}
		blen = get32(p + off);
		crc = get32(p + off + 4);
		if (blen == 0 || blen > rec_max) {
			rc = -1;
			break;
		}
		if (len - off - 8 < blen) {
			rc = 0;
			break;
		}
		if (store_crc32(p + off + 8, blen) != crc ||
		    apply_body(idx, p + off + 8, blen, cb, arg) == -1) {
			rc = -1;
			break;
		}
		idx->records++;
		off += 8 + (size_t)blen;
	}
	*used_out = off;
	return rc;
}
