/*
 * mtad/deliver.h - what the queue manager's LMTP and SMTP clients share:
 * the outcome of one recipient and the dot-stuffed sending of a queued
 * message's bytes.
 */
#ifndef MTAD_DELIVER_H
#define MTAD_DELIVER_H

#include <stdint.h>

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

/* Send size message bytes read from fd (positioned at the first message
 * byte; not closed here) to s, dot-stuffed (RFC 5321 4.5.2), a final CRLF
 * added if the last line has none, then ".\r\n", and flush. 0, or -1 with
 * *err_out (static text or the stream's error text). */
int deliver_body_send(struct stream *s, int fd, uint64_t size,
    const char **err_out);

#endif
