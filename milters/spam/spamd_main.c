/*
 * milters/spam/spamd_main.c - tessera-spamd: the spam filter's commands.
 *
 *   tessera-spamd [-c FILE] [-d DB] learn --spam|--ham PATH...
 *   tessera-spamd [-c FILE] [-d DB] train --spam PATH... --ham PATH...
 *   tessera-spamd [-c FILE] [-d DB] classify PATH...
 *   tessera-spamd -c FILE [-f] run
 *
 * learn, train and classify run as the invoking user on files of one
 * message each (a directory: each file in it); learn and train replace
 * the database file under a lock. learn counts every message; train
 * learns only what the database gets wrong or is unsure of
 * (spam_train.h), the way the quality figures were measured. run is the milter (spam_milter.c): started as root it
 * drops to [global] user before it opens its socket or the database.
 * Reads [global], [mime] and [spamd].
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/mime_config.h"
#include "lib/msg_header.h"
#include "lib/priv.h"
#include "lib/settings.h"
#include "lib/xalloc.h"
#include "milters/spam/spam_config.h"
#include "milters/spam/spam_db.h"
#include "milters/spam/spam_file.h"
#include "milters/spam/spam_milter.h"
#include "milters/spam/spam_scan.h"
#include "milters/spam/spam_token.h"
#include "milters/spam/spam_train.h"
#include "lib/banned.h"

struct spamd_cmd {
	struct spam_settings s;
	struct msg_limits ml;
	struct spam_db_builder *builder;	/* learn */
	struct spam_db *db;			/* classify */
	struct spam_tokens t;
	bool spam;
	long n, failed;
	struct spam_tokens *set;		/* train: every message */
	struct spam_train_msg *msgs;
	size_t n_set;
};

static void
usage(void)
{
	fprintf(stderr, "usage: tessera-spamd [-c FILE] [-d DATABASE] "
	    "learn --spam|--ham PATH...\n"
	    "       tessera-spamd [-c FILE] [-d DATABASE] "
	    "train --spam PATH... --ham PATH...\n"
	    "       tessera-spamd [-c FILE] [-d DATABASE] classify PATH...\n"
	    "       tessera-spamd -c FILE [-f] run\n"
	    "  -c FILE      configuration ([global], [mime], [spamd])\n"
	    "  -d DATABASE  token database (overrides [spamd] database)\n"
	    "  -f           run: stay in the foreground, log to stderr\n"
	    "  PATH         a file holding one message, or a directory of"
	    " them\n");
	exit(64);
}

static void
learn_one(void *arg, const char *path)
{
	struct spamd_cmd *x = arg;
	const char *err;
	struct buf *b = spam_file_read(path, x->s.message_size_max, &err);

	if (b == NULL) {
		log_error_errno("%s: %s", path, err);
		x->failed++;
		return;
	}
	spam_tokenize(b->data, b->len, &x->ml, &x->s.tok, &x->t);
	spam_db_builder_add(x->builder, &x->t, x->spam);
	x->n++;
	buf_free(&b);
}

static void
classify_one(void *arg, const char *path)
{
	struct spamd_cmd *x = arg;
	struct spam_result r;
	enum spam_verdict v;
	const char *err;
	struct buf *b = spam_file_read(path, x->s.message_size_max, &err);

	if (b == NULL) {
		log_error_errno("%s: %s", path, err);
		x->failed++;
		return;
	}
	v = spam_scan(x->db, &x->s, &x->ml, b->data, b->len, &r);
	printf("%s: score=%.4f verdict=%s\n", path, r.score,
	    spam_verdict_name(v));
	x->n++;
	buf_free(&b);
}

static int
cmd_learn(struct spamd_cmd *x, int argc, char **argv)
{
	struct spam_db *base;
	const char *err;
	int lock, i = 0;

	if (argc < 2 || (strcmp(argv[0], "--spam") != 0 &&
	    strcmp(argv[0], "--ham") != 0))
		usage();
	x->spam = strcmp(argv[0], "--spam") == 0;
	lock = spam_db_lock(x->s.database);
	if (lock == -1)
		log_fatal_errno("database=%s: cannot lock", x->s.database);
	base = spam_db_open(x->s.database, x->s.database_size_max, true, &err);
	if (base == NULL)
		log_fatal("database=%s: %s", x->s.database, err);
	x->builder = spam_db_builder_new(base);
	spam_db_free(&base);
	for (i = 1; i < argc; i++)
		if (spam_file_each(argv[i], learn_one, x, &err) == -1) {
			log_error_errno("%s: %s", argv[i], err);
			x->failed++;
		}
	if (spam_db_builder_write(x->builder, x->s.database, &err) == -1)
		log_fatal_errno("database=%s: %s", x->s.database, err);
	close(lock);
	spam_db_builder_free(&x->builder);
	printf("learnt %ld %s message%s into %s\n", x->n, x->spam ? "spam" :
	    "ham", x->n == 1 ? "" : "s", x->s.database);
	return x->failed > 0 ? 1 : 0;
}

static void
train_one(void *arg, const char *path)
{
	struct spamd_cmd *x = arg;
	const char *err;
	struct buf *b = spam_file_read(path, x->s.message_size_max, &err);
	struct spam_tokens *t;

	if (b == NULL) {
		log_error_errno("%s: %s", path, err);
		x->failed++;
		return;
	}
	x->set = xreallocarray(x->set, x->n_set + 1, sizeof(*x->set));
	x->msgs = xreallocarray(x->msgs, x->n_set + 1, sizeof(*x->msgs));
	t = &x->set[x->n_set];
	spam_tokens_init(t, x->s.tok.tokens_max);
	spam_tokenize(b->data, b->len, &x->ml, &x->s.tok, t);
	x->msgs[x->n_set].spam = x->spam;
	x->n_set++;
	x->n++;
	buf_free(&b);
}

