/*
 * lib/smtp_xtext.h - xtext, the encoding of DSN and AUTH= parameter values
 * (RFC 3461 4): printable ASCII except "+" and "=", others as "+HH".
 */
#ifndef LIB_SMTP_XTEXT_H
#define LIB_SMTP_XTEXT_H

#include <stddef.h>

#include "lib/buf.h"

/* Decode xtext s[0..len) and append the bytes to out (hex digits in
 * either case are accepted). 0, or -1 on a character outside xtext, a
 * short or non-hex "+HH", or out's ceiling (out is then left as it was). */
int smtp_xtext_decode(const char *s, size_t len, struct buf *out);
/* Append the xtext form of p[0..len) to out (upper-case "+HH" for
 * "+", "=", controls, space and 8-bit bytes). 0, or -1 at the ceiling
 * (out unchanged). */
int smtp_xtext_encode(const void *p, size_t len, struct buf *out);

#endif
