/*
 * accessd/pop3d.c - one POP3 session (RFC 1939) with CAPA and response
 * codes (RFC 2449), STLS (RFC 2595) and AUTH (RFC 5034, SASL through
 * lib/saslsrv and accessd/auth_sasl.h: PLAIN and LOGIN checked by a bind
 * as the user, GSSAPI by Kerberos and the principal's entry; mechanisms
 * from the listener's sasl_mechanisms or [sasl] mechanisms).
 *
 * Runs in a session process as the unprivileged user, one per client;
 * client input is hostile: lines are capped at pop3_line_max (AUTH
 * responses at pop3_auth_line_max), silence at
 * pop3_idle_timeout, failed logins at pop3_auth_failures_max. Passwords
 * go to the lookup process (a bind as the user); the session never sees
 * a hash. One POP3 session per mailbox ([IN-USE], an fcntl lock on
 * tessera.pop3lock); deletions happen only at QUIT (UPDATE state).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/saslsrv.h"
#include "lib/server.h"
#include "lib/settings.h"
#include "lib/str.h"
#include "lib/stream.h"
#include "lib/xalloc.h"
#include "accessd/accessd.h"
#include "accessd/auth_sasl.h"
#include "accessd/pop3d_cmd.h"
#include "lib/banned.h"

#define POP3D_LOCK_FILE "tessera.pop3lock"
#define POP3D_READ_CHUNK 65536

enum pop3d_state { POP3D_S_AUTH, POP3D_S_TRANS };

/* One message of the maildrop as listed at login. */
struct pop3d_msg {
	uint32_t uid;
	uint64_t size;
	bool deleted;
};

struct pop3d {
	struct stream *s;
	const struct server_conn *conn;
	const struct accessd_ctx *ctx;
	struct dir_client *dc;
	struct pool *pool;
	enum pop3d_state state;
	char user[SASLSRV_USER_MAX + 1];	/* after USER */
	unsigned failures;
	bool quit;
	struct accessd_auth auth;	/* the last login attempt */
	/* TRANSACTION state */
	struct store_mailbox *mb;
	struct store_folder *f;
	int lock_fd;
	struct pop3d_msg *msgs;
	size_t n_msgs;
	uint32_t uidvalidity;
	struct buf *line;		/* the last command line, wiped */
};

static void
say(struct pop3d *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct pop3d *p, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	stream_write(p->s, text, strlen(text));
	stream_write(p->s, "\r\n", 2);
}

static bool
is_loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
	    strncmp(addr, "::ffff:127.", 11) == 0;
}

/* Whether a password may travel on this connection now. */
static bool
login_allowed(const struct pop3d *p)
{
	return stream_is_tls(p->s) || (p->ctx->ac->pop3_plaintext_loopback &&
	    is_loopback(p->conn->client_addr));
}

/* Count a failed login; close after too many. */
static void
count_failure(struct pop3d *p)
{
	if (++p->failures >= (unsigned)p->ctx->ac->pop3_auth_failures_max) {
		say(p, "-ERR [AUTH] Too many failures, bye");
		p->quit = true;
	}
}

/* A failed login: log it, count it. */
static void
login_failed(struct pop3d *p, const char *user, const char *reason)
{
	log_info("auth user=%s result=fail reason=%s client=%s", user, reason,
	    p->conn->client_addr);
	count_failure(p);
}

static int
lock_mailbox(struct pop3d *p)
{
	char path[4096];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	if (str_printf(path, sizeof(path), "%s/" POP3D_LOCK_FILE,
	    store_mailbox_path(p->mb)) == -1)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_error_errno("open %s", path);
		return -1;
	}
	if (fcntl(fd, F_OFD_SETLK, &fl) == -1) {
		close(fd);
		return errno == EAGAIN || errno == EACCES ? 1 : -1;
	}
	p->lock_fd = fd;
	return 0;
}

