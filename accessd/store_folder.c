/*
 * accessd/store_folder.c - an open folder: loading its index into a view,
 * following other writers' appends (sync), the write lock and commit of
 * new records, crash recovery and compaction.
 *
 * Runs in session processes. Readers never lock: they apply complete,
 * checksummed records only, and anything odd they see is re-examined
 * under the lock, where it is either a dead writer's torn tail (cut off)
 * or damage (the index is rebuilt from the Maildir files, store_rebuild.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

/* How large an index may be read (the view must fit in memory anyway). */
#define INDEX_READ_MAX ((size_t)1 << 34)

int
store_folder_path(const struct store_folder *f, const char *sub,
    const char *name, char *out, size_t size)
{
	if (sub != NULL)
		return str_printf(out, size, "%s/%s/%s", f->dir, sub, name);
	return str_printf(out, size, "%s/%s", f->dir, name);
}

uint64_t
store_modseq_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
store_folder_next_modseq(struct store_folder *f)
{
	/* modseqs follow the clock (microseconds) when it is ahead, so a
	 * rebuilt index, which knows no modseq, can start above every one
	 * handed out before (store_rebuild.c) and CONDSTORE clients never
	 * see one go back */
	if (f->modseq_next <= f->idx.highestmodseq) {
		uint64_t now = store_modseq_clock();

		f->modseq_next = f->idx.highestmodseq + 1;
		if (now > f->modseq_next)
			f->modseq_next = now;
	}
	return f->modseq_next++;
}

/* Read fd from off to its end into a new buf (NULL on I/O error). */
static struct buf *
read_from(int fd, uint64_t off)
{
	struct buf *b = buf_new(4096, INDEX_READ_MAX);
	uint8_t chunk[65536];

	for (;;) {
		ssize_t r = pread(fd, chunk, sizeof(chunk), (off_t)off);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 || (r > 0 && buf_append(b, chunk, (size_t)r) == -1)) {
			buf_free(&b);
			return NULL;
		}
		if (r == 0)
			return b;
		off += (uint64_t)r;
	}
}

enum load_rc { LOAD_OK, LOAD_TORN, LOAD_BAD, LOAD_ERROR };

/* Load the whole index file into idx (no callbacks). On LOAD_OK/TORN the
 * file stays open in *fd_out. */
static enum load_rc
load_file(struct store_folder *f, struct store_index *idx, int *fd_out,
    ino_t *ino_out, uint64_t *off_out)
{
	char path[STORE_PATH_MAX];
	struct stat st;
	struct buf *b;
	size_t used;
	int fd, rc;

	store_index_init(idx);
	if (store_folder_path(f, NULL, STORE_INDEX_FILE, path,
	    sizeof(path)) == -1)
		return LOAD_ERROR;
	fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return errno == ENOENT ? LOAD_BAD : LOAD_ERROR;
	if (fstat(fd, &st) == -1 || (b = read_from(fd, 0)) == NULL) {
		close(fd);
		return LOAD_ERROR;
	}
	if (store_index_header_parse(b->data, b->len, idx) == -1) {
		buf_free(&b);
		close(fd);
		return LOAD_BAD;
	}
	rc = store_index_parse_records(idx, b->data + STORE_INDEX_HDR_LEN,
	    b->len - STORE_INDEX_HDR_LEN, f->mb->lim.index_record_max, NULL,
	    NULL, &used);
	buf_free(&b);
	if (rc == -1) {
		store_index_deinit(idx);
		close(fd);
		return LOAD_BAD;
	}
	*fd_out = fd;
	*ino_out = st.st_ino;
	*off_out = STORE_INDEX_HDR_LEN + used;
	return rc == 0 ? LOAD_TORN : LOAD_OK;
}

/* Report the difference between the view and idx, then make idx the
 * view. */
static void
diff_views(struct store_folder *f, struct store_index *idx,
    store_change_fn cb, void *arg)
{
	struct store_index *old = &f->idx;
	size_t j;

	if (cb != NULL) {
		/* expunges first, highest position first, so each reported
		 * position is still right when the client applies it */
		for (size_t k = old->n; k-- > 0;)
			if (store_index_find(idx, old->msgs[k].uid, NULL) == NULL)
				cb(arg, STORE_CHANGE_EXPUNGE, &old->msgs[k], k);
		for (j = 0; j < idx->n; j++) {
			const struct store_msg *m = &idx->msgs[j];
			const struct store_msg *o;

			o = store_index_find(old, m->uid, NULL);
			if (o == NULL)
				cb(arg, STORE_CHANGE_NEW, m, j);
			else if (o->modseq != m->modseq || o->flags != m->flags)
				cb(arg, STORE_CHANGE_FLAGS, m, j);
		}
	}
	store_index_move(&f->idx, idx);
}

