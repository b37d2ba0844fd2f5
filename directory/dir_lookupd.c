/*
 * directory/dir_lookupd.c - the lookup process: a unix socket, one thread
 * per client connection, each answering dir_proto requests with libtdir.
 *
 * Runs as the directory user and holds the bind secret (inside struct
 * dir). Clients are session processes and may be compromised: requests
 * are read with a payload cap and a deadline, decoded strictly, and a
 * malformed or stalled client is logged and dropped without touching the
 * others. Passwords live only in the request's payload, which
 * ipc_in_deinit wipes as soon as the check is done.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/ipc.h"
#include "lib/dns.h"
#include "lib/dns_config.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/settings.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "directory/dir_config.h"
#include "directory/dir_lookupd.h"
#include "lib/banned.h"

struct client {
	struct dir_lookupd *l;
	int fd;
	unsigned id;
	long pid;			/* of the peer, for logs */
	struct client *next;
};

struct dir_lookupd {
	struct dir *d;
	struct dir_lookupd_settings s;
	char *path;
	int fd;				/* listening socket */
	int stop_pipe[2];
	pthread_mutex_t mu;		/* guards what follows */
	pthread_cond_t gone;		/* a client thread ended */
	struct client *clients;
	unsigned n_clients;
	unsigned next_id;
};

/* Is there a process listening at path? Decides whether a socket file
 * found there may be replaced. */
static bool
socket_is_live(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd == -1)
		return true;	/* cannot tell: do not remove it */
	live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ||
	    (errno != ECONNREFUSED && errno != ENOENT);
	close(fd);
	return live;
}

static int
listen_socket(struct dir_lookupd *l, struct pool *err_pool,
    const char **err_out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int r;

	if (str_copy(sun.sun_path, sizeof(sun.sun_path), l->path) == -1) {
		*err_out = pool_printf(err_pool, "socket path %s is too long",
		    l->path);
		return -1;
	}
	if (lstat(l->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode) || socket_is_live(&sun)) {
			*err_out = pool_printf(err_pool, "%s: %s", l->path,
			    S_ISSOCK(st.st_mode) ? "another lookup process "
			    "listens there" : "exists and is not a socket");
			return -1;
		}
		(void)unlink(l->path);
	}
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd == -1)
		goto fail;
	/* created private, opened up to the configured mode afterwards */
	old = umask(0177);
	r = bind(l->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == -1 || chmod(l->path, (mode_t)l->s.socket_mode) == -1 ||
	    listen(l->fd, 128) == -1)
		goto fail;
	return 0;
fail:
	*err_out = pool_printf(err_pool, "socket %s: %s", l->path,
	    strerror(errno));
	return -1;
}

struct dir_lookupd *
dir_lookupd_new(struct dir *d, const struct dir_lookupd_settings *s,
    struct pool *err_pool, const char **err_out)
{
	struct dir_lookupd *l = xcalloc(1, sizeof(*l));

