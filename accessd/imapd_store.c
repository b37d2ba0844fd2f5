/*
 * accessd/imapd_store.c - the IMAP commands that change the selected
 * folder: STORE (FLAGS, +FLAGS, -FLAGS, .SILENT), EXPUNGE and UID
 * EXPUNGE (UIDPLUS), CLOSE and UNSELECT, COPY and MOVE (RFC 6851) with
 * COPYUID, CHECK; and the UID forms.
 *
 * Runs in accessd's IMAP session processes. A read-only (EXAMINE)
 * folder refuses every change; the changes themselves happen in the
 * store under its folder lock, so concurrent sessions see them at their
 * next command.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "accessd/imapd.h"
#include "lib/banned.h"

static bool
in_set(const struct store_range *set, size_t n, uint32_t uid)
{
	for (size_t i = 0; i < n; i++)
		if (uid >= set[i].lo && uid <= set[i].hi)
			return true;
	return false;
}

static bool
refuse_readonly(struct imapd *d, const char *tag)
{
	if (!d->readonly)
		return false;
	imapd_tagged(d, tag, "NO", "[READ-ONLY] Mailbox is read-only");
	return true;
}

void
imapd_cmd_store(struct imapd *d, struct imap_cmd *c)
{
	enum store_flag_mode mode;
	struct imap_arg list = { .kind = IMAP_ARG_LIST };
	struct store_range *set;
	const char *item;
	enum store_result r;
	uint32_t flags;
	char *kw;
	bool silent;
	size_t n, k = 0;

	if (c->n_args < 3 || c->args[1].kind != IMAP_ARG_ATOM) {
		imapd_tagged(d, c->tag, "BAD", "STORE sequence-set item flags");
		return;
	}
	item = c->args[1].s;
	mode = item[0] == '+' ? STORE_FLAGS_ADD : item[0] == '-' ?
	    STORE_FLAGS_REMOVE : STORE_FLAGS_REPLACE;
	if (mode != STORE_FLAGS_REPLACE)
		item++;
	silent = str_eq_ci(item, "FLAGS.SILENT");
	if (!silent && !str_eq_ci(item, "FLAGS")) {
		imapd_tagged(d, c->tag, "BAD", "Unknown STORE item");
		return;
	}
	if (c->n_args == 3 && c->args[2].kind == IMAP_ARG_LIST) {
		list = c->args[2];
	} else {
		list.list = &c->args[2];
		list.n = c->n_args - 2;
	}
	if (imapd_flags_parse(&list, d->cmd_pool, &flags, &kw) == -1) {
		imapd_tagged(d, c->tag, "BAD", "Bad flags");
		return;
	}
	if ((set = imapd_seqset_uids(d, c->tag, &c->args[0], c->uid, &n)) ==
	    NULL)
		return;
	if (refuse_readonly(d, c->tag))
		return;
	buf_reset(d->err);
	r = store_set_flags(d->f, set, n, mode, flags,
	    mode == STORE_FLAGS_REPLACE || kw[0] != '\0' ? kw : NULL, 0, NULL,
	    NULL, d->err);
	if (r != STORE_OK) {
		imapd_store_fail(d, c->tag, "store", r);
		return;
	}
	/* our own changes: answered here (or not, with .SILENT) */
	for (size_t i = 0; i < d->n_flag_changes; i++)
		if (!in_set(set, n, d->flag_changes[i]))
			d->flag_changes[k++] = d->flag_changes[i];
	d->n_flag_changes = k;
	if (!silent) {
		struct buf *b = buf_new(256, 256 * 1024);

		for (size_t i = 0; i < d->n; i++) {
			const struct store_msg *m;

			if (!in_set(set, n, d->uids[i]) ||
			    (m = store_folder_find(d->f, d->uids[i], NULL)) ==
			    NULL)
				continue;
			buf_reset(b);
			buf_printf(b, "* %zu FETCH (FLAGS ", i + 1);
			imapd_flags_write(b, m->flags, m->keywords,
			    imapd_is_recent(d, m->uid));
			if (c->uid)
				buf_printf(b, " UID %u", (unsigned)m->uid);
			buf_append_str(b, ")\r\n");
			imapd_write(d, b->data, b->len);
		}
		buf_free(&b);
	}
	imapd_done(d, c, "%sSTORE completed", c->uid ? "UID " : "");
}

