/*
 * admin/admin_config.c - the [admin] section of tessera.conf.
 *
 * Runs in the tessera command while it reads the configuration (a
 * trusted file; mistakes stop the command with file and line).
 */
#include "config.h"

#include <stddef.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/dns_config.h"
#include "lib/settings.h"
#include "directory/dir_config.h"
#include "directory/dir_lookupd.h"
#include "mtad/queue_config.h"
#include "accessd/store_config.h"
#include "admin/admin_config.h"
#include "lib/banned.h"

#define T struct admin_config

static const char *const senders_words[] = { "anyone", "internal",
	"members", NULL };

static const struct cfg_key admin_keys[] = {
	CFG_STRING(T, bind_dn, "bind_dn", "",
	    "DN the tessera command binds as to change the directory"),
	CFG_STRING(T, bind_password_file, "bind_password_file", "",
	    "file holding bind_dn's password (first line)"),
	CFG_STRING(T, user_base_dn, "user_base_dn", "",
	    "where new users are created; empty: [directory] user_base_dn"),
	CFG_STRING(T, group_base_dn, "group_base_dn", "",
	    "where new groups are created; empty: [directory] group_base_dn"),
	CFG_STRING(T, alias_base_dn, "alias_base_dn", "",
	    "where new aliases are created; empty: [directory] base_dn"),
	CFG_STRING(T, domain_base_dn, "domain_base_dn", "",
	    "where new domains are created; empty: [directory] domain_base_dn"),
	CFG_SIZE(T, default_quota, "default_quota", "0", "0", "1t",
	    "quota of new users; 0: none (the domain default applies)"),
	CFG_SIZE(T, quota_max, "quota_max", "1t", "1", "1024t",
	    "largest quota the command accepts"),
	CFG_STRING(T, default_mail_host, "default_mail_host", "",
	    "mail host of new users; empty: none (this host)"),
	CFG_ENUM(T, default_group_senders, "default_group_senders", "internal",
	    senders_words, "who may send to a new group: anyone, internal,"
	    " members"),
	CFG_INT(T, list_max, "list_max", "10000", "1", "1000000",
	    "most entries a listing prints"),
	CFG_INT(T, password_max, "password_max", "1024", "1", "65536",
	    "longest password accepted, in bytes"),
};

static int
admin_config_check(void *data, const char *instance, struct buf *msg)
{
	const struct admin_config *c = data;
	bool has_dn = c->bind_dn[0] != '\0';
	bool has_pw = c->bind_password_file[0] != '\0';

	(void)instance;
	if (has_dn != has_pw) {
		buf_printf(msg, "bind_dn and bind_password_file go together");
		return -1;
	}
	if (c->default_quota > c->quota_max) {
		buf_printf(msg, "default_quota is above quota_max");
		return -1;
	}
	return 0;
}

const struct cfg_section_def admin_config_def = CFG_SECTION("admin",
    struct admin_config, admin_keys, admin_config_check,
    "the tessera command: admin bind, where entries are created, defaults");

void
admin_config_sections(struct cfg_section_def out[ADMIN_CONFIG_SECTIONS])
{
	out[0] = settings_global_def;
	out[1] = settings_tls_def;
	out[2] = dns_config_def;
	out[3] = dir_config_def;
	out[4] = admin_config_def;
	out[5] = dir_lookup_config_def;	/* where `lookup` finds the lookup
					 * process */
	out[6] = queue_config_def;	/* `queue` reads the spool */
	out[7] = store_config_def;	/* `mailbox` opens the store */
}
