/*
 * mtad/session.c - one SMTP session (RFC 5321): greeting, the command
 * loop with pipelining-safe reads, HELO/EHLO, MAIL, RSET, NOOP, QUIT,
 * HELP, VRFY, STARTTLS, and the session limits (command line, errors,
 * idle timeout). RCPT, AUTH and message data are in session_*.c.
 *
 * Runs in the forked session process, as the session user; reads hostile
 * bytes, so every line is bounded by the stream and parsed by lib/smtp*.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/saslsrv.h"
#include "lib/smtp_data.h"
#include "lib/smtp_reply.h"
#include "lib/str.h"
#include "lib/stream.h"
#include "lib/tls.h"
#include "mtad/session_int.h"
#include "lib/banned.h"

#define REPLY_MAX (64 * 1024)

void
session_reply(struct session *s, int code, const char *enh, const char *fmt,
    ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (code >= 400)
		s->errors++;
	if (smtp_reply_format(s->out, code, enh, text) == -1)
		log_error("reply %d %s does not format", code, text);
}

static void
reply_error(struct session *s, const struct smtp_error *e)
{
	session_reply(s, e->code, e->enh, "%s", e->text);
}

void
session_txn_reset(struct session *s)
{
	if (s->writer != NULL)
		queue_writer_abort(&s->writer);
	if (s->m->hooks.abort != NULL && s->hctx != NULL)
		s->m->hooks.abort(s->hctx);
	pool_free(&s->txn_pool);
	s->txn_pool = pool_new_child(s->pool, "txn");
	s->has_mail = false;
	s->sender = NULL;
	memset(&s->mail, 0, sizeof(s->mail));
	s->rcpts = NULL;
	s->nrcpts = s->rcpts_cap = 0;
	buf_free(&s->bdat.headers);
	memset(&s->bdat, 0, sizeof(s->bdat));
}

void
session_hook_info(const struct session *s, struct mtad_hook_info *hi)
{
	memset(hi, 0, sizeof(*hi));
	hi->session_id = s->conn->session_id;
	hi->listener = s->conn->listener;
	hi->client_addr = s->conn->client_addr;
	hi->helo = s->helo;
	hi->auth = s->auth_user;
	hi->tls_version = stream_tls_version(s->st);
	hi->sender = s->sender;
}

bool
session_hook(struct session *s, mtad_hook_fn fn, struct mtad_hook_info *hi)
{
	struct mtad_hook_reply r = { 0 };

	if (fn == NULL)
		return false;
	if (fn(s->hctx, hi, &r) == MTAD_HOOK_CONTINUE)
		return false;
	if (r.code < 200 || r.code > 599 || r.text == NULL) {
		r.code = 451;
		r.enh = "4.3.0";
		r.text = "Local policy error, try again later";
	}
	session_reply(s, r.code, r.enh, "%s", r.text);
	log_info("event=hook-reply client=%s code=%d enh=%s text=%s",
	    s->conn->client_addr, r.code, r.enh ? r.enh : "-", r.text);
	return true;
}

/* Send the replies built so far. -1 if the client is gone. */
static int
flush(struct session *s)
{
	if (s->out->len > 0 &&
	    stream_write(s->st, s->out->data, s->out->len) == -1) {
		buf_reset(s->out);
		return -1;
	}
	buf_reset(s->out);
	return stream_flush(s->st);
}

