/*
 * mtad/session_data.c - the message of a transaction: DATA (dot-stuffed
 * lines) and BDAT chunks (RFC 3030), decoded by lib/smtp_data.h and
 * streamed into the queue (libtqueue) behind our Received: header. The
 * client hears 250 only after queue_writer_commit made the message
 * durable.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/smtp_data.h"
#include "lib/stream.h"
#include "mtad/session_int.h"
#include "lib/banned.h"

#define CHUNK (64 * 1024)
#define HEADERS_KEPT_MAX (64 * 1024)	/* header bytes shown to the EOH hook */
#define LINE_UNLIMITED (1024 * 1024)	/* read size when lines are unlimited */

static enum queue_body
body_of(enum smtp_body b)
{
	switch (b) {
	case SMTP_BODY_7BIT: return QUEUE_BODY_7BIT;
	case SMTP_BODY_8BITMIME: return QUEUE_BODY_8BITMIME;
	case SMTP_BODY_BINARYMIME: return QUEUE_BODY_BINARYMIME;
	default: return QUEUE_BODY_NONE;
	}
}

/* The envelope of the current transaction. */
static void
envelope(struct session *s, struct queue_env *env)
{
	memset(env, 0, sizeof(*env));
	env->client_addr = (char *)s->conn->client_addr;
	env->helo = s->helo;
	env->auth = s->auth_user;
	env->tls_version = (char *)stream_tls_version(s->st);
	env->tls_cipher = (char *)stream_tls_cipher(s->st);
	env->sender = s->sender;
	env->mail_size = s->mail.has_size ? s->mail.size : 0;
	env->body = body_of(s->mail.body);
	env->smtputf8 = s->mail.smtputf8;
	env->ret = s->mail.ret == SMTP_RET_FULL ? QUEUE_RET_FULL :
	    s->mail.ret == SMTP_RET_HDRS ? QUEUE_RET_HDRS : QUEUE_RET_NONE;
	env->envid = s->mail.envid;
	env->rcpts = pool_alloc(s->txn_pool, s->nrcpts * sizeof(*env->rcpts));
	env->nrcpts = s->nrcpts;
	for (size_t i = 0; i < s->nrcpts; i++) {
		struct queue_rcpt *r = &env->rcpts[i];
		unsigned n = s->rcpts[i].params.notify;

		memset(r, 0, sizeof(*r));
		r->addr = s->rcpts[i].addr;
		r->orcpt = s->rcpts[i].params.orcpt;
		r->notify = (n & SMTP_NOTIFY_NEVER ? QUEUE_NOTIFY_NEVER : 0) |
		    (n & SMTP_NOTIFY_SUCCESS ? QUEUE_NOTIFY_SUCCESS : 0) |
		    (n & SMTP_NOTIFY_FAILURE ? QUEUE_NOTIFY_FAILURE : 0) |
		    (n & SMTP_NOTIFY_DELAY ? QUEUE_NOTIFY_DELAY : 0);
		r->state = QUEUE_RCPT_PENDING;
	}
}

/* Our Received: header (RFC 5321 4.4, protocol names of RFC 3848). */
static void
received(struct session *s, const char *qid, struct buf *out)
{
	const char *tlsv = stream_tls_version(s->st);
	bool auth = s->auth_user != NULL;
	char date[64];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	buf_printf(out, "Received: from %s ([%s])\r\n\tby %s (Tessera) with"
	    " %s%s%s\r\n\tid %s", s->helo, s->conn->client_addr,
	    s->m->hostname, s->esmtp ? "ESMTP" : "SMTP",
	    tlsv != NULL && s->esmtp ? "S" : "", auth && s->esmtp ? "A" : "",
	    qid);
	if (tlsv != NULL)
		buf_printf(out, "\r\n\t(using %s with cipher %s)", tlsv,
		    stream_tls_cipher(s->st));
	if (auth && s->m->mc->received_show_auth)
		buf_printf(out, "\r\n\t(authenticated as %s)", s->auth_user);
	if (s->nrcpts == 1)
		buf_printf(out, "\r\n\tfor <%s>", s->rcpts[0].addr);
	buf_printf(out, "; %s\r\n", date);
}