static enum store_result rebuild_locked(struct store_folder *f,
    struct buf *err);

/* Replace the view by the file's contents. */
static enum store_result
reload(struct store_folder *f, bool locked, store_change_fn cb, void *arg,
    struct buf *err)
{
	struct store_index idx;
	enum load_rc rc;
	int fd = -1;
	ino_t ino = 0;
	uint64_t off = 0;

	rc = load_file(f, &idx, &fd, &ino, &off);
	if (rc == LOAD_TORN && locked) {
		log_warn("store: index torn, cut folder=%s offset=%llu",
		    f->dir, (unsigned long long)off);
		if (ftruncate(fd, (off_t)off) == -1)
			rc = LOAD_BAD;
	}
	if (rc == LOAD_BAD && locked) {
		if (fd != -1)
			close(fd);
		store_index_deinit(&idx);
		if (rebuild_locked(f, err) != STORE_OK)
			return STORE_ERROR;
		rc = load_file(f, &idx, &fd, &ino, &off);
	}
	if (rc == LOAD_ERROR || rc == LOAD_BAD) {
		store_index_deinit(&idx);
		if (rc == LOAD_BAD && !locked)
			return STORE_NOTFOUND;	/* caller retries locked */
		store_err(err, "cannot read the index of %s: %s", f->dir,
		    strerror(errno));
		return STORE_ERROR;
	}
	if (f->index_fd != -1)
		close(f->index_fd);
	f->index_fd = fd;
	f->index_ino = ino;
	f->offset = off;
	diff_views(f, &idx, cb, arg);
	return STORE_OK;
}

/* Bring the view up to date; STORE_NOTFOUND when unlocked and something
 * needs the lock to be judged. */
static enum store_result
sync_once(struct store_folder *f, bool locked, store_change_fn cb,
    void *arg, struct buf *err)
{
	char path[STORE_PATH_MAX];
	struct stat st;
	struct buf *b;
	size_t used;
	int rc;

	if (cb == NULL) {
		cb = f->listen_cb;
		arg = f->listen_arg;
	}
	if (store_folder_path(f, NULL, STORE_INDEX_FILE, path,
	    sizeof(path)) == -1)
		return STORE_ERROR;
	if (lstat(f->dir, &st) == -1) {
		store_err(err, "folder %s was deleted", f->name);
		return STORE_NOTFOUND;
	}
	if (f->index_fd == -1 || stat(path, &st) == -1 ||
	    st.st_ino != f->index_ino || (uint64_t)st.st_size < f->offset)
		return reload(f, locked, cb, arg, err);
	if ((uint64_t)st.st_size == f->offset)
		return STORE_OK;
	if ((b = read_from(f->index_fd, f->offset)) == NULL) {
		store_err(err, "read %s: %s", path, strerror(errno));
		return STORE_ERROR;
	}
	rc = store_index_parse_records(&f->idx, b->data, b->len,
	    f->mb->lim.index_record_max, cb, arg, &used);
	buf_free(&b);
	f->offset += used;
	if (rc == 1 || (rc == 0 && !locked))
		return STORE_OK;	/* unlocked: a writer may be mid-append */
	if (!locked)
		return STORE_NOTFOUND;
	if (rc == 0) {
		log_warn("store: index torn, cut folder=%s offset=%llu",
		    f->dir, (unsigned long long)f->offset);
		if (ftruncate(f->index_fd, (off_t)f->offset) == 0)
			return STORE_OK;
	}
	log_warn("store: index damaged, rebuilding folder=%s offset=%llu",
	    f->dir, (unsigned long long)f->offset);
	if (rebuild_locked(f, err) != STORE_OK)
		return STORE_ERROR;
	return reload(f, locked, cb, arg, err);
}

enum store_result
store_folder_sync(struct store_folder *f, store_change_fn cb, void *arg,
    struct buf *err)
{
	enum store_result r;

