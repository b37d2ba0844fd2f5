/*
 * milters/spam/spam_train.h - training on errors: of a set of messages of
 * known class, learn only those the database does not already classify
 * with confidence, pass after pass until none is left (or the passes
 * run out). Used by `tessera-spamd train` and the benchmark.
 */
#ifndef MILTERS_SPAM_SPAM_TRAIN_H
#define MILTERS_SPAM_SPAM_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spam_db_builder;
struct spam_tokens;

/* Defaults: a message is learnt unless a spam scores at least
 * 1 - SPAM_TRAIN_MARGIN and a ham at most SPAM_TRAIN_MARGIN; at most
 * SPAM_TRAIN_PASSES passes over the set. */
#define SPAM_TRAIN_MARGIN	0.001
#define SPAM_TRAIN_PASSES	10
#define SPAM_TRAIN_SEED		7

/* One message of the training set. */
struct spam_train_msg {
	const struct spam_tokens *t;
	bool spam;
};

struct spam_train_stats {
	size_t learnt;		/* messages learnt (a message may be learnt
				 * once in each pass) */
	unsigned passes;	/* passes made */
	size_t left;		/* learnt in the last pass (0: every message
				 * was beyond the margin: no errors left) */
};

/* Train b on v[n]: each pass visits the messages in one fixed
 * pseudo-random order (from seed, so a run can be repeated and the
 * classes are interleaved whatever order v has), classifies each
 * against b as it stands and learns it if it is not beyond the margin.
 * Stops after a pass that learnt nothing, or after passes passes. */
void spam_train(struct spam_db_builder *b, const struct spam_train_msg *v,
    size_t n, double margin, unsigned passes, uint64_t seed,
    struct spam_train_stats *st);

#endif
