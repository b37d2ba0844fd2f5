/*
 * mtad/milter_proto.c - encoding the MTA's milter packets and decoding,
 * strictly, what a milter answers (mtad/milter_proto.h).
 *
 * Runs in the SMTP session process. A milter is a separate program and
 * its replies are untrusted: every length is checked against the packet,
 * every string must be terminated inside it, reply codes and texts are
 * validated before they can reach an SMTP client or the queue.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "mtad/milter_proto.h"
#include "lib/banned.h"

/* A packet's length field is 32 bits; refuse far below that. */
#define PACKET_LEN_MAX (64u * 1024 * 1024)

int
milter_put(struct buf *out, char cmd, const void *p, size_t len)
{
	uint8_t hdr[5];
	uint32_t n;

	if (len >= PACKET_LEN_MAX)
		return -1;
	n = htonl((uint32_t)len + 1);
	memcpy(hdr, &n, 4);
	hdr[4] = (uint8_t)cmd;
	if (buf_reserve(out, len + 5) == -1 || buf_append(out, hdr, 5) == -1)
		return -1;
	return len > 0 ? buf_append(out, p, len) : 0;
}

int
milter_put_optneg(struct buf *out, uint32_t version, uint32_t actions,
    uint32_t protocol)
{
	uint32_t v[3] = { htonl(version), htonl(actions), htonl(protocol) };

	return milter_put(out, MILTER_CMD_OPTNEG, v, sizeof(v));
}

/* Append a string with its NUL to b. */
static int
put_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s) + 1);
}

int
milter_put_connect(struct buf *out, const char *host, const char *addr,
    unsigned port)
{
	struct buf *b = buf_new(256, 4096);
	char family = 'U';
	uint16_t p = htons((uint16_t)port);
	int rc = -1;

	if (addr != NULL && strchr(addr, ':') != NULL)
		family = '6';
	else if (addr != NULL && addr[0] != '\0')
		family = '4';
	if (put_str(b, host) == -1 || buf_append_byte(b, (uint8_t)family) == -1)
		goto out;
	if (family != 'U' && (buf_append(b, &p, 2) == -1 ||
	    put_str(b, addr) == -1))
		goto out;
	rc = milter_put(out, MILTER_CMD_CONNECT, b->data, b->len);
out:
	buf_free(&b);
	return rc;
}

int
milter_put_strings(struct buf *out, char cmd, const char *const *s,
    size_t n)
{
	size_t start = out->len, total = 0;
	uint8_t hdr[5];
	uint32_t len;

	for (size_t i = 0; i < n; i++)
		total += strlen(s[i]) + 1;
	if (total >= PACKET_LEN_MAX)
		return -1;
	len = htonl((uint32_t)total + 1);
	memcpy(hdr, &len, 4);
	hdr[4] = (uint8_t)cmd;
	if (buf_append(out, hdr, 5) == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (put_str(out, s[i]) == -1) {
			buf_truncate(out, start);
			return -1;
		}
	return 0;
}

int
milter_put_macros(struct buf *out, char stage, const char *const *nv,
    size_t n)
{
	struct buf *b = buf_new(256, 64 * 1024);
	int rc = -1;

	if (buf_append_byte(b, (uint8_t)stage) == -1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (nv[2 * i + 1] == NULL)
			continue;
		if (put_str(b, nv[2 * i]) == -1 ||
		    put_str(b, nv[2 * i + 1]) == -1)
			goto out;
	}
	rc = milter_put(out, MILTER_CMD_MACRO, b->data, b->len);
out:
	buf_free(&b);
	return rc;
}

int
milter_frame_len(const uint8_t hdr[4], size_t max, size_t *len_out,
    const char **err_out)
{
	uint32_t n;

	memcpy(&n, hdr, 4);
	n = ntohl(n);
	if (n == 0) {
		*err_out = "empty packet";
		return -1;
	}
	if (n > max) {
		*err_out = "packet larger than max_packet_size";
		return -1;
	}
	*len_out = n;
	return 0;
}

/* A reader over a payload. */
struct rd {
	const uint8_t *p;
	size_t len, pos;
};

static int
rd_u32(struct rd *r, uint32_t *v)
{
	if (r->len - r->pos < 4)
		return -1;
	memcpy(v, r->p + r->pos, 4);
	*v = ntohl(*v);
	r->pos += 4;
	return 0;
}

/* The next NUL-terminated string. */
static int
rd_str(struct rd *r, const char **s)
{
	const uint8_t *nul = memchr(r->p + r->pos, '\0', r->len - r->pos);

	if (nul == NULL)
		return -1;
	*s = (const char *)r->p + r->pos;
	r->pos = (size_t)(nul - r->p) + 1;
	return 0;
}

static bool
rd_done(const struct rd *r)
{
	return r->pos == r->len;
}

/* RFC 5322 ftext: printable ASCII except ':'. */
static bool
header_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MILTER_HEADER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126 ||
		    s[i] == ':')
			return false;
	return true;
}

