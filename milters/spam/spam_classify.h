/*
 * milters/spam/spam_classify.h - the statistical classifier: Robinson's
 * f(w) for each token, the most telling ones combined with Fisher's
 * chi-square method (as in SpamBayes), giving a score from 0 (ham) to 1
 * (spam).
 *
 * Pure: a database and a token set in, a score out.
 */
#ifndef MILTERS_SPAM_SPAM_CLASSIFY_H
#define MILTERS_SPAM_SPAM_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

struct spam_db;
struct spam_db_builder;
struct spam_tokens;

/* Robinson's strength of the prior (s) and the prior (x): what an unseen
 * token is worth, and how much evidence moves it. With a database built
 * by training on errors (spam_train.h) the counts are small, so a weak
 * prior lets a token seen once or twice count (0.45 with everything
 * learnt; 0.2 for the smaller database: 5.0 % -> 3-4 % false negatives
 * at 0.1 % false positives in cross-validation, tests/bench/README). */
#define SPAM_CLASSIFY_S		0.2
#define SPAM_CLASSIFY_X		0.5
/* Tokens whose f(w) is within this of 0.5 are ignored (no evidence). */
#define SPAM_CLASSIFY_MIN_DEV	0.2
/* Most tokens combined: the furthest from 0.5. */
#define SPAM_CLASSIFY_MAX_CLUES	400

struct spam_result {
	double score;		/* 0..1; 0.5 when nothing was known */
	double spam_evidence;	/* S: 1 - chi2Q of the spam side */
	double ham_evidence;	/* H */
	size_t clues;		/* tokens combined */
	size_t tokens;		/* tokens in the message */
};

/* Score the tokens t against db into *out. An empty database (nothing
 * learnt of spam or of ham) scores 0.5. */
void spam_classify(const struct spam_db *db, const struct spam_tokens *t,
    struct spam_result *out);

/* The same against a database being built (what training on errors
 * asks of each message before it decides to learn it). */
void spam_classify_builder(const struct spam_db_builder *b,
    const struct spam_tokens *t, struct spam_result *out);

/* Robinson's f(w) for a token seen in spam of n_spam spam messages and
 * ham of n_ham ham messages (exported for the tests). */
double spam_classify_fw(uint32_t spam, uint32_t ham, uint64_t n_spam,
    uint64_t n_ham);

/* The chi-square survival function for v (even) degrees of freedom:
 * P(chi2 >= x2). */
double spam_chi2q(double x2, unsigned v);

#endif
