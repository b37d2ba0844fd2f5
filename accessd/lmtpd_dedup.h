/*
 * accessd/lmtpd_dedup.h - find a message an earlier, cut-short LMTP
 * transaction already stored: the queue manager sends MAIL XQID=<queue
 * id> when a restart left it in doubt whether a delivery happened.
 */
#ifndef ACCESSD_LMTPD_DEDUP_H
#define ACCESSD_LMTPD_DEDUP_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct store_folder;

/* Among the newest window messages of folder f, one stored for rcpt
 * (its Delivered-To line, written by this LMTP server) from queue id qid
 * (the "id QID" of the Received: line the queue's SMTP session wrote)?
 * 1 with *uid_out, 0 none, -1 with err on I/O error. */
int lmtpd_dedup_find(struct store_folder *f, const char *qid,
    const char *rcpt, size_t window, uint32_t *uid_out, struct buf *err);

/* The same test on the first len bytes of one stored message. */
int lmtpd_dedup_match(const char *head, size_t len, const char *qid,
    const char *rcpt);

#endif
