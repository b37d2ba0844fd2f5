/*
 * tests/fuzz/b64_fuzz.c - fuzz target for saslsrv_b64_decode and
 * saslsrv_b64_encode in lib/saslsrv.c.
 *
 * The input is used twice: as text to decode and as bytes to encode.
 * Invariants:
 *  - encoding: output length 4 * ceil(n / 3), only alphabet characters
 *    and trailing '=' padding, and it decodes back to the input;
 *  - strict decoding: base64 text has exactly one encoding of its bytes
 *    (zero pad bits, padding only at the end, no white space), so any
 *    text the decoder accepts re-encodes to itself, byte for byte, and a
 *    text it rejects is one the encoder could never have produced;
 *  - a rejected or failed call leaves its output empty; a ceiling too
 *    small for the result fails cleanly.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/saslsrv.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Whether text could have come out of the encoder, ignoring pad bits. */
static int
looks_encoded(const char *t, size_t n)
{
	size_t i, pad = 0;

	if (n % 4 != 0)
		return 0;
	while (pad < 2 && pad < n && t[n - 1 - pad] == '=')
		pad++;
	for (i = 0; i < n - pad; i++)
		if (t[i] == '\0' || strchr(alphabet, t[i]) == NULL)
			return 0;
	return 1;
}

/* Whether text shaped like an encoding has bits set below its last
 * byte, which the encoder never produces. */
static int
bad_pad_bits(const char *t, size_t n)
{
	if (n >= 4 && t[n - 1] == '=' && t[n - 2] == '=')
		return (strchr(alphabet, t[n - 3]) - alphabet) & 0xf;
	if (n >= 4 && t[n - 1] == '=')
		return (strchr(alphabet, t[n - 2]) - alphabet) & 0x3;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf *enc = buf_new(64, 1 << 20), *dec = buf_new(64, 1 << 20);
	struct buf *re = buf_new(64, 1 << 20), *tiny = buf_new(4, 4);
	size_t want = (size + 2) / 3 * 4;

	/* encode: shape, alphabet, and decode(encode(x)) == x */
	if (saslsrv_b64_encode(data, size, enc) != 0 || enc->len != want ||
	    !looks_encoded(buf_cstr(enc), enc->len))
		abort();
	if (saslsrv_b64_decode(buf_cstr(enc), enc->len, dec) != 0 ||
	    dec->len != size || (size > 0 && memcmp(dec->data, data, size)))
		abort();
	/* decode: accepted text is the one canonical encoding */
	if (saslsrv_b64_decode((const char *)data, size, dec) == 0) {
		if (!looks_encoded((const char *)data, size) ||
		    dec->len != size / 4 * 3 - (size > 0 && data[size - 1] ==
		    '=') - (size > 1 && data[size - 2] == '='))
			abort();
		if (saslsrv_b64_encode(dec->data, dec->len, re) != 0 ||
		    re->len != size || (size > 0 && memcmp(re->data, data,
		    size) != 0))
			abort();
	} else if (dec->len != 0 || (looks_encoded((const char *)data,
	    size) && !bad_pad_bits((const char *)data, size))) {
		/* shaped like an encoding, only stray pad bits may fail it */
		abort();
	}
	/* a ceiling too small fails without overrunning */
	if (size > 3 && saslsrv_b64_encode(data, size, tiny) != -1)
		abort();
	if (size > 6 && looks_encoded(buf_cstr(enc), enc->len) &&
	    saslsrv_b64_decode(buf_cstr(enc), enc->len, tiny) != -1)
		abort();
	if (tiny->len > 4)
		abort();
	buf_free(&enc);
	buf_free(&dec);
	buf_free(&re);
	buf_free(&tiny);
	return 0;
}
