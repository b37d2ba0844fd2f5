/*
 * accessd/imapd_fetch.c - FETCH and UID FETCH (RFC 3501 6.4.5, 7.4.2):
 * FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODYSTRUCTURE, BODY, UID,
 * RFC822, RFC822.HEADER, RFC822.TEXT and BODY[section]<partial> with
 * BODY.PEEK; the macros ALL, FAST and FULL. A non-peek body fetch sets
 * \Seen (unless the folder is read-only) and reports the new FLAGS.
 *
 * Runs in accessd's IMAP session processes. Message bytes come from the
 * store (untrusted: lib/mime parses them within its limits); ENVELOPE and
 * BODYSTRUCTURE come from the index cache, computed on first use.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mime.h"
#include "lib/mime_imap.h"
#include "lib/msg_header.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "accessd/imapd.h"
#include "accessd/store_mime.h"
#include "lib/banned.h"

enum item_kind {
	IT_FLAGS, IT_INTERNALDATE, IT_SIZE, IT_ENVELOPE, IT_BODYSTRUCTURE,
	IT_BODY, IT_UID, IT_SECTION,
};

/* Header field names of one HEADER.FIELDS (.NOT) list */
#define FETCH_FIELDS_MAX 256

struct item {
	enum item_kind kind;
	const char *label;	/* the name in the reply, e.g. "RFC822.TEXT",
				 * "BODY[1.MIME]" */
	bool peek;		/* does not set \Seen */
	char *spec;		/* section spec without field list */
	const char **fields;
	size_t n_fields;
	bool partial;
	uint64_t origin, count;
};

struct fetch {
	struct item *items;
	size_t n;
	bool need_body;		/* message bytes needed */
	bool need_whole;	/* more than its top-level header */
	bool sets_seen;
};

static struct item *
add_item(struct fetch *fx, struct pool *pool, enum item_kind kind,
    const char *label)
{
	struct item *v = pool_alloc(pool, (fx->n + 1) * sizeof(*v));

	if (fx->n > 0)
		memcpy(v, fx->items, fx->n * sizeof(*v));
	fx->items = v;
	v[fx->n].kind = kind;
	v[fx->n].label = label;
	return &v[fx->n++];
}

/* "(A B "C")" after HEADER.FIELDS: names into it. 0 or -1. */
static int
parse_fields(struct pool *pool, const char *s, struct item *it)
{
	size_t len = strlen(s), i = 1;

	if (len < 2 || s[0] != '(' || s[len - 1] != ')')
		return -1;
	it->fields = pool_alloc(pool, FETCH_FIELDS_MAX * sizeof(char *));
	while (i < len - 1) {
		size_t start = i;
		char *name;

		if (it->n_fields == FETCH_FIELDS_MAX)
			return -1;
		if (s[i] == '"') {
			start = ++i;
			while (i < len - 1 && s[i] != '"' && s[i] != '\\')
				i++;
			if (s[i] != '"')
				return -1;
			name = pool_strndup(pool, s + start, i - start);
			i++;
		} else {
			while (i < len - 1 && s[i] != ' ' && s[i] != '(' &&
			    s[i] != ')' && s[i] != '"')
				i++;
			name = pool_strndup(pool, s + start, i - start);
		}
		if (name[0] == '\0' && s[start - 1] != '"')
			return -1;
		it->fields[it->n_fields++] = name;
		if (i < len - 1) {
			if (s[i] != ' ' || i + 1 == len - 1)
				return -1;
			i++;
		}
	}
	return it->n_fields > 0 ? 0 : -1;
}

