/*
 * accessd/imapd_auth.c - the IMAP commands of any state and of the
 * not-authenticated state: CAPABILITY, NOOP, LOGOUT, ID (RFC 2971),
 * ENABLE (RFC 5161), NAMESPACE (RFC 2342), STARTTLS, LOGIN and
 * AUTHENTICATE with SASL-IR (RFC 4959) through lib/saslsrv and
 * accessd/auth_sasl.h: PLAIN and LOGIN checked by a bind as the user,
 * GSSAPI by Kerberos and the principal's entry; mechanisms from the
 * listener's sasl_mechanisms or [sasl] mechanisms.
 *
 * Runs in accessd's IMAP session processes. Passwords go to the lookup
 * process (a bind as the user); the session never sees a hash. LOGIN and
 * plaintext SASL mechanisms need TLS unless [accessd.imap]
 * plaintext_loopback allows loopback clients (LOGINDISABLED otherwise).
 * AUTHENTICATE's continuation lines are capped at auth_line_max.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/saslsrv.h"
#include "lib/server.h"
#include "lib/settings.h"
#include "lib/str.h"
#include "lib/stream.h"
#include "lib/xalloc.h"
#include "accessd/auth_sasl.h"
#include "accessd/imapd.h"
#include "lib/banned.h"

/* The SASL session for this connection (a's attempt), or NULL (logged). */
static struct saslsrv *
sasl_new(struct imapd *d, struct accessd_auth *a)
{
	const struct settings_sasl *ss = cfg_get(d->ctx->cfg, "sasl");
	const char *err = NULL;
	struct saslsrv *sa;

	accessd_auth_init(a, d->ctx, d->conn, d->dc, d->pool);
	sa = accessd_auth_sasl(a, ss->imap_service, imapd_login_allowed(d),
	    d->s, &err);
	if (sa == NULL)
		log_error("sasl: %s", err);
	return sa;
}

/* The attempt's account becomes the session's (its pool with it). */
static void
adopt(struct imapd *d, struct accessd_auth *a)
{
	pool_free(&d->auth_pool);
	d->auth_pool = a->pool;
	a->pool = NULL;
	d->entry = a->entry;
	d->auth = a->auth;
}

const char *
imapd_capabilities(struct imapd *d)
{
	struct pool *pool = d->cmd_pool != NULL ? d->cmd_pool : d->pool;
	struct buf *b = buf_new(256, 4096);
	char *res;

	buf_printf(b, "IMAP4rev1 %s ", imapd_literal_capability(d));
	buf_append_str(b, "SASL-IR ID ENABLE IDLE "
	    "NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN LIST-EXTENDED SPECIAL-USE "
	    "QUOTA "
	    "QUOTA=RES-STORAGE QUOTA=RES-MESSAGE");
	if (d->state == IMAPD_S_NOTAUTH) {
		struct saslsrv *sa;
		struct accessd_auth a;

		if (d->ctx->tls != NULL && !stream_is_tls(d->s))
			buf_append_str(b, " STARTTLS");
		if (!imapd_login_allowed(d))
			buf_append_str(b, " LOGINDISABLED");
		sa = sasl_new(d, &a);
		if (sa != NULL) {
			const char *m = saslsrv_mechs(sa);

			while (*m != '\0') {
				size_t l = strcspn(m, " ");

				buf_printf(b, " AUTH=%.*s", (int)l, m);
				m += l;
				while (*m == ' ')
					m++;
			}
		}
		saslsrv_free(&sa);
		pool_free(&a.pool);
	}
	res = pool_strdup(pool, buf_cstr(b));
	buf_free(&b);
	return res;
}

void
imapd_cmd_capability(struct imapd *d, struct imap_cmd *c)
{
	if (c->n_args != 0) {
		imapd_tagged(d, c->tag, "BAD", "No arguments expected");
		return;
	}
	imapd_printf(d, "* CAPABILITY %s\r\n", imapd_capabilities(d));
	imapd_done(d, c, "CAPABILITY completed");
}

void
imapd_cmd_noop(struct imapd *d, struct imap_cmd *c)
{
	if (c->n_args != 0) {
		imapd_tagged(d, c->tag, "BAD", "No arguments expected");
		return;
	}
	imapd_done(d, c, "%s completed", c->name);
}

