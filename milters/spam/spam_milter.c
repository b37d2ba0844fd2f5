/*
 * milters/spam/spam_milter.c - tessera-spamd in milter mode.
 *
 * Runs as one process with libmilter's thread per MTA connection, as the
 * unprivileged user. What the MTA sends is a hostile message: it is kept
 * up to message_size_max bytes (the rest is not scored), tokenised under
 * the [spamd] and [mime] limits. At end of message the score decides:
 * below tag_threshold "X-Spam-Status: No", up to reject_threshold "Yes",
 * from there 550 5.7.1. X-Spam-Status and X-Spam-Score fields the message
 * already carried are removed first, so a sender cannot pre-mark itself.
 *
 * The database is shared by all threads under a read-write lock; when
 * its file is replaced (learn renames a new one into place) the next
 * message loads the new file; a file that fails validation is logged
 * and the old database kept. libmilter's callbacks take no context
 * pointer, hence the one static state struct below.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libmilter/mfapi.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "milters/milter_common.h"
#include "milters/spam/spam_db.h"
#include "milters/spam/spam_milter.h"
#include "milters/spam/spam_scan.h"
#include "lib/banned.h"

/* Existing fields of ours removed at most (a message with more keeps
 * the rest; they are past what a client would look at). */
#define SPAM_OLD_FIELDS_MAX 16

struct spamd {
	const struct spam_settings *s;
	const struct msg_limits *ml;
	pthread_rwlock_t lock;		/* guards db */
	pthread_mutex_t reload;		/* one reloader at a time */
	struct spam_db *db;
	struct stat db_st;		/* of the file db came from */
	bool db_st_valid;
	struct stat bad_st;		/* last file that failed validation */
	bool bad_st_valid;
};

static struct spamd spamd;

struct conn {
	struct buf *msg;
	bool truncated;
	size_t n_status, n_score;	/* X-Spam-* fields seen */
};

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Load the database again if its file was replaced since. */
static void
db_refresh(void)
{
	struct stat st;
	struct spam_db *db, *old;
	const char *err;

	if (stat(spamd.s->database, &st) == -1)
		return;		/* gone: keep what we have */
	pthread_mutex_lock(&spamd.reload);
	if ((spamd.db_st_valid && same_file(&st, &spamd.db_st)) ||
	    (spamd.bad_st_valid && same_file(&st, &spamd.bad_st))) {
		pthread_mutex_unlock(&spamd.reload);
		return;
	}
	db = spam_db_open(spamd.s->database, spamd.s->database_size_max,
	    false, &err);
	if (db == NULL) {
		log_error("database=%s not loaded: %s; keeping the previous"
		    " one", spamd.s->database, err);
		spamd.bad_st = st;
		spamd.bad_st_valid = true;
		pthread_mutex_unlock(&spamd.reload);
		return;
	}
	pthread_rwlock_wrlock(&spamd.lock);
	old = spamd.db;
	spamd.db = db;
	pthread_rwlock_unlock(&spamd.lock);
	spamd.db_st = st;
	spamd.db_st_valid = true;
	log_info("database=%s loaded spam=%llu ham=%llu tokens=%zu",
	    spamd.s->database, (unsigned long long)db->n_spam,
	    (unsigned long long)db->n_ham, db->n);
	pthread_mutex_unlock(&spamd.reload);
	spam_db_free(&old);
}

static struct conn *
conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static void
conn_reset(struct conn *c)
{
	buf_reset(c->msg);
	c->truncated = false;
	c->n_status = c->n_score = 0;
}

static void
conn_add(struct conn *c, const void *p, size_t len)
{
	size_t room = c->msg->max - c->msg->len;

	if (len > room) {
		c->truncated = true;
		len = room;
	}
	if (len > 0)
		(void)buf_append(c->msg, p, len);
}

static void
conn_text(void *arg, const void *p, size_t len)
{
	conn_add(arg, p, len);
}

static sfsistat
cb_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	(void)host;
	(void)sa;
	c->msg = buf_new(16384, spamd.s->message_size_max);
	if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
		buf_free(&c->msg);
		free(c);
		return SMFIS_TEMPFAIL;
	}
	return SMFIS_CONTINUE;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_of(ctx);

	(void)argv;
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	conn_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (str_eq_ci(name, "X-Spam-Status"))
		c->n_status++;
	else if (str_eq_ci(name, "X-Spam-Score"))
		c->n_score++;
	milter_text_header(conn_text, c, name, value);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	milter_text_eoh(conn_text, c);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	conn_add(c, chunk, len);
	return SMFIS_CONTINUE;
}

/* Remove the fields of ours the message came with (highest index first:
 * indexes shift as fields go). */
