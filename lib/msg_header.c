/*
 * lib/msg_header.c - RFC 5322 header block parser, unfolding and lookup.
 *
 * Input is hostile (mail as received or stored): nothing relies on a NUL,
 * every line, field count and block size is bounded by struct msg_limits,
 * and a crossed limit still yields the fields before it plus the true end
 * of the block so the MIME parser can go on.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/msg_header.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/banned.h"

void
msg_limits_defaults(struct msg_limits *lim)
{
	lim->header_line_max = MSG_HEADER_LINE_MAX_DEFAULT;
	lim->header_count_max = MSG_HEADER_COUNT_MAX_DEFAULT;
	lim->header_size_max = MSG_HEADER_SIZE_MAX_DEFAULT;
	lim->depth_max = MIME_DEPTH_MAX_DEFAULT;
	lim->parts_max = MIME_PARTS_MAX_DEFAULT;
	lim->decode_max = MIME_DECODE_MAX_DEFAULT;
}

/* Field name characters: printable ASCII except colon (RFC 5322 3.6.8). */
static bool
is_ftext(uint8_t c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* End of the line starting at i: index of its LF, or len. */
static size_t
line_end(const uint8_t *p, size_t len, size_t i)
{
	const uint8_t *nl = memchr(p + i, '\n', len - i);

	return nl == NULL ? len : (size_t)(nl - p);
}

/* Length of a line's content without its CR before the LF. */
static size_t
content_end(const uint8_t *p, size_t start, size_t lf)
{
	if (lf > start && p[lf - 1] == '\r')
		return lf - 1;
	return lf;
}

static void
set_error(struct msg_headers *h, const char *msg)
{
	if (h->error == NULL)
		h->error = msg;
}

/* Append a field, growing the array by doubling (old arrays stay in the
 * pool until it is freed). */
static void
add_field(struct pool *pool, struct msg_headers *h, size_t *cap,
    const struct msg_header_field *f)
{
	if (h->count == *cap) {
		size_t ncap = *cap == 0 ? 16 : *cap * 2;
		struct msg_header_field *n = pool_alloc(pool,
		    ncap * sizeof(*n));

		if (h->count > 0)
			memcpy(n, h->fields, h->count * sizeof(*n));
		h->fields = n;
		*cap = ncap;
	}
	h->fields[h->count++] = *f;
}

/* Start a field at line [i, ce): 0 and *f filled, or -1 if not a field. */
static int
field_start(const uint8_t *p, size_t i, size_t ce,
    struct msg_header_field *f)
{
	size_t j = i, name_end;

	while (j < ce && is_ftext(p[j]))
		j++;
	if (j == i)
		return -1;
	name_end = j;
	/* obs-optional: white space between the name and the colon */
	while (j < ce && (p[j] == ' ' || p[j] == '\t'))
		j++;
	if (j >= ce || p[j] != ':')
		return -1;
	f->off = i;
	f->name_len = name_end - i;
	f->value_off = j + 1;
	return 0;
}

int
msg_header_parse(const uint8_t *p, size_t len,
    const struct msg_limits *lim, struct pool *pool, struct msg_headers *h,
    const char **err_out)
{
	struct msg_header_field cur;
	bool in_field = false, stopped = false;
	size_t i = 0, cap = 0;

	memset(h, 0, sizeof(*h));
	while (i < len) {
		size_t lf = line_end(p, len, i);
		size_t ce = content_end(p, i, lf);
		size_t next = lf < len ? lf + 1 : len;

		if (ce - i > lim->header_line_max)
			set_error(h, "header line too long");
		if (ce == i) {		/* the empty line ends the block */
			h->has_blank_line = lf < len;
			i = next;
			break;
		}
		if ((p[i] == ' ' || p[i] == '\t') && in_field) {
			cur.value_len = ce - cur.value_off;
			cur.end = next;
		} else {
			if (in_field && !stopped)
				add_field(pool, h, &cap, &cur);
			in_field = field_start(p, i, ce, &cur) == 0;
			if (in_field) {
				cur.value_len = ce - cur.value_off;
				cur.end = next;
			}
		}
		if (next > lim->header_size_max && !stopped) {
			set_error(h, "header too large");
			stopped = true;
		}
		if (in_field && !stopped && h->count >= lim->header_count_max) {
			set_error(h, "too many header fields");
			stopped = true;
		}
		i = next;
	}
	if (in_field && !stopped)
		add_field(pool, h, &cap, &cur);
	h->size = i;
	if (h->error != NULL) {
		*err_out = h->error;
		return -1;
	}
	return 0;
}

bool
msg_header_is(const uint8_t *p, const struct msg_header_field *f,
    const char *name)
{
	size_t n = strlen(name);

	if (n != f->name_len)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t a = p[f->off + i], b = (uint8_t)name[i];

		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (b >= 'A' && b <= 'Z')
			b += 'a' - 'A';
		if (a != b)
			return false;
	}
	return true;
}

