/*
 * tests/unit/lib/mime_testdata.c - sample messages for the MIME tests,
 * read from tests/data in the source tree and given CRLF line ends.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "tests/unit/lib/mime_testdata.h"
#include "lib/banned.h"

struct buf *
mime_testdata_crlf(const char *text)
{
	struct buf *b = buf_new(1024, 1 << 24);

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\n')
			buf_append_byte(b, '\r');
		buf_append_byte(b, (uint8_t)*p);
	}
	return b;
}

struct buf *
mime_testdata_load(const char *name)
{
	const char *src = getenv("TESSERA_SRCDIR");
	char path[4096];
	struct buf *raw = buf_new(4096, 1 << 24), *out;
	FILE *f;
	size_t n;
	char tmp[4096];

	cr_assert_not_null(src, "TESSERA_SRCDIR is not set");
	snprintf(path, sizeof(path), "%s/tests/data/%s", src, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(raw, tmp, n);
	fclose(f);
	out = mime_testdata_crlf(buf_cstr(raw));
	buf_free(&raw);
	return out;
}
