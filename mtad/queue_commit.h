/*
 * mtad/queue_commit.h - write a new message into incoming/ and commit it
 * durably: the part of the queue the SMTP session uses.
 *
 * queue_writer_new opens incoming/ID.tmp, leaving room at the front for
 * the envelope; the session streams the message bytes (its Received:
 * header first) with queue_writer_write, nothing is held in memory past a
 * 64 KiB write buffer; queue_writer_commit writes the envelope into the
 * room at the front (padding the rest with '#' lines, or copying the
 * message behind a larger envelope into ID.r.tmp when milters added
 * recipients past the room), fdatasyncs the file, renames it to ID
 * (never replacing a file), and fsyncs incoming/. Only after it returns 0
 * may the session reply 250. A crash before the rename leaves only a
 * .tmp file, which queue_recover removes at the next start; after it the
 * file is complete. Concurrent commits in several processes each pay
 * their own fsyncs, which the file system's journal batches
 * (tests/bench/queue_commit_bench.c measures it).
 */
#ifndef MTAD_QUEUE_COMMIT_H
#define MTAD_QUEUE_COMMIT_H

#include <stddef.h>
#include <stdint.h>

struct pool;
struct queue;
struct queue_env;
struct queue_writer;

/* Room reserved for the envelope when no hint is given. */
#define QUEUE_RESERVE_DEFAULT 4096
/* Extra room beyond the hint's envelope. */
#define QUEUE_RESERVE_SLACK 256
/* Bytes buffered before they are written. */
#define QUEUE_WRITE_BUF (64 * 1024)

/* Start a message: a new queue id and the file incoming/ID.tmp. hint
 * (optional) is the envelope as known before DATA (sender, recipients;
 * id and size are ignored) and sizes the room for the envelope. Errors
 * of this and the other calls are allocated in pool, which must outlive
 * the writer. NULL with *err_out if the file cannot be made. */
struct queue_writer *queue_writer_new(struct queue *q,
    const struct queue_env *hint, struct pool *pool, const char **err_out);
/* The message's queue id (for the Received: header and the logs). */
const char *queue_writer_id(const struct queue_writer *w);
/* Message bytes written so far. */
uint64_t queue_writer_size(const struct queue_writer *w);
/* Append len message bytes. 0, or -1 with *err_out (disk full, I/O);
 * after a failure only queue_writer_abort is allowed. */
int queue_writer_write(struct queue_writer *w, const void *p, size_t len,
    const char **err_out);
/* Commit with envelope env (its id and size are set here from the
 * writer, and its arrival if 0, from the id's time). Frees the writer
 * and clears *wp in any case. 0 once the message is on stable storage
 * under incoming/ID; -1 with *err_out and nothing left behind (bad
 * envelope, I/O error, the id taken). */
int queue_writer_commit(struct queue_writer **wp, struct queue_env *env,
    const char **err_out);
/* Read up to len message bytes at offset off (0: the first message
 * byte) into p, whatever is still buffered included. The number read
 * (0 at the end), or -1 with *err_out. */
long long queue_writer_pread(struct queue_writer *w, uint64_t off, void *p,
    size_t len, const char **err_out);
/* A second writer for the same queue id (file ID.m.tmp, the same room
 * for the envelope), for a changed copy of the message (milter edits):
 * the caller writes the new bytes, then aborts w and commits the new
 * one. NULL with *err_out. */
struct queue_writer *queue_writer_new_version(struct queue_writer *w,
    const char **err_out);
/* Commit into directory d instead of incoming/ (QUEUE_HOLD: quarantine,
 * the queue runner leaves it alone). */
void queue_writer_set_dir(struct queue_writer *w, enum queue_dir d);
/* Give up the message: remove the temp file, free the writer, clear *wp
 * (NULL-safe). */
void queue_writer_abort(struct queue_writer **wp);

#endif
