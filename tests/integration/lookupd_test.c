/*
 * tests/integration/lookupd_test.c - tessera-lookupd against a real slapd
 * (the sample tree, schema/samples/example.test.ldif), asked through its
 * unix socket by dir_client and by raw, misbehaving clients.
 *
 * Each test starts its own tessera-lookupd in a temporary directory (as
 * nobody when the suite runs as root, so the privilege drop is real);
 * one shared read-only slapd serves most tests, the outage test has its
 * own. Answers through the socket are compared with direct libtdir
 * lookups on the same server. Nothing is mocked.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/ipc.h"
#include "lib/cfg.h"
#include "lib/dns_config.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/server.h"
#include "lib/settings.h"
#include "directory/dir_config.h"
#include "directory/dir_lookupd.h"
#include "directory/dir.h"
#include "directory/dir_client.h"
#include "directory/dir_proto.h"
#include "tests/integration/itest.h"
#include "lib/banned.h"

#define BASE "dc=example,dc=test"

/* See tests/integration/dir_test.c. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

static struct itest_slapd *shared;
static char *shared_dir;

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char *ldif = itest_srcpath("schema/samples/example.test.ldif");

	(void)set;
	shared_dir = itest_tmpdir("lookupd-test");
	if (shared_dir != NULL && ldif != NULL)
		shared = itest_slapd_start(shared_dir, ldif);
	free(ldif);
	if (shared != NULL)
		setenv("LKTEST_URI", shared->uri, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	(void)st;
	itest_slapd_stop(&shared);
	itest_cleanup_dir(&shared_dir);
}

static struct pool *pool;

static void
t_init(void)
{
	pool = pool_new("test");
}

static void
t_fini(void)
{
	pool_free(&pool);
}

TestSuite(lookupd, .init = t_init, .fini = t_fini, .timeout = 90);

static const char *
shared_uri(void)
{
	const char *v = getenv("LKTEST_URI");

	cr_assert_not_null(v, "the shared slapd did not start");
	return v;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A tessera-lookupd of a test. */
struct lk {
	char *dir;
	char *conf;
	char *sock;
	char *log;
	struct itest_proc *p;
};