/* After a good password: open, lock and list the maildrop; reply. */
static void
enter_trans(struct pop3d *p, const char *user)
{
	struct dir_entry *e = p->auth.entry;
	struct buf *err = buf_new(256, 4096);
	size_t n;
	int rc;

	if (e == NULL || e->mailbox_id == NULL) {
		say(p, "-ERR [SYS/TEMP] Mailbox unavailable");
		goto out;
	}
	if (!accessd_is_this_host(p->ctx, e->mail_host)) {
		log_info("login user=%s dn=\"%s\" refused reason=other_host "
		    "host=%s", user, e->dn, e->mail_host);
		say(p, "-ERR [SYS/PERM] Mailbox is on host %s", e->mail_host);
		goto out;
	}
	p->mb = store_mailbox_open(p->ctx->mail_root, e->mailbox_id,
	    &p->ctx->store_limits, err);
	if (p->mb == NULL) {
		log_error("login user=%s mailbox=%s error=\"%s\"", user,
		    e->mailbox_id, buf_cstr(err));
		say(p, "-ERR [SYS/TEMP] Mailbox unavailable");
		goto out;
	}
	rc = lock_mailbox(p);
	if (rc != 0) {
		store_mailbox_close(&p->mb);
		log_info("login user=%s mailbox=%s refused reason=%s", user,
		    e->mailbox_id, rc == 1 ? "in_use" : "lock_error");
		if (rc == 1)
			say(p, "-ERR [IN-USE] Mailbox in use by another session");
		else
			say(p, "-ERR [SYS/TEMP] Mailbox unavailable");
		goto out;
	}
	if (store_folder_open(p->mb, "INBOX", &p->f, err) != STORE_OK) {
		log_error("login user=%s mailbox=%s error=\"%s\"", user,
		    e->mailbox_id, buf_cstr(err));
		close(p->lock_fd);
		p->lock_fd = -1;
		store_mailbox_close(&p->mb);
		say(p, "-ERR [SYS/TEMP] Mailbox unavailable");
		goto out;
	}
	n = store_folder_count(p->f);
	p->msgs = pool_alloc(p->pool, sizeof(*p->msgs) * (n + 1));
	for (size_t i = 0; i < n; i++) {
		const struct store_msg *m = store_folder_msg(p->f, i);

		p->msgs[i].uid = m->uid;
		p->msgs[i].size = m->size;
	}
	p->n_msgs = n;
	p->uidvalidity = store_folder_uidvalidity(p->f);
	p->state = POP3D_S_TRANS;
	log_info("login user=%s dn=\"%s\" mailbox=%s messages=%zu", user,
	    e->dn, e->mailbox_id, n);
	say(p, "+OK Logged in, %zu messages", n);
out:
	buf_free(&err);
}

static void
cmd_user(struct pop3d *p, const char *arg)
{
	if (!login_allowed(p)) {
		say(p, "-ERR [AUTH] Plaintext login disallowed without TLS");
		return;
	}
	if (arg == NULL || str_copy(p->user, sizeof(p->user), arg) == -1) {
		say(p, "-ERR Bad user name");
		return;
	}
	say(p, "+OK");
}

static void
cmd_pass(struct pop3d *p, const char *arg, size_t arglen)
{
	char user[sizeof(p->user)];

	if (p->user[0] == '\0') {
		say(p, "-ERR USER first");
		return;
	}
	memcpy(user, p->user, sizeof(user));
	p->user[0] = '\0';
	if (!login_allowed(p)) {
		say(p, "-ERR [AUTH] Plaintext login disallowed without TLS");
		return;
	}
	accessd_auth_reset(&p->auth);
	switch (accessd_auth_password(&p->auth, user, arg, arglen)) {
	case DIR_AUTH_OK:
		enter_trans(p, user);
		return;
	case DIR_AUTH_TEMPFAIL:
		say(p, "-ERR [SYS/TEMP] Directory unavailable, try later");
		return;
	case DIR_AUTH_DISABLED:
	case DIR_AUTH_RECEIVE_ONLY:
		say(p, "-ERR [AUTH] Account may not log in");
		login_failed(p, user, dir_auth_name(p->auth.auth));
		return;
	default:
		say(p, "-ERR [AUTH] Invalid login");
		login_failed(p, user, dir_auth_name(p->auth.auth));
		return;
	}
}

