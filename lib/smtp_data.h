/*
 * lib/smtp_data.h - the incremental decoder of a message's bytes after
 * DATA (RFC 5321 4.1.4, 4.5.2) or in BDAT chunks (RFC 3030).
 *
 * Fed whatever the socket delivered, down to one byte at a time: undoes
 * dot-stuffing, finds the end "<CRLF>.<CRLF>" (only with CRLF: bare LF or
 * CR never end the data, which closes SMTP smuggling), and keeps going to
 * the end after an error so the session can reply and read the next
 * command. The first error wins and is the reply to send:
 *   550 5.6.11  bare CR or LF in the data (not in BINARYMIME chunks)
 *   500 5.5.2   a line longer than lim->text_line_max (incl. CRLF)
 *   552 5.3.4   more than lim->message_size_max decoded bytes
 * It also counts the decoded size and the Received: header fields (loop
 * detection) and notes where the header section ends.
 */
#ifndef LIB_SMTP_DATA_H
#define LIB_SMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/smtp.h"

enum smtp_data_mode {
	SMTP_DATA_DOT,		/* after DATA: dot-stuffed, ends at CRLF.CRLF */
	SMTP_DATA_BDAT,		/* BDAT chunks: raw, CRLF lines */
	SMTP_DATA_BINARY	/* BDAT with BODY=BINARYMIME: any bytes */
};

struct smtp_data;

/* New decoder for one message (limits copied). Never NULL. */
struct smtp_data *smtp_data_new(const struct smtp_limits *lim,
    enum smtp_data_mode mode);
void smtp_data_free(struct smtp_data **dp);
/* Start over for the next message, in the given mode. */
void smtp_data_reset(struct smtp_data *d, enum smtp_data_mode mode);

/*
 * Decode in[0..len). The message bytes go to out, which has room for len
 * bytes and may be in itself; *out_len gets their count (0 once an error
 * was found: the message is to be dropped). *used_out gets the bytes of
 * in consumed. Returns 1 when the end of data was found (DOT mode; bytes
 * after *used_out belong to the next command and the decoder takes no
 * more), 0 when all of in was consumed and more is to come.
 */
int smtp_data_feed(struct smtp_data *d, const uint8_t *in, size_t len,
    uint8_t *out, size_t *out_len, size_t *used_out);
/* BDAT LAST: the message is complete (a CR left waiting for its LF is a
 * bare CR). */
void smtp_data_finish(struct smtp_data *d);

/* The first error, or NULL if the message is good so far. */
const struct smtp_error *smtp_data_error(const struct smtp_data *d);
/* Whether the end was reached (DOT end marker, or smtp_data_finish). */
bool smtp_data_is_done(const struct smtp_data *d);
/* Decoded message bytes so far (counted on after errors too). */
uint64_t smtp_data_size(const struct smtp_data *d);
/* Received: fields in the header section so far. */
size_t smtp_data_received(const struct smtp_data *d);
/* Whether the empty line ending the header section was seen, and the
 * decoded bytes up to and including it. */
bool smtp_data_headers_done(const struct smtp_data *d,
    uint64_t *header_size_out);

#endif
