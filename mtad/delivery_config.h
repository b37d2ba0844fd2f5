/*
 * mtad/delivery_config.h - the [mtad.delivery] section of tessera.conf:
 * how many messages the queue manager delivers at once and how it keeps
 * its LMTP connections (mtad/lmtp_client.h), and what it does beyond
 * handing messages to the next hop: delivery status notifications
 * (mtad/dsn.h), the postmaster copy of bounces that fail, delay warnings
 * and the header scan of the loop check (mtad/qmgr_loop.h).
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
	int64_t max_parallel_messages;	/* delivery threads */
	int64_t lmtp_max_connections;	/* open at once, in total */
	int64_t lmtp_max_per_destination; /* to one host:port */
	uint64_t lmtp_idle_timeout;	/* ms a cached connection waits */
	int64_t lmtp_max_messages_per_connection;
};

extern const struct cfg_section_def delivery_config_def;

#endif
