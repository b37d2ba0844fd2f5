/*
 * accessd/lmtpd.c - one LMTP session (RFC 2033): LHLO, MAIL, RCPT, DATA
 * with one reply per accepted recipient, RSET, NOOP, QUIT.
 *
 * Runs in a session process as the unprivileged user, one per client
 * (normally mtad's queue manager, still treated as hostile input):
 * command lines are capped at lmtp_command_line_max, message lines at
 * lmtp_line_max, the message at the store's message_size_max and the
 * recipients at lmtp_recipients_max. Recipients are resolved through
 * the lookup process; each is delivered to its mailbox with the store's
 * durable append (tmp, fsync, rename, index) before its 250 is sent.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/server.h"
#include "lib/smtp.h"
#include "lib/smtp_cmd.h"
#include "lib/smtp_data.h"
#include "lib/smtp_reply.h"
#include "lib/str.h"
#include "lib/stream.h"
#include "lib/xalloc.h"
#include "accessd/accessd.h"
#include "accessd/lmtpd_dedup.h"
#include "accessd/store.h"
#include "lib/banned.h"

#define LMTPD_ALIAS_DEPTH 4	/* alias -> alias -> ... -> user */
#define LMTPD_REPLY_MAX 4096

enum lmtpd_state { LMTPD_INIT, LMTPD_READY, LMTPD_MAIL, LMTPD_RCPT };

/* An accepted recipient: the address the client gave and its mailbox. */
struct lmtpd_rcpt {
	char *addr;
	char *login;
	char *mailbox_id;
	struct store_quota quota;
};

struct lmtpd {
	struct stream *s;
	const struct accessd_ctx *ctx;
	struct dir_client *dc;
	struct pool *pool;		/* the session */
	struct pool *txn;		/* the transaction, from MAIL to its end */
	struct smtp_limits lim;
	struct smtp_data *data;
	struct buf *reply;
	enum lmtpd_state state;
	char *sender;
	char *xqid;			/* MAIL XQID=: a delivery in doubt */
	struct lmtpd_rcpt *rcpts;
	size_t n_rcpts;
	bool quit;
};

