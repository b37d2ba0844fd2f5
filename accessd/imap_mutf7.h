/*
 * accessd/imap_mutf7.h - IMAP's modified UTF-7 for mailbox names (RFC
 * 3501 section 5.1.3) to and from the store's UTF-8 names.
 *
 * Pure: bytes in, a struct buf out. Fuzzed by
 * tests/fuzz/fuzz_imap_parse.c (a round trip must give the input back).
 */
#ifndef ACCESSD_IMAP_MUTF7_H
#define ACCESSD_IMAP_MUTF7_H

#include <stddef.h>

struct buf;

/* Decode a modified UTF-7 name into UTF-8 appended to out. 0, or -1 on
 * malformed input (bad base64, non-canonical shifts, raw 8-bit bytes,
 * unpaired surrogates) or past out's ceiling. */
int imap_mutf7_decode(const char *in, size_t len, struct buf *out);
/* Encode a UTF-8 name into modified UTF-7 appended to out. 0, or -1 on
 * invalid UTF-8 or past out's ceiling. */
int imap_mutf7_encode(const char *in, size_t len, struct buf *out);

#endif
