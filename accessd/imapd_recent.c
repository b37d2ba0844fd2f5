/*
 * accessd/imapd_recent.c - \Recent (RFC 3501 2.3.2): the first session
 * to see a message (SELECT, or new mail while selected) gets it as
 * recent, no other does. Per mailbox, tessera.imaprecent records for
 * each folder the UIDVALIDITY and the highest UID some session has
 * claimed; a claim is read-modify-write under an exclusive lock on that
 * file, so two sessions never claim the same message.
 *
 * Runs in accessd's IMAP session processes on the user's own mailbox
 * directory. The file is ours but treated as untrusted: bounded in size,
 * malformed lines are ignored (losing a claim only makes messages
 * recent again).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "accessd/imapd.h"
#include "lib/banned.h"

#define RECENT_FILE "tessera.imaprecent"
/* Largest file read: a line per folder of at most ~1100 bytes. */
#define RECENT_FILE_MAX (4u * 1024 * 1024)

/* The value for folder in the file text, or 0. */
static uint32_t
lookup(const char *text, const char *folder, uint32_t uidvalidity)
{
	size_t fl = strlen(folder);

	for (const char *l = text; *l != '\0';) {
		const char *e = strchr(l, '\n');
		size_t len = e != NULL ? (size_t)(e - l) : strlen(l);
		unsigned long long uv, uid;
		int n = 0;

		if (len > fl && strncmp(l, folder, fl) == 0 && l[fl] == '\t' &&
		    sscanf(l + fl + 1, "%llu %llu%n", &uv, &uid, &n) == 2 &&
		    (size_t)n + fl + 1 == len && uv == uidvalidity &&
		    uid <= UINT32_MAX)
			return (uint32_t)uid;
		l += len + (e != NULL);
	}
	return 0;
}

/* The file text without folder's line, plus the new one, into out. */
static void
rewrite(const char *text, const char *folder, uint32_t uidvalidity,
    uint32_t uid, struct buf *out)
{
	size_t fl = strlen(folder);

	for (const char *l = text; *l != '\0';) {
		const char *e = strchr(l, '\n');
		size_t len = e != NULL ? (size_t)(e - l) : strlen(l);

		if (!(len > fl && strncmp(l, folder, fl) == 0 && l[fl] == '\t')
		    && len > 0) {
			buf_append(out, l, len);
			buf_append_byte(out, '\n');
		}
		l += len + (e != NULL);
	}
	buf_printf(out, "%s\t%u %u\n", folder, (unsigned)uidvalidity,
	    (unsigned)uid);
}

uint32_t
imapd_recent_claim(struct imapd *d, const char *folder, uint32_t uv,
    uint32_t upto, bool claim)
{
	char path[4096];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct buf *text = NULL, *out = NULL;
	uint32_t prev = upto;
	ssize_t n;
	int fd;

	if (str_printf(path, sizeof(path), "%s/" RECENT_FILE,
	    store_mailbox_path(d->mb)) == -1)
		return prev;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn_errno("recent: open %s", path);
		return prev;	/* nothing is recent rather than all twice */
	}
	if (fcntl(fd, F_OFD_SETLKW, &fl) == -1) {
		log_warn_errno("recent: lock %s", path);
		close(fd);
		return prev;
	}
	text = buf_new(4096, RECENT_FILE_MAX);
	while (buf_reserve(text, 4096) == 0 &&
	    (n = read(fd, text->data + text->len, 4096)) > 0) {
		text->len += (size_t)n;
		text->data[text->len] = '\0';
	}
	/* NULs would hide lines from the string functions: such a file is
	 * simply started afresh */
	if (memchr(text->data, '\0', text->len) != NULL)
		buf_reset(text);
	prev = lookup(buf_cstr(text), folder, uv);
	if (prev > upto)
		prev = upto;
	if (claim && upto > prev) {
		out = buf_new(4096, RECENT_FILE_MAX + 4096);
		rewrite(buf_cstr(text), folder, uv, upto, out);
		if (ftruncate(fd, 0) == -1 || pwrite(fd, out->data, out->len,
		    0) != (ssize_t)out->len)
			log_warn_errno("recent: write %s", path);
	}
	close(fd);	/* releases the lock */
	buf_free(&text);
	buf_free(&out);
	return prev;
}

void
imapd_recent_add(struct imapd *d, uint32_t lo, uint32_t hi)
{
	if (lo > hi)
		return;
	if (d->n_recent > 0 && d->recent[d->n_recent - 1].hi + 1 >= lo) {
		if (hi > d->recent[d->n_recent - 1].hi)
			d->recent[d->n_recent - 1].hi = hi;
		return;
	}
	d->recent = xreallocarray(d->recent, d->n_recent + 1,
	    sizeof(*d->recent));
	d->recent[d->n_recent].lo = lo;
	d->recent[d->n_recent].hi = hi;
	d->n_recent++;
}

bool
imapd_is_recent(const struct imapd *d, uint32_t uid)
{
	for (size_t i = 0; i < d->n_recent; i++)
		if (uid >= d->recent[i].lo && uid <= d->recent[i].hi)
			return true;
	return false;
}
