/*
 * accessd/imap_parse.c - RFC 3501 command syntax: tag, command name,
 * atoms, quoted strings, literals ({n} and LITERAL+ {n+}), parenthesised
 * lists with a depth bound, and sequence sets.
 *
 * Pure and bounded: runs in accessd's IMAP session processes on hostile
 * bytes the session has already capped in size; every limit is the
 * caller's. An atom may carry one bracketed part with spaces and parens
 * in it (BODY[HEADER.FIELDS (To From)]<0.100>), as the FETCH grammar
 * needs; the session takes such atoms apart itself.
 */
#include "config.h"

#include <string.h>

#include "lib/pool.h"
#include "lib/str.h"
#include "accessd/imap_parse.h"
#include "lib/banned.h"

struct ps {
	const uint8_t *p;
	size_t len, pos;
	const struct imap_parse_limits *lim;
	struct pool *pool;
	size_t n_args;
	const char *err;
};

static bool
is_ctl(uint8_t c)
{
	return c < 0x20 || c == 0x7f;
}

/* Bytes that end a word (an atom, a number, a sequence set). */
static bool
ends_word(uint8_t c)
{
	return c == ' ' || c == '(' || c == ')' || c == '\r' || c == '\n';
}

static bool
at_eol(const struct ps *s)
{
	return s->pos >= s->len || s->p[s->pos] == '\r' || s->p[s->pos] == '\n';
}

static int
fail(struct ps *s, const char *err)
{
	if (s->err == NULL)
		s->err = err;
	return -1;
}

/* A word up to a separator; a '[' opens a part that runs to ']' and may
 * hold spaces, parens and quoted strings (fetch sections). */
static int
parse_word(struct ps *s, struct imap_arg *a)
{
	size_t start = s->pos;
	bool bracket = false;

	while (s->pos < s->len) {
		uint8_t c = s->p[s->pos];

		if (c == '\r' || c == '\n')
			break;
		if (is_ctl(c) || c >= 0x80)
			return fail(s, "Bad character in atom");
		if (bracket) {
			if (c == ']')
				bracket = false;
			else if (c == '[')
				return fail(s, "Nested brackets");
			s->pos++;
			continue;
		}
		if (ends_word(c))
			break;
		if (c == '"' || c == '{')
			return fail(s, "Bad character in atom");
		if (c == '[')
			bracket = true;
		s->pos++;
	}
	if (bracket)
		return fail(s, "Missing ]");
	if (s->pos == start)
		return fail(s, "Missing argument");
	a->kind = IMAP_ARG_ATOM;
	a->len = s->pos - start;
	a->s = pool_strndup(s->pool, (const char *)s->p + start, a->len);
	return 0;
}

static int
parse_quoted(struct ps *s, struct imap_arg *a)
{
	size_t start = ++s->pos, n = 0;
	char *out;

	/* first pass: find the end and the decoded length */
	for (;;) {
		uint8_t c;

		if (s->pos >= s->len)
			return fail(s, "Unterminated quoted string");
		c = s->p[s->pos];
		if (c == '"')
			break;
		if (c == '\r' || c == '\n' || c == 0)
			return fail(s, "Bad character in quoted string");
		if (c == '\\') {
			if (s->pos + 1 >= s->len || (s->p[s->pos + 1] != '"' &&
			    s->p[s->pos + 1] != '\\'))
				return fail(s, "Bad escape in quoted string");
			s->pos++;
		}
		s->pos++;
		n++;
	}
	out = pool_alloc(s->pool, n + 1);
	n = 0;
	for (size_t i = start; i < s->pos; i++) {
		if (s->p[i] == '\\')
			i++;
		out[n++] = (char)s->p[i];
	}
	s->pos++;	/* the closing quote */
	a->kind = IMAP_ARG_STRING;
	a->s = out;
	a->len = n;
	return 0;
}

static int
parse_literal(struct ps *s, struct imap_arg *a)
{
	size_t start = ++s->pos;
	uint64_t n;

	while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9')
		s->pos++;
	if (parse_u64((const char *)s->p + start, s->pos - start,
	    (uint64_t)s->len, &n) == -1)
		return fail(s, "Bad literal length");
	if (s->pos < s->len && s->p[s->pos] == '+')
		s->pos++;
	if (s->pos >= s->len || s->p[s->pos] != '}')
		return fail(s, "Bad literal");
	s->pos++;
	if (s->pos < s->len && s->p[s->pos] == '\r')
		s->pos++;
	if (s->pos >= s->len || s->p[s->pos] != '\n')
		return fail(s, "Literal must end its line");
	s->pos++;
	if (n > s->len - s->pos)
		return fail(s, "Literal shorter than announced");
	a->kind = IMAP_ARG_STRING;
	a->literal = true;
	a->len = (size_t)n;
	a->s = pool_strndup(s->pool, (const char *)s->p + s->pos, a->len);
	/* pool_strndup stops at a NUL: copy the bytes themselves */
	if (strlen(a->s) != a->len) {
		a->s = pool_alloc(s->pool, a->len + 1);
		memcpy(a->s, s->p + s->pos, a->len);
	}
	s->pos += a->len;
	return 0;
}