	l->d = d;
	l->s = *s;
	l->path = xstrdup(s->socket_path);
	l->s.socket_path = l->path;
	l->fd = l->stop_pipe[0] = l->stop_pipe[1] = -1;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->gone, NULL);
	if (s->max_clients == 0 || s->request_max == 0) {
		*err_out = "max_clients and request_max must be positive";
		goto fail;
	}
	if (pipe2(l->stop_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		*err_out = pool_printf(err_pool, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (listen_socket(l, err_pool, err_out) == -1)
		goto fail;
	return l;
fail:
	if (l->fd != -1) {
		close(l->fd);
		l->fd = -1;
		(void)unlink(l->path);
	}
	free(l->path);
	l->path = NULL;
	dir_lookupd_free(&l);
	return NULL;
}

void
dir_lookupd_free(struct dir_lookupd **lp)
{
	struct dir_lookupd *l;

	if (lp == NULL || *lp == NULL)
		return;
	l = *lp;
	if (l->fd != -1) {
		close(l->fd);
		(void)unlink(l->path);
	}
	if (l->stop_pipe[0] != -1)
		close(l->stop_pipe[0]);
	if (l->stop_pipe[1] != -1)
		close(l->stop_pipe[1]);
	pthread_cond_destroy(&l->gone);
	pthread_mutex_destroy(&l->mu);
	free(l->path);
	free(l);
	*lp = NULL;
}

void
dir_lookupd_stop(struct dir_lookupd *l)
{
	char c = 1;

	(void)!write(l->stop_pipe[1], &c, 1);
}

/* The answer to r. The dir_entry a group request names carries only the
 * DN: that is all dir_group_* read. */
static void
answer(struct dir_lookupd *l, const struct dir_proto_request *r,
    struct pool *pool, struct dir_proto_answer *a)
{
	struct dir_entry group = { .kind = DIR_KIND_GROUP, .dn = (char *)r->arg };

	memset(a, 0, sizeof(*a));
	a->type = r->type;
	switch (r->type) {
	case DIR_PROTO_LOOKUP_ADDRESS:
		a->result = dir_lookup_address(l->d, r->arg, pool, &a->entry,
		    &a->info);
		break;
	case DIR_PROTO_LOOKUP_LOGIN:
		a->result = dir_lookup_login(l->d, r->arg, pool, &a->entry,
		    &a->info);
		break;
	case DIR_PROTO_LOOKUP_PRINCIPAL:
		a->result = dir_lookup_principal(l->d, r->arg, pool, &a->entry,
		    &a->info);
		break;
	case DIR_PROTO_GROUP_MEMBERS:
		a->result = dir_group_members(l->d, &group, pool, &a->members,
		    &a->n_members, &a->info);
		break;
	case DIR_PROTO_GROUP_HAS_MEMBER:
		a->result = dir_group_has_member(l->d, &group, r->arg2, pool,
		    &a->info);
		break;
	case DIR_PROTO_DOMAIN_ACCEPTED:
		a->result = dir_domain_accepted(l->d, r->arg, pool, &a->info);
		break;
	case DIR_PROTO_DOMAINS:
		a->result = dir_domains(l->d, pool, &a->domains, &a->n_domains,
		    &a->info);
		break;
	case DIR_PROTO_CHECK_PASSWORD:
		a->result = dir_check_password(l->d, r->arg,
		    (const char *)r->password, r->password_len, pool, &a->entry,
		    &a->info);
		break;
	case DIR_PROTO_STATS:
		dir_stats(l->d, &a->stats);
		a->result = DIR_FOUND;
		break;
	case DIR_PROTO_CACHE_FLUSH:
		dir_cache_flush(l->d);
		a->result = DIR_FOUND;
		log_info("cache flushed");
		break;
	}
}

static bool
is_tempfail(const struct dir_proto_answer *a)
{
	return a->type == DIR_PROTO_CHECK_PASSWORD ?
	    a->result == DIR_AUTH_TEMPFAIL : a->result == DIR_TEMPFAIL;
}

/* Serve one decoded request: answer, log a TEMPFAIL, send. 0 or -1 (the
 * connection is to be closed). */
static int
serve_request(struct client *c, struct ipc_in *in,
    const struct dir_proto_request *r)
{
	struct dir_lookupd *l = c->l;
	struct pool *pool = pool_new("lookupd-request");
	struct dir_proto_answer a;
	struct ipc_msg *m;
	struct buf *esc = buf_new(64, 4096);
	const char *err;
	int rc = 0;

	answer(l, r, pool, &a);
	if (is_tempfail(&a))
		log_warn("tempfail client=%u pid=%ld op=%s key=\"%s\" "
		    "server=%s error=\"%s\"", c->id, c->pid,
		    dir_proto_type_name(r->type),
		    r->arg != NULL ? log_escape(esc, r->arg, strlen(r->arg)) :
		    "", a.info.server != NULL ? a.info.server : "-",
		    a.info.error != NULL ? a.info.error : "");
	/* the password is not needed any more: wipe it now */
	ipc_in_deinit(in);
	m = dir_proto_answer_encode(&a, &l->s.limits);
	if (m == NULL) {
		log_warn("tempfail client=%u pid=%ld op=%s error=\"answer over "
		    "the protocol limits (string_max, list_max, answer_max)\"",
		    c->id, c->pid, dir_proto_type_name(r->type));
		m = dir_proto_answer_tempfail(r->type, "answer over the lookup "
		    "protocol limits (string_max, list_max, answer_max)");
	}
	if (ipc_send(c->fd, m, (int)l->s.client_timeout_ms, &err) == -1) {
		log_warn("client=%u pid=%ld dropped: sending the answer: %s",
		    c->id, c->pid, err);
		rc = -1;
	}
	ipc_msg_free(&m);
	buf_free(&esc);
	pool_free(&pool);
	return rc;
}

/* Wait for the first byte of the next request. 1 ready, 0 idle too long. */
static int
wait_request(struct client *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	uint64_t t = c->l->s.idle_timeout_ms;
	int r;

	do
		r = poll(&p, 1, t > INT32_MAX ? INT32_MAX : (int)t);
	while (r == -1 && errno == EINTR);
	return r != 0;
}

static void
client_loop(struct client *c)
{
	struct dir_lookupd *l = c->l;
	struct ipc_in in;

	memset(&in, 0, sizeof(in));
	for (;;) {
		struct dir_proto_request r;
		const char *err;
		int got;

		if (!wait_request(c)) {
			log_debug("client=%u pid=%ld closed: idle", c->id,
			    c->pid);
			break;
		}
		got = ipc_recv(c->fd, l->s.request_max,
		    (int)l->s.client_timeout_ms, &in);
		if (got == 0)
			break;
		if (got == -1) {
			log_warn("client=%u pid=%ld dropped: %s", c->id, c->pid,
			    in.err);
			break;
		}
		if (dir_proto_request_decode(&in, &r, &err) == -1) {
			log_warn("client=%u pid=%ld dropped: malformed %s "
			    "request: %s", c->id, c->pid,
			    dir_proto_type_name(in.type), err);
			break;
		}
		if (serve_request(c, &in, &r) == -1)
			break;
	}
	ipc_in_deinit(&in);
}

static void *
client_thread(void *arg)
{
	struct client *c = arg;
	struct dir_lookupd *l = c->l;
	struct client **pp;

	client_loop(c);
	pthread_mutex_lock(&l->mu);
	for (pp = &l->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	l->n_clients--;
	close(c->fd);
	pthread_cond_broadcast(&l->gone);
	pthread_mutex_unlock(&l->mu);
	free(c);
	return NULL;
}

static void
accept_one(struct dir_lookupd *l)
{
	struct ucred cred = { .pid = 0 };
	socklen_t len = sizeof(cred);
	struct client *c;
	pthread_attr_t attr;
	pthread_t t;
	int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn_errno("accept");
		return;
	}
	(void)getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	pthread_mutex_lock(&l->mu);
	if (l->n_clients >= l->s.max_clients) {
		pthread_mutex_unlock(&l->mu);
		log_warn("refused client pid=%ld: max_clients=%u reached",
		    (long)cred.pid, l->s.max_clients);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	*c = (struct client){ .l = l, .fd = fd, .id = ++l->next_id,
		.pid = (long)cred.pid, .next = l->clients };
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, client_thread, c) != 0) {
		pthread_mutex_unlock(&l->mu);
		log_error("client=%u pid=%ld refused: no thread", c->id, c->pid);
		close(fd);
		free(c);
	} else {
		/* the thread may end and free c as soon as the lock is
		 * released: log from copies */
		unsigned id = c->id;
		long pid = c->pid;

		l->clients = c;
		l->n_clients++;
		pthread_mutex_unlock(&l->mu);
		log_debug("client=%u pid=%ld connected", id, pid);
	}
	pthread_attr_destroy(&attr);
}

/* Close every client connection and wait for the threads (a thread in an
 * LDAP call ends within the operation timeout). */
static void
drain_clients(struct dir_lookupd *l)
{
	pthread_mutex_lock(&l->mu);
	log_info("stopping: closing %u client connections", l->n_clients);
	for (struct client *c = l->clients; c != NULL; c = c->next)
		(void)shutdown(c->fd, SHUT_RDWR);
	while (l->n_clients > 0)
		pthread_cond_wait(&l->gone, &l->mu);
	pthread_mutex_unlock(&l->mu);
}

int
dir_lookupd_run(struct dir_lookupd *l)
{
	sigset_t stop, old;
	int sfd, rc = 0;

	/* Blocked here, so in every client thread too; read via signalfd. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	sfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd == -1)
		log_fatal_errno("signalfd");
	/* a directory server gone away must not kill us when SASL's security
	 * layer (GSSAPI binds) writes to it (see dir_new) */
	signal(SIGPIPE, SIG_IGN);
	log_info("listening socket=%s max_clients=%u", l->path,
	    l->s.max_clients);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = l->fd, .events = POLLIN },
			{ .fd = l->stop_pipe[0], .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};

		if (poll(p, 3, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_error_errno("poll");
			rc = -1;
			break;
		}
		if (p[1].revents || p[2].revents)
			break;
		if (p[0].revents & POLLIN)
			accept_one(l);
		else if (p[0].revents) {
			log_error("listening socket failed");
			rc = -1;
			break;
		}
	}
	drain_clients(l);
	{
		struct signalfd_siginfo si;

		/* consume the stop signal: it must not fire on unblocking */
		while (read(sfd, &si, sizeof(si)) > 0)
			;
	}
	close(sfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* The [lookup] section. */
#define T struct dir_lookup_config
static const struct cfg_key lookup_keys[] = {
	CFG_STRING(T, socket, "socket", "", "unix socket of the lookup "
	    "process; empty: RUN_DIR/DAEMON-lookup.sock"),
	CFG_STRING(T, socket_mode, "socket_mode", "0660",
	    "permissions of the socket, octal"),
	CFG_INT(T, max_clients, "max_clients", "256", "1", "100000",
	    "client connections served at once"),
	CFG_TIME(T, client_timeout, "client_timeout", "5s", "10ms", "10m",
	    "a request, once begun, must arrive within this; answers too"),
	CFG_TIME(T, idle_timeout, "idle_timeout", "5m", "10ms", "1d",
	    "an idle client connection is closed after this"),
	CFG_TIME(T, query_timeout, "query_timeout", "30s", "10ms", "1h",
	    "how long a session waits for an answer"),
	CFG_SIZE(T, request_max, "request_max", "8k", "1k", "1M",
	    "largest request payload"),
	CFG_SIZE(T, answer_max, "answer_max", "16M", "1k", "16M",
	    "largest answer payload"),
	CFG_SIZE(T, string_max, "string_max", "4k", "256", "64k",
	    "longest string in an answer"),
	CFG_INT(T, list_max, "list_max", "100000", "1", "10000000",
	    "most items in a list of an answer (members, addresses, domains)"),
};
#undef T

static int
parse_mode(const char *s, unsigned *out)
{
	unsigned v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7' || v > 0777)
			return -1;
		v = v * 8 + (unsigned)(*s - '0');
	}
	if (v > 0777)
		return -1;
	*out = v;
	return 0;
}

static int
lookup_check(void *data, const char *instance, struct buf *msg)
{
	const struct dir_lookup_config *lc = data;
	struct sockaddr_un sun;
	unsigned mode;

	(void)instance;
	if (parse_mode(lc->socket_mode, &mode) == -1) {
		buf_printf(msg, "socket_mode: \"%.20s\" is not an octal mode "
		    "within 0..0777", lc->socket_mode);
		return -1;
	}
	if (strlen(lc->socket) >= sizeof(sun.sun_path)) {
		buf_printf(msg, "socket: longer than %zu bytes",
		    sizeof(sun.sun_path) - 1);
		return -1;
	}
	if (lc->answer_max < lc->request_max) {
		buf_printf(msg, "answer_max is smaller than request_max");
		return -1;
	}
	return 0;
}

const struct cfg_section_def dir_lookup_config_def = CFG_SECTION("lookup",
    struct dir_lookup_config, lookup_keys, lookup_check,
    "the lookup process: its socket and limits");

const char *
dir_lookup_config_socket(const struct cfg *c, const char *daemon,
    struct pool *pool)
{
	const struct dir_lookup_config *lc = cfg_get(c, "lookup");
	const struct settings_global *g = cfg_get(c, "global");

	if (*lc->socket != '\0')
		return pool_strdup(pool, lc->socket);
	if (daemon != NULL)
		return pool_printf(pool, "%s/%s-lookup.sock", g->run_dir,
		    daemon);
	return pool_printf(pool, "%s/lookup.sock", g->run_dir);
}

void
dir_lookupd_config_settings(const struct cfg *c, const char *daemon,
    struct pool *pool, struct dir_lookupd_settings *s)
{
	const struct dir_lookup_config *lc = cfg_get(c, "lookup");

	memset(s, 0, sizeof(*s));
	s->socket_path = dir_lookup_config_socket(c, daemon, pool);
	if (parse_mode(lc->socket_mode, &s->socket_mode) == -1)
		s->socket_mode = 0660;	/* not reached: the check refused it */
	s->max_clients = (unsigned)lc->max_clients;
	s->client_timeout_ms = lc->client_timeout;
	s->idle_timeout_ms = lc->idle_timeout;
	s->request_max = (size_t)lc->request_max;
	s->limits.string_max = (size_t)lc->string_max;
	s->limits.list_max = (size_t)lc->list_max;
	s->limits.answer_max = (size_t)lc->answer_max;
}

int
dir_lookupd_fit_clients(const struct cfg *c, unsigned clients,
    struct dir_lookupd_settings *s)
{
	if (clients <= s->max_clients)
		return 0;
	if (cfg_line(c, "lookup", NULL, "max_clients") != 0)
		return -1;
	s->max_clients = clients;
	return 1;
}

/* Log how max_clients was fitted, and warn when the open-files limit
 * cannot hold that many clients (one descriptor each, a few more for the
 * directory connections and the log). */
static void
log_clients(const struct cfg *c, unsigned clients,
    struct dir_lookupd_settings *s)
{
	struct rlimit rl;
	int fit = dir_lookupd_fit_clients(c, clients, s);

	if (fit == 1)
		log_info("max_clients=%u: the daemon's listeners and threads"
		    " may open that many lookup clients", s->max_clients);
	else if (fit == -1)
		log_warn("[lookup] max_clients=%u is below the %u lookup"
		    " clients the daemon's listeners and threads may open:"
		    " sessions past it get a temporary failure",
		    s->max_clients, clients);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)s->max_clients + 64 > rl.rlim_cur)
		log_warn("max_clients=%u with an open-files limit of %llu:"
		    " clients past about %llu get a temporary failure; raise"
		    " the limit (ulimit -n, LimitNOFILE=)", s->max_clients,
		    (unsigned long long)rl.rlim_cur,
		    (unsigned long long)(rl.rlim_cur > 64 ?
		    rl.rlim_cur - 64 : 0));
}

