/*
 * tests/integration/dns_test.c - lib/dns against a real DNS server (the
 * unbound fixture, tests/fixtures/dns.sh) on loopback: SRV, MX, A and
 * AAAA answers, NXDOMAIN and no-data as NOTFOUND, "." targets, and DNS
 * servers that do not answer (a silent UDP socket, a closed port) as
 * TEMPFAIL within the timeout. Nothing is mocked.
 *
 * One shared server with fixed records is started before all tests;
 * tests that change records start their own.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/dns.h"
#include "lib/pool.h"
#include "tests/integration/itest.h"
#include "tests/integration/itest_dns.h"
#include "lib/banned.h"

static const char records[] =
"_ldap._tcp.ad.example.test. 60 IN SRV 0 100 389 dc1.ad.example.test.\n"
"_ldap._tcp.ad.example.test. 60 IN SRV 10 0 3389 dc2.ad.example.test.\n"
"_ldap._tcp.ad.example.test. 60 IN SRV 0 0 636 dc3.ad.example.test.\n"
"_none._tcp.example.test. 60 IN SRV 0 0 0 .\n"
"example.test. 300 IN MX 20 mx2.example.test.\n"
"example.test. 300 IN MX 10 mx1.example.test.\n"
"nullmx.example.test. 60 IN MX 0 .\n"
"nomx.example.test. 60 IN A 192.0.2.10\n"
"dc1.ad.example.test. 30 IN A 127.0.0.2\n"
"dual.example.test. 60 IN A 192.0.2.1\n"
"dual.example.test. 60 IN A 192.0.2.2\n"
"dual.example.test. 60 IN AAAA 2001:db8::1\n"
"v6only.example.test. 60 IN AAAA 2001:db8::2\n";

/* Criterion's runner leaks a little of its own in parallel mode. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

static struct itest_dns *shared;
static char *shared_dir;

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	(void)set;
	shared_dir = itest_tmpdir("dns-test");
	if (shared_dir == NULL)
		return;
	shared = itest_dns_start(shared_dir, records);
	if (shared != NULL)
		setenv("DNSTEST_SERVER", shared->server, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	(void)st;
	itest_dns_stop(&shared);
	itest_cleanup_dir(&shared_dir);
}

static struct pool *pool;
/* A test's own server, stopped by t_fini even after a failed assertion. */
static struct itest_dns *own;
static char *own_dir;

static void
t_init(void)
{
	pool = pool_new("dns_itest");
}

static void
t_fini(void)
{
	itest_dns_stop(&own);
	itest_cleanup_dir(&own_dir);
	pool_free(&pool);
}

TestSuite(dns, .init = t_init, .fini = t_fini, .timeout = 60);

static const char *
server(void)
{
	const char *v = getenv("DNSTEST_SERVER");

	cr_assert_not_null(v, "the shared DNS server did not start");
	return v;
}

