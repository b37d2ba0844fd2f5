/*
 * accessd/store.h - the mail store: one user's mailbox of Maildir++
 * folders, each with a tessera.index cache, and the user's quota file.
 *
 * Used by accessd's session processes (LMTP delivery, IMAP, POP3) and by
 * `tessera mailbox recalc`. Everything on disk is treated as untrusted
 * bytes: the index is checked record by record (length + CRC) and rebuilt
 * from the Maildir files when damaged; file names that are not ours are
 * ignored with a log line.
 *
 * Layout (DESIGN.md §4):
 *   <mail_root>/<xx>/<mailbox-id>/          INBOX (Maildir++ root)
 *       cur/ new/ tmp/  tessera.index  tessera.uidvalidity  tessera.lock
 *       tessera.quota  tessera.subscriptions  tessera.mblock  tessera.uvnext
 *       .Sent/ .Drafts/ .Trash/ .Junk/ .Archive/ .Work.2026/ ...
 * xx is two hex digits of a hash of the id, so no directory grows past
 * 256 * (users / 256) entries.
 *
 * Folder names are UTF-8 (the IMAP layer converts from modified UTF-7
 * for IMAP4rev1 clients) with "/" as hierarchy separator. On disk each
 * level becomes one Maildir++ component joined by "."; a "." inside a
 * level is written "%2E". Control characters, "%" and "*" are refused in
 * names, so the mapping is one to one. "INBOX" is case-insensitive.
 *
 * The UID of every message is part of its file name (",U=<uid>"), the
 * size too (",S=<size>"), the flags at delivery in the ":2," info and
 * the internal date is the file's mtime; the folder's UIDVALIDITY and
 * floors of UIDNEXT/HIGHESTMODSEQ are in tessera.uidvalidity. So the
 * index is a cache: deleted or torn, it is rebuilt with the same UIDs and
 * UIDVALIDITY (flags changed after delivery, keywords and cached strings
 * are lost then, and every message gets one new modseq: modseqs follow a
 * microsecond clock, so it is above every modseq handed out before).
 *
 * Concurrency: every change to a folder happens under its lock (an open
 * file description lock on tessera.lock, which excludes other processes
 * and other opens in this one). Readers never lock: they read complete
 * records appended to the index and see changes by store_folder_sync().
 */
#ifndef ACCESSD_STORE_H
#define ACCESSD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct pool;

/* Hierarchy separator of folder names. */
#define STORE_SEP '/'
/* Longest mailbox id (the directory's entryUUID / objectGUID text). */
#define STORE_ID_MAX 128

/* Results. Every function that can fail appends a one-line reason to its
 * err buf (NULL allowed) and logs nothing itself unless it says so. */
enum store_result {
	STORE_OK = 0,
	STORE_NOTFOUND,		/* no such folder or UID */
	STORE_EXISTS,		/* folder exists already */
	STORE_OVERQUOTA,	/* would pass the caller's quota limits */
	STORE_TOOBIG,		/* message larger than message_size_max */
	STORE_LIMIT,		/* a store limit: name, depth, folders, record */
	STORE_INVALID,		/* bad name, id or argument */
	STORE_ERROR,		/* I/O or on-disk trouble: a temporary failure */
};

/* Limits; store_limits_defaults fills the defaults that
 * [accessd.store] documents (store_config.h). */
struct store_limits {
	uint64_t message_size_max;	/* bytes of one message */
	size_t folder_name_max;		/* bytes of a full UTF-8 folder name */
	unsigned folder_depth_max;	/* levels of a folder name */
	unsigned folders_max;		/* folders of one mailbox, INBOX too */
	size_t index_record_max;	/* bytes of one index record */
	size_t keywords_max;		/* bytes of one message's keywords */
	bool fsync;			/* fsync files and dirs (tests: yes) */
};
void store_limits_defaults(struct store_limits *lim);

/* System flags. Keywords travel as one string of space-separated IMAP
 * atoms ("$Forwarded Work"). \Recent is the IMAP layer's business. */
