/*
 * milters/spam/spam_token.c - the spam filter's tokeniser: features of a
 * message for the statistical classifier.
 *
 * Runs in tessera-spamd (milter threads, learn, classify) and its tests.
 * The message is hostile: MIME structure, transfer encodings, charsets
 * and HTML go through lib/mime* (bounded by struct msg_limits and
 * text_max); words are cut at token_len_max and the set of tokens at
 * tokens_max. Tokens are:
 *  - "NAME:word" for the words of selected fields (Subject, From, To,
 *    Received, ...), RFC 2047 decoded (X-Spam-* fields are never read:
 *    they are ours, or a sender's forgery; bare presence of a field was
 *    tried as a token and made cross-validation slightly worse);
 *  - words of every text part, decoded to UTF-8 and HTML reduced to text,
 *    lower-cased ("upper:WORD" too for shouted words), and "bi:w1 w2"
 *    for each pair of adjacent words;
 *  - "url:host", "url:DOMAIN" for each parent domain, "urlp:piece" for
 *    path pieces, of every URL (in HTML, the attributes' too);
 *  - "email:DOMAIN" for addresses in text;
 *  - structure: "ct:type/subtype", "cte:", "charset:", "html:TAG",
 *    "struct:..." (HTML without a plain part, no text, part count).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/mime_decode.h"
#include "lib/mime_text.h"
#include "lib/msg_header.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "milters/spam/spam_token.h"
#include "lib/banned.h"

struct tk {
	const struct spam_token_limits *lim;
	size_t word_max;
	spam_token_fn fn;
	void *arg;
	char tok[SPAM_TOKEN_BUILD_MAX];
	char prev[SPAM_TOKEN_BUILD_MAX / 2];	/* last body word, folded */
	size_t prev_len;
};

/* Header fields whose words are tokens, with the prefix they get; the
 * ones marked decode carry RFC 2047 encoded-words. */
static const struct {
	const char *name;
	const char *prefix;
	bool decode;
} hdr_words[] = {
	{ "subject", "subject:", true },
	{ "from", "from:", true },
	{ "to", "to:", true },
	{ "cc", "cc:", true },
	{ "reply-to", "reply-to:", true },
	{ "sender", "sender:", true },
	{ "return-path", "return-path:", false },
	{ "message-id", "message-id:", false },
	{ "content-type", "content-type:", false },
	{ "x-mailer", "x-mailer:", false },
	{ "user-agent", "x-mailer:", false },
	{ "received", "received:", false },
	{ "list-id", "list-id:", false },
	{ "organization", "organization:", true },
	{ "x-priority", "x-priority:", false },
	{ "x-msmail-priority", "x-priority:", false },
	{ "precedence", "precedence:", false },
};

