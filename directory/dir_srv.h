/*
 * directory/dir_srv.h - discovery of directory servers through DNS SRV
 * records (_ldap._tcp.DOMAIN, or _ldaps._tcp.DOMAIN), as Active Directory
 * publishes its domain controllers. Internal to libtdir: the connection
 * pool (dir_conn.c) asks for a server list when it has none, when the
 * list's TTL ran out and when every server failed.
 *
 * Each SRV target is resolved here, through lib/dns (the configured DNS
 * servers), and the URI is built with its address: libldap would resolve
 * the host name with the system resolver, which may not know it (a test
 * DNS server, a DNS server only the [dns] section names). The host name
 * stays in the server's label for messages. The price: with TLS and
 * verification, the certificate is checked against the address in the
 * URI, so it must carry that address (libldap has no way to verify
 * against another name than the URI's host).
 *
 * Not thread-safe: the pool serialises discoveries.
 */
#ifndef DIRECTORY_DIR_SRV_H
#define DIRECTORY_DIR_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dns_settings;
struct pool;

/* SRV targets resolved per discovery (the rest are ignored). */
#define DIR_SRV_TARGETS_MAX 16

/* One discovered server. */
struct dir_srv_server {
	char *uri;		/* ldap://ADDRESS:PORT (IPv6 in brackets) */
	char *label;		/* "URI (TARGET)" for messages */
	uint16_t priority;	/* of its SRV record */
};

struct dir_srv;

/* New discovery for domain. ldaps: ask for _ldaps._tcp and build
 * ldaps:// URIs. dns NULL: the system's resolv.conf, 5 s timeout. NULL
 * with *err_out (in err_pool) on a domain that is not a valid name or
 * DNS settings lib/dns refuses. No query is sent. */
struct dir_srv *dir_srv_new(const char *domain, bool ldaps,
    const struct dns_settings *dns, struct pool *err_pool,
    const char **err_out);
void dir_srv_free(struct dir_srv **s);

/* The SRV name asked ("_ldap._tcp.DOMAIN"). */
const char *dir_srv_name(const struct dir_srv *s);

/* Look the servers up: SRV records in RFC 2782 order, each target's
 * addresses (A, then AAAA), one URI per address and port, duplicates
 * dropped, at most max_uris. fresh: with a new resolver, so nothing
 * cached is reused (after every server failed). 0 with *out (xcalloc'd,
 * free with dir_srv_servers_free), *n_out >= 1 and *ttl_out (seconds the
 * answer may be kept: the smallest TTL seen), or -1 with *err_out (in
 * pool) saying which DNS query failed how. */
int dir_srv_discover(struct dir_srv *s, bool fresh, size_t max_uris,
    struct pool *pool, struct dir_srv_server **out, size_t *n_out,
    uint32_t *ttl_out, const char **err_out);
void dir_srv_servers_free(struct dir_srv_server **v, size_t n);

#endif
