/*
 * lib/daemon.h - what every daemon's main does around the skeleton
 * (lib/server.h): leave the terminal, build the TLS credentials of
 * [tls], name the group the lookup process shares with the sessions,
 * raise the open-files limit.
 *
 * Runs in the master at start-up, as root or as the user who started it;
 * the configuration is trusted, failures are fatal with a log line.
 */
#ifndef LIB_DAEMON_H
#define LIB_DAEMON_H

struct cfg;
struct pool;
struct tls_server;

/* Detach: fork (the parent exits 0), new session, stdio on /dev/null. */
void daemon_detach(void);
/* The TLS server credentials of [tls] (every certificate with its key,
 * the priority string), or NULL when [tls] names no certificate. */
struct tls_server *daemon_tls_server(const struct cfg *c);
/* The name of user's primary group (in pool), or NULL if the user or the
 * group is unknown. */
const char *daemon_user_group(const char *user, struct pool *pool);

/* The most open files a daemon asks for (a limit beyond it is kept). */
#define DAEMON_OPEN_FILES_MAX 65536
/* Raise the soft open-files limit (RLIMIT_NOFILE) to the hard one, at
 * most DAEMON_OPEN_FILES_MAX, logged: the lookup process holds one
 * descriptor per client (a session or a delivery thread), and the usual
 * soft limit of 1024 would cut it off before the configured session
 * limits. The processes forked later inherit it. */
void daemon_open_files(void);

#endif
