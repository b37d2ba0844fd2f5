/*
 * tests/integration/dir_srv_test.c - libtdir finding its directory
 * servers through DNS SRV records ([directory] srv_domain), against a
 * real slapd with the sample tree and the DNS server fixture: RFC 2782
 * order with failover past a dead preferred server, StartTLS and ldaps
 * with the fixture's CA (its certificate carries IP 127.0.0.1), password
 * checks, refresh when the TTL ran out and when every server failed, a
 * known list kept while DNS is down, and DNS failures as TEMPFAIL naming
 * DNS (never NOTFOUND).
 *
 * One shared, read-only slapd is started before all tests; each test
 * starts its own DNS server, since tests change the records.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/dns.h"
#include "lib/pool.h"
#include "directory/dir.h"
#include "tests/integration/itest.h"
#include "tests/integration/itest_dns.h"
#include "lib/banned.h"

#define BASE "dc=example,dc=test"
#define DOMAIN "ad.example.test"

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
	char *sample;
	char port[16];

	(void)set;
	shared_dir = itest_tmpdir("dir-srv-test");
	if (shared_dir == NULL)
		return;
	sample = itest_srcpath("schema/samples/example.test.ldif");
	shared = itest_slapd_start(shared_dir, sample);
	free(sample);
	if (shared == NULL)
		return;
	setenv("SRVTEST_URI", shared->uri, 1);
	snprintf(port, sizeof(port), "%u", (unsigned)shared->port);
	setenv("SRVTEST_PORT", port, 1);
	snprintf(port, sizeof(port), "%u", (unsigned)shared->ldaps_port);
	setenv("SRVTEST_LDAPS_PORT", port, 1);
	setenv("SRVTEST_CACERT", shared->cacert, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	(void)st;
	itest_slapd_stop(&shared);
	itest_cleanup_dir(&shared_dir);
}

struct fixture {
	char *dir;
	struct itest_dns *dns;
	const char *servers[2];
	struct dns_settings dns_settings;
	struct dir_settings s;
};

static struct pool *pool;
/* The test's own DNS server and settings: static, so t_fini can stop the
 * server even when an assertion ended the test early. */
static struct fixture fx;
static struct fixture *current;

static void fixture_stop(struct fixture *f);

static void
t_init(void)
{
	pool = pool_new("dir_srv_test");
}

static void
t_fini(void)
{
	if (current != NULL)
		fixture_stop(current);
	pool_free(&pool);
}

TestSuite(dir_srv, .init = t_init, .fini = t_fini, .timeout = 90);

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	cr_assert_not_null(v, "%s not set: the shared slapd did not start",
	    name);
	return v;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Records: SRV for DOMAIN at priority/port pairs, dcN pointing to
 * 127.0.0.1, with ttl. ports[i] == 0 ends the list. */
static const char *
srv_records(const char *service, unsigned ttl, const unsigned *prio,
    const unsigned *ports)
{
	const char *r = "";

	for (int i = 0; ports[i] != 0; i++)
		r = pool_printf(pool, "%s%s." DOMAIN ". %u IN SRV %u 10 %u "
		    "dc%d." DOMAIN ".\ndc%d." DOMAIN ". %u IN A 127.0.0.1\n", r,
		    service, ttl, prio[i], ports[i], i + 1, i + 1, ttl);
	return r;
}

static unsigned
slapd_port(void)
{
	return (unsigned)strtoul(env("SRVTEST_PORT"), NULL, 10);
}


/* A DNS server with records and libtdir settings that discover through
 * it: plain LDAP, anonymous, no cache, short timeouts. */
