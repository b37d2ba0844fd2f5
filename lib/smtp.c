/*
 * lib/smtp.c - the defaults of struct smtp_limits and the error helper
 * shared by the SMTP syntax modules (lib/smtp_*.c).
 */
#include "config.h"

#include <string.h>

#include "lib/smtp.h"
#include "lib/banned.h"

void
smtp_limits_default(struct smtp_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->cmd_line_max = SMTP_CMD_LINE_MAX;
	lim->auth_line_max = SMTP_AUTH_LINE_MAX;
	lim->path_max = SMTP_PATH_MAX;
	lim->local_max = SMTP_LOCAL_MAX;
	lim->domain_max = SMTP_DOMAIN_MAX;
	lim->text_line_max = SMTP_TEXT_LINE_MAX;
	lim->message_size_max = 0;
	lim->reply_line_max = SMTP_REPLY_LINE_MAX;
	lim->reply_lines_max = SMTP_REPLY_LINES_MAX;
}

int
smtp_error_set(struct smtp_error *err, int code, const char *enh,
    const char *text)
{
	if (err != NULL) {
		err->code = code;
		err->enh = enh;
		err->text = text;
	}
	return -1;
}
