/*
 * admin/admin_ldap.h - the tessera command's own LDAP connection: bound
 * as the [admin] bind DN, it searches, adds, modifies, deletes, sets
 * passwords (RFC 3062) and rolls multi-step changes back.
 *
 * Runs in the tessera command. One connection, made to the first
 * [directory] URI that answers (failover in order), with the section's
 * TLS, StartTLS and timeouts. Every failure leaves "URI: operation:
 * LDAP error (diagnostic)" in last_error, so a message names the server,
 * the operation and the reason. Every change (add, modify, delete,
 * password set) is logged (lib/log.h, [global] log settings: syslog by
 * default) with the entry's DN, the server and the bind DN, whether it
 * succeeded or not: the audit trail of the helpdesk.
 */
#ifndef ADMIN_ADMIN_LDAP_H
#define ADMIN_ADMIN_LDAP_H

#include <ldap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct dir_settings;
struct pool;

struct admin_ldap {
	LDAP *ld;
	const char *uri;		/* the server in use */
	const char *bind_dn;		/* who we are, for the audit log */
	struct pool *pool;		/* error strings */
	uint64_t op_timeout_ms;
	int last_rc;			/* LDAP result of the last failure */
	const char *last_error;		/* its text */
	unsigned operations;		/* LDAP operations sent */
};

/* One attribute of a search result; values are NUL-terminated (values
 * holding a NUL are skipped). */
struct admin_attr {
	char *name;
	char **values;
	size_t n;
};

struct admin_entry {
	char *dn;
	struct admin_attr *attrs;
	size_t n_attrs;
};

/* One change. REPLACE or DELETE with n == 0 clears the attribute. */
struct admin_mod {
	int op;				/* LDAP_MOD_ADD, _DELETE, _REPLACE */
	const char *attr;
	const char *const *values;
	size_t n;
};

/* Connect to the first of s->uris that answers and bind as bind_dn with
 * password (simple bind; NULL dn: anonymous). Returns the connection; on
 * failure its ld is NULL and last_error lists each server's error. */
struct admin_ldap *admin_ldap_open(const struct dir_settings *s,
    const char *bind_dn, const char *password, size_t password_len,
    struct pool *pool);
void admin_ldap_close(struct admin_ldap *l);

/* Search with sizelimit limit (0: the server's). 0 with the entries in
 * pool (a base that does not exist gives none) and *truncated_out set
 * when more entries matched than limit; -1 on any other error. attrs:
 * NULL-terminated, NULL for all user attributes. */
int admin_ldap_search(struct admin_ldap *l, const char *base, int scope,
    const char *filter, const char *const *attrs, size_t limit,
    struct pool *pool, struct admin_entry ***out, size_t *n_out,
    bool *truncated_out);
/* Read one entry by DN: 1 found, 0 gone, -1 error. */
int admin_ldap_read(struct admin_ldap *l, const char *dn,
    const char *const *attrs, struct pool *pool, struct admin_entry **out);

/* Single operations: 0, or -1 with last_rc and last_error. */
int admin_ldap_add(struct admin_ldap *l, const char *dn,
    const struct admin_mod *mods, size_t n);
int admin_ldap_modify(struct admin_ldap *l, const char *dn,
    const struct admin_mod *mods, size_t n);
int admin_ldap_delete(struct admin_ldap *l, const char *dn);
/* Set dn's password with the Password Modify extended operation
 * (RFC 3062), so the server hashes it. */
int admin_ldap_passwd(struct admin_ldap *l, const char *dn,
    const char *password, size_t len);

/* The tessera exit code for an LDAP result: 75 unreachable or busy, 73
 * already exists, 67 no such object, 65 refused data, 77 refused access
 * or credentials, 70 anything else. */
int admin_ldap_exit_code(int ldap_rc);

/* Values of attribute name (case-insensitive) of e; NULL and *n_out 0
 * when absent. */
char **admin_entry_values(const struct admin_entry *e, const char *name,
    size_t *n_out);
/* Its first value or NULL. */
const char *admin_entry_value(const struct admin_entry *e, const char *name);
/* Does e have objectClass cls (case-insensitive)? */
bool admin_entry_has_class(const struct admin_entry *e, const char *cls);

/*
 * A multi-step change that is undone if a step fails. Each successful
 * step records its inverse: an add is undone by deleting the entry, a
 * modify by the inverse changes the caller gives. A password set and a
 * delete record nothing: a password is only set on an entry this
 * transaction added (deleting it undoes both), and a delete must be the
 * last step. mods arrays must outlive the transaction.
 */
struct admin_txn;

struct admin_txn *admin_txn_new(struct admin_ldap *l, struct pool *pool);
int admin_txn_add(struct admin_txn *t, const char *dn,
    const struct admin_mod *mods, size_t n);
int admin_txn_modify(struct admin_txn *t, const char *dn,
    const struct admin_mod *mods, size_t n, const struct admin_mod *undo,
    size_t n_undo);
int admin_txn_passwd(struct admin_txn *t, const char *dn,
    const char *password, size_t len);
int admin_txn_delete(struct admin_txn *t, const char *dn);
/* Steps done so far. */
size_t admin_txn_steps(const struct admin_txn *t);
/* Undo the recorded steps, newest first. 0 when everything was undone
 * (report gets one line per undo); -1 when an undo failed: report then
 * says exactly what is left in the directory. */
int admin_txn_rollback(struct admin_txn *t, struct buf *report);

#endif
