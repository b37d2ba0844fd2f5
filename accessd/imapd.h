/*
 * accessd/imapd.h - what the files of one IMAP session share (imapd.c,
 * imapd_auth.c, imapd_mailbox.c, imapd_fetch.c, imapd_store.c,
 * imapd_search.c, imapd_idle.c): the session struct, the reply helpers
 * and the command handlers the dispatch table names.
 *
 * Runs in accessd's IMAP session processes only (internal header).
 */
#ifndef ACCESSD_IMAPD_H
#define ACCESSD_IMAPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/saslsrv.h"
#include "accessd/accessd.h"
#include "accessd/imap_parse.h"
#include "accessd/imapd_config.h"
#include "accessd/store.h"

enum imapd_state {
	IMAPD_S_NOTAUTH = 1,
	IMAPD_S_AUTH = 2,
	IMAPD_S_SELECTED = 4,
};

struct imapd {
	struct stream *s;
	const struct server_conn *conn;
	const struct accessd_ctx *ctx;
	const struct imapd_config *ic;
	struct dir_client *dc;
	struct pool *pool;		/* the session's */
	struct pool *cmd_pool;		/* the current command's */
	struct imap_parse_limits lim;
	enum imapd_state state;
	bool quit;
	unsigned failures;
	/* what the last password check found (saslsrv callback too) */
	enum dir_auth auth;
	struct dir_entry *entry;
	struct pool *auth_pool;
	/* authenticated */
	char *user;
	struct store_mailbox *mb;
	struct store_quota quota;
	bool enabled_utf8;
	/* selected: the session's own numbering of the folder's messages,
	 * which only changes where RFC 3501 7.4.1 allows EXPUNGE replies */
	struct store_folder *f;
	char *folder;			/* UTF-8 name */
	bool readonly;
	uint32_t *uids;			/* sequence number i + 1 -> UID */
	size_t n, cap;
	uint32_t last_uid;		/* highest UID announced */
	struct imap_range *recent;	/* UIDs \Recent in this session */
	size_t n_recent;
	uint32_t *flag_changes;		/* UIDs whose flags others changed */
	size_t n_flag_changes, cap_flag_changes;
	bool flag_changes_all;
	struct buf *err;		/* store error text, reset per use */
};

/* ---- replies (imapd.c) ------------------------------------------------ */

void imapd_printf(struct imapd *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void imapd_write(struct imapd *d, const void *p, size_t len);
/* "tag OK|NO|BAD text" */
void imapd_tagged(struct imapd *d, const char *tag, const char *status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The tagged OK of c after the untagged updates its kind allows. */
void imapd_done(struct imapd *d, const struct imap_cmd *c, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
/* Whether EXPUNGE replies may follow c (not FETCH, STORE, SEARCH). */
bool imapd_cmd_allows_expunge(const struct imap_cmd *c);
/* A store failure: NO with a code ([NONEXISTENT], [OVERQUOTA], ...)
 * chosen from r; the detail is logged. */
void imapd_store_fail(struct imapd *d, const char *tag, const char *what,
    enum store_result r);
/* Bring the view up to date and report: EXISTS/RECENT/FETCH FLAGS always,
 * EXPUNGE only if allow_expunge. */
void imapd_announce(struct imapd *d, bool allow_expunge);
/* The store listener (set at SELECT). */
void imapd_store_listener(void *arg, enum store_change kind,
    const struct store_msg *m, size_t pos);
/* Whether a password may travel on this connection now. */
bool imapd_login_allowed(const struct imapd *d);
/* Write flags of m as "(\Seen $Work)"; recent adds \Recent. */
int imapd_flags_write(struct buf *out, uint32_t flags, const char *keywords,
    bool recent);
/* Parse a flag list (or a single flag) into flags and a keyword string
 * (from pool; "" if none). 0, or -1 on a bad or non-settable flag. */
int imapd_flags_parse(const struct imap_arg *a, struct pool *pool,
    uint32_t *flags_out, char **keywords_out);
/* Mailbox name argument -> UTF-8 store name (pool), or NULL after a BAD
 * or NO reply to tag. */
char *imapd_mailbox_arg(struct imapd *d, const char *tag,
    const struct imap_arg *a);
/* UTF-8 store name -> mailbox name as the client reads it (modified
 * UTF-7 unless UTF8=ACCEPT is enabled), appended as an IMAP string. */
int imapd_mailbox_write(struct imapd *d, struct buf *out, const char *name);
/* A sequence set argument resolved to UID ranges of the session's view
 * (uid: given in UIDs). NULL after a BAD reply. *n_out 0 is possible. */
struct store_range *imapd_seqset_uids(struct imapd *d, const char *tag,
    const struct imap_arg *a, bool uid, size_t *n_out);
/* Sequence number of uid in the session's view (1-based), 0 if none. */
uint32_t imapd_msn(const struct imapd *d, uint32_t uid);
/* Drop uid from the flag changes to announce (this session's own
 * change, answered already). */
void imapd_forget_flag_change(struct imapd *d, uint32_t uid);
/* \Recent (imapd_recent.c): claim the messages of folder (whose
 * UIDVALIDITY is uv) up to UID upto for this session (claim false: only
 * look, for EXAMINE and STATUS); returns the highest UID claimed before,
 * so (result, upto] are this session's recent messages. */
uint32_t imapd_recent_claim(struct imapd *d, const char *folder, uint32_t uv,
    uint32_t upto, bool claim);
/* Add UIDs lo..hi (ascending calls) to the session's recent set. */
void imapd_recent_add(struct imapd *d, uint32_t lo, uint32_t hi);
bool imapd_is_recent(const struct imapd *d, uint32_t uid);
/* "LITERAL+" or "LITERAL-" as [accessd.imap] nonsync_literals says,
 * for the CAPABILITY list. */
const char *imapd_literal_capability(const struct imapd *d);
/* Close the selected folder (no expunge). */
void imapd_unselect(struct imapd *d);

/* ---- command handlers ------------------------------------------------- */

typedef void (*imapd_cmd_fn)(struct imapd *d, struct imap_cmd *c);

/* imapd_auth.c */
void imapd_cmd_capability(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_noop(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_logout(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_starttls(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_login(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_authenticate(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_id(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_namespace(struct imapd *d, struct imap_cmd *c);
/* The CAPABILITY list for this moment (state, TLS). */
const char *imapd_capabilities(struct imapd *d);

/* imapd_mailbox.c */
void imapd_cmd_select(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_create(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_delete(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_rename(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_subscribe(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_list(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_status(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_append(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_getquota(struct imapd *d, struct imap_cmd *c);

/* imapd_fetch.c */
void imapd_cmd_fetch(struct imapd *d, struct imap_cmd *c);

/* imapd_store.c */
void imapd_cmd_store(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_expunge(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_close(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_copy(struct imapd *d, struct imap_cmd *c);
void imapd_cmd_check(struct imapd *d, struct imap_cmd *c);

/* imapd_search.c */
void imapd_cmd_search(struct imapd *d, struct imap_cmd *c);

/* imapd_idle.c */
void imapd_cmd_idle(struct imapd *d, struct imap_cmd *c);

#endif
