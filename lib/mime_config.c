/*
 * lib/mime_config.c - the [mime] section of tessera.conf: limits of the
 * header and MIME parsers.
 *
 * Runs in the master while it reads its configuration; the table is the
 * reference for the [mime] part of docs/tessera.conf.5
 * (tests/unit/lib/mime_config_test.c checks every key is documented).
 */
#include "config.h"

#include "lib/cfg.h"
#include "lib/mime_config.h"
#include "lib/msg_header.h"
#include "lib/banned.h"

#define T struct mime_config
static const struct cfg_key mime_keys[] = {
	CFG_SIZE(T, header_line_max, "header_line_max", "64k", "78", "16M",
	    "longest physical header line accepted without complaint"),
	CFG_INT(T, header_count_max, "header_count_max", "1000", "1",
	    "1000000", "header fields recorded per header block"),
	CFG_SIZE(T, header_size_max, "header_size_max", "1M", "1k", "64M",
	    "largest header block whose fields are recorded"),
	CFG_INT(T, depth_max, "depth_max", "32", "1", "256",
	    "deepest nesting of multiparts and message/rfc822 parsed"),
	CFG_INT(T, parts_max, "parts_max", "5000", "1", "1000000",
	    "most MIME parts parsed in one message"),
	CFG_SIZE(T, decode_max, "decode_max", "64M", "1k", "4G",
	    "most bytes of decoded text produced from one part"),
};

const struct cfg_section_def mime_config_def = CFG_SECTION("mime",
    struct mime_config, mime_keys, NULL,
    "MIME: limits of the message header and structure parsers");

void
mime_config_limits(const struct cfg *c, struct msg_limits *lim)
{
	const struct mime_config *m = cfg_get(c, "mime");

	lim->header_line_max = (size_t)m->header_line_max;
	lim->header_count_max = (size_t)m->header_count_max;
	lim->header_size_max = (size_t)m->header_size_max;
	lim->depth_max = (size_t)m->depth_max;
	lim->parts_max = (size_t)m->parts_max;
	lim->decode_max = (size_t)m->decode_max;
}
#undef T
