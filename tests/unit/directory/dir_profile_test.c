/*
 * tests/unit/directory/dir_profile_test.c - unit tests for dir_profile.c:
 * profile defaults, every override error, the custom profile's required
 * keys, AD proxyAddresses parsing and objectGUID formatting.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lib/pool.h"
#include "lib/str.h"
#include "directory/dir_profile.h"
#include "lib/banned.h"

static struct pool *pool;

static void
setup(void)
{
	pool = pool_new("test");
}

static void
teardown(void)
{
	pool_free(&pool);
}

TestSuite(dir_profile, .init = setup, .fini = teardown);

/* Build with overrides, expecting failure; returns the error text. */
static const char *
fails(enum dir_profile_kind kind, const char *const *ov)
{
	const char *err = NULL;
	struct dir_profile *p = dir_profile_new(kind, ov, pool, &err);

	cr_assert_null(p, "profile built but should have failed");
	cr_assert_not_null(err);
	return err;
}

static bool
attrs_have(const struct dir_profile *p, const char *a)
{
	for (size_t i = 0; p->entry_attrs[i] != NULL; i++)
		if (str_eq_ci(p->entry_attrs[i], a))
			return true;
	return false;
}

Test(dir_profile, openldap_defaults)
{
	const char *err = NULL;
	struct dir_profile *p = dir_profile_new(DIR_PROFILE_OPENLDAP, NULL, pool,
	    &err);

	cr_assert_not_null(p, "%s", err);
	cr_assert_str_eq(p->attr_mail, "mail");
	cr_assert_str_eq(p->attr_alt_address, "mailLocalAddress");
	cr_assert_null(p->attr_proxy_addresses);
	cr_assert_str_eq(p->attr_login, "uid");
	cr_assert_str_eq(p->attr_mailbox_id, "entryUUID");
	cr_assert_eq(p->mailbox_id_format, DIR_ID_TEXT);
	cr_assert_str_eq(p->attr_state, "tesseraAccountState");
	cr_assert_str_eq(p->class_mailbox, "tesseraMailUser");
	cr_assert_eq(p->group_mode, DIR_GROUP_WALK);
	cr_assert(attrs_have(p, "objectClass"));
	cr_assert(attrs_have(p, "member"));
	cr_assert(attrs_have(p, "entryUUID"));
	dir_profile_free(&p);
	cr_assert_null(p);
	dir_profile_free(&p);	/* NULL-safe */
}

Test(dir_profile, ad_defaults)
{
	const char *err = NULL;
	struct dir_profile *p = dir_profile_new(DIR_PROFILE_AD, NULL, pool, &err);

	cr_assert_not_null(p, "%s", err);
	cr_assert_str_eq(p->attr_proxy_addresses, "proxyAddresses");
	cr_assert_str_eq(p->attr_login, "sAMAccountName");
	cr_assert_str_eq(p->attr_mailbox_id, "objectGUID");
	cr_assert_eq(p->mailbox_id_format, DIR_ID_GUID);
	cr_assert_str_eq(p->attr_uac, "userAccountControl");
	cr_assert_eq(p->uac_disabled_state, DIR_STATE_DISABLED);
	cr_assert_eq(p->group_mode, DIR_GROUP_IN_CHAIN);
	cr_assert(p->group_requires_mail);
	cr_assert_null(p->attr_quota_bytes);
	cr_assert_not_null(strstr(p->filter_group_members,
	    "1.2.840.113556.1.4.1941"));
	cr_assert_not_null(strstr(p->filter_login, "userPrincipalName"));
	cr_assert_not_null(strstr(p->filter_principal,
	    "(userPrincipalName=%s)"));
	/* in_chain: the member list (range-limited in AD) is not fetched */
	cr_assert(!attrs_have(p, "member"));
	cr_assert(attrs_have(p, "proxyAddresses"));
	dir_profile_free(&p);
}

