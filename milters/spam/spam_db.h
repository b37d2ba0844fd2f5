/*
 * milters/spam/spam_db.h - the spam filter's token database: for each
 * token hash, in how many spam and ham messages it was seen, and how many
 * of each were learnt.
 *
 * File format (all integers little-endian; see docs/tessera-spamd.8):
 *   0  magic "TSPAMDB\0"          8 bytes
 *   8  version (1)                u32
 *  12  header size (48)           u32
 *  16  spam messages learnt       u64
 *  24  ham messages learnt        u64
 *  32  records                    u64
 *  40  FNV-1a 64 of the records   u64
 *  48  records: hash u64, spam count u32, ham count u32, hashes strictly
 *      ascending, neither count above its message total, not both 0.
 * A file is only ever replaced whole (new file, fsync, rename), so
 * readers that loaded the old one keep a consistent view and a crash
 * leaves the old or the new database, never a mix. The file is input
 * too: spam_db_parse validates all of the above before use.
 */
#ifndef MILTERS_SPAM_SPAM_DB_H
#define MILTERS_SPAM_SPAM_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spam_tokens;

#define SPAM_DB_MAGIC		"TSPAMDB"	/* plus its NUL: 8 bytes */
#define SPAM_DB_VERSION		1
#define SPAM_DB_HEADER_SIZE	48
#define SPAM_DB_RECORD_SIZE	16
#define SPAM_DB_SIZE_MAX_DEFAULT (256 * 1024 * 1024)

/* A database in memory: a validated view of a file image. */
struct spam_db {
	const uint8_t *records;	/* n * SPAM_DB_RECORD_SIZE bytes */
	size_t n;
	uint64_t n_spam, n_ham;	/* messages learnt */
	uint8_t *heap;		/* the image records point into, or NULL */
};

/* Validate the image data[len] and describe it in *out (pointing into
 * data). 0, or -1 with *err_out (static text). Pure: the fuzz target's
 * entry point. */
int spam_db_parse(const uint8_t *data, size_t len, struct spam_db *out,
    const char **err_out);

/* Read and validate the file at path, at most size_max bytes (read
 * into memory, so later changes to the file cannot touch it). A missing file gives an empty database when
 * allow_missing. Returns the database, or NULL with *err_out (static
 * text; errno-style detail in the log is the caller's). */
struct spam_db *spam_db_open(const char *path, size_t size_max,
    bool allow_missing, const char **err_out);
/* An empty database (no messages learnt). */
struct spam_db *spam_db_new_empty(void);
/* Free *dbp (NULL-safe) and clear it. */
void spam_db_free(struct spam_db **dbp);

/* Counts of the token with hash h (0 and 0 when absent). */
void spam_db_lookup(const struct spam_db *db, uint64_t h, uint32_t *spam_out,
    uint32_t *ham_out);

/* Building a new database: the counts of a base plus learnt messages. */
struct spam_db_builder;

/* A builder holding a copy of base's counts (NULL: empty). */
struct spam_db_builder *spam_db_builder_new(const struct spam_db *base);
void spam_db_builder_free(struct spam_db_builder **bp);
/* Count one message's tokens (each once) as spam or ham. Counts saturate
 * at UINT32_MAX. */
void spam_db_builder_add(struct spam_db_builder *b,
    const struct spam_tokens *t, bool spam);
/* Counts of the token with hash h in the builder (0 and 0 when absent),
 * and the message totals learnt so far: for classifying while learning. */
void spam_db_builder_lookup(const struct spam_db_builder *b, uint64_t h,
    uint32_t *spam_out, uint32_t *ham_out);
void spam_db_builder_totals(const struct spam_db_builder *b, uint64_t *n_spam,
    uint64_t *n_ham);
/* The image of the database built so far (malloc'd, *len_out bytes). */
uint8_t *spam_db_builder_image(const struct spam_db_builder *b,
    size_t *len_out);
/* The database built so far, in memory (validated like a file). */
struct spam_db *spam_db_builder_finish(const struct spam_db_builder *b);
/* Replace the file at path by the database built so far: a temporary
 * file beside it, fsync, rename, fsync of the directory. 0, or -1 with
 * *err_out (static text) and errno set; path is then untouched. */
int spam_db_builder_write(const struct spam_db_builder *b, const char *path,
    const char **err_out);

/* Take an exclusive lock serialising learners of the database at path
 * (on path + ".lock", created if missing; readers never lock). Returns
 * the lock's descriptor (close it to unlock), or -1 with errno set. */
int spam_db_lock(const char *path);

#endif
