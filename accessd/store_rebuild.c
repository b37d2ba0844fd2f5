/*
 * accessd/store_rebuild.c - what makes the index a cache: the folder's
 * tessera.uidvalidity file (UIDVALIDITY and floors of UIDNEXT and
 * HIGHESTMODSEQ), new folder directories, and rebuilding tessera.index
 * from the Maildir file names when it is missing or damaged.
 *
 * Runs in session processes under the folder lock. Directory entries are
 * untrusted: names that are not ours, links, devices and duplicate UIDs
 * are skipped with one log line each.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

/* Parse "1 <uidvalidity> <uidnext> <highestmodseq>\n". */
static int
uidv_parse(const char *s, uint32_t *uv, uint32_t *next, uint64_t *ms)
{
	const char *f[4];
	size_t n[4], k = 0;
	uint64_t v[4];

	for (const char *p = s; *p != '\0' && *p != '\n' && k < 4;) {
		f[k] = p;
		n[k] = strcspn(p, " \n");
		p += n[k];
		k++;
		if (*p == ' ')
			p++;
	}
	if (k != 4 || parse_u64(f[0], n[0], 1, &v[0]) == -1 || v[0] != 1 ||
	    parse_u64(f[1], n[1], UINT32_MAX, &v[1]) == -1 || v[1] == 0 ||
	    parse_u64(f[2], n[2], UINT32_MAX, &v[2]) == -1 ||
	    parse_u64(f[3], n[3], UINT64_MAX, &v[3]) == -1)
		return -1;
	*uv = (uint32_t)v[1];
	*next = (uint32_t)v[2];
	*ms = v[3];
	return 0;
}

static int
uidv_read(const char *dir, uint32_t *uv, uint32_t *next, uint64_t *ms)
{
	char path[STORE_PATH_MAX], text[128];
	ssize_t r;
	int fd;

	if (str_printf(path, sizeof(path), "%s/%s", dir, STORE_UIDV_FILE) == -1)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	r = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	text[r] = '\0';
	return uidv_parse(text, uv, next, ms);
}

static enum store_result
uidv_write(struct store_mailbox *mb, const char *dir, uint32_t uv,
    uint32_t next, uint64_t ms, struct buf *err)
{
	char path[STORE_PATH_MAX], text[128];

	if (str_printf(path, sizeof(path), "%s/%s", dir, STORE_UIDV_FILE) == -1 ||
	    str_printf(text, sizeof(text), "1 %u %u %llu\n", uv, next,
	    (unsigned long long)ms) == -1 ||
	    store_write_file(mb, path, text, strlen(text)) == -1) {
		store_err(err, "write %s/%s: %s", dir, STORE_UIDV_FILE,
		    strerror(errno));
		return STORE_ERROR;
	}
	return STORE_OK;
}

enum store_result
store_folder_write_uidv(struct store_folder *f, struct buf *err)
{
	return uidv_write(f->mb, f->dir, f->idx.uidvalidity, f->idx.uidnext,
	    f->idx.highestmodseq, err);
}

uint32_t
store_new_uidvalidity(struct store_mailbox *mb, struct buf *err)
{
	char path[STORE_PATH_MAX], text[32];
	uint64_t last = 0, now = (uint64_t)time(NULL), v;
	ssize_t r;
	int fd;

	if (str_printf(path, sizeof(path), "%s/%s", mb->path,
	    STORE_UVNEXT_FILE) == -1 || (fd = store_lock_take(path, err)) == -1)
		return 0;
	r = pread(fd, text, sizeof(text) - 1, 0);
	if (r > 0 && parse_u64(text, strcspn(text, "\n"), UINT32_MAX,
	    &last) == -1)
		last = 0;
	/* time-based like most servers, but never twice the same value,
	 * so a folder deleted and created again gets a new one */
	v = now > last ? now : last + 1;
	if (v > UINT32_MAX)
		v = 1;
	r = -1;
	if (str_printf(text, sizeof(text), "%llu\n", (unsigned long long)v) == 0 &&
	    ftruncate(fd, 0) == 0)
		r = pwrite(fd, text, strlen(text), 0);
	store_lock_release(&fd);
	if (r == -1) {
		store_err(err, "write %s: %s", path, strerror(errno));
		return 0;
	}
	return (uint32_t)v;
}

/* Fill dir (which exists) with cur/ new/ tmp/, a new UIDVALIDITY and an
 * empty index. */
