/*
 * tests/integration/itest_dns.h - the DNS server fixture
 * (tests/fixtures/dns.sh) as a struct for Criterion integration suites,
 * and a UDP socket that never answers (a DNS server that is "down" but
 * swallows queries).
 *
 * Runs inside test processes only; failures are reported on stderr and as
 * NULL/-1, for the test to assert on.
 */
#ifndef TESTS_INTEGRATION_ITEST_DNS_H
#define TESTS_INTEGRATION_ITEST_DNS_H

#include <stdint.h>

struct itest_dns {
	char *dir;		/* DNS_DIR */
	char *server;		/* DNS_SERVER, "127.0.0.1@PORT" */
	char *log;		/* DNS_LOG */
	uint16_t port;		/* DNS_PORT */
};

/* Start a DNS server in dir serving records (zone-file lines, see
 * dns.sh), on a kernel-chosen port. NULL with the script's output on
 * stderr. */
struct itest_dns *itest_dns_start(const char *dir, const char *records);
/* Serve new records: the server restarts on the same port. 0 or -1. */
int itest_dns_set(struct itest_dns *d, const char *records);
/* Stop the server, keep d (its port stays reserved for itest_dns_set). */
int itest_dns_halt(struct itest_dns *d);
/* Stop and free *dp; NULL-safe. 0, or -1 if the script failed. */
int itest_dns_stop(struct itest_dns **dp);

/* A UDP socket bound to 127.0.0.1 on a kernel-chosen port that is never
 * read: queries sent there get no answer. Its fd (close it when done) and
 * *port_out, or -1. */
int itest_dns_silent(uint16_t *port_out);

#endif
