/*
 * admin/admin_mailbox.c - `tessera mailbox recalc ADDRESS`: count a user's
 * mailbox again (messages and bytes of every folder) and rewrite its
 * tessera.quota, for when the incremental usage drifted (a crash between
 * a message change and its quota update).
 *
 * Runs in the tessera command on the mailbox host. The user is resolved
 * through libtdir (the [directory] service bind) to its mailbox id; the
 * store is the one of [accessd.store] mail_root. Started by root, the
 * command first becomes the owner of mail_root, so every file it writes
 * stays accessd's.
 */
#include "config.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/dns_config.h"
#include "lib/pool.h"
#include "lib/priv.h"
#include "directory/dir.h"
#include "accessd/store.h"
#include "accessd/store_config.h"
#include "admin/admin.h"
#include "admin/admin_out.h"
#include "admin/admin_unique.h"
#include "lib/banned.h"

/* The user's mailbox id, or an exit code after a message. */
static int
mailbox_id(struct admin *a, const char *address, const char **id_out)
{
	struct dns_settings dns;
	struct dir_settings s = a->dirs;
	struct dir_entry *e = NULL;
	struct dir_info info = { 0 };
	const char *err = NULL;
	enum dir_result r;
	struct dir *d;
	int rc = ADMIN_OK;

	dns_config_settings(a->cfg, a->pool, &dns);
	s.dns = &dns;
	if ((d = dir_new(&s, a->pool, &err)) == NULL)
		return admin_fail(a, ADMIN_EX_CONFIG, "%s: [directory]: %s",
		    a->config_path, err);
	r = dir_lookup_address(d, address, a->pool, &e, &info);
	if (r == DIR_TEMPFAIL)
		rc = admin_fail(a, ADMIN_EX_TEMPFAIL, "temporary failure: %s",
		    info.error != NULL ? info.error : "unknown");
	else if (r == DIR_NOTFOUND)
		rc = admin_fail(a, ADMIN_EX_NOTFOUND, "%s: not found",
		    address);
	else if (e->kind != DIR_KIND_USER || e->mailbox_id == NULL)
		rc = admin_fail(a, ADMIN_EX_DATAERR, "%s is a %s, not a user "
		    "with a mailbox", address, dir_kind_name(e->kind));
	else
		*id_out = pool_strdup(a->pool, e->mailbox_id);
	dir_free(&d);
	return rc;
}

/* Started by root: become the owner of mail_root (unless that is root). */
static int
become_store_owner(struct admin *a, const char *mail_root)
{
	struct priv_spec spec = { 0 };
	struct passwd *pw;
	const char *err = NULL;
	struct stat st;

	if (stat(mail_root, &st) != 0 || !S_ISDIR(st.st_mode))
		return admin_fail(a, ADMIN_EX_NOTFOUND, "no mail store at %s "
		    "([accessd.store] mail_root)", mail_root);
	if (geteuid() != 0 || st.st_uid == 0)
		return ADMIN_OK;
	if ((pw = getpwuid(st.st_uid)) == NULL)
		return admin_fail(a, ADMIN_EX_NOPERM, "%s: its owner (uid %u) "
		    "has no account", mail_root, (unsigned)st.st_uid);
	spec.user = pool_strdup(a->pool, pw->pw_name);
	if (priv_drop(&spec, &err) != 0)
		return admin_fail(a, ADMIN_EX_SOFTWARE, "cannot become %s: %s",
		    spec.user, err);
	return ADMIN_OK;
}

int
admin_mailbox_recalc(struct admin *a, int argc, char **argv)
{
	struct store_limits lim;
	struct store_mailbox *mb;
	struct buf *err;
	const char *mail_root = NULL, *id = NULL;
	uint64_t bytes0 = 0, msgs0 = 0, bytes = 0, msgs = 0;
	int rc;

	if (argc != 1 || argv[0][0] == '-')
		return admin_fail(a, ADMIN_EX_USAGE, "ADDRESS expected");
	if ((rc = admin_check_address(a, "address", argv[0])) != ADMIN_OK ||
	    (rc = mailbox_id(a, argv[0], &id)) != ADMIN_OK)
		return rc;
	store_config_limits(a->cfg, &lim, &mail_root);
	if ((rc = become_store_owner(a, mail_root)) != ADMIN_OK)
		return rc;
	err = buf_new(256, 4096);
	mb = store_mailbox_open(mail_root, id, &lim, err);
	if (mb == NULL) {
		rc = admin_fail(a, ADMIN_EX_NOPERM, "mailbox %s: %s", id,
		    buf_cstr(err));
	} else if (store_quota_get(mb, &bytes0, &msgs0, err) != STORE_OK ||
	    store_quota_recalc(mb, &bytes, &msgs, err) != STORE_OK) {
		rc = admin_fail(a, ADMIN_EX_NOPERM, "mailbox %s: %s", id,
		    buf_cstr(err));
	} else {
		admin_out_begin_obj(a->out, NULL);
		admin_out_str(a->out, "address", argv[0]);
		admin_out_str(a->out, "mailbox_id", id);
		admin_out_str(a->out, "path", store_mailbox_path(mb));
		admin_out_u64(a->out, "messages", msgs);
		admin_out_u64(a->out, "bytes", bytes);
		admin_out_u64(a->out, "messages_before", msgs0);
		admin_out_u64(a->out, "bytes_before", bytes0);
		admin_out_end_obj(a->out);
	}
	store_mailbox_close(&mb);
	buf_free(&err);
	return rc;
}
