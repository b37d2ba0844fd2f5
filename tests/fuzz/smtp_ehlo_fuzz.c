/*
 * tests/fuzz/smtp_ehlo_fuzz.c - fuzz target for smtp_ehlo_parse in
 * mtad/smtp_ehlo.c, fed the way the SMTP client feeds it: the input,
 * split at LF (a CR before it dropped), goes through lib's reply reader
 * as one EHLO reply; a complete reply's text is parsed.
 *
 * Besides "does not crash or read past the text", it checks:
 *  - only known bits are set (ext within SMTP_EXT_ALL, auth within PLAIN
 *    and LOGIN) and SIZE never exceeds SMTP_EHLO_SIZE_MAX;
 *  - a SIZE, AUTH or flag reported is present in the text as a keyword
 *    (case ignored) at the start of a line after the first;
 *  - no more keywords are counted than lines after the first;
 *  - the raw input parsed directly as text obeys the same bounds (the
 *    parser must not rely on the reader's checks).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/smtp.h"
#include "lib/smtp_reply.h"
#include "mtad/smtp_ehlo.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether a line after the first of t[len] starts with kw followed by
 * the end, ' ' or '='. */
static bool
has_line(const char *t, size_t len, const char *kw)
{
	size_t kl = strlen(kw);
	const char *end = t + len, *p = memchr(t, '\n', len);

	while (p != NULL && p < end) {
		const char *e;

		p++;
		e = memchr(p, '\n', (size_t)(end - p));
		if (e == NULL)
			e = end;
		if ((size_t)(e - p) >= kl && strncasecmp(p, kw, kl) == 0 &&
		    (p + kl == e || p[kl] == ' ' || p[kl] == '='))
			return true;
		p = e;
	}
	return false;
}

static size_t
lines_after_first(const char *t, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += t[i] == '\n';
	return n;
}

static void
check(const char *t, size_t len)
{
	struct smtp_ehlo e;

	smtp_ehlo_parse(t, len, &e);
	if ((e.ext & ~(unsigned)SMTP_EXT_ALL) != 0 ||
	    (e.auth & ~(SMTP_EHLO_AUTH_PLAIN | SMTP_EHLO_AUTH_LOGIN)) != 0 ||
	    e.size_max > SMTP_EHLO_SIZE_MAX)
		abort();
	if (e.keywords > lines_after_first(t, len))
		abort();
	if ((e.size_max != 0 && !has_line(t, len, "SIZE")) ||
	    (e.auth != 0 && !has_line(t, len, "AUTH")) ||
	    (e.pipelining && !has_line(t, len, "PIPELINING")) ||
	    (e.starttls && !has_line(t, len, "STARTTLS")) ||
	    ((e.ext & SMTP_EXT_DSN) && !has_line(t, len, "DSN")) ||
	    ((e.ext & SMTP_EXT_8BITMIME) && !has_line(t, len, "8BITMIME")))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_limits lim;
	struct smtp_reply *r;
	const char *p = (const char *)data, *end = p + size, *err;
	char *copy;

	/* the raw bytes as text, with an exact-length copy so a read past
	 * the end is caught by ASan */
	copy = malloc(size + 1);
	memcpy(copy, data, size);
	check(copy, size);
	free(copy);

	smtp_limits_default(&lim);
	r = smtp_reply_new(&lim);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);
		int rc;

		if (n > 0 && p[n - 1] == '\r')
			n--;
		rc = smtp_reply_parse_line(r, p, n, &err);
		if (rc == -1)
			break;
		if (rc == 1) {
			check(buf_cstr(r->text), r->text->len);
			smtp_reply_reset(r);
		}
		p = nl != NULL ? nl + 1 : end;
	}
	smtp_reply_free(&r);
	return 0;
}
