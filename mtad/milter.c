/*
 * mtad/milter.c - the milter chain of one SMTP session as mtad hooks:
 * per-session connections, CONNECT, HELO, MAIL and RCPT with their
 * macros, replies turned into SMTP replies, ABORT and QUIT. The message
 * itself (DATA .. end of message, modifications) is mtad/milter_eom.c.
 *
 * Runs in the SMTP session process. Milters run in the configured
 * order; the first that decides a reply ends the stage. A milter that is
 * down, too slow or answers garbage is closed and its default_action
 * applies: tempfail (451 4.7.1) or accept (go on without it).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mtad/milter_int.h"
#include "lib/banned.h"

#define TEMPFAIL_TEXT "Service unavailable - try again later"

struct milter *
milter_new(const struct cfg *c, const char *hostname, uint64_t body_max)
{
	struct milter *m;

	if (cfg_instances(c, "milter", NULL, NULL) == 0)
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->cfg = c;
	m->hostname = hostname;
	m->body_max = body_max > 0 ? body_max : 64ULL * 1024 * 1024;
	return m;
}

void
milter_free(struct milter **mp)
{
	free(*mp);
	*mp = NULL;
}

enum milter_verdict
milter_fail(struct milter_session *s, struct milter_one *o,
    const char *stage, const char *err, struct mtad_hook_reply *r)
{
	bool tf = o->link.def->default_action == MILTER_DEFAULT_TEMPFAIL;

	log_warn("event=milter-error session=%s milter=%s stage=%s error=\"%s\""
	    " action=%s", s->session_id, o->link.name, stage, err,
	    tf ? "tempfail" : "accept");
	milter_conn_close(&o->conn, false);
	o->on = false;
	o->in_msg = false;
	o->msg_done = true;
	if (!tf)
		return MILTER_DONE;
	s->tempfail = true;	/* and 451 at every MAIL from now on */
	r->code = 451;
	r->enh = "4.7.1";
	r->text = TEMPFAIL_TEXT;
	return MILTER_REPLY;
}

enum milter_verdict
milter_final(struct milter_session *s, struct milter_one *o,
    const char *stage, const struct milter_reply *rep,
    struct mtad_hook_reply *r)
{
	const char *what;

	switch (rep->cmd) {
	case MILTER_R_CONTINUE:
		return MILTER_GO;
	case MILTER_R_ACCEPT:
		o->in_msg = false;
		o->msg_done = true;
		log_info("event=milter-accept session=%s milter=%s stage=%s",
		    s->session_id, o->link.name, stage);
		return MILTER_DONE;
	case MILTER_R_DISCARD:
		o->in_msg = false;
		o->msg_done = true;
		s->discard = true;
		log_info("event=milter-discard session=%s milter=%s stage=%s",
		    s->session_id, o->link.name, stage);
		return MILTER_DONE;
	case MILTER_R_REJECT:
		r->code = 550;
		r->enh = "5.7.1";
		r->text = "Command rejected";
		what = "reject";
		break;
	case MILTER_R_TEMPFAIL:
	case MILTER_R_SHUTDOWN:
	case MILTER_R_CONN_FAIL:
		r->code = 451;
		r->enh = "4.7.1";
		r->text = TEMPFAIL_TEXT;
		what = "tempfail";
		break;
	case MILTER_R_REPLYCODE:
		str_copy(s->text, sizeof(s->text), rep->text);
		str_copy(s->enh, sizeof(s->enh), rep->enh[0] != '\0' ?
		    rep->enh : rep->code >= 500 ? "5.7.1" : "4.7.1");
		r->code = rep->code;
		r->enh = s->enh;
		r->text = s->text[0] != '\0' ? s->text : rep->code >= 500 ?
		    "Command rejected" : TEMPFAIL_TEXT;
		what = "replycode";
		break;
	default:
		return milter_fail(s, o, stage, pool_printf(s->pool,
		    "unexpected reply 0x%02x", (unsigned char)rep->cmd), r);
	}
	{
		struct buf *e = buf_new(256, 4096);

		log_info("event=milter-reply session=%s milter=%s stage=%s"
		    " action=%s code=%d enh=%s text=\"%s\"", s->session_id,
		    o->link.name, stage, what, r->code, r->enh,
		    log_escape(e, r->text, strlen(r->text)));
		buf_free(&e);
	}
	return MILTER_REPLY;
}