/* Open the writer and write the Received: header. -1 (replied) on error. */
static int
writer_open(struct session *s)
{
	struct queue_env hint;
	struct buf *r = buf_new(1024, 16 * 1024);
	const char *err;

	envelope(s, &hint);
	s->writer = queue_writer_new(s->q, &hint, s->txn_pool, &err);
	if (s->writer == NULL) {
		log_error("event=queue-error client=%s error=%s",
		    s->conn->client_addr, err);
		session_reply(s, 451, "4.3.0", "Queue unavailable, try again"
		    " later");
		buf_free(&r);
		return -1;
	}
	received(s, queue_writer_id(s->writer), r);
	s->msg_start = r->len;
	if (queue_writer_write(s->writer, r->data, r->len, &err) == -1) {
		log_error("event=queue-error client=%s error=%s",
		    s->conn->client_addr, err);
		queue_writer_abort(&s->writer);
		session_reply(s, 451, "4.3.0", "Queue write error, try again"
		    " later");
		buf_free(&r);
		return -1;
	}
	buf_free(&r);
	return 0;
}


/* Feed in to the decoder and the decoded bytes to the writer. Returns the
 * decoder's result. */
static int
feed(struct session *s, struct session_feed *f, const uint8_t *in, size_t len,
    uint8_t *scratch)
{
	size_t out_len = 0, used = 0;
	const char *err;
	int r = smtp_data_feed(s->data, in, len, scratch, &out_len, &used);

	if (out_len > 0 && !f->write_failed && !f->hook_replied &&
	    smtp_data_error(s->data) == NULL) {
		if (queue_writer_write(s->writer, scratch, out_len, &err)
		    == -1) {
			log_error("event=queue-error client=%s error=%s",
			    s->conn->client_addr, err);
			f->write_failed = true;
		}
		if (!f->eoh_done)
			buf_append(f->headers, scratch,
			    f->headers->len + out_len <= HEADERS_KEPT_MAX ?
			    out_len : 0);
	}
	if (!f->eoh_done && smtp_data_headers_done(s->data, NULL)) {
		struct mtad_hook_info hi;

		f->eoh_done = true;
		session_hook_info(s, &hi);
		hi.queue_id = queue_writer_id(s->writer);
		hi.headers = f->headers;
		if (s->m->hooks.eoh != NULL && session_hook(s, s->m->hooks.eoh,
		    &hi))
			f->hook_replied = true;
	}
	return r;
}

