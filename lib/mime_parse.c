/*
 * lib/mime_parse.c - the MIME structure parser: header, content fields,
 * multipart delimiters and message/rfc822 nesting over a message held in
 * memory.
 *
 * Input is hostile. Recursion is bounded by lim->depth_max, the parts
 * created by lim->parts_max, headers by the msg_header limits; a
 * container that would cross a limit is kept as a leaf and flagged, so
 * the tree is always complete and its offsets always inside the message.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/mime_param.h"
#include "lib/msg_header.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/banned.h"

struct ctx {
	struct pool *pool;
	const uint8_t *data;
	size_t len;
	const struct msg_limits *lim;
	struct mime_message *msg;
};

/* A delimiter line found in a multipart body. */
struct delim {
	size_t before;	/* end of the preceding content (its CRLF excluded) */
	size_t after;	/* start of the next content */
	bool close;
};

static size_t
count_lines(const uint8_t *p, size_t len)
{
	size_t n = 0;
	const uint8_t *end = p + len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p = nl + 1;
	}
	return p < end ? n + 1 : n;
}

static char *
hdr(struct ctx *c, struct mime_part *p, const char *name)
{
	return msg_header_get(c->pool, c->data, &p->hdrs, name);
}

/* Content-Language: comma-separated tags. */
static void
read_language(struct ctx *c, struct mime_part *p, const char *v)
{
	size_t n = 1;
	char *copy, *s, *comma;

	for (const char *q = v; *q != '\0'; q++)
		n += *q == ',';
	p->language = pool_alloc(c->pool, n * sizeof(*p->language));
	copy = pool_strdup(c->pool, v);
	for (s = copy; s != NULL; s = comma) {
		comma = strchr(s, ',');
		if (comma != NULL)
			*comma++ = '\0';
		s = str_trim(s);
		if (*s != '\0')
			p->language[p->n_language++] = s;
	}
}

static void
add_default_charset(struct ctx *c, struct mime_part *p)
{
	struct mime_param *v = pool_alloc(c->pool,
	    (p->params.n + 1) * sizeof(*v));

	if (p->params.n > 0)
		memcpy(v, p->params.v, p->params.n * sizeof(*v));
	v[p->params.n].name = pool_strdup(c->pool, "charset");
	v[p->params.n].value = pool_strdup(c->pool, "us-ascii");
	v[p->params.n].imap_value = v[p->params.n].value;
	p->params.v = v;
	p->params.n++;
}

static void
read_fields(struct ctx *c, struct mime_part *p, bool digest_child)
{
	char *ct = hdr(c, p, "Content-Type"), *v, *slash, *full;

	if (ct != NULL) {
		mime_param_parse(c->pool, ct, &full, &p->params);
		slash = strchr(full, '/');
		if (slash != NULL && slash != full && slash[1] != '\0' &&
		    strchr(slash + 1, '/') == NULL) {
			p->has_content_type = true;
			p->type = pool_strndup(c->pool, full,
			    (size_t)(slash - full));
			p->subtype = slash + 1;
		}
	}
	if (!p->has_content_type) {
		/* RFC 2045 5.2 and RFC 2046 5.1.5 defaults */
		p->type = pool_strdup(c->pool, digest_child ? "message" : "text");
		p->subtype = pool_strdup(c->pool, digest_child ? "rfc822" :
		    "plain");
		p->params.n = 0;
	}
	/* text without a charset is us-ascii (RFC 2046 4.1.2); saying so
	 * in BODYSTRUCTURE is what Dovecot and Cyrus do too */
	if (strcmp(p->type, "text") == 0 &&
	    mime_param_get(&p->params, "charset") == NULL)
		add_default_charset(c, p);
	p->id = hdr(c, p, "Content-ID");
	p->description = hdr(c, p, "Content-Description");
	p->md5 = hdr(c, p, "Content-MD5");
	p->location = hdr(c, p, "Content-Location");
	if ((v = hdr(c, p, "Content-Transfer-Encoding")) != NULL) {
		char *enc;
		struct mime_params ignore;

		mime_param_parse(c->pool, v, &enc, &ignore);
		if (*enc != '\0')
			p->encoding = enc;
	}
	if ((v = hdr(c, p, "Content-Disposition")) != NULL) {
		mime_param_parse(c->pool, v, &p->disposition, &p->disp_params);
		if (*p->disposition == '\0')
			p->disposition = NULL;
	}
	if ((v = hdr(c, p, "Content-Language")) != NULL)
		read_language(c, p, v);
}

