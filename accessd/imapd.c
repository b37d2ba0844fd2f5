/*
 * accessd/imapd.c - one IMAP4rev1 session (RFC 3501): reading commands
 * with their literals under the [accessd.imap] limits, the state machine
 * and its dispatch table, and the untagged updates (EXISTS, EXPUNGE,
 * FETCH FLAGS) that keep the client's view of the selected folder in step
 * with other sessions and deliveries.
 *
 * Runs in a session process as the unprivileged user, one per client;
 * client input is hostile: each line is capped at line_max, literals at
 * literal_max (APPEND: the store's message_size_max), a command at
 * command_max, silence at login_timeout / idle_timeout. The session keeps
 * its own sequence-number map so that an EXPUNGE is only ever reported
 * where RFC 3501 7.4.1 allows (never during FETCH, STORE or SEARCH).
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/server.h"
#include "lib/str.h"
#include "lib/stream.h"
#include "lib/xalloc.h"
#include "accessd/imapd.h"
#include "lib/banned.h"

/* Bytes of a literal read per stream_read_exact call (each gets its own
 * deadline). */
#define IMAPD_LITERAL_CHUNK 65536
/* Longest untagged or tagged line built in one piece (a COPYUID of
 * many ranges). */
#define IMAPD_REPLY_MAX (8u * 1024 * 1024)
/* Flag changes remembered one by one before "all of them". */
#define IMAPD_FLAG_CHANGES_MAX 4096

struct imapd_cmd_def {
	const char *name;
	imapd_cmd_fn fn;
	unsigned states;	/* IMAPD_S_* allowed */
	bool uid_ok;		/* also as UID <name> */
	bool no_expunge;	/* RFC 3501 7.4.1: no EXPUNGE replies */
};

static void cmd_enable(struct imapd *d, struct imap_cmd *c);

#define ANY (IMAPD_S_NOTAUTH | IMAPD_S_AUTH | IMAPD_S_SELECTED)
#define AUTHED (IMAPD_S_AUTH | IMAPD_S_SELECTED)
static const struct imapd_cmd_def cmds[] = {
	{ "CAPABILITY", imapd_cmd_capability, ANY, false, false },
	{ "NOOP", imapd_cmd_noop, ANY, false, false },
	{ "LOGOUT", imapd_cmd_logout, ANY, false, false },
	{ "ID", imapd_cmd_id, ANY, false, false },
	{ "STARTTLS", imapd_cmd_starttls, IMAPD_S_NOTAUTH, false, false },
	{ "LOGIN", imapd_cmd_login, IMAPD_S_NOTAUTH, false, false },
	{ "AUTHENTICATE", imapd_cmd_authenticate, IMAPD_S_NOTAUTH, false,
	  false },
	{ "ENABLE", cmd_enable, AUTHED, false, false },
	{ "NAMESPACE", imapd_cmd_namespace, AUTHED, false, false },
	{ "SELECT", imapd_cmd_select, AUTHED, false, false },
	{ "EXAMINE", imapd_cmd_select, AUTHED, false, false },
	{ "CREATE", imapd_cmd_create, AUTHED, false, false },
	{ "DELETE", imapd_cmd_delete, AUTHED, false, false },
	{ "RENAME", imapd_cmd_rename, AUTHED, false, false },
	{ "SUBSCRIBE", imapd_cmd_subscribe, AUTHED, false, false },
	{ "UNSUBSCRIBE", imapd_cmd_subscribe, AUTHED, false, false },
	{ "LIST", imapd_cmd_list, AUTHED, false, false },
	{ "LSUB", imapd_cmd_list, AUTHED, false, false },
	{ "STATUS", imapd_cmd_status, AUTHED, false, false },
	{ "APPEND", imapd_cmd_append, AUTHED, false, false },
	{ "GETQUOTA", imapd_cmd_getquota, AUTHED, false, false },
	{ "GETQUOTAROOT", imapd_cmd_getquota, AUTHED, false, false },
	{ "IDLE", imapd_cmd_idle, AUTHED, false, false },
	{ "CHECK", imapd_cmd_check, IMAPD_S_SELECTED, false, false },
	{ "CLOSE", imapd_cmd_close, IMAPD_S_SELECTED, false, false },
	{ "UNSELECT", imapd_cmd_close, IMAPD_S_SELECTED, false, false },
	{ "EXPUNGE", imapd_cmd_expunge, IMAPD_S_SELECTED, true, false },
	{ "SEARCH", imapd_cmd_search, IMAPD_S_SELECTED, true, true },
	{ "FETCH", imapd_cmd_fetch, IMAPD_S_SELECTED, true, true },
	{ "STORE", imapd_cmd_store, IMAPD_S_SELECTED, true, true },
	{ "COPY", imapd_cmd_copy, IMAPD_S_SELECTED, true, false },
	{ "MOVE", imapd_cmd_copy, IMAPD_S_SELECTED, true, false },
};