static struct dns_resolver *
resolver_for(const char *s1, const char *s2, uint64_t timeout_ms)
{
	const char *servers[3] = { s1, s2, NULL };
	struct dns_settings s;
	const char *err = NULL;
	struct dns_resolver *r;

	dns_settings_defaults(&s);
	s.servers = servers;
	s.timeout_ms = timeout_ms;
	r = dns_resolver_new(&s, pool, &err);
	cr_assert_not_null(r, "dns_resolver_new: %s", err);
	return r;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

Test(dns, srv_found_in_rfc2782_order)
{
	struct dns_resolver *r = resolver_for(server(), NULL, 3000);
	struct dns_srv *v;
	struct dns_info info;
	size_t n;

	cr_assert_eq(dns_srv(r, "_ldap._tcp.ad.example.test", pool, &v, &n,
	    &info), DNS_FOUND, "%s", info.error);
	cr_assert_eq(n, 3);
	/* priority 0 first: dc1 (weight 100) or dc3 (weight 0), then dc2 */
	cr_assert_eq(v[0].priority, 0);
	cr_assert_eq(v[1].priority, 0);
	cr_assert_str_eq(v[2].target, "dc2.ad.example.test");
	cr_assert_eq(v[2].port, 3389);
	cr_assert(strcmp(v[0].target, "dc1.ad.example.test") == 0 ||
	    strcmp(v[0].target, "dc3.ad.example.test") == 0);
	cr_assert_gt(info.ttl, 0);
	cr_assert_leq(info.ttl, 60);
	cr_assert_null(info.error);
	cr_assert_not(info.secure, "no trust anchor: not validated");
	dns_resolver_free(&r);
}

Test(dns, srv_weights_spread_first_choice)
{
	struct dns_resolver *r = resolver_for(server(), NULL, 3000);
	int dc1_first = 0;

	/* weights 100 and 0 at priority 0: dc3 first only when the draw in
	 * [0, 100] is 0 */
	for (int i = 0; i < 200; i++) {
		struct dns_srv *v;
		size_t n;

		cr_assert_eq(dns_srv(r, "_ldap._tcp.ad.example.test.", pool, &v,
		    &n, NULL), DNS_FOUND);
		dc1_first += strcmp(v[0].target, "dc1.ad.example.test") == 0;
	}
	cr_assert_gt(dc1_first, 180, "dc1 first %d of 200", dc1_first);
	dns_resolver_free(&r);
}

Test(dns, srv_dot_target_is_notfound)
{
	struct dns_resolver *r = resolver_for(server(), NULL, 3000);
	struct dns_srv *v;
	struct dns_info info;
	size_t n;

	cr_assert_eq(dns_srv(r, "_none._tcp.example.test", pool, &v, &n,
	    &info), DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_NULL_TARGET);
	cr_assert_not_null(strstr(info.error, "service not available"), "%s",
	    info.error);
	cr_assert_eq(n, 0);
	dns_resolver_free(&r);
}

Test(dns, srv_nxdomain_and_nodata_are_notfound)
{
	struct dns_resolver *r = resolver_for(server(), NULL, 3000);
	struct dns_srv *v;
	struct dns_info info;
	size_t n;

	cr_assert_eq(dns_srv(r, "_ldap._tcp.nx.example.test", pool, &v, &n,
	    &info), DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_NXDOMAIN);
	cr_assert_not_null(strstr(info.error, "NXDOMAIN"), "%s", info.error);
	cr_assert_eq(dns_srv(r, "dc1.ad.example.test", pool, &v, &n, &info),
	    DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_NODATA);
	dns_resolver_free(&r);
}

Test(dns, mx_found_in_preference_order)
{
	struct dns_resolver *r = resolver_for(server(), NULL, 3000);
	struct dns_mx *v;
	struct dns_info info;
	size_t n;

	cr_assert_eq(dns_mx(r, "example.test", pool, &v, &n, &info),
	    DNS_FOUND, "%s", info.error);
	cr_assert_eq(n, 2);
	cr_assert_eq(v[0].preference, 10);
	cr_assert_str_eq(v[0].exchange, "mx1.example.test");
	cr_assert_str_eq(v[1].exchange, "mx2.example.test");
	cr_assert_leq(info.ttl, 300);
	dns_resolver_free(&r);
}

Test(dns, mx_null_nodata_and_nxdomain)
{
	struct dns_resolver *r = resolver_for(server(), NULL, 3000);
	struct dns_mx *v;
	struct dns_info info;
	size_t n;

	cr_assert_eq(dns_mx(r, "nullmx.example.test", pool, &v, &n, &info),
	    DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_NULL_TARGET);
	cr_assert_not(dns_mx_implicit(&info));
	cr_assert_eq(dns_mx(r, "nomx.example.test", pool, &v, &n, &info),
	    DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_NODATA);
	cr_assert(dns_mx_implicit(&info), "no MX: implicit MX applies");
	cr_assert_eq(dns_mx(r, "nx.example.test", pool, &v, &n, &info),
	    DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_NXDOMAIN);
	cr_assert_not(dns_mx_implicit(&info));
	dns_resolver_free(&r);
}

Test(dns, addr_a_and_aaaa)
{
	struct dns_resolver *r = resolver_for(server(), NULL, 3000);
	struct dns_addr *v;
	struct dns_info info;
	size_t n;

	cr_assert_eq(dns_addr(r, "dual.example.test", DNS_ADDR_ANY, pool, &v,
	    &n, &info), DNS_FOUND, "%s", info.error);
	cr_assert_eq(n, 3);
	cr_assert_eq(v[0].family, AF_INET);
	cr_assert_eq(v[1].family, AF_INET);
	cr_assert(strcmp(v[0].text, "192.0.2.1") == 0 ||
	    strcmp(v[0].text, "192.0.2.2") == 0, "%s", v[0].text);
	cr_assert_eq(v[2].family, AF_INET6);
	cr_assert_str_eq(v[2].text, "2001:db8::1");
	cr_assert_eq(dns_addr(r, "dual.example.test", DNS_ADDR_IPV6, pool, &v,
	    &n, &info), DNS_FOUND);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].text, "2001:db8::1");
	/* A only: the empty AAAA answer does not spoil it */
	cr_assert_eq(dns_addr(r, "dc1.ad.example.test", DNS_ADDR_ANY, pool, &v,
	    &n, &info), DNS_FOUND);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].text, "127.0.0.2");
	cr_assert_leq(info.ttl, 30);
	dns_resolver_free(&r);
}

