/*
 * lib/mime_bodystructure.c - IMAP BODY and BODYSTRUCTURE (RFC 3501 7.4.2,
 * formal syntax "body" in section 9) of a parsed MIME tree.
 *
 * A container the parser had to keep as a leaf (limits, no boundary) is
 * shown as APPLICATION/OCTET-STREAM so the output always follows the
 * grammar: a multipart always has a body part, a MESSAGE/RFC822 always
 * an envelope and a body.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/mime_imap.h"
#include "lib/mime_imap_int.h"
#include "lib/banned.h"

static int
sp(struct buf *out)
{
	return buf_append_byte(out, ' ');
}

/* body-fld-param: ("NAME" "value" ...) or NIL. */
static int
params(struct buf *out, const struct mime_params *ps)
{
	if (ps->n == 0)
		return buf_append_str(out, "NIL");
	if (buf_append_byte(out, '(') == -1)
		return -1;
	for (size_t i = 0; i < ps->n; i++) {
		const struct mime_param *p = &ps->v[i];
		struct buf *name = buf_new(32, out->max);
		int rc;

		for (const char *c = p->name; *c != '\0'; c++)
			buf_append_byte(name, *c >= 'a' && *c <= 'z' ?
			    (uint8_t)(*c - 32) : (uint8_t)*c);
		if (p->extended)
			buf_append_byte(name, '*');
		rc = (i > 0 && sp(out) == -1) || mime_imap_string(out,
		    (const char *)name->data, name->len) == -1 ||
		    sp(out) == -1 || mime_imap_nstring(out, p->imap_value) == -1;
		buf_free(&name);
		if (rc)
			return -1;
	}
	return buf_append_byte(out, ')');
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static int
ext_common(struct buf *out, const struct mime_part *p)
{
	if (p->disposition == NULL) {
		if (buf_append_str(out, "NIL") == -1)
			return -1;
	} else if (buf_append_byte(out, '(') == -1 ||
	    mime_imap_upper(out, p->disposition) == -1 || sp(out) == -1 ||
	    params(out, &p->disp_params) == -1 ||
	    buf_append_byte(out, ')') == -1) {
		return -1;
	}
	if (sp(out) == -1)
		return -1;
	if (p->n_language == 0) {
		if (buf_append_str(out, "NIL") == -1)
			return -1;
	} else if (p->n_language == 1) {
		if (mime_imap_nstring(out, p->language[0]) == -1)
			return -1;
	} else {
		if (buf_append_byte(out, '(') == -1)
			return -1;
		for (size_t i = 0; i < p->n_language; i++)
			if ((i > 0 && sp(out) == -1) ||
			    mime_imap_nstring(out, p->language[i]) == -1)
				return -1;
		if (buf_append_byte(out, ')') == -1)
			return -1;
	}
	return sp(out) == -1 ? -1 : mime_imap_nstring(out, p->location);
}

static int
multipart(const struct mime_message *m, const struct mime_part *p,
    bool ext, struct pool *pool, struct buf *out)
{
	for (const struct mime_part *ch = p->children; ch != NULL;
	    ch = ch->next)
		if (mime_imap_bodystructure(m, ch, ext, pool, out) == -1)
			return -1;
	if (sp(out) == -1 || mime_imap_upper(out, p->subtype) == -1)
		return -1;
	if (ext && (sp(out) == -1 || params(out, &p->params) == -1 ||
	    sp(out) == -1 || ext_common(out, p) == -1))
		return -1;
	return 0;
}

static int
single(const struct mime_message *m, const struct mime_part *p, bool ext,
    struct pool *pool, struct buf *out)
{
	bool text = p->kind == MIME_LEAF && strcmp(p->type, "text") == 0;
	bool shown_as_octets = p->kind == MIME_LEAF &&
	    (strcmp(p->type, "multipart") == 0 ||
	    (strcmp(p->type, "message") == 0 &&
	    strcmp(p->subtype, "rfc822") == 0));

	if (shown_as_octets) {
		if (buf_append_str(out, "\"APPLICATION\" \"OCTET-STREAM\"") == -1)
			return -1;
	} else if (mime_imap_upper(out, p->type) == -1 || sp(out) == -1 ||
	    mime_imap_upper(out, p->subtype) == -1) {
		return -1;
	}
	if (sp(out) == -1 || params(out, &p->params) == -1 || sp(out) == -1 ||
	    mime_imap_nstring(out, p->id) == -1 || sp(out) == -1 ||
	    mime_imap_nstring(out, p->description) == -1 || sp(out) == -1 ||
	    mime_imap_upper(out, p->encoding != NULL ? p->encoding :
	    "7bit") == -1 || buf_printf(out, " %zu", p->body_size) == -1)
		return -1;
	if (p->kind == MIME_MESSAGE) {
		if (sp(out) == -1 ||
		    mime_imap_envelope(m, p->children, pool, out) == -1 ||
		    sp(out) == -1 ||
		    mime_imap_bodystructure(m, p->children, ext, pool,
		    out) == -1)
			return -1;
	}
	if ((text || p->kind == MIME_MESSAGE) &&
	    buf_printf(out, " %zu", p->body_lines) == -1)
		return -1;
	if (ext && (sp(out) == -1 || mime_imap_nstring(out, p->md5) == -1 ||
	    sp(out) == -1 || ext_common(out, p) == -1))
		return -1;
	return 0;
}

int
mime_imap_bodystructure(const struct mime_message *m,
    const struct mime_part *p, bool extended, struct pool *pool,
    struct buf *out)
{
	if (buf_append_byte(out, '(') == -1)
		return -1;
	if (p->kind == MIME_MULTIPART) {
		if (multipart(m, p, extended, pool, out) == -1)
			return -1;
	} else if (single(m, p, extended, pool, out) == -1) {
		return -1;
	}
	return buf_append_byte(out, ')');
}