/* train [--spam|--ham PATH...]...: each --spam or --ham sets the class of
 * the paths after it. Every message is read first, then trained on in
 * one interleaved order. */
static int
cmd_train(struct spamd_cmd *x, int argc, char **argv)
{
	struct spam_train_stats st;
	struct spam_db *base;
	const char *err;
	size_t n_spam = 0;
	bool have_class = false;
	int lock;

	if (argc < 2)
		usage();
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--spam") == 0 ||
		    strcmp(argv[i], "--ham") == 0) {
			x->spam = strcmp(argv[i], "--spam") == 0;
			have_class = true;
			continue;
		}
		if (!have_class)
			usage();
		if (spam_file_each(argv[i], train_one, x, &err) == -1) {
			log_error_errno("%s: %s", argv[i], err);
			x->failed++;
		}
	}
	for (size_t i = 0; i < x->n_set; i++) {
		x->msgs[i].t = &x->set[i];
		n_spam += x->msgs[i].spam;
	}
	lock = spam_db_lock(x->s.database);
	if (lock == -1)
		log_fatal_errno("database=%s: cannot lock", x->s.database);
	base = spam_db_open(x->s.database, x->s.database_size_max, true, &err);
	if (base == NULL)
		log_fatal("database=%s: %s", x->s.database, err);
	x->builder = spam_db_builder_new(base);
	spam_db_free(&base);
	spam_train(x->builder, x->msgs, x->n_set, SPAM_TRAIN_MARGIN,
	    SPAM_TRAIN_PASSES, SPAM_TRAIN_SEED, &st);
	if (spam_db_builder_write(x->builder, x->s.database, &err) == -1)
		log_fatal_errno("database=%s: %s", x->s.database, err);
	close(lock);
	spam_db_builder_free(&x->builder);
	printf("trained on %zu spam and %zu ham: %zu learnt in %u pass%s,"
	    " %zu in the last, into %s\n", n_spam, x->n_set - n_spam,
	    st.learnt, st.passes, st.passes == 1 ? "" : "es", st.left,
	    x->s.database);
	for (size_t i = 0; i < x->n_set; i++)
		spam_tokens_deinit(&x->set[i]);
	free(x->set);
	free(x->msgs);
	return x->failed > 0 ? 1 : 0;
}

static int
cmd_classify(struct spamd_cmd *x, int argc, char **argv)
{
	const char *err;

	if (argc < 1)
		usage();
	x->db = spam_db_open(x->s.database, x->s.database_size_max, false,
	    &err);
	if (x->db == NULL)
		log_fatal("database=%s: %s", x->s.database, err);
	for (int i = 0; i < argc; i++)
		if (spam_file_each(argv[i], classify_one, x, &err) == -1) {
			log_error_errno("%s: %s", argv[i], err);
			x->failed++;
		}
	spam_db_free(&x->db);
	return x->failed > 0 ? 1 : 0;
}

static int
cmd_run(struct cfg *c, struct spamd_cmd *x, bool foreground)
{
	const struct settings_global *g = cfg_get(c, "global");
	struct priv_spec spec = { .user = g->user };
	const char *err;

	if (foreground)
		log_init("tessera-spamd", LOG_DEST_STDERR,
		    (enum log_format)g->log_format,
		    (enum log_level)g->log_level);
	else
		settings_apply_logging(c, "tessera-spamd");
	if (priv_drop(&spec, &err) == -1)
		log_fatal("cannot drop privileges to user=%s: %s", g->user,
		    err);
	if (!foreground)
		daemon_detach();
	return spam_milter_run(&x->s, &x->ml);
}

int
main(int argc, char **argv)
{
	struct cfg_section_def sections[3] = { settings_global_def,
		mime_config_def, spam_config_def };
	const char *path = NULL, *db_path = NULL, *cmd;
	bool foreground = false;
	struct spamd_cmd x;
	struct cfg *c;
	int opt, rc;

	while ((opt = getopt(argc, argv, "+c:d:f")) != -1) {
		if (opt == 'c')
			path = optarg;
		else if (opt == 'd')
			db_path = optarg;
		else if (opt == 'f')
			foreground = true;
		else
			usage();
	}
	if (optind >= argc)
		usage();
	cmd = argv[optind++];
	log_init("tessera-spamd", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	    LOG_LEVEL_INFO);
	c = cfg_new(sections, 3);
	cfg_set_foreign(c, settings_sections);
	if (path != NULL) {
		struct buf *errs = buf_new(256, 64 * 1024);

		if (cfg_load_file(c, path, errs) == -1) {
			fprintf(stderr, "%s", buf_cstr(errs));
			buf_free(&errs);
			cfg_free(&c);
			return 78;	/* EX_CONFIG */
		}
		buf_free(&errs);
	}
	memset(&x, 0, sizeof(x));
	spam_config_settings(c, &x.s);
	mime_config_limits(c, &x.ml);
	if (db_path != NULL)
		x.s.database = db_path;
	spam_tokens_init(&x.t, x.s.tok.tokens_max);
	if (strcmp(cmd, "learn") == 0)
		rc = cmd_learn(&x, argc - optind, argv + optind);
	else if (strcmp(cmd, "train") == 0)
		rc = cmd_train(&x, argc - optind, argv + optind);
	else if (strcmp(cmd, "classify") == 0)
		rc = cmd_classify(&x, argc - optind, argv + optind);
	else if (strcmp(cmd, "run") == 0 && path != NULL && optind == argc)
		rc = cmd_run(c, &x, foreground);
	else
		usage();
	spam_tokens_deinit(&x.t);
	cfg_free(&c);
	return rc;
}
