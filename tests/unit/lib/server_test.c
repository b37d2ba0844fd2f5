/*
 * tests/unit/lib/server_test.c - tests for lib/server*.c.
 *
 * Most tests start the test daemon (tests/unit/lib/testd, found through
 * TESSERA_BUILDDIR) on kernel-chosen loopback ports with its control
 * socket in a fresh temporary directory, and drive it as real clients
 * do: greeting and echo, the per-listener and per-client caps, the
 * control socket, restarting a killed child, shutdown with and without
 * sessions, IPv6. server_api_test.c calls the API in-process.
 */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/server.h"
#include "lib/uid.h"
#include "lib/banned.h"

#define BUSY "421 4.3.2 Too many connections, try later\r\n"
#define GREETING "220 testd ready\r\n"

struct testd {
	pid_t pid;
	char dir[64];
	char ctl[128];
	char log[128];
	size_t n;
	char name[4][32];
	char addr[4][64];
	unsigned port[4];
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
testd_path(char *out, size_t size)
{
	const char *b = getenv("TESSERA_BUILDDIR");

	snprintf(out, size, "%s/tests/unit/lib/testd", b != NULL ? b : ".");
}

/* Start testd with args (NULL-terminated) plus -c CTL -u nobody and read
 * its "listening" lines up to "ready". */
static void
testd_start(struct testd *t, const char *const *args)
{
	const char *argv[32];
	char path[512], line[256];
	size_t n = 0, len = 0;
	int out[2];
	FILE *f;

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/tessera-testd.XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	snprintf(t->ctl, sizeof(t->ctl), "%s/ctl", t->dir);
	snprintf(t->log, sizeof(t->log), "%s/log", t->dir);
	testd_path(path, sizeof(path));
	argv[n++] = path;
	argv[n++] = "-c";
	argv[n++] = t->ctl;
	argv[n++] = "-u";
	argv[n++] = "nobody";
	for (size_t i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	cr_assert_eq(pipe(out), 0);
	t->pid = fork();
	cr_assert_neq(t->pid, -1);
	if (t->pid == 0) {
		int log = open(t->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_RDONLY);

		/* Dies with a test that failed half-way. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		dup2(null, 0);
		dup2(out[1], 1);
		dup2(log, 2);
		close(out[0]);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		len = strlen(line);
		if (strcmp(line, "ready\n") == 0)
			break;
		cr_assert_lt(t->n, 4);
		cr_assert_eq(sscanf(line, "listening %31s %63s %u",
		    t->name[t->n], t->addr[t->n], &t->port[t->n]), 3,
		    "testd said: %s", line);
		cr_assert_gt(t->port[t->n], 0);
		t->n++;
		len = 0;
	}
	fclose(f);
	cr_assert_gt(len, 0, "testd did not get ready (see %s)", t->log);
}

/* Wait up to ms for testd to exit; its wait status, or -1 on timeout. */
static int
testd_wait(struct testd *t, int ms)
{
	int64_t end = now_ms() + ms;
	int status;

	while (now_ms() < end) {
		pid_t r = waitpid(t->pid, &status, WNOHANG);

		if (r == t->pid) {
			t->pid = 0;
			return status;
		}
		usleep(10000);
	}
	return -1;
}

static bool
log_has(const struct testd *t, const char *needle)
{
	static char text[1 << 16];
	FILE *f = fopen(t->log, "r");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return strstr(text, needle) != NULL;
}

static bool
log_wait_for(const struct testd *t, const char *needle, int ms)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end) {
		if (log_has(t, needle))
			return true;
		usleep(10000);
	}
	return false;
}

/* SIGTERM testd, expect a clean exit, remove its directory. */
static void
testd_stop(struct testd *t)
{
	int status;

	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		status = testd_wait(t, 10000);
		cr_assert_neq(status, -1, "testd did not stop");
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "testd status %d", status);
	}
	unlink(t->log);
	unlink(t->ctl);
	rmdir(t->dir);
}

static unsigned
port_of(const struct testd *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->name[i], name) == 0)
			return t->port[i];
	cr_assert_fail("no listener %s", name);
	return 0;
}

