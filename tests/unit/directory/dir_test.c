/*
 * tests/unit/directory/dir_test.c - hermetic unit tests for dir.c and the
 * lookups' input handling: settings checks of dir_new, the password file,
 * input refused before any query, hostile values in the profiles' real
 * templates, the empty password, names. No server is contacted: the
 * lookups tested here must answer before connecting (the URI points at a
 * port nothing listens on, and round_trips must stay 0).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "directory/dir.h"
#include "directory/dir_int.h"
#include "lib/banned.h"

static struct pool *pool;
static char tmpdir[] = "/tmp/dir_test.XXXXXX";
static char *uris[] = { "ldap://127.0.0.1:1", NULL };

static void
setup(void)
{
	pool = pool_new("test");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[128];

	pool_free(&pool);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	(void)system(cmd);
}

TestSuite(dir, .init = setup, .fini = teardown);

static void
settings(struct dir_settings *s)
{
	dir_settings_defaults(s);
	s->uris = uris;
	s->base_dn = "dc=example,dc=test";
}

static char *
write_file(const char *name, const void *data, size_t len)
{
	char *path = pool_printf(pool, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

static const char *
new_fails(const struct dir_settings *s)
{
	const char *err = NULL;
	struct dir *d = dir_new(s, pool, &err);

	cr_assert_null(d);
	cr_assert_not_null(err);
	return err;
}

Test(dir, defaults)
{
	struct dir_settings s;

	dir_settings_defaults(&s);
	cr_assert(s.tls_verify);
	cr_assert(s.starttls);
	cr_assert_eq(s.profile, DIR_PROFILE_OPENLDAP);
	cr_assert_eq(s.op_timeout_ms, 5000);
	cr_assert_eq(s.connect_timeout_ms, 5000);
	cr_assert_eq(s.cache_positive_ttl_ms, 60000);
	cr_assert_eq(s.cache_negative_ttl_ms, 10000);
	cr_assert_eq(s.group_max_depth, 8);
	cr_assert_eq(s.group_max_members, 10000);
	cr_assert_gt(s.pool_size, 0);
}

Test(dir, new_and_free_without_connecting)
{
	struct dir_settings s;
	const char *err = NULL;
	struct dir *d;
	struct dir_stats st;

	settings(&s);
	d = dir_new(&s, pool, &err);
	cr_assert_not_null(d, "%s", err);
	dir_stats(d, &st);
	cr_assert_eq(st.round_trips, 0);
	dir_free(&d);
	cr_assert_null(d);
	dir_free(&d);
}

Test(dir, new_refuses_bad_settings)
{
	struct dir_settings s;
	char *no_uris[] = { NULL };
	char *bad[] = { "http://127.0.0.1/", NULL };
	char *junk[] = { "ldap://[::1", NULL };

	settings(&s);
	s.base_dn = NULL;
	cr_assert_not_null(strstr(new_fails(&s), "base_dn"));
	settings(&s);
	s.uris = no_uris;
	cr_assert_not_null(strstr(new_fails(&s), "no directory URI"));
	s.uris = NULL;
	cr_assert_not_null(strstr(new_fails(&s), "no directory URI"));
	s.uris = bad;
	cr_assert_not_null(strstr(new_fails(&s), "bad directory URI"));
	s.uris = junk;
	cr_assert_not_null(strstr(new_fails(&s), "bad directory URI"));
	settings(&s);
	s.overrides = (const char *const[]){ "attr_nope=x", NULL };
	cr_assert_not_null(strstr(new_fails(&s), "attr_nope"));
	settings(&s);
	s.profile = DIR_PROFILE_CUSTOM;
	cr_assert_not_null(strstr(new_fails(&s), "custom needs"));
}

Test(dir, uri_count_limit)
{
	struct dir_settings s;
	char *many[DIR_CONN_URIS_MAX + 2];
	const char *err = NULL;
	struct dir *d;

	settings(&s);
	for (int i = 0; i <= DIR_CONN_URIS_MAX; i++)
		many[i] = "ldap://127.0.0.1:1";
	many[DIR_CONN_URIS_MAX + 1] = NULL;
	s.uris = many;
	cr_assert_not_null(strstr(new_fails(&s), "more than"));
	many[DIR_CONN_URIS_MAX] = NULL;
	d = dir_new(&s, pool, &err);
	cr_assert_not_null(d, "%s", err);
	dir_free(&d);
}

Test(dir, password_file_errors)
{
	struct dir_settings s;
	static char big[DIR_CONN_PASSWORD_MAX + 2];
	const char *err = NULL;
	struct dir *d;

	settings(&s);
	s.bind_dn = "cn=admin,dc=example,dc=test";
	cr_assert_not_null(strstr(new_fails(&s), "without bind_password_file"));
	s.bind_password_file = pool_printf(pool, "%s/missing", tmpdir);
	cr_assert_not_null(strstr(new_fails(&s), "No such file"));
	s.bind_password_file = write_file("empty", "", 0);
	cr_assert_not_null(strstr(new_fails(&s), "empty"));
	/* a lone newline is an empty password too */
	s.bind_password_file = write_file("nl", "\n", 1);
	cr_assert_not_null(strstr(new_fails(&s), "empty"));
	s.bind_password_file = write_file("crlf", "\r\n", 2);
	cr_assert_not_null(strstr(new_fails(&s), "empty"));
	memset(big, 'p', sizeof(big));
	s.bind_password_file = write_file("max", big, DIR_CONN_PASSWORD_MAX);
	d = dir_new(&s, pool, &err);
	cr_assert_not_null(d, "%s", err);
	dir_free(&d);
	/* max bytes plus the newline that is trimmed */
	big[DIR_CONN_PASSWORD_MAX] = '\n';
	s.bind_password_file = write_file("maxnl", big,
	    DIR_CONN_PASSWORD_MAX + 1);
	d = dir_new(&s, pool, &err);
	cr_assert_not_null(d, "%s", err);
	dir_free(&d);
	big[DIR_CONN_PASSWORD_MAX] = 'p';
	s.bind_password_file = write_file("over", big,
	    DIR_CONN_PASSWORD_MAX + 1);
	cr_assert_not_null(strstr(new_fails(&s), "longer than"));
}

