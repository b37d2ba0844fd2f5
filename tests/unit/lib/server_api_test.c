/*
 * tests/unit/lib/server_api_test.c - in-process tests for lib/server*.c.
 *
 * What needs no running master: configuration checks, binding (kernel
 * ports on loopback), the control socket file rules, command
 * registration, JSON strings. server_test.c drives a real daemon.
 */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/server.h"
#include "lib/banned.h"

#define BUSY "421 4.3.2 Too many connections, try later\r\n"

static void
quiet(void)
{
	log_init("server_api_test", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	    LOG_LEVEL_ERROR);
}

TestSuite(server_api, .init = quiet);

static void
noop_session(int fd, const struct server_conn *conn, void *ctx)
{
	(void)fd;
	(void)conn;
	(void)ctx;
}

static void
noop_child(void *ctx)
{
	(void)ctx;
}

static int
noop_control(const char *args, struct buf *reply, void *ctx)
{
	(void)args;
	(void)reply;
	(void)ctx;
	return 0;
}

static struct server_listener_cfg
listener(const char *name, const char *address, uint16_t port)
{
	return (struct server_listener_cfg){ .name = name, .address = address,
	    .port = port, .max_sessions = 1, .busy_reply = BUSY };
}

static void
expect_new_fails(const struct server_cfg *cfg, const char *msg)
{
	const char *err = NULL;
	struct server *s = server_new(cfg, &err);

	cr_assert_null(s);
	cr_assert_str_eq(err, msg);
}

Test(server_api, new_rejects_bad_configs)
{
	struct server_listener_cfg l[2] = { listener("a", "127.0.0.1", 0),
	    listener("b", "127.0.0.1", 0) };
	struct server_child_cfg ch = { .name = "c", .run = noop_child,
	    .user = "nobody" };
	struct server_cfg base = { .listeners = l, .n_listeners = 2,
	    .session = noop_session, .session_user = "nobody",
	    .children = &ch, .n_children = 1 };
	struct server_cfg cfg;
	char longpath[200];
	const char *err;
	struct server *s;

	cfg = base;
	s = server_new(&cfg, &err);
	cr_assert_not_null(s);
	server_free(&s);
	cr_assert_null(s);
	server_free(&s);

	cfg = base;
	cfg.session_user = NULL;
	expect_new_fails(&cfg, "no session user");
	cfg = base;
	cfg.session = NULL;
	expect_new_fails(&cfg, "listeners need a session function");
	cfg = base;
	l[1].name = "a";
	expect_new_fails(&cfg, "duplicate listener name");
	l[1].name = "two words";
	expect_new_fails(&cfg, "listener without a valid name");
	l[1].name = "b";
	l[1].max_sessions = 0;
	expect_new_fails(&cfg, "listener max_sessions must be above 0");
	l[1].max_sessions = 1;
	l[1].busy_reply = "";
	expect_new_fails(&cfg, "listener without a busy reply");
	l[1].busy_reply = BUSY;
	l[1].address = NULL;
	expect_new_fails(&cfg, "listener without an address");
	l[1].address = "127.0.0.1";
	ch.user = NULL;
	expect_new_fails(&cfg, "child needs a name, a run function and a user");
	ch.user = "nobody";
	ch.run = NULL;
	expect_new_fails(&cfg, "child needs a name, a run function and a user");
	ch.run = noop_child;
	memset(longpath, 'p', sizeof(longpath));
	longpath[sizeof(longpath) - 1] = '\0';
	cfg.control_path = longpath;
	expect_new_fails(&cfg, "control socket path empty or too long");
	cfg.control_path = "";
	expect_new_fails(&cfg, "control socket path empty or too long");
}

Test(server_api, listen_binds_and_reports_ports, .timeout = 10)
{
	struct server_listener_cfg l[2] = { listener("v4", "127.0.0.1", 0),
	    listener("any", "0.0.0.0", 0) };
	struct server_cfg cfg = { .listeners = l, .n_listeners = 2,
	    .session = noop_session, .session_user = "nobody" };
	const char *err = NULL;
	struct server *s = server_new(&cfg, &err);

	cr_assert_not_null(s);
	cr_assert_eq(server_port(s, "v4"), 0, "not bound yet");
	cr_assert_eq(server_listen(s, &err), 0, "%s", err);
	cr_assert_gt(server_port(s, "v4"), 0);
	cr_assert_gt(server_port(s, "any"), 0);
	cr_assert_neq(server_port(s, "v4"), server_port(s, "any"));
	cr_assert_eq(server_port(s, "nope"), 0);
	cr_assert_eq(server_listen(s, &err), -1);
	cr_assert_str_eq(err, "server_listen called twice");
	server_free(&s);
}

