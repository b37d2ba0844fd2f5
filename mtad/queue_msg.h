/*
 * mtad/queue_msg.h - open one queued message: its envelope with the
 * recipient updates applied, and its message bytes.
 *
 * Used by the queue runner (delivery) and the admin command (show). A file
 * that does not parse, or whose length disagrees with its envelope, is
 * moved to corrupt/ (with its state file) and logged, once, here.
 */
#ifndef MTAD_QUEUE_MSG_H
#define MTAD_QUEUE_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "mtad/queue_env.h"

struct pool;
struct queue;

enum queue_msg_result {
	QUEUE_MSG_OK,
	QUEUE_MSG_NOTFOUND,	/* no such message in that directory */
	QUEUE_MSG_CORRUPT,	/* moved to corrupt/ (or already there) */
	QUEUE_MSG_ERROR,	/* I/O error; nothing moved */
};

struct queue_msg {
	struct queue *q;
	enum queue_dir dir;		/* where the message is now */
	char id[QUEUE_ID_MAX];
	struct queue_env env;		/* state file applied */
	int fd;				/* the message file, read-only */
	uint64_t body_off;		/* first message byte in fd */
	struct pool *pool;		/* env lives here */
};

/* Open message id in dir. QUEUE_MSG_OK with *msg_out (allocated in pool;
 * close with queue_msg_close). Otherwise *err_out (in pool) says why;
 * CORRUPT has been logged and the file moved to corrupt/. */
enum queue_msg_result queue_msg_open(struct queue *q, enum queue_dir dir,
    const char *id, struct pool *pool, struct queue_msg **msg_out,
    const char **err_out);
/* Close the file of *mp (NULL-safe), clear *mp; the pool keeps env. */
void queue_msg_close(struct queue_msg **mp);
/* The directory holding message id. 0, or -1 if none does. */
int queue_msg_find(const struct queue *q, const char *id,
    enum queue_dir *dir_out);
/* A new read-only descriptor positioned at the first message byte (the
 * caller closes it). -1 with *err_out on error. */
int queue_msg_body_fd(const struct queue_msg *m, const char **err_out);
/* Move the message to directory to (queue_move, mtad/queue_move.h),
 * updating m->dir. 0, or -1 with *err_out. */
int queue_msg_move(struct queue_msg *m, enum queue_dir to, bool durable,
    const char **err_out);

#endif
