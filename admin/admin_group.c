/*
 * admin/admin_group.c - `tessera group ...`: mailing lists as
 * groupOfNames + tesseraMailGroup entries, their members and who may send
 * to them.
 *
 * Runs in the tessera command, bound as the [admin] DN. A groupOfNames
 * must have a member, so an empty group holds the empty DN as a
 * placeholder (libtdir skips member DNs that name no entry); adding the
 * first member replaces it and removing the last puts it back, each in
 * one atomic modify.
 */
#include "config.h"

#include <string.h>

#include "lib/pool.h"
#include "lib/str.h"
#include "admin/admin.h"
#include "admin/admin_args.h"
#include "admin/admin_entry.h"
#include "admin/admin_ldap.h"
#include "admin/admin_out.h"
#include "admin/admin_unique.h"
#include "lib/banned.h"

static const char *const empty_dn[] = { "" };

/* Who may send: a policy word, or addresses (policy "listed"). */
struct senders {
	const char *policy;
	const char **dns;		/* senders that are entries here */
	size_t n_dns;
	const char **addresses;		/* senders known only by address */
	size_t n_addresses;
};

/* Parse argv[0..argc) as a sender specification. */
static int
senders_parse(struct admin *a, int argc, char **argv, struct senders *s)
{
	static const char *const words[] = { "anyone", "internal", "members" };
	int rc;

	memset(s, 0, sizeof(*s));
	if (argc == 0)
		return admin_fail(a, ADMIN_EX_USAGE, "--senders needs anyone,"
		    " internal, members or addresses");
	for (size_t w = 0; w < 3; w++)
		if (strcmp(argv[0], words[w]) == 0) {
			if (argc > 1)
				return admin_fail(a, ADMIN_EX_USAGE, "%s takes"
				    " no addresses after it", words[w]);
			s->policy = words[w];
			return ADMIN_OK;
		}
	s->policy = "listed";
	s->dns = pool_alloc(a->pool, (size_t)argc * sizeof(char *));
	s->addresses = pool_alloc(a->pool, (size_t)argc * sizeof(char *));
	for (int i = 0; i < argc; i++) {
		struct admin_entry **v;
		size_t n;

		if ((rc = admin_check_address(a, "sender", argv[i])) != ADMIN_OK
		    || (rc = admin_owners(a, argv[i], a->pool, &v, &n)) !=
		    ADMIN_OK)
			return rc;
		if (n > 0)
			s->dns[s->n_dns++] = v[0]->dn;
		else
			s->addresses[s->n_addresses++] = argv[i];
	}
	return ADMIN_OK;
}

/* The three sender attributes as replace operations into mods[3]. */
static size_t
senders_mods(struct admin *a, const struct senders *s, int op,
    struct admin_mod *mods)
{
	const char **pol = pool_alloc(a->pool, sizeof(*pol));
	size_t n = 0;

	pol[0] = s->policy;
	mods[n++] = (struct admin_mod){ op, a->prof->attr_sender_policy, pol,
		1 };
	if (op == LDAP_MOD_REPLACE || s->n_dns > 0)
		mods[n++] = (struct admin_mod){ op, a->prof->attr_allowed_sender,
			s->dns, s->n_dns };
	if (op == LDAP_MOD_REPLACE || s->n_addresses > 0)
		mods[n++] = (struct admin_mod){ op,
			a->prof->attr_allowed_sender_address, s->addresses,
			s->n_addresses };
	return n;
}

int
admin_group_create(struct admin *a, int argc, char **argv)
{
	static const char *const classes[] = { "groupOfNames",
		"tesseraMailGroup" };
	static const char *const words[] = { "anyone", "internal", "members" };
	const char *address = NULL, *name = NULL, *v_cn[1], *v_mail[1], *why;
	struct admin_mod mods[8];
	struct senders s = { .policy = words[a->conf->default_group_senders] };
	size_t n = 0;
	char *dn, **s_argv = NULL;
	int rc, s_argc = 0;
	bool has_senders = false;

	for (int i = 0; i < argc;) {
		int m = admin_opt(a, argc, argv, &i, "--name", &name);

		if (m == -1)
			return ADMIN_EX_USAGE;
		if (m == 1)
			continue;
		if (strcmp(argv[i], "--senders") == 0) {
			s_argv = argv + ++i;
			while (i < argc && strncmp(argv[i], "--", 2) != 0)
				i++;
			s_argc = (int)(argv + i - s_argv);
			has_senders = true;
			continue;
		}
		if (argv[i][0] == '-' || address != NULL)
			return admin_fail(a, ADMIN_EX_USAGE, "unexpected"
			    " argument %s", argv[i]);
		address = argv[i++];
	}
	if (address == NULL)
		return admin_fail(a, ADMIN_EX_USAGE, "ADDRESS missing");
	if ((rc = admin_check_address(a, "group address", address)) != ADMIN_OK)
		return rc;
	if (name == NULL)
		name = pool_strndup(a->pool, address,
		    (size_t)(strrchr(address, '@') - address));
	if ((why = admin_name_check(name, strlen(name))) != NULL)
		return admin_fail(a, ADMIN_EX_DATAERR, "invalid --name: %s",
		    why);
	if ((rc = admin_require_writable(a)) != ADMIN_OK ||
	    (has_senders && (rc = senders_parse(a, s_argc, s_argv, &s)) !=
	    ADMIN_OK) ||
	    (rc = admin_check_domain_accepted(a, address)) != ADMIN_OK ||
	    (rc = admin_unique_check(a, address)) != ADMIN_OK)
		return rc;
	dn = admin_dn(a->pool, "cn", name, a->group_base);
	v_cn[0] = name;
	v_mail[0] = address;
	mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, "objectClass", classes, 2 };
	mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, "cn", v_cn, 1 };
	mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, a->prof->attr_mail,
		v_mail, 1 };
	mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, a->prof->attr_member,
		empty_dn, 1 };
	n += senders_mods(a, &s, LDAP_MOD_ADD, mods + n);
	if (admin_ldap_add(a->ldap, dn, mods, n) == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	admin_out_note(a->out, "created %s (%s), senders: %s", dn, address,
	    s.policy);
	return ADMIN_OK;
}

