/*
 * milters/virus/virusd_spool.c - buffering one message for the scan: in
 * memory, then in an unlinked file in the temporary directory, capped.
 *
 * Runs in tessera-virusd's milter threads, one spool per connection;
 * the bytes are hostile mail, stored verbatim and only handed to
 * libclamav. Spill files are unlinked at creation, so nothing is left
 * behind when the process dies.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "milters/virus/virusd_engine.h"
#include "milters/virus/virusd_spool.h"
#include "lib/banned.h"

struct virusd_spool {
	uint64_t max;
	uint64_t memory_max;
	const char *temp_dir;
	struct buf *mem;	/* the message while it fits memory_max */
	int fd;			/* the spill file, or -1 */
	uint64_t size;		/* bytes offered */
	bool failed;		/* the spill file could not be written */
};

struct virusd_spool *
virusd_spool_new(uint64_t max, uint64_t memory_max, const char *temp_dir)
{
	struct virusd_spool *s = xcalloc(1, sizeof(*s));

	s->max = max;
	s->memory_max = memory_max < max ? memory_max : max;
	s->temp_dir = temp_dir;
	s->fd = -1;
	/* the ceiling is never reached: append spills before it */
	s->mem = buf_new(s->memory_max < 4096 ? (size_t)s->memory_max + 1 :
	    4096, (size_t)s->memory_max + 1);
	return s;
}

void
virusd_spool_reset(struct virusd_spool *s)
{
	buf_reset(s->mem);
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->size = 0;
	s->failed = false;
}

void
virusd_spool_free(struct virusd_spool **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	virusd_spool_reset(*sp);
	buf_free(&(*sp)->mem);
	free(*sp);
	*sp = NULL;
}

static int
write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len > 0) {
		ssize_t n = write(fd, c, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Move the message from memory into a new unlinked file. */
static int
spill(struct virusd_spool *s, struct buf *err)
{
	const char *dir = s->temp_dir;
	char path[4096];
	size_t len;
	const uint8_t *p = s->mem->data;

	if (dir == NULL || dir[0] == '\0')
		dir = getenv("TMPDIR");
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if (str_printf(path, sizeof(path), "%s/tessera-virusd.XXXXXX", dir)
	    == -1) {
		buf_printf(err, "temp_dir name too long");
		return -1;
	}
	s->fd = mkostemp(path, O_CLOEXEC);
	if (s->fd == -1) {
		buf_printf(err, "cannot create a file in %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	(void)unlink(path);
	len = s->mem->len;
	if (write_all(s->fd, p, len) == -1) {
		buf_printf(err, "cannot write to a file in %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	buf_reset(s->mem);
	return 0;
}

int
virusd_spool_append(struct virusd_spool *s, const void *p, size_t len,
    struct buf *err)
{
	uint64_t keep;

	if (s->failed) {
		buf_printf(err, "the message file failed earlier");
		return -1;
	}
	keep = s->size >= s->max ? 0 :
	    (s->max - s->size < len ? s->max - s->size : len);
	s->size += len;
	if (keep == 0)
		return 0;
	if (s->fd == -1 && s->mem->len + keep > s->memory_max &&
	    spill(s, err) == -1)
		goto fail;
	if (s->fd == -1) {
		ASSERT(buf_append(s->mem, p, (size_t)keep) == 0);
		return 0;
	}
	if (write_all(s->fd, p, (size_t)keep) == -1) {
		buf_printf(err, "cannot write the message file: %s",
		    strerror(errno));
		goto fail;
	}
	return 0;
fail:
	s->failed = true;
	return -1;
}

uint64_t
virusd_spool_size(const struct virusd_spool *s)
{
	return s->size;
}

bool
virusd_spool_too_big(const struct virusd_spool *s)
{
	return s->size > s->max;
}

bool
virusd_spool_spilled(const struct virusd_spool *s)
{
	return s->fd != -1;
}

void
virusd_spool_scan(const struct virusd_spool *s,
    const struct virusd_engine *e, struct virusd_result *out)
{
	if (s->failed) {
		out->status = VIRUSD_ERROR;
		(void)str_copy(out->name, sizeof(out->name),
		    "the message file could not be written");
	} else if (virusd_spool_too_big(s)) {
		/* half a message is not scanned: it could be called clean */
		out->status = VIRUSD_EXCEEDED;
		(void)str_copy(out->name, sizeof(out->name),
		    "max_message_size");
	} else if (s->fd != -1) {
		virusd_engine_scan_fd(e, s->fd, out);
	} else {
		virusd_engine_scan_mem(e, s->mem->data, s->mem->len, out);
	}
}
