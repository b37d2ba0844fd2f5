/*
 * milters/spam/spam_scan.h - one message through the filter: tokenise,
 * score against a database, and the verdict for the configured
 * thresholds. Shared by the milter, `tessera-spamd classify` and tests.
 */
#ifndef MILTERS_SPAM_SPAM_SCAN_H
#define MILTERS_SPAM_SPAM_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "milters/spam/spam_classify.h"

struct msg_limits;
struct spam_db;
struct spam_settings;

enum spam_verdict {
	SPAM_HAM,		/* below tag_threshold */
	SPAM_TAG,		/* tagged X-Spam-Status: Yes */
	SPAM_REJECT,		/* at or above reject_threshold */
};

/* Score data[len] with db under s's limits and thresholds; *res gets
 * the details. */
enum spam_verdict spam_scan(const struct spam_db *db,
    const struct spam_settings *s, const struct msg_limits *ml,
    const uint8_t *data, size_t len, struct spam_result *res);

/* "ham", "tag" or "reject". */
const char *spam_verdict_name(enum spam_verdict v);

#endif
