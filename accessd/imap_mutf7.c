/*
 * accessd/imap_mutf7.c - modified UTF-7 (RFC 3501 5.1.3): printable
 * ASCII stands for itself except '&', written "&-"; other characters are
 * UTF-16 in base64 (',' for '/') between '&' and '-'.
 *
 * Pure; runs in accessd's IMAP sessions on client bytes and on the
 * store's names.
 */
#include "config.h"

#include <stdint.h>

#include "lib/buf.h"
#include "accessd/imap_mutf7.h"
#include "lib/banned.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64_value(char c)
{
	for (int i = 0; i < 64; i++)
		if (b64[i] == c)
			return i;
	return -1;
}

static int
put_utf8(struct buf *out, uint32_t cp)
{
	uint8_t u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xc0 | (cp >> 6));
		u[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xe0 | (cp >> 12));
		u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xf0 | (cp >> 18));
		u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(out, u, n);
}

/* One shifted run in[0..len) (between '&' and '-'). */
static int
decode_run(const char *in, size_t len, struct buf *out)
{
	uint32_t bits = 0, hi = 0;
	unsigned nbits = 0;
	size_t units = 0;

	for (size_t i = 0; i < len; i++) {
		int v = b64_value(in[i]);

		if (v < 0)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits >= 16) {
			uint32_t u = (bits >> (nbits - 16)) & 0xffff;

			nbits -= 16;
			units++;
			if (hi != 0) {
				if (u < 0xdc00 || u > 0xdfff)
					return -1;
				if (put_utf8(out, 0x10000 + ((hi - 0xd800) <<
				    10) + (u - 0xdc00)) == -1)
					return -1;
				hi = 0;
			} else if (u >= 0xd800 && u <= 0xdbff) {
				hi = u;
			} else if ((u >= 0xdc00 && u <= 0xdfff) ||
			    (u >= 0x20 && u <= 0x7e)) {
				/* lone low surrogate; printable ASCII must
				 * not be encoded */
				return -1;
			} else if (put_utf8(out, u) == -1) {
				return -1;
			}
		}
	}
	/* leftover bits must be zero padding, less than one unit */
	if (hi != 0 || units == 0 || nbits >= 6 ||
	    (bits & ((1u << nbits) - 1)) != 0)
		return -1;
	return 0;
}

int
imap_mutf7_decode(const char *in, size_t len, struct buf *out)
{
	size_t run_end = (size_t)-1;	/* index of the last run's '-' */

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x20 || c > 0x7e)
			return -1;
		if (c != '&') {
			if (buf_append_byte(out, c) == -1)
				return -1;
			continue;
		}
		{
			size_t j = i + 1;

			while (j < len && in[j] != '-')
				j++;
			if (j >= len)
				return -1;
			if (j == i + 1) {
				if (buf_append_byte(out, '&') == -1)
					return -1;
			} else {
				/* "&AOk-&AOk-" is the non-canonical form of
				 * "&AOkA6Q-": one name, one spelling */
				if (run_end != (size_t)-1 && run_end + 1 == i)
					return -1;
				if (decode_run(in + i + 1, j - i - 1, out) ==
				    -1)
					return -1;
				run_end = j;
			}
			i = j;
		}
	}
	return 0;
}

/* The next code point of UTF-8 in[*i..len), or -1 if invalid. */
static int64_t
next_cp(const unsigned char *in, size_t len, size_t *i)
{
	unsigned char c = in[*i];
	uint32_t cp, min;
	size_t n;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 1, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	for (size_t k = 1; k <= n; k++) {
		if (*i + k >= len || (in[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (in[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n + 1;
	return cp;
}

int
imap_mutf7_encode(const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0;

	while (i < len) {
		uint32_t bits = 0;
		unsigned nbits = 0;

		if (p[i] >= 0x20 && p[i] <= 0x7e) {
			if (buf_append_byte(out, p[i]) == -1 || (p[i] == '&' &&
			    buf_append_byte(out, '-') == -1))
				return -1;
			i++;
			continue;
		}
		if (buf_append_byte(out, '&') == -1)
			return -1;
		while (i < len && (p[i] < 0x20 || p[i] > 0x7e)) {
			int64_t cp = next_cp(p, len, &i);
			uint32_t u[2];
			size_t nu = 1;

			if (cp < 0)
				return -1;
			if (cp >= 0x10000) {
				u[0] = 0xd800 + (((uint32_t)cp - 0x10000) >> 10);
				u[1] = 0xdc00 + (((uint32_t)cp - 0x10000) &
				    0x3ff);
				nu = 2;
			} else {
				u[0] = (uint32_t)cp;
			}
			for (size_t k = 0; k < nu; k++) {
				bits = (bits << 16) | u[k];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					if (buf_append_byte(out, (uint8_t)b64[
					    (bits >> nbits) & 0x3f]) == -1)
						return -1;
				}
				bits &= (1u << nbits) - 1;
			}
		}
		if (nbits > 0 && buf_append_byte(out, (uint8_t)b64[
		    (bits << (6 - nbits)) & 0x3f]) == -1)
			return -1;
		if (buf_append_byte(out, '-') == -1)
			return -1;
	}
	return 0;
}
