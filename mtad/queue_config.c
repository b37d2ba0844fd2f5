/*
 * mtad/queue_config.c - the [mtad.queue] section: limits of the queue
 * file parser (mtad/queue_env.h, mtad/queue_state.h).
 *
 * Runs in the master while it reads its configuration; the table is the
 * reference for the [mtad.queue] part of docs/tessera.conf.5
 * (tests/unit/mtad/queue_config_test.c checks every key is there).
 */
#include "config.h"

#include "lib/cfg.h"
#include "mtad/queue_config.h"
#include "lib/banned.h"

#define T struct queue_config
static const struct cfg_key queue_keys[] = {
	CFG_SIZE(T, envelope_line_max, "envelope_line_max", "8k", "1k", "1m",
	    "longest line of a queue file's envelope or state file"),
	CFG_INT(T, recipients_max, "recipients_max", "5000", "1", "1000000",
	    "most recipients of one queued message"),
};
#undef T

const struct cfg_section_def queue_config_def = CFG_SECTION("mtad.queue",
    struct queue_config, queue_keys, NULL, "the mail queue's file limits");

void
queue_config_limits(const struct cfg *c, struct queue_limits *lim)
{
	const struct queue_config *qc = cfg_get(c, "mtad.queue");

	lim->line_max = (size_t)qc->envelope_line_max;
	lim->rcpt_max = (size_t)qc->recipients_max;
}