void
spam_token_limits_defaults(struct spam_token_limits *lim)
{
	lim->token_len_max = SPAM_TOKEN_LEN_MAX_DEFAULT;
	lim->tokens_max = SPAM_TOKENS_MAX_DEFAULT;
	lim->text_max = SPAM_TEXT_MAX_DEFAULT;
}

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool
is_alnum(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* Emit prefix + s[len] (lower-cased if fold), cut at the build buffer. */
static void
emit(struct tk *k, const char *prefix, const char *s, size_t len, bool fold)
{
	size_t pl = strlen(prefix), n = 0;

	if (pl >= sizeof(k->tok))
		return;
	memcpy(k->tok, prefix, pl);
	n = pl;
	for (size_t i = 0; i < len && n < sizeof(k->tok); i++)
		k->tok[n++] = fold ? (char)lower((uint8_t)s[i]) : s[i];
	k->fn(k->arg, k->tok, n);
}

static void
emit_str(struct tk *k, const char *prefix, const char *s)
{
	emit(k, prefix, s, strlen(s), false);
}

/* "url:HOST" and "url:D" for each parent domain D of two labels or more;
 * an IP literal gives "url:ip" and itself. */
static void
emit_host(struct tk *k, const char *prefix, const char *h, size_t len)
{
	bool numeric = true;
	size_t dots = 0;

	while (len > 0 && h[len - 1] == '.')
		len--;
	if (len == 0 || len > k->word_max * 2)
		return;
	for (size_t i = 0; i < len; i++) {
		if (h[i] == '.')
			dots++;
		else if (!(h[i] >= '0' && h[i] <= '9'))
			numeric = false;
	}
	emit(k, prefix, h, len, true);
	if (numeric) {
		emit_str(k, prefix, "ip");
		return;
	}
	for (size_t i = 0; i < len && dots > 1; i++) {
		if (h[i] != '.')
			continue;
		emit(k, prefix, h + i + 1, len - i - 1, true);
		dots--;
	}
}

/* A URL (with scheme, or starting "www."): its host and path pieces. */
static void
emit_url(struct tk *k, const char *u, size_t len)
{
	const char *sep = NULL, *host, *end = u + len, *p;

	for (size_t i = 0; i + 3 <= len; i++)
		if (memcmp(u + i, "://", 3) == 0) {
			sep = u + i;
			break;
		}
	if (sep != NULL) {
		if (sep - u <= 10)
			emit(k, "url:scheme:", u, (size_t)(sep - u), true);
		host = sep + 3;
	} else {
		host = u;
	}
	for (p = host; p < end && *p != '/' && *p != '?' && *p != '#'; p++)
		;
	{
		const char *hs = host, *he = p, *at = NULL, *colon = NULL;

		for (const char *q = hs; q < he; q++)
			if (*q == '@')
				at = q;
		if (at != NULL) {
			emit_str(k, "url:", "userinfo");
			hs = at + 1;
		}
		for (const char *q = hs; q < he; q++)
			if (*q == ':') {
				colon = q;
				break;
			}
		if (colon != NULL) {
			emit_str(k, "url:", "port");
			he = colon;
		}
		for (const char *q = hs; q < he; q++)
			if (*q == '%') {
				emit_str(k, "url:", "encoded");
				break;
			}
		emit_host(k, "url:", hs, (size_t)(he - hs));
	}
	/* path pieces */
	while (p < end) {
		const char *s;

		while (p < end && !is_alnum((uint8_t)*p))
			p++;
		s = p;
		while (p < end && is_alnum((uint8_t)*p))
			p++;
		if ((size_t)(p - s) >= SPAM_TOKEN_LEN_MIN &&
		    (size_t)(p - s) <= k->word_max)
			emit(k, "urlp:", s, (size_t)(p - s), true);
	}
}

static bool
is_sep(uint8_t c)
{
	if (c >= 0x80)
		return false;
	if (c <= ' ' || c == 0x7f)
		return true;
	return strchr("<>()[]{}\"`,;|*^~\\", c) != NULL;
}

static bool
strip_lead(uint8_t c)
{
	return c != 0 && strchr("'.-:!?&=#%/_+", c) != NULL;
}

static bool
strip_trail(uint8_t c)
{
	return c != 0 && strchr("'.-:?&=#%/_+", c) != NULL;
}

static bool
has(const char *s, size_t len, const char *needle)
{
	size_t nl = strlen(needle);

	for (size_t i = 0; i + nl <= len; i++)
		if (memcmp(s + i, needle, nl) == 0)
			return true;
	return false;
}

static void
emit_word(struct tk *k, const char *prefix, const char *w, size_t len)
{
	char pre[64];
	const char *at = NULL;
	bool upper = true;
	size_t letters = 0;

	if (has(w, len, "://") || (len > 4 && str_prefix_ci(w, "www.") &&
	    memchr(w, '@', len) == NULL)) {
		emit_url(k, w, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (w[i] == '@')
			at = w + i;
		if (w[i] >= 'a' && w[i] <= 'z')
			upper = false;
		else if (w[i] >= 'A' && w[i] <= 'Z')
			letters++;
	}
	if (at != NULL && at > w && memchr(at, '.', (size_t)(w + len - at))) {
		if (str_printf(pre, sizeof(pre), "%semail:", prefix) == 0)
			emit_host(k, pre, at + 1, (size_t)(w + len - at - 1));
		return;
	}
	if (len < SPAM_TOKEN_LEN_MIN)
		return;
	if (len > k->word_max) {
		char skip[32];

		/* a class, not the word: long strings are mostly unique */
		if (str_printf(skip, sizeof(skip), "skip:%c %zu",
		    is_alnum((uint8_t)w[0]) ? lower((uint8_t)w[0]) : '?',
		    len / 10 * 10) == 0)
			emit_str(k, prefix, skip);
		return;
	}
	emit(k, prefix, w, len, true);
	if (prefix[0] == '\0') {
		char bi[SPAM_TOKEN_BUILD_MAX];
		size_t n = 0;

		if (k->prev_len > 0) {
			memcpy(bi, k->prev, k->prev_len);
			n = k->prev_len;
			bi[n++] = ' ';
			for (size_t i = 0; i < len; i++)
				bi[n++] = (char)lower((uint8_t)w[i]);
			emit(k, "bi:", bi, n, false);
		}
		for (size_t i = 0; i < len; i++)
			k->prev[i] = (char)lower((uint8_t)w[i]);
		k->prev_len = len;
	}
	if (upper && letters >= 4 && prefix[0] == '\0')
		emit(k, "upper:", w, len, false);
}

/* Words of text[len], each token prefixed. */
static void
emit_text(struct tk *k, const char *prefix, const char *text, size_t len)
{
	size_t i = 0;

	k->prev_len = 0;
	while (i < len) {
		size_t s, e;

		while (i < len && is_sep((uint8_t)text[i]))
			i++;
		s = i;
		while (i < len && !is_sep((uint8_t)text[i]))
			i++;
		e = i;
		while (s < e && strip_lead((uint8_t)text[s]))
			s++;
		while (e > s && strip_trail((uint8_t)text[e - 1]))
			e--;
		if (e > s)
			emit_word(k, prefix, text + s, e - s);
	}
}

/* URLs inside HTML (href/src attributes are gone from its text) and the
 * names of its tags. */
static void
scan_html(struct tk *k, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '<' && i + 1 < len && (is_alnum(p[i + 1]) ||
		    p[i + 1] == '!')) {
			char name[12];
			size_t n = 0, j = i + 1;

			if (p[j] == '!') {
				emit_str(k, "html:", "!");
				continue;
			}
			while (j < len && is_alnum(p[j]) && n < sizeof(name) - 1)
				name[n++] = (char)lower(p[j++]);
			emit(k, "html:", name, n, false);
		} else if ((p[i] == 'h' || p[i] == 'H') && i + 7 < len &&
		    str_prefix_ci((const char *)p + i, "http") &&
		    (memcmp(p + i + 4, "://", 3) == 0 ||
		    (lower(p[i + 4]) == 's' && memcmp(p + i + 5, "://",
		    3) == 0))) {
			size_t j = i;

			while (j < len && p[j] > ' ' && p[j] < 0x7f &&
			    strchr("\"'<>()", p[j]) == NULL)
				j++;
			if (j - i <= SPAM_TOKEN_BUILD_MAX * 4)
				emit_url(k, (const char *)p + i, j - i);
			i = j - 1;
		}
	}
}

