/*
 * tests/fuzz/mime_encword_fuzz.c - fuzz target for the decoders of
 * lib/mime_decode.h: RFC 2047 encoded-words, base64, quoted-printable,
 * charset conversion and HTML to text.
 *
 * Invariants: encoded-word, charset and HTML outputs are valid UTF-8
 * (checked by an independent validator here) without NULs; base64 gives
 * at most 3 bytes per 4 input bytes, quoted-printable never more bytes
 * than it read; a ceiling too small fails with -1 and, for charsets,
 * leaves the output as it was.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime_decode.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
valid_utf8(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k;

		if (p[i] == 0)
			return false;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0)
			k = 1, cp = p[i] & 0x1f;
		else if ((p[i] & 0xf0) == 0xe0)
			k = 2, cp = p[i] & 0x0f;
		else if ((p[i] & 0xf8) == 0xf0)
			k = 3, cp = p[i] & 0x07;
		else
			return false;
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf *b = buf_new(256, 1 << 22), *tiny = buf_new(4, 8);
	const char *charsets[] = { "utf-8", "iso-8859-1", "shift_jis",
		"iso-2022-jp", "utf-16" };

	if (mime_encword_decode((const char *)data, size, b) == -1 ||
	    !valid_utf8(b->data, b->len))
		abort();
	buf_reset(b);
	if (mime_base64_decode(data, size, b) == -1 || b->len > size / 4 * 3 + 2)
		abort();
	buf_reset(b);
	if (mime_qp_decode(data, size, false, b) == -1 || b->len > size)
		abort();
	buf_reset(b);
	if (mime_qp_decode(data, size, true, b) == -1 || b->len > size)
		abort();
	for (size_t i = 0; i < sizeof(charsets) / sizeof(charsets[0]); i++) {
		buf_reset(b);
		if (mime_charset_to_utf8(charsets[i], data, size, b) == -1 ||
		    !valid_utf8(b->data, b->len))
			abort();
		buf_reset(tiny);
		buf_append_str(tiny, "ab");
		if (mime_charset_to_utf8(charsets[i], data, size, tiny) == -1 &&
		    (tiny->len != 2 || memcmp(tiny->data, "ab", 2) != 0))
			abort();
	}
	buf_reset(b);
	if (mime_charset_to_utf8("utf-8", data, size, b) == -1)
		abort();
	{
		struct buf *h = buf_new(256, 1 << 22);

		if (mime_html_to_text(b->data, b->len, h) == -1 ||
		    !valid_utf8(h->data, h->len))
			abort();
		buf_free(&h);
	}
	buf_free(&b);
	buf_free(&tiny);
	return 0;
}
