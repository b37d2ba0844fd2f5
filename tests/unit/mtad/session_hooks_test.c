/*
 * tests/unit/mtad/session_hooks_test.c - the session's hook points: a
 * session process (mtad_session on one end of a socketpair, forked) with
 * hooks that refuse at connect, HELO and MAIL, and a hook that lets
 * everything through, checked by the replies the client end reads.
 * No directory is reachable here, so RCPT answers 451 4.4.3.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "lib/saslsrv.h"
#include "lib/server.h"
#include "lib/settings.h"
#include "directory/dir_proto.h"
#include "mtad/mtad.h"
#include "lib/banned.h"

static enum mtad_hook_result
hook_connect(void *ctx, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r)
{
	(void)ctx;
	if (strcmp(hi->client_addr, "192.0.2.66") != 0)
		return MTAD_HOOK_CONTINUE;
	r->code = 554;
	r->enh = "5.7.1";
	r->text = "No thanks";
	return MTAD_HOOK_REPLY;
}

static enum mtad_hook_result
hook_helo(void *ctx, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r)
{
	(void)ctx;
	if (strcmp(hi->helo, "bad.example") != 0)
		return MTAD_HOOK_CONTINUE;
	r->code = 550;
	r->enh = "5.7.1";
	r->text = "Bad HELO";
	return MTAD_HOOK_REPLY;
}

static enum mtad_hook_result
hook_mail(void *ctx, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r)
{
	(void)ctx;
	if (strcmp(hi->sender, "spam@example.org") != 0 ||
	    strcmp(hi->helo, "good.example") != 0 ||
	    strcmp(hi->session_id, "TESTSESSION") != 0)
		return MTAD_HOOK_CONTINUE;
	r->code = 450;
	r->enh = "4.7.1";
	r->text = "Sender greylisted";
	return MTAD_HOOK_REPLY;
}

static char *state_dir;
static struct cfg *conf;

static void
setup(void)
{
	static struct cfg_section_def defs[3];
	struct buf *err = buf_new(256, 4096);
	const char *e;
	char tmpl[] = "/tmp/mtad-hooks.XXXXXX";

	log_init("test", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	/* a session that refuses the greeting may close before the test
	 * writes its commands: that write fails (EPIPE), not the test */
	signal(SIGPIPE, SIG_IGN);
	cr_assert_not_null(mkdtemp(tmpl));
	state_dir = strdup(tmpl);
	defs[0] = mtad_config_def;
	defs[1] = mtad_listener_def();
	defs[2] = settings_sasl_def;	/* AUTH reads [sasl] */
	conf = cfg_new(defs, 3);
	cr_assert_eq(cfg_load_string(conf, "t", "[mtad.listener.smtp]\n"
	    "port = 25\n", err), 0, "%s", buf_cstr(err));
	buf_free(&err);
	cr_assert_eq(saslsrv_init("mtad-test", NULL, 0, &e), 0, "%s", e);
}

static void
teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", state_dir);
	cr_expect_eq(system(cmd), 0);
	free(state_dir);
	cfg_free(&conf);
	/* no saslsrv_done(): Cyrus leaks part of a plugin it unloads */
}

TestSuite(session_hooks, .init = setup, .fini = teardown, .timeout = 30);

/* Run a session for client address addr; send each of cmds (NULL-
 * terminated) and return everything read until the session ends. */
static char *
converse(const char *addr, const char *const *cmds)
{
	struct mtad m;
	struct server_conn conn = { .listener = "smtp" };
	struct buf *out = buf_new(1024, 65536);
	int sv[2];
	pid_t pid;
	int st;
	char b[4096];
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.cfg = conf;
	m.mc = cfg_get(conf, "mtad");
	m.hostname = "mx.test";
	m.state_dir = state_dir;
	m.qlim.line_max = QUEUE_LINE_MAX_DEFAULT;
	m.qlim.rcpt_max = QUEUE_RCPT_MAX_DEFAULT;
	m.dcs.socket_path = "/nonexistent/lookup.sock";
	m.dcs.timeout_ms = 1000;
	dir_proto_limits_default(&m.dcs.limits);
	smtp_limits_default(&m.lim);
	m.hooks.connect = hook_connect;
	m.hooks.helo = hook_helo;
	m.hooks.mail = hook_mail;
	snprintf(conn.client_addr, sizeof(conn.client_addr), "%s", addr);
	snprintf(conn.local_addr, sizeof(conn.local_addr), "192.0.2.1");
	snprintf(conn.session_id, sizeof(conn.session_id), "TESTSESSION");
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		close(sv[0]);
		mtad_session(sv[1], &conn, &m);
		_exit(0);
	}
	close(sv[1]);
	for (size_t i = 0; cmds[i] != NULL; i++) {
		size_t len = strlen(cmds[i]);

		if (write(sv[0], cmds[i], len) != (ssize_t)len)
			break;
	}
	shutdown(sv[0], SHUT_WR);
	while ((n = read(sv[0], b, sizeof(b))) > 0)
		buf_append(out, b, (size_t)n);
	close(sv[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	{
		char *s = strdup(buf_cstr(out));

		buf_free(&out);
		return s;
	}
}

Test(session_hooks, connect_hook_refuses_the_greeting)
{
	char *o = converse("192.0.2.66", (const char *const[]){
	    "EHLO good.example\r\n", NULL });

	cr_assert_str_eq(o, "554 5.7.1 No thanks\r\n");
	free(o);
}

Test(session_hooks, helo_and_mail_hooks_decide_replies)
{
	char *o = converse("192.0.2.7", (const char *const[]){
	    "HELO bad.example\r\n", "MAIL FROM:<a@example.org>\r\n",
	    "EHLO good.example\r\n", "MAIL FROM:<spam@example.org>\r\n",
	    "MAIL FROM:<ok@example.org>\r\n",
	    "RCPT TO:<x@example.test>\r\n", "QUIT\r\n", NULL });

	cr_assert_not_null(strstr(o, "220 mx.test ESMTP Tessera\r\n"
	    "550 5.7.1 Bad HELO\r\n503 5.5.1 Send HELO or EHLO first\r\n"
	    "250-mx.test\r\n"), "%s", o);
	cr_assert_not_null(strstr(o, "250 DSN\r\n450 4.7.1 Sender greylisted"
	    "\r\n250 2.1.0 Ok\r\n451 4.4.3 <x@example.test>: Directory"
	    " unavailable, try again later\r\n221 2.0.0"), "%s", o);
	free(o);
}