static struct fixture *
fixture_start(const char *records)
{
	struct fixture *f = &fx;

	memset(f, 0, sizeof(*f));
	f->dir = itest_tmpdir("dir-srv-dns");
	cr_assert_not_null(f->dir);
	current = f;
	f->dns = itest_dns_start(f->dir, records);
	cr_assert_not_null(f->dns, "the DNS fixture did not start");
	f->servers[0] = f->dns->server;
	dns_settings_defaults(&f->dns_settings);
	f->dns_settings.servers = f->servers;
	f->dns_settings.timeout_ms = 2000;
	dir_settings_defaults(&f->s);
	f->s.srv_domain = DOMAIN;
	f->s.dns = &f->dns_settings;
	f->s.base_dn = BASE;
	f->s.starttls = false;
	f->s.ca_file = env("SRVTEST_CACERT");
	f->s.connect_timeout_ms = 2000;
	f->s.op_timeout_ms = 3000;
	f->s.cache_max_entries = 0;
	f->s.pool_size = 1;
	return f;
}

static void
fixture_stop(struct fixture *f)
{
	int rc = itest_dns_stop(&f->dns);

	current = NULL;
	itest_cleanup_dir(&f->dir);
	cr_assert_eq(rc, 0, "dns.sh stop failed");
}

static struct dir *
open_dir(const struct dir_settings *s)
{
	const char *err = NULL;
	struct dir *d = dir_new(s, pool, &err);

	cr_assert_not_null(d, "dir_new: %s", err);
	return d;
}

static enum dir_result
lookup(struct dir *d, const char *address, struct dir_info *info)
{
	struct dir_entry *e = NULL;

	return dir_lookup_address(d, address, pool, &e, info);
}

static void
must_find(struct dir *d, const char *address, struct dir_info *info)
{
	enum dir_result r = lookup(d, address, info);

	cr_assert_eq(r, DIR_FOUND, "%s: %s (%s)", address, dir_result_name(r),
	    info->error);
}

Test(dir_srv, failover_past_dead_preferred_server)
{
	unsigned dead = itest_free_port();
	const unsigned prio[] = { 0, 10 }, ports[] = { dead, slapd_port(), 0 };
	struct fixture *f;
	struct dir *d;
	struct dir_info info;
	struct dir_entry *e = NULL;

	f = fixture_start(srv_records("_ldap._tcp", 60, prio, ports));
	d = open_dir(&f->s);
	must_find(d, "alice@example.test", &info);
	cr_assert_str_eq(info.server, env("SRVTEST_URI"));
	/* the same list serves further lookups and NOTFOUND is real */
	cr_assert_eq(dir_lookup_address(d, "nobody@example.test", pool, &e,
	    &info), DIR_NOTFOUND);
	dir_free(&d);
	fixture_stop(f);
}

Test(dir_srv, priority_order_prefers_first_live_server)
{
	unsigned dead = itest_free_port();
	const unsigned prio[] = { 20, 5 }, ports[] = { dead, slapd_port(), 0 };
	struct fixture *f;
	struct dir *d;
	struct dir_info info;

	/* the live server has the better priority: no failover needed, so
	 * the lookup makes one round trip only */
	f = fixture_start(srv_records("_ldap._tcp", 60, prio, ports));
	d = open_dir(&f->s);
	must_find(d, "bob@example.test", &info);
	cr_assert_str_eq(info.server, env("SRVTEST_URI"));
	cr_assert_eq(info.round_trips, 1);
	dir_free(&d);
	fixture_stop(f);
}

Test(dir_srv, dns_down_is_tempfail_naming_dns)
{
	uint16_t port;
	int fd = itest_dns_silent(&port);
	const char *servers[2] = { NULL, NULL };
	struct dns_settings dns;
	struct dir_settings s;
	struct dir *d;
	struct dir_info info;
	uint64_t t0;

	cr_assert_geq(fd, 0);
	servers[0] = pool_printf(pool, "127.0.0.1@%u", (unsigned)port);
	dns_settings_defaults(&dns);
	dns.servers = servers;
	dns.timeout_ms = 500;
	dir_settings_defaults(&s);
	s.srv_domain = DOMAIN;
	s.dns = &dns;
	s.base_dn = BASE;
	d = open_dir(&s);
	t0 = now_ms();
	cr_assert_eq(lookup(d, "alice@example.test", &info), DIR_TEMPFAIL);
	cr_assert_lt(now_ms() - t0, 3000);
	cr_assert_not_null(strstr(info.error, "DNS SRV _ldap._tcp." DOMAIN),
	    "%s", info.error);
	cr_assert_not_null(strstr(info.error, "no answer"), "%s", info.error);
	/* the failure is remembered for a while: the next lookup does not
	 * wait for DNS again, and is TEMPFAIL with the same cause */
	t0 = now_ms();
	cr_assert_eq(lookup(d, "bob@example.test", &info), DIR_TEMPFAIL);
	cr_assert_lt(now_ms() - t0, 400);
	cr_assert_not_null(strstr(info.error, "DNS"), "%s", info.error);
	dir_free(&d);
	close(fd);
}

