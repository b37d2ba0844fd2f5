/*
 * mtad/milter_conn.h - one connection from an SMTP session to a milter:
 * connect with a deadline, option negotiation, sending packets and
 * reading replies, each with a deadline and a size limit.
 */
#ifndef MTAD_MILTER_CONN_H
#define MTAD_MILTER_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "mtad/milter_config.h"
#include "mtad/milter_proto.h"

struct buf;
struct pool;
struct stream;

struct milter_conn {
	const char *name;		/* the [milter.NAME] */
	const struct milter_def *def;
	struct stream *st;		/* NULL: not connected */
	uint32_t actions;		/* negotiated MILTER_ACT_* */
	uint32_t protocol;		/* negotiated MILTER_P_* */
	struct buf *out;		/* packets to send */
	uint8_t *in;			/* the reply being read (+ a NUL) */
	struct pool *pool;		/* for error texts */
};

/* Connect to def's socket and negotiate, within its connect_timeout.
 * 0, or -1 with *err_out (in pool) and c closed. */
int milter_conn_open(struct milter_conn *c, const char *name,
    const struct milter_def *def, struct pool *pool, const char **err_out);
/* Send what c->out holds (then empty it) within command_timeout. 0, or
 * -1 with *err_out. */
int milter_conn_send(struct milter_conn *c, const char **err_out);
/* Read one reply within timeout_ms into *r (pointing into c->in until
 * the next read). 0, or -1 with *err_out: timeout, connection closed,
 * packet over max_packet_size, malformed packet. */
int milter_conn_read(struct milter_conn *c, uint64_t timeout_ms,
    struct milter_reply *r, const char **err_out);
/* Close c; with quit, send QUIT first (best effort). NULL-safe fields. */
void milter_conn_close(struct milter_conn *c, bool quit);

#endif
