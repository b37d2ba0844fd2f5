/*
 * lib/mime_decode.h - turning MIME bytes into UTF-8 text: transfer
 * encodings (RFC 2045 base64 and quoted-printable), charsets (iconv),
 * RFC 2047 encoded-words, and HTML reduced to text.
 *
 * Every output goes into a caller's struct buf, whose ceiling bounds the
 * work; decoders are tolerant (mail is often slightly broken) and never
 * read past the length they are given.
 */
#ifndef LIB_MIME_DECODE_H
#define LIB_MIME_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* Base64 as found in mail: characters outside the alphabet (line ends,
 * spaces, garbage) are skipped, decoding stops at the first '='; a
 * trailing partial group yields its whole bytes. Appends to out.
 * 0, or -1 past out's ceiling. */
int mime_base64_decode(const uint8_t *in, size_t len, struct buf *out);

/* Quoted-printable (RFC 2045 6.7): "=XX" escapes, soft line breaks,
 * trailing white space of lines dropped; a malformed "=" is kept as is.
 * With header_mode (RFC 2047 "Q"), '_' is a space. Appends to out.
 * 0, or -1 past out's ceiling. */
int mime_qp_decode(const uint8_t *in, size_t len, bool header_mode,
    struct buf *out);

/* Whether iconv knows charset (a missing or empty one counts as
 * us-ascii). */
bool mime_charset_known(const char *charset);

/* Convert len bytes in charset to UTF-8, appended to out. Invalid input
 * sequences become U+FFFD; NULs are dropped. An unknown charset returns
 * -1 with out unchanged; so does going past out's ceiling. UTF-8 and
 * us-ascii input is validated the same way. */
int mime_charset_to_utf8(const char *charset, const uint8_t *in, size_t len,
    struct buf *out);

/* Decode a header value with RFC 2047 encoded-words (B and Q, the
 * RFC 2231 "*lang" suffix ignored) into UTF-8, appended to out. White
 * space between adjacent encoded-words is dropped; adjacent words in the
 * same charset are joined before conversion, so a character split between
 * them survives. Text outside encoded-words is taken as UTF-8 (invalid
 * bytes become U+FFFD); an encoded-word in an unknown charset or with bad
 * syntax is kept literally. 0, or -1 past out's ceiling. */
int mime_encword_decode(const char *in, size_t len, struct buf *out);

/* Text of an HTML document (UTF-8 in, UTF-8 out): tags dropped (block
 * tags become line breaks), script and style content and comments
 * dropped, common entities and numeric references decoded, runs of white
 * space collapsed. 0, or -1 past out's ceiling. */
int mime_html_to_text(const uint8_t *in, size_t len, struct buf *out);

/* Append code point cp as UTF-8 (invalid ones as U+FFFD). */
int mime_utf8_put(struct buf *out, uint32_t cp);

#endif
