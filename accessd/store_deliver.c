/*
 * accessd/store_deliver.c - putting messages into a folder: delivery and
 * APPEND (tmp -> fsync -> PENDING -> rename -> fsync dir -> ADD) and COPY
 * and MOVE between folders by hard links.
 *
 * Runs in session processes (LMTP, IMAP). The bytes are written before
 * the folder lock is taken, so concurrent deliveries only serialise on
 * the short rename-and-record step. A crash at any point leaves no
 * message or a whole one: the PENDING record tells the next lock holder
 * what to look for (store_folder.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

struct store_append {
	struct store_folder *f;
	int fd;
	char base[128];
	char tmp[STORE_PATH_MAX];
	uint64_t size;
	bool failed;
};

enum store_result
store_append_begin(struct store_folder *f, struct store_append **tx_out,
    struct buf *err)
{
	struct store_append *tx = xmalloc(sizeof(*tx));

	*tx_out = NULL;
	tx->f = f;
	if (store_fname_unique(f->mb, tx->base, sizeof(tx->base)) == -1 ||
	    store_folder_path(f, "tmp", tx->base, tx->tmp,
	    sizeof(tx->tmp)) == -1) {
		store_err(err, "path too long");
		free(tx);
		return STORE_ERROR;
	}
	tx->fd = open(tx->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (tx->fd == -1) {
		store_err(err, "create %s: %s", tx->tmp, strerror(errno));
		free(tx);
		return STORE_ERROR;
	}
	*tx_out = tx;
	return STORE_OK;
}

enum store_result
store_append_write(struct store_append *tx, const void *p, size_t len,
    struct buf *err)
{
	const uint8_t *b = p;

	if (tx->failed)
		return STORE_ERROR;
	if (len > tx->f->mb->lim.message_size_max - tx->size) {
		store_err(err, "message larger than %llu bytes",
		    (unsigned long long)tx->f->mb->lim.message_size_max);
		tx->failed = true;
		return STORE_TOOBIG;
	}
	while (len > 0) {
		ssize_t w = write(tx->fd, b, len);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			store_err(err, "write %s: %s", tx->tmp, strerror(errno));
			tx->failed = true;
			return STORE_ERROR;
		}
		b += w;
		len -= (size_t)w;
		tx->size += (uint64_t)w;
	}
	return STORE_OK;
}

void
store_append_abort(struct store_append **txp)
{
	struct store_append *tx = *txp;

	if (tx == NULL)
		return;
	if (tx->fd != -1)
		close(tx->fd);
	unlink(tx->tmp);
	free(tx);
	*txp = NULL;
}

/* Check flags and keywords given by a client. */
static enum store_result
check_flags(const struct store_folder *f, uint32_t flags,
    const char *keywords, struct buf *err)
{
	size_t kl = keywords != NULL ? strlen(keywords) : 0;

	if ((flags & ~STORE_FLAG_ALL) != 0 ||
	    (keywords != NULL && !store_keywords_ok(keywords, kl))) {
		store_err(err, "bad flags or keywords");
		return STORE_INVALID;
	}
	if (kl > f->mb->lim.keywords_max) {
		store_err(err, "keywords longer than %zu bytes",
		    f->mb->lim.keywords_max);
		return STORE_LIMIT;
	}
	return STORE_OK;
}

/* File durable with its internal date as mtime, descriptor closed. */
static enum store_result
finish_file(struct store_append *tx, int64_t date, struct buf *err)
{
	struct timespec ts[2] = { { .tv_sec = (time_t)date },
		{ .tv_sec = (time_t)date } };
	int rc = futimens(tx->fd, ts);

	if (rc == 0 && tx->f->mb->lim.fsync)
		rc = fsync(tx->fd);
	if (close(tx->fd) == -1)
		rc = -1;
	tx->fd = -1;
	if (rc == -1) {
		store_err(err, "write %s: %s", tx->tmp, strerror(errno));
		return STORE_ERROR;
	}
	return STORE_OK;
}

