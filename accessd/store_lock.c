/*
 * accessd/store_lock.c - the per-folder (and per-mailbox) write lock, and
 * the small file helpers the store shares.
 *
 * The lock is an open file description lock (F_OFD_SETLKW): it excludes
 * other processes like fcntl locks do, but belongs to this open, so
 * closing another descriptor of the same file in this process (two
 * folder handles) cannot drop it, and it dies with the process, so a
 * killed writer never leaves a folder locked.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

void
store_err(struct buf *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	if (err->len > 0)
		buf_append_str(err, ": ");
	va_start(ap, fmt);
	buf_vprintf(err, fmt, ap);
	va_end(ap);
}

int
store_lock_take(const char *path, struct buf *err)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd == -1) {
		store_err(err, "open %s: %s", path, strerror(errno));
		return -1;
	}
	while (fcntl(fd, F_OFD_SETLKW, &fl) == -1) {
		if (errno == EINTR)
			continue;
		store_err(err, "lock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void
store_lock_release(int *fdp)
{
	if (*fdp != -1) {
		close(*fdp);	/* the OFD lock goes with its last descriptor */
		*fdp = -1;
	}
}

int
store_fsync_dir(const struct store_mailbox *mb, const char *path)
{
	int fd, rc;

	if (!mb->lim.fsync)
		return 0;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
store_write_file(const struct store_mailbox *mb, const char *path,
    const void *data, size_t len)
{
	char tmp[STORE_PATH_MAX];
	const uint8_t *p = data;
	int fd;

	if (str_printf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) == -1)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return -1;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (mb->lim.fsync && fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
fail:
	close(fd);
	unlink(tmp);
	return -1;
}
