/*
 * lib/cfg.h - table-driven INI configuration (tessera.conf).
 *
 * A module declares its settings in a table of struct cfg_key beside the
 * struct they fill, one line per key (type, field, default, range, doc).
 * The table drives parsing, defaults, range checks, the effective
 * configuration dump (`mtad -n`) and the reference documentation.
 *
 * Runs in the master and in admin tools, before privileges are dropped;
 * children inherit the parsed structs and never reopen the file. The file
 * comes from the administrator but is still parsed with limits: lines
 * longer than the parser's buffer, unknown sections, unknown keys,
 * duplicate keys and bad values are all errors reported as
 * "FILE:LINE: [section] key: message", never silently ignored.
 *
 * File syntax (inih): "[section]" headers, "key = value" lines, comments
 * start a line with ';' or '#', or follow a value after white space
 * ("key = 5m  # five minutes"). Values are not quoted; a value cannot
 * contain " ;" or " #". Continuation lines (indented lines after a key)
 * are rejected. Section and key names are matched exactly.
 */
#ifndef LIB_CFG_H
#define LIB_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct cfg;

/* Longest line, in bytes without the line end. Debian builds inih with a
 * 200-byte line buffer (INI_MAX_LINE) that must also hold "\r\n\0"; a
 * longer line is reported as an error, never split or truncated. */
#define CFG_LINE_MAX 197
/* Longest file cfg_load_file reads. */
#define CFG_FILE_MAX (1024 * 1024)
/* Longest instance name in [def.NAME]: letters, digits, '-' and '_'. */
#define CFG_INSTANCE_MAX 64
/* A load stops listing errors after this many. */
#define CFG_ERRORS_MAX 20

enum cfg_type {
	CFG_TYPE_STRING,	/* char * (NUL-terminated, owned by the cfg) */
	CFG_TYPE_INT,		/* int64_t */
	CFG_TYPE_SIZE,		/* uint64_t bytes: 512, 10k, 25M, 1G, 2T */
	CFG_TYPE_TIME,		/* uint64_t ms: 250ms, 30s, 5m, 1h, 2d; bare = s */
	CFG_TYPE_BOOL,		/* bool: yes/no true/false on/off 1/0 */
	CFG_TYPE_LIST,		/* char ** NULL-terminated, plus a size_t count;
				   items split at commas and blanks */
	CFG_TYPE_ENUM,		/* int: index of the word in words[] */
};

/* One key of a section. Build these with the CFG_* macros below. Default,
 * min and max are written in file syntax and go through the same parser
 * as the file (a bad one is a bug: cfg_new panics). */
struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t offset;			/* of the field in the section struct */
	size_t count_offset;		/* LIST: of its size_t count field */
	const char *def;		/* default value, file syntax */
	const char *min;		/* INT/SIZE/TIME: NULL = type's limit */
	const char *max;
	const char *const *words;	/* ENUM: NULL-terminated words */
	const char *doc;		/* one line for the reference */
};

/* Cross-key validation of one filled section struct (optional). Return 0,
 * or -1 after appending a one-line reason (no newline) to msg. instance is
 * NULL for singleton sections. */
typedef int (*cfg_check_fn)(void *data, const char *instance,
    struct buf *msg);

struct cfg_section_def {
	const char *name;		/* "mtad" or, if named, "mtad.listener" */
	bool named;			/* instances [name.INSTANCE] */
	const struct cfg_key *keys;
	size_t nkeys;
	size_t size;			/* sizeof the struct the keys fill */
	cfg_check_fn check;		/* NULL if none */
	const char *doc;		/* one line for the reference */
};

/* Offset of T.f, or a compile error if the field is not of type ctype. */
#define CFG__FIELD(T, f, ctype) \
	(offsetof(T, f) + 0 * sizeof(char[1 - 2 * \
	    !__builtin_types_compatible_p(__typeof__(((T *)0)->f), ctype)]))

#define CFG_STRING(T, f, key_, def_, doc_) \
	{ .name = (key_), .type = CFG_TYPE_STRING, \
	  .offset = CFG__FIELD(T, f, char *), .def = (def_), .doc = (doc_) }
#define CFG_INT(T, f, key_, def_, min_, max_, doc_) \
	{ .name = (key_), .type = CFG_TYPE_INT, \
	  .offset = CFG__FIELD(T, f, int64_t), .def = (def_), .min = (min_), \
	  .max = (max_), .doc = (doc_) }
#define CFG_SIZE(T, f, key_, def_, min_, max_, doc_) \
	{ .name = (key_), .type = CFG_TYPE_SIZE, \
	  .offset = CFG__FIELD(T, f, uint64_t), .def = (def_), .min = (min_), \
	  .max = (max_), .doc = (doc_) }
#define CFG_TIME(T, f, key_, def_, min_, max_, doc_) \
	{ .name = (key_), .type = CFG_TYPE_TIME, \
	  .offset = CFG__FIELD(T, f, uint64_t), .def = (def_), .min = (min_), \
	  .max = (max_), .doc = (doc_) }