void
imapd_cmd_expunge(struct imapd *d, struct imap_cmd *c)
{
	struct store_range *set = NULL;
	enum store_result r;
	size_t n = 0;

	if (c->n_args != (c->uid ? 1u : 0u)) {
		imapd_tagged(d, c->tag, "BAD", "%sEXPUNGE%s",
		    c->uid ? "UID " : "", c->uid ? " sequence-set" : "");
		return;
	}
	if (c->uid && (set = imapd_seqset_uids(d, c->tag, &c->args[0], true,
	    &n)) == NULL)
		return;
	if (refuse_readonly(d, c->tag))
		return;
	buf_reset(d->err);
	r = store_expunge(d->f, set, n, NULL, NULL, d->err);
	if (r != STORE_OK) {
		imapd_store_fail(d, c->tag, "expunge", r);
		return;
	}
	imapd_done(d, c, "%sEXPUNGE completed", c->uid ? "UID " : "");
}

void
imapd_cmd_close(struct imapd *d, struct imap_cmd *c)
{
	if (c->n_args != 0) {
		imapd_tagged(d, c->tag, "BAD", "No arguments expected");
		return;
	}
	if (strcmp(c->name, "CLOSE") == 0 && !d->readonly) {
		/* RFC 3501 6.4.2: expunge silently */
		buf_reset(d->err);
		if (store_expunge(d->f, NULL, 0, NULL, NULL, d->err) !=
		    STORE_OK)
			log_warn("close expunge failed: %s", buf_cstr(d->err));
	}
	imapd_unselect(d);
	imapd_tagged(d, c->tag, "OK", "%s completed", c->name);
}

void
imapd_cmd_check(struct imapd *d, struct imap_cmd *c)
{
	if (c->n_args != 0) {
		imapd_tagged(d, c->tag, "BAD", "No arguments expected");
		return;
	}
	imapd_done(d, c, "CHECK completed");
}

/* "1,3:5" of the UIDs in v[n] (ascending runs merged). 0, or -1 past
 * b's ceiling. */
static int
uid_list(struct buf *b, const uint32_t *v, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		rc |= buf_printf(b, "%s%u", i ? "," : "", (unsigned)v[i]);
		if (j > i)
			rc |= buf_printf(b, ":%u", (unsigned)v[j]);
		i = j + 1;
	}
	return rc;
}

void
imapd_cmd_copy(struct imapd *d, struct imap_cmd *c)
{
	bool move = strcmp(c->name, "MOVE") == 0;
	struct store_folder *dst = NULL;
	struct store_copied cp = { 0 };
	struct store_range *set;
	enum store_result r;
	struct buf *code;
	char *name;
	size_t n;

	if (c->n_args != 2) {
		imapd_tagged(d, c->tag, "BAD", "%s sequence-set mailbox",
		    c->name);
		return;
	}
	if ((set = imapd_seqset_uids(d, c->tag, &c->args[0], c->uid, &n)) ==
	    NULL)
		return;
	if ((name = imapd_mailbox_arg(d, c->tag, &c->args[1])) == NULL)
		return;
	if (move && refuse_readonly(d, c->tag))
		return;
	buf_reset(d->err);
	r = store_folder_open(d->mb, name, &dst, d->err);
	if (r == STORE_NOTFOUND) {
		imapd_tagged(d, c->tag, "NO", "[TRYCREATE] No such mailbox");
		return;
	}
	if (r == STORE_OK)
		r = store_copy(d->f, set, n, dst, move, &d->quota, d->cmd_pool,
		    &cp, NULL, NULL, d->err);
	store_folder_close(&dst);
	if (r != STORE_OK) {
		imapd_store_fail(d, c->tag, move ? "move" : "copy", r);
		return;
	}
	log_info("%s folder=\"%s\" messages=%zu", move ? "move" : "copy",
	    name, cp.n);
	code = buf_new(64, 4u * 1024 * 1024);
	if (cp.n > 0) {
		int rc = buf_printf(code, "[COPYUID %u ",
		    (unsigned)cp.uidvalidity);

		rc |= uid_list(code, cp.src_uids, cp.n);
		rc |= buf_append_byte(code, ' ');
		rc |= uid_list(code, cp.dst_uids, cp.n);
		rc |= buf_append_str(code, "] ");
		if (rc != 0)
			buf_reset(code);	/* too long: no COPYUID at all */
	}
	if (move) {
		/* RFC 6851 4.3: COPYUID in an untagged OK before the
		 * expunges */
		if (cp.n > 0)
			imapd_printf(d, "* OK %sMoved\r\n", buf_cstr(code));
		imapd_done(d, c, "%sMOVE completed", c->uid ? "UID " : "");
	} else {
		imapd_announce(d, true);
		imapd_tagged(d, c->tag, "OK", "%s%sCOPY completed",
		    buf_cstr(code), c->uid ? "UID " : "");
	}
	buf_free(&code);
}
