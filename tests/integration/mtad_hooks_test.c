/*
 * tests/integration/mtad_hooks_test.c - the session's hooks at RCPT, end
 * of headers and end of message, which need a directory behind the
 * session: a real slapd and tessera-lookupd, and mtad_session (libtmtad)
 * forked on one end of a socketpair with hooks compiled into the test.
 * (Connect, HELO and MAIL hooks: tests/unit/mtad/session_hooks_test.c.)
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/settings.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/saslsrv.h"
#include "lib/server.h"
#include "directory/dir_proto.h"
#include "mtad/mtad.h"
#include "tests/integration/itest.h"
#include "lib/banned.h"

const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

static enum mtad_hook_result
hook_rcpt(void *ctx, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r)
{
	(void)ctx;
	if (strcmp(hi->rcpt, "bob@example.test") != 0)
		return MTAD_HOOK_CONTINUE;
	r->code = 550;
	r->enh = "5.7.1";
	r->text = "Recipient blocked by policy";
	return MTAD_HOOK_REPLY;
}

static enum mtad_hook_result
hook_eoh(void *ctx, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r)
{
	(void)ctx;
	if (hi->headers == NULL || hi->queue_id == NULL ||
	    strstr((const char *)hi->headers->data, "X-Spam: yes\r\n") == NULL)
		return MTAD_HOOK_CONTINUE;
	r->code = 550;
	r->enh = "5.7.1";
	r->text = "Spam refused";
	return MTAD_HOOK_REPLY;
}

static enum mtad_hook_result
hook_eom(void *ctx, const struct mtad_hook_info *hi,
    struct mtad_hook_reply *r)
{
	(void)ctx;
	if (hi->nrcpts != 1 || strcmp(hi->rcpts[0], "alice@example.test") != 0
	    || hi->queue_id == NULL || hi->queue_id[0] == '\0') {
		r->code = 451;
		r->enh = "4.3.0";
		r->text = "hook saw a wrong envelope";
		return MTAD_HOOK_REPLY;
	}
	if (hi->size <= 200)
		return MTAD_HOOK_CONTINUE;
	r->code = 552;
	r->enh = "5.3.4";
	r->text = "Too big for policy";
	return MTAD_HOOK_REPLY;
}

TestSuite(mtad_hooks, .timeout = 60);

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* Run a session against the lookup socket sock; send everything in cmds
 * at once and return all the session wrote until it ended. */