static bool
is_root(void)
{
	return geteuid() == 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* A connected unix socket to path, or -1. */
static int
raw_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Start tessera-lookupd on l (already configured) and wait for its
 * socket. */
static void
lk_run(struct lk *l)
{
	char *bin = NULL;
	char *argv[] = { NULL, "-c", l->conf, "-f", NULL };
	const char *b = getenv("TESSERA_BUILDDIR");
	uint64_t t0 = now_ms();

	cr_assert_geq(asprintf(&bin, "%s/tessera-lookupd", b ? b : "."), 0);
	argv[0] = bin;
	l->p = itest_start(argv, NULL, l->log);
	free(bin);
	cr_assert_not_null(l->p);
	for (;;) {
		int fd = raw_connect(l->sock);

		if (fd != -1) {
			close(fd);
			return;
		}
		ITEST_ASSERT(itest_alive(l->p), l->p, "tessera-lookupd died");
		ITEST_ASSERT(now_ms() - t0 < 10000, l->p, "no socket in 10 s");
		usleep(20 * 1000);
	}
}

/* Write a configuration for uri with extra [directory] and [lookup]
 * lines (the lookup process not started yet). */
static void
lk_config(struct lk *l, const char *uri, const char *dir_extra,
    const char *lookup_extra)
{
	char *text = NULL;

	memset(l, 0, sizeof(*l));
	l->dir = itest_tmpdir("lookupd");
	cr_assert_not_null(l->dir);
	if (is_root()) {
		struct passwd *pw = getpwnam("nobody");

		cr_assert_not_null(pw);
		cr_assert_eq(chown(l->dir, pw->pw_uid, pw->pw_gid), 0);
	}
	cr_assert_geq(asprintf(&l->conf, "%s/tessera.conf", l->dir), 0);
	cr_assert_geq(asprintf(&l->sock, "%s/lookup.sock", l->dir), 0);
	cr_assert_geq(asprintf(&l->log, "%s/lookupd.log", l->dir), 0);
	cr_assert_geq(asprintf(&text,
	    "[global]\nrun_dir = %s\ndirectory_user = nobody\n"
	    "log_level = debug\n"
	    "[directory]\nuris = %s\nbase_dn = " BASE "\nstarttls = no\n"
	    "connect_timeout = 1s\nop_timeout = 3s\n%s"
	    "[lookup]\n%s", l->dir, uri, dir_extra ? dir_extra : "",
	    lookup_extra ? lookup_extra : ""), 0);
	write_file(l->conf, text);
	free(text);
}

/* lk_config, then start tessera-lookupd. */
static void
lk_start(struct lk *l, const char *uri, const char *dir_extra,
    const char *lookup_extra)
{
	lk_config(l, uri, dir_extra, lookup_extra);
	lk_run(l);
}

static void
lk_stop(struct lk *l)
{
	int st = l->p != NULL ? itest_stop(&l->p, 5000) : 0;

	cr_expect_eq(st, 0, "tessera-lookupd exit status %d", st);
	itest_cleanup_dir(&l->dir);
	free(l->conf);
	free(l->sock);
	free(l->log);
}

/* Whether the log has a line containing needle, waiting up to wait_ms. */
static bool
log_has(const struct lk *l, const char *needle, int wait_ms)
{
	uint64_t t0 = now_ms();

	for (;;) {
		FILE *f = fopen(l->log, "r");
		char line[4096];
		bool found = false;

		if (f != NULL) {
			while (!found && fgets(line, sizeof(line), f) != NULL)
				found = strstr(line, needle) != NULL;
			fclose(f);
		}
		if (found)
			return true;
		if (now_ms() - t0 >= (uint64_t)wait_ms)
			return false;
		usleep(20 * 1000);
	}
}

/* How many lines of the log contain needle. */
static int
log_count(const struct lk *l, const char *needle)
{
	FILE *f = fopen(l->log, "r");
	char line[4096];
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* Whether the log has n lines containing needle, waiting up to wait_ms. */
static bool
log_has_n(const struct lk *l, const char *needle, int n, int wait_ms)
{
	uint64_t t0 = now_ms();

	while (log_count(l, needle) < n) {
		if (now_ms() - t0 >= (uint64_t)wait_ms)
			return false;
		usleep(20 * 1000);
	}
	return true;
}

static struct dir_client *
client_for(const struct lk *l)
{
	struct dir_client_settings s = { .socket_path = l->sock,
		.timeout_ms = 10000 };

	dir_proto_limits_default(&s.limits);
	return dir_client_new(&s);
}

/* libtdir on the same server, for reference answers. */
static struct dir *
direct_dir(const char *uri)
{
	static char *uris[2];
	struct dir_settings s;
	const char *err = NULL;
	struct dir *d;

	dir_settings_defaults(&s);
	uris[0] = (char *)uri;
	uris[1] = NULL;
	s.uris = uris;
	s.base_dn = BASE;
	s.starttls = false;
	d = dir_new(&s, pool, &err);
	cr_assert_not_null(d, "%s", err);
	return d;
}

static void
opt_eq(const char *a, const char *b, const char *what)
{
	if (b == NULL)
		cr_assert_null(a, "%s", what);
	else
		cr_assert_str_eq(a, b, "%s", what);
}

static void
list_eq(char **a, size_t na, char **b, size_t nb, const char *what)
{
	cr_assert_eq(na, nb, "%s: %zu vs %zu", what, na, nb);
	for (size_t i = 0; i < na; i++)
		cr_assert_str_eq(a[i], b[i], "%s", what);
}

static void
entry_eq(const struct dir_entry *a, const struct dir_entry *b)
{
	cr_assert_eq(a->kind, b->kind);
	opt_eq(a->dn, b->dn, "dn");
	opt_eq(a->address, b->address, "address");
	list_eq(a->addresses, a->n_addresses, b->addresses, b->n_addresses,
	    "addresses");
	opt_eq(a->login, b->login, "login");
	opt_eq(a->display_name, b->display_name, "display_name");
	opt_eq(a->mailbox_id, b->mailbox_id, "mailbox_id");
	opt_eq(a->mail_host, b->mail_host, "mail_host");
	cr_assert_eq(a->quota_bytes, b->quota_bytes);
	cr_assert_eq(a->quota_messages, b->quota_messages);
	cr_assert_eq(a->state, b->state);
	list_eq(a->forward_to, a->n_forward_to, b->forward_to, b->n_forward_to,
	    "forward_to");
	cr_assert_eq(a->forward_keep_copy, b->forward_keep_copy);
	list_eq(a->send_as, a->n_send_as, b->send_as, b->n_send_as, "send_as");
	list_eq(a->targets, a->n_targets, b->targets, b->n_targets, "targets");
	cr_assert_eq(a->sender_policy, b->sender_policy);
	list_eq(a->allowed_senders, a->n_allowed_senders, b->allowed_senders,
	    b->n_allowed_senders, "allowed_senders");
	list_eq(a->allowed_sender_addresses, a->n_allowed_sender_addresses,
	    b->allowed_sender_addresses, b->n_allowed_sender_addresses,
	    "allowed_sender_addresses");
}

/* Members' DNs, sorted, joined. */
static const char *
dn_list(struct dir_entry **m, size_t n)
{
	struct buf *b = buf_new(64, 65536);
	const char *out;

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(m[j]->dn, m[i]->dn) < 0) {
				struct dir_entry *t = m[i];

				m[i] = m[j];
				m[j] = t;
			}
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s;", m[i]->dn);
	out = pool_strdup(pool, buf_cstr(b));
	buf_free(&b);
	return out;
}

Test(lookupd, every_lookup_kind_matches_libtdir)
{
	static const char *const addrs[] = { "alice@example.test",
		"Alice.Liddell@EXAMPLE.test", "info@example.test",
		"carol@example.test", "bob@example.test", "staff@example.test",
		"all@example.test", "nobody@example.test", "*)(mail=*",
		"", NULL };
	static const char *const logins[] = { "alice", "ALICE@example.test",
		"carol", "nobody", "info@example.test", NULL };
	struct lk l;
	struct dir_client *c;
	struct dir *d = direct_dir(shared_uri());

	lk_start(&l, shared_uri(), NULL, NULL);
	c = client_for(&l);
	for (size_t i = 0; addrs[i] != NULL; i++) {
		struct dir_entry *a = NULL, *b = NULL;
		struct dir_info ia, ib;
		enum dir_result ra = dir_client_lookup_address(c, addrs[i], pool,
		    &a, &ia);
		enum dir_result rb = dir_lookup_address(d, addrs[i], pool, &b,
		    &ib);

		cr_assert_eq(ra, rb, "%s: %s vs %s (%s)", addrs[i],
		    dir_result_name(ra), dir_result_name(rb), ia.error);
		cr_assert_eq(a != NULL, b != NULL);
		if (a != NULL)
			entry_eq(a, b);
		opt_eq(ia.error, ib.error, "error");
		if (ra != DIR_NOTFOUND || ia.round_trips > 0)
			cr_assert_str_eq(ia.server, shared_uri(), "%s",
			    addrs[i]);
	}
	for (size_t i = 0; logins[i] != NULL; i++) {
		struct dir_entry *a = NULL, *b = NULL;
		struct dir_info ia, ib;
		enum dir_result ra = dir_client_lookup_login(c, logins[i], pool,
		    &a, &ia);

		cr_assert_eq(ra, dir_lookup_login(d, logins[i], pool, &b, &ib),
		    "%s", logins[i]);
		cr_assert_eq(a != NULL, b != NULL);
		if (a != NULL)
			entry_eq(a, b);
	}
	{
		const char *const groups[] = { "staff@example.test",
			"all@example.test", NULL };

		for (size_t i = 0; groups[i] != NULL; i++) {
			struct dir_entry *g = NULL, **ma, **mb;
			size_t na, nb;
			struct dir_info info;

			cr_assert_eq(dir_lookup_address(d, groups[i], pool, &g,
			    &info), DIR_FOUND);
			cr_assert_eq(dir_client_group_members(c, g, pool, &ma,
			    &na, &info), DIR_FOUND, "%s", info.error);
			cr_assert_eq(dir_group_members(d, g, pool, &mb, &nb,
			    &info), DIR_FOUND);
			cr_assert_gt(na, 1);
			cr_assert_str_eq(dn_list(ma, na), dn_list(mb, nb));
			for (size_t k = 0; k < na; k++)
				entry_eq(ma[k], mb[k]);
			cr_assert_eq(dir_client_group_has_member(c, g,
			    "carol@example.test", pool, &info),
			    dir_group_has_member(d, g, "carol@example.test",
			    pool, &info), "%s", groups[i]);
			cr_assert_eq(dir_client_group_has_member(c, g,
			    "bob@example.test", pool, &info), DIR_FOUND);
		}
	}
	{
		struct dir_entry *alice = NULL, **m;
		size_t n;
		struct dir_info info;

		/* not a group: NOTFOUND, as libtdir says */
		cr_assert_eq(dir_lookup_address(d, "alice@example.test", pool,
		    &alice, &info), DIR_FOUND);
		alice->kind = DIR_KIND_GROUP;
		cr_assert_eq(dir_client_group_members(c, alice, pool, &m, &n,
		    &info), dir_group_members(d, alice, pool, &m, &n, &info));
	}
	{
		struct dir_info info;
		char **da, **db;
		size_t na, nb;

		cr_assert_eq(dir_client_domain_accepted(c, "example.test", pool,
		    &info), DIR_FOUND, "%s", info.error);
		cr_assert_eq(dir_client_domain_accepted(c, "EXAMPLE.Test", pool,
		    &info), DIR_FOUND);
		cr_assert_eq(dir_client_domain_accepted(c, "other.test", pool,
		    &info), DIR_NOTFOUND);
		cr_assert_eq(dir_client_domains(c, pool, &da, &na, &info),
		    DIR_FOUND);
		cr_assert_eq(dir_domains(d, pool, &db, &nb, &info), DIR_FOUND);
		list_eq(da, na, db, nb, "domains");
		cr_assert_eq(na, 1);
		cr_assert_null(da[1]);
	}
	dir_client_free(&c);
	dir_free(&d);
	lk_stop(&l);
}

Test(lookupd, password_checks_through_the_socket)
{
	struct lk l;
	struct dir_client *c;
	struct dir_entry *u = NULL;
	struct dir_info info;

	lk_start(&l, shared_uri(), NULL, NULL);
	c = client_for(&l);
	cr_assert_eq(dir_client_check_password(c, "alice", "demo", 4, pool, &u,
	    &info), DIR_AUTH_OK, "%s", info.error);
	cr_assert_not_null(u);
	cr_assert_str_eq(u->dn, "uid=alice,ou=people," BASE);
	cr_assert_eq(dir_client_check_password(c, "bob@example.test", "demo",
	    4, pool, NULL, &info), DIR_AUTH_OK);
	cr_assert_eq(dir_client_check_password(c, "alice", "Demo", 4, pool, &u,
	    &info), DIR_AUTH_BADPASS);
	cr_assert_null(info.error);
	cr_assert_eq(dir_client_check_password(c, "alice", "demo\0x", 6, pool,
	    NULL, &info), DIR_AUTH_BADPASS, "the bytes count, NUL included");
	cr_assert_eq(dir_client_check_password(c, "alice", "", 0, pool, NULL,
	    &info), DIR_AUTH_BADPASS);
	cr_assert_eq(dir_client_check_password(c, "carol", "demo", 4, pool, &u,
	    &info), DIR_AUTH_DISABLED);
	cr_assert_not_null(u);
	cr_assert_eq(u->state, DIR_STATE_DISABLED);
	cr_assert_eq(dir_client_check_password(c, "carol", "bad", 3, pool,
	    NULL, &info), DIR_AUTH_DISABLED);
	cr_assert_eq(dir_client_check_password(c, "nobody", "demo", 4, pool, &u,
	    &info), DIR_AUTH_NOUSER);
	cr_assert_null(u);
	{
		char big[DIR_PROTO_PASSWORD_MAX + 1];

		memset(big, 'x', sizeof(big));
		cr_assert_eq(dir_client_check_password(c, "alice", big,
		    DIR_PROTO_PASSWORD_MAX, pool, NULL, &info),
		    DIR_AUTH_BADPASS, "%s", info.error);
		cr_assert_eq(dir_client_check_password(c, "alice", big,
		    sizeof(big), pool, NULL, &info), DIR_AUTH_BADPASS);
	}
	/* the password never reaches the log */
	cr_assert(!log_has(&l, "demo", 0));
	dir_client_free(&c);
	lk_stop(&l);
}

Test(lookupd, cache_hits_and_stats_through_the_socket)
{
	struct lk l;
	struct dir_client *c;
	struct dir_entry *e;
	struct dir_info info;
	struct dir_stats st;

	lk_start(&l, shared_uri(), NULL, NULL);
	c = client_for(&l);
	cr_assert_eq(dir_client_stats(c, pool, &st, &info), DIR_FOUND);
	cr_assert_eq(st.cache_hits + st.cache_misses + st.round_trips, 0);
	cr_assert_eq(dir_client_lookup_address(c, "alice@example.test", pool,
	    &e, &info), DIR_FOUND);
	cr_assert(!info.cached);
	cr_assert_eq(info.round_trips, 1);
	cr_assert_eq(dir_client_lookup_address(c, "ALICE@example.test", pool,
	    &e, &info), DIR_FOUND);
	cr_assert(info.cached);
	cr_assert_eq(info.round_trips, 0);
	cr_assert_eq(dir_client_lookup_address(c, "nobody@example.test", pool,
	    &e, &info), DIR_NOTFOUND);
	cr_assert_eq(dir_client_lookup_address(c, "nobody@example.test", pool,
	    &e, &info), DIR_NOTFOUND);
	cr_assert(info.cached);
	cr_assert_eq(dir_client_stats(c, pool, &st, &info), DIR_FOUND);
	cr_assert_eq(st.cache_hits, 2);
	cr_assert_eq(st.cache_misses, 2);
	cr_assert_eq(st.round_trips, 2);
	cr_assert_eq(st.tempfails, 0);
	cr_assert_geq(st.cache_entries, 2);
	cr_assert_gt(st.latency_us_total, 0);
	cr_assert_eq(dir_client_cache_flush(c, pool, &info), DIR_FOUND);
	cr_assert(log_has(&l, "cache flushed", 10000));
	cr_assert_eq(dir_client_lookup_address(c, "alice@example.test", pool,
	    &e, &info), DIR_FOUND);
	cr_assert(!info.cached);
	cr_assert_eq(dir_client_stats(c, pool, &st, &info), DIR_FOUND);
	cr_assert_eq(st.round_trips, 3);
	cr_assert_eq(st.cache_entries, 1);
	dir_client_free(&c);
	lk_stop(&l);
}

Test(lookupd, tempfail_when_slapd_stops_and_recovery, .timeout = 150)
{
	char *dir = itest_tmpdir("lookupd-slapd");
	char *ldif = itest_srcpath("schema/samples/example.test.ldif");
	struct itest_slapd *sl;
	struct lk l;
	struct dir_client *c;
	struct dir_entry *e;
	struct dir_info info;
	struct dir_stats st;

	cr_assert_not_null(dir);
	sl = itest_slapd_start(dir, ldif);
	free(ldif);
	cr_assert_not_null(sl);
	lk_start(&l, sl->uri, "retry_dead = 0s\n", NULL);
	c = client_for(&l);
	cr_assert_eq(dir_client_lookup_address(c, "alice@example.test", pool,
	    &e, &info), DIR_FOUND, "%s", info.error);
	cr_assert_eq(itest_slapd_halt(sl), 0);
	cr_assert_eq(dir_client_lookup_address(c, "bob@example.test", pool, &e,
	    &info), DIR_TEMPFAIL);
	cr_assert_null(e);
	cr_assert_not_null(info.error);
	cr_assert_not_null(strstr(info.error, sl->uri), "%s", info.error);
	cr_assert_eq(dir_client_lookup_address(c, "nobody@example.test", pool,
	    &e, &info), DIR_TEMPFAIL, "an outage must not look like NOTFOUND");
	cr_assert_eq(dir_client_check_password(c, "alice", "demo", 4, pool,
	    NULL, &info), DIR_AUTH_TEMPFAIL);
	cr_assert_eq(dir_client_domain_accepted(c, "example.test", pool,
	    &info), DIR_TEMPFAIL);
	/* one log line per TEMPFAIL, with the key and the LDAP error */
	cr_assert(log_has(&l, "tempfail client=", 10000));
	cr_assert(log_has(&l, "op=lookup_address key=\"bob@example.test\"",
	    2000));
	cr_assert(log_has(&l, "op=lookup_address key=\"nobody@example.test\"",
	    2000));
	cr_assert(log_has(&l, "op=check_password key=\"alice\"", 2000));
	cr_assert(log_has(&l, "Can't contact LDAP server", 10000));
	cr_assert_eq(dir_client_stats(c, pool, &st, &info), DIR_FOUND);
	cr_assert_geq(st.tempfails, 4);
	cr_assert_eq(itest_slapd_resume(sl), 0);
	cr_assert_eq(dir_client_lookup_address(c, "bob@example.test", pool, &e,
	    &info), DIR_FOUND, "%s", info.error);
	cr_assert_eq(dir_client_check_password(c, "alice", "demo", 4, pool,
	    NULL, &info), DIR_AUTH_OK, "%s", info.error);
	dir_client_free(&c);
	lk_stop(&l);
	itest_slapd_stop(&sl);
	itest_cleanup_dir(&dir);
}

Test(lookupd, lookupd_restarted_client_reconnects)
{
	struct lk l;
	struct dir_client *c;
	struct dir_entry *e;
	struct dir_info info;
	int st;

	lk_start(&l, shared_uri(), NULL, NULL);
	c = client_for(&l);
	cr_assert_eq(dir_client_lookup_address(c, "alice@example.test", pool,
	    &e, &info), DIR_FOUND);
	/* a clean stop and a new start on the same socket */
	st = itest_stop(&l.p, 5000);
	cr_assert_eq(st, 0, "exit status %d", st);
	cr_assert_eq(access(l.sock, F_OK), -1, "the socket was removed");
	lk_run(&l);
	cr_assert_eq(dir_client_lookup_address(c, "bob@example.test", pool,
	    &e, &info), DIR_FOUND, "%s", info.error);
	cr_assert_null(info.error);
	/* a crash leaves the socket file behind: the next one replaces it */
	cr_assert_eq(kill(l.p->pid, SIGKILL), 0);
	while (itest_alive(l.p))
		usleep(10 * 1000);
	itest_stop(&l.p, 1000);	/* reaped already; it dumps the log */
	cr_assert_eq(access(l.sock, F_OK), 0, "a stale socket stays");
	lk_run(&l);
	cr_assert_eq(dir_client_lookup_address(c, "carol@example.test", pool,
	    &e, &info), DIR_FOUND, "%s", info.error);
	cr_assert_str_eq(e->dn, "uid=carol,ou=people," BASE);
	/* a second lookup process on a live socket refuses to start */
	{
		char *argv[] = { NULL, "-c", l.conf, "-f", NULL };
		const char *b = getenv("TESSERA_BUILDDIR");
		struct buf *out = buf_new(256, 65536);
		char *bin = NULL;

		cr_assert_geq(asprintf(&bin, "%s/tessera-lookupd",
		    b ? b : "."), 0);
		argv[0] = bin;
		cr_assert_eq(itest_run(argv, NULL, out, 10000), 1, "%s",
		    buf_cstr(out));
		cr_assert_not_null(strstr(buf_cstr(out), "another lookup "
		    "process listens there"), "%s", buf_cstr(out));
		buf_free(&out);
		free(bin);
	}
	cr_assert_eq(dir_client_lookup_address(c, "bob@example.test", pool,
	    &e, &info), DIR_FOUND, "the first one still serves");
	dir_client_free(&c);
	lk_stop(&l);
}

Test(lookupd, lookupd_absent_is_tempfail_not_notfound)
{
	char *dir = itest_tmpdir("lookupd-absent");
	struct dir_client_settings s = { .timeout_ms = 2000 };
	struct dir_client *c;
	struct dir_entry *e, **m;
	struct dir_entry g = { .kind = DIR_KIND_GROUP, .dn = "cn=x" };
	struct dir_info info;
	struct dir_stats st;
	char **doms;
	size_t n;

	cr_assert_not_null(dir);
	s.socket_path = pool_printf(pool, "%s/none.sock", dir);
	dir_proto_limits_default(&s.limits);
	c = dir_client_new(&s);
	cr_assert_eq(dir_client_lookup_address(c, "nobody@example.test", pool,
	    &e, &info), DIR_TEMPFAIL);
	cr_assert_null(e);
	cr_assert_not_null(info.error);
	cr_assert(strncmp(info.error, "lookup process unreachable: ",
	    28) == 0, "%s", info.error);
	cr_assert_not_null(strstr(info.error, "none.sock"), "%s", info.error);
	cr_assert_not_null(strstr(info.error, "No such file"), "%s",
	    info.error);
	cr_assert_eq(dir_client_lookup_login(c, "nobody", pool, &e, &info),
	    DIR_TEMPFAIL);
	cr_assert_eq(dir_client_group_members(c, &g, pool, &m, &n, &info),
	    DIR_TEMPFAIL);
	cr_assert_eq(dir_client_group_has_member(c, &g, "a@b", pool, &info),
	    DIR_TEMPFAIL);
	cr_assert_eq(dir_client_domain_accepted(c, "x.test", pool, &info),
	    DIR_TEMPFAIL);
	cr_assert_eq(dir_client_domains(c, pool, &doms, &n, &info),
	    DIR_TEMPFAIL);
	cr_assert_eq(dir_client_check_password(c, "alice", "demo", 4, pool,
	    &e, &info), DIR_AUTH_TEMPFAIL);
	cr_assert_eq(dir_client_stats(c, pool, &st, &info), DIR_TEMPFAIL);
	cr_assert_eq(dir_client_cache_flush(c, pool, &info), DIR_TEMPFAIL);
	/* a socket file nobody listens on: the same */
	{
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s.socket_path);
		cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
		close(fd);
		cr_assert_eq(dir_client_lookup_address(c, "a@example.test",
		    pool, &e, &info), DIR_TEMPFAIL);
		cr_assert_not_null(strstr(info.error, "Connection refused"),
		    "%s", info.error);
	}
	dir_client_free(&c);
	itest_cleanup_dir(&dir);
}

