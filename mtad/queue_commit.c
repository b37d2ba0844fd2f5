/*
 * mtad/queue_commit.c - new messages into incoming/, committed durably.
 *
 * Runs in SMTP session processes (unprivileged, one per client), which
 * write only here and only into incoming/. The message bytes come from
 * the client; they are stored as they are, never parsed here. Order of a
 * commit, and why: envelope written, fdatasync (the bytes are on disk
 * before any name points at them), no-replace rename to the final name
 * (a reader sees the whole file or nothing), fsync of the directory (the
 * name itself is on disk): only then is the message acknowledged.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mtad/queue.h"
#include "lib/banned.h"

struct queue_writer {
	struct queue *q;
	struct pool *pool;		/* the caller's, for error texts */
	char id[QUEUE_ID_MAX];
	char tmp[QUEUE_NAME_MAX];
	int fd;
	size_t reserve;			/* room for the envelope */
	uint64_t flushed;		/* message bytes on the file */
	struct buf *wbuf;		/* message bytes not yet written */
	int failed;
	enum queue_dir dest;		/* where the commit puts it */
};

static const char *
sys_err(struct queue_writer *w, const char *what)
{
	return pool_printf(w->pool, "queue: %s %s: %s", what, w->id,
	    strerror(errno));
}

static int
pwrite_all(int fd, const void *p, size_t len, off_t off)
{
	const uint8_t *s = p;

	while (len > 0) {
		ssize_t n = pwrite(fd, s, len, off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		s += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Envelope room for hint: its formatted size, numbers at full width. */
static size_t
reserve_for(const struct queue *q, const struct queue_env *hint)
{
	struct queue_env e;
	struct buf *b;
	const char *err;
	size_t r = QUEUE_RESERVE_DEFAULT;

	if (hint == NULL)
		return r;
	e = *hint;
	queue_id_new(e.id);
	e.size = UINT64_C(999999999999999);
	e.arrival = UINT64_C(99999999999);
	b = buf_new(4096, queue_env_max_len(&q->lim));
	if (queue_env_format(&e, &q->lim, b, &err) == 0)
		r = b->len + 1 + QUEUE_RESERVE_SLACK;
	buf_free(&b);
	return r;
}

struct queue_writer *
queue_writer_new(struct queue *q, const struct queue_env *hint,
    struct pool *pool, const char **err_out)
{
	struct queue_writer *w = xmalloc(sizeof(*w));

	w->q = q;
	w->pool = pool;
	queue_id_new(w->id);
	if (str_printf(w->tmp, sizeof(w->tmp), "%s.tmp", w->id) == -1)
		log_panic("queue: temp name");
	w->reserve = reserve_for(q, hint);
	/* read back too, when the envelope outgrows its room */
	w->fd = openat(q->dirfd[QUEUE_INCOMING], w->tmp,
	    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd == -1) {
		*err_out = sys_err(w, "create");
		free(w);
		return NULL;
	}
	w->wbuf = buf_new(QUEUE_WRITE_BUF, QUEUE_WRITE_BUF);
	w->dest = QUEUE_INCOMING;
	return w;
}

struct queue_writer *
queue_writer_new_version(struct queue_writer *w, const char **err_out)
{
	struct queue_writer *v = xmalloc(sizeof(*v));

	*v = *w;
	v->flushed = 0;
	v->failed = 0;
	if (str_printf(v->tmp, sizeof(v->tmp), "%s.m.tmp", w->id) == -1)
		log_panic("queue: temp name");
	v->fd = openat(w->q->dirfd[QUEUE_INCOMING], v->tmp,
	    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (v->fd == -1) {
		*err_out = sys_err(v, "create");
		free(v);
		return NULL;
	}
	v->wbuf = buf_new(QUEUE_WRITE_BUF, QUEUE_WRITE_BUF);
	return v;
}

void
queue_writer_set_dir(struct queue_writer *w, enum queue_dir d)
{
	w->dest = d;
}

long long
queue_writer_pread(struct queue_writer *w, uint64_t off, void *p, size_t len,
    const char **err_out)
{
	ssize_t n;

	if (off >= w->flushed) {
		/* still in the write buffer */
		uint64_t k = off - w->flushed;

		if (k >= w->wbuf->len)
			return 0;
		if (len > w->wbuf->len - k)
			len = (size_t)(w->wbuf->len - k);
		memcpy(p, w->wbuf->data + k, len);
		return (long long)len;
	}
	if (len > w->flushed - off)
		len = (size_t)(w->flushed - off);
	do
		n = pread(w->fd, p, len, (off_t)(w->reserve + off));
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		*err_out = sys_err(w, "read");
		return -1;
	}
	return n;
}

const char *
queue_writer_id(const struct queue_writer *w)
{
	return w->id;
}

uint64_t
queue_writer_size(const struct queue_writer *w)
{
	return w->flushed + w->wbuf->len;
}

static int
flush_bytes(struct queue_writer *w, const void *p, size_t len,
    const char **err_out)
{
	if (pwrite_all(w->fd, p, len, (off_t)(w->reserve + w->flushed)) == -1) {
		*err_out = sys_err(w, "write");
		w->failed = 1;
		return -1;
	}
	w->flushed += len;
	return 0;
}

int
queue_writer_write(struct queue_writer *w, const void *p, size_t len,
    const char **err_out)
{
	if (w->failed) {
		*err_out = "queue: write after a failed write";
		return -1;
	}
	if (buf_append(w->wbuf, p, len) == 0)
		return 0;
	if (w->wbuf->len > 0 && flush_bytes(w, w->wbuf->data, w->wbuf->len,
	    err_out) == -1)
		return -1;
	buf_reset(w->wbuf);
	if (len >= QUEUE_WRITE_BUF)
		return flush_bytes(w, p, len, err_out);
	return buf_append(w->wbuf, p, len);
}

/* Pad k bytes (k != 1) with '#' lines of at most line_max bytes. Returns
 * the number of lines. */
static size_t
pad_append(struct buf *b, size_t k, size_t line_max)
{
	size_t lines = 0;

	while (k > 0) {
		size_t l = k - 1;

		if (l > line_max)
			l = k - (line_max + 1) == 1 ? line_max - 1 : line_max;
		for (size_t i = 0; i < l; i++)
			buf_append_byte(b, '#');
		buf_append_byte(b, '\n');
		k -= l + 1;
		lines++;
	}
	return lines;
}

static int
copy_range(int in, off_t in_off, int out, off_t out_off, uint64_t len)
{
	uint8_t chunk[65536];

	while (len > 0) {
		ssize_t n = copy_file_range(in, &in_off, out, &out_off, len, 0);

		if (n > 0) {
			len -= (uint64_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EXDEV && errno != ENOSYS &&
		    errno != EINVAL && errno != EOPNOTSUPP))
			return n == 0 ? (errno = EIO, -1) : -1;
		/* no in-kernel copy here: plain reads and writes */
		n = pread(in, chunk, len < sizeof(chunk) ? len : sizeof(chunk),
		    in_off);
		if (n <= 0 || pwrite_all(out, chunk, (size_t)n, out_off) == -1)
			return n == 0 ? (errno = EIO, -1) : -1;
		in_off += n;
		out_off += n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* The envelope outgrew its room: a new temp file with the envelope, then
 * the message copied behind it. */
static int
relocate(struct queue_writer *w, const struct buf *env, const char **err_out)
{
	int dfd = w->q->dirfd[QUEUE_INCOMING], fd;
	char name[QUEUE_NAME_MAX];

	if (str_printf(name, sizeof(name), "%s.r.tmp", w->id) == -1)
		log_panic("queue: temp name");
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		*err_out = sys_err(w, "create");
		return -1;
	}
	if (pwrite_all(fd, env->data, env->len, 0) == -1 ||
	    copy_range(w->fd, (off_t)w->reserve, fd, (off_t)env->len,
	    w->flushed) == -1) {
		*err_out = sys_err(w, "relocate");
		close(fd);
		unlinkat(dfd, name, 0);
		return -1;
	}
	unlinkat(dfd, w->tmp, 0);
	close(w->fd);
	w->fd = fd;
	memcpy(w->tmp, name, sizeof(name));
	queue_step(w->q, "relocated");
	return 0;
}

/* Make the final name point at the temp file, never replacing a file. */
static int
rename_noreplace(int dfd, const char *from, int tdfd, const char *to)
{
	if (renameat2(dfd, from, tdfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* file systems without RENAME_NOREPLACE: link fails on EEXIST */
	if (linkat(dfd, from, tdfd, to, 0) == -1)
		return -1;
	unlinkat(dfd, from, 0);
	return 0;
}

/* Write the envelope at the front (or relocate) and sync the file. */
static int
write_envelope(struct queue_writer *w, struct queue_env *env,
    const char **err_out)
{
	const struct queue_limits *lim = &w->q->lim;
	struct buf *b = buf_new(4096, queue_env_max_len(lim));
	const char *ferr;
	size_t npad, elen;
	bool fits = false;
	int rc = -1;

	memcpy(env->id, w->id, QUEUE_ID_MAX);
	env->size = w->flushed;
	if (env->arrival == 0) {
		uint64_t us;

		if (queue_id_time(w->id, &us) == 0)
			env->arrival = us / 1000000;
	}
	if (queue_env_format(env, lim, b, &ferr) == -1) {
		*err_out = pool_printf(w->pool, "queue: %s: %s", w->id, ferr);
		goto out;
	}
	elen = b->len;
	if (elen + 1 <= w->reserve && w->reserve - elen - 1 != 1) {
		npad = pad_append(b, w->reserve - elen - 1, lim->line_max);
		/* too many lines for the parser, or (buffer ceiling) short:
		 * a short pad would leave a hole before the message */
		fits = npad <= QUEUE_ENV_FIXED_LINES + lim->rcpt_max &&
		    b->len + 1 == w->reserve;
		if (!fits)
			buf_truncate(b, elen);
	}
	if (buf_append_byte(b, '\n') == -1) {
		*err_out = pool_printf(w->pool, "queue: %s: envelope too large",
		    w->id);
		goto out;
	}
	if (fits) {
		if (pwrite_all(w->fd, b->data, b->len, 0) == -1) {
			*err_out = sys_err(w, "write");
			goto out;
		}
	} else if (relocate(w, b, err_out) == -1) {
		goto out;
	}
	queue_step(w->q, "written");
	if (fdatasync(w->fd) == -1) {
		*err_out = sys_err(w, "fdatasync");
		goto out;
	}
	queue_step(w->q, "synced");
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

int
queue_writer_commit(struct queue_writer **wp, struct queue_env *env,
    const char **err_out)
{
	struct queue_writer *w = *wp;
	int dfd = w->q->dirfd[QUEUE_INCOMING];

	*wp = NULL;
	if (w->failed) {
		*err_out = "queue: commit after a failed write";
		goto fail;
	}
	if (w->wbuf->len > 0 && flush_bytes(w, w->wbuf->data, w->wbuf->len,
	    err_out) == -1)
		goto fail;
	buf_reset(w->wbuf);
	if (write_envelope(w, env, err_out) == -1)
		goto fail;
	if (rename_noreplace(dfd, w->tmp, w->q->dirfd[w->dest], w->id) == -1) {
		*err_out = sys_err(w, "rename");
		goto fail;
	}
	queue_step(w->q, "renamed");
	if (queue_sync_dir(w->q, w->dest) == -1 || (w->dest != QUEUE_INCOMING
	    && queue_sync_dir(w->q, QUEUE_INCOMING) == -1)) {
		/* the name may not be on disk: not acknowledged, so take the
		 * message back rather than leave a duplicate for a retry */
		*err_out = sys_err(w, "fsync incoming/ for");
		unlinkat(w->q->dirfd[w->dest], w->id, 0);
		close(w->fd);
		buf_free(&w->wbuf);
		free(w);
		return -1;
	}
	queue_step(w->q, "committed");
	close(w->fd);
	buf_free(&w->wbuf);
	free(w);
	return 0;
fail:
	queue_writer_abort(&w);
	return -1;
}

void
queue_writer_abort(struct queue_writer **wp)
{
	struct queue_writer *w = *wp;

	if (w == NULL)
		return;
	unlinkat(w->q->dirfd[QUEUE_INCOMING], w->tmp, 0);
	close(w->fd);
	buf_free(&w->wbuf);
	free(w);
	*wp = NULL;
}
