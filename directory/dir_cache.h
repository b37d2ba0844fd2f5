/*
 * directory/dir_cache.h - positive and negative lookup cache of libtdir.
 *
 * Keyed by (kind of lookup, lower-cased key). FOUND answers live for the
 * positive TTL, NOTFOUND answers for the (usually shorter) negative TTL;
 * TEMPFAIL is never stored, so an outage is never remembered as "no such
 * user". Bounded: past max_entries the oldest entry is evicted. Values are
 * deep copies, so callers' pools and the cache never share memory.
 * Thread-safe (one mutex); the clock is a function so tests can fake it.
 */
#ifndef DIRECTORY_DIR_CACHE_H
#define DIRECTORY_DIR_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directory/dir.h"

struct pool;

/* Milliseconds from an arbitrary origin; never goes backwards. */
typedef uint64_t (*dir_clock_fn)(void *arg);

/* CLOCK_MONOTONIC in milliseconds (the production clock; arg unused). */
uint64_t dir_clock_monotonic(void *arg);

enum dir_cache_kind {
	DIR_CACHE_ADDRESS, DIR_CACHE_LOGIN, DIR_CACHE_MEMBERS,
	DIR_CACHE_DOMAIN, DIR_CACHE_DOMAINS
};

/* Longest key cached (longer keys are simply not cached). */
#define DIR_CACHE_KEY_MAX 1024

/* A cached answer: the result plus what the lookup returned. */
struct dir_cache_value {
	enum dir_result result;		/* DIR_FOUND or DIR_NOTFOUND */
	struct dir_entry **entries;	/* NULL-terminated, may be NULL */
	size_t n_entries;
	char **strings;			/* NULL-terminated, may be NULL */
	size_t n_strings;
	const char *server;		/* who answered originally */
};

struct dir_cache_stats {
	uint64_t hits, misses, evictions, expirations;
	size_t entries;
};

/* max_entries 0 disables the cache (every get misses, put stores
 * nothing). A TTL of 0 disables that half. clock NULL: monotonic. */
struct dir_cache *dir_cache_new(size_t max_entries, uint64_t positive_ttl_ms,
    uint64_t negative_ttl_ms, dir_clock_fn clock, void *clock_arg);
void dir_cache_free(struct dir_cache **c);

/* Look up (kind, key). true with *out filled (copied into pool) on a live
 * hit; false on a miss (expired entries are dropped). */
bool dir_cache_get(struct dir_cache *c, enum dir_cache_kind kind,
    const char *key, struct pool *pool, struct dir_cache_value *out);
/* Store a copy of v under (kind, key), replacing an older one. TEMPFAIL
 * values and over-long keys are ignored. */
void dir_cache_put(struct dir_cache *c, enum dir_cache_kind kind,
    const char *key, const struct dir_cache_value *v);
/* Drop everything. */
void dir_cache_clear(struct dir_cache *c);
void dir_cache_stats(struct dir_cache *c, struct dir_cache_stats *out);

/* Deep copy of an entry into pool (also used by the lookups). */
struct dir_entry *dir_entry_copy(struct pool *pool, const struct dir_entry *e);

#endif