/* TCP connection from src (NULL: any) to addr:port with 5 s timeouts;
 * the fd, or -1 with errno set. */
static int
tcp_connect_from(const char *src, const char *addr, unsigned port)
{
	struct sockaddr_storage ss;
	struct timeval tv = { .tv_sec = 5 };
	socklen_t len;
	int fd, e;

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		cr_assert_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		cr_assert_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
		len = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_neq(fd, -1);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (src != NULL) {
		struct sockaddr_in s4 = { .sin_family = AF_INET };

		cr_assert_eq(inet_pton(AF_INET, src, &s4.sin_addr), 1);
		cr_assert_eq(bind(fd, (struct sockaddr *)&s4, sizeof(s4)), 0);
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
tcp_connect(const char *addr, unsigned port)
{
	return tcp_connect_from(NULL, addr, port);
}

/* One line including CRLF into out; its length, 0 at EOF, -1 on error or
 * timeout. */
static ssize_t
read_line(int fd, char *out, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(fd, out + n, 1);

		if (r <= 0) {
			out[n] = '\0';
			return r == 0 && n == 0 ? 0 : -1;
		}
		if (out[n++] == '\n')
			break;
	}
	out[n] = '\0';
	return (ssize_t)n;
}

static void
say(int fd, const char *s)
{
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void
expect_line(int fd, const char *want)
{
	char line[512];

	cr_assert_gt(read_line(fd, line, sizeof(line)), 0, "no line, want %s",
	    want);
	cr_assert_str_eq(line, want);
}

static void
expect_eof(int fd)
{
	char c;

	cr_assert_eq(read(fd, &c, 1), 0);
}

/* Open a session and read its greeting. */
static int
session_open_from(const char *src, const char *addr, unsigned port)
{
	int fd = tcp_connect_from(src, addr, port);

	cr_assert_neq(fd, -1, "connect: %s", strerror(errno));
	expect_line(fd, GREETING);
	return fd;
}

static int
session_open(const char *addr, unsigned port)
{
	return session_open_from(NULL, addr, port);
}

static void
session_quit(int fd)
{
	say(fd, "QUIT\r\n");
	expect_line(fd, "221 bye\r\n");
	expect_eof(fd);
	close(fd);
}

/* Send cmd (newline added unless raw) to the control socket; the reply. */
static char *
control_raw(const char *path, const char *cmd, size_t len)
{
	static char reply[8192];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	size_t n = 0;
	ssize_t r;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.100s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_neq(fd, -1);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0,
	    "control connect: %s", strerror(errno));
	cr_assert_eq(write(fd, cmd, len), (ssize_t)len);
	while (n + 1 < sizeof(reply) &&
	    (r = read(fd, reply + n, sizeof(reply) - 1 - n)) > 0)
		n += (size_t)r;
	reply[n] = '\0';
	close(fd);
	return reply;
}

static char *
control(const struct testd *t, const char *cmd)
{
	char line[512];

	snprintf(line, sizeof(line), "%s\n", cmd);
	return control_raw(t->ctl, line, strlen(line));
}

/* The number after `key` in the JSON object that starts with
 * {"name":"NAME" (NULL: the whole reply, from its end for "sessions"). */
static long
json_field(const char *json, const char *name, const char *key)
{
	char obj[96], k[64];
	const char *p = json;

	if (name != NULL) {
		snprintf(obj, sizeof(obj), "{\"name\":\"%s\"", name);
		p = strstr(json, obj);
		cr_assert_not_null(p, "no %s in %s", obj, json);
	}
	snprintf(k, sizeof(k), "\"%s\":", key);
	if (name == NULL) {
		/* Top-level keys come after the arrays. */
		const char *q = strrchr(json, ']');

		p = q != NULL ? q : json;
	}
	p = strstr(p, k);
	cr_assert_not_null(p, "no %s in %s", k, json);
	return strtol(p + strlen(k), NULL, 10);
}

static long
listener_sessions(const struct testd *t, const char *name)
{
	return json_field(control(t, "status"), name, "sessions");
}

static void
wait_listener_sessions(const struct testd *t, const char *name, long want)
{
	int64_t end = now_ms() + 5000;
	long n = -1;

	while (now_ms() < end) {
		n = listener_sessions(t, name);
		if (n == want)
			return;
		usleep(10000);
	}
	cr_assert_fail("listener %s has %ld sessions, want %ld", name, n, want);
}

/* ---- sessions ------------------------------------------------------- */

Test(server, greets_echoes_and_quits, .timeout = 30)
{
	static const char *const args[] = { "-l", "smtp,127.0.0.1,0,10,0",
	    NULL };
	struct testd t;
	struct sockaddr_in me;
	socklen_t melen = sizeof(me);
	char want[256], line[512];
	int fd;

	testd_start(&t, args);
	fd = session_open("127.0.0.1", port_of(&t, "smtp"));
	say(fd, "hello world\r\n");
	expect_line(fd, "hello world\r\n");
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&me, &melen), 0);
	say(fd, "CONN\r\n");
	cr_assert_gt(read_line(fd, line, sizeof(line)), 0);
	snprintf(want, sizeof(want), "250 listener=smtp tls=0 client=127.0.0.1,%u "
	    "local=127.0.0.1,%u id=", ntohs(me.sin_port), port_of(&t, "smtp"));
	cr_assert(strncmp(line, want, strlen(want)) == 0, "%s", line);
	cr_assert_eq(strlen(line + strlen(want)), UID_LEN + 2, "%s", line);
	session_quit(fd);
	testd_stop(&t);
}

