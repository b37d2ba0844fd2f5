/*
 * directory/dir_config.h - the [directory] section of tessera.conf and its
 * translation into struct dir_settings.
 *
 * Read by the master before privileges are dropped; the lookup process
 * inherits the parsed struct and opens the bind password file itself in
 * dir_new. Every profile override of dir_profile.h is a key of its own
 * (attr_mail = mail); a key set to nothing switches that attribute off.
 */
#ifndef DIRECTORY_DIR_CONFIG_H
#define DIRECTORY_DIR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"
#include "directory/dir.h"
#include "directory/dir_profile.h"

struct pool;

/* What the [directory] section holds (times in ms). */
struct dir_config {
	char **uris;
	size_t n_uris;
	char *srv_domain;
	bool srv_ldaps;
	bool starttls;
	bool tls_verify;
	char *ca_file;
	char *bind_dn;
	char *bind_password_file;
	int bind_method;		/* enum dir_bind_method */
	char *bind_keytab;
	char *bind_principal;
	uint64_t connect_timeout;
	uint64_t op_timeout;
	uint64_t retry_dead;
	char *base_dn;
	char *user_base_dn;
	char *group_base_dn;
	char *domain_base_dn;
	char **accepted_domains;
	size_t n_accepted_domains;
	int profile;			/* enum dir_profile_kind */
	int64_t pool_size;
	uint64_t cache_positive_ttl;
	uint64_t cache_negative_ttl;
	int64_t cache_max_entries;
	int64_t group_max_depth;
	int64_t group_max_members;
	int64_t result_size_limit;
#define DIR_CONFIG_FIELD(name, type, doc) char *name;
	DIR_PROFILE_KEYS(DIR_CONFIG_FIELD)
#undef DIR_CONFIG_FIELD
};

/* The [directory] section definition (for cfg_new). Its check refuses
 * neither uris nor srv_domain, an srv_domain that is not a DNS name, a
 * missing base_dn, an accepted domain that is not a DNS name, a URI that is not ldap:// or ldaps://, a
 * bind_dn without bind_password_file (or the reverse) and any override
 * dir_profile_new would refuse, so mistakes fail at start-up with the
 * file and line. */
extern const struct cfg_section_def dir_config_def;

/* Fill s from the [directory] section of c. Strings are borrowed from c
 * (valid until it is reloaded or freed); the URI and override arrays are
 * allocated in pool. Only override keys set in the file become
 * overrides, so an unset key keeps the profile's default and a key set
 * to nothing switches the attribute off. s->dns is left NULL: a program
 * that reads the [dns] section (lib/dns_config.h) points it at the
 * settings from there, or srv_domain asks the servers of resolv.conf. */
void dir_config_settings(const struct cfg *c, struct pool *pool,
    struct dir_settings *s);

#endif