enum milter_verdict
milter_step(struct milter_session *s, struct milter_one *o, const char *stage,
    bool nr, struct mtad_hook_reply *r)
{
	struct milter_reply rep;
	const char *err;

	if (milter_conn_send(&o->conn, &err) == -1)
		return milter_fail(s, o, stage, err, r);
	if (nr)
		return MILTER_GO;
	for (;;) {
		if (milter_conn_read(&o->conn, o->link.def->command_timeout,
		    &rep, &err) == -1)
			return milter_fail(s, o, stage, err, r);
		if (rep.cmd != MILTER_R_PROGRESS)
			break;
	}
	if (rep.cmd == MILTER_R_SKIP)
		return milter_fail(s, o, stage, "SKIP outside the body", r);
	return milter_final(s, o, stage, &rep, r);
}

static void *
session_start(void *ctx, const char *listener, const char *session_id)
{
	const struct milter *m = ctx;
	struct milter_session *s;
	struct pool *pool = pool_new("milter");
	struct milter_link *links;

	s = pool_alloc(pool, sizeof(*s));
	s->m = m;
	s->pool = pool;
	s->session_id = pool_strdup(pool, session_id);
	s->listener = pool_strdup(pool, listener);
	s->n = milter_config_chain(m->cfg, listener, pool, &links);
	s->ms = pool_alloc(pool, (s->n + 1) * sizeof(*s->ms));
	for (size_t i = 0; i < s->n; i++)
		s->ms[i].link = links[i];
	return s;
}

static void
session_end(void *ctx)
{
	struct milter_session *s = ctx;
	struct pool *pool = s->pool;

	for (size_t i = 0; i < s->n; i++)
		if (s->ms[i].on)
			milter_conn_close(&s->ms[i].conn, true);
		else
			milter_conn_close(&s->ms[i].conn, false);
	pool_free(&pool);
}

static void
abort_txn(void *ctx)
{
	struct milter_session *s = ctx;

	for (size_t i = 0; i < s->n; i++) {
		struct milter_one *o = &s->ms[i];
		const char *err;

		if (o->on && o->in_msg) {
			if (milter_put(o->conn.out, MILTER_CMD_ABORT, NULL, 0)
			    == -1 || milter_conn_send(&o->conn, &err) == -1) {
				struct mtad_hook_reply r;

				(void)milter_fail(s, o, "abort", "send failed",
				    &r);
			}
		}
		o->in_msg = false;
		o->msg_done = false;
	}
	s->discard = s->discard_session;
}

static enum mtad_hook_result
verdict_result(enum milter_verdict v)
{
	return v == MILTER_REPLY ? MTAD_HOOK_REPLY : MTAD_HOOK_CONTINUE;
}

static enum mtad_hook_result
hook_connect(void *ctx, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r)
{
	struct milter_session *s = ctx;
	char name[80];

	snprintf(name, sizeof(name), "[%s]", hi->client_addr);
	for (size_t i = 0; i < s->n; i++) {
		struct milter_one *o = &s->ms[i];
		const char *err;
		const char *mac[] = { "j", s->m->hostname, "{daemon_name}",
			"mtad", "v", "Tessera", "_", name, "{client_addr}",
			hi->client_addr, "{client_name}", name,
			"{client_ptr}", name, "{if_name}", s->m->hostname };
		enum milter_verdict v;

		if (milter_conn_open(&o->conn, o->link.name, o->link.def,
		    s->pool, &err) == -1) {
			(void)milter_fail(s, o, "connect", err, r);
			continue;
		}
		o->on = true;
		log_debug("event=milter-open session=%s milter=%s actions=0x%x"
		    " protocol=0x%x", s->session_id, o->link.name,
		    o->conn.actions, o->conn.protocol);
		if (o->conn.protocol & MILTER_P_NOCONNECT)
			continue;
		if (milter_put_macros(o->conn.out, MILTER_CMD_CONNECT, mac,
		    sizeof(mac) / sizeof(mac[0]) / 2) == -1 ||
		    milter_put_connect(o->conn.out, name, hi->client_addr, 0)
		    == -1) {
			v = milter_fail(s, o, "connect", "packet too large", r);
		} else
			v = milter_step(s, o, "connect",
			    o->conn.protocol & MILTER_P_NR_CONN, r);
		if (v == MILTER_REPLY && r->code != 451) {
			/* a greeting refuses with 554 or 421 */
			r->code = r->code >= 500 ? 554 : 421;
			return MTAD_HOOK_REPLY;
		}
		if (v == MILTER_REPLY)
			s->tempfail = true;	/* 451 from MAIL on */
		if (v == MILTER_DONE && o->on) {
			if (s->discard) {
				s->discard_session = true;
				continue;
			}
			/* accepted: nothing more for this session */
			milter_conn_close(&o->conn, true);
			o->on = false;
		}
	}
	return MTAD_HOOK_CONTINUE;
}