#define STORE_FLAG_SEEN		0x01u
#define STORE_FLAG_ANSWERED	0x02u
#define STORE_FLAG_FLAGGED	0x04u
#define STORE_FLAG_DELETED	0x08u
#define STORE_FLAG_DRAFT	0x10u
#define STORE_FLAG_ALL		0x1fu

/* Special-use (RFC 6154) of the folders created on first open. */
enum store_special {
	STORE_SPECIAL_NONE,
	STORE_SPECIAL_SENT,
	STORE_SPECIAL_DRAFTS,
	STORE_SPECIAL_TRASH,
	STORE_SPECIAL_JUNK,
	STORE_SPECIAL_ARCHIVE,
};
/* "\\Sent", ... or NULL for STORE_SPECIAL_NONE. */
const char *store_special_name(enum store_special s);

/* One message of a folder's view. Strings are owned by the folder and
 * valid until the next call that changes the view (sync, or any change
 * made through this folder handle). */
struct store_msg {
	uint32_t uid;
	uint32_t flags;		/* STORE_FLAG_* */
	uint64_t modseq;
	uint64_t size;
	int64_t internal_date;	/* seconds since the epoch */
	char *file;		/* name in cur/ */
	char *keywords;		/* "" if none */
	char *envelope;		/* cached, NULL if not yet */
	char *bodystructure;	/* cached, NULL if not yet */
};

/* Quota limits from the directory; 0 = unlimited. */
struct store_quota {
	uint64_t bytes;
	uint64_t messages;
};

/* A range of UIDs, inclusive; a set is an array of them. */
struct store_range {
	uint32_t lo, hi;
};

/* ---- mailbox ---------------------------------------------------------- */

struct store_mailbox;

/* Open the mailbox of directory id `id` under mail_root, creating its
 * directories, INBOX and the special-use folders on first open. id:
 * 1..STORE_ID_MAX of [A-Za-z0-9._=+@-], not starting with '.'. lim is
 * copied. NULL with a reason in err (bad id, I/O). */
struct store_mailbox *store_mailbox_open(const char *mail_root,
    const char *id, const struct store_limits *lim, struct buf *err);
void store_mailbox_close(struct store_mailbox **mbp);
/* The mailbox directory. */
const char *store_mailbox_path(const struct store_mailbox *mb);

/* ---- folders ---------------------------------------------------------- */

struct store_folder_info {
	char *name;			/* UTF-8, '/' separated */
	enum store_special special;
	bool subscribed;
	bool noselect;			/* a parent that does not exist itself */
	bool has_children;
};

/* All folders (and the missing parents of existing ones, as noselect),
 * sorted by name, INBOX first, in arrays allocated from pool. */
enum store_result store_folder_list(struct store_mailbox *mb,
    struct pool *pool, struct store_folder_info **out, size_t *n_out,
    struct buf *err);
enum store_result store_folder_create(struct store_mailbox *mb,
    const char *name, struct buf *err);
/* Deletes the folder and its messages (not its children). INBOX cannot
 * be deleted (STORE_INVALID). */
enum store_result store_folder_delete(struct store_mailbox *mb,
    const char *name, struct buf *err);
/* Renames a folder and its children. Renaming INBOX moves its messages
 * into a new folder `to` and leaves INBOX empty (RFC 3501 6.3.5). */
enum store_result store_folder_rename(struct store_mailbox *mb,
    const char *from, const char *to, struct buf *err);
/* (Un)subscribe a name (it need not exist, RFC 3501 6.3.6). */
enum store_result store_subscribe(struct store_mailbox *mb, const char *name,
    bool subscribe, struct buf *err);
/* Whether name is a valid folder name under mb's limits; the canonical
 * form (INBOX upper-cased) goes to canon[size]. */
enum store_result store_folder_name_check(const struct store_mailbox *mb,
    const char *name, char *canon, size_t size, struct buf *err);

/* ---- an open folder --------------------------------------------------- */

struct store_folder;

/* Open folder `name` and load its view (rebuilding the index if it is
 * missing or damaged). */
enum store_result store_folder_open(struct store_mailbox *mb,
    const char *name, struct store_folder **f_out, struct buf *err);