/* ---- replies ---------------------------------------------------------- */

/* A reply goes out in pieces of at most this many bytes, each with its
 * own send_timeout: a client that takes nothing for send_timeout is cut
 * off, one on a slow link that keeps taking is not. */
#define IMAPD_SEND_CHUNK 65536

void
imapd_write(struct imapd *d, const void *p, size_t len)
{
	const char *c = p;

	/* the session reads nothing while a write waits: a client that
	 * pipelines commands and never reads holds at most the stream's
	 * buffer, one reply and the socket's send buffer */
	while (len > 0) {
		size_t n = len > IMAPD_SEND_CHUNK ? IMAPD_SEND_CHUNK : len;

		if (stream_write(d->s, c, n) == -1) {
			if (!d->quit &&
			    stream_error(d->s) == STREAM_ERR_TIMEOUT)
				log_info("send timeout: client takes no "
				    "replies timeout_ms=%llu",
				    (unsigned long long)d->ic->send_timeout);
			d->quit = true;
			return;
		}
		c += n;
		len -= n;
	}
}

const char *
imapd_literal_capability(const struct imapd *d)
{
	return d->ic->nonsync_literals == IMAPD_NONSYNC_MINUS ? "LITERAL-" :
	    "LITERAL+";
}

void
imapd_printf(struct imapd *d, const char *fmt, ...)
{
	struct buf *b = buf_new(256, IMAPD_REPLY_MAX);
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	imapd_write(d, b->data, b->len);
	buf_free(&b);
}

void
imapd_tagged(struct imapd *d, const char *tag, const char *status,
    const char *fmt, ...)
{
	struct buf *b = buf_new(256, IMAPD_REPLY_MAX);
	va_list ap;

	buf_printf(b, "%s %s ", tag, status);
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	buf_append(b, "\r\n", 2);
	imapd_write(d, b->data, b->len);
	buf_free(&b);
}

void
imapd_store_fail(struct imapd *d, const char *tag, const char *what,
    enum store_result r)
{
	const char *code;

	switch (r) {
	case STORE_NOTFOUND:
		code = "[NONEXISTENT] No such mailbox";
		break;
	case STORE_EXISTS:
		code = "[ALREADYEXISTS] Mailbox exists";
		break;
	case STORE_OVERQUOTA:
		code = "[OVERQUOTA] Quota exceeded";
		break;
	case STORE_TOOBIG:
		code = "[TOOBIG] Message too large";
		break;
	case STORE_LIMIT:
		code = "[LIMIT] Limit reached";
		break;
	case STORE_INVALID:
		code = "[CANNOT] Not allowed";
		break;
	default:
		code = "[SERVERBUG] Internal error, try later";
		break;
	}
	log_info("%s result=%d detail=\"%s\"", what, (int)r,
	    buf_cstr(d->err));
	imapd_tagged(d, tag, "NO", "%s", code);
}

bool
imapd_login_allowed(const struct imapd *d)
{
	const char *a = d->conn->client_addr;

	return stream_is_tls(d->s) || (d->ic->plaintext_loopback &&
	    (strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 ||
	    strncmp(a, "::ffff:127.", 11) == 0));
}

/* ---- flags ------------------------------------------------------------ */

static const struct {
	const char *name;
	uint32_t bit;
} flag_names[] = {
	{ "\\Seen", STORE_FLAG_SEEN }, { "\\Answered", STORE_FLAG_ANSWERED },
	{ "\\Flagged", STORE_FLAG_FLAGGED }, { "\\Deleted", STORE_FLAG_DELETED },
	{ "\\Draft", STORE_FLAG_DRAFT },
};

