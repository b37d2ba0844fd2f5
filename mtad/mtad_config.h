/*
 * mtad/mtad_config.h - the [mtad] section of tessera.conf (session limits,
 * host name, AUTH policy) and the [mtad.listener.NAME] sections (the
 * shared listener keys plus the listener's type: smtp, submission,
 * submissions).
 */
#ifndef MTAD_MTAD_CONFIG_H
#define MTAD_MTAD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/cfg.h"
#include "lib/settings.h"

enum mtad_listener_type {
	MTAD_LISTENER_SMTP,		/* MX: accepted domains from anyone */
	MTAD_LISTENER_SUBMISSION,	/* AUTH required before MAIL */
	MTAD_LISTENER_SUBMISSIONS,	/* the same, implicit TLS */
};

/* A [mtad.listener.NAME] section: the shared keys first, so that
 * settings_listeners() reads it as a struct settings_listener. */
struct mtad_listener {
	struct settings_listener l;
	int type;			/* enum mtad_listener_type */
};

struct mtad_config {
	char *hostname;			/* "": [global] hostname, else the
					 * system's */
	uint64_t max_message_size;	/* bytes, 0: no limit */
	int64_t max_recipients;
	uint64_t max_command_length;	/* command line incl. CRLF */
	uint64_t max_line_length;	/* message line incl. CRLF */
	int64_t max_errors;		/* error replies before 421 */
	int64_t max_received;		/* Received: fields before 554 5.4.6 */
	uint64_t idle_timeout;		/* ms, waiting for a command */
	uint64_t data_timeout;		/* ms, waiting for message bytes */
	bool auth_plaintext_loopback;	/* AUTH without TLS on loopback */
	bool received_show_auth;	/* the auth identity in Received: */
	bool queue_manager;		/* start the queue manager child */
	char *lmtp_host;		/* accessd LMTP address */
	int64_t lmtp_port;
	uint64_t lmtp_timeout;		/* ms */
	uint64_t retry_min;		/* ms, first retry delay */
	uint64_t retry_max;		/* ms, backoff cap */
	uint64_t queue_scan_interval;	/* ms, deferred/ scan period */
	uint64_t max_queue_lifetime;	/* ms, then temporary = bounce */
	char **milters;			/* [milter.NAME] names, in order */
	size_t n_milters;
};

extern const struct cfg_section_def mtad_config_def;
/* The [mtad.listener.NAME] definition (with "type"). */
struct cfg_section_def mtad_listener_def(void);
/* The type of listener instance name ("NAME" or "NAME/ADDRESS" as
 * settings_listeners names them); SMTP if there is none. */
enum mtad_listener_type mtad_listener_type(const struct cfg *c,
    const char *name);
const char *mtad_listener_type_name(enum mtad_listener_type t);

#endif