static void
do_helo(struct session *s, const struct smtp_cmd *cmd)
{
	struct mtad_hook_info hi;
	const char *mechs;

	session_txn_reset(s);
	if (str_copy(s->helo_buf, sizeof(s->helo_buf), cmd->arg) == -1) {
		session_reply(s, 501, "5.5.4", "HELO argument too long");
		s->helo = NULL;
		return;
	}
	s->helo = s->helo_buf;
	s->esmtp = cmd->verb == SMTP_CMD_EHLO;
	session_hook_info(s, &hi);
	if (session_hook(s, s->m->hooks.helo, &hi)) {
		s->helo = NULL;
		return;
	}
	log_info("event=helo client=%s helo=%s esmtp=%s", s->conn->client_addr,
	    s->helo, s->esmtp ? "yes" : "no");
	if (!s->esmtp) {
		s->ext = 0;	/* no ESMTP parameters after HELO */
		session_reply(s, 250, NULL, "%s", s->m->hostname);
		return;
	}
	mechs = s->sasl != NULL ? saslsrv_mechs(s->sasl) : "";
	s->ext = SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 |
	    SMTP_EXT_DSN | SMTP_EXT_CHUNKING;
	if (mechs[0] != '\0')
		s->ext |= SMTP_EXT_AUTH;
	session_reply(s, 250, NULL, "%s\nPIPELINING\nSIZE %llu\n8BITMIME\n"
	    "SMTPUTF8\nENHANCEDSTATUSCODES\nCHUNKING\nDSN%s%s%s",
	    s->m->hostname, (unsigned long long)s->m->lim.message_size_max,
	    s->starttls_ok && !stream_is_tls(s->st) ? "\nSTARTTLS" : "",
	    mechs[0] != '\0' ? "\nAUTH " : "", mechs);
}

static void
do_mail(struct session *s, const struct smtp_cmd *cmd)
{
	struct mtad_hook_info hi;
	const char *sender = cmd->path.is_null ? "" : cmd->path.addr;

	if (s->helo == NULL) {
		session_reply(s, 503, "5.5.1", "Send HELO or EHLO first");
		return;
	}
	if (s->has_mail) {
		session_reply(s, 503, "5.5.1", "Nested MAIL command");
		return;
	}
	if (s->type != MTAD_LISTENER_SMTP && s->auth_user == NULL) {
		session_reply(s, 530, "5.7.0", "Authentication required");
		log_info("event=reject stage=mail client=%s from=<%s> code=530"
		    " enh=5.7.0 reason=no-auth", s->conn->client_addr, sender);
		return;
	}
	if (s->auth_user != NULL && !session_sender_allowed(s, sender)) {
		session_reply(s, 553, "5.7.1", "Sender address <%s> not owned"
		    " by user %s", sender, s->auth_user);
		log_info("event=reject stage=mail client=%s from=<%s> auth=%s"
		    " code=553 enh=5.7.1 reason=not-owned", s->conn->client_addr,
		    sender, s->auth_user);
		return;
	}
	s->sender = pool_strdup(s->txn_pool, sender);
	s->mail = cmd->mail;	/* its strings live in the command's pool */
	if (s->mail.envid != NULL)
		s->mail.envid = pool_strdup(s->txn_pool, s->mail.envid);
	if (s->mail.auth != NULL)
		s->mail.auth = pool_strdup(s->txn_pool, s->mail.auth);
	session_hook_info(s, &hi);
	if (session_hook(s, s->m->hooks.mail, &hi)) {
		session_txn_reset(s);
		return;
	}
	s->has_mail = true;
	session_reply(s, 250, "2.1.0", "Ok");
}

static void
do_starttls(struct session *s)
{
	if (!s->starttls_ok || stream_is_tls(s->st)) {
		session_reply(s, 502, "5.5.1", "STARTTLS not available");
		return;
	}
	session_reply(s, 220, "2.0.0", "Ready to start TLS");
	if (flush(s) == -1 ||
	    stream_start_tls_server(s->st, s->m->tls) == -1) {
		log_info("event=tls-failed client=%s error=%s",
		    s->conn->client_addr, stream_error_text(s->st));
		s->quit = true;
		return;
	}
	log_info("event=starttls client=%s version=%s cipher=%s",
	    s->conn->client_addr, stream_tls_version(s->st),
	    stream_tls_cipher(s->st));
	/* RFC 3207 4.2: forget everything learnt before TLS */
	session_txn_reset(s);
	s->helo = NULL;
	s->esmtp = false;
	s->ext = 0;
	session_auth_reset(s);
}

static void
do_data(struct session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	session_data(s);
}

static void
do_rset(struct session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	session_txn_reset(s);
	session_reply(s, 250, "2.0.0", "Ok");
}

static void
do_noop(struct session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	session_reply(s, 250, "2.0.0", "Ok");
}

static void
do_quit(struct session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	session_reply(s, 221, "2.0.0", "%s closing connection",
	    s->m->hostname);
	s->quit = true;
}

