/*
 * accessd/imapd_mailbox.c - the IMAP mailbox commands: SELECT, EXAMINE,
 * CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST and LSUB (with
 * CHILDREN and SPECIAL-USE attributes), STATUS, APPEND (UIDPLUS
 * APPENDUID, [TRYCREATE], [OVERQUOTA]) and GETQUOTA/GETQUOTAROOT
 * (RFC 9208, limits from the directory).
 *
 * Runs in accessd's IMAP session processes on the user's own mailbox;
 * names come from the client in modified UTF-7 and are checked by the
 * store (length, depth, characters) before any file is touched.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mime_imap.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/stream.h"
#include "lib/xalloc.h"
#include "accessd/imap_mutf7.h"
#include "accessd/imapd.h"
#include "lib/banned.h"

char *
imapd_mailbox_arg(struct imapd *d, const char *tag, const struct imap_arg *a)
{
	struct buf *b;
	char *name = NULL;

	if (!imap_arg_is_astring(a) || strlen(a->s) != a->len) {
		imapd_tagged(d, tag, "BAD", "Bad mailbox name");
		return NULL;
	}
	b = buf_new(64, 4096);
	if (d->enabled_utf8 ? buf_append(b, a->s, a->len) :
	    imap_mutf7_decode(a->s, a->len, b)) {
		imapd_tagged(d, tag, "NO", "[CANNOT] Bad mailbox name "
		    "encoding");
	} else {
		/* a trailing separator only says children may follow */
		if (b->len > 1 && b->data[b->len - 1] == STORE_SEP)
			buf_truncate(b, b->len - 1);
		name = pool_strdup(d->cmd_pool, buf_cstr(b));
		if (str_eq_ci(name, "INBOX"))
			name = "INBOX";
	}
	buf_free(&b);
	return name;
}

int
imapd_mailbox_write(struct imapd *d, struct buf *out, const char *name)
{
	struct buf *b = buf_new(64, 8192);
	int rc;

	if (d->enabled_utf8)
		rc = buf_append_str(b, name);
	else
		rc = imap_mutf7_encode(name, strlen(name), b);
	if (rc == 0)
		rc = mime_imap_string(out, (const char *)b->data, b->len);
	buf_free(&b);
	return rc;
}

/* ---- SELECT / EXAMINE ------------------------------------------------- */

void
imapd_cmd_select(struct imapd *d, struct imap_cmd *c)
{
	bool examine = strcmp(c->name, "EXAMINE") == 0;
	enum store_result r;
	uint32_t unseen = 0;
	char *name;

	if (c->n_args != 1) {
		imapd_tagged(d, c->tag, "BAD", "%s mailbox", c->name);
		return;
	}
	if ((name = imapd_mailbox_arg(d, c->tag, &c->args[0])) == NULL)
		return;
	/* RFC 3501 6.3.1: a failed SELECT leaves no mailbox selected */
	imapd_unselect(d);
	buf_reset(d->err);
	r = store_folder_open(d->mb, name, &d->f, d->err);
	if (r != STORE_OK) {
		imapd_store_fail(d, c->tag, "select", r);
		return;
	}
	store_folder_set_listener(d->f, imapd_store_listener, d);
	d->folder = pool_strdup(d->pool, name);
	d->readonly = examine;
	d->state = IMAPD_S_SELECTED;
	d->n = store_folder_count(d->f);
	d->cap = d->n + 64;
	d->uids = xreallocarray(NULL, d->cap, sizeof(uint32_t));
	for (size_t i = 0; i < d->n; i++) {
		const struct store_msg *m = store_folder_msg(d->f, i);

		d->uids[i] = m->uid;
		d->last_uid = m->uid;
		if (unseen == 0 && !(m->flags & STORE_FLAG_SEEN))
			unseen = (uint32_t)i + 1;
	}
	if (d->n > 0) {
		uint32_t prev = imapd_recent_claim(d, d->folder,
		    store_folder_uidvalidity(d->f), d->last_uid, !examine);

		imapd_recent_add(d, prev + 1, d->last_uid);
	}
	{
		size_t recent = 0;

		for (size_t i = 0; i < d->n; i++)
			recent += imapd_is_recent(d, d->uids[i]);
		imapd_printf(d, "* FLAGS (\\Answered \\Flagged \\Deleted "
		    "\\Seen \\Draft)\r\n* OK [PERMANENTFLAGS (%s)] Flags "
		    "permitted\r\n* %zu EXISTS\r\n* %zu RECENT\r\n",
		    examine ? "" : "\\Answered \\Flagged \\Deleted \\Seen "
		    "\\Draft \\*", d->n, recent);
	}
	if (unseen != 0)
		imapd_printf(d, "* OK [UNSEEN %u] First unseen\r\n",
		    (unsigned)unseen);
	imapd_printf(d, "* OK [UIDVALIDITY %u] UIDs valid\r\n"
	    "* OK [UIDNEXT %u] Predicted next UID\r\n",
	    (unsigned)store_folder_uidvalidity(d->f),
	    (unsigned)store_folder_uidnext(d->f));
	log_info("select folder=\"%s\" messages=%zu readonly=%s", name, d->n,
	    examine ? "yes" : "no");
	imapd_tagged(d, c->tag, "OK", "[%s] %s completed",
	    examine ? "READ-ONLY" : "READ-WRITE", c->name);
}

