/*
 * tests/bench/spam_bench.c - k-fold cross-validation of tessera-spamd's
 * tokeniser and classifier on a corpus: false positives, false negatives
 * and CPU per message.
 *
 * Usage: tests/bench/spam CORPUS [FOLDS [TAG_THRESHOLD]]
 * CORPUS holds ham/ and spam/, one message per file (e.g. the dev split
 * of the SpamAssassin public corpus). Files are assigned to folds round
 * robin in name order; each fold is classified by a database trained on
 * the others the way `tessera-spamd train` does (training on errors,
 * spam_train.h); SPAM_BENCH_LEARN=all learns every message instead (what
 * `learn` does), SPAM_BENCH_SEED=N changes the training order. CPU time (CLOCK_PROCESS_CPUTIME_ID) counts reading nothing
 * but tokenising and scoring: what the milter does per message. Run by
 * hand (not by make check); it reads whatever path it is given.
 * SPAM_BENCH_VERBOSE=1 lists the misclassified files; SPAM_BENCH_DUMP=1
 * prints "D is_spam score S H clues tokens" per message. The last line
 * is the lowest cut-off keeping false positives at or under 0.1 % and
 * the false negatives it costs (the quality goal).
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/msg_header.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "milters/spam/spam_classify.h"
#include "milters/spam/spam_db.h"
#include "milters/spam/spam_file.h"
#include "milters/spam/spam_token.h"
#include "milters/spam/spam_train.h"
#include "lib/banned.h"

struct msg {
	struct spam_tokens t;
	bool spam;
	double score;
	char *name;
};

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t
load_dir(const char *corpus, const char *sub, bool spam, struct msg **v,
    size_t n, double *ms)
{
	char path[4096];
	char **names = NULL;
	size_t nn = 0;
	struct dirent *de;
	struct msg_limits ml;
	struct spam_token_limits tl;
	DIR *d;

	msg_limits_defaults(&ml);
	spam_token_limits_defaults(&tl);
	if (str_printf(path, sizeof(path), "%s/%s", corpus, sub) == -1 ||
	    (d = opendir(path)) == NULL) {
		fprintf(stderr, "spam_bench: cannot read %s/%s\n", corpus, sub);
		exit(1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, nn + 1, sizeof(*names));
		names[nn++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof(*names), name_cmp);
	*v = xreallocarray(*v, n + nn, sizeof(**v));
	for (size_t i = 0; i < nn; i++) {
		struct msg *m = &(*v)[n + i];
		struct buf *b;
		const char *err;
		double t0;

		memset(m, 0, sizeof(*m));
		if (str_printf(path, sizeof(path), "%s/%s/%s", corpus, sub,
		    names[i]) == -1 || (b = spam_file_read(path, 64 << 20,
		    &err)) == NULL) {
			fprintf(stderr, "spam_bench: %s: cannot read\n", path);
			exit(1);
		}
		spam_tokens_init(&m->t, tl.tokens_max);
		t0 = cpu_ms();
		spam_tokenize(b->data, b->len, &ml, &tl, &m->t);
		*ms += cpu_ms() - t0;
		m->spam = spam;
		m->name = names[i];
		buf_free(&b);
	}
	free(names);
	return n + nn;
}

int
main(int argc, char **argv)
{
	struct msg *v = NULL;
	size_t n = 0, k = 5, fp = 0, fn = 0, nham = 0, nspam = 0;
	size_t learnt = 0, left = 0;
	uint64_t seed = SPAM_TRAIN_SEED;
	bool learn_all;
	double tag = 0.9, ms = 0, cls_ms = 0;
	static const double cuts[] = { 0.5, 0.7, 0.8, 0.9, 0.95, 0.99,
		0.995, 0.999 };

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: spam CORPUS [FOLDS [TAG_THRESHOLD]]\n");
		return 64;
	}
	if (argc > 2)
		k = (size_t)strtoul(argv[2], NULL, 10);
	if (argc > 3)
		tag = strtod(argv[3], NULL);
	if (k < 2)
		k = 2;
	learn_all = getenv("SPAM_BENCH_LEARN") != NULL &&
	    strcmp(getenv("SPAM_BENCH_LEARN"), "all") == 0;
	if (getenv("SPAM_BENCH_SEED") != NULL)
		seed = strtoull(getenv("SPAM_BENCH_SEED"), NULL, 10);
	n = load_dir(argv[1], "ham", false, &v, n, &ms);
	n = load_dir(argv[1], "spam", true, &v, n, &ms);
	for (size_t f = 0; f < k; f++) {
		struct spam_db_builder *b = spam_db_builder_new(NULL);
		struct spam_db *db;

		if (learn_all) {
			for (size_t i = 0; i < n; i++)
				if (i % k != f)
					spam_db_builder_add(b, &v[i].t,
					    v[i].spam);
		} else {
			struct spam_train_msg *tv = xreallocarray(NULL, n,
			    sizeof(*tv));
			struct spam_train_stats st;
			size_t m = 0;

			for (size_t i = 0; i < n; i++)
				if (i % k != f) {
					tv[m].t = &v[i].t;
					tv[m++].spam = v[i].spam;
				}
			spam_train(b, tv, m, SPAM_TRAIN_MARGIN,
			    SPAM_TRAIN_PASSES, seed, &st);
			learnt += st.learnt;
			left += st.left;
			free(tv);
		}
		db = spam_db_builder_finish(b);
		for (size_t i = f; i < n; i += k) {
			struct spam_result r;
			double t0 = cpu_ms();

			spam_classify(db, &v[i].t, &r);
			cls_ms += cpu_ms() - t0;
			v[i].score = r.score;
			if (getenv("SPAM_BENCH_DUMP"))
				printf("D %d %.6f %.6f %.6f %zu %zu\n", v[i].spam,
				    r.score, r.spam_evidence, r.ham_evidence,
				    r.clues, r.tokens);
		}
		spam_db_free(&db);
		spam_db_builder_free(&b);
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].spam) {
			nspam++;
			if (v[i].score < tag) {
				fn++;
				if (getenv("SPAM_BENCH_VERBOSE"))
					printf("FN %.4f %s\n", v[i].score,
					    v[i].name);
			}
		} else {
			nham++;
			if (v[i].score >= tag) {
				fp++;
				if (getenv("SPAM_BENCH_VERBOSE"))
					printf("FP %.4f %s\n", v[i].score,
					    v[i].name);
			}
		}
	}
	printf("corpus=%s ham=%zu spam=%zu folds=%zu tag_threshold=%.3f\n",
	    argv[1], nham, nspam, k, tag);
	printf("false_positives=%zu (%.3f %%) false_negatives=%zu (%.3f %%)\n",
	    fp, 100.0 * fp / (nham ? nham : 1), fn,
	    100.0 * fn / (nspam ? nspam : 1));
	if (learn_all)
		printf("training=all (every message learnt)\n");
	else
		printf("training=on-errors seed=%llu margin=%g passes<=%d:"
		    " %zu learnt over %zu folds, %zu learnt in last passes\n",
		    (unsigned long long)seed, SPAM_TRAIN_MARGIN,
		    SPAM_TRAIN_PASSES, learnt, k, left);
	printf("cpu_ms_per_message=%.3f (tokenise %.3f, classify %.3f)\n",
	    (ms + cls_ms) / n, ms / n, cls_ms / n);
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		size_t a = 0, b = 0;

		for (size_t i = 0; i < n; i++) {
			if (v[i].spam && v[i].score < cuts[c])
				b++;
			else if (!v[i].spam && v[i].score >= cuts[c])
				a++;
		}
		printf("  at %.3f: FP %.3f %% FN %.3f %%\n", cuts[c],
		    100.0 * a / nham, 100.0 * b / nspam);
	}
	{
		/* the lowest cut-off with at most 0.1 % false positives (the
		 * goal), and the false negatives it costs */
		double best = 1.0;
		size_t allowed = nham / 1000, fpc, fnc = 0;

		for (size_t i = 0; i < n; i++) {
			double c = v[i].score + 1e-9;

			if (v[i].spam || c >= best)
				continue;
			fpc = 0;
			for (size_t j = 0; j < n; j++)
				if (!v[j].spam && v[j].score >= c)
					fpc++;
			if (fpc <= allowed)
				best = c;
		}
		for (size_t i = 0; i < n; i++)
			if (v[i].spam && v[i].score < best)
				fnc++;
		printf("  lowest cut-off with FP <= 0.1 %%: %.6f, FN %.3f %%\n",
		    best, 100.0 * fnc / nspam);
	}
	for (size_t i = 0; i < n; i++) {
		spam_tokens_deinit(&v[i].t);
		free(v[i].name);
	}
	free(v);
	return 0;
}
