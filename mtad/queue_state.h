/*
 * mtad/queue_state.h - per-recipient delivery results, recorded without
 * rewriting the message.
 *
 * Choice: a side file ID.state beside the message, one line appended per
 * recipient update and fdatasynced before the call returns (the first
 * append also fsyncs the directory, which gained a name). Lines:
 *
 *   rcpt 3 state=delivered attempts=1 next=0 reply=250%202.0.0%20Ok
 *
 * (index into the envelope's recipients, then the fields of an envelope
 * recipient line, escaped the same way). Reading applies the lines in
 * order over the envelope's recipients, so the last line of a recipient
 * wins. A crash mid-append leaves at most one line without its newline at
 * the end: readers ignore it (it was never acknowledged) and the next
 * update cuts it off before appending. Anything else malformed makes the
 * message corrupt.
 *
 * Why not fixed-size records in the envelope rewritten in place: a reply
 * text has no fixed size and a torn in-place write can destroy the old
 * value as well as the new one; an append can only lose the new line.
 *
 * Crash safety, for the queue runner: record DELIVERED (or BOUNCED) as
 * soon as the next hop has answered and before anything else; a crash
 * between the peer's answer and the fdatasync is the only window in which
 * a recipient is delivered again (SMTP's at-least-once). Delete a message
 * only after every recipient is final (queue_move.h deletes the message
 * before its state file, so a crash never leaves a message whose results
 * were lost).
 */
#ifndef MTAD_QUEUE_STATE_H
#define MTAD_QUEUE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "mtad/queue.h"

struct buf;
struct pool;
struct queue_msg;

/* One recipient's new state. */
struct queue_state_rec {
	size_t rcpt;			/* index into env.rcpts */
	enum queue_rcpt_state state;
	uint32_t attempts;
	uint64_t next_try;		/* unix seconds, 0 = now */
	const char *reply;		/* cut at QUEUE_REPLY_MAX; NULL = "" */
};

/* Record n updates of message m in one append + fdatasync, and apply them
 * to m->env. 0, or -1 with *err_out (in m->pool): bad index or state,
 * line too long, I/O error (then nothing is applied to m->env; the file
 * may hold some of the lines, which is harmless since a retry rewrites
 * them). Only the process that owns the message (the queue runner) may
 * call this. */
int queue_msg_update(struct queue_msg *m, const struct queue_state_rec *recs,
    size_t n, const char **err_out);

/* Apply the state file of the message env->id in dir to env (read-only:
 * falls back to a state file left in another directory by a crash in the
 * middle of a move). 1, -1 if the file is malformed (*why_out, static), or
 * -2 on I/O error (errno set, *why_out NULL). */
int queue_state_apply(struct queue *q, enum queue_dir dir,
    struct queue_env *env, struct pool *pool, const char **why_out);

/* Append the state line of r (with its newline) to out. 0, or -1 if the
 * line would exceed line_max or the state is unknown. */
int queue_state_format(const struct queue_state_rec *r, size_t line_max,
    struct buf *out);
/* Parse one state line p[len] (no newline) for a message of nrcpts
 * recipients; r->reply is allocated in pool. 0, or -1. */
int queue_state_parse_line(const char *p, size_t len, size_t nrcpts,
    struct pool *pool, struct queue_state_rec *r);

#endif
