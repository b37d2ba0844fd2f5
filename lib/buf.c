/*
 * lib/buf.c - growable, length-counted byte buffer with a hard ceiling.
 *
 * Used everywhere client bytes are gathered or replies are built; the
 * ceiling is what keeps a hostile peer from growing a process without bound.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct buf *
buf_new(size_t initial, size_t max)
{
	struct buf *b = xmalloc(sizeof(*b));

	if (initial > max)
		initial = max;
	if (initial < 16)
		initial = 16;
	b->data = xmalloc(initial + 1);
	b->cap = initial;
	b->max = max;
	return b;
}

static void
buf_free_common(struct buf **bp, int wipe)
{
	struct buf *b;

	if (bp == NULL || *bp == NULL)
		return;
	b = *bp;
	if (wipe)
		mem_wipe(b->data, b->cap + 1);
	free(b->data);
	free(b);
	*bp = NULL;
}

void
buf_free(struct buf **bp)
{
	buf_free_common(bp, 0);
}

void
buf_free_secret(struct buf **bp)
{
	buf_free_common(bp, 1);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
}

int
buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;

	if (extra > b->max || b->len > b->max - extra)
		return -1;
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	cap = b->cap;
	while (cap < need)
		cap = cap > b->max / 2 ? b->max : cap * 2;
	b->data = xreallocarray(b->data, cap + 1, 1);
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t len)
{
	if (buf_reserve(b, len) == -1)
		return -1;
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_append_byte(struct buf *b, uint8_t c)
{
	return buf_append(b, &c, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return -1;
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

void
buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

const char *
buf_cstr(const struct buf *b)
{
	return (const char *)b->data;
}

char *
buf_steal(struct buf *b, size_t *len_out)
{
	char *p = (char *)b->data;

	if (len_out != NULL)
		*len_out = b->len;
	b->data = xmalloc(17);
	b->cap = 16;
	b->len = 0;
	return p;
}