Test(dns, addr_notfound_cases)
{
	struct dns_resolver *r = resolver_for(server(), NULL, 3000);
	struct dns_addr *v;
	struct dns_info info;
	size_t n;

	cr_assert_eq(dns_addr(r, "v6only.example.test", DNS_ADDR_IPV4, pool,
	    &v, &n, &info), DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_NODATA);
	cr_assert_eq(dns_addr(r, "example.test", DNS_ADDR_ANY, pool, &v, &n,
	    &info), DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_NODATA);
	cr_assert_eq(dns_addr(r, "nx.example.test", DNS_ADDR_ANY, pool, &v,
	    &n, &info), DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_NXDOMAIN);
	cr_assert_not_null(strstr(info.error, "NXDOMAIN"), "%s", info.error);
	dns_resolver_free(&r);
}

Test(dns, silent_server_is_tempfail_within_timeout)
{
	uint16_t port;
	int fd = itest_dns_silent(&port);
	char *srv = NULL;
	struct dns_resolver *r;
	struct dns_srv *v;
	struct dns_addr *a;
	struct dns_info info;
	size_t n;
	uint64_t t0, took;

	cr_assert_geq(fd, 0);
	cr_assert_geq(asprintf(&srv, "127.0.0.1@%u", (unsigned)port), 0);
	r = resolver_for(srv, NULL, 700);
	t0 = now_ms();
	cr_assert_eq(dns_srv(r, "_ldap._tcp.ad.example.test", pool, &v, &n,
	    &info), DNS_TEMPFAIL);
	took = now_ms() - t0;
	cr_assert_geq(took, 650, "gave up after %llu ms",
	    (unsigned long long)took);
	cr_assert_lt(took, 2000, "took %llu ms", (unsigned long long)took);
	cr_assert_not_null(strstr(info.error, "no answer within 700 ms"),
	    "%s", info.error);
	cr_assert_not_null(strstr(info.error, srv), "%s", info.error);
	cr_assert_eq(info.notfound, DNS_NF_NONE);
	/* both queries of an address lookup share the deadline */
	t0 = now_ms();
	cr_assert_eq(dns_addr(r, "dual.example.test", DNS_ADDR_ANY, pool, &a,
	    &n, &info), DNS_TEMPFAIL);
	took = now_ms() - t0;
	cr_assert_lt(took, 2000, "took %llu ms", (unsigned long long)took);
	dns_resolver_free(&r);
	free(srv);
	close(fd);
}

Test(dns, closed_port_is_tempfail_within_timeout)
{
	char *srv = NULL;
	struct dns_resolver *r;
	struct dns_mx *v;
	struct dns_info info;
	size_t n;
	uint64_t t0, took;

	cr_assert_geq(asprintf(&srv, "127.0.0.1@%u",
	    (unsigned)itest_free_port()), 0);
	r = resolver_for(srv, NULL, 1000);
	t0 = now_ms();
	cr_assert_eq(dns_mx(r, "example.test", pool, &v, &n, &info),
	    DNS_TEMPFAIL);
	took = now_ms() - t0;
	cr_assert_lt(took, 2500, "took %llu ms", (unsigned long long)took);
	cr_assert_not_null(strstr(info.error, "DNS MX example.test"), "%s",
	    info.error);
	dns_resolver_free(&r);
	free(srv);
}

