/*
 * mtad/delivery_config.h - the [mtad.delivery] section of tessera.conf:
 * what the queue manager does beyond handing messages to the next hop:
 * delivery status notifications (mtad/dsn.h), the postmaster copy of
 * bounces that fail, delay warnings and the header scan of the loop check
 * (mtad/qmgr_loop.h).
 *
 * Read by the mtad master; the queue manager inherits the struct.
 */
#ifndef MTAD_DELIVERY_CONFIG_H
#define MTAD_DELIVERY_CONFIG_H

#include <stdint.h>

#include "lib/cfg.h"

struct delivery_config {
	char *postmaster;		/* double bounces go here; "": none */
	uint64_t delay_warning;		/* ms after arrival; 0: never */
	uint64_t dsn_return_max;	/* bytes of the original in a DSN */
	uint64_t loop_header_max;	/* header bytes scanned for loops */
};

extern const struct cfg_section_def delivery_config_def;

#endif