/* Whether the line at ls in [ls, end) is "--boundary" (transport padding
 * allowed after it) or "--boundary--"; fills d. */
static bool
delimiter_at(const uint8_t *data, size_t ls, size_t end, const char *b,
    size_t blen, size_t lf, struct delim *d)
{
	size_t a = ls + 2 + blen;

	if (lf - ls < 2 + blen || data[ls] != '-' || data[ls + 1] != '-' ||
	    memcmp(data + ls + 2, b, blen) != 0)
		return false;
	d->close = a + 1 < lf && data[a] == '-' && data[a + 1] == '-';
	if (!d->close)
		for (size_t i = a; i < lf; i++)
			if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r')
				return false;
	d->after = lf < end ? lf + 1 : end;
	return true;
}

/* The delimiters of boundary b in [start, end): up to max+1 of them are
 * stored in ds (if not NULL); returns how many were found. The content
 * before a delimiter ends before the line end preceding it. */
static size_t
find_delims(struct ctx *c, size_t start, size_t end, const char *b,
    struct delim *ds, size_t max)
{
	size_t blen = strlen(b), ls = start, n = 0;

	while (ls < end && n <= max) {
		const uint8_t *nl = memchr(c->data + ls, '\n', end - ls);
		size_t lf = nl == NULL ? end : (size_t)(nl - c->data);
		struct delim tmp, *d = ds != NULL ? &ds[n] : &tmp;

		if (delimiter_at(c->data, ls, end, b, blen, lf, d)) {
			d->before = ls;
			if (ls > start && c->data[ls - 1] == '\n')
				d->before = ls - 1;
			if (d->before > start && ls > start &&
			    c->data[d->before - 1] == '\r')
				d->before--;
			n++;
			if (d->close)
				break;
		}
		ls = lf < end ? lf + 1 : end;
	}
	return n;
}

static void parse_entity(struct ctx *c, struct mime_part *p, size_t start,
    size_t end, bool digest_child);

static struct mime_part *
new_part(struct ctx *c, struct mime_part *parent)
{
	struct mime_part *p = pool_alloc(c->pool, sizeof(*p));

	p->parent = parent;
	p->depth = parent == NULL ? 0 : parent->depth + 1;
	c->msg->n_parts++;
	return p;
}

static void
parse_multipart(struct ctx *c, struct mime_part *p)
{
	const char *b = mime_param_get(&p->params, "boundary");
	size_t end = p->body_off + p->body_size, room, n, parts;
	struct delim *ds;
	struct mime_part *ch, **tail;
	bool digest = strcmp(p->subtype, "digest") == 0;

	room = c->msg->n_parts >= c->lim->parts_max ? 0 :
	    c->lim->parts_max - c->msg->n_parts;
	if (b == NULL || *b == '\0' || strlen(b) > 998) {
		p->kind = MIME_LEAF;
		p->flags |= MIME_FLAG_NO_BOUNDARY;
		return;
	}
	/* count first, so the array is sized by what is there */
	n = find_delims(c, p->body_off, end, b, NULL, room);
	ds = pool_alloc(c->pool, (n + 1) * sizeof(*ds));
	n = find_delims(c, p->body_off, end, b, ds, room);
	if (n == 0 || ds[0].close) {
		p->kind = MIME_LEAF;
		p->flags |= MIME_FLAG_NO_BOUNDARY;
		return;
	}
	parts = ds[n - 1].close ? n - 1 : n;
	if (parts > room) {
		p->kind = MIME_LEAF;
		p->flags |= MIME_FLAG_PARTS_LIMIT;
		return;
	}
	if (!ds[n - 1].close)
		p->flags |= MIME_FLAG_NO_END;
	/* all children are counted before any is parsed, so the parts of
	 * the first cannot take the room of its siblings */
	tail = &p->children;
	for (size_t i = 0; i < parts; i++) {
		*tail = new_part(c, p);
		tail = &(*tail)->next;
	}
	p->n_children = parts;
	ch = p->children;
	for (size_t i = 0; i < parts; i++, ch = ch->next) {
		size_t cend = i + 1 < n ? ds[i + 1].before : end;

		if (cend < ds[i].after)
			cend = ds[i].after;
		parse_entity(c, ch, ds[i].after, cend, digest);
	}
}

