/*
 * admin/admin_user.c - `tessera user ...`: create, show, list, change the
 * state, quota and password of, and delete mail users.
 *
 * Runs in the tessera command, bound as the [admin] DN. Addresses, names,
 * sizes and host names are validated (admin_args.c) before any request;
 * passwords come from a file or stdin and are set with the Password
 * Modify extended operation (RFC 3062) so the server hashes them.
 * Multi-step changes (add + password, group cleanup + delete) go through
 * an admin_txn and are undone when a later step fails.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "admin/admin.h"
#include "admin/admin_args.h"
#include "admin/admin_entry.h"
#include "admin/admin_ldap.h"
#include "admin/admin_out.h"
#include "admin/admin_unique.h"
#include "lib/banned.h"

/* Longest login (uid) the command creates. */
#define ADMIN_LOGIN_MAX 64

static const char *
login_check(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > ADMIN_LOGIN_MAX)
		return "login must be 1 to 64 bytes";
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return "login holds a character other than letters,"
			    " digits, '.', '_' and '-'";
	}
	return NULL;
}

struct add_args {
	const char *address, *name, *password_file, *quota, *host, *login;
};

static int
add_parse(struct admin *a, int argc, char **argv, struct add_args *o)
{
	for (int i = 0; i < argc;) {
		int m;

		if ((m = admin_opt(a, argc, argv, &i, "--name", &o->name)) ||
		    (m = admin_opt(a, argc, argv, &i, "--password-file",
		    &o->password_file)) ||
		    (m = admin_opt(a, argc, argv, &i, "--quota", &o->quota)) ||
		    (m = admin_opt(a, argc, argv, &i, "--host", &o->host)) ||
		    (m = admin_opt(a, argc, argv, &i, "--login", &o->login))) {
			if (m == -1)
				return ADMIN_EX_USAGE;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			return admin_fail(a, ADMIN_EX_USAGE, "unknown option"
			    " %s", argv[i]);
		if (o->address != NULL)
			return admin_fail(a, ADMIN_EX_USAGE, "one ADDRESS only"
			    " (\"%s\" is extra)", argv[i]);
		o->address = argv[i++];
	}
	if (o->address == NULL)
		return admin_fail(a, ADMIN_EX_USAGE, "ADDRESS missing");
	if (o->name == NULL)
		return admin_fail(a, ADMIN_EX_USAGE, "--name is required");
	return ADMIN_OK;
}

/* Check every argument of user add; fills login, quota, host. */
static int
add_validate(struct admin *a, struct add_args *o, uint64_t *quota)
{
	const char *why;
	int rc = admin_check_address(a, "address", o->address);

	if (rc != ADMIN_OK)
		return rc;
	if ((why = admin_name_check(o->name, strlen(o->name))) != NULL)
		return admin_fail(a, ADMIN_EX_DATAERR, "invalid --name: %s",
		    why);
	*quota = a->conf->default_quota;
	if (o->quota != NULL && admin_size_parse(o->quota, strlen(o->quota),
	    a->conf->quota_max, quota, &why) == -1)
		return admin_fail(a, ADMIN_EX_DATAERR, "invalid --quota \"%s\":"
		    " %s", o->quota, why);
	if (o->host == NULL && a->conf->default_mail_host[0] != '\0')
		o->host = a->conf->default_mail_host;
	if (o->host != NULL && (why = admin_host_check(o->host,
	    strlen(o->host))) != NULL)
		return admin_fail(a, ADMIN_EX_DATAERR, "invalid --host \"%s\":"
		    " %s", o->host, why);
	if (o->login == NULL)
		o->login = pool_strndup(a->pool, o->address,
		    (size_t)(strrchr(o->address, '@') - o->address));
	if ((why = login_check(o->login)) != NULL)
		return admin_fail(a, ADMIN_EX_DATAERR, "invalid login \"%s\""
		    " (use --login): %s", o->login, why);
	return ADMIN_OK;
}

/* Is login free? ADMIN_OK, or 73 naming the entry that has it. */
static int
login_unique(struct admin *a, const char *login)
{
	struct pool *p = pool_new_child(a->pool, "login");
	char *tmpl = pool_printf(p, "(%s=%%s)", a->prof->attr_login);
	char *filter = admin_filter(p, tmpl, login);
	struct admin_entry **v;
	size_t n;
	int rc = ADMIN_OK;

	if (admin_ldap_search(a->ldap, a->base_dn, LDAP_SCOPE_SUBTREE, filter,
	    NULL, 1, p, &v, &n, NULL) == -1)
		rc = admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc), "%s",
		    a->ldap->last_error);
	else if (n > 0)
		rc = admin_fail(a, ADMIN_EX_EXISTS, "login %s is already used"
		    " by %s (choose another with --login)", login, v[0]->dn);
	pool_free(&p);
	return rc;
}