/* ---- CREATE / DELETE / RENAME / (UN)SUBSCRIBE -------------------------- */

void
imapd_cmd_create(struct imapd *d, struct imap_cmd *c)
{
	enum store_result r;
	char *name;

	if (c->n_args != 1) {
		imapd_tagged(d, c->tag, "BAD", "CREATE mailbox");
		return;
	}
	if ((name = imapd_mailbox_arg(d, c->tag, &c->args[0])) == NULL)
		return;
	buf_reset(d->err);
	if (strcmp(name, "INBOX") == 0)
		r = STORE_EXISTS;
	else
		r = store_folder_create(d->mb, name, d->err);
	if (r != STORE_OK) {
		imapd_store_fail(d, c->tag, "create", r);
		return;
	}
	log_info("create folder=\"%s\"", name);
	imapd_done(d, c, "CREATE completed");
}

void
imapd_cmd_delete(struct imapd *d, struct imap_cmd *c)
{
	enum store_result r;
	char *name;

	if (c->n_args != 1) {
		imapd_tagged(d, c->tag, "BAD", "DELETE mailbox");
		return;
	}
	if ((name = imapd_mailbox_arg(d, c->tag, &c->args[0])) == NULL)
		return;
	if (strcmp(name, "INBOX") == 0) {
		imapd_tagged(d, c->tag, "NO", "[CANNOT] INBOX cannot be "
		    "deleted");
		return;
	}
	if (d->folder != NULL && strcmp(d->folder, name) == 0)
		imapd_unselect(d);
	buf_reset(d->err);
	r = store_folder_delete(d->mb, name, d->err);
	if (r != STORE_OK) {
		imapd_store_fail(d, c->tag, "delete", r);
		return;
	}
	log_info("delete folder=\"%s\"", name);
	imapd_done(d, c, "DELETE completed");
}

void
imapd_cmd_rename(struct imapd *d, struct imap_cmd *c)
{
	enum store_result r;
	char *from, *to;

	if (c->n_args != 2) {
		imapd_tagged(d, c->tag, "BAD", "RENAME from to");
		return;
	}
	if ((from = imapd_mailbox_arg(d, c->tag, &c->args[0])) == NULL ||
	    (to = imapd_mailbox_arg(d, c->tag, &c->args[1])) == NULL)
		return;
	if (strcmp(to, "INBOX") == 0) {
		imapd_tagged(d, c->tag, "NO", "[ALREADYEXISTS] INBOX exists");
		return;
	}
	buf_reset(d->err);
	r = store_folder_rename(d->mb, from, to, d->err);
	if (r != STORE_OK) {
		imapd_store_fail(d, c->tag, "rename", r);
		return;
	}
	log_info("rename from=\"%s\" to=\"%s\"", from, to);
	imapd_done(d, c, "RENAME completed");
}

