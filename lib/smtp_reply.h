/*
 * lib/smtp_reply.h - SMTP replies: building them (server side, with an
 * RFC 3463 enhanced status code, possibly multi-line) and reading them
 * (client side: mtad's SMTP and LMTP clients, RFC 5321 4.2).
 *
 * The reader takes one line at a time as the stream hands it over and
 * bounds what a server can make it hold: line length and line count.
 */
#ifndef LIB_SMTP_REPLY_H
#define LIB_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/smtp.h"

/*
 * Append a reply to out: code (200-599), enh (an enhanced status code
 * whose class matches the code, or NULL for none) and text, whose '\n'
 * separate the lines of a multi-line reply ("250-a\r\n250 b\r\n"). CR and
 * other control characters in text become '?', so text quoting a client
 * cannot inject a line. 0, or -1 on a bad code or enh or out's ceiling
 * (out unchanged).
 */
int smtp_reply_format(struct buf *out, int code, const char *enh,
    const char *text);
/* The same for a parser's error; the enhanced code only if enhanced
 * (ENHANCEDSTATUSCODES offered). */
int smtp_reply_error(struct buf *out, const struct smtp_error *e,
    bool enhanced);
/* Whether enh is "class.subject.detail" (class 2, 4 or 5, subject and
 * detail 1-3 digits) and, if code is not 0, its class is code's first
 * digit. */
bool smtp_enh_is_valid(const char *enh, size_t len, int code);

/* A reply read by a client. */
struct smtp_reply {
	int code;		/* 0 until the first line */
	char enh[16];		/* enhanced code of the first line, or "" */
	struct buf *text;	/* text of each line, enhanced code removed,
				 * lines joined by '\n' */
	size_t lines;
	bool done;		/* last line seen */
};

/* New empty reply reader bounded by lim->reply_line_max and
 * lim->reply_lines_max (the limits are copied). */
struct smtp_reply *smtp_reply_new(const struct smtp_limits *lim);
void smtp_reply_free(struct smtp_reply **rp);
/* Forget the reply read so far, to read the next one. */
void smtp_reply_reset(struct smtp_reply *r);
/*
 * Feed one reply line, line[0..len) without CRLF. Returns 1 when the
 * reply is complete, 0 when more lines follow ("250-"), -1 with *err_out
 * (static text) on a malformed line (not 3 digits in 200-599 then ' ',
 * '-' or end; a code different from the first line's; CR, LF or NUL),
 * a line over reply_line_max, more than reply_lines_max lines, or a
 * line fed after the reply was complete.
 */
int smtp_reply_parse_line(struct smtp_reply *r, const char *line, size_t len,
    const char **err_out);
/* In a complete EHLO/LHLO reply, whether keyword kw is offered (case
 * ignored; the first line, the greeting, is skipped). *params_out and
 * *params_len_out (optional) get the text after "KW ". */
bool smtp_reply_ehlo_has(const struct smtp_reply *r, const char *kw,
    const char **params_out, size_t *params_len_out);

#endif
