/*
 * lib/mime_text.h - the content of a parsed MIME part, transfer-decoded,
 * and its text as UTF-8 (for the spam filter and IMAP SEARCH).
 */
#ifndef LIB_MIME_TEXT_H
#define LIB_MIME_TEXT_H

#include <stdbool.h>

struct buf;
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

#endif