	if (f->lock_fd != -1)
		return sync_once(f, true, cb, arg, err);
	r = sync_once(f, false, cb, arg, err);
	if (r != STORE_NOTFOUND || access(f->dir, F_OK) == -1)
		return r;
	r = store_folder_lock(f, cb, arg, err);
	if (r == STORE_OK)
		store_folder_unlock(f);
	return r;
}

bool
store_folder_changed(struct store_folder *f)
{
	char path[STORE_PATH_MAX];
	struct stat st;

	if (store_folder_path(f, NULL, STORE_INDEX_FILE, path,
	    sizeof(path)) == -1 || stat(path, &st) == -1)
		return true;
	return st.st_ino != f->index_ino || (uint64_t)st.st_size != f->offset;
}

/* PENDING records of a writer that died: ADD if its rename happened. */
static enum store_result
resolve_pending(struct store_folder *f, store_change_fn cb, void *arg,
    struct buf *err)
{
	if (f->idx.npending == 0)
		return STORE_OK;
	for (size_t i = 0; i < f->idx.npending; i++) {
		struct store_msg m = f->idx.pending[i];
		char path[STORE_PATH_MAX];
		struct stat st;
		int rc;

		if (store_folder_path(f, "cur", m.file, path, sizeof(path)) == 0 &&
		    lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			m.modseq = store_folder_next_modseq(f);
			rc = store_index_enc_msg(f->rec, STORE_REC_ADD, &m);
			log_info("store: recovered delivery folder=%s uid=%u",
			    f->dir, m.uid);
		} else {
			rc = store_index_enc_abort(f->rec, m.uid);
			log_info("store: dropped unfinished delivery folder=%s "
			    "uid=%u", f->dir, m.uid);
		}
		if (rc == -1) {
			store_err(err, "index record too large");
			buf_reset(f->rec);
			return STORE_ERROR;
		}
	}
	return store_folder_commit(f, false, cb, arg, err);
}

enum store_result
store_folder_lock(struct store_folder *f, store_change_fn cb, void *arg,
    struct buf *err)
{
	char path[STORE_PATH_MAX];
	enum store_result r;

	ASSERT(f->lock_fd == -1);
	if (store_folder_path(f, NULL, STORE_LOCK_FILE, path,
	    sizeof(path)) == -1)
		return STORE_ERROR;
	if ((f->lock_fd = store_lock_take(path, err)) == -1)
		return STORE_ERROR;
	f->modseq_next = 0;
	buf_reset(f->rec);
	r = sync_once(f, true, cb, arg, err);
	if (r == STORE_OK)
		r = resolve_pending(f, cb, arg, err);
	if (r != STORE_OK)
		store_folder_unlock(f);
	return r;
}

void
store_folder_unlock(struct store_folder *f)
{
	store_lock_release(&f->lock_fd);
}

enum store_result
store_folder_commit(struct store_folder *f, bool dsync, store_change_fn cb,
    void *arg, struct buf *err)
{
	const uint8_t *p = f->rec->data;
	size_t left = f->rec->len;
	struct stat st;

	ASSERT(f->lock_fd != -1);
	if (left == 0)
		return STORE_OK;
	if (fstat(f->index_fd, &st) == -1)
		goto fail;
	while (left > 0) {
		ssize_t w = write(f->index_fd, p, left);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* leave no partial record behind (ENOSPC) */
			if (ftruncate(f->index_fd, st.st_size) == -1)
				log_error_errno("store: cannot cut index %s",
				    f->dir);
			goto fail;
		}
		p += w;
		left -= (size_t)w;
	}
	buf_reset(f->rec);
	if (dsync && f->mb->lim.fsync && fdatasync(f->index_fd) == -1)
		goto fail;
	return sync_once(f, true, cb, arg, err);
fail:
	store_err(err, "write index of %s: %s", f->dir, strerror(errno));
	buf_reset(f->rec);
	return STORE_ERROR;
}

