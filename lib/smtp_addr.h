/*
 * lib/smtp_addr.h - RFC 5321 paths, mailboxes and domains (4.1.2), with
 * the RFC 6531 (SMTPUTF8) extensions: UTF-8 local parts and U-label
 * domains, checked through libidn2.
 *
 * Pure parsers: bytes and limits in, results allocated from the caller's
 * pool. Input comes from the network and is hostile; nothing here relies
 * on a terminating NUL.
 */
#ifndef LIB_SMTP_ADDR_H
#define LIB_SMTP_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/pool.h"
#include "lib/smtp.h"

/* A parsed path. Strings live in the pool given to the parser. */
struct smtp_path {
	bool is_null;		/* "<>" (reverse-path only) */
	bool is_postmaster;	/* "<Postmaster>", no domain (forward-path) */
	bool is_utf8;		/* non-ASCII bytes in local part or domain */
	bool is_literal;	/* domain is an address literal "[...]" */
	char *local;		/* local part, quoting undone; "" for <> */
	char *domain;		/* domain as written ("[1.2.3.4]" for a
				 * literal); NULL for <> and <Postmaster> */
	char *domain_ascii;	/* domain with A-labels, lower case; a
				 * literal as written; NULL as domain */
	char *addr;		/* local@domain, local part quoted again only
				 * where needed; "" for <>, "Postmaster" */
};

/* Flags for smtp_path_parse. */
#define SMTP_PATH_SENDER	0x1u	/* reverse-path: "<>" allowed, errors
					 * name the sender (5.1.7) */
#define SMTP_PATH_RECIPIENT	0x2u	/* forward-path: "<Postmaster>"
					 * allowed, errors say 5.1.3 */
#define SMTP_PATH_UTF8		0x4u	/* SMTPUTF8 in effect: UTF-8 allowed */

/*
 * Parse a path ("<" [source route ":"] mailbox ">", or "<>") at the start
 * of s[0..len). A source route is checked and dropped (RFC 5321 4.1.1.3).
 * With used_out NULL the path must fill all of s; otherwise *used_out is
 * set to the bytes the path took. Returns 0 and fills *path, or -1 with
 * *err set: 501 5.1.7/5.1.3 for syntax, length and domain errors, 553
 * 5.6.7 for non-ASCII without SMTP_PATH_UTF8.
 */
int smtp_path_parse(struct pool *p, const char *s, size_t len,
    const struct smtp_limits *lim, unsigned flags, struct smtp_path *path,
    size_t *used_out, struct smtp_error *err);

/*
 * Check d[0..len) as a domain name (LDH labels of 1-63 bytes, at most
 * lim->domain_max bytes, no final dot); with utf8, U-labels too. Labels
 * starting "xn--" and U-labels must be valid IDNA (libidn2). 0 with
 * *ascii_out (optional, from p) the A-label form in lower case, or -1 with
 * *why_out (optional) a short static reason.
 */
int smtp_domain_check(struct pool *p, const char *d, size_t len,
    const struct smtp_limits *lim, bool utf8, char **ascii_out,
    const char **why_out);

/* Check s[0..len) as an address literal: "[" IPv4 "]" or "[IPv6:" IPv6
 * "]". 0 or -1. */
int smtp_addr_literal_check(const char *s, size_t len);

/* Whether the local part may be written unquoted (an RFC 5321
 * Dot-string; with utf8, UTF-8 counts as atext). */
bool smtp_local_is_dot_string(const char *s, size_t len, bool utf8);

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing past U+10FFFF, no NUL). */
bool smtp_utf8_is_valid(const char *s, size_t len);

/* Whether the path is the null reverse-path <>. */
bool smtp_addr_is_null(const struct smtp_path *path);

#endif
