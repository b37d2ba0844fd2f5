/*
 * tests/unit/milters/spam_classify_test.c - unit tests for the
 * classifier (milters/spam/spam_classify.c): the chi-square survival
 * function against known values, Robinson's f(w), and scores of
 * messages against a database trained in the test.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "lib/msg_header.h"
#include "milters/spam/spam_classify.h"
#include "milters/spam/spam_db.h"
#include "milters/spam/spam_token.h"
#include "lib/banned.h"

Test(spam_classify, chi2q_known_values)
{
	/* P(chi2 >= x) for v = 2 is exp(-x/2) */
	cr_assert_float_eq(spam_chi2q(2.0, 2), exp(-1.0), 1e-12);
	/* v = 4: exp(-x/2) (1 + x/2) */
	cr_assert_float_eq(spam_chi2q(3.0, 4), exp(-1.5) * 2.5, 1e-12);
	/* the median of chi2 with 10 degrees of freedom is ~9.3418 */
	cr_assert_float_eq(spam_chi2q(9.3418, 10), 0.5, 1e-4);
	cr_assert_float_eq(spam_chi2q(0.0, 8), 1.0, 1e-12);
	cr_assert_lt(spam_chi2q(1000.0, 8), 1e-100);
}

Test(spam_classify, robinson_fw)
{
	/* unseen: the prior */
	cr_assert_float_eq(spam_classify_fw(0, 0, 10, 10), SPAM_CLASSIFY_X,
	    1e-12);
	/* seen only in spam, n = 1: (s x + 1) / (s + 1) */
	cr_assert_float_eq(spam_classify_fw(1, 0, 10, 10),
	    (SPAM_CLASSIFY_S * 0.5 + 1) / (SPAM_CLASSIFY_S + 1), 1e-12);
	/* ratios, not counts: 5 of 10 spam vs 5 of 50 ham */
	cr_assert_float_eq(spam_classify_fw(5, 5, 10, 50),
	    (SPAM_CLASSIFY_S * 0.5 + 10 * (0.5 / 0.6)) /
	    (SPAM_CLASSIFY_S + 10), 1e-12);
	cr_assert_lt(spam_classify_fw(0, 50, 100, 100), 0.01);
	cr_assert_gt(spam_classify_fw(50, 0, 100, 100), 0.99);
}

static void
tokens(struct spam_tokens *t, const char *msg)
{
	struct spam_token_limits lim;
	struct msg_limits ml;

	spam_token_limits_defaults(&lim);
	msg_limits_defaults(&ml);
	spam_tokenize((const uint8_t *)msg, strlen(msg), &ml, &lim, t);
}

static const char *spam_msgs[] = {
	"Subject: cheap pills\r\n\r\nbuy cheap viagra pills now discount\r\n",
	"Subject: discount offer\r\n\r\nviagra discount pharmacy buy now\r\n",
	"Subject: act now\r\n\r\ncheap pharmacy pills, limited offer\r\n",
};
static const char *ham_msgs[] = {
	"Subject: meeting notes\r\n\r\nthe build failed on the release branch\r\n",
	"Subject: release plan\r\n\r\nplease review the patch before the meeting\r\n",
	"Subject: patch review\r\n\r\nthe branch builds; notes from the meeting\r\n",
};

static struct spam_db *
trained(void)
{
	struct spam_db_builder *b = spam_db_builder_new(NULL);
	struct spam_db *db;
	struct spam_tokens t;

	spam_tokens_init(&t, 1000);
	for (int r = 0; r < 5; r++)
		for (int i = 0; i < 3; i++) {
			tokens(&t, spam_msgs[i]);
			spam_db_builder_add(b, &t, true);
			tokens(&t, ham_msgs[i]);
			spam_db_builder_add(b, &t, false);
		}
	spam_tokens_deinit(&t);
	db = spam_db_builder_finish(b);
	spam_db_builder_free(&b);
	return db;
}

static double
score(const struct spam_db *db, const char *msg, struct spam_result *r)
{
	struct spam_tokens t;

	spam_tokens_init(&t, 1000);
	tokens(&t, msg);
	spam_classify(db, &t, r);
	spam_tokens_deinit(&t);
	return r->score;
}

Test(spam_classify, learnt_spam_and_ham_are_told_apart)
{
	struct spam_db *db = trained();
	struct spam_result r;

	cr_assert_gt(score(db, "Subject: cheap offer\r\n\r\nbuy viagra pills "
	    "at a discount from our pharmacy\r\n", &r), 0.9);
	cr_assert_gt(r.clues, 3);
	cr_assert_gt(r.spam_evidence, r.ham_evidence);
	cr_assert_lt(score(db, "Subject: notes\r\n\r\nthe release branch "
	    "patch needs review before the meeting\r\n", &r), 0.1);
	cr_assert_gt(r.ham_evidence, r.spam_evidence);
	spam_db_free(&db);
}

Test(spam_classify, unknown_words_and_empty_databases_score_one_half)
{
	struct spam_db *db = trained(), *empty = spam_db_new_empty();
	struct spam_result r;

	cr_assert_float_eq(score(db, "\r\nzzzq yyyq xxxq\r\n", &r), 0.5, 0.2);
	cr_assert_float_eq(score(empty, spam_msgs[0], &r), 0.5, 1e-12);
	cr_assert_eq(r.clues, 0);
	spam_db_free(&db);
	spam_db_free(&empty);
}

Test(spam_classify, many_clues_do_not_underflow)
{
	struct spam_db_builder *b = spam_db_builder_new(NULL);
	struct spam_tokens t, h;
	struct spam_db *db;
	struct spam_result r;

	spam_tokens_init(&t, 5000);
	spam_tokens_init(&h, 5000);
	for (uint64_t i = 1; i <= 2000; i++)
		spam_tokens_add_hash(&t, i);
	spam_tokens_add_hash(&h, 99999);
	for (int k = 0; k < 20; k++) {
		spam_db_builder_add(b, &t, true);
		spam_db_builder_add(b, &h, false);
	}
	db = spam_db_builder_finish(b);
	spam_classify(db, &t, &r);
	cr_assert(isfinite(r.score));
	cr_assert_gt(r.score, 0.99);
	cr_assert_eq(r.clues, SPAM_CLASSIFY_MAX_CLUES);
	spam_tokens_deinit(&t);
	spam_tokens_deinit(&h);
	spam_db_free(&db);
	spam_db_builder_free(&b);
}