static enum mtad_hook_result
hook_helo(void *ctx, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r)
{
	struct milter_session *s = ctx;

	for (size_t i = 0; i < s->n; i++) {
		struct milter_one *o = &s->ms[i];
		const char *mac[] = { "{tls_version}", hi->tls_version };
		const char *arg[] = { hi->helo };
		enum milter_verdict v;

		if (!o->on || (o->conn.protocol & MILTER_P_NOHELO))
			continue;
		if (milter_put_macros(o->conn.out, MILTER_CMD_HELO, mac, 1) ==
		    -1 || milter_put_strings(o->conn.out, MILTER_CMD_HELO, arg,
		    1) == -1)
			v = milter_fail(s, o, "helo", "packet too large", r);
		else
			v = milter_step(s, o, "helo",
			    o->conn.protocol & MILTER_P_NR_HELO, r);
		if (v == MILTER_REPLY)
			return MTAD_HOOK_REPLY;
	}
	return MTAD_HOOK_CONTINUE;
}

static enum mtad_hook_result
hook_mail(void *ctx, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r)
{
	struct milter_session *s = ctx;
	char *path = pool_printf(s->pool, "<%s>", hi->sender);

	if (s->tempfail) {
		r->code = 451;
		r->enh = "4.7.1";
		r->text = TEMPFAIL_TEXT;
		log_info("event=reject stage=mail session=%s from=<%s> code=451"
		    " enh=4.7.1 reason=milter-unavailable", s->session_id,
		    hi->sender);
		return MTAD_HOOK_REPLY;
	}
	s->discard = s->discard_session;
	for (size_t i = 0; i < s->n; i++) {
		struct milter_one *o = &s->ms[i];
		const char *mac[] = { "{mail_addr}", hi->sender,
			"{auth_authen}", hi->auth, "{mail_mailer}", "smtp" };
		const char *arg[] = { path };
		enum milter_verdict v;

		o->msg_done = false;
		if (!o->on)
			continue;
		o->in_msg = true;
		if (o->conn.protocol & MILTER_P_NOMAIL)
			continue;
		if (milter_put_macros(o->conn.out, MILTER_CMD_MAIL, mac, 3) ==
		    -1 || milter_put_strings(o->conn.out, MILTER_CMD_MAIL, arg,
		    1) == -1)
			v = milter_fail(s, o, "mail", "packet too large", r);
		else
			v = milter_step(s, o, "mail",
			    o->conn.protocol & MILTER_P_NR_MAIL, r);
		if (v == MILTER_REPLY)
			return verdict_result(v);
	}
	return MTAD_HOOK_CONTINUE;
}

static enum mtad_hook_result
hook_rcpt(void *ctx, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r)
{
	struct milter_session *s = ctx;
	char *path = pool_printf(s->pool, "<%s>", hi->rcpt);
	const char *at = strrchr(hi->rcpt, '@');

	for (size_t i = 0; i < s->n; i++) {
		struct milter_one *o = &s->ms[i];
		const char *mac[] = { "{rcpt_addr}", hi->rcpt, "{rcpt_host}",
			at != NULL ? at + 1 : "", "{rcpt_mailer}", "smtp" };
		const char *arg[] = { path };
		enum milter_verdict v;

		if (!o->on || o->msg_done || (o->conn.protocol &
		    MILTER_P_NORCPT))
			continue;
		if (milter_put_macros(o->conn.out, MILTER_CMD_RCPT, mac, 3) ==
		    -1 || milter_put_strings(o->conn.out, MILTER_CMD_RCPT, arg,
		    1) == -1)
			v = milter_fail(s, o, "rcpt", "packet too large", r);
		else
			v = milter_step(s, o, "rcpt",
			    o->conn.protocol & MILTER_P_NR_RCPT, r);
		if (v == MILTER_REPLY)
			return MTAD_HOOK_REPLY;
	}
	return MTAD_HOOK_CONTINUE;
}

void
milter_hooks(struct milter *m, struct mtad_hooks *h)
{
	h->connect = hook_connect;
	h->helo = hook_helo;
	h->mail = hook_mail;
	h->rcpt = hook_rcpt;
	h->eom = milter_eom;
	h->abort = abort_txn;
	h->session_start = session_start;
	h->session_end = session_end;
	h->ctx = m;
}
