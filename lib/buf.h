/*
 * lib/buf.h - growable, length-counted byte buffer with a hard ceiling.
 *
 * A buf always keeps a spare NUL after its bytes, so text built in it can
 * be handed to C string functions; binary data may contain NULs. Every
 * append fails (returns -1, buffer unchanged) rather than grow past the
 * ceiling given at creation: a ceiling reached is a bug or hostile input.
 */
#ifndef LIB_BUF_H
#define LIB_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;	/* len bytes, then a NUL */
	size_t len;
	size_t cap;	/* allocated bytes, not counting the spare NUL */
	size_t max;	/* ceiling for len */
};

/* New empty buffer with room for initial bytes that never holds more than
 * max bytes. Never returns NULL. */
struct buf *buf_new(size_t initial, size_t max);
/* Free *bp (NULL-safe) and clear the pointer. */
void buf_free(struct buf **bp);
/* Like buf_free, wiping the contents first (passwords, keys). */
void buf_free_secret(struct buf **bp);

/* Drop the contents, keep the allocation. */
void buf_reset(struct buf *b);
/* Append len bytes. 0, or -1 if the ceiling would be passed. */
int buf_append(struct buf *b, const void *p, size_t len);
/* Append a NUL-terminated string. 0 or -1 as buf_append. */
int buf_append_str(struct buf *b, const char *s);
/* Append one byte. */
int buf_append_byte(struct buf *b, uint8_t c);
/* Append formatted text. 0, or -1 past the ceiling (buffer unchanged). */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Remove the first n bytes (n > len empties the buffer). */
void buf_consume(struct buf *b, size_t n);
/* Shorten to len bytes (no-op if already shorter). */
void buf_truncate(struct buf *b, size_t len);
/* Make sure len + extra bytes fit. 0, or -1 past the ceiling. */
int buf_reserve(struct buf *b, size_t extra);
/* The contents as a NUL-terminated string (valid until the next change). */
const char *buf_cstr(const struct buf *b);
/* Take ownership of the bytes (NUL-terminated); the buffer becomes empty.
 * *len_out (optional) receives the length. */
char *buf_steal(struct buf *b, size_t *len_out);

#endif
