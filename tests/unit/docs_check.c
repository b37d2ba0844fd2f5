/*
 * tests/unit/docs_check.c - every configuration key has its entry in
 * docs/tessera.conf.5, checked for the section tables a test passes.
 *
 * Runs inside Criterion test processes; the man page of the source tree
 * is trusted input.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/docs_check.h"
#include "lib/banned.h"

struct buf *
docs_documented_keys(void)
{
	const char *src = getenv("TESSERA_SRCDIR");
	char path[4096], line[512], section[512] = "";
	struct buf *out = buf_new(1024, 1 << 20);
	FILE *f;

	cr_assert_not_null(src, "TESSERA_SRCDIR is not set");
	snprintf(path, sizeof(path), "%s/docs/tessera.conf.5", src);
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, ".SS [", 5) == 0) {
			snprintf(section, sizeof(section), "%s", line + 5);
			section[strcspn(section, "]")] = '\0';
		} else if (strncmp(line, ".B ", 3) == 0 && section[0] != '\0') {
			buf_printf(out, "%s\t%s\n", section, line + 3);
		}
	}
	fclose(f);
	return out;
}

size_t
docs_check_sections(const struct cfg_section_def *defs, size_t n)
{
	struct buf *doc = buf_new(1024, 1 << 20);
	struct buf *have = docs_documented_keys();
	char *p, *save = NULL;
	size_t checked = 0;

	cr_assert_eq(cfg_doc(defs, n, doc), 0);
	for (p = strtok_r((char *)doc->data, "\n", &save); p != NULL;
	    p = strtok_r(NULL, "\n", &save)) {
		char want[256];
		const char *sec = p, *key = strchr(p, '\t') + 1;
		const char *end = strchr(key, '\t');

		if (end == key)
			continue;	/* the section's own line */
		snprintf(want, sizeof(want), "%.*s\t%.*s\n", (int)(key - 1 - sec),
		    sec, (int)(end - key), key);
		cr_expect_not_null(strstr(buf_cstr(have), want),
		    "docs/tessera.conf.5 lacks key %.*s",
		    (int)(strlen(want) - 1), want);
		checked++;
	}
	buf_free(&doc);
	buf_free(&have);
	return checked;
}
