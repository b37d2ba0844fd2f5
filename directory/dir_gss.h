/*
 * directory/dir_gss.h - Kerberos credentials of the lookup process and
 * its SASL/GSSAPI bind to the directory.
 *
 * The service authenticates from a client keytab of its own (no stored
 * password). dir_gss_setup points the process's Kerberos library at that
 * keytab (KRB5_CLIENT_KTNAME) and at a private in-memory ticket cache
 * (KRB5CCNAME) made out to the service's principal; MIT krb5 then gets a
 * ticket-granting ticket from the keytab by itself at the first bind, and
 * a new one whenever the one it holds is close to expiry or gone, so a
 * bind after a KDC or directory restart, or after the ticket lifetime,
 * simply works. Nothing is sent to the KDC before the first bind, so a
 * KDC that is down at start-up is a temporary failure of the lookups, not
 * a refusal to start. One Kerberos identity per process: the lookup
 * process has exactly one.
 */
#ifndef DIRECTORY_DIR_GSS_H
#define DIRECTORY_DIR_GSS_H

#include <ldap.h>

struct pool;

/* Set the process up to authenticate as principal (NULL: the keytab's
 * first) from keytab. Call while the process is single-threaded. 0, or
 * -1 with *err_out (in err_pool) when the keytab cannot be read or holds
 * no key for principal. */
int dir_gss_setup(const char *keytab, const char *principal,
    struct pool *err_pool, const char **err_out);

/* SASL/GSSAPI bind on ld (connected; TLS already started if wanted).
 * The service host is the URI's host as written (no canonicalisation).
 * An LDAP result code; on failure ld's diagnostic message holds the SASL
 * or Kerberos reason. */
int dir_gss_bind(LDAP *ld);

#endif
