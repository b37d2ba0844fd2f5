/*
 * directory/dir_escape.c - escaping of values placed in LDAP filters and DNs.
 *
 * Pure functions over bytes; the input is hostile (SMTP RCPT addresses,
 * IMAP logins) and may hold NUL, non-UTF-8 or filter metacharacters.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "lib/buf.h"
#include "directory/dir_escape.h"
#include "lib/banned.h"

static int
append_hex(struct buf *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[3] = { '\\', hex[c >> 4], hex[c & 0xf] };

	return buf_append(out, e, 3);
}

int
dir_escape_filter(struct buf *out, const char *value, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		int rc;

		if (c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 ||
		    c >= 0x7f)
			rc = append_hex(out, c);
		else
			rc = buf_append_byte(out, c);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
dir_escape_dn(struct buf *out, const char *value, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		bool edge = (i == 0 && (c == ' ' || c == '#')) ||
		    (i == len - 1 && c == ' ');
		int rc;

		if (c < 0x20 || c == 0x7f)
			rc = append_hex(out, c);
		else if (edge || strchr(",+\"\\<>;=", c) != NULL)
			rc = buf_printf(out, "\\%c", c);
		else
			rc = buf_append_byte(out, c);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
append_escaped(struct buf *out, const char *v, size_t len,
    enum dir_escape_mode mode)
{
	return mode == DIR_ESCAPE_FILTER ? dir_escape_filter(out, v, len) :
	    dir_escape_dn(out, v, len);
}

/* value == NULL: only check the template. */
static int
expand(const char *template, const char *value, enum dir_escape_mode mode,
    struct buf *out, const char **err_out)
{
	const char *at = value != NULL ? strrchr(value, '@') : NULL;
	size_t vlen = value != NULL ? strlen(value) : 0;

	for (const char *p = template; *p != '\0'; p++) {
		int rc = 0;

		if (*p != '%') {
			if (out != NULL)
				rc = buf_append_byte(out, (unsigned char)*p);
		} else {
			p++;
			if (*p != 's' && *p != 'a' && *p != 'u' && *p != 'd' &&
			    *p != '%') {
				*err_out = *p == '\0' ? "template ends in '%'" :
				    "unknown %-sequence in template (use %s %a %u %d %%)";
				return -1;
			}
			if (out == NULL)
				continue;
			if (*p == '%')
				rc = buf_append_byte(out, '%');
			else if (*p == 's' || *p == 'a')
				rc = append_escaped(out, value, vlen, mode);
			else if (*p == 'u')
				rc = append_escaped(out, value,
				    at != NULL ? (size_t)(at - value) : vlen, mode);
			else if (at != NULL)
				rc = append_escaped(out, at + 1,
				    vlen - (size_t)(at - value) - 1, mode);
		}
		if (rc == -1) {
			*err_out = "expanded template too long";
			return -1;
		}
	}
	return 0;
}

int
dir_expand(const char *template, const char *value, enum dir_escape_mode mode,
    struct buf *out, const char **err_out)
{
	buf_reset(out);
	return expand(template, value, mode, out, err_out);
}

int
dir_template_check(const char *template, const char **err_out)
{
	return expand(template, NULL, DIR_ESCAPE_FILTER, NULL, err_out);
}
