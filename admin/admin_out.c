/*
 * admin/admin_out.c - text and JSON output of the tessera command.
 *
 * Runs in the tessera command. Values come from the directory and are
 * escaped for JSON (server_json_str) or quoted in text; nothing is
 * written until admin_out_flush.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/server.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "admin/admin_out.h"
#include "lib/banned.h"

struct level {
	bool list;
	bool line;		/* text: an object on one line */
	size_t count;		/* fields or items so far */
	char prefix[128];	/* text: "key." of nested objects */
	char indent[16];
};

struct admin_out {
	bool json;
	struct buf *b;
	struct level lv[ADMIN_OUT_DEPTH_MAX];
	size_t depth;		/* levels open */
};

struct admin_out *
admin_out_new(bool json)
{
	struct admin_out *o = xcalloc(1, sizeof(*o));

	o->json = json;
	o->b = buf_new(4096, ADMIN_OUT_MAX);
	return o;
}

void
admin_out_free(struct admin_out **op)
{
	if (*op == NULL)
		return;
	buf_free(&(*op)->b);
	free(*op);
	*op = NULL;
}

/* Output past ADMIN_OUT_MAX: said on stderr (not the log, which may be
 * syslog), exit 70. */
static void
overflow(void)
{
	fprintf(stderr, "tessera: output larger than %u bytes\n",
	    ADMIN_OUT_MAX);
	exit(70);
}

static void
put(struct admin_out *o, const char *s)
{
	if (buf_append_str(o->b, s) == -1)
		overflow();
}

