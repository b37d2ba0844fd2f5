/*
 * lib/saslsrv.h - Cyrus SASL server glue shared by mtad and accessd.
 *
 * One struct saslsrv per client session wraps a Cyrus server connection.
 * Mechanisms are never hard-coded: each session gets the list it may
 * offer (PLAIN and LOGIN today, GSSAPI later), and plaintext mechanisms
 * are withheld unless the caller says TLS is on or the administrator
 * allows them. Passwords are checked by the daemon's own callback (it
 * binds to the directory); Cyrus' own password stores, sasldb and config
 * files are kept out of the way so results never depend on the host.
 *
 * Results are distinct so protocols can answer precisely:
 *   FAIL_AUTH    535 5.7.8 / NO [AUTHENTICATIONFAILED]
 *   FAIL_TEMP    454 4.7.0 / NO [UNAVAILABLE]
 *   FAIL_MECH    504 5.5.4 / NO / BAD (unknown or not allowed mechanism)
 *   FAIL_ENCRYPT 538 5.7.11 / NO [PRIVACYREQUIRED]
 *   FAIL_PROTO   501 5.5.2 / BAD (malformed client data)
 *   FAIL_AUTHZ   535 5.7.8 / NO [AUTHORIZATIONFAILED]
 * saslsrv_fail_reason() gives the detail for the log (bad_password,
 * no_user, disabled, ...); clients never see it.
 *
 * GSSAPI (Kerberos) sends no password: Cyrus checks the ticket against
 * the service keytab (the "keytab" option of saslsrv_init), and saslsrv
 * then hands the daemon's principal callback the full principal
 * ("alice@EXAMPLE.TEST", from the GSS context, whatever name Cyrus
 * reports: Cyrus drops the default realm) and any authorization identity
 * the client asked for. The callback maps the principal to an account
 * and decides; a session offering GSSAPI must have one.
 */
#ifndef LIB_SASLSRV_H
#define LIB_SASLSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct saslsrv;

/* Longest authentication or authorization identity accepted. */
#define SASLSRV_USER_MAX 255
/* Longest client response accepted by start/step (decoded bytes; RFC
 * 4954 allows 12288 bytes of base64 per line). */
#define SASLSRV_INPUT_MAX 12288

/* What the daemon's password check found. */
enum saslsrv_check {
	SASLSRV_CHECK_OK,
	SASLSRV_CHECK_BADPASS,
	SASLSRV_CHECK_NOUSER,
	SASLSRV_CHECK_DISABLED,
	SASLSRV_CHECK_TEMPFAIL,		/* directory unreachable etc. */
	SASLSRV_CHECK_AUTHZ,		/* principal check: authz refused */
};

/* Check pass (passlen bytes, never empty, no NUL inside) for user (the
 * authentication identity, NUL-terminated, at most SASLSRV_USER_MAX
 * bytes). Must not keep pass. */
typedef enum saslsrv_check (*saslsrv_checkpass_fn)(void *ctx,
    const char *user, const char *pass, size_t passlen);
/* GSSAPI: may principal (the Kerberos principal, user@REALM, at most
 * SASLSRV_USER_MAX bytes) log in, acting as authz (the authorization
 * identity the client asked for; NULL when it asked none or the same
 * name)? OK, NOUSER, DISABLED, AUTHZ or TEMPFAIL (BADPASS counts as
 * NOUSER). *reason_out may be set to a static token for the log
 * ("realm_not_allowed", "receive_only", ...); otherwise the result's
 * own token is used. */
typedef enum saslsrv_check (*saslsrv_principal_fn)(void *ctx,
    const char *principal, const char *authz, const char **reason_out);
/* May authn act as authz (authz != authn)? */
typedef bool (*saslsrv_authz_fn)(void *ctx, const char *authn,
    const char *authz);

enum saslsrv_result {
	SASLSRV_DONE,		/* authenticated: saslsrv_user() */
	SASLSRV_CONTINUE,	/* send the challenge in out, await a step */
	SASLSRV_FAIL_AUTH,	/* bad password, no such user, disabled */
	SASLSRV_FAIL_TEMP,	/* checkpass TEMPFAIL or internal SASL error */
	SASLSRV_FAIL_MECH,	/* mechanism unknown or not allowed here */
	SASLSRV_FAIL_ENCRYPT,	/* plaintext mechanism without TLS */
	SASLSRV_FAIL_PROTO,	/* malformed client data, bad sequence */
	SASLSRV_FAIL_AUTHZ,	/* authorization identity refused */
};

