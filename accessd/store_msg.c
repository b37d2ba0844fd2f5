/*
 * accessd/store_msg.c - reading messages: a descriptor, the bytes or the
 * header of a message by UID, and the envelope and body structure strings cached in
 * the index (computed by the caller's parser, lib/mime in accessd).
 *
 * Runs in session processes. Files are opened with O_NOFOLLOW by the
 * name the index gives, which the index parser has checked to be a
 * plain name.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

/* uid is in the view but its file is gone: unless another session
 * expunged it meanwhile, record the expunge the file system already
 * made. */
static void
drop_ghost(struct store_folder *f, uint32_t uid)
{
	const struct store_msg *m;
	char path[STORE_PATH_MAX];
	struct stat st;
	uint64_t size = 0;
	bool gone = false;

	if (store_folder_lock(f, NULL, NULL, NULL) != STORE_OK)
		return;
	m = store_index_find(&f->idx, uid, NULL);
	if (m != NULL && store_folder_path(f, "cur", m->file, path,
	    sizeof(path)) == 0 && lstat(path, &st) == -1 && errno == ENOENT) {
		size = m->size;
		log_warn("store: message file missing, expunged folder=%s "
		    "uid=%u", f->dir, uid);
		if (store_index_enc_expunge(f->rec, uid,
		    store_folder_next_modseq(f)) == 0 &&
		    store_folder_commit(f, false, NULL, NULL, NULL) == STORE_OK)
			gone = true;
	}
	store_folder_unlock(f);
	if (gone)
		store_quota_add(f->mb, -(int64_t)size, -1, NULL);
}

int
store_msg_open(struct store_folder *f, uint32_t uid, struct buf *err)
{
	const struct store_msg *m = store_index_find(&f->idx, uid, NULL);
	char path[STORE_PATH_MAX];
	int fd;

	if (m == NULL) {
		store_err(err, "no message with UID %u", uid);
		return -1;
	}
	if (store_folder_path(f, "cur", m->file, path, sizeof(path)) == -1)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT) {
		store_err(err, "message %u was expunged", uid);
		drop_ghost(f, uid);
		errno = ENOENT;
	} else if (fd == -1) {
		store_err(err, "cannot open message %u: %s", uid,
		    strerror(errno));
	}
	return fd;
}

/* Where the empty line that ends a header ends in b[0..len), searching
 * from `from` (a terminator may start up to 2 bytes before it): the
 * offset just past it, or 0. */
static size_t
head_end(const uint8_t *b, size_t len, size_t from)
{
	for (size_t i = from > 2 ? from - 2 : 0; i + 1 < len; i++) {
		if (b[i] != '\n')
			continue;
		if (b[i + 1] == '\n')
			return i + 2;
		if (b[i + 1] == '\r' && i + 2 < len && b[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The message appended to out; with head, only up to the end of its
 * header while that is within STORE_HEAD_MAX bytes (read
 * STORE_HEAD_CHUNK at a time until then). */
static enum store_result
read_msg(struct store_folder *f, uint32_t uid, bool head, struct buf *out,
    struct buf *err)
{
	int fd = store_msg_open(f, uid, err);
	size_t start = out->len, end = 0;
	enum store_result r = STORE_OK;

	if (fd == -1)
		return store_index_find(&f->idx, uid, NULL) == NULL ||
		    errno == ENOENT ? STORE_NOTFOUND : STORE_ERROR;
	while (end == 0) {
		char chunk[65536];
		size_t had = out->len - start;
		bool seek = head && had < STORE_HEAD_MAX;
		ssize_t n = read(fd, chunk, seek ? STORE_HEAD_CHUNK :
		    sizeof(chunk));

		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0)
			break;
		if (n < 0 || buf_append(out, chunk, (size_t)n) == -1) {
			store_err(err, "read message %u: %s", uid,
			    n < 0 ? strerror(errno) : "too large for buffer");
			r = n < 0 ? STORE_ERROR : STORE_TOOBIG;
			break;
		}
		if (seek)
			end = head_end(out->data + start, out->len - start,
			    had);
	}
	if (end != 0)
		buf_truncate(out, start + end);	/* not what follows */
	close(fd);
	return r;
}

enum store_result
store_msg_read(struct store_folder *f, uint32_t uid, struct buf *out,
    struct buf *err)
{
	return read_msg(f, uid, false, out, err);
}

enum store_result
store_msg_read_head(struct store_folder *f, uint32_t uid, struct buf *out,
    struct buf *err)
{
	return read_msg(f, uid, true, out, err);
}

enum store_result
store_msg_cache(struct store_folder *f, uint32_t uid, store_cache_fn fn,
    void *arg, const char **envelope_out, const char **bodystructure_out,
    struct buf *err)
{
	const struct store_msg *m = store_index_find(&f->idx, uid, NULL);
	struct buf *b;
	char *env = NULL, *bs = NULL;
	enum store_result r;

	if (m != NULL && m->envelope != NULL && m->bodystructure != NULL)
		goto found;
	if (m == NULL) {
		store_err(err, "no message with UID %u", uid);
		return STORE_NOTFOUND;
	}
	/* the size is the index's word: trust it for a hint only */
	b = buf_new(m->size < (1u << 20) ? (size_t)m->size + 1 : 1u << 20,
	    f->mb->lim.message_size_max + 1);
	r = store_msg_read(f, uid, b, err);
	if (r == STORE_OK && fn(arg, b->data, b->len, &env, &bs) == -1) {
		store_err(err, "cannot parse message %u", uid);
		r = STORE_INVALID;
	}
	buf_free(&b);
	if (r == STORE_OK)
		r = store_folder_lock(f, NULL, NULL, err);
	if (r == STORE_OK) {
		if (store_index_find(&f->idx, uid, NULL) == NULL) {
			r = STORE_NOTFOUND;
		} else if (store_index_enc_cache(f->rec, uid, env, bs) == -1) {
			store_err(err, "cached strings larger than an index "
			    "record");
			r = STORE_LIMIT;
		} else {
			r = store_folder_commit(f, false, NULL, NULL, err);
		}
		store_folder_unlock(f);
	}
	free(env);
	free(bs);
	if (r != STORE_OK)
		return r;
	if ((m = store_index_find(&f->idx, uid, NULL)) == NULL)
		return STORE_NOTFOUND;
found:
	*envelope_out = m->envelope;
	*bodystructure_out = m->bodystructure;
	return STORE_OK;
}
