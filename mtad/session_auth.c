/*
 * mtad/session_auth.c - SMTP AUTH (RFC 4954) through lib/saslsrv.h, the
 * password checked by the lookup process (dir_client_check_password),
 * a Kerberos principal (GSSAPI) mapped to its entry by dir_sasl.h.
 *
 * Mechanisms are the listener's sasl_mechanisms, else [sasl] mechanisms.
 * Plaintext mechanisms (PLAIN, LOGIN) need TLS, or a loopback listener
 * and auth_plaintext_loopback; GSSAPI sends no password and is offered
 * without TLS too.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/saslsrv.h"
#include "lib/settings.h"
#include "lib/stream.h"
#include "mtad/session_int.h"
#include "lib/banned.h"

static bool
is_loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
	    strncmp(addr, "::ffff:127.", 11) == 0;
}

bool
session_auth_allowed_plain(const struct session *s)
{
	return stream_is_tls(s->st) || (s->m->mc->auth_plaintext_loopback &&
	    is_loopback(s->conn->local_addr));
}

static enum saslsrv_check
checkpass(void *ctx, const char *user, const char *pass, size_t passlen)
{
	struct session *s = ctx;
	struct dir_info info = { 0 };
	struct dir_entry *e = NULL;
	enum dir_auth a = dir_client_check_password(s->dir, user, pass,
	    passlen, s->pool, &e, &info);

	switch (a) {
	case DIR_AUTH_OK:
		s->auth_entry = e;
		return SASLSRV_CHECK_OK;
	case DIR_AUTH_BADPASS:
		return SASLSRV_CHECK_BADPASS;
	case DIR_AUTH_NOUSER:
		return SASLSRV_CHECK_NOUSER;
	case DIR_AUTH_DISABLED:
	case DIR_AUTH_RECEIVE_ONLY:
		return SASLSRV_CHECK_DISABLED;
	case DIR_AUTH_TEMPFAIL:
		log_warn("event=auth-tempfail client=%s user=%s error=%s",
		    s->conn->client_addr, user,
		    info.error != NULL ? info.error : "-");
		return SASLSRV_CHECK_TEMPFAIL;
	}
	return SASLSRV_CHECK_TEMPFAIL;
}

void
session_auth_reset(struct session *s)
{
	const struct settings_sasl *ss = cfg_get(s->m->cfg, "sasl");
	struct saslsrv_params p = { .service = ss->smtp_service,
		.server_fqdn = settings_sasl_hostname(s->m->cfg,
		    s->m->hostname),
		.mechs = settings_sasl_mechanisms(s->m->cfg, "mtad.listener",
		    s->conn->listener),
		.checkpass = checkpass, .checkpass_ctx = s,
		.principal = dir_sasl_principal, .principal_ctx = &s->gss };
	const char *err;
	char local[SERVER_ADDR_MAX + SERVER_PORT_MAX + 1];
	char remote[SERVER_ADDR_MAX + SERVER_PORT_MAX + 1];

	saslsrv_free(&s->sasl);
	s->auth_user = NULL;
	s->auth_entry = NULL;
	s->gss = (struct dir_sasl){ .dc = s->dir, .pool = s->pool,
		.allowed_realms = (const char *const *)ss->allowed_realms };
	snprintf(local, sizeof(local), "%s;%s", s->conn->local_addr,
	    s->conn->local_port);
	snprintf(remote, sizeof(remote), "%s;%s", s->conn->client_addr,
	    s->conn->client_port);
	p.local_addr = local;
	p.remote_addr = remote;
	p.external_ssf = stream_is_tls(s->st) ? 256 : 0;
	p.plaintext_ok = session_auth_allowed_plain(s);
	s->sasl = saslsrv_new(&p, &err);
	if (s->sasl == NULL)
		log_error("SASL session: %s", err);
}

/* Reply for a failed exchange; logs it. */
static void
auth_failed(struct session *s, enum saslsrv_result r, const char *mech)
{
	switch (r) {
	case SASLSRV_FAIL_TEMP:
		session_reply(s, 454, "4.7.0", "Temporary authentication"
		    " failure");
		break;
	case SASLSRV_FAIL_MECH:
		session_reply(s, 504, "5.5.4", "Unrecognized authentication"
		    " type");
		break;
	case SASLSRV_FAIL_ENCRYPT:
		session_reply(s, 538, "5.7.11", "Encryption required for"
		    " requested authentication mechanism");
		break;
	case SASLSRV_FAIL_PROTO:
		session_reply(s, 501, "5.5.2", "Malformed authentication"
		    " data");
		break;
	default:
		session_reply(s, 535, "5.7.8", "Authentication credentials"
		    " invalid");
		break;
	}
	if (s->sasl != NULL && saslsrv_principal(s->sasl) != NULL) {
		log_info("event=auth-failed client=%s mech=%s result=%s"
		    " reason=%s principal=%s entry=%s%s%s%s",
		    s->conn->client_addr, mech, saslsrv_result_name(r),
		    saslsrv_fail_reason(s->sasl), saslsrv_principal(s->sasl),
		    s->gss.entry != NULL ? s->gss.entry->dn : "-",
		    s->gss.error != NULL ? " error=\"" : "",
		    s->gss.error != NULL ? s->gss.error : "",
		    s->gss.error != NULL ? "\"" : "");
		return;
	}
	log_info("event=auth-failed client=%s mech=%s result=%s reason=%s",
	    s->conn->client_addr, mech, saslsrv_result_name(r),
	    s->sasl != NULL ? saslsrv_fail_reason(s->sasl) : "-");
}

