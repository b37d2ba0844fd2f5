/*
 * directory/dir_conn.h - libtdir's pool of LDAP connections.
 *
 * pool_size connections, each to the first live server of the URI list
 * (failover in order). The list is the configured URIs or, with
 * srv_domain and no URIs, the servers DNS SRV records name (dir_srv.h),
 * looked up at the first borrow and again when their TTL ran out (kept
 * at least 1 s, at most a day) or every server failed (then bypassing
 * the resolver's cache, at most once per retry_dead). When DNS fails and
 * no list is known, borrowing fails with the DNS error; a list already
 * known is kept. A server that fails is marked dead and skipped for
 * retry_dead_ms; a connection on a later server moves back to the
 * preferred one when its mark expires and it answers again. TLS (StartTLS
 * on ldap://, or ldaps://) with certificate verification by default,
 * network and operation timeouts, referrals off, simple bind as the
 * service DN. A connection lost during a search is reconnected once, then
 * the search fails with the server, operation and LDAP error in the text.
 *
 * Threads borrow a connection for a whole lookup (so the results can be
 * read with its handle) and give it back; a thread waits at most
 * op_timeout_ms for a free one, so a slow query holds only its own
 * connection. libldap 2.5 is thread-safe with one LDAP handle per thread
 * at a time, which borrowing guarantees.
 */
#ifndef DIRECTORY_DIR_CONN_H
#define DIRECTORY_DIR_CONN_H

#include <ldap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directory/dir.h"
#include "directory/dir_cache.h"

struct pool;

/* Most URIs in the list; the longest password file accepted. */
#define DIR_CONN_URIS_MAX 32
#define DIR_CONN_PASSWORD_MAX 4096

/* What one libtdir call did; filled by the dir_conn functions. */
struct dir_op {
	struct pool *pool;	/* error and server strings live here */
	const char *server;	/* URI of the last server used */
	const char *error;	/* set when a function returns -1 */
	unsigned round_trips;
	uint64_t latency_us;
};

struct dir_conn_servers;

/* A borrowed connection. ld is NULL until connected. */
struct dir_conn {
	LDAP *ld;
	size_t server;		/* index into list */
	bool in_use;
	struct dir_conn_servers *list;	/* the server list ld was made
					 * from (a reference) */
};

/* Flags of dir_conn_search: result codes that are answers, not errors.
 * With them the search returns 0 and *ldap_rc_out says which. */
#define DIR_CONN_SIZELIMIT_OK	0x1	/* partial results are kept */
#define DIR_CONN_NOSUCHOBJECT_OK 0x2	/* base-scope read of a gone DN */

/* Create the pool (no connection is made yet, no DNS query sent).
 * password (len bytes) is copied and wiped on free; settings strings are
 * copied. NULL with *err_out (in err_pool) on neither URIs nor
 * srv_domain, too many URIs, a URI libldap rejects, a bind DN without a
 * password, an invalid srv_domain or DNS settings lib/dns refuses. */
struct dir_conn_pool *dir_conn_pool_new(const struct dir_settings *s,
    const char *password, size_t password_len, dir_clock_fn clock,
    void *clock_arg, struct pool *err_pool, const char **err_out);
void dir_conn_pool_free(struct dir_conn_pool **cp);

/* Borrow a connection; it may already be connected. Moves it back to a
 * preferred server whose dead mark expired when that server answers.
 * NULL with op->error when none became free within op_timeout_ms, or
 * (discovery) when no server list is known and DNS failed. */
struct dir_conn *dir_conn_borrow(struct dir_conn_pool *cp, struct dir_op *op);
/* Give it back (NULL-safe; clears *c). */
void dir_conn_return(struct dir_conn_pool *cp, struct dir_conn **c);

/* Search with the operation timeout and sizelimit (0: none). 0 with
 * *res_out (free with ldap_msgfree; NULL after NOSUCHOBJECT_OK) and
 * *ldap_rc_out, or -1 with op->error: the connection was lost twice, no
 * server answered, or the server returned an error. */
int dir_conn_search(struct dir_conn_pool *cp, struct dir_conn *c,
    struct dir_op *op, const char *base, int scope, const char *filter,
    char **attrs, int sizelimit, unsigned flags, LDAPMessage **res_out,
    int *ldap_rc_out);

/* Bind as dn with password on a new connection of its own (same servers,
 * failover and TLS), then close it. 1 on success, 0 on invalid
 * credentials, -1 with op->error on any other failure. The caller refuses
 * empty passwords before calling (an empty simple bind is anonymous). */
int dir_conn_user_bind(struct dir_conn_pool *cp, struct dir_op *op,
    const char *dn, const char *password, size_t password_len);

/* op->error = "URI: what: LDAP error text (diagnostic)". */
void dir_op_fail(struct dir_op *op, const char *uri, const char *what,
    int ldap_rc, const char *diag);

#endif