/* Under the lock: PENDING, rename, ADD. */
static enum store_result
deliver_locked(struct store_append *tx, struct store_msg *m,
    store_change_fn cb, void *arg, struct buf *err)
{
	struct store_folder *f = tx->f;
	char name[STORE_PATH_MAX], to[STORE_PATH_MAX], cur[STORE_PATH_MAX];
	enum store_result r;

	if (f->idx.uidnext >= UINT32_MAX) {
		store_err(err, "no UIDs left in this folder");
		return STORE_LIMIT;
	}
	m->uid = f->idx.uidnext;
	m->modseq = store_folder_next_modseq(f);
	if (store_fname_make(tx->base, m->uid, m->size, m->flags, name,
	    sizeof(name)) == -1 ||
	    store_folder_path(f, "cur", name, to, sizeof(to)) == -1 ||
	    store_folder_path(f, NULL, "cur", cur, sizeof(cur)) == -1) {
		store_err(err, "path too long");
		return STORE_ERROR;
	}
	m->file = name;
	if (store_index_enc_msg(f->rec, STORE_REC_PENDING, m) == -1) {
		store_err(err, "index record larger than %zu bytes",
		    f->mb->lim.index_record_max);
		buf_reset(f->rec);
		return STORE_LIMIT;
	}
	/* PENDING on disk before the rename, so a crash after it is found */
	if ((r = store_folder_commit(f, true, cb, arg, err)) != STORE_OK)
		return r;
	if (rename(tx->tmp, to) == -1 || store_fsync_dir(f->mb, cur) == -1) {
		store_err(err, "rename into %s: %s", cur, strerror(errno));
		store_index_enc_abort(f->rec, m->uid);
		store_folder_commit(f, false, cb, arg, NULL);
		return STORE_ERROR;
	}
	store_index_enc_msg(f->rec, STORE_REC_ADD, m);
	if ((r = store_folder_commit(f, false, cb, arg, err)) != STORE_OK)
		return r;	/* the next lock holder resolves PENDING */
	store_folder_maybe_compact(f);
	return STORE_OK;
}

enum store_result
store_append_commit(struct store_append **txp, uint32_t flags,
    const char *keywords, int64_t internal_date,
    const struct store_quota *quota, store_change_fn cb, void *arg,
    uint32_t *uid_out, struct buf *err)
{
	struct store_append *tx = *txp;
	struct store_folder *f = tx->f;
	struct store_msg m = { 0 };
	enum store_result r;

	if (tx->failed) {
		store_append_abort(txp);
		store_err(err, "append failed earlier");
		return STORE_ERROR;
	}
	if ((r = check_flags(f, flags, keywords, err)) != STORE_OK)
		goto out;
	if (internal_date == 0)
		internal_date = (int64_t)time(NULL);
	if ((r = finish_file(tx, internal_date, err)) != STORE_OK)
		goto out;
	if ((r = store_folder_lock(f, cb, arg, err)) != STORE_OK)
		goto out;
	if ((r = store_quota_check(f->mb, quota, tx->size, err)) == STORE_OK) {
		m.flags = flags;
		m.size = tx->size;
		m.internal_date = internal_date;
		m.keywords = (char *)(keywords != NULL ? keywords : "");
		r = deliver_locked(tx, &m, cb, arg, err);
	}
	store_folder_unlock(f);
	/* the quota lock is taken after the folder lock is gone
	 * (store_quota.c) */
	if (r == STORE_OK) {
		store_quota_add(f->mb, (int64_t)tx->size, 1, NULL);
		if (uid_out != NULL)
			*uid_out = m.uid;
	}
out:
	store_append_abort(txp);	/* removes tmp unless renamed */
	return r;
}

