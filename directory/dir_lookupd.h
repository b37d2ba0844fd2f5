/*
 * directory/dir_lookupd.h - the lookup process (DESIGN.md section 2): owns
 * the LDAP bind secret, the connection pool and the cache (one struct
 * dir) and answers session processes over a unix socket with the
 * messages of dir_proto.h.
 *
 * Runs as the directory user (tessera-dir). Clients are only as trusted
 * as a session process, which reads hostile network bytes: every request
 * is bounded and decoded strictly, a malformed one drops its connection,
 * and a client that stalls mid-message is dropped after client_timeout.
 * One thread per client connection (at most max_clients), so one slow
 * LDAP query never holds up another client; libtdir is thread-safe.
 *
 * Spawning it from a daemon (lib/server.h): the master loads the
 * configuration (dir_lookupd_config_def among its sections) and lists a
 * child
 *	static struct dir_lookupd_child lc = { .cfg = cfg, .daemon = "mtad" };
 *	struct server_child_cfg child = { .name = "lookup",
 *	    .run = dir_lookupd_child_run, .ctx = &lc,
 *	    .user = global->directory_user, .group = global->user };
 * The child drops to tessera-dir with the session user's primary group
 * (named like the user on Debian; so a socket of mode 0660 is open to the
 * sessions and to nobody else), reads
 * the bind password file itself, binds the socket and serves until the
 * master's SIGTERM; a crash is restarted by the master. Sessions reach it
 * with dir_client (dir_client.h), built from the same configuration.
 */
#ifndef DIRECTORY_DIR_LOOKUPD_H
#define DIRECTORY_DIR_LOOKUPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"
#include "directory/dir.h"
#include "directory/dir_proto.h"

struct pool;

/* The [lookup] section of tessera.conf (times in ms, sizes in bytes). */
struct dir_lookup_config {
	char *socket;
	char *socket_mode;		/* octal text, e.g. "0660" */
	int64_t max_clients;
	uint64_t client_timeout;
	uint64_t idle_timeout;
	uint64_t query_timeout;
	uint64_t request_max;
	uint64_t answer_max;
	uint64_t string_max;
	int64_t list_max;
};

/* The [lookup] section definition (for cfg_new). Its check refuses a
 * socket_mode that is not octal within 0..0777, a socket path too long
 * for a unix socket and an answer_max smaller than request_max. */
extern const struct cfg_section_def dir_lookup_config_def;

/* What the lookup process needs. */
struct dir_lookupd_settings {
	const char *socket_path;
	unsigned socket_mode;		/* permissions of the socket */
	unsigned max_clients;		/* connections served at once; more
					 * are closed at accept with a log */
	uint64_t client_timeout_ms;	/* a message, once begun, within */
	uint64_t idle_timeout_ms;	/* between messages; then closed */
	size_t request_max;		/* payload of one request */
	struct dir_proto_limits limits;	/* of answers */
};

/* The socket of the lookup process of daemon (NULL: tessera-lookupd on
 * its own): the [lookup] socket if set, else
 * <run_dir>/DAEMON-lookup.sock, or <run_dir>/lookup.sock without a
 * daemon. Allocated in pool. */
const char *dir_lookup_config_socket(const struct cfg *c, const char *daemon,
    struct pool *pool);
/* Fill s from [lookup] (and [global] run_dir for the socket path). */
void dir_lookupd_config_settings(const struct cfg *c, const char *daemon,
    struct pool *pool, struct dir_lookupd_settings *s);

struct dir_lookupd;

/* Create the socket at s->socket_path with s->socket_mode (a stale socket
 * left by a dead process is replaced; a live one, or a file that is not a
 * socket, is an error). d is used, not owned. NULL with *err_out (in
 * err_pool) on failure. */
struct dir_lookupd *dir_lookupd_new(struct dir *d,
    const struct dir_lookupd_settings *s, struct pool *err_pool,
    const char **err_out);
/* Accept and serve clients until dir_lookupd_stop or SIGTERM/SIGINT
 * (handlers installed for the duration of the call), then close every
 * client connection and wait for its thread. 0, or -1 if accepting
 * failed for good (logged). */
int dir_lookupd_run(struct dir_lookupd *l);
/* Make dir_lookupd_run return soon. Async-signal-safe. */
void dir_lookupd_stop(struct dir_lookupd *l);
/* Close the socket, remove its file, free *lp (NULL-safe). */
void dir_lookupd_free(struct dir_lookupd **lp);

/* A lookup process from a loaded configuration: [directory] (with [dns]
 * when srv_domain is used), [lookup] and [global]. */
struct dir_lookupd_child {
	const struct cfg *cfg;
	const char *daemon;		/* socket name, see above; NULL ok */
	unsigned clients;		/* lookup clients the daemon may have
					 * at once (its listeners' sessions and
					 * its own threads); 0: unknown */
};

/* Fit s->max_clients to the clients a daemon may have at once: raised to
 * clients when [lookup] max_clients has its default (returns 1), left
 * alone when the file set it lower (returns -1, for a warning), else 0. */
int dir_lookupd_fit_clients(const struct cfg *c, unsigned clients,
    struct dir_lookupd_settings *s);

/* Open the directory, create the socket, serve until SIGTERM. Returns
 * the process exit status (0 after a stop, 1 on a setup error, logged).
 * tessera-lookupd's main runs this. */
int dir_lookupd_serve(const struct dir_lookupd_child *lc);
/* server_child_fn: dir_lookupd_serve(ctx), then _exit with its status. */
void dir_lookupd_child_run(void *ctx);

#endif
