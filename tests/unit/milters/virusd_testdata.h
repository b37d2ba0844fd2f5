/*
 * tests/unit/milters/virusd_testdata.h - what tessera-virusd's tests scan
 * and scan with: a temporary directory filled by virusd_mkdata.py (EICAR
 * bare, zipped, nested, in MIME attachments and bodies; clean mail), the
 * project's signature database, Debian's clamav-testfiles.
 */
#ifndef TESTS_UNIT_MILTERS_VIRUSD_TESTDATA_H
#define TESTS_UNIT_MILTERS_VIRUSD_TESTDATA_H

#include <stddef.h>

/* Where Debian's clamav-testfiles puts its samples. */
#define VT_TESTFILES "/usr/share/clamav-testfiles"

/* $TESSERA_SRCDIR/rel (or rel under "." without it); caller frees. */
char *vt_srcpath(const char *rel);
/* A new temporary directory holding the files of virusd_mkdata.py, or
 * NULL with a message on stderr. Remove with vt_rmdir. */
char *vt_data_dir(void);
/* A new empty temporary directory, or NULL. */
char *vt_tmpdir(void);
/* dir/name; caller frees. */
char *vt_join(const char *dir, const char *name);
/* Copy file src to dst. 0 or -1. */
int vt_copy(const char *src, const char *dst);
/* Write len bytes to path. 0 or -1. */
int vt_write(const char *path, const void *p, size_t len);
/* Remove *dirp and all below it (NULL-safe), free and clear it. */
void vt_rmdir(char **dirp);

#endif