Test(dir_srv, no_srv_records_is_tempfail)
{
	struct fixture *f;
	struct dir *d;
	struct dir_info info;

	f = fixture_start("other." DOMAIN ". 60 IN A 127.0.0.1\n");
	d = open_dir(&f->s);
	cr_assert_eq(lookup(d, "alice@example.test", &info), DIR_TEMPFAIL);
	cr_assert_not_null(strstr(info.error, "NXDOMAIN"), "%s", info.error);
	cr_assert_eq(dir_check_password(d, "alice", "demo", 4, pool, NULL,
	    &info), DIR_AUTH_TEMPFAIL);
	dir_free(&d);
	fixture_stop(f);
}

Test(dir_srv, target_without_address_is_tempfail)
{
	struct fixture *f;
	struct dir *d;
	struct dir_info info;
	const char *rec = pool_printf(pool, "_ldap._tcp." DOMAIN ". 60 IN SRV "
	    "0 0 %u ghost." DOMAIN ".\n", slapd_port());

	f = fixture_start(rec);
	d = open_dir(&f->s);
	cr_assert_eq(lookup(d, "alice@example.test", &info), DIR_TEMPFAIL);
	cr_assert_not_null(strstr(info.error, "no target has an address"),
	    "%s", info.error);
	cr_assert_not_null(strstr(info.error, "ghost." DOMAIN), "%s",
	    info.error);
	dir_free(&d);
	fixture_stop(f);
}

Test(dir_srv, starttls_verified_against_address)
{
	const unsigned prio[] = { 0 }, ports[] = { slapd_port(), 0 };
	struct fixture *f;
	struct dir *d;
	struct dir_info info;

	f = fixture_start(srv_records("_ldap._tcp", 60, prio, ports));
	f->s.starttls = true;
	d = open_dir(&f->s);
	must_find(d, "alice@example.test", &info);
	cr_assert_eq(info.round_trips, 2);	/* StartTLS, search */
	dir_free(&d);
	fixture_stop(f);
}

Test(dir_srv, ldaps_service)
{
	const unsigned prio[] = { 0 };
	unsigned ports[] = { 0, 0 };
	struct fixture *f;
	struct dir *d;
	struct dir_info info;

	ports[0] = (unsigned)strtoul(env("SRVTEST_LDAPS_PORT"), NULL, 10);
	f = fixture_start(srv_records("_ldaps._tcp", 60, prio, ports));
	f->s.srv_ldaps = true;
	d = open_dir(&f->s);
	must_find(d, "alice@example.test", &info);
	cr_assert(strncmp(info.server, "ldaps://127.0.0.1:", 18) == 0, "%s",
	    info.server);
	dir_free(&d);
	fixture_stop(f);
}

Test(dir_srv, password_check_through_discovery)
{
	unsigned dead = itest_free_port();
	const unsigned prio[] = { 0, 1 }, ports[] = { dead, slapd_port(), 0 };
	struct fixture *f;
	struct dir *d;
	struct dir_info info;

	f = fixture_start(srv_records("_ldap._tcp", 60, prio, ports));
	d = open_dir(&f->s);
	cr_assert_eq(dir_check_password(d, "alice", "demo", 4, pool, NULL,
	    &info), DIR_AUTH_OK, "%s", info.error);
	cr_assert_eq(dir_check_password(d, "alice", "wrong", 5, pool, NULL,
	    &info), DIR_AUTH_BADPASS);
	dir_free(&d);
	fixture_stop(f);
}

