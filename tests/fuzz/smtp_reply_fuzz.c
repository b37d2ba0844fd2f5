/*
 * tests/fuzz/smtp_reply_fuzz.c - fuzz target for smtp_reply_parse_line
 * and smtp_reply_format in lib/smtp_reply.c.
 *
 * The input, split at LF (a CR before it dropped), is fed as reply lines
 * with small limits taken from its first byte. Invariants:
 *  - a complete reply has one code, 200-599, and no more lines than
 *    allowed; nothing is accepted after it is complete; an error ends
 *    the reply;
 *  - a complete reply formats again and reads back to the same code,
 *    enhanced code and text (when its text has no control characters);
 *  - formatting any bytes as text yields only lines "DDD-..." or
 *    "DDD ..." ended by CRLF, with no other CR or LF.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/smtp_reply.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
reread(const struct smtp_reply *r, const struct smtp_limits *lim)
{
	struct buf *b = buf_new(256, 1 << 20);
	struct smtp_limits big = *lim;
	struct smtp_reply *r2;
	const char *p, *nl, *err;
	int rc = 0;

	for (size_t i = 0; i < r->text->len; i++)
		if ((r->text->data[i] < 32 && r->text->data[i] != '\n') ||
		    r->text->data[i] == 127)
			goto done;
	if (smtp_reply_format(b, r->code, r->enh[0] ? r->enh : NULL,
	    buf_cstr(r->text)) != 0)
		abort();
	big.reply_line_max = big.reply_lines_max = 1 << 16;
	r2 = smtp_reply_new(&big);
	for (p = buf_cstr(b); (nl = strstr(p, "\r\n")) != NULL; p = nl + 2)
		if ((rc = smtp_reply_parse_line(r2, p, (size_t)(nl - p),
		    &err)) == -1)
			abort();
	/* a text line that itself starts like an enhanced code is read as
	 * one when no code was given: only compare what must match */
	if (rc != 1 || r2->code != r->code || r2->lines != r->lines ||
	    (r->enh[0] && strcmp(r2->enh, r->enh) != 0) ||
	    (r->enh[0] && strcmp(buf_cstr(r2->text), buf_cstr(r->text))))
		abort();
	smtp_reply_free(&r2);
done:
	buf_free(&b);
}

static void
format_any(const uint8_t *data, size_t size)
{
	struct buf *b = buf_new(256, 1 << 20);
	char *t = malloc(size + 1);
	size_t i;

	memcpy(t, data, size);
	t[size] = '\0';
	if (smtp_reply_format(b, 451, "4.3.0", t) != 0)
		abort();
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' && (i + 1 == b->len ||
		    b->data[i + 1] != '\n'))
			abort();
		if (b->data[i] == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			abort();
		if ((i == 0 || b->data[i - 1] == '\n') && (b->len - i < 10 ||
		    memcmp(b->data + i, "451", 3) != 0 || (b->data[i + 3] !=
		    '-' && b->data[i + 3] != ' ')))
			abort();
	}
	free(t);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_limits lim;
	struct smtp_reply *r;
	const char *p, *end, *err;
	int rc = 0;

	if (size == 0)
		return 0;
	smtp_limits_default(&lim);
	lim.reply_lines_max = 1 + data[0] % 16;
	lim.reply_line_max = 6 + (size_t)data[0] * 2;
	r = smtp_reply_new(&lim);
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		err = NULL;
		rc = smtp_reply_parse_line(r, p, n, &err);
		if (rc == -1) {
			if (err == NULL)
				abort();
			break;
		}
		if (r->code < 200 || r->code > 599 ||
		    r->lines > lim.reply_lines_max)
			abort();
		if (rc == 1) {
			reread(r, &lim);
			if (smtp_reply_parse_line(r, "250 x", 5, &err) != -1)
				abort();
			smtp_reply_reset(r);
		}
		p = nl != NULL ? nl + 1 : end;
	}
	smtp_reply_free(&r);
	format_any(data, size);
	return 0;
}