int
imapd_flags_write(struct buf *out, uint32_t flags, const char *keywords,
    bool recent)
{
	bool sp = false;
	int rc = buf_append_byte(out, '(');

	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]);
	    i++) {
		if (flags & flag_names[i].bit) {
			rc |= buf_printf(out, "%s%s", sp ? " " : "",
			    flag_names[i].name);
			sp = true;
		}
	}
	if (recent) {
		rc |= buf_printf(out, "%s\\Recent", sp ? " " : "");
		sp = true;
	}
	if (keywords != NULL && keywords[0] != '\0')
		rc |= buf_printf(out, "%s%s", sp ? " " : "", keywords);
	rc |= buf_append_byte(out, ')');
	return rc == 0 ? 0 : -1;
}

static bool
keyword_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

static int
flag_one(const struct imap_arg *a, uint32_t *flags, struct buf *kw)
{
	if (a->kind != IMAP_ARG_ATOM)
		return -1;
	if (a->s[0] == '\\') {
		for (size_t i = 0; i < sizeof(flag_names) /
		    sizeof(flag_names[0]); i++) {
			if (str_eq_ci(a->s, flag_names[i].name)) {
				*flags |= flag_names[i].bit;
				return 0;
			}
		}
		return -1;	/* \Recent and unknown system flags */
	}
	if (!keyword_ok(a->s))
		return -1;
	/* keep each keyword once */
	{
		const char *p = buf_cstr(kw);
		size_t l = strlen(a->s);

		while ((p = strstr(p, a->s)) != NULL) {
			if ((p == buf_cstr(kw) || p[-1] == ' ') &&
			    (p[l] == ' ' || p[l] == '\0'))
				return 0;
			p += l;
		}
	}
	if (kw->len > 0 && buf_append_byte(kw, ' ') == -1)
		return -1;
	return buf_append_str(kw, a->s);
}

int
imapd_flags_parse(const struct imap_arg *a, struct pool *pool,
    uint32_t *flags_out, char **keywords_out)
{
	struct buf *kw = buf_new(64, 65536);
	int rc = 0;

	*flags_out = 0;
	if (a->kind == IMAP_ARG_LIST) {
		for (size_t i = 0; i < a->n && rc == 0; i++)
			rc = flag_one(&a->list[i], flags_out, kw);
	} else {
		rc = flag_one(a, flags_out, kw);
	}
	*keywords_out = pool_strdup(pool, buf_cstr(kw));
	buf_free(&kw);
	return rc;
}

/* ---- the view --------------------------------------------------------- */

uint32_t
imapd_msn(const struct imapd *d, uint32_t uid)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n && d->uids[lo] == uid ? (uint32_t)lo + 1 : 0;
}

void
imapd_store_listener(void *arg, enum store_change kind,
    const struct store_msg *m, size_t pos)
{
	struct imapd *d = arg;

	(void)pos;
	if (kind != STORE_CHANGE_FLAGS || d->flag_changes_all)
		return;
	if (d->n_flag_changes == IMAPD_FLAG_CHANGES_MAX) {
		d->flag_changes_all = true;
		return;
	}
	if (d->n_flag_changes == d->cap_flag_changes) {
		d->cap_flag_changes = d->cap_flag_changes ?
		    d->cap_flag_changes * 2 : 16;
		d->flag_changes = xreallocarray(d->flag_changes,
		    d->cap_flag_changes, sizeof(uint32_t));
	}
	d->flag_changes[d->n_flag_changes++] = m->uid;
}

void
imapd_forget_flag_change(struct imapd *d, uint32_t uid)
{
	size_t k = 0;

	for (size_t i = 0; i < d->n_flag_changes; i++)
		if (d->flag_changes[i] != uid)
			d->flag_changes[k++] = d->flag_changes[i];
	d->n_flag_changes = k;
}

static void
announce_flags(struct imapd *d, uint32_t msn)
{
	const struct store_msg *m = store_folder_find(d->f, d->uids[msn - 1],
	    NULL);
	struct buf *b;

	if (m == NULL)
		return;
	b = buf_new(128, 128 * 1024);
	buf_printf(b, "* %u FETCH (", (unsigned)msn);
	buf_printf(b, "UID %u FLAGS ", (unsigned)m->uid);
	imapd_flags_write(b, m->flags, m->keywords, imapd_is_recent(d, m->uid));
	buf_append_str(b, ")\r\n");
	imapd_write(d, b->data, b->len);
	buf_free(&b);
}

