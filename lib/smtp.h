/*
 * lib/smtp.h - what the SMTP syntax modules share: the limits every parser
 * takes, the ESMTP extensions a server offers, and the error a parser
 * returns (reply code, enhanced status code, text), so that a session
 * replies exactly what the parser said.
 *
 * Used by mtad's server and client and by accessd's LMTP server. The
 * parsers here take bytes and limits, never sockets, and keep no state
 * outside the structures handed to them.
 */
#ifndef LIB_SMTP_H
#define LIB_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5321 4.5.3.1 minimums; defaults of struct smtp_limits. */
#define SMTP_CMD_LINE_MAX	2048	/* command line incl. CRLF (with params) */
#define SMTP_AUTH_LINE_MAX	12288	/* AUTH line incl. CRLF (RFC 4954 4) */
#define SMTP_PATH_MAX		256	/* path incl. "<" ">" (4.5.3.1.3) */
#define SMTP_LOCAL_MAX		64	/* local part (4.5.3.1.1) */
#define SMTP_DOMAIN_MAX		255	/* domain (4.5.3.1.2) */
#define SMTP_TEXT_LINE_MAX	1000	/* message line incl. CRLF (4.5.3.1.6) */
#define SMTP_REPLY_LINE_MAX	512	/* reply line incl. CRLF (4.5.3.1.5) */
#define SMTP_REPLY_LINES_MAX	100	/* lines of one multi-line reply */
#define SMTP_ENVID_MAX		100	/* ENVID xtext (RFC 3461 4.4) */
#define SMTP_ORCPT_MAX		500	/* ORCPT value (RFC 3461 4.2) */

/* Limits handed to every parser; fill with smtp_limits_default() and
 * override from configuration. Sizes count bytes on the wire. */
struct smtp_limits {
	size_t cmd_line_max;	/* command line incl. CRLF */
	size_t auth_line_max;	/* AUTH command line incl. CRLF */
	size_t path_max;	/* <path> incl. angle brackets */
	size_t local_max;	/* local part of a mailbox */
	size_t domain_max;	/* domain of a mailbox or HELO */
	size_t text_line_max;	/* DATA line incl. CRLF, 0: no limit */
	uint64_t message_size_max;	/* decoded message bytes, 0: no limit */
	size_t reply_line_max;	/* reply line incl. CRLF (client side) */
	size_t reply_lines_max;	/* lines in one reply (client side) */
};

/* ESMTP extensions the server advertised; a MAIL/RCPT parameter of an
 * extension not offered is an unknown parameter (555). */
#define SMTP_EXT_SIZE		0x01u
#define SMTP_EXT_8BITMIME	0x02u
#define SMTP_EXT_SMTPUTF8	0x04u
#define SMTP_EXT_DSN		0x08u
#define SMTP_EXT_AUTH		0x10u
#define SMTP_EXT_CHUNKING	0x20u
#define SMTP_EXT_BINARYMIME	0x40u
#define SMTP_EXT_ALL		0x7fu	/* the standard ones */
/* Tessera's own LMTP keyword: MAIL XQID=<queue id> marks a delivery the
 * queue manager is in doubt about (a restart cut it short), so the LMTP
 * server stores nothing it already stored for that id. Never offered on
 * SMTP. */
#define SMTP_EXT_XQID		0x80u
#define SMTP_XQID_MAX		64	/* XQID value: 1 to 64 letters/digits */

/* A reply a parser decided on: code (e.g. 501), enhanced status code
 * ("5.5.4") and text, all static strings. */
struct smtp_error {
	int code;
	const char *enh;
	const char *text;
};

/* The defaults above (message_size_max 0: no limit). */
void smtp_limits_default(struct smtp_limits *lim);
/* Fill *err (if not NULL) and return -1, for parsers' error paths. */
int smtp_error_set(struct smtp_error *err, int code, const char *enh,
    const char *text);

#endif
