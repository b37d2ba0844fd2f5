/*
 * admin/admin_entry.h - reading directory entries the way the platform
 * does: an entry's kind, its addresses and state under the configured
 * profile, and the option parsing the verbs share.
 */
#ifndef ADMIN_ADMIN_ENTRY_H
#define ADMIN_ADMIN_ENTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "directory/dir.h"

struct admin;
struct admin_entry;
struct pool;

/* The kind of e by the profile's classes (see dir_profile.h). */
enum dir_kind admin_entry_kind(const struct admin *a,
    const struct admin_entry *e);
/* e's primary address: attr_mail, else its first alternate address, else
 * NULL. */
const char *admin_entry_address(const struct admin *a,
    const struct admin_entry *e);
/* Every address of e (primary first) in pool; NULL-terminated. */
char **admin_entry_addresses(const struct admin *a,
    const struct admin_entry *e, struct pool *pool, size_t *n_out);
/* Account state (attr_state; absent: active; unknown: disabled, as the
 * daemons read it). */
enum dir_state admin_entry_state(const struct admin *a,
    const struct admin_entry *e);

/* Sort entries by primary address (then DN), case-insensitively. */
void admin_entries_sort(const struct admin *a, struct admin_entry **v,
    size_t n);

/* Find the entry owning address and check it is of kind want: ADMIN_OK
 * with *out, 67 when nobody owns it, 65 when it is another kind. */
int admin_find_kind(struct admin *a, const char *address, enum dir_kind want,
    struct pool *pool, struct admin_entry **out);

/*
 * Option parsing: argv[*i] is "--name" (value in argv[*i + 1]) or
 * "--name=value". 1 when it matched (value in *out, *i advanced past it),
 * 0 when argv[*i] is another argument, -1 (after a message; exit 64)
 * when the value is missing.
 */
int admin_opt(struct admin *a, int argc, char **argv, int *i,
    const char *name, const char **out);



/* "attr=VALUE,base" with value escaped as a DN value (RFC 4514), in
 * pool. */
char *admin_dn(struct pool *pool, const char *attr, const char *value,
    const char *base);
/* The groups (class_group, attr_member) that list dn as a direct member,
 * under [directory] base_dn. ADMIN_OK or an exit code after a message. */
int admin_groups_of(struct admin *a, const char *dn, struct pool *pool,
    struct admin_entry ***out, size_t *n_out);

#endif
