/*
 * lib/smtp_cmd.h - the SMTP/LMTP command parser (RFC 5321 4.1.1, RFC 2033
 * LHLO, RFC 3030 BDAT, RFC 3207 STARTTLS, RFC 4954 AUTH).
 *
 * One command line in, one struct smtp_cmd out, or the exact reply to
 * send (struct smtp_error): 500 5.5.2 bad syntax or line too long, 502
 * 5.5.1 unknown command, 501 5.5.4 bad arguments, 555 5.5.4 unknown
 * MAIL/RCPT parameter, 501 5.1.7/5.1.3 bad address, 553 5.6.7 UTF-8
 * address without SMTPUTF8, 552 5.3.4 SIZE over the limit. Which
 * commands are allowed in which session state is the session's table.
 */
#ifndef LIB_SMTP_CMD_H
#define LIB_SMTP_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/pool.h"
#include "lib/smtp.h"
#include "lib/smtp_addr.h"
#include "lib/smtp_param.h"

enum smtp_verb {
	SMTP_CMD_HELO,
	SMTP_CMD_EHLO,
	SMTP_CMD_LHLO,
	SMTP_CMD_MAIL,
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,
	SMTP_CMD_BDAT,
	SMTP_CMD_RSET,
	SMTP_CMD_NOOP,
	SMTP_CMD_QUIT,
	SMTP_CMD_VRFY,
	SMTP_CMD_EXPN,
	SMTP_CMD_HELP,
	SMTP_CMD_STARTTLS,
	SMTP_CMD_AUTH,
	SMTP_CMD_COUNT
};

/* What the parser needs to know of the session. */
struct smtp_cmd_opts {
	unsigned ext;		/* SMTP_EXT_* offered to this client */
	bool lmtp;		/* LMTP: LHLO instead of HELO/EHLO */
	bool txn_smtputf8;	/* the current MAIL had SMTPUTF8 (for RCPT) */
};

/* A parsed command; strings are NUL-terminated copies from the pool. */
struct smtp_cmd {
	enum smtp_verb verb;
	const char *name;	/* canonical verb, "MAIL" */
	char *arg;		/* HELO/EHLO/LHLO domain or "[literal]";
				 * VRFY/EXPN/NOOP/HELP string (NULL if none);
				 * AUTH mechanism, upper-cased */
	char *arg2;		/* AUTH initial response ("=" for empty), or
				 * NULL */
	struct smtp_path path;	/* MAIL, RCPT */
	struct smtp_mail_params mail;
	struct smtp_rcpt_params rcpt;
	uint64_t bdat_size;	/* BDAT chunk size */
	bool bdat_last;		/* BDAT ... LAST */
	bool helo_literal;	/* the HELO argument is an address literal */
};

/*
 * Parse one command line, line[0..len) without its CRLF. Results are
 * allocated from p. Returns 0 with *cmd filled, or -1 with *err the reply
 * to send. A CR, LF or NUL inside the line is a syntax error; the length
 * limit (lim->cmd_line_max, lim->auth_line_max for AUTH) counts the CRLF.
 */
int smtp_cmd_parse(struct pool *p, const char *line, size_t len,
    const struct smtp_limits *lim, const struct smtp_cmd_opts *opts,
    struct smtp_cmd *cmd, struct smtp_error *err);

/* The canonical name of a verb ("STARTTLS"). */
const char *smtp_cmd_name(enum smtp_verb verb);

#endif
