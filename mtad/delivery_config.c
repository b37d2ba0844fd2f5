/*
 * mtad/delivery_config.c - the [mtad.delivery] section (see
 * docs/tessera.conf.5): bounces, delay warnings, loop detection.
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
};
#undef T

const struct cfg_section_def delivery_config_def = CFG_SECTION(
    "mtad.delivery", struct delivery_config, delivery_keys, NULL,
    "bounces, delay warnings and loop detection of the queue manager");