static bool
is_x_spam(const uint8_t *data, const struct msg_header_field *f)
{
	return f->name_len >= 6 && str_prefix_ci((const char *)data + f->off,
	    "x-spam");
}

static void
scan_headers(struct tk *k, struct pool *pool, const struct mime_message *m)
{
	const struct msg_headers *h = &m->root->hdrs;
	struct buf *dec = buf_new(256, 64 * 1024);
	bool have_date = false, have_msgid = false;

	for (size_t i = 0; i < h->count; i++) {
		const struct msg_header_field *f = &h->fields[i];
		char *v;

		if (is_x_spam(m->data, f) || f->name_len > 64)
			continue;
		have_date |= msg_header_is(m->data, f, "date");
		have_msgid |= msg_header_is(m->data, f, "message-id");
		for (size_t j = 0; j < sizeof(hdr_words) / sizeof(hdr_words[0]);
		    j++) {
			if (!msg_header_is(m->data, f, hdr_words[j].name))
				continue;
			v = msg_header_value(pool, m->data, f);
			buf_reset(dec);
			if (hdr_words[j].decode &&
			    mime_encword_decode(v, strlen(v), dec) == 0)
				v = (char *)buf_cstr(dec);
			emit_text(k, hdr_words[j].prefix, v, strlen(v));
			break;
		}

	}
	if (!have_date)
		emit_str(k, "struct:", "no-date");
	if (!have_msgid)
		emit_str(k, "struct:", "no-message-id");
	buf_free(&dec);
}

static void
scan_text_part(struct tk *k, const struct mime_message *m,
    const struct mime_part *p)
{
	struct buf *raw = buf_new(4096, k->lim->text_max);
	struct buf *text = buf_new(4096, k->lim->text_max);
	bool html = strcmp(p->subtype, "html") == 0;

	emit(k, "charset:", mime_part_charset(p), strlen(mime_part_charset(p)),
	    true);
	if (mime_part_decode(m, p, raw) == 0) {
		if (html)
			scan_html(k, raw->data, raw->len);
	} else {
		/* past text_max: read what fits, undecoded */
		emit_str(k, "limit:", "text");
		buf_reset(raw);
		(void)buf_append(raw, m->data + p->body_off,
		    p->body_size < k->lim->text_max ? p->body_size :
		    k->lim->text_max);
	}
	if (mime_part_text(m, p, text) == 0)
		emit_text(k, "", (const char *)text->data, text->len);
	else
		emit_text(k, "", (const char *)raw->data, raw->len);
	buf_free(&raw);
	buf_free(&text);
}