/* The last word of name (sn is required by inetOrgPerson). */
static const char *
surname(struct pool *pool, const char *name)
{
	const char *end = name + strlen(name), *s;

	while (end > name && end[-1] == ' ')
		end--;
	s = end;
	while (s > name && s[-1] != ' ')
		s--;
	return pool_strndup(pool, s, (size_t)(end - s));
}

int
admin_user_add(struct admin *a, int argc, char **argv)
{
	static const char *const classes[] = { "inetOrgPerson",
		"inetLocalMailRecipient", "tesseraMailUser" };
	static const char *const active[] = { "active" };
	struct add_args o = { 0 };
	struct pool *secret = pool_new_secret("password");
	struct admin_mod mods[10];
	const char *vals[6][1];
	char quota_s[24], *pw = NULL, *dn;
	size_t pw_len = 0, n = 0;
	uint64_t quota = 0;
	struct admin_txn *t;
	int rc;

	if ((rc = add_parse(a, argc, argv, &o)) != ADMIN_OK ||
	    (rc = add_validate(a, &o, &quota)) != ADMIN_OK ||
	    (rc = admin_require_writable(a)) != ADMIN_OK)
		goto out;
	/* read the password before the first write: never half-created */
	if (o.password_file != NULL && (rc = admin_read_password(a,
	    o.password_file, secret, &pw, &pw_len)) != ADMIN_OK)
		goto out;
	if ((rc = admin_check_domain_accepted(a, o.address)) != ADMIN_OK ||
	    (rc = admin_unique_check(a, o.address)) != ADMIN_OK ||
	    (rc = login_unique(a, o.login)) != ADMIN_OK)
		goto out;
	dn = admin_dn(a->pool, a->prof->attr_login, o.login, a->user_base);
	vals[0][0] = o.login;
	vals[1][0] = o.name;
	vals[2][0] = surname(a->pool, o.name);
	vals[3][0] = o.address;
	mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, "objectClass", classes, 3 };
	mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, a->prof->attr_login,
		vals[0], 1 };
	mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, "cn", vals[1], 1 };
	mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, "sn", vals[2], 1 };
	mods[n++] = (struct admin_mod){ LDAP_MOD_ADD, a->prof->attr_mail,
		vals[3], 1 };
	if (a->prof->attr_state != NULL)
		mods[n++] = (struct admin_mod){ LDAP_MOD_ADD,
			a->prof->attr_state, active, 1 };
	if ((quota > 0 && a->prof->attr_quota_bytes == NULL) ||
	    (o.host != NULL && a->prof->attr_mail_host == NULL)) {
		rc = admin_fail(a, ADMIN_EX_CONFIG, "the profile has no quota"
		    " or mail host attribute ([directory] attr_quota_bytes,"
		    " attr_mail_host)");
		goto out;
	}
	if (quota > 0) {
		str_printf(quota_s, sizeof(quota_s), "%llu",
		    (unsigned long long)quota);
		vals[4][0] = quota_s;
		mods[n++] = (struct admin_mod){ LDAP_MOD_ADD,
			a->prof->attr_quota_bytes, vals[4], 1 };
	}
	if (o.host != NULL) {
		vals[5][0] = o.host;
		mods[n++] = (struct admin_mod){ LDAP_MOD_ADD,
			a->prof->attr_mail_host, vals[5], 1 };
	}
	t = admin_txn_new(a->ldap, a->pool);
	if (admin_txn_add(t, dn, mods, n) == -1 ||
	    (pw != NULL && admin_txn_passwd(t, dn, pw, pw_len) == -1)) {
		rc = admin_txn_fail(a, t);
		goto out;
	}
	admin_out_note(a->out, "created %s (%s)%s", dn, o.address,
	    pw != NULL ? ", password set" : ", no password: it cannot log"
	    " in until one is set with tessera user passwd");
