/*
 * mtad/mtad_hooks.h - the points of an SMTP session where milters and the
 * policy engine plug in: connect, HELO, MAIL, RCPT, end of headers and
 * end of message.
 *
 * A hook sees what the session knows at its stage and either lets the
 * session go on (MTAD_HOOK_CONTINUE) or decides the reply itself
 * (MTAD_HOOK_REPLY with code, enhanced code and text filled in). Hooks
 * run in the session process; a NULL pointer skips the stage. A REPLY at
 * EOH or EOM drops the message.
 *
 * At end of message a hook may also change the message: it reads the
 * message as queued so far (info->writer, with queue_writer_pread) and
 * fills info->edits; the session applies the edits to the queued file
 * (mtad/session_edit.c) before the commit, so a 250 still means the
 * message as changed is on stable storage.
 */
#ifndef MTAD_MTAD_HOOKS_H
#define MTAD_MTAD_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct pool;
struct queue_writer;

/* Header changes, applied in order to the client's header fields (our
 * Received: field is not counted and cannot be changed). */
enum mtad_header_op {
	MTAD_HDR_ADD,		/* append name: value after the last field */
	MTAD_HDR_INSERT,	/* insert before field index (0-based);
				 * past the end: append */
	MTAD_HDR_CHANGE,	/* the index-th (1-based) field named name
				 * gets value; "" deletes it; none such:
				 * append (unless deleting) */
};

struct mtad_header_edit {
	enum mtad_header_op op;
	size_t index;
	char *name;
	char *value;		/* folded with LF or CRLF + white space */
};

/* What an EOM hook asks to change. Zeroed before the hook runs;
 * strings and arrays are allocated in info->pool, body is a buf the
 * session frees. */
struct mtad_hook_edits {
	struct mtad_header_edit *headers;
	size_t nheaders, headers_cap;
	struct buf *body;		/* the new body; NULL: unchanged */
	char *sender;			/* new envelope sender ("" for <>);
					 * NULL: unchanged */
	char **add_rcpts;
	size_t nadd, add_cap;
	char **del_rcpts;
	size_t ndel, del_cap;
	char *quarantine;		/* reason: commit into hold/ */
	bool discard;			/* say 250, keep nothing */
};

enum mtad_hook_result { MTAD_HOOK_CONTINUE, MTAD_HOOK_REPLY };

/* What a hook may read. Pointers live for the stage's duration. */
struct mtad_hook_info {
	const char *session_id;
	const char *listener;
	const char *client_addr;
	const char *helo;		/* NULL before HELO/EHLO */
	const char *auth;		/* NULL if not authenticated */
	const char *tls_version;	/* NULL without TLS */
	const char *sender;		/* MAIL and later; "" for <> */
	const char *rcpt;		/* RCPT: the recipient at hand */
	const char *const *rcpts;	/* EOH, EOM: accepted recipients */
	size_t nrcpts;
	const char *queue_id;		/* EOH, EOM */
	const struct buf *headers;	/* EOH: the header section received */
	unsigned long long size;	/* EOM: message bytes */
	/* EOM: the queued message (our Received: field, then msg_start..
	 * the client's message), the pool for edits and the edits */
	struct queue_writer *writer;
	uint64_t msg_start;
	struct pool *pool;
	struct mtad_hook_edits *edits;
};

/* A reply decided by a hook (static strings or strings the hook keeps
 * alive until the next call). */
struct mtad_hook_reply {
	int code;
	const char *enh;
	const char *text;
};

typedef enum mtad_hook_result (*mtad_hook_fn)(void *ctx,
    const struct mtad_hook_info *info, struct mtad_hook_reply *reply);

struct mtad_hooks {
	mtad_hook_fn connect;	/* before the greeting; a REPLY is sent as
				 * the greeting (a 5xx/4xx closes) */
	mtad_hook_fn helo;
	mtad_hook_fn mail;
	mtad_hook_fn rcpt;
	mtad_hook_fn eoh;	/* once the header section is complete */
	mtad_hook_fn eom;	/* before the commit; a REPLY drops it */
	/* the transaction is abandoned (RSET, new MAIL, a reply that drops
	 * it, end of session) before or instead of EOM */
	void (*abort)(void *ctx);
	/* optional: per-session state, made at session start; its result
	 * is the ctx of this session's hooks, ended by session_end */
	void *(*session_start)(void *ctx, const char *listener,
	    const char *session_id);
	void (*session_end)(void *ctx);
	void *ctx;
};

#endif
