/*
 * lib/mime_text.c - the text of a MIME part as UTF-8: transfer decoding,
 * charset conversion, HTML reduced to text. For the spam filter's
 * tokeniser and IMAP SEARCH BODY/TEXT.
 *
 * Bounded by the caller's buffer ceiling (which should come from
 * msg_limits.decode_max); intermediate buffers share that ceiling.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/mime_decode.h"
#include "lib/mime_text.h"
#include "lib/msg_header.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/banned.h"

bool
mime_part_is_text(const struct mime_part *p)
{
	return p->kind == MIME_LEAF && strcmp(p->type, "text") == 0;
}

int
mime_part_decode(const struct mime_message *m, const struct mime_part *p,
    struct buf *out)
{
	const uint8_t *body = m->data + p->body_off;

	if (p->encoding != NULL && str_eq_ci(p->encoding, "base64"))
		return mime_base64_decode(body, p->body_size, out);
	if (p->encoding != NULL && str_eq_ci(p->encoding, "quoted-printable"))
		return mime_qp_decode(body, p->body_size, false, out);
	return buf_append(out, body, p->body_size);
}

int
mime_part_text(const struct mime_message *m, const struct mime_part *p,
    struct buf *out)
{
	struct buf *raw = buf_new(4096, out->max), *utf8 = NULL;
	size_t start = out->len;
	int rc;

	rc = mime_part_decode(m, p, raw);
	if (rc == 0) {
		const char *cs = mime_part_charset(p);
		bool html = strcmp(p->subtype, "html") == 0;

		utf8 = html ? buf_new(4096, out->max) : out;
		/* an unknown charset: the bytes as UTF-8, invalid ones
		 * replaced, rather than no text at all */
		if (mime_charset_to_utf8(cs, raw->data, raw->len, utf8) == -1 &&
		    (!mime_charset_known(cs) ? mime_charset_to_utf8("utf-8",
		    raw->data, raw->len, utf8) : -1) == -1)
			rc = -1;
		if (rc == 0 && html)
			rc = mime_html_to_text(utf8->data, utf8->len, out);
		if (html)
			buf_free(&utf8);
	}
	buf_free(&raw);
	if (rc == -1)
		buf_truncate(out, start);
	return rc;
}

char *
mime_header_text(struct pool *pool, const struct mime_message *m,
    const struct mime_part *p, const char *name, size_t max)
{
	char *raw = msg_header_get(pool, m->data, &p->hdrs, name), *out;
	struct buf *b;
	size_t len;

	if (raw == NULL)
		return NULL;
	len = strlen(raw);
	b = buf_new(len + 1, max);
	/* past the ceiling: decode a shorter prefix (each input byte gives
	 * at most three output bytes, U+FFFD for one invalid byte) */
	while (mime_encword_decode(raw, len, b) == -1) {
		buf_reset(b);
		len = len / 2 < max / 3 ? len / 2 : max / 3;
		while (len > 0 && ((uint8_t)raw[len] & 0xc0) == 0x80)
			len--;
	}
	out = pool_strdup(pool, buf_cstr(b));
	buf_free(&b);
	return out;
}
