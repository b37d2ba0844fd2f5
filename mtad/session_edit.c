/*
 * mtad/session_edit.c - the changes an end-of-message hook asked for
 * (milter modifications: mtad/mtad_hooks.h), applied to the message in
 * the queue before it is committed: envelope sender and recipients in
 * the envelope; header fields and body by writing a changed copy of the
 * queued file under the same queue id (queue_writer_new_version), which
 * is then committed as usual, so a 250 still means the message as
 * changed is on stable storage; quarantine commits into hold/.
 *
 * Runs in the SMTP session process. Edits come from milters (untrusted
 * but already validated by mtad/milter_proto.c and mtad/milter_eom.c);
 * the header block comes from the client and is parsed with limits.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/msg_header.h"
#include "lib/xalloc.h"
#include "mtad/session_int.h"
#include "lib/banned.h"

/* The header block of a message we rewrite is held in memory. */
#define EDIT_HEADER_MAX (1024 * 1024)

/* A header field of the new block: an original one (f) or a new one. */
struct ent {
	const struct msg_header_field *f;
	const uint8_t *raw;		/* bytes to write (original) */
	size_t raw_len;
	const char *name;		/* new field */
	const char *value;
	bool gone;
};

static bool
ent_is(const uint8_t *p, const struct ent *e, const char *name)
{
	if (e->f != NULL)
		return msg_header_is(p, e->f, name);
	return strcasecmp(e->name, name) == 0;
}

/* "name: value" with every line break made CRLF. */
static int
put_field(struct buf *out, const char *name, const char *value)
{
	if (buf_printf(out, "%s: ", name) == -1)
		return -1;
	for (const char *v = value; *v != '\0'; v++) {
		if (*v == '\r' && v[1] == '\n')
			continue;
		if (*v == '\r' || *v == '\n') {
			if (buf_append(out, "\r\n", 2) == -1)
				return -1;
		} else if (buf_append_byte(out, (uint8_t)*v) == -1)
			return -1;
	}
	return buf_append(out, "\r\n", 2);
}

/* Insert e at position pos of *ents (n entries, cap *cap). */
static struct ent *
ent_insert(struct ent *ents, size_t *n, size_t *cap, size_t pos,
    const struct ent *e)
{
	if (*n == *cap) {
		*cap = *cap * 2 + 8;
		ents = xreallocarray(ents, *cap, sizeof(*ents));
	}
	memmove(ents + pos + 1, ents + pos, (*n - pos) * sizeof(*ents));
	ents[pos] = *e;
	(*n)++;
	return ents;
}

int
session_edit_headers(const uint8_t *p, const struct msg_headers *h,
    size_t block_end, const struct mtad_header_edit *ed, size_t ned,
    struct buf *out)
{
	size_t n = 0, cap = h->count + ned + 8, first;
	struct ent *ents = xreallocarray(NULL, cap, sizeof(*ents));
	int rc = -1;

	first = h->count > 0 ? h->fields[0].off : block_end;
	for (size_t i = 0; i < h->count; i++) {
		size_t end = i + 1 < h->count ? h->fields[i + 1].off :
		    block_end;

		memset(&ents[n], 0, sizeof(ents[n]));
		ents[n].f = &h->fields[i];
		ents[n].raw = p + h->fields[i].off;
		ents[n].raw_len = end > h->fields[i].off ? end -
		    h->fields[i].off : 0;
		n++;
	}
	for (size_t k = 0; k < ned; k++) {
		const struct mtad_header_edit *d = &ed[k];
		struct ent ne = { .name = d->name, .value = d->value };
		size_t pos = n, seen = 0;

		if (d->op == MTAD_HDR_INSERT) {
			for (pos = 0; pos < n; pos++)
				if (!ents[pos].gone && seen++ == d->index)
					break;
		} else if (d->op == MTAD_HDR_CHANGE) {
			size_t want = d->index == 0 ? 1 : d->index;

			for (pos = 0; pos < n; pos++)
				if (!ents[pos].gone && ent_is(p, &ents[pos],
				    d->name) && ++seen == want)
					break;
			if (pos < n) {
				if (d->value[0] == '\0')
					ents[pos].gone = true;
				else
					ents[pos] = ne;
				continue;
			}
			if (d->value[0] == '\0')
				continue;
		}
		ents = ent_insert(ents, &n, &cap, pos, &ne);
	}
	if (buf_append(out, p, first) == -1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (ents[i].gone)
			continue;
		if (ents[i].f != NULL) {
			if (buf_append(out, ents[i].raw, ents[i].raw_len) == -1)
				goto out;
		} else if (put_field(out, ents[i].name, ents[i].value) == -1)
			goto out;
	}
	rc = 0;
out:
	free(ents);
	return rc;
}

/* Copy message bytes [off, end) of w into nw. */
static int
copy_bytes(struct queue_writer *w, struct queue_writer *nw, uint64_t off,
    uint64_t end, const char **err)
{
	uint8_t tmp[65536];

	while (off < end) {
		size_t want = end - off < sizeof(tmp) ? (size_t)(end - off) :
		    sizeof(tmp);
		long long k = queue_writer_pread(w, off, tmp, want, err);

		if (k <= 0) {
			if (k == 0)
				*err = "queue: message shorter than written";
			return -1;
		}
		if (queue_writer_write(nw, tmp, (size_t)k, err) == -1)
			return -1;
		off += (uint64_t)k;
	}
	return 0;
}

