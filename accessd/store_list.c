/*
 * accessd/store_list.c - the folder list of a mailbox: LIST, CREATE,
 * DELETE, RENAME (INBOX's special case included), subscriptions.
 *
 * Runs in session processes. Changes to the list happen under the
 * mailbox lock (tessera.mblock); directory entries are untrusted and only
 * names we could have made are listed.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

/* Longest tessera.subscriptions we read. */
#define SUBS_FILE_MAX (4u << 20)

struct names {
	char **v;
	size_t n, cap;
};

static void
names_add(struct names *ns, const char *s)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap != 0 ? ns->cap * 2 : 16;
		ns->v = xreallocarray(ns->v, ns->cap, sizeof(*ns->v));
	}
	ns->v[ns->n++] = xstrdup(s);
}

static bool
names_has(const struct names *ns, const char *s)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], s) == 0)
			return true;
	return false;
}

static void
names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder names of mb's directories (not INBOX). */
static int
scan_folders(struct store_mailbox *mb, struct names *ns)
{
	struct dirent *de;
	DIR *d = opendir(mb->path);

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char name[STORE_PATH_MAX], canon[STORE_PATH_MAX];

		char path[STORE_PATH_MAX];

		if (de->d_name[0] != '.' || store_dir_to_name(de->d_name, name,
		    sizeof(name)) == -1 || str_printf(path, sizeof(path),
		    "%s/%s", mb->path, de->d_name) == -1 || !is_dir(path))
			continue;
		/* only names in canonical form map back to this directory */
		if (store_name_canon(&mb->lim, name, canon, sizeof(canon),
		    NULL) != STORE_OK || strcmp(canon, name) != 0 ||
		    store_name_is_inbox(canon))
			continue;
		names_add(ns, canon);
	}
	closedir(d);
	return 0;
}

static int
read_subs(struct store_mailbox *mb, struct names *ns)
{
	char path[STORE_PATH_MAX];
	struct buf *b;
	char *p, *save = NULL;
	int fd;

	if (str_printf(path, sizeof(path), "%s/%s", mb->path,
	    STORE_SUBS_FILE) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errno == ENOENT ? 0 : -1;
	b = buf_new(1024, SUBS_FILE_MAX);
	for (;;) {
		char chunk[4096];
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r <= 0 || buf_append(b, chunk, (size_t)r) == -1)
			break;
	}
	close(fd);
	for (p = strtok_r((char *)b->data, "\n", &save); p != NULL;
	    p = strtok_r(NULL, "\n", &save))
		names_add(ns, p);
	buf_free(&b);
	return 0;
}

static int
write_subs(struct store_mailbox *mb, const struct names *ns)
{
	char path[STORE_PATH_MAX];
	struct buf *b = buf_new(1024, SUBS_FILE_MAX);
	int rc = -1;

	for (size_t i = 0; i < ns->n; i++)
		if (buf_printf(b, "%s\n", ns->v[i]) == -1)
			goto out;
	if (str_printf(path, sizeof(path), "%s/%s", mb->path,
	    STORE_SUBS_FILE) == 0)
		rc = store_write_file(mb, path, b->data, b->len);
out:
	buf_free(&b);
	return rc;
}

static int
mb_lock(struct store_mailbox *mb, struct buf *err)
{
	char path[STORE_PATH_MAX];

	if (str_printf(path, sizeof(path), "%s/%s", mb->path,
	    STORE_MBLOCK_FILE) == -1)
		return -1;
	return store_lock_take(path, err);
}

enum store_result
store_subscribe(struct store_mailbox *mb, const char *name, bool subscribe,
    struct buf *err)
{
	char canon[STORE_PATH_MAX];
	struct names ns = { 0 };
	enum store_result r;
	int lk;

