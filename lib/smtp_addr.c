/*
 * lib/smtp_addr.c - RFC 5321 4.1.2 paths and mailboxes, RFC 6531 UTF-8
 * addresses, domain and address-literal checks.
 *
 * Input is a client's command line and hostile: every index is checked
 * against len, lengths against the caller's limits, and nothing relies on
 * a NUL. Results are copied into the caller's pool.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "lib/smtp_addr.h"
#include "lib/banned.h"

static const char atext_specials[] = "!#$%&'*+-/=?^_`{|}~";

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static bool
is_atext(unsigned char c, bool utf8)
{
	if (is_alnum(c))
		return true;
	if (c >= 0x80)
		return utf8;
	return c != '\0' && strchr(atext_specials, c) != NULL;
}

/* Length of the UTF-8 sequence at s[0..len), 0 if malformed. */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n, i;
	unsigned long cp;

	if (c < 0x80)
		return c != 0;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool
smtp_utf8_is_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = utf8_seq(u + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

static bool
has_8bit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

bool
smtp_local_is_dot_string(const char *s, size_t len, bool utf8)
{
	bool dot_ok = false;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (!dot_ok)
				return false;
			dot_ok = false;
		} else if (is_atext((unsigned char)s[i], utf8)) {
			dot_ok = true;
		} else {
			return false;
		}
	}
	return dot_ok && (!utf8 || smtp_utf8_is_valid(s, len));
}

bool
smtp_addr_is_null(const struct smtp_path *path)
{
	return path->is_null;
}

