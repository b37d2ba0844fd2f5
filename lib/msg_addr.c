/*
 * lib/msg_addr.c - RFC 5322 address list parser.
 *
 * The header is first cut into tokens (atoms, quoted strings, domain
 * literals, specials; comments are set aside), then read by a small
 * recursive-descent parser that never fails as a whole: an unreadable
 * address is skipped to the next comma. Input is hostile; the token
 * array is bounded by the input length.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/msg_addr.h"
#include "lib/pool.h"
#include "lib/banned.h"

#define ADDR_TEXT_MAX (1024 * 1024)

enum tok_type { TOK_ATOM, TOK_QSTR, TOK_DLIT, TOK_SPECIAL };

struct tok {
	enum tok_type type;
	char special;		/* for TOK_SPECIAL */
	bool space_before;	/* white space or a comment precedes it */
	char *text;		/* atom, quoted content (unescaped), literal */
	char *comment;		/* the last comment right after it, or NULL */
};

struct lexer {
	struct pool *pool;
	const char *s;
	size_t len, i;
	struct tok *toks;
	size_t n;
	char *lead_comment;	/* a comment before any token */
};

struct parser {
	struct pool *pool;
	struct tok *t;
	size_t n, i;
	struct msg_addr *head, **tail;
	size_t count, max;
};

