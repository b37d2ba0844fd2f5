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

/* Which non-synchronizing literals (RFC 7888) the server accepts. */
enum imapd_nonsync {
	IMAPD_NONSYNC_PLUS = 0,		/* LITERAL+: up to the limits */
	IMAPD_NONSYNC_MINUS = 1,	/* LITERAL-: at most 4096 octets */
};
/* RFC 7888 section 4: LITERAL- allows {n+} only for n up to this. */
#define IMAPD_LITERAL_MINUS_MAX 4096

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
	uint64_t send_timeout;		/* ms; one write a client must take */
	uint64_t send_buffer;		/* SO_SNDBUF; 0: the kernel's choice */
	int nonsync_literals;		/* IMAPD_NONSYNC_* */
	bool plaintext_loopback;
	int64_t auth_failures_max;
};

extern const struct cfg_section_def imapd_config_def;

#endif
