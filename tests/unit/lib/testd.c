/*
 * tests/unit/lib/testd.c - a tiny daemon on the lib/server skeleton, run
 * by server_test.c.
 *
 * Master as whoever starts it (root in CI); sessions and the "worker"
 * child drop to -u USER. Session input comes from the test over loopback
 * and is line-capped. Flags:
 *   -l NAME,ADDRESS,PORT,MAX_SESSIONS,MAX_PER_CLIENT[,tls]   (repeatable)
 *   -g GRACE_MS  -c CONTROL_PATH  -w (start the worker)  -u USER
 *   -r RESTART_MIN_MS  -R RESTART_RESET_MS
 *   -f CONFIG   listeners from [testd.listener.NAME] sections of an INI
 *               file, logging from its [global] (lib/settings.h)
 * Once bound it prints "listening NAME ADDRESS PORT" per listener and
 * then "ready" on stdout. Session commands: QUIT, SLEEP n, WHOAMI, CONN;
 * anything else is echoed. The control socket also knows "ping ARGS".
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/server.h"
#include "lib/settings.h"
#include "lib/cfg.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define TESTD_LISTENERS_MAX 4
#define TESTD_LINE_MAX 1024
#define TESTD_IDLE_MS 30000

static void
usage(void)
{
	fprintf(stderr, "usage: testd -l NAME,ADDR,PORT,MAX,MAX_PER_CLIENT[,tls]"
	    " [-g grace_ms] [-c control] [-w] [-u user] [-r restart_ms]"
	    " [-R reset_ms]\n");
	exit(2);
}

static unsigned
num(const char *s, size_t len, uint64_t max)
{
	uint64_t v;

	if (parse_u64(s, len, max, &v) == -1)
		usage();
	return (unsigned)v;
}

/* NAME,ADDR,PORT,MAX,MAX_PER_CLIENT[,tls]; fields point into spec. */
static void
parse_listener(char *spec, struct server_listener_cfg *l)
{
	char *f[6];
	size_t n = 0;
	char *p = spec;

	while (n < 6) {
		f[n++] = p;
		p = strchr(p, ',');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	if (n < 5 || p != NULL)
		usage();
	l->name = f[0];
	l->address = f[1];
	l->port = (uint16_t)num(f[2], strlen(f[2]), 65535);
	l->max_sessions = num(f[3], strlen(f[3]), 100000);
	l->max_per_client = num(f[4], strlen(f[4]), 100000);
	l->implicit_tls = n == 6 && strcmp(f[5], "tls") == 0;
	l->busy_reply = "421 4.3.2 Too many connections, try later\r\n";
}

static void
say(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t n = write(fd, s + off, len - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);
		off += (size_t)n;
	}
}

/* One line without its CRLF into line[TESTD_LINE_MAX]; 1, or 0 at EOF,
 * idle timeout or an over-long line. */
static int
read_line(int fd, struct buf *in, char *line)
{
	for (;;) {
		char *nl = memchr(in->data, '\n', in->len);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char tmp[512];
		ssize_t n;

		if (nl != NULL) {
			size_t len = (size_t)(nl - (char *)in->data);

			memcpy(line, in->data, len);
			line[len] = '\0';
			if (len > 0 && line[len - 1] == '\r')
				line[len - 1] = '\0';
			buf_consume(in, len + 1);
			return 1;
		}
		if (poll(&pfd, 1, TESTD_IDLE_MS) <= 0)
			return 0;
		n = read(fd, tmp, sizeof(tmp));
		if (n <= 0 || buf_append(in, tmp, (size_t)n) == -1)
			return 0;
	}
}

static void
session(int fd, const struct server_conn *conn, void *ctx)
{
	struct buf *in = buf_new(256, TESTD_LINE_MAX - 1);
	char line[TESTD_LINE_MAX], reply[TESTD_LINE_MAX + 64];

	(void)ctx;
	log_info("connect client=%s port=%s", conn->client_addr,
	    conn->client_port);
	say(fd, "220 testd ready\r\n");
	while (read_line(fd, in, line) == 1) {
		if (strcmp(line, "QUIT") == 0) {
			say(fd, "221 bye\r\n");
			break;
		} else if (strncmp(line, "SLEEP ", 6) == 0) {
			uint64_t secs;

			if (parse_u64(line + 6, strlen(line + 6), 3600,
			    &secs) == -1) {
				say(fd, "501 bad number\r\n");
				continue;
			}
			sleep((unsigned)secs);
			say(fd, "250 slept\r\n");
		} else if (strcmp(line, "WHOAMI") == 0) {
			(void)str_printf(reply, sizeof(reply), "250 uid=%ld\r\n",
			    (long)getuid());
			say(fd, reply);
		} else if (strcmp(line, "CONN") == 0) {
			(void)str_printf(reply, sizeof(reply),
			    "250 listener=%s tls=%d client=%s,%s local=%s,%s "
			    "id=%s\r\n", conn->listener, conn->implicit_tls,
			    conn->client_addr, conn->client_port,
			    conn->local_addr, conn->local_port,
			    conn->session_id);
			say(fd, reply);
		} else {
			(void)str_printf(reply, sizeof(reply), "%s\r\n", line);
			say(fd, reply);
		}
	}
	buf_free(&in);
}