void
imapd_announce(struct imapd *d, bool allow_expunge)
{
	size_t count, old_n;
	uint32_t old_last;

	if (d->f == NULL)
		return;
	buf_reset(d->err);
	if (store_folder_sync(d->f, NULL, NULL, d->err) == STORE_NOTFOUND) {
		imapd_printf(d, "* BYE [UNAVAILABLE] Mailbox was deleted\r\n");
		d->quit = true;
		return;
	}
	if (allow_expunge) {
		size_t k = 0;

		for (size_t i = 0; i < d->n; i++) {
			if (store_folder_find(d->f, d->uids[i], NULL) == NULL) {
				imapd_printf(d, "* %zu EXPUNGE\r\n", k + 1);
				continue;
			}
			d->uids[k++] = d->uids[i];
		}
		d->n = k;
	}
	old_n = d->n;
	old_last = d->last_uid;
	count = store_folder_count(d->f);
	for (size_t i = 0; i < count; i++) {
		const struct store_msg *m = store_folder_msg(d->f, i);

		if (m->uid <= d->last_uid)
			continue;
		if (d->n == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 64;
			d->uids = xreallocarray(d->uids, d->cap,
			    sizeof(uint32_t));
		}
		d->uids[d->n++] = m->uid;
		d->last_uid = m->uid;
	}
	if (d->n != old_n) {
		size_t recent = 0;

		/* new mail: recent here if no other session claimed it */
		if (d->last_uid > old_last) {
			uint32_t prev = imapd_recent_claim(d, d->folder,
			    store_folder_uidvalidity(d->f), d->last_uid,
			    !d->readonly);

			imapd_recent_add(d, (prev > old_last ? prev :
			    old_last) + 1, d->last_uid);
		}

		for (size_t i = 0; i < d->n; i++)
			recent += imapd_is_recent(d, d->uids[i]);
		imapd_printf(d, "* %zu EXISTS\r\n* %zu RECENT\r\n", d->n,
		    recent);
	}
	if (d->flag_changes_all) {
		for (size_t i = 0; i < old_n; i++)
			announce_flags(d, (uint32_t)i + 1);
	} else {
		for (size_t i = 0; i < d->n_flag_changes; i++) {
			uint32_t msn = imapd_msn(d, d->flag_changes[i]);

			if (msn != 0 && msn <= old_n)
				announce_flags(d, msn);
		}
	}
	d->n_flag_changes = 0;
	d->flag_changes_all = false;
}

void
imapd_unselect(struct imapd *d)
{
	store_folder_close(&d->f);
	free(d->uids);
	d->uids = NULL;
	d->n = d->cap = 0;
	d->last_uid = 0;
	d->n_flag_changes = 0;
	d->flag_changes_all = false;
	d->folder = NULL;
	free(d->recent);
	d->recent = NULL;
	d->n_recent = 0;
	if (d->state == IMAPD_S_SELECTED)
		d->state = IMAPD_S_AUTH;
}

struct store_range *
imapd_seqset_uids(struct imapd *d, const char *tag, const struct imap_arg *a,
    bool uid, size_t *n_out)
{
	struct imap_range *r;
	struct store_range *out;
	size_t n, k = 0;

	if (a->kind != IMAP_ARG_ATOM || imap_seqset_parse(a->s, a->len,
	    d->lim.ranges_max, d->cmd_pool, &r, &n) == -1) {
		imapd_tagged(d, tag, "BAD", "Bad sequence set");
		return NULL;
	}
	if (uid) {
		/* '*' is the highest UID in use; none if empty */
		imap_seqset_resolve(r, n, d->n > 0 ? d->uids[d->n - 1] :
		    (d->last_uid ? d->last_uid : 1));
		out = pool_alloc(d->cmd_pool, n * sizeof(*out) + 1);
		for (size_t i = 0; i < n; i++) {
			out[i].lo = r[i].lo;
			out[i].hi = r[i].hi;
		}
		*n_out = n;
		return out;
	}
	imap_seqset_resolve(r, n, (uint32_t)d->n);
	for (size_t i = 0; i < n; i++) {
		if (r[i].lo == 0 || r[i].hi > d->n) {
			imapd_tagged(d, tag, "BAD",
			    "Message sequence number out of range");
			return NULL;
		}
	}
	out = pool_alloc(d->cmd_pool, n * sizeof(*out) + 1);
	for (size_t i = 0; i < n; i++) {
		out[k].lo = d->uids[r[i].lo - 1];
		out[k].hi = d->uids[r[i].hi - 1];
		k++;
	}
	*n_out = k;
	return out;
}

