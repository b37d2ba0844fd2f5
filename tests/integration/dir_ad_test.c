/*
 * tests/integration/dir_ad_test.c - libtdir's ad profile against a real
 * Active Directory: the Samba AD DC fixture (tests/fixtures/samba-ad.sh)
 * with the AD twin of the sample tree (tests/fixtures/samba-ad-seed.py).
 *
 * Run by dir_ad_test.sh, which starts the DC (root only; otherwise the
 * test is skipped) and exports AD_*. Covers what the openldap suite cannot:
 * proxyAddresses (SMTP: primary, smtp: secondary, X500:/SIP: ignored),
 * objectGUID as mailbox id, the disabled bit of userAccountControl, nested
 * groups in one LDAP_MATCHING_RULE_IN_CHAIN query, contacts, logins by
 * sAMAccountName and userPrincipalName, user binds, subtree searches of
 * the domain that come back with continuation references (referrals off),
 * and discovery of the DC through SRV records the way AD publishes them
 * (the fixture runs no DNS server of its own, so tests/fixtures/dns.sh
 * serves the records).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/dns.h"
#include "lib/pool.h"
#include "directory/dir.h"
#include "tests/integration/itest.h"
#include "tests/integration/itest_dns.h"
#include "lib/banned.h"

/* Criterion's runner leaks a small block of its own when it runs tests
 * in parallel; keep LeakSanitizer on for everything else. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

#define DOM "ad.example.test"

static struct pool *pool;
static char pwfile[64];

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	cr_assert_not_null(v, "%s is not set: run through dir_ad_test.sh", name);
	return v;
}

static void
t_init(void)
{
	FILE *f;

	pool = pool_new("test");
	snprintf(pwfile, sizeof(pwfile), "/tmp/dir_ad_test.%d.pw",
	    (int)getpid());
	f = fopen(pwfile, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", env("AD_BIND_PASSWORD"));
	fclose(f);
}

static void
t_fini(void)
{
	unlink(pwfile);
	pool_free(&pool);
}

TestSuite(dir_ad, .init = t_init, .fini = t_fini, .timeout = 60);

static struct dir *
open_ad_domains(const char *const *overrides, bool ldaps,
    const char *const *accepted_domains)
{
	static char *uris[2];
	struct dir_settings s;
	const char *err = NULL;
	struct dir *d;

	dir_settings_defaults(&s);
	uris[0] = (char *)env(ldaps ? "AD_LDAPS_URI" : "AD_LDAP_URI");
	uris[1] = NULL;
	s.uris = uris;
	s.base_dn = env("AD_BASEDN");
	s.ca_file = env("AD_CACERT");
	s.starttls = true;
	s.bind_dn = env("AD_BIND_DN");
	s.bind_password_file = pwfile;
	s.profile = DIR_PROFILE_AD;
	s.overrides = overrides;
	s.accepted_domains = accepted_domains;
	d = dir_new(&s, pool, &err);
	cr_assert_not_null(d, "dir_new: %s", err);
	return d;
}

static struct dir *
open_ad(const char *const *overrides, bool ldaps)
{
	return open_ad_domains(overrides, ldaps, NULL);
}

static struct dir_entry *
must_find(struct dir *d, const char *address, struct dir_info *info)
{
	struct dir_entry *e = NULL;
	struct dir_info tmp;
	struct dir_info *i = info != NULL ? info : &tmp;
	enum dir_result r = dir_lookup_address(d, address, pool, &e, i);

	cr_assert_eq(r, DIR_FOUND, "%s: %s (%s)", address, dir_result_name(r),
	    i->error);
	return e;
}

static bool
has(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(list[i], s) == 0)
			return true;
	return false;
}

Test(dir_ad, user_by_primary_and_secondary_addresses)
{
	struct dir *d = open_ad(NULL, false);
	struct dir_info info;
	struct dir_entry *e = must_find(d, "alice@" DOM, &info);
	struct dir_entry *e2;

	cr_assert_eq(e->kind, DIR_KIND_USER);
	cr_assert_str_eq(e->address, "alice@" DOM);
	cr_assert_str_eq(e->login, "alice");
	cr_assert_str_eq(e->display_name, "Alice Liddell");
	cr_assert_eq(e->state, DIR_STATE_ACTIVE);
	cr_assert_eq(e->n_addresses, 3, "%zu addresses", e->n_addresses);
	cr_assert(has(e->addresses, e->n_addresses, "alice.liddell@" DOM));
	cr_assert(has(e->addresses, e->n_addresses, "info@" DOM));
	for (size_t i = 0; i < e->n_addresses; i++)
		cr_assert_null(strchr(e->addresses[i], ':'), "%s",
		    e->addresses[i]);
	/* objectGUID: canonical text, the same whichever address asked */
	cr_assert_not_null(e->mailbox_id);
	cr_assert_eq(strlen(e->mailbox_id), 36);
	cr_assert_eq(e->mailbox_id[8], '-');
	cr_assert_eq(e->mailbox_id[23], '-');
	e2 = must_find(d, "Info@AD.Example.Test", NULL);
	cr_assert_str_eq(e2->dn, e->dn);
	cr_assert_str_eq(e2->mailbox_id, e->mailbox_id);
	e2 = must_find(d, "ALICE.LIDDELL@" DOM, NULL);
	cr_assert_str_eq(e2->mailbox_id, e->mailbox_id);
	cr_assert_str_eq(info.server, env("AD_LDAP_URI"));
	/* bind, StartTLS, search: the search of the whole domain came back
	 * with continuation references, which must not matter */
	cr_assert_eq(info.round_trips, 3);
	dir_free(&d);
}