#define CFG_BOOL(T, f, key_, def_, doc_) \
	{ .name = (key_), .type = CFG_TYPE_BOOL, \
	  .offset = CFG__FIELD(T, f, bool), .def = (def_), .doc = (doc_) }
#define CFG_LIST(T, f, count_f, key_, def_, doc_) \
	{ .name = (key_), .type = CFG_TYPE_LIST, \
	  .offset = CFG__FIELD(T, f, char **), \
	  .count_offset = CFG__FIELD(T, count_f, size_t), .def = (def_), \
	  .doc = (doc_) }
#define CFG_ENUM(T, f, key_, def_, words_, doc_) \
	{ .name = (key_), .type = CFG_TYPE_ENUM, \
	  .offset = CFG__FIELD(T, f, int), .def = (def_), .words = (words_), \
	  .doc = (doc_) }

#define CFG_SECTION(name_, T, keys_, check_, doc_) \
	{ .name = (name_), .named = false, .keys = (keys_), \
	  .nkeys = sizeof(keys_) / sizeof((keys_)[0]), .size = sizeof(T), \
	  .check = (check_), .doc = (doc_) }
#define CFG_SECTION_NAMED(name_, T, keys_, check_, doc_) \
	{ .name = (name_), .named = true, .keys = (keys_), \
	  .nkeys = sizeof(keys_) / sizeof((keys_)[0]), .size = sizeof(T), \
	  .check = (check_), .doc = (doc_) }

/* New configuration for the n section definitions in defs (which must
 * outlive it), holding defaults only. Validates the tables: duplicate
 * names, bad defaults or ranges are bugs and panic. Never returns NULL. */
struct cfg *cfg_new(const struct cfg_section_def *defs, size_t n);
/* Free *cp (NULL-safe) and everything cfg_get/cfg_instances returned. */
void cfg_free(struct cfg **cp);
/* Sections of the one tessera.conf that other programs own: names
 * (NULL-terminated, outliving c) of sections this program skips, keys and
 * all, instead of calling them unknown. "NAME" skips [NAME]; "NAME.*"
 * skips [NAME.INSTANCE] for any instance. A section c has a definition
 * for is read, whatever the list says; a name in neither is an error. */
void cfg_set_foreign(struct cfg *c, const char *const *names);

/* Replace the configuration by defaults + the file at path. 0, or -1 with
 * one line per error appended to err (NULL allowed) as
 * "PATH:LINE: [section] key: message\n"; on failure the previous
 * configuration stays in place untouched. On success every pointer
 * previously returned by cfg_get/cfg_instances is invalid. */
int cfg_load_file(struct cfg *c, const char *path, struct buf *err);
/* Same for text in memory; name stands for the file name in errors. */
int cfg_load_string(struct cfg *c, const char *name, const char *text,
    struct buf *err);

/* The struct of singleton section `section` (defaults if the file did not
 * mention it). Asking for an unknown or named section is a bug (panic). */
const void *cfg_get(const struct cfg *c, const char *section);
/* Instances of named section def_name, in file order: their count, and
 * (each optional) their names and structs in arrays owned by the cfg.
 * Asking for an unknown or singleton section is a bug (panic). */
size_t cfg_instances(const struct cfg *c, const char *def_name,
    const char *const **names_out, const void *const **structs_out);
/* Line where key was set in the file, 0 if it has its default. instance
 * is NULL for singletons. Unknown section/instance/key: 0. */
unsigned cfg_line(const struct cfg *c, const char *section,
    const char *instance, const char *key);

/* Append the effective configuration to out as INI text that loads back
 * to the same values: every section and key, keys set in the file marked
 * with a trailing "# set". Every line fits CFG_LINE_MAX: a key whose
 * "key = value" line would not is written compactly, as "key=value"
 * (lists without blanks, 1/0 for booleans, whole seconds bare), and a
 * mark with no room left goes on a "# set" line of its own before its
 * key. 0, or -1 if out's ceiling was reached. */
int cfg_dump(const struct cfg *c, struct buf *out);
/* Append the reference for defs to out, one tab-separated line per key:
 * "section\tkey\ttype\tdefault\trange\tdoc\n" (a section's own doc is a
 * line with an empty key and type "section"; named sections appear as
 * "name.NAME"; range is "min..max", "..max", "min.." or "-"; enum types
 * are "enum(a|b|c)"). 0, or -1 if out's ceiling was reached. */
int cfg_doc(const struct cfg_section_def *defs, size_t n, struct buf *out);

/* The value parsers, for reuse (e.g. command line options). Each takes
 * the whole NUL-terminated string, no white space; 0 with *out set, or -1
 * on garbage or overflow (*out untouched).
 * Size: digits with an optional k/m/g/t suffix (any case, powers of
 * 1024). Duration: digits with an optional unit ms/s/m/h/d (any case;
 * none = seconds), result in milliseconds. Bool: yes/no, true/false,
 * on/off, 1/0 (any case). */
int cfg_parse_size(const char *s, uint64_t *out);
int cfg_parse_duration_ms(const char *s, uint64_t *out);
int cfg_parse_bool(const char *s, bool *out);

#endif
