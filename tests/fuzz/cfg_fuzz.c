/*
 * tests/fuzz/cfg_fuzz.c - fuzz target for lib/cfg.c and lib/cfg_value.c.
 *
 * The input is configuration text (cut at the first NUL, as a C string
 * would be) for a fixed table: a singleton section with a key of every
 * value type, some with ranges, and a named section with a check
 * function. Invariants:
 *  - a successful load dumps to text that loads back (every line within
 *    CFG_LINE_MAX) to the same values and dumps identically, apart from
 *    the "set" marks (the reloaded dump sets every key);
 *  - a failed load reports at least one error, at most CFG_ERRORS_MAX
 *    lines plus "too many errors", and leaves the configuration exactly
 *    as it was.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Longest input looked at: plenty of lines, quick runs. */
#define CFG_FUZZ_MAX_INPUT 16384

struct fz_main {
	char *name;
	int64_t count;
	int64_t any;
	uint64_t size;
	uint64_t bigsize;
	uint64_t timeout;
	uint64_t delay;
	bool flag;
	char **list;
	size_t nlist;
	int mode;
	bool lflag;
	uint64_t ldelay;
};

#define X10(s) s s s s s s s s s s
/* 192 bytes, and one for the type */
#define LONG_KEY X10("long_key_name_xxxx") "long_key_nam"

static const char *const modes[] = { "off", "fast", "Safe", "paranoid",
    NULL };

static const struct cfg_key main_keys[] = {
	CFG_STRING(struct fz_main, name, "name", "host.example", "A string."),
	CFG_INT(struct fz_main, count, "count", "4", "-10", "1000",
	    "Bounded integer."),
	CFG_INT(struct fz_main, any, "any", "0", NULL, NULL, "Any integer."),
	CFG_SIZE(struct fz_main, size, "size", "10M", "1k", "1G",
	    "Bounded size."),
	CFG_SIZE(struct fz_main, bigsize, "bigsize", "0", NULL, NULL,
	    "Any size."),
	CFG_TIME(struct fz_main, timeout, "timeout", "5m", "10ms", "2d",
	    "Bounded duration."),
	CFG_TIME(struct fz_main, delay, "delay", "0", NULL, NULL,
	    "Any duration."),
	CFG_BOOL(struct fz_main, flag, "flag", "yes", "A bool."),
	CFG_LIST(struct fz_main, list, nlist, "list", "a, b", "A list."),
	CFG_ENUM(struct fz_main, mode, "mode", "fast", modes, "An enum."),
	/* names so long that "key = yes" and "key = 90s" pass CFG_LINE_MAX
	 * where "key=1" and "key=90" do not: the compact dump */
	CFG_BOOL(struct fz_main, lflag, LONG_KEY "f", "no", "Long name."),
	CFG_TIME(struct fz_main, ldelay, LONG_KEY "d", "0", NULL, NULL,
	    "Long name."),
};

struct fz_peer {
	char *address;
	uint64_t timeout;
	bool enabled;
	char **tags;
	size_t ntags;
};

static const struct cfg_key peer_keys[] = {
	CFG_STRING(struct fz_peer, address, "address", "", "A string."),
	CFG_TIME(struct fz_peer, timeout, "timeout", "30s", NULL, "1d",
	    "Duration with a maximum."),
	CFG_BOOL(struct fz_peer, enabled, "enabled", "no", "A bool."),
	CFG_LIST(struct fz_peer, tags, ntags, "tags", "", "A list."),
};

/* An enabled peer needs an address. */
static int
peer_check(void *data, const char *instance, struct buf *msg)
{
	const struct fz_peer *p = data;

	(void)instance;
	if (!p->enabled || p->address[0] != '\0')
		return 0;
	(void)buf_append_str(msg, "enabled peer without an address");
	return -1;
}

