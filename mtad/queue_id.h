/*
 * mtad/queue_id.h - queue ids and the file names built from them.
 *
 * A queue id is a lib/uid.h id: 18 characters of Crockford base32
 * (0-9 A-Z without I L O U), 11 for the arrival time in microseconds, 5
 * for the pid of the committing process, 2 for a per-process counter.
 * So ids sort by arrival time with strcmp (and ls), are unique on one
 * host across processes (pid) and restarts (time), and are short enough
 * for every log line. Two processes can only get the same id if the
 * clock steps back onto a moment when a process with the same pid made
 * one; the commit's no-replace rename turns even that into a fresh id,
 * never an overwritten message.
 *
 * File names in a queue directory: "ID" (message), "ID.state"
 * (recipient updates), "ID.tmp" and "ID.r.tmp" (a commit in progress;
 * removed at start-up by queue_recover).
 */
#ifndef MTAD_QUEUE_ID_H
#define MTAD_QUEUE_ID_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/uid.h"

#define QUEUE_ID_LEN UID_LEN
#define QUEUE_ID_MAX UID_MAX
/* Longest file name of a queue directory, with its NUL. */
#define QUEUE_NAME_MAX (QUEUE_ID_LEN + 10)

enum queue_name_kind {
	QUEUE_NAME_OTHER,	/* not ours */
	QUEUE_NAME_MESSAGE,	/* ID */
	QUEUE_NAME_STATE,	/* ID.state */
	QUEUE_NAME_TEMP,	/* ID.tmp, ID.r.tmp */
};

/* A new id into out (with its NUL). Never fails. */
void queue_id_new(char out[QUEUE_ID_MAX]);
/* Whether s is exactly a well-formed id. */
bool queue_id_is_valid(const char *s);
/* Arrival time of id in microseconds since the epoch. 0, or -1 if id is
 * not valid. */
int queue_id_time(const char *id, uint64_t *us_out);
/* What the file name is; id_out (optional) receives its id. */
enum queue_name_kind queue_name_classify(const char *name,
    char id_out[QUEUE_ID_MAX]);

#endif
