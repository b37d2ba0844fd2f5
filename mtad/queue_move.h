/*
 * mtad/queue_move.h - move a message between queue directories, delete
 * it.
 *
 * A move renames the message first, then its state file, then fsyncs
 * both directories; a crash between the renames leaves the state file
 * behind, which readers still find (queue_state_apply) and the next
 * update or queue_recover brings back. A move out of hold/ or corrupt/
 * (directories the runner never reads) renames the state file first, so
 * the runner cannot see the message before its results. A delete
 * unlinks the message first, then its state file: a crash in between
 * leaves an orphan state file (removed by queue_recover), never a
 * message without its results. The queue runner calls these, and so
 * does `tessera queue hold|release|flush|requeue|delete`, which never
 * touches a message in active/ (admin/admin_queue_ctl.c).
 */
#ifndef MTAD_QUEUE_MOVE_H
#define MTAD_QUEUE_MOVE_H

#include <stdbool.h>

#include "mtad/queue.h"

struct pool;

/* Move message id from directory from to directory to, with its state
 * file; never replaces a message already in to. durable: fsync both
 * directories before returning, for moves whose loss in a crash would
 * matter (into hold/, out of hold/ by the administrator); a lost
 * incoming -> active -> deferred move only means the message is looked
 * at again after the restart, so the runner may skip the two fsyncs
 * there. 0, or -1 with *err_out (in pool): no such message, one already
 * there, I/O error. */
int queue_move(struct queue *q, const char *id, enum queue_dir from,
    enum queue_dir to, bool durable, struct pool *pool,
    const char **err_out);
/* Delete message id (and its state file) from dir. 0, or -1 with
 * *err_out (in pool). */
int queue_delete(struct queue *q, enum queue_dir dir, const char *id,
    struct pool *pool, const char **err_out);

#endif
