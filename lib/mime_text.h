/*
 * lib/mime_text.h - the content of a parsed MIME part, transfer-decoded,
 * and its text as UTF-8 (for the spam filter and IMAP SEARCH).
 */
#ifndef LIB_MIME_TEXT_H
#define LIB_MIME_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct pool;
struct mime_message;
struct mime_part;

/* Whether p is a leaf of type text/... (the parts with text to read). */
bool mime_part_is_text(const struct mime_part *p);

/* Append p's body with its Content-Transfer-Encoding undone (base64,
 * quoted-printable; others as they are). 0, or -1 past out's ceiling. */
int mime_part_decode(const struct mime_message *m, const struct mime_part *p,
    struct buf *out);

/* Append p's text as UTF-8: decoded, converted from its charset (an
 * unknown charset is read as UTF-8 with invalid bytes replaced), and
 * for text/html reduced to plain text. 0, or -1 past out's ceiling (out
 * then unchanged). */
int mime_part_text(const struct mime_message *m, const struct mime_part *p,
    struct buf *out);

/* The unfolded value of the first field named name in p's header, with
 * RFC 2047 encoded-words decoded, as UTF-8 allocated in pool (for SEARCH
 * SUBJECT/FROM and the spam filter). NULL if there is no such field; a
 * value decoding to more than max bytes gives the decoding of a shorter
 * prefix of the raw value instead (at most max bytes). */
char *mime_header_text(struct pool *pool, const struct mime_message *m,
    const struct mime_part *p, const char *name, size_t max);

#endif
