/*
 * accessd/imapd_search.c - SEARCH and UID SEARCH (RFC 3501 6.4.4): every
 * search key of RFC 3501 with nested OR, NOT and parenthesised lists,
 * CHARSET UTF-8 / US-ASCII ([BADCHARSET] otherwise). Header keys match
 * the RFC 2047-decoded value, BODY and TEXT the decoded text of the text
 * parts, case-insensitively (ASCII letters).
 *
 * Runs in accessd's IMAP session processes. The key tree is bounded by
 * [accessd.imap] search_keys_max (keys) and depth_max (nesting, NOT and
 * OR chains included); messages are read only when a key needs their
 * bytes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mime.h"
#include "lib/mime_text.h"
#include "lib/msg_date.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "accessd/imapd.h"
#include "lib/banned.h"

/* Bytes of a decoded header value or message text compared. */
#define SEARCH_TEXT_MAX (16u * 1024 * 1024)

enum key_kind {
	K_ALL, K_AND, K_OR, K_NOT, K_FLAG, K_UNFLAG, K_KEYWORD, K_UNKEYWORD,
	K_NEW, K_OLD, K_RECENT, K_LARGER, K_SMALLER, K_BEFORE, K_ON, K_SINCE,
	K_SENTBEFORE, K_SENTON, K_SENTSINCE, K_HEADER, K_BODY, K_TEXT, K_UID,
	K_SEQ,
};

struct key {
	enum key_kind kind;
	struct key *a, *b;		/* NOT: a; OR: a, b; AND: list */
	struct key **v;
	size_t n;
	uint32_t flag;
	const char *s;			/* keyword, header name */
	const char *value;		/* string to find */
	uint64_t num;			/* size; day number for dates */
	struct imap_range *set;		/* UID / sequence set */
	size_t n_set;
};

struct sp {
	struct imapd *d;
	const struct imap_arg *args;
	size_t n, pos;
	size_t keys;
	const char *err;
};

/* One message being tested: its header or its bytes are read on first
 * need. */
struct target {
	struct imapd *d;
	const struct store_msg *m;
	uint32_t msn;
	struct pool *pool;
	struct buf *bytes;
	struct mime_message *msg;	/* the whole message (load) */
	struct mime_message *head;	/* its header only (headers) */
	bool loaded, failed, head_loaded;
	char *text;			/* decoded text of the text parts */
};

static struct key *parse_key(struct sp *p, size_t depth);

static const struct imap_arg *
next_arg(struct sp *p)
{
	if (p->pos >= p->n) {
		p->err = "Missing search argument";
		return NULL;
	}
	return &p->args[p->pos++];
}

static const char *
next_string(struct sp *p)
{
	const struct imap_arg *a = next_arg(p);

	if (a == NULL || !imap_arg_is_astring(a)) {
		p->err = "Bad search string";
		return NULL;
	}
	return a->s;
}

/* d-Mon-yyyy as a day number. */
static int
parse_day(const char *s, uint64_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4] = "";
	int day, year, n = 0;
	const char *m;

	if (sscanf(s, "%2d-%3c-%4d%n", &day, mon, &year, &n) != 3 ||
	    s[n] != '\0' || day < 1 || day > 31 || year < 1)
		return -1;
	for (int i = 0; i < 3; i++)
		mon[i] = (char)(i == 0 ? (mon[i] & ~0x20) : (mon[i] | 0x20));
	if ((m = strstr(months, mon)) == NULL || (m - months) % 3 != 0)
		return -1;
	*out = (uint64_t)(msg_date_days(year, (int)((m - months) / 3) + 1,
	    day) + 1000000);
	return 0;
}

static struct key *
new_key(struct sp *p, enum key_kind kind)
{
	struct key *k;

	if (++p->keys > (size_t)p->d->ic->search_keys_max) {
		p->err = "[LIMIT] Too many search keys";
		return NULL;
	}
	k = pool_alloc(p->d->cmd_pool, sizeof(*k));
	k->kind = kind;
	return k;
}