enum store_result
store_append(struct store_folder *f, const void *msg, size_t len,
    uint32_t flags, const char *keywords, int64_t internal_date,
    const struct store_quota *quota, uint32_t *uid_out, struct buf *err)
{
	struct store_append *tx;
	enum store_result r;

	if ((r = store_append_begin(f, &tx, err)) != STORE_OK)
		return r;
	if ((r = store_append_write(tx, msg, len, err)) != STORE_OK) {
		store_append_abort(&tx);
		return r;
	}
	return store_append_commit(&tx, flags, keywords, internal_date, quota,
	    NULL, NULL, uid_out, err);
}

/* ---- copy and move ----------------------------------------------------- */

/* Snapshot of the messages of set in f's view. */
static struct store_msg *
collect(struct store_folder *f, const struct store_range *set, size_t n,
    struct pool *pool, size_t *count)
{
	struct store_msg *v = NULL;
	size_t k = 0, cap = 0;
	bool *picked = pool_alloc(pool, f->idx.n + 1);

	for (size_t r = 0; r < n; r++) {
		for (size_t i = store_index_lower_bound(&f->idx, set[r].lo);
		    i < f->idx.n && f->idx.msgs[i].uid <= set[r].hi; i++) {
			const struct store_msg *m = &f->idx.msgs[i];

			/* the same UID twice in a set is copied once */
			if (picked[i])
				continue;
			picked[i] = true;
			if (k == cap) {
				struct store_msg *nv;

				cap = cap != 0 ? cap * 2 : 16;
				nv = pool_alloc(pool, cap * sizeof(*nv));
				if (k > 0)
					memcpy(nv, v, k * sizeof(*nv));
				v = nv;
			}
			v[k] = *m;
			v[k].file = pool_strdup(pool, m->file);
			v[k].keywords = pool_strdup(pool, m->keywords);
			v[k].envelope = m->envelope != NULL ?
			    pool_strdup(pool, m->envelope) : NULL;
			v[k].bodystructure = m->bodystructure != NULL ?
			    pool_strdup(pool, m->bodystructure) : NULL;
			k++;
		}
	}
	*count = k;
	return v;
}