static bool
encoding_is_identity(const char *enc)
{
	return enc == NULL || str_eq_ci(enc, "7bit") ||
	    str_eq_ci(enc, "8bit") || str_eq_ci(enc, "binary");
}

static void
parse_container(struct ctx *c, struct mime_part *p)
{
	if (strcmp(p->type, "multipart") == 0)
		p->kind = MIME_MULTIPART;
	else if (strcmp(p->type, "message") == 0 &&
	    strcmp(p->subtype, "rfc822") == 0 &&
	    encoding_is_identity(p->encoding))
		p->kind = MIME_MESSAGE;
	else
		return;
	if (p->depth + 1 > c->lim->depth_max) {
		p->kind = MIME_LEAF;
		p->flags |= MIME_FLAG_DEPTH_LIMIT;
		return;
	}
	if (p->kind == MIME_MULTIPART) {
		parse_multipart(c, p);
	} else if (c->msg->n_parts >= c->lim->parts_max) {
		p->kind = MIME_LEAF;
		p->flags |= MIME_FLAG_PARTS_LIMIT;
	} else {
		p->children = new_part(c, p);
		p->n_children = 1;
		parse_entity(c, p->children, p->body_off,
		    p->body_off + p->body_size, false);
	}
}

/* Fill the new part p from the entity (header, body) in [start, end). */
static void
parse_entity(struct ctx *c, struct mime_part *p, size_t start, size_t end,
    bool digest_child)
{
	const char *err;

	p->hdr_off = start;
	if (msg_header_parse(c->data + start, end - start, c->lim, c->pool,
	    &p->hdrs, &err) == -1)
		p->flags |= MIME_FLAG_HEADER_LIMIT;
	if (!p->hdrs.has_blank_line)
		p->flags |= MIME_FLAG_NO_HEADER_END;
	for (size_t i = 0; i < p->hdrs.count; i++) {
		struct msg_header_field *f = &p->hdrs.fields[i];

		f->off += start;
		f->value_off += start;
		f->end += start;
	}
	p->hdr_size = p->hdrs.size;
	p->body_off = start + p->hdr_size;
	p->body_size = end - p->body_off;
	p->body_lines = count_lines(c->data + p->body_off, p->body_size);
	read_fields(c, p, digest_child);
	parse_container(c, p);
	c->msg->flags |= p->flags;
}

struct mime_message *
mime_parse(struct pool *pool, const uint8_t *data, size_t len,
    const struct msg_limits *lim)
{
	struct ctx c = { .pool = pool, .data = data, .len = len, .lim = lim };

	c.msg = pool_alloc(pool, sizeof(*c.msg));
	c.msg->data = data;
	c.msg->len = len;
	c.msg->root = new_part(&c, NULL);
	parse_entity(&c, c.msg->root, 0, len, false);
	return c.msg;
}

struct mime_part *
mime_part_next(const struct mime_part *root, const struct mime_part *p)
{
	if (p->children != NULL)
		return p->children;
	while (p != root && p != NULL) {
		if (p->next != NULL)
			return p->next;
		p = p->parent;
	}
	return NULL;
}

const char *
mime_part_charset(const struct mime_part *p)
{
	const char *cs = mime_param_get(&p->params, "charset");

	return cs != NULL && *cs != '\0' ? cs : "us-ascii";
}