Test(dir, input_check)
{
	static char s[DIR_ADDRESS_MAX + 2];

	cr_assert(dir_input_ok("alice@example.test", DIR_ADDRESS_MAX));
	cr_assert(!dir_input_ok("", DIR_ADDRESS_MAX));
	cr_assert(!dir_input_ok("a\nb", DIR_ADDRESS_MAX));
	cr_assert(!dir_input_ok("a\rb", DIR_ADDRESS_MAX));
	cr_assert(!dir_input_ok("a\x7f", DIR_ADDRESS_MAX));
	cr_assert(!dir_input_ok("a\tb", DIR_ADDRESS_MAX));
	/* non-UTF-8 passes here; it is escaped on its way into the filter */
	cr_assert(dir_input_ok("al\xff\xc3@example.test", DIR_ADDRESS_MAX));
	memset(s, 'a', DIR_ADDRESS_MAX - 1);
	cr_assert(dir_input_ok(s, DIR_ADDRESS_MAX));
	s[DIR_ADDRESS_MAX - 1] = 'a';
	cr_assert(dir_input_ok(s, DIR_ADDRESS_MAX));
	s[DIR_ADDRESS_MAX] = 'a';
	cr_assert(!dir_input_ok(s, DIR_ADDRESS_MAX));
}

/* Expand a profile's real template with a hostile value. */
static const char *
expand(enum dir_profile_kind kind, const char *which, const char *value)
{
	const char *err = NULL;
	struct dir_profile *p = dir_profile_new(kind, NULL, pool, &err);
	struct buf *b = buf_new(64, DIR_FILTER_MAX);
	struct dir_op op;
	const char *t, *out;

	cr_assert_not_null(p, "%s", err);
	t = strcmp(which, "address") == 0 ? p->filter_address :
	    strcmp(which, "login") == 0 ? p->filter_login :
	    strcmp(which, "domain") == 0 ? p->filter_domain :
	    p->filter_group_members;
	dir_op_begin(&op, pool);
	cr_assert_eq(dir_filter_build(t, value, b, &op), 0);
	out = pool_strdup(pool, buf_cstr(b));
	buf_free(&b);
	dir_profile_free(&p);
	return out;
}

Test(dir, hostile_address_escaped_in_openldap_filter)
{
	cr_assert_str_eq(expand(DIR_PROFILE_OPENLDAP, "address", "*)(uid=*"),
	    "(|(mail=\\2a\\29\\28uid=\\2a)(mailLocalAddress=\\2a\\29\\28uid="
	    "\\2a))");
	cr_assert_str_eq(expand(DIR_PROFILE_OPENLDAP, "address",
	    "a\\b\xff@x"), "(|(mail=a\\5cb\\ff@x)(mailLocalAddress=a\\5cb\\ff@x))");
	cr_assert_str_eq(expand(DIR_PROFILE_OPENLDAP, "login", "*"),
	    "(&(objectClass=inetOrgPerson)(objectClass=tesseraMailUser)"
	    "(|(uid=\\2a)(mail=\\2a)))");
	cr_assert_str_eq(expand(DIR_PROFILE_OPENLDAP, "domain", "x)(a=*"),
	    "(&(objectClass=tesseraMailDomain)(tesseraDomain=x\\29\\28a=\\2a))");
}

