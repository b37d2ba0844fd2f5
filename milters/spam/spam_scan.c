/*
 * milters/spam/spam_scan.c - one message through the filter: tokens,
 * score, verdict.
 *
 * Runs in milter threads (the database is shared read-only) and the
 * offline commands; all limits come from struct spam_settings.
 */
#include "config.h"

#include "milters/spam/spam_classify.h"
#include "milters/spam/spam_config.h"
#include "milters/spam/spam_scan.h"
#include "milters/spam/spam_token.h"
#include "lib/banned.h"

enum spam_verdict
spam_scan(const struct spam_db *db, const struct spam_settings *s,
    const struct msg_limits *ml, const uint8_t *data, size_t len,
    struct spam_result *res)
{
	struct spam_tokens t;

	spam_tokens_init(&t, s->tok.tokens_max);
	spam_tokenize(data, len < s->message_size_max ? len :
	    s->message_size_max, ml, &s->tok, &t);
	spam_classify(db, &t, res);
	spam_tokens_deinit(&t);
	if (res->score >= s->reject_threshold)
		return SPAM_REJECT;
	if (res->score >= s->tag_threshold)
		return SPAM_TAG;
	return SPAM_HAM;
}

const char *
spam_verdict_name(enum spam_verdict v)
{
	return v == SPAM_REJECT ? "reject" : v == SPAM_TAG ? "tag" : "ham";
}