Test(dir_profile, ad_overrides_quota_mailhost_sendas_receive_only)
{
	const char *ov[] = { "attr_quota_bytes=extensionAttribute1",
		"attr_mail_host=msExchHomeServerName",
		"attr_send_as=extensionAttribute2",
		"uac_disabled_state=receive-only", NULL };
	const char *err = NULL;
	struct dir_profile *p = dir_profile_new(DIR_PROFILE_AD, ov, pool, &err);

	cr_assert_not_null(p, "%s", err);
	cr_assert_str_eq(p->attr_quota_bytes, "extensionAttribute1");
	cr_assert_str_eq(p->attr_mail_host, "msExchHomeServerName");
	cr_assert_str_eq(p->attr_send_as, "extensionAttribute2");
	cr_assert_eq(p->uac_disabled_state, DIR_STATE_RECEIVE_ONLY);
	cr_assert(attrs_have(p, "extensionAttribute1"));
	dir_profile_free(&p);
}

Test(dir_profile, empty_value_switches_attribute_off)
{
	const char *ov[] = { "attr_mail_host=", "attr_quota_bytes=", NULL };
	const char *err = NULL;
	struct dir_profile *p = dir_profile_new(DIR_PROFILE_OPENLDAP, ov, pool,
	    &err);

	cr_assert_not_null(p, "%s", err);
	cr_assert_null(p->attr_mail_host);
	cr_assert_null(p->attr_quota_bytes);
	cr_assert(!attrs_have(p, "mailHost"));
	dir_profile_free(&p);
}

Test(dir_profile, numeric_oid_names_accepted)
{
	const char *ov[] = { "attr_mail_host=1.3.6.1.4.1.42.2.27.2.1.12", NULL };
	const char *err = NULL;
	struct dir_profile *p = dir_profile_new(DIR_PROFILE_OPENLDAP, ov, pool,
	    &err);

	cr_assert_not_null(p, "%s", err);
	dir_profile_free(&p);
}

Test(dir_profile, override_errors)
{
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "attr_colour=blue", NULL }),
	    "unknown override key \"attr_colour\""));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "attr_mail", NULL }), "not key=value"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "attr_mail=a", "attr_mail=b", NULL }),
	    "given twice"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "attr_mail=ma il", NULL }),
	    "attr_mail: is not an attribute"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "attr_mail=1..2", NULL }), "attr_mail"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "attr_mail=1.2.", NULL }), "attr_mail"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "class_user=-x", NULL }), "class_user"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "mailbox_id_format=hex", NULL }), "text or guid"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "uac_disabled_state=gone", NULL }),
	    "disabled or receive-only"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "group_mode=deep", NULL }), "walk or in_chain"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "group_requires_mail=maybe", NULL }),
	    "yes or no"));
}

Test(dir_profile, filter_template_errors)
{
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "filter_address=(mail=%x)", NULL }),
	    "unknown %-sequence"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "filter_address=(mail=%", NULL }), "ends in"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "filter_address=mail=%s", NULL }),
	    "parentheses"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "filter_address=(&(mail=%s)", NULL }),
	    "unbalanced"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "filter_address=(mail=%s))(", NULL }),
	    "filter_address"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "filter_login=(uid=%s)(x=y)", NULL }),
	    "after its closing"));
}

Test(dir_profile, whole_profile_checks)
{
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "group_mode=in_chain", NULL }),
	    "filter_group_members"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "attr_member=", NULL }), "attr_member"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ "attr_mail=", NULL }), "attr_mail must"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_AD,
	    (const char *[]){ "filter_address=", NULL }), "filter_address"));
}

Test(dir_profile, custom_needs_its_keys)
{
	const char *all[] = { "attr_mail=mail", "attr_login=uid",
		"attr_mailbox_id=entryUUID", "filter_address=(mail=%s)",
		"filter_login=(uid=%s)", NULL };
	const char *err = NULL;
	struct dir_profile *p;

	cr_assert_not_null(strstr(fails(DIR_PROFILE_CUSTOM, NULL),
	    "custom needs override attr_mail"));
	cr_assert_not_null(strstr(fails(DIR_PROFILE_CUSTOM, (const char *[]){
	    "attr_mail=mail", "attr_login=uid", "attr_mailbox_id=entryUUID",
	    "filter_address=(mail=%s)", NULL }), "filter_login"));
	p = dir_profile_new(DIR_PROFILE_CUSTOM, all, pool, &err);
	cr_assert_not_null(p, "%s", err);
	cr_assert_str_eq(p->filter_address, "(mail=%s)");
	cr_assert_eq(p->kind, DIR_PROFILE_CUSTOM);
	dir_profile_free(&p);
}

