/*
 * lib/mime_encword.c - RFC 2047 encoded-word decoding to UTF-8.
 *
 * Header text is hostile: encoded-words are found by syntax, decoded
 * into a bounded buffer, and converted per charset; anything that does
 * not decode cleanly is kept literally rather than dropped, so no text
 * disappears from what the spam filter or a SEARCH sees.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/mime_decode.h"
#include "lib/str.h"
#include "lib/banned.h"

#define ENCWORD_CHARSET_MAX 64

struct encword {
	char charset[ENCWORD_CHARSET_MAX];
	char enc;		/* 'B' or 'Q' */
	size_t text, text_len;	/* the encoded text */
	size_t end;		/* first byte after "?=" */
};

/* "=?charset?e?text?=" at in[i]: 0 and *w filled, or -1. */
static int
parse_encword(const char *in, size_t len, size_t i, struct encword *w)
{
	size_t cs, j;

	if (i + 2 > len || in[i] != '=' || in[i + 1] != '?')
		return -1;
	cs = j = i + 2;
	while (j < len && in[j] != '?' && in[j] != ' ' && in[j] != '\t')
		j++;
	if (j >= len || in[j] != '?' || j == cs ||
	    j - cs >= ENCWORD_CHARSET_MAX)
		return -1;
	memcpy(w->charset, in + cs, j - cs);
	w->charset[j - cs] = '\0';
	w->charset[strcspn(w->charset, "*")] = '\0';	/* RFC 2231 language */
	if (j + 3 > len || in[j + 2] != '?')
		return -1;
	w->enc = in[j + 1] == 'b' ? 'B' : in[j + 1] == 'q' ? 'Q' : in[j + 1];
	if (w->enc != 'B' && w->enc != 'Q')
		return -1;
	w->text = j + 3;
	for (j = w->text; j + 1 < len; j++) {
		if (in[j] == '\r' || in[j] == '\n')
			return -1;
		if (in[j] == '?' && in[j + 1] == '=') {
			w->text_len = j - w->text;
			w->end = j + 2;
			return 0;
		}
	}
	return -1;
}

struct pending {
	char charset[ENCWORD_CHARSET_MAX];
	struct buf *raw;
};

static int
flush(struct pending *pd, struct buf *out)
{
	int rc = 0;

	if (pd->raw->len > 0)
		rc = mime_charset_to_utf8(pd->charset, pd->raw->data,
		    pd->raw->len, out);
	buf_reset(pd->raw);
	pd->charset[0] = '\0';
	return rc;
}

/* Decode w's text into the pending bytes (charset already known). */
static int
take_word(const char *in, const struct encword *w, struct pending *pd,
    struct buf *out)
{
	const uint8_t *t = (const uint8_t *)in + w->text;

	if (!str_eq_ci(pd->charset, w->charset)) {
		if (flush(pd, out) == -1)
			return -1;
		str_copy(pd->charset, sizeof(pd->charset), w->charset);
	}
	if (w->enc == 'B')
		return mime_base64_decode(t, w->text_len, pd->raw);
	return mime_qp_decode(t, w->text_len, true, pd->raw);
}

static bool
known_word_at(const char *in, size_t len, size_t i)
{
	struct encword w;

	return parse_encword(in, len, i, &w) == 0 &&
	    mime_charset_known(w.charset);
}

/* Literal text [i, j) as UTF-8. */
static int
literal(const char *in, size_t i, size_t j, struct buf *out)
{
	return mime_charset_to_utf8("utf-8", (const uint8_t *)in + i, j - i,
	    out);
}

int
mime_encword_decode(const char *in, size_t len, struct buf *out)
{
	struct pending pd = { .raw = buf_new(64, out->max) };
	bool prev_word = false;
	size_t i = 0;
	int rc = 0;

	while (i < len && rc == 0) {
		struct encword w;
		size_t k, j;

		if (parse_encword(in, len, i, &w) == 0) {
			if (mime_charset_known(w.charset)) {
				rc = take_word(in, &w, &pd, out);
				prev_word = true;
			} else {
				rc = flush(&pd, out);
				if (rc == 0)
					rc = literal(in, i, w.end, out);
				prev_word = false;
			}
			i = w.end;
			continue;
		}
		/* white space between two encoded-words disappears */
		for (k = i; k < len && (in[k] == ' ' || in[k] == '\t' ||
		    in[k] == '\r' || in[k] == '\n'); k++)
			;
		if (prev_word && k > i && k < len &&
		    known_word_at(in, len, k)) {
			i = k;
			continue;
		}
		rc = flush(&pd, out);
		prev_word = false;
		for (j = i + 1; j + 1 < len && !(in[j] == '=' &&
		    in[j + 1] == '?'); j++)
			;
		if (j + 1 >= len)
			j = len;
		if (rc == 0)
			rc = literal(in, i, j, out);
		i = j;
	}
	if (rc == 0)
		rc = flush(&pd, out);
	buf_free(&pd.raw);
	return rc;
}
