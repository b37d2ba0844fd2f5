/*
 * tests/fuzz/smtp_data_fuzz.c - fuzz target for the DATA/BDAT decoder in
 * lib/smtp_data.c, with random chunking.
 *
 * The first byte picks the mode and small limits; the rest is the data.
 * Invariants:
 *  - decoding all at once and in chunks of pseudo-random sizes (seeded by
 *    the input) gives the same end, bytes consumed, output, error, size,
 *    Received: count and header size, and output never outgrows input;
 *  - in DOT mode without error the result equals a reference decoder:
 *    the end is the first line "." (found as "\r\n.\r\n" in CRLF + data,
 *    there being no bare CR or LF), and the output is the lines before
 *    it with one leading dot removed;
 *  - without error, the output has no bare CR or LF (except BINARY).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/smtp_data.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	int rc;
	size_t used;
	uint8_t *out;
	size_t out_len;
	const struct smtp_error *err;
	uint64_t size, hdr;
	size_t received;
};

static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
run(const uint8_t *in, size_t len, const struct smtp_limits *lim,
    enum smtp_data_mode mode, uint64_t seed, struct result *r)
{
	struct smtp_data *d = smtp_data_new(lim, mode);
	uint8_t *tmp = malloc(len + 1);
	size_t off = 0;

	r->out = malloc(len + 1);
	r->out_len = 0;
	r->rc = 0;
	while (off < len) {
		size_t n = seed == 0 ? len - off : 1 + next_rand(&seed) % 17;
		size_t out_len, used;

		if (n > len - off)
			n = len - off;
		memcpy(tmp, in + off, n);
		r->rc = smtp_data_feed(d, tmp, n, tmp, &out_len, &used);
		if (used > n || out_len > used || (r->rc == 0 && used != n))
			abort();
		memcpy(r->out + r->out_len, tmp, out_len);
		r->out_len += out_len;
		off += used;
		if (r->rc == 1)
			break;
	}
	if (mode != SMTP_DATA_DOT)
		smtp_data_finish(d);
	r->used = off;
	r->err = smtp_data_error(d);
	r->size = smtp_data_size(d);
	r->received = smtp_data_received(d);
	smtp_data_headers_done(d, &r->hdr);
	smtp_data_free(&d);
	free(tmp);
}

/* Reference DOT decoding for data with no bare CR or LF. */
static void
reference(const uint8_t *in, size_t len, const struct result *r)
{
	uint8_t *out = malloc(len + 1);
	size_t i = 0, o = 0;

	for (i = 0; i < len; i++)
		if ((in[i] == '\r' && (i + 1 == len || in[i + 1] != '\n')) ||
		    (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')))
			goto done;	/* a bare one before the end: skip */
	i = 0;
	while (i < len) {
		const uint8_t *nl = memchr(in + i, '\n', len - i);
		size_t n, s;

		if (nl == NULL) {
			/* unterminated last line: no end found */
			if (r->rc != 0)
				abort();
			goto done;
		}
		n = (size_t)(nl - (in + i)) + 1;
		if (n == 3 && in[i] == '.') {
			if (r->rc != 1 || r->used != i + 3 || r->out_len != o ||
			    memcmp(r->out, out, o) != 0)
				abort();
			goto done;
		}
		s = in[i] == '.';
		memcpy(out + o, in + i + s, n - s);
		o += n - s;
		i += n;
	}
	if (r->rc != 0 || r->out_len != o || memcmp(r->out, out, o) != 0)
		abort();
done:
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum smtp_data_mode modes[] = { SMTP_DATA_DOT,
	    SMTP_DATA_DOT, SMTP_DATA_BDAT, SMTP_DATA_BINARY };
	struct smtp_limits lim;
	enum smtp_data_mode mode;
	struct result whole, part;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	if (size == 0)
		return 0;
	smtp_limits_default(&lim);
	mode = modes[data[0] & 3];
	if (data[0] & 4)
		lim.text_line_max = 4 + (data[0] >> 4);
	if (data[0] & 8)
		lim.message_size_max = 4 + (data[0] >> 3);
	for (size_t i = 0; i < size && i < 8; i++)
		seed = seed * 31 + data[i];
	run(data + 1, size - 1, &lim, mode, 0, &whole);
	run(data + 1, size - 1, &lim, mode, seed | 1, &part);
	if (whole.rc != part.rc || whole.used != part.used ||
	    whole.err != part.err || whole.size != part.size ||
	    whole.received != part.received || whole.hdr != part.hdr)
		abort();
	if (whole.err == NULL && (whole.out_len != part.out_len ||
	    memcmp(whole.out, part.out, whole.out_len) != 0))
		abort();
	if (whole.out_len > whole.used)
		abort();
	if (whole.err == NULL && mode != SMTP_DATA_BINARY) {
		for (size_t i = 0; i < whole.out_len; i++)
			if ((whole.out[i] == '\n') != (i > 0 &&
			    whole.out[i - 1] == '\r'))
				abort();
	}
	if (whole.err == NULL && mode == SMTP_DATA_DOT)
		reference(data + 1, whole.used, &whole);
	free(whole.out);
	free(part.out);
	return 0;
}