static int
by_uid(const void *a, const void *b)
{
	const struct store_msg *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Hard-link msgs into dst with new UIDs (dst locked). done[i] tells
 * which made it; their new UIDs go to out. */
static enum store_result
link_locked(struct store_folder *f, struct store_folder *dst,
    struct store_msg *msgs, size_t k, bool *done, struct store_copied *out,
    struct pool *pool, struct buf *err)
{
	char cur[STORE_PATH_MAX];
	char **names = pool_alloc(pool, (k + 1) * sizeof(*names));
	uint32_t uid = dst->idx.uidnext;
	enum store_result r;

	if ((uint64_t)uid + k >= UINT32_MAX) {
		store_err(err, "no UIDs left in %s", dst->name);
		return STORE_LIMIT;
	}
	for (size_t i = 0; i < k; i++) {
		char base[128], name[STORE_PATH_MAX];
		struct store_msg m = msgs[i];

		if (store_fname_unique(dst->mb, base, sizeof(base)) == -1 ||
		    store_fname_make(base, uid + (uint32_t)i, m.size, m.flags,
		    name, sizeof(name)) == -1)
			return STORE_ERROR;
		names[i] = pool_strdup(pool, name);
		m.uid = uid + (uint32_t)i;
		m.file = names[i];
		m.modseq = store_folder_next_modseq(dst);
		if (store_index_enc_msg(dst->rec, STORE_REC_PENDING, &m) == -1) {
			store_err(err, "index record too large");
			buf_reset(dst->rec);
			return STORE_LIMIT;
		}
	}
	if ((r = store_folder_commit(dst, true, NULL, NULL, err)) != STORE_OK)
		return r;
	for (size_t i = 0; i < k; i++) {
		char from[STORE_PATH_MAX], to[STORE_PATH_MAX];

		done[i] = store_folder_path(f, "cur", msgs[i].file, from,
		    sizeof(from)) == 0 && store_folder_path(dst, "cur", names[i],
		    to, sizeof(to)) == 0 && link(from, to) == 0;
		if (!done[i])	/* expunged meanwhile: not copied */
			log_info("store: copy skipped folder=%s uid=%u: %s",
			    f->dir, msgs[i].uid, strerror(errno));
	}
	if (store_folder_path(dst, NULL, "cur", cur, sizeof(cur)) == -1 ||
	    store_fsync_dir(dst->mb, cur) == -1) {
		store_err(err, "fsync %s: %s", dst->dir, strerror(errno));
		return STORE_ERROR;	/* PENDINGs are resolved later */
	}
	out->src_uids = pool_alloc(pool, (k + 1) * sizeof(uint32_t));
	out->dst_uids = pool_alloc(pool, (k + 1) * sizeof(uint32_t));
	for (size_t i = 0; i < k; i++) {
		struct store_msg m = msgs[i];

		m.uid = uid + (uint32_t)i;
		m.file = names[i];
		m.modseq = store_folder_next_modseq(dst);
		if (!done[i]) {
			store_index_enc_abort(dst->rec, m.uid);
			continue;
		}
		store_index_enc_msg(dst->rec, STORE_REC_ADD, &m);
		out->src_uids[out->n] = msgs[i].uid;
		out->dst_uids[out->n++] = m.uid;
	}
	out->uidvalidity = dst->idx.uidvalidity;
	r = store_folder_commit(dst, false, NULL, NULL, err);
	if (r == STORE_OK)
		store_folder_maybe_compact(dst);
	return r;
}

enum store_result
store_copy(struct store_folder *f, const struct store_range *set, size_t n,
    struct store_folder *dst, bool move, const struct store_quota *quota,
    struct pool *pool, struct store_copied *out, store_change_fn cb,
    void *arg, struct buf *err)
{
	struct store_msg *msgs;
	uint64_t bytes = 0, used_b, used_m;
	size_t k;
	bool *done;
	enum store_result r;

	memset(out, 0, sizeof(*out));
	if (f == dst && move) {
		store_err(err, "cannot move a folder's messages into itself");
		return STORE_INVALID;
	}
	if ((r = store_folder_sync(f, cb, arg, err)) != STORE_OK)
		return r;
	msgs = collect(f, set, n, pool, &k);
	if (k == 0)
		return STORE_OK;
	qsort(msgs, k, sizeof(*msgs), by_uid);
	for (size_t i = 0; i < k; i++)
		bytes += msgs[i].size;
	if (!move && quota != NULL &&
	    store_quota_get(f->mb, &used_b, &used_m, err) == STORE_OK &&
	    ((quota->bytes != 0 && used_b + bytes > quota->bytes) ||
	    (quota->messages != 0 && used_m + k > quota->messages))) {
		store_err(err, "over quota");
		return STORE_OVERQUOTA;
	}
	done = pool_alloc(pool, k * sizeof(*done));
	if ((r = store_folder_lock(dst, NULL, NULL, err)) != STORE_OK)
		return r;
	r = link_locked(f, dst, msgs, k, done, out, pool, err);
	store_folder_unlock(dst);
	if (r != STORE_OK)
		return r;
	bytes = 0;
	for (size_t i = 0; i < k; i++)
		if (done[i])
			bytes += msgs[i].size;
	if (!move) {
		store_quota_add(f->mb, (int64_t)bytes, (int64_t)out->n, NULL);
		return STORE_OK;
	}
	/* MOVE (RFC 6851): the originals go as by UID EXPUNGE */
	struct store_range *uset = pool_alloc(pool, (out->n + 1) * sizeof(*uset));
	for (size_t i = 0; i < out->n; i++)
		uset[i].lo = uset[i].hi = out->src_uids[i];
	return store_expunge_uids(f, uset, out->n, false, false, cb, arg,
	    err);
}
