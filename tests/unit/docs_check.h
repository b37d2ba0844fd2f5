/*
 * tests/unit/docs_check.h - the test that every configuration key is
 * documented, for any module's section definitions.
 *
 * Runs inside Criterion tests; reads docs/tessera.conf.5 from
 * $TESSERA_SRCDIR and expects a ".B key" line under the ".SS [section]"
 * heading of each key of each section (cfg_doc), failing the test for
 * each one missing.
 */
#ifndef TESTS_UNIT_DOCS_CHECK_H
#define TESTS_UNIT_DOCS_CHECK_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/cfg.h"

/* Check every key of the n sections in defs; returns how many keys were
 * checked (so a caller can assert its table is not empty). */
size_t docs_check_sections(const struct cfg_section_def *defs, size_t n);
/* "section\tkey\n" for every ".B key" line of the man page (caller
 * frees). */
struct buf *docs_documented_keys(void);

#endif
