/*
 * lib/server.h - the daemon skeleton: a master process that holds the
 * listening sockets, forks one session process per connection, supervises
 * long-lived children and answers a control socket.
 *
 * The master runs as root (or as whoever started it) and never reads
 * client bytes: it accepts, counts, refuses beyond the caps with the
 * protocol's "too busy" line, and forks. Sessions and children drop to
 * their configured user with priv_drop() (no supplementary groups) before
 * any daemon code runs.
 * mtad and accessd are built on this; the test daemon
 * tests/unit/lib/testd.c shows the whole API in use.
 */
#ifndef LIB_SERVER_H
#define LIB_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/uid.h"

struct buf;
struct server;

#define SERVER_ADDR_MAX 64	/* textual IPv4/IPv6 address and NUL */
#define SERVER_PORT_MAX 6	/* "65535" and NUL */
#define SERVER_CONTROL_CMD_MAX 256	/* command line, newline included */
#define SERVER_CONTROL_REPLY_MAX 65536	/* ceiling of a reply's buf */
#define SERVER_CONTROL_CLIENTS_MAX 8	/* control clients served at once */
#define SERVER_CONTROL_TIMEOUT_MS 2000	/* to send the command, read reply */
#define SERVER_KILL_WAIT_MS 2000	/* after SIGTERM before SIGKILL */

/* What a session process is told about its connection. */
struct server_conn {
	const char *listener;		/* the listener's name */
	bool implicit_tls;		/* the listener's flag, passed through */
	char client_addr[SERVER_ADDR_MAX];	/* numeric, e.g. "::1" */
	char client_port[SERVER_PORT_MAX];
	char local_addr[SERVER_ADDR_MAX];
	char local_port[SERVER_PORT_MAX];
	char session_id[UID_MAX];	/* from uid_new(), also in the logs */
	struct sockaddr_storage client_sa;
	socklen_t client_salen;
};

/*
 * Runs in a forked session process with the client socket fd (blocking),
 * after the master's sockets were closed, signal handlers reset (SIGPIPE
 * ignored), the log ident set to "IDENT/LISTENER" with the session id, and
 * privileges dropped to the session user. The process _exit(0)s when it
 * returns; it may also exit by itself.
 */
typedef void (*server_session_fn)(int fd, const struct server_conn *conn,
    void *ctx);
/* Body of a long-lived child (lookup, qmgr), prepared like a session with
 * ident "IDENT/NAME". Should not return; a return counts as a death. */
typedef void (*server_child_fn)(void *ctx);
/*
 * A control command registered with server_control_add(). Runs in the
 * master, so it must be quick and must not block. args is the text after
 * the command name and one space ("" if none). Append one JSON object,
 * without newline, to reply. 0, or -1 to answer {"error":"command failed"}.
 */
typedef int (*server_control_fn)(const char *args, struct buf *reply,
    void *ctx);
/* Called in the master on SIGHUP (e.g. to reload), between poll rounds. */
typedef void (*server_hup_fn)(void *ctx);
/* Called once in the master by server_run() when its signal handlers are
 * in place and the children started: the moment to tell a supervisor
 * (or a test) that the daemon is up. Signals sent before it may still
 * meet the default handlers. */
typedef void (*server_ready_fn)(struct server *s, void *ctx);

struct server_listener_cfg {
	const char *name;	/* unique, e.g. "smtp", "imaps" */
	const char *address;	/* numeric: "127.0.0.1", "::1", "0.0.0.0", "::" */
	uint16_t port;		/* 0: the kernel picks; see server_port() */
	bool implicit_tls;
	unsigned max_sessions;	/* concurrent sessions on this listener, > 0 */
	unsigned max_per_client;	/* per client address on this listener;
					 * 0: no per-client cap */
	const char *busy_reply;	/* sent when refusing, e.g.
				 * "421 4.3.2 Too many connections, try later\r\n" */
};

struct server_child_cfg {
	const char *name;	/* unique, e.g. "lookup", "qmgr" */
	server_child_fn run;
	void *ctx;
	const char *user;	/* priv_drop() target */
	const char *group;	/* NULL: the user's primary group */
};

struct server_cfg {
	const struct server_listener_cfg *listeners;
	size_t n_listeners;
	server_session_fn session;	/* required if there are listeners */
	void *session_ctx;
	const char *session_user;	/* required */
	const char *session_group;	/* NULL: the user's primary group */
	const struct server_child_cfg *children;
	size_t n_children;
	const char *control_path;	/* unix socket; NULL: none */
	unsigned grace_ms;	/* shutdown: time sessions get to finish */
	unsigned restart_min_ms;	/* child restart backoff; 0: 1000 */
	unsigned restart_max_ms;	/* doubling up to this; 0: 30000 */
	unsigned restart_reset_ms;	/* up this long resets it; 0: 60000 */
	const char *log_ident;	/* e.g. "mtad"; children append "/name" */
	server_hup_fn on_hup;	/* NULL: SIGHUP is logged and ignored */
	void *hup_ctx;
	server_ready_fn on_ready;	/* NULL: none */
	void *ready_ctx;
};

/*
 * Check cfg and copy it (cfg need not outlive the call; ctx pointers are
 * kept). Nothing is bound or started yet. The new server, or NULL with
 * *err_out set to a static message.
 */
struct server *server_new(const struct server_cfg *cfg, const char **err_out);
/* Free *sp (NULL-safe) and clear it: closes sockets and, in the master,
 * removes the control socket it created. Does not signal children. */
void server_free(struct server **sp);

/*
 * Bind every listener (SO_REUSEADDR, IPV6_V6ONLY on IPv6, non-blocking)
 * and the control socket (mode 0600; a stale socket is replaced, a live
 * one or a non-socket file is an error). Call as root before dropping
 * anything, once. 0, or -1 with *err_out set (valid until the next call
 * on s); sockets already bound stay with s until server_free().
 */
int server_listen(struct server *s, const char **err_out);
/* The port listener_name was bound to by server_listen(), or 0 if there
 * is no such listener or it was not bound. */
uint16_t server_port(const struct server *s, const char *listener_name);

/*
 * Register control command name (one word, not "status"). fn is called
 * for "name" and "name ARGS". 0, or -1 with *err_out set if the name is
 * empty, contains white space or is already taken.
 */
int server_control_add(struct server *s, const char *name,
    server_control_fn fn, void *ctx, const char **err_out);

/*
 * The master loop, after server_listen(): start the children, accept and
 * fork sessions, supervise, answer the control socket, until SIGTERM or
 * SIGINT. Shutdown closes the listeners at once, gives sessions grace_ms
 * to end, then SIGTERMs and (SERVER_KILL_WAIT_MS later) SIGKILLs them,
 * stops the children the same way, and removes the control socket.
 * Installs handlers for SIGCHLD, SIGTERM, SIGINT, SIGHUP and ignores
 * SIGPIPE while it runs; restores them on return. One server per process.
 * 0 after a shutdown, -1 if called before server_listen().
 */
int server_run(struct server *s);

/* Append s as a quoted JSON string (escaping quotes, backslashes and
 * control bytes) for control replies. 0, or -1 past out's ceiling. */
int server_json_str(struct buf *out, const char *s);

#endif
