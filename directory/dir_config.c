/*
 * directory/dir_config.c - the [directory] section of tessera.conf.
 *
 * Runs in the master while it reads its configuration (trusted file, but
 * a typo must stop the start with its line number, not surface at the
 * first lookup); the table here is the reference for the [directory] part
 * of docs/tessera.conf.5 (tests/unit/directory/dir_config_test.c checks
 * every key is documented there).
 */
#include "config.h"

#include <ldap.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/dns.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "directory/dir_config.h"
#include "lib/banned.h"

static const char *const profile_words[] = { "openldap", "ad", "custom",
	NULL };
static const char *const bind_words[] = { "simple", "gssapi", NULL };

#define T struct dir_config
#define OVERRIDE_KEY(name, type, doc) \
	CFG_STRING(T, name, #name, "", "override: " doc),
static const struct cfg_key dir_keys[] = {
	CFG_LIST(T, uris, n_uris, "uris", "", "LDAP servers, ldap:// or "
	    "ldaps://, tried in order; back to the first when it answers"),
	CFG_STRING(T, srv_domain, "srv_domain", "", "with uris empty: find "
	    "the servers by the DNS SRV records _ldap._tcp.DOMAIN"),
	CFG_BOOL(T, srv_ldaps, "srv_ldaps", "no", "srv_domain: ask "
	    "_ldaps._tcp.DOMAIN and use ldaps://"),
	CFG_BOOL(T, starttls, "starttls", "yes", "StartTLS on ldap:// URIs"),
	CFG_BOOL(T, tls_verify, "tls_verify", "yes",
	    "verify the server certificate and host name"),
	CFG_STRING(T, ca_file, "ca_file", "", "CA file for the directory "
	    "servers; empty: ldap.conf's or the system's"),
	CFG_STRING(T, bind_dn, "bind_dn", "", "service account DN; empty: "
	    "anonymous"),
	CFG_STRING(T, bind_password_file, "bind_password_file", "",
	    "file holding the service account password"),
	CFG_ENUM(T, bind_method, "bind_method", "simple", bind_words,
	    "simple (bind_dn, or anonymous) or gssapi (Kerberos keytab)"),
	CFG_STRING(T, bind_keytab, "bind_keytab", "", "gssapi: the keytab "
	    "of the lookup process's principal"),
	CFG_STRING(T, bind_principal, "bind_principal", "", "gssapi: that "
	    "principal; empty: the keytab's first"),
	CFG_TIME(T, connect_timeout, "connect_timeout", "5s", "100ms", "5m",
	    "TCP connect and TLS handshake timeout"),
	CFG_TIME(T, op_timeout, "op_timeout", "5s", "100ms", "10m",
	    "timeout of each LDAP operation"),
	CFG_TIME(T, retry_dead, "retry_dead", "30s", "0s", "1h",
	    "how long a failed server is skipped"),
	CFG_STRING(T, base_dn, "base_dn", "", "search base (required)"),
	CFG_STRING(T, user_base_dn, "user_base_dn", "",
	    "base of login lookups; empty: base_dn"),
	CFG_STRING(T, group_base_dn, "group_base_dn", "",
	    "base of group listings; empty: base_dn"),
	CFG_STRING(T, domain_base_dn, "domain_base_dn", "",
	    "base of accepted domains; empty: base_dn"),
	CFG_LIST(T, accepted_domains, n_accepted_domains, "accepted_domains",
	    "", "accepted domains listed here instead of read from the "
	    "directory; empty: from the directory"),
	CFG_ENUM(T, profile, "profile", "openldap", profile_words,
	    "attribute profile: openldap, ad or custom"),
	CFG_INT(T, pool_size, "pool_size", "4", "1", "64",
	    "LDAP connections of the lookup process"),
	CFG_TIME(T, cache_positive_ttl, "cache_positive_ttl", "60s", "0s", "1d",
	    "how long a found entry is cached; 0: not cached"),
	CFG_TIME(T, cache_negative_ttl, "cache_negative_ttl", "10s", "0s", "1d",
	    "how long a not-found answer is cached; 0: not cached"),
	CFG_INT(T, cache_max_entries, "cache_max_entries", "10000", "0",
	    "10000000", "cached answers; 0: no cache"),
	CFG_INT(T, group_max_depth, "group_max_depth", "8", "1", "64",
	    "levels of nested groups expanded"),
	CFG_INT(T, group_max_members, "group_max_members", "10000", "1",
	    "1000000", "members of one expanded group"),
	CFG_INT(T, result_size_limit, "result_size_limit", "1000", "1",
	    "100000", "entries of a list search (domains)"),
	DIR_PROFILE_KEYS(OVERRIDE_KEY)
};
#undef OVERRIDE_KEY

/* The overrides of d that are not empty, as "key=value" in pool. */
static const char **
overrides_nonempty(const struct dir_config *d, struct pool *pool)
{
	const char **ov = pool_alloc(pool,
	    (sizeof(dir_keys) / sizeof(dir_keys[0]) + 1) * sizeof(*ov));
	size_t n = 0;

#define ADD(name, type, doc) \
	if (d->name != NULL && *d->name != '\0') \
		ov[n++] = pool_printf(pool, "%s=%s", #name, d->name);
	DIR_PROFILE_KEYS(ADD)
#undef ADD
	return ov;
}

static bool
uri_ok(const char *uri)
{
	LDAPURLDesc *lud = NULL;
	bool ok = ldap_url_parse(uri, &lud) == LDAP_URL_SUCCESS &&
	    (str_eq_ci(lud->lud_scheme, "ldap") ||
	    str_eq_ci(lud->lud_scheme, "ldaps"));

	ldap_free_urldesc(lud);
	return ok;
}

static int
dir_config_check(void *data, const char *instance, struct buf *msg)
{
	const struct dir_config *d = data;
	struct pool *pool;
	struct dir_profile *prof;
	const char *err = NULL;

	if (d->n_uris == 0 && *d->srv_domain == '\0') {
		buf_printf(msg, "uris is required (or srv_domain)");
		return -1;
	}
	if (*d->srv_domain != '\0') {
		char name[DNS_NAME_MAX + 2];

		if (str_printf(name, sizeof(name), "_ldaps._tcp.%s",
		    d->srv_domain) == -1 || !dns_name_ok(name)) {
			buf_printf(msg, "srv_domain: \"%.100s\" is not a DNS "
			    "domain name", d->srv_domain);
			return -1;
		}
	}
	for (size_t i = 0; i < d->n_uris; i++)
		if (!uri_ok(d->uris[i])) {
			buf_printf(msg, "uris: \"%.100s\" is not an ldap:// or "
			    "ldaps:// URI", d->uris[i]);
			return -1;
		}
	if (*d->base_dn == '\0') {
		buf_printf(msg, "base_dn is required");
		return -1;
	}
	for (size_t i = 0; i < d->n_accepted_domains; i++)
		if (strlen(d->accepted_domains[i]) > DIR_DOMAIN_MAX ||
		    !dns_name_ok(d->accepted_domains[i])) {
			buf_printf(msg, "accepted_domains: \"%.100s\" is not a "
			    "DNS domain name", d->accepted_domains[i]);
			return -1;
		}
	if (d->bind_method == DIR_BIND_GSSAPI) {
		if (*d->bind_keytab == '\0') {
			buf_printf(msg, "bind_method = gssapi needs bind_keytab");
			return -1;
		}
		if (*d->bind_dn != '\0' || *d->bind_password_file != '\0') {
			buf_printf(msg, "bind_method = gssapi takes no bind_dn "
			    "or bind_password_file");
			return -1;
		}
	} else if (*d->bind_keytab != '\0' || *d->bind_principal != '\0') {
		buf_printf(msg, "bind_keytab and bind_principal need "
		    "bind_method = gssapi");
		return -1;
	}
	if ((*d->bind_dn == '\0') != (*d->bind_password_file == '\0')) {
		buf_printf(msg, "bind_dn and bind_password_file go together");
		return -1;
	}
	pool = pool_new("dir_config_check");
	prof = dir_profile_new((enum dir_profile_kind)d->profile,
	    overrides_nonempty(d, pool), pool, &err);
	if (prof == NULL)
		buf_printf(msg, "%s", err);
	dir_profile_free(&prof);
	pool_free(&pool);
	return err != NULL ? -1 : 0;
}

const struct cfg_section_def dir_config_def = CFG_SECTION("directory",
    struct dir_config, dir_keys, dir_config_check,
    "the LDAP directory: servers, TLS, bind, bases, profile, cache");

static const char *
opt(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

void
dir_config_settings(const struct cfg *c, struct pool *pool,
    struct dir_settings *s)
{
	const struct dir_config *d = cfg_get(c, "directory");
	const char **ov = pool_alloc(pool,
	    (sizeof(dir_keys) / sizeof(dir_keys[0]) + 1) * sizeof(*ov));
	size_t n = 0;

	dir_settings_defaults(s);
	s->uris = pool_alloc(pool, (d->n_uris + 1) * sizeof(*s->uris));
	for (size_t i = 0; i < d->n_uris; i++)
		s->uris[i] = d->uris[i];
	s->srv_domain = opt(d->srv_domain);
	s->srv_ldaps = d->srv_ldaps;
	s->starttls = d->starttls;
	s->tls_verify = d->tls_verify;
	s->ca_file = opt(d->ca_file);
	s->bind_dn = opt(d->bind_dn);
	s->bind_password_file = opt(d->bind_password_file);
	s->bind_method = (enum dir_bind_method)d->bind_method;
	s->bind_keytab = opt(d->bind_keytab);
	s->bind_principal = opt(d->bind_principal);
	s->connect_timeout_ms = d->connect_timeout;
	s->op_timeout_ms = d->op_timeout;
	s->retry_dead_ms = d->retry_dead;
	s->base_dn = opt(d->base_dn);
	s->user_base_dn = opt(d->user_base_dn);
	s->group_base_dn = opt(d->group_base_dn);
	s->domain_base_dn = opt(d->domain_base_dn);
	if (d->n_accepted_domains > 0) {
		const char **ad = pool_alloc(pool,
		    (d->n_accepted_domains + 1) * sizeof(*ad));

		for (size_t i = 0; i < d->n_accepted_domains; i++)
			ad[i] = d->accepted_domains[i];
		s->accepted_domains = ad;
	}
	s->profile = (enum dir_profile_kind)d->profile;
	s->pool_size = (unsigned)d->pool_size;
	s->cache_positive_ttl_ms = d->cache_positive_ttl;
	s->cache_negative_ttl_ms = d->cache_negative_ttl;
	s->cache_max_entries = (size_t)d->cache_max_entries;
	s->group_max_depth = (unsigned)d->group_max_depth;
	s->group_max_members = (size_t)d->group_max_members;
	s->result_size_limit = (size_t)d->result_size_limit;
#define SET(name, type, doc) \
	if (cfg_line(c, "directory", NULL, #name) != 0) \
		ov[n++] = pool_printf(pool, "%s=%s", #name, d->name);
	DIR_PROFILE_KEYS(SET)
#undef SET
	s->overrides = ov;
}
#undef T