Test(server, session_runs_as_the_session_user, .timeout = 30)
{
	static const char *const args[] = { "-l", "smtp,127.0.0.1,0,10,0",
	    NULL };
	struct testd t;
	char want[64];
	uid_t uid = getuid();
	int fd;

	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		cr_assert_not_null(pw);
		uid = pw->pw_uid;
	}
	testd_start(&t, args);
	fd = session_open("127.0.0.1", port_of(&t, "smtp"));
	say(fd, "WHOAMI\r\n");
	snprintf(want, sizeof(want), "250 uid=%ld\r\n", (long)uid);
	expect_line(fd, want);
	session_quit(fd);
	testd_stop(&t);
}

Test(server, listener_cap_refuses_with_busy_reply, .timeout = 30)
{
	static const char *const args[] = { "-l", "smtp,127.0.0.1,0,2,0",
	    NULL };
	struct testd t;
	unsigned port;
	int a, b, c, d;

	testd_start(&t, args);
	port = port_of(&t, "smtp");
	a = session_open("127.0.0.1", port);	/* max - 1 */
	b = session_open("127.0.0.1", port);	/* max */
	c = tcp_connect("127.0.0.1", port);	/* max + 1 */
	cr_assert_neq(c, -1);
	expect_line(c, BUSY);
	expect_eof(c);
	close(c);
	cr_assert(log_wait_for(&t, "refused listener=smtp client=127.0.0.1 port=",
	    2000));
	cr_assert(log_has(&t, "reason=listener_full"));
	cr_assert_eq(listener_sessions(&t, "smtp"), 2);

	session_quit(a);
	wait_listener_sessions(&t, "smtp", 1);
	d = session_open("127.0.0.1", port);
	session_quit(d);
	session_quit(b);
	testd_stop(&t);
}

Test(server, per_client_cap_counts_each_address, .timeout = 30)
{
	static const char *const args[] = { "-l", "smtp,127.0.0.1,0,10,2",
	    NULL };
	struct testd t;
	unsigned port;
	int a, b, c, other, e;

	testd_start(&t, args);
	port = port_of(&t, "smtp");
	a = session_open_from("127.0.0.1", "127.0.0.1", port);
	b = session_open_from("127.0.0.1", "127.0.0.1", port);
	c = tcp_connect_from("127.0.0.1", "127.0.0.1", port);
	cr_assert_neq(c, -1);
	expect_line(c, BUSY);
	expect_eof(c);
	close(c);
	cr_assert(log_wait_for(&t, "reason=client_limit", 2000));
	cr_assert_not(log_has(&t, "reason=listener_full"));

	/* Another address is not held to 127.0.0.1's count. */
	other = session_open_from("127.0.0.2", "127.0.0.1", port);
	cr_assert_eq(listener_sessions(&t, "smtp"), 3);

	session_quit(a);
	wait_listener_sessions(&t, "smtp", 2);
	e = session_open_from("127.0.0.1", "127.0.0.1", port);
	session_quit(e);
	session_quit(b);
	session_quit(other);
	testd_stop(&t);
}

