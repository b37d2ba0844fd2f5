/*
 * mtad/delivery_config.c - the [mtad.delivery] section (see
 * docs/tessera.conf.5): parallel deliveries, LMTP connections, bounces,
 * delay warnings, loop detection.
 *
 * Runs in the master while it reads its configuration.
 */
#include "config.h"

#include "lib/cfg.h"
#include "mtad/delivery_config.h"
#include "lib/banned.h"

#define T struct delivery_config
static const struct cfg_key delivery_keys[] = {
	CFG_STRING(T, postmaster, "postmaster", "postmaster",
	    "where a bounce that cannot be delivered goes; empty: nowhere"
	    " (logged)"),
	CFG_TIME(T, delay_warning, "delay_warning", "0", "0", "30d",
	    "send a delay notice for a recipient still deferred this long"
	    " after arrival; 0: never"),
	CFG_SIZE(T, dsn_return_max, "dsn_return_max", "1M", "0", "1G",
	    "largest original message returned whole in a bounce; larger"
	    " ones return their header only"),
	CFG_SIZE(T, loop_header_max, "loop_header_max", "1M", "4k", "64M",
	    "header bytes read for the loop check (Received:,"
	    " Delivered-To:) and returned by RET=HDRS; the rest is not"
	    " looked at"),
	CFG_INT(T, max_parallel_messages, "max_parallel_messages", "20", "1",
	    "1000", "messages delivered at once, each by a delivery thread"),
	CFG_INT(T, lmtp_max_connections, "lmtp_max_connections", "10", "1",
	    "1000", "LMTP connections open at once, in total (idle ones"
	    " kept for reuse included)"),
	CFG_INT(T, lmtp_max_per_destination, "lmtp_max_per_destination",
	    "10", "1", "1000", "LMTP connections open at once to one"
	    " host"),
	CFG_TIME(T, lmtp_idle_timeout, "lmtp_idle_timeout", "10s", "100ms",
	    "1h", "how long an LMTP connection is kept for the next message"
	    " after its last one"),
	CFG_INT(T, lmtp_max_messages_per_connection,
	    "lmtp_max_messages_per_connection", "1000", "1", "1000000",
	    "messages delivered over one LMTP connection before it is"
	    " closed; 1: a connection per message"),
};
#undef T

const struct cfg_section_def delivery_config_def = CFG_SECTION(
    "mtad.delivery", struct delivery_config, delivery_keys, NULL,
    "parallel deliveries, LMTP connections, bounces, delay warnings and"
    " loop detection of the queue manager");