void store_folder_close(struct store_folder **fp);

uint32_t store_folder_uidvalidity(const struct store_folder *f);
uint32_t store_folder_uidnext(const struct store_folder *f);
uint64_t store_folder_highestmodseq(const struct store_folder *f);
/* Messages in the view, in UID order: count and the i-th (0-based, so
 * sequence number i + 1). */
size_t store_folder_count(const struct store_folder *f);
const struct store_msg *store_folder_msg(const struct store_folder *f,
    size_t i);
/* The message with uid, and its 0-based position, or NULL. */
const struct store_msg *store_folder_find(const struct store_folder *f,
    uint32_t uid, size_t *pos_out);

/* What changed in a folder since the view was last brought up to date.
 * EXPUNGE is reported while the message is still in the view (its
 * position is its sequence number - 1); NEW and FLAGS after. CONFLICT:
 * store_set_flags left the message alone (UNCHANGEDSINCE). */
enum store_change { STORE_CHANGE_NEW, STORE_CHANGE_EXPUNGE,
	STORE_CHANGE_FLAGS, STORE_CHANGE_CONFLICT };
typedef void (*store_change_fn)(void *arg, enum store_change kind,
    const struct store_msg *m, size_t pos);

/* The callback for changes found while no cb was given (store_append,
 * store_msg_cache, store_msg_open, a copy into f itself...): every
 * function that changes or reads the index may bring the view up to
 * date, and a session that numbers messages (IMAP) must hear of every
 * change. Set it at SELECT; cb NULL: none. */
void store_folder_set_listener(struct store_folder *f, store_change_fn cb,
    void *arg);
/* Bring the view up to date with changes other sessions (and processes)
 * made, calling cb (NULL: the listener) for each. Cheap when nothing
 * changed (two stats). STORE_NOTFOUND if the folder was deleted. */
enum store_result store_folder_sync(struct store_folder *f,
    store_change_fn cb, void *arg, struct buf *err);
/* Whether the index changed since the last sync (fstat only): for
 * polling. */
bool store_folder_changed(struct store_folder *f);
/* An inotify descriptor (owned by f, non-blocking) that becomes readable
 * when the folder's index changes: poll it during IMAP IDLE, then call
 * store_folder_notify_drain and store_folder_sync. -1 on failure. */
int store_folder_notify_fd(struct store_folder *f, struct buf *err);
void store_folder_notify_drain(struct store_folder *f);

/* ---- messages --------------------------------------------------------- */

/* A read-only descriptor of the message file (caller closes), or -1
 * (err says why: gone, I/O). A message whose file has vanished behind
 * the store's back (an administrator, a power loss) is expunged then,
 * reported to the listener. */
int store_msg_open(struct store_folder *f, uint32_t uid, struct buf *err);
/* The message bytes appended to out (its ceiling permitting). */
enum store_result store_msg_read(struct store_folder *f, uint32_t uid,
    struct buf *out, struct buf *err);
/* store_msg_read_head reads STORE_HEAD_CHUNK bytes at a time while it
 * looks for the end of the header, in the first STORE_HEAD_MAX bytes. */
#define STORE_HEAD_CHUNK 8192
#define STORE_HEAD_MAX (256u * 1024)
/* The message's header appended to out: up to the empty line that ends
 * it (included, nothing after it). The whole message when it has no such
 * line within STORE_HEAD_MAX bytes: its top-level header is the same. */
enum store_result store_msg_read_head(struct store_folder *f, uint32_t uid,
    struct buf *out, struct buf *err);

/* Computes the cached strings of a message from its bytes (lib/mime's
 * parser in accessd): 0 with *envelope_out and *bodystructure_out
 * allocated with xmalloc (the store frees them), or -1. */
typedef int (*store_cache_fn)(void *arg, const uint8_t *msg, size_t len,
    char **envelope_out, char **bodystructure_out);
/* The cached envelope and body structure of uid, computing them with fn
 * and recording them in the index when missing. Pointers as store_msg. */
enum store_result store_msg_cache(struct store_folder *f, uint32_t uid,
    store_cache_fn fn, void *arg, const char **envelope_out,
    const char **bodystructure_out, struct buf *err);

