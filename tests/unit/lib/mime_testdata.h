/*
 * tests/unit/lib/mime_testdata.h - loading the sample messages of
 * tests/data for the MIME and IMAP unit tests.
 */
#ifndef TESTS_UNIT_LIB_MIME_TESTDATA_H
#define TESTS_UNIT_LIB_MIME_TESTDATA_H

struct buf;

/* tests/data/NAME read from $TESSERA_SRCDIR with LF turned into CRLF
 * (the files are stored with LF). Fails the test if it cannot be read. */
struct buf *mime_testdata_load(const char *name);

/* text with every LF turned into CRLF. */
struct buf *mime_testdata_crlf(const char *text);

#endif
