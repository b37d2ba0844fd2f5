/*
 * lib/server_int.h - the master's state, shared by the lib/server*.c
 * files and nothing else.
 *
 * Everything here lives in the master process; forked sessions and
 * children get a copy they must not use beyond their own entry.
 */
#ifndef LIB_SERVER_INT_H
#define LIB_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <sys/types.h>

#include "lib/server.h"

struct server_listener {
	char *name;
	char *address;
	char *busy_reply;
	size_t busy_len;
	uint16_t port;		/* configured */
	uint16_t bound_port;	/* after server_listen() */
	bool implicit_tls;
	unsigned max_sessions;
	unsigned max_per_client;
	int fd;			/* -1 when not bound or closed */
	unsigned sessions;	/* live sessions forked from it */
};

/* A client address as a comparable key (IPv4 or IPv6). */
struct server_addr_key {
	sa_family_t family;
	uint8_t addr[16];
};

struct server_session {
	pid_t pid;
	size_t listener;	/* index into listeners */
	struct server_addr_key client;
};

struct server_child {
	char *name;
	char *user;
	char *group;
	server_child_fn run;
	void *ctx;
	pid_t pid;		/* 0 when not running */
	unsigned restarts;
	int64_t started_ms;
	int64_t next_start_ms;	/* 0: no start pending */
	unsigned backoff_ms;
};

struct server_ctl_client {
	int fd;			/* -1: slot free */
	struct buf *in;
	struct buf *out;	/* reply; written from out_off */
	size_t out_off;
	bool replying;
	int64_t deadline_ms;
};

struct server_ctl_cmd {
	char *name;
	server_control_fn fn;
	void *ctx;
};

enum server_phase {
	SERVER_RUNNING,
	SERVER_DRAINING,	/* listeners closed, sessions within grace */
	SERVER_KILLING_SESSIONS,
	SERVER_STOPPING_CHILDREN,
	SERVER_KILLING_CHILDREN,
	SERVER_DONE,
};

struct server {
	struct server_listener *listeners;
	size_t n_listeners;
	server_session_fn session_fn;
	void *session_ctx;
	char *session_user;
	char *session_group;

	struct server_child *children;
	size_t n_children;

	struct server_session *sessions;
	size_t n_sessions;
	size_t cap_sessions;

	char *control_path;
	int control_fd;
	bool control_created;	/* we made the socket file: remove it */
	struct server_ctl_client ctl[SERVER_CONTROL_CLIENTS_MAX];
	struct server_ctl_cmd *cmds;
	size_t n_cmds;

	unsigned grace_ms;
	unsigned restart_min_ms;
	unsigned restart_max_ms;
	unsigned restart_reset_ms;
	char *log_ident;
	server_hup_fn on_hup;
	void *hup_ctx;
	server_ready_fn on_ready;
	void *ready_ctx;

	bool listened;
	enum server_phase phase;
	bool sessions_killed;	/* SIGKILL already sent */
	int64_t phase_deadline_ms;
	int64_t started_ms;
	int64_t accept_paused_until_ms;
	pid_t master_pid;
	struct pollfd *pfd;	/* poll set, rebuilt each round */
	unsigned char *pfd_kind;
	size_t *pfd_idx;
	size_t n_pfd;
	char err[256];
};

/* Monotonic clock in milliseconds. */
int64_t server_now_ms(void);

/* server.c: fork with the master's signals blocked. In the child (0
 * returned) every master socket except keep_fd is closed, signal
 * handlers are back to default (SIGPIPE ignored) and unblocked. */
pid_t server_fork(struct server *s, int keep_fd);
/* server.c: in a fresh child, set the log ident "IDENT/suffix" and drop
 * privileges; on failure log and _exit(1). */
void server_child_prepare(struct server *s, const char *suffix,
    const char *user, const char *group);
/* server.c: "status=N" or "signal=N" (plus " core=yes") for a wait
 * status. 0, or -1 on truncation. */
int server_exit_desc(int status, char *out, size_t size);

/* server_listen.c */
int server_listen_bind(struct server *s, struct server_listener *l);
void server_listen_close(struct server *s);
void server_listen_accept(struct server *s, struct server_listener *l);
bool server_session_reaped(struct server *s, pid_t pid, int status);
void server_session_signal_all(struct server *s, int sig);

/* server_child.c */
void server_child_start_due(struct server *s, int64_t now);
bool server_child_reaped(struct server *s, pid_t pid, int status);
size_t server_child_running(const struct server *s);
void server_child_stop_all(struct server *s, int sig);
int64_t server_child_next_due(const struct server *s);

/* server_control.c */
int server_control_bind(struct server *s);
void server_control_close(struct server *s);
void server_control_accept(struct server *s);
void server_control_io(struct server *s, size_t slot, short revents);
void server_control_expire(struct server *s, int64_t now);
int64_t server_control_next_deadline(const struct server *s);

#endif
