/*
 * mtad/session_int.h - the state of one SMTP session process, shared by
 * the session's parts: the command loop (session.c), recipient checks
 * (session_rcpt.c), AUTH (session_auth.c) and message data into the
 * queue (session_data.c).
 */
#ifndef MTAD_SESSION_INT_H
#define MTAD_SESSION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/server.h"
#include "lib/smtp_cmd.h"
#include "directory/dir.h"
#include "directory/dir_client.h"
#include "directory/dir_sasl.h"
#include "mtad/mtad.h"

struct msg_headers;
struct queue_env;
struct saslsrv;
struct smtp_data;
struct stream;

/* One accepted recipient. */
struct session_rcpt {
	char *addr;
	struct smtp_rcpt_params params;
};

/* A message while it streams in (DATA, or BDAT across chunks). */
struct session_feed {
	struct buf *headers;		/* kept for the EOH hook */
	bool eoh_done;
	bool write_failed;
	bool hook_replied;
};

struct session {
	const struct mtad *m;
	const struct server_conn *conn;
	enum mtad_listener_type type;
	bool starttls_ok;		/* listener tls = starttls, cert set */
	struct stream *st;
	struct pool *pool;		/* the session's */
	struct pool *txn_pool;		/* the current transaction's */
	struct buf *out;		/* reply being built */
	struct dir_client *dir;
	struct queue *q;
	struct saslsrv *sasl;
	struct smtp_data *data;
	unsigned ext;			/* SMTP_EXT_* offered */
	char *helo;			/* NULL before HELO/EHLO, else
					 * helo_buf */
	char helo_buf[SMTP_DOMAIN_MAX + 64];	/* a domain or a literal */
	bool esmtp;
	unsigned errors;
	bool quit;			/* close after the reply */
	/* authentication */
	char *auth_user;		/* NULL if not authenticated */
	struct dir_entry *auth_entry;
	struct dir_sasl gss;		/* GSSAPI's principal check */
	/* transaction */
	bool has_mail;
	char *sender;			/* "" for <> */
	struct smtp_mail_params mail;
	struct session_rcpt *rcpts;
	size_t nrcpts, rcpts_cap;
	struct queue_writer *writer;	/* BDAT in progress */
	uint64_t msg_start;		/* first byte after our Received: */
	void *hctx;			/* the hooks' ctx for this session */
	struct session_feed bdat;	/* the BDAT message in progress */
	uint8_t *chunk_in, *chunk_out;	/* BDAT read and decode buffers */
};

/* Append a reply (counting errors) to s->out. */
void session_reply(struct session *s, int code, const char *enh,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Forget the transaction (MAIL, RCPTs, a BDAT in progress). */
void session_txn_reset(struct session *s);
/* Fill a hook's view of the session. */
void session_hook_info(const struct session *s, struct mtad_hook_info *hi);
/* Run hook fn; true if it decided the reply (already appended). */
bool session_hook(struct session *s, mtad_hook_fn fn,
    struct mtad_hook_info *hi);

/* RCPT TO (session_rcpt.c). */
void session_rcpt(struct session *s, const struct smtp_cmd *cmd);
/* MAIL FROM's sender check for authenticated users: 0 if allowed. */
bool session_sender_allowed(struct session *s, const char *sender);

/* AUTH (session_auth.c); start a SASL session for the current TLS state. */
void session_auth_reset(struct session *s);
void session_auth(struct session *s, const struct smtp_cmd *cmd);
bool session_auth_allowed_plain(const struct session *s);

/* End-of-message edits (session_edit.c): apply e to s->writer's message
 * and to env (sender, recipients; hold/ for quarantine; no recipients
 * left sets e->discard). Frees e->body. 0, or -1 after replying 451. */
int session_edit_apply(struct session *s, struct mtad_hook_edits *e,
    struct queue_env *env, const char *qid);
/* The header block p (fields h, fields ending at block_end, before the
 * blank line) with edits ed[ned] applied, appended to out (without the
 * blank line). 0, or -1 past out's ceiling. */
int session_edit_headers(const uint8_t *p, const struct msg_headers *h,
    size_t block_end, const struct mtad_header_edit *ed, size_t ned,
    struct buf *out);

/* DATA and BDAT (session_data.c). */
void session_data(struct session *s);
void session_bdat(struct session *s, const struct smtp_cmd *cmd);

#endif
