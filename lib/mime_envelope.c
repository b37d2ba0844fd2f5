/*
 * lib/mime_envelope.c - IMAP ENVELOPE (RFC 3501 7.4.2) of a message
 * header: date, subject, the six address lists, In-Reply-To, Message-ID.
 *
 * Values are the header's own (unfolded, encoded-words left encoded, as
 * RFC 3501 wants); addresses come from lib/msg_addr.c.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/mime_imap.h"
#include "lib/msg_addr.h"
#include "lib/msg_header.h"
#include "lib/pool.h"
#include "lib/banned.h"

static int
address(struct buf *out, const struct msg_addr *a)
{
	const char *name = a->name, *mailbox = a->mailbox, *host = a->host;

	if (a->kind != MSG_ADDR_MAILBOX) {
		name = NULL;
		host = NULL;
	}
	if (buf_append_byte(out, '(') == -1 ||
	    mime_imap_nstring(out, name) == -1 ||
	    buf_append_byte(out, ' ') == -1 ||
	    mime_imap_nstring(out, a->kind == MSG_ADDR_MAILBOX ? a->route :
	    NULL) == -1 ||
	    buf_append_byte(out, ' ') == -1 ||
	    mime_imap_nstring(out, mailbox) == -1 ||
	    buf_append_byte(out, ' ') == -1 ||
	    mime_imap_nstring(out, host) == -1)
		return -1;
	return buf_append_byte(out, ')');
}

/* The address list of header name, or of fallback when name is absent
 * or empty; NIL when neither gives an address. */
static int
address_list(const struct mime_message *m, const struct mime_part *msg,
    struct pool *pool, struct buf *out, const char *name,
    const char *fallback)
{
	char *v = msg_header_get(pool, m->data, &msg->hdrs, name);
	struct msg_addr *list = NULL;

	if (v != NULL)
		list = msg_addr_parse(pool, v, strlen(v), SIZE_MAX, NULL);
	if (list == NULL && fallback != NULL) {
		v = msg_header_get(pool, m->data, &msg->hdrs, fallback);
		if (v != NULL)
			list = msg_addr_parse(pool, v, strlen(v), SIZE_MAX,
			    NULL);
	}
	if (list == NULL)
		return buf_append_str(out, "NIL");
	if (buf_append_byte(out, '(') == -1)
		return -1;
	for (const struct msg_addr *a = list; a != NULL; a = a->next)
		if (address(out, a) == -1)
			return -1;
	return buf_append_byte(out, ')');
}

static int
field(const struct mime_message *m, const struct mime_part *msg,
    struct pool *pool, struct buf *out, const char *name)
{
	return mime_imap_nstring(out, msg_header_get(pool, m->data,
	    &msg->hdrs, name));
}

int
mime_imap_envelope(const struct mime_message *m,
    const struct mime_part *msg, struct pool *pool, struct buf *out)
{
	if (buf_append_byte(out, '(') == -1 ||
	    field(m, msg, pool, out, "Date") == -1 ||
	    buf_append_byte(out, ' ') == -1 ||
	    field(m, msg, pool, out, "Subject") == -1 ||
	    buf_append_byte(out, ' ') == -1 ||
	    address_list(m, msg, pool, out, "From", NULL) == -1 ||
	    buf_append_byte(out, ' ') == -1 ||
	    address_list(m, msg, pool, out, "Sender", "From") == -1 ||
	    buf_append_byte(out, ' ') == -1 ||
	    address_list(m, msg, pool, out, "Reply-To", "From") == -1 ||
	    buf_append_byte(out, ' ') == -1 ||
	    address_list(m, msg, pool, out, "To", NULL) == -1 ||
	    buf_append_byte(out, ' ') == -1 ||
	    address_list(m, msg, pool, out, "Cc", NULL) == -1 ||
	    buf_append_byte(out, ' ') == -1 ||
	    address_list(m, msg, pool, out, "Bcc", NULL) == -1 ||
	    buf_append_byte(out, ' ') == -1 ||
	    field(m, msg, pool, out, "In-Reply-To") == -1 ||
	    buf_append_byte(out, ' ') == -1 ||
	    field(m, msg, pool, out, "Message-ID") == -1)
		return -1;
	return buf_append_byte(out, ')');
}
