/*
 * milters/spam/spam_train.c - train on errors ("train until no errors"):
 * learn only the messages the database gets wrong or is unsure of.
 *
 * Runs in `tessera-spamd train` and the benchmark, on messages of known
 * class already tokenised (bounded by their token sets). The database
 * stays small and its counts come from the hard messages, not from the
 * bulk of easy ham, which is what makes it separate newsletters from
 * spam better than learning everything.
 */
#include "config.h"

#include <stdlib.h>

#include "lib/xalloc.h"
#include "milters/spam/spam_classify.h"
#include "milters/spam/spam_db.h"
#include "milters/spam/spam_train.h"
#include "lib/banned.h"

/* splitmix64: the order's random numbers. */
static uint64_t
next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
spam_train(struct spam_db_builder *b, const struct spam_train_msg *v,
    size_t n, double margin, unsigned passes, uint64_t seed,
    struct spam_train_stats *st)
{
	size_t *order = xreallocarray(NULL, n > 0 ? n : 1, sizeof(*order));

	st->learnt = 0;
	st->passes = 0;
	st->left = n;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n; i > 1; i--) {	/* Fisher-Yates */
		size_t j = (size_t)(next(&seed) % i), x = order[i - 1];

		order[i - 1] = order[j];
		order[j] = x;
	}
	while (st->passes < passes) {
		size_t learnt = 0;

		st->passes++;
		for (size_t i = 0; i < n; i++) {
			const struct spam_train_msg *m = &v[order[i]];
			struct spam_result r;

			spam_classify_builder(b, m->t, &r);
			if (m->spam ? r.score >= 1.0 - margin :
			    r.score <= margin)
				continue;
			spam_db_builder_add(b, m->t, m->spam);
			learnt++;
		}
		st->learnt += learnt;
		st->left = learnt;
		if (learnt == 0)
			break;
	}
	free(order);
}