Test(dir_ad, other_proxy_address_types_are_not_addresses)
{
	struct dir *d = open_ad(NULL, false);
	struct dir_entry *e;
	struct dir_info info;

	cr_assert_eq(dir_lookup_address(d, "sip:alice@" DOM, pool, &e, &info),
	    DIR_NOTFOUND, "%s", info.error);
	cr_assert_eq(dir_lookup_address(d, "nobody@" DOM, pool, &e, &info),
	    DIR_NOTFOUND, "%s", info.error);
	cr_assert_null(info.error);
	dir_free(&d);
}

Test(dir_ad, disabled_bit_and_its_receive_only_mapping)
{
	const char *const ro[] = { "uac_disabled_state=receive-only", NULL };
	struct dir *d = open_ad(NULL, false);
	struct dir_entry *e = must_find(d, "carol@" DOM, NULL);
	struct dir_info info;

	cr_assert_eq(e->state, DIR_STATE_DISABLED);
	cr_assert_eq(must_find(d, "bob@" DOM, NULL)->state, DIR_STATE_ACTIVE);
	cr_assert_eq(dir_check_password(d, "carol", env("AD_USER_PASSWORD"),
	    strlen(env("AD_USER_PASSWORD")), pool, NULL, &info),
	    DIR_AUTH_DISABLED);
	dir_free(&d);
	d = open_ad(ro, false);
	e = must_find(d, "carol@" DOM, NULL);
	cr_assert_eq(e->state, DIR_STATE_RECEIVE_ONLY);
	cr_assert_eq(dir_check_password(d, "carol", env("AD_USER_PASSWORD"),
	    strlen(env("AD_USER_PASSWORD")), pool, NULL, &info),
	    DIR_AUTH_RECEIVE_ONLY);
	dir_free(&d);
}

static const char *
members(struct dir *d, const char *group, struct dir_info *info)
{
	struct dir_entry *g = must_find(d, group, NULL);
	struct dir_entry **m = NULL;
	size_t n = 0;
	struct buf *b = buf_new(64, 4096);
	const char *out;
	enum dir_result r;

	cr_assert_eq(g->kind, DIR_KIND_GROUP);
	r = dir_group_members(d, g, pool, &m, &n, info);
	cr_assert_eq(r, DIR_FOUND, "%s", info->error);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(m[j]->address, m[i]->address) < 0) {
				struct dir_entry *t = m[i];

				m[i] = m[j];
				m[j] = t;
			}
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i > 0 ? " " : "", m[i]->address);
	out = pool_strdup(pool, buf_cstr(b));
	buf_free(&b);
	return out;
}

