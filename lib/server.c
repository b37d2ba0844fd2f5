/*
 * lib/server.c - the master: life cycle, signals, the poll loop, shutdown.
 *
 * Runs in the master process, usually as root. Trusts its configuration
 * (the daemon's own) and nothing that arrives on a socket; it never reads
 * client bytes. Signals reach the loop through a self-pipe written by the
 * handlers: that pipe is the one mutable static of the module (a signal
 * handler has nowhere else to write), hence one server per process.
 * Accepting and sessions are in server_listen.c, children in
 * server_child.c, the control socket in server_control.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/server_int.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define SERVER_RESTART_MIN_MS 1000
#define SERVER_RESTART_MAX_MS 30000
#define SERVER_RESTART_RESET_MS 60000

/* Self-pipe: [0] read by the loop, [1] written by the handlers. */
static int server_sig_pipe[2] = { -1, -1 };

static const int server_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
#define SERVER_N_SIGNALS (sizeof(server_signals) / sizeof(server_signals[0]))

int64_t
server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
name_is_word(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == '"' || *s == '\\' ||
		    (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static int
server_check_cfg(const struct server_cfg *cfg, const char **err_out)
{
	struct sockaddr_un sun;

	if (cfg->n_listeners > 0 && (cfg->listeners == NULL ||
	    cfg->session == NULL)) {
		*err_out = "listeners need a session function";
		return -1;
	}
	if (cfg->session_user == NULL || cfg->session_user[0] == '\0') {
		*err_out = "no session user";
		return -1;
	}
	for (size_t i = 0; i < cfg->n_listeners; i++) {
		const struct server_listener_cfg *l = &cfg->listeners[i];

		if (!name_is_word(l->name)) {
			*err_out = "listener without a valid name";
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->listeners[j].name, l->name) == 0) {
				*err_out = "duplicate listener name";
				return -1;
			}
		if (l->address == NULL || l->address[0] == '\0') {
			*err_out = "listener without an address";
			return -1;
		}
		if (l->max_sessions == 0) {
			*err_out = "listener max_sessions must be above 0";
			return -1;
		}
		if (l->busy_reply == NULL || l->busy_reply[0] == '\0') {
			*err_out = "listener without a busy reply";
			return -1;
		}
	}
	if (cfg->n_children > 0 && cfg->children == NULL) {
		*err_out = "children missing";
		return -1;
	}
	for (size_t i = 0; i < cfg->n_children; i++) {
		const struct server_child_cfg *c = &cfg->children[i];

		if (!name_is_word(c->name) || c->run == NULL ||
		    c->user == NULL || c->user[0] == '\0') {
			*err_out = "child needs a name, a run function and a user";
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->children[j].name, c->name) == 0) {
				*err_out = "duplicate child name";
				return -1;
			}
	}
	if (cfg->control_path != NULL &&
	    (cfg->control_path[0] == '\0' ||
	    strlen(cfg->control_path) >= sizeof(sun.sun_path))) {
		*err_out = "control socket path empty or too long";
		return -1;
	}
	return 0;
}

