/*
 * lib/smtp_param.c - MAIL FROM and RCPT TO parameters (RFC 5321 4.1.2
 * esmtp-param) and the values each extension allows.
 *
 * Input is the client's command line; each value is checked here so the
 * session stores only values that are valid when written to the queue
 * file or echoed in a DSN.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "lib/smtp_addr.h"
#include "lib/smtp_param.h"
#include "lib/smtp_xtext.h"
#include "lib/banned.h"

/* One esmtp-param: keyword [ "=" value ]. */
struct param {
	const char *key;
	size_t key_len;
	const char *val;	/* NULL when there is no "=" */
	size_t val_len;
};

static bool
key_is(const struct param *pr, const char *name)
{
	return pr->key_len == strlen(name) &&
	    strncasecmp(pr->key, name, pr->key_len) == 0;
}

static bool
val_is(const struct param *pr, const char *v)
{
	return pr->val_len == strlen(v) &&
	    strncasecmp(pr->val, v, pr->val_len) == 0;
}

/* Next parameter from s[*i..len). 1 found, 0 end, -1 syntax error. */
static int
next_param(const char *s, size_t len, size_t *i, struct param *pr)
{
	size_t j;

	while (*i < len && s[*i] == ' ')
		(*i)++;
	if (*i == len)
		return 0;
	j = *i;
	/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
	while (j < len && ((s[j] >= 'a' && s[j] <= 'z') ||
	    (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9') ||
	    (s[j] == '-' && j > *i)))
		j++;
	if (j == *i)
		return -1;
	pr->key = s + *i;
	pr->key_len = j - *i;
	pr->val = NULL;
	pr->val_len = 0;
	if (j < len && s[j] == '=') {
		/* esmtp-value = 1*(%d33-60 / %d62-126), UTF-8 (RFC 6531) */
		size_t v = ++j;

		while (j < len && (unsigned char)s[j] > ' ' && s[j] != '=' &&
		    s[j] != 127)
			j++;
		if (j == v || !smtp_utf8_is_valid(s + v, j - v))
			return -1;
		pr->val = s + v;
		pr->val_len = j - v;
	}
	if (j < len && s[j] != ' ')
		return -1;
	*i = j;
	return 1;
}

static int
bad_value(struct smtp_error *err, const char *text)
{
	return smtp_error_set(err, 501, "5.5.4", text);
}

/* xtext value decoded into the pool; printable ASCII (or UTF-8 when
 * utf8) only, no NUL or controls, so it is safe in a queue file. */
static int
xtext_value(struct pool *p, const char *v, size_t n, bool utf8, char **out)
{
	struct buf *b = buf_new(n + 1, n);
	int rc = -1;

	if (smtp_xtext_decode(v, n, b) == -1)
		goto done;
	for (size_t k = 0; k < b->len; k++)
		if (b->data[k] < 32 || b->data[k] == 127 ||
		    (b->data[k] >= 0x80 && !utf8))
			goto done;
	if (!smtp_utf8_is_valid((const char *)b->data, b->len))
		goto done;
	*out = pool_strndup(p, (const char *)b->data, b->len);
	rc = 0;
done:
	buf_free(&b);
	return rc;
}

static int
mail_size(const struct param *pr, const struct smtp_limits *lim,
    struct smtp_mail_params *out, struct smtp_error *err)
{
	if (pr->val == NULL || pr->val_len > 20 ||
	    parse_u64(pr->val, pr->val_len, UINT64_MAX, &out->size) == -1)
		return bad_value(err, "Bad SIZE value");
	if (lim->message_size_max != 0 && out->size > lim->message_size_max)
		return smtp_error_set(err, 552, "5.3.4",
		    "Message size exceeds fixed maximum message size");
	out->has_size = true;
	return 0;
}

static int
mail_body(const struct param *pr, unsigned ext, struct smtp_mail_params *out,
    struct smtp_error *err)
{
	if (pr->val == NULL)
		return bad_value(err, "Bad BODY value");
	if (val_is(pr, "7BIT"))
		out->body = SMTP_BODY_7BIT;
	else if (val_is(pr, "8BITMIME"))
		out->body = SMTP_BODY_8BITMIME;
	else if (val_is(pr, "BINARYMIME") && (ext & SMTP_EXT_BINARYMIME))
		out->body = SMTP_BODY_BINARYMIME;
	else
		return bad_value(err, "Bad BODY value");
	return 0;
}

bool
smtp_xqid_valid(const char *s, size_t len)
{
	if (len == 0 || len > SMTP_XQID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
			return false;
	return true;
}

static int
mail_param(struct pool *p, const struct param *pr,
    const struct smtp_limits *lim, unsigned ext,
    struct smtp_mail_params *out, unsigned *seen, struct smtp_error *err)
{
	static const char *const names[] = { "SIZE", "BODY", "SMTPUTF8",
	    "RET", "ENVID", "AUTH", "XQID" };
	static const unsigned need[] = { SMTP_EXT_SIZE, SMTP_EXT_8BITMIME |
	    SMTP_EXT_BINARYMIME, SMTP_EXT_SMTPUTF8, SMTP_EXT_DSN, SMTP_EXT_DSN,
	    SMTP_EXT_AUTH, SMTP_EXT_XQID };
	size_t k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (key_is(pr, names[k]) && (ext & need[k]))
			break;
	if (k == sizeof(names) / sizeof(names[0]))
		return smtp_error_set(err, 555, "5.5.4",
		    "Unsupported MAIL parameter");
	if (*seen & (1u << k))
		return bad_value(err, "Duplicate MAIL parameter");
	*seen |= 1u << k;
	switch (k) {
	case 0:
		return mail_size(pr, lim, out, err);
	case 1:
		return mail_body(pr, ext, out, err);
	case 2:
		if (pr->val != NULL)
			return bad_value(err, "SMTPUTF8 takes no value");
		out->smtputf8 = true;
		return 0;
	case 3:
		if (pr->val != NULL && val_is(pr, "FULL"))
			out->ret = SMTP_RET_FULL;
		else if (pr->val != NULL && val_is(pr, "HDRS"))
			out->ret = SMTP_RET_HDRS;
		else
			return bad_value(err, "Bad RET value");
		return 0;
	case 4:
		if (pr->val == NULL || pr->val_len > SMTP_ENVID_MAX ||
		    xtext_value(p, pr->val, pr->val_len, false,
		    &out->envid) == -1)
			return bad_value(err, "Bad ENVID value");
		return 0;
	case 5:
		if (pr->val == NULL || pr->val_len > lim->path_max * 3 ||
		    xtext_value(p, pr->val, pr->val_len, true, &out->auth) == -1)
			return bad_value(err, "Bad AUTH value");
		return 0;
	default:
		if (pr->val == NULL || !smtp_xqid_valid(pr->val, pr->val_len))
			return bad_value(err, "Bad XQID value");
		out->xqid = pool_strndup(p, pr->val, pr->val_len);
		return 0;
	}
}

int
smtp_param_parse_mail(struct pool *p, const char *s, size_t len,
    const struct smtp_limits *lim, unsigned ext,
    struct smtp_mail_params *out, struct smtp_error *err)
{
	struct param pr;
	size_t i = 0;
	unsigned seen = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	while ((rc = next_param(s, len, &i, &pr)) == 1)
		if (mail_param(p, &pr, lim, ext, out, &seen, err) == -1)
			return -1;
	if (rc == -1)
		return bad_value(err, "Syntax error in MAIL parameters");
	return 0;
}

/* NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY (RFC 3461 4.1). */
static int
rcpt_notify(const struct param *pr, unsigned *notify)
{
	static const char *const words[] = { "NEVER", "SUCCESS", "FAILURE",
	    "DELAY" };
	size_t i = 0, j, k;

	if (pr->val == NULL)
		return -1;
	while (i <= pr->val_len) {
		struct param w = { 0 };

		for (j = i; j < pr->val_len && pr->val[j] != ','; j++)
			;
		w.val = pr->val + i;
		w.val_len = j - i;
		for (k = 0; k < 4 && !val_is(&w, words[k]); k++)
			;
		if (k == 4 || (*notify & (1u << k)))
			return -1;
		*notify |= 1u << k;
		i = j + 1;
	}
	if ((*notify & SMTP_NOTIFY_NEVER) && *notify != SMTP_NOTIFY_NEVER)
		return -1;
	return 0;
}

/* ORCPT=addr-type;xtext (RFC 3461 4.2), addr-type an atom. */
static int
rcpt_orcpt(struct pool *p, const struct param *pr,
    struct smtp_rcpt_params *out)
{
	const char *semi;
	size_t tlen;

	if (pr->val == NULL || pr->val_len > SMTP_ORCPT_MAX)
		return -1;
	semi = memchr(pr->val, ';', pr->val_len);
	if (semi == NULL || semi == pr->val)
		return -1;
	tlen = (size_t)(semi - pr->val);
	for (size_t k = 0; k < tlen; k++) {
		char c = pr->val[k];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return -1;
	}
	if (tlen + 1 == pr->val_len ||
	    xtext_value(p, semi + 1, pr->val_len - tlen - 1, true,
	    &out->orcpt) == -1)
		return -1;
	out->orcpt_type = pool_strndup(p, pr->val, tlen);
	return 0;
}

int
smtp_param_parse_rcpt(struct pool *p, const char *s, size_t len,
    const struct smtp_limits *lim, unsigned ext,
    struct smtp_rcpt_params *out, struct smtp_error *err)
{
	struct param pr;
	size_t i = 0;
	bool seen_orcpt = false, seen_notify = false;
	int rc;

	(void)lim;
	memset(out, 0, sizeof(*out));
	while ((rc = next_param(s, len, &i, &pr)) == 1) {
		if ((ext & SMTP_EXT_DSN) && key_is(&pr, "NOTIFY")) {
			if (seen_notify)
				return bad_value(err, "Duplicate NOTIFY parameter");
			seen_notify = true;
			if (rcpt_notify(&pr, &out->notify) == -1)
				return bad_value(err, "Bad NOTIFY value");
		} else if ((ext & SMTP_EXT_DSN) && key_is(&pr, "ORCPT")) {
			if (seen_orcpt)
				return bad_value(err, "Duplicate ORCPT parameter");
			seen_orcpt = true;
			if (rcpt_orcpt(p, &pr, out) == -1)
				return bad_value(err, "Bad ORCPT value");
		} else {
			return smtp_error_set(err, 555, "5.5.4",
			    "Unsupported RCPT parameter");
		}
	}
	if (rc == -1)
		return bad_value(err, "Syntax error in RCPT parameters");
	return 0;
}
