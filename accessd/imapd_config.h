/*
 * accessd/imapd_config.h - the [accessd.imap] section of tessera.conf:
 * the limits and login policy of accessd's IMAP sessions.
 *
 * Read by accessd's master before privileges are dropped; session
 * processes inherit the filled struct.
 */
#ifndef ACCESSD_IMAPD_CONFIG_H
#define ACCESSD_IMAPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"

struct imapd_config {
	uint64_t line_max;		/* one command line, CRLF included */
	uint64_t auth_line_max;		/* an AUTHENTICATE response line */
	uint64_t literal_max;		/* a literal outside APPEND */
	uint64_t command_max;		/* lines + literals, APPEND data aside */
	int64_t depth_max;		/* parenthesis nesting */
	int64_t args_max;		/* arguments of one command */
	int64_t ranges_max;		/* ranges of one sequence set */
	int64_t search_keys_max;	/* keys of one SEARCH */
	uint64_t idle_timeout;		/* ms; also each IDLE */
	uint64_t login_timeout;		/* ms; before authentication */
	bool plaintext_loopback;
	int64_t auth_failures_max;
};

extern const struct cfg_section_def imapd_config_def;

#endif
