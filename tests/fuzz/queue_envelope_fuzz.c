/*
 * tests/fuzz/queue_envelope_fuzz.c - fuzz target for the queue file
 * parsers: queue_env_parse (mtad/queue_env.c) and queue_state_parse_line
 * (mtad/queue_state.c).
 *
 * The input is a queue file (or a state file) as found in the spool.
 * Invariants, with small limits (1024-byte lines, 8 recipients):
 *  - an accepted envelope formats back to exactly its input bytes minus
 *    the padding lines and the blank line (the format is canonical), the
 *    formatted text parses again to the same text, and the input cut one
 *    byte before the body is "need more", never accepted or refused;
 *  - every input line the state-line parser accepts formats back to the
 *    same bytes.
 * A broken invariant abort()s.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "mtad/queue.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct queue_limits fuzz_lim = { 1024, 8 };

/* The input's envelope without padding lines and the blank line. */
static void
strip_padding(const uint8_t *p, size_t off, struct buf *out)
{
	size_t ls = 0;

	for (size_t i = 0; i + 1 < off; i++) {
		if (p[i] != '\n')
			continue;
		if (p[ls] != '#')
			buf_append(out, p + ls, i + 1 - ls);
		ls = i + 1;
	}
}

static void
check_envelope(const uint8_t *data, size_t size, struct pool *pool)
{
	struct queue_env env, again;
	struct buf *in = buf_new(1024, 1 << 24), *out = buf_new(1024, 1 << 24);
	const char *err = NULL;
	size_t off = 0, off2 = 0;
	int rc = queue_env_parse(data, size, &fuzz_lim, pool, &env, &off, &err);

	if (rc == -1 && err == NULL)
		abort();
	if (rc != 1)
		goto out;
	if (off > size || off < 2 || data[off - 1] != '\n' ||
	    data[off - 2] != '\n')
		abort();
	if (queue_env_parse(data, off - 1, &fuzz_lim, pool, &again, &off2,
	    &err) != 0)
		abort();
	strip_padding(data, off, in);
	if (queue_env_format(&env, &fuzz_lim, out, &err) != 0)
		abort();
	if (out->len != in->len || memcmp(out->data, in->data, in->len) != 0)
		abort();
	buf_append_byte(out, '\n');
	if (queue_env_parse(out->data, out->len, &fuzz_lim, pool, &again,
	    &off2, &err) != 1 || off2 != out->len)
		abort();
out:
	buf_free(&in);
	buf_free(&out);
}

static void
check_state_lines(const uint8_t *data, size_t size, struct pool *pool)
{
	struct buf *out = buf_new(256, 1 << 24);
	size_t ls = 0;

	for (size_t i = 0; i < size; i++) {
		struct queue_state_rec r;

		if (data[i] != '\n')
			continue;
		if (queue_state_parse_line((const char *)data + ls, i - ls, 8,
		    pool, &r) == 0) {
			buf_reset(out);
			if (queue_state_format(&r, i - ls + 1, out) != 0 ||
			    out->len != i - ls + 1 ||
			    memcmp(out->data, data + ls, out->len) != 0)
				abort();
		}
		ls = i + 1;
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = pool_new("fuzz");

	check_envelope(data, size, pool);
	check_state_lines(data, size, pool);
	pool_free(&pool);
	return 0;
}
