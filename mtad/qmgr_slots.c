/*
 * mtad/qmgr_slots.c - open connections per next hop, within a total and a
 * per-destination limit (see mtad/qmgr_slots.h).
 *
 * Runs in the qmgr child's delivery threads. The next hops counted are
 * few (at most max_total have a nonzero count), so a small array searched
 * in order serves.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "mtad/qmgr_slots.h"
#include "lib/banned.h"

struct slot_dest {
	char *name;
	size_t n;
};

struct qmgr_slots {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t max_total, max_per_dest;
	size_t total, peak;
	struct slot_dest *d;		/* max_total entries */
	size_t nd;
};

struct qmgr_slots *
qmgr_slots_new(size_t max_total, size_t max_per_dest)
{
	struct qmgr_slots *s = xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->max_total = max_total > 0 ? max_total : 1;
	s->max_per_dest = max_per_dest > 0 ? max_per_dest : 1;
	s->d = xcalloc(s->max_total, sizeof(*s->d));
	return s;
}

void
qmgr_slots_free(struct qmgr_slots **sp)
{
	struct qmgr_slots *s = *sp;

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nd; i++)
		free(s->d[i].name);
	free(s->d);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	*sp = NULL;
}

void
qmgr_slots_lock(struct qmgr_slots *s)
{
	pthread_mutex_lock(&s->mu);
}

void
qmgr_slots_unlock(struct qmgr_slots *s)
{
	pthread_mutex_unlock(&s->mu);
}

static struct slot_dest *
find(const struct qmgr_slots *s, const char *dest)
{
	for (size_t i = 0; i < s->nd; i++)
		if (strcmp(s->d[i].name, dest) == 0)
			return &s->d[i];
	return NULL;
}

bool
qmgr_slots_dest_room_locked(const struct qmgr_slots *s, const char *dest)
{
	const struct slot_dest *d = find(s, dest);

	return d == NULL || d->n < s->max_per_dest;
}

bool
qmgr_slots_total_room_locked(const struct qmgr_slots *s)
{
	return s->total < s->max_total;
}

bool
qmgr_slots_try_locked(struct qmgr_slots *s, const char *dest)
{
	struct slot_dest *d;

	if (!qmgr_slots_total_room_locked(s) ||
	    !qmgr_slots_dest_room_locked(s, dest))
		return false;
	d = find(s, dest);
	if (d == NULL) {
		ASSERT(s->nd < s->max_total);
		d = &s->d[s->nd++];
		d->name = xstrdup(dest);
		d->n = 0;
	}
	d->n++;
	s->total++;
	if (s->total > s->peak)
		s->peak = s->total;
	return true;
}

void
qmgr_slots_wait_locked(struct qmgr_slots *s)
{
	pthread_cond_wait(&s->cv, &s->mu);
}

void
qmgr_slots_broadcast_locked(struct qmgr_slots *s)
{
	pthread_cond_broadcast(&s->cv);
}

void
qmgr_slots_release_locked(struct qmgr_slots *s, const char *dest)
{
	struct slot_dest *d = find(s, dest);

	if (d == NULL || d->n == 0)
		log_panic("qmgr: slot of %s released but not held", dest);
	d->n--;
	s->total--;
	if (d->n == 0) {
		free(d->name);
		*d = s->d[--s->nd];
	}
	pthread_cond_broadcast(&s->cv);
}

void
qmgr_slots_acquire(struct qmgr_slots *s, const char *dest)
{
	pthread_mutex_lock(&s->mu);
	while (!qmgr_slots_try_locked(s, dest))
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

void
qmgr_slots_release(struct qmgr_slots *s, const char *dest)
{
	pthread_mutex_lock(&s->mu);
	qmgr_slots_release_locked(s, dest);
	pthread_mutex_unlock(&s->mu);
}

size_t
qmgr_slots_peak(struct qmgr_slots *s)
{
	size_t p;

	pthread_mutex_lock(&s->mu);
	p = s->peak;
	pthread_mutex_unlock(&s->mu);
	return p;
}
