/*
 * mtad/queue_msg.c - open a queued message: read and check its envelope,
 * apply its recipient updates, hand out its message bytes.
 *
 * Runs in the queue runner and the admin command. Queue files are
 * checked as untrusted input (mtad/queue_env.c); one that fails goes to
 * corrupt/ with a single log line, so it is neither retried forever nor
 * lost.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "mtad/queue.h"
#include "lib/banned.h"

#define MSG_READ_CHUNK 65536

int
queue_msg_find(const struct queue *q, const char *id, enum queue_dir *dir_out)
{
	struct stat st;

	if (!queue_id_is_valid(id))
		return -1;
	for (size_t d = 0; d < QUEUE_NDIRS; d++)
		if (fstatat(q->dirfd[d], id, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode)) {
			*dir_out = (enum queue_dir)d;
			return 0;
		}
	return -1;
}

/* Read and parse the envelope of fd. 1 ok, -1 corrupt (*why), -2 I/O. */
static int
read_envelope(struct queue *q, int fd, uint64_t file_size, struct pool *pool,
    struct queue_env *env, uint64_t *body_off, const char **why)
{
	size_t cap = queue_env_max_len(&q->lim), off = 0;
	struct buf *b = buf_new(MSG_READ_CHUNK, cap);
	int rc;

	for (;;) {
		size_t want = MSG_READ_CHUNK;
		ssize_t n;

		if (want > cap - b->len)
			want = cap - b->len;
		if (want == 0 || buf_reserve(b, want) == -1) {
			*why = "envelope too large";
			rc = -1;
			break;
		}
		n = pread(fd, b->data + b->len, want, (off_t)b->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = -2;
			break;
		}
		b->len += (size_t)n;
		b->data[b->len] = '\0';
		rc = queue_env_parse(b->data, b->len, &q->lim, pool, env, &off,
		    why);
		if (rc == 1 || rc == -1)
			break;
		if (n == 0) {
			*why = "file ends inside the envelope";
			rc = -1;
			break;
		}
	}
	buf_free(&b);
	if (rc == 1 && (uint64_t)off + env->size != file_size) {
		*why = "file length disagrees with the envelope size";
		rc = -1;
	}
	*body_off = off;
	return rc;
}

static enum queue_msg_result
to_corrupt(struct queue *q, enum queue_dir dir, const char *id,
    const char *why, struct pool *pool, const char **err_out)
{
	const char *merr;
	struct buf *esc = buf_new(64, 1024);

	*err_out = pool_printf(pool, "queue: %s: corrupt: %s", id, why);
	if (dir == QUEUE_CORRUPT) {
		buf_free(&esc);
		return QUEUE_MSG_CORRUPT;
	}
	if (queue_move(q, id, dir, QUEUE_CORRUPT, false, pool, &merr) == -1) {
		log_error("queue: corrupt id=%s dir=%s reason=\"%s\" "
		    "moved=no error=\"%s\"", id, queue_dir_name(dir),
		    log_escape(esc, why, strlen(why)), merr);
		buf_free(&esc);
		return QUEUE_MSG_ERROR;
	}
	log_warn("queue: corrupt id=%s dir=%s reason=\"%s\" moved=corrupt",
	    id, queue_dir_name(dir), log_escape(esc, why, strlen(why)));
	buf_free(&esc);
	return QUEUE_MSG_CORRUPT;
}

enum queue_msg_result
queue_msg_open(struct queue *q, enum queue_dir dir, const char *id,
    struct pool *pool, struct queue_msg **msg_out, const char **err_out)
{
	struct queue_msg *m;
	struct stat st;
	const char *why = NULL;
	int fd, rc;

	*msg_out = NULL;
	if ((size_t)dir >= QUEUE_NDIRS || !queue_id_is_valid(id)) {
		*err_out = "queue: not a queue id";
		return QUEUE_MSG_NOTFOUND;
	}
	fd = openat(q->dirfd[dir], id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 || fstat(fd, &st) == -1) {
		*err_out = pool_printf(pool, "queue: %s/%s: %s",
		    queue_dir_name(dir), id, strerror(errno));
		if (fd != -1)
			close(fd);
		return errno == ENOENT ? QUEUE_MSG_NOTFOUND : QUEUE_MSG_ERROR;
	}
	m = pool_alloc(pool, sizeof(*m));
	m->q = q;
	m->dir = dir;
	m->fd = fd;
	m->pool = pool;
	memcpy(m->id, id, QUEUE_ID_MAX);
	rc = S_ISREG(st.st_mode) ? read_envelope(q, fd, (uint64_t)st.st_size,
	    pool, &m->env, &m->body_off, &why) : (why = "not a file", -1);
	if (rc == 1 && strcmp(m->env.id, id) != 0) {
		why = "id in the envelope is not the file name";
		rc = -1;
	}
	if (rc == 1)
		rc = queue_state_apply(q, dir, &m->env, pool, &why);
	if (rc == -2) {
		*err_out = pool_printf(pool, "queue: read %s/%s: %s",
		    queue_dir_name(dir), id, why != NULL ? why :
		    strerror(errno));
		close(fd);
		return QUEUE_MSG_ERROR;
	}
	if (rc == -1) {
		close(fd);
		return to_corrupt(q, dir, id, why, pool, err_out);
	}
	*msg_out = m;
	return QUEUE_MSG_OK;
}

void
queue_msg_close(struct queue_msg **mp)
{
	if (*mp == NULL)
		return;
	if ((*mp)->fd != -1)
		close((*mp)->fd);
	(*mp)->fd = -1;
	*mp = NULL;
}

int
queue_msg_body_fd(const struct queue_msg *m, const char **err_out)
{
	int fd = openat(m->q->dirfd[m->dir], m->id, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW);

	if (fd == -1 || lseek(fd, (off_t)m->body_off, SEEK_SET) == -1) {
		*err_out = pool_printf(m->pool, "queue: open %s/%s: %s",
		    queue_dir_name(m->dir), m->id, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

int
queue_msg_move(struct queue_msg *m, enum queue_dir to, bool durable,
    const char **err_out)
{
	if (queue_move(m->q, m->id, m->dir, to, durable, m->pool, err_out) ==
	    -1)
		return -1;
	m->dir = to;
	return 0;
}
