/*
 * lib/mime_charset.c - charset conversion to UTF-8 through glibc's iconv,
 * with UTF-8 validation of our own.
 *
 * Charset names come from hostile headers: they are checked against a
 * conservative alphabet (no "//TRANSLIT"-style suffixes reach iconv) and
 * a few common mislabels are mapped to what iconv knows.
 *
 * glibc loads a shared object per charset on iconv_open and unloads it
 * on iconv_close, so converters are kept open in a small per-thread
 * cache (CHARSET_CACHE_SIZE, least recently used out): the one piece of
 * state in this library, private to this file and never shared between
 * threads. A thread that ends closes its converters (a thread-specific
 * key's destructor): libmilter runs a thread per connection.
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime_decode.h"
#include "lib/str.h"
#include "lib/banned.h"

#define CHARSET_NAME_MAX 64
#define CHARSET_CACHE_SIZE 8

struct conv {
	char name[CHARSET_NAME_MAX];
	iconv_t cd;
	unsigned long used;	/* 0: free slot */
};

static __thread struct conv conv_cache[CHARSET_CACHE_SIZE];
static __thread unsigned long conv_tick;
static pthread_key_t conv_key;
static pthread_once_t conv_once = PTHREAD_ONCE_INIT;

/* At the end of a thread that cached converters: close them. */
static void
conv_cache_free(void *arg)
{
	struct conv *cache = arg;

	for (size_t i = 0; i < CHARSET_CACHE_SIZE; i++)
		if (cache[i].used != 0) {
			iconv_close(cache[i].cd);
			cache[i].used = 0;
		}
}

static void
conv_key_make(void)
{
	(void)pthread_key_create(&conv_key, conv_cache_free);
}

static const struct {
	const char *label, *iconv_name;
} aliases[] = {
	{ "ks_c_5601-1987", "CP949" },
	{ "gb2312", "GBK" },
	{ "x-gbk", "GBK" },
	{ "iso-8859-8-i", "ISO-8859-8" },
	{ "x-sjis", "SHIFT_JIS" },
	{ "windows-874", "CP874" },
	{ "x-mac-roman", "MACINTOSH" },
	{ "ansi_x3.4-1968", "ASCII" },
	{ "unicode-1-1-utf-8", "UTF-8" },
};

int
mime_utf8_put(struct buf *out, uint32_t cp)
{
	uint8_t b[4];
	size_t n;

	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(out, b, n);
}

/* Length of a valid UTF-8 sequence at p[len], or 0. */
static size_t
utf8_seq(const uint8_t *p, size_t len)
{
	uint32_t cp;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Append valid UTF-8, invalid bytes as U+FFFD, NULs dropped. */
static int
utf8_clean(const uint8_t *in, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq(in + i, len - i);

		if (n == 0) {
			if (mime_utf8_put(out, 0xfffd) == -1)
				return -1;
			i++;
			continue;
		}
		if (!(n == 1 && in[i] == '\0') &&
		    buf_append(out, in + i, n) == -1)
			return -1;
		i += n;
	}
	return 0;
}

/* The iconv name for a label, in name[size]; -1 if the label is not a
 * plausible charset name. */
static int
iconv_name(const char *label, char *name, size_t size)
{
	size_t n = strlen(label);

	if (n == 0 || n >= CHARSET_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = label[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_.:+()", c) != NULL))
			return -1;
	}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (str_eq_ci(label, aliases[i].label))
			return str_copy(name, size, aliases[i].iconv_name);
	return str_copy(name, size, label);
}

static bool
is_utf8_label(const char *cs)
{
	return cs == NULL || *cs == '\0' || str_eq_ci(cs, "utf-8") ||
	    str_eq_ci(cs, "utf8") || str_eq_ci(cs, "us-ascii") ||
	    str_eq_ci(cs, "ascii");
}

/* A converter from name to UTF-8 in its initial state, or (iconv_t)-1. */
static iconv_t
conv_get(const char *name)
{
	struct conv *victim = &conv_cache[0];
	iconv_t cd;

	for (size_t i = 0; i < CHARSET_CACHE_SIZE; i++) {
		struct conv *c = &conv_cache[i];

		if (c->used != 0 && str_eq_ci(c->name, name)) {
			c->used = ++conv_tick;
			iconv(c->cd, NULL, NULL, NULL, NULL);
			return c->cd;
		}
		if (c->used < victim->used)
			victim = c;
	}
	cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return cd;
	/* this thread's cache is closed when the thread ends */
	if (pthread_once(&conv_once, conv_key_make) == 0 &&
	    pthread_getspecific(conv_key) == NULL)
		(void)pthread_setspecific(conv_key, conv_cache);
	if (victim->used != 0)
		iconv_close(victim->cd);
	str_copy(victim->name, sizeof(victim->name), name);
	victim->cd = cd;
	victim->used = ++conv_tick;
	return cd;
}

bool
mime_charset_known(const char *charset)
{
	char name[CHARSET_NAME_MAX];

	if (is_utf8_label(charset))
		return true;
	if (iconv_name(charset, name, sizeof(name)) == -1)
		return false;
	return conv_get(name) != (iconv_t)-1;
}

/* Append iconv output, NULs dropped. */
static int
flush(struct buf *out, const char *tmp, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tmp[i] != '\0' && buf_append_byte(out, (uint8_t)tmp[i]) == -1)
			return -1;
	return 0;
}

static int
convert(iconv_t cd, const uint8_t *in, size_t len, struct buf *out)
{
	char *ip = (char *)(uintptr_t)in;
	size_t ileft = len;
	char tmp[1024];

	for (;;) {
		char *op = tmp;
		size_t oleft = sizeof(tmp), r;
		int e;

		r = ileft > 0 ? iconv(cd, &ip, &ileft, &op, &oleft) :
		    iconv(cd, NULL, NULL, &op, &oleft);
		e = errno;
		if (flush(out, tmp, sizeof(tmp) - oleft) == -1)
			return -1;
		if (r != (size_t)-1) {
			if (ileft == 0 && op == tmp)
				return 0;
			continue;	/* flushed the shift state, or more */
		}
		if (e == E2BIG)
			continue;
		if (mime_utf8_put(out, 0xfffd) == -1)
			return -1;
		if (e != EILSEQ || ileft == 0)
			return 0;	/* EINVAL: truncated sequence at the end */
		ip++;
		ileft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
}

int
mime_charset_to_utf8(const char *charset, const uint8_t *in, size_t len,
    struct buf *out)
{
	char name[CHARSET_NAME_MAX];
	size_t start = out->len;
	iconv_t cd;
	int rc;

	if (is_utf8_label(charset))
		rc = utf8_clean(in, len, out);
	else {
		if (iconv_name(charset, name, sizeof(name)) == -1)
			return -1;
		cd = conv_get(name);
		if (cd == (iconv_t)-1)
			return -1;
		rc = convert(cd, in, len, out);
	}
	if (rc == -1)
		buf_truncate(out, start);
	return rc;
}
