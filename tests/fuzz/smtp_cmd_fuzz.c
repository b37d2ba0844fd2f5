/*
 * tests/fuzz/smtp_cmd_fuzz.c - fuzz target for smtp_cmd_parse in
 * lib/smtp_cmd.c (and through it the path and parameter parsers).
 *
 * The first byte picks the session options (offered extensions, LMTP,
 * SMTPUTF8 transaction); the rest is the command line. Invariants:
 *  - an accepted line starts with the verb's name (case ignored), its
 *    MAIL/RCPT path has an address that parses again to the same
 *    address, and ENVID/ORCPT/AUTH values survive an xtext round trip;
 *  - a MAIL/RCPT line written back by smtp_cmd_write_* parses to the
 *    same address and parameters;
 *  - a rejected line gets one of the documented replies (500 5.5.2,
 *    501 5.5.4/5.1.7/5.1.3, 502 5.5.1, 552 5.3.4, 553 5.6.7, 555 5.5.4)
 *    with a valid enhanced code, and that reply formats.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/smtp_cmd.h"
#include "lib/smtp_cmd_write.h"
#include "lib/smtp_reply.h"
#include "lib/smtp_xtext.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
xtext_round_trip(const char *v)
{
	struct buf *e = buf_new(64, 1 << 16), *d = buf_new(64, 1 << 16);

	if (v == NULL)
		goto done;
	if (smtp_xtext_encode(v, strlen(v), e) != 0 ||
	    smtp_xtext_decode(buf_cstr(e), e->len, d) != 0 ||
	    strcmp(buf_cstr(d), v) != 0)
		abort();
done:
	buf_free(&e);
	buf_free(&d);
}

static void
check_path(struct pool *p, const struct smtp_cmd *cmd,
    const struct smtp_limits *lim)
{
	const struct smtp_path *pa = &cmd->path;
	struct smtp_path again;
	struct smtp_limits big = *lim;
	char *s;

	if (pa->addr == NULL || pa->local == NULL)
		abort();
	if (pa->is_null || pa->is_postmaster)
		return;
	if (pa->domain == NULL || pa->domain_ascii == NULL)
		abort();
	/* the canonical form may be longer (quoting), so no length limits */
	big.path_max = big.local_max = (size_t)1 << 20;
	s = pool_printf(p, "<%s>", pa->addr);
	if (smtp_path_parse(p, s, strlen(s), &big, SMTP_PATH_SENDER |
	    SMTP_PATH_UTF8, &again, NULL, NULL) != 0 ||
	    strcmp(again.addr, pa->addr) != 0 ||
	    strcmp(again.local, pa->local) != 0)
		abort();
}

static bool
str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    strcmp(a, b) == 0);
}

static void
check_write(struct pool *p, const struct smtp_cmd *a,
    const struct smtp_limits *lim, const struct smtp_cmd_opts *opts)
{
	struct buf *out = buf_new(256, 1 << 20);
	struct smtp_limits big = *lim;
	struct smtp_cmd b;
	int rc;

	if (a->verb == SMTP_CMD_MAIL)
		rc = smtp_cmd_write_mail(out, a->path.addr, &a->mail,
		    opts->ext);
	else
		rc = smtp_cmd_write_rcpt(out, a->path.addr, &a->rcpt,
		    opts->ext);
	big.cmd_line_max = big.path_max = big.local_max = (size_t)1 << 20;
	if (rc != 0 || out->len < 2 || smtp_cmd_parse(p, buf_cstr(out),
	    out->len - 2, &big, opts, &b, NULL) != 0)
		abort();
	if (strcmp(a->path.addr, b.path.addr) != 0 ||
	    a->mail.has_size != b.mail.has_size ||
	    a->mail.size != b.mail.size || a->mail.body != b.mail.body ||
	    a->mail.smtputf8 != b.mail.smtputf8 || a->mail.ret != b.mail.ret ||
	    !str_same(a->mail.envid, b.mail.envid) ||
	    !str_same(a->mail.auth, b.mail.auth) ||
	    a->rcpt.notify != b.rcpt.notify ||
	    !str_same(a->rcpt.orcpt, b.rcpt.orcpt) ||
	    !str_same(a->rcpt.orcpt_type, b.rcpt.orcpt_type))
		abort();
	buf_free(&out);
}

static void
check_error(const struct smtp_error *err)
{
	static const struct { int code; const char *enh; } ok[] = {
		{ 500, "5.5.2" }, { 501, "5.5.4" }, { 501, "5.1.7" },
		{ 501, "5.1.3" }, { 502, "5.5.1" }, { 552, "5.3.4" },
		{ 553, "5.6.7" }, { 555, "5.5.4" } };
	struct buf *b = buf_new(64, 4096);
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (err->code == ok[i].code && strcmp(err->enh, ok[i].enh) == 0)
			break;
	if (i == sizeof(ok) / sizeof(ok[0]) || err->text == NULL ||
	    smtp_reply_error(b, err, true) != 0)
		abort();
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *p;
	struct smtp_limits lim;
	struct smtp_cmd_opts opts = { 0 };
	struct smtp_cmd cmd;
	struct smtp_error err = { 0 };
	const char *line;
	size_t len;

	if (size == 0)
		return 0;
	p = pool_new("fuzz");
	smtp_limits_default(&lim);
	opts.ext = data[0] & SMTP_EXT_ALL;
	opts.lmtp = (data[0] & 0x80) != 0;
	opts.txn_smtputf8 = (data[0] & 0x01) != 0;
	if (data[0] & 0x40)
		lim.message_size_max = 1000000;
	line = (const char *)data + 1;
	len = size - 1;
	if (smtp_cmd_parse(p, line, len, &lim, &opts, &cmd, &err) == 0) {
		size_t n = strlen(cmd.name);

		if (len < n || strncasecmp(line, cmd.name, n) != 0 ||
		    (len > n && line[n] != ' '))
			abort();
		if (cmd.verb == SMTP_CMD_MAIL || cmd.verb == SMTP_CMD_RCPT) {
			check_path(p, &cmd, &lim);
			check_write(p, &cmd, &lim, &opts);
		}
		if (cmd.verb == SMTP_CMD_MAIL && cmd.path.is_utf8 &&
		    !cmd.mail.smtputf8)
			abort();
		xtext_round_trip(cmd.mail.envid);
		xtext_round_trip(cmd.mail.auth);
		xtext_round_trip(cmd.rcpt.orcpt);
	} else {
		check_error(&err);
	}
	pool_free(&p);
	return 0;
}
