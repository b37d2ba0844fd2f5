/*
 * lib/smtp_cmd_write.c - MAIL FROM and RCPT TO lines for the SMTP/LMTP
 * clients. Addresses and values come from the queue file, which came
 * from clients: anything that could split the line is refused.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "lib/smtp_cmd_write.h"
#include "lib/smtp_xtext.h"
#include "lib/banned.h"

static bool
line_safe(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

static int
xtext_param(struct buf *out, const char *name, const char *v)
{
	if (v == NULL)
		return 0;
	if (buf_printf(out, " %s=", name) == -1)
		return -1;
	return smtp_xtext_encode(v, strlen(v), out);
}

static int
mail_params(struct buf *out, const struct smtp_mail_params *mp, unsigned ext)
{
	static const char *const body[] = { NULL, "7BIT", "8BITMIME",
	    "BINARYMIME" };

	if (mp->has_size && (ext & SMTP_EXT_SIZE) &&
	    buf_printf(out, " SIZE=%" PRIu64, mp->size) == -1)
		return -1;
	if (mp->body != SMTP_BODY_NONE && (ext & (SMTP_EXT_8BITMIME |
	    SMTP_EXT_BINARYMIME)) && buf_printf(out, " BODY=%s",
	    body[mp->body]) == -1)
		return -1;
	if (mp->smtputf8 && (ext & SMTP_EXT_SMTPUTF8) &&
	    buf_append_str(out, " SMTPUTF8") == -1)
		return -1;
	if (ext & SMTP_EXT_DSN) {
		if (mp->ret != SMTP_RET_NONE && buf_printf(out, " RET=%s",
		    mp->ret == SMTP_RET_FULL ? "FULL" : "HDRS") == -1)
			return -1;
		if (xtext_param(out, "ENVID", mp->envid) == -1)
			return -1;
	}
	if ((ext & SMTP_EXT_AUTH) && xtext_param(out, "AUTH", mp->auth) == -1)
		return -1;
	if ((ext & SMTP_EXT_XQID) && mp->xqid != NULL && (!smtp_xqid_valid(
	    mp->xqid, strlen(mp->xqid)) || buf_printf(out, " XQID=%s",
	    mp->xqid) == -1))
		return -1;
	return 0;
}

int
smtp_cmd_write_mail(struct buf *out, const char *addr,
    const struct smtp_mail_params *mp, unsigned ext)
{
	size_t start = out->len;

	if (!line_safe(addr) || (mp != NULL && (!line_safe(mp->envid) ||
	    !line_safe(mp->auth))))
		return -1;
	if (buf_printf(out, "MAIL FROM:<%s>", addr) == -1 ||
	    (mp != NULL && mail_params(out, mp, ext) == -1) ||
	    buf_append(out, "\r\n", 2) == -1) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

static int
rcpt_params(struct buf *out, const struct smtp_rcpt_params *rp)
{
	static const char *const words[] = { "NEVER", "SUCCESS", "FAILURE",
	    "DELAY" };
	const char *sep = " NOTIFY=";

	for (unsigned k = 0; k < 4; k++) {
		if (!(rp->notify & (1u << k)))
			continue;
		if (buf_printf(out, "%s%s", sep, words[k]) == -1)
			return -1;
		sep = ",";
	}
	if (rp->orcpt != NULL && rp->orcpt_type != NULL) {
		if (buf_printf(out, " ORCPT=%s;", rp->orcpt_type) == -1 ||
		    smtp_xtext_encode(rp->orcpt, strlen(rp->orcpt), out) == -1)
			return -1;
	}
	return 0;
}

int
smtp_cmd_write_rcpt(struct buf *out, const char *addr,
    const struct smtp_rcpt_params *rp, unsigned ext)
{
	size_t start = out->len;

	if (!line_safe(addr) || (rp != NULL && (!line_safe(rp->orcpt) ||
	    !line_safe(rp->orcpt_type) || (rp->orcpt_type != NULL &&
	    strpbrk(rp->orcpt_type, " ;=") != NULL))))
		return -1;
	if (buf_printf(out, "RCPT TO:<%s>", addr) == -1 ||
	    (rp != NULL && (ext & SMTP_EXT_DSN) &&
	    rcpt_params(out, rp) == -1) ||
	    buf_append(out, "\r\n", 2) == -1) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}
