/*
 * lib/smtp_xtext.c - xtext decoding and encoding (RFC 3461 4) for ENVID=,
 * ORCPT= and AUTH= values, which come from clients and go into the queue
 * file and DSNs.
 */
#include "config.h"

#include <stdint.h>

#include "lib/smtp_xtext.h"
#include "lib/banned.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
is_xchar(unsigned char c)
{
	return c >= 33 && c <= 126 && c != '+' && c != '=';
}

int
smtp_xtext_decode(const char *s, size_t len, struct buf *out)
{
	size_t start = out->len;
	int hi, lo;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			if (i + 2 >= len)
				goto fail;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				goto fail;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (!is_xchar(c)) {
			goto fail;
		}
		if (buf_append_byte(out, c) == -1)
			goto fail;
	}
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

int
smtp_xtext_encode(const void *p, size_t len, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const uint8_t *b = p;
	size_t start = out->len;

	for (size_t i = 0; i < len; i++) {
		int rc;

		if (is_xchar(b[i])) {
			rc = buf_append_byte(out, b[i]);
		} else {
			char e[3] = { '+', hex[b[i] >> 4], hex[b[i] & 0xf] };

			rc = buf_append(out, e, 3);
		}
		if (rc == -1) {
			buf_truncate(out, start);
			return -1;
		}
	}
	return 0;
}