static void
drop_old_fields(SMFICTX *ctx, const struct conn *c)
{
	size_t n;

	n = c->n_status < SPAM_OLD_FIELDS_MAX ? c->n_status :
	    SPAM_OLD_FIELDS_MAX;
	for (size_t i = n; i > 0; i--)
		(void)smfi_chgheader(ctx, "X-Spam-Status", (int)i, NULL);
	n = c->n_score < SPAM_OLD_FIELDS_MAX ? c->n_score :
	    SPAM_OLD_FIELDS_MAX;
	for (size_t i = n; i > 0; i--)
		(void)smfi_chgheader(ctx, "X-Spam-Score", (int)i, NULL);
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);
	struct spam_result r;
	enum spam_verdict v;
	char status[64], score[32], qid[80];
	const char *id;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	id = smfi_getsymval(ctx, "i");
	{
		/* the MTA's queue id, escaped: it is the peer's text */
		struct buf *e = buf_new(64, 1024);

		/* a longer one is cut: still greppable */
		(void)str_copy(qid, sizeof(qid), id == NULL ? "-" :
		    log_escape(e, id, strlen(id)));
		buf_free(&e);
	}
	db_refresh();
	pthread_rwlock_rdlock(&spamd.lock);
	v = spam_scan(spamd.db, spamd.s, spamd.ml, c->msg->data, c->msg->len,
	    &r);
	pthread_rwlock_unlock(&spamd.lock);
	log_info("%s: verdict=%s score=%.4f clues=%zu tokens=%zu bytes=%zu%s",
	    qid, spam_verdict_name(v), r.score, r.clues, r.tokens,
	    c->msg->len, c->truncated ? " truncated=yes" : "");
	if (v == SPAM_REJECT) {
		conn_reset(c);
		(void)smfi_setreply(ctx, "550", "5.7.1",
		    "Message refused as spam");
		return SMFIS_REJECT;
	}
	drop_old_fields(ctx, c);
	conn_reset(c);
	if (str_printf(score, sizeof(score), "%.4f", r.score) == -1 ||
	    str_printf(status, sizeof(status), "%s, score=%s",
	    v == SPAM_TAG ? "Yes" : "No", score) == -1)
		return SMFIS_TEMPFAIL;
	if (smfi_addheader(ctx, "X-Spam-Status", status) != MI_SUCCESS ||
	    smfi_addheader(ctx, "X-Spam-Score", score) != MI_SUCCESS) {
		log_error("%s: cannot add the X-Spam fields", qid);
		return SMFIS_TEMPFAIL;
	}
	return SMFIS_CONTINUE;
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c != NULL)
		conn_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c != NULL) {
		buf_free(&c->msg);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static void
on_listen(void *arg)
{
	const struct spam_settings *s = arg;

	log_info("listening socket=%s tag_threshold=%.4f"
	    " reject_threshold=%.4f", s->socket, s->tag_threshold,
	    s->reject_threshold);
}

int
spam_milter_run(const struct spam_settings *s, const struct msg_limits *ml)
{
	struct smfiDesc desc = {
		.xxfi_name = "tessera-spamd",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
		.xxfi_connect = cb_connect,
		.xxfi_envfrom = cb_envfrom,
		.xxfi_header = cb_header,
		.xxfi_eoh = cb_eoh,
		.xxfi_body = cb_body,
		.xxfi_eom = cb_eom,
		.xxfi_abort = cb_abort,
		.xxfi_close = cb_close,
	};
	const char *err;
	int rc = 1;

	spamd.s = s;
	spamd.ml = ml;
	pthread_rwlock_init(&spamd.lock, NULL);
	pthread_mutex_init(&spamd.reload, NULL);
	spamd.db = spam_db_open(s->database, s->database_size_max, false,
	    &err);
	if (spamd.db == NULL) {
		log_warn("database=%s not loaded: %s; every message scores 0.5"
		    " until it is", s->database, err);
		spamd.db = spam_db_new_empty();
	} else {
		struct stat st;

		if (stat(s->database, &st) == 0) {
			spamd.db_st = st;
			spamd.db_st_valid = true;
		}
		log_info("database=%s loaded spam=%llu ham=%llu tokens=%zu",
		    s->database, (unsigned long long)spamd.db->n_spam,
		    (unsigned long long)spamd.db->n_ham, spamd.db->n);
	}
	switch (milter_serve(s->socket, &desc, (int)s->timeout_s, on_listen,
	    (void *)s)) {
	case MILTER_SERVE_SETUP:
		log_error("socket=%s: cannot set up libmilter", s->socket);
		spam_db_free(&spamd.db);
		return 1;
	case MILTER_SERVE_LISTEN:
		log_error("socket=%s: cannot listen", s->socket);
		spam_db_free(&spamd.db);
		return 1;
	case MILTER_SERVE_MAIN:
		rc = 1;
		break;
	case MILTER_SERVE_OK:
		rc = 0;
		break;
	}
	log_info("stopped");
	spam_db_free(&spamd.db);
	return rc;
}
