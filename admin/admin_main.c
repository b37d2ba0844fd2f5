/*
 * admin/admin_main.c - `tessera`, the administrator's command: options,
 * configuration and the table of nouns and verbs.
 *
 * Run by an administrator (or a helpdesk script), never by a daemon.
 * Reads /etc/tessera/tessera.conf (or -c FILE) and binds to the directory
 * as [admin] bind_dn. The command line is a person's typing: every
 * argument is validated by the verb before anything is sent.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/settings.h"
#include "directory/dir_config.h"
#include "admin/admin.h"
#include "admin/admin_ldap.h"
#include "admin/admin_out.h"
#include "lib/banned.h"

#define ADMIN_DEFAULT_CONFIG "/etc/tessera/tessera.conf"

struct verb {
	const char *noun;
	const char *verb;		/* NULL: the noun alone */
	admin_verb_fn fn;
	const char *synopsis;
};

static const struct verb verbs[] = {
	{ "user", "add", admin_user_add, "user add ADDRESS --name \"Full Name\""
	    " [--password-file FILE|-] [--quota SIZE] [--host HOST]"
	    " [--login LOGIN]" },
	{ "user", "show", admin_user_show, "user show ADDRESS" },
	{ "user", "disable", admin_user_disable, "user disable ADDRESS" },
	{ "user", "enable", admin_user_enable, "user enable ADDRESS" },
	{ "user", "receive-only", admin_user_receive_only,
	    "user receive-only ADDRESS" },
	{ "user", "delete", admin_user_delete, "user delete ADDRESS" },
	{ "user", "passwd", admin_user_passwd,
	    "user passwd ADDRESS [--password-file FILE|-]" },
	{ "user", "set-quota", admin_user_set_quota,
	    "user set-quota ADDRESS SIZE|none" },
	{ "user", "list", admin_user_list, "user list" },
	{ "alias", "add", admin_alias_add, "alias add ALIAS TARGET" },
	{ "alias", "remove", admin_alias_remove, "alias remove ALIAS" },
	{ "alias", "list", admin_alias_list, "alias list [TARGET]" },
	{ "group", "create", admin_group_create, "group create ADDRESS"
	    " [--name NAME] [--senders anyone|internal|members|ADDRESS...]" },
	{ "group", "add-member", admin_group_add_member,
	    "group add-member GROUP MEMBER" },
	{ "group", "remove-member", admin_group_remove_member,
	    "group remove-member GROUP MEMBER" },
	{ "group", "show", admin_group_show, "group show GROUP" },
	{ "group", "set-senders", admin_group_set_senders,
	    "group set-senders GROUP anyone|internal|members|ADDRESS..." },
	{ "domain", "add", admin_domain_add,
	    "domain add DOMAIN [--quota SIZE] [--description TEXT]" },
	{ "domain", "list", admin_domain_list, "domain list" },
	{ "lookup", NULL, admin_lookup, "lookup [--direct] ADDRESS" },
	{ "queue", "list", admin_queue_list,
	    "queue list [incoming|active|deferred|hold|corrupt]" },
	{ "queue", "show", admin_queue_show, "queue show ID" },
	{ "queue", "flush", admin_queue_flush, "queue flush ID...|all" },
	{ "queue", "hold", admin_queue_hold, "queue hold ID...|all" },
	{ "queue", "release", admin_queue_release, "queue release ID...|all" },
	{ "queue", "delete", admin_queue_delete, "queue delete ID...|all" },
	{ "queue", "requeue", admin_queue_requeue, "queue requeue ID...|all" },
	{ "mailbox", "recalc", admin_mailbox_recalc, "mailbox recalc ADDRESS" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: tessera [-c FILE] [--json] NOUN VERB ARGS...\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "       tessera %s\n", verbs[i].synopsis);
	fprintf(f, "See tessera(1).\n");
}