/* Read one line (CRLF stripped) into a NUL-terminated copy. 1, 0 at the
 * end, -1 on error; *too_long when the line was over the cap. */
static int
read_line(struct pop3d *p, size_t max, char **line_out, size_t *len_out,
    bool *too_long)
{
	const char *line;
	size_t len;
	int rc;

	*too_long = false;
	if (stream_pending(p->s) == 0 && stream_flush(p->s) == -1)
		return -1;
	rc = stream_read_line(p->s, max, &line, &len);
	if (rc == -1 && stream_error(p->s) == STREAM_ERR_TOO_LONG) {
		*too_long = true;
		return 1;
	}
	if (rc != 1)
		return rc;
	len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	buf_reset(p->line);
	if (buf_append(p->line, line, len) == -1) {
		*too_long = true;
		return 1;
	}
	*line_out = (char *)p->line->data;
	*len_out = len;
	return 1;
}

/* A command line, capped at pop3_line_max. */
static int
read_cmd(struct pop3d *p, char **line_out, size_t *len_out, bool *too_long)
{
	return read_line(p, (size_t)p->ctx->ac->pop3_line_max, line_out,
	    len_out, too_long);
}

/* A SASL session for the connection as it is now (TLS or not). */
static struct saslsrv *
sasl_session(struct pop3d *p, const char **err_out)
{
	const struct settings_sasl *ss = cfg_get(p->ctx->cfg, "sasl");

	return accessd_auth_sasl(&p->auth, ss->pop_service, login_allowed(p),
	    p->s, err_out);
}

static void
cmd_auth(struct pop3d *p, const char *mech, const char *initial)
{
	struct saslsrv *sa;
	struct buf *in = buf_new(256, SASLSRV_INPUT_MAX);
	struct buf *out = buf_new(256, SASLSRV_INPUT_MAX);
	struct buf *b64 = buf_new(256, SASLSRV_INPUT_MAX * 2);
	enum saslsrv_result r;
	const char *err = NULL;

	sa = sasl_session(p, &err);
	if (sa == NULL) {
		log_error("sasl: %s", err);
		say(p, "-ERR [SYS/TEMP] Authentication unavailable");
		goto out;
	}
	if (initial != NULL && strcmp(initial, "=") != 0 &&
	    saslsrv_b64_decode(initial, strlen(initial), in) == -1)
		r = SASLSRV_FAIL_PROTO;
	else
		r = saslsrv_start(sa, mech, in->data, in->len, initial != NULL,
		    out);
	while (r == SASLSRV_CONTINUE && !p->quit) {
		char *line;
		size_t len;
		bool too_long;

		buf_reset(b64);
		saslsrv_b64_encode(out->data, out->len, b64);
		say(p, "+ %s", buf_cstr(b64));
		if (read_line(p, (size_t)p->ctx->ac->pop3_auth_line_max,
		    &line, &len, &too_long) != 1) {
			p->quit = true;
			break;
		}
		if (too_long) {
			log_info("auth result=fail_proto reason=line_too_long"
			    " max=%llu", (unsigned long long)
			    p->ctx->ac->pop3_auth_line_max);
			say(p, "-ERR Line too long");
			saslsrv_free(&sa);
			goto out;
		}
		if (len == 1 && line[0] == '*') {
			r = SASLSRV_FAIL_PROTO;
			break;
		}
		if (saslsrv_b64_decode(line, len, in) == -1) {
			r = SASLSRV_FAIL_PROTO;
			break;
		}
		r = saslsrv_step(sa, in->data, in->len, out);
	}
	if (p->quit) {
		saslsrv_free(&sa);
		goto out;
	}
	if (r != SASLSRV_DONE && r != SASLSRV_CONTINUE &&
	    saslsrv_principal(sa) != NULL) {
		/* GSSAPI: the Kerberos login worked, the account check did
		 * not */
		if (r == SASLSRV_FAIL_TEMP) {
			say(p, "-ERR [SYS/TEMP] Directory unavailable, try"
			    " later");
			accessd_auth_gss_log(&p->auth, sa, r);
		} else {
			say(p, "-ERR [AUTH] Invalid login");
			accessd_auth_gss_log(&p->auth, sa, r);
			count_failure(p);
		}
		saslsrv_free(&sa);
		goto out;
	}
	switch (r) {
	case SASLSRV_DONE:
		enter_trans(p, accessd_auth_sasl_user(&p->auth, sa));
		break;
	case SASLSRV_FAIL_TEMP:
		say(p, "-ERR [SYS/TEMP] Directory unavailable, try later");
		break;
	case SASLSRV_FAIL_AUTH:
	case SASLSRV_FAIL_AUTHZ:
		if (p->auth.auth == DIR_AUTH_DISABLED ||
		    p->auth.auth == DIR_AUTH_RECEIVE_ONLY)
			say(p, "-ERR [AUTH] Account may not log in");
		else
			say(p, "-ERR [AUTH] Invalid login");
		login_failed(p, "-", saslsrv_fail_reason(sa));
		break;
	case SASLSRV_FAIL_ENCRYPT:
		say(p, "-ERR [AUTH] Plaintext login disallowed without TLS");
		break;
	default:
		say(p, "-ERR Authentication failed");
		log_info("auth result=%s reason=%s", saslsrv_result_name(r),
		    saslsrv_fail_reason(sa));
		break;
	}
	saslsrv_free(&sa);
out:
	buf_free_secret(&in);
	buf_free(&out);
	buf_free_secret(&b64);
}

