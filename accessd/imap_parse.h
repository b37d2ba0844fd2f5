/*
 * accessd/imap_parse.h - the IMAP4rev1 command grammar (RFC 3501 section
 * 9): a command's bytes in (lines and literals exactly as they came on
 * the wire), its tag, name and a tree of arguments out; sequence sets;
 * where a line announces a literal ({n}, LITERAL+ {n+}).
 *
 * Pure: bytes and limits in, results in a pool; no sockets, no state.
 * Which command takes which arguments is the session's business
 * (imapd*.c). Fuzzed by tests/fuzz/fuzz_imap_parse.c.
 */
#ifndef ACCESSD_IMAP_PARSE_H
#define ACCESSD_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;

/* Limits the parser enforces (the session fills them from [accessd.imap]). */
struct imap_parse_limits {
	size_t depth_max;	/* parenthesis nesting */
	size_t args_max;	/* arguments, all levels */
	size_t ranges_max;	/* ranges of one sequence set */
};

enum imap_arg_kind {
	IMAP_ARG_ATOM,		/* also NIL, numbers, flags, sequence sets,
				 * fetch items such as BODY[1.MIME]<0.10> */
	IMAP_ARG_STRING,	/* quoted string or literal, decoded */
	IMAP_ARG_LIST,		/* ( ... ) */
};

struct imap_arg {
	enum imap_arg_kind kind;
	bool literal;		/* STRING from a literal */
	char *s;		/* ATOM, STRING: NUL-terminated (a literal may
				 * hold NULs: use len) */
	size_t len;
	struct imap_arg *list;	/* LIST: its elements */
	size_t n;
};

struct imap_cmd {
	char *tag;
	char *name;		/* upper case; after UID: the sub-command */
	bool uid;		/* UID FETCH, UID STORE, ... */
	struct imap_arg *args;	/* the arguments after the name */
	size_t n_args;
};

/* Parse a whole command: p[len] holds the lines (each ending in CRLF, or
 * a bare LF) with the bytes of each literal right after the line that
 * announced it, as a client sends them. 0 with *cmd filled from pool, or
 * -1 with *err_out a static text for a BAD reply; *tag_out (may be NULL)
 * then holds the tag if one could be read (for "tag BAD"), else NULL. */
int imap_parse_command(const uint8_t *p, size_t len,
    const struct imap_parse_limits *lim, struct pool *pool,
    struct imap_cmd *cmd, const char **tag_out, const char **err_out);

/* Whether the line p[len] (terminator included or not) ends with a
 * literal announcement "{n}" or "{n+}". 1 with *n_out and *nonsync_out
 * set, 0 if it does not, -1 if it does but n is not a number below
 * 2^63 (a malformed command the parser will reject). */
int imap_line_literal(const uint8_t *p, size_t len, uint64_t *n_out,
    bool *nonsync_out);

/* A sequence set "1,3:5,7:*". '*' is given as 0 (no message number or
 * UID is 0), and a range is kept as written (3:1 stays lo 3 hi 1): see
 * imap_seqset_resolve. 0 with (*out, *n_out) in pool, or -1 on bad
 * syntax or more than ranges_max ranges. */
struct imap_range {
	uint32_t lo, hi;
};
int imap_seqset_parse(const char *s, size_t len, size_t ranges_max,
    struct pool *pool, struct imap_range **out, size_t *n_out);
/* Replace '*' (0) by max and order each range (lo <= hi). */
void imap_seqset_resolve(struct imap_range *r, size_t n, uint32_t max);
/* Whether v is in the resolved set. */
bool imap_seqset_has(const struct imap_range *r, size_t n, uint32_t v);

/* Whether a is an atom usable as an astring/mailbox argument, or a
 * string; the value's text. */
bool imap_arg_is_astring(const struct imap_arg *a);
/* Whether a is the atom (case-insensitive) word. */
bool imap_arg_is_atom(const struct imap_arg *a, const char *word);
/* Whether a is NIL (atom). */
bool imap_arg_is_nil(const struct imap_arg *a);
/* Parse a as a number <= max. 0 or -1. */
int imap_arg_number(const struct imap_arg *a, uint64_t max, uint64_t *v_out);

#endif