Test(server_api, listen_fails_on_bad_address_and_busy_port, .timeout = 10)
{
	struct server_listener_cfg l = listener("x", "localhost", 0);
	struct server_cfg cfg = { .listeners = &l, .n_listeners = 1,
	    .session = noop_session, .session_user = "nobody" };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	const char *err = NULL;
	struct server *s;
	int fd;

	s = server_new(&cfg, &err);
	cr_assert_eq(server_listen(s, &err), -1);
	cr_assert_not_null(strstr(err, "not a numeric IPv4/IPv6 address"), "%s",
	    err);
	server_free(&s);

	/* A port someone else listens on. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	l = listener("x", "127.0.0.1", ntohs(sin.sin_port));
	s = server_new(&cfg, &err);
	cr_assert_eq(server_listen(s, &err), -1);
	cr_assert_not_null(strstr(err, "bind"), "%s", err);
	cr_assert_eq(server_port(s, "x"), 0);
	server_free(&s);
	close(fd);
}

Test(server_api, control_socket_stale_live_and_foreign_files, .timeout = 10)
{
	char dir[] = "/tmp/tessera-ctl.XXXXXX", path[128];
	struct server_cfg cfg = { .session_user = "nobody", .control_path = path };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct server *s, *s2;
	const char *err = NULL;
	struct stat st;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl", dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.100s", path);

	/* A stale socket (nobody listening) is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	s = server_new(&cfg, &err);
	cr_assert_eq(server_listen(s, &err), 0, "%s", err);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600);

	/* A live one is not taken over. */
	s2 = server_new(&cfg, &err);
	cr_assert_eq(server_listen(s2, &err), -1);
	cr_assert_not_null(strstr(err, "another process is listening"), "%s",
	    err);
	server_free(&s2);
	cr_assert_eq(access(path, F_OK), 0, "the live socket must stay");

	/* Freeing the owner removes it. */
	server_free(&s);
	cr_assert_eq(access(path, F_OK), -1);

	/* Something that is not a socket is left alone. */
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	cr_assert_neq(fd, -1);
	close(fd);
	s = server_new(&cfg, &err);
	cr_assert_eq(server_listen(s, &err), -1);
	cr_assert_not_null(strstr(err, "exists and is not a socket"), "%s", err);
	server_free(&s);
	cr_assert_eq(access(path, F_OK), 0);
	unlink(path);
	rmdir(dir);
}

Test(server_api, control_add_checks_names)
{
	struct server_cfg cfg = { .session_user = "nobody" };
	const char *err = NULL;
	struct server *s = server_new(&cfg, &err);

	cr_assert_eq(server_control_add(s, "flush", noop_control, NULL, &err), 0);
	cr_assert_eq(server_control_add(s, "flush", noop_control, NULL, &err),
	    -1);
	cr_assert_str_eq(err, "control command name taken");
	cr_assert_eq(server_control_add(s, "status", noop_control, NULL, &err),
	    -1);
	cr_assert_eq(server_control_add(s, "queue flush", noop_control, NULL,
	    &err), -1);
	cr_assert_eq(server_control_add(s, "", noop_control, NULL, &err), -1);
	cr_assert_eq(server_control_add(s, "x", NULL, NULL, &err), -1);
	server_free(&s);
}

Test(server_api, run_before_listen_fails)
{
	struct server_cfg cfg = { .session_user = "nobody" };
	const char *err = NULL;
	struct server *s = server_new(&cfg, &err);

	cr_assert_eq(server_run(s), -1);
	server_free(&s);
}

Test(server_api, json_str_escapes_and_respects_ceiling)
{
	struct buf *b = buf_new(8, 16);

	cr_assert_eq(server_json_str(b, "a\"\\\n"), 0);
	cr_assert_str_eq(buf_cstr(b), "\"a\\\"\\\\\\u000a\"");
	cr_assert_eq(server_json_str(b, "toolong"), -1);
	cr_assert_str_eq(buf_cstr(b), "\"a\\\"\\\\\\u000a\"", "unchanged");
	buf_free(&b);
}