static void
putf(struct admin_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
putf(struct admin_out *o, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(o->b, fmt, ap);
	va_end(ap);
	if (rc == -1)
		overflow();
}

static void
json_str(struct admin_out *o, const char *s)
{
	if (server_json_str(o->b, s) == -1)
		overflow();
}

static struct level *
top(struct admin_out *o)
{
	return o->depth > 0 ? &o->lv[o->depth - 1] : NULL;
}

/* JSON: the comma and key before a value. */
static void
json_key(struct admin_out *o, const char *key)
{
	struct level *l = top(o);

	if (l != NULL && l->count > 0)
		put(o, ",");
	if (l != NULL)
		l->count++;
	if (key != NULL && (l == NULL || !l->list)) {
		json_str(o, key);
		put(o, ":");
	}
}

/* Text: a value, quoted when it would not read as one word. */
static void
text_word(struct admin_out *o, const char *v)
{
	if (*v != '\0' && strpbrk(v, " \t\r\n\"\\") == NULL) {
		put(o, v);
		return;
	}
	put(o, "\"");
	for (const char *p = v; *p != '\0'; p++) {
		char c[3] = { '\\', *p, '\0' };

		if (*p == '\n' || *p == '\r')
			c[1] = *p == '\n' ? 'n' : 'r';
		put(o, (*p == '"' || *p == '\\' || *p == '\n' || *p == '\r') ?
		    c : c + 1);
	}
	put(o, "\"");
}

/* Text: start a field "key" of the current object. */
static void
text_field(struct admin_out *o, const char *key, const char *v)
{
	struct level *l = top(o);

	if (l != NULL && l->line) {
		if (l->count++ == 0 && l->prefix[0] == '\0') {
			put(o, l->indent);
			text_word(o, v);
			return;
		}
		putf(o, " %s%s=", l->prefix, key);
		text_word(o, v);
		return;
	}
	putf(o, "%s%s%s: %s\n", l != NULL ? l->indent : "",
	    l != NULL ? l->prefix : "", key, v);
}

static void
push(struct admin_out *o, bool list, const char *key)
{
	struct level *parent = top(o);
	struct level *l;

	if (o->depth == ADMIN_OUT_DEPTH_MAX)
		log_panic("admin_out: nesting deeper than %d",
		    ADMIN_OUT_DEPTH_MAX);
	l = &o->lv[o->depth++];
	memset(l, 0, sizeof(*l));
	l->list = list;
	if (parent == NULL)
		return;
	str_copy(l->indent, sizeof(l->indent), parent->indent);
	if (list) {
		/* a list inside a shown object: its items indented */
		if (!parent->line)
			str_printf(l->indent, sizeof(l->indent), "%s  ",
			    parent->indent);
		str_copy(l->prefix, sizeof(l->prefix), parent->prefix);
	} else if (parent->list) {
		l->line = true;
	} else {
		l->line = parent->line;
		l->count = parent->line ? parent->count : 0;
		str_printf(l->prefix, sizeof(l->prefix), "%s%s.",
		    parent->prefix, key != NULL ? key : "");
	}
}

void
admin_out_begin_obj(struct admin_out *o, const char *key)
{
	if (o->json) {
		json_key(o, key);
		put(o, "{");
	} else if (top(o) != NULL && top(o)->line) {
		top(o)->count++;
	}
	push(o, false, key);
}

void
admin_out_end_obj(struct admin_out *o)
{
	struct level *l = top(o);

	ASSERT(l != NULL && !l->list);
	o->depth--;
	if (o->json) {
		put(o, "}");
		return;
	}
	if (l->line && (top(o) == NULL || top(o)->list))
		put(o, "\n");
}

void
admin_out_begin_list(struct admin_out *o, const char *key)
{
	if (o->json) {
		json_key(o, key);
		put(o, "[");
	} else if (key != NULL && top(o) != NULL && !top(o)->line) {
		putf(o, "%s%s%s:\n", top(o)->indent, top(o)->prefix, key);
	}
	push(o, true, key);
}

void
admin_out_end_list(struct admin_out *o)
{
	ASSERT(top(o) != NULL && top(o)->list);
	o->depth--;
	if (o->json)
		put(o, "]");
}

void
admin_out_str(struct admin_out *o, const char *key, const char *v)
{
	if (o->json) {
		json_key(o, key);
		if (v == NULL)
			put(o, "null");
		else
			json_str(o, v);
		return;
	}
	if (v != NULL)
		text_field(o, key, v);
}

void
admin_out_u64(struct admin_out *o, const char *key, uint64_t v)
{
	char s[24];

	if (o->json) {
		json_key(o, key);
		putf(o, "%llu", (unsigned long long)v);
		return;
	}
	str_printf(s, sizeof(s), "%llu", (unsigned long long)v);
	text_field(o, key, s);
}

void
admin_out_bool(struct admin_out *o, const char *key, bool v)
{
	if (o->json) {
		json_key(o, key);
		put(o, v ? "true" : "false");
		return;
	}
	text_field(o, key, v ? "yes" : "no");
}

void
admin_out_strs(struct admin_out *o, const char *key, char *const *v,
    size_t n)
{
	struct level *l = top(o);

	if (o->json) {
		json_key(o, key);
		put(o, "[");
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				put(o, ",");
			json_str(o, v[i]);
		}
		put(o, "]");
		return;
	}
	if (l != NULL && l->line) {
		struct buf *j = buf_new(64, ADMIN_OUT_MAX);

		for (size_t i = 0; i < n; i++)
			buf_printf(j, "%s%s", i > 0 ? "," : "", v[i]);
		if (n > 0)
			text_field(o, key, buf_cstr(j));
		buf_free(&j);
		return;
	}
	for (size_t i = 0; i < n; i++)
		text_field(o, key, v[i]);
}

void
admin_out_note(struct admin_out *o, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (o->json)
		return;
	va_start(ap, fmt);
	rc = buf_vprintf(o->b, fmt, ap);
	va_end(ap);
	if (rc == -1)
		overflow();
	put(o, "\n");
}

int
admin_out_flush(struct admin_out *o)
{
	size_t off = 0;

	if (o->json && o->b->len > 0)
		put(o, "\n");
	while (off < o->b->len) {
		ssize_t w = write(STDOUT_FILENO, o->b->data + off,
		    o->b->len - off);

		if (w < 0)
			return -1;
		off += (size_t)w;
	}
	buf_reset(o->b);
	return 0;
}

const char *
admin_out_text(const struct admin_out *o)
{
	return buf_cstr(o->b);
}
