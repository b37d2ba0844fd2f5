/*
 * lib/smtp_cmd_write.h - building MAIL FROM and RCPT TO command lines for
 * mtad's SMTP and LMTP clients, parameters included only where the server
 * offered the extension; the inverse of smtp_cmd_parse.
 */
#ifndef LIB_SMTP_CMD_WRITE_H
#define LIB_SMTP_CMD_WRITE_H

#include <stdbool.h>

#include "lib/buf.h"
#include "lib/smtp.h"
#include "lib/smtp_param.h"

/*
 * Append "MAIL FROM:<addr>[ params]\r\n" to out. addr is a canonical
 * address as in struct smtp_path (smtp_path.addr; "" for <>); mp may be
 * NULL. Each parameter is written only if its extension is in ext
 * (SMTP_EXT_*; ENVID and AUTH= xtext-encoded). 0, or -1 if addr or a
 * value holds CR, LF or NUL or out's ceiling is reached (out unchanged).
 */
int smtp_cmd_write_mail(struct buf *out, const char *addr,
    const struct smtp_mail_params *mp, unsigned ext);
/* The same for "RCPT TO:<addr>[ NOTIFY=..][ ORCPT=type;xtext]\r\n". */
int smtp_cmd_write_rcpt(struct buf *out, const char *addr,
    const struct smtp_rcpt_params *rp, unsigned ext);

#endif
