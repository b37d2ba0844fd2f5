/*
 * lib/dns_config.c - the [dns] section of tessera.conf.
 *
 * Runs in the master while it reads its configuration; the table is the
 * reference for the [dns] part of docs/tessera.conf.5
 * (tests/unit/lib/docs_test.c checks every key is documented there).
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/dns.h"
#include "lib/dns_config.h"
#include "lib/pool.h"
#include "lib/banned.h"

#define T struct dns_config
static const struct cfg_key dns_keys[] = {
	CFG_LIST(T, servers, n_servers, "servers", "", "DNS servers asked, "
	    "ADDR[@PORT]; empty: the nameservers of /etc/resolv.conf"),
	CFG_TIME(T, timeout, "timeout", "5s", "100ms", "10m",
	    "longest wait for the answers of one lookup"),
	CFG_STRING(T, trust_anchor_file, "trust_anchor_file", "",
	    "DNSSEC trust anchors (DS or DNSKEY records); empty: answers are "
	    "not validated"),
};

static int
dns_config_check(void *data, const char *instance, struct buf *msg)
{
	const struct dns_config *d = data;

	(void)instance;
	if (d->n_servers > DNS_SERVERS_MAX) {
		buf_printf(msg, "servers: more than %d", DNS_SERVERS_MAX);
		return -1;
	}
	for (size_t i = 0; i < d->n_servers; i++) {
		const char *err;

		if (dns_server_check(d->servers[i], &err) == -1) {
			buf_printf(msg, "servers: \"%.64s\": %s", d->servers[i],
			    err);
			return -1;
		}
	}
	return 0;
}

const struct cfg_section_def dns_config_def = CFG_SECTION("dns",
    struct dns_config, dns_keys, dns_config_check,
    "DNS: the servers asked for MX, address and SRV records");

void
dns_config_settings(const struct cfg *c, struct pool *pool,
    struct dns_settings *s)
{
	const struct dns_config *d = cfg_get(c, "dns");
	const char **servers = pool_alloc(pool,
	    (d->n_servers + 1) * sizeof(*servers));

	dns_settings_defaults(s);
	for (size_t i = 0; i < d->n_servers; i++)
		servers[i] = d->servers[i];
	s->servers = servers;
	s->timeout_ms = d->timeout;
	s->trust_anchor_file = *d->trust_anchor_file != '\0' ?
	    d->trust_anchor_file : NULL;
}
#undef T