static bool
is_special(char c)
{
	return strchr("()<>[]:;@\\,.\"", c) != NULL;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

/* Comment starting at '(' (nested, with quoted pairs). */
static char *
lex_comment(struct lexer *lx)
{
	struct buf *b = buf_new(32, ADDR_TEXT_MAX);
	int depth = 0;
	char *out;

	for (; lx->i < lx->len; lx->i++) {
		char c = lx->s[lx->i];

		if (c == '\\' && lx->i + 1 < lx->len) {
			buf_append_byte(b, (uint8_t)lx->s[++lx->i]);
			continue;
		}
		if (c == '(' && depth++ == 0)
			continue;
		if (c == ')' && --depth == 0) {
			lx->i++;
			break;
		}
		buf_append_byte(b, is_space(c) ? ' ' : (uint8_t)c);
	}
	out = pool_strdup(lx->pool, buf_cstr(b));
	buf_free(&b);
	return out;
}

/* Quoted string or domain literal starting at its opening character. */
static char *
lex_quoted(struct lexer *lx, char close, bool keep_delims)
{
	struct buf *b = buf_new(32, ADDR_TEXT_MAX);
	char *out;

	if (keep_delims)
		buf_append_byte(b, (uint8_t)lx->s[lx->i]);
	for (lx->i++; lx->i < lx->len; lx->i++) {
		char c = lx->s[lx->i];

		if (c == '\\' && lx->i + 1 < lx->len) {
			buf_append_byte(b, (uint8_t)lx->s[++lx->i]);
			continue;
		}
		if (c == close) {
			lx->i++;
			break;
		}
		if (c == '\r' || c == '\n')
			continue;
		buf_append_byte(b, c == '\0' ? ' ' : (uint8_t)c);
	}
	if (keep_delims)
		buf_append_byte(b, (uint8_t)close);
	out = pool_strdup(lx->pool, buf_cstr(b));
	buf_free(&b);
	return out;
}

static void
lex(struct lexer *lx)
{
	bool space = false;

	lx->toks = pool_alloc(lx->pool, (lx->len + 1) * sizeof(*lx->toks));
	while (lx->i < lx->len) {
		char c = lx->s[lx->i];
		struct tok *t;

		if (is_space(c)) {
			space = true;
			lx->i++;
			continue;
		}
		if (c == '(') {
			char *cm = lex_comment(lx);

			if (lx->n > 0)
				lx->toks[lx->n - 1].comment = cm;
			else
				lx->lead_comment = cm;
			space = true;
			continue;
		}
		t = &lx->toks[lx->n++];
		t->space_before = space;
		space = false;
		if (c == '"') {
			t->type = TOK_QSTR;
			t->text = lex_quoted(lx, '"', false);
		} else if (c == '[') {
			t->type = TOK_DLIT;
			t->text = lex_quoted(lx, ']', true);
		} else if (is_special(c) && c != '\\') {
			t->type = TOK_SPECIAL;
			t->special = c;
			lx->i++;
		} else {
			size_t st = lx->i;

			while (lx->i < lx->len && !is_space(lx->s[lx->i]) &&
			    (!is_special(lx->s[lx->i]) || lx->s[lx->i] == '\\'))
				lx->i++;
			t->type = TOK_ATOM;
			t->text = pool_strndup(lx->pool, lx->s + st, lx->i - st);
		}
	}
}

static bool
at_special(const struct parser *ps, char c)
{
	return ps->i < ps->n && ps->t[ps->i].type == TOK_SPECIAL &&
	    ps->t[ps->i].special == c;
}

static bool
at_word(const struct parser *ps)
{
	return ps->i < ps->n && (ps->t[ps->i].type == TOK_ATOM ||
	    ps->t[ps->i].type == TOK_QSTR);
}

static struct msg_addr *
emit(struct parser *ps, enum msg_addr_kind kind)
{
	struct msg_addr *a;

	if (ps->count >= ps->max)
		return NULL;
	a = pool_alloc(ps->pool, sizeof(*a));
	a->kind = kind;
	*ps->tail = a;
	ps->tail = &a->next;
	ps->count++;
	return a;
}

/* phrase = words and (obs-phrase) dots, joined by single spaces. */
static char *
parse_phrase(struct parser *ps, char **comment_out)
{
	struct buf *b = buf_new(32, ADDR_TEXT_MAX);
	char *out = NULL;

	while (at_word(ps) || at_special(ps, '.')) {
		struct tok *t = &ps->t[ps->i++];

		if (b->len > 0 && t->space_before)
			buf_append_byte(b, ' ');
		buf_append_str(b, t->type == TOK_SPECIAL ? "." : t->text);
		if (t->comment != NULL)
			*comment_out = t->comment;
	}
	if (b->len > 0)
		out = pool_strdup(ps->pool, buf_cstr(b));
	buf_free(&b);
	return out;
}

static bool
needs_quotes(const char *s)
{
	if (*s == '\0')
		return true;
	for (; *s != '\0'; s++)
		if (is_space(*s) || (is_special(*s) && *s != '.'))
			return true;
	return false;
}

/* local-part (dot-atom, quoted string, obs-local-part). */
static char *
parse_local(struct parser *ps, char **comment_out)
{
	struct buf *b = buf_new(32, ADDR_TEXT_MAX);
	char *out;

	bool last_word = false;

	/* words only joined by dots: "a b@c" is not a local part */
	while ((at_word(ps) && !last_word) || at_special(ps, '.')) {
		struct tok *t = &ps->t[ps->i++];

		last_word = t->type != TOK_SPECIAL;
		if (t->type == TOK_SPECIAL) {
			buf_append_byte(b, '.');
		} else if (t->type == TOK_QSTR && needs_quotes(t->text)) {
			buf_append_byte(b, '"');
			for (const char *c = t->text; *c != '\0'; c++) {
				if (*c == '"' || *c == '\\')
					buf_append_byte(b, '\\');
				buf_append_byte(b, (uint8_t)*c);
			}
			buf_append_byte(b, '"');
		} else {
			buf_append_str(b, t->text);
		}
		if (t->comment != NULL)
			*comment_out = t->comment;
	}
	out = pool_strdup(ps->pool, buf_cstr(b));
	buf_free(&b);
	return out;
}

static char *
parse_domain(struct parser *ps, char **comment_out)
{
	struct buf *b = buf_new(32, ADDR_TEXT_MAX);
	char *out;

	bool last_word = false;

	while (ps->i < ps->n && (((ps->t[ps->i].type == TOK_ATOM ||
	    ps->t[ps->i].type == TOK_DLIT) && !last_word) ||
	    at_special(ps, '.'))) {
		struct tok *t = &ps->t[ps->i++];

		last_word = t->type != TOK_SPECIAL;
		buf_append_str(b, t->type == TOK_SPECIAL ? "." : t->text);
		if (t->comment != NULL)
			*comment_out = t->comment;
	}
	out = pool_strdup(ps->pool, buf_cstr(b));
	buf_free(&b);
	return out;
}

/* obs-route: "@a,@b:" inside angle brackets. */
static char *
parse_route(struct parser *ps)
{
	struct buf *b = buf_new(32, ADDR_TEXT_MAX);
	size_t save = ps->i;
	char *out = NULL, *ignore = NULL;

	while (at_special(ps, '@') || at_special(ps, ',')) {
		if (at_special(ps, ',')) {
			ps->i++;
			continue;
		}
		ps->i++;
		if (b->len > 0)
			buf_append_byte(b, ',');
		buf_append_byte(b, '@');
		buf_append_str(b, parse_domain(ps, &ignore));
	}
	if (b->len > 0 && at_special(ps, ':')) {
		ps->i++;
		out = pool_strdup(ps->pool, buf_cstr(b));
	} else {
		ps->i = save;
	}
	buf_free(&b);
	return out;
}

/* addr-spec after the local part has been read. */
static void
finish_spec(struct parser *ps, struct msg_addr *a, char **comment)
{
	if (at_special(ps, '@')) {
		ps->i++;
		a->host = parse_domain(ps, comment);
	} else {
		a->host = pool_strdup(ps->pool, "");
	}
}

/* Skip to the next address separator; returns false at the end. */
static void
skip_to(struct parser *ps, const char *stops)
{
	while (ps->i < ps->n && !(ps->t[ps->i].type == TOK_SPECIAL &&
	    strchr(stops, ps->t[ps->i].special) != NULL))
		ps->i++;
}

/* One mailbox: name-addr or addr-spec. Returns false if unreadable. */
static bool
parse_mailbox(struct parser *ps, bool in_group)
{
	char *comment = NULL, *phrase;
	size_t start = ps->i;
	struct msg_addr *a;

	phrase = parse_phrase(ps, &comment);
	if (at_special(ps, '<')) {
		ps->i++;
		a = emit(ps, MSG_ADDR_MAILBOX);
		if (a == NULL)
			return true;
		a->name = phrase;
		a->route = parse_route(ps);
		a->mailbox = parse_local(ps, &comment);
		finish_spec(ps, a, &comment);
		skip_to(ps, in_group ? ">,;" : ">,");
		if (at_special(ps, '>'))
			ps->i++;
		/* a comment after the address names it when nothing else does */
		if (ps->i > 0 && ps->t[ps->i - 1].comment != NULL)
			comment = ps->t[ps->i - 1].comment;
		if (a->name == NULL && comment != NULL && *comment != '\0')
			a->name = comment;
		return true;
	}
	/* not a name-addr: re-read the words as a local part */
	ps->i = start;
	comment = NULL;
	if (!at_word(ps) && !at_special(ps, '.'))
		return false;
	a = emit(ps, MSG_ADDR_MAILBOX);
	if (a == NULL)
		return true;
	a->mailbox = parse_local(ps, &comment);
	finish_spec(ps, a, &comment);
	if (comment != NULL && *comment != '\0')
		a->name = comment;
	return true;
}

static void
parse_group_members(struct parser *ps)
{
	while (ps->i < ps->n && !at_special(ps, ';')) {
		if (at_special(ps, ',')) {
			ps->i++;
			continue;
		}
		if (!parse_mailbox(ps, true) || !(at_special(ps, ',') ||
		    at_special(ps, ';') || ps->i >= ps->n))
			skip_to(ps, ",;");
	}
	if (at_special(ps, ';'))
		ps->i++;
}

/* Whether a ':' comes before the next '<', ',' or '@' (a group). */
static bool
group_ahead(const struct parser *ps)
{
	for (size_t j = ps->i; j < ps->n; j++) {
		if (ps->t[j].type != TOK_SPECIAL)
			continue;
		if (ps->t[j].special == ':')
			return true;
		if (strchr("<,@;", ps->t[j].special) != NULL)
			return false;
	}
	return false;
}

struct msg_addr *
msg_addr_parse(struct pool *pool, const char *s, size_t len, size_t max,
    size_t *count_out)
{
	struct lexer lx = { .pool = pool, .s = s, .len = len };
	struct parser ps = { .pool = pool, .max = max };

	lex(&lx);
	ps.t = lx.toks;
	ps.n = lx.n;
	ps.tail = &ps.head;
	while (ps.i < ps.n) {
		if (at_special(&ps, ',')) {
			ps.i++;
			continue;
		}
		if (group_ahead(&ps)) {
			char *comment = NULL, *name = parse_phrase(&ps, &comment);
			struct msg_addr *g;

			skip_to(&ps, ":");
			ps.i++;
			if (ps.count + 2 > ps.max)
				break;	/* keep start and end paired */
			g = emit(&ps, MSG_ADDR_GROUP_START);
			g->mailbox = name != NULL ? name : pool_strdup(pool, "");
			ps.max--;
			parse_group_members(&ps);
			ps.max++;
			emit(&ps, MSG_ADDR_GROUP_END);
			continue;
		}
		if (!parse_mailbox(&ps, false) || !(at_special(&ps, ',') ||
		    ps.i >= ps.n))
			skip_to(&ps, ",");
	}
	if (count_out != NULL)
		*count_out = ps.count;
	return ps.head;
}

char *
msg_addr_spec(struct pool *pool, const struct msg_addr *a)
{
	if (a->kind != MSG_ADDR_MAILBOX)
		return pool_strdup(pool, "");
	if (a->host == NULL || *a->host == '\0')
		return pool_strdup(pool, a->mailbox);
	return pool_printf(pool, "%s@%s", a->mailbox, a->host);
}