static const struct cfg_section_def defs[] = {
	CFG_SECTION("main", struct fz_main, main_keys, NULL, "Singleton."),
	CFG_SECTION_NAMED("main.peer", struct fz_peer, peer_keys, peer_check,
	    "Named."),
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

/* Drop the "set" marks from a dump, in place: " # set" after a value, or
 * a "# set" line before a key written compactly. */
static void
unmark(struct buf *b)
{
	char *p;

	while ((p = strstr((char *)b->data, " # set\n")) != NULL) {
		memmove(p, p + 6, strlen(p + 6) + 1);
		b->len -= 6;
	}
	while ((p = strstr((char *)b->data, "\n# set\n")) != NULL) {
		memmove(p + 1, p + 7, strlen(p + 7) + 1);
		b->len -= 6;
	}
}

/* Every line of a dump must fit the parser's line limit. */
static void
check_lines(const struct buf *b)
{
	const char *p = buf_cstr(b), *nl;

	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL || (size_t)(nl - p) > CFG_LINE_MAX)
			abort();
	}
}

static bool
lists_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (a[i] == NULL || b[i] == NULL || strcmp(a[i], b[i]) != 0)
			return false;
	return a[na] == NULL && b[nb] == NULL;
}

/* The reloaded dump holds the very same values. */
static void
check_same(const struct cfg *c, const struct cfg *c2)
{
	const struct fz_main *m = cfg_get(c, "main"), *m2 = cfg_get(c2, "main");
	const void *const *p, *const *p2;
	const char *const *n, *const *n2;
	size_t i, np = cfg_instances(c, "main.peer", &n, &p);

	if (strcmp(m->name, m2->name) != 0 || m->count != m2->count ||
	    m->any != m2->any || m->size != m2->size ||
	    m->bigsize != m2->bigsize || m->timeout != m2->timeout ||
	    m->delay != m2->delay || m->flag != m2->flag ||
	    m->mode != m2->mode || m->lflag != m2->lflag ||
	    m->ldelay != m2->ldelay ||
	    !lists_eq(m->list, m->nlist, m2->list, m2->nlist))
		abort();
	if (cfg_instances(c2, "main.peer", &n2, &p2) != np)
		abort();
	for (i = 0; i < np; i++) {
		const struct fz_peer *a = p[i], *b = p2[i];

		if (strcmp(n[i], n2[i]) != 0 ||
		    strcmp(a->address, b->address) != 0 ||
		    a->timeout != b->timeout || a->enabled != b->enabled ||
		    !lists_eq(a->tags, a->ntags, b->tags, b->ntags))
			abort();
	}
}

static void
check_errors(const struct buf *err)
{
	const char *p = buf_cstr(err);
	size_t lines = 0;

	for (; *p != '\0'; p++)
		if (*p == '\n')
			lines++;
	if (lines == 0 || lines > CFG_ERRORS_MAX + 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *c = cfg_new(defs, NDEFS), *c2 = cfg_new(defs, NDEFS);
	struct buf *before = buf_new(1024, 1 << 20);
	struct buf *d1 = buf_new(1024, 1 << 20), *d2 = buf_new(1024, 1 << 20);
	struct buf *err = buf_new(256, 1 << 16);
	size_t len = size < CFG_FUZZ_MAX_INPUT ? size : CFG_FUZZ_MAX_INPUT;
	char *text = xstrndup((const char *)data, len);

	/* a first good load, so that a failed one has something to keep */
	if (cfg_load_string(c, "base", "[main]\ncount = 7\n[main.peer.x]\n",
	    err) == -1 || cfg_dump(c, before) == -1)
		abort();
	if (cfg_load_string(c, "fuzz", text, err) == -1) {
		check_errors(err);
		if (cfg_dump(c, d1) == -1 || strcmp(buf_cstr(d1),
		    buf_cstr(before)) != 0)
			abort();
		goto out;
	}
	if (buf_cstr(err)[0] != '\0' || cfg_dump(c, d1) == -1)
		abort();
	check_lines(d1);
	if (cfg_load_string(c2, "dump", buf_cstr(d1), err) == -1 ||
	    cfg_dump(c2, d2) == -1)
		abort();
	unmark(d1);
	unmark(d2);
	check_same(c, c2);
	if (strcmp(buf_cstr(d1), buf_cstr(d2)) != 0)
		abort();
out:
	free(text);
	buf_free(&before);
	buf_free(&d1);
	buf_free(&d2);
	buf_free(&err);
	cfg_free(&c);
	cfg_free(&c2);
	return 0;
}