static char *
xstrdup_opt(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct server *
server_new(const struct server_cfg *cfg, const char **err_out)
{
	struct server *s;

	if (server_check_cfg(cfg, err_out) == -1)
		return NULL;
	s = xmalloc(sizeof(*s));
	s->n_listeners = cfg->n_listeners;
	s->listeners = xcalloc(cfg->n_listeners + 1, sizeof(*s->listeners));
	for (size_t i = 0; i < cfg->n_listeners; i++) {
		const struct server_listener_cfg *c = &cfg->listeners[i];
		struct server_listener *l = &s->listeners[i];

		l->name = xstrdup(c->name);
		l->address = xstrdup(c->address);
		l->busy_reply = xstrdup(c->busy_reply);
		l->busy_len = strlen(c->busy_reply);
		l->port = c->port;
		l->implicit_tls = c->implicit_tls;
		l->max_sessions = c->max_sessions;
		l->max_per_client = c->max_per_client;
		l->fd = -1;
	}
	s->session_fn = cfg->session;
	s->session_ctx = cfg->session_ctx;
	s->session_user = xstrdup(cfg->session_user);
	s->session_group = xstrdup_opt(cfg->session_group);
	s->n_children = cfg->n_children;
	s->children = xcalloc(cfg->n_children + 1, sizeof(*s->children));
	for (size_t i = 0; i < cfg->n_children; i++) {
		const struct server_child_cfg *c = &cfg->children[i];
		struct server_child *ch = &s->children[i];

		ch->name = xstrdup(c->name);
		ch->user = xstrdup(c->user);
		ch->group = xstrdup_opt(c->group);
		ch->run = c->run;
		ch->ctx = c->ctx;
	}
	s->control_path = xstrdup_opt(cfg->control_path);
	s->control_fd = -1;
	for (size_t i = 0; i < SERVER_CONTROL_CLIENTS_MAX; i++)
		s->ctl[i].fd = -1;
	s->grace_ms = cfg->grace_ms;
	s->restart_min_ms = cfg->restart_min_ms != 0 ? cfg->restart_min_ms :
	    SERVER_RESTART_MIN_MS;
	s->restart_max_ms = cfg->restart_max_ms != 0 ? cfg->restart_max_ms :
	    SERVER_RESTART_MAX_MS;
	if (s->restart_max_ms < s->restart_min_ms)
		s->restart_max_ms = s->restart_min_ms;
	s->restart_reset_ms = cfg->restart_reset_ms != 0 ?
	    cfg->restart_reset_ms : SERVER_RESTART_RESET_MS;
	for (size_t i = 0; i < s->n_children; i++)
		s->children[i].backoff_ms = s->restart_min_ms;
	s->log_ident = xstrdup(cfg->log_ident != NULL ? cfg->log_ident :
	    "tessera");
	s->on_hup = cfg->on_hup;
	s->hup_ctx = cfg->hup_ctx;
	s->on_ready = cfg->on_ready;
	s->ready_ctx = cfg->ready_ctx;
	s->master_pid = getpid();
	s->n_pfd = 2 + s->n_listeners + SERVER_CONTROL_CLIENTS_MAX;
	s->pfd = xcalloc(s->n_pfd, sizeof(*s->pfd));
	s->pfd_kind = xcalloc(s->n_pfd, sizeof(*s->pfd_kind));
	s->pfd_idx = xcalloc(s->n_pfd, sizeof(*s->pfd_idx));
	return s;
}

void
server_free(struct server **sp)
{
	struct server *s = *sp;

	if (s == NULL)
		return;
	server_listen_close(s);
	server_control_close(s);
	for (size_t i = 0; i < s->n_listeners; i++) {
		free(s->listeners[i].name);
		free(s->listeners[i].address);
		free(s->listeners[i].busy_reply);
	}
	free(s->listeners);
	for (size_t i = 0; i < s->n_children; i++) {
		free(s->children[i].name);
		free(s->children[i].user);
		free(s->children[i].group);
	}
	free(s->children);
	for (size_t i = 0; i < s->n_cmds; i++)
		free(s->cmds[i].name);
	free(s->cmds);
	free(s->sessions);
	free(s->pfd);
	free(s->pfd_kind);
	free(s->pfd_idx);
	free(s->control_path);
	free(s->session_user);
	free(s->session_group);
	free(s->log_ident);
	free(s);
	*sp = NULL;
}

int
server_listen(struct server *s, const char **err_out)
{
	if (s->listened) {
		*err_out = "server_listen called twice";
		return -1;
	}
	s->listened = true;
	for (size_t i = 0; i < s->n_listeners; i++)
		if (server_listen_bind(s, &s->listeners[i]) == -1) {
			*err_out = s->err;
			return -1;
		}
	if (s->control_path != NULL && server_control_bind(s) == -1) {
		*err_out = s->err;
		return -1;
	}
	return 0;
}

uint16_t
server_port(const struct server *s, const char *listener_name)
{
	for (size_t i = 0; i < s->n_listeners; i++)
		if (strcmp(s->listeners[i].name, listener_name) == 0)
			return s->listeners[i].bound_port;
	return 0;
}

int
server_control_add(struct server *s, const char *name,
    server_control_fn fn, void *ctx, const char **err_out)
{
	if (!name_is_word(name) || fn == NULL) {
		*err_out = "control command needs a one-word name and a function";
		return -1;
	}
	if (strcmp(name, "status") == 0) {
		*err_out = "control command name taken";
		return -1;
	}
	for (size_t i = 0; i < s->n_cmds; i++)
		if (strcmp(s->cmds[i].name, name) == 0) {
			*err_out = "control command name taken";
			return -1;
		}
	s->cmds = xreallocarray(s->cmds, s->n_cmds + 1, sizeof(*s->cmds));
	s->cmds[s->n_cmds].name = xstrdup(name);
	s->cmds[s->n_cmds].fn = fn;
	s->cmds[s->n_cmds].ctx = ctx;
	s->n_cmds++;
	return 0;
}

/* ---- signals and forking --------------------------------------------- */

static void
server_on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	/* A full pipe already holds a wake-up; losing this byte is fine
	 * because the loop reaps and re-checks everything it wakes for. */
	(void)!write(server_sig_pipe[1], &c, 1);
	errno = saved;
}

