/*
 * tests/unit/directory/dir_config_test.c - unit tests for dir_config.c:
 * the [directory] section's defaults agree with dir_settings_defaults,
 * values and overrides reach struct dir_settings, every check refuses
 * what it should with the line, and every key is in docs/tessera.conf.5.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/pool.h"
#include "directory/dir_config.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

static struct pool *pool;
static struct cfg *cfg;
static struct buf *err;

static void
setup(void)
{
	pool = pool_new("test");
	cfg = cfg_new(&dir_config_def, 1);
	err = buf_new(256, 65536);
}

static void
teardown(void)
{
	cfg_free(&cfg);
	buf_free(&err);
	pool_free(&pool);
}

TestSuite(dir_config, .init = setup, .fini = teardown);

#define MINIMAL "[directory]\nuris = ldap://127.0.0.1:389\n" \
	"base_dn = dc=example,dc=test\n"

static void
load_ok(const char *text)
{
	cr_assert_eq(cfg_load_string(cfg, "t.conf", text, err), 0, "%s",
	    buf_cstr(err));
}

static const char *
load_fails(const char *text)
{
	buf_reset(err);
	cr_assert_eq(cfg_load_string(cfg, "t.conf", text, err), -1,
	    "accepted: %s", text);
	return buf_cstr(err);
}

Test(dir_config, defaults_match_dir_settings_defaults)
{
	struct dir_settings want, got;

	load_ok(MINIMAL);
	dir_settings_defaults(&want);
	dir_config_settings(cfg, pool, &got);
	cr_assert_eq(got.starttls, want.starttls);
	cr_assert_eq(got.tls_verify, want.tls_verify);
	cr_assert_eq(got.connect_timeout_ms, want.connect_timeout_ms);
	cr_assert_eq(got.op_timeout_ms, want.op_timeout_ms);
	cr_assert_eq(got.retry_dead_ms, want.retry_dead_ms);
	cr_assert_eq(got.profile, want.profile);
	cr_assert_eq(got.pool_size, want.pool_size);
	cr_assert_eq(got.cache_positive_ttl_ms, want.cache_positive_ttl_ms);
	cr_assert_eq(got.cache_negative_ttl_ms, want.cache_negative_ttl_ms);
	cr_assert_eq(got.cache_max_entries, want.cache_max_entries);
	cr_assert_eq(got.group_max_depth, want.group_max_depth);
	cr_assert_eq(got.group_max_members, want.group_max_members);
	cr_assert_eq(got.result_size_limit, want.result_size_limit);
	cr_assert_str_eq(got.uris[0], "ldap://127.0.0.1:389");
	cr_assert_null(got.uris[1]);
	cr_assert_str_eq(got.base_dn, "dc=example,dc=test");
	cr_assert_null(got.user_base_dn);
	cr_assert_null(got.bind_dn);
	cr_assert_null(got.ca_file);
	cr_assert_null(got.overrides[0]);
}

Test(dir_config, values_reach_settings)
{
	struct dir_settings s;

	load_ok("[directory]\n"
	    "uris = ldaps://a.example.test, ldap://b.example.test:3389\n"
	    "base_dn = dc=ad,dc=example,dc=test\n"
	    "user_base_dn = ou=people,dc=ad,dc=example,dc=test\n"
	    "starttls = no\ntls_verify = yes\nca_file = /etc/ssl/dir-ca.pem\n"
	    "bind_dn = cn=svc,dc=ad,dc=example,dc=test\n"
	    "bind_password_file = /etc/tessera/ldap.secret\n"
	    "connect_timeout = 2s\nop_timeout = 750ms\nretry_dead = 1m\n"
	    "profile = ad\npool_size = 8\ncache_positive_ttl = 5m\n"
	    "cache_negative_ttl = 0s\ncache_max_entries = 0\n"
	    "group_max_depth = 3\ngroup_max_members = 500\n"
	    "result_size_limit = 50\n");
	dir_config_settings(cfg, pool, &s);
	cr_assert_str_eq(s.uris[0], "ldaps://a.example.test");
	cr_assert_str_eq(s.uris[1], "ldap://b.example.test:3389");
	cr_assert_null(s.uris[2]);
	cr_assert_str_eq(s.user_base_dn, "ou=people,dc=ad,dc=example,dc=test");
	cr_assert(!s.starttls);
	cr_assert_str_eq(s.ca_file, "/etc/ssl/dir-ca.pem");
	cr_assert_str_eq(s.bind_password_file, "/etc/tessera/ldap.secret");
	cr_assert_eq(s.connect_timeout_ms, 2000);
	cr_assert_eq(s.op_timeout_ms, 750);
	cr_assert_eq(s.retry_dead_ms, 60000);
	cr_assert_eq(s.profile, DIR_PROFILE_AD);
	cr_assert_eq(s.pool_size, 8);
	cr_assert_eq(s.cache_positive_ttl_ms, 300000);
	cr_assert_eq(s.cache_negative_ttl_ms, 0);
	cr_assert_eq(s.cache_max_entries, 0);
	cr_assert_eq(s.group_max_depth, 3);
	cr_assert_eq(s.group_max_members, 500);
	cr_assert_eq(s.result_size_limit, 50);
}

Test(dir_config, overrides_only_when_set)
{
	struct dir_settings s;

	load_ok(MINIMAL "profile = ad\n"
	    "attr_quota_bytes = extensionAttribute1\n"
	    "attr_mail_host =\n"
	    "uac_disabled_state = receive-only\n"
	    "filter_login = (&(objectClass=user)(sAMAccountName=%s))\n");
	dir_config_settings(cfg, pool, &s);
	cr_assert_str_eq(s.overrides[0], "uac_disabled_state=receive-only");
	cr_assert_str_eq(s.overrides[1], "attr_quota_bytes=extensionAttribute1");
	cr_assert_str_eq(s.overrides[2], "attr_mail_host=");
	cr_assert_str_eq(s.overrides[3],
	    "filter_login=(&(objectClass=user)(sAMAccountName=%s))");
	cr_assert_null(s.overrides[4]);
}

Test(dir_config, required_keys)
{
	cr_assert_not_null(strstr(load_fails("[directory]\n"
	    "base_dn = dc=x\n"), "uris is required"));
	cr_assert_not_null(strstr(load_fails("[directory]\n"
	    "uris = ldap://h\n"), "base_dn is required"));
	/* a file without the section is checked too: its defaults fail */
	cr_assert_not_null(strstr(load_fails(""), "uris is required"));
}

