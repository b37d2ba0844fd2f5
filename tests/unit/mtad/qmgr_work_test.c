/*
 * tests/unit/mtad/qmgr_work_test.c - the queue manager's work list
 * (mtad/qmgr_work.c: an id at most once from found to done, the FIFO, the
 * bound on waiting ids and the wake-up after it was reached) and its
 * connection slots (mtad/qmgr_slots.c: total and per-destination limits
 * at max-1, max and max+1, waiting for a slot given back by another
 * thread).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "lib/str.h"
#include "mtad/qmgr_slots.h"
#include "mtad/qmgr_work.h"
#include "mtad/queue_id.h"
#include "lib/banned.h"

static bool
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

Test(qmgr_work, an_id_is_known_from_add_until_done)
{
	struct qmgr_work *w = qmgr_work_new(10);
	char a[QUEUE_ID_MAX], b[QUEUE_ID_MAX], got[QUEUE_ID_MAX];
	enum queue_dir dir;
	size_t waiting, busy;

	queue_id_new(a);
	queue_id_new(b);
	cr_assert_eq(qmgr_work_add(w, QUEUE_INCOMING, a), QMGR_WORK_ADDED);
	cr_assert_eq(qmgr_work_add(w, QUEUE_DEFERRED, a), QMGR_WORK_KNOWN);
	cr_assert_eq(qmgr_work_add(w, QUEUE_DEFERRED, b), QMGR_WORK_ADDED);
	cr_assert(qmgr_work_take(w, &dir, got));
	cr_assert_str_eq(got, a, "oldest first");
	cr_assert_eq(dir, QUEUE_INCOMING);
	/* taken but not done: a scan finding it again adds nothing */
	cr_assert_eq(qmgr_work_add(w, QUEUE_INCOMING, a), QMGR_WORK_KNOWN);
	qmgr_work_counts(w, &waiting, &busy);
	cr_assert_eq(waiting, 1);
	cr_assert_eq(busy, 1);
	qmgr_work_done(w, a);
	cr_assert_eq(qmgr_work_add(w, QUEUE_DEFERRED, a), QMGR_WORK_ADDED);
	cr_assert(qmgr_work_take(w, &dir, got));
	cr_assert_str_eq(got, b);
	cr_assert_eq(dir, QUEUE_DEFERRED);
	qmgr_work_free(&w);
	cr_assert_null(w);
}

Test(qmgr_work, waiting_ids_are_bounded_and_room_wakes_the_dispatcher)
{
	struct qmgr_work *w = qmgr_work_new(3);
	char id[5][QUEUE_ID_MAX], got[QUEUE_ID_MAX];
	enum queue_dir dir;

	for (int i = 0; i < 5; i++)
		queue_id_new(id[i]);
	for (int i = 0; i < 2; i++)	/* max - 1 */
		cr_assert_eq(qmgr_work_add(w, QUEUE_INCOMING, id[i]),
		    QMGR_WORK_ADDED);
	cr_assert_eq(qmgr_work_add(w, QUEUE_INCOMING, id[2]),
	    QMGR_WORK_ADDED);	/* max */
	cr_assert_not(readable(qmgr_work_fd(w)));
	cr_assert_eq(qmgr_work_add(w, QUEUE_INCOMING, id[3]),
	    QMGR_WORK_FULL);	/* max + 1 */
	cr_assert_not(readable(qmgr_work_fd(w)));
	cr_assert(qmgr_work_take(w, &dir, got));
	cr_assert(readable(qmgr_work_fd(w)), "room made after a refusal");
	qmgr_work_fd_clear(w);
	cr_assert_not(readable(qmgr_work_fd(w)));
	cr_assert_eq(qmgr_work_add(w, QUEUE_INCOMING, id[3]),
	    QMGR_WORK_ADDED);
	/* a take without a refusal before it wakes nobody */
	cr_assert(qmgr_work_take(w, &dir, got));
	cr_assert_not(readable(qmgr_work_fd(w)));
	qmgr_work_free(&w);
}

static void *
stopper(void *arg)
{
	usleep(50 * 1000);
	qmgr_work_stop(arg);
	return NULL;
}

Test(qmgr_work, stop_ends_a_waiting_take)
{
	struct qmgr_work *w = qmgr_work_new(3);
	char got[QUEUE_ID_MAX];
	enum queue_dir dir;
	pthread_t th;

	cr_assert_eq(pthread_create(&th, NULL, stopper, w), 0);
	cr_assert_not(qmgr_work_take(w, &dir, got));
	pthread_join(th, NULL);
	qmgr_work_free(&w);
}

Test(qmgr_slots, total_and_per_destination_limits)
{
	struct qmgr_slots *s = qmgr_slots_new(3, 2);

	qmgr_slots_lock(s);
	cr_assert(qmgr_slots_try_locked(s, "a.test"));
	cr_assert(qmgr_slots_try_locked(s, "a.test"));	/* per dest max */
	cr_assert_not(qmgr_slots_try_locked(s, "a.test"));	/* max + 1 */
	cr_assert(qmgr_slots_try_locked(s, "b.test"));	/* total max */
	cr_assert_not(qmgr_slots_total_room_locked(s));
	cr_assert(qmgr_slots_dest_room_locked(s, "b.test"));
	cr_assert_not(qmgr_slots_try_locked(s, "b.test"));	/* total + 1 */
	cr_assert_not(qmgr_slots_try_locked(s, "c.test"));
	qmgr_slots_release_locked(s, "a.test");
	cr_assert(qmgr_slots_try_locked(s, "c.test"));
	qmgr_slots_release_locked(s, "a.test");
	qmgr_slots_release_locked(s, "b.test");
	qmgr_slots_release_locked(s, "c.test");
	qmgr_slots_unlock(s);
	cr_assert_eq(qmgr_slots_peak(s), 3);
	qmgr_slots_free(&s);
	cr_assert_null(s);
}

struct holder {
	struct qmgr_slots *s;
	bool released;
};

static void *
release_later(void *arg)
{
	struct holder *h = arg;

	usleep(100 * 1000);
	h->released = true;
	qmgr_slots_release(h->s, "a.test");
	return NULL;
}

Test(qmgr_slots, acquire_waits_for_a_slot_given_back)
{
	struct holder h = { .s = qmgr_slots_new(1, 1) };
	pthread_t th;

	qmgr_slots_acquire(h.s, "a.test");
	cr_assert_eq(pthread_create(&th, NULL, release_later, &h), 0);
	qmgr_slots_acquire(h.s, "b.test");	/* total 1: waits */
	cr_assert(h.released);
	pthread_join(th, NULL);
	qmgr_slots_release(h.s, "b.test");
	qmgr_slots_free(&h.s);
}
