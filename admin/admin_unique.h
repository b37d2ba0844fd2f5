/*
 * admin/admin_unique.h - who owns an address: the check that keeps every
 * address on one entry, and the lookups the verbs start from.
 *
 * An address is owned by any entry under [directory] base_dn that has it
 * in one of the profile's address attributes (attr_mail,
 * attr_alt_address, attr_proxy_addresses as "smtp:ADDRESS"), compared by
 * the attributes' equality rules (case-insensitive for mail).
 */
#ifndef ADMIN_ADMIN_UNIQUE_H
#define ADMIN_ADMIN_UNIQUE_H

#include <stdbool.h>
#include <stddef.h>

struct admin;
struct admin_entry;
struct pool;

/* Validate address (65 with the reason) for an argument named what. */
int admin_check_address(struct admin *a, const char *what,
    const char *address);
/* The entries owning address, at most 2 (enough to call it ambiguous).
 * ADMIN_OK, or an exit code after a message (75: directory down). */
int admin_owners(struct admin *a, const char *address, struct pool *pool,
    struct admin_entry ***out, size_t *n_out);
/* ADMIN_OK when nobody owns address; 73 naming the owner's DN. */
int admin_unique_check(struct admin *a, const char *address);
/* The one entry owning address: ADMIN_OK, 67 when none, 70 when two
 * entries claim it (both DNs named). */
int admin_find(struct admin *a, const char *address, struct pool *pool,
    struct admin_entry **out);
/* Is the domain of address an accepted domain (a tesseraMailDomain)?
 * ADMIN_OK, or 65 saying how to add it. */
int admin_check_domain_accepted(struct admin *a, const char *address);
/* Is domain accepted? ADMIN_OK with *yes, or an exit code. */
int admin_domain_is_accepted(struct admin *a, const char *domain, bool *yes);
/* Filter "(attr=value)" with value escaped (RFC 4515), in pool. */
char *admin_filter(struct pool *pool, const char *template,
    const char *value);

#endif