out:
	pool_free(&secret);
	return rc;
}

/* The one ADDRESS argument of a verb. */
static int
one_address(struct admin *a, int argc, char **argv, const char **out)
{
	if (argc < 1)
		return admin_fail(a, ADMIN_EX_USAGE, "ADDRESS missing");
	if (argc > 1)
		return admin_fail(a, ADMIN_EX_USAGE, "unexpected argument %s",
		    argv[1]);
	*out = argv[0];
	return admin_check_address(a, "address", argv[0]);
}

static void
print_user(struct admin *a, const struct admin_entry *e,
    struct admin_entry **groups, size_t n_groups)
{
	const struct dir_profile *p = a->prof;
	struct admin_out *o = a->out;
	size_t n;
	char **v = admin_entry_addresses(a, e, a->pool, &n);
	char **g = pool_alloc(a->pool, (n_groups + 1) * sizeof(*g));
	const char *q;
	uint64_t qv;

	admin_out_begin_obj(o, NULL);
	admin_out_str(o, "address", admin_entry_address(a, e));
	admin_out_str(o, "dn", e->dn);
	admin_out_strs(o, "addresses", v, n);
	admin_out_str(o, "name", admin_entry_value(e, p->attr_display_name));
	admin_out_str(o, "login", admin_entry_value(e, p->attr_login));
	admin_out_str(o, "mailbox_id", admin_entry_value(e,
	    p->attr_mailbox_id));
	admin_out_str(o, "mail_host", admin_entry_value(e, p->attr_mail_host));
	admin_out_str(o, "state", dir_state_name(admin_entry_state(a, e)));
	q = admin_entry_value(e, p->attr_quota_bytes);
	if (q != NULL && parse_u64(q, strlen(q), UINT64_MAX, &qv) == 0)
		admin_out_u64(o, "quota_bytes", qv);
	else
		admin_out_str(o, "quota_bytes", NULL);
	q = admin_entry_value(e, p->attr_quota_messages);
	if (q != NULL && parse_u64(q, strlen(q), UINT64_MAX, &qv) == 0)
		admin_out_u64(o, "quota_messages", qv);
	else
		admin_out_str(o, "quota_messages", NULL);
	v = admin_entry_values(e, p->attr_forward_to, &n);
	admin_out_strs(o, "forward_to", v, n);
	v = admin_entry_values(e, p->attr_send_as, &n);
	admin_out_strs(o, "send_as", v, n);
	for (size_t i = 0; i < n_groups; i++) {
		const char *ga = admin_entry_address(a, groups[i]);

		g[i] = ga != NULL ? (char *)ga : groups[i]->dn;
	}
	admin_out_strs(o, "groups", g, n_groups);
	admin_out_end_obj(o);
}

int
admin_user_show(struct admin *a, int argc, char **argv)
{
	struct admin_entry *e, **groups;
	const char *address;
	size_t n_groups;
	int rc;

	if ((rc = one_address(a, argc, argv, &address)) != ADMIN_OK ||
	    (rc = admin_find_kind(a, address, DIR_KIND_USER, a->pool, &e))
	    != ADMIN_OK ||
	    (rc = admin_groups_of(a, e->dn, a->pool, &groups, &n_groups))
	    != ADMIN_OK)
		return rc;
	admin_entries_sort(a, groups, n_groups);
	print_user(a, e, groups, n_groups);
	return ADMIN_OK;
}

