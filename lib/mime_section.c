/*
 * lib/mime_section.c - IMAP section-specs (RFC 3501 6.4.5) resolved to
 * byte ranges of a parsed message.
 *
 * The spec comes from a client: numbers are bounded, the specifier is
 * matched exactly, and nothing outside the tree is ever addressed.
 */
#include "config.h"

#include <string.h>

#include "lib/mime.h"
#include "lib/str.h"
#include "lib/banned.h"

#define SECTION_NUMBER_MAX 1000000

/* Part n (1-based) inside p, following RFC 3501's numbering: into an
 * encapsulated message (but not at the top, where p is the message
 * itself), then into its multipart body; a non-multipart message body is
 * its own part 1, and a leaf has no parts. */
static const struct mime_part *
descend(const struct mime_part *p, uint64_t n, bool top)
{
	const struct mime_part *ch;
	bool in_message = top;

	if (!top && p->kind == MIME_MESSAGE && p->children != NULL) {
		p = p->children;
		in_message = true;
	}
	if (p->kind == MIME_MULTIPART) {
		for (ch = p->children; ch != NULL && n > 1; ch = ch->next)
			n--;
		return ch;
	}
	return n == 1 && in_message ? p : NULL;
}

static bool
spec_is(const char *s, size_t len, const char *word)
{
	char w[32];

	if (len >= sizeof(w))
		return false;
	memcpy(w, s, len);
	w[len] = '\0';
	return str_eq_ci(w, word);
}

/* The message whose HEADER/TEXT is meant: the top one, or the message
 * inside a message/rfc822 part. */
static const struct mime_part *
message_of(const struct mime_part *p, bool top)
{
	if (top)
		return p;
	if (p->kind == MIME_MESSAGE && p->children != NULL)
		return p->children;
	return NULL;
}

int
mime_section_find(const struct mime_message *m, const char *spec,
    size_t len, struct mime_section *out, const char **err_out)
{
	const struct mime_part *p = m->root, *msg;
	size_t i = 0;
	bool top = true;

	while (i < len && spec[i] >= '0' && spec[i] <= '9') {
		size_t st = i;
		uint64_t n;

		while (i < len && spec[i] >= '0' && spec[i] <= '9')
			i++;
		if (parse_u64(spec + st, i - st, SECTION_NUMBER_MAX, &n) == -1 ||
		    n == 0 || (i < len && spec[i] != '.') || i + 1 == len) {
			*err_out = "bad section";
			return -1;
		}
		if ((p = descend(p, n, top)) == NULL) {
			*err_out = "no such part";
			return -1;
		}
		top = false;
		if (i < len)
			i++;	/* the dot */
	}
	memset(out, 0, sizeof(*out));
	out->part = p;
	if (i == len) {
		out->kind = MIME_SECTION_BODY;
		out->off = top ? 0 : p->body_off;
		out->len = top ? m->len : p->body_size;
		return 0;
	}
	if (spec_is(spec + i, len - i, "MIME")) {
		if (top) {
			*err_out = "bad section";
			return -1;
		}
		out->kind = MIME_SECTION_MIME;
		out->off = p->hdr_off;
		out->len = p->hdr_size;
		return 0;
	}
	if (spec_is(spec + i, len - i, "HEADER"))
		out->kind = MIME_SECTION_HEADER;
	else if (spec_is(spec + i, len - i, "HEADER.FIELDS"))
		out->kind = MIME_SECTION_HEADER_FIELDS;
	else if (spec_is(spec + i, len - i, "HEADER.FIELDS.NOT"))
		out->kind = MIME_SECTION_HEADER_FIELDS_NOT;
	else if (spec_is(spec + i, len - i, "TEXT"))
		out->kind = MIME_SECTION_TEXT;
	else {
		*err_out = "bad section";
		return -1;
	}
	if ((msg = message_of(p, top)) == NULL) {
		*err_out = "no such part";
		return -1;
	}
	out->part = msg;
	if (out->kind == MIME_SECTION_TEXT) {
		out->off = msg->body_off;
		out->len = msg->body_size;
	} else {
		out->off = msg->hdr_off;
		out->len = msg->hdr_size;
	}
	return 0;
}
