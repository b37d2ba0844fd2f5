/*
 * lib/cfg_value.c - configuration values: parsing, range checks, storing
 * into section structs and formatting back to file syntax.
 *
 * Pure functions over administrator text; every number is checked for
 * overflow, and formatting produces text the parser reads back to the
 * same value (cfg_dump relies on it).
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/cfg_int.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static size_t
count_digits(const char *s)
{
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int
cfg_parse_size(const char *s, uint64_t *out)
{
	size_t n = count_digits(s);
	uint64_t v, mult = 1;

	if (n == 0)
		return -1;
	if (s[n] != '\0') {
		if (s[n + 1] != '\0')
			return -1;
		switch (lower((unsigned char)s[n])) {
		case 'k': mult = UINT64_C(1) << 10; break;
		case 'm': mult = UINT64_C(1) << 20; break;
		case 'g': mult = UINT64_C(1) << 30; break;
		case 't': mult = UINT64_C(1) << 40; break;
		default: return -1;
		}
	}
	if (parse_u64(s, n, UINT64_MAX, &v) == -1 || v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

int
cfg_parse_duration_ms(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 },
	};
	size_t n = count_digits(s), i;
	uint64_t v;

	if (n == 0 || parse_u64(s, n, UINT64_MAX, &v) == -1)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!str_eq_ci(s + n, units[i].unit))
			continue;
		if (v > UINT64_MAX / units[i].ms)
			return -1;
		*out = v * units[i].ms;
		return 0;
	}
	return -1;
}

int
cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (str_eq_ci(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (str_eq_ci(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
parse_int(const char *s, int64_t *out)
{
	bool neg = false;
	uint64_t v;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (parse_u64(s, strlen(s), neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX,
	    &v) == -1)
		return -1;
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

/* Every blank cfg.c strips from a line's ends separates items, so that no
 * item starts or ends with one: "a,b\f," used to give the item "b\f",
 * which the dump wrote at the end of its line, where it lost the '\f'
 * (found by tests/fuzz/cfg_fuzz). */
static bool
is_list_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* Split on commas and/or blanks; empty items vanish ("a, b" is two). */
static void
parse_list(const char *s, char ***v_out, size_t *n_out)
{
	size_t n = 0, i = 0;
	const char *p;
	char **v;

	for (p = s; *p != '\0'; p++)
		if (!is_list_sep(*p) && (p == s || is_list_sep(p[-1])))
			n++;
	v = xcalloc(n + 1, sizeof(*v));
	p = s;
	while (*p != '\0') {
		size_t len = 0;

		while (is_list_sep(*p))
			p++;
		while (p[len] != '\0' && !is_list_sep(p[len]))
			len++;
		if (len > 0)
			v[i++] = xstrndup(p, len);
		p += len;
	}
	*v_out = v;
	*n_out = n;
}

int
cfg_value_parse(const struct cfg_key *k, const char *text, union cfg_val *v,
    const char **why_out)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	switch (k->type) {
	case CFG_TYPE_STRING:
		v->s = xstrdup(text);
		return 0;
	case CFG_TYPE_INT:
		if (parse_int(text, &v->i) == 0)
			return 0;
		*why_out = "expected an integer";
		return -1;
	case CFG_TYPE_SIZE:
		if (cfg_parse_size(text, &v->u) == 0)
			return 0;
		*why_out = "expected a size (512, 10k, 25M, 1G, 2T)";
		return -1;
	case CFG_TYPE_TIME:
		if (cfg_parse_duration_ms(text, &v->u) == 0)
			return 0;
		*why_out = "expected a duration (250ms, 30s, 5m, 1h, 2d)";
		return -1;
	case CFG_TYPE_BOOL:
		if (cfg_parse_bool(text, &v->b) == 0)
			return 0;
		*why_out = "expected yes/no, true/false, on/off or 1/0";
		return -1;
	case CFG_TYPE_LIST:
		parse_list(text, &v->l.v, &v->l.n);
		return 0;
	case CFG_TYPE_ENUM:
		for (i = 0; k->words[i] != NULL; i++) {
			if (str_eq_ci(text, k->words[i])) {
				v->e = (int)i;
				return 0;
			}
		}
		*why_out = "not one of the allowed words";
		return -1;
	}
	log_panic("cfg: key %s has unknown type %d", k->name, (int)k->type);
}

static uint64_t
bound_u64(const struct cfg_key *k, const char *text, uint64_t dflt)
{
	uint64_t v;
	int r;

	if (text == NULL)
		return dflt;
	r = k->type == CFG_TYPE_SIZE ? cfg_parse_size(text, &v) :
	    cfg_parse_duration_ms(text, &v);
	if (r == -1)
		log_panic("cfg: key %s: bad range bound \"%s\"", k->name, text);
	return v;
}

static int64_t
bound_i64(const struct cfg_key *k, const char *text, int64_t dflt)
{
	int64_t v;

	if (text == NULL)
		return dflt;
	if (parse_int(text, &v) == -1)
		log_panic("cfg: key %s: bad range bound \"%s\"", k->name, text);
	return v;
}

