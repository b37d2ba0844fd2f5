/*
 * mtad/qmgr_loop.c - mail loop detection over a message's header block
 * (see mtad/qmgr_loop.h).
 *
 * Runs in the queue manager. The header bytes are hostile; every count
 * and length is bounded by the caller's limits.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/msg_header.h"
#include "lib/pool.h"
#include "mtad/qmgr_loop.h"
#include "lib/banned.h"

/* Longest Delivered-To: value kept (DIR_ADDRESS_MAX plus <>). */
#define LOOP_VALUE_MAX 322

/* The value of Delivered-To: without white space and <>, or NULL. */
static char *
dt_value(struct pool *pool, const uint8_t *p, const struct msg_header_field *f)
{
	char *v;
	size_t n;

	if (f->value_len > LOOP_VALUE_MAX + 64)
		return NULL;
	v = msg_header_value(pool, p, f);
	n = strlen(v);
	if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
		v[n - 1] = '\0';
		v++;
		n -= 2;
	}
	if (n == 0 || n > LOOP_VALUE_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x21 || v[i] == 0x7f)
			return NULL;	/* no address holds these */
	return v;
}

void
qmgr_loop_scan(const uint8_t *p, size_t len, size_t dt_max,
    struct pool *pool, struct qmgr_loop_info *out)
{
	struct msg_limits lim;
	struct msg_headers h;
	const char *err;

	memset(out, 0, sizeof(*out));
	msg_limits_defaults(&lim);
	/* the caller bounded len; inside it every field counts */
	lim.header_line_max = len;
	lim.header_size_max = len;
	lim.header_count_max = len / 2 + 1;
	(void)msg_header_parse(p, len, &lim, pool, &h, &err);
	out->delivered_to = pool_alloc(pool, (dt_max + 1) * sizeof(char *));
	for (size_t i = 0; i < h.count; i++) {
		const struct msg_header_field *f = &h.fields[i];
		char *v;

		if (msg_header_is(p, f, "Received")) {
			out->received++;
			continue;
		}
		if (!msg_header_is(p, f, "Delivered-To"))
			continue;
		out->delivered_to_count++;
		if (out->n_delivered_to >= dt_max)
			continue;
		v = dt_value(pool, p, f);
		if (v != NULL)
			out->delivered_to[out->n_delivered_to++] = v;
	}
}

const char *
qmgr_loop_check(const struct qmgr_loop_info *li, size_t max_received,
    const char *rcpt, bool check_dt)
{
	if (li->received > max_received)
		return "Too many Received: header fields (mail loop)";
	if (li->delivered_to_count > max_received)
		return "Too many Delivered-To: header fields (mail loop)";
	if (!check_dt)
		return NULL;
	for (size_t i = 0; i < li->n_delivered_to; i++)
		if (strcasecmp(li->delivered_to[i], rcpt) == 0)
			return "Delivered-To: names this recipient already"
			    " (mail forwarding loop)";
	return NULL;
}

int
qmgr_loop_read_header(int fd, size_t max, struct pool *pool, uint8_t **p_out,
    size_t *len_out, const char **err_out)
{
	struct msg_header_scan scan = { 0 };
	size_t cap = max < 16384 ? max : 16384, len = 0, end;
	uint8_t *p = pool_alloc(pool, cap + 1);

	for (;;) {
		ssize_t n;
		int rc;

		if (len == cap) {
			size_t ncap = cap * 2 < max ? cap * 2 : max;
			uint8_t *np;

			if (ncap == cap)
				break;		/* max reached */
			np = pool_alloc(pool, ncap + 1);
			memcpy(np, p, len);
			p = np;
			cap = ncap;
		}
		n = read(fd, p + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*err_out = "read error";
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		rc = msg_header_scan(&scan, p, len, max, &end);
		if (rc == 1) {
			len = end;
			break;
		}
		if (rc == -1)
			break;
	}
	*p_out = p;
	*len_out = len;
	return 0;
}
