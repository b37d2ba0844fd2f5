/*
 * accessd/accessd.h - what accessd's session processes share: the
 * configuration the master loaded, the TLS context and how to reach the
 * lookup process. Built once in the master, inherited by every session.
 */
#ifndef ACCESSD_ACCESSD_H
#define ACCESSD_ACCESSD_H

#include <stdbool.h>

#include "accessd/accessd_config.h"
#include "accessd/store.h"
#include "directory/dir_client.h"

struct stream;
struct tls_server;
struct server_conn;

struct accessd_ctx {
	const struct cfg *cfg;
	const struct accessd_config *ac;
	const char *hostname;		/* this host, for mailHost and replies */
	const char *mail_root;
	struct store_limits store_limits;
	struct tls_server *tls;		/* NULL: no certificate configured */
	struct dir_client_settings dir;
};

/* Whether mail_host (NULL: this host) names this host. */
bool accessd_is_this_host(const struct accessd_ctx *ctx,
    const char *mail_host);

/* The LMTP session (lmtpd.c) and the POP3 session (pop3d.c) on an open
 * stream; they return when the client is gone or said QUIT. */
void lmtpd_session(struct stream *s, const struct server_conn *conn,
    const struct accessd_ctx *ctx, struct dir_client *dc);
void pop3d_session(struct stream *s, const struct server_conn *conn,
    const struct accessd_ctx *ctx, struct dir_client *dc);
/* The IMAP session (imapd.c), limits from [accessd.imap]. */
void imapd_session(struct stream *s, const struct server_conn *conn,
    const struct accessd_ctx *ctx, struct dir_client *dc);

#endif