void
imapd_cmd_logout(struct imapd *d, struct imap_cmd *c)
{
	if (c->n_args != 0) {
		imapd_tagged(d, c->tag, "BAD", "No arguments expected");
		return;
	}
	imapd_printf(d, "* BYE Logging out\r\n");
	imapd_tagged(d, c->tag, "OK", "LOGOUT completed");
	d->quit = true;
}

void
imapd_cmd_id(struct imapd *d, struct imap_cmd *c)
{
	if (c->n_args != 1 || (c->args[0].kind != IMAP_ARG_LIST &&
	    !imap_arg_is_nil(&c->args[0]))) {
		imapd_tagged(d, c->tag, "BAD", "ID takes a list or NIL");
		return;
	}
	imapd_printf(d, "* ID (\"name\" \"tessera\" \"vendor\" \"tessera\")"
	    "\r\n");
	imapd_done(d, c, "ID completed");
}

void
imapd_cmd_namespace(struct imapd *d, struct imap_cmd *c)
{
	if (c->n_args != 0) {
		imapd_tagged(d, c->tag, "BAD", "No arguments expected");
		return;
	}
	imapd_printf(d, "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
	imapd_done(d, c, "NAMESPACE completed");
}

void
imapd_cmd_starttls(struct imapd *d, struct imap_cmd *c)
{
	if (c->n_args != 0) {
		imapd_tagged(d, c->tag, "BAD", "No arguments expected");
		return;
	}
	if (d->ctx->tls == NULL || stream_is_tls(d->s)) {
		imapd_tagged(d, c->tag, "BAD", "STARTTLS not available");
		return;
	}
	imapd_tagged(d, c->tag, "OK", "Begin TLS negotiation now");
	/* stream_start_tls_server drops pipelined plaintext (RFC 3501
	 * 6.2.1: the client must not send more before the handshake) */
	if (stream_start_tls_server(d->s, d->ctx->tls) == -1) {
		log_warn("starttls failed: %s", stream_error_text(d->s));
		d->quit = true;
		return;
	}
	log_info("starttls version=%s cipher=%s", stream_tls_version(d->s),
	    stream_tls_cipher(d->s));
}

/* ---- logging in ------------------------------------------------------- */

static void
login_failed(struct imapd *d, const char *tag, const char *user,
    const char *reason)
{
	log_info("auth user=%s result=fail reason=%s client=%s", user, reason,
	    d->conn->client_addr);
	imapd_tagged(d, tag, "NO", "[AUTHENTICATIONFAILED] Authentication "
	    "failed");
	if (++d->failures >= (unsigned)d->ic->auth_failures_max) {
		imapd_printf(d, "* BYE Too many failed logins\r\n");
		d->quit = true;
	}
}

/* After a good password: open the mailbox; reply. */
static void
logged_in(struct imapd *d, const char *tag, const char *user)
{
	struct dir_entry *e = d->entry;

	if (e == NULL || e->mailbox_id == NULL) {
		imapd_tagged(d, tag, "NO", "[UNAVAILABLE] Mailbox unavailable");
		return;
	}
	if (!accessd_is_this_host(d->ctx, e->mail_host)) {
		log_info("login user=%s dn=\"%s\" refused reason=other_host "
		    "host=%s", user, e->dn, e->mail_host);
		imapd_tagged(d, tag, "NO", "[UNAVAILABLE] Mailbox is on "
		    "another server");
		return;
	}
	buf_reset(d->err);
	d->mb = store_mailbox_open(d->ctx->mail_root, e->mailbox_id,
	    &d->ctx->store_limits, d->err);
	if (d->mb == NULL) {
		log_error("login user=%s mailbox=%s error=\"%s\"", user,
		    e->mailbox_id, buf_cstr(d->err));
		imapd_tagged(d, tag, "NO", "[UNAVAILABLE] Mailbox unavailable");
		return;
	}
	d->user = pool_strdup(d->pool, user);
	d->quota.bytes = e->quota_bytes;
	d->quota.messages = e->quota_messages;
	d->state = IMAPD_S_AUTH;
	log_info("login user=%s dn=\"%s\" mailbox=%s tls=%s", user, e->dn,
	    e->mailbox_id, stream_is_tls(d->s) ? "yes" : "no");
	imapd_tagged(d, tag, "OK", "[CAPABILITY %s] Logged in",
	    imapd_capabilities(d));
}

void
imapd_cmd_login(struct imapd *d, struct imap_cmd *c)
{
	const struct imap_arg *u, *p;
	struct accessd_auth a;
	enum dir_auth r;

	if (c->n_args != 2 || !imap_arg_is_astring(&c->args[0]) ||
	    !imap_arg_is_astring(&c->args[1])) {
		imapd_tagged(d, c->tag, "BAD", "LOGIN user password");
		return;
	}
	u = &c->args[0];
	p = &c->args[1];
	if (!imapd_login_allowed(d)) {
		imapd_tagged(d, c->tag, "NO", "[PRIVACYREQUIRED] LOGIN is "
		    "disabled without TLS");
		return;
	}
	if (u->len == 0 || u->len > SASLSRV_USER_MAX || strlen(u->s) != u->len
	    || p->len == 0 || strlen(p->s) != p->len) {
		login_failed(d, c->tag, "-", "bad_input");
		return;
	}
	accessd_auth_init(&a, d->ctx, d->conn, d->dc, d->pool);
	accessd_auth_reset(&a);
	r = accessd_auth_password(&a, u->s, p->s, p->len);
	mem_wipe(p->s, p->len);
	adopt(d, &a);
	switch (r) {
	case DIR_AUTH_OK:
		logged_in(d, c->tag, u->s);
		break;
	case DIR_AUTH_TEMPFAIL:
		imapd_tagged(d, c->tag, "NO", "[UNAVAILABLE] Directory "
		    "unavailable, try later");
		break;
	default:
		login_failed(d, c->tag, u->s, dir_auth_name(r));
		break;
	}
}

/* Read one AUTHENTICATE response line (CRLF stripped, at most
 * auth_line_max bytes) into in (decoded); 1, 0 cancelled ("*"), -1
 * malformed, -2 connection gone, -3 over auth_line_max (the rest of the
 * line was skipped). */
static int
sasl_response(struct imapd *d, struct buf *in)
{
	const char *line;
	size_t len;
	int rc;

	if (stream_flush(d->s) == -1)
		return -2;
	rc = stream_read_line(d->s, (size_t)d->ic->auth_line_max, &line,
	    &len);
	if (rc == -1 && stream_error(d->s) == STREAM_ERR_TOO_LONG)
		return -3;
	if (rc != 1)
		return -2;
	len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 1 && line[0] == '*')
		return 0;
	if (saslsrv_b64_decode(line, len, in) == -1)
		return -1;
	return 1;
}

