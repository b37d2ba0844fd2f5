/*
 * tests/fuzz/dns_rdata_fuzz.c - fuzz target for the record-data parsers
 * of lib/dns_rdata.c (what DNS servers send is hostile).
 *
 * The whole input is fed as SRV, MX, A and AAAA rdata and as a wire name;
 * then it is cut into records (a length byte, then that many bytes) and
 * collected as one SRV and one MX answer with a random source taken from
 * the input. Accepted names must be valid names (dns_name_ok) or empty
 * (the root), and the ordered answers must be sorted by priority or
 * preference.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/dns.h"
#include "lib/pool.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rnd {
	const uint8_t *p;
	size_t n, i;
};

static uint32_t
fuzz_random(void *arg, uint32_t bound)
{
	struct rnd *r = arg;
	uint32_t v = r->n > 0 ? r->p[r->i++ % r->n] : 0;

	return (v * 2654435761u) % bound;
}

static void
check_name(const char *name)
{
	if (name[0] != '\0' && !dns_name_ok(name))
		abort();
	if (strlen(name) > DNS_NAME_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = pool_new("fuzz");
	const uint8_t *recs[DNS_RECORDS_MAX + 8];
	size_t lens[DNS_RECORDS_MAX + 8], n = 0, off = 0, used, nout;
	char name[DNS_NAME_MAX + 1];
	struct dns_srv srv, *sv;
	struct dns_mx mx, *mv;
	struct dns_addr a;
	struct dns_info info;
	struct rnd rnd = { .p = data, .n = size };
	const char *err;

	if (dns_name_parse(data, size, name, &used, &err) == 0) {
		check_name(name);
		if (used > size || used > 255)
			abort();
	}
	if (dns_srv_parse(data, size, pool, &srv, &err) == 0)
		check_name(srv.target);
	if (dns_mx_parse(data, size, pool, &mx, &err) == 0)
		check_name(mx.exchange);
	(void)dns_addr_parse(data, size, AF_INET, &a, &err);
	(void)dns_addr_parse(data, size, AF_INET6, &a, &err);

	while (off < size && n < sizeof(recs) / sizeof(recs[0])) {
		size_t l = data[off++];

		if (l > size - off)
			l = size - off;
		recs[n] = data + off;
		lens[n++] = l;
		off += l;
	}
	if (dns_srv_from_rdata(recs, lens, n, fuzz_random, &rnd, pool, &sv,
	    &nout, &info) == DNS_FOUND) {
		if (nout == 0 || nout > DNS_RECORDS_MAX)
			abort();
		for (size_t i = 0; i < nout; i++) {
			check_name(sv[i].target);
			if (sv[i].target[0] == '\0')
				abort();
			if (i > 0 && sv[i - 1].priority > sv[i].priority)
				abort();
		}
	}
	if (dns_mx_from_rdata(recs, lens, n, fuzz_random, &rnd, pool, &mv,
	    &nout, &info) == DNS_FOUND) {
		if (nout == 0 || nout > DNS_RECORDS_MAX)
			abort();
		for (size_t i = 0; i < nout; i++) {
			check_name(mv[i].exchange);
			if (i > 0 && mv[i - 1].preference > mv[i].preference)
				abort();
		}
	}
	pool_free(&pool);
	return 0;
}