/* ---- ENABLE (RFC 5161) ------------------------------------------------ */

/*
 * ENABLE names capabilities as atoms; the server enables those it offers
 * that are defined to need enabling and lists in the ENABLED response
 * only the ones this command enabled. None of the extensions defined so
 * (CONDSTORE, QRESYNC, UTF8=ACCEPT, IMAP4rev2) is offered, so every name
 * is ignored and ENABLED lists nothing; it is never an error to name an
 * unknown or unoffered capability. ENABLE belongs to the authenticated
 * state before a mailbox is selected (section 3.1): BAD once one is.
 */
static void
cmd_enable(struct imapd *d, struct imap_cmd *c)
{
	if (d->state == IMAPD_S_SELECTED) {
		imapd_tagged(d, c->tag, "BAD", "ENABLE is not allowed with a "
		    "mailbox selected");
		return;
	}
	if (c->n_args == 0) {
		imapd_tagged(d, c->tag, "BAD", "ENABLE needs capabilities");
		return;
	}
	for (size_t i = 0; i < c->n_args; i++) {
		if (c->args[i].kind != IMAP_ARG_ATOM) {
			imapd_tagged(d, c->tag, "BAD", "Bad capability");
			return;
		}
	}
	imapd_printf(d, "* ENABLED\r\n");
	imapd_done(d, c, "ENABLE completed");
}

/* ---- reading a command ------------------------------------------------ */

/* Whether the first line names APPEND (its literal is a message). */
static bool
line_is_append(const uint8_t *p, size_t len)
{
	const uint8_t *sp = memchr(p, ' ', len);

	if (sp == NULL)
		return false;
	sp++;
	len -= (size_t)(sp - p);
	return len >= 7 && strncasecmp((const char *)sp, "APPEND ", 7) == 0;
}

enum read_result { READ_OK, READ_REJECTED, READ_CLOSE };

/* The tag of a first line, for a reply before the command is whole. */
static const char *
first_tag(struct imapd *d, const struct buf *cmd)
{
	size_t n = 0;

	while (n < cmd->len && cmd->data[n] != ' ' && n < 64 &&
	    cmd->data[n] > 0x20 && cmd->data[n] < 0x7f)
		n++;
	return n == 0 ? "*" : pool_strndup(d->cmd_pool,
	    (const char *)cmd->data, n);
}

static enum read_result
read_literal(struct imapd *d, struct buf *cmd, uint64_t n)
{
	while (n > 0) {
		size_t chunk = n > IMAPD_LITERAL_CHUNK ? IMAPD_LITERAL_CHUNK :
		    (size_t)n;

		if (buf_reserve(cmd, chunk) == -1)
			return READ_CLOSE;
		if (stream_read_exact(d->s, cmd->data + cmd->len, chunk) != 1)
			return READ_CLOSE;
		cmd->len += chunk;
		cmd->data[cmd->len] = '\0';
		n -= chunk;
	}
	return READ_OK;
}

/* A literal over its limit: sync ones get NO/BAD instead of "+" (the
 * client then drops the command); a non-synchronizing one has its bytes
 * on the way already, so the session ends (RFC 7888 section 4). */
static enum read_result
literal_refused(struct imapd *d, struct buf *cmd, bool append, bool nonsync,
    const char *code)
{
	const char *tag = first_tag(d, cmd);

	log_info("literal refused reason=%s", code);
	if (append)
		imapd_tagged(d, tag, "NO", "[%s] Message refused", code);
	else
		imapd_tagged(d, tag, "BAD", "[%s] Literal too large", code);
	if (nonsync) {
		imapd_printf(d, "* BYE Cannot skip a literal that large\r\n");
		return READ_CLOSE;
	}
	return READ_REJECTED;
}

