/*
 * mtad/smtp_ehlo.c - the capabilities of a remote SMTP server from its
 * EHLO reply. The reply is hostile input: only bytes within len are
 * looked at, numbers are bounded, anything malformed is ignored.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "lib/smtp.h"
#include "mtad/smtp_ehlo.h"
#include "lib/banned.h"

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static bool
word_is(const char *p, size_t len, const char *w)
{
	return strlen(w) == len && strncasecmp(p, w, len) == 0;
}

/* SIZE's parameter: digits only, at most SMTP_EHLO_SIZE_MAX; else 0. */
static uint64_t
size_param(const char *p, size_t len)
{
	uint64_t v = 0;

	while (len > 0 && p[len - 1] == ' ')
		len--;
	if (len == 0 || len > 15)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	return v <= SMTP_EHLO_SIZE_MAX ? v : 0;
}

/* AUTH's mechanisms, separated by spaces. */
static unsigned
auth_param(const char *p, size_t len)
{
	unsigned m = 0;
	size_t i = 0;

	while (i < len) {
		size_t j;

		while (i < len && p[i] == ' ')
			i++;
		for (j = i; j < len && p[j] != ' '; j++)
			;
		if (word_is(p + i, j - i, "PLAIN"))
			m |= SMTP_EHLO_AUTH_PLAIN;
		else if (word_is(p + i, j - i, "LOGIN"))
			m |= SMTP_EHLO_AUTH_LOGIN;
		i = j;
	}
	return m;
}

static const struct {
	const char *kw;
	unsigned ext;
} ext_words[] = {
	{ "SIZE", SMTP_EXT_SIZE },
	{ "8BITMIME", SMTP_EXT_8BITMIME },
	{ "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
	{ "DSN", SMTP_EXT_DSN },
	{ "AUTH", SMTP_EXT_AUTH },
	{ "CHUNKING", SMTP_EXT_CHUNKING },
	{ "BINARYMIME", SMTP_EXT_BINARYMIME },
};

static void
one_line(const char *p, size_t len, struct smtp_ehlo *out)
{
	size_t k = 0;
	const char *params;
	size_t plen;

	while (k < len && (is_alnum(p[k]) || (k > 0 && p[k] == '-')))
		k++;
	if (k == 0 || (k < len && p[k] != ' ' && p[k] != '='))
		return;
	out->keywords++;
	params = k < len ? p + k + 1 : p + k;
	plen = k < len ? len - k - 1 : 0;
	if (k < len && p[k] == '=' && !word_is(p, k, "AUTH"))
		return;		/* "KW=..." is only the old AUTH form */
	for (size_t i = 0; i < sizeof(ext_words) / sizeof(ext_words[0]); i++)
		if (word_is(p, k, ext_words[i].kw))
			out->ext |= ext_words[i].ext;
	if (word_is(p, k, "SIZE"))
		out->size_max = size_param(params, plen);
	else if (word_is(p, k, "AUTH"))
		out->auth |= auth_param(params, plen);
	else if (word_is(p, k, "PIPELINING"))
		out->pipelining = true;
	else if (word_is(p, k, "STARTTLS"))
		out->starttls = true;
	else if (word_is(p, k, "ENHANCEDSTATUSCODES"))
		out->enhanced = true;
}

void
smtp_ehlo_parse(const char *text, size_t len, struct smtp_ehlo *out)
{
	const char *end = text + len;
	const char *line = memchr(text, '\n', len);

	memset(out, 0, sizeof(*out));
	while (line != NULL && line < end) {
		const char *nl;

		line++;
		nl = memchr(line, '\n', (size_t)(end - line));
		one_line(line, (size_t)((nl != NULL ? nl : end) - line), out);
		line = nl;
	}
}
