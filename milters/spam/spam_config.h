/*
 * milters/spam/spam_config.h - the [spamd] section of tessera.conf: the
 * milter socket, the token database, the score thresholds and the limits
 * on what one message may make the filter do.
 *
 * Read by tessera-spamd before privileges are dropped.
 */
#ifndef MILTERS_SPAM_SPAM_CONFIG_H
#define MILTERS_SPAM_SPAM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"
#include "milters/spam/spam_token.h"

/* What the [spamd] keys fill (cfg_get(c, "spamd")). */
struct spam_config {
	char *socket;
	char *database;
	char *tag_threshold;	/* decimal, 0..1 */
	char *reject_threshold;
	uint64_t message_size_max;
	uint64_t database_size_max;
	int64_t token_len_max;
	int64_t tokens_max;
	uint64_t text_max;
	uint64_t timeout;	/* ms */
};

/* The same, parsed for use. Strings point into the cfg. */
struct spam_settings {
	const char *socket;
	const char *database;
	double tag_threshold;
	double reject_threshold;
	size_t message_size_max;
	size_t database_size_max;
	struct spam_token_limits tok;
	unsigned timeout_s;
};

extern const struct cfg_section_def spam_config_def;

/* Fill *s from the [spamd] section of c. */
void spam_config_settings(const struct cfg *c, struct spam_settings *s);

/* Parse a threshold: a decimal number from 0 to 1 ("0.9", "1", ".95",
 * at most 6 decimals). 0 with *out set, or -1. */
int spam_threshold_parse(const char *s, double *out);

#endif
