/*
 * lib/smtp_cmd.c - parse one SMTP or LMTP command line into a struct
 * smtp_cmd, or decide the reply that rejects it.
 *
 * The line comes straight from a client and is hostile: it is length
 * checked before anything else, may not hold CR, LF or NUL, and every
 * argument is checked against the RFC 5321 4.1.1 grammar. One handler per
 * command, chosen from a table.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "lib/str.h"
#include "lib/smtp_cmd.h"
#include "lib/banned.h"

struct cmd_ctx {
	struct pool *p;
	const char *arg;	/* after the verb and one space; NULL if none */
	size_t arg_len;		/* trailing spaces removed */
	const struct smtp_limits *lim;
	const struct smtp_cmd_opts *opts;
	struct smtp_cmd *cmd;
	struct smtp_error *err;
};

typedef int smtp_cmd_fn(struct cmd_ctx *c);

static int
syntax(struct smtp_error *err, const char *text)
{
	return smtp_error_set(err, 501, "5.5.4", text);
}

static int
no_arg(struct cmd_ctx *c)
{
	if (c->arg != NULL)
		return syntax(c->err, "No arguments allowed");
	return 0;
}

static int
opt_arg(struct cmd_ctx *c)
{
	if (c->arg != NULL)
		c->cmd->arg = pool_strndup(c->p, c->arg, c->arg_len);
	return 0;
}

static int
need_arg(struct cmd_ctx *c)
{
	if (c->arg == NULL)
		return syntax(c->err, "Argument required");
	return opt_arg(c);
}

/* HELO/EHLO/LHLO domain or address-literal. */
static int
hello(struct cmd_ctx *c)
{
	if (c->arg == NULL)
		return syntax(c->err, "Hostname required");
	if (c->arg[0] == '[') {
		if (c->arg_len > c->lim->domain_max ||
		    smtp_addr_literal_check(c->arg, c->arg_len) == -1)
			return syntax(c->err, "Invalid address literal");
		c->cmd->helo_literal = true;
	} else if (smtp_domain_check(c->p, c->arg, c->arg_len, c->lim, false,
	    NULL, NULL) == -1) {
		return syntax(c->err, "Invalid hostname");
	}
	c->cmd->arg = pool_strndup(c->p, c->arg, c->arg_len);
	return 0;
}

/* "FROM:" or "TO:", spaces tolerated after the colon, path, params. */
static int
mail_rcpt(struct cmd_ctx *c, const char *kw, unsigned flags,
    const char *bad)
{
	size_t kl = strlen(kw), i, used;
	const char *a = c->arg;

	if (a == NULL || c->arg_len < kl || strncasecmp(a, kw, kl) != 0)
		return syntax(c->err, bad);
	for (i = kl; i < c->arg_len && a[i] == ' '; i++)
		;
	if (smtp_path_parse(c->p, a + i, c->arg_len - i, c->lim, flags,
	    &c->cmd->path, &used, c->err) == -1)
		return -1;
	i += used;
	if (i < c->arg_len && a[i] != ' ')
		return syntax(c->err, bad);
	if (c->cmd->verb == SMTP_CMD_MAIL)
		return smtp_param_parse_mail(c->p, a + i, c->arg_len - i,
		    c->lim, c->opts->ext, &c->cmd->mail, c->err);
	return smtp_param_parse_rcpt(c->p, a + i, c->arg_len - i, c->lim,
	    c->opts->ext, &c->cmd->rcpt, c->err);
}

static int
mail(struct cmd_ctx *c)
{
	/* UTF-8 in the path is allowed only by SMTPUTF8, which follows the
	 * path (RFC 6531 3.4): parse leniently, then check. */
	if (mail_rcpt(c, "FROM:", SMTP_PATH_SENDER | SMTP_PATH_UTF8,
	    "Syntax: MAIL FROM:<address>") == -1)
		return -1;
	if (c->cmd->path.is_utf8 && !c->cmd->mail.smtputf8)
		return smtp_error_set(c->err, 553, "5.6.7",
		    "Non-ASCII address requires SMTPUTF8");
	return 0;
}

static int
rcpt(struct cmd_ctx *c)
{
	unsigned flags = SMTP_PATH_RECIPIENT;

	if (c->opts->txn_smtputf8)
		flags |= SMTP_PATH_UTF8;
	return mail_rcpt(c, "TO:", flags, "Syntax: RCPT TO:<address>");
}

/* BDAT SP chunk-size [SP "LAST"] (RFC 3030 2). */
static int
bdat(struct cmd_ctx *c)
{
	const char *sp;
	size_t n;

	if (c->arg == NULL)
		return syntax(c->err, "Syntax: BDAT size [LAST]");
	sp = memchr(c->arg, ' ', c->arg_len);
	n = sp == NULL ? c->arg_len : (size_t)(sp - c->arg);
	if (n > 20 || parse_u64(c->arg, n, UINT64_MAX, &c->cmd->bdat_size) ==
	    -1)
		return syntax(c->err, "Syntax: BDAT size [LAST]");
	if (sp != NULL) {
		if (c->arg_len - n - 1 != 4 || strncasecmp(sp + 1, "LAST", 4))
			return syntax(c->err, "Syntax: BDAT size [LAST]");
		c->cmd->bdat_last = true;
	}
	if (c->lim->message_size_max != 0 &&
	    c->cmd->bdat_size > c->lim->message_size_max)
		return smtp_error_set(c->err, 552, "5.3.4",
		    "Message size exceeds fixed maximum message size");
	return 0;
}

