/*
 * lib/mime_param.c - Content-Type / Content-Disposition values and their
 * parameters, RFC 2045 and RFC 2231.
 *
 * Parameters come from hostile headers: segments are collected, sorted
 * by their continuation number (bounded by RFC2231_SEGMENT_MAX) and
 * joined; percent-decoding and charset conversion are bounded by the
 * header's own size.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime_decode.h"
#include "lib/mime_param.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/banned.h"

#define RFC2231_SEGMENT_MAX 999
#define PARAM_TEXT_MAX (1024 * 1024)

struct segment {
	char *base;		/* lower-case name without suffix */
	long index;		/* continuation number, -1 if none */
	bool encoded;		/* "*" after the name or number */
	char *value;
	size_t order;		/* position in the header */
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
lower_in_place(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

/* Skip white space and comments. */
static const char *
skip_cfws(const char *s)
{
	for (;;) {
		while (is_space(*s))
			s++;
		if (*s != '(')
			return s;
		for (int depth = 0; *s != '\0'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '(')
				depth++;
			else if (*s == ')' && --depth == 0) {
				s++;
				break;
			}
		}
	}
}

/* Leading value: a token run up to ';', comments and spaces dropped. */
static const char *
lead_value(struct pool *pool, const char *s, char **out)
{
	struct buf *b = buf_new(32, PARAM_TEXT_MAX);

	for (;;) {
		s = skip_cfws(s);
		if (*s == '\0' || *s == ';')
			break;
		if (*s == '"') {	/* a quoted type is malformed: skip it */
			for (s++; *s != '\0' && *s != '"'; s++)
				if (*s == '\\' && s[1] != '\0')
					s++;
			if (*s == '"')
				s++;
			continue;
		}
		/* "type / subtype" is one value; "type junk" is not */
		if (b->len > 0 && b->data[b->len - 1] != '/' && *s != '/') {
			while (*s != '\0' && *s != ';')
				s++;
			break;
		}
		while (*s != '\0' && *s != ';' && *s != '(' && !is_space(*s))
			buf_append_byte(b, (uint8_t)*s++);
	}
	*out = pool_strdup(pool, buf_cstr(b));
	lower_in_place(*out);
	buf_free(&b);
	return s;
}

/* One "attr=value" at s (after ';'); NULL name if unreadable. Returns
 * the position after it. */
static const char *
read_param(struct pool *pool, const char *s, char **name, char **value)
{
	struct buf *b = buf_new(32, PARAM_TEXT_MAX);
	const char *st;

	*name = *value = NULL;
	s = skip_cfws(s);
	st = s;
	while (*s != '\0' && *s != '=' && *s != ';' && !is_space(*s) &&
	    *s != '(')
		s++;
	if (s == st) {
		buf_free(&b);
		return s;
	}
	*name = pool_strndup(pool, st, (size_t)(s - st));
	s = skip_cfws(s);
	if (*s != '=') {
		*name = NULL;
		buf_free(&b);
		return s;
	}
	s = skip_cfws(s + 1);
	if (*s == '"') {
		for (s++; *s != '\0' && *s != '"'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			buf_append_byte(b, (uint8_t)*s);
		}
		if (*s == '"')
			s++;
	} else {
		/* tolerant: a token with stray spaces runs to ';' */
		while (*s != '\0' && *s != ';' && *s != '(')
			buf_append_byte(b, (uint8_t)*s++);
		while (b->len > 0 && is_space((char)b->data[b->len - 1]))
			buf_truncate(b, b->len - 1);
	}
	*value = pool_strdup(pool, buf_cstr(b));
	buf_free(&b);
	return s;
}

/* Split "name*3*" into base, index and encoded flag. */
static void
split_name(struct pool *pool, const char *name, struct segment *sg)
{
	const char *star = strchr(name, '*');
	uint64_t v;

	sg->index = -1;
	sg->encoded = false;
	if (star == NULL) {
		sg->base = pool_strdup(pool, name);
	} else {
		const char *num = star + 1, *end = num;

		sg->base = pool_strndup(pool, name, (size_t)(star - name));
		while (*end >= '0' && *end <= '9')
			end++;
		if (end > num && parse_u64(num, (size_t)(end - num),
		    RFC2231_SEGMENT_MAX, &v) == 0)
			sg->index = (long)v;
		sg->encoded = end == num ? true : *end == '*';
	}
	lower_in_place(sg->base);
}