static int
set_state(struct admin *a, int argc, char **argv, enum dir_state st)
{
	const char *state = dir_state_name(st);
	const char *vals[1] = { state };
	struct admin_mod mod = { LDAP_MOD_REPLACE, a->prof->attr_state, vals,
		1 };
	struct admin_entry *e;
	const char *address;
	int rc;

	if ((rc = one_address(a, argc, argv, &address)) != ADMIN_OK ||
	    (rc = admin_require_writable(a)) != ADMIN_OK ||
	    (rc = admin_find_kind(a, address, DIR_KIND_USER, a->pool, &e))
	    != ADMIN_OK)
		return rc;
	if (admin_entry_state(a, e) == st &&
	    admin_entry_value(e, a->prof->attr_state) != NULL) {
		admin_out_note(a->out, "%s is already %s", address, state);
		return ADMIN_OK;
	}
	if (admin_ldap_modify(a->ldap, e->dn, &mod, 1) == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	admin_out_note(a->out, "%s (%s) is now %s", address, e->dn, state);
	return ADMIN_OK;
}

int
admin_user_disable(struct admin *a, int argc, char **argv)
{
	return set_state(a, argc, argv, DIR_STATE_DISABLED);
}

int
admin_user_enable(struct admin *a, int argc, char **argv)
{
	return set_state(a, argc, argv, DIR_STATE_ACTIVE);
}

int
admin_user_receive_only(struct admin *a, int argc, char **argv)
{
	return set_state(a, argc, argv, DIR_STATE_RECEIVE_ONLY);
}

/* Aliases that still deliver to one of e's addresses: kept (they may be
 * repointed), but said. */
static void
warn_aliases(struct admin *a, const struct admin_entry *e)
{
	static const char *const attrs[] = { "*", NULL };
	const struct dir_profile *p = a->prof;
	struct admin_entry **v;
	size_t n_addr, n;
	char **addr = admin_entry_addresses(a, e, a->pool, &n_addr);

	if (p->class_alias == NULL || p->attr_alias_target == NULL)
		return;
	for (size_t i = 0; i < n_addr; i++) {
		char *f = admin_filter(a->pool, pool_printf(a->pool,
		    "(&(objectClass=%s)(%s=%%s))", p->class_alias,
		    p->attr_alias_target), addr[i]);

		if (f == NULL || admin_ldap_search(a->ldap, a->base_dn,
		    LDAP_SCOPE_SUBTREE, f, attrs, 0, a->pool, &v, &n, NULL) ==
		    -1)
			continue;
		for (size_t j = 0; j < n; j++)
			admin_fail(a, ADMIN_OK, "warning: alias %s (%s) still"
			    " points to %s", admin_entry_address(a, v[j]),
			    v[j]->dn, addr[i]);
	}
}

int
admin_user_delete(struct admin *a, int argc, char **argv)
{
	struct admin_entry *e, **groups;
	const char *address;
	size_t n_groups;
	struct admin_txn *t;
	int rc;

	if ((rc = one_address(a, argc, argv, &address)) != ADMIN_OK ||
	    (rc = admin_require_writable(a)) != ADMIN_OK ||
	    (rc = admin_find_kind(a, address, DIR_KIND_USER, a->pool, &e))
	    != ADMIN_OK ||
	    (rc = admin_groups_of(a, e->dn, a->pool, &groups, &n_groups))
	    != ADMIN_OK)
		return rc;
	t = admin_txn_new(a->ldap, a->pool);
	/* memberships first: a delete cannot be undone, so it comes last */
	for (size_t i = 0; i < n_groups; i++)
		if (admin_group_drop_member(a, t, groups[i], e->dn) == -1)
			return admin_txn_fail(a, t);
	if (admin_txn_delete(t, e->dn) == -1)
		return admin_txn_fail(a, t);
	admin_out_note(a->out, "deleted %s (%s), removed from %zu group%s",
	    e->dn, address, n_groups, n_groups == 1 ? "" : "s");
	warn_aliases(a, e);
	return ADMIN_OK;
}

int
admin_user_passwd(struct admin *a, int argc, char **argv)
{
	struct pool *secret = pool_new_secret("password");
	const char *address = NULL, *file = "-";
	struct admin_entry *e;
	char *pw;
	size_t len;
	int rc = ADMIN_OK;

	for (int i = 0; i < argc && rc == ADMIN_OK;) {
		int m = admin_opt(a, argc, argv, &i, "--password-file", &file);

		if (m == -1)
			rc = ADMIN_EX_USAGE;
		else if (m == 0 && address == NULL && argv[i][0] != '-')
			address = argv[i++];
		else if (m == 0)
			rc = admin_fail(a, ADMIN_EX_USAGE, "unexpected argument"
			    " %s", argv[i]);
	}
	if (rc == ADMIN_OK && address == NULL)
		rc = admin_fail(a, ADMIN_EX_USAGE, "ADDRESS missing");
	if (rc == ADMIN_OK)
		rc = admin_check_address(a, "address", address);
	if (rc == ADMIN_OK)
		rc = admin_require_writable(a);
	if (rc == ADMIN_OK)
		rc = admin_find_kind(a, address, DIR_KIND_USER, a->pool, &e);
	if (rc == ADMIN_OK)
		rc = admin_read_password(a, file, secret, &pw, &len);
	if (rc == ADMIN_OK && admin_ldap_passwd(a->ldap, e->dn, pw, len) == -1)
		rc = admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc), "%s",
		    a->ldap->last_error);
	if (rc == ADMIN_OK)
		admin_out_note(a->out, "password of %s (%s) set", address,
		    e->dn);
	pool_free(&secret);
	return rc;
}

