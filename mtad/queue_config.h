/*
 * mtad/queue_config.h - the [mtad.queue] section of tessera.conf: the
 * queue parser's limits.
 *
 * Read by the mtad master (and the admin command) before privileges are
 * dropped; children inherit the struct.
 */
#ifndef MTAD_QUEUE_CONFIG_H
#define MTAD_QUEUE_CONFIG_H

#include <stdint.h>

#include "lib/cfg.h"
#include "mtad/queue.h"

struct queue_config {
	uint64_t envelope_line_max;	/* bytes */
	int64_t recipients_max;
};

/* The [mtad.queue] section definition (for cfg_new). */
extern const struct cfg_section_def queue_config_def;

/* The limits the [mtad.queue] section of c sets. */
void queue_config_limits(const struct cfg *c, struct queue_limits *lim);

#endif
