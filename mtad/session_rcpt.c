/*
 * mtad/session_rcpt.c - RCPT TO: the recipient resolved through the lookup
 * process (dir_client), relay control, group sender policies, the
 * recipient limit; and the sender check of authenticated users at MAIL.
 *
 * A directory that cannot be asked is always 451 4.4.3, never 550.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "lib/str.h"
#include "mtad/session_int.h"
#include "lib/banned.h"

/* A rejection: reply and one log line. */
static void
reject(struct session *s, const char *rcpt, int code, const char *enh,
    const char *reason, const char *text, const char *dn)
{
	session_reply(s, code, enh, "<%s>: %s", rcpt, text);
	log_info("event=reject stage=rcpt client=%s from=<%s> to=<%s> code=%d"
	    " enh=%s reason=%s%s%s", s->conn->client_addr,
	    s->sender != NULL ? s->sender : "", rcpt, code, enh, reason,
	    dn != NULL ? " entry=" : "", dn != NULL ? dn : "");
}

static void
tempfail(struct session *s, const char *rcpt, const struct dir_info *info)
{
	session_reply(s, 451, "4.4.3", "<%s>: Directory unavailable, try"
	    " again later", rcpt);
	log_warn("event=reject stage=rcpt client=%s from=<%s> to=<%s>"
	    " code=451 enh=4.4.3 reason=directory-unavailable error=%s",
	    s->conn->client_addr, s->sender != NULL ? s->sender : "", rcpt,
	    info->error != NULL ? info->error : "-");
}

static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : NULL;
}

/* May the current sender write to group g? FOUND yes, NOTFOUND no,
 * TEMPFAIL unknown (info filled). */
static enum dir_result
group_allows(struct session *s, const struct dir_entry *g,
    struct dir_info *info)
{
	const char *dom;

	switch (g->sender_policy) {
	case DIR_SENDERS_ANYONE:
		return DIR_FOUND;
	case DIR_SENDERS_INTERNAL:
		if (s->auth_user != NULL)
			return DIR_FOUND;
		dom = domain_of(s->sender);
		if (dom == NULL)
			return DIR_NOTFOUND;
		return dir_client_domain_accepted(s->dir, dom, s->txn_pool,
		    info);
	case DIR_SENDERS_MEMBERS:
		if (s->sender[0] == '\0')
			return DIR_NOTFOUND;
		return dir_client_group_has_member(s->dir, g, s->sender,
		    s->txn_pool, info);
	case DIR_SENDERS_LISTED:
		for (size_t i = 0; i < g->n_allowed_sender_addresses; i++)
			if (strcasecmp(g->allowed_sender_addresses[i],
			    s->sender) == 0)
				return DIR_FOUND;
		if (s->auth_entry != NULL)
			for (size_t i = 0; i < g->n_allowed_senders; i++)
				if (strcasecmp(g->allowed_senders[i],
				    s->auth_entry->dn) == 0)
					return DIR_FOUND;
		return DIR_NOTFOUND;
	}
	return DIR_NOTFOUND;
}

static void
accept_rcpt(struct session *s, const struct smtp_cmd *cmd, const char *rcpt)
{
	struct mtad_hook_info hi;
	struct session_rcpt *r;

	session_hook_info(s, &hi);
	hi.rcpt = rcpt;
	if (session_hook(s, s->m->hooks.rcpt, &hi))
		return;
	if (s->nrcpts == s->rcpts_cap) {
		size_t cap = s->rcpts_cap ? s->rcpts_cap * 2 : 8;
		struct session_rcpt *n = pool_alloc(s->txn_pool,
		    cap * sizeof(*n));

		if (s->nrcpts > 0)
			memcpy(n, s->rcpts, s->nrcpts * sizeof(*n));
		s->rcpts = n;
		s->rcpts_cap = cap;
	}
	r = &s->rcpts[s->nrcpts++];
	r->addr = pool_strdup(s->txn_pool, rcpt);
	r->params = cmd->rcpt;	/* its strings live in the command's pool */
	if (r->params.orcpt != NULL)
		r->params.orcpt = pool_printf(s->txn_pool, "%s;%s",
		    r->params.orcpt_type, r->params.orcpt);
	r->params.orcpt_type = NULL;
	session_reply(s, 250, "2.1.5", "Ok");
}

void
session_rcpt(struct session *s, const struct smtp_cmd *cmd)
{
	struct dir_info info = { 0 };
	struct dir_entry *e = NULL;
	const char *rcpt = cmd->path.addr;
	enum dir_result r;

	if (!s->has_mail) {
		session_reply(s, 503, "5.5.1", "Need MAIL before RCPT");
		return;
	}
	if (s->nrcpts >= (size_t)s->m->mc->max_recipients) {
		reject(s, rcpt, 452, "4.5.3", "too-many-recipients",
		    "Too many recipients", NULL);
		return;
	}
	if (cmd->path.is_postmaster) {
		accept_rcpt(s, cmd, "postmaster");
		return;
	}
	r = dir_client_domain_accepted(s->dir, cmd->path.domain_ascii,
	    s->txn_pool, &info);
	if (r == DIR_TEMPFAIL) {
		tempfail(s, rcpt, &info);
		return;
	}
	if (r == DIR_NOTFOUND) {
		if (s->auth_user != NULL) {
			accept_rcpt(s, cmd, rcpt);	/* relay */
			return;
		}
		reject(s, rcpt, 554, "5.7.1", "relay-denied",
		    "Relay access denied", NULL);
		return;
	}
	r = dir_client_lookup_address(s->dir, rcpt, s->txn_pool, &e, &info);
	if (r == DIR_TEMPFAIL) {
		tempfail(s, rcpt, &info);
		return;
	}
	if (r == DIR_NOTFOUND) {
		reject(s, rcpt, 550, "5.1.1", "unknown-user",
		    "Recipient address rejected: User unknown", NULL);
		return;
	}
	if (e->kind == DIR_KIND_USER && e->state == DIR_STATE_DISABLED) {
		reject(s, rcpt, 550, "5.2.1", "disabled",
		    "Recipient mailbox disabled", e->dn);
		return;
	}
	if (e->kind == DIR_KIND_GROUP) {
		r = group_allows(s, e, &info);
		if (r == DIR_TEMPFAIL) {
			tempfail(s, rcpt, &info);
			return;
		}
		if (r == DIR_NOTFOUND) {
			reject(s, rcpt, 550, "5.7.1", "group-sender-policy",
			    s->auth_user == NULL && e->sender_policy ==
			    DIR_SENDERS_INTERNAL ? "Group accepts internal"
			    " senders only" : "Sender not allowed to write"
			    " to this group", e->dn);
			return;
		}
	}
	log_debug("event=rcpt client=%s to=<%s> kind=%s entry=%s",
	    s->conn->client_addr, rcpt, dir_kind_name(e->kind), e->dn);
	accept_rcpt(s, cmd, rcpt);
}

bool
session_sender_allowed(struct session *s, const char *sender)
{
	const struct dir_entry *e = s->auth_entry;

	if (e == NULL || sender[0] == '\0')
		return false;
	for (size_t i = 0; i < e->n_addresses; i++)
		if (strcasecmp(e->addresses[i], sender) == 0)
			return true;
	for (size_t i = 0; i < e->n_send_as; i++)
		if (strcasecmp(e->send_as[i], sender) == 0)
			return true;
	return false;
}
