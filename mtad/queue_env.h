/*
 * mtad/queue_env.h - the envelope block of a queue file: what it holds,
 * how it is written and the strict parser that reads it back.
 *
 * A queue file is the envelope, then a blank line, then the message bytes
 * as received (with mtad's Received: header first). The envelope is text,
 * one "key value" line each, in exactly this order:
 *
 *   tessera-queue 1                 format version
 *   id 0SF6Y8B2Q5K00A8H00           queue id (equals the file name)
 *   arrival 1764970000              unix seconds
 *   client-addr 192.0.2.7           address of the SMTP client
 *   client-name mx.example.org      its verified name, - if none
 *   helo mx.example.org             HELO/EHLO argument
 *   auth alice                      SASL identity, - if none
 *   tls-version TLS1.3              -, if no TLS
 *   tls-cipher AES-256-GCM          -, if no TLS
 *   size 4096                       message bytes after the blank line
 *   mail-from alice@example.org     envelope sender, - for <>
 *   mail-size 4096                  MAIL SIZE= (0: none given)
 *   mail-body 8BITMIME              MAIL BODY=: - 7BIT 8BITMIME BINARYMIME
 *   mail-smtputf8 no                MAIL SMTPUTF8: yes no
 *   mail-ret -                      MAIL RET=: - FULL HDRS
 *   mail-envid -                    MAIL ENVID= (decoded from xtext)
 *   rcpt-count 1                    number of rcpt lines that follow
 *   rcpt bob@example.test orcpt=rfc822;bob@example.test notify=-
 *     state=pending attempts=0 next=0 reply=-   (one line, wrapped here)
 *   ######                          zero or more padding lines ('#' only)
 *   (blank line)
 *
 * A recipient line is the address, then orcpt= (ORCPT, "type;value", as
 * given), notify= (- or NEVER, or SUCCESS,FAILURE,DELAY in that order, any
 * of them), state= (pending delivered deferred bounced), attempts=,
 * next= (unix seconds of the next try, 0 = now) and reply= (last reply).
 *
 * Values are escaped so no value can break a line or a token: bytes
 * 0x21-0x7E except '%' stand for themselves, every other byte is %XX
 * (uppercase hex); an empty value is "-" and the value "-" is "%2D".
 * The escaping is canonical (a %XX for a byte that needs none is an
 * error) and NUL is refused, so a hostile address with CR, LF, spaces or
 * NUL can neither add a line nor hide one.
 *
 * The parser is strict (every key once, in order, no extra space, numbers
 * in range), bounded (each line at most line_max bytes, at most rcpt_max
 * recipients, padding at most as many lines as the envelope has), and
 * pure: bytes and limits in, a struct out. tests/fuzz/queue_envelope_fuzz.c
 * drives it.
 */
#ifndef MTAD_QUEUE_ENV_H
#define MTAD_QUEUE_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtad/queue_id.h"

struct buf;
struct pool;
struct queue_limits;

#define QUEUE_FORMAT_VERSION 1
/* Longest reply text kept per recipient; longer replies are cut. */
#define QUEUE_REPLY_MAX 512
/* Lines of an envelope besides recipients and padding. */
#define QUEUE_ENV_FIXED_LINES 17

enum queue_rcpt_state {
	QUEUE_RCPT_PENDING,	/* not tried yet */
	QUEUE_RCPT_DELIVERED,	/* final: accepted by the next hop */
	QUEUE_RCPT_DEFERRED,	/* temporary failure, tried again at next */
	QUEUE_RCPT_BOUNCED,	/* final: permanent failure or expiry */
};

/* DSN NOTIFY (RFC 3461); 0 means the parameter was not given. */
#define QUEUE_NOTIFY_NEVER 0x1u
#define QUEUE_NOTIFY_SUCCESS 0x2u
#define QUEUE_NOTIFY_FAILURE 0x4u
#define QUEUE_NOTIFY_DELAY 0x8u

enum queue_body { QUEUE_BODY_NONE, QUEUE_BODY_7BIT, QUEUE_BODY_8BITMIME,
	QUEUE_BODY_BINARYMIME };
enum queue_ret { QUEUE_RET_NONE, QUEUE_RET_FULL, QUEUE_RET_HDRS };

struct queue_rcpt {
	char *addr;			/* without <> */
	char *orcpt;			/* "" if none */
	unsigned notify;		/* QUEUE_NOTIFY_* */
	enum queue_rcpt_state state;
	uint32_t attempts;
	uint64_t next_try;		/* unix seconds, 0 = now */
	char *reply;			/* last reply, "" if none */
};

/* Strings are NUL-terminated and never NULL once parsed; when writing,
 * NULL stands for "" (none). */
struct queue_env {
	char id[QUEUE_ID_MAX];
	uint64_t arrival;		/* unix seconds */
	char *client_addr;
	char *client_name;
	char *helo;
	char *auth;
	char *tls_version;
	char *tls_cipher;
	uint64_t size;			/* message bytes (set by the commit) */
	char *sender;			/* "" for the null sender <> */
	uint64_t mail_size;		/* SIZE=, 0 if not given */
	enum queue_body body;
	bool smtputf8;
	enum queue_ret ret;
	char *envid;
	struct queue_rcpt *rcpts;
	size_t nrcpts;
};

/* Append the envelope lines of env (no padding, no blank line) to out.
 * 0, or -1 with *err_out (static text) if a line would exceed line_max,
 * there are no or more than rcpt_max recipients, the notify bits are not
 * a valid combination, or out's ceiling was reached. */
int queue_env_format(const struct queue_env *env,
    const struct queue_limits *lim, struct buf *out, const char **err_out);

/* Parse an envelope at the start of p[len]. Returns 1 with *env filled
 * (strings and recipients allocated in pool) and *body_off_out the offset
 * of the first message byte (after the blank line); 0 if p ends before
 * the blank line and no limit is crossed yet (read more and call again
 * with the longer input); -1 with *err_out (static text) if the input is
 * malformed or crosses a limit. */
int queue_env_parse(const uint8_t *p, size_t len,
    const struct queue_limits *lim, struct pool *pool, struct queue_env *env,
    size_t *body_off_out, const char **err_out);

/* Longest envelope (with padding and blank line) the parser accepts. */
size_t queue_env_max_len(const struct queue_limits *lim);

/* Append s escaped as a token (see above); NULL is "". 0 or -1 (ceiling). */
int queue_esc_append(struct buf *out, const char *s);
/* Decode the token p[len] into pool. 0 with *s_out, or -1 (bad escape,
 * NUL, not canonical, empty). */
int queue_esc_decode(const char *p, size_t len, struct pool *pool,
    char **s_out);

/* "pending" ... and back. parse: 0, or -1 if unknown. */
const char *queue_rcpt_state_name(enum queue_rcpt_state s);
int queue_rcpt_state_parse(const char *p, size_t len,
    enum queue_rcpt_state *out);
/* Whether the recipient needs no more delivery attempts. */
bool queue_rcpt_is_final(enum queue_rcpt_state s);
/* Whether every recipient of env is final: the message may be deleted
 * (once its bounces are queued). */
bool queue_env_is_done(const struct queue_env *env);
/* Earliest next_try of env's recipients that are not final (0: due now),
 * UINT64_MAX if every recipient is final. */
uint64_t queue_env_next_try(const struct queue_env *env);

#endif
