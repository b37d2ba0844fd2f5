/*
 * accessd/store_notify.c - change notification for sessions of other
 * processes: an inotify watch on the folder directory, which fires when
 * the index is appended to or replaced (compaction, rebuild).
 *
 * Runs in session processes (IMAP IDLE, and later the hibernation
 * process). The events only say "look again": what changed comes from
 * store_folder_sync, so a lost or merged event costs nothing but the
 * wake-up, and store_folder_changed serves callers that poll instead.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "lib/buf.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

int
store_folder_notify_fd(struct store_folder *f, struct buf *err)
{
	if (f->notify_fd != -1)
		return f->notify_fd;
	f->notify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->notify_fd == -1) {
		store_err(err, "inotify: %s", strerror(errno));
		return -1;
	}
	/* appends modify the index; compaction and rebuild rename a new one
	 * into place */
	if (inotify_add_watch(f->notify_fd, f->dir, IN_MODIFY | IN_MOVED_TO |
	    IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF) == -1) {
		store_err(err, "inotify watch %s: %s", f->dir, strerror(errno));
		close(f->notify_fd);
		f->notify_fd = -1;
	}
	return f->notify_fd;
}

void
store_folder_notify_drain(struct store_folder *f)
{
	char events[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));

	if (f->notify_fd == -1)
		return;
	while (read(f->notify_fd, events, sizeof(events)) > 0)
		;
}
