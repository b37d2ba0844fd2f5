/*
 * tests/fuzz/milter_proto_fuzz.c - fuzz target for the milter reply
 * decoder (mtad/milter_proto.c): the input is a stream of packets as a
 * milter would send them (4-byte length, command, payload).
 *
 * Invariants, with a 4096-byte packet limit:
 *  - a frame length is accepted only within 1..4096;
 *  - every decoded string lies inside its packet;
 *  - an accepted ADDHEADER, ADDRCPT, DELRCPT or QUARANTINE encodes back
 *    (milter_put_strings) to exactly its packet;
 *  - an accepted REPLYCODE has a code of 400-599 whose class matches the
 *    enhanced code's, and a text without control characters other than
 *    the LF between the lines of a multi-line reply.
 * A broken invariant abort()s.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mtad/milter_proto.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX 4096

static void
inside(const uint8_t *pkt, size_t len, const char *s)
{
	if (s == NULL)
		return;
	if ((const uint8_t *)s < pkt || (const uint8_t *)s + strlen(s) >=
	    pkt + len + 1)
		abort();
}

static void
check(const uint8_t *pkt, size_t len, const struct milter_reply *r)
{
	inside(pkt, len, r->name);
	inside(pkt, len, r->value);
	inside(pkt, len, r->addr);
	inside(pkt, len, r->args);
	inside(pkt, len, r->reason);
	if (r->cmd == MILTER_R_REPLYCODE) {
		if (r->code < 400 || r->code > 599)
			abort();
		if (r->enh[0] != '\0' && r->enh[0] - '0' != r->code / 100)
			abort();
		if (r->text != r->mtext)
			abort();
		for (const char *t = r->text; *t != '\0'; t++)
			if ((unsigned char)*t < 32 && *t != '\n')
				abort();
	}
	if (r->cmd == MILTER_R_ADDHEADER || r->cmd == MILTER_R_ADDRCPT ||
	    r->cmd == MILTER_R_DELRCPT || r->cmd == MILTER_R_QUARANTINE) {
		struct buf *b = buf_new(len + 8, len + 8);
		const char *s[2];
		size_t n = 0;

		if (r->cmd == MILTER_R_ADDHEADER) {
			s[n++] = r->name;
			s[n++] = r->value;
		} else
			s[n++] = r->cmd == MILTER_R_QUARANTINE ? r->reason :
			    r->addr;
		if (milter_put_strings(b, r->cmd, s, n) == -1 ||
		    b->len != len + 4 || memcmp(b->data + 4, pkt, len) != 0)
			abort();
		buf_free(&b);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *pkt = malloc(MAX + 1);
	size_t off = 0;

	while (size - off >= 4) {
		size_t len;
		const char *err;
		struct milter_reply r;

		if (milter_frame_len(data + off, MAX, &len, &err) == -1)
			break;
		if (len == 0 || len > MAX)
			abort();
		off += 4;
		if (size - off < len)
			break;
		memcpy(pkt, data + off, len);
		pkt[len] = '\0';
		off += len;
		if (milter_reply_parse(pkt, len, &r, &err) == 0)
			check(pkt, len, &r);
	}
	free(pkt);
	return 0;
}
