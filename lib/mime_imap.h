/*
 * lib/mime_imap.h - the IMAP views of a parsed message: ENVELOPE, BODY and
 * BODYSTRUCTURE exactly as RFC 3501 section 7.4.2 and its formal syntax
 * (section 9) define them, written into a struct buf.
 *
 * Strings are quoted when they are 7-bit without CR/LF and literals
 * ({n} CRLF bytes) otherwise; absent values are NIL; media types,
 * encodings, parameter and disposition names are upper case, as in the
 * RFC's examples. Library code: no IMAP session state here.
 */
#ifndef LIB_MIME_IMAP_H
#define LIB_MIME_IMAP_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct pool;
struct mime_message;
struct mime_part;

/* Append s[len] as an IMAP string (quoted or literal); s == NULL gives
 * NIL. 0, or -1 past out's ceiling. */
int mime_imap_string(struct buf *out, const char *s, size_t len);
/* As mime_imap_string for a NUL-terminated string (NULL: NIL). */
int mime_imap_nstring(struct buf *out, const char *s);

/* Append the ENVELOPE of the message whose header is msg's (the root, or
 * the child of a message/rfc822 part). Sender and Reply-To default to
 * From (RFC 3501 7.4.2). Temporary strings go to pool. 0, or -1 past
 * out's ceiling. */
int mime_imap_envelope(const struct mime_message *m,
    const struct mime_part *msg, struct pool *pool, struct buf *out);

/* Append the body structure of part p: with extended, the BODYSTRUCTURE
 * form (extension data); without, the non-extensible BODY form. 0, or
 * -1 past out's ceiling. */
int mime_imap_bodystructure(const struct mime_message *m,
    const struct mime_part *p, bool extended, struct pool *pool,
    struct buf *out);

#endif
