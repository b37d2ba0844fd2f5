/*
 * lib/mime_config.h - the [mime] section of tessera.conf: the limits the
 * message parsers (lib/msg_header.h, lib/mime.h) apply, shared by mtad,
 * accessd and the milters.
 *
 * Read by the master before privileges are dropped; children inherit the
 * parsed struct.
 */
#ifndef LIB_MIME_CONFIG_H
#define LIB_MIME_CONFIG_H

#include <stdint.h>

#include "lib/cfg.h"
#include "lib/msg_header.h"

struct mime_config {
	uint64_t header_line_max;
	int64_t header_count_max;
	uint64_t header_size_max;
	int64_t depth_max;
	int64_t parts_max;
	uint64_t decode_max;
};

/* The [mime] section definition (for cfg_new). */
extern const struct cfg_section_def mime_config_def;

/* Fill lim from the [mime] section of c (defaults for what is not set). */
void mime_config_limits(const struct cfg *c, struct msg_limits *lim);

#endif