static enum store_result
populate(struct store_mailbox *mb, const char *dir, struct buf *err)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	char path[STORE_PATH_MAX];
	struct store_index idx;
	uint8_t hdr[STORE_INDEX_HDR_LEN];
	uint32_t uv;

	for (size_t i = 0; i < 3; i++)
		if (str_printf(path, sizeof(path), "%s/%s", dir, subs[i]) == -1 ||
		    (mkdir(path, 0700) == -1 && errno != EEXIST)) {
			store_err(err, "mkdir %s: %s", path, strerror(errno));
			return STORE_ERROR;
		}
	if ((uv = store_new_uidvalidity(mb, err)) == 0)
		return STORE_ERROR;
	store_index_init(&idx);
	idx.uidvalidity = uv;
	idx.uidnext = 1;
	store_index_header_encode(&idx, hdr);
	if (str_printf(path, sizeof(path), "%s/%s", dir, STORE_INDEX_FILE) == -1 ||
	    store_write_file(mb, path, hdr, sizeof(hdr)) == -1) {
		store_err(err, "write %s: %s", path, strerror(errno));
		return STORE_ERROR;
	}
	/* UIDVALIDITY last: for INBOX, filled in place, its presence tells
	 * other openers the folder is complete (store_mailbox.c); written
	 * before the index, it let a delivery find no index, make one and
	 * append, and then lose its message when this one replaced it */
	return uidv_write(mb, dir, uv, 1, 0, err);
}

enum store_result
store_folder_mkdir(struct store_mailbox *mb, const char *dir,
    struct buf *err)
{
	char tmp[STORE_PATH_MAX], uniq[128];
	enum store_result r;

	/* INBOX is the mailbox directory itself: filled in place, under
	 * the mailbox lock (store_mailbox.c) */
	if (strcmp(dir, mb->path) == 0) {
		if ((r = populate(mb, dir, err)) == STORE_OK &&
		    store_fsync_dir(mb, dir) == -1) {
			store_err(err, "fsync %s: %s", dir, strerror(errno));
			r = STORE_ERROR;
		}
		return r;
	}
	/* any other folder appears whole or not at all: a session opening
	 * it meanwhile must not find it half made and rebuild it under the
	 * feet of its creator */
	if (store_fname_unique(mb, uniq, sizeof(uniq)) == -1 ||
	    str_printf(tmp, sizeof(tmp), "%s/..new.%s", mb->path, uniq) == -1 ||
	    mkdir(tmp, 0700) == -1) {
		store_err(err, "mkdir in %s: %s", mb->path, strerror(errno));
		return STORE_ERROR;
	}
	r = populate(mb, tmp, err);
	if (r == STORE_OK && renameat2(AT_FDCWD, tmp, AT_FDCWD, dir,
	    RENAME_NOREPLACE) == -1) {
		r = errno == EEXIST ? STORE_EXISTS : STORE_ERROR;
		store_err(err, "rename to %s: %s", dir, strerror(errno));
	}
	if (r != STORE_OK) {
		char sub[STORE_PATH_MAX];

		for (const char *const *s = (const char *const[]){ "cur", "new",
		    "tmp", STORE_UIDV_FILE, STORE_INDEX_FILE, NULL }; *s != NULL;
		    s++)
			if (str_printf(sub, sizeof(sub), "%s/%s", tmp, *s) == 0)
				remove(sub);
		rmdir(tmp);
		return r;
	}
	if (store_fsync_dir(mb, mb->path) == -1) {
		store_err(err, "fsync %s: %s", mb->path, strerror(errno));
		return STORE_ERROR;
	}
	return STORE_OK;
}

void
store_tmp_sweep(struct store_folder *f)
{
	char dpath[STORE_PATH_MAX], path[STORE_PATH_MAX];
	time_t old = time(NULL) - STORE_TMP_MAX_AGE;
	struct dirent *de;
	DIR *d;

	if (str_printf(dpath, sizeof(dpath), "%s/tmp", f->dir) == -1 ||
	    (d = opendir(dpath)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.' || str_printf(path, sizeof(path),
		    "%s/%s", dpath, de->d_name) == -1 || lstat(path, &st) == -1 ||
		    !S_ISREG(st.st_mode) || st.st_mtime >= old)
			continue;
		if (unlink(path) == 0)
			log_info("store: removed stale tmp file folder=%s "
			    "size=%lld", f->dir, (long long)st.st_size);
	}
	closedir(d);
}

static void
skip_entry(const struct store_folder *f, const char *sub, const char *name,
    const char *why)
{
	struct buf *esc = buf_new(64, 1024);

	log_warn("store: ignoring file folder=%s dir=%s file=\"%s\" reason=%s",
	    f->dir, sub, log_escape(esc, name, strlen(name)), why);
	buf_free(&esc);
}