int
smtp_addr_literal_check(const char *s, size_t len)
{
	char tmp[64];
	unsigned char a[16];
	size_t n;

	if (len < 3 || s[0] != '[' || s[len - 1] != ']')
		return -1;
	s++;
	n = len - 2;
	if (n > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		if (n - 5 >= sizeof(tmp) || memchr(s, '\0', n) != NULL)
			return -1;
		memcpy(tmp, s + 5, n - 5);
		tmp[n - 5] = '\0';
		return inet_pton(AF_INET6, tmp, a) == 1 ? 0 : -1;
	}
	if (n >= sizeof(tmp) || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	/* inet_pton takes only the dotted quad of RFC 5321's IPv4 literal */
	return inet_pton(AF_INET, tmp, a) == 1 ? 0 : -1;
}

/* One LDH label: Let-dig [Ldh-str], 1 to 63 bytes. */
static bool
ldh_label_ok(const char *l, size_t n)
{
	if (n == 0 || n > 63 || !is_alnum((unsigned char)l[0]) ||
	    !is_alnum((unsigned char)l[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum((unsigned char)l[i]) && l[i] != '-')
			return false;
	return true;
}

/* The A-label form of a domain (ASCII already in lower case) with
 * U-labels or "xn--" labels, checked by a round trip through libidn2
 * (which accepts any "xn--" string when converting to ASCII). IDNA2008
 * proper, no UTS 46 mapping: an address names one mailbox, so a U-label
 * that would need mapping (soft hyphen, upper case) is refused rather
 * than silently turned into another name. 0 with *out from malloc, or
 * -1. */
static int
idn_to_ascii(const char *d, char **out)
{
	char *u = NULL, *a = NULL, *back = NULL;
	int rc = -1;

	*out = NULL;
	if (idn2_to_ascii_8z(d, &a, IDN2_NFC_INPUT | IDN2_NO_TR46) != IDN2_OK)
		goto done;
	if (idn2_to_unicode_8z8z(a, &u, 0) != IDN2_OK)
		goto done;
	if (idn2_to_ascii_8z(u, &back, IDN2_NO_TR46) != IDN2_OK ||
	    strcasecmp(a, back) != 0)
		goto done;
	*out = a;
	a = NULL;
	rc = 0;
done:
	free(a);
	free(u);
	free(back);
	return rc;
}

/* Whether every label of a NUL-terminated ASCII domain is LDH. */
static bool
ascii_domain_ok(const char *z)
{
	const char *dot;

	for (;;) {
		dot = strchr(z, '.');
		if (!ldh_label_ok(z, dot != NULL ? (size_t)(dot - z) :
		    strlen(z)))
			return false;
		if (dot == NULL)
			return true;
		z = dot + 1;
	}
}

static int
why(const char **why_out, const char *text)
{
	if (why_out != NULL)
		*why_out = text;
	return -1;
}

/* Check the labels of d[0..len): LDH for ASCII labels, hyphen rules for
 * U-labels (RFC 5891 4.2.3.1); *idn set if IDNA is involved. 0 or -1. */
static int
check_labels(const char *d, size_t len, bool *idn)
{
	size_t start = 0, i, n;

	for (i = 0; i <= len; i++) {
		if (i < len && d[i] != '.')
			continue;
		n = i - start;
		if (n == 0)
			return -1;
		if (n >= 4 && strncasecmp(d + start, "xn--", 4) == 0)
			*idn = true;
		if (!has_8bit(d + start, n)) {
			if (!ldh_label_ok(d + start, n))
				return -1;
		} else {
			*idn = true;
			if (d[start] == '-' || d[i - 1] == '-' || (n >= 4 &&
			    d[start + 2] == '-' && d[start + 3] == '-'))
				return -1;
		}
		start = i + 1;
	}
	return 0;
}

int
smtp_domain_check(struct pool *p, const char *d, size_t len,
    const struct smtp_limits *lim, bool utf8, char **ascii_out,
    const char **why_out)
{
	bool idn = false;
	char *z, *a;
	size_t i;

	if (len == 0 || len > lim->domain_max)
		return why(why_out, "domain empty or too long");
	if (memchr(d, '\0', len) != NULL)
		return why(why_out, "NUL in domain");
	if (has_8bit(d, len)) {
		if (!utf8)
			return why(why_out, "non-ASCII domain");
		if (!smtp_utf8_is_valid(d, len))
			return why(why_out, "malformed UTF-8 in domain");
		idn = true;
	}
	if (check_labels(d, len, &idn) == -1)
		return why(why_out, "bad label in domain");
	z = pool_strndup(p, d, len);
	for (i = 0; z[i] != '\0'; i++)
		if (z[i] >= 'A' && z[i] <= 'Z')
			z[i] = (char)(z[i] - 'A' + 'a');
	if (idn) {
		if (idn_to_ascii(z, &a) == -1)
			return why(why_out, "invalid internationalized domain");
		if (strlen(a) > lim->domain_max) {
			free(a);
			return why(why_out, "domain too long");
		}
		z = pool_strdup(p, a);
		free(a);
		if (!ascii_domain_ok(z))
			return why(why_out, "invalid internationalized domain");
	}
	if (ascii_out != NULL)
		*ascii_out = z;
	return 0;
}

/* The reply for a malformed path, naming sender or recipient. */
static int
path_error(unsigned flags, struct smtp_error *err, const char *text)
{
	if (flags & SMTP_PATH_SENDER)
		return smtp_error_set(err, 501, "5.1.7", text);
	return smtp_error_set(err, 501, "5.1.3", text);
}

/* Domain bytes from s[i]: LDH, dots, 8-bit (checked later). */
static size_t
domain_span(const char *s, size_t len, size_t i)
{
	size_t j = i;

	while (j < len && (is_alnum((unsigned char)s[j]) || s[j] == '-' ||
	    s[j] == '.' || (unsigned char)s[j] >= 0x80))
		j++;
	return j - i;
}

/* A-d-l ":" at s[i] (after "<"): "@dom,@dom:". Advances *i past ':'. */
static int
skip_source_route(struct pool *p, const char *s, size_t len, size_t *i,
    const struct smtp_limits *lim, unsigned flags, struct smtp_error *err)
{
	size_t n;

	for (;;) {
		if (*i >= len || s[*i] != '@')
			return path_error(flags, err, "Bad source route");
		(*i)++;
		n = domain_span(s, len, *i);
		if (smtp_domain_check(p, s + *i, n, lim,
		    (flags & SMTP_PATH_UTF8) != 0, NULL, NULL) == -1)
			return path_error(flags, err, "Bad domain in source route");
		*i += n;
		if (*i < len && s[*i] == ',') {
			(*i)++;
			continue;
		}
		if (*i < len && s[*i] == ':') {
			(*i)++;
			return 0;
		}
		return path_error(flags, err, "Bad source route");
	}
}

/* Local part at s[*i]: Dot-string or Quoted-string, decoded into out
 * (whose ceiling is the local part limit). -1 bad syntax, -2 too long. */
static int
parse_local(const char *s, size_t len, size_t *i, bool utf8, struct buf *out)
{
	size_t j = *i;
	unsigned char c;

	if (j < len && s[j] == '"') {
		for (j++; j < len && s[j] != '"'; j++) {
			c = (unsigned char)s[j];
			if (c == '\\') {
				/* quoted-pairSMTP = "\" %d32-126 */
				if (++j >= len || s[j] < 32 || s[j] > 126)
					return -1;
				c = (unsigned char)s[j];
			} else if (c < 32 || c == 127 || (c >= 0x80 && !utf8)) {
				return -1;
			}
			if (buf_append_byte(out, c) == -1)
				return -2;
		}
		if (j >= len)
			return -1;
		*i = j + 1;
		return 0;
	}
	while (j < len && (s[j] == '.' || is_atext((unsigned char)s[j], true)))
		j++;
	if (!smtp_local_is_dot_string(s + *i, j - *i, true))
		return -1;
	if (buf_append(out, s + *i, j - *i) == -1)
		return -2;
	*i = j;
	return 0;
}

/* local@domain with the local part quoted only if it must be. */
static char *
canonical_addr(struct pool *p, const char *local, size_t llen,
    const char *domain, bool utf8)
{
	struct buf *b;
	char *r;

	if (smtp_local_is_dot_string(local, llen, utf8))
		return pool_printf(p, "%.*s@%s", (int)llen, local, domain);
	b = buf_new(llen * 2 + 3, (size_t)-1 / 2);
	buf_append_byte(b, '"');
	for (size_t k = 0; k < llen; k++) {
		if (local[k] == '"' || local[k] == '\\')
			buf_append_byte(b, '\\');
		buf_append_byte(b, (unsigned char)local[k]);
	}
	buf_printf(b, "\"@%s", domain);
	r = pool_strdup(p, buf_cstr(b));
	buf_free(&b);
	return r;
}

/* The domain or address literal at s[*i], after the "@". */
static int
parse_mailbox_domain(struct pool *p, const char *s, size_t len, size_t *i,
    const struct smtp_limits *lim, unsigned flags, struct smtp_path *path,
    struct smtp_error *err)
{
	size_t n;

	if (*i < len && s[*i] == '[') {
		const char *end = memchr(s + *i, ']', len - *i);

		n = end == NULL ? 0 : (size_t)(end - (s + *i)) + 1;
		if (n == 0 || n > lim->domain_max ||
		    smtp_addr_literal_check(s + *i, n) == -1)
			return path_error(flags, err, "Bad address literal");
		path->is_literal = true;
		path->domain = pool_strndup(p, s + *i, n);
		path->domain_ascii = path->domain;
	} else {
		/* UTF-8 is checked here and refused by the caller without
		 * SMTPUTF8, with its own reply */
		n = domain_span(s, len, *i);
		if (smtp_domain_check(p, s + *i, n, lim, true,
		    &path->domain_ascii, NULL) == -1)
			return path_error(flags, err, "Bad domain");
		path->domain = pool_strndup(p, s + *i, n);
	}
	*i += n;
	return 0;
}

/* The mailbox at s[*i] (after "<" and any source route) up to ">". */
static int
parse_mailbox(struct pool *p, const char *s, size_t len, size_t *i,
    const struct smtp_limits *lim, unsigned flags, struct smtp_path *path,
    struct smtp_error *err)
{
	struct buf *local = buf_new(64, lim->local_max);
	int rc = -1;

	switch (parse_local(s, len, i, true, local)) {
	case 0:
		break;
	case -2:
		rc = path_error(flags, err, "Local part too long");
		goto done;
	default:
		rc = path_error(flags, err, "Bad local part");
		goto done;
	}
	if (*i >= len || s[*i] != '@') {
		rc = path_error(flags, err, "Missing domain");
		goto done;
	}
	(*i)++;
	if (parse_mailbox_domain(p, s, len, i, lim, flags, path, err) == -1)
		goto done;
	path->is_utf8 = has_8bit((const char *)local->data, local->len) ||
	    has_8bit(path->domain, strlen(path->domain));
	if (path->is_utf8 && !(flags & SMTP_PATH_UTF8)) {
		rc = smtp_error_set(err, 553, "5.6.7",
		    "Non-ASCII address requires SMTPUTF8");
		goto done;
	}
	if (path->is_utf8 && !smtp_utf8_is_valid((const char *)local->data,
	    local->len)) {
		rc = path_error(flags, err, "Malformed UTF-8 in local part");
		goto done;
	}
	path->local = pool_strndup(p, (const char *)local->data, local->len);
	path->addr = canonical_addr(p, path->local, local->len, path->domain,
	    path->is_utf8);
	rc = 0;
done:
	buf_free(&local);
	return rc;
}

int
smtp_path_parse(struct pool *p, const char *s, size_t len,
    const struct smtp_limits *lim, unsigned flags, struct smtp_path *path,
    size_t *used_out, struct smtp_error *err)
{
	size_t i = 1;

	memset(path, 0, sizeof(*path));
	if (len == 0 || s[0] != '<')
		return path_error(flags, err, "Path must be in angle brackets");
	if (len >= 2 && s[1] == '>') {
		if (!(flags & SMTP_PATH_SENDER))
			return path_error(flags, err, "Empty recipient");
		path->is_null = true;
		path->local = pool_strdup(p, "");
		path->addr = pool_strdup(p, "");
		i = 2;
		goto end;
	}
	if ((flags & SMTP_PATH_RECIPIENT) && len >= 12 &&
	    strncasecmp(s + 1, "postmaster>", 11) == 0) {
		/* RFC 5321 4.1.1.3: <Postmaster> with no domain */
		path->is_postmaster = true;
		path->local = pool_strndup(p, s + 1, 10);
		path->addr = pool_strdup(p, "Postmaster");
		i = 12;
		goto end;
	}
	if (i < len && s[i] == '@') {
		if (skip_source_route(p, s, len, &i, lim, flags, err) == -1)
			return -1;
	}
	if (parse_mailbox(p, s, len, &i, lim, flags, path, err) == -1)
		return -1;
	if (i >= len || s[i] != '>')
		return path_error(flags, err, "Path must end with '>'");
	i++;
end:
	if (i > lim->path_max)
		return path_error(flags, err, "Path too long");
	if (used_out != NULL)
		*used_out = i;
	else if (i != len)
		return path_error(flags, err, "Garbage after path");
	return 0;
}
