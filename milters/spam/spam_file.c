/*
 * milters/spam/spam_file.c - reading messages from files and directories
 * for `tessera-spamd learn` / `classify` and the benchmark.
 *
 * Runs as the administrator's command; the paths are theirs, the bytes
 * are hostile mail, read up to a cap.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "milters/spam/spam_file.h"
#include "lib/banned.h"

struct buf *
spam_file_read(const char *path, size_t max, const char **err_out)
{
	struct buf *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd == -1) {
		*err_out = "cannot open";
		return NULL;
	}
	b = buf_new(8192, max);
	for (;;) {
		ssize_t r;
		size_t room = max - b->len;

		if (room == 0)
			break;
		if (buf_reserve(b, room < 65536 ? room : 65536) == -1)
			break;
		r = read(fd, b->data + b->len, room < 65536 ? room : 65536);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			int saved = errno;

			close(fd);
			buf_free(&b);
			errno = saved;
			*err_out = "cannot read";
			return NULL;
		}
		if (r == 0)
			break;
		b->len += (size_t)r;
		b->data[b->len] = '\0';
	}
	close(fd);
	return b;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

long
spam_file_each(const char *path, spam_file_fn fn, void *arg,
    const char **err_out)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	long done = 0;
	DIR *d;

	if (stat(path, &st) == -1) {
		*err_out = "cannot stat";
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fn(arg, path);
		return 1;
	}
	if ((d = opendir(path)) == NULL) {
		*err_out = "cannot open directory";
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		char *p = xmalloc(strlen(path) + strlen(names[i]) + 2);

		if (str_printf(p, strlen(path) + strlen(names[i]) + 2,
		    "%s/%s", path, names[i]) == 0 && stat(p, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			fn(arg, p);
			done++;
		}
		free(p);
		free(names[i]);
	}
	free(names);
	return done;
}
