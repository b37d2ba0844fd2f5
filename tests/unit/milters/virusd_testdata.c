/*
 * tests/unit/milters/virusd_testdata.c - test files for tessera-virusd's
 * unit and milter tests (see virusd_testdata.h). Runs in test processes
 * only; the files are made at test time by virusd_mkdata.py.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "tests/unit/milters/virusd_testdata.h"
#include "lib/banned.h"

char *
vt_join(const char *dir, const char *name)
{
	struct buf *b = buf_new(64, 8192);
	char *s;

	buf_printf(b, "%s/%s", dir, name);
	s = buf_steal(b, NULL);
	buf_free(&b);
	return s;
}

char *
vt_srcpath(const char *rel)
{
	const char *top = getenv("TESSERA_SRCDIR");

	return vt_join(top != NULL && top[0] != '\0' ? top : ".", rel);
}

char *
vt_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *dir = vt_join(t != NULL && t[0] != '\0' ? t : "/tmp",
	    "tessera-virusd-test.XXXXXX");

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		free(dir);
		return NULL;
	}
	return dir;
}

char *
vt_data_dir(void)
{
	char *dir = vt_tmpdir();
	char *script = vt_srcpath("tests/unit/milters/virusd_mkdata.py");
	pid_t pid;
	int status = -1;

	if (dir == NULL)
		goto done;
	pid = fork();
	if (pid == 0) {
		execlp("python3", "python3", script, dir, (char *)NULL);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &status, 0) == -1 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "virusd_mkdata.py failed (status %d)\n",
		    status);
		vt_rmdir(&dir);
	}
done:
	free(script);
	return dir;
}

int
vt_write(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (f == NULL)
		return -1;
	if (len > 0 && fwrite(p, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int
vt_copy(const char *src, const char *dst)
{
	FILE *f = fopen(src, "rb");
	struct buf *b = buf_new(4096, 64 << 20);
	char chunk[8192];
	size_t n;
	int rc = 0;

	if (f == NULL) {
		buf_free(&b);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, n) == -1)
			rc = -1;
	fclose(f);
	if (rc == 0)
		rc = vt_write(dst, b->data, b->len);
	buf_free(&b);
	return rc;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
vt_rmdir(char **dirp)
{
	if (dirp == NULL || *dirp == NULL)
		return;
	(void)nftw(*dirp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*dirp);
	*dirp = NULL;
}