/* One process-wide Cyrus option, answered through SASL_CB_GETOPT. */
struct saslsrv_option {
	const char *name;	/* e.g. "mech_list", "keytab", "log_level" */
	const char *value;
};

struct saslsrv_params {
	const char *service;		/* "smtp", "imap", "pop" */
	const char *server_fqdn;	/* passed to Cyrus as is; required */
	const char *local_addr;		/* "ip;port", NULL if unknown */
	const char *remote_addr;	/* "ip;port", NULL if unknown */
	unsigned external_ssf;		/* TLS strength in bits, 0 without */
	bool plaintext_ok;		/* TLS on, or the admin allows it */
	const char *const *mechs;	/* allowed, NULL-terminated */
	saslsrv_checkpass_fn checkpass;	/* required */
	void *checkpass_ctx;
	saslsrv_authz_fn authz;		/* NULL: authz must equal authn */
	void *authz_ctx;
	saslsrv_principal_fn principal;	/* required if mechs has GSSAPI;
					 * decides GSSAPI logins (authz
					 * is not asked for them) */
	void *principal_ctx;
};

/* Initialise Cyrus SASL for this process, once, before any session (in
 * the master, before forking). opts (n entries, copied) answer Cyrus'
 * option queries; "pwcheck_method", "auxprop_plugin" and
 * "canon_user_plugin" are reserved (saslsrv sets them so passwords only
 * ever reach the checkpass callback). Cyrus config files are never read.
 * 0, or -1 with *err_out set to a static text. */
int saslsrv_init(const char *appname, const struct saslsrv_option *opts,
    size_t n, const char **err_out);
/* Release Cyrus' process-wide state (tests, orderly exit). */
void saslsrv_done(void);

/* New session. Copies what it needs from p. NULL with *err_out set to a
 * static text on bad parameters or a Cyrus failure. */
struct saslsrv *saslsrv_new(const struct saslsrv_params *p,
    const char **err_out);
/* Free *sp (NULL-safe) and clear the pointer; copies of client input are
 * wiped. */
void saslsrv_free(struct saslsrv **sp);

/* Space-separated mechanisms to offer now (allowed, loaded in Cyrus, and
 * not plaintext unless plaintext_ok); "" if none. Owned by s. */
const char *saslsrv_mechs(const struct saslsrv *s);

/* Start mech with the client's initial response (in/inlen, raw bytes
 * after base64) if have_initial; an empty initial response ("=" in SMTP)
 * is have_initial with inlen 0. Resets out and, on CONTINUE, fills it
 * with the raw challenge. May be called again after a failure; not after
 * DONE (FAIL_PROTO). */
enum saslsrv_result saslsrv_start(struct saslsrv *s, const char *mech,
    const uint8_t *in, size_t inlen, bool have_initial, struct buf *out);
/* Next client response of an exchange that returned CONTINUE. */
enum saslsrv_result saslsrv_step(struct saslsrv *s, const uint8_t *in,
    size_t inlen, struct buf *out);

/* After DONE: the authorization identity (the user to act as; equals the
 * authentication identity unless authz allowed otherwise), and the
 * authentication identity. NULL before. Owned by s. */
const char *saslsrv_user(const struct saslsrv *s);
const char *saslsrv_authn(const struct saslsrv *s);
/* The Kerberos principal (user@REALM) of the last GSSAPI exchange that
 * reached the principal check, whether it was accepted or not (for the
 * log line of a refusal); NULL otherwise. Owned by s. */
const char *saslsrv_principal(const struct saslsrv *s);
/* Why the last start/step failed, one token for the log: "bad_password",
 * "no_user", "disabled", "tempfail", "empty_password", "bad_password_data",
 * "bad_username", "authz_refused", "mech_not_allowed", "mech_unavailable",
 * "plaintext_refused", "malformed", "input_too_long", "no_exchange",
 * "already_authenticated", "sasl_error", "no_principal" (GSSAPI gave no
 * usable peer name), or a principal callback's own token; "" if it did
 * not fail. */
const char *saslsrv_fail_reason(const struct saslsrv *s);
/* "done", "continue", "fail_auth", ... for logs. */
const char *saslsrv_result_name(enum saslsrv_result r);

/* Strict base64 (RFC 4648 section 4: alphabet A-Z a-z 0-9 + /, '='
 * padding to a multiple of 4, no white space, zero pad bits). Reset out
 * and fill it. 0, or -1 on bad input or if out's ceiling was reached. */
int saslsrv_b64_decode(const char *in, size_t len, struct buf *out);
int saslsrv_b64_encode(const uint8_t *in, size_t len, struct buf *out);

#endif
