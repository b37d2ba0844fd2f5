/*
 * mtad/milter_eom.c - the message through the milter chain at end of
 * DATA: DATA, each header field, end of headers, the body in chunks, end
 * of body, then the milter's modifications and its verdict, recorded as
 * mtad hook edits (mtad/mtad_hooks.h) that the session applies to the
 * queued file before the commit.
 *
 * Runs in the SMTP session process. The message is read back from the
 * queue writer (it was written during DATA), so nothing depends on the
 * client's timing. Modifications are untrusted: each is checked against
 * the actions the milter negotiated, counted against max_edits, and
 * addresses go through the SMTP path parser; a milter that breaks a rule
 * is treated as failed (its default_action) and none of its edits
 * stand. Every milter sees the message as received; edits accumulate in
 * chain order.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/msg_header.h"
#include "lib/pool.h"
#include "lib/smtp.h"
#include "lib/smtp_addr.h"
#include "lib/xalloc.h"
#include "mtad/milter_int.h"
#include "mtad/queue.h"
#include "lib/banned.h"

/* Header bytes read back to send to milters. */
#define HEADER_BLOCK_MAX (1024 * 1024)

/* The message as queued: its header block in memory, the body's range. */
struct eom_msg {
	struct queue_writer *w;
	struct buf *hb;
	struct msg_headers h;
	uint64_t body_off, end;
	const char *qid;
};

/* Edit counts before a milter, to undo its edits if it fails. */
struct mark {
	size_t nheaders, nadd, ndel;
	char *sender, *quarantine;
};

static void
mark_take(const struct mtad_hook_edits *e, struct mark *m)
{
	m->nheaders = e->nheaders;
	m->nadd = e->nadd;
	m->ndel = e->ndel;
	m->sender = e->sender;
	m->quarantine = e->quarantine;
}

static void
mark_undo(struct mtad_hook_edits *e, const struct mark *m)
{
	e->nheaders = m->nheaders;
	e->nadd = m->nadd;
	e->ndel = m->ndel;
	e->sender = m->sender;
	e->quarantine = m->quarantine;
}

/* Grow a pool array of pointers-or-structs by one. */
static void *
grow(struct pool *pool, void *arr, size_t n, size_t *cap, size_t size)
{
	void *na;

	if (n < *cap)
		return arr;
	*cap = *cap == 0 ? 8 : *cap * 2;
	na = pool_alloc(pool, *cap * size);
	if (n > 0)
		memcpy(na, arr, n * size);
	return na;
}

/* The address a milter named, validated; "" only for a sender. */
static char *
norm_addr(struct pool *pool, const char *a, bool sender, const char **why)
{
	struct smtp_limits lim;
	struct smtp_path path;
	struct smtp_error err;
	char *s;

	smtp_limits_default(&lim);
	s = a[0] == '<' ? pool_strdup(pool, a) : pool_printf(pool, "<%s>", a);
	if (smtp_path_parse(pool, s, strlen(s), &lim, SMTP_PATH_UTF8 |
	    (sender ? SMTP_PATH_SENDER : SMTP_PATH_RECIPIENT), &path, NULL,
	    &err) == -1) {
		*why = "bad address in a modification";
		return NULL;
	}
	return path.is_null ? pool_strdup(pool, "") : path.addr;
}

/* Record modification rep of o into e. 0, or -1 with *why. */
static int
record(struct milter_session *s, struct milter_one *o,
    const struct milter_reply *rep, struct mtad_hook_edits *e,
    struct pool *pool, struct buf **body, const char **why)
{
	uint32_t act = o->conn.actions;
	char *a;

