/*
 * admin/admin_lookup.c - `tessera lookup ADDRESS`: how the platform
 * resolves an address, through libtdir exactly as the daemons' lookup
 * process does ([directory] settings and service bind, not the admin
 * bind).
 *
 * Runs in the tessera command. Prints the entry (kind, canonical address,
 * mailbox id, host, quota, state, forwarding, send-as, alias targets,
 * group senders) and how the answer came: the server, whether from the
 * cache, round trips and latency. A TEMPFAIL prints libtdir's error
 * (server, operation, LDAP error) and exits 75.
 */
#include "config.h"

#include <string.h>

#include "lib/dns.h"
#include "lib/dns_config.h"
#include "lib/pool.h"
#include "directory/dir.h"
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
print_info(struct admin_out *o, const struct dir_info *info)
{
	admin_out_begin_obj(o, "directory");
	admin_out_str(o, "server", info->server);
	admin_out_bool(o, "cached", info->cached);
	admin_out_u64(o, "round_trips", info->round_trips);
	admin_out_u64(o, "latency_us", info->latency_us);
	admin_out_end_obj(o);
}

int
admin_lookup(struct admin *a, int argc, char **argv)
{
	struct dns_settings dns;
	struct dir_settings s = a->dirs;
	struct dir_entry *e = NULL;
	struct dir_info info = { 0 };
	const char *err = NULL;
	enum dir_result r;
	struct dir *d;
	int rc;

	if (argc != 1)
		return admin_fail(a, ADMIN_EX_USAGE, "ADDRESS needed");
	if ((rc = admin_check_address(a, "address", argv[0])) != ADMIN_OK)
		return rc;
	dns_config_settings(a->cfg, a->pool, &dns);
	s.dns = &dns;
	d = dir_new(&s, a->pool, &err);
	if (d == NULL)
		return admin_fail(a, ADMIN_EX_CONFIG, "%s: [directory]: %s",
		    a->config_path, err);
	r = dir_lookup_address(d, argv[0], a->pool, &e, &info);
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
		print_info(a->out, &info);
		admin_out_end_obj(a->out);
	}
	dir_free(&d);
	return rc;
}
