/*
 * tests/unit/lib/daemon_test.c - lib/daemon: detaching (the parent exits
 * 0, the child leads a new session with stdio on /dev/null), TLS
 * credentials from [tls] (none, a real certificate, a missing file is
 * fatal), the primary group of a user.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/daemon.h"
#include "lib/pool.h"
#include "lib/settings.h"
#include "lib/tls.h"
#include "tests/unit/lib/testcert.h"
#include "lib/banned.h"

Test(daemon, user_group)
{
	struct pool *p = pool_new("test");

	cr_assert_str_eq(daemon_user_group("root", p), "root");
	cr_assert_null(daemon_user_group("no-such-user-tessera", p));
	pool_free(&p);
}

static struct cfg *
load(const char *text)
{
	static struct cfg_section_def defs[2];
	struct buf *err = buf_new(256, 4096);
	struct cfg *c;

	defs[0] = settings_global_def;
	defs[1] = settings_tls_def;
	c = cfg_new(defs, 2);
	cr_assert_eq(cfg_load_string(c, "t.conf", text, err), 0, "%s",
	    buf_cstr(err));
	buf_free(&err);
	return c;
}

Test(daemon, tls_server_from_settings)
{
	struct testcert tc;
	const char *err = NULL;
	struct cfg *c = load("[global]\n");
	struct tls_server *ts;
	char text[2 * PATH_MAX + 64];

	cr_assert_null(daemon_tls_server(c));
	cfg_free(&c);
	cr_assert_eq(testcert_make(&tc, &err), 0, "%s", err);
	snprintf(text, sizeof(text), "[tls]\ncertificate = %s\nkey = %s\n",
	    tc.server_cert, tc.server_key);
	c = load(text);
	ts = daemon_tls_server(c);
	cr_assert_not_null(ts);
	tls_server_free(&ts);
	cfg_free(&c);
	testcert_remove(&tc);
}

/* A certificate that cannot be read stops the start (log_fatal exits;
 * the configuration stays reachable, as in a daemon that exits). */
static struct cfg *volatile fatal_cfg;

Test(daemon, unreadable_certificate_is_fatal, .exit_code = 1)
{
	fatal_cfg = load("[tls]\ncertificate = /nonexistent/c.pem\n"
	    "key = /nonexistent/k.pem\n");
	(void)daemon_tls_server(fatal_cfg);
}

Test(daemon, detach)
{
	char path[] = "/tmp/daemon_test.XXXXXX";
	int fd = mkstemp(path);
	pid_t pid;
	int st;
	FILE *f;
	long sid = 0, self = -1;
	char null_ok[8] = "";

	cr_assert_neq(fd, -1);
	close(fd);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct stat a, b;

		daemon_detach();
		/* the detached child: new session, stdin is /dev/null */
		f = fopen(path, "w");
		if (f == NULL)
			_exit(2);
		fprintf(f, "%ld %ld %s\n", (long)getsid(0), (long)getpid(),
		    fstat(0, &a) == 0 && stat("/dev/null", &b) == 0 &&
		    a.st_rdev == b.st_rdev ? "null" : "other");
		fclose(f);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int i = 0; i < 200; i++) {
		f = fopen(path, "r");
		if (f != NULL && fscanf(f, "%ld %ld %7s", &sid, &self,
		    null_ok) == 3) {
			fclose(f);
			break;
		}
		if (f != NULL)
			fclose(f);
		usleep(10000);
	}
	unlink(path);
	cr_assert_eq(sid, self, "the child leads its own session");
	cr_assert_neq(self, (long)pid, "the parent returned, a child went on");
	cr_assert_str_eq(null_ok, "null");
}
