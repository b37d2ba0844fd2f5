/*
 * directory/dir_srv.c - discovery of directory servers through DNS SRV
 * records.
 *
 * Runs in the lookup process. DNS answers are untrusted: lib/dns parses
 * and bounds them (names, record counts); here the number of targets
 * resolved and of URIs built is bounded too, and a failure says which
 * query failed so a TEMPFAIL names DNS rather than a directory server.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/buf.h"
#include "lib/dns.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "directory/dir.h"
#include "directory/dir_srv.h"
#include "lib/banned.h"

struct dir_srv {
	char *name;			/* _ldap._tcp.DOMAIN */
	bool ldaps;
	struct dns_resolver *dns;	/* kept for its cache */
	/* a copy of the DNS settings, for fresh resolvers */
	struct dns_settings settings;
	char **servers;
	char *resolv_conf;
	char *trust_anchor_file;
};

static char *
dup_opt(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct dir_srv *
dir_srv_new(const char *domain, bool ldaps, const struct dns_settings *dns,
    struct pool *err_pool, const char **err_out)
{
	struct dns_settings def;
	struct dir_srv *s;
	struct dns_resolver *r;
	char name[DNS_NAME_MAX + 2];
	size_t n = 0;

	if (dns == NULL) {
		dns_settings_defaults(&def);
		dns = &def;
	}
	if (strnlen(domain, DIR_DOMAIN_MAX + 1) > DIR_DOMAIN_MAX ||
	    str_printf(name, sizeof(name), "%s.%s",
	    ldaps ? "_ldaps._tcp" : "_ldap._tcp", domain) == -1 ||
	    !dns_name_ok(name)) {
		*err_out = pool_printf(err_pool, "srv_domain \"%.*s\" is not a "
		    "valid DNS domain name", DIR_DOMAIN_MAX, domain);
		return NULL;
	}
	if ((r = dns_resolver_new(dns, err_pool, err_out)) == NULL)
		return NULL;
	s = xmalloc(sizeof(*s));
	s->name = xstrdup(name);
	s->ldaps = ldaps;
	s->dns = r;
	s->settings = *dns;
	while (dns->servers != NULL && dns->servers[n] != NULL)
		n++;
	s->servers = xcalloc(n + 1, sizeof(*s->servers));
	for (size_t i = 0; i < n; i++)
		s->servers[i] = xstrdup(dns->servers[i]);
	s->settings.servers = (const char *const *)s->servers;
	s->resolv_conf = dup_opt(dns->resolv_conf);
	s->settings.resolv_conf = s->resolv_conf;
	s->trust_anchor_file = dup_opt(dns->trust_anchor_file);
	s->settings.trust_anchor_file = s->trust_anchor_file;
	return s;
}

void
dir_srv_free(struct dir_srv **sp)
{
	struct dir_srv *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	dns_resolver_free(&s->dns);
	for (size_t i = 0; s->servers[i] != NULL; i++)
		free(s->servers[i]);
	free(s->servers);
	free(s->resolv_conf);
	free(s->trust_anchor_file);
	free(s->name);
	free(s);
	*sp = NULL;
}

const char *
dir_srv_name(const struct dir_srv *s)
{
	return s->name;
}

void
dir_srv_servers_free(struct dir_srv_server **vp, size_t n)
{
	if (vp == NULL || *vp == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*vp)[i].uri);
		free((*vp)[i].label);
	}
	free(*vp);
	*vp = NULL;
}

/* Add the URIs of one target's addresses to v[*n]; false when full. */
static bool
add_target(const struct dir_srv *s, const struct dns_srv *rec,
    const struct dns_addr *a, size_t na, struct dir_srv_server *v,
    size_t *n, size_t max)
{
	for (size_t i = 0; i < na; i++) {
		char uri[128], label[128 + DNS_NAME_MAX + 4];
		bool dup = false;

		if (str_printf(uri, sizeof(uri), a[i].family == AF_INET6 ?
		    "%s://[%s]:%u" : "%s://%s:%u", s->ldaps ? "ldaps" : "ldap",
		    a[i].text, (unsigned)rec->port) == -1 ||
		    str_printf(label, sizeof(label), "%s (%s)", uri,
		    rec->target) == -1)
			continue;	/* cannot happen: bounded texts */
		for (size_t j = 0; j < *n && !dup; j++)
			dup = strcmp(v[j].uri, uri) == 0;
		if (dup)
			continue;
		if (*n == max)
			return false;
		v[*n].uri = xstrdup(uri);
		v[*n].label = xstrdup(label);
		v[*n].priority = rec->priority;
		(*n)++;
	}
	return true;
}

int
dir_srv_discover(struct dir_srv *s, bool fresh, size_t max_uris,
    struct pool *pool, struct dir_srv_server **out, size_t *n_out,
    uint32_t *ttl_out, const char **err_out)
{
	struct dns_resolver *r = s->dns;
	struct dns_srv *recs;
	struct dns_info info;
	struct dir_srv_server *v;
	struct buf *errs;
	size_t nrec, n = 0;
	uint32_t ttl;
	enum dns_result res;

	*out = NULL;
	*n_out = 0;
	if (fresh) {
		/* a new resolver has an empty cache; keep it for later */
		struct dns_resolver *nr = dns_resolver_new(&s->settings, pool,
		    err_out);

		if (nr == NULL)
			return -1;
		dns_resolver_free(&s->dns);
		s->dns = r = nr;
	}
	res = dns_srv(r, s->name, pool, &recs, &nrec, &info);
	if (res != DNS_FOUND) {
		/* no record is as bad as no answer: no server to ask */
		*err_out = info.error;
		return -1;
	}
	ttl = info.ttl;
	v = xcalloc(max_uris > 0 ? max_uris : 1, sizeof(*v));
	errs = buf_new(128, 2048);
	for (size_t i = 0; i < nrec && i < DIR_SRV_TARGETS_MAX; i++) {
		struct dns_addr *a;
		size_t na;

		res = dns_addr(r, recs[i].target, DNS_ADDR_ANY, pool, &a, &na,
		    &info);
		if (res != DNS_FOUND) {
			(void)buf_printf(errs, "; %s", info.error);
			continue;
		}
		ttl = info.ttl < ttl ? info.ttl : ttl;
		if (!add_target(s, &recs[i], a, na, v, &n, max_uris))
			break;
	}
	if (n == 0) {
		*err_out = pool_printf(pool, "DNS SRV %s: no target has an "
		    "address%s", s->name, buf_cstr(errs));
		buf_free(&errs);
		free(v);
		return -1;
	}
	buf_free(&errs);
	*out = v;
	*n_out = n;
	*ttl_out = ttl;
	return 0;
}
