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
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

Test(docs, shared_sections_are_documented)
{
	struct cfg_section_def defs[] = { settings_global_def, settings_tls_def,
		settings_listener_def("DAEMON.listener"), dns_config_def,
		settings_sasl_def };

	cr_assert_gt(docs_check_sections(defs, 5), 0);
}

Test(docs, the_check_itself_finds_a_missing_key)
{
	struct buf *have = docs_documented_keys();

	cr_assert_not_null(strstr(buf_cstr(have), "global\tlog_level\n"));
	cr_assert_null(strstr(buf_cstr(have), "global\tno_such_key\n"));
	buf_free(&have);
}