Test(dir_config, bad_values_fail_with_line)
{
	const char *e;

	e = load_fails(MINIMAL "uris = ldap://other\n");	/* duplicate */
	cr_assert_not_null(strstr(e, "t.conf:4"), "%s", e);
	e = load_fails("[directory]\nuris = http://h\nbase_dn = dc=x\n");
	cr_assert_not_null(strstr(e, "not an ldap:// or ldaps:// URI"), "%s", e);
	e = load_fails(MINIMAL "bind_dn = cn=svc\n");
	cr_assert_not_null(strstr(e, "go together"), "%s", e);
	e = load_fails(MINIMAL "bind_password_file = /x\n");
	cr_assert_not_null(strstr(e, "go together"), "%s", e);
	e = load_fails(MINIMAL "profile = novell\n");
	cr_assert_not_null(strstr(e, "t.conf:4"), "%s", e);
	e = load_fails(MINIMAL "pool_size = 0\n");
	cr_assert_not_null(strstr(e, "pool_size"), "%s", e);
	e = load_fails(MINIMAL "pool_size = 65\n");
	cr_assert_not_null(strstr(e, "pool_size"), "%s", e);
	load_ok(MINIMAL "pool_size = 64\n");
	e = load_fails(MINIMAL "group_max_depth = 0\n");
	cr_assert_not_null(strstr(e, "group_max_depth"), "%s", e);
	e = load_fails(MINIMAL "op_timeout = 50ms\n");
	cr_assert_not_null(strstr(e, "op_timeout"), "%s", e);
	e = load_fails(MINIMAL "no_such_key = 1\n");
	cr_assert_not_null(strstr(e, "no_such_key"), "%s", e);
}

Test(dir_config, bad_overrides_fail_at_load)
{
	const char *e;

	e = load_fails(MINIMAL "filter_address = (mail=%x)\n");
	cr_assert_not_null(strstr(e, "filter_address"), "%s", e);
	cr_assert_not_null(strstr(e, "%-sequence"), "%s", e);
	e = load_fails(MINIMAL "attr_mail = not a name\n");
	cr_assert_not_null(strstr(e, "attr_mail"), "%s", e);
	e = load_fails(MINIMAL "group_mode = in_chain\n");
	cr_assert_not_null(strstr(e, "filter_group_members"), "%s", e);
	e = load_fails(MINIMAL "profile = custom\n");
	cr_assert_not_null(strstr(e, "custom needs"), "%s", e);
	load_ok(MINIMAL "profile = custom\nattr_mail = mail\nattr_login = uid\n"
	    "attr_mailbox_id = entryUUID\nfilter_address = (mail=%s)\n"
	    "filter_login = (uid=%s)\n");
}