/* Line breaks (CRLF, LF or CR) only before white space, and no other
 * control characters than TAB: the value cannot end the header section
 * or smuggle a field of its own. */
static bool
header_value_ok(const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\r' && p[1] == '\n')
			p++;
		if (*p == '\r' || *p == '\n') {
			if (p[1] != ' ' && p[1] != '\t')
				return false;
			continue;
		}
		if (c < 32 && c != '\t')
			return false;
		if (c == 127)
			return false;
	}
	return true;
}

/* An address as a milter sends it: no control characters or spaces
 * outside quotes is checked later by the SMTP path parser; here only
 * the size and the absence of line breaks. */
static bool
addr_ok(const char *s)
{
	size_t n = strlen(s);

	if (n > 2 * 256)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 32 || s[i] == 127)
			return false;
	return true;
}

/* The enhanced code at p[0..len) if there is one ("x.y.z" then a space
 * or the end): its length, 0 if none, -1 if malformed or of a class
 * other than cls. */
static int
enh_len(const char *p, size_t len, char cls)
{
	size_t n = 0;
	unsigned parts = 0, digits = 0;

	while (n < len && ((p[n] >= '0' && p[n] <= '9') || p[n] == '.'))
		n++;
	if (n == 0 || (n < len && p[n] != ' ') || n < 2 || p[1] != '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (digits == 0)
				return -1;
			parts++;
			digits = 0;
		} else if (++digits > 3)
			return -1;
	}
	if (parts != 2 || digits == 0 || n >= 16 || p[0] != cls)
		return -1;
	return (int)n;
}

/* One line "ddd[- ][x.y.z ]text" of a reply (len bytes at line). */
static int
replycode_line(const char *line, size_t len, bool last, bool first,
    struct milter_reply *r, const char **err_out)
{
	const char *p = line + (len > 3 ? 4 : 3);
	size_t rest, tl;
	int code, el;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 32 || line[i] == 127) {
			*err_out = "control character in reply text";
			return -1;
		}
	if (len < 3 || (line[0] != '4' && line[0] != '5') || line[1] < '0' ||
	    line[1] > '9' || line[2] < '0' || line[2] > '9') {
		*err_out = "reply code is not 4xx or 5xx";
		return -1;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (!first && code != r->code) {
		*err_out = "reply lines with different codes";
		return -1;
	}
	r->code = code;
	if (len > 3 && line[3] != (last ? ' ' : '-')) {
		*err_out = "bad reply line separator";
		return -1;
	}
	if (len == 3 && !last) {
		*err_out = "bad reply line separator";
		return -1;
	}
	rest = (size_t)(line + len - p);
	if ((el = enh_len(p, rest, line[0])) < 0) {
		*err_out = "bad enhanced status code";
		return -1;
	}
	if (el > 0) {
		if (first) {
			memcpy(r->enh, p, (size_t)el);
			r->enh[el] = '\0';
		} else if (strlen(r->enh) != (size_t)el ||
		    memcmp(r->enh, p, (size_t)el) != 0) {
			*err_out = "reply lines with different enhanced codes";
			return -1;
		}
		p += el;
		rest -= (size_t)el;
		if (rest > 0) {
			p++;
			rest--;
		}
	}
	/* the lines' texts joined by LF (cut to the buffer) */
	tl = strlen(r->mtext);
	if (!first && tl + 1 < sizeof(r->mtext))
		r->mtext[tl++] = '\n';
	if (rest > sizeof(r->mtext) - 1 - tl)
		rest = sizeof(r->mtext) - 1 - tl;
	memcpy(r->mtext + tl, p, rest);
	r->mtext[tl + rest] = '\0';
	return 0;
}

/* "ddd[ x.y.z] text", or the multi-line form of smfi_setmlreply
 * ("ddd-x.y.z a\r\nddd x.y.z b"): code 4xx/5xx, the same on every line,
 * an enhanced code of its class. */
static int
parse_replycode(const char *s, struct milter_reply *r, const char **err_out)
{
	const char *line = s;
	bool first = true;

	r->enh[0] = '\0';
	r->mtext[0] = '\0';
	for (;;) {
		const char *eol = strstr(line, "\r\n");
		size_t len = eol != NULL ? (size_t)(eol - line) : strlen(line);

		if (replycode_line(line, len, eol == NULL, first, r, err_out)
		    == -1)
			return -1;
		if (eol == NULL)
			break;
		line = eol + 2;
		first = false;
	}
	r->text = r->mtext;
	return 0;
}

