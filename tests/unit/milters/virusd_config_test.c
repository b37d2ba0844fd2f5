/*
 * tests/unit/milters/virusd_config_test.c - the [virusd] section:
 * defaults, its checks (header form, memory_size within
 * max_message_size), ranges at their bounds, and that every key is
 * documented in docs/tessera.conf.5.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/settings.h"
#include "milters/virus/virusd_config.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

static struct cfg *
load(const char *text, struct buf *err, int *rc)
{
	static struct cfg_section_def defs[2];
	struct cfg *c;

	defs[0] = settings_global_def;
	defs[1] = virusd_config_def;
	c = cfg_new(defs, 2);
	cfg_set_foreign(c, settings_sections);
	*rc = cfg_load_string(c, "test.conf", text, err);
	return c;
}

Test(virusd_config, defaults)
{
	struct buf *err = buf_new(256, 65536);
	int rc;
	struct cfg *c = load("", err, &rc);
	const struct virusd_config *v;

	cr_assert_eq(rc, 0, "%s", buf_cstr(err));
	v = cfg_get(c, "virusd");
	cr_assert_str_eq(v->socket, "unix:/run/tessera/virusd.sock");
	cr_assert_str_eq(v->database_dir, "/var/lib/clamav");
	cr_assert_eq(v->action, VIRUSD_ACTION_REJECT);
	cr_assert_eq(v->exceed_action, VIRUSD_FALLBACK_ACCEPT);
	cr_assert_eq(v->error_action, VIRUSD_FALLBACK_TEMPFAIL);
	cr_assert_str_eq(v->scanned_header, "X-Virus-Scanned: tessera-virusd");
	cr_assert_eq(v->max_message_size, 25ull << 20);
	cr_assert_eq(v->memory_size, 1ull << 20);
	cr_assert_eq(v->max_scan_size, 100ull << 20);
	cr_assert_eq(v->max_file_size, 25ull << 20);
	cr_assert_eq(v->max_recursion, 16);
	cr_assert_eq(v->max_files, 10000);
	cr_assert_eq(v->max_scan_time, 120000);
	cfg_free(&c);
	buf_free(&err);
}

Test(virusd_config, values_are_read)
{
	struct buf *err = buf_new(256, 65536);
	int rc;
	struct cfg *c = load("[virusd]\nsocket = inet:9999@127.0.0.1\n"
	    "action = quarantine\nexceed_action = reject\n"
	    "error_action = accept\nscanned_header =\nmax_recursion = 3\n"
	    "max_files = 1\nmemory_size = 0\nmax_message_size = 1k\n"
	    "[mtad]\nmax_recipients = 5\n", err, &rc);
	const struct virusd_config *v;

	cr_assert_eq(rc, 0, "%s", buf_cstr(err));
	v = cfg_get(c, "virusd");
	cr_assert_str_eq(v->socket, "inet:9999@127.0.0.1");
	cr_assert_eq(v->action, VIRUSD_ACTION_QUARANTINE);
	cr_assert_eq(v->exceed_action, VIRUSD_FALLBACK_REJECT);
	cr_assert_eq(v->error_action, VIRUSD_FALLBACK_ACCEPT);
	cr_assert_str_eq(v->scanned_header, "");
	cr_assert_eq(v->max_recursion, 3);
	cr_assert_eq(v->max_files, 1);
	cr_assert_eq(v->memory_size, 0);
	cr_assert_eq(v->max_message_size, 1024);
	cfg_free(&c);
	buf_free(&err);
}

static void
assert_refused(const char *text, const char *why)
{
	struct buf *err = buf_new(256, 65536);
	int rc;
	struct cfg *c = load(text, err, &rc);

	cr_assert_eq(rc, -1, "accepted: %s", text);
	cr_assert_not_null(strstr(buf_cstr(err), why), "%s", buf_cstr(err));
	cfg_free(&c);
	buf_free(&err);
}

Test(virusd_config, bad_values_are_refused)
{
	assert_refused("[virusd]\nscanned_header = no colon here\n",
	    "scanned_header");
	assert_refused("[virusd]\nscanned_header = : empty name\n",
	    "scanned_header");
	assert_refused("[virusd]\nscanned_header = X-Empty:\n",
	    "scanned_header");
	assert_refused("[virusd]\nmemory_size = 2M\nmax_message_size = 1M\n",
	    "memory_size");
	assert_refused("[virusd]\nsocket =\n", "socket");
	assert_refused("[virusd]\ndatabase_dir =\n", "database_dir");
	assert_refused("[virusd]\naction = drop\n", "action");
	assert_refused("[virusd]\nexceed_action = quarantine\n",
	    "exceed_action");
	assert_refused("[virusd]\nno_such_key = 1\n", "no_such_key");
}

/* Ranges at their bounds: max is taken, max+1 refused; min likewise. */
Test(virusd_config, ranges_at_their_bounds)
{
	struct buf *err = buf_new(256, 65536);
	int rc;
	struct cfg *c = load("[virusd]\nmax_recursion = 100\nmax_files = 1\n"
	    "max_scan_time = 100ms\nmax_message_size = 4G\n", err, &rc);

	cr_assert_eq(rc, 0, "%s", buf_cstr(err));
	cfg_free(&c);
	assert_refused("[virusd]\nmax_recursion = 101\n", "max_recursion");
	assert_refused("[virusd]\nmax_recursion = 0\n", "max_recursion");
	assert_refused("[virusd]\nmax_files = 0\n", "max_files");
	assert_refused("[virusd]\nmax_scan_time = 99ms\n", "max_scan_time");
	assert_refused("[virusd]\nmax_message_size = 1023\n",
	    "max_message_size");
	buf_free(&err);
}

Test(virusd_config, header_split)
{
	char name[64];
	const char *value = NULL;

	cr_assert_eq(virusd_config_header_split("X-Virus-Scanned: tessera",
	    name, sizeof(name), &value), 0);
	cr_assert_str_eq(name, "X-Virus-Scanned");
	cr_assert_str_eq(value, "tessera");
	cr_assert_eq(virusd_config_header_split("X a: b", name, sizeof(name),
	    &value), -1);
	cr_assert_eq(virusd_config_header_split("X-A: b\r\nX-B: c", name,
	    sizeof(name), &value), -1);
	cr_assert_eq(virusd_config_header_split("X-Too-Long: b", name, 8,
	    &value), -1);
}

Test(virusd_config, every_key_is_documented)
{
	struct cfg_section_def defs[] = { virusd_config_def };

	cr_assert_eq(docs_check_sections(defs, 1), 14);
}

Test(virusd_config, section_is_known_to_every_program)
{
	bool found = false;

	for (size_t i = 0; settings_sections[i] != NULL; i++)
		found |= strcmp(settings_sections[i], "virusd") == 0;
	cr_assert(found);
}