static int parse_args(struct ps *s, size_t depth, bool in_list,
    struct imap_arg **out, size_t *n_out);

static int
parse_one(struct ps *s, size_t depth, struct imap_arg *a)
{
	uint8_t c = s->p[s->pos];

	if (++s->n_args > s->lim->args_max)
		return fail(s, "[LIMIT] Too many arguments");
	if (c == '(') {
		if (depth + 1 > s->lim->depth_max)
			return fail(s, "[LIMIT] Too deeply nested");
		s->pos++;
		a->kind = IMAP_ARG_LIST;
		if (parse_args(s, depth + 1, true, &a->list, &a->n) == -1)
			return -1;
		if (s->pos >= s->len || s->p[s->pos] != ')')
			return fail(s, "Missing )");
		s->pos++;
		return 0;
	}
	if (c == '"')
		return parse_quoted(s, a);
	if (c == '{')
		return parse_literal(s, a);
	if (c == ')')
		return fail(s, "Unexpected )");
	return parse_word(s, a);
}

/* Arguments separated by single spaces, up to ')' (in a list) or the end
 * of the line. */
static int
parse_args(struct ps *s, size_t depth, bool in_list, struct imap_arg **out,
    size_t *n_out)
{
	struct imap_arg *v = NULL;
	size_t n = 0, cap = 0;

	for (;;) {
		if (at_eol(s) || (in_list && s->p[s->pos] == ')'))
			break;
		if (n > 0) {
			if (s->p[s->pos] != ' ')
				return fail(s, "Missing space");
			s->pos++;
			if (at_eol(s) || s->p[s->pos] == ' ' ||
			    (in_list && s->p[s->pos] == ')'))
				return fail(s, "Extra space");
		}
		if (n == cap) {
			struct imap_arg *nv;

			cap = cap == 0 ? 4 : cap * 2;
			nv = pool_alloc(s->pool, cap * sizeof(*nv));
			if (n > 0)
				memcpy(nv, v, n * sizeof(*nv));
			v = nv;
		}
		if (parse_one(s, depth, &v[n]) == -1)
			return -1;
		n++;
	}
	*out = v;
	*n_out = n;
	return 0;
}

/* The tag: ASTRING-CHARs except '+'. */
static bool
tag_char(uint8_t c)
{
	return !is_ctl(c) && c < 0x80 && c != ' ' && c != '(' && c != ')' &&
	    c != '{' && c != '"' && c != '\\' && c != '%' && c != '*' &&
	    c != '+';
}

static char *
take_name(struct ps *s)
{
	size_t start = s->pos;
	char *name;

	while (s->pos < s->len && ((s->p[s->pos] >= 'A' &&
	    s->p[s->pos] <= 'Z') || (s->p[s->pos] >= 'a' &&
	    s->p[s->pos] <= 'z') || (s->p[s->pos] >= '0' &&
	    s->p[s->pos] <= '9') || s->p[s->pos] == '-' ||
	    s->p[s->pos] == '_' || s->p[s->pos] == '.'))
		s->pos++;
	if (s->pos == start || s->pos - start > 32)
		return NULL;
	name = pool_strndup(s->pool, (const char *)s->p + start,
	    s->pos - start);
	for (char *q = name; *q != '\0'; q++)
		if (*q >= 'a' && *q <= 'z')
			*q = (char)(*q - 'a' + 'A');
	return name;
}

int
imap_parse_command(const uint8_t *p, size_t len,
    const struct imap_parse_limits *lim, struct pool *pool,
    struct imap_cmd *cmd, const char **tag_out, const char **err_out)
{
	struct ps s = { .p = p, .len = len, .lim = lim, .pool = pool };
	size_t start;

