/*
 * mtad/qmgr_work.h - the queue manager's work list: the queue ids found
 * (by inotify or a directory scan) waiting for a delivery thread, in the
 * order found, and the ids being delivered. An id is in the list at most
 * once, from qmgr_work_add to qmgr_work_done, so no two delivery threads
 * ever work on the same message and a scan that finds a message again
 * while it waits or is delivered adds nothing.
 *
 * Shared by the qmgr child's dispatching thread (adds) and its delivery
 * threads (take, done); one mutex guards it.
 */
#ifndef MTAD_QMGR_WORK_H
#define MTAD_QMGR_WORK_H

#include <stdbool.h>
#include <stddef.h>

#include "mtad/queue.h"

struct qmgr_work;

/* An empty list holding at most max_waiting ids not yet taken. Never
 * NULL. */
struct qmgr_work *qmgr_work_new(size_t max_waiting);
/* Free *wp (NULL-safe) and clear it. */
void qmgr_work_free(struct qmgr_work **wp);

/* The result of qmgr_work_add. */
enum qmgr_work_add {
	QMGR_WORK_ADDED,
	QMGR_WORK_KNOWN,		/* waiting or being delivered */
	QMGR_WORK_FULL,			/* max_waiting wait already */
};

/* Add message id, found in dir, unless it is known already or the list
 * is full; a full list makes qmgr_work_fd readable once a waiting id has
 * been taken, so the caller can scan again. */
enum qmgr_work_add qmgr_work_add(struct qmgr_work *w, enum queue_dir dir,
    const char *id);
/* Wait for an id and take it (it stays known until qmgr_work_done):
 * true with *dir_out and id_out, or false once qmgr_work_stop was
 * called. */
bool qmgr_work_take(struct qmgr_work *w, enum queue_dir *dir_out,
    char id_out[QUEUE_ID_MAX]);
/* The delivery of id (taken) is over: forget it. */
void qmgr_work_done(struct qmgr_work *w, const char *id);
/* Make every qmgr_work_take return false. */
void qmgr_work_stop(struct qmgr_work *w);
/* Waiting and being delivered, for the log. */
void qmgr_work_counts(struct qmgr_work *w, size_t *waiting_out,
    size_t *busy_out);
/* A descriptor readable after room was made in a list that was full;
 * qmgr_work_fd_clear empties it. */
int qmgr_work_fd(const struct qmgr_work *w);
void qmgr_work_fd_clear(struct qmgr_work *w);

#endif
