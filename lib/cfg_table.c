/*
 * lib/cfg_table.c - configuration key tables: validation at startup and
 * the reference text generated from them.
 *
 * A broken table (bad default, range on the wrong type, min above max,
 * duplicate key, field outside its struct) is a bug in the program, so
 * it panics when cfg_new() first sees it, not at the first reload.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/cfg_int.h"
#include "lib/log.h"
#include "lib/banned.h"

static size_t
field_size(enum cfg_type t)
{
	switch (t) {
	case CFG_TYPE_STRING: return sizeof(char *);
	case CFG_TYPE_INT: return sizeof(int64_t);
	case CFG_TYPE_SIZE:
	case CFG_TYPE_TIME: return sizeof(uint64_t);
	case CFG_TYPE_BOOL: return sizeof(bool);
	case CFG_TYPE_LIST: return sizeof(char **);
	case CFG_TYPE_ENUM: return sizeof(int);
	}
	return SIZE_MAX;
}

static void
check_bound(const struct cfg_section_def *def, const struct cfg_key *k,
    const char *bound, union cfg_val *v)
{
	const char *why;

	if (bound == NULL)
		return;
	if (k->type != CFG_TYPE_INT && k->type != CFG_TYPE_SIZE &&
	    k->type != CFG_TYPE_TIME)
		log_panic("cfg: [%s] %s: range on a %s key", def->name, k->name,
		    cfg_type_name(k->type));
	if (cfg_value_parse(k, bound, v, &why) == -1)
		log_panic("cfg: [%s] %s: bad range bound \"%s\": %s",
		    def->name, k->name, bound, why);
}

/* A broken table is a bug: find it at startup, not at the first reload. */
void
cfg_table_check_key(const struct cfg_section_def *def, size_t i)
{
	const struct cfg_key *k = &def->keys[i];
	union cfg_val v, lo, hi;
	const char *why;
	size_t j;

	if (k->name == NULL || k->name[0] == '\0' || k->def == NULL)
		log_panic("cfg: [%s] key %zu: no name or default", def->name, i);
	for (j = 0; j < i; j++)
		if (strcmp(def->keys[j].name, k->name) == 0)
			log_panic("cfg: [%s] %s: duplicate key", def->name,
			    k->name);
	if (field_size(k->type) > def->size ||
	    k->offset > def->size - field_size(k->type) ||
	    (k->type == CFG_TYPE_LIST &&
	    k->count_offset > def->size - sizeof(size_t)))
		log_panic("cfg: [%s] %s: field outside the struct", def->name,
		    k->name);
	if (k->type == CFG_TYPE_ENUM && (k->words == NULL ||
	    k->words[0] == NULL))
		log_panic("cfg: [%s] %s: enum without words", def->name,
		    k->name);
	if (cfg_value_parse(k, k->def, &v, &why) == -1)
		log_panic("cfg: [%s] %s: bad default \"%s\": %s", def->name,
		    k->name, k->def, why);
	if (!cfg_value_in_range(k, &v))
		log_panic("cfg: [%s] %s: default out of range", def->name,
		    k->name);
	cfg_value_release(k, &v);
	memset(&lo, 0, sizeof(lo));
	memset(&hi, 0, sizeof(hi));
	check_bound(def, k, k->min, &lo);
	check_bound(def, k, k->max, &hi);
	if (k->min != NULL && k->max != NULL &&
	    (k->type == CFG_TYPE_INT ? lo.i > hi.i : lo.u > hi.u))
		log_panic("cfg: [%s] %s: min above max", def->name, k->name);
}

static int
doc_key(const struct cfg_section_def *def, const struct cfg_key *k,
    struct buf *out)
{
	size_t i;

	if (buf_printf(out, "%s%s\t%s\t", def->name, def->named ? ".NAME" : "",
	    k->name) == -1)
		return -1;
	if (k->type == CFG_TYPE_ENUM) {
		for (i = 0; k->words[i] != NULL; i++)
			if (buf_printf(out, "%s%s", i ? "|" : "enum(",
			    k->words[i]) == -1)
				return -1;
		if (buf_append_str(out, ")") == -1)
			return -1;
	} else if (buf_append_str(out, cfg_type_name(k->type)) == -1) {
		return -1;
	}
	if (buf_printf(out, "\t%s\t", k->def) == -1)
		return -1;
	if (k->min == NULL && k->max == NULL) {
		if (buf_append_str(out, "-") == -1)
			return -1;
	} else if (buf_printf(out, "%s..%s", k->min ? k->min : "",
	    k->max ? k->max : "") == -1) {
		return -1;
	}
	return buf_printf(out, "\t%s\n", k->doc ? k->doc : "");
}

int
cfg_doc(const struct cfg_section_def *defs, size_t n, struct buf *out)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (buf_printf(out, "%s%s\t\tsection\t\t-\t%s\n", defs[i].name,
		    defs[i].named ? ".NAME" : "",
		    defs[i].doc ? defs[i].doc : "") == -1)
			return -1;
		for (j = 0; j < defs[i].nkeys; j++)
			if (doc_key(&defs[i], &defs[i].keys[j], out) == -1)
				return -1;
	}
	return 0;
}
