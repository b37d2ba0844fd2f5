/*
 * lib/server_control.c - the master's control socket: one command line
 * in, one line of JSON out, then close.
 *
 * Runs in the master, inside its poll loop: every client socket is
 * non-blocking, the command is capped at SERVER_CONTROL_CMD_MAX bytes,
 * each client has SERVER_CONTROL_TIMEOUT_MS to send it and take the reply,
 * and at most SERVER_CONTROL_CLIENTS_MAX are served at once, so a silent
 * or slow client never stalls the master. The socket is mode 0600: only
 * the master's user (root in production) may talk to it, but its input is
 * still parsed as untrusted.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/server_int.h"
#include "lib/str.h"
#include "lib/banned.h"

static int
control_fail(struct server *s, int fd, const char *what)
{
	int e = errno;

	(void)str_printf(s->err, sizeof(s->err), "control socket %s: %s: %s",
	    s->control_path, what, strerror(e));
	if (fd != -1)
		close(fd);
	return -1;
}

/* A socket file left by a dead master is replaced; a live master's is
 * not, and neither is anything that is not a socket. */
static int
control_clear_stale(struct server *s, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd;

	if (lstat(s->control_path, &st) == -1)
		return errno == ENOENT ? 0 : control_fail(s, -1, "lstat");
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return control_fail(s, -1, "exists and is not a socket");
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return control_fail(s, -1, "socket");
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0) {
		errno = EADDRINUSE;
		return control_fail(s, fd, "another process is listening");
	}
	if (errno != ECONNREFUSED)
		return control_fail(s, fd, "probing the old socket");
	close(fd);
	if (unlink(s->control_path) == -1)
		return control_fail(s, -1, "removing the stale socket");
	return 0;
}

int
server_control_bind(struct server *s)
{
	struct sockaddr_un sun;
	mode_t old_umask;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, sizeof(sun.sun_path), s->control_path) == -1) {
		errno = ENAMETOOLONG;
		return control_fail(s, -1, "path");
	}
	if (control_clear_stale(s, &sun) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return control_fail(s, -1, "socket");
	/* Born 0600: no window in which others could connect. */
	old_umask = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_umask);
	if (rc == -1)
		return control_fail(s, fd, "bind");
	s->control_created = true;
	if (listen(fd, SERVER_CONTROL_CLIENTS_MAX) == -1)
		return control_fail(s, fd, "listen");
	s->control_fd = fd;
	return 0;
}

static void
ctl_client_close(struct server_ctl_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
	buf_free(&c->out);
}

void
server_control_close(struct server *s)
{
	for (size_t i = 0; i < SERVER_CONTROL_CLIENTS_MAX; i++)
		ctl_client_close(&s->ctl[i]);
	if (s->control_fd != -1) {
		close(s->control_fd);
		s->control_fd = -1;
	}
	if (s->control_created && getpid() == s->master_pid)
		(void)unlink(s->control_path);
	s->control_created = false;
}