Test(dir_ad, nested_groups_in_one_query)
{
	struct dir *d = open_ad(NULL, false);
	struct dir_info info;
	struct dir_entry *all;

	cr_assert_str_eq(members(d, "staff@" DOM, &info),
	    "alice@" DOM " bob@" DOM);
	cr_assert_str_eq(members(d, "all@" DOM, &info),
	    "alice@" DOM " bob@" DOM " carol@" DOM);
	cr_assert_eq(info.round_trips, 1);	/* the in-chain search */
	all = must_find(d, "all@" DOM, NULL);
	cr_assert_eq(dir_group_has_member(d, all, "alice.liddell@" DOM, pool,
	    &info), DIR_FOUND);
	cr_assert_eq(dir_group_has_member(d, must_find(d, "staff@" DOM, NULL),
	    "carol@" DOM, pool, &info), DIR_NOTFOUND);
	dir_free(&d);
}

Test(dir_ad, group_size_limit_in_chain)
{
	static char *uris[2];
	struct dir_settings s;
	const char *err = NULL;
	struct dir *d;
	struct dir_entry *g, **m;
	size_t n;
	struct dir_info info;

	dir_settings_defaults(&s);
	uris[0] = (char *)env("AD_LDAP_URI");
	s.uris = uris;
	s.base_dn = env("AD_BASEDN");
	s.ca_file = env("AD_CACERT");
	s.bind_dn = env("AD_BIND_DN");
	s.bind_password_file = pwfile;
	s.profile = DIR_PROFILE_AD;
	s.group_max_members = 2;
	d = dir_new(&s, pool, &err);
	cr_assert_not_null(d, "%s", err);
	g = must_find(d, "all@" DOM, NULL);
	cr_assert_eq(dir_group_members(d, g, pool, &m, &n, &info),
	    DIR_TEMPFAIL);
	cr_assert_not_null(strstr(info.error, "more than 2 members"), "%s",
	    info.error);
	g = must_find(d, "staff@" DOM, NULL);
	cr_assert_eq(dir_group_members(d, g, pool, &m, &n, &info), DIR_FOUND,
	    "%s", info.error);
	cr_assert_eq(n, 2);
	dir_free(&d);
}

/* AD has no entry per mail domain: accepted_domains lists them, and the
 * address lookups still go to the DC. */
Test(dir_ad, accepted_domains_from_configuration)
{
	static const char *const accepted[] = { DOM, NULL };
	struct dir *d = open_ad_domains(NULL, false, accepted);
	struct dir_info info;
	struct dir_entry *e;

	cr_assert_eq(dir_domain_accepted(d, "AD.example.test", pool, &info),
	    DIR_FOUND);
	cr_assert_str_eq(info.server, "configuration");
	cr_assert_eq(info.round_trips, 0);
	cr_assert_eq(dir_domain_accepted(d, "example.test", pool, &info),
	    DIR_NOTFOUND);
	e = must_find(d, "alice@" DOM, &info);
	cr_assert_eq(e->kind, DIR_KIND_USER);
	cr_assert_neq(info.round_trips, 0);
	dir_free(&d);
}

Test(dir_ad, contact_is_a_contact)
{
	struct dir *d = open_ad(NULL, false);
	struct dir_entry *e = must_find(d, "ext@partner.test", NULL);
	struct dir_info info;

	cr_assert_eq(e->kind, DIR_KIND_CONTACT);
	cr_assert_eq(dir_lookup_login(d, "ext@partner.test", pool, &e, &info),
	    DIR_NOTFOUND);
	dir_free(&d);
}