static void
cmd_capa(struct pop3d *p)
{
	say(p, "+OK Capability list follows");
	say(p, "TOP");
	say(p, "UIDL");
	say(p, "RESP-CODES");
	say(p, "AUTH-RESP-CODE");
	say(p, "PIPELINING");
	if (p->state == POP3D_S_AUTH) {
		const char *err = NULL;
		struct saslsrv *sa = sasl_session(p, &err);

		if (login_allowed(p))
			say(p, "USER");
		if (sa != NULL && saslsrv_mechs(sa)[0] != '\0')
			say(p, "SASL %s", saslsrv_mechs(sa));
		saslsrv_free(&sa);
		if (p->ctx->tls != NULL && !stream_is_tls(p->s))
			say(p, "STLS");
	}
	say(p, "IMPLEMENTATION tessera");
	say(p, ".");
}

static void
cmd_stls(struct pop3d *p)
{
	if (p->ctx->tls == NULL || stream_is_tls(p->s)) {
		say(p, "-ERR STLS not available");
		return;
	}
	say(p, "+OK Begin TLS negotiation");
	if (stream_start_tls_server(p->s, p->ctx->tls) == -1) {
		log_warn("stls failed: %s", stream_error_text(p->s));
		p->quit = true;
		return;
	}
	p->user[0] = '\0';
	log_info("stls version=%s cipher=%s", stream_tls_version(p->s),
	    stream_tls_cipher(p->s));
}

/* Message number n (1-based, not deleted), or NULL after an error
 * reply. */
static struct pop3d_msg *
msg_get(struct pop3d *p, uint32_t n)
{
	if (n == 0 || n > p->n_msgs) {
		say(p, "-ERR No such message");
		return NULL;
	}
	if (p->msgs[n - 1].deleted) {
		say(p, "-ERR Message deleted");
		return NULL;
	}
	return &p->msgs[n - 1];
}

static void
cmd_stat(struct pop3d *p)
{
	uint64_t bytes = 0;
	size_t n = 0;

	for (size_t i = 0; i < p->n_msgs; i++) {
		if (!p->msgs[i].deleted) {
			n++;
			bytes += p->msgs[i].size;
		}
	}
	say(p, "+OK %zu %llu", n, (unsigned long long)bytes);
}

