/*
 * tests/unit/mtad/queue_testutil.h - helpers of the queue unit tests:
 * temporary spools, sample envelopes, commits, file reads, log capture.
 */
#ifndef TESTS_UNIT_MTAD_QUEUE_TESTUTIL_H
#define TESTS_UNIT_MTAD_QUEUE_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "mtad/queue.h"

struct pool;

/* A new empty directory under $TMPDIR or /tmp (malloc'd path). */
char *qt_tmpdir(void);
/* Remove path and everything below it. */
void qt_rmrf(const char *path);
/* The queue under dir with the given limits (0: default). */
struct queue *qt_open(const char *dir, size_t line_max, size_t rcpt_max);
/* A sample envelope with nrcpts recipients, strings in pool. */
void qt_env(struct queue_env *env, struct pool *pool, size_t nrcpts);
/* Commit body[len] with env, written in chunks of chunk bytes (0: all at
 * once). 0 with id_out set, or -1 (the error is printed). */
int qt_commit(struct queue *q, struct queue_env *env, const void *body,
    size_t len, size_t chunk, char id_out[QUEUE_ID_MAX]);
/* Contents of a file (malloc'd, NUL-terminated), NULL if unreadable. */
char *qt_read_file(const char *path, size_t *len_out);
/* Contents of queue file dir/name under spool. */
char *qt_read_queue_file(const char *spool, const char *dir,
    const char *name, size_t *len_out);
/* Names of one kind in queue directory dir of spool. */
size_t qt_count(const char *spool, const char *dir, enum queue_name_kind k);
/* All bytes readable from fd (malloc'd). */
char *qt_read_fd(int fd, size_t *len_out);
/* Assert two envelopes are equal field by field. */
void qt_env_assert_eq(const struct queue_env *a, const struct queue_env *b);
/* Send stderr (the log) to a file in dir until qt_log_end, which returns
 * what was written (malloc'd). */
void qt_log_start(const char *dir);
char *qt_log_end(void);
/* Deterministic test bytes: body of len bytes from seed. */
void qt_fill(uint8_t *p, size_t len, unsigned seed);

#endif
