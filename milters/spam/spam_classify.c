/*
 * milters/spam/spam_classify.c - Robinson-Fisher scoring of a token set
 * against the token database.
 *
 * Runs in tessera-spamd (milter threads share the read-only database)
 * and the offline commands. Work is bounded by the token set's size.
 * The combining follows Gary Robinson's "A Statistical Approach to the
 * Spam Problem" and SpamBayes' chi2_spamprob: the products are kept
 * with separate binary exponents so hundreds of clues do not underflow.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "lib/xalloc.h"
#include "milters/spam/spam_classify.h"
#include "milters/spam/spam_db.h"
#include "milters/spam/spam_token.h"
#include "lib/banned.h"

double
spam_chi2q(double x2, unsigned v)
{
	double m = x2 / 2.0, sum, term;

	sum = term = exp(-m);
	for (unsigned i = 1; i < v / 2; i++) {
		term *= m / i;
		sum += term;
	}
	return sum < 1.0 ? sum : 1.0;
}

double
spam_classify_fw(uint32_t spam, uint32_t ham, uint64_t n_spam,
    uint64_t n_ham)
{
	double sr, hr, p, n = (double)spam + (double)ham;

	if (n == 0 || n_spam == 0 || n_ham == 0)
		return SPAM_CLASSIFY_X;
	sr = (double)spam / (double)n_spam;
	hr = (double)ham / (double)n_ham;
	p = sr / (sr + hr);
	return (SPAM_CLASSIFY_S * SPAM_CLASSIFY_X + n * p) /
	    (SPAM_CLASSIFY_S + n);
}

static int
dev_cmp(const void *a, const void *b)
{
	double x = fabs(*(const double *)a - 0.5);
	double y = fabs(*(const double *)b - 0.5);

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Where counts come from: a loaded database or one being built. */
typedef void (*counts_fn)(const void *src, uint64_t h, uint32_t *spam,
    uint32_t *ham);

static void
db_counts(const void *src, uint64_t h, uint32_t *spam, uint32_t *ham)
{
	spam_db_lookup(src, h, spam, ham);
}

static void
builder_counts(const void *src, uint64_t h, uint32_t *spam, uint32_t *ham)
{
	spam_db_builder_lookup(src, h, spam, ham);
}

static void
classify(counts_fn counts, const void *src, uint64_t n_spam, uint64_t n_ham,
    const struct spam_tokens *t, struct spam_result *out)
{
	double *f, s = 1.0, h = 1.0;
	int sexp = 0, hexp = 0, e;
	size_t n = 0;

	out->score = 0.5;
	out->spam_evidence = out->ham_evidence = 0.0;
	out->clues = 0;
	out->tokens = t->n;
	if (n_spam == 0 || n_ham == 0 || t->n == 0)
		return;
	f = xreallocarray(NULL, t->n, sizeof(*f));
	for (size_t i = 0; i < t->size; i++) {
		uint32_t sc, hc;
		double fw;

		if (t->table[i] == 0)
			continue;
		counts(src, t->table[i], &sc, &hc);
		if (sc + (uint64_t)hc == 0)
			continue;
		fw = spam_classify_fw(sc, hc, n_spam, n_ham);
		if (fabs(fw - 0.5) >= SPAM_CLASSIFY_MIN_DEV)
			f[n++] = fw;
	}
	if (n > SPAM_CLASSIFY_MAX_CLUES) {
		qsort(f, n, sizeof(*f), dev_cmp);
		n = SPAM_CLASSIFY_MAX_CLUES;
	}
	for (size_t i = 0; i < n; i++) {
		s *= 1.0 - f[i];
		h *= f[i];
		if (s < 1e-200) {
			s = frexp(s, &e);
			sexp += e;
		}
		if (h < 1e-200) {
			h = frexp(h, &e);
			hexp += e;
		}
	}
	free(f);
	out->clues = n;
	if (n == 0)
		return;
	s = log(s) + sexp * M_LN2;
	h = log(h) + hexp * M_LN2;
	out->spam_evidence = 1.0 - spam_chi2q(-2.0 * s, 2 * (unsigned)n);
	out->ham_evidence = 1.0 - spam_chi2q(-2.0 * h, 2 * (unsigned)n);
	out->score = (out->spam_evidence - out->ham_evidence + 1.0) / 2.0;
}

void
spam_classify(const struct spam_db *db, const struct spam_tokens *t,
    struct spam_result *out)
{
	classify(db_counts, db, db->n_spam, db->n_ham, t, out);
}

void
spam_classify_builder(const struct spam_db_builder *b,
    const struct spam_tokens *t, struct spam_result *out)
{
	uint64_t n_spam, n_ham;

	spam_db_builder_totals(b, &n_spam, &n_ham);
	classify(builder_counts, b, n_spam, n_ham, t, out);
}