	if ((r = store_folder_name_check(mb, name, canon, sizeof(canon),
	    err)) != STORE_OK)
		return r;
	if ((lk = mb_lock(mb, err)) == -1)
		return STORE_ERROR;
	r = STORE_ERROR;
	if (read_subs(mb, &ns) == -1)
		goto out;
	if (subscribe && !names_has(&ns, canon)) {
		if (ns.n >= mb->lim.folders_max) {
			store_err(err, "more than %u subscriptions",
			    mb->lim.folders_max);
			r = STORE_LIMIT;
			goto out;
		}
		names_add(&ns, canon);
	} else if (!subscribe) {
		size_t k = 0;

		for (size_t i = 0; i < ns.n; i++) {
			if (strcmp(ns.v[i], canon) == 0)
				free(ns.v[i]);
			else
				ns.v[k++] = ns.v[i];
		}
		ns.n = k;
	}
	r = write_subs(mb, &ns) == 0 ? STORE_OK : STORE_ERROR;
out:
	if (r == STORE_ERROR)
		store_err(err, "subscriptions of %s: %s", mb->path,
		    strerror(errno));
	names_free(&ns);
	store_lock_release(&lk);
	return r;
}

static int
cmp_info(const void *a, const void *b)
{
	const struct store_folder_info *x = a, *y = b;

	if (store_name_is_inbox(x->name) != store_name_is_inbox(y->name))
		return store_name_is_inbox(x->name) ? -1 : 1;
	return strcmp(x->name, y->name);
}

enum store_result
store_folder_list(struct store_mailbox *mb, struct pool *pool,
    struct store_folder_info **out, size_t *n_out, struct buf *err)
{
	struct names ns = { 0 }, subs = { 0 };
	struct store_folder_info *v;
	size_t n;

	names_add(&ns, "INBOX");
	if (scan_folders(mb, &ns) == -1 || read_subs(mb, &subs) == -1) {
		store_err(err, "list %s: %s", mb->path, strerror(errno));
		names_free(&ns);
		names_free(&subs);
		return STORE_ERROR;
	}
	/* parents that do not exist themselves are listed as \Noselect */
	n = ns.n;
	for (size_t i = 0; i < n; i++) {
		char parent[STORE_PATH_MAX];
		char *slash;

		str_copy(parent, sizeof(parent), ns.v[i]);
		while ((slash = strrchr(parent, STORE_SEP)) != NULL) {
			*slash = '\0';
			if (!names_has(&ns, parent))
				names_add(&ns, parent);
		}
	}
	v = pool_alloc(pool, (ns.n + 1) * sizeof(*v));
	for (size_t i = 0; i < ns.n; i++) {
		size_t l = strlen(ns.v[i]);

		v[i].name = pool_strdup(pool, ns.v[i]);
		v[i].noselect = i >= n;
		v[i].subscribed = names_has(&subs, ns.v[i]);
		v[i].special = store_name_special(ns.v[i]);
		for (size_t j = 0; j < ns.n; j++)
			if (strncmp(ns.v[j], ns.v[i], l) == 0 &&
			    ns.v[j][l] == STORE_SEP)
				v[i].has_children = true;
	}
	qsort(v, ns.n, sizeof(*v), cmp_info);
	*out = v;
	*n_out = ns.n;
	names_free(&ns);
	names_free(&subs);
	return STORE_OK;
}

static int
folder_dir(struct store_mailbox *mb, const char *canon, char *out,
    size_t size)
{
	char dname[STORE_PATH_MAX];

	if (store_name_to_dir(canon, dname, sizeof(dname)) == -1)
		return -1;
	return str_printf(out, size, "%s/%s", mb->path, dname);
}

/* Create canon and its missing parents (mailbox lock held). */
static enum store_result
create_locked(struct store_mailbox *mb, const char *canon, struct buf *err)
{
	char dir[STORE_PATH_MAX], part[STORE_PATH_MAX];
	struct names ns = { 0 };
	size_t count;
	enum store_result r = STORE_OK;

	if (folder_dir(mb, canon, dir, sizeof(dir)) == -1) {
		store_err(err, "folder name too long on disk");
		return STORE_LIMIT;
	}
	if (store_name_is_inbox(canon) || is_dir(dir)) {
		store_err(err, "folder %s exists", canon);
		return STORE_EXISTS;
	}
	if (scan_folders(mb, &ns) == -1) {
		store_err(err, "list %s: %s", mb->path, strerror(errno));
		return STORE_ERROR;
	}
	count = ns.n + 1;
	names_free(&ns);
	/* each missing level, parents first (RFC 3501 6.3.3) */
	for (const char *p = canon;; p++) {
		if (*p != STORE_SEP && *p != '\0')
			continue;
		str_copy(part, sizeof(part), canon);
		part[p - canon] = '\0';
		if (!store_name_is_inbox(part) &&
		    folder_dir(mb, part, dir, sizeof(dir)) == 0 && !is_dir(dir)) {
			if (count >= mb->lim.folders_max) {
				store_err(err, "more than %u folders",
				    mb->lim.folders_max);
				return STORE_LIMIT;
			}
			if ((r = store_folder_mkdir(mb, dir, err)) != STORE_OK)
				return r;
			count++;
		}
		if (*p == '\0')
			break;
	}
	if (store_fsync_dir(mb, mb->path) == -1) {
		store_err(err, "fsync %s: %s", mb->path, strerror(errno));
		return STORE_ERROR;
	}
	log_info("store: folder created mailbox=%s folder=\"%s\"", mb->id,
	    canon);
	return STORE_OK;
}

