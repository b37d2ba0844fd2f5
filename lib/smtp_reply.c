/*
 * lib/smtp_reply.c - building SMTP replies for the servers and reading
 * (possibly multi-line) replies for the clients.
 *
 * Replies read come from remote servers and are untrusted: lines are
 * length-checked, the number of lines is capped, and every line must
 * carry the same code.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "lib/smtp_reply.h"
#include "lib/banned.h"

struct smtp_reply_int {
	struct smtp_reply r;
	size_t line_max;
	size_t lines_max;
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
smtp_enh_is_valid(const char *enh, size_t len, int code)
{
	size_t i = 1, part, n;

	if (len < 5 || (enh[0] != '2' && enh[0] != '4' && enh[0] != '5'))
		return false;
	if (code != 0 && enh[0] - '0' != code / 100)
		return false;
	for (part = 0; part < 2; part++) {
		if (i >= len || enh[i] != '.')
			return false;
		for (i++, n = 0; i < len && is_digit(enh[i]); i++)
			n++;
		if (n < 1 || n > 3)
			return false;
	}
	return i == len;
}

int
smtp_reply_format(struct buf *out, int code, const char *enh,
    const char *text)
{
	size_t start = out->len;
	const char *line = text != NULL ? text : "";
	const char *nl;

	if (code < 200 || code > 599 || code % 100 / 10 > 5 ||
	    (enh != NULL && !smtp_enh_is_valid(enh, strlen(enh), code)))
		return -1;
	do {
		size_t n;

		nl = strchr(line, '\n');
		n = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (buf_printf(out, "%d%c", code, nl != NULL ? '-' : ' ') == -1 ||
		    (enh != NULL && buf_printf(out, "%s%s", enh, n > 0 ? " " :
		    "") == -1))
			goto fail;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)line[i];

			if (buf_append_byte(out, c < 32 || c == 127 ? '?' : c)
			    == -1)
				goto fail;
		}
		if (buf_append(out, "\r\n", 2) == -1)
			goto fail;
		if (nl != NULL)
			line = nl + 1;
	} while (nl != NULL);
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

int
smtp_reply_error(struct buf *out, const struct smtp_error *e, bool enhanced)
{
	return smtp_reply_format(out, e->code, enhanced ? e->enh : NULL,
	    e->text);
}

struct smtp_reply *
smtp_reply_new(const struct smtp_limits *lim)
{
	struct smtp_reply_int *ri = xcalloc(1, sizeof(*ri));
	size_t max;

	ri->line_max = lim->reply_line_max;
	ri->lines_max = lim->reply_lines_max;
	if (size_mul(ri->line_max + 1, ri->lines_max, &max) == -1)
		max = (size_t)-1 / 2;
	ri->r.text = buf_new(128, max);
	return &ri->r;
}

void
smtp_reply_free(struct smtp_reply **rp)
{
	if (*rp == NULL)
		return;
	buf_free(&(*rp)->text);
	free(*rp);
	*rp = NULL;
}

void
smtp_reply_reset(struct smtp_reply *r)
{
	r->code = 0;
	r->enh[0] = '\0';
	buf_reset(r->text);
	r->lines = 0;
	r->done = false;
}

static int
fail(const char **err_out, const char *text)
{
	if (err_out != NULL)
		*err_out = text;
	return -1;
}

int
smtp_reply_parse_line(struct smtp_reply *r, const char *line, size_t len,
    const char **err_out)
{
	struct smtp_reply_int *ri = (struct smtp_reply_int *)r;
	int code;
	size_t i = 4, n;

	if (r->done)
		return fail(err_out, "line after the end of the reply");
	if (len + 2 > ri->line_max || len > (size_t)-1 - 2)
		return fail(err_out, "reply line too long");
	if (r->lines >= ri->lines_max)
		return fail(err_out, "too many reply lines");
	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '5' || !is_digit(line[2]) ||
	    (len > 3 && line[3] != ' ' && line[3] != '-'))
		return fail(err_out, "malformed reply line");
	if (memchr(line, '\r', len) != NULL || memchr(line, '\n', len) ||
	    memchr(line, '\0', len) != NULL)
		return fail(err_out, "CR, LF or NUL in reply line");
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->lines > 0 && code != r->code)
		return fail(err_out, "reply code changed between lines");
	/* an enhanced code leads the text: "250-2.1.0 Ok" */
	for (n = 0; i + n < len && line[i + n] != ' '; n++)
		;
	if (i < len && smtp_enh_is_valid(line + i, n, code)) {
		if (r->lines == 0 && n < sizeof(r->enh)) {
			memcpy(r->enh, line + i, n);
			r->enh[n] = '\0';
		}
		i += n + (i + n < len);
	}
	if ((r->lines > 0 && buf_append_byte(r->text, '\n') == -1) ||
	    (i < len && buf_append(r->text, line + i, len - i) == -1))
		return fail(err_out, "reply too long");
	r->code = code;
	r->lines++;
	if (len == 3 || line[3] == ' ')
		r->done = true;
	return r->done ? 1 : 0;
}

bool
smtp_reply_ehlo_has(const struct smtp_reply *r, const char *kw,
    const char **params_out, size_t *params_len_out)
{
	const char *t = buf_cstr(r->text), *end = t + r->text->len;
	const char *line = memchr(t, '\n', r->text->len);
	size_t kl = strlen(kw);

	while (line != NULL && line < end) {
		const char *nl, *e;

		line++;
		nl = memchr(line, '\n', (size_t)(end - line));
		e = nl != NULL ? nl : end;
		if ((size_t)(e - line) >= kl && strncasecmp(line, kw, kl) == 0 &&
		    (line + kl == e || line[kl] == ' ' || line[kl] == '=')) {
			const char *pp = line + kl + (line + kl < e);

			if (params_out != NULL)
				*params_out = pp;
			if (params_len_out != NULL)
				*params_len_out = (size_t)(e - pp);
			return true;
		}
		line = nl;
	}
	return false;
}
