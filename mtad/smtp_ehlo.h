/*
 * mtad/smtp_ehlo.h - what a remote SMTP server offers, read from its
 * EHLO reply (RFC 5321 4.1.1.1): the extensions the queue manager's SMTP
 * client uses (PIPELINING, STARTTLS, SIZE, 8BITMIME, SMTPUTF8, DSN,
 * AUTH with its mechanisms, CHUNKING, BINARYMIME, ENHANCEDSTATUSCODES).
 *
 * A pure parser of untrusted bytes (tests/fuzz/smtp_ehlo_fuzz.c): no
 * allocation, no limit of its own beyond the input length (the reply
 * reader already bounded lines and their number).
 */
#ifndef MTAD_SMTP_EHLO_H
#define MTAD_SMTP_EHLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* AUTH mechanisms the client can use. */
#define SMTP_EHLO_AUTH_PLAIN 0x1u
#define SMTP_EHLO_AUTH_LOGIN 0x2u

struct smtp_ehlo {
	unsigned ext;		/* SMTP_EXT_* (lib/smtp.h) offered: SIZE,
				 * 8BITMIME, SMTPUTF8, DSN, AUTH, CHUNKING,
				 * BINARYMIME */
	bool pipelining;
	bool starttls;
	bool enhanced;		/* ENHANCEDSTATUSCODES */
	uint64_t size_max;	/* SIZE's number; 0: none given (no limit) */
	unsigned auth;		/* SMTP_EHLO_AUTH_* among AUTH's mechanisms */
	unsigned keywords;	/* capability lines read (known or not) */
};

/* Largest SIZE value kept; a larger or malformed one counts as none. */
#define SMTP_EHLO_SIZE_MAX UINT64_C(0xffffffffffff)

/*
 * Read the capabilities from the text of a complete EHLO reply as lib's
 * reply reader joins it (struct smtp_reply's text: each line's text, codes
 * removed, lines joined by '\n'). The first line is the greeting and is
 * skipped. Each further line is "KEYWORD[ PARAMS]" (case ignored; the
 * obsolete "AUTH=MECHS" form is read too); lines whose keyword is not
 * letters, digits and '-' starting with a letter or digit are ignored, so
 * are unknown keywords. Fills *out completely.
 */
void smtp_ehlo_parse(const char *text, size_t len, struct smtp_ehlo *out);

#endif