static void
do_help(struct session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	session_reply(s, 214, "2.0.0", "See RFC 5321; commands: HELO EHLO MAIL"
	    " RCPT DATA BDAT RSET NOOP QUIT HELP VRFY STARTTLS AUTH");
}

/* VRFY never tells whether a user exists. */
static void
do_vrfy(struct session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	session_reply(s, 252, "2.5.2", "Cannot VRFY user, but will accept"
	    " message and attempt delivery");
}

static void
do_expn(struct session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	session_reply(s, 502, "5.5.1", "EXPN not available");
}

static void
do_starttls_cmd(struct session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	do_starttls(s);
}

/* The commands; each handler checks the session state it needs. LHLO
 * (LMTP) is not served here: it falls through to 502. */
static const struct {
	enum smtp_verb verb;
	void (*fn)(struct session *s, const struct smtp_cmd *cmd);
} handlers[] = {
	{ SMTP_CMD_HELO, do_helo },
	{ SMTP_CMD_EHLO, do_helo },
	{ SMTP_CMD_MAIL, do_mail },
	{ SMTP_CMD_RCPT, session_rcpt },
	{ SMTP_CMD_DATA, do_data },
	{ SMTP_CMD_BDAT, session_bdat },
	{ SMTP_CMD_RSET, do_rset },
	{ SMTP_CMD_NOOP, do_noop },
	{ SMTP_CMD_QUIT, do_quit },
	{ SMTP_CMD_HELP, do_help },
	{ SMTP_CMD_VRFY, do_vrfy },
	{ SMTP_CMD_EXPN, do_expn },
	{ SMTP_CMD_STARTTLS, do_starttls_cmd },
	{ SMTP_CMD_AUTH, session_auth },
};

/* One command line (without CRLF). */
static void
command(struct session *s, const char *line, size_t len)
{
	struct smtp_cmd_opts o = { .ext = s->ext,
		.txn_smtputf8 = s->mail.smtputf8 };
	struct smtp_error err;
	struct smtp_cmd cmd;
	struct pool *p = pool_new_child(s->pool, "cmd");
	bool known = false;

	if (smtp_cmd_parse(p, line, len, &s->m->lim, &o, &cmd, &err) == -1) {
		reply_error(s, &err);
		log_info("event=reject stage=command client=%s code=%d enh=%s"
		    " reason=\"%s\"", s->conn->client_addr, err.code,
		    err.enh != NULL ? err.enh : "-", err.text);
		pool_free(&p);
		return;
	}
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].verb == cmd.verb) {
			handlers[i].fn(s, &cmd);
			known = true;
			break;
		}
	if (!known)
		session_reply(s, 502, "5.5.1", "Command not implemented");
	pool_free(&p);
}

/* The command loop; returns when the session is over. */
static void
loop(struct session *s)
{
	const struct mtad_config *mc = s->m->mc;
	size_t max = s->m->lim.cmd_line_max > s->m->lim.auth_line_max ?
	    s->m->lim.cmd_line_max : s->m->lim.auth_line_max;

	while (!s->quit) {
		const char *line;
		size_t len;
		int r;

		/* pipelining: reply once the client waits for us */
		if (stream_pending(s->st) == 0 && flush(s) == -1)
			return;
		stream_set_timeouts(s->st, (int)mc->idle_timeout,
		    (int)mc->idle_timeout);
		r = stream_read_line(s->st, max, &line, &len);
		if (r == 0) {
			log_info("event=disconnect client=%s reason=eof",
			    s->conn->client_addr);
			return;
		}
		if (r == -1 && stream_error(s->st) == STREAM_ERR_TOO_LONG) {
			session_reply(s, 500, "5.5.2", "Line too long");
			log_info("event=reject stage=command client=%s code=500"
			    " enh=5.5.2 reason=line-too-long",
			    s->conn->client_addr);
		} else if (r == -1 && stream_error(s->st) ==
		    STREAM_ERR_TIMEOUT) {
			session_reply(s, 421, "4.4.2", "%s Error: timeout"
			    " exceeded", s->m->hostname);
			log_info("event=disconnect client=%s reason=timeout",
			    s->conn->client_addr);
			flush(s);
			return;
		} else if (r == -1) {
			log_info("event=disconnect client=%s reason=io"
			    " error=%s", s->conn->client_addr,
			    stream_error_text(s->st));
			return;
		} else {
			len--;		/* LF */
			if (len > 0 && line[len - 1] == '\r')
				len--;
			else {
				session_reply(s, 500, "5.5.2", "Command lines"
				    " end with CRLF");
				goto check;
			}
			command(s, line, len);
		}
check:
		if (!s->quit && s->errors >= (unsigned)mc->max_errors) {
			session_reply(s, 421, "4.7.0", "%s Error: too many"
			    " errors", s->m->hostname);
			log_info("event=disconnect client=%s reason=errors"
			    " errors=%u", s->conn->client_addr, s->errors);
			s->quit = true;
		}
	}
	flush(s);
}

