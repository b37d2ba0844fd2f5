/*
 * lib/pool.h - memory pools whose life matches a protocol unit.
 *
 * One pool per connection, a child per transaction or command; freeing a
 * pool frees its children and everything allocated from them. A secret
 * pool wipes its memory when freed (credentials).
 */
#ifndef LIB_POOL_H
#define LIB_POOL_H

#include <stdarg.h>
#include <stddef.h>

struct pool;

/* New top-level pool; name is for debugging only. Never returns NULL. */
struct pool *pool_new(const char *name);
/* New pool freed together with parent. */
struct pool *pool_new_child(struct pool *parent, const char *name);
/* New top-level pool whose memory is wiped on free. */
struct pool *pool_new_secret(const char *name);
/* Free *pp, its children and their memory (NULL-safe); clears *pp. */
void pool_free(struct pool **pp);

/* Zeroed allocation that lives as long as the pool. */
void *pool_alloc(struct pool *p, size_t size);
char *pool_strdup(struct pool *p, const char *s);
char *pool_strndup(struct pool *p, const char *s, size_t len);
char *pool_printf(struct pool *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *pool_vprintf(struct pool *p, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Bytes currently allocated from p (not counting children). */
size_t pool_used(const struct pool *p);

#endif
