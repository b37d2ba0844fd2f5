/*
 * tests/fuzz/mime_header_fuzz.c - fuzz target for msg_header_parse and
 * its helpers in lib/msg_header.c.
 *
 * The input is parsed with the default limits and with tiny ones.
 * Invariants: the block size never passes the input; fields are in
 * order, non-overlapping, inside the block, with a non-empty name before
 * the value; the field count respects the limit; unfolded values hold no
 * CR/LF; the HEADER.FIELDS.NOT of no names reproduces the fields' bytes;
 * msg_header_scan fed in uneven pieces finds the same end as the parser.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/msg_header.h"
#include "lib/pool.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const uint8_t *data, size_t size, const struct msg_limits *lim)
{
	struct pool *pool = pool_new("fuzz");
	struct msg_headers h;
	const char *err = NULL;
	struct buf *b = buf_new(256, 1 << 22);
	size_t prev_end = 0, want = 0;

	if (msg_header_parse(data, size, lim, pool, &h, &err) == -1 &&
	    (err == NULL || h.error != err))
		abort();
	if (h.size > size || h.count > lim->header_count_max)
		abort();
	for (size_t i = 0; i < h.count; i++) {
		const struct msg_header_field *f = &h.fields[i];
		char *v;

		if (f->off < prev_end || f->name_len == 0 ||
		    f->value_off <= f->off + f->name_len ||
		    f->value_off + f->value_len > f->end || f->end > h.size)
			abort();
		prev_end = f->end;
		v = msg_header_value(pool, data, f);
		if (strchr(v, '\n') != NULL)
			abort();
		want += f->end - f->off;
		if (f->end == f->off || data[f->end - 1] != '\n')
			want += 2;
	}
	if (msg_header_filter(data, &h, NULL, 0, true, b) == -1)
		abort();
	if (b->len != want + (h.has_blank_line ? 2 : 0))
		abort();
	{
		struct msg_header_scan sc = { 0 };
		size_t end = 0, n = 0, step = 1;
		int rc = 0;

		while (rc == 0 && n < size) {
			n = n + step > size ? size : n + step;
			step = step * 3 % 17 + 1;
			rc = msg_header_scan(&sc, data, n, SIZE_MAX, &end);
		}
		if ((rc == 1) != h.has_blank_line || (rc == 1 && end != h.size))
			abort();
	}
	buf_free(&b);
	pool_free(&pool);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_limits lim;

	msg_limits_defaults(&lim);
	check(data, size, &lim);
	lim.header_line_max = 20;
	lim.header_count_max = 3;
	lim.header_size_max = 64;
	check(data, size, &lim);
	return 0;
}
