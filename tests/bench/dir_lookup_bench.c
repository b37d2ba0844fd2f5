/*
 * tests/bench/dir_lookup_bench.c - libtdir address lookups per second,
 * cached and uncached, and LDAP round trips per lookup.
 *
 * Runs by hand against a slapd holding the sample tree, e.g.
 *	eval "$(SLAPD_LDIF=schema/samples/example.test.ldif \
 *	    sh tests/fixtures/slapd.sh start /tmp/bench-slapd)"
 *	./tests/bench/dir_lookup_bench [LOOKUPS [THREADS]]
 * Environment: LDAP_URI (required), LDAP_BASEDN (default
 * dc=example,dc=test), LDAPTLS_CACERT and BENCH_STARTTLS=1 for StartTLS.
 * Not run by make check. Prints one table row per scenario.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/pool.h"
#include "directory/dir.h"
#include "lib/banned.h"

static const char *const known[] = { "alice@example.test",
	"bob@example.test", "carol@example.test", "info@example.test",
	"staff@example.test", "alice.liddell@example.test" };
static const char *const unknown[] = { "nobody@example.test",
	"x1@example.test", "x2@example.test", "x3@example.test" };

struct job {
	struct dir *d;
	const char *const *addrs;
	size_t n_addrs;
	unsigned lookups;
	unsigned failures;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
run(void *arg)
{
	struct job *j = arg;
	struct pool *p = pool_new("bench");

	for (unsigned i = 0; i < j->lookups; i++) {
		struct dir_entry *e;
		struct dir_info info;
		enum dir_result r = dir_lookup_address(j->d,
		    j->addrs[i % j->n_addrs], p, &e, &info);

		if (r == DIR_TEMPFAIL)
			j->failures++;
		if (i % 256 == 255) {	/* keep memory flat */
			pool_free(&p);
			p = pool_new("bench");
		}
	}
	pool_free(&p);
	return NULL;
}

static void
scenario(const char *name, struct dir_settings *s, const char *const *addrs,
    size_t n_addrs, unsigned lookups, unsigned threads, bool warm)
{
	struct pool *p = pool_new("setup");
	const char *err = NULL;
	struct dir *d = dir_new(s, p, &err);
	pthread_t t[64];
	struct job jobs[64];
	struct dir_stats before, after;
	unsigned fails = 0;
	double t0, dt;

	if (d == NULL) {
		fprintf(stderr, "dir_new: %s\n", err);
		exit(1);
	}
	if (warm) {
		struct job j = { d, addrs, n_addrs, (unsigned)n_addrs, 0 };

		run(&j);
	}
	dir_stats(d, &before);
	t0 = now_s();
	for (unsigned i = 0; i < threads; i++) {
		jobs[i] = (struct job){ d, addrs, n_addrs, lookups / threads, 0 };
		pthread_create(&t[i], NULL, run, &jobs[i]);
	}
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		fails += jobs[i].failures;
	}
	dt = now_s() - t0;
	dir_stats(d, &after);
	lookups = lookups / threads * threads;
	printf("%-22s %7u %7u %10.0f %9.3f %9.1f %6u\n", name, threads,
	    lookups, lookups / dt,
	    (double)(after.round_trips - before.round_trips) / lookups,
	    after.round_trips > before.round_trips ?
	    (double)(after.latency_us_total - before.latency_us_total) /
	    (double)(after.round_trips - before.round_trips) : 0.0, fails);
	dir_free(&d);
	pool_free(&p);
}

int
main(int argc, char **argv)
{
	unsigned lookups = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) :
	    20000;
	unsigned threads = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 4;
	char *uris[2] = { getenv("LDAP_URI"), NULL };
	struct dir_settings s;

	if (uris[0] == NULL) {
		fprintf(stderr, "LDAP_URI is not set (start tests/fixtures/"
		    "slapd.sh with the sample tree and eval its output)\n");
		return 2;
	}
	if (threads < 1 || threads > 64 || lookups < threads) {
		fprintf(stderr, "usage: %s [LOOKUPS [THREADS 1-64]]\n", argv[0]);
		return 2;
	}
	dir_settings_defaults(&s);
	s.uris = uris;
	s.base_dn = getenv("LDAP_BASEDN") != NULL ? getenv("LDAP_BASEDN") :
	    "dc=example,dc=test";
	s.ca_file = getenv("LDAPTLS_CACERT");
	s.starttls = getenv("BENCH_STARTTLS") != NULL;
	s.pool_size = threads;
	printf("%-22s %7s %7s %10s %9s %9s %6s\n", "scenario", "threads",
	    "lookups", "lookups/s", "rt/lookup", "us/rt", "fails");
	s.cache_max_entries = 0;
	scenario("uncached known", &s, known, 6, lookups, 1, false);
	scenario("uncached known", &s, known, 6, lookups, threads, false);
	scenario("uncached unknown", &s, unknown, 4, lookups, threads, false);
	s.cache_max_entries = 10000;
	scenario("cached known", &s, known, 6, lookups * 10, 1, true);
	scenario("cached known", &s, known, 6, lookups * 10, threads, true);
	scenario("cached unknown (neg)", &s, unknown, 4, lookups * 10, threads,
	    true);
	return 0;
}