/* A refused Kerberos login (the ticket was good, the account check was
 * not): the log line says why, the client gets RFC 5530's code. */
static void
gss_refused(struct imapd *d, const char *tag, struct accessd_auth *a,
    struct saslsrv *sa, enum saslsrv_result r)
{
	accessd_auth_gss_log(a, sa, r);
	switch (r) {
	case SASLSRV_FAIL_TEMP:
		imapd_tagged(d, tag, "NO", "[UNAVAILABLE] Directory "
		    "unavailable, try later");
		return;
	case SASLSRV_FAIL_AUTHZ:
		imapd_tagged(d, tag, "NO", "[AUTHORIZATIONFAILED] Not allowed "
		    "to act as that user");
		break;
	default:
		imapd_tagged(d, tag, "NO", "[AUTHENTICATIONFAILED] "
		    "Authentication failed");
		break;
	}
	if (++d->failures >= (unsigned)d->ic->auth_failures_max) {
		imapd_printf(d, "* BYE Too many failed logins\r\n");
		d->quit = true;
	}
}

static void
authenticate_result(struct imapd *d, const char *tag, struct accessd_auth *a,
    struct saslsrv *sa, enum saslsrv_result r)
{
	const char *user;

	if (r != SASLSRV_DONE && saslsrv_principal(sa) != NULL) {
		adopt(d, a);
		gss_refused(d, tag, a, sa, r);
		return;
	}
	switch (r) {
	case SASLSRV_DONE:
		user = accessd_auth_sasl_user(a, sa);
		adopt(d, a);
		logged_in(d, tag, user);
		return;
	case SASLSRV_FAIL_TEMP:
		imapd_tagged(d, tag, "NO", "[UNAVAILABLE] Directory "
		    "unavailable, try later");
		break;
	case SASLSRV_FAIL_AUTH:
		login_failed(d, tag, "-", saslsrv_fail_reason(sa));
		break;
	case SASLSRV_FAIL_AUTHZ:
		log_info("auth result=authz_refused client=%s",
		    d->conn->client_addr);
		imapd_tagged(d, tag, "NO", "[AUTHORIZATIONFAILED] Not allowed "
		    "to act as that user");
		break;
	case SASLSRV_FAIL_ENCRYPT:
		imapd_tagged(d, tag, "NO", "[PRIVACYREQUIRED] Mechanism needs "
		    "TLS");
		break;
	case SASLSRV_FAIL_MECH:
		imapd_tagged(d, tag, "NO", "Unsupported mechanism");
		break;
	default:
		log_info("auth result=%s reason=%s", saslsrv_result_name(r),
		    saslsrv_fail_reason(sa));
		imapd_tagged(d, tag, "BAD", "Malformed authentication data");
		break;
	}
	adopt(d, a);
}