/* Threads, each with its own client, checking every answer. */
struct worker {
	const char *sock;
	int id, ok;
	char error[256];
};

static void *
worker_run(void *arg)
{
	static const char *const addrs[] = { "alice@example.test",
		"bob@example.test", "carol@example.test", "info@example.test",
		"staff@example.test", "nobody@example.test" };
	static const char *const dns[] = { "uid=alice,ou=people," BASE,
		"uid=bob,ou=people," BASE, "uid=carol,ou=people," BASE,
		NULL, NULL, NULL };
	struct worker *w = arg;
	struct dir_client_settings s = { .socket_path = w->sock,
		.timeout_ms = 20000 };
	struct dir_client *c;
	struct pool *p = pool_new("worker");

	dir_proto_limits_default(&s.limits);
	c = dir_client_new(&s);
	for (int i = 0; i < 40; i++) {
		int k = (i + w->id) % 6;
		struct dir_entry *e = NULL;
		struct dir_info info;
		enum dir_result r = dir_client_lookup_address(c, addrs[k], p, &e,
		    &info);
		bool good = k == 5 ? r == DIR_NOTFOUND && e == NULL :
		    r == DIR_FOUND && e != NULL && (dns[k] == NULL ||
		    strcmp(e->dn, dns[k]) == 0);

		if (good)
			w->ok++;
		else if (w->error[0] == '\0')
			snprintf(w->error, sizeof(w->error), "%s: %s %s",
			    addrs[k], dir_result_name(r),
			    info.error ? info.error : "");
	}
	dir_client_free(&c);
	pool_free(&p);
	return NULL;
}

