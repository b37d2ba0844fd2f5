/*
 * accessd/lmtpd_dedup.c - tell whether a message of an in-doubt delivery
 * is already in the mailbox, by the trace lines of the stored copy.
 *
 * The stored copy begins with the Return-Path: and Delivered-To: lines
 * this server writes, followed by the message as mtad queued it, whose
 * first header is mtad's Received: line naming the queue id. Only the
 * header section of the newest messages is read, a bounded prefix of
 * each: the check costs little and runs only for in-doubt deliveries.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "accessd/store.h"
#include "accessd/lmtpd_dedup.h"
#include "lib/banned.h"

#define DEDUP_HEAD_MAX 8192	/* bytes of each message read */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
lmtpd_dedup_match(const char *head, size_t len, const char *qid,
    const char *rcpt)
{
	const char *p, *end, *nl;
	size_t ql = strlen(qid), rl = strlen(rcpt);

	/* the header section only */
	for (end = head; end + 3 < head + len; end++)
		if (memcmp(end, "\r\n\r\n", 4) == 0)
			break;
	if (end + 3 >= head + len)
		end = head + len;
	/* line 1 Return-Path:, line 2 Delivered-To: rcpt */
	nl = memchr(head, '\n', (size_t)(end - head));
	if (nl == NULL || (size_t)(end - (nl + 1)) < 14 + rl + 2 ||
	    memcmp(nl + 1, "Delivered-To: ", 14) != 0 ||
	    memcmp(nl + 15, rcpt, rl) != 0 ||
	    memcmp(nl + 15 + rl, "\r\n", 2) != 0)
		return 0;
	/* "id QID" as a word of the header section */
	for (p = nl + 1; p + 3 + ql <= end; p++) {
		if (memcmp(p, "id ", 3) != 0 || memcmp(p + 3, qid, ql) != 0)
			continue;
		if (p > head && !is_space(p[-1]))
			continue;
		if (p + 3 + ql == end || is_space(p[3 + ql]) || p[3 + ql] == ';')
			return 1;
	}
	return 0;
}

int
lmtpd_dedup_find(struct store_folder *f, const char *qid, const char *rcpt,
    size_t window, uint32_t *uid_out, struct buf *err)
{
	size_t n = store_folder_count(f);
	char head[DEDUP_HEAD_MAX];

	for (size_t k = 0; k < n && k < window; k++) {
		const struct store_msg *m = store_folder_msg(f, n - 1 - k);
		uint32_t uid = m->uid;
		ssize_t got;
		int fd = store_msg_open(f, uid, err);

		if (fd == -1)
			continue;	/* vanished: expunged meanwhile */
		do
			got = pread(fd, head, sizeof(head), 0);
		while (got == -1 && errno == EINTR);
		close(fd);
		if (got == -1) {
			buf_printf(err, "reading uid %u: %s", (unsigned)uid,
			    strerror(errno));
			return -1;
		}
		if (lmtpd_dedup_match(head, (size_t)got, qid, rcpt)) {
			*uid_out = uid;
			return 1;
		}
		/* store_msg_open may have synced the view */
		n = store_folder_count(f);
	}
	return 0;
}
