/*
 * accessd/store_int.h - what the store's files share among themselves:
 * the mailbox and folder structs, path and name helpers, the lock, the
 * index writer and the quota counter. Not for use outside accessd/store*.
 */
#ifndef ACCESSD_STORE_INT_H
#define ACCESSD_STORE_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "accessd/store.h"
#include "accessd/store_index.h"

#define STORE_PATH_MAX PATH_MAX
#define STORE_INDEX_FILE "tessera.index"
#define STORE_UIDV_FILE "tessera.uidvalidity"
#define STORE_LOCK_FILE "tessera.lock"
#define STORE_QUOTA_FILE "tessera.quota"
#define STORE_SUBS_FILE "tessera.subscriptions"
#define STORE_MBLOCK_FILE "tessera.mblock"
#define STORE_UVNEXT_FILE "tessera.uvnext"
/* Dead index records tolerated beyond 2 per message before compaction. */
#define STORE_COMPACT_SLACK 1000
/* Longest encoded Maildir++ folder directory name (".A.B"). */
#define STORE_DIRNAME_MAX 250

struct store_mailbox {
	char *path;			/* <mail_root>/<xx>/<id> */
	char *id;
	struct store_limits lim;
	unsigned seq;			/* for unique tmp names */
};

struct store_folder {
	struct store_mailbox *mb;
	char *name;			/* canonical UTF-8 name */
	char *dir;			/* folder directory */
	struct store_index idx;		/* the view */
	int index_fd;
	ino_t index_ino;
	uint64_t offset;		/* bytes of the index applied */
	int lock_fd;
	uint64_t modseq_next;		/* next modseq to give (locked) */
	int notify_fd;
	store_change_fn listen_cb;	/* gets changes no caller asked for */
	void *listen_arg;
	struct buf *rec;		/* records being written */
};

/* ---- store_path.c ---------------------------------------------------- */

/* Whether id is an acceptable mailbox id. */
bool store_id_ok(const char *id);
/* Two hex digits for id's fan-out directory into out[3]. */
void store_id_fanout(const char *id, char out[3]);
/* Canonicalise and check a folder name (see store.h). Returns
 * STORE_OK, STORE_INVALID or STORE_LIMIT with a reason in err. */
enum store_result store_name_canon(const struct store_limits *lim,
    const char *name, char *canon, size_t size, struct buf *err);
/* Whether canon (canonical) is INBOX. */
bool store_name_is_inbox(const char *canon);
/* The folder directory's name for canon (".A.B", "" for INBOX) into
 * out[size]. -1 if it does not fit. */
int store_name_to_dir(const char *canon, char *out, size_t size);
/* The folder name of a directory name (".A.B"), or -1 if d is not one
 * we could have made. */
int store_dir_to_name(const char *d, char *out, size_t size);
/* Depth (levels) of a canonical name. */
unsigned store_name_depth(const char *canon);
/* The special-use of a canonical top-level name. */
enum store_special store_name_special(const char *canon);

/* ---- store_file.c: Maildir file names -------------------------------- */

struct store_fname {
	uint32_t uid;
	uint64_t size;
	bool have_size;
	uint32_t flags;
};
/* Parse a name of ours ("<unique>,U=<uid>,S=<size>:2,<flags>"). 0, or -1
 * for anything else (logged by the caller). */
int store_fname_parse(const char *name, struct store_fname *out);
/* A unique base name ("<sec>.M<usec>P<pid>Q<seq>.<host>") into out. */
int store_fname_unique(struct store_mailbox *mb, char *out, size_t size);
/* The final name for a base into out. */
int store_fname_make(const char *base, uint32_t uid, uint64_t size,
    uint32_t flags, char *out, size_t size_out);

/* ---- store_lock.c ---------------------------------------------------- */

/* Open (creating) and lock path exclusively, waiting. Returns the fd. */
int store_lock_take(const char *path, struct buf *err);
void store_lock_release(int *fdp);

/* ---- store_folder.c -------------------------------------------------- */

/* Lock f (waiting), resolve a crashed writer's leftovers and bring the
 * view up to date. */
enum store_result store_folder_lock(struct store_folder *f,
    store_change_fn cb, void *arg, struct buf *err);
void store_folder_unlock(struct store_folder *f);
/* Append f->rec to the index (locked), then apply it to the view through
 * sync; f->rec is emptied. dsync: fdatasync before returning. */
enum store_result store_folder_commit(struct store_folder *f, bool dsync,
    store_change_fn cb, void *arg, struct buf *err);
/* Compact the index if it carries many dead records (locked). */
void store_folder_maybe_compact(struct store_folder *f);
/* Write tessera.uidvalidity with the current values (locked). */
enum store_result store_folder_write_uidv(struct store_folder *f,
    struct buf *err);
/* Create a folder directory with cur/ new/ tmp/ and its UIDVALIDITY
 * file (mailbox lock held). */
enum store_result store_folder_mkdir(struct store_mailbox *mb,
    const char *dir, struct buf *err);
/* Remove files older than STORE_TMP_MAX_AGE from f's tmp/: deliveries
 * killed before their rename (Maildir's 36 hours). */
#define STORE_TMP_MAX_AGE (36 * 3600)
void store_tmp_sweep(struct store_folder *f);
/* Replace the index file by one holding idx (tmp + rename). 0 or -1. */
int store_folder_write_index(struct store_folder *f,
    const struct store_index *idx);
/* Rebuild the index from the Maildir files (locked; store_rebuild.c). */
enum store_result store_rebuild(struct store_folder *f, struct buf *err);
/* A new UIDVALIDITY for a folder of mb (never the same twice). 0 on
 * error. */
uint32_t store_new_uidvalidity(struct store_mailbox *mb, struct buf *err);
/* path of name inside f's directory / cur/ into out. */
int store_folder_path(const struct store_folder *f, const char *sub,
    const char *name, char *out, size_t size);
/* Next modseq for a change (locked): above HIGHESTMODSEQ and at least
 * the modseq clock. */
uint64_t store_folder_next_modseq(struct store_folder *f);
/* The modseq clock: microseconds since the epoch. */
uint64_t store_modseq_clock(void);

/* ---- store_flags.c -------------------------------------------------- */

/* Expunge the messages of set[n] (only those with \Deleted if
 * only_deleted), updating the quota if adjust_quota. */
enum store_result store_expunge_uids(struct store_folder *f,
    const struct store_range *set, size_t n, bool only_deleted,
    bool adjust_quota, store_change_fn cb, void *arg, struct buf *err);

/* ---- store_quota.c --------------------------------------------------- */

/* Add (possibly negative) deltas to the mailbox's usage. */
enum store_result store_quota_add(struct store_mailbox *mb, int64_t bytes,
    int64_t messages, struct buf *err);

/* ---- helpers ----------------------------------------------------------- */

/* fsync a directory by path (when lim->fsync). */
int store_fsync_dir(const struct store_mailbox *mb, const char *path);
/* Write data to path atomically (tmp + rename), fsynced when lim->fsync. */
int store_write_file(const struct store_mailbox *mb, const char *path,
    const void *data, size_t len);
/* Append a formatted reason to err (NULL allowed). */
void store_err(struct buf *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