static void
server_block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < SERVER_N_SIGNALS; i++)
		sigaddset(&set, server_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

pid_t
server_fork(struct server *s, int keep_fd)
{
	sigset_t old, none;
	pid_t pid;

	/* Blocked across fork so a handler never runs in the child while it
	 * still shares the master's self-pipe. */
	server_block_signals(&old);
	pid = fork();
	if (pid != 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return pid;
	}
	for (size_t i = 0; i < SERVER_N_SIGNALS; i++)
		signal(server_signals[i], SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	for (size_t i = 0; i < s->n_listeners; i++)
		if (s->listeners[i].fd != -1 && s->listeners[i].fd != keep_fd) {
			close(s->listeners[i].fd);
			s->listeners[i].fd = -1;
		}
	if (s->control_fd != -1) {
		close(s->control_fd);
		s->control_fd = -1;
	}
	s->control_created = false;	/* the master owns the file */
	for (size_t i = 0; i < SERVER_CONTROL_CLIENTS_MAX; i++)
		if (s->ctl[i].fd != -1) {
			close(s->ctl[i].fd);
			s->ctl[i].fd = -1;
		}
	for (size_t i = 0; i < 2; i++)
		if (server_sig_pipe[i] != -1) {
			close(server_sig_pipe[i]);
			server_sig_pipe[i] = -1;
		}
	return 0;
}

void
server_child_prepare(struct server *s, const char *suffix, const char *user,
    const char *group)
{
	struct priv_spec spec = { .user = user, .group = group };
	char ident[128];
	const char *err;

	if (str_printf(ident, sizeof(ident), "%s/%s", s->log_ident,
	    suffix) == 0)
		log_set_ident(ident);
	if (priv_drop(&spec, &err) == -1) {
		log_error("cannot drop privileges to user=%s: %s", user, err);
		_exit(1);
	}
}

int
server_exit_desc(int status, char *out, size_t size)
{
	if (WIFSIGNALED(status))
		return str_printf(out, size, "signal=%d%s", WTERMSIG(status),
		    WCOREDUMP(status) ? " core=yes" : "");
	return str_printf(out, size, "status=%d", WEXITSTATUS(status));
}

static int
server_signals_install(struct sigaction old[SERVER_N_SIGNALS + 1])
{
	struct sigaction sa;

	if (pipe2(server_sig_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		server_sig_pipe[0] = server_sig_pipe[1] = -1;
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = server_on_signal;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < SERVER_N_SIGNALS; i++)
		sigaction(server_signals[i], &sa, &old[i]);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, &old[SERVER_N_SIGNALS]);
	return 0;
}

static void
server_signals_restore(const struct sigaction old[SERVER_N_SIGNALS + 1])
{
	for (size_t i = 0; i < SERVER_N_SIGNALS; i++)
		sigaction(server_signals[i], &old[i], NULL);
	sigaction(SIGPIPE, &old[SERVER_N_SIGNALS], NULL);
	for (size_t i = 0; i < 2; i++) {
		close(server_sig_pipe[i]);
		server_sig_pipe[i] = -1;
	}
}

/* ---- the loop --------------------------------------------------------- */

static void
server_reap(struct server *s)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		char desc[48];

		if (server_session_reaped(s, pid, status) ||
		    server_child_reaped(s, pid, status))
			continue;
		(void)server_exit_desc(status, desc, sizeof(desc));
		log_debug("reaped unknown child pid=%ld %s", (long)pid, desc);
	}
}