void
spam_token_scan(const uint8_t *data, size_t len,
    const struct msg_limits *mlim, const struct spam_token_limits *lim,
    spam_token_fn fn, void *arg)
{
	struct tk k = { .lim = lim, .fn = fn, .arg = arg };
	struct pool *pool = pool_new("spam_token");
	struct mime_message *m = mime_parse(pool, data, len, mlim);
	size_t n_leaf = 0, n_plain = 0, n_html = 0;
	char cls[16];

	k.word_max = lim->token_len_max < SPAM_TOKEN_BUILD_MAX / 2 ?
	    lim->token_len_max : SPAM_TOKEN_BUILD_MAX / 2;
	scan_headers(&k, pool, m);
	for (struct mime_part *p = m->root; p != NULL;
	    p = mime_part_next(m->root, p)) {
		char ct[128];

		if (str_printf(ct, sizeof(ct), "%s/%s", p->type,
		    p->subtype) == 0)
			emit_str(&k, "ct:", ct);
		if (p->kind != MIME_LEAF)
			continue;
		n_leaf++;
		if (p->encoding != NULL)
			emit(&k, "cte:", p->encoding, strlen(p->encoding),
			    true);
		if (!mime_part_is_text(p))
			continue;
		if (strcmp(p->subtype, "html") == 0)
			n_html++;
		else if (strcmp(p->subtype, "plain") == 0)
			n_plain++;
		scan_text_part(&k, m, p);
	}
	if (n_html > 0 && n_plain == 0)
		emit_str(&k, "struct:", "html-only");
	if (n_html + n_plain == 0)
		emit_str(&k, "struct:", "no-text");
	if (m->flags != 0 && str_printf(cls, sizeof(cls), "mime-flags:%x",
	    m->flags) == 0)
		emit_str(&k, "struct:", cls);
	if (str_printf(cls, sizeof(cls), "parts:%zu", n_leaf > 5 ? 6 :
	    n_leaf) == 0)
		emit_str(&k, "struct:", cls);
	pool_free(&pool);
}

uint64_t
spam_token_hash(const char *tok, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)tok[i];
		h *= 0x100000001b3ULL;
	}
	/* finaliser (splitmix64): FNV's low bits are weak for a table */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h == 0 ? 1 : h;
}

void
spam_tokens_init(struct spam_tokens *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
}

void
spam_tokens_deinit(struct spam_tokens *t)
{
	free(t->table);
	memset(t, 0, sizeof(*t));
}

void
spam_tokens_reset(struct spam_tokens *t)
{
	if (t->table != NULL)
		memset(t->table, 0, t->size * sizeof(t->table[0]));
	t->n = 0;
	t->truncated = false;
}

static void
tokens_grow(struct spam_tokens *t)
{
	size_t size = t->size == 0 ? 256 : t->size * 2;
	uint64_t *old = t->table, *nt = xcalloc(size, sizeof(*nt));

	for (size_t i = 0; i < t->size; i++) {
		size_t j;

		if (old[i] == 0)
			continue;
		for (j = old[i] & (size - 1); nt[j] != 0; j = (j + 1) &
		    (size - 1))
			;
		nt[j] = old[i];
	}
	free(old);
	t->table = nt;
	t->size = size;
}

int
spam_tokens_add_hash(struct spam_tokens *t, uint64_t h)
{
	size_t j;

	if (h == 0)
		h = 1;
	if (t->size > 0) {
		for (j = h & (t->size - 1); t->table[j] != 0;
		    j = (j + 1) & (t->size - 1))
			if (t->table[j] == h)
				return 0;
	}
	if (t->n >= t->max) {
		t->truncated = true;
		return -1;
	}
	if ((t->n + 1) * 2 > t->size)
		tokens_grow(t);
	for (j = h & (t->size - 1); t->table[j] != 0; j = (j + 1) &
	    (t->size - 1))
		;
	t->table[j] = h;
	t->n++;
	return 1;
}

static void
add_token(void *arg, const char *tok, size_t len)
{
	(void)spam_tokens_add_hash(arg, spam_token_hash(tok, len));
}

void
spam_tokenize(const uint8_t *data, size_t len,
    const struct msg_limits *mlim, const struct spam_token_limits *lim,
    struct spam_tokens *t)
{
	t->max = lim->tokens_max;
	spam_tokens_reset(t);
	spam_token_scan(data, len, mlim, lim, add_token, t);
}