bool
milter_reply_is_final(char cmd)
{
	return strchr("acrtdys4f", cmd) != NULL && cmd != '\0';
}

static int
parse_optneg(struct rd *d, struct milter_reply *r, const char **err_out)
{
	if (rd_u32(d, &r->version) == -1 || rd_u32(d, &r->actions) == -1 ||
	    rd_u32(d, &r->protocol) == -1) {
		*err_out = "short OPTNEG";
		return -1;
	}
	if (r->version < 2 || r->version > MILTER_VERSION) {
		*err_out = "unsupported milter protocol version";
		return -1;
	}
	/* optional macro lists: stage, names; checked and ignored */
	while (!rd_done(d)) {
		uint32_t stage;
		const char *names;

		if (rd_u32(d, &stage) == -1 || rd_str(d, &names) == -1 ||
		    stage >= MILTER_STAGES) {
			*err_out = "bad macro list in OPTNEG";
			return -1;
		}
	}
	return 0;
}

static int
parse_payload(struct rd *d, struct milter_reply *r, const char **err_out)
{
	const char *s;

	switch (r->cmd) {
	case MILTER_R_OPTNEG:
		return parse_optneg(d, r, err_out);
	case MILTER_R_ACCEPT: case MILTER_R_CONTINUE: case MILTER_R_DISCARD:
	case MILTER_R_REJECT: case MILTER_R_TEMPFAIL: case MILTER_R_SKIP:
	case MILTER_R_PROGRESS: case MILTER_R_SHUTDOWN:
	case MILTER_R_CONN_FAIL:
		return 0;
	case MILTER_R_REPLYCODE:
		if (rd_str(d, &s) == -1)
			return -1;
		return parse_replycode(s, r, err_out);
	case MILTER_R_INSHEADER:
	case MILTER_R_CHGHEADER:
		if (rd_u32(d, &r->index) == -1)
			return -1;
		/* fall through */
	case MILTER_R_ADDHEADER:
		if (rd_str(d, &r->name) == -1 || rd_str(d, &r->value) == -1)
			return -1;
		if (!header_name_ok(r->name)) {
			*err_out = "bad header name";
			return -1;
		}
		if (!header_value_ok(r->value)) {
			*err_out = "bad header value";
			return -1;
		}
		if (r->cmd != MILTER_R_CHGHEADER && r->value[0] == '\0') {
			*err_out = "empty header value";
			return -1;
		}
		return 0;
	case MILTER_R_ADDRCPT: case MILTER_R_DELRCPT:
		if (rd_str(d, &r->addr) == -1)
			return -1;
		goto addr;
	case MILTER_R_ADDRCPT_PAR: case MILTER_R_CHGFROM:
		if (rd_str(d, &r->addr) == -1)
			return -1;
		if (!rd_done(d) && rd_str(d, &r->args) == -1)
			return -1;
		if (r->args != NULL && !addr_ok(r->args)) {
			*err_out = "bad ESMTP arguments";
			return -1;
		}
addr:
		if (!addr_ok(r->addr) || (r->addr[0] == '\0' &&
		    r->cmd != MILTER_R_CHGFROM)) {
			*err_out = "bad address";
			return -1;
		}
		return 0;
	case MILTER_R_REPLBODY:
		r->body = d->p + d->pos;
		r->body_len = d->len - d->pos;
		d->pos = d->len;
		return 0;
	case MILTER_R_QUARANTINE:
		if (rd_str(d, &r->reason) == -1)
			return -1;
		for (const char *q = r->reason; *q != '\0'; q++)
			if ((unsigned char)*q < 32 || *q == 127) {
				*err_out = "control character in quarantine"
				    " reason";
				return -1;
			}
		return 0;
	default:
		*err_out = "unknown reply command";
		return -1;
	}
}

int
milter_reply_parse(const uint8_t *p, size_t len, struct milter_reply *r,
    const char **err_out)
{
	struct rd d;
	const char *why = NULL;

	memset(r, 0, sizeof(*r));
	if (len == 0) {
		*err_out = "empty packet";
		return -1;
	}
	r->cmd = (char)p[0];
	d.p = p + 1;
	d.len = len - 1;
	d.pos = 0;
	if (parse_payload(&d, r, &why) == -1) {
		*err_out = why != NULL ? why : "malformed reply payload";
		return -1;
	}
	if (!rd_done(&d)) {
		*err_out = "trailing bytes in reply";
		return -1;
	}
	return 0;
}