/* A replacement body with every line break CRLF, ending in one. */
static int
put_body(struct queue_writer *nw, const struct buf *b, const char **err)
{
	struct buf *o = buf_new(65536 + 2, 65536 + 2);
	int rc = 0;

	for (size_t i = 0; i < b->len && rc == 0; i++) {
		uint8_t c = b->data[i];

		if (c == '\r' && i + 1 < b->len && b->data[i + 1] == '\n')
			continue;
		if (c == '\r' || c == '\n')
			buf_append(o, "\r\n", 2);
		else
			buf_append_byte(o, c);
		if (o->len >= 65536) {
			rc = queue_writer_write(nw, o->data, o->len, err);
			buf_reset(o);
		}
	}
	if (rc == 0 && b->len > 0 && b->data[b->len - 1] != '\n' &&
	    b->data[b->len - 1] != '\r')
		buf_append(o, "\r\n", 2);
	if (rc == 0 && o->len > 0)
		rc = queue_writer_write(nw, o->data, o->len, err);
	buf_free(&o);
	return rc;
}

/* Write the changed copy of the message; replaces s->writer. */
static int
rewrite(struct session *s, const struct mtad_hook_edits *e, const char **err)
{
	struct queue_writer *w = s->writer, *nw;
	uint64_t end = queue_writer_size(w), off = s->msg_start;
	struct buf *hb = buf_new(8192, EDIT_HEADER_MAX);
	struct buf *nh = buf_new(8192, EDIT_HEADER_MAX + 1024 * 1024);
	struct msg_headers h;
	struct msg_limits lim;
	size_t block_end;
	uint8_t tmp[8192];
	int rc = -1;

	/* the client's header block, up to its blank line */
	for (;;) {
		long long k = queue_writer_pread(w, off, tmp, sizeof(tmp), err);

		if (k < 0)
			goto out;
		if (k == 0)
			break;
		if (buf_append(hb, tmp, (size_t)k) == -1) {
			*err = "header block too large to change";
			goto out;
		}
		off += (uint64_t)k;
		if (memmem(hb->data, hb->len, "\n\r\n", 3) != NULL ||
		    memmem(hb->data, hb->len, "\n\n", 2) != NULL ||
		    hb->data[0] == '\n' || (hb->len >= 2 && hb->data[0] == '\r'
		    && hb->data[1] == '\n'))
			break;
	}
	msg_limits_defaults(&lim);
	lim.header_size_max = EDIT_HEADER_MAX;
	lim.header_line_max = EDIT_HEADER_MAX;
	lim.header_count_max = 100000;
	if (msg_header_parse(hb->data, hb->len, &lim, s->txn_pool, &h, err)
	    == -1)
		goto out;
	block_end = h.size;
	if (h.has_blank_line)
		block_end -= h.size >= 2 && hb->data[h.size - 2] == '\r' ? 2 : 1;
	if (session_edit_headers(hb->data, &h, block_end, e->headers,
	    e->nheaders, nh) == -1) {
		*err = "changed header block too large";
		goto out;
	}
	if (h.has_blank_line || e->body != NULL)
		buf_append(nh, "\r\n", 2);
	if ((nw = queue_writer_new_version(w, err)) == NULL)
		goto out;
	if (copy_bytes(w, nw, 0, s->msg_start, err) == -1 ||
	    queue_writer_write(nw, nh->data, nh->len, err) == -1 ||
	    (e->body != NULL ? put_body(nw, e->body, err) :
	    copy_bytes(w, nw, s->msg_start + h.size, end, err)) == -1) {
		queue_writer_abort(&nw);
		goto out;
	}
	queue_writer_abort(&s->writer);
	s->writer = nw;
	rc = 0;
out:
	buf_free(&hb);
	buf_free(&nh);
	return rc;
}

/* Recipients after the deletions and additions. */
static void
edit_rcpts(struct session *s, const struct mtad_hook_edits *e,
    struct queue_env *env)
{
	size_t max = env->nrcpts + e->nadd, n = 0;
	struct queue_rcpt *r = pool_alloc(s->txn_pool, (max + 1) *
	    sizeof(*r));

	for (size_t i = 0; i < env->nrcpts; i++) {
		bool del = false;

		for (size_t k = 0; k < e->ndel && !del; k++)
			del = strcasecmp(env->rcpts[i].addr, e->del_rcpts[k])
			    == 0;
		if (!del)
			r[n++] = env->rcpts[i];
	}
	for (size_t k = 0; k < e->nadd; k++) {
		bool dup = false;

		for (size_t i = 0; i < n && !dup; i++)
			dup = strcasecmp(r[i].addr, e->add_rcpts[k]) == 0;
		if (dup || n >= s->m->qlim.rcpt_max)
			continue;
		memset(&r[n], 0, sizeof(r[n]));
		r[n].addr = e->add_rcpts[k];
		r[n].orcpt = "";
		r[n].state = QUEUE_RCPT_PENDING;
		n++;
	}
	env->rcpts = r;
	env->nrcpts = n;
}

int
session_edit_apply(struct session *s, struct mtad_hook_edits *e,
    struct queue_env *env, const char *qid)
{
	const char *err = NULL;
	int rc = 0;

	if (e->sender != NULL)
		env->sender = e->sender;
	if (e->nadd > 0 || e->ndel > 0)
		edit_rcpts(s, e, env);
	if (env->nrcpts == 0) {
		log_info("event=discarded queue_id=%s reason=no-recipients-left"
		    " client=%s", qid, s->conn->client_addr);
		e->discard = true;
	}
	if (!e->discard && (e->nheaders > 0 || e->body != NULL) &&
	    rewrite(s, e, &err) == -1) {
		log_error("event=queue-error client=%s queue_id=%s stage=edit"
		    " error=\"%s\"", s->conn->client_addr, qid, err);
		session_reply(s, 451, "4.3.0", "Message changes failed, try"
		    " again later");
		rc = -1;
	}
	if (rc == 0 && e->quarantine != NULL)
		queue_writer_set_dir(s->writer, QUEUE_HOLD);
	buf_free(&e->body);
	return rc;
}
