/*
 * mtad/queue_move.c - moves between queue directories and deletion, in
 * the order that keeps a message and its results together across a crash
 * (mtad/queue_move.h).
 *
 * Runs in the queue runner and in `tessera queue`. Ids are checked before
 * they become file names, so an id from the command line cannot name
 * another path.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "mtad/queue.h"
#include "lib/banned.h"

static int
move_err(struct pool *pool, const char **err_out, const char *what,
    const char *id, enum queue_dir from, enum queue_dir to)
{
	int e = errno;

	*err_out = pool_printf(pool, "queue: %s %s %s -> %s: %s", what, id,
	    queue_dir_name(from), queue_dir_name(to), strerror(e));
	errno = e;	/* callers tell a message the runner took by ENOENT */
	return -1;
}

int
queue_move(struct queue *q, const char *id, enum queue_dir from,
    enum queue_dir to, bool durable, struct pool *pool,
    const char **err_out)
{
	char state[QUEUE_NAME_MAX];

	if (!queue_id_is_valid(id) || from >= QUEUE_NDIRS || to >= QUEUE_NDIRS
	    || from == to) {
		errno = EINVAL;
		return move_err(pool, err_out, "move", id, from, to);
	}
	if (str_printf(state, sizeof(state), "%s.state", id) == -1)
		log_panic("queue: state name");
	if (from == QUEUE_HOLD || from == QUEUE_CORRUPT) {
		/* into the runner's sight: the state file goes first, so the
		 * runner never finds the message without its results. If the
		 * message is not there, the state file is put back. */
		if (renameat2(q->dirfd[from], state, q->dirfd[to], state,
		    RENAME_NOREPLACE) == -1 && errno != ENOENT)
			return move_err(pool, err_out, "move state of", id,
			    from, to);
		queue_step(q, "moved-state");
		if (renameat2(q->dirfd[from], id, q->dirfd[to], id,
		    RENAME_NOREPLACE) == -1) {
			int e = errno;

			(void)renameat2(q->dirfd[to], state, q->dirfd[from],
			    state, RENAME_NOREPLACE);
			errno = e;
			return move_err(pool, err_out, "move", id, from, to);
		}
		queue_step(q, "moved-message");
	} else {
		/* out of (or within) the runner's sight: the message first */
		if (renameat2(q->dirfd[from], id, q->dirfd[to], id,
		    RENAME_NOREPLACE) == -1)
			return move_err(pool, err_out, "move", id, from, to);
		queue_step(q, "moved-message");
		if (renameat2(q->dirfd[from], state, q->dirfd[to], state,
		    RENAME_NOREPLACE) == -1 && errno != ENOENT)
			return move_err(pool, err_out, "move state of", id,
			    from, to);
		queue_step(q, "moved-state");
	}
	if (durable && (queue_sync_dir(q, to) == -1 ||
	    queue_sync_dir(q, from) == -1))
		return move_err(pool, err_out, "fsync after moving", id, from,
		    to);
	return 0;
}

int
queue_delete(struct queue *q, enum queue_dir dir, const char *id,
    struct pool *pool, const char **err_out)
{
	char state[QUEUE_NAME_MAX];

	if (!queue_id_is_valid(id) || dir >= QUEUE_NDIRS) {
		errno = EINVAL;
		return move_err(pool, err_out, "delete", id, dir, dir);
	}
	if (str_printf(state, sizeof(state), "%s.state", id) == -1)
		log_panic("queue: state name");
	if (unlinkat(q->dirfd[dir], id, 0) == -1)
		return move_err(pool, err_out, "delete", id, dir, dir);
	queue_step(q, "deleted-message");
	if (unlinkat(q->dirfd[dir], state, 0) == -1 && errno != ENOENT)
		return move_err(pool, err_out, "delete state of", id, dir, dir);
	if (queue_sync_dir(q, dir) == -1)
		return move_err(pool, err_out, "fsync after deleting", id, dir,
		    dir);
	return 0;
}