Test(dir_profile, override_count_limit)
{
	const char *ov[DIR_PROFILE_OVERRIDES_MAX + 2];

	/* max + 1 entries: refused before any is looked at */
	for (int i = 0; i < DIR_PROFILE_OVERRIDES_MAX + 1; i++)
		ov[i] = "attr_domain=d";
	ov[DIR_PROFILE_OVERRIDES_MAX + 1] = NULL;
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP, ov),
	    "more than 64 overrides"));
	/* max entries: counted as acceptable, then the duplicate is caught */
	ov[DIR_PROFILE_OVERRIDES_MAX] = NULL;
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP, ov),
	    "given twice"));
	/* max - 1: same */
	ov[DIR_PROFILE_OVERRIDES_MAX - 1] = NULL;
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP, ov),
	    "given twice"));
}

Test(dir_profile, value_length_limit)
{
	static char at_max[DIR_PROFILE_VALUE_MAX + 64];
	static char over[DIR_PROFILE_VALUE_MAX + 64];
	const char *err = NULL;
	struct dir_profile *p;
	size_t k;

	/* filter_domains=( x...x ) with exactly DIR_PROFILE_VALUE_MAX bytes */
	k = (size_t)snprintf(at_max, sizeof(at_max), "filter_domains=(");
	memset(at_max + k, 'x', DIR_PROFILE_VALUE_MAX - 2);
	at_max[k + DIR_PROFILE_VALUE_MAX - 2] = ')';
	memcpy(over, at_max, sizeof(over));
	over[k + DIR_PROFILE_VALUE_MAX - 2] = 'x';
	over[k + DIR_PROFILE_VALUE_MAX - 1] = ')';
	p = dir_profile_new(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ at_max, NULL }, pool, &err);
	cr_assert_not_null(p, "%s", err);
	cr_assert_eq(strlen(p->filter_domains), DIR_PROFILE_VALUE_MAX);
	dir_profile_free(&p);
	cr_assert_not_null(strstr(fails(DIR_PROFILE_OPENLDAP,
	    (const char *[]){ over, NULL }), "longer than"));
}

Test(dir_profile, kind_names)
{
	enum dir_profile_kind k;

	cr_assert_eq(dir_profile_kind_parse("AD", &k), 0);
	cr_assert_eq(k, DIR_PROFILE_AD);
	cr_assert_eq(dir_profile_kind_parse("openldap", &k), 0);
	cr_assert_eq(k, DIR_PROFILE_OPENLDAP);
	cr_assert_eq(dir_profile_kind_parse("Custom", &k), 0);
	cr_assert_eq(k, DIR_PROFILE_CUSTOM);
	cr_assert_eq(dir_profile_kind_parse("novell", &k), -1);
	cr_assert_str_eq(dir_profile_kind_name(DIR_PROFILE_AD), "ad");
	cr_assert_str_eq(dir_profile_kind_name(DIR_PROFILE_OPENLDAP),
	    "openldap");
	cr_assert_str_eq(dir_profile_kind_name(DIR_PROFILE_CUSTOM), "custom");
}

/* proxyAddresses */

static int
proxy(const char *v, char *addr, bool *primary)
{
	const char *a = NULL;
	size_t alen = 0;
	int rc = dir_proxy_address_parse(v, strlen(v), &a, &alen, primary);

	if (rc == 1)
		snprintf(addr, 256, "%.*s", (int)alen, a);
	return rc;
}

