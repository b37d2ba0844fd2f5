/*
 * directory/dir_sasl.h - the directory's verdict on a Kerberos (GSSAPI)
 * login: the principal check lib/saslsrv calls, shared by mtad (SMTP
 * AUTH), accessd POP3 (AUTH) and IMAP (AUTHENTICATE).
 *
 * Runs in session processes, through the lookup process (dir_client.h):
 * no directory credential here. The principal comes from a Kerberos
 * ticket Cyrus verified; the authorization identity comes from the
 * client and is hostile. Order of the checks, each one a refusal with
 * its own reason token for the log:
 *   realm of the principal in allowed_realms  else realm_not_allowed
 *   an entry for the principal (dir_client_lookup_principal: openldap
 *     uid = name part, ad userPrincipalName, or the filter_principal
 *     override)                                else no_user
 *   the entry active                          else disabled, receive_only
 *   an authorization identity, if the client asked one, naming the same
 *     entry (the principal itself, or a login that resolves to that
 *     entry's DN), or an entry the principal's entry grants by its
 *     attr_authz_to (openldap: authzTo "dn:DN"), which then becomes the
 *     account                                  else authz_refused;
 *     a granted entry that is not active       authz_inactive
 * A directory that cannot answer is TEMPFAIL ("tempfail", with the
 * detail in error).
 *
 * How a session uses it (mtad/session_auth.c, accessd/pop3d.c; IMAP the
 * same with imap_service):
 *
 *	const struct settings_sasl *ss = cfg_get(cfg, "sasl");
 *	struct dir_sasl gss = { .dc = dc, .pool = pool,
 *		.allowed_realms = (const char *const *)ss->allowed_realms };
 *	struct saslsrv_params sp = { .service = ss->imap_service,
 *		.server_fqdn = settings_sasl_hostname(cfg, hostname),
 *		.mechs = settings_sasl_mechanisms(cfg, "accessd.listener",
 *		    conn->listener),
 *		.checkpass = ..., .principal = dir_sasl_principal,
 *		.principal_ctx = &gss, ... };
 *
 * then saslsrv_start/saslsrv_step as for PLAIN. DONE with
 * saslsrv_principal(s) != NULL: the account is gss.entry (its login for
 * logs). A failure with saslsrv_principal(s) != NULL: log one line with
 * saslsrv_fail_reason(s), saslsrv_principal(s), gss.entry's DN (if any)
 * and gss.error; FAIL_TEMP is the protocol's temporary failure.
 */
#ifndef DIRECTORY_DIR_SASL_H
#define DIRECTORY_DIR_SASL_H

#include <stddef.h>

#include "lib/saslsrv.h"
#include "directory/dir.h"

struct dir_client;
struct pool;

/* Set by the session before the exchange; read back after it. */
struct dir_sasl {
	/* in */
	struct dir_client *dc;
	const char *const *allowed_realms;	/* NULL-terminated; NULL or
						 * empty: every realm refused */
	struct pool *pool;			/* for entry and error */
	/* out, filled by dir_sasl_principal */
	struct dir_entry *entry;		/* the account when OK; also
					 * set on a refusal after the
					 * lookup (for the log) */
	const char *reason;			/* refusal token, or NULL */
	const char *error;			/* TEMPFAIL detail, or NULL */
};

/* saslsrv_principal_fn for struct saslsrv_params.principal, with ctx a
 * struct dir_sasl. */
enum saslsrv_check dir_sasl_principal(void *ctx, const char *principal,
    const char *authz, const char **reason_out);

/* The realm of principal (after its last '@'), or NULL when it has none
 * or an empty one. Points into principal. */
const char *dir_sasl_realm(const char *principal);

#endif
