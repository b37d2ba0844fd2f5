/*
 * mtad/smtp_client_config.h - the [mtad.smtp] section of tessera.conf:
 * how the queue manager delivers to remote domains (port, timeouts, reply
 * limits, STARTTLS policy, relayhost and its AUTH credentials,
 * concurrency), and the settings the SMTP client runs with.
 *
 * Read by the mtad master before privileges are dropped: the relayhost
 * password file and the TLS CA file are read there, the qmgr child
 * inherits the result.
 */
#ifndef MTAD_SMTP_CLIENT_CONFIG_H
#define MTAD_SMTP_CLIENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"

struct pool;
struct tls_client;

enum smtp_client_tls {
	SMTP_CLIENT_TLS_NONE,		/* never STARTTLS */
	SMTP_CLIENT_TLS_MAY,		/* STARTTLS when offered, no checks */
	SMTP_CLIENT_TLS_VERIFY,		/* STARTTLS required, certificate
					 * checked against the host name */
};

/* The [mtad.smtp] section as the table fills it. */
struct smtp_client_config {
	int64_t port;
	uint64_t connect_timeout;	/* ms */
	uint64_t command_timeout;	/* ms */
	uint64_t data_timeout;		/* ms */
	uint64_t reply_line_max;	/* bytes incl. CRLF */
	int64_t reply_lines_max;
	int64_t max_addresses;
	int tls;			/* enum smtp_client_tls */
	char *tls_ca_file;
	char *relayhost;
	int64_t relayhost_port;
	char *relayhost_username;
	char *relayhost_password_file;
	bool relayhost_auth_without_tls;
	int64_t max_connections;
	int64_t max_per_destination;
	int64_t max_rcpts_per_connection;
};

extern const struct cfg_section_def smtp_client_config_def;

/* Longest relayhost password read from its file. */
#define SMTP_CLIENT_PASSWORD_MAX 1024

/* What the SMTP client runs with (mtad/smtp_client.h). */
struct smtp_client_settings {
	const char *helo;		/* our name in EHLO */
	unsigned port;			/* of MX hosts */
	uint64_t connect_timeout_ms;
	uint64_t command_timeout_ms;
	uint64_t data_timeout_ms;
	size_t reply_line_max;
	size_t reply_lines_max;
	size_t max_addresses;		/* addresses tried per delivery */
	enum smtp_client_tls tls;
	struct tls_client *tls_ctx;	/* NULL with SMTP_CLIENT_TLS_NONE */
	const char *relayhost;		/* NULL: MX routing */
	unsigned relayhost_port;
	const char *username;		/* NULL: no AUTH */
	const char *password;		/* in the secret pool */
	size_t password_len;
	bool auth_without_tls;
	size_t max_connections;
	size_t max_per_destination;
	size_t max_rcpts_per_connection;
};

/* Fill s from the [mtad.smtp] section of c: reads the password file (into
 * secret, a pool wiped when freed) and builds the TLS client context
 * (free it with smtp_client_settings_free). 0, or -1 with *err_out (in
 * secret) if the password file or the CA file cannot be read. */
int smtp_client_config_settings(const struct cfg *c, const char *helo,
    struct pool *secret, struct smtp_client_settings *s,
    const char **err_out);
/* Free what smtp_client_config_settings built (the TLS context). */
void smtp_client_settings_free(struct smtp_client_settings *s);

#endif
