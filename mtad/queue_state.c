/*
 * mtad/queue_state.c - per-recipient results in the side file ID.state
 * (format and crash rules in mtad/queue_state.h).
 *
 * Appends run in the queue runner, the single owner of a message being
 * delivered; reads also run in the admin command. State files are read
 * as untrusted input: lines are capped at line_max and checked field by
 * field, the file is streamed, never held whole.
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

#define STATE_TOKENS 6
#define STATE_READ_CHUNK 65536

int
queue_state_format(const struct queue_state_rec *r, size_t line_max,
    struct buf *out)
{
	size_t start = out->len;
	char *reply_cut = NULL;

	if ((size_t)r->state > QUEUE_RCPT_BOUNCED)
		return -1;
	if (buf_printf(out, "rcpt %zu state=%s attempts=%u next=%llu reply=",
	    r->rcpt, queue_rcpt_state_name(r->state), (unsigned)r->attempts,
	    (unsigned long long)r->next_try) == -1)
		goto fail;
	if (r->reply != NULL && strlen(r->reply) > QUEUE_REPLY_MAX) {
		reply_cut = xstrndup(r->reply, QUEUE_REPLY_MAX);
		if (queue_esc_append(out, reply_cut) == -1)
			goto fail;
	} else if (queue_esc_append(out, r->reply) == -1) {
		goto fail;
	}
	if (out->len - start > line_max || buf_append_byte(out, '\n') == -1)
		goto fail;
	free(reply_cut);
	return 0;
fail:
	free(reply_cut);
	buf_truncate(out, start);
	return -1;
}

static bool
field(const char *tok, size_t len, const char *key, const char **v,
    size_t *vl)
{
	size_t kl = strlen(key);

	if (len <= kl || memcmp(tok, key, kl) != 0 || tok[kl] != '=')
		return false;
	*v = tok + kl + 1;
	*vl = len - kl - 1;
	return true;
}

static bool
number(const char *v, size_t vl, uint64_t max, uint64_t *out)
{
	uint64_t n;

	/* parse_u64 with the type's maximum, then the bound: lib's
	 * parse_u64 lets a last digit above a one-digit max through */
	if (parse_u64(v, vl, UINT64_MAX, &n) == -1 || n > max ||
	    (vl > 1 && v[0] == '0'))
		return false;
	*out = n;
	return true;
}

int
queue_state_parse_line(const char *p, size_t len, size_t nrcpts,
    struct pool *pool, struct queue_state_rec *r)
{
	const char *tok[STATE_TOKENS], *v;
	size_t tl[STATE_TOKENS], nt = 0, ts = 0, vl;
	uint64_t n;
	char *reply;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != ' ') {
			if ((uint8_t)p[i] < 0x21 || (uint8_t)p[i] > 0x7e)
				return -1;
			continue;
		}
		if (i == ts || nt == STATE_TOKENS)
			return -1;
		tok[nt] = p + ts;
		tl[nt++] = i - ts;
		ts = i + 1;
	}
	if (nt != STATE_TOKENS || tl[0] != 4 || memcmp(tok[0], "rcpt", 4) != 0)
		return -1;
	if (!number(tok[1], tl[1], SIZE_MAX, &n) || n >= nrcpts)
		return -1;
	r->rcpt = (size_t)n;
	if (!field(tok[2], tl[2], "state", &v, &vl) ||
	    queue_rcpt_state_parse(v, vl, &r->state) == -1)
		return -1;
	if (!field(tok[3], tl[3], "attempts", &v, &vl) ||
	    !number(v, vl, UINT32_MAX, &n))
		return -1;
	r->attempts = (uint32_t)n;
	if (!field(tok[4], tl[4], "next", &v, &vl) ||
	    !number(v, vl, INT64_MAX, &r->next_try))
		return -1;
	if (!field(tok[5], tl[5], "reply", &v, &vl) ||
	    queue_esc_decode(v, vl, pool, &reply) == -1 ||
	    strlen(reply) > QUEUE_REPLY_MAX)
		return -1;
	r->reply = reply;
	return 0;
}

static void
apply_rec(struct queue_env *env, const struct queue_state_rec *r,
    struct pool *pool)
{
	struct queue_rcpt *rc = &env->rcpts[r->rcpt];

	rc->state = r->state;
	rc->attempts = r->attempts;
	rc->next_try = r->next_try;
	rc->reply = pool_strndup(pool, r->reply != NULL ? r->reply : "",
	    QUEUE_REPLY_MAX);
}

/* The directory holding ID.state: dir itself first. 0, or -1. */
static int
state_find(const struct queue *q, enum queue_dir dir, const char *name,
    enum queue_dir *found)
{
	struct stat st;

	for (size_t i = 0; i < QUEUE_NDIRS; i++) {
		enum queue_dir d = i == 0 ? dir : (enum queue_dir)(i - 1 < dir ?
		    i - 1 : i);

		if (fstatat(q->dirfd[d], name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			*found = d;
			return 0;
		}
	}
	return -1;
}

static int
apply_lines(struct buf *b, struct queue_env *env, struct pool *pool,
    size_t line_max, const char **why)
{
	struct queue_state_rec r;
	uint8_t *nl;

	while ((nl = memchr(b->data, '\n', b->len)) != NULL) {
		size_t n = (size_t)(nl - b->data);

		if (n > line_max || queue_state_parse_line((char *)b->data, n,
		    env->nrcpts, pool, &r) == -1) {
			*why = "malformed state line";
			return -1;
		}
		apply_rec(env, &r, pool);
		buf_consume(b, n + 1);
	}
	if (b->len > line_max) {
		*why = "state line too long";
		return -1;
	}
	return 0;
}

int
queue_state_apply(struct queue *q, enum queue_dir dir, struct queue_env *env,
    struct pool *pool, const char **why_out)
{
	char name[QUEUE_NAME_MAX];
	enum queue_dir d;
	struct buf *b;
	int fd, rc = 1;

