/*
 * accessd/accessd_config.h - the [accessd] section of tessera.conf (which
 * host this is, quota policy, LMTP and POP3 limits) and the
 * [accessd.listener.NAME] sections (a shared listener plus its protocol).
 *
 * Read by accessd's master before privileges are dropped; session
 * processes inherit the filled structs.
 */
#ifndef ACCESSD_ACCESSD_CONFIG_H
#define ACCESSD_ACCESSD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/cfg.h"
#include "lib/settings.h"

enum accessd_proto { ACCESSD_LMTP, ACCESSD_POP3, ACCESSD_POP3S, ACCESSD_IMAP,
	ACCESSD_IMAPS };

struct accessd_config {
	char *hostname;			/* "" : [global] hostname */
	bool quota_full_tempfail;
	uint64_t lmtp_command_line_max;
	uint64_t lmtp_line_max;
	int64_t lmtp_recipients_max;
	int64_t lmtp_dedup_window;
	uint64_t lmtp_idle_timeout;	/* ms */
	uint64_t pop3_line_max;
	uint64_t pop3_auth_line_max;	/* AUTH response lines */
	uint64_t pop3_idle_timeout;	/* ms */
	bool pop3_plaintext_loopback;
	int64_t pop3_auth_failures_max;
};

/* An [accessd.listener.NAME]: the shared keys (first, so that
 * settings_listeners() reads it) and the protocol. */
struct accessd_listener {
	struct settings_listener base;
	int type;			/* enum accessd_proto */
};

extern const struct cfg_section_def accessd_config_def;
extern const struct cfg_section_def accessd_listener_def;

/* The protocol of listener instance name ("NAME" or "NAME/ADDRESS" as
 * settings_listeners() names them), or -1 if there is none. */
int accessd_listener_type(const struct cfg *c, const char *name);
/* "lmtp", "pop3", "pop3s", "imap", "imaps". */
const char *accessd_proto_name(enum accessd_proto p);

#endif
