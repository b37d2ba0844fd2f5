/*
 * mtad/milter_proto.h - the milter protocol (version 6, as libmilter and
 * Sendmail/Postfix speak it): packets the MTA sends, and the strict,
 * bounded decoder of the packets a milter answers with.
 *
 * A packet is a 4-byte length in network order (counting the command
 * byte), one command byte, then the payload: NUL-terminated strings and
 * 32-bit network-order numbers. Pure code: bytes and limits in, a struct
 * out; no sockets (mtad/milter_conn.c does the I/O). Everything a milter
 * sends is untrusted: tests/fuzz/milter_proto_fuzz.c drives the decoder.
 */
#ifndef MTAD_MILTER_PROTO_H
#define MTAD_MILTER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define MILTER_VERSION 6
/* Largest payload of one body chunk (libmilter's MILTER_CHUNK_SIZE); a
 * libmilter without SMFIP_MDS_* refuses packets above 64 KiB. */
#define MILTER_CHUNK_MAX 65535
/* The smallest packet limit accepted in configuration. */
#define MILTER_PACKET_MIN 1024
/* Longest header name a milter may add (RFC 5322 2.1.1 line limit). */
#define MILTER_HEADER_NAME_MAX 998

/* MTA -> milter commands. */
#define MILTER_CMD_ABORT	'A'
#define MILTER_CMD_BODY		'B'
#define MILTER_CMD_CONNECT	'C'
#define MILTER_CMD_MACRO	'D'
#define MILTER_CMD_BODYEOB	'E'
#define MILTER_CMD_HELO		'H'
#define MILTER_CMD_HEADER	'L'
#define MILTER_CMD_MAIL		'M'
#define MILTER_CMD_EOH		'N'
#define MILTER_CMD_OPTNEG	'O'
#define MILTER_CMD_QUIT		'Q'
#define MILTER_CMD_RCPT		'R'
#define MILTER_CMD_DATA		'T'

/* milter -> MTA replies. */
#define MILTER_R_ADDRCPT	'+'
#define MILTER_R_DELRCPT	'-'
#define MILTER_R_ADDRCPT_PAR	'2'
#define MILTER_R_SHUTDOWN	'4'
#define MILTER_R_ACCEPT		'a'
#define MILTER_R_REPLBODY	'b'
#define MILTER_R_CONTINUE	'c'
#define MILTER_R_DISCARD	'd'
#define MILTER_R_CHGFROM	'e'
#define MILTER_R_CONN_FAIL	'f'
#define MILTER_R_ADDHEADER	'h'
#define MILTER_R_INSHEADER	'i'
#define MILTER_R_SETSYMLIST	'l'
#define MILTER_R_CHGHEADER	'm'
#define MILTER_R_PROGRESS	'p'
#define MILTER_R_QUARANTINE	'q'
#define MILTER_R_REJECT		'r'
#define MILTER_R_SKIP		's'
#define MILTER_R_TEMPFAIL	't'
#define MILTER_R_REPLYCODE	'y'
#define MILTER_R_OPTNEG		'O'	/* the answer to OPTNEG */

/* Actions (SMFIF_*) a milter may ask for at negotiation. */
#define MILTER_ACT_ADDHDRS	0x001u
#define MILTER_ACT_CHGBODY	0x002u
#define MILTER_ACT_ADDRCPT	0x004u
#define MILTER_ACT_DELRCPT	0x008u
#define MILTER_ACT_CHGHDRS	0x010u
#define MILTER_ACT_QUARANTINE	0x020u
#define MILTER_ACT_CHGFROM	0x040u
#define MILTER_ACT_ADDRCPT_PAR	0x080u
#define MILTER_ACT_SETSYMLIST	0x100u
#define MILTER_ACT_ALL		0x1FFu

