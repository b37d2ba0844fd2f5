/*
 * mtad/qmgr_work.c - the queue manager's work list (see
 * mtad/qmgr_work.h): a FIFO of waiting ids and a hash set of every known
 * id, so that the scans of a large queue cost one lookup per message.
 *
 * Runs in the qmgr child; the ids come from directory entries of our own
 * spool, already checked by queue_name_classify or queue_scan_ids.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mtad/qmgr_work.h"
#include "lib/banned.h"

#define WORK_BUCKETS 4096

struct work_item {
	char id[QUEUE_ID_MAX];
	enum queue_dir dir;
	bool taken;
	struct work_item *hnext;	/* in its bucket */
	struct work_item *qnext;	/* in the waiting FIFO */
};

struct qmgr_work {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct work_item *bucket[WORK_BUCKETS];
	struct work_item *head, *tail;	/* waiting, oldest first */
	size_t waiting, busy, max_waiting;
	bool full;			/* an add was refused for room */
	bool stop;
	int efd;
};

static size_t
hash(const char *id)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return (size_t)(h % WORK_BUCKETS);
}

struct qmgr_work *
qmgr_work_new(size_t max_waiting)
{
	struct qmgr_work *w = xcalloc(1, sizeof(*w));

	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->max_waiting = max_waiting > 0 ? max_waiting : 1;
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd == -1)
		log_fatal("qmgr: eventfd: %s", strerror(errno));
	return w;
}

void
qmgr_work_free(struct qmgr_work **wp)
{
	struct qmgr_work *w = *wp;

	if (w == NULL)
		return;
	for (size_t b = 0; b < WORK_BUCKETS; b++)
		while (w->bucket[b] != NULL) {
			struct work_item *it = w->bucket[b];

			w->bucket[b] = it->hnext;
			free(it);
		}
	close(w->efd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	*wp = NULL;
}

enum qmgr_work_add
qmgr_work_add(struct qmgr_work *w, enum queue_dir dir, const char *id)
{
	size_t b = hash(id);
	struct work_item *it;
	enum qmgr_work_add r = QMGR_WORK_ADDED;

	pthread_mutex_lock(&w->mu);
	for (it = w->bucket[b]; it != NULL; it = it->hnext)
		if (strcmp(it->id, id) == 0)
			break;
	if (it != NULL) {
		r = QMGR_WORK_KNOWN;
	} else if (w->waiting >= w->max_waiting) {
		w->full = true;
		r = QMGR_WORK_FULL;
	} else {
		it = xcalloc(1, sizeof(*it));
		if (str_copy(it->id, sizeof(it->id), id) == -1)
			log_panic("qmgr: queue id too long: %s", id);
		it->dir = dir;
		it->hnext = w->bucket[b];
		w->bucket[b] = it;
		if (w->tail != NULL)
			w->tail->qnext = it;
		else
			w->head = it;
		w->tail = it;
		w->waiting++;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return r;
}

bool
qmgr_work_take(struct qmgr_work *w, enum queue_dir *dir_out,
    char id_out[QUEUE_ID_MAX])
{
	struct work_item *it;
	bool was_full;

	pthread_mutex_lock(&w->mu);
	while (w->head == NULL && !w->stop)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->stop) {
		pthread_mutex_unlock(&w->mu);
		return false;
	}
	it = w->head;
	w->head = it->qnext;
	if (w->head == NULL)
		w->tail = NULL;
	it->qnext = NULL;
	it->taken = true;
	w->waiting--;
	w->busy++;
	*dir_out = it->dir;
	memcpy(id_out, it->id, QUEUE_ID_MAX);
	was_full = w->full;
	w->full = false;
	pthread_mutex_unlock(&w->mu);
	if (was_full) {
		uint64_t one = 1;

		/* the dispatcher scans again for what did not fit */
		(void)!write(w->efd, &one, sizeof(one));
	}
	return true;
}

void
qmgr_work_done(struct qmgr_work *w, const char *id)
{
	size_t b = hash(id);
	struct work_item **pp, *it;

	pthread_mutex_lock(&w->mu);
	for (pp = &w->bucket[b]; (it = *pp) != NULL; pp = &it->hnext)
		if (strcmp(it->id, id) == 0)
			break;
	if (it == NULL || !it->taken)
		log_panic("qmgr: done with %s, which was not taken", id);
	*pp = it->hnext;
	w->busy--;
	pthread_mutex_unlock(&w->mu);
	free(it);
}

void
qmgr_work_stop(struct qmgr_work *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void
qmgr_work_counts(struct qmgr_work *w, size_t *waiting_out, size_t *busy_out)
{
	pthread_mutex_lock(&w->mu);
	*waiting_out = w->waiting;
	*busy_out = w->busy;
	pthread_mutex_unlock(&w->mu);
}

int
qmgr_work_fd(const struct qmgr_work *w)
{
	return w->efd;
}

void
qmgr_work_fd_clear(struct qmgr_work *w)
{
	uint64_t v;

	(void)!read(w->efd, &v, sizeof(v));
}