int
admin_fail(struct admin *a, int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tessera: %s%s", a->verb != NULL ? a->verb : "",
	    a->verb != NULL ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static const char *
nonempty(const char *s, const char *fallback)
{
	return s != NULL && *s != '\0' ? s : fallback;
}

/* Load the configuration and derive the bases. ADMIN_OK or 78. */
static int
load_config(struct admin *a)
{
	struct buf *err = buf_new(256, 65536);
	const char *why = NULL;
	int rc = ADMIN_OK;

	admin_config_sections(a->defs);
	a->cfg = cfg_new(a->defs, ADMIN_CONFIG_SECTIONS);
	cfg_set_foreign(a->cfg, settings_sections);
	if (cfg_load_file(a->cfg, a->config_path, err) == -1) {
		fprintf(stderr, "tessera: %s", buf_cstr(err));
		buf_free(&err);
		return ADMIN_EX_CONFIG;
	}
	buf_free(&err);
	/* [global] logging: the audit lines of changes (admin_ldap.c) */
	settings_apply_logging(a->cfg, "tessera");
	a->conf = cfg_get(a->cfg, "admin");
	dir_config_settings(a->cfg, a->pool, &a->dirs);
	a->base_dn = a->dirs.base_dn;
	if (a->base_dn == NULL)
		return admin_fail(a, ADMIN_EX_CONFIG, "%s: [directory] base_dn"
		    " is not set", a->config_path);
	a->user_base = nonempty(a->conf->user_base_dn,
	    nonempty(a->dirs.user_base_dn, a->base_dn));
	a->group_base = nonempty(a->conf->group_base_dn,
	    nonempty(a->dirs.group_base_dn, a->base_dn));
	a->alias_base = nonempty(a->conf->alias_base_dn, a->base_dn);
	a->domain_base = nonempty(a->conf->domain_base_dn,
	    nonempty(a->dirs.domain_base_dn, a->base_dn));
	a->prof = dir_profile_new(a->dirs.profile, a->dirs.overrides, a->pool,
	    &why);
	if (a->prof == NULL)
		rc = admin_fail(a, ADMIN_EX_CONFIG, "%s: [directory]: %s",
		    a->config_path, why);
	return rc;
}

static const struct verb *
find_verb(const char *noun, const char *verb, bool *noun_known)
{
	*noun_known = false;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].noun, noun) != 0)
			continue;
		*noun_known = true;
		if (verbs[i].verb == NULL ||
		    (verb != NULL && strcmp(verbs[i].verb, verb) == 0))
			return &verbs[i];
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct admin a = { .config_path = ADMIN_DEFAULT_CONFIG };
	const struct verb *v;
	bool noun_known;
	int i, rc;

	log_init("tessera", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			a.config_path = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0) {
			a.json = true;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return ADMIN_OK;
		} else {
			fprintf(stderr, "tessera: unknown option %s\n", argv[i]);
			usage(stderr);
			return ADMIN_EX_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return ADMIN_EX_USAGE;
	}
	v = find_verb(argv[i], i + 1 < argc ? argv[i + 1] : NULL, &noun_known);
	if (v == NULL) {
		if (noun_known)
			fprintf(stderr, "tessera: %s: %s\n", argv[i], i + 1 <
			    argc ? "unknown verb" : "verb missing");
		else
			fprintf(stderr, "tessera: unknown command %s\n",
			    argv[i]);
		usage(stderr);
		return ADMIN_EX_USAGE;
	}
	a.pool = pool_new("tessera");
	a.verb = v->verb != NULL ? pool_printf(a.pool, "%s %s", v->noun,
	    v->verb) : v->noun;
	i += v->verb != NULL ? 2 : 1;
	rc = load_config(&a);
	if (rc == ADMIN_OK) {
		a.out = admin_out_new(a.json);
		rc = v->fn(&a, argc - i, argv + i);
		if (rc == ADMIN_EX_USAGE)
			fprintf(stderr, "usage: tessera %s\n", v->synopsis);
		if (admin_out_flush(a.out) == -1 && rc == ADMIN_OK)
			rc = admin_fail(&a, ADMIN_EX_SOFTWARE, "writing to"
			    " stdout failed");
		admin_out_free(&a.out);
	}
	admin_ldap_close(a.ldap);
	dir_profile_free(&a.prof);
	cfg_free(&a.cfg);
	pool_free(&a.pool);
	return rc;
}
