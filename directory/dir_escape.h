/*
 * directory/dir_escape.h - escaping of values placed in LDAP filters and DNs.
 *
 * Every value that comes from a client (an address, a login) reaches LDAP
 * only through these functions: RFC 4515 for filters, RFC 4514 for DN
 * attribute values. Filters are built from templates, never by
 * concatenation.
 */
#ifndef DIRECTORY_DIR_ESCAPE_H
#define DIRECTORY_DIR_ESCAPE_H

#include <stddef.h>

struct buf;

enum dir_escape_mode { DIR_ESCAPE_FILTER, DIR_ESCAPE_DN };

/* Append len bytes of value to out escaped for a filter assertion value
 * (RFC 4515: '*', '(', ')', '\\', NUL and every byte >= 0x80 or < 0x20
 * become \XX). 0, or -1 past out's ceiling. */
int dir_escape_filter(struct buf *out, const char *value, size_t len);
/* Append value escaped as an RFC 4514 DN attribute value: ',', '+', '"',
 * '\\', '<', '>', ';', '=' and a leading '#' or space or trailing space
 * are backslash-escaped; NUL and control bytes as \XX. 0 or -1. */
int dir_escape_dn(struct buf *out, const char *value, size_t len);

/* Expand template into out (reset first). Escapes, all applied with mode:
 *   %s  the whole value          %u  the local part (before the last '@')
 *   %d  the domain (after the last '@'; empty if none)   %%  a '%'
 * (%a is a synonym of %s, for "address"). Any other '%' sequence is an
 * error, so a typo in a configured filter is caught at start-up.
 * 0, or -1 with *err_out set. */
int dir_expand(const char *template, const char *value,
    enum dir_escape_mode mode, struct buf *out, const char **err_out);

/* Check a configured template without a value: 0 or -1 with *err_out. */
int dir_template_check(const char *template, const char **err_out);

#endif
