/*
 * tests/unit/accessd/store_testutil.c - helpers for the store's unit
 * tests (store_testutil.h).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "accessd/store_int.h"
#include "tests/unit/accessd/store_testutil.h"
#include "lib/banned.h"

char *
st_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char path[4096];

	snprintf(path, sizeof(path), "%s/store-test.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	cr_assert_not_null(mkdtemp(path), "mkdtemp %s", path);
	return xstrdup(path);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
st_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void
st_limits(struct store_limits *lim, int with_fsync)
{
	store_limits_defaults(lim);
	lim->fsync = with_fsync != 0;
}

struct store_mailbox *
st_mailbox(const char *root, const char *id, const struct store_limits *lim)
{
	struct buf *err = buf_new(64, 4096);
	struct store_mailbox *mb = store_mailbox_open(root, id, lim, err);

	cr_assert_not_null(mb, "store_mailbox_open: %s", buf_cstr(err));
	buf_free(&err);
	return mb;
}

struct store_folder *
st_folder(struct store_mailbox *mb, const char *name)
{
	struct buf *err = buf_new(64, 4096);
	struct store_folder *f = NULL;

	cr_assert_eq(store_folder_open(mb, name, &f, err), STORE_OK,
	    "store_folder_open %s: %s", name, buf_cstr(err));
	buf_free(&err);
	return f;
}

uint32_t
st_append(struct store_folder *f, const char *text)
{
	struct buf *err = buf_new(64, 4096);
	uint32_t uid = 0;

	cr_assert_eq(store_append(f, text, strlen(text), 0, NULL, 0, NULL, &uid,
	    err), STORE_OK, "store_append: %s", buf_cstr(err));
	buf_free(&err);
	return uid;
}

void
st_record(void *arg, enum store_change kind, const struct store_msg *m,
    size_t pos)
{
	struct st_changes *c = arg;

	if (c->n < ST_CHANGES_MAX) {
		c->kind[c->n] = kind;
		c->uid[c->n] = m->uid;
		c->pos[c->n] = pos;
		c->n++;
	}
	c->count[kind]++;
}

size_t
st_count_files(const char *folder_dir)
{
	char path[4096];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cur", folder_dir);
	d = opendir(path);
	cr_assert_not_null(d, "opendir %s", path);
	while ((de = readdir(d)) != NULL) {
		struct store_fname fn;

		if (de->d_name[0] != '.' && store_fname_parse(de->d_name, &fn) == 0)
			n++;
	}
	closedir(d);
	return n;
}

char *
st_folder_dir(struct store_mailbox *mb, const char *dirname)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", store_mailbox_path(mb), dirname);
	return xstrdup(path);
}

void
st_assert_consistent(struct store_folder *f, const char *folder_dir)
{
	size_t n = store_folder_count(f);

	cr_assert_eq(st_count_files(folder_dir), n,
	    "%zu files in cur/ but %zu messages in the index",
	    st_count_files(folder_dir), n);
	for (size_t i = 0; i < n; i++) {
		const struct store_msg *m = store_folder_msg(f, i);
		char path[4096];
		struct store_fname fn;

		cr_assert_lt(m->uid, store_folder_uidnext(f));
		if (i > 0)
			cr_assert_gt(m->uid, store_folder_msg(f, i - 1)->uid);
		snprintf(path, sizeof(path), "%s/cur/%s", folder_dir, m->file);
		cr_assert_eq(access(path, R_OK), 0, "missing %s", path);
		cr_assert_eq(store_fname_parse(m->file, &fn), 0);
		cr_assert_eq(fn.uid, m->uid);
		cr_assert_eq(fn.size, m->size);
	}
}