/* ---- control socket ------------------------------------------------- */

Test(server, status_reports_sessions_children_listeners, .timeout = 30)
{
	static const char *const args[] = { "-w", "-l", "smtp,127.0.0.1,0,5,0",
	    "-l", "imap,127.0.0.1,0,7,0", NULL };
	struct testd t;
	char want[256];
	const char *st;
	long worker;
	int a, b, c;

	testd_start(&t, args);
	a = session_open("127.0.0.1", port_of(&t, "smtp"));
	b = session_open("127.0.0.1", port_of(&t, "smtp"));
	c = session_open("127.0.0.1", port_of(&t, "imap"));
	st = control(&t, "status");
	cr_assert(strncmp(st, "{\"uptime\":", 10) == 0, "%s", st);
	cr_assert_eq(st[strlen(st) - 1], '\n');
	snprintf(want, sizeof(want), ",\"pid\":%ld,\"children\":[", (long)t.pid);
	cr_assert_not_null(strstr(st, want), "%s", st);
	snprintf(want, sizeof(want), "{\"name\":\"smtp\",\"address\":"
	    "\"127.0.0.1\",\"port\":%u,\"sessions\":2,\"max_sessions\":5}",
	    port_of(&t, "smtp"));
	cr_assert_not_null(strstr(st, want), "%s", st);
	snprintf(want, sizeof(want), "{\"name\":\"imap\",\"address\":"
	    "\"127.0.0.1\",\"port\":%u,\"sessions\":1,\"max_sessions\":7}",
	    port_of(&t, "imap"));
	cr_assert_not_null(strstr(st, want), "%s", st);
	cr_assert_eq(json_field(st, NULL, "sessions"), 3, "%s", st);
	worker = json_field(st, "worker", "pid");
	cr_assert_gt(worker, 0);
	cr_assert_neq(worker, t.pid);
	cr_assert_eq(kill((pid_t)worker, 0), 0, "worker %ld not alive", worker);
	cr_assert_eq(json_field(st, "worker", "restarts"), 0);

	session_quit(a);
	session_quit(b);
	session_quit(c);
	wait_listener_sessions(&t, "smtp", 0);
	wait_listener_sessions(&t, "imap", 0);
	cr_assert_eq(json_field(control(&t, "status"), NULL, "sessions"), 0);
	testd_stop(&t);
}

Test(server, control_answers_errors_and_extra_commands, .timeout = 30)
{
	static const char *const args[] = { NULL };
	char cmd[300];
	struct testd t;

	testd_start(&t, args);
	cr_assert_str_eq(control(&t, "bogus"), "{\"error\":\"unknown command\"}\n");
	cr_assert_str_eq(control(&t, "statusx"),
	    "{\"error\":\"unknown command\"}\n");
	cr_assert_str_eq(control(&t, "ping"), "{\"pong\":\"\"}\n");
	cr_assert_str_eq(control(&t, "ping a \"b\""),
	    "{\"pong\":\"a \\\"b\\\"\"}\n");
	cr_assert_str_eq(control(&t, "pingpong"),
	    "{\"error\":\"unknown command\"}\n");
	cr_assert_str_eq(control(&t, "ping fail"),
	    "{\"error\":\"command failed\"}\n");
	cr_assert(strncmp(control_raw(t.ctl, "status\r\n", 8), "{\"uptime\"",
	    9) == 0);

	/* SERVER_CONTROL_CMD_MAX counts the newline: 255 + 1 is a command,
	 * 256 + 1 is too long. */
	memset(cmd, 'x', sizeof(cmd));
	cmd[SERVER_CONTROL_CMD_MAX - 2] = '\n';
	cr_assert_str_eq(control_raw(t.ctl, cmd, SERVER_CONTROL_CMD_MAX - 1),
	    "{\"error\":\"unknown command\"}\n");
	memset(cmd, 'x', sizeof(cmd));
	cmd[SERVER_CONTROL_CMD_MAX - 1] = '\n';
	cr_assert_str_eq(control_raw(t.ctl, cmd, SERVER_CONTROL_CMD_MAX),
	    "{\"error\":\"unknown command\"}\n");
	memset(cmd, 'x', sizeof(cmd));
	cmd[SERVER_CONTROL_CMD_MAX] = '\n';
	cr_assert_str_eq(control_raw(t.ctl, cmd, SERVER_CONTROL_CMD_MAX + 1),
	    "{\"error\":\"command too long\"}\n");
	cr_assert_str_eq(control_raw(t.ctl, "stat\0us\n", 8),
	    "{\"error\":\"unknown command\"}\n");
	testd_stop(&t);
}