/* BODY[...]<o.c> or BODY.PEEK[...]<o.c> */
static int
parse_section(struct fetch *fx, struct pool *pool, const char *s)
{
	const char *lb = strchr(s, '['), *rb = strrchr(s, ']');
	size_t plen = (size_t)(lb - s);
	struct item *it;
	char *inner, *sp;
	bool peek;

	if (lb == NULL || rb == NULL || rb < lb)
		return -1;
	if (plen == 4 && strncasecmp(s, "BODY", 4) == 0)
		peek = false;
	else if (plen == 9 && strncasecmp(s, "BODY.PEEK", 9) == 0)
		peek = true;
	else
		return -1;
	inner = pool_strndup(pool, lb + 1, (size_t)(rb - lb - 1));
	it = add_item(fx, pool, IT_SECTION, NULL);
	it->peek = peek;
	sp = strchr(inner, ' ');
	if (sp != NULL) {
		*sp = '\0';
		if (parse_fields(pool, sp + 1, it) == -1)
			return -1;
		if (!str_eq_ci(inner + (strlen(inner) >= 13 ?
		    strlen(inner) - 13 : 0), "HEADER.FIELDS") &&
		    !str_eq_ci(inner + (strlen(inner) >= 17 ?
		    strlen(inner) - 17 : 0), "HEADER.FIELDS.NOT"))
			return -1;
	} else if (strlen(inner) >= 13 && (str_eq_ci(inner + strlen(inner) -
	    13, "HEADER.FIELDS") || (strlen(inner) >= 17 &&
	    str_eq_ci(inner + strlen(inner) - 17, "HEADER.FIELDS.NOT")))) {
		return -1;	/* the field list is required */
	}
	for (char *q = inner; *q != '\0'; q++)
		if (*q >= 'a' && *q <= 'z')
			*q = (char)(*q - 'a' + 'A');
	it->spec = inner;
	rb++;
	if (*rb == '<') {
		const char *dot = strchr(rb, '.'), *gt = strchr(rb, '>');

		if (dot == NULL || gt == NULL || gt < dot || gt[1] != '\0' ||
		    parse_u64(rb + 1, (size_t)(dot - rb - 1), UINT32_MAX,
		    &it->origin) == -1 || parse_u64(dot + 1,
		    (size_t)(gt - dot - 1), UINT32_MAX, &it->count) == -1 ||
		    it->count == 0)
			return -1;
		it->partial = true;
	} else if (*rb != '\0') {
		return -1;
	}
	{
		/* the reply names the section as asked, without PEEK and
		 * with only the origin of a partial fetch */
		struct buf *b = buf_new(64, 64 * 1024);

		buf_printf(b, "BODY[%s", inner);
		for (size_t i = 0; i < it->n_fields; i++) {
			buf_append_str(b, i == 0 ? " (" : " ");
			mime_imap_string(b, it->fields[i],
			    strlen(it->fields[i]));
		}
		buf_printf(b, "%s]", it->n_fields ? ")" : "");
		if (it->partial)
			buf_printf(b, "<%llu>", (unsigned long long)it->origin);
		it->label = pool_strdup(pool, buf_cstr(b));
		buf_free(&b);
	}
	fx->need_body = true;
	/* HEADER, HEADER.FIELDS (.NOT) of the message need only its header */
	if (strcmp(inner, "HEADER") != 0 && strcmp(inner, "HEADER.FIELDS") != 0
	    && strcmp(inner, "HEADER.FIELDS.NOT") != 0)
		fx->need_whole = true;
	fx->sets_seen |= !peek;
	return 0;
}

static int
parse_item(struct fetch *fx, struct pool *pool, const struct imap_arg *a)
{
	const char *s = a->s;

	if (a->kind != IMAP_ARG_ATOM)
		return -1;
	if (strchr(s, '[') != NULL)
		return parse_section(fx, pool, s);
	if (str_eq_ci(s, "FLAGS"))
		add_item(fx, pool, IT_FLAGS, "FLAGS");
	else if (str_eq_ci(s, "INTERNALDATE"))
		add_item(fx, pool, IT_INTERNALDATE, "INTERNALDATE");
	else if (str_eq_ci(s, "RFC822.SIZE"))
		add_item(fx, pool, IT_SIZE, "RFC822.SIZE");
	else if (str_eq_ci(s, "ENVELOPE"))
		add_item(fx, pool, IT_ENVELOPE, "ENVELOPE");
	else if (str_eq_ci(s, "BODYSTRUCTURE"))
		add_item(fx, pool, IT_BODYSTRUCTURE, "BODYSTRUCTURE");
	else if (str_eq_ci(s, "BODY")) {
		add_item(fx, pool, IT_BODY, "BODY");
		fx->need_body = fx->need_whole = true;
	} else if (str_eq_ci(s, "UID"))
		add_item(fx, pool, IT_UID, "UID");
	else if (str_eq_ci(s, "RFC822") || str_eq_ci(s, "RFC822.HEADER") ||
	    str_eq_ci(s, "RFC822.TEXT")) {
		struct item *it;
		bool hdr = str_eq_ci(s, "RFC822.HEADER");
		bool text = str_eq_ci(s, "RFC822.TEXT");

		it = add_item(fx, pool, IT_SECTION, hdr ? "RFC822.HEADER" :
		    text ? "RFC822.TEXT" : "RFC822");
		it->spec = hdr ? "HEADER" : text ? "TEXT" : "";
		it->peek = hdr;
		fx->need_body = true;
		fx->need_whole |= !hdr;
		fx->sets_seen |= !hdr;
	} else
		return -1;
	return 0;
}