enum store_result
store_folder_create(struct store_mailbox *mb, const char *name,
    struct buf *err)
{
	char canon[STORE_PATH_MAX];
	enum store_result r;
	int lk;

	if ((r = store_folder_name_check(mb, name, canon, sizeof(canon),
	    err)) != STORE_OK)
		return r;
	if ((lk = mb_lock(mb, err)) == -1)
		return STORE_ERROR;
	r = create_locked(mb, canon, err);
	store_lock_release(&lk);
	return r;
}

/* Remove a folder directory we renamed out of sight. */
static void
remove_tree(const char *dir)
{
	static const char *const subs[] = { "cur", "new", "tmp", "" };
	char path[STORE_PATH_MAX], file[STORE_PATH_MAX];

	for (size_t i = 0; i < 4; i++) {
		struct dirent *de;
		DIR *d;

		if (str_printf(path, sizeof(path), "%s/%s", dir, subs[i]) == -1 ||
		    (d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL)
			if (str_printf(file, sizeof(file), "%s/%s", path,
			    de->d_name) == 0)
				unlink(file);	/* fails on . .. and subdirs */
		closedir(d);
		if (*subs[i] != '\0')
			rmdir(path);
	}
	if (rmdir(dir) == -1)
		log_warn_errno("store: cannot remove %s", dir);
}

enum store_result
store_folder_delete(struct store_mailbox *mb, const char *name,
    struct buf *err)
{
	char canon[STORE_PATH_MAX], dir[STORE_PATH_MAX], gone[STORE_PATH_MAX];
	char uniq[128];
	struct store_folder *f = NULL;
	uint64_t bytes = 0, count;
	enum store_result r;
	int lk;

	if ((r = store_folder_name_check(mb, name, canon, sizeof(canon),
	    err)) != STORE_OK)
		return r;
	if (store_name_is_inbox(canon)) {
		store_err(err, "INBOX cannot be deleted");
		return STORE_INVALID;
	}
	if ((lk = mb_lock(mb, err)) == -1)
		return STORE_ERROR;
	if ((r = store_folder_open(mb, canon, &f, err)) != STORE_OK)
		goto out;
	if ((r = store_folder_lock(f, NULL, NULL, err)) != STORE_OK)
		goto out;
	for (size_t i = 0; i < f->idx.n; i++)
		bytes += f->idx.msgs[i].size;
	count = f->idx.n;
	/* out of sight in one step (a name no folder can have), then away */
	if (folder_dir(mb, canon, dir, sizeof(dir)) == -1 ||
	    store_fname_unique(mb, uniq, sizeof(uniq)) == -1 ||
	    str_printf(gone, sizeof(gone), "%s/..deleted.%s", mb->path,
	    uniq) == -1 || rename(dir, gone) == -1) {
		store_err(err, "delete %s: %s", canon, strerror(errno));
		r = STORE_ERROR;
		goto out;
	}
	store_folder_close(&f);
	remove_tree(gone);
	store_fsync_dir(mb, mb->path);
	store_quota_add(mb, -(int64_t)bytes, -(int64_t)count, NULL);
	log_info("store: folder deleted mailbox=%s folder=\"%s\" messages=%llu",
	    mb->id, canon, (unsigned long long)count);
out:
	store_folder_close(&f);
	store_lock_release(&lk);
	return r;
}

/* RFC 3501 6.3.5: renaming INBOX moves its messages to a new folder. */
static enum store_result
rename_inbox(struct store_mailbox *mb, const char *to, struct buf *err)
{
	struct store_folder *src = NULL, *dst = NULL;
	struct store_range all = { 1, UINT32_MAX - 1 };
	struct store_copied copied;
	struct pool *pool = pool_new("rename_inbox");
	enum store_result r;

	if ((r = create_locked(mb, to, err)) == STORE_OK &&
	    (r = store_folder_open(mb, "INBOX", &src, err)) == STORE_OK &&
	    (r = store_folder_open(mb, to, &dst, err)) == STORE_OK)
		r = store_copy(src, &all, 1, dst, true, NULL, pool, &copied,
		    NULL, NULL, err);
	store_folder_close(&src);
	store_folder_close(&dst);
	pool_free(&pool);
	return r;
}

enum store_result
store_folder_rename(struct store_mailbox *mb, const char *from,
    const char *to, struct buf *err)
{
	char cf[STORE_PATH_MAX], ct[STORE_PATH_MAX];
	char df[STORE_PATH_MAX], dt[STORE_PATH_MAX];
	char a[STORE_PATH_MAX], b[STORE_PATH_MAX];
	struct names ns = { 0 };
	enum store_result r;
	size_t lf;
	int lk;

	if ((r = store_folder_name_check(mb, from, cf, sizeof(cf),
	    err)) != STORE_OK ||
	    (r = store_folder_name_check(mb, to, ct, sizeof(ct),
	    err)) != STORE_OK)
		return r;
	lf = strlen(cf);
	if (store_name_is_inbox(ct) || (strncmp(ct, cf, lf) == 0 &&
	    (ct[lf] == STORE_SEP || ct[lf] == '\0'))) {
		store_err(err, "cannot rename %s to %s", cf, ct);
		return STORE_INVALID;
	}
	if ((lk = mb_lock(mb, err)) == -1)
		return STORE_ERROR;
	if (store_name_is_inbox(cf)) {
		r = rename_inbox(mb, ct, err);
		goto out;
	}
	r = STORE_ERROR;
	if (folder_dir(mb, cf, a, sizeof(a)) == -1 || !is_dir(a)) {
		store_err(err, "no folder %s", cf);
		r = STORE_NOTFOUND;
		goto out;
	}
	if (folder_dir(mb, ct, b, sizeof(b)) == -1 || is_dir(b)) {
		store_err(err, "folder %s exists", ct);
		r = STORE_EXISTS;
		goto out;
	}
	if (scan_folders(mb, &ns) == -1)
		goto io;
	/* the folder and its children, whose new names must all be valid */
	for (size_t i = 0; i < ns.n; i++) {
		char nn[STORE_PATH_MAX], canon[STORE_PATH_MAX];

		if (strncmp(ns.v[i], cf, lf) != 0 ||
		    (ns.v[i][lf] != '\0' && ns.v[i][lf] != STORE_SEP))
			continue;
		if (str_printf(nn, sizeof(nn), "%s%s", ct, ns.v[i] + lf) == -1 ||
		    (r = store_folder_name_check(mb, nn, canon, sizeof(canon),
		    err)) != STORE_OK) {
			if (r == STORE_ERROR)
				r = STORE_LIMIT;
			goto out;
		}
	}
	for (size_t i = 0; i < ns.n; i++) {
		char nn[STORE_PATH_MAX];

		if (strncmp(ns.v[i], cf, lf) != 0 ||
		    (ns.v[i][lf] != '\0' && ns.v[i][lf] != STORE_SEP))
			continue;
		str_printf(nn, sizeof(nn), "%s%s", ct, ns.v[i] + lf);
		if (folder_dir(mb, ns.v[i], df, sizeof(df)) == -1 ||
		    folder_dir(mb, nn, dt, sizeof(dt)) == -1 ||
		    rename(df, dt) == -1)
			goto io;
	}
	store_fsync_dir(mb, mb->path);
	log_info("store: folder renamed mailbox=%s from=\"%s\" to=\"%s\"",
	    mb->id, cf, ct);
	r = STORE_OK;
	goto out;
io:
	store_err(err, "rename %s: %s", cf, strerror(errno));
	r = STORE_ERROR;
out:
	names_free(&ns);
	store_lock_release(&lk);
	return r;
}
