/*
 * admin/admin_out.h - what the tessera command prints on stdout: text for
 * people, or JSON (--json) for scripts, from the same calls.
 *
 * A show prints one object; a listing prints an array of objects. In
 * text, a shown object is "key: value" lines (lists one value per line,
 * nested objects as "key.sub: value"); a listed object is one line, its
 * first field bare and the others as key=value (quoted when they hold a
 * blank). JSON strings are escaped (quotes, backslashes, control bytes).
 * Output is collected and written by admin_out_flush, so a command that
 * fails half-way prints no half-written JSON.
 */
#ifndef ADMIN_ADMIN_OUT_H
#define ADMIN_ADMIN_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct admin_out;

/* Most nesting of objects and lists. */
#define ADMIN_OUT_DEPTH_MAX 8
/* Most output collected (a listing of list_max entries fits). */
#define ADMIN_OUT_MAX (256u * 1024 * 1024)

struct admin_out *admin_out_new(bool json);
void admin_out_free(struct admin_out **op);

/* Open an object or a list: key names it inside an object, NULL at the
 * top or inside a list. */
void admin_out_begin_obj(struct admin_out *o, const char *key);
void admin_out_end_obj(struct admin_out *o);
void admin_out_begin_list(struct admin_out *o, const char *key);
void admin_out_end_list(struct admin_out *o);

/* Fields of the current object. A NULL string is JSON null and left out
 * of the text. */
void admin_out_str(struct admin_out *o, const char *key, const char *v);
void admin_out_u64(struct admin_out *o, const char *key, uint64_t v);
void admin_out_bool(struct admin_out *o, const char *key, bool v);
void admin_out_strs(struct admin_out *o, const char *key,
    char *const *v, size_t n);

/* A line of text for people (text mode only; ignored with --json). */
void admin_out_note(struct admin_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Write what was collected to stdout. 0, or -1 if writing failed. */
int admin_out_flush(struct admin_out *o);
/* The text collected so far (tests). */
const char *admin_out_text(const struct admin_out *o);

#endif
