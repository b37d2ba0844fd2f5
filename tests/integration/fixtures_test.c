/*
 * tests/integration/fixtures_test.c - the test fixtures and the itest
 * helpers do what later suites rely on: a real slapd with TLS, ldapi and
 * loaded data that stops and restarts on request, commands with captured
 * output and exit codes, child processes started and stopped, ports, temp
 * directories, and the demo script.
 *
 * Runs real programs (slapd, ldapsearch, python3) on 127.0.0.1 with
 * kernel-chosen ports, in temporary directories it removes.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "lib/cfg.h"
#include "lib/pool.h"
#include "lib/settings.h"
#include "lib/xalloc.h"
#include "directory/dir.h"
#include "directory/dir_config.h"
#include "tests/integration/itest.h"
#include "lib/banned.h"

/* Criterion's runner leaks a small block of its own when it runs tests
 * in parallel; keep LeakSanitizer on for everything else. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

#define CMD_TIMEOUT_MS 30000

/* What a test started, so .fini cleans up even after a failed assertion.
 * This is the test program's own state (one test per process). */
static struct {
	char *tmp;
	struct itest_slapd *slapd;
	struct itest_proc *proc;
	struct buf *out;
	int listen_fd;
} fx = { .listen_fd = -1 };

static void
fx_init(void)
{
	fx.tmp = itest_tmpdir("fixtures");
	cr_assert_not_null(fx.tmp, "no temporary directory");
	fx.out = buf_new(4096, ITEST_OUTPUT_MAX);
	fx.listen_fd = -1;
}

static void
fx_fini(void)
{
	itest_stop(&fx.proc, 2000);
	itest_slapd_stop(&fx.slapd);
	itest_cleanup_dir(&fx.tmp);
	buf_free(&fx.out);
	if (fx.listen_fd != -1)
		close(fx.listen_fd);
}

/* tmp/name; caller frees. */
static char *
tmp_path(const char *name)
{
	struct buf *b = buf_new(256, 4096);
	char *p;

	cr_assert_eq(buf_printf(b, "%s/%s", fx.tmp, name), 0);
	p = buf_steal(b, NULL);
	buf_free(&b);
	return p;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "cannot write %s", path);
	cr_assert_eq(fputs(text, f) >= 0, true);
	cr_assert_eq(fclose(f), 0);
}

static bool
out_has(const char *needle)
{
	return strstr(buf_cstr(fx.out), needle) != NULL;
}

/* base without the variable named in extra, then extra; the strings are
 * not copied. Free the array only. */
