/*
 * tests/unit/lib/mime_config_test.c - unit tests for lib/mime_config.c:
 * the [mime] section's defaults match the parsers' built-in limits,
 * values and range errors, and every key is documented in
 * docs/tessera.conf.5.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/mime_config.h"
#include "lib/msg_header.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

Test(mime_config, defaults_are_the_parsers_defaults)
{
	struct cfg *c = cfg_new(&mime_config_def, 1);
	struct msg_limits want, got;

	msg_limits_defaults(&want);
	mime_config_limits(c, &got);
	cr_assert_eq(memcmp(&want, &got, sizeof(want)), 0);
	cfg_free(&c);
}

Test(mime_config, values_are_read)
{
	struct cfg *c = cfg_new(&mime_config_def, 1);
	struct buf *err = buf_new(64, 4096);
	struct msg_limits l;

	cr_assert_eq(cfg_load_string(c, "t.conf", "[mime]\n"
	    "header_line_max = 998\nheader_count_max = 50\n"
	    "header_size_max = 64k\ndepth_max = 8\nparts_max = 100\n"
	    "decode_max = 1M\n", err), 0, "%s", buf_cstr(err));
	mime_config_limits(c, &l);
	cr_assert_eq(l.header_line_max, 998);
	cr_assert_eq(l.header_count_max, 50);
	cr_assert_eq(l.header_size_max, 65536);
	cr_assert_eq(l.depth_max, 8);
	cr_assert_eq(l.parts_max, 100);
	cr_assert_eq(l.decode_max, 1 << 20);
	cfg_free(&c);
	buf_free(&err);
}

Test(mime_config, ranges_are_enforced)
{
	const char *bad[] = { "depth_max = 0", "depth_max = 257",
		"parts_max = 0", "header_line_max = 77", "header_count_max = 0",
		"decode_max = 1023", "no_such_key = 1" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cfg *c = cfg_new(&mime_config_def, 1);
		struct buf *err = buf_new(64, 4096);
		char text[128];

		snprintf(text, sizeof(text), "[mime]\n%s\n", bad[i]);
		cr_expect_eq(cfg_load_string(c, "t.conf", text, err), -1, "%s",
		    bad[i]);
		cfg_free(&c);
		buf_free(&err);
	}
}

Test(mime_config, every_key_is_documented)
{
	cr_assert_gt(docs_check_sections(&mime_config_def, 1), 0);
}
