/*
 * tests/unit/accessd/store_config_test.c - the [accessd.store] section:
 * defaults, values reaching struct store_limits, bad values refused with
 * their line, and every key documented in docs/tessera.conf.5.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "accessd/store_config.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

static struct cfg *
load(const char *text, struct buf *errs)
{
	struct cfg *c = cfg_new(&store_config_def, 1);

	if (cfg_load_string(c, "t.conf", text, errs) == -1)
		cfg_free(&c);
	return c;
}

Test(store_config, defaults_equal_the_library_defaults)
{
	struct cfg *c = load("", NULL);
	struct store_limits a, b;
	const char *mr;

	store_limits_defaults(&a);
	store_config_limits(c, &b, &mr);
	cr_assert_str_eq(mr, "/var/lib/tessera/mail");
	cr_assert_eq(a.message_size_max, b.message_size_max);
	cr_assert_eq(a.folder_name_max, b.folder_name_max);
	cr_assert_eq(a.folder_depth_max, b.folder_depth_max);
	cr_assert_eq(a.folders_max, b.folders_max);
	cr_assert_eq(a.index_record_max, b.index_record_max);
	cr_assert_eq(a.keywords_max, b.keywords_max);
	cr_assert_eq(a.fsync, b.fsync);
	cfg_free(&c);
}

Test(store_config, values_reach_the_limits)
{
	struct cfg *c = load("[accessd.store]\nmail_root = /srv/mail\n"
	    "message_size_max = 10M\nfolder_name_max = 100\n"
	    "folder_depth_max = 4\nfolders_max = 50\nindex_record_max = 64k\n"
	    "keywords_max = 200\nfsync = no\n", NULL);
	struct store_limits l;
	const char *mr;

	cr_assert_not_null(c);
	store_config_limits(c, &l, &mr);
	cr_assert_str_eq(mr, "/srv/mail");
	cr_assert_eq(l.message_size_max, 10 << 20);
	cr_assert_eq(l.folder_name_max, 100);
	cr_assert_eq(l.folder_depth_max, 4);
	cr_assert_eq(l.folders_max, 50);
	cr_assert_eq(l.index_record_max, 64 << 10);
	cr_assert_eq(l.keywords_max, 200);
	cr_assert_eq(l.fsync, false);
	cfg_free(&c);
}

Test(store_config, bad_values_are_refused)
{
	static const char *const bad[] = {
		"[accessd.store]\nmail_root = relative/path\n",
		"[accessd.store]\nmessage_size_max = 3G\n",
		"[accessd.store]\nfolders_max = 5\n",
		"[accessd.store]\nfolder_depth_max = 0\n",
		"[accessd.store]\nindex_record_max = 1k\n",
		"[accessd.store]\nno_such_key = 1\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf *errs = buf_new(64, 4096);

		cr_assert_null(load(bad[i], errs), "accepted: %s", bad[i]);
		cr_assert_not_null(strstr(buf_cstr(errs), "t.conf:"), "%s",
		    buf_cstr(errs));
		buf_free(&errs);
	}
}

/* Every key of the table has a ".B key" under ".SS [accessd.store]". */
Test(store_config, every_key_documented)
{
	cr_assert_gt(docs_check_sections(&store_config_def, 1), 0);
}
