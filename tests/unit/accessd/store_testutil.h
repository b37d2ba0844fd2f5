/*
 * tests/unit/accessd/store_testutil.h - helpers shared by the store's unit
 * tests: a private temporary mail root, a mailbox with test limits, a
 * recorder of change callbacks and a consistency check of a folder
 * against its Maildir files.
 */
#ifndef TESTS_UNIT_ACCESSD_STORE_TESTUTIL_H
#define TESTS_UNIT_ACCESSD_STORE_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "accessd/store.h"

/* A new empty directory under $TMPDIR (or /tmp); caller frees. */
char *st_tmpdir(void);
/* Remove a directory tree (test cleanup). */
void st_rmtree(const char *path);
/* The limits the tests use (defaults, fsync off unless asked). */
void st_limits(struct store_limits *lim, int with_fsync);
/* Open mailbox id under root with lim, failing the test on error. */
struct store_mailbox *st_mailbox(const char *root, const char *id,
    const struct store_limits *lim);
/* Open a folder, failing the test on error. */
struct store_folder *st_folder(struct store_mailbox *mb, const char *name);
/* Append text with no flags; returns the UID (fails the test on error). */
uint32_t st_append(struct store_folder *f, const char *text);

/* What a store_change_fn saw. */
#define ST_CHANGES_MAX 4096
struct st_changes {
	size_t n;
	enum store_change kind[ST_CHANGES_MAX];
	uint32_t uid[ST_CHANGES_MAX];
	size_t pos[ST_CHANGES_MAX];
	size_t count[5];
};
void st_record(void *arg, enum store_change kind, const struct store_msg *m,
    size_t pos);

/* Number of message files in dir/cur whose names parse as ours. */
size_t st_count_files(const char *folder_dir);
/* The folder's directory ("" for INBOX) under the mailbox. */
char *st_folder_dir(struct store_mailbox *mb, const char *dirname);
/* Assert that f's view and the files of its cur/ match one to one, with
 * UIDs strictly ascending and below UIDNEXT. */
void st_assert_consistent(struct store_folder *f, const char *folder_dir);

#endif