/* The end of a message: error replies, or the EOM hook and the commit. */
static void
finish(struct session *s, struct session_feed *f)
{
	const struct smtp_error *e = smtp_data_error(s->data);
	struct mtad_hook_info hi;
	struct mtad_hook_edits edits;
	struct queue_env env;
	const char *err;
	char qid[QUEUE_ID_MAX];
	const char **rc;

	snprintf(qid, sizeof(qid), "%s", queue_writer_id(s->writer));
	if (f->hook_replied) {
		queue_writer_abort(&s->writer);
		session_txn_reset(s);
		return;
	}
	if (e != NULL || f->write_failed) {
		queue_writer_abort(&s->writer);
		if (e != NULL)
			session_reply(s, e->code, e->enh, "%s", e->text);
		else
			session_reply(s, 451, "4.3.0", "Queue write error, try"
			    " again later");
		log_info("event=reject stage=data client=%s from=<%s> code=%d"
		    " enh=%s reason=%s size=%llu", s->conn->client_addr,
		    s->sender, e ? e->code : 451, e ? e->enh : "4.3.0",
		    e ? e->text : "queue-write", (unsigned long long)
		    smtp_data_size(s->data));
		session_txn_reset(s);
		return;
	}
	if (smtp_data_received(s->data) >= (size_t)s->m->mc->max_received) {
		queue_writer_abort(&s->writer);
		session_reply(s, 554, "5.4.6", "Too many hops (mail loop)");
		log_info("event=reject stage=data client=%s from=<%s> code=554"
		    " enh=5.4.6 reason=loop received=%zu", s->conn->client_addr,
		    s->sender, smtp_data_received(s->data));
		session_txn_reset(s);
		return;
	}
	session_hook_info(s, &hi);
	rc = pool_alloc(s->txn_pool, (s->nrcpts + 1) * sizeof(*rc));
	for (size_t i = 0; i < s->nrcpts; i++)
		rc[i] = s->rcpts[i].addr;
	hi.rcpts = rc;
	hi.nrcpts = s->nrcpts;
	hi.queue_id = qid;
	hi.size = smtp_data_size(s->data);
	memset(&edits, 0, sizeof(edits));
	hi.writer = s->writer;
	hi.msg_start = s->msg_start;
	hi.pool = s->txn_pool;
	hi.edits = &edits;
	if (session_hook(s, s->m->hooks.eom, &hi)) {
		buf_free(&edits.body);
		queue_writer_abort(&s->writer);
		session_txn_reset(s);
		return;
	}
	envelope(s, &env);
	if (session_edit_apply(s, &edits, &env, qid) == -1) {
		queue_writer_abort(&s->writer);
		session_txn_reset(s);
		return;
	}
	if (edits.discard) {
		/* a milter said discard: the client hears success */
		queue_writer_abort(&s->writer);
		session_reply(s, 250, "2.0.0", "Ok: queued as %s", qid);
		log_info("event=discarded queue_id=%s from=<%s> client=%s",
		    qid, s->sender, s->conn->client_addr);
		session_txn_reset(s);
		return;
	}
	if (queue_writer_commit(&s->writer, &env, &err) == -1) {
		log_error("event=queue-error client=%s queue_id=%s error=%s",
		    s->conn->client_addr, qid, err);
		session_reply(s, 451, "4.3.0", "Queue commit failed, try again"
		    " later");
		session_txn_reset(s);
		return;
	}
	session_reply(s, 250, "2.0.0", "Ok: queued as %s", qid);
	if (edits.quarantine != NULL) {
		struct buf *esc = buf_new(256, 4096);

		log_info("event=quarantined queue_id=%s dir=hold reason=\"%s\"",
		    qid, log_escape(esc, edits.quarantine,
		    strlen(edits.quarantine)));
		buf_free(&esc);
	}
	log_info("event=accepted queue_id=%s from=<%s> size=%llu nrcpt=%zu"
	    " client=%s auth=%s tls=%s", qid, env.sender,
	    (unsigned long long)env.size, env.nrcpts, s->conn->client_addr,
	    s->auth_user != NULL ? s->auth_user : "-",
	    stream_is_tls(s->st) ? stream_tls_version(s->st) : "-");
	session_txn_reset(s);
}

/* Common checks of DATA and BDAT. 0 if a message may start. */
static int
may_start(struct session *s)
{
	if (!s->has_mail) {
		session_reply(s, 503, "5.5.1", "Need MAIL command");
		return -1;
	}
	if (s->nrcpts == 0) {
		session_reply(s, 554, "5.5.1", "No valid recipients");
		return -1;
	}
	return 0;
}

