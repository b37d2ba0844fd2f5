/*
 * mtad/queue_scan.h - list the queue and clean it up at start-up.
 *
 * queue_scan_ids gives the queue runner the ids waiting in a directory
 * (oldest first); queue_list gives `tessera queue list|show` each
 * message's envelope with its recipients' current states; queue_recover
 * runs once in the mtad master before any session or runner starts.
 */
#ifndef MTAD_QUEUE_SCAN_H
#define MTAD_QUEUE_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "mtad/queue.h"

struct pool;

/* Ids of the messages in dir, sorted oldest first (temp and state files
 * and foreign names are skipped). 0 with *ids_out (array and strings in
 * pool) and *n_out, or -1 with *err_out. */
int queue_scan_ids(struct queue *q, enum queue_dir dir, struct pool *pool,
    char ***ids_out, size_t *n_out, const char **err_out);

struct queue_entry {
	enum queue_dir dir;
	struct queue_env env;		/* recipient states applied */
	uint64_t age;			/* seconds since arrival */
	const char *corrupt;		/* corrupt/ only: why it does not
					   parse (env holds only the id),
					   NULL if it does */
};

/* Every message of dir, oldest first, as of now (unix seconds). Messages
 * that fail to parse are moved to corrupt/ (and logged) and left out,
 * except when dir is corrupt/ itself, where they are listed with the
 * reason; ones that vanish meanwhile (delivered) are left out. 0 with
 * *out (in pool) and *n_out, or -1 with *err_out. */
int queue_list(struct queue *q, enum queue_dir dir, uint64_t now,
    struct pool *pool, struct queue_entry **out, size_t *n_out,
    const char **err_out);

struct queue_recover_stats {
	size_t temps_removed;		/* partial commits */
	size_t states_moved;		/* state files reunited */
	size_t states_removed;		/* state files of no message */
	size_t foreign;			/* names not ours, left alone */
};

/* Start-up clean-up: remove the temp files of commits a crash cut short,
 * bring state files left behind by an interrupted move back beside their
 * message, remove state files whose message is gone. One log line per
 * file touched. Must run while no session or runner uses the queue.
 * 0, or -1 with *err_out. */
int queue_recover(struct queue *q, struct pool *pool,
    struct queue_recover_stats *st, const char **err_out);

#endif