static void
worker(void *ctx)
{
	(void)ctx;
	for (;;)
		pause();
}

static int
control_ping(const char *args, struct buf *reply, void *ctx)
{
	(void)ctx;
	if (strcmp(args, "fail") == 0)
		return -1;
	if (buf_append_str(reply, "{\"pong\":") == -1 ||
	    server_json_str(reply, args) == -1 ||
	    buf_append_byte(reply, '}') == -1)
		return -1;
	return 0;
}

/* Only now may the test send signals: the handlers are in place. */
static void
ready(struct server *s, void *ctx)
{
	const struct server_cfg *cfg = ctx;

	for (size_t i = 0; i < cfg->n_listeners; i++)
		printf("listening %s %s %u\n", cfg->listeners[i].name,
		    cfg->listeners[i].address,
		    server_port(s, cfg->listeners[i].name));
	printf("ready\n");
	fflush(stdout);
}

/* Load CONFIG with the shared sections; errors are fatal with file:line. */
static struct cfg *
load_config(const char *path)
{
	/* cfg keeps pointing at its definitions: they must outlive it */
	static struct cfg_section_def defs[3];
	struct cfg *c;

	defs[0] = settings_global_def;
	defs[1] = settings_tls_def;
	defs[2] = settings_listener_def("testd.listener");
	c = cfg_new(defs, 3);
	struct buf *err = buf_new(256, 8192);

	if (cfg_load_file(c, path, err) == -1)
		log_fatal("%s", buf_cstr(err));
	buf_free(&err);
	settings_apply_logging(c, "testd");
	return c;
}

int
main(int argc, char **argv)
{
	struct server_listener_cfg listeners[TESTD_LISTENERS_MAX];
	struct server_child_cfg child = { .name = "worker", .run = worker };
	struct server_cfg cfg = { .listeners = listeners, .session = session,
	    .session_user = "nobody", .grace_ms = 1000, .log_ident = "testd" };
	struct server *s;
	struct cfg *conf = NULL;
	struct server_listener_cfg *conf_listeners = NULL;
	const char *err;
	int opt, rc;

	memset(listeners, 0, sizeof(listeners));
	log_init("testd", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	while ((opt = getopt(argc, argv, "l:g:c:wu:r:R:f:")) != -1) {
		switch (opt) {
		case 'l':
			if (cfg.n_listeners == TESTD_LISTENERS_MAX)
				usage();
			parse_listener(optarg, &listeners[cfg.n_listeners++]);
			break;
		case 'g':
			cfg.grace_ms = num(optarg, strlen(optarg), 600000);
			break;
		case 'c':
			cfg.control_path = optarg;
			break;
		case 'w':
			cfg.children = &child;
			cfg.n_children = 1;
			break;
		case 'u':
			cfg.session_user = optarg;
			break;
		case 'r':
			cfg.restart_min_ms = num(optarg, strlen(optarg), 60000);
			break;
		case 'R':
			cfg.restart_reset_ms = num(optarg, strlen(optarg),
			    600000);
			break;
		case 'f':
			conf = load_config(optarg);
			cfg.n_listeners = settings_listeners(conf,
			    "testd.listener", "421 busy\r\n", &conf_listeners);
			cfg.listeners = conf_listeners;
			break;
		default:
			usage();
		}
	}
	child.user = cfg.session_user;
	cfg.on_ready = ready;
	cfg.ready_ctx = &cfg;
	s = server_new(&cfg, &err);
	if (s == NULL)
		log_fatal("config: %s", err);
	if (server_control_add(s, "ping", control_ping, NULL, &err) == -1 ||
	    server_listen(s, &err) == -1) {
		server_free(&s);
		log_fatal("%s", err);
	}
	rc = server_run(s);
	server_free(&s);
	settings_listeners_free(&conf_listeners, cfg.n_listeners);
	cfg_free(&conf);
	return rc == 0 ? 0 : 1;
}