Test(dir_srv, list_follows_dns_when_ttl_runs_out)
{
	unsigned dead = itest_free_port();
	const unsigned prio[] = { 0 };
	const unsigned live[] = { slapd_port(), 0 }, gone[] = { dead, 0 };
	struct fixture *f;
	struct dir *d;
	struct dir_info info;

	f = fixture_start(srv_records("_ldap._tcp", 1, prio, live));
	f->s.retry_dead_ms = 60000;	/* only the TTL may move the list */
	d = open_dir(&f->s);
	must_find(d, "alice@example.test", &info);
	cr_assert_eq(itest_dns_set(f->dns, srv_records("_ldap._tcp", 1, prio,
	    gone)), 0);
	usleep(1500 * 1000);
	cr_assert_eq(lookup(d, "alice@example.test", &info), DIR_TEMPFAIL,
	    "the old connection must not outlive the list");
	cr_assert_not_null(strstr(info.error, pool_printf(pool,
	    "127.0.0.1:%u (dc1." DOMAIN ")", dead)), "%s", info.error);
	cr_assert_eq(itest_dns_set(f->dns, srv_records("_ldap._tcp", 1, prio,
	    live)), 0);
	usleep(1500 * 1000);
	must_find(d, "alice@example.test", &info);
	cr_assert_str_eq(info.server, env("SRVTEST_URI"));
	dir_free(&d);
	fixture_stop(f);
}

Test(dir_srv, dns_asked_again_when_every_server_failed)
{
	unsigned dead = itest_free_port();
	const unsigned prio[] = { 0 };
	const unsigned live[] = { slapd_port(), 0 }, gone[] = { dead, 0 };
	struct fixture *f;
	struct dir *d;
	struct dir_info info;

	/* a long TTL: only the failure of every server can move the list,
	 * and the resolver's cache must not hide the new records */
	f = fixture_start(srv_records("_ldap._tcp", 3600, prio, gone));
	f->s.retry_dead_ms = 0;
	d = open_dir(&f->s);
	cr_assert_eq(lookup(d, "alice@example.test", &info), DIR_TEMPFAIL);
	cr_assert_not_null(strstr(info.error, "no directory server answered"),
	    "%s", info.error);
	cr_assert_eq(itest_dns_set(f->dns, srv_records("_ldap._tcp", 3600, prio,
	    live)), 0);
	must_find(d, "alice@example.test", &info);
	cr_assert_str_eq(info.server, env("SRVTEST_URI"));
	dir_free(&d);
	fixture_stop(f);
}

Test(dir_srv, known_list_kept_while_dns_is_down)
{
	const unsigned prio[] = { 0 }, live[] = { slapd_port(), 0 };
	struct fixture *f;
	struct dir *d;
	struct dir_info info;

	f = fixture_start(srv_records("_ldap._tcp", 1, prio, live));
	f->dns_settings.timeout_ms = 300;
	d = open_dir(&f->s);
	must_find(d, "alice@example.test", &info);
	cr_assert_eq(itest_dns_halt(f->dns), 0);
	usleep(1500 * 1000);
	/* the TTL ran out and DNS does not answer: the servers known
	 * still serve */
	must_find(d, "alice@example.test", &info);
	must_find(d, "bob@example.test", &info);
	dir_free(&d);
	fixture_stop(f);
}

Test(dir_srv, bad_settings_fail_at_dir_new)
{
	struct dir_settings s;
	struct dns_settings dns;
	const char *servers[] = { "not-an-address", NULL };
	const char *err = NULL;

	dir_settings_defaults(&s);
	s.base_dn = BASE;
	s.srv_domain = "bad domain";
	cr_assert_null(dir_new(&s, pool, &err));
	cr_assert_not_null(strstr(err, "srv_domain"), "%s", err);
	s.srv_domain = DOMAIN;
	dns_settings_defaults(&dns);
	dns.servers = servers;
	s.dns = &dns;
	cr_assert_null(dir_new(&s, pool, &err));
	cr_assert_not_null(strstr(err, "not-an-address"), "%s", err);
}