void
server_control_accept(struct server *s)
{
	int fd;

	while ((fd = accept4(s->control_fd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		struct server_ctl_client *c = NULL;

		for (size_t i = 0; i < SERVER_CONTROL_CLIENTS_MAX; i++)
			if (s->ctl[i].fd == -1) {
				c = &s->ctl[i];
				break;
			}
		if (c == NULL) {
			log_warn("control: too many clients, dropping one");
			close(fd);
			continue;
		}
		c->fd = fd;
		c->in = buf_new(64, SERVER_CONTROL_CMD_MAX);
		c->out = buf_new(256, SERVER_CONTROL_REPLY_MAX);
		c->out_off = 0;
		c->replying = false;
		c->deadline_ms = server_now_ms() + SERVER_CONTROL_TIMEOUT_MS;
	}
	if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
		log_error_errno("control accept");
}

int
server_json_str(struct buf *out, const char *str)
{
	size_t mark = out->len;

	if (buf_append_byte(out, '"') == -1)
		return -1;
	for (const unsigned char *p = (const unsigned char *)str; *p != '\0';
	    p++) {
		int rc;

		if (*p == '"' || *p == '\\')
			rc = buf_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			rc = buf_printf(out, "\\u%04x", *p);
		else
			rc = buf_append_byte(out, *p);
		if (rc == -1) {
			buf_truncate(out, mark);
			return -1;
		}
	}
	if (buf_append_byte(out, '"') == -1) {
		buf_truncate(out, mark);
		return -1;
	}
	return 0;
}

static int
control_status(struct server *s, struct buf *out)
{
	int rc = 0;

	rc |= buf_printf(out, "{\"uptime\":%lld,\"pid\":%ld,\"children\":[",
	    (long long)(server_now_ms() - s->started_ms) / 1000,
	    (long)getpid());
	for (size_t i = 0; i < s->n_children; i++) {
		const struct server_child *c = &s->children[i];

		rc |= buf_append_str(out, i > 0 ? ",{\"name\":" : "{\"name\":");
		rc |= server_json_str(out, c->name);
		rc |= buf_printf(out, ",\"pid\":%ld,\"restarts\":%u}",
		    (long)c->pid, c->restarts);
	}
	rc |= buf_append_str(out, "],\"listeners\":[");
	for (size_t i = 0; i < s->n_listeners; i++) {
		const struct server_listener *l = &s->listeners[i];

		rc |= buf_append_str(out, i > 0 ? ",{\"name\":" : "{\"name\":");
		rc |= server_json_str(out, l->name);
		rc |= buf_append_str(out, ",\"address\":");
		rc |= server_json_str(out, l->address);
		rc |= buf_printf(out, ",\"port\":%u,\"sessions\":%u,"
		    "\"max_sessions\":%u}", l->bound_port, l->sessions,
		    l->max_sessions);
	}
	rc |= buf_printf(out, "],\"sessions\":%zu}", s->n_sessions);
	return rc == 0 ? 0 : -1;
}

/* Run one command line (newline stripped) and leave the reply in out. */
static void
control_dispatch(struct server *s, char *line, struct buf *out)
{
	size_t len = strlen(line);

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (strcmp(line, "status") == 0) {
		if (control_status(s, out) == 0)
			return;
	} else {
		for (size_t i = 0; i < s->n_cmds; i++) {
			size_t n = strlen(s->cmds[i].name);

			if (strncmp(line, s->cmds[i].name, n) != 0 ||
			    (line[n] != '\0' && line[n] != ' '))
				continue;
			if (s->cmds[i].fn(line[n] == ' ' ? line + n + 1 : "",
			    out, s->cmds[i].ctx) == 0)
				return;
			buf_reset(out);
			(void)buf_append_str(out,
			    "{\"error\":\"command failed\"}");
			return;
		}
		(void)buf_append_str(out, "{\"error\":\"unknown command\"}");
		return;
	}
	buf_reset(out);
	(void)buf_append_str(out, "{\"error\":\"reply too long\"}");
}

static void
control_answer(struct server *s, struct server_ctl_client *c, char *line)
{
	struct buf *esc = buf_new(64, 1024);

	log_debug("control command=\"%s\"", log_escape(esc, line,
	    strlen(line)));
	buf_free(&esc);
	buf_reset(c->out);
	control_dispatch(s, line, c->out);
	if (buf_append_byte(c->out, '\n') == -1) {
		buf_reset(c->out);
		(void)buf_append_str(c->out, "{\"error\":\"reply too long\"}\n");
	}
	c->out_off = 0;
	c->replying = true;
}

static void
control_read(struct server *s, struct server_ctl_client *c)
{
	char tmp[SERVER_CONTROL_CMD_MAX];
	ssize_t n;
	char *nl;

	n = read(c->fd, tmp, sizeof(tmp));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ctl_client_close(c);
		return;
	}
	if (buf_append(c->in, tmp, (size_t)n) == -1) {
		buf_reset(c->out);
		(void)buf_append_str(c->out,
		    "{\"error\":\"command too long\"}\n");
		c->out_off = 0;
		c->replying = true;
		return;
	}
	nl = memchr(c->in->data, '\n', c->in->len);
	if (nl == NULL && c->in->len == c->in->max) {
		buf_reset(c->out);
		(void)buf_append_str(c->out,
		    "{\"error\":\"command too long\"}\n");
		c->out_off = 0;
		c->replying = true;
		return;
	}
	if (nl == NULL)
		return;
	*nl = '\0';
	if (memchr(c->in->data, '\0', (size_t)(nl - (char *)c->in->data)) !=
	    NULL) {
		buf_reset(c->out);
		(void)buf_append_str(c->out, "{\"error\":\"unknown command\"}\n");
		c->out_off = 0;
		c->replying = true;
		return;
	}
	control_answer(s, c, (char *)c->in->data);
}

static void
control_write(struct server_ctl_client *c)
{
	ssize_t n;

	n = send(c->fd, c->out->data + c->out_off, c->out->len - c->out_off,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ctl_client_close(c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off == c->out->len)
		ctl_client_close(c);
}

void
server_control_io(struct server *s, size_t slot, short revents)
{
	struct server_ctl_client *c = &s->ctl[slot];

	if (c->fd == -1)
		return;
	if (c->replying) {
		if (revents & (POLLOUT | POLLERR | POLLHUP))
			control_write(c);
	} else if (revents & (POLLIN | POLLERR | POLLHUP)) {
		control_read(s, c);
	}
}

void
server_control_expire(struct server *s, int64_t now)
{
	for (size_t i = 0; i < SERVER_CONTROL_CLIENTS_MAX; i++)
		if (s->ctl[i].fd != -1 && now >= s->ctl[i].deadline_ms) {
			log_warn("control: client timed out");
			ctl_client_close(&s->ctl[i]);
		}
}

int64_t
server_control_next_deadline(const struct server *s)
{
	int64_t d = 0;

	for (size_t i = 0; i < SERVER_CONTROL_CLIENTS_MAX; i++)
		if (s->ctl[i].fd != -1 &&
		    (d == 0 || s->ctl[i].deadline_ms < d))
			d = s->ctl[i].deadline_ms;
	return d;
}
