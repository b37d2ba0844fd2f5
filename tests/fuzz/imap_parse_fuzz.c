/*
 * tests/fuzz/imap_parse_fuzz.c - fuzz target for the IMAP command grammar
 * (accessd/imap_parse.c) and modified UTF-7 (accessd/imap_mutf7.c).
 *
 * Invariants beyond "does not crash":
 *  - an error always comes with a text;
 *  - an accepted command has a tag and a name, at most args_max
 *    arguments in all, lists nested at most depth_max deep, and every
 *    string lies within the input's size;
 *  - a sequence set that parses has 1..ranges_max ranges, and after
 *    resolving each range has lo <= hi, both >= 1;
 *  - modified UTF-7 that decodes re-encodes to the same bytes, and
 *    UTF-8 that encodes decodes back to itself.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "accessd/imap_mutf7.h"
#include "accessd/imap_parse.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct imap_parse_limits lim = { .depth_max = 8,
	.args_max = 64, .ranges_max = 16 };

static size_t
check_args(const struct imap_arg *v, size_t n, size_t depth, size_t size)
{
	size_t total = n;

	if (depth > lim.depth_max)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (v[i].kind == IMAP_ARG_LIST)
			total += check_args(v[i].list, v[i].n, depth + 1, size);
		else if (v[i].s == NULL || v[i].len > size)
			abort();
	}
	return total;
}

static void
check_mutf7(const uint8_t *data, size_t size)
{
	struct buf *a = buf_new(64, 65536), *b = buf_new(64, 65536);

	if (imap_mutf7_decode((const char *)data, size, a) == 0) {
		if (imap_mutf7_encode((const char *)a->data, a->len, b) == -1 ||
		    b->len != size || memcmp(b->data, data, size) != 0)
			abort();
	}
	buf_reset(a);
	buf_reset(b);
	if (imap_mutf7_encode((const char *)data, size, a) == 0) {
		if (imap_mutf7_decode((const char *)a->data, a->len, b) == -1 ||
		    b->len != size || memcmp(b->data, data, size) != 0)
			abort();
	}
	buf_free(&a);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *p;
	struct imap_cmd c;
	struct imap_range *r;
	const char *tag = NULL, *err = NULL;
	size_t n;
	uint64_t ln;
	bool ns;

	if (size > 65536)
		return 0;
	p = pool_new("fuzz");
	if (imap_parse_command(data, size, &lim, p, &c, &tag, &err) == -1) {
		if (err == NULL)
			abort();
	} else {
		if (c.tag == NULL || c.tag[0] == '\0' || c.name == NULL ||
		    check_args(c.args, c.n_args, 0, size) > lim.args_max)
			abort();
	}
	(void)imap_line_literal(data, size, &ln, &ns);
	if (imap_seqset_parse((const char *)data, size, lim.ranges_max, p, &r,
	    &n) == 0) {
		if (n == 0 || n > lim.ranges_max)
			abort();
		imap_seqset_resolve(r, n, 10);
		for (size_t i = 0; i < n; i++)
			if (r[i].lo == 0 || r[i].lo > r[i].hi)
				abort();
	}
	check_mutf7(data, size);
	pool_free(&p);
	return 0;
}
