/*
 * lib/msg_header.h - RFC 5322 header blocks: fields split into name and
 * value with their raw byte offsets, unfolding, lookup by name.
 *
 * Pure parsing over bytes in memory; every limit comes from the caller
 * (struct msg_limits). Shared by mtad (headers at DATA), the mail store
 * and IMAP (exact bytes for BODY[HEADER...]) and the spam filter.
 */
#ifndef LIB_MSG_HEADER_H
#define LIB_MSG_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct pool;

/* Defaults of struct msg_limits (also the defaults of the [mime] keys). */
#define MSG_HEADER_LINE_MAX_DEFAULT	(64 * 1024)
#define MSG_HEADER_COUNT_MAX_DEFAULT	1000
#define MSG_HEADER_SIZE_MAX_DEFAULT	(1024 * 1024)
#define MIME_DEPTH_MAX_DEFAULT		32
#define MIME_PARTS_MAX_DEFAULT		5000
#define MIME_DECODE_MAX_DEFAULT		(64 * 1024 * 1024)

/* Bounds on what one message may make the parsers do. */
struct msg_limits {
	size_t header_line_max;	/* bytes of one physical header line */
	size_t header_count_max; /* fields in one header block */
	size_t header_size_max;	/* bytes of one header block */
	size_t depth_max;	/* multipart / message nesting levels */
	size_t parts_max;	/* parts in one message, all levels */
	size_t decode_max;	/* bytes of decoded output (text, base64) */
};

/* Fill *lim with the defaults above. */
void msg_limits_defaults(struct msg_limits *lim);

/* One field. Offsets are relative to the bytes given to the parser. */
struct msg_header_field {
	size_t off;		/* first byte of the name */
	size_t name_len;	/* name without trailing white space */
	size_t value_off;	/* first byte after the colon */
	size_t value_len;	/* up to, not including, the last line end */
	size_t end;		/* first byte after the last line end */
};

struct msg_headers {
	struct msg_header_field *fields;
	size_t count;
	size_t size;		/* bytes of the block, the blank line included */
	bool has_blank_line;	/* false: the block ran to the end of input */
	const char *error;	/* first limit crossed (static text), or NULL */
};

/* Parse the header block at the start of p[len] into *h (fields allocated
 * in pool). Lines end with CRLF or a bare LF; the block ends after the
 * first empty line, or at the end of the input. Lines that are neither a
 * field nor a continuation are skipped. Returns 0, or -1 with h->error
 * and *err_out set when a limit was crossed: fields past the limit are
 * not recorded, but h->size still gives the true end of the block so a
 * caller may go on best-effort. */
int msg_header_parse(const uint8_t *p, size_t len,
    const struct msg_limits *lim, struct pool *pool, struct msg_headers *h,
    const char **err_out);

/* Whether field f is named name (ASCII case-insensitive). */
bool msg_header_is(const uint8_t *p, const struct msg_header_field *f,
    const char *name);
/* The index-th (0-based) field named name, or NULL. */
const struct msg_header_field *msg_header_find(const uint8_t *p,
    const struct msg_headers *h, const char *name, size_t index);
/* How many fields are named name (e.g. Received hops). */
size_t msg_header_count(const uint8_t *p, const struct msg_headers *h,
    const char *name);
/* The unfolded value of f (RFC 5322 2.2.3: CRLF before white space
 * removed; leading and trailing white space trimmed; NULs become spaces),
 * allocated in pool. */
char *msg_header_value(struct pool *pool, const uint8_t *p,
    const struct msg_header_field *f);
/* Unfolded value of the first field named name, or NULL if absent. */
char *msg_header_get(struct pool *pool, const uint8_t *p,
    const struct msg_headers *h, const char *name);
/* Append to out the raw bytes of the fields whose names are (or, with
 * exclude, are not) in names[n], in message order, then the blank line
 * if the block had one: the answer to IMAP HEADER.FIELDS (.NOT).
 * 0, or -1 past out's ceiling. */
int msg_header_filter(const uint8_t *p, const struct msg_headers *h,
    const char *const *names, size_t n, bool exclude, struct buf *out);

/* Where a header block ends, found incrementally: for readers that get
 * a message in pieces (mtad during DATA) and keep its bytes in one
 * growing buffer. Zero the struct before the first call. */
struct msg_header_scan {
	size_t pos;		/* bytes already examined */
	size_t line_start;	/* start of the line being examined */
};

/* Look at p[len] (the same buffer, grown since the last call) from where
 * the last call stopped. 1 with *end_out set to the offset after the
 * empty line (what msg_header_parse reports as size), 0 if the empty line
 * has not come yet, -1 if it has not come within max bytes. */
int msg_header_scan(struct msg_header_scan *s, const uint8_t *p, size_t len,
    size_t max, size_t *end_out);

#endif