Test(dir, hostile_values_escaped_in_ad_filters)
{
	cr_assert_str_eq(expand(DIR_PROFILE_AD, "address", "*)(x=*"),
	    "(|(mail=\\2a\\29\\28x=\\2a)(proxyAddresses=smtp:\\2a\\29\\28x="
	    "\\2a))");
	/* a group DN with an escaped comma keeps its backslash escaped */
	cr_assert_str_eq(expand(DIR_PROFILE_AD, "members",
	    "CN=Smith\\, J (x),DC=ad"),
	    "(&(|(objectClass=user)(objectClass=contact))(memberOf:"
	    "1.2.840.113556.1.4.1941:=CN=Smith\\5c, J \\28x\\29,DC=ad))");
}

Test(dir, filter_ceiling_is_an_error)
{
	struct buf *b = buf_new(16, 32);
	struct dir_op op;

	dir_op_begin(&op, pool);
	/* 32 bytes: exactly the ceiling */
	cr_assert_eq(dir_filter_build("(mail=%s)", "0123456789012345678901234",
	    b, &op), 0);
	cr_assert_eq(b->len, 32);
	cr_assert_eq(dir_filter_build("(mail=%s)", "01234567890123456789012345",
	    b, &op), -1);
	cr_assert_not_null(strstr(op.error, "too long"));
	buf_free(&b);
}

static struct dir *
offline_dir(void)
{
	struct dir_settings s;
	const char *err = NULL;
	struct dir *d;

	settings(&s);
	s.starttls = false;
	d = dir_new(&s, pool, &err);
	cr_assert_not_null(d, "%s", err);
	return d;
}

Test(dir, bad_input_is_notfound_without_a_query)
{
	static char longaddr[DIR_ADDRESS_MAX + 2];
	struct dir *d = offline_dir();
	struct dir_entry *e = (struct dir_entry *)1;
	struct dir_info info;

	memset(longaddr, 'a', DIR_ADDRESS_MAX + 1);
	cr_assert_eq(dir_lookup_address(d, "", pool, &e, &info), DIR_NOTFOUND);
	cr_assert_null(e);
	cr_assert_eq(info.round_trips, 0);
	cr_assert_eq(dir_lookup_address(d, "a\r\nb@x", pool, &e, &info),
	    DIR_NOTFOUND);
	cr_assert_eq(dir_lookup_address(d, longaddr, pool, &e, &info),
	    DIR_NOTFOUND);
	cr_assert_eq(dir_lookup_login(d, "al\nice", pool, &e, &info),
	    DIR_NOTFOUND);
	cr_assert_eq(dir_domain_accepted(d, "", pool, &info), DIR_NOTFOUND);
	cr_assert_eq(info.round_trips, 0);
	cr_assert_null(info.error);
	dir_free(&d);
}

Test(dir, empty_password_refused_before_any_bind)
{
	struct dir *d = offline_dir();
	struct dir_entry *u = (struct dir_entry *)1;
	struct dir_info info;

	cr_assert_eq(dir_check_password(d, "alice", "", 0, pool, &u, &info),
	    DIR_AUTH_BADPASS);
	cr_assert_null(u);
	cr_assert_eq(info.round_trips, 0);
	cr_assert_eq(dir_check_password(d, "alice", NULL, 0, pool, NULL, &info),
	    DIR_AUTH_BADPASS);
	cr_assert_eq(info.round_trips, 0);
	dir_free(&d);
}

Test(dir, unreachable_server_is_tempfail_with_detail, .timeout = 30)
{
	struct dir *d = offline_dir();
	struct dir_entry *e;
	struct dir_info info;
	struct dir_stats st;

	/* port 1 on loopback: connection refused at once, no network */
	cr_assert_eq(dir_lookup_address(d, "alice@example.test", pool, &e,
	    &info), DIR_TEMPFAIL);
	cr_assert_not_null(info.error);
	cr_assert_not_null(strstr(info.error, "ldap://127.0.0.1:1"), "%s",
	    info.error);
	cr_assert_not_null(strstr(info.error, "connect"), "%s", info.error);
	cr_assert_not_null(strstr(info.error, "Can't contact LDAP server"),
	    "%s", info.error);
	/* not cached: asked again, it fails again rather than "not found" */
	cr_assert_eq(dir_lookup_address(d, "alice@example.test", pool, &e,
	    &info), DIR_TEMPFAIL);
	cr_assert(!info.cached);
	cr_assert_eq(dir_check_password(d, "alice", "demo", 4, pool, NULL,
	    &info), DIR_AUTH_TEMPFAIL);
	cr_assert_not_null(info.error);
	dir_stats(d, &st);
	cr_assert_eq(st.tempfails, 3);
	cr_assert_eq(st.cache_entries, 0);
	dir_free(&d);
}

