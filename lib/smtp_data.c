/*
 * lib/smtp_data.c - byte-at-a-time state machine for DATA and BDAT
 * message bytes: dot-stuffing, the end marker, bare CR/LF (SMTP
 * smuggling), line and size limits, Received: counting.
 *
 * The bytes come from the client and are hostile; the state survives
 * between calls so any chunking gives the same result, and nothing is
 * buffered beyond a few bytes of the current header line.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xalloc.h"
#include "lib/smtp_data.h"
#include "lib/banned.h"

enum data_state {
	ST_BOL,		/* at the start of a line */
	ST_TEXT,	/* inside a line */
	ST_CR,		/* after a CR inside a line */
	ST_DOT,		/* after "." at the start of a line (DOT mode) */
	ST_DOT_CR,	/* after "." CR at the start of a line */
	ST_DONE
};

#define HDR_PREFIX 16	/* bytes of a header line kept to spot Received: */

struct smtp_data {
	struct smtp_limits lim;
	enum smtp_data_mode mode;
	enum data_state st;
	size_t line_len;	/* wire bytes of the current line */
	uint64_t size;		/* decoded bytes */
	const struct smtp_error *err;
	bool in_headers;
	uint64_t header_size;
	size_t received;
	char hline[HDR_PREFIX];
	size_t hlen;		/* bytes of the decoded line seen */
	uint8_t *out;		/* during smtp_data_feed */
	size_t out_len;
};

static const struct smtp_error err_bare = { 550, "5.6.11",
    "Bare CR or LF in message data not allowed" };
static const struct smtp_error err_line = { 500, "5.5.2",
    "Message line too long" };
static const struct smtp_error err_size = { 552, "5.3.4",
    "Message size exceeds fixed maximum message size" };

struct smtp_data *
smtp_data_new(const struct smtp_limits *lim, enum smtp_data_mode mode)
{
	struct smtp_data *d = xcalloc(1, sizeof(*d));

	d->lim = *lim;
	smtp_data_reset(d, mode);
	return d;
}

void
smtp_data_free(struct smtp_data **dp)
{
	free(*dp);
	*dp = NULL;
}

void
smtp_data_reset(struct smtp_data *d, enum smtp_data_mode mode)
{
	struct smtp_limits lim = d->lim;

	memset(d, 0, sizeof(*d));
	d->lim = lim;
	d->mode = mode;
	d->st = ST_BOL;
	d->in_headers = true;
}

static void
set_error(struct smtp_data *d, const struct smtp_error *e)
{
	if (d->err == NULL)
		d->err = e;
}

/* Whether the header line held in hline is a Received: field. */
static bool
is_received(const struct smtp_data *d)
{
	size_t i = 8;

	if (d->hlen < 9 || strncasecmp(d->hline, "Received", 8) != 0)
		return false;
	while (i < d->hlen && (d->hline[i] == ' ' || d->hline[i] == '\t'))
		i++;
	return i < d->hlen && d->hline[i] == ':';
}

/* One decoded message byte. */
static void
emit(struct smtp_data *d, uint8_t c)
{
	d->size++;
	if (d->lim.message_size_max != 0 && d->size > d->lim.message_size_max)
		set_error(d, &err_size);
	if (d->err == NULL)
		d->out[d->out_len++] = c;
	if (!d->in_headers)
		return;
	if (d->hlen < HDR_PREFIX)
		d->hline[d->hlen] = (char)c;
	d->hlen++;
	if (c != '\n')
		return;
	if (d->hlen == 2 && d->hline[0] == '\r') {
		d->in_headers = false;
		d->header_size = d->size;
	} else if (is_received(d)) {
		d->received++;
	}
	d->hlen = 0;
}

/* A byte inside a line (or starting one that is not a dot). */
static void
text_byte(struct smtp_data *d, uint8_t c)
{
	bool binary = d->mode == SMTP_DATA_BINARY;

	emit(d, c);
	if (c == '\r') {
		d->st = ST_CR;
		return;
	}
	if (c == '\n' && !binary)
		set_error(d, &err_bare);
	d->st = ST_TEXT;
}

/* The byte after a CR inside a line. */
static void
after_cr(struct smtp_data *d, uint8_t c)
{
	if (c == '\n') {
		emit(d, c);
		d->st = ST_BOL;
		d->line_len = 0;
		return;
	}
	if (d->mode != SMTP_DATA_BINARY)
		set_error(d, &err_bare);
	text_byte(d, c);
}

/* One wire byte. */
static void
step(struct smtp_data *d, uint8_t c)
{
	d->line_len++;
	if (d->mode != SMTP_DATA_BINARY && d->lim.text_line_max != 0 &&
	    d->line_len > d->lim.text_line_max)
		set_error(d, &err_line);
	switch (d->st) {
	case ST_BOL:
		if (c == '.' && d->mode == SMTP_DATA_DOT)
			d->st = ST_DOT;
		else
			text_byte(d, c);
		break;
	case ST_TEXT:
		text_byte(d, c);
		break;
	case ST_CR:
		after_cr(d, c);
		break;
	case ST_DOT:
		/* RFC 5321 4.5.2: a leading dot is dropped */
		if (c == '\r')
			d->st = ST_DOT_CR;
		else
			text_byte(d, c);
		break;
	case ST_DOT_CR:
		if (c == '\n') {
			d->st = ST_DONE;
			break;
		}
		/* ".", CR, then not LF: the CR was bare. The error comes
		 * first so that nothing more is written: the held CR would
		 * make out longer than in. */
		set_error(d, &err_bare);
		emit(d, '\r');
		after_cr(d, c);
		break;
	case ST_DONE:
		break;
	}
}

int
smtp_data_feed(struct smtp_data *d, const uint8_t *in, size_t len,
    uint8_t *out, size_t *out_len, size_t *used_out)
{
	size_t i;

	d->out = out;
	d->out_len = 0;
	for (i = 0; i < len && d->st != ST_DONE; i++)
		step(d, in[i]);
	*used_out = i;
	*out_len = d->err == NULL ? d->out_len : 0;
	d->out = NULL;
	return d->st == ST_DONE ? 1 : 0;
}

void
smtp_data_finish(struct smtp_data *d)
{
	if (d->st == ST_CR && d->mode != SMTP_DATA_BINARY)
		set_error(d, &err_bare);
	d->st = ST_DONE;
}

const struct smtp_error *
smtp_data_error(const struct smtp_data *d)
{
	return d->err;
}

bool
smtp_data_is_done(const struct smtp_data *d)
{
	return d->st == ST_DONE;
}

uint64_t
smtp_data_size(const struct smtp_data *d)
{
	return d->size;
}

size_t
smtp_data_received(const struct smtp_data *d)
{
	return d->received;
}

bool
smtp_data_headers_done(const struct smtp_data *d, uint64_t *header_size_out)
{
	if (header_size_out != NULL)
		*header_size_out = d->header_size;
	return !d->in_headers;
}
