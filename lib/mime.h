/*
 * lib/mime.h - MIME structure of a message in memory (RFC 2045/2046):
 * a tree of parts with the byte offsets of each header and body, the
 * content fields IMAP BODYSTRUCTURE needs, multipart boundaries and
 * message/rfc822 nesting; IMAP section addressing to byte ranges.
 *
 * The parser never fails: malformed input (missing or broken boundaries,
 * bad headers, nesting past the limit) yields a best-effort tree and
 * flags on the parts concerned. Nesting depth and part count are bounded
 * by struct msg_limits. Pure: bytes and limits in, tree out.
 */
#ifndef LIB_MIME_H
#define LIB_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/mime_param.h"
#include "lib/msg_header.h"

struct pool;

enum mime_kind {
	MIME_LEAF,
	MIME_MULTIPART,		/* children are the body parts */
	MIME_MESSAGE,		/* message/rfc822: one child, the message */
};

/* Part flags: what the parser had to repair or cut short. */
#define MIME_FLAG_HEADER_LIMIT	0x01	/* a header limit was crossed */
#define MIME_FLAG_DEPTH_LIMIT	0x02	/* container kept as a leaf: depth */
#define MIME_FLAG_PARTS_LIMIT	0x04	/* container kept as a leaf: count */
#define MIME_FLAG_NO_BOUNDARY	0x08	/* multipart without boundary or
					 * delimiter: kept as a leaf */
#define MIME_FLAG_NO_END	0x10	/* multipart without close delimiter */
#define MIME_FLAG_NO_HEADER_END	0x20	/* header ran to the end of the part */

struct mime_part {
	struct mime_part *parent, *children, *next;
	size_t n_children;
	size_t depth;		/* 0 for the message itself */
	enum mime_kind kind;
	unsigned flags;

	/* byte offsets into the message */
	size_t hdr_off, hdr_size;	/* header, blank line included */
	size_t body_off, body_size;
	size_t body_lines;		/* LFs, plus an unterminated last line */
	struct msg_headers hdrs;	/* field offsets into the message */

	/* content fields; strings allocated in the message's pool */
	bool has_content_type;	/* false: the defaults were applied */
	char *type, *subtype;	/* lower case */
	struct mime_params params;
	char *id, *description, *encoding, *md5, *location; /* or NULL */
	char *disposition;	/* lower case, or NULL */
	struct mime_params disp_params;
	char **language;	/* Content-Language tags */
	size_t n_language;
};

struct mime_message {
	const uint8_t *data;	/* borrowed; must outlive the tree */
	size_t len;
	struct mime_part *root;	/* the message: header and whole body */
	size_t n_parts;		/* all parts, the root included */
	unsigned flags;		/* union of the parts' flags */
};

/* Parse the message in data[len] (CRLF or LF line ends). Never returns
 * NULL; everything is allocated in pool and points into data. */
struct mime_message *mime_parse(struct pool *pool, const uint8_t *data,
    size_t len, const struct msg_limits *lim);

/* Pre-order walk under root: the part after p, or NULL at the end.
 * Start with p = root. */
struct mime_part *mime_part_next(const struct mime_part *root,
    const struct mime_part *p);

/* The charset of a text part (lower case; "us-ascii" by default). */
const char *mime_part_charset(const struct mime_part *p);

enum mime_section_kind {
	MIME_SECTION_BODY,	/* "" or "1.2": whole message / part body */
	MIME_SECTION_HEADER,	/* "HEADER", "1.HEADER" */
	MIME_SECTION_HEADER_FIELDS,	/* range: the whole header, to be */
	MIME_SECTION_HEADER_FIELDS_NOT,	/* filtered by msg_header_filter */
	MIME_SECTION_TEXT,	/* "TEXT", "1.TEXT" */
	MIME_SECTION_MIME,	/* "1.MIME": the part's own header */
};

struct mime_section {
	enum mime_section_kind kind;
	const struct mime_part *part;	/* whose header or body is meant */
	size_t off, len;		/* byte range in the message */
};

/* Resolve an IMAP section-spec (RFC 3501 6.4.5) without its field list:
 * "", "1", "1.2.HEADER", "HEADER.FIELDS", "2.MIME", "3.TEXT" (specifier
 * case-insensitive). 0 with *out filled, or -1 with *err_out ("bad
 * section" for syntax, "no such part" for a missing part or a specifier
 * not allowed on the part). */
int mime_section_find(const struct mime_message *m, const char *spec,
    size_t len, struct mime_section *out, const char **err_out);

#endif
