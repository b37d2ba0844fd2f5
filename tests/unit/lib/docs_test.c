/*
 * tests/unit/lib/docs_test.c - every configuration key is documented.
 *
 * Reads docs/tessera.conf.5 from the source tree and checks that each key
 * of each section table (cfg_doc output) has a ".B key" entry under a
 * ".SS [section]" heading. Daemons add their tables to the list below.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/dns_config.h"
#include "lib/settings.h"
#include "lib/banned.h"

/* "section\tkey\n" for every ".B key" of the man page. */
static struct buf *
documented_keys(void)
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

static void
check_documented(const struct cfg_section_def *defs, size_t n)
{
	struct buf *doc = buf_new(1024, 1 << 20);
	struct buf *have = documented_keys();
	char *p, *save = NULL;

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
		    "docs/tessera.conf.5 lacks key %.*s", (int)(strlen(want) - 1), want);
	}
	buf_free(&doc);
	buf_free(&have);
}

Test(docs, shared_sections_are_documented)
{
	struct cfg_section_def defs[] = { settings_global_def, settings_tls_def,
		settings_listener_def("DAEMON.listener"), dns_config_def };

	check_documented(defs, 4);
}

Test(docs, the_check_itself_finds_a_missing_key)
{
	struct buf *have = documented_keys();

	cr_assert_not_null(strstr(buf_cstr(have), "global\tlog_level\n"));
	cr_assert_null(strstr(buf_cstr(have), "global\tno_such_key\n"));
	buf_free(&have);
}
