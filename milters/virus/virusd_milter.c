/*
 * milters/virus/virusd_milter.c - the libmilter callbacks of
 * tessera-virusd: buffer the header and body of each message, scan it at
 * end of message, reply, add a header or quarantine.
 *
 * Runs in the milter process, one libmilter thread per MTA connection.
 * What the MTA sends is the client's mail, hostile: it is only stored
 * (capped by max_message_size) and handed to libclamav. libmilter gives
 * its callbacks no context pointer, so the configuration and the engine
 * slot are reached through one file-level pointer, set once before
 * libmilter starts its threads and never changed while they run.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#include <libmilter/mfapi.h>

#include "milters/milter_common.h"
#include "milters/virus/virusd_milter.h"
#include "milters/virus/virusd_spool.h"
#include "milters/virus/virusd_verdict.h"
#include "lib/banned.h"

struct milter_state {
	const struct virusd_config *cfg;
	struct virusd_engine_slot *slot;
};

static const struct milter_state *state;

/* One MTA connection. */
struct conn {
	struct virusd_spool *spool;
	struct buf *err;
	bool failed;		/* the spool failed for this message */
};

static struct conn *
conn_of(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->spool = virusd_spool_new(state->cfg->max_message_size,
		    state->cfg->memory_size, state->cfg->temp_dir);
		c->err = buf_new(128, 1024);
		smfi_setpriv(ctx, c);
	}
	return c;
}

static void
conn_reset(struct conn *c)
{
	virusd_spool_reset(c->spool);
	buf_reset(c->err);
	c->failed = false;
}

static const char *
queue_id(SMFICTX *ctx)
{
	const char *id = smfi_getsymval(ctx, "i");

	return id != NULL && id[0] != '\0' ? id : "-";
}

static void
add(SMFICTX *ctx, struct conn *c, const void *p, size_t len)
{
	if (c->failed)
		return;
	if (virusd_spool_append(c->spool, p, len, c->err) == -1) {
		log_error("virusd: qid=%s cannot buffer the message: %s",
		    queue_id(ctx), buf_cstr(c->err));
		c->failed = true;
	}
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	conn_reset(conn_of(ctx));
	return SMFIS_CONTINUE;
}

/* add() for the milter_text_* helpers. */
struct text_arg {
	SMFICTX *ctx;
	struct conn *c;
};

static void
add_text(void *arg, const void *p, size_t len)
{
	struct text_arg *t = arg;

	add(t->ctx, t->c, p, len);
}

/* The message is rebuilt as RFC 5322 text so that libclamav's mail
 * parser finds the MIME structure. */
static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct text_arg t = { ctx, conn_of(ctx) };

	milter_text_header(add_text, &t, name, value);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct text_arg t = { ctx, conn_of(ctx) };

	milter_text_eoh(add_text, &t);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	add(ctx, conn_of(ctx), p, len);
	return SMFIS_CONTINUE;
}

static void
scan(struct conn *c, struct virusd_result *r)
{
	struct virusd_engine *e;

	if (c->failed) {
		r->status = VIRUSD_ERROR;
		(void)str_copy(r->name, sizeof(r->name),
		    "the message could not be buffered");
		return;
	}
	e = virusd_engine_slot_get(state->slot);
	virusd_spool_scan(c->spool, e, r);
	virusd_engine_release(&e);
}

static sfsistat
act(SMFICTX *ctx, const struct virusd_decision *d)
{
	if (d->header_name[0] != '\0' &&
	    smfi_addheader(ctx, (char *)d->header_name,
	    (char *)d->header_value) != MI_SUCCESS)
		log_warn("virusd: qid=%s cannot add header %s",
		    queue_id(ctx), d->header_name);
	switch (d->verdict) {
	case VIRUSD_VERDICT_ACCEPT:
		return SMFIS_CONTINUE;
	case VIRUSD_VERDICT_QUARANTINE:
		if (smfi_quarantine(ctx, (char *)d->reason) != MI_SUCCESS) {
			/* the MTA cannot hold it: do not let it through */
			log_error("virusd: qid=%s quarantine refused by the"
			    " MTA, tempfail", queue_id(ctx));
			smfi_setreply(ctx, "451", "4.7.1",
			    "Message held for virus, try again later");
			return SMFIS_TEMPFAIL;
		}
		return SMFIS_CONTINUE;
	case VIRUSD_VERDICT_TEMPFAIL:
	case VIRUSD_VERDICT_REJECT:
		smfi_setreply(ctx, (char *)d->code, (char *)d->xcode,
		    (char *)d->text);
		return d->verdict == VIRUSD_VERDICT_TEMPFAIL ?
		    SMFIS_TEMPFAIL : SMFIS_REJECT;
	}
	return SMFIS_TEMPFAIL;
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);
	struct virusd_result r;
	struct virusd_decision d;
	struct buf *esc = buf_new(64, 1024);
	sfsistat rc;

	scan(c, &r);
	virusd_verdict_decide(state->cfg, &r, &d);
	log_info("virusd: qid=%s result=%s name=\"%s\" verdict=%s size=%llu"
	    " spilled=%s", queue_id(ctx), virusd_status_name(r.status),
	    log_escape(esc, r.name, strlen(r.name)),
	    virusd_verdict_name(d.verdict),
	    (unsigned long long)virusd_spool_size(c->spool),
	    virusd_spool_spilled(c->spool) ? "yes" : "no");
	buf_free(&esc);
	rc = act(ctx, &d);
	conn_reset(c);
	return rc;
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		conn_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		virusd_spool_free(&c->spool);
		buf_free(&c->err);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static void
on_listen(void *arg)
{
	log_info("virusd: listening on %s", (const char *)arg);
}

int
virusd_milter_run(const struct virusd_config *cfg,
    struct virusd_engine_slot *slot)
{
	static struct milter_state st;
	struct smfiDesc desc = {
		.xxfi_name = (char *)"tessera-virusd",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS | SMFIF_QUARANTINE,
		.xxfi_envfrom = cb_envfrom,
		.xxfi_header = cb_header,
		.xxfi_eoh = cb_eoh,
		.xxfi_body = cb_body,
		.xxfi_eom = cb_eom,
		.xxfi_abort = cb_abort,
		.xxfi_close = cb_close,
	};

	st.cfg = cfg;
	st.slot = slot;
	state = &st;
	/* libmilter's own timeout (smfi_settimeout) is left at its
	 * default: it only bounds writes to the MTA, which is trusted, and
	 * libmilter waits for MTA commands without a limit. */
	switch (milter_serve(cfg->socket, &desc, -1, on_listen,
	    (void *)cfg->socket)) {
	case MILTER_SERVE_SETUP:
		log_error("virusd: cannot set up the milter on %s",
		    cfg->socket);
		return -1;
	case MILTER_SERVE_LISTEN:
		log_error("virusd: cannot listen on %s", cfg->socket);
		return -1;
	case MILTER_SERVE_MAIN:
		log_error("virusd: the milter stopped with an error");
		return -1;
	case MILTER_SERVE_OK:
		break;
	}
	return 0;
}
