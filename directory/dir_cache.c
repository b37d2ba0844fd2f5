/*
 * directory/dir_cache.c - positive and negative lookup cache of libtdir.
 *
 * A hash table of nodes chained in insertion order; the head of that list
 * is the oldest node and the first evicted. Each node keeps its value in
 * its own pool, freed with the node. Keys are lower-cased here, so callers
 * may pass what the client sent.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/pool.h"
#include "lib/xalloc.h"
#include "directory/dir_cache.h"
#include "lib/banned.h"

struct cache_node {
	struct cache_node *hnext;		/* hash chain */
	struct cache_node *prev, *next;		/* insertion order */
	enum dir_cache_kind kind;
	char *key;
	uint64_t hash;
	uint64_t expires;
	struct pool *pool;
	struct dir_cache_value v;
};

struct dir_cache {
	pthread_mutex_t lock;
	size_t max_entries;
	uint64_t pos_ttl, neg_ttl;
	dir_clock_fn clock;
	void *clock_arg;
	struct cache_node **table;
	size_t nbuckets;			/* power of two */
	struct cache_node *oldest, *newest;
	size_t n;
	struct dir_cache_stats st;
};

uint64_t
dir_clock_monotonic(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct dir_cache *
dir_cache_new(size_t max_entries, uint64_t positive_ttl_ms,
    uint64_t negative_ttl_ms, dir_clock_fn clock, void *clock_arg)
{
	struct dir_cache *c = xmalloc(sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	c->max_entries = max_entries;
	c->pos_ttl = positive_ttl_ms;
	c->neg_ttl = negative_ttl_ms;
	c->clock = clock != NULL ? clock : dir_clock_monotonic;
	c->clock_arg = clock_arg;
	c->nbuckets = 16;
	while (c->nbuckets < max_entries && c->nbuckets < ((size_t)1 << 24))
		c->nbuckets <<= 1;
	c->table = xcalloc(c->nbuckets, sizeof(*c->table));
	return c;
}

static void
node_unlink(struct dir_cache *c, struct cache_node *n)
{
	struct cache_node **link = &c->table[n->hash & (c->nbuckets - 1)];

	while (*link != n)
		link = &(*link)->hnext;
	*link = n->hnext;
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		c->oldest = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		c->newest = n->prev;
	c->n--;
	pool_free(&n->pool);
	free(n->key);
	free(n);
}

void
dir_cache_clear(struct dir_cache *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->oldest != NULL)
		node_unlink(c, c->oldest);
	pthread_mutex_unlock(&c->lock);
}

void
dir_cache_free(struct dir_cache **cp)
{
	struct dir_cache *c;

	if (cp == NULL || *cp == NULL)
		return;
	c = *cp;
	dir_cache_clear(c);
	pthread_mutex_destroy(&c->lock);
	free(c->table);
	free(c);
	*cp = NULL;
}

/* FNV-1a over the kind and the lower-cased key. */
static uint64_t
key_hash(enum dir_cache_kind kind, const char *lkey)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)kind;

	for (const char *p = lkey; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Lower-cased copy of key, or NULL if it is too long to cache. */
static char *
key_lower(const char *key)
{
	size_t n = strnlen(key, DIR_CACHE_KEY_MAX + 1);
	char *l;

	if (n > DIR_CACHE_KEY_MAX)
		return NULL;
	l = xstrndup(key, n);
	for (size_t i = 0; i < n; i++)
		if (l[i] >= 'A' && l[i] <= 'Z')
			l[i] = (char)(l[i] - 'A' + 'a');
	return l;
}

static struct cache_node *
node_find(struct dir_cache *c, enum dir_cache_kind kind, const char *lkey,
    uint64_t h)
{
	for (struct cache_node *n = c->table[h & (c->nbuckets - 1)];
	    n != NULL; n = n->hnext)
		if (n->hash == h && n->kind == kind && strcmp(n->key, lkey) == 0)
			return n;
	return NULL;
}

static char **
strings_copy(struct pool *pool, char *const *s, size_t n)
{
	char **d;

	if (s == NULL)
		return NULL;
	d = pool_alloc(pool, (n + 1) * sizeof(*d));
	for (size_t i = 0; i < n; i++)
		d[i] = pool_strdup(pool, s[i]);
	return d;
}

static char *
str_copy_opt(struct pool *pool, const char *s)
{
	return s != NULL ? pool_strdup(pool, s) : NULL;
}

struct dir_entry *
dir_entry_copy(struct pool *pool, const struct dir_entry *e)
{
	struct dir_entry *d = pool_alloc(pool, sizeof(*d));

	*d = *e;
	d->dn = str_copy_opt(pool, e->dn);
	d->address = str_copy_opt(pool, e->address);
	d->addresses = strings_copy(pool, e->addresses, e->n_addresses);
	d->login = str_copy_opt(pool, e->login);
	d->display_name = str_copy_opt(pool, e->display_name);
	d->mailbox_id = str_copy_opt(pool, e->mailbox_id);
	d->mail_host = str_copy_opt(pool, e->mail_host);
	d->forward_to = strings_copy(pool, e->forward_to, e->n_forward_to);
	d->send_as = strings_copy(pool, e->send_as, e->n_send_as);
	d->authz_to = strings_copy(pool, e->authz_to, e->n_authz_to);
	d->targets = strings_copy(pool, e->targets, e->n_targets);
	d->allowed_senders = strings_copy(pool, e->allowed_senders,
	    e->n_allowed_senders);
	d->allowed_sender_addresses = strings_copy(pool,
	    e->allowed_sender_addresses, e->n_allowed_sender_addresses);
	return d;
}

static void
value_copy(struct pool *pool, struct dir_cache_value *d,
    const struct dir_cache_value *s)
{
	*d = *s;
	d->server = str_copy_opt(pool, s->server);
	d->strings = strings_copy(pool, s->strings, s->n_strings);
	if (s->entries != NULL) {
		d->entries = pool_alloc(pool,
		    (s->n_entries + 1) * sizeof(*d->entries));
		for (size_t i = 0; i < s->n_entries; i++)
			d->entries[i] = dir_entry_copy(pool, s->entries[i]);
	}
}

bool
dir_cache_get(struct dir_cache *c, enum dir_cache_kind kind, const char *key,
    struct pool *pool, struct dir_cache_value *out)
{
	char *lkey;
	struct cache_node *n;
	bool hit = false;

	if (c->max_entries == 0 || (lkey = key_lower(key)) == NULL) {
		pthread_mutex_lock(&c->lock);
		c->st.misses++;
		pthread_mutex_unlock(&c->lock);
		return false;
	}
	pthread_mutex_lock(&c->lock);
	n = node_find(c, kind, lkey, key_hash(kind, lkey));
	if (n != NULL && c->clock(c->clock_arg) >= n->expires) {
		node_unlink(c, n);
		c->st.expirations++;
		n = NULL;
	}
	if (n != NULL) {
		value_copy(pool, out, &n->v);
		hit = true;
		c->st.hits++;
	} else {
		c->st.misses++;
	}
	pthread_mutex_unlock(&c->lock);
	free(lkey);
	return hit;
}

void
dir_cache_put(struct dir_cache *c, enum dir_cache_kind kind, const char *key,
    const struct dir_cache_value *v)
{
	uint64_t ttl = v->result == DIR_FOUND ? c->pos_ttl :
	    v->result == DIR_NOTFOUND ? c->neg_ttl : 0;
	struct cache_node *n, *old;
	char *lkey;

	if (c->max_entries == 0 || ttl == 0 || (lkey = key_lower(key)) == NULL)
		return;
	n = xmalloc(sizeof(*n));
	n->kind = kind;
	n->key = lkey;
	n->hash = key_hash(kind, lkey);
	n->pool = pool_new("dir_cache");
	value_copy(n->pool, &n->v, v);
	pthread_mutex_lock(&c->lock);
	n->expires = c->clock(c->clock_arg) + ttl;
	if ((old = node_find(c, kind, lkey, n->hash)) != NULL)
		node_unlink(c, old);
	while (c->n >= c->max_entries) {
		node_unlink(c, c->oldest);
		c->st.evictions++;
	}
	n->hnext = c->table[n->hash & (c->nbuckets - 1)];
	c->table[n->hash & (c->nbuckets - 1)] = n;
	n->prev = c->newest;
	if (c->newest != NULL)
		c->newest->next = n;
	else
		c->oldest = n;
	c->newest = n;
	c->n++;
	pthread_mutex_unlock(&c->lock);
}

void
dir_cache_stats(struct dir_cache *c, struct dir_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	out->entries = c->n;
	pthread_mutex_unlock(&c->lock);
}