Test(dns, second_forwarder_answers_when_first_is_silent)
{
	uint16_t port;
	int fd = itest_dns_silent(&port);
	char *srv = NULL;
	struct dns_resolver *r;
	struct dns_mx *v;
	struct dns_info info;
	size_t n;

	cr_assert_geq(fd, 0);
	cr_assert_geq(asprintf(&srv, "127.0.0.1@%u", (unsigned)port), 0);
	r = resolver_for(srv, server(), 8000);
	cr_assert_eq(dns_mx(r, "example.test", pool, &v, &n, &info),
	    DNS_FOUND, "%s", info.error);
	cr_assert_str_eq(v[0].exchange, "mx1.example.test");
	dns_resolver_free(&r);
	free(srv);
	close(fd);
}

struct worker {
	struct dns_resolver *r;
	int found;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct pool *p = pool_new("worker");

	for (int i = 0; i < 40; i++) {
		struct dns_srv *sv;
		struct dns_addr *av;
		size_t n;
		const char *name = pool_printf(p, "h%d.nx.example.test", i);

		w->found += dns_srv(w->r, "_ldap._tcp.ad.example.test", p, &sv,
		    &n, NULL) == DNS_FOUND;
		w->found += dns_addr(w->r, "dual.example.test", DNS_ADDR_ANY,
		    p, &av, &n, NULL) == DNS_FOUND;
		/* uncached names: answers arrive for other threads too */
		w->found += dns_addr(w->r, name, DNS_ADDR_ANY, p, &av, &n,
		    NULL) == DNS_NOTFOUND;
	}
	pool_free(&p);
	return NULL;
}

Test(dns, one_resolver_many_threads)
{
	struct dns_resolver *r = resolver_for(server(), NULL, 5000);
	pthread_t t[8];
	struct worker w[8];

	for (int i = 0; i < 8; i++) {
		w[i].r = r;
		w[i].found = 0;
		cr_assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].found, 120, "thread %d: %d of 120 as "
		    "expected", i, w[i].found);
	}
	dns_resolver_free(&r);
}

Test(dns, fixture_restarts_with_new_records)
{
	struct itest_dns *d;
	struct dns_resolver *r;
	struct dns_addr *v;
	struct dns_info info;
	size_t n;
	uint16_t port;

	own_dir = itest_tmpdir("dns-restart");
	cr_assert_not_null(own_dir);
	d = own = itest_dns_start(own_dir,
	    "a.example.test. 1 IN A 192.0.2.1\n");
	cr_assert_not_null(d);
	port = d->port;
	r = resolver_for(d->server, NULL, 3000);
	cr_assert_eq(dns_addr(r, "a.example.test", DNS_ADDR_IPV4, pool, &v, &n,
	    &info), DNS_FOUND, "%s", info.error);
	cr_assert_str_eq(v[0].text, "192.0.2.1");
	dns_resolver_free(&r);
	cr_assert_eq(itest_dns_set(d, "a.example.test. 1 IN A 192.0.2.99\n"),
	    0);
	cr_assert_eq(d->port, port);
	r = resolver_for(d->server, NULL, 3000);
	cr_assert_eq(dns_addr(r, "a.example.test", DNS_ADDR_IPV4, pool, &v, &n,
	    &info), DNS_FOUND, "%s", info.error);
	cr_assert_str_eq(v[0].text, "192.0.2.99");
	dns_resolver_free(&r);
	/* stopped: the same resolver settings now fail temporarily */
	cr_assert_eq(itest_dns_halt(d), 0);
	r = resolver_for(d->server, NULL, 500);
	cr_assert_eq(dns_addr(r, "a.example.test", DNS_ADDR_IPV4, pool, &v, &n,
	    &info), DNS_TEMPFAIL);
	dns_resolver_free(&r);
	own = NULL;
	cr_assert_eq(itest_dns_stop(&d), 0);
}
