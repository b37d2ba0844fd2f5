/*
 * mtad/qmgr_loop.h - mail loop detection at delivery: too many Received:
 * fields, or a Delivered-To: field naming the recipient being delivered
 * to (RFC 5321 6.3), both bounced 5.4.6 by the queue manager.
 *
 * The header block is read from the queued message, which came from an
 * SMTP client: hostile bytes. The scan is pure (bytes and limits in) and
 * fuzzed (tests/fuzz/qmgr_loop_fuzz.c); header parsing is lib/msg_header.
 */
#ifndef MTAD_QMGR_LOOP_H
#define MTAD_QMGR_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;

/* What the header block says about the message's path. */
struct qmgr_loop_info {
	size_t received;		/* Received: fields */
	size_t delivered_to_count;	/* Delivered-To: fields, all */
	char **delivered_to;		/* their addresses (<> removed), at
					 * most dt_max of them */
	size_t n_delivered_to;
};

/* Scan the header block at the start of p[len] (the input may end before
 * the blank line: the caller read only so much). Keeps at most dt_max
 * Delivered-To: values (in pool); values longer than 322 bytes or with
 * white space or control bytes cannot be an address and are not kept. */
void qmgr_loop_scan(const uint8_t *p, size_t len, size_t dt_max,
    struct pool *pool, struct qmgr_loop_info *out);

/* Whether delivering to rcpt would loop: NULL if not, else the reason
 * for a 554 5.4.6 reply (static text). More than max_received Received:
 * (or Delivered-To:) fields loop for every recipient; with check_dt, a
 * Delivered-To: equal to rcpt (ASCII case-insensitive) loops for rcpt. */
const char *qmgr_loop_check(const struct qmgr_loop_info *li,
    size_t max_received, const char *rcpt, bool check_dt);

/* Read the header block of a message from fd (positioned at its first
 * byte): at most max bytes, stopping after the blank line. 0 with
 * *p_out (in pool) and *len_out, or -1 with *err_out (static) on a read
 * error. */
int qmgr_loop_read_header(int fd, size_t max, struct pool *pool,
    uint8_t **p_out, size_t *len_out, const char **err_out);

#endif
