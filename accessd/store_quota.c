/*
 * accessd/store_quota.c - a mailbox's usage in tessera.quota
 * ("<bytes> <messages>\n", each zero-padded to 20 digits), kept up to
 * date by every delivery, copy and expunge, checked against the limits
 * the caller got from the directory, and recalculated from the folders
 * on demand (`tessera mailbox recalc`).
 *
 * Runs in session processes and the admin tool. The file is locked
 * (OFD lock on itself) for each read-modify-write. A crash between a
 * message change and its quota update leaves the usage off by that
 * message until the next recalc; a damaged file reads as zero usage and
 * is logged.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

static int
quota_open(struct store_mailbox *mb, bool lock, struct buf *err)
{
	char path[STORE_PATH_MAX];
	int fd;

	if (str_printf(path, sizeof(path), "%s/%s", mb->path,
	    STORE_QUOTA_FILE) == -1)
		return -1;
	if (lock)
		return store_lock_take(path, err);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno != ENOENT)
		store_err(err, "open %s: %s", path, strerror(errno));
	return fd == -1 && errno == ENOENT ? -2 : fd;
}

static void
quota_parse(struct store_mailbox *mb, int fd, uint64_t *bytes,
    uint64_t *msgs)
{
	char text[64];
	ssize_t r = pread(fd, text, sizeof(text) - 1, 0);
	size_t a, b;

	*bytes = *msgs = 0;
	if (r <= 0)
		return;
	text[r] = '\0';
	a = strcspn(text, " ");
	b = text[a] == ' ' ? strcspn(text + a + 1, "\n") : 0;
	if (parse_u64(text, a, UINT64_MAX, bytes) == -1 ||
	    text[a] != ' ' ||
	    parse_u64(text + a + 1, b, UINT64_MAX, msgs) == -1) {
		log_warn("store: damaged quota file mailbox=%s, counting from 0 "
		    "until recalc", mb->id);
		*bytes = *msgs = 0;
	}
}

static int
quota_write(int fd, uint64_t bytes, uint64_t msgs)
{
	char text[64];

	/* fixed width, written in place: truncating first would make ext4
	 * flush the file on close (auto_da_alloc), a disk wait per delivery */
	if (str_printf(text, sizeof(text), "%020llu %020llu\n",
	    (unsigned long long)bytes, (unsigned long long)msgs) == -1 ||
	    pwrite(fd, text, strlen(text), 0) != (ssize_t)strlen(text))
		return -1;
	return 0;
}

static uint64_t
add_clamped(uint64_t v, int64_t d)
{
	if (d < 0)
		return (uint64_t)-d > v ? 0 : v - (uint64_t)-d;
	return UINT64_MAX - v < (uint64_t)d ? UINT64_MAX : v + (uint64_t)d;
}

enum store_result
store_quota_add(struct store_mailbox *mb, int64_t bytes, int64_t messages,
    struct buf *err)
{
	uint64_t b, m;
	int fd = quota_open(mb, true, err);

	if (fd < 0)
		return STORE_ERROR;
	quota_parse(mb, fd, &b, &m);
	if (quota_write(fd, add_clamped(b, bytes), add_clamped(m, messages)) == -1) {
		store_err(err, "write quota of %s: %s", mb->id, strerror(errno));
		log_error_errno("store: cannot update quota mailbox=%s", mb->id);
		store_lock_release(&fd);
		return STORE_ERROR;
	}
	store_lock_release(&fd);
	return STORE_OK;
}

enum store_result
store_quota_get(struct store_mailbox *mb, uint64_t *bytes_out,
    uint64_t *messages_out, struct buf *err)
{
	int fd = quota_open(mb, false, err);

	*bytes_out = *messages_out = 0;
	if (fd == -2)
		return STORE_OK;
	if (fd < 0)
		return STORE_ERROR;
	quota_parse(mb, fd, bytes_out, messages_out);
	close(fd);
	return STORE_OK;
}

enum store_result
store_quota_check(struct store_mailbox *mb, const struct store_quota *q,
    uint64_t size, struct buf *err)
{
	uint64_t b, m;
	enum store_result r;

	if (q == NULL || (q->bytes == 0 && q->messages == 0))
		return STORE_OK;
	if ((r = store_quota_get(mb, &b, &m, err)) != STORE_OK)
		return r;
	if ((q->bytes != 0 && (size > q->bytes || b > q->bytes - size)) ||
	    (q->messages != 0 && m >= q->messages)) {
		store_err(err, "over quota (%llu bytes, %llu messages in use; "
		    "limits %llu, %llu)", (unsigned long long)b,
		    (unsigned long long)m, (unsigned long long)q->bytes,
		    (unsigned long long)q->messages);
		return STORE_OVERQUOTA;
	}
	return STORE_OK;
}

enum store_result
store_quota_recalc(struct store_mailbox *mb, uint64_t *bytes_out,
    uint64_t *messages_out, struct buf *err)
{
	struct pool *pool = pool_new("quota_recalc");
	struct store_folder_info *fi;
	uint64_t bytes = 0, msgs = 0;
	size_t n;
	enum store_result r;
	int fd;

	/* the quota lock is held throughout (it is a leaf lock: nobody
	 * takes a folder lock while holding it, except here), so the usage
	 * written is the scan's; a delivery ending during the scan may be
	 * counted twice, and a second recalc settles it */
	if ((fd = quota_open(mb, true, err)) < 0) {
		pool_free(&pool);
		return STORE_ERROR;
	}
	r = store_folder_list(mb, pool, &fi, &n, err);
	for (size_t i = 0; r == STORE_OK && i < n; i++) {
		struct store_folder *f;

		if (fi[i].noselect)
			continue;
		r = store_folder_open(mb, fi[i].name, &f, err);
		if (r == STORE_NOTFOUND) {
			r = STORE_OK;	/* deleted meanwhile */
			continue;
		}
		for (size_t k = 0; r == STORE_OK && k < store_folder_count(f); k++)
			bytes += store_folder_msg(f, k)->size;
		msgs += store_folder_count(f);
		store_folder_close(&f);
	}
	if (r == STORE_OK && quota_write(fd, bytes, msgs) == -1) {
		store_err(err, "write quota of %s: %s", mb->id, strerror(errno));
		r = STORE_ERROR;
	}
	store_lock_release(&fd);
	pool_free(&pool);
	if (r == STORE_OK) {
		log_info("store: quota recalculated mailbox=%s bytes=%llu "
		    "messages=%llu", mb->id, (unsigned long long)bytes,
		    (unsigned long long)msgs);
		if (bytes_out != NULL)
			*bytes_out = bytes;
		if (messages_out != NULL)
			*messages_out = msgs;
	}
	return r;
}