Test(dir_profile, proxy_primary_and_secondary)
{
	char a[256];
	bool prim = false;

	cr_assert_eq(proxy("SMTP:Alice@Example.Test", a, &prim), 1);
	cr_assert_str_eq(a, "Alice@Example.Test");
	cr_assert(prim);
	cr_assert_eq(proxy("smtp:alias@example.test", a, &prim), 1);
	cr_assert_str_eq(a, "alias@example.test");
	cr_assert(!prim);
	/* mixed case prefix: an SMTP address, but not the primary */
	cr_assert_eq(proxy("Smtp:x@example.test", a, &prim), 1);
	cr_assert(!prim);
}

Test(dir_profile, proxy_other_prefixes_ignored)
{
	char a[256];
	bool prim;

	cr_assert_eq(proxy("X500:/o=Org/ou=Exchange/cn=Recipients/cn=alice", a,
	    &prim), 0);
	cr_assert_eq(proxy("SIP:alice@example.test", a, &prim), 0);
	cr_assert_eq(proxy("smtpx:alice@example.test", a, &prim), 0);
	cr_assert_eq(proxy("alice@example.test", a, &prim), 0);
	cr_assert_eq(proxy("smtp", a, &prim), 0);
	cr_assert_eq(proxy("", a, &prim), 0);
}

Test(dir_profile, proxy_malformed_smtp)
{
	const char *a;
	size_t alen;
	bool prim;
	char a2[256];

	cr_assert_eq(proxy("smtp:", a2, &prim), -1);
	cr_assert_eq(proxy("SMTP:al ice@example.test", a2, &prim), -1);
	cr_assert_eq(proxy("SMTP:alice@example.test\r\n", a2, &prim), -1);
	cr_assert_eq(dir_proxy_address_parse("smtp:a\0b", 8, &a, &alen, &prim),
	    -1);
	/* bytes, not a C string: the length is what counts */
	cr_assert_eq(dir_proxy_address_parse("smtp:ab", 6, &a, &alen, &prim), 1);
	cr_assert_eq(alen, 1);
}

/* objectGUID */

Test(dir_profile, guid_canonical_text)
{
	const uint8_t g[16] = { 0x3c, 0x2d, 0x1e, 0x0f, 0x5a, 0x4b, 0x78, 0x69,
		0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0 };
	char out[DIR_GUID_TEXT_LEN + 1];

	cr_assert_eq(dir_guid_format(g, 16, out), 0);
	cr_assert_str_eq(out, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	cr_assert_eq(strlen(out), DIR_GUID_TEXT_LEN);
}

Test(dir_profile, guid_wrong_length)
{
	const uint8_t g[17] = { 0 };
	char out[DIR_GUID_TEXT_LEN + 1];

	cr_assert_eq(dir_guid_format(g, 15, out), -1);
	cr_assert_eq(dir_guid_format(g, 17, out), -1);
	cr_assert_eq(dir_guid_format(g, 0, out), -1);
	cr_assert_eq(dir_guid_format(g, 16, out), 0);
	cr_assert_str_eq(out, "00000000-0000-0000-0000-000000000000");
}

Test(dir_profile, principal_filter_defaults_and_override)
{
	const char *err = NULL;
	static const char *const krb[] = {
		"filter_principal=(krbPrincipalName=%s)", NULL };
	static const char *const bad[] = { "filter_principal=uid=%u", NULL };
	struct dir_profile *p = dir_profile_new(DIR_PROFILE_OPENLDAP, NULL,
	    pool, &err);

	/* openldap: the uid@realm rule, uid = the name part */
	cr_assert_not_null(p, "%s", err);
	cr_assert_not_null(strstr(p->filter_principal, "(uid=%u)"));
	dir_profile_free(&p);
	p = dir_profile_new(DIR_PROFILE_OPENLDAP, krb, pool, &err);
	cr_assert_not_null(p, "%s", err);
	cr_assert_str_eq(p->filter_principal, "(krbPrincipalName=%s)");
	dir_profile_free(&p);
	cr_assert_null(dir_profile_new(DIR_PROFILE_OPENLDAP, bad, pool, &err));
}
