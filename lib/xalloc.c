/*
 * lib/xalloc.c - allocation that cannot fail and always zeroes.
 *
 * Runs in every process. Out of memory is not recoverable for a mail daemon
 * session, so it ends the process with a message on stderr.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "lib/banned.h"

static void
xalloc_die(size_t n, size_t size)
{
	fprintf(stderr, "out of memory allocating %zu x %zu bytes\n", n, size);
	abort();
}

void *
xmalloc(size_t size)
{
	return xcalloc(1, size);
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	if (n > SIZE_MAX / size)
		xalloc_die(n, size);
	p = calloc(n, size);
	if (p == NULL)
		xalloc_die(n, size);
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *q;

	if (size != 0 && n > SIZE_MAX / size)
		xalloc_die(n, size);
	if (n == 0 || size == 0)
		n = size = 1;
	q = realloc(p, n * size);
	if (q == NULL)
		xalloc_die(n, size);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		xalloc_die(len, 1);
	p = xmalloc(len + 1);
	memcpy(p, s, strnlen(s, len));
	return p;
}

void *
xmemdup(const void *p, size_t len)
{
	char *q;

	if (len == SIZE_MAX)
		xalloc_die(len, 1);
	q = xmalloc(len + 1);
	if (len > 0)
		memcpy(q, p, len);
	return q;
}

void
mem_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		explicit_bzero(p, len);
}