void
session_data(struct session *s)
{
	struct session_feed f = { .headers = buf_new(1024, HEADERS_KEPT_MAX) };
	size_t max = s->m->lim.text_line_max ? s->m->lim.text_line_max :
	    LINE_UNLIMITED;
	uint8_t *scratch = pool_alloc(s->txn_pool, max);
	bool too_long = false;

	if (s->writer != NULL) {
		session_reply(s, 503, "5.5.1", "DATA after BDAT");
		goto out;
	}
	if (may_start(s) == -1 || writer_open(s) == -1)
		goto out;
	smtp_data_reset(s->data, SMTP_DATA_DOT);
	session_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	if (stream_write(s->st, s->out->data, s->out->len) == -1 ||
	    stream_flush(s->st) == -1) {
		s->quit = true;
		goto out;
	}
	buf_reset(s->out);
	stream_set_timeouts(s->st, (int)s->m->mc->data_timeout,
	    (int)s->m->mc->data_timeout);
	for (;;) {
		const char *line;
		size_t len;
		int r = stream_read_line(s->st, max, &line, &len);

		if (r == -1 && stream_error(s->st) == STREAM_ERR_TOO_LONG) {
			too_long = true;
			continue;
		}
		if (r == -1 && stream_error(s->st) == STREAM_ERR_TIMEOUT) {
			session_reply(s, 421, "4.4.2", "%s Error: timeout"
			    " exceeded", s->m->hostname);
			s->quit = true;
			goto out;
		}
		if (r != 1) {
			log_info("event=disconnect stage=data client=%s"
			    " error=%s", s->conn->client_addr,
			    stream_error_text(s->st));
			s->quit = true;
			goto out;
		}
		if (feed(s, &f, (const uint8_t *)line, len, scratch) == 1)
			break;
	}
	if (too_long) {
		queue_writer_abort(&s->writer);
		session_reply(s, 500, "5.5.2", "Message line too long");
		log_info("event=reject stage=data client=%s from=<%s> code=500"
		    " enh=5.5.2 reason=line-too-long", s->conn->client_addr,
		    s->sender);
		session_txn_reset(s);
		goto out;
	}
	finish(s, &f);
out:
	if (s->quit && s->writer != NULL)
		queue_writer_abort(&s->writer);
	buf_free(&f.headers);
}

/* Read (and drop) a chunk's n bytes. 0, or -1 if the client is gone. */
static int
skip_chunk(struct session *s, uint64_t n, uint8_t *tmp)
{
	while (n > 0) {
		size_t k = n > CHUNK ? CHUNK : (size_t)n;

		if (stream_read_exact(s->st, tmp, k) != 1)
			return -1;
		n -= k;
	}
	return 0;
}

void
session_bdat(struct session *s, const struct smtp_cmd *cmd)
{
	uint64_t n = cmd->bdat_size;
	uint8_t *in, *scratch;

	if (s->chunk_in == NULL) {
		s->chunk_in = pool_alloc(s->pool, CHUNK);
		s->chunk_out = pool_alloc(s->pool, CHUNK);
	}
	in = s->chunk_in;
	scratch = s->chunk_out;

	stream_set_timeouts(s->st, (int)s->m->mc->data_timeout,
	    (int)s->m->mc->data_timeout);
	if (s->writer == NULL) {
		if (may_start(s) == -1 || writer_open(s) == -1) {
			if (skip_chunk(s, n, in) == -1)
				s->quit = true;
			return;
		}
		smtp_data_reset(s->data, SMTP_DATA_BDAT);
		buf_free(&s->bdat.headers);
		memset(&s->bdat, 0, sizeof(s->bdat));
		s->bdat.headers = buf_new(1024, HEADERS_KEPT_MAX);
	}
	while (n > 0) {
		size_t k = n > CHUNK ? CHUNK : (size_t)n;

		if (stream_read_exact(s->st, in, k) != 1) {
			log_info("event=disconnect stage=bdat client=%s"
			    " error=%s", s->conn->client_addr,
			    stream_error_text(s->st));
			queue_writer_abort(&s->writer);
			s->quit = true;
			return;
		}
		feed(s, &s->bdat, in, k, scratch);
		n -= k;
	}
	if (cmd->bdat_last) {
		smtp_data_finish(s->data);
		finish(s, &s->bdat);	/* resets the transaction */
		return;
	}
	if (smtp_data_error(s->data) != NULL || s->bdat.write_failed ||
	    s->bdat.hook_replied) {
		finish(s, &s->bdat);	/* replies the error, resets */
		return;
	}
	session_reply(s, 250, "2.0.0", "%llu octets received",
	    (unsigned long long)cmd->bdat_size);
}
