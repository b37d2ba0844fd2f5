/*
 * mtad/qmgr_slots.h - how many connections the queue manager has open to
 * each next hop, across every message being delivered: a connection is
 * made only while fewer than max_total are open in all and fewer than
 * max_per_dest to its next hop ([mtad.smtp] max_connections and
 * max_per_destination for SMTP, [mtad.delivery] lmtp_max_connections and
 * lmtp_max_per_destination for LMTP).
 *
 * Shared by the delivery threads of the qmgr child; one mutex guards the
 * counts, and callers that must decide over several next hops at once
 * (mtad/qmgr_route.c picks any job whose next hop has room) hold it
 * across their choice with qmgr_slots_lock.
 */
#ifndef MTAD_QMGR_SLOTS_H
#define MTAD_QMGR_SLOTS_H

#include <stdbool.h>
#include <stddef.h>

struct qmgr_slots;

/* Counts for at most max_total connections, max_per_dest to one next
 * hop (both at least 1). Never NULL. */
struct qmgr_slots *qmgr_slots_new(size_t max_total, size_t max_per_dest);
/* Free *sp (NULL-safe; no slot may be held) and clear it. */
void qmgr_slots_free(struct qmgr_slots **sp);

void qmgr_slots_lock(struct qmgr_slots *s);
void qmgr_slots_unlock(struct qmgr_slots *s);
/* With the lock held: take a slot for dest if both limits allow. */
bool qmgr_slots_try_locked(struct qmgr_slots *s, const char *dest);
/* With the lock held: whether one more to dest would stay within
 * max_per_dest, and whether one more in all would stay within
 * max_total. */
bool qmgr_slots_dest_room_locked(const struct qmgr_slots *s,
    const char *dest);
bool qmgr_slots_total_room_locked(const struct qmgr_slots *s);
/* With the lock held: wait until a slot is given back (or a broadcast). */
void qmgr_slots_wait_locked(struct qmgr_slots *s);
/* With the lock held: wake the waiters. */
void qmgr_slots_broadcast_locked(struct qmgr_slots *s);
/* With the lock held: give back a slot of dest and wake the waiters. */
void qmgr_slots_release_locked(struct qmgr_slots *s, const char *dest);

/* Take a slot for dest, waiting while either limit is reached. */
void qmgr_slots_acquire(struct qmgr_slots *s, const char *dest);
/* Give back a slot of dest taken before. */
void qmgr_slots_release(struct qmgr_slots *s, const char *dest);
/* The most connections ever open at once, in all (for the log and the
 * tests). */
size_t qmgr_slots_peak(struct qmgr_slots *s);

#endif