static void
server_begin_shutdown(struct server *s, int sig)
{
	if (s->phase != SERVER_RUNNING) {
		log_info("shutdown already under way (signal=%d)", sig);
		return;
	}
	log_info("shutdown signal=%d sessions=%zu grace=%ums", sig,
	    s->n_sessions, s->grace_ms);
	server_listen_close(s);
	s->phase = SERVER_DRAINING;
	s->phase_deadline_ms = server_now_ms() + s->grace_ms;
}

static void
server_enter_stop_children(struct server *s, int64_t now)
{
	s->phase = SERVER_STOPPING_CHILDREN;
	s->phase_deadline_ms = now + s->grace_ms;
	server_child_stop_all(s, SIGTERM);
}

/* Move through the shutdown phases as sessions and children go away or
 * deadlines pass. */
static void
server_shutdown_step(struct server *s, int64_t now)
{
	enum server_phase before;

	do {
		before = s->phase;
		switch (s->phase) {
		case SERVER_RUNNING:
		case SERVER_DONE:
			break;
		case SERVER_DRAINING:
			if (s->n_sessions == 0) {
				server_enter_stop_children(s, now);
			} else if (now >= s->phase_deadline_ms) {
				log_warn("grace period over, terminating "
				    "sessions=%zu", s->n_sessions);
				server_session_signal_all(s, SIGTERM);
				s->phase = SERVER_KILLING_SESSIONS;
				s->phase_deadline_ms = now + SERVER_KILL_WAIT_MS;
			}
			break;
		case SERVER_KILLING_SESSIONS:
			if (s->n_sessions == 0) {
				server_enter_stop_children(s, now);
			} else if (now >= s->phase_deadline_ms &&
			    !s->sessions_killed) {
				log_warn("killing sessions=%zu", s->n_sessions);
				server_session_signal_all(s, SIGKILL);
				s->sessions_killed = true;
				s->phase_deadline_ms = now + SERVER_KILL_WAIT_MS;
			} else if (now >= s->phase_deadline_ms) {
				log_error("sessions=%zu survived SIGKILL, giving up",
				    s->n_sessions);
				server_enter_stop_children(s, now);
			}
			break;
		case SERVER_STOPPING_CHILDREN:
			if (server_child_running(s) == 0) {
				s->phase = SERVER_DONE;
			} else if (now >= s->phase_deadline_ms) {
				log_warn("killing children=%zu",
				    server_child_running(s));
				server_child_stop_all(s, SIGKILL);
				s->phase = SERVER_KILLING_CHILDREN;
				s->phase_deadline_ms = now + SERVER_KILL_WAIT_MS;
			}
			break;
		case SERVER_KILLING_CHILDREN:
			if (server_child_running(s) == 0) {
				s->phase = SERVER_DONE;
			} else if (now >= s->phase_deadline_ms) {
				log_error("children=%zu survived SIGKILL, giving up",
				    server_child_running(s));
				s->phase = SERVER_DONE;
			}
			break;
		}
	} while (s->phase != before);
}

