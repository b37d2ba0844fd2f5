/*
 * tests/fuzz/qmgr_loop_fuzz.c - fuzz target for the queue manager's
 * reading of hostile message headers: the loop scan (mtad/qmgr_loop.c)
 * and the delivery report built from hostile envelope values
 * (mtad/dsn.c, dsn_format).
 *
 * The input is a message header block. Invariants:
 *  - the scan keeps at most dt_max Delivered-To: values, each without
 *    CR, LF or NUL and at most 322 bytes, and counts no more fields of a
 *    kind than the input has lines;
 *  - every kept value makes qmgr_loop_check report a loop for it;
 *  - a report whose addresses, ORCPT, ENVID and reply text are the input
 *    (cut into pieces) has only CRLF line ends and no other control
 *    byte but TAB: hostile values cannot add header lines.
 * A broken invariant abort()s.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "mtad/dsn.h"
#include "mtad/qmgr_loop.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DT_MAX 4

static void
check_scan(const uint8_t *data, size_t size, struct pool *pool)
{
	struct qmgr_loop_info li;
	size_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	qmgr_loop_scan(data, size, DT_MAX, pool, &li);
	if (li.n_delivered_to > DT_MAX || li.received > lines ||
	    li.delivered_to_count > lines ||
	    li.n_delivered_to > li.delivered_to_count)
		abort();
	for (size_t i = 0; i < li.n_delivered_to; i++) {
		const char *v = li.delivered_to[i];

		if (strlen(v) > 322 || strpbrk(v, "\r\n") != NULL)
			abort();
		if (qmgr_loop_check(&li, SIZE_MAX, v, true) == NULL)
			abort();
	}
}

static void
check_report(const uint8_t *data, size_t size, struct pool *pool)
{
	char *s = pool_strndup(pool, (const char *)data, size);
	size_t n = strlen(s), q = n / 4;
	char *a = pool_strndup(pool, s, q), *b = pool_strndup(pool, s + q, q);
	char *c = pool_strndup(pool, s + 2 * q, q), *d = s + 3 * q;
	struct queue_env env = { .id = "0SF6Y8B2Q5K00A8H00", .arrival = 1,
		.sender = a, .envid = b };
	struct dsn_rcpt r[2] = {
		{ .addr = a, .orcpt = c, .action = DSN_FAILED, .status = "",
		  .reply = d, .remote_mta = b, .last_attempt = 2 },
		{ .addr = d, .orcpt = "rfc822;x@y", .action = DSN_DELAYED,
		  .status = "4.4.1", .reply = c, .remote_mta = NULL },
	};
	struct dsn_settings st = { .hostname = "mx.example.test",
		.postmaster = "", .retry_until = 3 };
	struct buf *out = buf_new(1024, 1 << 20);

	if (dsn_format(&env, a, r, 2, &st, "B", "message/rfc822", 4, out) ==
	    -1)
		abort();
	for (size_t i = 0; i < out->len; i++) {
		uint8_t ch = out->data[i];

		if (ch == '\n' && (i == 0 || out->data[i - 1] != '\r'))
			abort();
		if (ch == '\r' && (i + 1 >= out->len ||
		    out->data[i + 1] != '\n'))
			abort();
		if ((ch < 0x20 && ch != '\r' && ch != '\n' && ch != '\t') ||
		    ch == 0x7f)
			abort();
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = pool_new("fuzz");

	check_scan(data, size, pool);
	check_report(data, size, pool);
	pool_free(&pool);
	return 0;
}