/* AUTH SP mechanism [SP initial-response] (RFC 4954 4). */
static int
auth(struct cmd_ctx *c)
{
	const char *sp;
	size_t n, i;
	char *m;

	if (c->arg == NULL)
		return syntax(c->err, "Syntax: AUTH mechanism [response]");
	sp = memchr(c->arg, ' ', c->arg_len);
	n = sp == NULL ? c->arg_len : (size_t)(sp - c->arg);
	if (n == 0 || n > 20)
		return syntax(c->err, "Bad SASL mechanism name");
	m = pool_strndup(c->p, c->arg, n);
	for (i = 0; i < n; i++) {
		if (m[i] >= 'a' && m[i] <= 'z')
			m[i] = (char)(m[i] - 'a' + 'A');
		if (!((m[i] >= 'A' && m[i] <= 'Z') ||
		    (m[i] >= '0' && m[i] <= '9') || m[i] == '-' || m[i] == '_'))
			return syntax(c->err, "Bad SASL mechanism name");
	}
	c->cmd->arg = m;
	if (sp == NULL)
		return 0;
	sp++;
	n = c->arg_len - n - 1;
	if (n == 1 && sp[0] == '=') {
		c->cmd->arg2 = pool_strdup(c->p, "=");
		return 0;
	}
	/* base64: alphabet, then at most two "=" of padding */
	for (i = 0; i < n; i++) {
		char ch = sp[i];

		if (ch == '=' && i + 2 >= n && i > 0 && (i + 1 == n ||
		    sp[i + 1] == '='))
			continue;
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
			return syntax(c->err, "Bad initial response");
		if (i > 0 && sp[i - 1] == '=')
			return syntax(c->err, "Bad initial response");
	}
	if (n == 0 || n % 4 != 0)
		return syntax(c->err, "Bad initial response");
	c->cmd->arg2 = pool_strndup(c->p, sp, n);
	return 0;
}

struct cmd_def {
	const char *name;
	enum smtp_verb verb;
	smtp_cmd_fn *fn;
};

static const struct cmd_def cmds[] = {
	{ "HELO", SMTP_CMD_HELO, hello },
	{ "EHLO", SMTP_CMD_EHLO, hello },
	{ "LHLO", SMTP_CMD_LHLO, hello },
	{ "MAIL", SMTP_CMD_MAIL, mail },
	{ "RCPT", SMTP_CMD_RCPT, rcpt },
	{ "DATA", SMTP_CMD_DATA, no_arg },
	{ "BDAT", SMTP_CMD_BDAT, bdat },
	{ "RSET", SMTP_CMD_RSET, no_arg },
	{ "NOOP", SMTP_CMD_NOOP, opt_arg },
	{ "QUIT", SMTP_CMD_QUIT, no_arg },
	{ "VRFY", SMTP_CMD_VRFY, need_arg },
	{ "EXPN", SMTP_CMD_EXPN, need_arg },
	{ "HELP", SMTP_CMD_HELP, opt_arg },
	{ "STARTTLS", SMTP_CMD_STARTTLS, no_arg },
	{ "AUTH", SMTP_CMD_AUTH, auth },
};

const char *
smtp_cmd_name(enum smtp_verb verb)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].verb == verb)
			return cmds[i].name;
	return "?";
}

/* The command named line[0..n), NULL if unknown (HELO and EHLO are not
 * LMTP commands, LHLO only is: RFC 2033 4.1). */
static const struct cmd_def *
find_cmd(const char *line, size_t n, bool lmtp)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct cmd_def *d = &cmds[i];

		if (strlen(d->name) != n || strncasecmp(line, d->name, n) != 0)
			continue;
		if (lmtp ? (d->verb == SMTP_CMD_HELO ||
		    d->verb == SMTP_CMD_EHLO) : d->verb == SMTP_CMD_LHLO)
			return NULL;
		return d;
	}
	return NULL;
}

int
smtp_cmd_parse(struct pool *p, const char *line, size_t len,
    const struct smtp_limits *lim, const struct smtp_cmd_opts *opts,
    struct smtp_cmd *cmd, struct smtp_error *err)
{
	const struct cmd_def *d;
	struct cmd_ctx c = { p, NULL, 0, lim, opts, cmd, err };
	size_t n, max;

	memset(cmd, 0, sizeof(*cmd));
	max = lim->cmd_line_max > lim->auth_line_max ? lim->cmd_line_max :
	    lim->auth_line_max;
	if (len + 2 > max || len > (size_t)-1 - 2)
		return smtp_error_set(err, 500, "5.5.2", "Line too long");
	if (memchr(line, '\r', len) != NULL || memchr(line, '\n', len) ||
	    memchr(line, '\0', len) != NULL)
		return smtp_error_set(err, 500, "5.5.2",
		    "Syntax error, bare CR, LF or NUL in command");
	for (n = 0; n < len && line[n] != ' '; n++)
		if (!((line[n] >= 'a' && line[n] <= 'z') ||
		    (line[n] >= 'A' && line[n] <= 'Z')))
			return smtp_error_set(err, 500, "5.5.2",
			    "Syntax error, command unrecognized");
	if (n == 0)
		return smtp_error_set(err, 500, "5.5.2",
		    "Syntax error, command unrecognized");
	d = find_cmd(line, n, opts->lmtp);
	if (d == NULL)
		return smtp_error_set(err, 502, "5.5.1",
		    "Command not recognized");
	if (len + 2 > (d->verb == SMTP_CMD_AUTH ? lim->auth_line_max :
	    lim->cmd_line_max))
		return smtp_error_set(err, 500, "5.5.2", "Line too long");
	cmd->verb = d->verb;
	cmd->name = d->name;
	if (n < len) {
		c.arg = line + n + 1;
		c.arg_len = len - n - 1;
		while (c.arg_len > 0 && c.arg[c.arg_len - 1] == ' ')
			c.arg_len--;
		if (c.arg_len == 0)
			c.arg = NULL;
	}
	return d->fn(&c);
}