static const struct {
	const char *name;
	enum key_kind kind;
	uint32_t flag;
} simple[] = {
	{ "ALL", K_ALL, 0 },
	{ "ANSWERED", K_FLAG, STORE_FLAG_ANSWERED },
	{ "DELETED", K_FLAG, STORE_FLAG_DELETED },
	{ "DRAFT", K_FLAG, STORE_FLAG_DRAFT },
	{ "FLAGGED", K_FLAG, STORE_FLAG_FLAGGED },
	{ "SEEN", K_FLAG, STORE_FLAG_SEEN },
	{ "UNANSWERED", K_UNFLAG, STORE_FLAG_ANSWERED },
	{ "UNDELETED", K_UNFLAG, STORE_FLAG_DELETED },
	{ "UNDRAFT", K_UNFLAG, STORE_FLAG_DRAFT },
	{ "UNFLAGGED", K_UNFLAG, STORE_FLAG_FLAGGED },
	{ "UNSEEN", K_UNFLAG, STORE_FLAG_SEEN },
	{ "NEW", K_NEW, 0 }, { "OLD", K_OLD, 0 }, { "RECENT", K_RECENT, 0 },
};

static const struct {
	const char *name;
	enum key_kind kind;
} dated[] = {
	{ "BEFORE", K_BEFORE }, { "ON", K_ON }, { "SINCE", K_SINCE },
	{ "SENTBEFORE", K_SENTBEFORE }, { "SENTON", K_SENTON },
	{ "SENTSINCE", K_SENTSINCE },
};

static const char *const header_keys[] = { "FROM", "TO", "CC", "BCC",
	"SUBJECT" };

/* A list of keys (all must match) from args[pos..n). */
static struct key *
parse_list(struct sp *p, size_t depth)
{
	struct key *k;
	size_t cap = 0;

	if (depth > 0) {
		/* a parenthesized list is a search key of its own */
		if ((k = new_key(p, K_AND)) == NULL)
			return NULL;
	} else {
		/* the command's keys: not one more of them */
		k = pool_alloc(p->d->cmd_pool, sizeof(*k));
		k->kind = K_AND;
	}
	while (p->pos < p->n) {
		struct key *c = parse_key(p, depth);

		if (c == NULL)
			return NULL;
		if (k->n == cap) {
			struct key **nv;

			cap = cap ? cap * 2 : 8;
			nv = pool_alloc(p->d->cmd_pool, cap * sizeof(*nv));
			if (k->n > 0)
				memcpy(nv, k->v, k->n * sizeof(*nv));
			k->v = nv;
		}
		k->v[k->n++] = c;
	}
	return k;
}

