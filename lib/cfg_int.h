/*
 * lib/cfg_int.h - value parsing and formatting shared inside lib/cfg*.c.
 *
 * Not for use outside the cfg module: the public parsers are in cfg.h.
 */
#ifndef LIB_CFG_INT_H
#define LIB_CFG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"

struct buf;

/* A parsed value before it is stored in a section struct. */
union cfg_val {
	char *s;
	int64_t i;
	uint64_t u;
	bool b;
	int e;
	struct {
		char **v;
		size_t n;
	} l;
};

/* Parse text (already trimmed) as a value of k's type. 0 with *v set (the
 * caller owns strings/lists in it), or -1 with *why_out set to a short
 * static reason. */
int cfg_value_parse(const struct cfg_key *k, const char *text,
    union cfg_val *v, const char **why_out);
/* Whether v lies within k's min..max (true for types without a range). */
bool cfg_value_in_range(const struct cfg_key *k, const union cfg_val *v);
/* Free what v owns (strings, lists). */
void cfg_value_release(const struct cfg_key *k, union cfg_val *v);
/* Store v in k's field of data, freeing the previous value; data takes
 * ownership of v's strings. */
void cfg_value_store(const struct cfg_key *k, void *data, union cfg_val *v);
/* Free what k's field of data owns and clear it. */
void cfg_field_free(const struct cfg_key *k, void *data);
/* Append k's field of data in file syntax to out, text that parses back
 * to the same value. compact: the shortest such text ("1" for yes, bare
 * seconds, "a,b" lists), never longer than the text the value was parsed
 * from. 0 or -1 (ceiling). */
int cfg_field_format(const struct cfg_key *k, const void *data,
    bool compact, struct buf *out);
/* Validate key i of def (cfg_new calls it for every key): log_panic on
 * any mistake in the table. */
void cfg_table_check_key(const struct cfg_section_def *def, size_t i);
/* "string", "integer", "size", "duration", "bool", "list", "enum". */
const char *cfg_type_name(enum cfg_type t);

#endif