void
session_auth(struct session *s, const struct smtp_cmd *cmd)
{
	struct buf *in = buf_new(256, SASLSRV_INPUT_MAX);
	struct buf *chal = buf_new(256, SASLSRV_INPUT_MAX);
	struct buf *b64 = buf_new(256, SASLSRV_INPUT_MAX * 2);
	enum saslsrv_result r;
	bool have = cmd->arg2 != NULL;

	if (s->helo == NULL || !s->esmtp) {
		session_reply(s, 503, "5.5.1", "Send EHLO first");
		goto out;
	}
	if (s->auth_user != NULL) {
		session_reply(s, 503, "5.5.1", "Already authenticated");
		goto out;
	}
	if (s->has_mail) {
		session_reply(s, 503, "5.5.1", "AUTH not allowed during a"
		    " mail transaction");
		goto out;
	}
	if (s->sasl == NULL) {
		session_reply(s, 454, "4.7.0", "Temporary authentication"
		    " failure");
		goto out;
	}
	if (have && strcmp(cmd->arg2, "=") != 0 &&
	    saslsrv_b64_decode(cmd->arg2, strlen(cmd->arg2), in) == -1) {
		session_reply(s, 501, "5.5.2", "Invalid base64 data");
		goto out;
	}
	r = saslsrv_start(s->sasl, cmd->arg, in->data, in->len, have, chal);
	while (r == SASLSRV_CONTINUE) {
		const char *line;
		size_t len;
		int rr;

		buf_reset(b64);
		if (saslsrv_b64_encode(chal->data, chal->len, b64) == -1) {
			r = SASLSRV_FAIL_TEMP;
			break;
		}
		session_reply(s, 334, NULL, "%s", buf_cstr(b64));
		if (stream_write(s->st, s->out->data, s->out->len) == -1 ||
		    stream_flush(s->st) == -1) {
			s->quit = true;
			goto out;
		}
		buf_reset(s->out);
		rr = stream_read_line(s->st, s->m->lim.auth_line_max, &line,
		    &len);
		if (rr == -1 && stream_error(s->st) == STREAM_ERR_TIMEOUT) {
			session_reply(s, 421, "4.4.2", "%s Error: timeout"
			    " exceeded", s->m->hostname);
			s->quit = true;
			goto out;
		}
		if (rr != 1) {
			s->quit = rr != -1 || stream_error(s->st) !=
			    STREAM_ERR_TOO_LONG;
			r = SASLSRV_FAIL_PROTO;
			break;
		}
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			len--;
		if (len == 1 && line[0] == '*') {
			session_reply(s, 501, "5.0.0", "Authentication"
			    " cancelled");
			goto out;
		}
		if (saslsrv_b64_decode(line, len, in) == -1) {
			r = SASLSRV_FAIL_PROTO;
			break;
		}
		r = saslsrv_step(s->sasl, in->data, in->len, chal);
	}
	if (r != SASLSRV_DONE) {
		auth_failed(s, r, cmd->arg);
		goto out;
	}
	if (saslsrv_principal(s->sasl) != NULL) {
		/* GSSAPI: the account is the principal's entry */
		s->auth_entry = s->gss.entry;
		s->auth_user = pool_strdup(s->pool, s->gss.entry->login != NULL ?
		    s->gss.entry->login : saslsrv_principal(s->sasl));
	} else {
		s->auth_user = pool_strdup(s->pool, saslsrv_user(s->sasl));
	}
	session_reply(s, 235, "2.7.0", "Authentication successful");
	log_info("event=auth client=%s mech=%s user=%s entry=%s%s%s",
	    s->conn->client_addr, cmd->arg, s->auth_user,
	    s->auth_entry != NULL ? s->auth_entry->dn : "-",
	    saslsrv_principal(s->sasl) != NULL ? " principal=" : "",
	    saslsrv_principal(s->sasl) != NULL ? saslsrv_principal(s->sasl) :
	    "");
out:
	buf_free_secret(&in);
	buf_free(&chal);
	buf_free(&b64);
}