Test(lookupd, twenty_concurrent_clients, .timeout = 150)
{
	struct lk l;
	pthread_t t[20];
	struct worker w[20];
	struct dir_client *c;
	struct dir_stats st;
	struct dir_info info;

	/* no cache: every lookup goes to slapd; fewer connections than
	 * clients */
	lk_start(&l, shared_uri(), "cache_max_entries = 0\npool_size = 4\n",
	    NULL);
	for (int i = 0; i < 20; i++) {
		w[i] = (struct worker){ .sock = l.sock, .id = i };
		cr_assert_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 20; i++) {
		pthread_join(t[i], NULL);
		ITEST_ASSERT(w[i].ok == 40, l.p, "thread %d: %d ok, %s", i,
		    w[i].ok, w[i].error);
	}
	c = client_for(&l);
	cr_assert_eq(dir_client_stats(c, pool, &st, &info), DIR_FOUND);
	cr_assert_eq(st.round_trips, 20 * 40);
	cr_assert_eq(st.tempfails, 0);
	dir_client_free(&c);
	lk_stop(&l);
}

/* Whether the peer closed fd within wait_ms (read gives EOF or reset). */
static bool
closed_within(int fd, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b[64];

	if (poll(&p, 1, wait_ms) != 1)
		return false;
	return read(fd, b, sizeof(b)) <= 0;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A message header for type and payload length len. */
static void
header(uint8_t *h, uint32_t type, uint32_t len)
{
	h[0] = IPC_MAGIC0;
	h[1] = IPC_MAGIC1;
	h[2] = IPC_VERSION;
	h[3] = 0;
	put32(h + 4, type);
	put32(h + 8, len);
}

Test(lookupd, stalled_and_garbage_clients_do_not_block_others)
{
	struct lk l;
	struct dir_client *c;
	struct dir_entry *e;
	struct dir_info info;
	uint8_t h[IPC_HEADER_LEN];
	int half, partial, garbage;
	uint64_t t0, stalled;

	lk_start(&l, shared_uri(), NULL, "client_timeout = 3s\n");
	/* half a header */
	stalled = now_ms();
	half = raw_connect(l.sock);
	header(h, DIR_PROTO_LOOKUP_ADDRESS, 30);
	cr_assert_eq(write(half, h, 6), 6);
	/* a header and part of its payload */
	partial = raw_connect(l.sock);
	cr_assert_eq(write(partial, h, sizeof(h)), (ssize_t)sizeof(h));
	cr_assert_eq(write(partial, "\0\0\0\x10" "alice", 9), 9);
	/* garbage: dropped at once */
	garbage = raw_connect(l.sock);
	cr_assert_eq(write(garbage, "EHLO example.test\r\n", 19), 19);
	cr_assert(closed_within(garbage, 2000));
	cr_assert(log_has(&l, "dropped: bad magic", 10000));
	/* meanwhile others are answered at once */
	c = client_for(&l);
	t0 = now_ms();
	for (int i = 0; i < 5; i++)
		cr_assert_eq(dir_client_lookup_address(c, "alice@example.test",
		    pool, &e, &info), DIR_FOUND, "%s", info.error);
	cr_assert_lt(now_ms() - t0, 2000, "took %llu ms",
	    (unsigned long long)(now_ms() - t0));
	/* the stalled ones are dropped after client_timeout (3 s after
	 * they stalled), not before */
	cr_assert(closed_within(half, 10000));
	cr_assert_geq(now_ms() - stalled, 2900, "dropped after %llu ms",
	    (unsigned long long)(now_ms() - stalled));
	cr_assert(closed_within(partial, 10000));
	cr_assert(log_has(&l, "dropped: timeout", 10000));
	close(half);
	close(partial);
	close(garbage);
	cr_assert_eq(dir_client_lookup_address(c, "bob@example.test", pool, &e,
	    &info), DIR_FOUND);
	dir_client_free(&c);
	lk_stop(&l);
}

/* Send a raw message of type with payload p; whether the connection was
 * then closed by the lookup process. */
static bool
raw_message_dropped(const struct lk *l, uint32_t type, const void *p,
    size_t len)
{
	uint8_t h[IPC_HEADER_LEN];
	int fd = raw_connect(l->sock);
	bool dropped;

	cr_assert_neq(fd, -1);
	header(h, type, (uint32_t)len);
	cr_assert_eq(write(fd, h, sizeof(h)), (ssize_t)sizeof(h));
	if (len > 0)
		cr_assert_eq(write(fd, p, len), (ssize_t)len);
	dropped = closed_within(fd, 3000);
	close(fd);
	return dropped;
}

Test(lookupd, oversize_and_malformed_requests_dropped)
{
	struct lk l;
	struct dir_client *c;
	struct dir_entry *e;
	struct dir_info info;
	char *big = pool_alloc(pool, 1025);

	lk_start(&l, shared_uri(), NULL, "request_max = 1k\n");
	memset(big, 'a', 1025);
	/* request_max + 1: refused on its header */
	cr_assert(raw_message_dropped(&l, DIR_PROTO_LOOKUP_ADDRESS, big, 1025));
	cr_assert(log_has(&l, "payload of 1025 bytes over limit 1024", 10000));
	/* exactly request_max: read, then refused as malformed */
	cr_assert(raw_message_dropped(&l, DIR_PROTO_LOOKUP_ADDRESS, big, 1024));
	cr_assert(log_has(&l, "dropped: malformed lookup_address request",
	    2000));
	cr_assert(raw_message_dropped(&l, 77, "", 0));
	cr_assert(log_has(&l, "malformed unknown request: unknown request "
	    "type", 2000));
	cr_assert(raw_message_dropped(&l, DIR_PROTO_STATS, "\0\0\0\0", 4));
	cr_assert(log_has(&l, "bytes left over", 10000));
	/* an address over DIR_ADDRESS_MAX inside the payload */
	{
		uint8_t msg[4 + DIR_ADDRESS_MAX + 2];

		put32(msg, DIR_ADDRESS_MAX + 1);
		memset(msg + 4, 'a', DIR_ADDRESS_MAX + 1);
		msg[sizeof(msg) - 1] = 0;
		cr_assert(raw_message_dropped(&l, DIR_PROTO_LOOKUP_ADDRESS, msg,
		    sizeof(msg)));
		cr_assert(log_has(&l, "string of 321 bytes over limit 320",
		    2000));
	}
	/* and a valid request still works, on the same process */
	c = client_for(&l);
	cr_assert_eq(dir_client_lookup_address(c, "alice@example.test", pool,
	    &e, &info), DIR_FOUND);
	/* an over-long address never leaves the client: NOTFOUND like libtdir */
	big[DIR_ADDRESS_MAX] = '\0';
	cr_assert_eq(dir_client_lookup_address(c, big, pool, &e, &info),
	    DIR_NOTFOUND);
	dir_client_free(&c);
	lk_stop(&l);
}

Test(lookupd, max_clients_and_idle_timeout)
{
	struct lk l;
	struct dir_client *c;
	struct dir_entry *e;
	struct dir_info info;
	int a = -1, b = -1, refused;
	enum dir_result r = DIR_TEMPFAIL;

	lk_start(&l, shared_uri(), NULL,
	    "max_clients = 2\nidle_timeout = 3s\n");
	/* two held connections; lk_run's probe takes a slot until its
	 * thread saw it close (a connection refused for it is closed at
	 * once): try again until both are held */
	for (int i = 0; i < 50; i++) {
		a = raw_connect(l.sock);
		b = raw_connect(l.sock);
		cr_assert(a != -1 && b != -1);
		if (!closed_within(a, 200) && !closed_within(b, 0))
			break;
		close(a);
		close(b);
		a = b = -1;
		usleep(100 * 1000);
	}
	ITEST_ASSERT(a != -1, l.p, "two connections never held together");
	c = client_for(&l);
	refused = log_count(&l, "max_clients=2 reached");
	/* a third connection is closed at once: TEMPFAIL, never NOTFOUND */
	ITEST_ASSERT(dir_client_lookup_address(c, "nobody@example.test", pool,
	    &e, &info) == DIR_TEMPFAIL, l.p, "third client served: %s",
	    info.error);
	cr_assert_not_null(strstr(info.error, "lookup process unreachable"),
	    "%s", info.error);
	cr_assert(log_has_n(&l, "max_clients=2 reached", refused + 1, 10000));
	close(a);
	/* a's slot is free once its thread saw the close; until then the
	 * client is refused */
	for (int i = 0; i < 100 && r == DIR_TEMPFAIL; i++) {
		if (i > 0)
			usleep(50 * 1000);
		r = dir_client_lookup_address(c, "alice@example.test", pool,
		    &e, &info);
	}
	cr_assert_eq(r, DIR_FOUND, "%s", info.error);
	/* idle connections are closed after idle_timeout (b, then c's) */
	cr_assert(closed_within(b, 10000));
	close(b);
	cr_assert(log_has_n(&l, "closed: idle", 2, 10000));
	/* and the client reconnects transparently */
	cr_assert_eq(dir_client_lookup_address(c, "bob@example.test", pool, &e,
	    &info), DIR_FOUND, "%s", info.error);
	dir_client_free(&c);
	lk_stop(&l);
}

Test(lookupd, answers_over_the_limits_are_tempfail)
{
	struct lk l;
	struct dir_client *c;
	struct dir_entry *e, **m;
	struct dir_info info;
	size_t n;

	lk_start(&l, shared_uri(), NULL, "list_max = 1\n");
	c = client_for(&l);
	/* bob has one address: fits; alice has two: does not */
	cr_assert_eq(dir_client_lookup_address(c, "bob@example.test", pool, &e,
	    &info), DIR_FOUND, "%s", info.error);
	cr_assert_eq(dir_client_lookup_address(c, "alice@example.test", pool,
	    &e, &info), DIR_TEMPFAIL);
	cr_assert_not_null(strstr(info.error, "protocol limits"), "%s",
	    info.error);
	cr_assert(log_has(&l, "answer over the protocol limits", 10000));
	cr_assert_eq(dir_client_lookup_address(c, "staff@example.test", pool,
	    &e, &info), DIR_FOUND, "%s", info.error);
	cr_assert_eq(dir_client_group_members(c, e, pool, &m, &n, &info),
	    DIR_TEMPFAIL);
	dir_client_free(&c);
	/* the client's own limits: an answer past them is TEMPFAIL */
	{
		struct dir_client_settings s = { .socket_path = l.sock,
			.timeout_ms = 5000 };

		dir_proto_limits_default(&s.limits);
		s.limits.string_max = 10;
		c = dir_client_new(&s);
		cr_assert_eq(dir_client_lookup_address(c, "bob@example.test",
		    pool, &e, &info), DIR_TEMPFAIL);
		cr_assert_not_null(strstr(info.error, "bad answer from the "
		    "lookup process"), "%s", info.error);
		dir_client_free(&c);
	}
	lk_stop(&l);
}

Test(lookupd, bad_configuration_and_usage)
{
	char *dir = itest_tmpdir("lookupd-conf");
	char *conf = NULL, *bin = NULL;
	const char *b = getenv("TESSERA_BUILDDIR");
	char *argv[] = { NULL, "-c", NULL, "-f", NULL };
	char *noargs[] = { NULL, NULL };
	struct buf *out = buf_new(256, 65536);

	cr_assert_not_null(dir);
	cr_assert_geq(asprintf(&bin, "%s/tessera-lookupd", b ? b : "."), 0);
	cr_assert_geq(asprintf(&conf, "%s/bad.conf", dir), 0);
	write_file(conf, "[directory]\nuris = ldap://127.0.0.1:1\n"
	    "base_dn = dc=x\n[lookup]\nsocket_mode = 0999\n");
	argv[0] = bin;
	argv[2] = conf;
	cr_assert_eq(itest_run(argv, NULL, out, 10000), 78, "%s",
	    buf_cstr(out));
	cr_assert_not_null(strstr(buf_cstr(out), "bad.conf:4: [lookup]: "
	    "socket_mode: \"0999\" is not an octal mode"), "%s",
	    buf_cstr(out));
	noargs[0] = bin;
	buf_reset(out);
	cr_assert_eq(itest_run(noargs, NULL, out, 10000), 64);
	cr_assert_not_null(strstr(buf_cstr(out), "usage"));
	buf_free(&out);
	free(conf);
	free(bin);
	itest_cleanup_dir(&dir);
}

/* A daemon master (lib/server.h) with the lookup process as its
 * supervised child, as mtad and accessd will run it. Never returns. */
static void
run_master(const struct lk *l, const char *user)
{
	struct cfg_section_def defs[] = { settings_global_def, dns_config_def,
		dir_config_def, dir_lookup_config_def };
	struct cfg *c = cfg_new(defs, 4);
	struct dir_lookupd_child lc = { .daemon = "testd" };
	struct server_child_cfg child = { .name = "lookup",
		.run = dir_lookupd_child_run, .ctx = &lc, .user = user };
	struct server_cfg sc = { .session_user = user, .children = &child,
		.n_children = 1, .restart_min_ms = 100, .grace_ms = 500,
		.log_ident = "testd" };
	struct server *srv;
	const char *err;
	int fd = open(l->log, O_WRONLY | O_APPEND | O_CREAT, 0644);

	if (fd == -1 || dup2(fd, 2) == -1)
		_exit(3);
	log_init("testd", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	if (cfg_load_file(c, l->conf, NULL) == -1)
		_exit(2);
	lc.cfg = c;
	srv = server_new(&sc, &err);
	if (srv == NULL || server_listen(srv, &err) == -1) {
		log_error("server: %s", err);
		_exit(2);
	}
	_exit(server_run(srv) == 0 ? 0 : 1);
}

/* The pid of the process listening at path, 0 if none. */
static pid_t
listener_pid(const char *path)
{
	struct ucred cred = { .pid = 0 };
	socklen_t len = sizeof(cred);
	int fd = raw_connect(path);

	if (fd == -1)
		return 0;
	(void)getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	close(fd);
	return cred.pid;
}

static pid_t
wait_listener(const char *path, pid_t not, int wait_ms)
{
	uint64_t t0 = now_ms();
	pid_t pid;

	while ((pid = listener_pid(path)) == 0 || pid == not) {
		if (now_ms() - t0 > (uint64_t)wait_ms)
			return 0;
		usleep(20 * 1000);
	}
	return pid;
}

Test(lookupd, supervised_child_of_a_daemon_master)
{
	struct lk l;
	struct dir_client *c;
	struct dir_entry *e;
	struct dir_info info;
	const char *user = "nobody";
	pid_t master, first, second;
	int st;

	if (!is_root())
		user = getpwuid(geteuid())->pw_name;
	lk_config(&l, shared_uri(), NULL, NULL);
	free(l.sock);
	cr_assert_geq(asprintf(&l.sock, "%s/testd-lookup.sock", l.dir), 0);
	master = fork();
	cr_assert_neq(master, -1);
	if (master == 0)
		run_master(&l, user);
	first = wait_listener(l.sock, 0, 10000);
	ITEST_ASSERT_LOG(first != 0 && first != master, l.log,
	    "no lookup child listens at %s", l.sock);
	c = client_for(&l);
	cr_assert_eq(dir_client_lookup_address(c, "alice@example.test", pool,
	    &e, &info), DIR_FOUND, "%s", info.error);
	/* the lookup process crashes: the master starts a new one */
	cr_assert_eq(kill(first, SIGKILL), 0);
	second = wait_listener(l.sock, first, 10000);
	ITEST_ASSERT_LOG(second != 0, l.log, "the lookup child was not "
	    "restarted");
	cr_assert_eq(dir_client_lookup_address(c, "bob@example.test", pool, &e,
	    &info), DIR_FOUND, "%s", info.error);
	ITEST_ASSERT_LOG(log_has(&l, "child started name=lookup", 0), l.log,
	    "no start line");
	/* the master's stop ends the child, which removes its socket */
	cr_assert_eq(kill(master, SIGTERM), 0);
	cr_assert_eq(waitpid(master, &st, 0), master);
	ITEST_ASSERT_LOG(WIFEXITED(st) && WEXITSTATUS(st) == 0, l.log,
	    "master status %d", st);
	cr_assert_eq(kill(second, 0), -1, "the lookup child still runs");
	cr_assert_eq(access(l.sock, F_OK), -1, "socket left behind");
	dir_client_free(&c);
	lk_stop(&l);
}
