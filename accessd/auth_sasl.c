/*
 * accessd/auth_sasl.c - sign-on shared by accessd's POP3 and IMAP
 * sessions: password check, the listener's SASL session (PLAIN, LOGIN,
 * GSSAPI) and the log line of a refused Kerberos login.
 *
 * Runs in accessd's session processes; see accessd/auth_sasl.h.
 */
#include "config.h"

#include "lib/log.h"
#include "lib/pool.h"
#include "lib/saslsrv.h"
#include "lib/server.h"
#include "lib/settings.h"
#include "lib/stream.h"
#include "accessd/auth_sasl.h"
#include "lib/banned.h"

void
accessd_auth_init(struct accessd_auth *a, const struct accessd_ctx *ctx,
    const struct server_conn *conn, struct dir_client *dc,
    struct pool *parent)
{
	*a = (struct accessd_auth){ .ctx = ctx, .conn = conn, .dc = dc,
		.parent = parent, .auth = DIR_AUTH_BADPASS };
}

void
accessd_auth_reset(struct accessd_auth *a)
{
	pool_free(&a->pool);
	a->pool = pool_new_child(a->parent, "auth");
	a->auth = DIR_AUTH_BADPASS;	/* unless a check says otherwise */
	a->entry = NULL;
	a->gss = (struct dir_sasl){ 0 };
}

enum dir_auth
accessd_auth_password(struct accessd_auth *a, const char *user,
    const char *pass, size_t passlen)
{
	struct dir_info info = { 0 };

	if (a->pool == NULL)
		a->pool = pool_new_child(a->parent, "auth");
	a->entry = NULL;
	a->auth = dir_client_check_password(a->dc, user, pass, passlen,
	    a->pool, &a->entry, &info);
	if (a->auth == DIR_AUTH_TEMPFAIL)
		log_warn("auth user=%s result=tempfail detail=\"%s\"", user,
		    info.error != NULL ? info.error : "");
	return a->auth;
}

static enum saslsrv_check
checkpass(void *ctx, const char *user, const char *pass, size_t passlen)
{
	switch (accessd_auth_password(ctx, user, pass, passlen)) {
	case DIR_AUTH_OK:
		return SASLSRV_CHECK_OK;
	case DIR_AUTH_BADPASS:
		return SASLSRV_CHECK_BADPASS;
	case DIR_AUTH_NOUSER:
		return SASLSRV_CHECK_NOUSER;
	case DIR_AUTH_DISABLED:
	case DIR_AUTH_RECEIVE_ONLY:
		return SASLSRV_CHECK_DISABLED;
	default:
		return SASLSRV_CHECK_TEMPFAIL;
	}
}

struct saslsrv *
accessd_auth_sasl(struct accessd_auth *a, const char *service,
    bool plaintext_ok, const struct stream *s, const char **err_out)
{
	const struct cfg *cfg = a->ctx->cfg;
	const struct settings_sasl *ss = cfg_get(cfg, "sasl");
	struct saslsrv_params sp = { .service = service,
		.server_fqdn = settings_sasl_hostname(cfg, a->ctx->hostname),
		.mechs = settings_sasl_mechanisms(cfg, "accessd.listener",
		    a->conn->listener),
		.plaintext_ok = plaintext_ok,
		.external_ssf = stream_is_tls(s) ? 256 : 0,
		.checkpass = checkpass, .checkpass_ctx = a,
		.principal = dir_sasl_principal, .principal_ctx = &a->gss };

	accessd_auth_reset(a);
	a->gss = (struct dir_sasl){ .dc = a->dc, .pool = a->pool,
		.allowed_realms = (const char *const *)ss->allowed_realms };
	return saslsrv_new(&sp, err_out);
}

const char *
accessd_auth_sasl_user(struct accessd_auth *a, const struct saslsrv *sa)
{
	if (saslsrv_principal(sa) == NULL)
		return saslsrv_user(sa);
	a->entry = a->gss.entry;
	a->auth = DIR_AUTH_OK;
	/* the principal and the account it acts as (another one when the
	 * directory granted an authorization identity) */
	log_info("auth mech=GSSAPI result=ok principal=%s user=%s dn=\"%s\""
	    " client=%s", saslsrv_principal(sa), a->entry != NULL &&
	    a->entry->login != NULL ? a->entry->login : "-",
	    a->entry != NULL ? a->entry->dn : "-", a->conn->client_addr);
	return a->entry != NULL && a->entry->login != NULL ?
	    a->entry->login : saslsrv_principal(sa);
}

void
accessd_auth_gss_log(const struct accessd_auth *a, const struct saslsrv *sa,
    enum saslsrv_result r)
{
	const char *err = a->gss.error;

	log_info("auth mech=GSSAPI result=%s reason=%s principal=%s dn=\"%s\""
	    " client=%s%s%s%s", saslsrv_result_name(r),
	    saslsrv_fail_reason(sa), saslsrv_principal(sa),
	    a->gss.entry != NULL ? a->gss.entry->dn : "-",
	    a->conn->client_addr, err != NULL ? " detail=\"" : "",
	    err != NULL ? err : "", err != NULL ? "\"" : "");
}
