/*
 * accessd/store_mailbox.c - opening a user's mailbox: the directory
 * <mail_root>/<xx>/<id>/, INBOX at its root and, on first open, the
 * special-use folders (subscribed).
 *
 * Runs in session processes as the unprivileged user. The id comes from
 * the directory (entryUUID/objectGUID text) and is checked, since it
 * becomes a path.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

void
store_limits_defaults(struct store_limits *lim)
{
	lim->message_size_max = 64ull << 20;
	lim->folder_name_max = 200;
	lim->folder_depth_max = 16;
	lim->folders_max = 1000;
	lim->index_record_max = 256 << 10;
	lim->keywords_max = 1024;
	lim->fsync = true;
}

static const char *const default_folders[] = {
	"Sent", "Drafts", "Trash", "Junk", "Archive",
};

static int
mkdir_ok(const char *path)
{
	return mkdir(path, 0700) == 0 ? 1 : errno == EEXIST ? 0 : -1;
}

/* First open: the special-use folders, subscribed with INBOX. */
static enum store_result
create_defaults(struct store_mailbox *mb, struct buf *err)
{
	enum store_result r;

	for (size_t i = 0; i < sizeof(default_folders) /
	    sizeof(default_folders[0]); i++) {
		r = store_folder_create(mb, default_folders[i], err);
		if (r != STORE_OK && r != STORE_EXISTS)
			return r;
		if ((r = store_subscribe(mb, default_folders[i], true,
		    err)) != STORE_OK)
			return r;
	}
	return store_subscribe(mb, "INBOX", true, err);
}

struct store_mailbox *
store_mailbox_open(const char *mail_root, const char *id,
    const struct store_limits *lim, struct buf *err)
{
	struct store_mailbox *mb;
	char path[STORE_PATH_MAX], cur[STORE_PATH_MAX], fan[3];
	char uidv[STORE_PATH_MAX];
	struct stat st;
	enum store_result r;
	int made, lk;

	if (!store_id_ok(id)) {
		store_err(err, "bad mailbox id");
		return NULL;
	}
	store_id_fanout(id, fan);
	if (str_printf(path, sizeof(path), "%s/%s", mail_root, fan) == -1 ||
	    mkdir_ok(path) == -1 ||
	    str_printf(path, sizeof(path), "%s/%s/%s", mail_root, fan, id) == -1 ||
	    mkdir_ok(path) == -1 ||
	    str_printf(cur, sizeof(cur), "%s/cur", path) == -1 ||
	    str_printf(uidv, sizeof(uidv), "%s/%s", path,
	    STORE_UIDV_FILE) == -1) {
		store_err(err, "cannot create mailbox %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	mb = xmalloc(sizeof(*mb));
	mb->path = xstrdup(path);
	mb->id = xstrdup(id);
	mb->lim = *lim;
	/* the UIDVALIDITY file is made after cur/: its presence says INBOX
	 * is complete */
	if (stat(uidv, &st) == 0)
		return mb;
	/* first open, maybe by several deliveries at once: one makes INBOX
	 * under the mailbox lock, and that one adds the default folders */
	if (str_printf(path, sizeof(path), "%s/%s", mb->path,
	    STORE_MBLOCK_FILE) == -1 || (lk = store_lock_take(path, err)) == -1) {
		store_mailbox_close(&mb);
		return NULL;
	}
	/* cur/ without UIDVALIDITY: a lost file, store_rebuild's business */
	made = stat(cur, &st) == -1;
	r = made ? store_folder_mkdir(mb, mb->path, err) : STORE_OK;
	store_lock_release(&lk);
	if (r == STORE_OK && made)
		r = create_defaults(mb, err);
	if (r != STORE_OK) {
		store_mailbox_close(&mb);
		return NULL;
	}
	if (made)
		log_info("store: mailbox created id=%s path=%s", id, mb->path);
	return mb;
}

void
store_mailbox_close(struct store_mailbox **mbp)
{
	struct store_mailbox *mb = *mbp;

	if (mb == NULL)
		return;
	free(mb->path);
	free(mb->id);
	free(mb);
	*mbp = NULL;
}

const char *
store_mailbox_path(const struct store_mailbox *mb)
{
	return mb->path;
}

enum store_result
store_folder_name_check(const struct store_mailbox *mb, const char *name,
    char *canon, size_t size, struct buf *err)
{
	char dname[STORE_PATH_MAX];
	enum store_result r = store_name_canon(&mb->lim, name, canon, size, err);

	if (r == STORE_OK && store_name_to_dir(canon, dname,
	    sizeof(dname)) == -1) {
		store_err(err, "folder name too long on disk");
		return STORE_LIMIT;
	}
	return r;
}
