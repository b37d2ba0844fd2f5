/*
 * milters/spam/spam_token.h - the spam filter's tokeniser: a message in,
 * the set of features the classifier weighs out (words of selected
 * headers with the header's name as prefix, words of the decoded text of
 * every MIME part, URLs and their domains, a few structural facts).
 *
 * Pure: bytes and limits in, tokens out. The message is hostile; every
 * loop is bounded by the message length, the MIME limits (struct
 * msg_limits) and struct spam_token_limits.
 */
#ifndef MILTERS_SPAM_SPAM_TOKEN_H
#define MILTERS_SPAM_SPAM_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct msg_limits;

/* Defaults of struct spam_token_limits (and of the [spamd] keys). */
#define SPAM_TOKEN_LEN_MAX_DEFAULT	40
#define SPAM_TOKENS_MAX_DEFAULT		20000
#define SPAM_TEXT_MAX_DEFAULT		(1024 * 1024)
/* Shortest word kept (shorter ones carry little but noise). */
#define SPAM_TOKEN_LEN_MIN		3
/* Longest token built, prefix included (token_len_max is capped by it). */
#define SPAM_TOKEN_BUILD_MAX		256

struct spam_token_limits {
	size_t token_len_max;	/* bytes of one word; a longer word becomes
				 * a "skip:" token of its first byte and
				 * length class */
	size_t tokens_max;	/* distinct tokens kept per message */
	size_t text_max;	/* decoded bytes read from one part */
};

/* Fill *lim with the defaults above. */
void spam_token_limits_defaults(struct spam_token_limits *lim);

/* Called once for every token found, duplicates included; tok[len] is
 * not NUL-terminated. */
typedef void (*spam_token_fn)(void *arg, const char *tok, size_t len);

/* Walk the message data[len] (CRLF or LF line ends, an mbox "From " line
 * is ignored) and call fn for each token. Never fails: broken MIME is
 * read best-effort. */
void spam_token_scan(const uint8_t *data, size_t len,
    const struct msg_limits *mlim, const struct spam_token_limits *lim,
    spam_token_fn fn, void *arg);

/* A set of distinct token hashes, at most max of them. */
struct spam_tokens {
	uint64_t *table;	/* open addressing; 0 = empty slot */
	size_t size;		/* slots, a power of two */
	size_t n;		/* distinct tokens held */
	size_t max;
	bool truncated;		/* a token was dropped: the set was full */
};

/* The 64-bit hash a token is stored under (never 0). */
uint64_t spam_token_hash(const char *tok, size_t len);

void spam_tokens_init(struct spam_tokens *t, size_t max);
void spam_tokens_deinit(struct spam_tokens *t);
/* Empty the set (keeps max and the allocation). */
void spam_tokens_reset(struct spam_tokens *t);
/* Add a hash. 1 added, 0 already there, -1 the set is full (truncated
 * is then set). */
int spam_tokens_add_hash(struct spam_tokens *t, uint64_t h);

/* Tokenise data[len] into t (reset first); at most lim->tokens_max
 * tokens, t->truncated when more were found. */
void spam_tokenize(const uint8_t *data, size_t len,
    const struct msg_limits *mlim, const struct spam_token_limits *lim,
    struct spam_tokens *t);

#endif