static void
server_handle_signals(struct server *s)
{
	unsigned char sigs[64];
	bool chld = false, term = false, hup = false;
	int termsig = 0;
	ssize_t n;

	while ((n = read(server_sig_pipe[0], sigs, sizeof(sigs))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			if (sigs[i] == SIGCHLD) {
				chld = true;
			} else if (sigs[i] == SIGHUP) {
				hup = true;
			} else {
				term = true;
				termsig = sigs[i];
			}
		}
	if (chld)
		server_reap(s);
	if (term)
		server_begin_shutdown(s, termsig);
	if (hup) {
		if (s->on_hup != NULL)
			s->on_hup(s->hup_ctx);
		else
			log_info("SIGHUP ignored");
	}
}

static int64_t
min_deadline(int64_t a, int64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

static int
server_poll_timeout(const struct server *s, int64_t now)
{
	int64_t d = 0;

	if (s->phase != SERVER_RUNNING && s->phase != SERVER_DONE)
		d = s->phase_deadline_ms;
	if (s->phase < SERVER_STOPPING_CHILDREN)
		d = min_deadline(d, server_child_next_due(s));
	d = min_deadline(d, server_control_next_deadline(s));
	if (s->accept_paused_until_ms > now)
		d = min_deadline(d, s->accept_paused_until_ms);
	if (d == 0)
		return -1;
	if (d <= now)
		return 0;
	return d - now > 60000 ? 60000 : (int)(d - now);
}

enum { PFD_SIG, PFD_CONTROL, PFD_LISTENER, PFD_CTL_CLIENT };

static void
server_poll_once(struct server *s)
{
	struct pollfd *pfd = s->pfd;
	unsigned char *kind = s->pfd_kind;
	size_t *idx = s->pfd_idx;
	size_t n = 0;
	int64_t now = server_now_ms();
	int rc;

	pfd[n] = (struct pollfd){ .fd = server_sig_pipe[0], .events = POLLIN };
	kind[n++] = PFD_SIG;
	if (s->control_fd != -1) {
		pfd[n] = (struct pollfd){ .fd = s->control_fd, .events = POLLIN };
		kind[n++] = PFD_CONTROL;
	}
	for (size_t i = 0; i < s->n_listeners; i++) {
		if (s->listeners[i].fd == -1 || s->accept_paused_until_ms > now)
			continue;
		pfd[n] = (struct pollfd){ .fd = s->listeners[i].fd,
		    .events = POLLIN };
		kind[n] = PFD_LISTENER;
		idx[n++] = i;
	}
	for (size_t i = 0; i < SERVER_CONTROL_CLIENTS_MAX; i++) {
		if (s->ctl[i].fd == -1)
			continue;
		pfd[n] = (struct pollfd){ .fd = s->ctl[i].fd,
		    .events = s->ctl[i].replying ? POLLOUT : POLLIN };
		kind[n] = PFD_CTL_CLIENT;
		idx[n++] = i;
	}
	rc = poll(pfd, n, server_poll_timeout(s, now));
	if (rc == -1) {
		if (errno != EINTR) {
			log_error_errno("poll");
			usleep(100000);
		}
		return;
	}
	/* Signals first: a SIGCHLD frees session slots before accepting. */
	if (pfd[0].revents != 0)
		server_handle_signals(s);
	for (size_t i = 1; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		switch (kind[i]) {
		case PFD_CONTROL:
			server_control_accept(s);
			break;
		case PFD_LISTENER:
			if (s->listeners[idx[i]].fd != -1)
				server_listen_accept(s, &s->listeners[idx[i]]);
			break;
		case PFD_CTL_CLIENT:
			server_control_io(s, idx[i], pfd[i].revents);
			break;
		}
	}
}

int
server_run(struct server *s)
{
	struct sigaction old[SERVER_N_SIGNALS + 1];

	if (!s->listened || s->phase != SERVER_RUNNING)
		return -1;
	if (server_signals_install(old) == -1) {
		log_error_errno("self-pipe");
		return -1;
	}
	s->started_ms = server_now_ms();
	log_info("master started pid=%ld listeners=%zu children=%zu",
	    (long)getpid(), s->n_listeners, s->n_children);
	for (size_t i = 0; i < s->n_children; i++)
		s->children[i].next_start_ms = s->started_ms;
	server_child_start_due(s, s->started_ms);
	if (s->on_ready != NULL)
		s->on_ready(s, s->ready_ctx);
	while (s->phase != SERVER_DONE) {
		int64_t now;

		server_poll_once(s);
		now = server_now_ms();
		if (s->phase < SERVER_STOPPING_CHILDREN)
			server_child_start_due(s, now);
		server_control_expire(s, now);
		server_shutdown_step(s, now);
	}
	server_control_close(s);
	server_signals_restore(old);
	log_info("master stopped");
	return 0;
}