Test(server, silent_control_client_does_not_block_master, .timeout = 30)
{
	static const char *const args[] = { "-l", "smtp,127.0.0.1,0,5,0",
	    NULL };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	struct testd t;
	int64_t start;
	char c;
	int idle, fd;

	testd_start(&t, args);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.100s", t.ctl);
	idle = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(connect(idle, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setsockopt(idle, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	say(idle, "stat");	/* and never the newline */

	start = now_ms();
	cr_assert(strncmp(control(&t, "status"), "{\"uptime\"", 9) == 0);
	fd = session_open("127.0.0.1", port_of(&t, "smtp"));
	session_quit(fd);
	cr_assert_lt(now_ms() - start, 1000);

	/* The silent one is dropped at its deadline. */
	cr_assert_eq(read(idle, &c, 1), 0);
	cr_assert_geq(now_ms() - start, SERVER_CONTROL_TIMEOUT_MS - 200);
	close(idle);
	testd_stop(&t);
}

Test(server, sighup_without_handler_is_logged_and_ignored, .timeout = 30)
{
	static const char *const args[] = { NULL };
	struct testd t;

	testd_start(&t, args);
	cr_assert_eq(kill(t.pid, SIGHUP), 0);
	cr_assert(log_wait_for(&t, "SIGHUP ignored", 5000));
	cr_assert(strncmp(control(&t, "status"), "{\"uptime\"", 9) == 0);
	testd_stop(&t);
}

/* ---- children ------------------------------------------------------- */

static long
wait_worker_restart(const struct testd *t, long old_pid, long restarts)
{
	int64_t end = now_ms() + 10000;

	while (now_ms() < end) {
		const char *st = control(t, "status");
		long pid = json_field(st, "worker", "pid");

		if (pid != 0 && pid != old_pid) {
			cr_assert_eq(json_field(st, "worker", "restarts"),
			    restarts, "%s", st);
			return pid;
		}
		usleep(20000);
	}
	cr_assert_fail("worker %ld was not restarted", old_pid);
	return 0;
}

Test(server, killed_child_is_restarted_with_backoff, .timeout = 30)
{
	static const char *const args[] = { "-w", "-r", "200", NULL };
	struct testd t;
	char want[128];
	long w1, w2, w3;

	testd_start(&t, args);
	w1 = json_field(control(&t, "status"), "worker", "pid");
	cr_assert_gt(w1, 0);
	cr_assert_eq(kill((pid_t)w1, SIGKILL), 0);
	w2 = wait_worker_restart(&t, w1, 1);
	snprintf(want, sizeof(want), "child died name=worker pid=%ld signal=9",
	    w1);
	cr_assert(log_has(&t, want), "no \"%s\" in the log", want);
	cr_assert(log_has(&t, "restart_in=200ms"));
	cr_assert_eq(kill((pid_t)w2, 0), 0);

	/* A second quick death waits twice as long. */
	cr_assert_eq(kill((pid_t)w2, SIGKILL), 0);
	w3 = wait_worker_restart(&t, w2, 2);
	cr_assert(log_has(&t, "restart_in=400ms"));
	cr_assert_gt(w3, 0);
	testd_stop(&t);
	/* The stopped worker is gone too. */
	cr_assert_eq(kill((pid_t)w3, 0), -1);
}

Test(server, child_backoff_resets_after_a_stable_run, .timeout = 30)
{
	static const char *const args[] = { "-w", "-r", "200", "-R", "500",
	    NULL };
	struct testd t;
	long w1, w2;

	testd_start(&t, args);
	w1 = json_field(control(&t, "status"), "worker", "pid");
	cr_assert_eq(kill((pid_t)w1, SIGKILL), 0);
	w2 = wait_worker_restart(&t, w1, 1);
	/* Up longer than restart_reset_ms: the next delay is the minimum
	 * again, not 400 ms. */
	usleep(800000);
	cr_assert_eq(kill((pid_t)w2, SIGKILL), 0);
	(void)wait_worker_restart(&t, w2, 2);
	cr_assert_not(log_has(&t, "restart_in=400ms"));
	testd_stop(&t);
}

/* ---- shutdown ------------------------------------------------------- */

Test(server, sigterm_closes_listener_then_drains_and_kills, .timeout = 30)
{
	static const char *const args[] = { "-g", "1500", "-l",
	    "smtp,127.0.0.1,0,5,0", NULL };
	struct testd t;
	unsigned port;
	int64_t start, refused_at = 0, elapsed;
	int fd, status;
	char c;

	testd_start(&t, args);
	port = port_of(&t, "smtp");
	fd = session_open("127.0.0.1", port);
	start = now_ms();
	cr_assert_eq(kill(t.pid, SIGTERM), 0);
	while (now_ms() - start < 1000) {
		int probe = tcp_connect("127.0.0.1", port);

		if (probe == -1 && errno == ECONNREFUSED) {
			refused_at = now_ms();
			break;
		}
		if (probe != -1)
			close(probe);
		usleep(10000);
	}
	cr_assert_neq(refused_at, 0, "listener still open after SIGTERM");

	/* Within the grace period the session goes on... */
	say(fd, "still here\r\n");
	expect_line(fd, "still here\r\n");
	/* ...and is terminated when it is over. */
	cr_assert_eq(read(fd, &c, 1), 0);
	elapsed = now_ms() - start;
	cr_assert_geq(elapsed, 1400, "killed after %lld ms", (long long)elapsed);
	cr_assert_lt(elapsed, 1500 + SERVER_KILL_WAIT_MS + 1000);
	close(fd);
	status = testd_wait(&t, 5000);
	cr_assert(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d", status);
	cr_assert(log_has(&t, "grace period over, terminating sessions=1"));
	cr_assert_eq(access(t.ctl, F_OK), -1, "control socket left behind");
	testd_stop(&t);
}

Test(server, shutdown_waits_only_as_long_as_sessions_run, .timeout = 30)
{
	static const char *const args[] = { "-g", "10000", "-l",
	    "smtp,127.0.0.1,0,5,0", NULL };
	struct testd t;
	int64_t start;
	int fd, status;

	testd_start(&t, args);
	fd = session_open("127.0.0.1", port_of(&t, "smtp"));
	say(fd, "SLEEP 1\r\n");
	usleep(100000);
	start = now_ms();
	cr_assert_eq(kill(t.pid, SIGTERM), 0);
	expect_line(fd, "250 slept\r\n");
	session_quit(fd);
	status = testd_wait(&t, 5000);
	cr_assert(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_lt(now_ms() - start, 3000);
	testd_stop(&t);
}

Test(server, sigterm_or_sigint_without_sessions_exits_quickly, .timeout = 30)
{
	static const char *const args[] = { "-w", "-g", "10000", "-l",
	    "smtp,127.0.0.1,0,5,0", NULL };
	static const int sigs[] = { SIGTERM, SIGINT };

	for (size_t i = 0; i < 2; i++) {
		struct testd t;
		int64_t start;
		int status;

		testd_start(&t, args);
		start = now_ms();
		cr_assert_eq(kill(t.pid, sigs[i]), 0);
		status = testd_wait(&t, 5000);
		cr_assert(status != -1 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0, "signal %d: status %d", sigs[i],
		    status);
		cr_assert_lt(now_ms() - start, 2000);
		cr_assert_eq(access(t.ctl, F_OK), -1);
		cr_assert(log_has(&t, "child stopped name=worker"));
		testd_stop(&t);
	}
}

/* ---- IPv6 ----------------------------------------------------------- */

static bool
have_ipv6_loopback(void)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
	    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	bool ok;

	if (fd == -1)
		return false;
	ok = bind(fd, (struct sockaddr *)&s6, sizeof(s6)) == 0;
	close(fd);
	return ok;
}

Test(server, ipv6_loopback_listener_works, .timeout = 30)
{
	static const char *const args[] = { "-l", "v6,::1,0,5,0,tls", NULL };
	struct testd t;
	char line[512];
	int fd;

	if (!have_ipv6_loopback())
		cr_skip_test("SKIP: no IPv6 loopback on this machine");
	testd_start(&t, args);
	cr_assert_str_eq(t.addr[0], "::1");
	fd = session_open("::1", port_of(&t, "v6"));
	say(fd, "CONN\r\n");
	cr_assert_gt(read_line(fd, line, sizeof(line)), 0);
	cr_assert(strncmp(line, "250 listener=v6 tls=1 client=::1,", 33) == 0,
	    "%s", line);
	cr_assert_not_null(strstr(line, " local=::1,"), "%s", line);
	session_quit(fd);
	testd_stop(&t);
}

/* A port the kernel says is free now (tests never use fixed ports). */
static unsigned
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void
write_config(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(server, listeners_come_from_the_config_file, .timeout = 30)
{
	char dir[] = "/tmp/tessera-testd-conf.XXXXXX", path[128], text[512];
	const char *args[] = { "-f", path, NULL };
	unsigned p1 = free_port(), p2 = free_port();
	struct testd t;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tessera.conf", dir);
	snprintf(text, sizeof(text),
	    "[global]\nlog_dest = stderr\nlog_level = debug\n\n"
	    "[testd.listener.smtp]\naddress = 127.0.0.1, 127.0.0.2\n"
	    "port = %u\nmax_sessions = 1\n\n"
	    "[testd.listener.submission]\nport = %u\n", p1, p2);
	write_config(path, text);
	testd_start(&t, args);
	cr_assert_eq(t.n, 3, "one listener per address");
	cr_assert_eq(port_of(&t, "smtp"), p1);
	cr_assert_eq(port_of(&t, "smtp/127.0.0.2"), p1);
	cr_assert_eq(port_of(&t, "submission"), p2);
	fd = session_open("127.0.0.2", p1);
	say(fd, "via second address\r\n");
	expect_line(fd, "via second address\r\n");
	session_quit(fd);
	/* max_sessions from the file: the second session is refused */
	fd = session_open("127.0.0.1", p1);
	{
		int fd2 = tcp_connect("127.0.0.1", p1);

		expect_line(fd2, "421 busy\r\n");
		expect_eof(fd2);
		close(fd2);
	}
	session_quit(fd);
	testd_stop(&t);
	unlink(path);
	rmdir(dir);
}

Test(server, bad_config_stops_startup_with_file_and_line, .timeout = 30)
{
	char dir[] = "/tmp/tessera-testd-conf.XXXXXX", path[128], cmd[512];
	char out[1024] = "";
	FILE *p;
	size_t n;
	int status;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tessera.conf", dir);
	write_config(path, "[global]\nlog_dest = stderr\n\n[testd.listener.smtp]\n"
	    "port = 25\nmax_sesions = 3\n");
	testd_path(cmd, sizeof(cmd));
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
	    " -u nobody -f %s 2>&1", path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	status = pclose(p);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0, "%s", out);
	cr_assert_not_null(strstr(out, "tessera.conf:6:"), "%s", out);
	cr_assert_not_null(strstr(out, "max_sesions"), "%s", out);
	/* a listener without a port is refused too */
	write_config(path, "[global]\nlog_dest = stderr\n\n[testd.listener.smtp]\n"
	    "address = 127.0.0.1\n");
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	status = pclose(p);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0, "%s", out);
	cr_assert_not_null(strstr(out, "port is required"), "%s", out);
	unlink(path);
	rmdir(dir);
}