static struct key *
parse_word_key(struct sp *p, const struct imap_arg *a, size_t depth)
{
	struct key *k;
	const char *w = a->s;

	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (str_eq_ci(w, simple[i].name)) {
			if ((k = new_key(p, simple[i].kind)) != NULL)
				k->flag = simple[i].flag;
			return k;
		}
	}
	for (size_t i = 0; i < sizeof(dated) / sizeof(dated[0]); i++) {
		if (str_eq_ci(w, dated[i].name)) {
			const char *s = next_string(p);

			if (s == NULL || (k = new_key(p, dated[i].kind)) ==
			    NULL)
				return NULL;
			if (parse_day(s, &k->num) == -1) {
				p->err = "Bad date";
				return NULL;
			}
			return k;
		}
	}
	for (size_t i = 0; i < sizeof(header_keys) / sizeof(header_keys[0]);
	    i++) {
		if (str_eq_ci(w, header_keys[i])) {
			if ((k = new_key(p, K_HEADER)) == NULL)
				return NULL;
			k->s = header_keys[i];
			k->value = next_string(p);
			return k->value != NULL ? k : NULL;
		}
	}
	if (str_eq_ci(w, "HEADER")) {
		if ((k = new_key(p, K_HEADER)) == NULL ||
		    (k->s = next_string(p)) == NULL ||
		    (k->value = next_string(p)) == NULL)
			return NULL;
		return k;
	}
	if (str_eq_ci(w, "BODY") || str_eq_ci(w, "TEXT")) {
		if ((k = new_key(p, str_eq_ci(w, "BODY") ? K_BODY : K_TEXT)) ==
		    NULL || (k->value = next_string(p)) == NULL)
			return NULL;
		return k;
	}
	if (str_eq_ci(w, "KEYWORD") || str_eq_ci(w, "UNKEYWORD")) {
		const struct imap_arg *f = next_arg(p);

		if (f == NULL || f->kind != IMAP_ARG_ATOM || f->s[0] == '\\' ||
		    (k = new_key(p, str_eq_ci(w, "KEYWORD") ? K_KEYWORD :
		    K_UNKEYWORD)) == NULL) {
			if (p->err == NULL)
				p->err = "Bad keyword";
			return NULL;
		}
		k->s = f->s;
		return k;
	}
	if (str_eq_ci(w, "LARGER") || str_eq_ci(w, "SMALLER")) {
		const struct imap_arg *f = next_arg(p);

		if (f == NULL || (k = new_key(p, str_eq_ci(w, "LARGER") ?
		    K_LARGER : K_SMALLER)) == NULL)
			return NULL;
		if (imap_arg_number(f, UINT32_MAX, &k->num) == -1) {
			p->err = "Bad number";
			return NULL;
		}
		return k;
	}
	if (str_eq_ci(w, "NOT")) {
		if ((k = new_key(p, K_NOT)) == NULL ||
		    (k->a = parse_key(p, depth + 1)) == NULL)
			return NULL;
		return k;
	}
	if (str_eq_ci(w, "OR")) {
		if ((k = new_key(p, K_OR)) == NULL ||
		    (k->a = parse_key(p, depth + 1)) == NULL ||
		    (k->b = parse_key(p, depth + 1)) == NULL)
			return NULL;
		return k;
	}
	if (str_eq_ci(w, "UID")) {
		const struct imap_arg *f = next_arg(p);

		if (f == NULL || (k = new_key(p, K_UID)) == NULL)
			return NULL;
		if (f->kind != IMAP_ARG_ATOM || imap_seqset_parse(f->s, f->len,
		    p->d->lim.ranges_max, p->d->cmd_pool, &k->set,
		    &k->n_set) == -1) {
			p->err = "Bad UID set";
			return NULL;
		}
		imap_seqset_resolve(k->set, k->n_set, p->d->n > 0 ?
		    p->d->uids[p->d->n - 1] : 0);
		return k;
	}
	if ((w[0] >= '0' && w[0] <= '9') || w[0] == '*') {
		if ((k = new_key(p, K_SEQ)) == NULL)
			return NULL;
		if (imap_seqset_parse(w, a->len, p->d->lim.ranges_max,
		    p->d->cmd_pool, &k->set, &k->n_set) == -1) {
			p->err = "Bad sequence set";
			return NULL;
		}
		imap_seqset_resolve(k->set, k->n_set, (uint32_t)p->d->n);
		return k;
	}
	p->err = "Unknown search key";
	return NULL;
}

static struct key *
parse_key(struct sp *p, size_t depth)
{
	const struct imap_arg *a;

	if (depth > (size_t)p->d->ic->depth_max) {
		p->err = "[LIMIT] Search keys nested too deeply";
		return NULL;
	}
	if ((a = next_arg(p)) == NULL)
		return NULL;
	if (a->kind == IMAP_ARG_LIST) {
		struct sp sub = { .d = p->d, .args = a->list, .n = a->n,
			.keys = p->keys };
		struct key *k;

		if (a->n == 0) {
			p->err = "Empty search list";
			return NULL;
		}
		k = parse_list(&sub, depth + 1);
		p->keys = sub.keys;
		if (k == NULL)
			p->err = sub.err;
		return k;
	}
	if (a->kind != IMAP_ARG_ATOM) {
		p->err = "Bad search key";
		return NULL;
	}
	return parse_word_key(p, a, depth);
}

/* ---- evaluation ------------------------------------------------------- */