static char *
converse(const char *sock, const char *state_dir, const char *cmds)
{
	static struct cfg_section_def defs[3];
	struct cfg *conf;
	struct buf *err = buf_new(256, 4096);
	struct mtad m;
	struct server_conn conn = { .listener = "smtp" };
	struct buf *out = buf_new(1024, 65536);
	int sv[2], st;
	pid_t pid;
	char b[4096];
	ssize_t n;
	const char *e;

	defs[0] = mtad_config_def;
	defs[1] = mtad_listener_def();
	defs[2] = settings_sasl_def;	/* AUTH reads [sasl] */
	conf = cfg_new(defs, 3);
	cr_assert_eq(cfg_load_string(conf, "t", "[mtad.listener.smtp]\n"
	    "port = 25\n", err), 0, "%s", buf_cstr(err));
	buf_free(&err);
	cr_assert_eq(saslsrv_init("mtad-test", NULL, 0, &e), 0, "%s", e);
	memset(&m, 0, sizeof(m));
	m.cfg = conf;
	m.mc = cfg_get(conf, "mtad");
	m.hostname = "mx.test";
	m.state_dir = state_dir;
	m.qlim.line_max = QUEUE_LINE_MAX_DEFAULT;
	m.qlim.rcpt_max = QUEUE_RCPT_MAX_DEFAULT;
	m.dcs.socket_path = sock;
	m.dcs.timeout_ms = 10000;
	dir_proto_limits_default(&m.dcs.limits);
	smtp_limits_default(&m.lim);
	m.hooks.rcpt = hook_rcpt;
	m.hooks.eoh = hook_eoh;
	m.hooks.eom = hook_eom;
	snprintf(conn.client_addr, sizeof(conn.client_addr), "192.0.2.7");
	snprintf(conn.local_addr, sizeof(conn.local_addr), "192.0.2.1");
	snprintf(conn.session_id, sizeof(conn.session_id), "HOOKS");
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		close(sv[0]);
		mtad_session(sv[1], &conn, &m);
		_exit(0);
	}
	close(sv[1]);
	cr_assert_eq(write(sv[0], cmds, strlen(cmds)), (ssize_t)strlen(cmds));
	shutdown(sv[0], SHUT_WR);
	while ((n = read(sv[0], b, sizeof(b))) > 0)
		buf_append(out, b, (size_t)n);
	close(sv[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cfg_free(&conf);
	{
		char *s = strdup(buf_cstr(out));

		buf_free(&out);
		return s;
	}
}

/* Whether a connection to the unix socket path is taken (it is closed
 * at once). */
static bool
unix_listens(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	cr_assert_geq(fd, 0);
	cr_assert_lt(strlen(path), sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

Test(mtad_hooks, rcpt_eoh_and_eom_hooks_decide)
{
	char *dir = itest_tmpdir("mtad-hooks");
	char *ldif = itest_srcpath("schema/samples/example.test.ldif");
	struct itest_slapd *s;
	struct itest_proc *lk;
	char *conf = NULL, *text = NULL, *sock = NULL, *log = NULL, *bin = NULL;
	const char *b = getenv("TESSERA_BUILDDIR");
	char big[400];
	char *o;

	cr_assert_not_null(dir);
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		cr_assert_not_null(pw);
		cr_assert_eq(chown(dir, pw->pw_uid, pw->pw_gid), 0);
	}
	s = itest_slapd_start(dir, ldif);
	cr_assert_not_null(s);
	cr_assert_geq(asprintf(&conf, "%s/tessera.conf", dir), 0);
	cr_assert_geq(asprintf(&sock, "%s/lookup.sock", dir), 0);
	cr_assert_geq(asprintf(&log, "%s/lookupd.log", dir), 0);
	cr_assert_geq(asprintf(&text, "[global]\nrun_dir = %s\n"
	    "directory_user = nobody\n[directory]\nuris = %s\n"
	    "base_dn = dc=example,dc=test\nstarttls = no\n[lookup]\n"
	    "socket = %s\n", dir, s->uri, sock), 0);
	write_file(conf, text);
	cr_assert_geq(asprintf(&bin, "%s/tessera-lookupd", b ? b : "."), 0);
	{
		char *argv[] = { bin, "-c", conf, "-f", NULL };

		lk = itest_start(argv, NULL, log);
	}
	cr_assert_not_null(lk);
	/* the socket file exists from bind(), connections are taken from
	 * listen() on (a refused one would make the session's lookups
	 * TEMPFAIL) */
	for (int i = 0; i < 200 && !unix_listens(sock); i++)
		usleep(50 * 1000);
	ITEST_ASSERT(unix_listens(sock), lk, "nothing listens on %s", sock);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		char *cmds = NULL;

		cr_assert_geq(asprintf(&cmds, "EHLO c.example\r\n"
		    "MAIL FROM:<a@example.org>\r\n"
		    "RCPT TO:<bob@example.test>\r\n"
		    "RCPT TO:<alice@example.test>\r\nDATA\r\n"
		    "Subject: fine\r\n\r\nok\r\n.\r\n"
		    "MAIL FROM:<a@example.org>\r\n"
		    "RCPT TO:<alice@example.test>\r\nDATA\r\n"
		    "X-Spam: yes\r\nSubject: spam\r\n\r\nbuy\r\n.\r\n"
		    "MAIL FROM:<a@example.org>\r\n"
		    "RCPT TO:<alice@example.test>\r\nDATA\r\n"
		    "Subject: big\r\n\r\n%s\r\n.\r\nQUIT\r\n", big), 0);
		o = converse(sock, dir, cmds);
		free(cmds);
	}
	ITEST_ASSERT(strstr(o, "250 2.1.0 Ok\r\n550 5.7.1 Recipient blocked by"
	    " policy\r\n250 2.1.5 Ok\r\n354 End data") != NULL, lk, "%s", o);
	ITEST_ASSERT(strstr(o, "250 2.0.0 Ok: queued as ") != NULL, lk, "%s",
	    o);
	ITEST_ASSERT(strstr(o, "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "550 5.7.1 Spam refused\r\n") != NULL, lk, "%s", o);
	ITEST_ASSERT(strstr(o, "552 5.3.4 Too big for policy\r\n221") != NULL,
	    lk, "%s", o);
	free(o);
	itest_stop(&lk, 5000);
	itest_slapd_stop(&s);
	itest_cleanup_dir(&dir);
	free(conf);
	free(text);
	free(sock);
	free(log);
	free(bin);
	free(ldif);
}