void
imapd_cmd_subscribe(struct imapd *d, struct imap_cmd *c)
{
	bool sub = strcmp(c->name, "SUBSCRIBE") == 0;
	enum store_result r;
	char *name;

	if (c->n_args != 1) {
		imapd_tagged(d, c->tag, "BAD", "%s mailbox", c->name);
		return;
	}
	if ((name = imapd_mailbox_arg(d, c->tag, &c->args[0])) == NULL)
		return;
	buf_reset(d->err);
	r = store_subscribe(d->mb, name, sub, d->err);
	if (r != STORE_OK) {
		imapd_store_fail(d, c->tag, "subscribe", r);
		return;
	}
	imapd_done(d, c, "%s completed", c->name);
}

/* ---- LIST / LSUB ------------------------------------------------------ */

/* Whether name matches pattern ('*' anything, '%' anything but the
 * separator); INBOX's own letters match case-insensitively. */
static bool
pattern_match(const char *pat, const char *name, bool inbox)
{
	for (;; pat++, name++) {
		if (*pat == '*' || *pat == '%') {
			for (const char *n = name;; n++) {
				if (pattern_match(pat + 1, n, false))
					return true;
				if (*n == '\0' || (*pat == '%' &&
				    *n == STORE_SEP))
					return false;
			}
		}
		if (*pat == '\0')
			return *name == '\0';
		if (*pat != *name && !(inbox && *name != '\0' &&
		    (*pat | 0x20) == (*name | 0x20)))
			return false;
		if (inbox && *name != '\0' && name[1] == '\0')
			inbox = false;
	}
}

static bool
list_match(const char *pat, const char *name)
{
	if (strncmp(name, "INBOX", 5) == 0 && (name[5] == '\0' ||
	    name[5] == STORE_SEP)) {
		/* "INBOX" is case-insensitive, the rest is not */
		size_t i = 0;

		while (i < 5 && pat[i] != '\0' && pat[i] != '*' &&
		    pat[i] != '%' && (pat[i] | 0x20) == (name[i] | 0x20))
			i++;
		if (i == 5)
			return pattern_match(pat + 5, name + 5, false);
	}
	return pattern_match(pat, name, false);
}

/* LIST-EXTENDED (RFC 5258) options of one LIST command. */
struct list_opts {
	bool subscribed;	/* selection: only subscribed names */
	bool special_use;	/* selection: only special-use folders */
	bool ret_subscribed;	/* return \Subscribed */
	bool ret_special_use;	/* return special-use attributes */
	const struct imap_arg *patterns;
	size_t n_patterns;
	const struct imap_arg *ref;
};

/* The arguments of LIST (extended) or LSUB into o; 0 or -1 (BAD). */
static int
list_args(struct imap_cmd *c, bool lsub, struct list_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	o->ret_special_use = true;
	if (lsub)
		o->subscribed = true;
	if (!lsub && c->n_args > 0 && c->args[0].kind == IMAP_ARG_LIST) {
		for (size_t k = 0; k < c->args[0].n; k++) {
			const struct imap_arg *a = &c->args[0].list[k];

			if (imap_arg_is_atom(a, "SUBSCRIBED"))
				o->subscribed = o->ret_subscribed = true;
			else if (imap_arg_is_atom(a, "SPECIAL-USE"))
				o->special_use = true;
			else if (!imap_arg_is_atom(a, "REMOTE") &&
			    !imap_arg_is_atom(a, "RECURSIVEMATCH"))
				return -1;
		}
		i++;
	}
	if (i + 2 > c->n_args || !imap_arg_is_astring(&c->args[i]))
		return -1;
	o->ref = &c->args[i++];
	if (c->args[i].kind == IMAP_ARG_LIST && !lsub) {
		o->patterns = c->args[i].list;
		o->n_patterns = c->args[i].n;
	} else {
		o->patterns = &c->args[i];
		o->n_patterns = 1;
	}
	for (size_t k = 0; k < o->n_patterns; k++)
		if (o->patterns[k].kind != IMAP_ARG_ATOM &&
		    o->patterns[k].kind != IMAP_ARG_STRING)
			return -1;
	i++;
	if (i < c->n_args) {
		if (lsub || i + 2 != c->n_args ||
		    !imap_arg_is_atom(&c->args[i], "RETURN") ||
		    c->args[i + 1].kind != IMAP_ARG_LIST)
			return -1;
		for (size_t k = 0; k < c->args[i + 1].n; k++) {
			const struct imap_arg *a = &c->args[i + 1].list[k];

			if (imap_arg_is_atom(a, "SUBSCRIBED"))
				o->ret_subscribed = true;
			else if (!imap_arg_is_atom(a, "CHILDREN") &&
			    !imap_arg_is_atom(a, "SPECIAL-USE"))
				return -1;
		}
	}
	return 0;
}

