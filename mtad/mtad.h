/*
 * mtad/mtad.h - what the mtad master hands to every session process: the
 * loaded configuration, TLS context, directory client settings and hooks.
 */
#ifndef MTAD_MTAD_H
#define MTAD_MTAD_H

#include "lib/cfg.h"
#include "lib/smtp.h"
#include "directory/dir_client.h"
#include "mtad/mtad_config.h"
#include "mtad/mtad_hooks.h"
#include "mtad/queue.h"

struct server_conn;
struct tls_server;

struct mtad {
	const struct cfg *cfg;
	const struct mtad_config *mc;
	const char *hostname;		/* resolved */
	const char *state_dir;
	struct queue_limits qlim;
	struct tls_server *tls;		/* NULL: no certificate configured */
	struct dir_client_settings dcs;
	struct smtp_limits lim;
	struct mtad_hooks hooks;
};

/* server_session_fn: one SMTP session on fd; ctx is the struct mtad. */
void mtad_session(int fd, const struct server_conn *conn, void *ctx);

#endif
