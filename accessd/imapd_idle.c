/*
 * accessd/imapd_idle.c - IDLE (RFC 2177): the client waits, the session
 * reports new mail, expunges and flag changes of the selected folder as
 * they happen (inotify on the folder's index through
 * store_folder_notify_fd) until the client sends DONE.
 *
 * Runs in accessd's IMAP session processes. An IDLE lasts at most
 * [accessd.imap] idle_timeout, after which the session says BYE (clients
 * re-arm IDLE well before, RFC 2177 asks for 29 minutes); the client's
 * line is capped at line_max like any other.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/stream.h"
#include "accessd/imapd.h"
#include "lib/banned.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for input or a folder change until deadline. 1 input, 0 change
 * (or timeout when *timed_out), -1 error. */
static int
wait_event(struct imapd *d, int nfd, int64_t deadline, bool *timed_out)
{
	struct pollfd p[2] = { { .fd = stream_fd(d->s), .events = POLLIN },
		{ .fd = nfd, .events = POLLIN } };

	*timed_out = false;
	if (stream_pending(d->s) > 0)
		return 1;
	for (;;) {
		int64_t left = deadline - now_ms();
		int rc;

		if (left <= 0) {
			*timed_out = true;
			return 0;
		}
		rc = poll(p, nfd >= 0 ? 2 : 1, left > 60000 ? 60000 :
		    (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1)
			return -1;
		if (p[0].revents != 0)
			return 1;
		if (nfd >= 0 && p[1].revents != 0)
			return 0;
		if (nfd < 0 && d->f != NULL && store_folder_changed(d->f))
			return 0;
	}
}

void
imapd_cmd_idle(struct imapd *d, struct imap_cmd *c)
{
	int64_t deadline = now_ms() + (int64_t)d->ic->idle_timeout;
	int nfd = -1;

	if (c->n_args != 0) {
		imapd_tagged(d, c->tag, "BAD", "No arguments expected");
		return;
	}
	if (d->f != NULL) {
		buf_reset(d->err);
		nfd = store_folder_notify_fd(d->f, d->err);
		if (nfd == -1)
			log_warn("idle: no notification, polling: %s",
			    buf_cstr(d->err));
		imapd_announce(d, true);
	}
	imapd_printf(d, "+ idling\r\n");
	while (!d->quit) {
		bool timed_out;
		int rc;

		if (stream_flush(d->s) == -1)
			return;
		rc = wait_event(d, nfd, deadline, &timed_out);
		if (rc == -1 || timed_out) {
			log_info("idle timeout");
			imapd_printf(d, "* BYE Autologout; idle for too "
			    "long\r\n");
			d->quit = true;
			return;
		}
		if (rc == 0) {
			if (nfd >= 0)
				store_folder_notify_drain(d->f);
			imapd_announce(d, true);
			continue;
		}
		{
			const char *line;
			size_t len;

			rc = stream_read_line(d->s, (size_t)d->ic->line_max,
			    &line, &len);
			if (rc != 1) {
				d->quit = true;
				return;
			}
			while (len > 0 && (line[len - 1] == '\n' ||
			    line[len - 1] == '\r'))
				len--;
			if (len == 4 && strncasecmp(line, "DONE", 4) == 0) {
				imapd_done(d, c, "IDLE terminated");
				return;
			}
			imapd_tagged(d, c->tag, "BAD", "Expected DONE");
			return;
		}
	}
}
