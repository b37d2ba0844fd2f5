/*
 * tests/fuzz/log_escape_fuzz.c - fuzz target for log_escape in lib/log.c.
 *
 * The input is untrusted text to be logged. Invariants, for a roomy
 * buffer (reused, so it starts dirty) and for one whose ceiling is
 * smaller than the output:
 *  - the output has only printable ASCII, no '"', and a '\\' only as
 *    the start of a \xNN escape (two lowercase hex digits), never cut;
 *  - it is at most LOG_FUZZ_MAX bytes: 512 before the cut, the last
 *    escape and "...";
 *  - unescaped it is the input, or (when cut, ending in "...") a proper
 *    prefix of it with at least 512 bytes of output before the "...".
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* log.c's LOG_ESCAPE_MAX (512) + a last "\xNN" started at 511 + "...". */
#define LOG_FUZZ_CUT 512
#define LOG_FUZZ_MAX (LOG_FUZZ_CUT - 1 + 4 + 3)

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Check the character rules and unescape the first n bytes of s into
 * dst (room for n bytes). Returns the unescaped length. */
static size_t
unescape(const char *s, size_t n, uint8_t *dst)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e || c == '"')
			abort();
		if (c != '\\') {
			dst[k++] = c;
			continue;
		}
		if (i + 3 >= n || s[i + 1] != 'x' || hexval(s[i + 2]) < 0 ||
		    hexval(s[i + 3]) < 0)
			abort();
		dst[k++] = (uint8_t)(hexval(s[i + 2]) << 4 | hexval(s[i + 3]));
		i += 3;
	}
	return k;
}

static void
check(const struct buf *out, const char *ret, const uint8_t *data,
    size_t size, size_t ceiling)
{
	size_t n = out->len, k;
	uint8_t *u;

	if (ret != buf_cstr(out) || strlen(ret) != n || n > LOG_FUZZ_MAX ||
	    n > ceiling)
		abort();
	u = malloc(n + 1);
	if (u == NULL)
		abort();
	k = unescape(ret, n, u);
	if (k == size && memcmp(u, data, size) == 0)
		goto out;
	if (ceiling >= LOG_FUZZ_MAX) {
		/* cut at the limit: escape of a prefix, then "..." */
		if (n < LOG_FUZZ_CUT + 3 || memcmp(ret + n - 3, "...", 3) != 0)
			abort();
		n -= 3;
		k = unescape(ret, n, u);
	}
	/* cut at the limit or at the ceiling: a proper prefix */
	if (k >= size || memcmp(u, data, k) != 0)
		abort();
out:
	free(u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf *out = buf_new(16, 4096), *tiny = buf_new(8, 37);
	const char *r;

	(void)buf_append_str(out, "left over \"\\ from before");
	r = log_escape(out, data, size);
	check(out, r, data, size, 4096);
	/* a second escape into the same buffer gives the same text */
	r = log_escape(out, data, size);
	check(out, r, data, size, 4096);
	r = log_escape(tiny, data, size);
	check(tiny, r, data, size, 37);
	buf_free(&out);
	buf_free(&tiny);
	return 0;
}
