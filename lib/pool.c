/*
 * lib/pool.c - memory pools whose life matches a protocol unit.
 *
 * A pool is a list of allocations plus a list of child pools. Simple on
 * purpose: sessions allocate little per command, and freeing everything at
 * the end of the unit is what prevents leaks on error paths.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pool.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct pool_chunk {
	struct pool_chunk *next;
	size_t size;
	max_align_t data[];
};

struct pool {
	const char *name;
	bool secret;
	size_t used;
	struct pool *parent;
	struct pool *children;	/* first child */
	struct pool *sibling;	/* next child of parent */
	struct pool_chunk *chunks;
};

static struct pool *
pool_create(const char *name, bool secret)
{
	struct pool *p = xmalloc(sizeof(*p));

	p->name = name;
	p->secret = secret;
	return p;
}

struct pool *
pool_new(const char *name)
{
	return pool_create(name, false);
}

struct pool *
pool_new_secret(const char *name)
{
	return pool_create(name, true);
}

struct pool *
pool_new_child(struct pool *parent, const char *name)
{
	struct pool *p = pool_create(name, parent->secret);

	p->parent = parent;
	p->sibling = parent->children;
	parent->children = p;
	return p;
}

static void
pool_destroy(struct pool *p)
{
	struct pool_chunk *c, *next;

	while (p->children != NULL) {
		struct pool *child = p->children;

		p->children = child->sibling;
		pool_destroy(child);
	}
	for (c = p->chunks; c != NULL; c = next) {
		next = c->next;
		if (p->secret)
			mem_wipe(c->data, c->size);
		free(c);
	}
	free(p);
}

void
pool_free(struct pool **pp)
{
	struct pool *p;

	if (pp == NULL || *pp == NULL)
		return;
	p = *pp;
	if (p->parent != NULL) {
		struct pool **link = &p->parent->children;

		while (*link != p)
			link = &(*link)->sibling;
		*link = p->sibling;
	}
	pool_destroy(p);
	*pp = NULL;
}

void *
pool_alloc(struct pool *p, size_t size)
{
	struct pool_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		abort();
	c = xcalloc(1, sizeof(*c) + size);
	c->size = size;
	c->next = p->chunks;
	p->chunks = c;
	p->used += size;
	return c->data;
}

char *
pool_strndup(struct pool *p, const char *s, size_t len)
{
	char *d;

	if (len == SIZE_MAX)
		abort();
	d = pool_alloc(p, len + 1);
	memcpy(d, s, strnlen(s, len));
	return d;
}

char *
pool_strdup(struct pool *p, const char *s)
{
	return pool_strndup(p, s, strlen(s));
}

char *
pool_vprintf(struct pool *p, const char *fmt, va_list ap)
{
	va_list ap2;
	char *d;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return pool_strdup(p, "");
	d = pool_alloc(p, (size_t)n + 1);
	vsnprintf(d, (size_t)n + 1, fmt, ap);
	return d;
}

char *
pool_printf(struct pool *p, const char *fmt, ...)
{
	va_list ap;
	char *d;

	va_start(ap, fmt);
	d = pool_vprintf(p, fmt, ap);
	va_end(ap);
	return d;
}

size_t
pool_used(const struct pool *p)
{
	return p->used;
}