static bool
load(struct target *t)
{
	struct msg_limits lim;

	if (t->loaded)
		return !t->failed;
	t->loaded = true;
	buf_reset(t->bytes);
	buf_reset(t->d->err);
	if (store_msg_read(t->d->f, t->m->uid, t->bytes, t->d->err) !=
	    STORE_OK) {
		t->failed = true;
		return false;
	}
	msg_limits_defaults(&lim);
	t->msg = mime_parse(t->pool, t->bytes->data, t->bytes->len, &lim);
	return true;
}

/* The message parsed far enough for its top-level header fields: only
 * its header is read unless the whole message was already; NULL if it
 * cannot be read. */
static struct mime_message *
headers(struct target *t)
{
	struct msg_limits lim;

	if (t->loaded)
		return t->failed ? NULL : t->msg;
	if (t->head_loaded)
		return t->head;
	t->head_loaded = true;
	buf_reset(t->bytes);
	buf_reset(t->d->err);
	if (store_msg_read_head(t->d->f, t->m->uid, t->bytes, t->d->err) !=
	    STORE_OK)
		return NULL;
	msg_limits_defaults(&lim);
	t->head = mime_parse(t->pool, t->bytes->data, t->bytes->len, &lim);
	return t->head;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive (ASCII) substring search in hay[len]: both folded
 * to lower case, then memmem (linear time, whatever the needle). */
static bool
contains(const char *hay, size_t len, const char *needle)
{
	size_t nl = strlen(needle);
	char *h, *n;
	bool found;

	if (nl == 0)
		return true;
	if (nl > len)
		return false;
	h = xmalloc(len + 1);
	n = xmalloc(nl + 1);
	for (size_t i = 0; i < len; i++)
		h[i] = lower(hay[i]);
	for (size_t i = 0; i < nl; i++)
		n[i] = lower(needle[i]);
	found = memmem(h, len, n, nl) != NULL;
	free(h);
	free(n);
	return found;
}

static const char *
body_text(struct target *t)
{
	struct buf *b;

	if (t->text != NULL)
		return t->text;
	b = buf_new(4096, SEARCH_TEXT_MAX);
	for (struct mime_part *p = t->msg->root; p != NULL;
	    p = mime_part_next(t->msg->root, p)) {
		if (mime_part_is_text(p) && mime_part_text(t->msg, p, b) == 0)
			buf_append_byte(b, '\n');
	}
	t->text = pool_strdup(t->pool, buf_cstr(b));
	buf_free(&b);
	return t->text;
}

static bool
header_has(struct target *t, const char *name, const char *value)
{
	struct mime_message *msg = headers(t);
	char *v;

	if (msg == NULL)
		return false;
	v = mime_header_text(t->pool, msg, msg->root, name, SEARCH_TEXT_MAX);
	if (v == NULL)
		return false;
	return contains(v, strlen(v), value);
}

static bool
has_keyword(const char *kws, const char *kw)
{
	size_t l = strlen(kw);

	for (const char *p = kws; (p = strstr(p, kw)) != NULL; p += l)
		if ((p == kws || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\0'))
			return true;
	return false;
}

static uint64_t
day_of(int64_t t)
{
	return (uint64_t)(t / 86400 + (t < 0 && t % 86400 ? -1 : 0) + 1000000);
}

static int64_t
sent_day(struct target *t)
{
	struct mime_message *msg = headers(t);
	char *v;
	time_t when;

	if (msg == NULL)
		return -1;
	v = mime_header_text(t->pool, msg, msg->root, "Date", 1024);
	if (v == NULL || msg_date_parse(v, strlen(v), &when, NULL) == -1)
		return -1;
	return (int64_t)day_of((int64_t)when);
}

static bool
eval(const struct key *k, struct target *t)
{
	const struct store_msg *m = t->m;
	bool recent = imapd_is_recent(t->d, m->uid);
	int64_t sd;

	switch (k->kind) {
	case K_ALL:
		return true;
	case K_AND:
		for (size_t i = 0; i < k->n; i++)
			if (!eval(k->v[i], t))
				return false;
		return true;
	case K_OR:
		return eval(k->a, t) || eval(k->b, t);
	case K_NOT:
		return !eval(k->a, t);
	case K_FLAG:
		return (m->flags & k->flag) != 0;
	case K_UNFLAG:
		return (m->flags & k->flag) == 0;
	case K_KEYWORD:
		return has_keyword(m->keywords, k->s);
	case K_UNKEYWORD:
		return !has_keyword(m->keywords, k->s);
	case K_NEW:
		return recent && !(m->flags & STORE_FLAG_SEEN);
	case K_OLD:
		return !recent;
	case K_RECENT:
		return recent;
	case K_LARGER:
		return m->size > k->num;
	case K_SMALLER:
		return m->size < k->num;
	case K_BEFORE:
		return day_of(m->internal_date) < k->num;
	case K_ON:
		return day_of(m->internal_date) == k->num;
	case K_SINCE:
		return day_of(m->internal_date) >= k->num;
	case K_SENTBEFORE:
		sd = sent_day(t);
		return sd >= 0 && (uint64_t)sd < k->num;
	case K_SENTON:
		sd = sent_day(t);
		return sd >= 0 && (uint64_t)sd == k->num;
	case K_SENTSINCE:
		sd = sent_day(t);
		return sd >= 0 && (uint64_t)sd >= k->num;
	case K_HEADER:
		return header_has(t, k->s, k->value);
	case K_BODY:
		if (!load(t))
			return false;
		return contains(body_text(t), strlen(body_text(t)), k->value);
	case K_TEXT:
		if (!load(t))
			return false;
		return contains((const char *)t->bytes->data,
		    t->msg->root->hdr_size, k->value) ||
		    contains(body_text(t), strlen(body_text(t)), k->value);
	case K_UID:
		return imap_seqset_has(k->set, k->n_set, m->uid);
	case K_SEQ:
		return imap_seqset_has(k->set, k->n_set, t->msn);
	}
	return false;
}

void
imapd_cmd_search(struct imapd *d, struct imap_cmd *c)
{
	struct sp p = { .d = d, .args = c->args, .n = c->n_args };
	struct buf *out, *bytes;
	struct key *k;

	if (p.n >= 2 && imap_arg_is_atom(&c->args[0], "CHARSET")) {
		if (!imap_arg_is_astring(&c->args[1])) {
			imapd_tagged(d, c->tag, "BAD", "Bad charset");
			return;
		}
		if (!str_eq_ci(c->args[1].s, "UTF-8") &&
		    !str_eq_ci(c->args[1].s, "US-ASCII")) {
			imapd_tagged(d, c->tag, "NO", "[BADCHARSET (UTF-8 "
			    "US-ASCII)] Unsupported charset");
			return;
		}
		p.pos = 2;
	}
	if (p.pos >= p.n) {
		imapd_tagged(d, c->tag, "BAD", "SEARCH needs a key");
		return;
	}
	if ((k = parse_list(&p, 0)) == NULL) {
		imapd_tagged(d, c->tag, "BAD", "%s", p.err != NULL ? p.err :
		    "Bad search");
		return;
	}
	out = buf_new(1024, 64u * 1024 * 1024);
	bytes = buf_new(4096, (size_t)d->ctx->store_limits.message_size_max +
	    1);
	buf_append_str(out, "* SEARCH");
	for (size_t i = 0; i < d->n && !d->quit; i++) {
		struct target t = { .d = d, .msn = (uint32_t)i + 1,
			.bytes = bytes };

		const struct store_msg *m = store_folder_find(d->f,
		    d->uids[i], NULL);
		struct store_msg copy;

		if (m == NULL)
			continue;	/* expunged elsewhere: not announced */
		t.pool = pool_new_child(d->cmd_pool, "search");
		/* reading the message may sync the view: keep a copy */
		copy = *m;
		copy.keywords = pool_strdup(t.pool, m->keywords);
		t.m = &copy;
		if (eval(k, &t))
			buf_printf(out, " %u", c->uid ? (unsigned)d->uids[i] :
			    (unsigned)i + 1);
		pool_free(&t.pool);
	}
	buf_append_str(out, "\r\n");
	imapd_write(d, out->data, out->len);
	buf_free(&out);
	buf_free(&bytes);
	imapd_done(d, c, "%sSEARCH completed", c->uid ? "UID " : "");
}