	switch (rep->cmd) {
	case MILTER_R_ADDHEADER:
	case MILTER_R_INSHEADER:
	case MILTER_R_CHGHEADER: {
		struct mtad_header_edit *h;

		if ((rep->cmd == MILTER_R_CHGHEADER && !(act &
		    MILTER_ACT_CHGHDRS)) || (rep->cmd != MILTER_R_CHGHEADER &&
		    !(act & MILTER_ACT_ADDHDRS)))
			goto not_negotiated;
		e->headers = grow(pool, e->headers, e->nheaders,
		    &e->headers_cap, sizeof(*e->headers));
		h = &e->headers[e->nheaders++];
		h->op = rep->cmd == MILTER_R_ADDHEADER ? MTAD_HDR_ADD :
		    rep->cmd == MILTER_R_INSHEADER ? MTAD_HDR_INSERT :
		    MTAD_HDR_CHANGE;
		h->index = rep->index;
		h->name = pool_strdup(pool, rep->name);
		h->value = pool_strdup(pool, rep->value);
		return 0;
	}
	case MILTER_R_REPLBODY:
		if (!(act & MILTER_ACT_CHGBODY))
			goto not_negotiated;
		if (*body == NULL)
			*body = buf_new(65536, (size_t)s->m->body_max);
		if (buf_append(*body, rep->body, rep->body_len) == -1) {
			*why = "replacement body larger than the message size"
			    " limit";
			return -1;
		}
		return 0;
	case MILTER_R_ADDRCPT:
	case MILTER_R_ADDRCPT_PAR:
		if (!(act & (rep->cmd == MILTER_R_ADDRCPT ? MILTER_ACT_ADDRCPT :
		    MILTER_ACT_ADDRCPT_PAR)))
			goto not_negotiated;
		if ((a = norm_addr(pool, rep->addr, false, why)) == NULL)
			return -1;
		e->add_rcpts = grow(pool, e->add_rcpts, e->nadd, &e->add_cap,
		    sizeof(char *));
		e->add_rcpts[e->nadd++] = a;
		return 0;
	case MILTER_R_DELRCPT:
		if (!(act & MILTER_ACT_DELRCPT))
			goto not_negotiated;
		if ((a = norm_addr(pool, rep->addr, false, why)) == NULL)
			return -1;
		e->del_rcpts = grow(pool, e->del_rcpts, e->ndel, &e->del_cap,
		    sizeof(char *));
		e->del_rcpts[e->ndel++] = a;
		return 0;
	case MILTER_R_CHGFROM:
		if (!(act & MILTER_ACT_CHGFROM))
			goto not_negotiated;
		if ((a = norm_addr(pool, rep->addr, true, why)) == NULL)
			return -1;
		e->sender = a;
		return 0;
	case MILTER_R_QUARANTINE:
		if (!(act & MILTER_ACT_QUARANTINE))
			goto not_negotiated;
		e->quarantine = pool_strdup(pool, rep->reason);
		return 0;
	default:
		*why = "unexpected packet at end of message";
		return -1;
	}
not_negotiated:
	*why = "modification the milter did not negotiate";
	return -1;
}

/* Send the header fields (value: leading white space dropped, line
 * breaks as LF, as Sendmail passes them). */
static enum milter_verdict
send_headers(struct milter_session *s, struct milter_one *o,
    const struct eom_msg *em, struct mtad_hook_reply *r)
{
	const uint8_t *p = em->hb->data;
	bool nr = o->conn.protocol & MILTER_P_NR_HDR;

	for (size_t i = 0; i < em->h.count; i++) {
		const struct msg_header_field *f = &em->h.fields[i];
		char *name = pool_strndup(s->pool, (const char *)p + f->off,
		    f->name_len);
		struct buf *v = buf_new(f->value_len + 1, f->value_len + 1);
		const uint8_t *q = p + f->value_off;
		size_t k = 0, n = f->value_len;
		enum milter_verdict vd;
		const char *args[2];

		while (k < n && (q[k] == ' ' || q[k] == '\t'))
			k++;
		for (; k < n; k++)
			if (!(q[k] == '\r' && k + 1 < n && q[k + 1] == '\n') &&
			    q[k] != '\0')
				buf_append_byte(v, q[k]);
		args[0] = name;
		args[1] = buf_cstr(v);
		if (milter_put_strings(o->conn.out, MILTER_CMD_HEADER, args, 2)
		    == -1)
			vd = milter_fail(s, o, "header", "header too large", r);
		else
			vd = milter_step(s, o, "header", nr, r);
		buf_free(&v);
		if (vd != MILTER_GO)
			return vd;
	}
	return MILTER_GO;
}

