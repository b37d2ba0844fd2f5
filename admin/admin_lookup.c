/*
 * admin/admin_lookup.c - `tessera lookup [--direct] ADDRESS`: how the
 * platform resolves an address. When a lookup process runs (its socket,
 * from [lookup] and [global] run_dir, answers) the question goes to it,
 * as the daemons' sessions ask it, so the answer shows its cache;
 * otherwise, or with --direct, through libtdir exactly as the lookup
 * process would ([directory] settings and service bind, not the admin
 * bind).
 *
 * Runs in the tessera command. Prints the entry (kind, canonical address,
 * mailbox id, host, quota, state, forwarding, send-as, alias targets,
 * group senders) and how the answer came: the server, whether from the
 * cache, round trips and latency. A TEMPFAIL prints libtdir's error
 * (server, operation, LDAP error) and exits 75.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/dns.h"
#include "lib/dns_config.h"
#include "lib/pool.h"
#include "directory/dir.h"
#include "directory/dir_client.h"
#include "directory/dir_lookupd.h"
#include "admin/admin.h"
#include "admin/admin_out.h"
#include "admin/admin_unique.h"
#include "lib/banned.h"

static void
print_entry(struct admin_out *o, const struct dir_entry *e)
{
	admin_out_str(o, "kind", dir_kind_name(e->kind));
	admin_out_str(o, "address", e->address);
	admin_out_str(o, "dn", e->dn);
	admin_out_strs(o, "addresses", e->addresses, e->n_addresses);
	admin_out_str(o, "name", e->display_name);
	admin_out_str(o, "login", e->login);
	admin_out_str(o, "mailbox_id", e->mailbox_id);
	admin_out_str(o, "mail_host", e->mail_host);
	admin_out_u64(o, "quota_bytes", e->quota_bytes);
	admin_out_u64(o, "quota_messages", e->quota_messages);
	admin_out_str(o, "state", dir_state_name(e->state));
	admin_out_strs(o, "forward_to", e->forward_to, e->n_forward_to);
	admin_out_bool(o, "forward_keep_copy", e->forward_keep_copy);
	admin_out_strs(o, "send_as", e->send_as, e->n_send_as);
	if (e->kind == DIR_KIND_ALIAS)
		admin_out_strs(o, "targets", e->targets, e->n_targets);
	if (e->kind == DIR_KIND_GROUP) {
		admin_out_str(o, "senders",
		    dir_sender_policy_name(e->sender_policy));
		admin_out_strs(o, "allowed_senders", e->allowed_senders,
		    e->n_allowed_senders);
		admin_out_strs(o, "allowed_sender_addresses",
		    e->allowed_sender_addresses,
		    e->n_allowed_sender_addresses);
	}
}

static void
print_info(struct admin_out *o, const struct dir_info *info, const char *via)
{
	admin_out_begin_obj(o, "directory");
	admin_out_str(o, "via", via);
	admin_out_str(o, "server", info->server);
	admin_out_bool(o, "cached", info->cached);
	admin_out_u64(o, "round_trips", info->round_trips);
	admin_out_u64(o, "latency_us", info->latency_us);
	admin_out_end_obj(o);
}

/* The socket of a running lookup process: that of [lookup] socket, else
 * mtad's, accessd's or a standalone tessera-lookupd's under run_dir, the
 * first that exists. NULL when none does. */
static const char *
running_lookup_socket(struct admin *a)
{
	static const char *const daemons[] = { "mtad", "accessd", NULL };
	struct stat st;
	const char *path;

	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		path = dir_lookup_config_socket(a->cfg, daemons[i], a->pool);
		if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			return path;
	}
	return NULL;
}

/* Ask the lookup process at path. */
static enum dir_result
lookup_via_process(struct admin *a, const char *path, const char *address,
    struct dir_entry **e, struct dir_info *info)
{
	struct dir_client_settings cs;
	struct dir_client *c;
	enum dir_result r;

	dir_client_config_settings(a->cfg, NULL, a->pool, &cs);
	cs.socket_path = path;
	c = dir_client_new(&cs);
	r = dir_client_lookup_address(c, address, a->pool, e, info);
	dir_client_free(&c);
	return r;
}

/* Resolve it here with libtdir, as the lookup process would. *dp stays
 * open for the caller to free: info->server lives in it. */
static enum dir_result
lookup_direct(struct admin *a, const char *address, struct dir **dp,
    struct dir_entry **e, struct dir_info *info, int *rc)
{
	struct dns_settings dns;
	struct dir_settings s = a->dirs;
	const char *err = NULL;

	dns_config_settings(a->cfg, a->pool, &dns);
	s.dns = &dns;
	*dp = dir_new(&s, a->pool, &err);
	if (*dp == NULL) {
		*rc = admin_fail(a, ADMIN_EX_CONFIG, "%s: [directory]: %s",
		    a->config_path, err);
		return DIR_TEMPFAIL;
	}
	return dir_lookup_address(*dp, address, a->pool, e, info);
}

int
admin_lookup(struct admin *a, int argc, char **argv)
{
	struct dir_entry *e = NULL;
	struct dir_info info = { 0 };
	const char *via = "direct", *sock = NULL;
	struct dir *d = NULL;
	bool direct = false;
	enum dir_result r;
	int rc = ADMIN_OK;

	if (argc == 2 && strcmp(argv[0], "--direct") == 0) {
		direct = true;
		argc--;
		argv++;
	}
	if (argc != 1 || argv[0][0] == '-')
		return admin_fail(a, ADMIN_EX_USAGE, "[--direct] ADDRESS "
		    "needed");
	if ((rc = admin_check_address(a, "address", argv[0])) != ADMIN_OK)
		return rc;
	if (!direct)
		sock = running_lookup_socket(a);
	if (sock != NULL) {
		via = sock;
		r = lookup_via_process(a, sock, argv[0], &e, &info);
	} else {
		r = lookup_direct(a, argv[0], &d, &e, &info, &rc);
		if (rc != ADMIN_OK)
			return rc;
	}
	if (r == DIR_TEMPFAIL) {
		rc = admin_fail(a, ADMIN_EX_TEMPFAIL, "temporary failure: %s",
		    info.error != NULL ? info.error : "unknown");
	} else if (r == DIR_NOTFOUND) {
		rc = admin_fail(a, ADMIN_EX_NOTFOUND, "%s: not found (server"
		    " %s, %u round trip%s)", argv[0], info.server != NULL ?
		    info.server : "-", info.round_trips,
		    info.round_trips == 1 ? "" : "s");
	} else {
		admin_out_begin_obj(a->out, NULL);
		admin_out_str(a->out, "result", dir_result_name(r));
		print_entry(a->out, e);
		print_info(a->out, &info, via);
		admin_out_end_obj(a->out);
	}
	dir_free(&d);
	return rc;
}