static void
reply(struct lmtpd *l, int code, const char *enh, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
reply(struct lmtpd *l, int code, const char *enh, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	buf_reset(l->reply);
	if (smtp_reply_format(l->reply, code, enh, text) == 0)
		stream_write(l->s, l->reply->data, l->reply->len);
}

static void
reply_error(struct lmtpd *l, const struct smtp_error *e)
{
	buf_reset(l->reply);
	if (smtp_reply_error(l->reply, e, true) == 0)
		stream_write(l->s, l->reply->data, l->reply->len);
}

static void
txn_reset(struct lmtpd *l)
{
	pool_free(&l->txn);
	l->txn = pool_new_child(l->pool, "txn");
	l->sender = NULL;
	l->xqid = NULL;
	l->rcpts = NULL;
	l->n_rcpts = 0;
	if (l->state > LMTPD_READY)
		l->state = LMTPD_READY;
}

static void
cmd_lhlo(struct lmtpd *l, const struct smtp_cmd *c)
{
	char text[512];

	txn_reset(l);
	l->state = LMTPD_READY;
	str_printf(text, sizeof(text), "%s\nPIPELINING\nENHANCEDSTATUSCODES\n"
	    "8BITMIME\nXQID\nSIZE %llu", l->ctx->hostname,
	    (unsigned long long)l->lim.message_size_max);
	buf_reset(l->reply);
	if (smtp_reply_format(l->reply, 250, NULL, text) == 0)
		stream_write(l->s, l->reply->data, l->reply->len);
	log_info("lhlo name=%s", c->arg);
}

static void
cmd_mail(struct lmtpd *l, const struct smtp_cmd *c)
{
	if (l->state == LMTPD_INIT) {
		reply(l, 503, "5.5.1", "Send LHLO first");
		return;
	}
	if (l->state != LMTPD_READY) {
		reply(l, 503, "5.5.1", "Nested MAIL command");
		return;
	}
	txn_reset(l);
	l->sender = pool_strdup(l->txn, c->path.addr);
	if (c->mail.xqid != NULL)
		l->xqid = pool_strdup(l->txn, c->mail.xqid);
	l->rcpts = pool_alloc(l->txn, sizeof(*l->rcpts) *
	    (size_t)l->ctx->ac->lmtp_recipients_max);
	l->state = LMTPD_MAIL;
	reply(l, 250, "2.1.0", "Ok");
}

/* Resolve address to a user, following aliases. */
static enum dir_result
resolve(struct lmtpd *l, const char *address, struct dir_entry **user_out,
    const char **why_out)
{
	const char *a = address;

	for (unsigned depth = 0; depth < LMTPD_ALIAS_DEPTH; depth++) {
		struct dir_info info = { 0 };
		struct dir_entry *e = NULL;
		enum dir_result r = dir_client_lookup_address(l->dc, a, l->txn,
		    &e, &info);

		if (r == DIR_TEMPFAIL) {
			*why_out = info.error != NULL ? info.error : "tempfail";
			return r;
		}
		if (r == DIR_NOTFOUND) {
			*why_out = "unknown_user";
			return r;
		}
		if (e->kind == DIR_KIND_USER) {
			*user_out = e;
			return DIR_FOUND;
		}
		if (e->kind != DIR_KIND_ALIAS || e->n_targets != 1) {
			*why_out = "not_a_mailbox";
			return DIR_NOTFOUND;
		}
		a = e->targets[0];
	}
	*why_out = "alias_too_deep";
	return DIR_NOTFOUND;
}

static void
cmd_rcpt(struct lmtpd *l, const struct smtp_cmd *c)
{
	struct dir_entry *u = NULL;
	const char *why = "";
	const char *addr = c->path.addr;
	enum dir_result r;
	struct lmtpd_rcpt *rc;

	if (l->state != LMTPD_MAIL && l->state != LMTPD_RCPT) {
		reply(l, 503, "5.5.1", "Need MAIL before RCPT");
		return;
	}
	if (l->n_rcpts >= (size_t)l->ctx->ac->lmtp_recipients_max) {
		log_warn("reject stage=rcpt to=<%s> code=452 "
		    "reason=too_many_recipients", addr);
		reply(l, 452, "4.5.3", "Too many recipients");
		return;
	}
	r = resolve(l, addr, &u, &why);
	if (r == DIR_TEMPFAIL) {
		log_warn("reject stage=rcpt to=<%s> code=451 reason=directory "
		    "detail=\"%s\"", addr, why);
		reply(l, 451, "4.4.3", "Directory unavailable, try again later");
		return;
	}
	if (r == DIR_NOTFOUND) {
		log_info("reject stage=rcpt to=<%s> code=550 reason=%s", addr,
		    why);
		reply(l, 550, "5.1.1", "<%s> User unknown", addr);
		return;
	}
	if (u->state == DIR_STATE_DISABLED) {
		log_info("reject stage=rcpt to=<%s> dn=\"%s\" code=550 "
		    "reason=disabled", addr, u->dn);
		reply(l, 550, "5.2.1", "<%s> Mailbox disabled", addr);
		return;
	}
	if (!accessd_is_this_host(l->ctx, u->mail_host)) {
		log_info("reject stage=rcpt to=<%s> dn=\"%s\" code=550 "
		    "reason=other_host host=%s", addr, u->dn, u->mail_host);
		reply(l, 550, "5.1.6", "<%s> Mailbox is on host %s", addr,
		    u->mail_host);
		return;
	}
	if (u->mailbox_id == NULL || u->mailbox_id[0] == '\0' ||
	    strlen(u->mailbox_id) > STORE_ID_MAX) {
		log_error("reject stage=rcpt to=<%s> dn=\"%s\" code=451 "
		    "reason=no_mailbox_id", addr, u->dn);
		reply(l, 451, "4.3.0", "Mailbox unavailable");
		return;
	}
	rc = &l->rcpts[l->n_rcpts++];
	rc->addr = pool_strdup(l->txn, addr);
	rc->login = pool_strdup(l->txn, u->login != NULL ? u->login : "");
	rc->mailbox_id = pool_strdup(l->txn, u->mailbox_id);
	rc->quota.bytes = u->quota_bytes;
	rc->quota.messages = u->quota_messages;
	l->state = LMTPD_RCPT;
	log_info("rcpt to=<%s> dn=\"%s\" mailbox=%s", addr, u->dn,
	    u->mailbox_id);
	reply(l, 250, "2.1.5", "<%s> Recipient ok", addr);
}

/* Read the message after 354 into msg; the decoder's error, or NULL.
 * -1 when the client is gone. */
static int
read_data(struct lmtpd *l, struct buf *msg, const struct smtp_error **err_out)
{
	static const struct smtp_error too_long = { 500, "5.5.2",
		"Line too long" };
	bool long_line = false;

	smtp_data_reset(l->data, SMTP_DATA_DOT);
	for (;;) {
		const char *line;
		size_t len, out_len = 0, used = 0;
		int rc;

		rc = stream_read_line(l->s, l->lim.text_line_max + 1, &line,
		    &len);
		if (rc == 0)
			return -1;
		if (rc == -1) {
			if (stream_error(l->s) != STREAM_ERR_TOO_LONG)
				return -1;
			long_line = true;
			continue;
		}
		if (buf_reserve(msg, len) == -1) {
			/* over the ceiling: the decoder counts on */
			uint8_t tmp[256];
			size_t off = 0;

			while (off < len) {
				size_t n = len - off < sizeof(tmp) ?
				    len - off : sizeof(tmp);

				memcpy(tmp, line + off, n);
				rc = smtp_data_feed(l->data, tmp, n, tmp,
				    &out_len, &used);
				off += used;
				if (rc == 1)
					break;
			}
		} else {
			rc = smtp_data_feed(l->data, (const uint8_t *)line,
			    len, msg->data + msg->len, &out_len, &used);
			msg->len += out_len;
			msg->data[msg->len] = '\0';
		}
		if (rc == 1)
			break;
	}
	*err_out = smtp_data_error(l->data);
	if (*err_out == NULL && long_line)
		*err_out = &too_long;
	return 0;
}

/* Deliver msg to one recipient; the reply is sent by the caller. A
 * delivery in doubt (XQID) already stored is not stored again: *dup_out
 * is set and *uid_out names the copy found. */
static enum store_result
deliver(struct lmtpd *l, const struct lmtpd_rcpt *rc, const struct buf *msg,
    uint32_t *uid_out, bool *dup_out, struct buf *err)
{
	struct store_mailbox *mb;
	struct store_folder *f = NULL;
	struct store_append *tx = NULL;
	struct buf *hdr = buf_new(256, 4096);
	enum store_result r;

	mb = store_mailbox_open(l->ctx->mail_root, rc->mailbox_id,
	    &l->ctx->store_limits, err);
	if (mb == NULL) {
		buf_free(&hdr);
		return STORE_ERROR;
	}
	r = store_folder_open(mb, "INBOX", &f, err);
	if (r == STORE_OK && l->xqid != NULL) {
		int found = lmtpd_dedup_find(f, l->xqid, rc->addr,
		    (size_t)l->ctx->ac->lmtp_dedup_window, uid_out, err);

		if (found == -1)
			r = STORE_ERROR;
		else if (found == 1) {
			*dup_out = true;
			store_folder_close(&f);
			store_mailbox_close(&mb);
			buf_free(&hdr);
			return STORE_OK;
		}
	}
	if (r == STORE_OK)
		r = store_append_begin(f, &tx, err);
	if (r == STORE_OK) {
		buf_printf(hdr, "Return-Path: <%s>\r\nDelivered-To: %s\r\n",
		    l->sender, rc->addr);
		r = store_append_write(tx, hdr->data, hdr->len, err);
		if (r == STORE_OK)
			r = store_append_write(tx, msg->data, msg->len, err);
		if (r == STORE_OK)
			r = store_append_commit(&tx, 0, NULL, 0, &rc->quota,
			    NULL, NULL, uid_out, err);
		else
			store_append_abort(&tx);
	}
	store_folder_close(&f);
	store_mailbox_close(&mb);
	buf_free(&hdr);
	return r;
}

static void
reply_delivery(struct lmtpd *l, const struct lmtpd_rcpt *rc,
    enum store_result r, uint32_t uid, bool dup, const struct buf *err)
{
	bool tempfail = l->ctx->ac->quota_full_tempfail;

	if (r == STORE_OK && dup) {
		log_info("duplicate to=<%s> login=%s mailbox=%s uid=%u "
		    "queue_id=%s: stored before, not again", rc->addr,
		    rc->login, rc->mailbox_id, (unsigned)uid, l->xqid);
		reply(l, 250, "2.0.0", "<%s> Delivered already", rc->addr);
		return;
	}
	switch (r) {
	case STORE_OK:
		log_info("delivered to=<%s> login=%s mailbox=%s uid=%u",
		    rc->addr, rc->login, rc->mailbox_id, (unsigned)uid);
		reply(l, 250, "2.0.0", "<%s> Delivered", rc->addr);
		return;
	case STORE_OVERQUOTA:
		log_info("reject stage=data to=<%s> login=%s code=%d "
		    "reason=over_quota", rc->addr, rc->login,
		    tempfail ? 452 : 552);
		if (tempfail)
			reply(l, 452, "4.2.2", "<%s> Mailbox full", rc->addr);
		else
			reply(l, 552, "5.2.2", "<%s> Mailbox full", rc->addr);
		return;
	case STORE_TOOBIG:
		log_info("reject stage=data to=<%s> code=552 reason=too_big",
		    rc->addr);
		reply(l, 552, "5.3.4", "<%s> Message too big", rc->addr);
		return;
	default:
		log_error("reject stage=data to=<%s> login=%s code=451 "
		    "reason=store detail=\"%s\"", rc->addr, rc->login,
		    buf_cstr(err));
		reply(l, 451, "4.3.0", "<%s> Temporary delivery failure",
		    rc->addr);
		return;
	}
}

static void
cmd_data(struct lmtpd *l)
{
	const struct smtp_error *derr = NULL;
	struct buf *msg, *err;

	if (l->state != LMTPD_RCPT) {
		if (l->state == LMTPD_MAIL)
			reply(l, 554, "5.5.1", "No valid recipients");
		else
			reply(l, 503, "5.5.1", "Need RCPT before DATA");
		return;
	}
	reply(l, 354, NULL, "Start mail input; end with <CRLF>.<CRLF>");
	if (stream_flush(l->s) == -1) {
		l->quit = true;
		return;
	}
	msg = buf_new(64 * 1024, (size_t)l->lim.message_size_max + 1);
	if (read_data(l, msg, &derr) == -1) {
		log_warn("client gone during DATA: %s",
		    stream_error_text(l->s));
		buf_free(&msg);
		l->quit = true;
		return;
	}
	err = buf_new(256, 4096);
	for (size_t i = 0; i < l->n_rcpts; i++) {
		uint32_t uid = 0;

		if (derr != NULL) {
			log_info("reject stage=data to=<%s> code=%d reason=\"%s\"",
			    l->rcpts[i].addr, derr->code, derr->text);
			reply_error(l, derr);
			continue;
		}
		bool dup = false;
		enum store_result r;

		buf_reset(err);
		r = deliver(l, &l->rcpts[i], msg, &uid, &dup, err);
		reply_delivery(l, &l->rcpts[i], r, uid, dup, err);
	}
	buf_free(&err);
	buf_free(&msg);
	txn_reset(l);
}

static void
dispatch(struct lmtpd *l, const struct smtp_cmd *c)
{
	switch (c->verb) {
	case SMTP_CMD_LHLO:
		cmd_lhlo(l, c);
		break;
	case SMTP_CMD_MAIL:
		cmd_mail(l, c);
		break;
	case SMTP_CMD_RCPT:
		cmd_rcpt(l, c);
		break;
	case SMTP_CMD_DATA:
		cmd_data(l);
		break;
	case SMTP_CMD_RSET:
		txn_reset(l);
		reply(l, 250, "2.0.0", "Ok");
		break;
	case SMTP_CMD_NOOP:
		reply(l, 250, "2.0.0", "Ok");
		break;
	case SMTP_CMD_QUIT:
		reply(l, 221, "2.0.0", "Bye");
		l->quit = true;
		break;
	case SMTP_CMD_VRFY:
		reply(l, 252, "2.5.2", "Cannot VRFY user");
		break;
	default:
		reply(l, 502, "5.5.1", "Command not implemented");
		break;
	}
}

void
lmtpd_session(struct stream *s, const struct server_conn *conn,
    const struct accessd_ctx *ctx, struct dir_client *dc)
{
	struct lmtpd l = { .s = s, .ctx = ctx, .dc = dc };
	struct smtp_cmd_opts opts = { .ext = SMTP_EXT_SIZE | SMTP_EXT_8BITMIME |
		SMTP_EXT_XQID, .lmtp = true };

	l.pool = pool_new("lmtp");
	l.reply = buf_new(256, LMTPD_REPLY_MAX);
	smtp_limits_default(&l.lim);
	l.lim.cmd_line_max = (size_t)ctx->ac->lmtp_command_line_max;
	l.lim.text_line_max = (size_t)ctx->ac->lmtp_line_max;
	l.lim.message_size_max = ctx->store_limits.message_size_max;
	l.data = smtp_data_new(&l.lim, SMTP_DATA_DOT);
	txn_reset(&l);
	stream_set_timeouts(s, (int)ctx->ac->lmtp_idle_timeout,
	    (int)ctx->ac->lmtp_idle_timeout);
	log_info("connect client=[%s]:%s", conn->client_addr,
	    conn->client_port);
	reply(&l, 220, NULL, "%s LMTP ready", ctx->hostname);
	while (!l.quit) {
		struct smtp_cmd c;
		struct smtp_error e;
		struct pool *cp;
		const char *line;
		size_t len;
		int rc;

		if (stream_pending(s) == 0 && stream_flush(s) == -1)
			break;
		rc = stream_read_line(s, l.lim.cmd_line_max, &line, &len);
		if (rc == 0)
			break;
		if (rc == -1) {
			if (stream_error(s) != STREAM_ERR_TOO_LONG) {
				if (stream_error(s) == STREAM_ERR_TIMEOUT)
					reply(&l, 421, "4.4.2",
					    "Idle timeout, closing");
				break;
			}
			reply(&l, 500, "5.5.2", "Line too long");
			continue;
		}
		if (len >= 2 && line[len - 2] == '\r')
			len -= 2;
		else
			len -= 1;
		cp = pool_new_child(l.pool, "cmd");
		if (smtp_cmd_parse(cp, line, len, &l.lim, &opts, &c, &e) == -1)
			reply_error(&l, &e);
		else
			dispatch(&l, &c);
		pool_free(&cp);
	}
	stream_flush(s);
	log_info("disconnect");
	smtp_data_free(&l.data);
	buf_free(&l.reply);
	pool_free(&l.pool);
}
