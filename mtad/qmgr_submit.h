/*
 * mtad/qmgr_submit.h - messages the queue manager itself puts into the
 * queue (expanded copies, mtad/qmgr_expand.h; delivery status
 * notifications, mtad/dsn.h): copying message bytes from a queued
 * message into a queue writer, and the origin mark in the envelope.
 *
 * Origin mark: such a message has an empty client-addr (a session always
 * records one), helo "tessera-qmgr" and client-name a "+"-separated list
 * of words: "dsn" (a notification), "dsn2" (a notification about a
 * notification, sent to the postmaster: never reported on again),
 * "expanded" (recipients already expanded: not expanded again) or "-".
 */
#ifndef MTAD_QMGR_SUBMIT_H
#define MTAD_QMGR_SUBMIT_H

#include <stdint.h>

struct buf;
struct pool;
struct queue_env;
struct queue_writer;

#define QMGR_ORIGIN_DSN 0x1u
#define QMGR_ORIGIN_DSN2 0x2u
#define QMGR_ORIGIN_EXPANDED 0x4u
#define QMGR_ORIGIN_HELO "tessera-qmgr"

/* The QMGR_ORIGIN_* bits of env; 0 for a message a session received. */
unsigned qmgr_origin(const struct queue_env *env);
/* Mark env (client-addr, client-name, helo) as made by the queue manager
 * with the bits origin; strings in pool. */
void qmgr_origin_set(struct queue_env *env, unsigned origin,
    struct pool *pool);

/* Append the Received: line that opens a message the queue manager made
 * (expanded copy, report): "by HOST (Tessera) with local id ID (WHY);
 * DATE", where accessd's in-doubt check (XQID) finds "id ID". 0 or -1
 * (b full). */
int qmgr_submit_received(struct buf *b, const char *hostname,
    const char *id, const char *why);

/* Copy up to max bytes from fd (read from its position) into w. 0 with
 * *copied_out, or -1 with *err_out (allocated in pool or static). */
int qmgr_submit_copy(struct queue_writer *w, int fd, uint64_t max,
    uint64_t *copied_out, struct pool *pool, const char **err_out);

#endif