/* Does group g list dn as a direct member? Compared by the server's DN
 * rules through a base search, so case and spacing do not matter. */
static int
is_member(struct admin *a, const struct admin_entry *g, const char *dn,
    bool *yes)
{
	static const char *const attrs[] = { "1.1", NULL };
	struct admin_entry **v;
	size_t n;
	char *filter = admin_filter(a->pool, pool_printf(a->pool, "(%s=%%s)",
	    a->prof->attr_member), dn);

	if (admin_ldap_search(a->ldap, g->dn, LDAP_SCOPE_BASE, filter, attrs,
	    0, a->pool, &v, &n, NULL) == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	*yes = n > 0;
	return ADMIN_OK;
}

/* GROUP and MEMBER: the group entry and the member's entry. */
static int
group_and_member(struct admin *a, int argc, char **argv,
    struct admin_entry **g, struct admin_entry **m, bool *member)
{
	int rc;

	if (argc != 2)
		return admin_fail(a, ADMIN_EX_USAGE, "GROUP and MEMBER needed");
	if ((rc = admin_check_address(a, "group", argv[0])) != ADMIN_OK ||
	    (rc = admin_check_address(a, "member", argv[1])) != ADMIN_OK ||
	    (rc = admin_require_writable(a)) != ADMIN_OK ||
	    (rc = admin_find_kind(a, argv[0], DIR_KIND_GROUP, a->pool, g)) !=
	    ADMIN_OK || (rc = admin_find(a, argv[1], a->pool, m)) != ADMIN_OK)
		return rc;
	return is_member(a, *g, (*m)->dn, member);
}

int
admin_group_add_member(struct admin *a, int argc, char **argv)
{
	const char *v[1];
	struct admin_mod mods[2];
	struct admin_entry *g, *m;
	size_t n_members, n = 0;
	bool member, placeholder = false;
	char **members;
	int rc;

	if ((rc = group_and_member(a, argc, argv, &g, &m, &member)) !=
	    ADMIN_OK)
		return rc;
	if (str_eq_ci(g->dn, m->dn))
		return admin_fail(a, ADMIN_EX_DATAERR, "a group cannot be a"
		    " member of itself");
	if (admin_entry_kind(a, m) == DIR_KIND_ALIAS)
		return admin_fail(a, ADMIN_EX_DATAERR, "%s is an alias (%s):"
		    " add its target instead", argv[1], m->dn);
	if (member)
		return admin_fail(a, ADMIN_EX_EXISTS, "%s (%s) is already a"
		    " member of %s", argv[1], m->dn, g->dn);
	members = admin_entry_values(g, a->prof->attr_member, &n_members);
	for (size_t i = 0; i < n_members; i++)
		placeholder = placeholder || members[i][0] == '\0';
	v[0] = m->dn;
	mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, a->prof->attr_member, v,
		1 };
	if (placeholder)
		mods[n++] = (struct admin_mod){ LDAP_MOD_DELETE,
			a->prof->attr_member, empty_dn, 1 };
	if (admin_ldap_modify(a->ldap, g->dn, mods, n) == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	admin_out_note(a->out, "added %s (%s %s) to %s", argv[1],
	    dir_kind_name(admin_entry_kind(a, m)), m->dn, g->dn);
	return ADMIN_OK;
}

int
admin_group_drop_member(struct admin *a, struct admin_txn *t,
    const struct admin_entry *g, const char *dn)
{
	const char *attr = a->prof->attr_member;
	const char **v = pool_alloc(a->pool, sizeof(*v));
	struct admin_mod *mods = pool_alloc(a->pool, 2 * sizeof(*mods));
	struct admin_mod *undo = pool_alloc(a->pool, 2 * sizeof(*undo));
	size_t n_members, real = 0;
	char **members = admin_entry_values(g, attr, &n_members);

	for (size_t i = 0; i < n_members; i++)
		real += members[i][0] != '\0';
	v[0] = dn;
	mods[0] = (struct admin_mod){ LDAP_MOD_DELETE, attr, v, 1 };
	undo[0] = (struct admin_mod){ LDAP_MOD_ADD, attr, v, 1 };
	if (real > 1)
		return admin_txn_modify(t, g->dn, mods, 1, undo, 1);
	mods[1] = (struct admin_mod){ LDAP_MOD_ADD, attr, empty_dn, 1 };
	undo[1] = (struct admin_mod){ LDAP_MOD_DELETE, attr, empty_dn, 1 };
	return admin_txn_modify(t, g->dn, mods, 2, undo, 2);
}

int
admin_group_remove_member(struct admin *a, int argc, char **argv)
{
	struct admin_entry *g, *m;
	struct admin_txn *t;
	bool member;
	int rc;

	if ((rc = group_and_member(a, argc, argv, &g, &m, &member)) !=
	    ADMIN_OK)
		return rc;
	if (!member)
		return admin_fail(a, ADMIN_EX_NOTFOUND, "%s (%s) is not a"
		    " direct member of %s", argv[1], m->dn, g->dn);
	t = admin_txn_new(a->ldap, a->pool);
	if (admin_group_drop_member(a, t, g, m->dn) == -1)
		return admin_txn_fail(a, t);
	admin_out_note(a->out, "removed %s (%s) from %s", argv[1], m->dn,
	    g->dn);
	return ADMIN_OK;
}

int
admin_group_set_senders(struct admin *a, int argc, char **argv)
{
	struct admin_mod mods[3];
	struct admin_entry *g;
	struct senders s;
	size_t n;
	int rc;

	if (argc < 2)
		return admin_fail(a, ADMIN_EX_USAGE, "GROUP and senders needed");
	if ((rc = admin_check_address(a, "group", argv[0])) != ADMIN_OK ||
	    (rc = admin_require_writable(a)) != ADMIN_OK ||
	    (rc = admin_find_kind(a, argv[0], DIR_KIND_GROUP, a->pool, &g)) !=
	    ADMIN_OK ||
	    (rc = senders_parse(a, argc - 1, argv + 1, &s)) != ADMIN_OK)
		return rc;
	n = senders_mods(a, &s, LDAP_MOD_REPLACE, mods);
	if (admin_ldap_modify(a->ldap, g->dn, mods, n) == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	admin_out_note(a->out, "senders of %s: %s", g->dn, s.policy);
	return ADMIN_OK;
}

/* One member for group show: its address, kind and DN. */
static void
print_member(struct admin *a, const char *dn)
{
	static const char *const attrs[] = { "*", NULL };
	struct admin_entry *e = NULL;
	int found = admin_ldap_read(a->ldap, dn, attrs, a->pool, &e);

	admin_out_begin_obj(a->out, NULL);
	admin_out_str(a->out, "address", found == 1 ?
	    admin_entry_address(a, e) : NULL);
	admin_out_str(a->out, "kind", found == 1 ?
	    dir_kind_name(admin_entry_kind(a, e)) : found == 0 ? "missing" :
	    "unreadable");
	admin_out_str(a->out, "dn", dn);
	admin_out_end_obj(a->out);
}

int
admin_group_show(struct admin *a, int argc, char **argv)
{
	const struct dir_profile *p = a->prof;
	struct admin_out *o = a->out;
	struct admin_entry *g;
	size_t n;
	char **v;
	const char *policy;
	int rc;

	if (argc != 1)
		return admin_fail(a, ADMIN_EX_USAGE, "GROUP needed");
	if ((rc = admin_check_address(a, "group", argv[0])) != ADMIN_OK ||
	    (rc = admin_find_kind(a, argv[0], DIR_KIND_GROUP, a->pool, &g)) !=
	    ADMIN_OK)
		return rc;
	policy = admin_entry_value(g, p->attr_sender_policy);
	admin_out_begin_obj(o, NULL);
	admin_out_str(o, "address", admin_entry_address(a, g));
	admin_out_str(o, "dn", g->dn);
	v = admin_entry_addresses(a, g, a->pool, &n);
	admin_out_strs(o, "addresses", v, n);
	admin_out_str(o, "name", admin_entry_value(g, "cn"));
	admin_out_str(o, "mailbox_id", admin_entry_value(g,
	    p->attr_mailbox_id));
	admin_out_str(o, "senders", policy != NULL ? policy : "anyone");
	v = admin_entry_values(g, p->attr_allowed_sender, &n);
	admin_out_strs(o, "allowed_senders", v, n);
	v = admin_entry_values(g, p->attr_allowed_sender_address, &n);
	admin_out_strs(o, "allowed_sender_addresses", v, n);
	v = admin_entry_values(g, p->attr_member, &n);
	admin_out_begin_list(o, "members");
	for (size_t i = 0; i < n; i++)
		if (v[i][0] != '\0')
			print_member(a, v[i]);
	admin_out_end_list(o);
	admin_out_end_obj(o);
	return ADMIN_OK;
}
