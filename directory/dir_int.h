/*
 * directory/dir_int.h - what the files of libtdir share: struct dir and
 * the helpers the lookups are built from. Not for use outside directory/
 * (and its unit tests).
 */
#ifndef DIRECTORY_DIR_INT_H
#define DIRECTORY_DIR_INT_H

#include <ldap.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directory/dir.h"
#include "directory/dir_cache.h"
#include "directory/dir_conn.h"
#include "directory/dir_profile.h"

struct buf;
struct pool;

/* Longest expanded filter. */
#define DIR_FILTER_MAX 8192

struct dir {
	struct dir_profile *prof;
	struct dir_conn_pool *conns;
	struct dir_cache *cache;
	char *base_dn, *user_base_dn, *group_base_dn, *domain_base_dn;
	unsigned group_max_depth;
	size_t group_max_members;
	size_t result_size_limit;
	char **accepted_domains;	/* NULL: from the directory; else
					 * NULL-terminated */
	size_t n_accepted_domains;
	pthread_mutex_t stats_lock;
	uint64_t round_trips, latency_us_total, tempfails;
};

/* Start accounting for one call. */
void dir_op_begin(struct dir_op *op, struct pool *pool);
/* Finish a call: fill info (may be NULL), add to the statistics and
 * return r. */
enum dir_result dir_op_end(struct dir *d, struct dir_op *op,
    struct dir_info *info, enum dir_result r, bool cached);

/* Is s (NUL-terminated) acceptable lookup input: 1..max bytes, no control
 * byte (0x00-0x1f, 0x7f)? */
bool dir_input_ok(const char *s, size_t max);

/* Expand a profile template for value into out (escaped for a filter).
 * 0, or -1 with op->error. */
int dir_filter_build(const char *template, const char *value,
    struct buf *out, struct dir_op *op);

/* Turn one search result entry into a struct dir_entry in pool. NULL when
 * the entry is not a recipient this profile knows (a group without mail
 * where group_requires_mail is set). Never fails otherwise: malformed
 * values are skipped (a quota that is not a number counts as unset, an
 * unknown state as disabled). */
struct dir_entry *dir_entry_from_ldap(const struct dir *d, LDAP *ld,
    LDAPMessage *msg, struct pool *pool);

/* Values of attribute attr of msg as NUL-terminated strings in pool
 * (values holding a NUL are skipped); NULL-terminated array or NULL. */
char **dir_values(LDAP *ld, LDAPMessage *msg, const char *attr,
    struct pool *pool, size_t *n_out);

/* The login lookup without the cache (password checks must see a
 * disabled account at once). Fills op; no statistics. */
enum dir_result dir_lookup_login_uncached(struct dir *d, struct dir_op *op,
    const char *login, struct pool *pool, struct dir_entry **out);

/* Lower-cased, normalised form of a DN for comparisons (in pool). */
char *dir_dn_key(const char *dn, struct pool *pool);

#endif
