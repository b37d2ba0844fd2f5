/*
 * admin/admin_args.c - validation of addresses, names and sizes typed by
 * an administrator.
 *
 * Runs in the tessera command. Input is a person's typing: checked fully
 * before it reaches a filter or a DN (where it is escaped as well).
 */
#include "config.h"

#include <string.h>

#include "admin/admin_args.h"
#include "lib/banned.h"

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 5322 atext. */
static bool
is_atext(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c)
	    != NULL);
}

static const char *
labels_check(const char *s, size_t len, size_t min_labels)
{
	size_t labels = 0, label_len = 0;

	if (len == 0)
		return "empty domain";
	if (len > ADMIN_DOMAIN_MAX)
		return "domain longer than 253 bytes";
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (label_len == 0)
				return "empty label in domain";
			if (s[i - 1] == '-')
				return "label ends with '-'";
			labels++;
			label_len = 0;
			continue;
		}
		if (!is_alnum(c) && c != '-')
			return "domain holds a character other than letters,"
			    " digits, '-' and '.'";
		if (c == '-' && label_len == 0)
			return "label starts with '-'";
		if (++label_len > ADMIN_LABEL_MAX)
			return "label longer than 63 bytes";
	}
	if (labels < min_labels)
		return "domain needs at least two labels";
	return NULL;
}

const char *
admin_domain_check(const char *s, size_t len)
{
	return labels_check(s, len, 2);
}

const char *
admin_host_check(const char *s, size_t len)
{
	return labels_check(s, len, 1);
}

const char *
admin_address_check(const char *s, size_t len)
{
	const char *at = NULL;
	size_t local;

	if (len == 0)
		return "empty address";
	if (len > ADMIN_ADDRESS_MAX)
		return "address longer than 320 bytes";
	for (size_t i = 0; i < len; i++)
		if (s[i] == '@')
			at = s + i;
	if (at == NULL)
		return "address has no '@'";
	local = (size_t)(at - s);
	if (local == 0)
		return "empty local part";
	if (local > ADMIN_LOCAL_MAX)
		return "local part longer than 64 bytes";
	if (s[0] == '.' || s[local - 1] == '.')
		return "local part starts or ends with '.'";
	for (size_t i = 0; i < local; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' && s[i + 1] == '.')
			return "local part holds \"..\"";
		if (c != '.' && !is_atext(c))
			return "local part holds a character an address cannot"
			    " (only letters, digits, '.' and !#$%&'*+-/=?^_`{|}~)";
	}
	return admin_domain_check(at + 1, len - local - 1);
}

/* Length of the UTF-8 sequence at s (at most left bytes), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and past U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

const char *
admin_name_check(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	bool blank = true;

	if (len == 0)
		return "empty name";
	if (len > ADMIN_NAME_MAX)
		return "name longer than 256 bytes";
	for (size_t i = 0; i < len;) {
		size_t n;

		if (u[i] < 0x20 || u[i] == 0x7f)
			return "name holds a control character";
		n = utf8_len(u + i, len - i);
		if (n == 0)
			return "name is not valid UTF-8";
		if (u[i] != ' ')
			blank = false;
		i += n;
	}
	return blank ? "name is only blanks" : NULL;
}

int
admin_size_parse(const char *s, size_t len, uint64_t max, uint64_t *out,
    const char **why)
{
	uint64_t v = 0, mult = 1;
	size_t digits = 0;

	if (len == 4 && memcmp(s, "none", 4) == 0) {
		*out = 0;
		return 0;
	}
	while (digits < len && s[digits] >= '0' && s[digits] <= '9') {
		unsigned d = (unsigned)(s[digits] - '0');

		if (v > (UINT64_MAX - d) / 10) {
			*why = "size too large";
			return -1;
		}
		v = v * 10 + d;
		digits++;
	}
	if (digits == 0) {
		*why = "size must start with digits (e.g. 500M, 2G)";
		return -1;
	}
	if (digits < len) {
		switch (s[digits] | 0x20) {
		case 'k': mult = 1ULL << 10; break;
		case 'm': mult = 1ULL << 20; break;
		case 'g': mult = 1ULL << 30; break;
		case 't': mult = 1ULL << 40; break;
		case 'b': mult = 1; digits--; break;
		default:
			*why = "unknown size unit (use k, m, g or t)";
			return -1;
		}
		digits++;
		if (digits < len && (s[digits] | 0x20) == 'b')
			digits++;
		if (digits != len) {
			*why = "garbage after the size";
			return -1;
		}
	}
	if (v > UINT64_MAX / mult) {
		*why = "size too large";
		return -1;
	}
	v *= mult;
	if (v > max) {
		*why = "size above the largest quota accepted ([admin]"
		    " quota_max)";
		return -1;
	}
	*out = v;
	return 0;
}
