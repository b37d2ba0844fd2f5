/*
 * lib/str.h - checked string, number and size helpers.
 *
 * The replacements for strcpy/sprintf/atoi that lib/banned.h forbids:
 * every function reports truncation, overflow or garbage instead of
 * silently producing a wrong value.
 */
#ifndef LIB_STR_H
#define LIB_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copy src into dst[size], NUL-terminated. 0, or -1 if it did not fit
 * (dst then holds a truncated copy). */
int str_copy(char *dst, size_t size, const char *src);
/* Format into dst[size]. 0, or -1 on truncation or encoding error. */
int str_printf(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Parse len bytes at p as a decimal number <= max (no sign, no spaces,
 * at least one digit). 0 with *v_out set, or -1. */
int parse_u64(const char *p, size_t len, uint64_t max, uint64_t *v_out);
/* a + b and a * b into *out. 0, or -1 on overflow (*out untouched). */
int size_add(size_t a, size_t b, size_t *out);
int size_mul(size_t a, size_t b, size_t *out);
/* ASCII case-insensitive comparisons (locale-independent). */
bool str_eq_ci(const char *a, const char *b);
bool str_prefix_ci(const char *s, const char *prefix);
/* Remove leading and trailing ASCII white space in place; returns s+skip. */
char *str_trim(char *s);

#endif