bool
cfg_value_in_range(const struct cfg_key *k, const union cfg_val *v)
{
	switch (k->type) {
	case CFG_TYPE_INT:
		return v->i >= bound_i64(k, k->min, INT64_MIN) &&
		    v->i <= bound_i64(k, k->max, INT64_MAX);
	case CFG_TYPE_SIZE:
	case CFG_TYPE_TIME:
		return v->u >= bound_u64(k, k->min, 0) &&
		    v->u <= bound_u64(k, k->max, UINT64_MAX);
	default:
		return true;
	}
}

static void
free_list(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
cfg_value_release(const struct cfg_key *k, union cfg_val *v)
{
	if (k->type == CFG_TYPE_STRING)
		free(v->s);
	else if (k->type == CFG_TYPE_LIST)
		free_list(v->l.v);
	memset(v, 0, sizeof(*v));
}

void
cfg_field_free(const struct cfg_key *k, void *data)
{
	char *field = (char *)data + k->offset;

	if (k->type == CFG_TYPE_STRING) {
		free(*(char **)field);
		*(char **)field = NULL;
	} else if (k->type == CFG_TYPE_LIST) {
		free_list(*(char ***)field);
		*(char ***)field = NULL;
		*(size_t *)((char *)data + k->count_offset) = 0;
	}
}

void
cfg_value_store(const struct cfg_key *k, void *data, union cfg_val *v)
{
	char *field = (char *)data + k->offset;

	cfg_field_free(k, data);
	switch (k->type) {
	case CFG_TYPE_STRING:
		*(char **)field = v->s;
		break;
	case CFG_TYPE_INT:
		*(int64_t *)field = v->i;
		break;
	case CFG_TYPE_SIZE:
	case CFG_TYPE_TIME:
		*(uint64_t *)field = v->u;
		break;
	case CFG_TYPE_BOOL:
		*(bool *)field = v->b;
		break;
	case CFG_TYPE_LIST:
		*(char ***)field = v->l.v;
		*(size_t *)((char *)data + k->count_offset) = v->l.n;
		break;
	case CFG_TYPE_ENUM:
		*(int *)field = v->e;
		break;
	}
	memset(v, 0, sizeof(*v));
}

static int
format_size(uint64_t v, struct buf *out)
{
	static const struct {
		char unit;
		unsigned shift;
	} units[] = { { 'T', 40 }, { 'G', 30 }, { 'M', 20 }, { 'K', 10 } };
	size_t i;

	for (i = 0; v != 0 && i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t m = UINT64_C(1) << units[i].shift;

		if (v % m == 0)
			return buf_printf(out, "%" PRIu64 "%c", v / m,
			    units[i].unit);
	}
	return buf_printf(out, "%" PRIu64, v);
}

/* Compact: whole seconds bare ("90", not "90s"), as the file may have
 * had them; never longer than any text that parses to ms. */
static int
format_duration(uint64_t ms, bool compact, struct buf *out)
{
	static const struct {
		const char *unit;
		uint64_t s;
	} units[] = { { "d", 86400 }, { "h", 3600 }, { "m", 60 } };
	uint64_t s;
	size_t i;

	if (ms % 1000 != 0)
		return buf_printf(out, "%" PRIu64 "ms", ms);
	s = ms / 1000;
	for (i = 0; s != 0 && i < sizeof(units) / sizeof(units[0]); i++)
		if (s % units[i].s == 0)
			return buf_printf(out, "%" PRIu64 "%s", s / units[i].s,
			    units[i].unit);
	return buf_printf(out, "%" PRIu64 "%s", s, compact ? "" : "s");
}

int
cfg_field_format(const struct cfg_key *k, const void *data, bool compact,
    struct buf *out)
{
	const char *field = (const char *)data + k->offset;
	char *const *list;
	size_t i;

	switch (k->type) {
	case CFG_TYPE_STRING:
		return buf_append_str(out, *(char *const *)field);
	case CFG_TYPE_INT:
		return buf_printf(out, "%" PRId64, *(const int64_t *)field);
	case CFG_TYPE_SIZE:
		return format_size(*(const uint64_t *)field, out);
	case CFG_TYPE_TIME:
		return format_duration(*(const uint64_t *)field, compact,
		    out);
	case CFG_TYPE_BOOL:
		if (compact)
			return buf_append_str(out, *(const bool *)field ? "1" :
			    "0");
		return buf_append_str(out, *(const bool *)field ? "yes" : "no");
	case CFG_TYPE_LIST:
		list = *(char **const *)field;
		for (i = 0; list[i] != NULL; i++) {
			/* An item may start with ';' or '#' ("a,;b" is two
			 * items): after a blank, inih and cut_hash_comment
			 * would take it for a comment, so no blank there. */
			const char *sep = i == 0 ? "" : compact ||
			    list[i][0] == ';' || list[i][0] == '#' ? "," : ", ";

			if (buf_printf(out, "%s%s", sep, list[i]) == -1)
				return -1;
		}
		return 0;
	case CFG_TYPE_ENUM:
		return buf_append_str(out, k->words[*(const int *)field]);
	}
	return -1;
}

const char *
cfg_type_name(enum cfg_type t)
{
	switch (t) {
	case CFG_TYPE_STRING: return "string";
	case CFG_TYPE_INT: return "integer";
	case CFG_TYPE_SIZE: return "size";
	case CFG_TYPE_TIME: return "duration";
	case CFG_TYPE_BOOL: return "bool";
	case CFG_TYPE_LIST: return "list";
	case CFG_TYPE_ENUM: return "enum";
	}
	return "?";
}