/* Protocol steps and flags (SMFIP_*). */
#define MILTER_P_NOCONNECT	0x00000001u
#define MILTER_P_NOHELO		0x00000002u
#define MILTER_P_NOMAIL		0x00000004u
#define MILTER_P_NORCPT		0x00000008u
#define MILTER_P_NOBODY		0x00000010u
#define MILTER_P_NOHDRS		0x00000020u
#define MILTER_P_NOEOH		0x00000040u
#define MILTER_P_NR_HDR		0x00000080u
#define MILTER_P_NOUNKNOWN	0x00000100u
#define MILTER_P_NODATA		0x00000200u
#define MILTER_P_SKIP		0x00000400u
#define MILTER_P_RCPT_REJ	0x00000800u
#define MILTER_P_NR_CONN	0x00001000u
#define MILTER_P_NR_HELO	0x00002000u
#define MILTER_P_NR_MAIL	0x00004000u
#define MILTER_P_NR_RCPT	0x00008000u
#define MILTER_P_NR_DATA	0x00010000u
#define MILTER_P_NR_UNKN	0x00020000u
#define MILTER_P_NR_EOH		0x00040000u
#define MILTER_P_NR_BODY	0x00080000u
#define MILTER_P_HDR_LEADSPC	0x00100000u
/* What mtad offers: every step may be skipped or go without a reply,
 * SMFIS_SKIP is understood; not offered: rejected recipients
 * (RCPT_REJ), leading-space headers and the larger packet sizes. */
#define MILTER_P_OFFERED	(0x000FFFFFu & ~MILTER_P_RCPT_REJ)

/* Macro stages (SMFIM_*), the first payload byte of MILTER_CMD_MACRO is
 * the command they go with. */
#define MILTER_STAGES 7

/* One decoded reply. Strings point into the packet given to the
 * decoder (they are NUL-terminated there) and live as long as it; a
 * reply code's text is in the struct itself. */
struct milter_reply {
	char cmd;			/* MILTER_R_* */
	/* OPTNEG */
	uint32_t version, actions, protocol;
	/* INSHEADER, CHGHEADER: index; ADDHEADER too: name and value */
	uint32_t index;
	const char *name;
	const char *value;		/* CHGHEADER: "" deletes */
	/* ADDRCPT, ADDRCPT_PAR, DELRCPT, CHGFROM: the address as sent
	 * ("<a@b>" or "a@b"), args: ESMTP arguments or NULL */
	const char *addr;
	const char *args;
	/* REPLYCODE */
	int code;			/* 400..599 */
	char enh[16];			/* "" if none */
	const char *text;		/* mtext: the lines' texts after code
					 * and enhanced code, joined by LF */
	char mtext[1024];
	/* REPLBODY */
	const uint8_t *body;
	size_t body_len;
	/* QUARANTINE */
	const char *reason;
};

/* Append packet cmd with payload p[len] to out. 0, or -1 if out's
 * ceiling was reached or len is too large for a packet. */
int milter_put(struct buf *out, char cmd, const void *p, size_t len);
/* OPTNEG with version, actions and protocol flags. */
int milter_put_optneg(struct buf *out, uint32_t version, uint32_t actions,
    uint32_t protocol);
/* CONNECT: host name (the client's, or "[addr]"), address family from
 * addr ('4', '6'; 'U' if addr is NULL or neither), port, address. */
int milter_put_connect(struct buf *out, const char *host, const char *addr,
    unsigned port);
/* A packet of n NUL-terminated strings (HELO, MAIL, RCPT, HEADER). */
int milter_put_strings(struct buf *out, char cmd, const char *const *s,
    size_t n);
/* MACRO for command stage: n name/value pairs (nv[2i], nv[2i+1]); pairs
 * whose value is NULL are left out. */
int milter_put_macros(struct buf *out, char stage, const char *const *nv,
    size_t n);

/* Length of the packet whose 4-byte header is hdr: 0 with *len_out
 * (command byte + payload), or -1 with *err_out if it is 0 or above max. */
int milter_frame_len(const uint8_t hdr[4], size_t max, size_t *len_out,
    const char **err_out);

/* Decode packet p[len] (command byte + payload, as framed). p[len] must
 * be readable as a terminating NUL (the caller's buffer keeps one). 0
 * with *r filled, or -1 with *err_out (static text): unknown command,
 * payload of the wrong shape, strings not terminated, a reply code out
 * of 4xx/5xx or differing between lines, an enhanced code of the wrong
 * class, control characters in a reply text (lines are separated by
 * CRLF, as smfi_setmlreply sends them; the text is cut at 1023 bytes), a header name that is not RFC 5322 ftext, a header value
 * whose line breaks are not followed by white space. */
int milter_reply_parse(const uint8_t *p, size_t len, struct milter_reply *r,
    const char **err_out);

/* Whether cmd ends a stage (accept, continue, reject, tempfail, discard,
 * replycode, skip, shutdown, connection failure). */
bool milter_reply_is_final(char cmd);

#endif
