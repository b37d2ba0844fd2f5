/*
 * admin/admin_config.h - the [admin] section of tessera.conf: how the
 * `tessera` command binds to write to the directory and where it creates
 * new entries.
 *
 * Read by the tessera command only (run by an administrator); the
 * daemons ignore the section.
 */
#ifndef ADMIN_ADMIN_CONFIG_H
#define ADMIN_ADMIN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"

enum admin_senders_default {
	ADMIN_SENDERS_ANYONE, ADMIN_SENDERS_INTERNAL, ADMIN_SENDERS_MEMBERS
};

struct admin_config {
	char *bind_dn;
	char *bind_password_file;
	char *user_base_dn;		/* "": [directory] user_base_dn, base_dn */
	char *group_base_dn;		/* "": [directory] group_base_dn, base_dn */
	char *alias_base_dn;		/* "": [directory] base_dn */
	char *domain_base_dn;		/* "": [directory] domain_base_dn, base_dn */
	uint64_t default_quota;		/* bytes; 0: none (domain default) */
	uint64_t quota_max;		/* largest quota accepted */
	char *default_mail_host;	/* "": none (this host) */
	int default_group_senders;	/* enum admin_senders_default */
	int64_t list_max;		/* entries a listing prints */
	int64_t password_max;		/* longest password accepted */
};

/* The [admin] section definition (for cfg_new). Its check refuses a
 * bind_dn without bind_password_file (or the reverse) and a
 * default_quota above quota_max. */
extern const struct cfg_section_def admin_config_def;

/* Every section a tessera.conf read by the command may hold: [global],
 * [tls], [dns], [directory] and [admin], copied into out (which must
 * outlive the struct cfg made from it). */
#define ADMIN_CONFIG_SECTIONS 8
void admin_config_sections(struct cfg_section_def out[ADMIN_CONFIG_SECTIONS]);

#endif
