/*
 * mtad/mtad_hooks.h - the points of an SMTP session where milters and the
 * policy engine plug in: connect, HELO, MAIL, RCPT, end of headers and
 * end of message.
 *
 * A hook sees what the session knows at its stage and either lets the
 * session go on (MTAD_HOOK_CONTINUE) or decides the reply itself
 * (MTAD_HOOK_REPLY with code, enhanced code and text filled in). Hooks
 * cannot change the message yet (milter header edits will need the
 * writer to leave room; not done). Hooks run in the session process; a
 * NULL pointer skips the stage. A REPLY at EOH or EOM drops the message.
 */
#ifndef MTAD_MTAD_HOOKS_H
#define MTAD_MTAD_HOOKS_H

#include <stddef.h>

struct buf;

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
	void *ctx;
};

#endif
