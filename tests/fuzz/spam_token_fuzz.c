/*
 * tests/fuzz/spam_token_fuzz.c - fuzz target for tessera-spamd's
 * tokeniser (milters/spam/spam_token.c) over a hostile message.
 *
 * The input is a message. Invariants:
 *  - every token is non-empty and shorter than SPAM_TOKEN_BUILD_MAX;
 *  - a word token (no prefix) is at most token_len_max bytes;
 *  - the token set never holds more than tokens_max hashes, and is
 *    marked truncated exactly when the scan produced more distinct ones;
 *  - tokenising is deterministic (the same set twice).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/msg_header.h"
#include "milters/spam/spam_token.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TOKEN_LEN_MAX 12
#define FUZZ_TOKENS_MAX 64

struct seen {
	struct spam_tokens all;	/* every distinct token, unbounded */
};

static void
check_token(void *arg, const char *tok, size_t len)
{
	struct seen *s = arg;

	if (len == 0 || len >= SPAM_TOKEN_BUILD_MAX)
		abort();
	/* a word without a prefix: "bi:" pairs and prefixed tokens have a
	 * colon; a plain word may too ("a:b"), so only colon-free ones */
	if (memchr(tok, ':', len) == NULL && len > FUZZ_TOKEN_LEN_MAX)
		abort();
	spam_tokens_add_hash(&s->all, spam_token_hash(tok, len));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spam_token_limits lim = { .token_len_max = FUZZ_TOKEN_LEN_MAX,
		.tokens_max = FUZZ_TOKENS_MAX, .text_max = 4096 };
	struct msg_limits ml;
	struct spam_tokens t1, t2;
	struct seen s;

	msg_limits_defaults(&ml);
	ml.depth_max = 8;
	ml.parts_max = 64;
	ml.decode_max = 4096;
	spam_tokens_init(&s.all, SIZE_MAX);
	spam_token_scan(data, size, &ml, &lim, check_token, &s);
	spam_tokens_init(&t1, 0);
	spam_tokens_init(&t2, 0);
	spam_tokenize(data, size, &ml, &lim, &t1);
	spam_tokenize(data, size, &ml, &lim, &t2);
	if (t1.n > FUZZ_TOKENS_MAX || t1.n != t2.n ||
	    t1.truncated != (s.all.n > FUZZ_TOKENS_MAX) ||
	    t1.n != (s.all.n < FUZZ_TOKENS_MAX ? s.all.n : FUZZ_TOKENS_MAX))
		abort();
	for (size_t i = 0; i < t1.size; i++)
		if (t1.table[i] != 0 &&
		    spam_tokens_add_hash(&t2, t1.table[i]) != 0 &&
		    !t2.truncated)
			abort();
	spam_tokens_deinit(&t1);
	spam_tokens_deinit(&t2);
	spam_tokens_deinit(&s.all);
	return 0;
}