int
admin_user_set_quota(struct admin *a, int argc, char **argv)
{
	const char *vals[1];
	struct admin_mod mod = { LDAP_MOD_REPLACE, a->prof->attr_quota_bytes,
		vals, 1 };
	struct admin_entry *e;
	const char *why;
	char s[24];
	uint64_t q;
	int rc;

	if (argc != 2)
		return admin_fail(a, ADMIN_EX_USAGE, "ADDRESS and SIZE needed");
	if ((rc = admin_check_address(a, "address", argv[0])) != ADMIN_OK)
		return rc;
	if (admin_size_parse(argv[1], strlen(argv[1]), a->conf->quota_max, &q,
	    &why) == -1)
		return admin_fail(a, ADMIN_EX_DATAERR, "invalid size \"%s\": %s",
		    argv[1], why);
	if ((rc = admin_require_writable(a)) != ADMIN_OK ||
	    (rc = admin_find_kind(a, argv[0], DIR_KIND_USER, a->pool, &e))
	    != ADMIN_OK)
		return rc;
	str_printf(s, sizeof(s), "%llu", (unsigned long long)q);
	vals[0] = s;
	/* 0: no quota of its own, the domain default applies */
	mod.n = q > 0 ? 1 : 0;
	if (q == 0 && admin_entry_value(e, mod.attr) == NULL) {
		admin_out_note(a->out, "%s has no quota of its own", argv[0]);
		return ADMIN_OK;
	}
	if (admin_ldap_modify(a->ldap, e->dn, &mod, 1) == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	if (q > 0)
		admin_out_note(a->out, "quota of %s set to %llu bytes", argv[0],
		    (unsigned long long)q);
	else
		admin_out_note(a->out, "quota of %s removed (the domain default"
		    " applies)", argv[0]);
	return ADMIN_OK;
}

int
admin_user_list(struct admin *a, int argc, char **argv)
{
	const struct dir_profile *p = a->prof;
	static const char *const attrs[] = { "*", "entryUUID", NULL };
	struct admin_entry **v;
	size_t n;
	bool truncated;
	char *filter;
	int rc;

	if (argc > 0)
		return admin_fail(a, ADMIN_EX_USAGE, "unexpected argument %s",
		    argv[0]);
	if ((rc = admin_connect(a)) != ADMIN_OK)
		return rc;
	filter = p->class_mailbox != NULL ?
	    pool_printf(a->pool, "(&(objectClass=%s)(objectClass=%s))",
	    p->class_user, p->class_mailbox) :
	    pool_printf(a->pool, "(objectClass=%s)", p->class_user);
	if (admin_ldap_search(a->ldap, a->user_base, LDAP_SCOPE_SUBTREE, filter,
	    attrs, (size_t)a->conf->list_max, a->pool, &v, &n, &truncated)
	    == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	admin_entries_sort(a, v, n);
	admin_out_begin_list(a->out, NULL);
	for (size_t i = 0; i < n; i++) {
		admin_out_begin_obj(a->out, NULL);
		admin_out_str(a->out, "address", admin_entry_address(a, v[i]));
		admin_out_str(a->out, "state", dir_state_name(
		    admin_entry_state(a, v[i])));
		admin_out_str(a->out, "name", admin_entry_value(v[i],
		    p->attr_display_name));
		admin_out_str(a->out, "dn", v[i]->dn);
		admin_out_end_obj(a->out);
	}
	admin_out_end_list(a->out);
	admin_list_truncated(a, truncated, n);
	return ADMIN_OK;
}
