/*
 * lib/dns_config.h - the [dns] section of tessera.conf: which servers the
 * daemons' DNS lookups ask (lib/dns.h), shared by mtad's MX lookups and
 * the directory's SRV discovery.
 *
 * Read by the master before privileges are dropped; children inherit the
 * parsed struct.
 */
#ifndef LIB_DNS_CONFIG_H
#define LIB_DNS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"
#include "lib/dns.h"

struct pool;

struct dns_config {
	char **servers;
	size_t n_servers;
	uint64_t timeout;		/* ms */
	char *trust_anchor_file;
};

/* The [dns] section definition (for cfg_new). Its check refuses a server
 * that is not ADDR[@PORT] and more than DNS_SERVERS_MAX servers, so a
 * typo fails at start-up with the file and line. */
extern const struct cfg_section_def dns_config_def;

/* Fill s from the [dns] section of c (defaults for what is not set).
 * Strings are borrowed from c; the server array is allocated in pool. */
void dns_config_settings(const struct cfg *c, struct pool *pool,
    struct dns_settings *s);

#endif
