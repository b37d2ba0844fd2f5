/*
 * accessd/pop3d_cmd.c - the POP3 command parser (see pop3d_cmd.h).
 *
 * Runs in the POP3 session process on hostile client lines, already
 * capped at pop3_line_max by the stream.
 */
#include "config.h"

#include <string.h>

#include "lib/str.h"
#include "accessd/pop3d_cmd.h"
#include "lib/banned.h"

enum arg_kind {
	ARG_NONE,	/* no argument */
	ARG_WORD,	/* one word (USER) */
	ARG_REST,	/* the rest of the line, may contain spaces (PASS) */
	ARG_AUTH,	/* mechanism [initial-response] */
	ARG_OPT_MSG,	/* [msg] */
	ARG_MSG,	/* msg */
	ARG_MSG_N,	/* msg n */
};

static const struct {
	const char *name;
	enum pop3d_verb verb;
	enum arg_kind args;
} verbs[] = {
	{ "USER", POP3D_USER, ARG_WORD }, { "PASS", POP3D_PASS, ARG_REST },
	{ "AUTH", POP3D_AUTH, ARG_AUTH }, { "CAPA", POP3D_CAPA, ARG_NONE },
	{ "STLS", POP3D_STLS, ARG_NONE }, { "QUIT", POP3D_QUIT, ARG_NONE },
	{ "NOOP", POP3D_NOOP, ARG_NONE }, { "STAT", POP3D_STAT, ARG_NONE },
	{ "LIST", POP3D_LIST, ARG_OPT_MSG }, { "UIDL", POP3D_UIDL, ARG_OPT_MSG },
	{ "RETR", POP3D_RETR, ARG_MSG }, { "TOP", POP3D_TOP, ARG_MSG_N },
	{ "DELE", POP3D_DELE, ARG_MSG }, { "RSET", POP3D_RSET, ARG_NONE },
};

static int
fail(const char **err_out, const char *text)
{
	*err_out = text;
	return -1;
}

static int
number(const char *s, uint32_t min, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, strlen(s), POP3D_NUMBER_MAX, &v) == -1 || v < min)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Cut the next space-separated word off *p; NULL if none. */
static char *
word(char **p)
{
	char *w = *p, *sp;

	if (w == NULL || *w == '\0')
		return NULL;
	sp = strchr(w, ' ');
	if (sp != NULL) {
		*sp = '\0';
		*p = sp + 1;
	} else {
		*p = NULL;
	}
	return w;
}

static int
parse_args(enum arg_kind kind, char *rest, struct pop3d_cmd *cmd,
    const char **err_out)
{
	char *a, *b;

	switch (kind) {
	case ARG_NONE:
		return rest == NULL ? 0 : fail(err_out, "No argument expected");
	case ARG_REST:
		if (rest == NULL || *rest == '\0')
			return fail(err_out, "Argument required");
		cmd->arg = rest;
		return 0;
	case ARG_WORD:
	case ARG_AUTH:
		a = word(&rest);
		b = word(&rest);
		if ((a != NULL && *a == '\0') || (b != NULL && *b == '\0'))
			return fail(err_out, "Malformed arguments");
		if (a == NULL)
			return fail(err_out, "Argument required");
		if (rest != NULL || (b != NULL && kind == ARG_WORD))
			return fail(err_out, "Too many arguments");
		cmd->arg = a;
		cmd->arg2 = b;
		return 0;
	case ARG_OPT_MSG:
	case ARG_MSG:
	case ARG_MSG_N:
		a = word(&rest);
		b = word(&rest);
		if (a == NULL && kind == ARG_OPT_MSG)
			return 0;
		if (a == NULL || (b == NULL && kind == ARG_MSG_N))
			return fail(err_out, "Message number required");
		if (rest != NULL || (b != NULL && kind != ARG_MSG_N))
			return fail(err_out, "Too many arguments");
		if (number(a, 1, &cmd->msg) == -1)
			return fail(err_out, "Invalid message number");
		if (b != NULL && number(b, 0, &cmd->lines) == -1)
			return fail(err_out, "Invalid line count");
		cmd->has_msg = true;
		return 0;
	}
	return fail(err_out, "Internal error");
}

int
pop3d_cmd_parse(char *line, size_t len, struct pop3d_cmd *cmd,
    const char **err_out)
{
	char *rest;
	size_t vlen;

	memset(cmd, 0, sizeof(*cmd));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f)
			return fail(err_out, "Control character in command");
	}
	vlen = strcspn(line, " ");
	rest = vlen < len ? line + vlen + 1 : NULL;
	if (rest != NULL && *rest == '\0')
		rest = NULL;		/* a trailing space */
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strlen(verbs[i].name) != vlen ||
		    !str_prefix_ci(line, verbs[i].name))
			continue;
		cmd->verb = verbs[i].verb;
		line[vlen] = '\0';
		return parse_args(verbs[i].args, rest, cmd, err_out);
	}
	return fail(err_out, "Unknown command");
}