static enum read_result
read_command(struct imapd *d, struct buf *cmd)
{
	bool append = false;
	size_t lines = 0;
	uint64_t message = 0;	/* APPEND's literal: not in command_max */

	buf_reset(cmd);
	for (;;) {
		const char *line;
		size_t len, limit_base;
		uint64_t n, lit_max;
		bool nonsync;
		int rc;

		if (stream_pending(d->s) == 0 && stream_flush(d->s) == -1)
			return READ_CLOSE;
		rc = stream_read_line(d->s, (size_t)d->ic->line_max, &line,
		    &len);
		if (rc == -1 && stream_error(d->s) == STREAM_ERR_TOO_LONG) {
			log_info("line too long max=%llu",
			    (unsigned long long)d->ic->line_max);
			imapd_printf(d, "* BYE [LIMIT] Line too long\r\n");
			return READ_CLOSE;
		}
		if (rc != 1) {
			if (rc == -1 && stream_error(d->s) ==
			    STREAM_ERR_TIMEOUT) {
				log_info("idle timeout");
				imapd_printf(d, "* BYE Autologout; idle for "
				    "too long\r\n");
			}
			return READ_CLOSE;
		}
		if (lines++ == 0)
			append = line_is_append((const uint8_t *)line, len);
		if (cmd->len - message + len > d->ic->command_max ||
		    buf_append(cmd, line, len) == -1) {
			imapd_printf(d, "* BYE [LIMIT] Command too long\r\n");
			return READ_CLOSE;
		}
		rc = imap_line_literal((const uint8_t *)line, len, &n,
		    &nonsync);
		if (rc <= 0)
			return READ_OK;	/* the parser judges the rest */
		if (nonsync && d->ic->nonsync_literals == IMAPD_NONSYNC_MINUS &&
		    n > IMAPD_LITERAL_MINUS_MAX) {
			/* RFC 7888 section 4: BAD with TOOBIG; the bytes are
			 * on the way, so the session ends */
			const char *tag = first_tag(d, cmd);

			log_info("literal refused reason=LITERAL- size=%llu",
			    (unsigned long long)n);
			imapd_tagged(d, tag, "BAD", "[TOOBIG] Non-synchronizing "
			    "literal over 4096 octets (LITERAL-)");
			imapd_printf(d, "* BYE Cannot skip a literal that "
			    "large\r\n");
			return READ_CLOSE;
		}
		limit_base = cmd->len;
		lit_max = append ? d->ctx->store_limits.message_size_max :
		    d->ic->literal_max;
		if (n > lit_max)
			return literal_refused(d, cmd, append, nonsync,
			    append ? "TOOBIG" : "LIMIT");
		if (!append && limit_base - message + n > d->ic->command_max)
			return literal_refused(d, cmd, false, nonsync, "LIMIT");
		if (append && d->mb != NULL) {
			buf_reset(d->err);
			if (store_quota_check(d->mb, &d->quota, n, d->err) ==
			    STORE_OVERQUOTA)
				return literal_refused(d, cmd, true, nonsync,
				    "OVERQUOTA");
		}
		if (cmd->max - cmd->len < n) {
			/* the buffer's ceiling is the larger of the two */
			return literal_refused(d, cmd, append, nonsync,
			    "LIMIT");
		}
		if (!nonsync) {
			imapd_printf(d, "+ Ready for literal data\r\n");
			if (stream_flush(d->s) == -1)
				return READ_CLOSE;
		}
		if (read_literal(d, cmd, n) != READ_OK)
			return READ_CLOSE;
		if (append)
			message += n;
	}
}

/* ---- dispatch --------------------------------------------------------- */

static void
dispatch(struct imapd *d, struct imap_cmd *c)
{
	const struct imapd_cmd_def *def = NULL;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, c->name) == 0)
			def = &cmds[i];
	if (def == NULL || (c->uid && !def->uid_ok)) {
		imapd_tagged(d, c->tag, "BAD", "Unknown command");
		return;
	}
	if ((def->states & d->state) == 0) {
		if (d->state == IMAPD_S_NOTAUTH)
			imapd_tagged(d, c->tag, "BAD", "Log in first");
		else if (def->states == IMAPD_S_NOTAUTH)
			imapd_tagged(d, c->tag, "BAD", "Already logged in");
		else
			imapd_tagged(d, c->tag, "BAD", "No mailbox selected");
		return;
	}
	/* what others changed is reported before this command's own
	 * replies, so they describe the current state (and again before
	 * the tagged reply, by imapd_done) */
	if (d->f != NULL)
		imapd_announce(d, !def->no_expunge);
	def->fn(d, c);
}

