/*
 * tests/fuzz/mime_parse_fuzz.c - fuzz target for the MIME structure
 * parser (lib/mime_parse.c) and what reads its tree: sections
 * (lib/mime_section.c), ENVELOPE/BODYSTRUCTURE (lib/mime_envelope.c,
 * lib/mime_bodystructure.c) and part text (lib/mime_text.c).
 *
 * Parsed with the default limits and with small ones. Invariants: every
 * part's header and body lie inside its parent's body (the root's inside
 * the input) and the body follows the header; depth and part count
 * respect the limits and the count matches the tree; a multipart has at
 * least one child and a message/rfc822 exactly one; BODYSTRUCTURE and
 * ENVELOPE succeed with balanced parentheses outside strings; every
 * section found lies inside the input; part text is valid output within
 * the ceiling.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/mime_imap.h"
#include "lib/mime_text.h"
#include "lib/pool.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parentheses balance outside quoted strings and literals. */
static void
check_balanced(const struct buf *b)
{
	long depth = 0;

	for (size_t i = 0; i < b->len; i++) {
		uint8_t c = b->data[i];

		if (c == '"') {
			for (i++; i < b->len && b->data[i] != '"'; i++)
				if (b->data[i] == '\\')
					i++;
		} else if (c == '{') {
			size_t n = 0;

			for (i++; i < b->len && b->data[i] != '}'; i++)
				n = n * 10 + (size_t)(b->data[i] - '0');
			i += 2 + n;	/* "}\r\n" then n bytes */
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && --depth < 0) {
			abort();
		}
	}
	if (depth != 0)
		abort();
}

static void
check_tree(const struct mime_message *m, const struct msg_limits *lim)
{
	size_t n = 0;

	for (const struct mime_part *p = m->root; p != NULL;
	    p = mime_part_next(m->root, p)) {
		size_t lo = p->parent ? p->parent->body_off : 0;
		size_t hi = p->parent ? p->parent->body_off +
		    p->parent->body_size : m->len;

		n++;
		if (p->hdr_off < lo || p->body_off != p->hdr_off + p->hdr_size ||
		    p->body_off + p->body_size > hi || p->depth > lim->depth_max)
			abort();
		if (p->kind == MIME_MULTIPART && p->n_children == 0)
			abort();
		if (p->kind == MIME_MESSAGE && p->n_children != 1)
			abort();
		if (p->kind == MIME_LEAF && p->n_children != 0)
			abort();
	}
	if (n != m->n_parts || n > lim->parts_max)
		abort();
}

static void
check_sections(const struct mime_message *m)
{
	const char *specs[] = { "", "1", "2", "1.1", "1.2.3", "2.MIME",
		"1.HEADER", "TEXT", "HEADER", "1.1.TEXT", "3.HEADER.FIELDS" };

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct mime_section s;
		const char *err;

		if (mime_section_find(m, specs[i], strlen(specs[i]), &s,
		    &err) == 0 && s.off + s.len > m->len)
			abort();
	}
}

static void
check(const uint8_t *data, size_t size, const struct msg_limits *lim)
{
	struct pool *pool = pool_new("fuzz");
	struct mime_message *m = mime_parse(pool, data, size, lim);
	struct buf *b = buf_new(1024, 1 << 24);

	check_tree(m, lim);
	check_sections(m);
	if (mime_imap_bodystructure(m, m->root, true, pool, b) == -1)
		abort();
	check_balanced(b);
	buf_reset(b);
	if (mime_imap_bodystructure(m, m->root, false, pool, b) == -1)
		abort();
	check_balanced(b);
	buf_reset(b);
	if (mime_imap_envelope(m, m->root, pool, b) == -1)
		abort();
	check_balanced(b);
	for (const struct mime_part *p = m->root; p != NULL;
	    p = mime_part_next(m->root, p)) {
		struct buf *t = buf_new(256, lim->decode_max);

		if (mime_part_is_text(p) && mime_part_text(m, p, t) == -1 &&
		    t->len != 0)
			abort();
		buf_free(&t);
	}
	buf_free(&b);
	pool_free(&pool);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_limits lim;

	msg_limits_defaults(&lim);
	lim.decode_max = 1 << 20;
	check(data, size, &lim);
	lim.depth_max = 3;
	lim.parts_max = 6;
	lim.header_count_max = 4;
	lim.decode_max = 64;
	check(data, size, &lim);
	return 0;
}
