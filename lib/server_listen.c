/*
 * lib/server_listen.c - listening sockets, accepting, the session caps
 * and forking one session process per connection.
 *
 * Runs in the master. The peer address from accept() is the only client
 * data it looks at; it never reads from a client socket. Sessions are
 * kept in an array scanned linearly on accept (per-client count) and on
 * reap: cheap next to the fork each session costs.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/server_int.h"
#include "lib/str.h"
#include "lib/uid.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define SERVER_BACKLOG 128
#define SERVER_ACCEPT_BURST 64	/* accepts per wake-up and listener */
#define SERVER_ACCEPT_PAUSE_MS 100	/* out of descriptors: back off */

static int
listen_fail(struct server *s, struct server_listener *l, int fd,
    const char *what)
{
	int e = errno;

	(void)str_printf(s->err, sizeof(s->err), "listener %s [%s]:%u: %s: %s",
	    l->name, l->address, l->port, what, strerror(e));
	if (fd != -1)
		close(fd);
	return -1;
}

int
server_listen_bind(struct server *s, struct server_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, l->address,
	    &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(l->port);
		sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, l->address,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(l->port);
		sslen = sizeof(*sin6);
	} else {
		errno = EINVAL;
		return listen_fail(s, l, -1, "not a numeric IPv4/IPv6 address");
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return listen_fail(s, l, fd, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		return listen_fail(s, l, fd, "SO_REUSEADDR");
	/* "::" must not also take IPv4: an explicit 0.0.0.0 listener would
	 * collide, and v4-mapped clients would dodge per-client caps. */
	if (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		return listen_fail(s, l, fd, "IPV6_V6ONLY");
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1)
		return listen_fail(s, l, fd, "bind");
	if (listen(fd, SERVER_BACKLOG) == -1)
		return listen_fail(s, l, fd, "listen");
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		return listen_fail(s, l, fd, "getsockname");
	l->bound_port = ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	l->fd = fd;
	log_info("listening name=%s address=%s port=%u", l->name, l->address,
	    l->bound_port);
	return 0;
}

void
server_listen_close(struct server *s)
{
	for (size_t i = 0; i < s->n_listeners; i++)
		if (s->listeners[i].fd != -1) {
			close(s->listeners[i].fd);
			s->listeners[i].fd = -1;
		}
}

static void
addr_key(const struct sockaddr_storage *sa, struct server_addr_key *key)
{
	memset(key, 0, sizeof(*key));
	key->family = sa->ss_family;
	if (sa->ss_family == AF_INET)
		memcpy(key->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->ss_family == AF_INET6)
		memcpy(key->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    16);
}

static void
addr_text(const struct sockaddr_storage *sa, socklen_t len, char *addr,
    char *port)
{
	if (getnameinfo((const struct sockaddr *)sa, len, addr,
	    SERVER_ADDR_MAX, port, SERVER_PORT_MAX,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		(void)str_copy(addr, SERVER_ADDR_MAX, "unknown");
		(void)str_copy(port, SERVER_PORT_MAX, "0");
	}
}

static unsigned
client_sessions(const struct server *s, size_t li,
    const struct server_addr_key *key)
{
	unsigned n = 0;

	for (size_t i = 0; i < s->n_sessions; i++)
		if (s->sessions[i].listener == li &&
		    memcmp(&s->sessions[i].client, key, sizeof(*key)) == 0)
			n++;
	return n;
}

/* Best effort: the reply goes out only if it fits in the socket buffer
 * right now; the master never waits for a client. */
static void
refuse(struct server_listener *l, int fd, const struct server_conn *conn,
    const char *reason)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl != -1)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	(void)!send(fd, l->busy_reply, l->busy_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	log_warn("refused listener=%s client=%s port=%s reason=%s", l->name,
	    conn->client_addr, conn->client_port, reason);
}

static void
session_start(struct server *s, struct server_listener *l, int fd,
    struct server_conn *conn, const struct server_addr_key *key)
{
	struct server_session *ss;
	pid_t pid;

	uid_new(conn->session_id);
	pid = server_fork(s, fd);
	if (pid == -1) {
		log_error_errno("fork session listener=%s client=%s", l->name,
		    conn->client_addr);
		refuse(l, fd, conn, "fork_failed");
		return;
	}
	if (pid == 0) {
		log_set_session(conn->session_id);
		server_child_prepare(s, l->name, s->session_user,
		    s->session_group);
		s->session_fn(fd, conn, s->session_ctx);
		close(fd);
		_exit(0);
	}
	close(fd);
	if (s->n_sessions == s->cap_sessions) {
		s->cap_sessions = s->cap_sessions == 0 ? 16 : s->cap_sessions * 2;
		s->sessions = xreallocarray(s->sessions, s->cap_sessions,
		    sizeof(*s->sessions));
	}
	ss = &s->sessions[s->n_sessions++];
	ss->pid = pid;
	ss->listener = (size_t)(l - s->listeners);
	ss->client = *key;
	l->sessions++;
	log_debug("session start listener=%s client=%s port=%s id=%s pid=%ld",
	    l->name, conn->client_addr, conn->client_port, conn->session_id,
	    (long)pid);
}

/* 1 accepted (or refused), 0 nothing pending, -1 stop for now. */
static int
accept_one(struct server *s, struct server_listener *l)
{
	struct server_conn conn;
	struct server_addr_key key;
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	int fd;

	memset(&conn, 0, sizeof(conn));
	conn.client_salen = sizeof(conn.client_sa);
	fd = accept4(l->fd, (struct sockaddr *)&conn.client_sa,
	    &conn.client_salen, SOCK_CLOEXEC);
	if (fd == -1) {
		switch (errno) {
		case EAGAIN:
			return 0;
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			return 1;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			log_error_errno("accept listener=%s, pausing", l->name);
			s->accept_paused_until_ms = server_now_ms() +
			    SERVER_ACCEPT_PAUSE_MS;
			return -1;
		default:
			log_error_errno("accept listener=%s", l->name);
			return -1;
		}
	}
	conn.listener = l->name;
	conn.implicit_tls = l->implicit_tls;
	addr_text(&conn.client_sa, conn.client_salen, conn.client_addr,
	    conn.client_port);
	if (getsockname(fd, (struct sockaddr *)&local, &local_len) == 0)
		addr_text(&local, local_len, conn.local_addr, conn.local_port);
	addr_key(&conn.client_sa, &key);

	if (l->sessions >= l->max_sessions)
		refuse(l, fd, &conn, "listener_full");
	else if (l->max_per_client > 0 && client_sessions(s,
	    (size_t)(l - s->listeners), &key) >= l->max_per_client)
		refuse(l, fd, &conn, "client_limit");
	else
		session_start(s, l, fd, &conn, &key);
	return 1;
}

void
server_listen_accept(struct server *s, struct server_listener *l)
{
	for (int i = 0; i < SERVER_ACCEPT_BURST && l->fd != -1; i++)
		if (accept_one(s, l) <= 0)
			break;
}

bool
server_session_reaped(struct server *s, pid_t pid, int status)
{
	for (size_t i = 0; i < s->n_sessions; i++) {
		struct server_listener *l;
		char desc[48];

		if (s->sessions[i].pid != pid)
			continue;
		l = &s->listeners[s->sessions[i].listener];
		l->sessions--;
		s->sessions[i] = s->sessions[--s->n_sessions];
		(void)server_exit_desc(status, desc, sizeof(desc));
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_debug("session end listener=%s pid=%ld %s", l->name,
			    (long)pid, desc);
		else
			log_warn("session end listener=%s pid=%ld %s", l->name,
			    (long)pid, desc);
		return true;
	}
	return false;
}

void
server_session_signal_all(struct server *s, int sig)
{
	for (size_t i = 0; i < s->n_sessions; i++)
		(void)kill(s->sessions[i].pid, sig);
}
