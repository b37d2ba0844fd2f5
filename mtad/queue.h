/*
 * mtad/queue.h - mtad's durable message queue: the spool directories, their
 * limits, and the one header the session, the queue runner and the admin
 * command include (it pulls in every queue_* part).
 *
 * Layout: <state_dir>/queue/{incoming,active,deferred,hold,corrupt}, one
 * file per message named by its queue id (mtad/queue_id.h), in the format
 * of mtad/queue_env.h, with an optional side file ID.state of
 * per-recipient updates (mtad/queue_state.h) beside it. Sessions write
 * only into incoming/ (mtad/queue_commit.h); the queue runner moves
 * messages between directories (mtad/queue_move.h), lists them
 * (mtad/queue_scan.h) and records delivery results.
 *
 * Concurrency: any number of processes may commit into incoming/ at once.
 * Moves, deletes and state updates of one message are made by one process
 * at a time (the queue runner; admin commands go through it); readers
 * (list, show) may run alongside and never see a half-written message.
 */
#ifndef MTAD_QUEUE_H
#define MTAD_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;

enum queue_dir {
	QUEUE_INCOMING,		/* committed by a session, not yet seen */
	QUEUE_ACTIVE,		/* being delivered by the queue runner */
	QUEUE_DEFERRED,		/* waiting for its next try */
	QUEUE_HOLD,		/* held by the administrator */
	QUEUE_CORRUPT,		/* failed to parse; kept for inspection */
	QUEUE_NDIRS
};

/* Limits of the envelope parser (the [mtad.queue] section). */
struct queue_limits {
	size_t line_max;	/* bytes of one envelope or state line */
	size_t rcpt_max;	/* recipients of one message */
};

/* Defaults of struct queue_limits (also the [mtad.queue] defaults). */
#define QUEUE_LINE_MAX_DEFAULT 8192
#define QUEUE_RCPT_MAX_DEFAULT 5000
/* The smallest line_max accepted: a recipient line with a 256-byte
 * address, escaped, must fit. */
#define QUEUE_LINE_MAX_MIN 1024

/* Called at named steps of commits, moves and updates: a test seam
 * (tests/unit/mtad/queue_commit_test.c kills its process there). */
typedef void (*queue_step_fn)(const char *step, void *arg);

struct queue {
	char *root;			/* <state_dir>/queue */
	int dirfd[QUEUE_NDIRS];		/* open directories (O_DIRECTORY) */
	struct queue_limits lim;
	queue_step_fn step_fn;		/* NULL outside tests */
	void *step_arg;
};

/* Open the queue under state_dir, creating queue/ and its directories
 * (mode 0700) when missing. lim NULL means the defaults. NULL with
 * *err_out (allocated in pool) if a directory cannot be made or opened. */
struct queue *queue_open(const char *state_dir, const struct queue_limits *lim,
    struct pool *pool, const char **err_out);
/* Close *qp (NULL-safe) and clear it. */
void queue_close(struct queue **qp);

/* The directory's name ("incoming", ...). */
const char *queue_dir_name(enum queue_dir d);
/* The directory named s. 0, or -1 if s names none. */
int queue_dir_parse(const char *s, enum queue_dir *out);

/* Install the test seam (fn NULL removes it). */
void queue_set_step_fn(struct queue *q, queue_step_fn fn, void *arg);
/* Call the seam, if any (for the queue_* files). */
void queue_step(const struct queue *q, const char *step);

/* fsync directory d of q. 0, or -1 with errno set. */
int queue_sync_dir(const struct queue *q, enum queue_dir d);

#include "mtad/queue_id.h"
#include "mtad/queue_env.h"
#include "mtad/queue_commit.h"
#include "mtad/queue_msg.h"
#include "mtad/queue_state.h"
#include "mtad/queue_move.h"
#include "mtad/queue_scan.h"

#endif