void
imapd_cmd_authenticate(struct imapd *d, struct imap_cmd *c)
{
	struct buf *in = buf_new(256, SASLSRV_INPUT_MAX);
	struct buf *out = buf_new(256, SASLSRV_INPUT_MAX);
	struct buf *b64 = buf_new(256, SASLSRV_INPUT_MAX * 2);
	const struct imap_arg *ir = c->n_args == 2 ? &c->args[1] : NULL;
	struct accessd_auth a = { 0 };
	struct saslsrv *sa = NULL;
	enum saslsrv_result r;

	if (c->n_args < 1 || c->n_args > 2 || c->args[0].kind !=
	    IMAP_ARG_ATOM || (ir != NULL && ir->kind != IMAP_ARG_ATOM)) {
		imapd_tagged(d, c->tag, "BAD", "AUTHENTICATE mechanism "
		    "[initial-response]");
		goto out;
	}
	sa = sasl_new(d, &a);
	if (sa == NULL) {
		imapd_tagged(d, c->tag, "NO", "[UNAVAILABLE] Authentication "
		    "unavailable");
		goto out;
	}
	if (ir != NULL && strcmp(ir->s, "=") != 0 &&
	    saslsrv_b64_decode(ir->s, ir->len, in) == -1)
		r = SASLSRV_FAIL_PROTO;
	else
		r = saslsrv_start(sa, c->args[0].s, in->data, in->len,
		    ir != NULL, out);
	while (r == SASLSRV_CONTINUE) {
		int rc;

		buf_reset(b64);
		saslsrv_b64_encode(out->data, out->len, b64);
		imapd_printf(d, "+ %s\r\n", buf_cstr(b64));
		buf_reset(in);
		rc = sasl_response(d, in);
		if (rc == -2) {
			d->quit = true;
			goto out;
		}
		if (rc == 0) {
			imapd_tagged(d, c->tag, "BAD", "Authentication "
			    "cancelled");
			goto out;
		}
		if (rc == -3) {
			log_info("auth result=fail_proto reason=line_too_long "
			    "max=%llu client=%s", (unsigned long long)
			    d->ic->auth_line_max, d->conn->client_addr);
			imapd_tagged(d, c->tag, "BAD", "[LIMIT] Authentication "
			    "response too long");
			goto out;
		}
		if (rc == -1) {
			r = SASLSRV_FAIL_PROTO;
			break;
		}
		r = saslsrv_step(sa, in->data, in->len, out);
	}
	authenticate_result(d, c->tag, &a, sa, r);
out:
	saslsrv_free(&sa);
	pool_free(&a.pool);
	buf_free_secret(&in);
	buf_free(&out);
	buf_free_secret(&b64);
}