Test(dir_ad, logins_and_password_checks)
{
	struct dir *d = open_ad(NULL, false);
	const char *pw = env("AD_USER_PASSWORD");
	struct dir_entry *e = NULL;
	struct dir_info info;

	cr_assert_eq(dir_lookup_login(d, "alice", pool, &e, &info), DIR_FOUND,
	    "%s", info.error);
	cr_assert_str_eq(e->address, "alice@" DOM);
	cr_assert_eq(dir_lookup_login(d, "bob@" DOM, pool, &e, &info),
	    DIR_FOUND);
	cr_assert_str_eq(e->login, "bob");
	cr_assert_eq(dir_lookup_login(d, "tessera-nobody", pool, &e, &info),
	    DIR_NOTFOUND);
	cr_assert_eq(dir_check_password(d, "alice", pw, strlen(pw), pool, NULL,
	    &info), DIR_AUTH_OK, "%s", info.error);
	cr_assert_eq(dir_check_password(d, "alice@" DOM, pw, strlen(pw), pool,
	    NULL, &info), DIR_AUTH_OK, "%s", info.error);
	cr_assert_eq(dir_check_password(d, "alice", "wrong", 5, pool, NULL,
	    &info), DIR_AUTH_BADPASS);
	cr_assert_eq(dir_check_password(d, "alice", "", 0, pool, NULL, &info),
	    DIR_AUTH_BADPASS);
	cr_assert_eq(info.round_trips, 0);
	cr_assert_eq(dir_check_password(d, "nobody", pw, strlen(pw), pool, NULL,
	    &info), DIR_AUTH_NOUSER);
	dir_free(&d);
}

Test(dir_ad, ldaps_and_hostile_input)
{
	struct dir *d = open_ad(NULL, true);
	const char *bad[] = { "*", "*)(mail=*", "*@" DOM, "al\xffice@" DOM,
		"smtp:*", NULL };
	struct dir_entry *e;
	struct dir_info info;

	must_find(d, "bob@" DOM, &info);
	cr_assert_str_eq(info.server, env("AD_LDAPS_URI"));
	for (size_t i = 0; bad[i] != NULL; i++)
		cr_assert_eq(dir_lookup_address(d, bad[i], pool, &e, &info),
		    DIR_NOTFOUND, "input %zu: %s", i, info.error);
	dir_free(&d);
}

/* The DNS server of the SRV test, stopped even after a failed assertion. */
static struct itest_dns *srv_dns;
static char *srv_dir;

static void
srv_fini(void)
{
	itest_dns_stop(&srv_dns);
	itest_cleanup_dir(&srv_dir);	/* the suite's t_fini runs next */
}

Test(dir_ad, dc_discovered_through_srv_records, .fini = srv_fini)
{
	const char *uri = env("AD_LDAP_URI"), *ip = uri + strlen("ldap://");
	const char *records = pool_printf(pool,
	    "_ldap._tcp." DOM ". 600 IN SRV 0 100 389 dc1." DOM ".\n"
	    "_ldap._tcp." DOM ". 600 IN SRV 10 100 389 dc2." DOM ".\n"
	    "dc1." DOM ". 600 IN A %s\n"
	    "dc2." DOM ". 600 IN A 127.0.0.1\n", ip);
	const char *servers[2] = { NULL, NULL };
	struct dns_settings ds;
	struct dir_settings s;
	struct dir_info info;
	struct dir_entry *e = NULL;
	const char *err = NULL;
	struct dir *d;

	cr_assert(strncmp(uri, "ldap://", 7) == 0, "%s", uri);
	srv_dir = itest_tmpdir("dir-ad-srv");
	cr_assert_not_null(srv_dir);
	srv_dns = itest_dns_start(srv_dir, records);
	cr_assert_not_null(srv_dns, "the DNS fixture did not start");
	servers[0] = srv_dns->server;
	dns_settings_defaults(&ds);
	ds.servers = servers;
	ds.timeout_ms = 3000;
	dir_settings_defaults(&s);
	s.srv_domain = DOM;
	s.dns = &ds;
	s.base_dn = env("AD_BASEDN");
	s.ca_file = env("AD_CACERT");
	s.starttls = true;	/* verified against the DC's address */
	s.bind_dn = env("AD_BIND_DN");
	s.bind_password_file = pwfile;
	s.profile = DIR_PROFILE_AD;
	d = dir_new(&s, pool, &err);
	cr_assert_not_null(d, "dir_new: %s", err);
	e = must_find(d, "alice@" DOM, &info);
	cr_assert_str_eq(info.server, pool_printf(pool, "%s:389", uri));
	cr_assert_str_eq(e->login, "alice");
	cr_assert_eq(dir_check_password(d, "alice", env("AD_USER_PASSWORD"),
	    strlen(env("AD_USER_PASSWORD")), pool, NULL, &info), DIR_AUTH_OK,
	    "%s", info.error);
	dir_free(&d);
	cr_assert_eq(itest_dns_stop(&srv_dns), 0);
}