Test(dir, members_of_a_non_group_is_notfound)
{
	struct dir *d = offline_dir();
	struct dir_entry user = { .kind = DIR_KIND_USER, .dn = "uid=a" };
	struct dir_entry **m = (struct dir_entry **)1;
	size_t n = 7;
	struct dir_info info;

	cr_assert_eq(dir_group_members(d, &user, pool, &m, &n, &info),
	    DIR_NOTFOUND);
	cr_assert_null(m);
	cr_assert_eq(n, 0);
	cr_assert_eq(info.round_trips, 0);
	cr_assert_eq(dir_group_members(d, NULL, pool, &m, &n, NULL),
	    DIR_NOTFOUND);
	dir_free(&d);
}

Test(dir, names)
{
	cr_assert_str_eq(dir_result_name(DIR_FOUND), "found");
	cr_assert_str_eq(dir_result_name(DIR_NOTFOUND), "notfound");
	cr_assert_str_eq(dir_result_name(DIR_TEMPFAIL), "tempfail");
	cr_assert_str_eq(dir_kind_name(DIR_KIND_USER), "user");
	cr_assert_str_eq(dir_kind_name(DIR_KIND_ALIAS), "alias");
	cr_assert_str_eq(dir_kind_name(DIR_KIND_GROUP), "group");
	cr_assert_str_eq(dir_kind_name(DIR_KIND_CONTACT), "contact");
	cr_assert_str_eq(dir_state_name(DIR_STATE_ACTIVE), "active");
	cr_assert_str_eq(dir_state_name(DIR_STATE_DISABLED), "disabled");
	cr_assert_str_eq(dir_state_name(DIR_STATE_RECEIVE_ONLY),
	    "receive-only");
	cr_assert_str_eq(dir_sender_policy_name(DIR_SENDERS_ANYONE), "anyone");
	cr_assert_str_eq(dir_sender_policy_name(DIR_SENDERS_INTERNAL),
	    "internal");
	cr_assert_str_eq(dir_sender_policy_name(DIR_SENDERS_MEMBERS),
	    "members");
	cr_assert_str_eq(dir_sender_policy_name(DIR_SENDERS_LISTED), "listed");
	cr_assert_str_eq(dir_auth_name(DIR_AUTH_OK), "ok");
	cr_assert_str_eq(dir_auth_name(DIR_AUTH_BADPASS), "badpass");
	cr_assert_str_eq(dir_auth_name(DIR_AUTH_NOUSER), "nouser");
	cr_assert_str_eq(dir_auth_name(DIR_AUTH_DISABLED), "disabled");
	cr_assert_str_eq(dir_auth_name(DIR_AUTH_RECEIVE_ONLY), "receive-only");
	cr_assert_str_eq(dir_auth_name(DIR_AUTH_TEMPFAIL), "tempfail");
	cr_assert_str_eq(dir_result_name((enum dir_result)99), "?");
}

Test(dir, accepted_domains_from_settings_without_a_query, .timeout = 30)
{
	static const char *const list[] = { "example.test", "Other.Test",
		NULL };
	struct dir_settings s;
	struct dir *d;
	const char *err = NULL;
	struct dir_info info;
	char **domains = NULL;
	size_t n = 0;
	struct dir_entry *e;

	settings(&s);
	s.accepted_domains = list;
	d = dir_new(&s, pool, &err);
	cr_assert_not_null(d, "%s", err);
	/* the server at the URI refuses connections: any query would be a
	 * TEMPFAIL, so FOUND and NOTFOUND prove the list answered */
	cr_assert_eq(dir_domain_accepted(d, "EXAMPLE.test", pool, &info),
	    DIR_FOUND);
	cr_assert_str_eq(info.server, "configuration");
	cr_assert_eq(info.round_trips, 0);
	cr_assert_eq(dir_domain_accepted(d, "other.test", pool, &info),
	    DIR_FOUND);
	cr_assert_eq(dir_domain_accepted(d, "example.test.evil", pool, &info),
	    DIR_NOTFOUND);
	cr_assert_eq(dir_domain_accepted(d, "test", pool, &info),
	    DIR_NOTFOUND);
	cr_assert_eq(dir_domains(d, pool, &domains, &n, &info), DIR_FOUND);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(domains[0], "example.test");
	cr_assert_str_eq(domains[1], "Other.Test");
	cr_assert_null(domains[2]);
	/* an address lookup still asks the (unreachable) directory */
	cr_assert_eq(dir_lookup_address(d, "alice@example.test", pool, &e,
	    &info), DIR_TEMPFAIL);
	dir_free(&d);
}