static enum milter_verdict
send_body(struct milter_session *s, struct milter_one *o,
    const struct eom_msg *em, struct mtad_hook_reply *r)
{
	size_t chunk = (size_t)o->link.def->body_chunk_size;
	uint8_t *b = pool_alloc(s->pool, chunk);
	bool nr = o->conn.protocol & MILTER_P_NR_BODY;
	struct milter_reply rep;
	const char *err;

	for (uint64_t off = em->body_off; off < em->end;) {
		size_t got = 0;

		while (got < chunk && off + got < em->end) {
			long long k = queue_writer_pread(em->w, off + got,
			    b + got, chunk - got, &err);

			if (k <= 0) {
				log_error("event=milter-error session=%s"
				    " queue_id=%s error=\"%s\"", s->session_id,
				    em->qid, k == 0 ? "short message" : err);
				r->code = 451;
				r->enh = "4.3.0";
				r->text = "Queue read error, try again later";
				return MILTER_REPLY;
			}
			got += (size_t)k;
		}
		off += got;
		if (milter_put(o->conn.out, MILTER_CMD_BODY, b, got) == -1 ||
		    milter_conn_send(&o->conn, &err) == -1)
			return milter_fail(s, o, "body", "send failed", r);
		if (nr)
			continue;
		do {
			if (milter_conn_read(&o->conn,
			    o->link.def->command_timeout, &rep, &err) == -1)
				return milter_fail(s, o, "body", err, r);
		} while (rep.cmd == MILTER_R_PROGRESS);
		if (rep.cmd == MILTER_R_SKIP)
			return MILTER_GO;
		if (rep.cmd != MILTER_R_CONTINUE)
			return milter_final(s, o, "body", &rep, r);
	}
	return MILTER_GO;
}

/* End of body: modifications, then the verdict. */
static enum milter_verdict
end_of_body(struct milter_session *s, struct milter_one *o,
    const struct eom_msg *em, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r)
{
	const char *mac[] = { "i", em->qid };
	struct mtad_hook_edits *e = hi->edits;
	struct buf *body = NULL;
	struct milter_reply rep;
	struct mark mk;
	const char *err = NULL;
	int64_t edits = 0;
	enum milter_verdict v;

	mark_take(e, &mk);
	if (milter_put_macros(o->conn.out, MILTER_CMD_BODYEOB, mac, 1) == -1 ||
	    milter_put(o->conn.out, MILTER_CMD_BODYEOB, NULL, 0) == -1 ||
	    milter_conn_send(&o->conn, &err) == -1)
		return milter_fail(s, o, "eom", err != NULL ? err :
		    "packet too large", r);
	for (;;) {
		if (milter_conn_read(&o->conn, o->link.def->eom_timeout, &rep,
		    &err) == -1)
			goto fail;
		if (rep.cmd == MILTER_R_PROGRESS)
			continue;
		if (milter_reply_is_final(rep.cmd) && rep.cmd !=
		    MILTER_R_SKIP)
			break;
		if (++edits > o->link.def->max_edits) {
			err = "more modifications than max_edits";
			goto fail;
		}
		if (record(s, o, &rep, e, hi->pool, &body, &err) == -1)
			goto fail;
	}
	o->in_msg = false;
	v = milter_final(s, o, "eom", &rep, r);
	if (v == MILTER_REPLY || rep.cmd == MILTER_R_DISCARD) {
		buf_free(&body);
		mark_undo(e, &mk);
		return v;
	}
	if (body != NULL) {
		buf_free(&e->body);
		e->body = body;
	}
	if (e->nheaders > mk.nheaders || e->nadd > mk.nadd || e->ndel > mk.ndel
	    || body != NULL || e->sender != mk.sender || e->quarantine !=
	    mk.quarantine)
		log_info("event=milter-edits session=%s queue_id=%s milter=%s"
		    " headers=%zu body=%s add_rcpt=%zu del_rcpt=%zu"
		    " sender=%s quarantine=%s", s->session_id, em->qid,
		    o->link.name, e->nheaders - mk.nheaders, body != NULL ?
		    "replaced" : "-", e->nadd - mk.nadd, e->ndel - mk.ndel,
		    e->sender != mk.sender ? "changed" : "-",
		    e->quarantine != mk.quarantine ? "yes" : "-");
	return MILTER_GO;
fail:
	buf_free(&body);
	mark_undo(e, &mk);
	return milter_fail(s, o, "eom", err, r);
}

