/*
 * milters/virus/virusd_spool.h - one message as the milter receives it,
 * kept for the scan at end of message: in memory up to a threshold, then
 * in an unlinked temporary file, and never more than a maximum (past
 * it, the bytes are counted but dropped and the message is marked too
 * big, so the caller applies its limit action instead of scanning half).
 */
#ifndef MILTERS_VIRUS_VIRUSD_SPOOL_H
#define MILTERS_VIRUS_VIRUSD_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct virusd_engine;
struct virusd_result;

struct virusd_spool;

/* A spool keeping up to max bytes, the first memory_max of them in
 * memory, spilling to a file created in temp_dir (NULL or "": $TMPDIR,
 * else /tmp; the string must outlive the spool). memory_max <= max. */
struct virusd_spool *virusd_spool_new(uint64_t max, uint64_t memory_max,
    const char *temp_dir);
void virusd_spool_free(struct virusd_spool **sp);
/* Forget the message (a new one starts); closes any spill file. */
void virusd_spool_reset(struct virusd_spool *s);

/* Add len bytes. 0 (also when past max: the bytes are dropped), or -1
 * with the reason appended to err if the spill file could not be
 * created or written (the spool is then unusable until reset). */
int virusd_spool_append(struct virusd_spool *s, const void *p, size_t len,
    struct buf *err);
/* Bytes offered so far, kept or not. */
uint64_t virusd_spool_size(const struct virusd_spool *s);
/* Whether more than max bytes were offered. */
bool virusd_spool_too_big(const struct virusd_spool *s);
/* Whether the message went to a file. */
bool virusd_spool_spilled(const struct virusd_spool *s);

/* Scan what the spool holds with e (from memory or from the file). A
 * message past max is not scanned: VIRUSD_EXCEEDED "max_message_size";
 * a spool whose file failed gives VIRUSD_ERROR. */
void virusd_spool_scan(const struct virusd_spool *s,
    const struct virusd_engine *e, struct virusd_result *out);

#endif