/* Every key of the table has a ".B key" under ".SS [directory]". */
Test(dir_config, every_key_documented)
{
	cr_assert_gt(docs_check_sections(&dir_config_def, 1), 0);
}

Test(dir_config, srv_domain_instead_of_uris)
{
	struct dir_settings s;

	load_ok("[directory]\nsrv_domain = ad.example.test\n"
	    "srv_ldaps = yes\nbase_dn = dc=ad,dc=example,dc=test\n");
	dir_config_settings(cfg, pool, &s);
	cr_assert_null(s.uris[0]);
	cr_assert_str_eq(s.srv_domain, "ad.example.test");
	cr_assert(s.srv_ldaps);
	cr_assert_null(s.dns, "[dns] is read by the program, not here");
	load_ok(MINIMAL);
	dir_config_settings(cfg, pool, &s);
	cr_assert_null(s.srv_domain);
	cr_assert_not(s.srv_ldaps);
}

Test(dir_config, srv_domain_must_be_a_dns_name)
{
	const char *e;

	e = load_fails("[directory]\nsrv_domain = ad example\n"
	    "base_dn = dc=x\n");
	cr_assert_not_null(strstr(e, "srv_domain"), "%s", e);
	e = load_fails("[directory]\nsrv_domain = a..b\nbase_dn = dc=x\n");
	cr_assert_not_null(strstr(e, "not a DNS domain name"), "%s", e);
}

Test(dir_config, accepted_domains_list)
{
	struct dir_settings s;
	const char *e;

	load_ok(MINIMAL);
	dir_config_settings(cfg, pool, &s);
	cr_assert_null(s.accepted_domains);
	cfg_free(&cfg);
	cfg = cfg_new(&dir_config_def, 1);
	load_ok(MINIMAL "accepted_domains = example.test, corp.example.test\n");
	dir_config_settings(cfg, pool, &s);
	cr_assert_str_eq(s.accepted_domains[0], "example.test");
	cr_assert_str_eq(s.accepted_domains[1], "corp.example.test");
	cr_assert_null(s.accepted_domains[2]);
	e = load_fails(MINIMAL "accepted_domains = example.test, bad/domain\n");
	cr_assert_not_null(strstr(e, "accepted_domains"), "%s", e);
	cr_assert_not_null(strstr(e, "not a DNS domain name"), "%s", e);
	e = load_fails(MINIMAL "accepted_domains = a..b\n");
	cr_assert_not_null(strstr(e, "not a DNS domain name"), "%s", e);
}

Test(dir_config, gssapi_bind_keys)
{
	struct dir_settings s;
	const char *e;

	load_ok(MINIMAL "bind_method = gssapi\n"
	    "bind_keytab = /etc/tessera/dir.keytab\n"
	    "bind_principal = tessera-dir@EXAMPLE.TEST\n");
	dir_config_settings(cfg, pool, &s);
	cr_assert_eq(s.bind_method, DIR_BIND_GSSAPI);
	cr_assert_str_eq(s.bind_keytab, "/etc/tessera/dir.keytab");
	cr_assert_str_eq(s.bind_principal, "tessera-dir@EXAMPLE.TEST");
	cr_assert_null(s.bind_dn);
	e = load_fails(MINIMAL "bind_method = gssapi\n");
	cr_assert_not_null(strstr(e, "needs bind_keytab"), "%s", e);
	e = load_fails(MINIMAL "bind_method = gssapi\nbind_keytab = /k\n"
	    "bind_dn = cn=svc\nbind_password_file = /p\n");
	cr_assert_not_null(strstr(e, "takes no bind_dn"), "%s", e);
	e = load_fails(MINIMAL "bind_keytab = /k\n");
	cr_assert_not_null(strstr(e, "need bind_method = gssapi"), "%s", e);
	e = load_fails(MINIMAL "bind_method = kerberos\n");
	cr_assert_not_null(strstr(e, "bind_method"), "%s", e);
}