const struct msg_header_field *
msg_header_find(const uint8_t *p, const struct msg_headers *h,
    const char *name, size_t index)
{
	for (size_t i = 0; i < h->count; i++)
		if (msg_header_is(p, &h->fields[i], name) && index-- == 0)
			return &h->fields[i];
	return NULL;
}

size_t
msg_header_count(const uint8_t *p, const struct msg_headers *h,
    const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < h->count; i++)
		if (msg_header_is(p, &h->fields[i], name))
			n++;
	return n;
}

char *
msg_header_value(struct pool *pool, const uint8_t *p,
    const struct msg_header_field *f)
{
	const uint8_t *v = p + f->value_off;
	char *out = pool_alloc(pool, f->value_len + 1);
	size_t n = 0, start = 0;

	for (size_t i = 0; i < f->value_len; i++) {
		uint8_t c = v[i];

		if (c == '\r' && i + 1 < f->value_len && v[i + 1] == '\n')
			continue;
		if (c == '\n')
			continue;	/* folding: the WSP after it stays */
		out[n++] = c == '\0' ? ' ' : (char)c;
	}
	while (start < n && (out[start] == ' ' || out[start] == '\t'))
		start++;
	while (n > start && (out[n - 1] == ' ' || out[n - 1] == '\t' ||
	    out[n - 1] == '\r'))
		n--;
	out[n] = '\0';
	return start == 0 ? out : out + start;
}

char *
msg_header_get(struct pool *pool, const uint8_t *p,
    const struct msg_headers *h, const char *name)
{
	const struct msg_header_field *f = msg_header_find(p, h, name, 0);

	return f == NULL ? NULL : msg_header_value(pool, p, f);
}

static bool
name_listed(const uint8_t *p, const struct msg_header_field *f,
    const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (msg_header_is(p, f, names[i]))
			return true;
	return false;
}

int
msg_header_filter(const uint8_t *p, const struct msg_headers *h,
    const char *const *names, size_t n, bool exclude, struct buf *out)
{
	for (size_t i = 0; i < h->count; i++) {
		const struct msg_header_field *f = &h->fields[i];

		if (name_listed(p, f, names, n) == exclude)
			continue;
		if (buf_append(out, p + f->off, f->end - f->off) == -1)
			return -1;
		/* a last field without a line end still ends its line */
		if (f->end == f->off || p[f->end - 1] != '\n')
			if (buf_append(out, "\r\n", 2) == -1)
				return -1;
	}
	if (h->has_blank_line)
		return buf_append(out, "\r\n", 2);
	return 0;
}

int
msg_header_scan(struct msg_header_scan *s, const uint8_t *p, size_t len,
    size_t max, size_t *end_out)
{
	while (s->pos < len) {
		const uint8_t *nl = memchr(p + s->pos, '\n', len - s->pos);
		size_t lf;

		if (nl == NULL) {
			s->pos = len;
			break;
		}
		lf = (size_t)(nl - p);
		if (content_end(p, s->line_start, lf) == s->line_start) {
			if (lf + 1 > max)
				return -1;
			*end_out = lf + 1;
			return 1;
		}
		s->line_start = s->pos = lf + 1;
	}
	return len >= max ? -1 : 0;
}