	*why_out = NULL;
	if (str_printf(name, sizeof(name), "%s.state", env->id) == -1)
		return -1;
	if (state_find(q, dir, name, &d) == -1)
		return 1;
	fd = openat(q->dirfd[d], name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return errno == ENOENT ? 1 : -2;
	b = buf_new(STATE_READ_CHUNK, q->lim.line_max + 1 + STATE_READ_CHUNK);
	for (;;) {
		ssize_t n;

		if (buf_reserve(b, STATE_READ_CHUNK) == -1)
			log_panic("queue: state buffer");
		n = read(fd, b->data + b->len, STATE_READ_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = -2;
			break;
		}
		if (n == 0)
			break;	/* a line without newline: a torn append */
		b->len += (size_t)n;
		if (apply_lines(b, env, pool, q->lim.line_max, why_out) == -1) {
			rc = -1;
			break;
		}
	}
	buf_free(&b);
	close(fd);
	return rc;
}

/* A crash in the middle of a move can leave ID.state in the directory the
 * message left: bring it back beside the message before appending, so
 * there is never more than one. */
static int
state_reunite(struct queue *q, enum queue_dir dir, const char *name)
{
	enum queue_dir d;

	if (state_find(q, dir, name, &d) == -1 || d == dir)
		return 0;
	if (renameat2(q->dirfd[d], name, q->dirfd[dir], name,
	    RENAME_NOREPLACE) == -1)
		return -1;
	if (queue_sync_dir(q, dir) == -1 || queue_sync_dir(q, d) == -1)
		return -1;
	return 0;
}

/* Cut a torn last line (no newline) off an existing state file. */
static int
state_cut_torn(int fd, size_t line_max)
{
	uint8_t tail[QUEUE_LINE_MAX_MIN];
	struct stat st;
	off_t end, pos;

	if (fstat(fd, &st) == -1)
		return -1;
	end = st.st_size;
	pos = end;
	/* look back for the last newline, at most one line's worth */
	while (pos > 0 && end - pos <= (off_t)line_max + 1) {
		size_t n = pos < (off_t)sizeof(tail) ? (size_t)pos :
		    sizeof(tail);
		ssize_t got = pread(fd, tail, n, pos - (off_t)n);

		if (got != (ssize_t)n)
			return -1;
		for (size_t i = n; i > 0; i--)
			if (tail[i - 1] == '\n') {
				off_t keep = pos - (off_t)n + (off_t)i;

				return keep == end ? 0 : ftruncate(fd, keep);
			}
		pos -= (off_t)n;
	}
	if (pos > 0) {
		errno = EINVAL;		/* a "line" longer than any we write */
		return -1;
	}
	return end == 0 ? 0 : ftruncate(fd, 0);
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
state_append(struct queue_msg *m, const char *name, const struct buf *lines)
{
	int dfd = m->q->dirfd[m->dir], fd;
	bool created = true;

	if (state_reunite(m->q, m->dir, name) == -1)
		return -1;
	fd = openat(dfd, name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1 && errno == EEXIST) {
		created = false;
		fd = openat(dfd, name, O_RDWR | O_APPEND | O_CLOEXEC |
		    O_NOFOLLOW);
		if (fd != -1 && state_cut_torn(fd, m->q->lim.line_max) == -1) {
			close(fd);
			return -1;
		}
	}
	if (fd == -1)
		return -1;
	if (write_all(fd, lines->data, lines->len) == -1) {
		close(fd);
		return -1;
	}
	queue_step(m->q, "state-written");
	if (fdatasync(fd) == -1 || (created && fsync(dfd) == -1)) {
		close(fd);
		return -1;
	}
	close(fd);
	queue_step(m->q, "state-synced");
	return 0;
}

int
queue_msg_update(struct queue_msg *m, const struct queue_state_rec *recs,
    size_t n, const char **err_out)
{
	char name[QUEUE_NAME_MAX];
	struct buf *lines;
	size_t i;
	int rc = -1;

	if (str_printf(name, sizeof(name), "%s.state", m->id) == -1)
		log_panic("queue: state name");
	lines = buf_new(256, SIZE_MAX / 2);
	for (i = 0; i < n; i++)
		if (recs[i].rcpt >= m->env.nrcpts ||
		    queue_state_format(&recs[i], m->q->lim.line_max, lines)) {
			*err_out = pool_printf(m->pool, "queue: %s: bad update "
			    "of recipient %zu", m->id, recs[i].rcpt);
			goto out;
		}
	if (n > 0 && state_append(m, name, lines) == -1) {
		*err_out = pool_printf(m->pool, "queue: %s/%s: %s",
		    queue_dir_name(m->dir), name, strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++)
		apply_rec(&m->env, &recs[i], m->pool);
	rc = 0;
out:
	buf_free(&lines);
	return rc;
}
