/*
 * mtad/queue.c - open the spool: <state_dir>/queue and its directories.
 *
 * Runs in the mtad master at start-up (which creates the directories) and
 * in every process that touches the queue (sessions, queue runner, admin
 * command), each holding its own directory descriptors so later calls
 * work relative to them (openat, renameat) and fsync them directly.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/pool.h"
#include "lib/xalloc.h"
#include "mtad/queue.h"
#include "lib/banned.h"

static const char *const dir_names[QUEUE_NDIRS] = { "incoming", "active",
	"deferred", "hold", "corrupt" };

const char *
queue_dir_name(enum queue_dir d)
{
	return (size_t)d < QUEUE_NDIRS ? dir_names[d] : "?";
}

int
queue_dir_parse(const char *s, enum queue_dir *out)
{
	for (size_t i = 0; i < QUEUE_NDIRS; i++)
		if (strcmp(s, dir_names[i]) == 0) {
			*out = (enum queue_dir)i;
			return 0;
		}
	return -1;
}

static int
mkdir_exist_ok(const char *path)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

struct queue *
queue_open(const char *state_dir, const struct queue_limits *lim,
    struct pool *pool, const char **err_out)
{
	struct queue *q = xmalloc(sizeof(*q));
	size_t i;

	q->root = pool_printf(pool, "%s/queue", state_dir);
	q->root = xstrdup(q->root);
	for (i = 0; i < QUEUE_NDIRS; i++)
		q->dirfd[i] = -1;
	q->lim.line_max = lim != NULL ? lim->line_max : QUEUE_LINE_MAX_DEFAULT;
	q->lim.rcpt_max = lim != NULL ? lim->rcpt_max : QUEUE_RCPT_MAX_DEFAULT;
	if (q->lim.line_max < QUEUE_LINE_MAX_MIN || q->lim.rcpt_max == 0) {
		*err_out = pool_printf(pool, "queue: bad limits (line_max %zu, "
		    "rcpt_max %zu)", q->lim.line_max, q->lim.rcpt_max);
		goto fail;
	}
	if (mkdir_exist_ok(q->root) == -1) {
		*err_out = pool_printf(pool, "queue: mkdir %s: %s", q->root,
		    strerror(errno));
		goto fail;
	}
	for (i = 0; i < QUEUE_NDIRS; i++) {
		char *path = pool_printf(pool, "%s/%s", q->root, dir_names[i]);

		if (mkdir_exist_ok(path) == -1 || (q->dirfd[i] = open(path,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
			*err_out = pool_printf(pool, "queue: %s: %s", path,
			    strerror(errno));
			goto fail;
		}
	}
	return q;
fail:
	queue_close(&q);
	return NULL;
}

void
queue_close(struct queue **qp)
{
	struct queue *q = *qp;

	if (q == NULL)
		return;
	for (size_t i = 0; i < QUEUE_NDIRS; i++)
		if (q->dirfd[i] != -1)
			close(q->dirfd[i]);
	free(q->root);
	free(q);
	*qp = NULL;
}

void
queue_set_step_fn(struct queue *q, queue_step_fn fn, void *arg)
{
	q->step_fn = fn;
	q->step_arg = arg;
}

void
queue_step(const struct queue *q, const char *step)
{
	if (q->step_fn != NULL)
		q->step_fn(step, q->step_arg);
}

int
queue_sync_dir(const struct queue *q, enum queue_dir d)
{
	return fsync(q->dirfd[d]);
}