static char **
env_plus(char *const *base, char *extra)
{
	size_t n = 0, k = 0, nlen = strcspn(extra, "=");
	char **env;

	while (base[n] != NULL)
		n++;
	env = xcalloc(n + 2, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (strncmp(base[i], extra, nlen) != 0 || base[i][nlen] != '=')
			env[k++] = base[i];
	env[k] = extra;
	return env;
}

/* "LDAPTLS_CACERT=<a CA that signed nothing of ours>"; caller frees. */
static char *
foreign_ca_env(void)
{
	char *other = tmp_path("other-ca");
	char *certs = itest_srcpath("tests/fixtures/certs.sh");
	char *argv[] = { "sh", certs, other, NULL };
	struct buf *b = buf_new(256, 4096);
	char *env;

	buf_reset(fx.out);
	cr_assert_eq(itest_run(argv, NULL, fx.out, CMD_TIMEOUT_MS), 0, "%s",
	    buf_cstr(fx.out));
	cr_assert_eq(buf_printf(b, "LDAPTLS_CACERT=%s/ca.crt", other), 0);
	env = buf_steal(b, NULL);
	buf_free(&b);
	free(certs);
	free(other);
	return env;
}

static void
start_slapd(const char *ldif_files)
{
	char *dir = tmp_path("slapd");

	fx.slapd = itest_slapd_start(dir, ldif_files);
	free(dir);
	cr_assert_not_null(fx.slapd, "slapd did not start");
}

/* Run argv with the slapd's environment; output in fx.out (reset). */
static int
run_ldap(char *const argv[])
{
	buf_reset(fx.out);
	return itest_run(argv, fx.slapd->env, fx.out, CMD_TIMEOUT_MS);
}

static int
search(const char *uri, const char *base, const char *filter)
{
	char *argv[] = { "ldapsearch", "-x", "-LLL", "-H", (char *)uri,
		"-b", (char *)base, (char *)filter, "dn", NULL };

	return run_ldap(argv);
}

static const char alice_ldif[] =
    "dn: uid=alice,ou=people,dc=example,dc=test\n"
    "objectClass: inetOrgPerson\n"
    "objectClass: posixAccount\n"
    "uid: alice\n"
    "cn: Alice Liddell\n"
    "sn: Liddell\n"
    "mail: alice@example.test\n"
    "uidNumber: 20001\n"
    "gidNumber: 20000\n"
    "homeDirectory: /home/alice\n"
    "userPassword: alicepw\n";

static const char bob_ldif[] =
    "dn: uid=bob,ou=people,dc=example,dc=test\n"
    "objectClass: inetOrgPerson\n"
    "uid: bob\n"
    "cn: Bob\n"
    "sn: Builder\n"
    "userPassword: bobpw\n";

/* ldapadd file as the admin over StartTLS; asserts success. */
static void
admin_add(const char *file)
{
	char *argv[] = { "ldapadd", "-x", "-ZZ", "-H", fx.slapd->uri,
		"-D", fx.slapd->binddn, "-w", fx.slapd->bindpw,
		"-f", (char *)file, NULL };
	int rc = run_ldap(argv);

	ITEST_ASSERT_LOG(rc == 0, fx.slapd->log, "ldapadd: %d %s", rc,
	    buf_cstr(fx.out));
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the file at path contains needle; its text then in fx.out. */
static bool
wait_file_has(const char *path, const char *needle, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;

	do {
		char chunk[4096];
		ssize_t n;
		int fd = open(path, O_RDONLY);

		buf_reset(fx.out);
		if (fd != -1) {
			while ((n = read(fd, chunk, sizeof(chunk))) > 0)
				buf_append(fx.out, chunk, (size_t)n);
			close(fd);
		}
		if (out_has(needle))
			return true;
		usleep(50000);
	} while (mono_ms() < deadline);
	return false;
}

/* Whether a server could bind 127.0.0.1:port now (servers set
 * SO_REUSEADDR, so connections in TIME_WAIT do not count). */
static bool
port_bindable(uint16_t port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc, one = 1;

	cr_assert_neq(fd, -1);
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return rc == 0;
}

/* A listening socket on 127.0.0.1 (kept in fx.listen_fd); its port. */
static uint16_t
listen_somewhere(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	fx.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_neq(fx.listen_fd, -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fx.listen_fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	cr_assert_eq(listen(fx.listen_fd, 4), 0);
	cr_assert_eq(getsockname(fx.listen_fd, (struct sockaddr *)&sin, &len),
	    0);
	return ntohs(sin.sin_port);
}

static const char *
python3(void)
{
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" :
	    "python3";
}

TestSuite(slapd, .init = fx_init, .fini = fx_fini, .timeout = 60);
TestSuite(itest, .init = fx_init, .fini = fx_fini, .timeout = 60);
TestSuite(demo, .init = fx_init, .fini = fx_fini, .timeout = 150);

/* ---- slapd.sh through itest_slapd ------------------------------------- */

Test(slapd, starts_and_answers_rootdse, .timeout = 60)
{
	char *argv[] = { "ldapsearch", "-x", "-LLL", "-H", NULL, "-b", "",
		"-s", "base", "namingContexts", NULL };

	start_slapd(NULL);
	cr_assert_str_eq(fx.slapd->basedn, "dc=example,dc=test");
	cr_assert_str_eq(fx.slapd->binddn, "cn=admin,dc=example,dc=test");
	cr_assert_neq(fx.slapd->port, 0);
	cr_assert_neq(fx.slapd->ldaps_port, 0);
	cr_assert_neq(fx.slapd->port, fx.slapd->ldaps_port);
	argv[4] = fx.slapd->uri;
	cr_assert_eq(run_ldap(argv), 0, "%s", buf_cstr(fx.out));
	cr_assert(out_has("namingContexts: dc=example,dc=test"), "%s",
	    buf_cstr(fx.out));
	/* the base entries are there */
	cr_assert_eq(search(fx.slapd->uri, fx.slapd->basedn, "(ou=*)"), 0);
	cr_assert(out_has("dn: ou=people,dc=example,dc=test"));
	cr_assert(out_has("dn: ou=groups,dc=example,dc=test"));
}

Test(slapd, loads_ldif_files_given_at_start, .timeout = 60)
{
	char *a = tmp_path("alice.ldif"), *b = tmp_path("bob.ldif");
	struct buf *list = buf_new(256, 4096);

	write_file(a, alice_ldif);
	write_file(b, bob_ldif);
	cr_assert_eq(buf_printf(list, "%s:%s", a, b), 0);
	start_slapd(buf_cstr(list));
	cr_assert_eq(search(fx.slapd->uri, fx.slapd->basedn,
	    "(mail=alice@example.test)"), 0);
	cr_assert(out_has("dn: uid=alice,ou=people,dc=example,dc=test"), "%s",
	    buf_cstr(fx.out));
	cr_assert_eq(search(fx.slapd->uri, fx.slapd->basedn, "(uid=bob)"), 0);
	cr_assert(out_has("dn: uid=bob,ou=people,dc=example,dc=test"));
	cr_assert_eq(search(fx.slapd->uri, fx.slapd->basedn, "(uid=carol)"),
	    0);
	cr_assert(!out_has("dn:"), "%s", buf_cstr(fx.out));
	buf_free(&list);
	free(a);
	free(b);
}

Test(slapd, loads_extra_schema_files, .timeout = 60)
{
	/* test-only names under the X.667 example UUID arc */
	static const char schema[] =
	    "attributetype ( 2.25.329800735698586629295641978511506172918.1.1\n"
	    "\tNAME 'itestColour'\n"
	    "\tEQUALITY caseIgnoreMatch\n"
	    "\tSYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )\n"
	    "objectclass ( 2.25.329800735698586629295641978511506172918.2.1\n"
	    "\tNAME 'itestThing' SUP top AUXILIARY MAY itestColour )\n";
	static const char entry[] =
	    "dn: cn=box,ou=groups,dc=example,dc=test\n"
	    "objectClass: device\n"
	    "objectClass: itestThing\n"
	    "cn: box\n"
	    "itestColour: blue\n";
	char *sfile = tmp_path("itest.schema"), *lfile = tmp_path("box.ldif");
	char *plain = tmp_path("plain");

	write_file(sfile, schema);
	write_file(lfile, entry);
	/* without the schema the entry cannot be loaded */
	fx.slapd = itest_slapd_start(plain, lfile);
	cr_assert_null(fx.slapd);
	free(plain);
	cr_assert_eq(setenv("SLAPD_SCHEMA", sfile, 1), 0);
	start_slapd(lfile);
	cr_assert_eq(search(fx.slapd->uri, fx.slapd->basedn,
	    "(itestColour=BLUE)"), 0, "%s", buf_cstr(fx.out));
	cr_assert(out_has("dn: cn=box,ou=groups,dc=example,dc=test"));
	free(sfile);
	free(lfile);
}

Test(slapd, refuses_a_missing_ldif_file, .timeout = 60)
{
	char *dir = tmp_path("slapd"), *missing = tmp_path("missing.ldif");

	fx.slapd = itest_slapd_start(dir, missing);
	cr_assert_null(fx.slapd);
	free(dir);
	free(missing);
}

Test(slapd, starttls_checks_the_certificate, .timeout = 60)
{
	char *argv[] = { "ldapsearch", "-x", "-ZZ", "-LLL", "-H", NULL, "-b",
		"", "-s", "base", "namingContexts", NULL };
	char *cacert, **env, local_uri[64];
	int rc;

	start_slapd(NULL);
	argv[5] = fx.slapd->uri;
	rc = run_ldap(argv);
	ITEST_ASSERT_LOG(rc == 0, fx.slapd->log, "StartTLS: %d %s", rc,
	    buf_cstr(fx.out));
	cr_assert(out_has("namingContexts: dc=example,dc=test"));
	/* libldap checks "localhost" against the FQDN; the SAN has both */
	cr_assert_eq(str_printf(local_uri, sizeof(local_uri),
	    "ldap://localhost:%u", (unsigned)fx.slapd->port), 0);
	argv[5] = local_uri;
	rc = run_ldap(argv);
	cr_assert_eq(rc, 0, "StartTLS to %s: %d %s", local_uri, rc,
	    buf_cstr(fx.out));
	cr_assert(out_has("namingContexts: dc=example,dc=test"));

	/* the same with a CA that did not sign the server's certificate */
	argv[5] = fx.slapd->uri;
	cacert = foreign_ca_env();
	env = env_plus(fx.slapd->env, cacert);
	buf_reset(fx.out);
	rc = itest_run(argv, env, fx.out, CMD_TIMEOUT_MS);
	cr_assert_neq(rc, 0, "StartTLS with a foreign CA succeeded");
	cr_assert(!out_has("namingContexts"));
	free(env);
	free(cacert);
}

Test(slapd, ldaps_answers_with_a_verified_certificate, .timeout = 60)
{
	char *cacert, **env;
	char *argv[] = { "ldapsearch", "-x", "-LLL", "-H", NULL, "-b", NULL,
		"-s", "base", "dn", NULL };

	start_slapd(NULL);
	argv[4] = fx.slapd->ldaps_uri;
	argv[6] = fx.slapd->basedn;
	cr_assert_eq(run_ldap(argv), 0, "%s", buf_cstr(fx.out));
	cr_assert(out_has("dn: dc=example,dc=test"));
	/* the certificate is checked: a foreign CA is refused */
	cacert = foreign_ca_env();
	env = env_plus(fx.slapd->env, cacert);
	buf_reset(fx.out);
	cr_assert_neq(itest_run(argv, env, fx.out, CMD_TIMEOUT_MS), 0);
	cr_assert(!out_has("dn: dc=example,dc=test"));
	free(env);
	free(cacert);
}

Test(slapd, ldapi_external_is_the_admin, .timeout = 60)
{
	char *argv[] = { "ldapwhoami", "-Q", "-Y", "EXTERNAL", "-H", NULL,
		NULL };

	start_slapd(NULL);
	argv[5] = fx.slapd->ldapi_uri;
	cr_assert_eq(run_ldap(argv), 0, "%s", buf_cstr(fx.out));
	cr_assert(out_has("dn:cn=admin,dc=example,dc=test"), "%s",
	    buf_cstr(fx.out));
}

Test(slapd, admin_adds_an_entry_and_the_user_binds, .timeout = 60)
{
	char *file = tmp_path("alice.ldif");
	char *whoami[] = { "ldapwhoami", "-x", "-ZZ", "-H", NULL, "-D",
		"uid=alice,ou=people,dc=example,dc=test", "-w", NULL, NULL };

	write_file(file, alice_ldif);
	start_slapd(NULL);
	cr_assert_eq(search(fx.slapd->uri, fx.slapd->basedn, "(uid=alice)"),
	    0);
	cr_assert(!out_has("dn:"));
	admin_add(file);
	cr_assert_eq(search(fx.slapd->uri, fx.slapd->basedn, "(uid=alice)"),
	    0);
	cr_assert(out_has("dn: uid=alice,ou=people,dc=example,dc=test"));
	whoami[4] = fx.slapd->uri;
	whoami[8] = "alicepw";
	cr_assert_eq(run_ldap(whoami), 0, "%s", buf_cstr(fx.out));
	cr_assert(out_has("dn:uid=alice,ou=people,dc=example,dc=test"));
	whoami[8] = "wrong";
	cr_assert_neq(run_ldap(whoami), 0);
	cr_assert(out_has("Invalid credentials"), "%s", buf_cstr(fx.out));
	free(file);
}

Test(slapd, stop_frees_the_ports, .timeout = 60)
{
	uint16_t port, ldaps_port;
	int fd;

	start_slapd(NULL);
	port = fx.slapd->port;
	ldaps_port = fx.slapd->ldaps_port;
	fd = itest_connect("127.0.0.1", port, 2000);
	cr_assert_neq(fd, -1);
	close(fd);
	cr_assert_eq(itest_slapd_stop(&fx.slapd), 0);
	cr_assert_null(fx.slapd);
	cr_assert_eq(itest_connect("127.0.0.1", port, 500), -1);
	cr_assert_eq(itest_connect("127.0.0.1", ldaps_port, 500), -1);
	cr_assert(port_bindable(port));
}

Test(slapd, restart_keeps_ports_and_data, .timeout = 60)
{
	char *file = tmp_path("alice.ldif");
	uint16_t port;
	char *uri;

	write_file(file, alice_ldif);
	start_slapd(NULL);
	admin_add(file);
	port = fx.slapd->port;
	uri = xstrdup(fx.slapd->uri);

	/* the directory goes down ... */
	cr_assert_eq(itest_slapd_halt(fx.slapd), 0);
	cr_assert_eq(itest_connect("127.0.0.1", port, 500), -1);
	cr_assert_neq(search(uri, fx.slapd->basedn, "(uid=alice)"), 0);
	/* ... and comes back with the same URI and data */
	cr_assert_eq(itest_slapd_resume(fx.slapd), 0);
	cr_assert_eq(fx.slapd->port, port);
	cr_assert_str_eq(fx.slapd->uri, uri);
	cr_assert_eq(search(fx.slapd->uri, fx.slapd->basedn, "(uid=alice)"),
	    0);
	cr_assert(out_has("dn: uid=alice,ou=people,dc=example,dc=test"));

	cr_assert_eq(itest_slapd_restart(fx.slapd), 0);
	cr_assert_eq(fx.slapd->port, port);
	cr_assert_eq(search(fx.slapd->uri, fx.slapd->basedn, "(uid=alice)"),
	    0);
	cr_assert(out_has("dn: uid=alice,ou=people,dc=example,dc=test"));
	free(uri);
	free(file);
}

Test(slapd, script_is_idempotent, .timeout = 60)
{
	char *script = itest_srcpath("tests/fixtures/slapd.sh");
	char *argv[] = { "sh", script, "start", NULL, NULL };
	char *stop[] = { "sh", script, "stop", NULL, NULL };
	char *status[] = { "sh", script, "status", NULL, NULL };
	struct buf *first = buf_new(1024, 65536);

	start_slapd(NULL);
	argv[3] = stop[3] = status[3] = fx.slapd->dir;
	cr_assert_eq(itest_run(status, NULL, NULL, CMD_TIMEOUT_MS), 0);
	/* start on a running server: the same environment again */
	cr_assert_eq(itest_run(argv, NULL, first, CMD_TIMEOUT_MS), 0);
	cr_assert(strstr(buf_cstr(first), fx.slapd->uri) != NULL, "%s",
	    buf_cstr(first));
	cr_assert(strstr(buf_cstr(first), "already running") != NULL);
	/* stop twice: the second is a no-op that succeeds */
	cr_assert_eq(itest_run(stop, NULL, NULL, CMD_TIMEOUT_MS), 0);
	cr_assert_eq(itest_run(status, NULL, NULL, CMD_TIMEOUT_MS), 1);
	buf_reset(fx.out);
	cr_assert_eq(itest_run(stop, NULL, fx.out, CMD_TIMEOUT_MS), 0);
	cr_assert(out_has("not running"), "%s", buf_cstr(fx.out));
	buf_free(&first);
	free(script);
}

Test(slapd, start_on_a_busy_port_fails_clearly, .timeout = 60)
{
	char *script = itest_srcpath("tests/fixtures/slapd.sh");
	char *dir = tmp_path("slapd");
	char port[8];
	char *argv[] = { "sh", script, "start", dir, port, NULL };

	cr_assert_eq(str_printf(port, sizeof(port), "%u",
	    (unsigned)listen_somewhere()), 0);
	buf_reset(fx.out);
	cr_assert_eq(itest_run(argv, NULL, fx.out, CMD_TIMEOUT_MS), 1);
	cr_assert(out_has("already in use"), "%s", buf_cstr(fx.out));
	cr_assert(!out_has("export LDAP_URI"));
	free(dir);
	free(script);
}

/* ---- itest helpers ---------------------------------------------------- */

Test(itest, free_port_is_bindable)
{
	uint16_t port = itest_free_port();

	cr_assert_neq(port, 0);
	cr_assert(port_bindable(port));
}

Test(itest, free_ports_are_distinct_up_to_the_limit)
{
	uint16_t ports[65];

	cr_assert_eq(itest_free_ports(ports, 64), 0);
	for (size_t i = 0; i < 64; i++) {
		cr_assert_neq(ports[i], 0);
		for (size_t j = 0; j < i; j++)
			cr_assert_neq(ports[i], ports[j]);
	}
	cr_assert(port_bindable(ports[63]));
	cr_assert_eq(itest_free_ports(ports, 63), 0);
	cr_assert_eq(itest_free_ports(ports, 65), -1);
	cr_assert_eq(itest_free_ports(ports, 0), -1);
}

Test(itest, run_reports_exit_status_and_output)
{
	char *ok[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	char *three[] = { "sh", "-c", "exit 3", NULL };
	char *killed[] = { "sh", "-c", "kill -9 $$", NULL };
	char *missing[] = { "/nonexistent/tessera-no-such-program", NULL };

	cr_assert_eq(itest_run(ok, NULL, fx.out, 5000), 0);
	cr_assert(out_has("out\n"));
	cr_assert(out_has("err\n"));
	cr_assert_eq(itest_run(three, NULL, NULL, 5000), 3);
	cr_assert_eq(itest_run(killed, NULL, NULL, 5000), 128 + 9);
	buf_reset(fx.out);
	cr_assert_eq(itest_run(missing, NULL, fx.out, 5000), 127);
	cr_assert(out_has("exec failed"), "%s", buf_cstr(fx.out));
	cr_assert_eq(itest_run((char *[]){ NULL }, NULL, NULL, 5000), -1);
}

Test(itest, run_split_separates_stdout_and_stderr)
{
	char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 4", NULL };
	struct buf *err = buf_new(64, 1024);

	cr_assert_eq(itest_run_split(argv, NULL, fx.out, err, 5000), 4);
	cr_assert_str_eq(buf_cstr(fx.out), "out\n");
	cr_assert_str_eq(buf_cstr(err), "err\n");
	buf_reset(fx.out);
	cr_assert_eq(itest_run_split(argv, NULL, fx.out, NULL, 5000), 4);
	cr_assert(out_has("out\n") && out_has("err\n"));
	buf_free(&err);
}

Test(itest, run_kills_what_overruns_its_timeout)
{
	char *argv[] = { "sh", "-c", "echo started; sleep 30", NULL };
	int64_t t0 = mono_ms();

	cr_assert_eq(itest_run(argv, NULL, fx.out, 300), -1);
	cr_assert_lt(mono_ms() - t0, 10000);
	cr_assert(out_has("started"));
}

/* pid has exited (gone, or a zombie its new parent has not reaped). */
static bool
proc_gone(long pid)
{
	char path[64], stat_line[512];
	const char *paren;
	ssize_t n;
	int fd;

	cr_assert_eq(str_printf(path, sizeof(path), "/proc/%ld/stat", pid), 0);
	fd = open(path, O_RDONLY);
	if (fd == -1)
		return true;
	n = read(fd, stat_line, sizeof(stat_line) - 1);
	close(fd);
	if (n <= 0)
		return true;
	stat_line[n] = '\0';
	paren = strrchr(stat_line, ')');
	return paren != NULL && (paren[2] == 'Z' || paren[2] == 'X');
}

Test(itest, run_does_not_wait_for_background_children)
{
	/* the grandchild keeps the output pipe open */
	char *argv[] = { "sh", "-c", "sleep 30 & echo \"bg=$!\"", NULL };
	int64_t t0 = mono_ms(), deadline;
	const char *bg;
	uint64_t pid;

	cr_assert_eq(itest_run(argv, NULL, fx.out, 20000), 0);
	cr_assert_lt(mono_ms() - t0, 10000);
	bg = strstr(buf_cstr(fx.out), "bg=");
	cr_assert_not_null(bg, "%s", buf_cstr(fx.out));
	bg += 3;
	cr_assert_eq(parse_u64(bg, strcspn(bg, "\n"), 1u << 30, &pid), 0);
	/* and what it left behind in its process group is killed */
	deadline = mono_ms() + 5000;
	while (!proc_gone((long)pid) && mono_ms() < deadline)
		usleep(20000);
	cr_assert(proc_gone((long)pid), "background sleep %ld survived",
	    (long)pid);
}

Test(itest, run_applies_envp_extra)
{
	char *argv[] = { "sh", "-c", "echo \"[$ITEST_A][${ITEST_B-unset}]\"",
		NULL };
	char *env[] = { "ITEST_A=one", "ITEST_B", NULL };

	cr_assert_eq(setenv("ITEST_A", "zero", 1), 0);
	cr_assert_eq(setenv("ITEST_B", "set", 1), 0);
	cr_assert_eq(itest_run(argv, env, fx.out, 5000), 0);
	cr_assert(out_has("[one][unset]"), "%s", buf_cstr(fx.out));
	buf_reset(fx.out);
	cr_assert_eq(itest_run(argv, NULL, fx.out, 5000), 0);
	cr_assert(out_has("[zero][set]"), "%s", buf_cstr(fx.out));
}

Test(itest, run_output_stops_at_the_ceiling)
{
	char *argv[] = { "sh", "-c", "i=0; while [ $i -lt 2000 ]; do "
		"echo 0123456789012345678901234567890123456789; i=$((i+1)); "
		"done", NULL };
	struct buf *small = buf_new(16, 100);

	cr_assert_eq(itest_run(argv, NULL, small, 10000), 0);
	cr_assert_eq(small->len, 100);
	cr_assert_eq(memcmp(small->data, "0123456789", 10), 0);
	buf_free(&small);
}

Test(itest, start_wait_stop_a_real_server)
{
	uint16_t port = itest_free_port();
	char portstr[8], *log = tmp_path("http.log");
	char *argv[] = { (char *)python3(), "-m", "http.server", "--bind",
		"127.0.0.1", portstr, NULL };
	char *env[] = { "PYTHONUNBUFFERED=1", NULL };
	int fd;

	cr_assert_eq(str_printf(portstr, sizeof(portstr), "%u",
	    (unsigned)port), 0);
	cr_assert_eq(itest_connect("127.0.0.1", port, 300), -1);
	fx.proc = itest_start(argv, env, log);
	cr_assert_not_null(fx.proc);
	ITEST_ASSERT(itest_wait_listen_proc(fx.proc, "127.0.0.1", port,
	    20000) == 0, fx.proc, "http.server did not listen");
	cr_assert(itest_alive(fx.proc));
	fd = itest_connect("127.0.0.1", port, 2000);
	cr_assert_neq(fd, -1);
	cr_assert_eq(write(fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	close(fd);
	cr_assert(wait_file_has(log, "\"GET / HTTP/1.0\" 200", 10000), "%s",
	    buf_cstr(fx.out));
	/* python dies of the SIGTERM */
	cr_assert_eq(itest_stop(&fx.proc, 5000), 128 + SIGTERM);
	cr_assert_null(fx.proc);
	cr_assert_eq(itest_connect("127.0.0.1", port, 300), -1);
	cr_assert_eq(itest_stop(&fx.proc, 100), -1);
	free(log);
}

Test(itest, stop_kills_what_ignores_sigterm)
{
	char *log = tmp_path("stubborn.log");
	char *argv[] = { "sh", "-c", "trap '' TERM; echo ready; "
		"while :; do sleep 0.1; done", NULL };
	int64_t t0;

	fx.proc = itest_start(argv, NULL, log);
	cr_assert_not_null(fx.proc);
	cr_assert(wait_file_has(log, "ready", 10000));
	t0 = mono_ms();
	cr_assert_eq(itest_stop(&fx.proc, 300), 128 + SIGKILL);
	cr_assert_geq(mono_ms() - t0, 300);
	free(log);
}

Test(itest, stop_returns_the_exit_status_of_a_finished_process)
{
	char *log = tmp_path("quick.log");
	char *argv[] = { "sh", "-c", "exit 7", NULL };
	int64_t deadline = mono_ms() + 10000;

	fx.proc = itest_start(argv, NULL, log);
	cr_assert_not_null(fx.proc);
	while (itest_alive(fx.proc) && mono_ms() < deadline)
		usleep(10000);
	cr_assert_eq(fx.proc->status, 7);
	cr_assert_eq(itest_stop(&fx.proc, 100), 7);
	free(log);
}

Test(itest, start_fails_on_an_unwritable_log)
{
	char *argv[] = { "true", NULL };
	char *log = tmp_path("no/such/dir/log");

	cr_assert_null(itest_start(argv, NULL, log));
	free(log);
}

Test(itest, wait_listen_gives_up)
{
	uint16_t port = itest_free_port();
	char *log = tmp_path("dies.log");
	char *argv[] = { "sh", "-c", "echo cannot start; exit 5", NULL };
	int64_t t0 = mono_ms();

	cr_assert_eq(itest_wait_listen("127.0.0.1", port, 300), -1);
	cr_assert_geq(mono_ms() - t0, 300);
	/* a process that exits is not waited for until the timeout */
	fx.proc = itest_start(argv, NULL, log);
	cr_assert_not_null(fx.proc);
	t0 = mono_ms();
	cr_assert_eq(itest_wait_listen_proc(fx.proc, "127.0.0.1", port,
	    30000), -1);
	cr_assert_lt(mono_ms() - t0, 10000);
	cr_assert_eq(fx.proc->status, 5);
	free(log);
}

Test(itest, connect_reaches_a_listener_only)
{
	uint16_t port = listen_somewhere();
	int fd;

	fd = itest_connect("127.0.0.1", port, 2000);
	cr_assert_neq(fd, -1);
	close(fd);
	fd = itest_connect("localhost", port, 2000);
	cr_assert_neq(fd, -1, "localhost did not resolve to 127.0.0.1");
	close(fd);
	close(fx.listen_fd);
	fx.listen_fd = -1;
	cr_assert_eq(itest_connect("127.0.0.1", port, 500), -1);
	cr_assert_eq(itest_connect("no-such-host.invalid", port, 500), -1);
}

Test(itest, tmpdir_is_removed_unless_kept)
{
	char *dir = itest_tmpdir("a/b c");
	char *sub, *file;
	struct stat st;
	struct buf *b = buf_new(256, 4096);

	cr_assert_not_null(dir);
	cr_assert(strstr(dir, "/tessera-a_b_c.") != NULL, "%s", dir);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(buf_printf(b, "%s/sub", dir), 0);
	sub = buf_steal(b, NULL);
	cr_assert_eq(mkdir(sub, 0700), 0);
	cr_assert_eq(buf_printf(b, "%s/file", sub), 0);
	file = buf_steal(b, NULL);
	write_file(file, "x");
	cr_assert_eq(itest_cleanup_dir(&dir), 0);
	cr_assert_null(dir);
	cr_assert_eq(stat(sub, &st), -1);

	/* ITEST_KEEP=1 keeps it */
	dir = itest_tmpdir("keep");
	cr_assert_not_null(dir);
	free(sub);
	sub = xstrdup(dir);
	cr_assert_eq(setenv("ITEST_KEEP", "1", 1), 0);
	cr_assert_eq(itest_cleanup_dir(&dir), 0);
	cr_assert_null(dir);
	cr_assert_eq(stat(sub, &st), 0);
	cr_assert_eq(unsetenv("ITEST_KEEP"), 0);
	dir = xstrdup(sub);
	cr_assert_eq(itest_cleanup_dir(&dir), 0);
	cr_assert_eq(stat(sub, &st), -1);

	/* only what itest_tmpdir made is removed */
	free(sub);
	sub = tmp_path("plain");
	cr_assert_eq(mkdir(sub, 0700), 0);
	dir = xstrdup(sub);
	cr_assert_eq(itest_cleanup_dir(&dir), -1);
	cr_assert_null(dir);
	cr_assert_eq(stat(sub, &st), 0);
	cr_assert_eq(itest_cleanup_dir(&dir), 0);
	buf_free(&b);
	free(sub);
	free(file);
}

Test(itest, dump_log_prints_the_file_to_stderr)
{
	char *log = tmp_path("some.log"), *captured = tmp_path("stderr");
	char *absent = tmp_path("absent.log");
	int saved, fd;

	write_file(log, "line one\nline two\n");
	fflush(stderr);
	saved = dup(2);
	fd = open(captured, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_neq(fd, -1);
	cr_assert_neq(dup2(fd, 2), -1);
	close(fd);
	itest_dump_log(log);
	itest_dump_log(absent);
	itest_dump_log(NULL);
	fflush(stderr);
	cr_assert_neq(dup2(saved, 2), -1);
	close(saved);
	cr_assert(wait_file_has(captured, "line one\nline two\n", 1000));
	cr_assert(out_has(log));
	cr_assert(out_has("cannot read log"));
	cr_assert(out_has(absent));
	free(absent);
	free(captured);
	free(log);
}

Test(itest, srcpath_uses_tessera_srcdir)
{
	char *p;

	cr_assert_eq(setenv("TESSERA_SRCDIR", "/some/where", 1), 0);
	p = itest_srcpath("tests/fixtures/slapd.sh");
	cr_assert_str_eq(p, "/some/where/tests/fixtures/slapd.sh");
	free(p);
	cr_assert_eq(unsetenv("TESSERA_SRCDIR"), 0);
	p = itest_srcpath("tests/fixtures/slapd.sh");
	cr_assert_eq(access(p, R_OK), 0, "%s", p);
	free(p);
}

/* ---- demo.sh ---------------------------------------------------------- */

/* Start demo.sh with free ports and its state in fx.tmp/demo; wait until
 * it is ready. The log text is in fx.out afterwards. */
static void
start_demo(uint16_t *ports, const char *log)
{
	char *script = itest_srcpath("tests/fixtures/demo.sh");
	char *top = itest_srcpath(".");
	char *state = tmp_path("demo");
	static const char *const mail_vars[] = { "DEMO_SMTP_PORT",
		"DEMO_SUBMISSION_PORT", "DEMO_SUBMISSIONS_PORT",
		"DEMO_LMTP_PORT", "DEMO_POP3_PORT", "DEMO_POP3S_PORT",
		"DEMO_IMAP_PORT", "DEMO_IMAPS_PORT", "DEMO_DNS_PORT",
		"DEMO_REMOTE_SMTP_PORT" };
	char e1[64], e2[64], e3[4200], e4[64], em[10][64];
	char *env[] = { e1, e2, e3, e4, em[0], em[1], em[2], em[3], em[4],
		em[5], em[6], em[7], em[8], em[9], NULL };
	uint16_t mail_ports[10];
	const char *build = getenv("TESSERA_BUILDDIR");
	char *argv[] = { "sh", script, top, (char *)(build != NULL ? build :
		"."), NULL };
	uint16_t kdc_port = itest_free_port();

	cr_assert_neq(kdc_port, 0);
	cr_assert_eq(itest_free_ports(mail_ports, 10), 0);
	for (size_t i = 0; i < 10; i++)
		cr_assert_eq(str_printf(em[i], sizeof(em[i]), "%s=%u",
		    mail_vars[i], (unsigned)mail_ports[i]), 0);
	/* started by root, the demo's lookup process runs as nobody, who must
	 * reach the state directory inside ours */
	cr_assert_eq(chmod(fx.tmp, 0711), 0);
	cr_assert_eq(str_printf(e4, sizeof(e4), "DEMO_KDC_PORT=%u",
	    (unsigned)kdc_port), 0);
	cr_assert_eq(str_printf(e1, sizeof(e1), "DEMO_LDAP_PORT=%u",
	    (unsigned)ports[0]), 0);
	cr_assert_eq(str_printf(e2, sizeof(e2), "DEMO_LDAPS_PORT=%u",
	    (unsigned)ports[1]), 0);
	cr_assert_eq(str_printf(e3, sizeof(e3), "DEMO_DIR=%s", state), 0);
	fx.proc = itest_start(argv, env, log);
	cr_assert_not_null(fx.proc);
	free(state);
	free(top);
	free(script);
}

Test(demo, prints_a_working_search_and_stops_on_sigint)
{
	uint16_t ports[2];
	char *log = tmp_path("demo.log"), *line, *end, *status_dir;
	char *script = itest_srcpath("tests/fixtures/slapd.sh");
	char *status[] = { "sh", script, "status", NULL, NULL };
	char *sh[] = { "sh", "-c", NULL, NULL };
	int64_t deadline;

	cr_assert_eq(itest_free_ports(ports, 2), 0);
	start_demo(ports, log);
	ITEST_ASSERT(wait_file_has(log, "Press Ctrl-C to stop.", 90000),
	    fx.proc, "the demo did not get ready");
	cr_assert(out_has("ldap://127.0.0.1:"));
	cr_assert(out_has("bind DN\tcn=admin,dc=example,dc=test"));
	/* the Kerberos sign-on it shows was made before it was shown */
	cr_assert(out_has("gives uid=alice,ou=people,dc=example,dc=test"),
	    "%s", buf_cstr(fx.out));
	cr_assert(out_has("Kerberos: MIT KDC for realm DEMO.TEST"));
	/* tessera lookup was run through the lookup process before it was
	 * shown */
	cr_assert(out_has("shows the alias and its target alice@example.test"),
	    "%s", buf_cstr(fx.out));
	/* and so were the submission, the LMTP delivery and the POP3 read */
	cr_assert(out_has("then delivered to bob by the queue manager"), "%s",
	    buf_cstr(fx.out));
	cr_assert(out_has("shows alice's mailbox with the LMTP delivery"),
	    "%s", buf_cstr(fx.out));
	/* a group reached both members, an unknown address was refused at
	 * RCPT, and remote mail waits in the queue for partner.test's MX */
	cr_assert(out_has("reaches both members of staff@, alice and bob"),
	    "%s", buf_cstr(fx.out));
	cr_assert(out_has("refused at RCPT: 550 5.1.1"), "%s",
	    buf_cstr(fx.out));
	cr_assert(out_has("it is deferred and retried"), "%s",
	    buf_cstr(fx.out));
	cr_assert(out_has("says: 451 4.4.1 connect to mx.partner.test"), "%s",
	    buf_cstr(fx.out));

	/* the example command, as printed, works */
	line = strstr(buf_cstr(fx.out), "\n  LDAPTLS_CACERT=");
	cr_assert_not_null(line, "%s", buf_cstr(fx.out));
	line = xstrdup(line + 3);
	end = strchr(line, '\n');
	cr_assert_not_null(end);
	*end = '\0';
	sh[2] = line;
	buf_reset(fx.out);
	cr_assert_eq(itest_run(sh, (char *[]){ "LDAPCONF", NULL }, fx.out,
	    CMD_TIMEOUT_MS), 0, "%s: %s", line, buf_cstr(fx.out));
	cr_assert(out_has("dn: ou=people,dc=example,dc=test"), "%s",
	    buf_cstr(fx.out));

	/* Ctrl-C stops the demo and its slapd */
	cr_assert_eq(kill(fx.proc->pid, SIGINT), 0);
	deadline = mono_ms() + 40000;
	while (itest_alive(fx.proc) && mono_ms() < deadline)
		usleep(20000);
	ITEST_ASSERT(!itest_alive(fx.proc), fx.proc, "demo ignored SIGINT");
	cr_assert_eq(fx.proc->status, 130);
	cr_assert(wait_file_has(log, "stopped slapd", 1000));
	cr_assert(wait_file_has(log, "stopped the KDC", 1000));
	cr_assert(wait_file_has(log, "stopped the DNS server", 1000));
	cr_assert(wait_file_has(log, "stopped mtad", 1000));
	cr_assert(wait_file_has(log, "stopped accessd", 1000));
	cr_assert_eq(itest_connect("127.0.0.1", ports[0], 500), -1);
	status_dir = tmp_path("demo/slapd");
	status[3] = status_dir;
	cr_assert_eq(itest_run(status, NULL, NULL, CMD_TIMEOUT_MS), 1);
	cr_assert_eq(itest_stop(&fx.proc, 100), 130);
	free(status_dir);
	free(script);
	free(line);
	free(log);
}

Test(demo, refuses_a_busy_port)
{
	uint16_t ports[2];
	char *log = tmp_path("demo.log");
	int64_t deadline = mono_ms() + 30000;

	ports[0] = listen_somewhere();
	ports[1] = itest_free_port();
	start_demo(ports, log);
	while (itest_alive(fx.proc) && mono_ms() < deadline)
		usleep(20000);
	cr_assert_eq(fx.proc->status, 1);
	cr_assert(wait_file_has(log, "already in use", 1000), "%s",
	    buf_cstr(fx.out));
	cr_assert(!out_has("Press Ctrl-C"));
	free(log);
}

/* The configuration the demo writes is valid for every section it has,
 * and libtdir configured from it resolves the sample users. */
Test(demo, writes_a_tessera_conf_that_resolves_the_sample_users)
{
	static struct cfg_section_def defs[3];
	uint16_t ports[2];
	char *log = tmp_path("demo.log"), *conf = tmp_path("demo/tessera.conf");
	struct buf *err = buf_new(256, 8192);
	struct pool *pool = pool_new("test");
	struct dir_settings ds;
	struct dir_entry *e = NULL;
	struct dir_info info = { 0 };
	const char *msg = NULL;
	struct cfg *c;
	struct dir *d;
	int64_t deadline;

	cr_assert_eq(itest_free_ports(ports, 2), 0);
	start_demo(ports, log);
	ITEST_ASSERT(wait_file_has(log, "Press Ctrl-C to stop.", 90000),
	    fx.proc, "the demo did not get ready");
	cr_assert(out_has("tessera.conf"));
	defs[0] = settings_global_def;
	defs[1] = settings_tls_def;
	defs[2] = dir_config_def;
	c = cfg_new(defs, 3);
	cfg_set_foreign(c, settings_sections);
	cr_assert_eq(cfg_load_file(c, conf, err), 0, "%s", buf_cstr(err));
	dir_config_settings(c, pool, &ds);
	d = dir_new(&ds, pool, &msg);
	cr_assert_not_null(d, "%s", msg);
	cr_assert_eq(dir_lookup_address(d, "alice@example.test", pool, &e,
	    &info), DIR_FOUND, "%s", info.error ? info.error : "");
	cr_assert_str_eq(e->dn, "uid=alice,ou=people,dc=example,dc=test");
	cr_assert_eq(dir_lookup_address(d, "nobody@example.test", pool, &e,
	    &info), DIR_NOTFOUND);
	cr_assert_eq(dir_check_password(d, "bob", "demo", 4, pool, NULL, &info),
	    DIR_AUTH_OK);
	dir_free(&d);
	cfg_free(&c);
	pool_free(&pool);
	buf_free(&err);
	free(conf);
	free(log);
	/* Ctrl-C alone stops it (itest_stop would add a SIGTERM at once) */
	cr_assert_eq(kill(fx.proc->pid, SIGINT), 0);
	deadline = mono_ms() + 40000;
	while (itest_alive(fx.proc) && mono_ms() < deadline)
		usleep(20000);
	ITEST_ASSERT(!itest_alive(fx.proc), fx.proc, "demo ignored SIGINT");
	cr_assert_eq(itest_stop(&fx.proc, 100), 130);
}
