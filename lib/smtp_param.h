/*
 * lib/smtp_param.h - ESMTP parameters of MAIL FROM and RCPT TO: SIZE
 * (RFC 1870), BODY (RFC 6152, RFC 3030), SMTPUTF8 (RFC 6531), RET, ENVID,
 * NOTIFY, ORCPT (RFC 3461), AUTH= (RFC 4954) and Tessera's LMTP XQID=
 * (lib/smtp.h).
 *
 * Pure parsers of client input: unknown or unoffered parameters are 555
 * 5.5.4, duplicates and bad values 501 5.5.4, a SIZE over the limit 552
 * 5.3.4.
 */
#ifndef LIB_SMTP_PARAM_H
#define LIB_SMTP_PARAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/pool.h"
#include "lib/smtp.h"

enum smtp_body {
	SMTP_BODY_NONE = 0,	/* no BODY= given */
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,
	SMTP_BODY_BINARYMIME	/* only with BDAT (RFC 3030 3) */
};

enum smtp_ret {
	SMTP_RET_NONE = 0,
	SMTP_RET_FULL,
	SMTP_RET_HDRS
};

#define SMTP_NOTIFY_NEVER	0x1u
#define SMTP_NOTIFY_SUCCESS	0x2u
#define SMTP_NOTIFY_FAILURE	0x4u
#define SMTP_NOTIFY_DELAY	0x8u

/* MAIL FROM parameters; strings from the parser's pool, NULL if absent. */
struct smtp_mail_params {
	bool has_size;
	uint64_t size;		/* SIZE=, declared message size */
	enum smtp_body body;
	bool smtputf8;
	enum smtp_ret ret;
	char *envid;		/* ENVID=, xtext decoded (printable ASCII) */
	char *auth;		/* AUTH=, xtext decoded; "<>" kept as is */
	char *xqid;		/* XQID= (SMTP_EXT_XQID), letters and digits */
};

/* RCPT TO parameters. */
struct smtp_rcpt_params {
	unsigned notify;	/* SMTP_NOTIFY_*, 0 if NOTIFY= absent */
	char *orcpt_type;	/* ORCPT address type as given ("rfc822") */
	char *orcpt;		/* ORCPT address, xtext decoded */
};

/*
 * Parse the parameters after MAIL FROM:<path> (s[0..len) is what follows
 * the path and its space; runs of spaces between parameters are
 * tolerated). ext says which extensions were offered (SMTP_EXT_*).
 * 0 with *out filled, or -1 with *err set.
 */
int smtp_param_parse_mail(struct pool *p, const char *s, size_t len,
    const struct smtp_limits *lim, unsigned ext,
    struct smtp_mail_params *out, struct smtp_error *err);
/* Whether s[0..len) is a valid XQID value (1 to SMTP_XQID_MAX letters or
 * digits). */
bool smtp_xqid_valid(const char *s, size_t len);
/* The same for RCPT TO:<path> parameters (NOTIFY, ORCPT). */
int smtp_param_parse_rcpt(struct pool *p, const char *s, size_t len,
    const struct smtp_limits *lim, unsigned ext,
    struct smtp_rcpt_params *out, struct smtp_error *err);

#endif
