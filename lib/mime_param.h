/*
 * lib/mime_param.h - MIME header values with parameters: Content-Type and
 * Content-Disposition (RFC 2045 5.1, RFC 2183), with RFC 2231 parameter
 * continuations, charsets and languages.
 */
#ifndef LIB_MIME_PARAM_H
#define LIB_MIME_PARAM_H

#include <stdbool.h>
#include <stddef.h>

struct pool;

struct mime_param {
	char *name;	/* lower case, without the RFC 2231 "*N*" suffix */
	char *value;	/* continuations joined; an RFC 2231 value decoded
			 * from its charset to UTF-8 (kept as bytes if the
			 * charset is unknown) */
	char *imap_value; /* as IMAP BODYSTRUCTURE shows it: joined, and for
			 * an extended value "charset'lang'%XX..." */
	bool extended;	/* written with RFC 2231 '*': IMAP name is "name*" */
};

struct mime_params {
	struct mime_param *v;
	size_t n;
};

/* Parse "value; attr=val; ..." (unfolded, NUL-terminated). *value_out gets
 * the leading value lower-cased with comments and white space removed
 * ("text/plain", "attachment"; "" if there is none); parameters go to
 * *params in the order of their first appearance. Never fails: what
 * cannot be read is skipped. Everything is allocated in pool. */
void mime_param_parse(struct pool *pool, const char *s, char **value_out,
    struct mime_params *params);

/* The decoded value of parameter name (case-insensitive), or NULL. An
 * RFC 2231 form wins over a plain one of the same name. */
const char *mime_param_get(const struct mime_params *params,
    const char *name);

#endif