/* Append: begin writes into tmp/ (no lock held), write streams the
 * bytes, commit fsyncs, takes the folder lock, checks the quota, gives
 * the UID, renames into cur/ and records it. abort (or free after a
 * failed write) removes the tmp file. Only commit and abort end a txn.
 */
struct store_append;
enum store_result store_append_begin(struct store_folder *f,
    struct store_append **tx_out, struct buf *err);
/* STORE_TOOBIG past message_size_max (the txn is then only good for
 * abort), STORE_ERROR on I/O. */
enum store_result store_append_write(struct store_append *tx,
    const void *p, size_t len, struct buf *err);
/* flags: STORE_FLAG_*; keywords: NULL or ""; internal_date: 0 = now;
 * quota: NULL = no check. The view is synced first (cb reports others'
 * changes, then this message as NEW). *uid_out (optional). The txn is
 * freed whatever the result. */
enum store_result store_append_commit(struct store_append **txp,
    uint32_t flags, const char *keywords, int64_t internal_date,
    const struct store_quota *quota, store_change_fn cb, void *arg,
    uint32_t *uid_out, struct buf *err);
void store_append_abort(struct store_append **txp);
/* The whole append in one call for bytes in memory. */
enum store_result store_append(struct store_folder *f, const void *msg,
    size_t len, uint32_t flags, const char *keywords, int64_t internal_date,
    const struct store_quota *quota, uint32_t *uid_out, struct buf *err);

enum store_flag_mode { STORE_FLAGS_ADD, STORE_FLAGS_REMOVE,
	STORE_FLAGS_REPLACE };
/* Change flags (and keywords: NULL = leave keywords alone in ADD/REMOVE,
 * none in REPLACE) of the messages in set[n] (UIDs in the view that are
 * missing are skipped). Each changed message gets a new modseq and is
 * reported as FLAGS; with unchangedsince != 0 a message whose modseq is
 * higher is left alone and reported as CONFLICT (RFC 7162). */
enum store_result store_set_flags(struct store_folder *f,
    const struct store_range *set, size_t n, enum store_flag_mode mode,
    uint32_t flags, const char *keywords, uint64_t unchangedsince,
    store_change_fn cb, void *arg, struct buf *err);
/* Remove the \Deleted messages (of set[n] only, if set != NULL: UID
 * EXPUNGE), reporting each as EXPUNGE. */
enum store_result store_expunge(struct store_folder *f,
    const struct store_range *set, size_t n, store_change_fn cb, void *arg,
    struct buf *err);

/* UIDPLUS: source and new UIDs of copied messages, from pool. */
struct store_copied {
	uint32_t uidvalidity;	/* of the destination */
	uint32_t *src_uids;
	uint32_t *dst_uids;
	size_t n;
};
/* Copy (or move) the messages of set[n] from f to folder dst of the same
 * mailbox (hard links, so no bytes are copied). Quota (NULL: none) is
 * checked for the whole copy; a move is net zero. cb gets f's changes
 * (the expunges of a move). */
enum store_result store_copy(struct store_folder *f,
    const struct store_range *set, size_t n, struct store_folder *dst,
    bool move, const struct store_quota *quota, struct pool *pool,
    struct store_copied *out, store_change_fn cb, void *arg,
    struct buf *err);

/* ---- quota ------------------------------------------------------------ */

/* Current usage from tessera.quota. */
enum store_result store_quota_get(struct store_mailbox *mb,
    uint64_t *bytes_out, uint64_t *messages_out, struct buf *err);
/* STORE_OVERQUOTA if adding one message of size bytes would pass q. */
enum store_result store_quota_check(struct store_mailbox *mb,
    const struct store_quota *q, uint64_t size, struct buf *err);
/* Count every message of every folder again and rewrite tessera.quota
 * (`tessera mailbox recalc`). New usage in the out parameters
 * (optional). */
enum store_result store_quota_recalc(struct store_mailbox *mb,
    uint64_t *bytes_out, uint64_t *messages_out, struct buf *err);

#endif