/* Whether folder v matches one of o's patterns (after the reference). */
static int
list_matches(const struct list_opts *o, const char *name, bool *match)
{
	struct buf *pat = buf_new(64, 8192);
	int rc = 0;

	*match = false;
	for (size_t k = 0; k < o->n_patterns && !*match && rc == 0; k++) {
		buf_reset(pat);
		if (imap_mutf7_decode(o->ref->s, o->ref->len, pat) == -1 ||
		    imap_mutf7_decode(o->patterns[k].s, o->patterns[k].len,
		    pat) == -1)
			rc = -1;
		else
			*match = list_match(buf_cstr(pat), name);
	}
	buf_free(&pat);
	return rc;
}

void
imapd_cmd_list(struct imapd *d, struct imap_cmd *c)
{
	bool lsub = strcmp(c->name, "LSUB") == 0;
	struct store_folder_info *v;
	struct list_opts o;
	struct buf *line;
	enum store_result r;
	size_t n;

	if (list_args(c, lsub, &o) == -1) {
		imapd_tagged(d, c->tag, "BAD", "%s reference pattern",
		    c->name);
		return;
	}
	if (o.n_patterns == 1 && o.patterns[0].len == 0) {
		/* the hierarchy delimiter and root (RFC 3501 6.3.8) */
		if (!lsub)
			imapd_printf(d, "* LIST (\\Noselect) \"/\" \"\"\r\n");
		imapd_done(d, c, "%s completed", c->name);
		return;
	}
	buf_reset(d->err);
	r = store_folder_list(d->mb, d->cmd_pool, &v, &n, d->err);
	if (r != STORE_OK) {
		imapd_store_fail(d, c->tag, "list", r);
		return;
	}
	line = buf_new(256, 64 * 1024);
	for (size_t i = 0; i < n; i++) {
		const char *sp = store_special_name(v[i].special);
		bool match;

		if ((o.subscribed && !v[i].subscribed) ||
		    (o.special_use && sp == NULL))
			continue;
		if (list_matches(&o, v[i].name, &match) == -1) {
			buf_free(&line);
			imapd_tagged(d, c->tag, "BAD", "Bad name encoding");
			return;
		}
		if (!match)
			continue;
		if (!o.ret_special_use)
			sp = NULL;
		buf_reset(line);
		buf_printf(line, "* %s (%s%s%s%s%s) \"/\" ", c->name,
		    v[i].has_children ? "\\HasChildren" : "\\HasNoChildren",
		    v[i].noselect ? " \\Noselect" : "", sp != NULL ? " " : "",
		    sp != NULL ? sp : "",
		    o.ret_subscribed && v[i].subscribed ? " \\Subscribed" : "");
		imapd_mailbox_write(d, line, v[i].name);
		buf_append_str(line, "\r\n");
		imapd_write(d, line->data, line->len);
	}
	buf_free(&line);
	imapd_done(d, c, "%s completed", c->name);
}

/* ---- STATUS ----------------------------------------------------------- */