/* LIST and UIDL; uidl selects the second. */
static void
cmd_list(struct pop3d *p, const struct pop3d_cmd *c, bool uidl)
{
	if (c->has_msg) {
		struct pop3d_msg *m = msg_get(p, c->msg);

		if (m == NULL)
			return;
		if (uidl)
			say(p, "+OK %zu %u.%u", (size_t)(m - p->msgs) + 1,
			    (unsigned)p->uidvalidity, (unsigned)m->uid);
		else
			say(p, "+OK %zu %llu", (size_t)(m - p->msgs) + 1,
			    (unsigned long long)m->size);
		return;
	}
	say(p, "+OK");
	for (size_t i = 0; i < p->n_msgs; i++) {
		if (p->msgs[i].deleted)
			continue;
		if (uidl)
			say(p, "%zu %u.%u", i + 1, (unsigned)p->uidvalidity,
			    (unsigned)p->msgs[i].uid);
		else
			say(p, "%zu %llu", i + 1,
			    (unsigned long long)p->msgs[i].size);
	}
	say(p, ".");
}

/* Send a message, dot-stuffed, lines ending CRLF; with body_lines >= 0
 * only the header and that many body lines (TOP). */
static void
send_msg(struct pop3d *p, struct pop3d_msg *m, int64_t body_lines)
{
	struct buf *err = buf_new(256, 4096);
	uint8_t *chunk = xmalloc(POP3D_READ_CHUNK);
	/* worst case: every byte an LF needing a CR, or a dot stuffed */
	uint8_t *obuf = xmalloc(POP3D_READ_CHUNK * 2);
	bool bol = true, in_body = false, last_cr = false, stop = false;
	bool line_empty = true;
	int64_t lines = 0;
	int fd = store_msg_open(p->f, m->uid, err);

	if (fd == -1) {
		log_error("retr uid=%u error=\"%s\"", (unsigned)m->uid,
		    buf_cstr(err));
		say(p, "-ERR [SYS/TEMP] Message unavailable");
		goto out;
	}
	say(p, "+OK %llu octets", (unsigned long long)m->size);
	while (!stop) {
		ssize_t n = read(fd, chunk, POP3D_READ_CHUNK);
		size_t o = 0;

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && !stop; i++) {
			uint8_t c = chunk[i];

			if (bol && c == '.')
				obuf[o++] = '.';
			if (c == '\n' && !last_cr)
				obuf[o++] = '\r';
			obuf[o++] = c;
			last_cr = c == '\r';
			bol = c == '\n';
			if (c == '\n') {
				if (in_body)
					lines++;
				else if (line_empty)
					in_body = true;
				line_empty = true;
				if (body_lines >= 0 && in_body &&
				    lines >= body_lines)
					stop = true;
			} else if (c != '\r') {
				line_empty = false;
			}
		}
		if (stream_write(p->s, obuf, o) == -1)
			break;
	}
	close(fd);
	if (!bol)
		stream_write(p->s, "\r\n", 2);
	say(p, ".");
out:
	free(obuf);
	free(chunk);
	buf_free(&err);
}

/* UPDATE state (RFC 1939 6): expunge what was marked. */
static void
cmd_quit_update(struct pop3d *p)
{
	struct buf *err = buf_new(256, 4096);
	struct store_range *set = pool_alloc(p->pool,
	    sizeof(*set) * (p->n_msgs + 1));
	size_t n = 0;
	enum store_result r = STORE_OK;

	for (size_t i = 0; i < p->n_msgs; i++) {
		if (p->msgs[i].deleted) {
			set[n].lo = set[n].hi = p->msgs[i].uid;
			n++;
		}
	}
	if (n > 0) {
		r = store_set_flags(p->f, set, n, STORE_FLAGS_ADD,
		    STORE_FLAG_DELETED, NULL, 0, NULL, NULL, err);
		if (r == STORE_OK)
			r = store_expunge(p->f, set, n, NULL, NULL, err);
	}
	if (r != STORE_OK) {
		log_error("update error=\"%s\"", buf_cstr(err));
		say(p, "-ERR [SYS/TEMP] Some deleted messages not removed");
	} else {
		log_info("update deleted=%zu", n);
		say(p, "+OK Bye, %zu messages deleted", n);
	}
	buf_free(&err);
}