/* Add the messages of one Maildir subdirectory to idx. */
static int
scan_dir(struct store_folder *f, const char *sub, struct store_index *idx,
    uint64_t modseq)
{
	char dpath[STORE_PATH_MAX], path[STORE_PATH_MAX], to[STORE_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (str_printf(dpath, sizeof(dpath), "%s/%s", f->dir, sub) == -1 ||
	    (d = opendir(dpath)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		struct store_fname fn;
		struct store_msg m;
		struct stat st;

		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		if (store_fname_parse(de->d_name, &fn) == -1) {
			skip_entry(f, sub, de->d_name, "not_ours");
			continue;
		}
		if (str_printf(path, sizeof(path), "%s/%s", dpath,
		    de->d_name) == -1 || lstat(path, &st) == -1 ||
		    !S_ISREG(st.st_mode)) {
			skip_entry(f, sub, de->d_name, "not_a_file");
			continue;
		}
		if (strcmp(sub, "new") == 0) {
			/* ours, but moved to new/ by some tool: back to cur/ */
			if (store_folder_path(f, "cur", de->d_name, to,
			    sizeof(to)) == -1 || rename(path, to) == -1) {
				skip_entry(f, sub, de->d_name, "cannot_move");
				continue;
			}
		}
		memset(&m, 0, sizeof(m));
		m.uid = fn.uid;
		m.flags = fn.flags;
		m.modseq = modseq;
		m.size = fn.have_size ? fn.size : (uint64_t)st.st_size;
		m.internal_date = (int64_t)st.st_mtime;
		m.file = xstrdup(de->d_name);
		m.keywords = xstrdup("");
		if (idx->n == idx->cap) {
			idx->cap = idx->cap != 0 ? idx->cap * 2 : 64;
			idx->msgs = xreallocarray(idx->msgs, idx->cap,
			    sizeof(idx->msgs[0]));
		}
		idx->msgs[idx->n++] = m;
	}
	closedir(d);
	return 0;
}

static int
by_uid(const void *a, const void *b)
{
	const struct store_msg *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

enum store_result
store_rebuild(struct store_folder *f, struct buf *err)
{
	struct store_index idx;
	uint32_t uv = 0, next = 1;
	uint64_t ms = 0;
	bool have_uidv;
	size_t k = 0;

	ASSERT(f->lock_fd != -1);
	store_index_init(&idx);
	have_uidv = uidv_read(f->dir, &uv, &next, &ms) == 0;
	if (!have_uidv) {
		log_warn("store: no UIDVALIDITY file, new UIDVALIDITY "
		    "folder=%s", f->dir);
		if ((uv = store_new_uidvalidity(f->mb, err)) == 0)
			return STORE_ERROR;
	}
	/* one modseq for every message, above the floor and every modseq
	 * handed out before (they never run ahead of the modseq clock by
	 * more than the changes made within one clock tick) */
	ms++;
	if (store_modseq_clock() > ms)
		ms = store_modseq_clock();
	if (scan_dir(f, "cur", &idx, ms) == -1 ||
	    scan_dir(f, "new", &idx, ms) == -1) {
		store_err(err, "scan %s: %s", f->dir, strerror(errno));
		store_index_deinit(&idx);
		return STORE_ERROR;
	}
	qsort(idx.msgs, idx.n, sizeof(idx.msgs[0]), by_uid);
	for (size_t i = 0; i < idx.n; i++) {
		if (k > 0 && idx.msgs[k - 1].uid == idx.msgs[i].uid) {
			skip_entry(f, "cur", idx.msgs[i].file, "duplicate_uid");
			store_msg_clear(&idx.msgs[i]);
			continue;
		}
		idx.msgs[k++] = idx.msgs[i];
	}
	idx.n = k;
	idx.uidvalidity = uv;
	idx.uidnext = next;
	if (idx.n > 0 && idx.msgs[idx.n - 1].uid >= idx.uidnext)
		idx.uidnext = idx.msgs[idx.n - 1].uid + 1;
	idx.highestmodseq = ms;
	if (store_folder_write_index(f, &idx) == -1 ||
	    (!have_uidv && uidv_write(f->mb, f->dir, uv, idx.uidnext, ms,
	    err) != STORE_OK)) {
		store_err(err, "write index of %s: %s", f->dir, strerror(errno));
		store_index_deinit(&idx);
		return STORE_ERROR;
	}
	log_info("store: index rebuilt folder=%s messages=%zu uidvalidity=%u "
	    "uidnext=%u", f->dir, idx.n, uv, idx.uidnext);
	store_index_deinit(&idx);
	return STORE_OK;
}