static int
cmp_segment(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;
	int c = strcmp(x->base, y->base);

	if (c != 0)
		return c;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void
percent_decode(const char *s, struct buf *out)
{
	for (; *s != '\0'; s++) {
		int hi, lo;

		if (*s == '%' && (hi = hexval(s[1])) >= 0 &&
		    (lo = hexval(s[2])) >= 0) {
			buf_append_byte(out, (uint8_t)(hi << 4 | lo));
			s += 2;
		} else {
			buf_append_byte(out, (uint8_t)*s);
		}
	}
}

static void
percent_encode(const char *s, struct buf *out)
{
	for (; *s != '\0'; s++) {
		uint8_t c = (uint8_t)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~!$&+", c) != NULL)
			buf_append_byte(out, c);
		else
			buf_printf(out, "%%%02X", c);
	}
}

/* Join the extended segments sg[n] (same base, sorted) into p. */
static void
join_extended(struct pool *pool, struct segment *sg, size_t n,
    struct mime_param *p)
{
	struct buf *raw = buf_new(64, PARAM_TEXT_MAX);
	struct buf *imap = buf_new(64, PARAM_TEXT_MAX);
	struct buf *dec = buf_new(64, PARAM_TEXT_MAX);
	char *charset = NULL;

	for (size_t i = 0; i < n; i++) {
		const char *v = sg[i].value;

		if (i == 0 && sg[i].encoded) {
			const char *q1 = strchr(v, '\''), *q2;

			q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;
			if (q2 != NULL) {
				charset = pool_strndup(pool, v,
				    (size_t)(q1 - v));
				buf_append(imap, v, (size_t)(q2 + 1 - v));
				v = q2 + 1;
			} else {
				buf_append_str(imap, "''");
			}
		} else if (i == 0) {
			buf_append_str(imap, "''");
		}
		if (sg[i].encoded) {
			percent_decode(v, raw);
			buf_append_str(imap, v);
		} else {
			buf_append_str(raw, v);
			percent_encode(v, imap);
		}
	}
	if (charset == NULL || *charset == '\0' ||
	    mime_charset_to_utf8(charset, raw->data, raw->len, dec) == -1) {
		buf_reset(dec);
		buf_append(dec, raw->data, raw->len);
	}
	p->value = pool_strdup(pool, buf_cstr(dec));
	p->imap_value = pool_strdup(pool, buf_cstr(imap));
	buf_free(&raw);
	buf_free(&imap);
	buf_free(&dec);
}

/* Join plain continuations sg[n] into p. */
static void
join_plain(struct pool *pool, struct segment *sg, size_t n,
    struct mime_param *p)
{
	struct buf *b = buf_new(64, PARAM_TEXT_MAX);

	for (size_t i = 0; i < n; i++)
		buf_append_str(b, sg[i].value);
	p->imap_value = pool_strdup(pool, buf_cstr(b));
	p->value = p->imap_value;
	/* many mailers put RFC 2047 words in file names (RFC 2047 5 says
	 * not to): the decoded value has them decoded, IMAP sees them raw */
	if (strstr(p->imap_value, "=?") != NULL) {
		struct buf *d = buf_new(64, PARAM_TEXT_MAX);

		if (mime_encword_decode(p->imap_value, b->len, d) == 0)
			p->value = pool_strdup(pool, buf_cstr(d));
		buf_free(&d);
	}
	buf_free(&b);
}

/* Group sorted segments into parameters; order by first appearance. */
static void
build_params(struct pool *pool, struct segment *sg, size_t n,
    struct mime_params *params)
{
	size_t *first = pool_alloc(pool, (n + 1) * sizeof(*first));

	params->v = pool_alloc(pool, (n + 1) * sizeof(*params->v));
	params->n = 0;
	for (size_t i = 0; i < n;) {
		struct mime_param *p = &params->v[params->n];
		size_t j = i + 1, min = sg[i].order;
		bool ext = sg[i].encoded || sg[i].index >= 0;

		if (ext) {
			bool any_enc = sg[i].encoded;

			while (j < n && strcmp(sg[j].base, sg[i].base) == 0 &&
			    sg[j].index >= 0) {
				any_enc |= sg[j].encoded;
				min = sg[j].order < min ? sg[j].order : min;
				j++;
			}
			p->extended = any_enc;
			if (any_enc)
				join_extended(pool, sg + i, j - i, p);
			else
				join_plain(pool, sg + i, j - i, p);
		} else {
			join_plain(pool, sg + i, 1, p);
		}
		p->name = sg[i].base;
		first[params->n++] = min;
		i = j;
	}
	/* back to header order (insertion sort: few parameters) */
	for (size_t i = 1; i < params->n; i++)
		for (size_t k = i; k > 0 && first[k - 1] > first[k]; k--) {
			struct mime_param t = params->v[k];
			size_t f = first[k];

			params->v[k] = params->v[k - 1];
			params->v[k - 1] = t;
			first[k] = first[k - 1];
			first[k - 1] = f;
		}
}

void
mime_param_parse(struct pool *pool, const char *s, char **value_out,
    struct mime_params *params)
{
	size_t n = 0, cap = 0;
	struct segment *sg = NULL;

	s = lead_value(pool, s, value_out);
	while (*s != '\0') {
		char *name, *value;

		if (*s != ';') {	/* junk after a value: skip it */
			s++;
			continue;
		}
		s = read_param(pool, s + 1, &name, &value);
		if (name == NULL)
			continue;
		if (n == cap) {
			struct segment *nsg;

			cap = cap == 0 ? 8 : cap * 2;
			nsg = pool_alloc(pool, cap * sizeof(*nsg));
			if (n > 0)
				memcpy(nsg, sg, n * sizeof(*nsg));
			sg = nsg;
		}
		split_name(pool, name, &sg[n]);
		sg[n].value = value;
		sg[n].order = n;
		n++;
	}
	if (n > 0)
		qsort(sg, n, sizeof(*sg), cmp_segment);
	build_params(pool, sg, n, params);
}

const char *
mime_param_get(const struct mime_params *params, const char *name)
{
	const char *plain = NULL;

	for (size_t i = 0; i < params->n; i++) {
		if (!str_eq_ci(params->v[i].name, name))
			continue;
		if (params->v[i].extended)
			return params->v[i].value;
		if (plain == NULL)
			plain = params->v[i].value;
	}
	return plain;
}
