/*
 * lib/xalloc.h - allocation that cannot fail and always zeroes.
 *
 * Exhaustion is fatal (the process logs and aborts), so callers carry no
 * dead out-of-memory branches. Size products are overflow-checked.
 */
#ifndef LIB_XALLOC_H
#define LIB_XALLOC_H

#include <stddef.h>

/* Zeroed allocation of size bytes (at least 1). Never returns NULL. */
void *xmalloc(size_t size);
/* Zeroed allocation of n * size bytes; aborts on overflow. */
void *xcalloc(size_t n, size_t size);
/* Resize p to n * size bytes; new bytes are not zeroed; aborts on overflow. */
void *xreallocarray(void *p, size_t n, size_t size);
/* Copies of strings and byte ranges; the copy is always NUL-terminated. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
void *xmemdup(const void *p, size_t len);
/* Clear memory that held a secret; the compiler may not elide it. */
void mem_wipe(void *p, size_t len);

#endif