/* Write a fresh index holding idx (header + one ADD per message). */
int
store_folder_write_index(struct store_folder *f, const struct store_index *idx)
{
	char path[STORE_PATH_MAX];
	uint8_t hdr[STORE_INDEX_HDR_LEN];
	struct buf *b = buf_new(4096, INDEX_READ_MAX);
	struct buf *rec = buf_new(256, f->mb->lim.index_record_max + 8);
	int rc = -1;

	store_index_header_encode(idx, hdr);
	if (buf_append(b, hdr, sizeof(hdr)) == -1)
		goto out;
	for (size_t i = 0; i < idx->n; i++) {
		buf_reset(rec);
		if (store_index_enc_msg(rec, STORE_REC_ADD, &idx->msgs[i]) == -1 ||
		    buf_append(b, rec->data, rec->len) == -1)
			goto out;
	}
	if (store_folder_path(f, NULL, STORE_INDEX_FILE, path,
	    sizeof(path)) == -1)
		goto out;
	rc = store_write_file(f->mb, path, b->data, b->len);
out:
	buf_free(&rec);
	buf_free(&b);
	return rc;
}

void
store_folder_maybe_compact(struct store_folder *f)
{
	ASSERT(f->lock_fd != -1);
	if (f->idx.npending != 0 ||
	    f->idx.records < 2 * f->idx.n + STORE_COMPACT_SLACK)
		return;
	if (store_folder_write_index(f, &f->idx) == -1) {
		log_error_errno("store: cannot compact index folder=%s", f->dir);
		return;
	}
	log_info("store: index compacted folder=%s messages=%zu records=%zu",
	    f->dir, f->idx.n, f->idx.records);
	/* the new file has a new inode: reload without reporting changes */
	if (sync_once(f, true, NULL, NULL, NULL) != STORE_OK)
		log_error("store: cannot reload compacted index folder=%s",
		    f->dir);
}

static enum store_result
rebuild_locked(struct store_folder *f, struct buf *err)
{
	return store_rebuild(f, err);
}

void
store_folder_set_listener(struct store_folder *f, store_change_fn cb,
    void *arg)
{
	f->listen_cb = cb;
	f->listen_arg = arg;
}

void
store_folder_close(struct store_folder **fp)
{
	struct store_folder *f = *fp;

	if (f == NULL)
		return;
	store_lock_release(&f->lock_fd);
	if (f->index_fd != -1)
		close(f->index_fd);
	if (f->notify_fd != -1)
		close(f->notify_fd);
	store_index_deinit(&f->idx);
	buf_free(&f->rec);
	free(f->name);
	free(f->dir);
	free(f);
	*fp = NULL;
}

enum store_result
store_folder_open(struct store_mailbox *mb, const char *name,
    struct store_folder **f_out, struct buf *err)
{
	char canon[STORE_PATH_MAX], dname[STORE_PATH_MAX], dir[STORE_PATH_MAX];
	struct store_folder *f;
	struct stat st;
	enum store_result r;

	*f_out = NULL;
	r = store_name_canon(&mb->lim, name, canon, sizeof(canon), err);
	if (r != STORE_OK)
		return r;
	if (store_name_to_dir(canon, dname, sizeof(dname)) == -1 ||
	    str_printf(dir, sizeof(dir), "%s/%s", mb->path, dname) == -1) {
		store_err(err, "folder name too long");
		return STORE_LIMIT;
	}
	/* lstat: a symlink planted as a folder must not lead elsewhere */
	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		store_err(err, "no folder %s", canon);
		return STORE_NOTFOUND;
	}
	f = xmalloc(sizeof(*f));
	f->mb = mb;
	f->name = xstrdup(canon);
	f->dir = xstrdup(dir);
	f->index_fd = f->lock_fd = f->notify_fd = -1;
	f->rec = buf_new(256, mb->lim.index_record_max + 8);
	store_index_init(&f->idx);
	r = store_folder_sync(f, NULL, NULL, err);
	if (r != STORE_OK) {
		store_folder_close(&f);
		return r;
	}
	store_tmp_sweep(f);
	*f_out = f;
	return STORE_OK;
}

uint32_t
store_folder_uidvalidity(const struct store_folder *f)
{
	return f->idx.uidvalidity;
}

uint32_t
store_folder_uidnext(const struct store_folder *f)
{
	return f->idx.uidnext;
}

uint64_t
store_folder_highestmodseq(const struct store_folder *f)
{
	return f->idx.highestmodseq;
}

size_t
store_folder_count(const struct store_folder *f)
{
	return f->idx.n;
}

const struct store_msg *
store_folder_msg(const struct store_folder *f, size_t i)
{
	return i < f->idx.n ? &f->idx.msgs[i] : NULL;
}

const struct store_msg *
store_folder_find(const struct store_folder *f, uint32_t uid, size_t *pos_out)
{
	return store_index_find(&f->idx, uid, pos_out);
}