static int
parse_items(struct fetch *fx, struct pool *pool, const struct imap_arg *a)
{
	if (a->kind == IMAP_ARG_LIST) {
		if (a->n == 0)
			return -1;
		for (size_t i = 0; i < a->n; i++)
			if (parse_item(fx, pool, &a->list[i]) == -1)
				return -1;
		return 0;
	}
	if (imap_arg_is_atom(a, "ALL") || imap_arg_is_atom(a, "FAST") ||
	    imap_arg_is_atom(a, "FULL")) {
		add_item(fx, pool, IT_FLAGS, "FLAGS");
		add_item(fx, pool, IT_INTERNALDATE, "INTERNALDATE");
		add_item(fx, pool, IT_SIZE, "RFC822.SIZE");
		if (!imap_arg_is_atom(a, "FAST"))
			add_item(fx, pool, IT_ENVELOPE, "ENVELOPE");
		if (imap_arg_is_atom(a, "FULL")) {
			add_item(fx, pool, IT_BODY, "BODY");
			fx->need_body = fx->need_whole = true;
		}
		return 0;
	}
	return parse_item(fx, pool, a);
}

/* The bytes of section it of message m into out. */
static void
section_bytes(struct imapd *d, const struct mime_message *msg,
    const struct item *it, struct buf *out)
{
	struct mime_section sec;
	const char *err = NULL;
	size_t off, len;

	buf_reset(out);
	if (mime_section_find(msg, it->spec, strlen(it->spec), &sec,
	    &err) == -1)
		return;	/* a missing part is empty (RFC 3501 6.4.5) */
	if (sec.kind == MIME_SECTION_HEADER_FIELDS ||
	    sec.kind == MIME_SECTION_HEADER_FIELDS_NOT) {
		msg_header_filter(msg->data, &sec.part->hdrs, it->fields,
		    it->n_fields, sec.kind == MIME_SECTION_HEADER_FIELDS_NOT,
		    out);
	} else {
		buf_append(out, msg->data + sec.off, sec.len);
	}
	if (it->partial) {
		off = it->origin < out->len ? (size_t)it->origin : out->len;
		len = out->len - off;
		if (it->count < len)
			len = (size_t)it->count;
		memmove(out->data, out->data + off, len);
		buf_truncate(out, len);
	}
	(void)d;
}

static void
append_date(struct buf *b, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[64];

	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "\"%d-%b-%Y %H:%M:%S +0000\"", &tm);
	buf_append_str(b, s);
}

/* One message's FETCH reply; false if it is gone. */
static bool
fetch_one(struct imapd *d, const struct fetch *fx, uint32_t msn,
    uint32_t uid, bool uid_cmd, struct buf *out, struct buf *body,
    struct buf *tmp)
{
	const char *env = NULL, *bs = NULL;
	struct mime_message *msg = NULL;
	struct pool *mp = NULL;
	const struct store_msg *m;
	bool flags_done = false, seen_now = false;
	size_t k = 0;