void
mtad_session(int fd, const struct server_conn *conn, void *ctx)
{
	const struct mtad *m = ctx;
	struct session s = { .m = m, .conn = conn };
	const struct settings_listener *l = NULL;
	const char *const *names;
	const void *const *structs;
	struct mtad_hook_info hi;
	const char *err;
	size_t n = cfg_instances(m->cfg, "mtad.listener", &names, &structs);
	size_t nlen = strcspn(conn->listener, "/");

	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == nlen &&
		    strncmp(names[i], conn->listener, nlen) == 0)
			l = structs[i];
	s.type = mtad_listener_type(m->cfg, conn->listener);
	s.starttls_ok = m->tls != NULL && l != NULL &&
	    l->tls == SETTINGS_TLS_STARTTLS;
	s.pool = pool_new("session");
	s.out = buf_new(1024, REPLY_MAX);
	s.st = stream_new(fd);
	s.dir = dir_client_new(&m->dcs);
	s.data = smtp_data_new(&m->lim, SMTP_DATA_DOT);
	s.hctx = m->hooks.session_start != NULL ? m->hooks.session_start(
	    m->hooks.ctx, conn->listener, conn->session_id) : m->hooks.ctx;
	session_txn_reset(&s);
	log_info("event=connect client=%s port=%s listener=%s type=%s",
	    conn->client_addr, conn->client_port, conn->listener,
	    mtad_listener_type_name(s.type));
	s.q = queue_open(m->state_dir, &m->qlim, s.pool, &err);
	if (s.q == NULL) {
		log_error("queue: %s", err);
		session_reply(&s, 421, "4.3.0", "%s Service not available,"
		    " try again later", m->hostname);
		goto out;
	}
	stream_set_timeouts(s.st, (int)m->mc->idle_timeout,
	    (int)m->mc->idle_timeout);
	if (conn->implicit_tls) {
		if (stream_start_tls_server(s.st, m->tls) == -1) {
			log_info("event=tls-failed client=%s error=%s",
			    conn->client_addr, stream_error_text(s.st));
			goto out;
		}
		log_info("event=tls client=%s version=%s cipher=%s",
		    conn->client_addr, stream_tls_version(s.st),
		    stream_tls_cipher(s.st));
	}
	session_auth_reset(&s);
	session_hook_info(&s, &hi);
	if (session_hook(&s, m->hooks.connect, &hi)) {
		if (s.out->len > 0 && s.out->data[0] != '2')
			goto out;
	} else
		session_reply(&s, 220, NULL, "%s ESMTP Tessera",
		    m->hostname);
	loop(&s);
out:
	flush(&s);
	if (s.writer != NULL)
		queue_writer_abort(&s.writer);
	if (m->hooks.abort != NULL && s.hctx != NULL)
		m->hooks.abort(s.hctx);
	if (m->hooks.session_end != NULL && s.hctx != NULL)
		m->hooks.session_end(s.hctx);
	buf_free(&s.bdat.headers);
	saslsrv_free(&s.sasl);
	smtp_data_free(&s.data);
	dir_client_free(&s.dir);
	queue_close(&s.q);
	stream_free(&s.st);
	buf_free(&s.out);
	pool_free(&s.txn_pool);
	pool_free(&s.pool);
}
