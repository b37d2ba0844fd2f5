/*
 * lib/mime_transfer.c - Content-Transfer-Encoding decoders: base64 and
 * quoted-printable, tolerant of what mailers really send.
 *
 * Input is hostile and may be large; output is bounded by the caller's
 * buffer ceiling and the loops are linear in the input.
 */
#include "config.h"

#include "lib/buf.h"
#include "lib/mime_decode.h"
#include "lib/banned.h"

static int
b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
mime_base64_decode(const uint8_t *in, size_t len, struct buf *out)
{
	uint8_t chunk[1024];	/* appended a chunk at a time: speed */
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		int v;

		if (in[i] == '=')
			break;
		if ((v = b64_value(in[i])) < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			chunk[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
			if (n == sizeof(chunk)) {
				if (buf_append(out, chunk, n) == -1)
					return -1;
				n = 0;
			}
		}
	}
	return buf_append(out, chunk, n);
}

static int
hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')	/* not RFC 2045, but common */
		return c - 'a' + 10;
	return -1;
}

/* Index of the first trailing space/tab of the line [i, end). */
static size_t
trim_end(const uint8_t *in, size_t i, size_t end)
{
	while (end > i && (in[end - 1] == ' ' || in[end - 1] == '\t'))
		end--;
	return end;
}

int
mime_qp_decode(const uint8_t *in, size_t len, bool header_mode,
    struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		size_t eol = i, next, content;

		while (eol < len && in[eol] != '\n')
			eol++;
		next = eol < len ? eol + 1 : len;
		content = eol;
		if (content > i && in[content - 1] == '\r')
			content--;
		if (!header_mode)
			content = trim_end(in, i, content);
		for (size_t j = i; j < content; j++) {
			uint8_t c = in[j];
			int hi, lo;

			if (c == '=' && j + 1 == content) {
				goto soft_break;	/* "=" CRLF */
			} else if (c == '=' && j + 2 < content &&
			    (hi = hex_value(in[j + 1])) >= 0 &&
			    (lo = hex_value(in[j + 2])) >= 0) {
				c = (uint8_t)(hi << 4 | lo);
				j += 2;
			} else if (c == '_' && header_mode) {
				c = ' ';
			}
			if (buf_append_byte(out, c) == -1)
				return -1;
		}
		/* the line end as the input had it */
		if (eol < len && eol > i && in[eol - 1] == '\r') {
			if (buf_append(out, "\r\n", 2) == -1)
				return -1;
		} else if (eol < len && buf_append_byte(out, '\n') == -1) {
			return -1;
		}
soft_break:
		i = next;
	}
	return 0;
}
