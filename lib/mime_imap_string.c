/*
 * lib/mime_imap_string.c - IMAP string, nstring and upper-case string
 * output (RFC 3501 section 4.3 and the formal syntax of section 9).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime_imap.h"
#include "lib/mime_imap_int.h"
#include "lib/banned.h"

/* Longest string sent quoted; longer ones go as literals. */
#define IMAP_QUOTED_MAX 1024

int
mime_imap_string(struct buf *out, const char *s, size_t len)
{
	bool literal = len > IMAP_QUOTED_MAX;

	if (s == NULL)
		return buf_append_str(out, "NIL");
	for (size_t i = 0; i < len && !literal; i++) {
		uint8_t c = (uint8_t)s[i];

		literal = c >= 0x80 || c == '\r' || c == '\n' || c == '\0';
	}
	if (literal) {
		if (buf_printf(out, "{%zu}\r\n", len) == -1)
			return -1;
		for (size_t i = 0; i < len; i++)	/* CHAR8: no NUL */
			if (buf_append_byte(out, s[i] == '\0' ? ' ' :
			    (uint8_t)s[i]) == -1)
				return -1;
		return 0;
	}
	if (buf_append_byte(out, '"') == -1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if ((s[i] == '"' || s[i] == '\\') &&
		    buf_append_byte(out, '\\') == -1)
			return -1;
		if (buf_append_byte(out, (uint8_t)s[i]) == -1)
			return -1;
	}
	return buf_append_byte(out, '"');
}

int
mime_imap_nstring(struct buf *out, const char *s)
{
	return mime_imap_string(out, s, s == NULL ? 0 : strlen(s));
}

int
mime_imap_upper(struct buf *out, const char *s)
{
	size_t n = strlen(s);
	char tmp[256];

	if (n >= sizeof(tmp))
		return mime_imap_string(out, s, n);
	for (size_t i = 0; i <= n; i++)
		tmp[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i];
	return mime_imap_string(out, tmp, n);
}
