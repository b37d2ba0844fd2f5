/*
 * mtad/deliver.h - what the queue manager's LMTP and SMTP clients share:
 * the outcome of one recipient, the connect with a deadline, the reading
 * of one (multi-line) reply and the dot-stuffed sending of a queued
 * message's bytes.
 */
#ifndef MTAD_DELIVER_H
#define MTAD_DELIVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/smtp_param.h"

struct pool;
struct queue_env;
struct smtp_reply;
struct stream;

/* The outcome of one delivery attempt for one recipient. */
struct deliver_result {
	int code;			/* 2xx, 4xx, 5xx; 0 if not tried */
	const char *enh;		/* enhanced code, "" if none */
	const char *text;		/* reply text or failure reason */
	const char *relay;		/* where it went, for the log:
					 * "lmtp:HOST:PORT", "NAME[IP]:PORT",
					 * "none" if no connection was made */
};

/* A TCP connection to sa, made within timeout_ms (the socket is left
 * non-blocking, for lib/stream.h). The socket, or -1 with *err_out
 * (static text). */
int deliver_connect(const struct sockaddr *sa, socklen_t len,
    uint64_t timeout_ms, const char **err_out);

/* A TCP connection to host (a numeric address or a name the system
 * resolver knows) and port, each of its addresses tried in turn within
 * timeout_ms. The socket, or -1 with *err_out (static text). */
int deliver_connect_host(const char *host, unsigned port,
    uint64_t timeout_ms, const char **err_out);

/* Read one complete reply from s into r (reset first), each line at most
 * line_max bytes, within timeout_ms per read. 0, or -1 with *err_out (in
 * pool or static): the peer closed, a timeout, a line too long, a
 * malformed reply. */
int deliver_read_reply(struct stream *s, struct smtp_reply *r,
    size_t line_max, uint64_t timeout_ms, struct pool *pool,
    const char **err_out);

/* Fill *mp (cleared first) with the MAIL FROM parameters the queued
 * envelope e carries to any next hop: SIZE, BODY, SMTPUTF8. */
void deliver_mail_params(const struct queue_env *e,
    struct smtp_mail_params *mp);

/* Send size message bytes read from fd (positioned at the first message
 * byte; not closed here) to s, dot-stuffed (RFC 5321 4.5.2), a final CRLF
 * added if the last line has none, then ".\r\n", and flush. 0, or -1 with
 * *err_out (static text or the stream's error text). */
int deliver_body_send(struct stream *s, int fd, uint64_t size,
    const char **err_out);

#endif
