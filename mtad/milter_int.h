/*
 * mtad/milter_int.h - the state of a session's milter chain, shared by
 * the stages before the message (mtad/milter.c) and the message itself
 * with its modifications (mtad/milter_eom.c).
 */
#ifndef MTAD_MILTER_INT_H
#define MTAD_MILTER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"
#include "mtad/milter.h"
#include "mtad/milter_config.h"
#include "mtad/milter_conn.h"
#include "mtad/mtad_hooks.h"

struct pool;

struct milter {
	const struct cfg *cfg;
	const char *hostname;
	uint64_t body_max;
};

/* One milter of a session. */
struct milter_one {
	struct milter_link link;
	struct milter_conn conn;
	bool on;			/* connected and used */
	bool in_msg;			/* MAIL sent, no EOM, no final reply */
	bool msg_done;			/* accepted or out of this message */
};

struct milter_session {
	const struct milter *m;
	struct pool *pool;
	const char *session_id;
	const char *listener;
	struct milter_one *ms;
	size_t n;
	bool tempfail;			/* a milter is down: 451 at MAIL */
	bool discard_session;		/* DISCARD before MAIL */
	bool discard;			/* DISCARD in this transaction */
	char text[1024];		/* the last reply's text */
	char enh[16];
};

/* How a stage ended for the chain. */
enum milter_verdict {
	MILTER_GO,			/* continue with the next milter */
	MILTER_DONE,			/* this milter is out of the message */
	MILTER_REPLY,			/* the reply is decided */
};

/* A milter failed (I/O, timeout, garbage): log, close it, apply its
 * default action. MILTER_REPLY with 451 4.7.1 (tempfail), else
 * MILTER_DONE. */
enum milter_verdict milter_fail(struct milter_session *s,
    struct milter_one *o, const char *stage, const char *err,
    struct mtad_hook_reply *r);
/* Act on final reply rep of milter o at stage. */
enum milter_verdict milter_final(struct milter_session *s,
    struct milter_one *o, const char *stage, const struct milter_reply *rep,
    struct mtad_hook_reply *r);
/* Send the packets in o's buffer and, unless nr, read the stage's reply
 * and act on it. */
enum milter_verdict milter_step(struct milter_session *s,
    struct milter_one *o, const char *stage, bool nr,
    struct mtad_hook_reply *r);

/* The EOM hook (milter_eom.c). */
enum mtad_hook_result milter_eom(void *ctx, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r);

#endif