/* The message through one milter. */
static enum milter_verdict
one(struct milter_session *s, struct milter_one *o, const struct eom_msg *em,
    const struct mtad_hook_info *hi, struct mtad_hook_reply *r)
{
	const char *mac[] = { "i", em->qid };
	uint32_t p = o->conn.protocol;
	enum milter_verdict v = MILTER_GO;

	if (!(p & MILTER_P_NODATA)) {
		if (milter_put_macros(o->conn.out, MILTER_CMD_DATA, mac, 1) ==
		    -1 || milter_put(o->conn.out, MILTER_CMD_DATA, NULL, 0) ==
		    -1)
			return milter_fail(s, o, "data", "packet too large", r);
		if ((v = milter_step(s, o, "data", p & MILTER_P_NR_DATA, r)) !=
		    MILTER_GO)
			return v;
	}
	if (!(p & MILTER_P_NOHDRS) && (v = send_headers(s, o, em, r)) !=
	    MILTER_GO)
		return v;
	if (!(p & MILTER_P_NOEOH)) {
		if (milter_put_macros(o->conn.out, MILTER_CMD_EOH, mac, 1) ==
		    -1 || milter_put(o->conn.out, MILTER_CMD_EOH, NULL, 0) ==
		    -1)
			return milter_fail(s, o, "eoh", "packet too large", r);
		if ((v = milter_step(s, o, "eoh", p & MILTER_P_NR_EOH, r)) !=
		    MILTER_GO)
			return v;
	}
	if (!(p & MILTER_P_NOBODY) && (v = send_body(s, o, em, r)) !=
	    MILTER_GO)
		return v;
	return end_of_body(s, o, em, hi, r);
}

/* Read the client's header block back from the queue writer. */
static int
read_headers(struct milter_session *s, const struct mtad_hook_info *hi,
    struct eom_msg *em)
{
	struct msg_limits lim;
	const char *err;
	uint64_t off = hi->msg_start;
	uint8_t tmp[8192];

	em->hb = buf_new(8192, HEADER_BLOCK_MAX);
	for (;;) {
		long long k = queue_writer_pread(em->w, off, tmp, sizeof(tmp),
		    &err);
		const uint8_t *d;

		if (k < 0)
			return -1;
		if (k == 0 || buf_append(em->hb, tmp, (size_t)k) == -1)
			break;		/* the end, or past the cap: what fits
					 * is sent */
		off += (uint64_t)k;
		d = em->hb->data;
		/* stop at the blank line that ends the header block */
		if (memmem(d, em->hb->len, "\n\r\n", 3) != NULL ||
		    memmem(d, em->hb->len, "\n\n", 2) != NULL || d[0] == '\n' ||
		    (em->hb->len >= 2 && d[0] == '\r' && d[1] == '\n'))
			break;
	}
	msg_limits_defaults(&lim);
	lim.header_size_max = HEADER_BLOCK_MAX;
	lim.header_line_max = HEADER_BLOCK_MAX;
	(void)msg_header_parse(em->hb->data, em->hb->len, &lim, s->pool,
	    &em->h, &err);
	em->body_off = hi->msg_start + em->h.size;
	if (em->body_off > em->end)
		em->body_off = em->end;
	return 0;
}

enum mtad_hook_result
milter_eom(void *ctx, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r)
{
	struct milter_session *s = ctx;
	struct eom_msg em = { .w = hi->writer, .qid = hi->queue_id };
	enum mtad_hook_result res = MTAD_HOOK_CONTINUE;

	if (hi->writer == NULL || hi->edits == NULL)
		return MTAD_HOOK_CONTINUE;
	em.end = queue_writer_size(hi->writer);
	if (read_headers(s, hi, &em) == -1) {
		r->code = 451;
		r->enh = "4.3.0";
		r->text = "Queue read error, try again later";
		buf_free(&em.hb);
		return MTAD_HOOK_REPLY;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct milter_one *o = &s->ms[i];

		if (!o->on || o->msg_done)
			continue;
		if (one(s, o, &em, hi, r) == MILTER_REPLY) {
			res = MTAD_HOOK_REPLY;
			break;
		}
	}
	if (res == MTAD_HOOK_CONTINUE && s->discard)
		hi->edits->discard = true;
	if (res == MTAD_HOOK_REPLY)
		buf_free(&hi->edits->body);
	for (size_t i = 0; i < s->n; i++)
		s->ms[i].msg_done = false;
	buf_free(&em.hb);
	return res;
}