static void
dispatch_trans(struct pop3d *p, const struct pop3d_cmd *c)
{
	struct pop3d_msg *m;

	switch (c->verb) {
	case POP3D_STAT:
		cmd_stat(p);
		break;
	case POP3D_LIST:
	case POP3D_UIDL:
		cmd_list(p, c, c->verb == POP3D_UIDL);
		break;
	case POP3D_RETR:
	case POP3D_TOP:
		m = msg_get(p, c->msg);
		if (m != NULL)
			send_msg(p, m, c->verb == POP3D_TOP ?
			    (int64_t)c->lines : -1);
		break;
	case POP3D_DELE:
		m = msg_get(p, c->msg);
		if (m != NULL) {
			m->deleted = true;
			say(p, "+OK Marked to be deleted");
		}
		break;
	case POP3D_RSET:
		for (size_t i = 0; i < p->n_msgs; i++)
			p->msgs[i].deleted = false;
		say(p, "+OK");
		break;
	case POP3D_NOOP:
		say(p, "+OK");
		break;
	case POP3D_QUIT:
		cmd_quit_update(p);
		p->quit = true;
		break;
	case POP3D_CAPA:
		cmd_capa(p);
		break;
	default:
		say(p, "-ERR Not allowed in TRANSACTION state");
		break;
	}
}

static void
dispatch_auth(struct pop3d *p, const struct pop3d_cmd *c)
{
	switch (c->verb) {
	case POP3D_USER:
		cmd_user(p, c->arg);
		break;
	case POP3D_PASS:
		cmd_pass(p, c->arg, strlen(c->arg));
		break;
	case POP3D_AUTH:
		cmd_auth(p, c->arg, c->arg2);
		break;
	case POP3D_CAPA:
		cmd_capa(p);
		break;
	case POP3D_STLS:
		cmd_stls(p);
		break;
	case POP3D_QUIT:
		say(p, "+OK Bye");
		p->quit = true;
		break;
	default:
		say(p, "-ERR Log in first");
		break;
	}
}

void
pop3d_session(struct stream *s, const struct server_conn *conn,
    const struct accessd_ctx *ctx, struct dir_client *dc)
{
	struct pop3d p = { .s = s, .conn = conn, .ctx = ctx, .dc = dc,
		.lock_fd = -1 };

	p.pool = pool_new_secret("pop3");
	accessd_auth_init(&p.auth, ctx, conn, dc, p.pool);
	p.line = buf_new(256, (size_t)(ctx->ac->pop3_line_max >
	    ctx->ac->pop3_auth_line_max ? ctx->ac->pop3_line_max :
	    ctx->ac->pop3_auth_line_max));
	stream_set_timeouts(s, (int)ctx->ac->pop3_idle_timeout,
	    (int)ctx->ac->pop3_idle_timeout);
	log_info("connect client=[%s]:%s", conn->client_addr,
	    conn->client_port);
	if (conn->implicit_tls) {
		if (ctx->tls == NULL ||
		    stream_start_tls_server(s, ctx->tls) == -1) {
			log_warn("tls handshake failed: %s",
			    stream_error_text(s));
			goto out;
		}
	}
	say(&p, "+OK %s POP3 ready", ctx->hostname);
	while (!p.quit) {
		struct pop3d_cmd c;
		const char *err = NULL;
		char *line = NULL;
		size_t len = 0;
		bool too_long;
		int rc = read_cmd(&p, &line, &len, &too_long);

		if (rc != 1) {
			if (rc == -1 && stream_error(s) == STREAM_ERR_TIMEOUT) {
				log_info("idle timeout");
				say(&p, "-ERR Idle timeout, bye");
			}
			break;
		}
		if (too_long) {
			say(&p, "-ERR Line too long");
			continue;
		}
		if (pop3d_cmd_parse(line, len, &c, &err) == -1)
			say(&p, "-ERR %s", err);
		else if (p.state == POP3D_S_AUTH)
			dispatch_auth(&p, &c);
		else
			dispatch_trans(&p, &c);
		if (len > 0)
			mem_wipe(line, len);
	}
out:
	stream_flush(s);
	log_info("disconnect");
	store_folder_close(&p.f);
	if (p.lock_fd != -1)
		close(p.lock_fd);
	store_mailbox_close(&p.mb);
	buf_free_secret(&p.line);
	pool_free(&p.pool);
}