	if (store_folder_find(d->f, uid, NULL) == NULL)
		return false;
	if (fx->sets_seen && !d->readonly &&
	    !(store_folder_find(d->f, uid, NULL)->flags & STORE_FLAG_SEEN)) {
		struct store_range r = { uid, uid };

		buf_reset(d->err);
		if (store_set_flags(d->f, &r, 1, STORE_FLAGS_ADD,
		    STORE_FLAG_SEEN, NULL, 0, NULL, NULL, d->err) == STORE_OK) {
			seen_now = true;
			/* this reply carries the new flags */
			imapd_forget_flag_change(d, uid);
		}
	}
	for (size_t i = 0; i < fx->n; i++) {
		if (fx->items[i].kind == IT_ENVELOPE ||
		    fx->items[i].kind == IT_BODYSTRUCTURE) {
			buf_reset(d->err);
			if (store_msg_cache(d->f, uid, store_mime_cache, NULL,
			    &env, &bs, d->err) != STORE_OK)
				return false;
			break;
		}
	}
	if (fx->need_body) {
		buf_reset(body);
		buf_reset(d->err);
		if ((fx->need_whole ? store_msg_read(d->f, uid, body, d->err) :
		    store_msg_read_head(d->f, uid, body, d->err)) != STORE_OK)
			return false;
		mp = pool_new_child(d->cmd_pool, "msg");
		{
			struct msg_limits lim;

			msg_limits_defaults(&lim);
			msg = mime_parse(mp, body->data, body->len, &lim);
		}
	}
	/* cache and read calls may sync the view: look m up again */
	if ((m = store_folder_find(d->f, uid, NULL)) == NULL) {
		pool_free(&mp);
		return false;
	}
	buf_reset(out);
	buf_printf(out, "* %u FETCH (", (unsigned)msn);
	if (uid_cmd) {
		buf_printf(out, "UID %u", (unsigned)uid);
		k++;
	}
	for (size_t i = 0; i < fx->n; i++) {
		const struct item *it = &fx->items[i];

		if (it->kind == IT_UID && uid_cmd)
			continue;
		if (it->kind == IT_FLAGS && flags_done)
			continue;
		if (k++ > 0)
			buf_append_byte(out, ' ');
		buf_printf(out, "%s ", it->label);
		switch (it->kind) {
		case IT_FLAGS:
			imapd_flags_write(out, m->flags, m->keywords,
			    imapd_is_recent(d, uid));
			flags_done = true;
			break;
		case IT_INTERNALDATE:
			append_date(out, m->internal_date);
			break;
		case IT_SIZE:
			buf_printf(out, "%llu", (unsigned long long)m->size);
			break;
		case IT_ENVELOPE:
			buf_append_str(out, env != NULL ? env : "NIL");
			break;
		case IT_BODYSTRUCTURE:
			buf_append_str(out, bs != NULL ? bs : "NIL");
			break;
		case IT_BODY:
			buf_reset(tmp);
			mime_imap_bodystructure(msg, msg->root, false, mp,
			    tmp);
			buf_append(out, tmp->data, tmp->len);
			break;
		case IT_UID:
			buf_printf(out, "%u", (unsigned)uid);
			break;
		case IT_SECTION:
			section_bytes(d, msg, it, tmp);
			buf_printf(out, "{%zu}\r\n", tmp->len);
			buf_append(out, tmp->data, tmp->len);
			break;
		}
	}
	if (seen_now && !flags_done) {
		buf_append_str(out, k > 0 ? " FLAGS " : "FLAGS ");
		imapd_flags_write(out, m->flags, m->keywords,
		    imapd_is_recent(d, uid));
	}
	buf_append_str(out, ")\r\n");
	imapd_write(d, out->data, out->len);
	pool_free(&mp);
	return true;
}

void
imapd_cmd_fetch(struct imapd *d, struct imap_cmd *c)
{
	struct fetch fx = { 0 };
	struct store_range *set;
	struct buf *out, *body, *tmp;
	size_t n, gone = 0;
	size_t big = (size_t)d->ctx->store_limits.message_size_max;

	if (c->n_args != 2) {
		imapd_tagged(d, c->tag, "BAD", "FETCH sequence-set items");
		return;
	}
	if (parse_items(&fx, d->cmd_pool, &c->args[1]) == -1) {
		imapd_tagged(d, c->tag, "BAD", "Bad fetch item");
		return;
	}
	if ((set = imapd_seqset_uids(d, c->tag, &c->args[0], c->uid, &n)) ==
	    NULL)
		return;
	out = buf_new(4096, big * 2 + 1024 * 1024);
	body = buf_new(4096, big + 1);
	tmp = buf_new(4096, big + 1024 * 1024);
	for (size_t i = 0; i < d->n && !d->quit; i++) {
		uint32_t uid = d->uids[i];
		bool in = false;

		for (size_t r = 0; r < n && !in; r++)
			in = uid >= set[r].lo && uid <= set[r].hi;
		if (!in)
			continue;
		if (!fetch_one(d, &fx, (uint32_t)i + 1, uid, c->uid, out, body,
		    tmp))
			gone++;
	}
	buf_free(&out);
	buf_free(&body);
	buf_free(&tmp);
	if (gone > 0 && !c->uid) {
		imapd_announce(d, false);
		imapd_tagged(d, c->tag, "NO", "[EXPUNGEISSUED] Some messages "
		    "were expunged");
		return;
	}
	imapd_done(d, c, "%sFETCH completed", c->uid ? "UID " : "");
}