	memset(cmd, 0, sizeof(*cmd));
	if (tag_out != NULL)
		*tag_out = NULL;
	while (s.pos < len && tag_char(p[s.pos]))
		s.pos++;
	if (s.pos == 0 || s.pos >= len || p[s.pos] != ' ') {
		*err_out = "Missing tag";
		return -1;
	}
	cmd->tag = pool_strndup(pool, (const char *)p, s.pos);
	if (tag_out != NULL)
		*tag_out = cmd->tag;
	s.pos++;
	cmd->name = take_name(&s);
	if (cmd->name == NULL) {
		*err_out = "Missing or bad command name";
		return -1;
	}
	if (strcmp(cmd->name, "UID") == 0) {
		if (s.pos >= len || p[s.pos] != ' ') {
			*err_out = "Missing command after UID";
			return -1;
		}
		s.pos++;
		cmd->uid = true;
		cmd->name = take_name(&s);
		if (cmd->name == NULL) {
			*err_out = "Missing command after UID";
			return -1;
		}
	}
	if (!at_eol(&s)) {
		if (p[s.pos] != ' ') {
			*err_out = "Bad command name";
			return -1;
		}
		s.pos++;
		if (at_eol(&s) || p[s.pos] == ' ') {
			*err_out = "Extra space";
			return -1;
		}
		if (parse_args(&s, 0, false, &cmd->args, &cmd->n_args) == -1) {
			*err_out = s.err != NULL ? s.err : "Syntax error";
			return -1;
		}
	}
	start = s.pos;
	if (s.pos < len && p[s.pos] == '\r')
		s.pos++;
	if (s.pos >= len || p[s.pos] != '\n' || s.pos + 1 != len) {
		*err_out = start < len && p[start] == ')' ? "Unexpected )" :
		    "Garbage at end of command";
		return -1;
	}
	return 0;
}

int
imap_line_literal(const uint8_t *p, size_t len, uint64_t *n_out,
    bool *nonsync_out)
{
	size_t end = len, i;

	if (end > 0 && p[end - 1] == '\n')
		end--;
	if (end > 0 && p[end - 1] == '\r')
		end--;
	if (end < 3 || p[end - 1] != '}')
		return 0;
	i = end - 1;
	*nonsync_out = false;
	if (p[i - 1] == '+') {
		*nonsync_out = true;
		i--;
	}
	{
		size_t dend = i;

		while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
			i--;
		if (i == 0 || p[i - 1] != '{')
			return 0;
		if (dend == i || parse_u64((const char *)p + i, dend - i,
		    (uint64_t)INT64_MAX, n_out) == -1)
			return -1;
	}
	return 1;
}

static int
seq_number(const char *s, size_t len, uint32_t *v)
{
	uint64_t n;

	if (len == 1 && s[0] == '*') {
		*v = 0;
		return 0;
	}
	if (len == 0 || s[0] == '0' ||
	    parse_u64(s, len, UINT32_MAX, &n) == -1)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

int
imap_seqset_parse(const char *s, size_t len, size_t ranges_max,
    struct pool *pool, struct imap_range **out, size_t *n_out)
{
	size_t n = 1, k = 0, pos = 0;
	struct imap_range *r;

	for (size_t i = 0; i < len; i++)
		if (s[i] == ',')
			n++;
	if (len == 0 || n > ranges_max)
		return -1;
	r = pool_alloc(pool, n * sizeof(*r));
	while (pos <= len) {
		size_t end = pos, colon;

		while (end < len && s[end] != ',')
			end++;
		colon = pos;
		while (colon < end && s[colon] != ':')
			colon++;
		if (colon == end) {
			if (seq_number(s + pos, end - pos, &r[k].lo) == -1)
				return -1;
			r[k].hi = r[k].lo;
		} else if (seq_number(s + pos, colon - pos, &r[k].lo) == -1 ||
		    seq_number(s + colon + 1, end - colon - 1, &r[k].hi) == -1)
			return -1;
		k++;
		pos = end + 1;
	}
	*out = r;
	*n_out = k;
	return 0;
}

void
imap_seqset_resolve(struct imap_range *r, size_t n, uint32_t max)
{
	for (size_t i = 0; i < n; i++) {
		if (r[i].lo == 0)
			r[i].lo = max;
		if (r[i].hi == 0)
			r[i].hi = max;
		if (r[i].lo > r[i].hi) {
			uint32_t t = r[i].lo;

			r[i].lo = r[i].hi;
			r[i].hi = t;
		}
	}
}

bool
imap_seqset_has(const struct imap_range *r, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (v >= r[i].lo && v <= r[i].hi)
			return true;
	return false;
}

bool
imap_arg_is_astring(const struct imap_arg *a)
{
	if (a->kind == IMAP_ARG_STRING)
		return true;
	if (a->kind != IMAP_ARG_ATOM)
		return false;
	for (size_t i = 0; i < a->len; i++) {
		char c = a->s[i];

		if (c == '%' || c == '*' || c == '\\' || c == '[')
			return false;
	}
	return true;
}

bool
imap_arg_is_atom(const struct imap_arg *a, const char *word)
{
	return a->kind == IMAP_ARG_ATOM && str_eq_ci(a->s, word);
}

bool
imap_arg_is_nil(const struct imap_arg *a)
{
	return imap_arg_is_atom(a, "NIL");
}

int
imap_arg_number(const struct imap_arg *a, uint64_t max, uint64_t *v_out)
{
	if (a->kind != IMAP_ARG_ATOM)
		return -1;
	return parse_u64(a->s, a->len, max, v_out);
}