int
dir_lookupd_serve(const struct dir_lookupd_child *lc)
{
	struct pool *pool = pool_new("lookupd");
	struct dir_settings ds;
	struct dns_settings dns;
	struct dir_lookupd_settings ls;
	struct dir_lookupd *l = NULL;
	struct dir *d;
	const char *err = NULL;
	int rc = 1;

	dir_config_settings(lc->cfg, pool, &ds);
	dns_config_settings(lc->cfg, pool, &dns);
	ds.dns = &dns;
	dir_lookupd_config_settings(lc->cfg, lc->daemon, pool, &ls);
	log_clients(lc->cfg, lc->clients, &ls);
	d = dir_new(&ds, pool, &err);
	if (d == NULL) {
		log_error("directory: %s", err);
		goto out;
	}
	l = dir_lookupd_new(d, &ls, pool, &err);
	if (l == NULL) {
		log_error("lookup socket: %s", err);
		goto out;
	}
	rc = dir_lookupd_run(l) == 0 ? 0 : 1;
	log_info("stopped status=%d", rc);
out:
	dir_lookupd_free(&l);
	dir_free(&d);
	pool_free(&pool);
	return rc;
}

void
dir_lookupd_child_run(void *ctx)
{
	_exit(dir_lookupd_serve(ctx));
}
