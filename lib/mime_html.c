/*
 * lib/mime_html.c - HTML reduced to plain text, roughly, for the spam
 * filter and SEARCH TEXT: no DOM, one linear pass over the bytes.
 *
 * Input is hostile; unterminated tags, comments and entities end at the
 * end of the input, and output is bounded by the caller's buffer.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/mime_decode.h"
#include "lib/str.h"
#include "lib/banned.h"

static const struct {
	const char *name;
	uint32_t cp;
} entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", ' ' }, { "copy", 0xa9 }, { "reg", 0xae },
	{ "euro", 0x20ac }, { "mdash", 0x2014 }, { "ndash", 0x2013 },
	{ "hellip", 0x2026 }, { "laquo", 0xab }, { "raquo", 0xbb },
	{ "rsquo", 0x2019 }, { "lsquo", 0x2018 }, { "rdquo", 0x201d },
	{ "ldquo", 0x201c }, { "trade", 0x2122 }, { "zwnj", 0x200c },
};

static const char *const block_tags[] = { "br", "p", "div", "tr", "li",
	"h1", "h2", "h3", "h4", "h5", "h6", "table", "hr", "blockquote",
	"ul", "ol", "td", "th", "title" };

struct html {
	const uint8_t *in;
	size_t len, i;
	struct buf *out;
	bool space;	/* white space pending */
	bool newline;	/* a line break pending */
};

static int
put_char(struct html *h, uint32_t cp)
{
	if (cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n') {
		h->space = true;
		return 0;
	}
	if (h->out->len > 0 && (h->newline || h->space))
		if (buf_append_byte(h->out, h->newline ? '\n' : ' ') == -1)
			return -1;
	h->space = h->newline = false;
	return mime_utf8_put(h->out, cp);
}

static bool
ci_at(const struct html *h, size_t i, const char *s)
{
	size_t n = strlen(s);

	if (i + n > h->len)
		return false;
	for (size_t k = 0; k < n; k++) {
		uint8_t c = h->in[i + k];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != (uint8_t)s[k])
			return false;
	}
	return true;
}

/* Skip to after needle (case-insensitive), or to the end. */
static void
skip_past(struct html *h, const char *needle)
{
	while (h->i < h->len && !ci_at(h, h->i, needle))
		h->i++;
	h->i = h->i + strlen(needle) > h->len ? h->len : h->i + strlen(needle);
}

/* The tag name at in[i] (after '<' and an optional '/'). */
static void
tag_name(const struct html *h, size_t i, char *name, size_t size)
{
	size_t n = 0;

	if (i < h->len && h->in[i] == '/')
		i++;
	while (i < h->len && n + 1 < size && ((h->in[i] >= 'a' &&
	    h->in[i] <= 'z') || (h->in[i] >= 'A' && h->in[i] <= 'Z') ||
	    (h->in[i] >= '0' && h->in[i] <= '9')))
		name[n++] = (char)(h->in[i++] | 0x20);
	name[n] = '\0';
}

static void
tag(struct html *h)
{
	char name[16];
	size_t k;
	bool closing = h->i + 1 < h->len && h->in[h->i + 1] == '/';

	if (ci_at(h, h->i, "<!--")) {
		skip_past(h, "-->");
		return;
	}
	tag_name(h, h->i + 1, name, sizeof(name));
	/* quoted attribute values may hold '>' */
	for (k = h->i + 1; k < h->len && h->in[k] != '>'; k++) {
		if (h->in[k] == '"' || h->in[k] == '\'') {
			uint8_t q = h->in[k++];

			while (k < h->len && h->in[k] != q)
				k++;
			if (k >= h->len)
				break;
		}
	}
	h->i = k < h->len ? k + 1 : h->len;
	if (!closing && h->in[h->i - 1] == '>' && h->in[h->i - 2] != '/' &&
	    (strcmp(name, "script") == 0 || strcmp(name, "style") == 0)) {
		skip_past(h, strcmp(name, "script") == 0 ? "</script" :
		    "</style");
		skip_past(h, ">");
	}
	for (size_t b = 0; b < sizeof(block_tags) / sizeof(block_tags[0]); b++)
		if (strcmp(name, block_tags[b]) == 0)
			h->newline = true;
	h->space = true;
}

/* An entity at '&': its code point (consumed), or '&' (nothing more). */
static uint32_t
entity(struct html *h)
{
	size_t j = h->i + 1;
	char name[12];
	size_t n = 0;

	if (j < h->len && h->in[j] == '#') {
		bool hex = j + 1 < h->len && (h->in[j + 1] | 0x20) == 'x';
		uint32_t v = 0;
		size_t d = 0;

		for (j += hex ? 2 : 1; j < h->len && d < 7; j++, d++) {
			uint8_t c = h->in[j];
			int dv = c >= '0' && c <= '9' ? c - '0' :
			    hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ?
			    (c | 0x20) - 'a' + 10 : -1;

			if (dv < 0)
				break;
			v = v * (hex ? 16 : 10) + (uint32_t)dv;
		}
		if (d == 0)
			return '&';
		h->i = j < h->len && h->in[j] == ';' ? j + 1 : j;
		return v == 0 ? 0xfffd : v;
	}
	while (j < h->len && n + 1 < sizeof(name) && ((h->in[j] >= 'a' &&
	    h->in[j] <= 'z') || (h->in[j] >= 'A' && h->in[j] <= 'Z')))
		name[n++] = (char)h->in[j++];
	name[n] = '\0';
	for (size_t e = 0; e < sizeof(entities) / sizeof(entities[0]); e++) {
		if (str_eq_ci(name, entities[e].name)) {
			h->i = j < h->len && h->in[j] == ';' ? j + 1 : j;
			return entities[e].cp;
		}
	}
	return '&';
}

int
mime_html_to_text(const uint8_t *in, size_t len, struct buf *out)
{
	struct html h = { .in = in, .len = len, .out = out };

	while (h.i < h.len) {
		uint8_t c = in[h.i];

		if (c == '<' && h.i + 1 < h.len && (in[h.i + 1] == '/' ||
		    in[h.i + 1] == '!' || (in[h.i + 1] | 0x20) >= 'a') &&
		    (in[h.i + 1] | 0x20) <= 'z') {
			tag(&h);
			continue;
		}
		if (c == '&') {
			size_t at = h.i;
			uint32_t cp = entity(&h);

			if (h.i == at)
				h.i++;
			if (put_char(&h, cp) == -1)
				return -1;
			continue;
		}
		if (c >= 0x80) {	/* copy a UTF-8 sequence whole */
			size_t st = h.i++;

			while (h.i < h.len && (in[h.i] & 0xc0) == 0x80)
				h.i++;
			if (put_char(&h, 'x') == -1)
				return -1;
			buf_truncate(out, out->len - 1);
			if (buf_append(out, in + st, h.i - st) == -1)
				return -1;
			continue;
		}
		h.i++;
		if (put_char(&h, c) == -1)
			return -1;
	}
	return 0;
}