void
imapd_cmd_status(struct imapd *d, struct imap_cmd *c)
{
	struct store_folder *f = NULL;
	const struct imap_arg *items;
	enum store_result r;
	struct buf *b;
	char *name;

	if (c->n_args != 2 || c->args[1].kind != IMAP_ARG_LIST ||
	    c->args[1].n == 0) {
		imapd_tagged(d, c->tag, "BAD", "STATUS mailbox (items)");
		return;
	}
	items = &c->args[1];
	for (size_t i = 0; i < items->n; i++) {
		const struct imap_arg *a = &items->list[i];

		if (!imap_arg_is_atom(a, "MESSAGES") &&
		    !imap_arg_is_atom(a, "RECENT") &&
		    !imap_arg_is_atom(a, "UIDNEXT") &&
		    !imap_arg_is_atom(a, "UIDVALIDITY") &&
		    !imap_arg_is_atom(a, "UNSEEN")) {
			imapd_tagged(d, c->tag, "BAD", "Unknown status item");
			return;
		}
	}
	if ((name = imapd_mailbox_arg(d, c->tag, &c->args[0])) == NULL)
		return;
	buf_reset(d->err);
	r = store_folder_open(d->mb, name, &f, d->err);
	if (r != STORE_OK) {
		imapd_store_fail(d, c->tag, "status", r);
		return;
	}
	b = buf_new(256, 16 * 1024);
	buf_append_str(b, "* STATUS ");
	imapd_mailbox_write(d, b, name);
	buf_append_str(b, " (");
	for (size_t i = 0; i < items->n; i++) {
		const struct imap_arg *a = &items->list[i];
		size_t v = 0;

		if (imap_arg_is_atom(a, "MESSAGES"))
			v = store_folder_count(f);
		else if (imap_arg_is_atom(a, "UIDNEXT"))
			v = store_folder_uidnext(f);
		else if (imap_arg_is_atom(a, "UIDVALIDITY"))
			v = store_folder_uidvalidity(f);
		else if (imap_arg_is_atom(a, "RECENT")) {
			size_t cnt = store_folder_count(f);
			uint32_t last = cnt > 0 ?
			    store_folder_msg(f, cnt - 1)->uid : 0;
			uint32_t prev = imapd_recent_claim(d, name,
			    store_folder_uidvalidity(f), last, false);

			for (size_t k = 0; k < cnt; k++)
				v += store_folder_msg(f, k)->uid > prev;
		} else if (imap_arg_is_atom(a, "UNSEEN"))
			for (size_t k = 0; k < store_folder_count(f); k++)
				v += !(store_folder_msg(f, k)->flags &
				    STORE_FLAG_SEEN);
		for (char *q = a->s; *q != '\0'; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 'a' + 'A');
		buf_printf(b, "%s%s %zu", i ? " " : "", a->s, v);
	}
	buf_append_str(b, ")\r\n");
	imapd_write(d, b->data, b->len);
	buf_free(&b);
	store_folder_close(&f);
	imapd_done(d, c, "STATUS completed");
}

/* ---- APPEND ----------------------------------------------------------- */

/* "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 3501 date-time; the day may be one
 * digit with a leading space). 0 with *t_out, or -1. */
static int
parse_date_time(const char *s, size_t len, int64_t *t_out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm = { 0 };
	char mon[4];
	int day, year, hh, mm, ss, zone, mi, n = 0;

	if (len != 26 && len != 25)
		return -1;
	if (sscanf(s, "%2d-%3c-%4d %2d:%2d:%2d %5d%n", &day, mon, &year,
	    &hh, &mm, &ss, &zone, &n) != 7 || (size_t)n != len)
		return -1;
	mon[3] = '\0';
	{
		const char *m = strstr(months, mon);

		if (m == NULL || (m - months) % 3 != 0)
			return -1;
		mi = (int)(m - months) / 3;
	}
	if (s[len - 5] != '+' && s[len - 5] != '-')
		return -1;
	if (day < 1 || day > 31 || year < 1900 || hh > 23 || mm > 59 ||
	    ss > 60 || hh < 0 || mm < 0 || ss < 0)
		return -1;
	tm.tm_mday = day;
	tm.tm_mon = mi;
	tm.tm_year = year - 1900;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	{
		int64_t t = (int64_t)timegm(&tm);
		int z = zone < 0 ? -zone : zone;
		int64_t off = (int64_t)((z / 100) * 3600 + (z % 100) * 60);

		*t_out = zone < 0 ? t + off : t - off;
	}
	return 0;
}

