/*
 * accessd/auth_sasl.h - sign-on shared by accessd's POP3 and IMAP
 * sessions: the password check through the lookup process, the SASL
 * session of a listener (mechanisms, Kerberos principal check) and the
 * log line of a refused Kerberos login.
 *
 * Runs in accessd's session processes. Passwords go to the lookup
 * process (a bind as the user); the session never sees a hash. A GSSAPI
 * login is decided by directory/dir_sasl.h.
 */
#ifndef ACCESSD_AUTH_SASL_H
#define ACCESSD_AUTH_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/saslsrv.h"
#include "accessd/accessd.h"
#include "directory/dir_sasl.h"

struct pool;
struct server_conn;
struct stream;

/* One session's sign-on attempts. The session sets the first block once
 * (accessd_auth_init); each attempt refills the rest. */
struct accessd_auth {
	const struct accessd_ctx *ctx;
	const struct server_conn *conn;
	struct dir_client *dc;
	struct pool *parent;		/* the session's pool */
	/* the last attempt */
	struct pool *pool;		/* child of parent: entry, gss data */
	enum dir_auth auth;		/* what the password check found */
	struct dir_entry *entry;	/* the account (password or GSSAPI) */
	struct dir_sasl gss;		/* the GSSAPI principal check */
};

void accessd_auth_init(struct accessd_auth *a, const struct accessd_ctx *ctx,
    const struct server_conn *conn, struct dir_client *dc,
    struct pool *parent);
/* Forget the last attempt (its pool too); the next one starts clean. */
void accessd_auth_reset(struct accessd_auth *a);

/* Check pass for user (a bind as the user, by the lookup process);
 * a->entry is the account on DIR_AUTH_OK (and on DISABLED/RECEIVE_ONLY).
 * A directory that cannot answer is logged. */
enum dir_auth accessd_auth_password(struct accessd_auth *a, const char *user,
    const char *pass, size_t passlen);

/* A SASL session for the connection as it is now: service is [sasl]'s
 * name for the protocol, mechanisms the listener's sasl_mechanisms else
 * [sasl] mechanisms, PLAIN/LOGIN checked by accessd_auth_password (only
 * if plaintext_ok), GSSAPI by dir_sasl_principal. Resets a. NULL with
 * *err_out set (logged by the caller). */
struct saslsrv *accessd_auth_sasl(struct accessd_auth *a, const char *service,
    bool plaintext_ok, const struct stream *s, const char **err_out);

/* After SASLSRV_DONE: a->entry is the account; returns the name to log
 * in as (the entry's login for a Kerberos principal, else the SASL
 * user). */
const char *accessd_auth_sasl_user(struct accessd_auth *a,
    const struct saslsrv *sa);

/* The log line of a refused Kerberos login (saslsrv_principal(sa) is
 * set): result, reason, principal, entry DN ("-" if none), client and the
 * directory's error if any. */
void accessd_auth_gss_log(const struct accessd_auth *a,
    const struct saslsrv *sa, enum saslsrv_result r);

#endif
