/*
 * accessd/store_path.c - the store's layout: mailbox ids and their fan-out
 * directory, folder names (UTF-8, '/' separated) and their Maildir++
 * directory names (".A.B", '.' inside a level as "%2E").
 *
 * Names come from IMAP clients and directory names from disk: both are
 * checked (UTF-8, forbidden characters, length, depth) before use, and
 * the mapping is one to one so no two names share a directory.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

bool
store_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > STORE_ID_MAX || id[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._=+@-", c) != NULL))
			return false;
	}
	return true;
}

void
store_id_fanout(const char *id, char out[3])
{
	static const char hex[] = "0123456789abcdef";
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (const char *p = id; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 16777619u;
	}
	h ^= h >> 16;
	out[0] = hex[(h >> 4) & 0xf];
	out[1] = hex[h & 0xf];
	out[2] = '\0';
}

/* Length of the UTF-8 sequence at s (strict: no overlongs, surrogates or
 * code points past U+10FFFF), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

enum store_result
store_name_canon(const struct store_limits *lim, const char *name,
    char *canon, size_t size, struct buf *err)
{
	size_t n = strlen(name), depth = 1;
	const unsigned char *p = (const unsigned char *)name;

	if (n == 0) {
		store_err(err, "empty folder name");
		return STORE_INVALID;
	}
	if (n > lim->folder_name_max) {
		store_err(err, "folder name longer than %zu bytes",
		    lim->folder_name_max);
		return STORE_LIMIT;
	}
	if (name[0] == STORE_SEP || name[n - 1] == STORE_SEP) {
		store_err(err, "folder name starts or ends with '%c'",
		    STORE_SEP);
		return STORE_INVALID;
	}
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(p + i);

		if (l == 0) {
			store_err(err, "folder name is not UTF-8");
			return STORE_INVALID;
		}
		if (l == 1 && (p[i] < 0x20 || p[i] == 0x7f || p[i] == '%' ||
		    p[i] == '*')) {
			store_err(err, "folder name has a forbidden character");
			return STORE_INVALID;
		}
		if (p[i] == STORE_SEP) {
			if (p[i + 1] == STORE_SEP) {
				store_err(err, "folder name has an empty level");
				return STORE_INVALID;
			}
			depth++;
		}
		i += l;
	}
	if (depth > lim->folder_depth_max) {
		store_err(err, "folder name deeper than %u levels",
		    lim->folder_depth_max);
		return STORE_LIMIT;
	}
	if (str_copy(canon, size, name) == -1) {
		store_err(err, "folder name too long");
		return STORE_LIMIT;
	}
	/* RFC 3501 5.1: INBOX is case-insensitive, also as a parent */
	if (str_prefix_ci(canon, "INBOX") &&
	    (canon[5] == '\0' || canon[5] == STORE_SEP))
		memcpy(canon, "INBOX", 5);
	return STORE_OK;
}

bool
store_name_is_inbox(const char *canon)
{
	return strcmp(canon, "INBOX") == 0;
}

int
store_name_to_dir(const char *canon, char *out, size_t size)
{
	size_t o = 0;

	if (store_name_is_inbox(canon))
		return str_copy(out, size, "");
	if (size < 2)
		return -1;
	out[o++] = '.';
	for (const char *p = canon; *p != '\0'; p++) {
		const char *piece = *p == STORE_SEP ? "." :
		    *p == '.' ? "%2E" : NULL;
		size_t pl = piece != NULL ? strlen(piece) : 1;

		if (o + pl >= size || o + pl > STORE_DIRNAME_MAX)
			return -1;
		if (piece != NULL)
			memcpy(out + o, piece, pl);
		else
			out[o] = *p;
		o += pl;
	}
	out[o] = '\0';
	return 0;
}

int
store_dir_to_name(const char *d, char *out, size_t size)
{
	size_t o = 0;

	if (d[0] != '.' || d[1] == '\0' || d[1] == '.')
		return -1;
	for (const char *p = d + 1; *p != '\0'; p++) {
		char c = *p;

		if (c == '.') {
			if (p[1] == '.' || p[1] == '\0')
				return -1;
			c = STORE_SEP;
		} else if (c == '%') {
			if (strncmp(p, "%2E", 3) != 0)
				return -1;
			c = '.';
			p += 2;
		} else if (c == STORE_SEP) {
			return -1;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

unsigned
store_name_depth(const char *canon)
{
	unsigned d = 1;

	for (const char *p = canon; *p != '\0'; p++)
		if (*p == STORE_SEP)
			d++;
	return d;
}

static const struct {
	const char *name;
	enum store_special special;
	const char *flag;
} specials[] = {
	{ "Sent", STORE_SPECIAL_SENT, "\\Sent" },
	{ "Drafts", STORE_SPECIAL_DRAFTS, "\\Drafts" },
	{ "Trash", STORE_SPECIAL_TRASH, "\\Trash" },
	{ "Junk", STORE_SPECIAL_JUNK, "\\Junk" },
	{ "Archive", STORE_SPECIAL_ARCHIVE, "\\Archive" },
};

enum store_special
store_name_special(const char *canon)
{
	for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		if (strcmp(canon, specials[i].name) == 0)
			return specials[i].special;
	return STORE_SPECIAL_NONE;
}

const char *
store_special_name(enum store_special s)
{
	for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		if (specials[i].special == s)
			return specials[i].flag;
	return NULL;
}