void
imapd_done(struct imapd *d, const struct imap_cmd *c, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (d->f != NULL)
		imapd_announce(d, imapd_cmd_allows_expunge(c));
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	imapd_tagged(d, c->tag, "OK", "%s", text);
}

bool
imapd_cmd_allows_expunge(const struct imap_cmd *c)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, c->name) == 0)
			return !cmds[i].no_expunge;
	return false;
}

void
imapd_session(struct stream *s, const struct server_conn *conn,
    const struct accessd_ctx *ctx, struct dir_client *dc)
{
	const struct imapd_config *ic = cfg_get(ctx->cfg, "accessd.imap");
	struct imapd d = { .s = s, .conn = conn, .ctx = ctx, .ic = ic,
		.dc = dc, .state = IMAPD_S_NOTAUTH };
	size_t cmd_max = (size_t)ic->command_max;
	struct buf *cmd;

	if (ctx->store_limits.message_size_max + ic->command_max > cmd_max)
		cmd_max = (size_t)(ctx->store_limits.message_size_max +
		    ic->command_max);
	d.pool = pool_new_secret("imap");
	d.err = buf_new(256, 4096);
	d.lim.depth_max = (size_t)ic->depth_max;
	d.lim.args_max = (size_t)ic->args_max;
	d.lim.ranges_max = (size_t)ic->ranges_max;
	cmd = buf_new(1024, cmd_max);
	stream_set_timeouts(s, (int)ic->login_timeout, (int)ic->send_timeout);
	if (ic->send_buffer > 0) {
		int sz = (int)ic->send_buffer;

		if (setsockopt(stream_fd(s), SOL_SOCKET, SO_SNDBUF, &sz,
		    sizeof(sz)) == -1)
			log_warn("send_buffer: setsockopt: %s",
			    strerror(errno));
	}
	log_info("connect client=[%s]:%s", conn->client_addr,
	    conn->client_port);
	if (conn->implicit_tls) {
		if (ctx->tls == NULL ||
		    stream_start_tls_server(s, ctx->tls) == -1) {
			log_warn("tls handshake failed: %s",
			    stream_error_text(s));
			goto out;
		}
	}
	imapd_printf(&d, "* OK [CAPABILITY %s] %s IMAP4rev1 ready\r\n",
	    imapd_capabilities(&d), ctx->hostname);
	while (!d.quit) {
		struct imap_cmd c;
		const char *tag = NULL, *err = NULL;
		enum read_result rr;

		d.cmd_pool = pool_new_child(d.pool, "cmd");
		rr = read_command(&d, cmd);
		if (rr == READ_OK && imap_parse_command(cmd->data, cmd->len,
		    &d.lim, d.cmd_pool, &c, &tag, &err) == -1) {
			log_info("bad command reason=\"%s\"", err);
			imapd_tagged(&d, tag != NULL ? tag : "*", "BAD", "%s",
			    err);
		} else if (rr == READ_OK) {
			dispatch(&d, &c);
		}
		if (cmd->len > 0)
			mem_wipe(cmd->data, cmd->len);
		buf_reset(cmd);
		if (cmd->cap > 1024 * 1024) {
			/* give back what a big APPEND took */
			buf_free(&cmd);
			cmd = buf_new(1024, cmd_max);
		}
		pool_free(&d.cmd_pool);
		if (rr == READ_CLOSE)
			break;
		if (d.state != IMAPD_S_NOTAUTH)
			stream_set_timeouts(s, (int)ic->idle_timeout,
			    (int)ic->send_timeout);
	}
out:
	stream_flush(s);
	log_info("disconnect user=%s", d.user != NULL ? d.user : "-");
	imapd_unselect(&d);
	free(d.flag_changes);
	store_mailbox_close(&d.mb);
	buf_free(&cmd);
	buf_free(&d.err);
	pool_free(&d.pool);
}