void
imapd_cmd_append(struct imapd *d, struct imap_cmd *c)
{
	const struct imap_arg *msg = NULL;
	struct store_folder *f = NULL;
	uint32_t flags = 0, uid = 0;
	char *keywords = "", *name;
	int64_t date = 0;
	enum store_result r;
	size_t i = 1;

	if (c->n_args < 2 || c->n_args > 4) {
		imapd_tagged(d, c->tag, "BAD", "APPEND mailbox [flags] "
		    "[date-time] message");
		return;
	}
	if (c->args[i].kind == IMAP_ARG_LIST) {
		if (imapd_flags_parse(&c->args[i], d->cmd_pool, &flags,
		    &keywords) == -1) {
			imapd_tagged(d, c->tag, "BAD", "Bad flags");
			return;
		}
		i++;
	}
	if (i + 1 < c->n_args) {
		if (c->args[i].kind != IMAP_ARG_STRING || c->args[i].literal ||
		    parse_date_time(c->args[i].s, c->args[i].len, &date)) {
			imapd_tagged(d, c->tag, "BAD", "Bad date-time");
			return;
		}
		i++;
	}
	if (i + 1 != c->n_args || c->args[i].kind != IMAP_ARG_STRING) {
		imapd_tagged(d, c->tag, "BAD", "APPEND mailbox [flags] "
		    "[date-time] message");
		return;
	}
	msg = &c->args[i];
	if ((name = imapd_mailbox_arg(d, c->tag, &c->args[0])) == NULL)
		return;
	if (msg->len == 0) {
		imapd_tagged(d, c->tag, "NO", "Empty message");
		return;
	}
	buf_reset(d->err);
	r = store_folder_open(d->mb, name, &f, d->err);
	if (r == STORE_NOTFOUND) {
		imapd_tagged(d, c->tag, "NO", "[TRYCREATE] No such mailbox");
		return;
	}
	if (r == STORE_OK)
		r = store_append(f, msg->s, msg->len, flags, keywords, date,
		    &d->quota, &uid, d->err);
	if (r != STORE_OK) {
		store_folder_close(&f);
		imapd_store_fail(d, c->tag, "append", r);
		return;
	}
	log_info("append folder=\"%s\" uid=%u size=%zu", name, (unsigned)uid,
	    msg->len);
	{
		uint32_t uv = store_folder_uidvalidity(f);

		store_folder_close(&f);
		imapd_done(d, c, "[APPENDUID %u %u] APPEND completed",
		    (unsigned)uv, (unsigned)uid);
	}
}

/* ---- QUOTA ------------------------------------------------------------ */

void
imapd_cmd_getquota(struct imapd *d, struct imap_cmd *c)
{
	bool root = strcmp(c->name, "GETQUOTAROOT") == 0;
	uint64_t bytes = 0, msgs = 0;
	struct buf *b;
	char *name = NULL;

	if (c->n_args != 1 || !imap_arg_is_astring(&c->args[0])) {
		imapd_tagged(d, c->tag, "BAD", "%s %s", c->name,
		    root ? "mailbox" : "root");
		return;
	}
	if (root) {
		struct store_folder *f = NULL;
		enum store_result r;

		if ((name = imapd_mailbox_arg(d, c->tag, &c->args[0])) ==
		    NULL)
			return;
		buf_reset(d->err);
		r = store_folder_open(d->mb, name, &f, d->err);
		store_folder_close(&f);
		if (r != STORE_OK) {
			imapd_store_fail(d, c->tag, "getquotaroot", r);
			return;
		}
	} else if (c->args[0].len != 0) {
		imapd_tagged(d, c->tag, "NO", "[NONEXISTENT] No such quota "
		    "root");
		return;
	}
	buf_reset(d->err);
	if (store_quota_get(d->mb, &bytes, &msgs, d->err) != STORE_OK) {
		imapd_store_fail(d, c->tag, "getquota", STORE_ERROR);
		return;
	}
	b = buf_new(256, 16 * 1024);
	if (root) {
		buf_append_str(b, "* QUOTAROOT ");
		imapd_mailbox_write(d, b, name);
		buf_append_str(b, " \"\"\r\n");
	}
	buf_append_str(b, "* QUOTA \"\" (");
	if (d->quota.bytes != 0)
		buf_printf(b, "STORAGE %llu %llu",
		    (unsigned long long)((bytes + 1023) / 1024),
		    (unsigned long long)(d->quota.bytes / 1024));
	if (d->quota.messages != 0)
		buf_printf(b, "%sMESSAGE %llu %llu",
		    d->quota.bytes != 0 ? " " : "", (unsigned long long)msgs,
		    (unsigned long long)d->quota.messages);
	buf_append_str(b, ")\r\n");
	imapd_write(d, b->data, b->len);
	buf_free(&b);
	imapd_done(d, c, "%s completed", c->name);
}
