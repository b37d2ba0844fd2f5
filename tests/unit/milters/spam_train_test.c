/*
 * tests/unit/milters/spam_train_test.c - unit tests for training on
 * errors (milters/spam/spam_train.c) and for classifying against a
 * database being built (spam_classify_builder).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "lib/msg_header.h"
#include "lib/str.h"
#include "milters/spam/spam_classify.h"
#include "milters/spam/spam_db.h"
#include "milters/spam/spam_token.h"
#include "milters/spam/spam_train.h"
#include "lib/banned.h"

#define N_EACH 20

static struct spam_tokens set[2 * N_EACH];
static struct spam_train_msg msgs[2 * N_EACH];

/* 20 spam and 20 ham messages: each class shares its words, and each
 * message has one word of its own. Spam first: spam_train must
 * interleave them itself. */
static void
setup(void)
{
	struct spam_token_limits lim;
	struct msg_limits ml;

	spam_token_limits_defaults(&lim);
	msg_limits_defaults(&ml);
	for (int i = 0; i < 2 * N_EACH; i++) {
		char msg[256];
		bool spam = i < N_EACH;

		cr_assert_eq(str_printf(msg, sizeof(msg), "Subject: %s\r\n\r\n"
		    "%s own%c%c\r\n", spam ? "cheap pills offer" :
		    "release meeting notes", spam ? "buy cheap viagra now "
		    "discount pharmacy" : "the build failed on the branch "
		    "please review", 'a' + i % 26, 'a' + i / 26), 0);
		spam_tokens_init(&set[i], 1000);
		spam_tokenize((const uint8_t *)msg, strlen(msg), &ml, &lim,
		    &set[i]);
		msgs[i].t = &set[i];
		msgs[i].spam = spam;
	}
}

static void
teardown(void)
{
	for (int i = 0; i < 2 * N_EACH; i++)
		spam_tokens_deinit(&set[i]);
}

TestSuite(spam_train, .init = setup, .fini = teardown);

Test(spam_train, learns_only_until_no_errors_are_left)
{
	struct spam_db_builder *b = spam_db_builder_new(NULL);
	struct spam_train_stats st;
	uint64_t ns, nh;

	spam_train(b, msgs, 2 * N_EACH, SPAM_TRAIN_MARGIN, SPAM_TRAIN_PASSES,
	    SPAM_TRAIN_SEED, &st);
	spam_db_builder_totals(b, &ns, &nh);
	/* both classes learnt, far from all of the alike messages */
	cr_assert_gt(ns, 0);
	cr_assert_gt(nh, 0);
	cr_assert_lt(st.learnt, 2 * N_EACH / 2, "learnt %zu", st.learnt);
	cr_assert_eq(ns + nh, st.learnt);
	cr_assert_eq(st.left, 0, "a last pass still learnt %zu", st.left);
	cr_assert_lt(st.passes, SPAM_TRAIN_PASSES);
	/* and now every message is beyond the margin */
	for (int i = 0; i < 2 * N_EACH; i++) {
		struct spam_result r;

		spam_classify_builder(b, &set[i], &r);
		if (msgs[i].spam)
			cr_assert_geq(r.score, 1.0 - SPAM_TRAIN_MARGIN,
			    "spam %d scores %f", i, r.score);
		else
			cr_assert_leq(r.score, SPAM_TRAIN_MARGIN,
			    "ham %d scores %f", i, r.score);
	}
	spam_db_builder_free(&b);
}

Test(spam_train, the_pass_limit_is_kept)
{
	struct spam_db_builder *b = spam_db_builder_new(NULL);
	struct spam_train_stats st;

	/* a margin nothing can meet: every pass learns everything */
	spam_train(b, msgs, 2 * N_EACH, -1.0, 3, SPAM_TRAIN_SEED, &st);
	cr_assert_eq(st.passes, 3);
	cr_assert_eq(st.learnt, 3 * 2 * N_EACH);
	cr_assert_eq(st.left, 2 * N_EACH);
	spam_db_builder_free(&b);
	/* no passes: nothing learnt */
	b = spam_db_builder_new(NULL);
	spam_train(b, msgs, 2 * N_EACH, SPAM_TRAIN_MARGIN, 0, 1, &st);
	cr_assert_eq(st.learnt, 0);
	cr_assert_eq(st.passes, 0);
	spam_db_builder_free(&b);
}

Test(spam_train, the_same_seed_gives_the_same_database)
{
	struct spam_db_builder *a = spam_db_builder_new(NULL);
	struct spam_db_builder *b = spam_db_builder_new(NULL);
	struct spam_train_stats sa, sb;
	size_t la, lb;
	uint8_t *ia, *ib;

	spam_train(a, msgs, 2 * N_EACH, SPAM_TRAIN_MARGIN, SPAM_TRAIN_PASSES,
	    42, &sa);
	spam_train(b, msgs, 2 * N_EACH, SPAM_TRAIN_MARGIN, SPAM_TRAIN_PASSES,
	    42, &sb);
	ia = spam_db_builder_image(a, &la);
	ib = spam_db_builder_image(b, &lb);
	cr_assert_eq(la, lb);
	cr_assert_eq(memcmp(ia, ib, la), 0, "same seed, other database");
	free(ia);
	free(ib);
	spam_db_builder_free(&a);
	spam_db_builder_free(&b);
}

Test(spam_train, classify_builder_matches_the_finished_database)
{
	struct spam_db_builder *b = spam_db_builder_new(NULL);
	struct spam_db *db;

	for (int i = 0; i < 2 * N_EACH; i += 3)
		spam_db_builder_add(b, &set[i], msgs[i].spam);
	db = spam_db_builder_finish(b);
	for (int i = 0; i < 2 * N_EACH; i++) {
		struct spam_result r1, r2;

		spam_classify(db, &set[i], &r1);
		spam_classify_builder(b, &set[i], &r2);
		cr_assert_float_eq(r1.score, r2.score, 1e-12);
		cr_assert_eq(r1.clues, r2.clues);
	}
	spam_db_free(&db);
	spam_db_builder_free(&b);
}
