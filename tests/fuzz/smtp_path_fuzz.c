/*
 * tests/fuzz/smtp_path_fuzz.c - fuzz target for smtp_path_parse and
 * smtp_domain_check in lib/smtp_addr.c.
 *
 * The first byte picks the flags (sender/recipient, SMTPUTF8); the rest
 * is the path. Invariants:
 *  - an accepted path used no more bytes than given, and no more than
 *    path_max; "<>" only for senders, "<Postmaster>" only for recipients;
 *  - non-ASCII is accepted only with SMTP_PATH_UTF8, and is valid UTF-8;
 *  - the domain's ASCII form is ASCII, lower case unless a literal, and the canonical
 *    address parses back to the same local part and domain;
 *  - a rejection is 501 5.1.7 (sender), 501 5.1.3 (recipient) or 553
 *    5.6.7.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/pool.h"
#include "lib/smtp_addr.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_ok(struct pool *p, const struct smtp_path *pa, unsigned flags,
    const struct smtp_limits *lim, size_t used, size_t len)
{
	struct smtp_limits big = *lim;
	struct smtp_path again;
	char *s;

	if (used > len || used > lim->path_max || pa->addr == NULL)
		abort();
	if ((pa->is_null && !(flags & SMTP_PATH_SENDER)) ||
	    (pa->is_postmaster && !(flags & SMTP_PATH_RECIPIENT)))
		abort();
	if (pa->is_null || pa->is_postmaster)
		return;
	if (pa->is_utf8 && !(flags & SMTP_PATH_UTF8))
		abort();
	if (!smtp_utf8_is_valid(pa->local, strlen(pa->local)) ||
	    !smtp_utf8_is_valid(pa->domain, strlen(pa->domain)))
		abort();
	for (const char *c = pa->domain_ascii; *c != '\0'; c++)
		if ((unsigned char)*c >= 0x80 || (*c >= 'A' && *c <= 'Z' &&
		    !pa->is_literal))
			abort();
	big.path_max = big.local_max = (size_t)1 << 20;
	s = pool_printf(p, "<%s>", pa->addr);
	if (smtp_path_parse(p, s, strlen(s), &big, flags | SMTP_PATH_UTF8,
	    &again, NULL, NULL) != 0 || strcmp(again.local, pa->local) != 0 ||
	    strcmp(again.domain, pa->domain) != 0 ||
	    strcmp(again.addr, pa->addr) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *p;
	struct smtp_limits lim;
	struct smtp_path pa;
	struct smtp_error err = { 0 };
	unsigned flags;
	size_t used = 0;
	const char *s;

	if (size == 0)
		return 0;
	p = pool_new("fuzz");
	smtp_limits_default(&lim);
	flags = (data[0] & 1) ? SMTP_PATH_SENDER : SMTP_PATH_RECIPIENT;
	if (data[0] & 2)
		flags |= SMTP_PATH_UTF8;
	s = (const char *)data + 1;
	if (smtp_path_parse(p, s, size - 1, &lim, flags, &pa, &used,
	    &err) == 0) {
		check_ok(p, &pa, flags, &lim, used, size - 1);
	} else if (!(err.code == 553 && strcmp(err.enh, "5.6.7") == 0) &&
	    !(err.code == 501 && strcmp(err.enh, (flags & SMTP_PATH_SENDER) ?
	    "5.1.7" : "5.1.3") == 0)) {
		abort();
	}
	/* the same bytes as a domain */
	{
		char *ascii = NULL;
		const char *why = NULL;

		if (smtp_domain_check(p, s, size - 1, &lim,
		    (flags & SMTP_PATH_UTF8) != 0, &ascii, &why) == 0) {
			if (ascii == NULL || strlen(ascii) > lim.domain_max)
				abort();
		} else if (why == NULL) {
			abort();
		}
	}
	pool_free(&p);
	return 0;
}
