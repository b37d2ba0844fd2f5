/*
 * tests/integration/samba_ad_test.c - proves the Samba AD fixture works and
 * pins down the Active Directory behaviour the `ad` directory profile
 * relies on, through libldap and libkrb5 as the profile will use them.
 *
 * Run by samba_ad_test.sh, which starts tests/fixtures/samba-ad.sh and
 * exports its AD_* variables; run alone without them, every test skips.
 * Talks only to the fixture DC on its loopback address.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <krb5.h>
#include <ldap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/str.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* Criterion's runner leaks a small block of its own when it runs tests
 * in parallel; keep LeakSanitizer on for everything else. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

/* LDAP_MATCHING_RULE_IN_CHAIN: transitive member/memberOf in one search */
#define IN_CHAIN "1.2.840.113556.1.4.1941"
/* LDAP_MATCHING_RULE_BIT_AND */
#define BIT_AND "1.2.840.113556.1.4.803"
#define LDAP_CAP_ACTIVE_DIRECTORY_OID "1.2.840.113556.1.4.800"
#define UF_ACCOUNTDISABLE 0x2
#define NAMES_MAX 32

/* A CA that signed nothing the fixture serves: ldaps must reject the DC
 * when this is the only trust anchor. */
static const char unrelated_ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBnzCCAUWgAwIBAgIUbjksOB16jddZ0LzWKg0izMN9VCAwCgYIKoZIzj0EAwIw\n"
    "HDEaMBgGA1UEAwwRVW5yZWxhdGVkIHRlc3QgQ0EwIBcNMjYxMTIyMDMyNjIwWhgP\n"
    "MjEyNjEwMjkwMzI2MjBaMBwxGjAYBgNVBAMMEVVucmVsYXRlZCB0ZXN0IENBMFkw\n"
    "EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEbgoGQaJAgkQGceG9y/tSJNcphDPajFqY\n"
    "1DSU8AgNGRjeajTkM4isQBGE7ASfsoDAl3ot0wz7v6k9s90OU3YCHqNjMGEwHQYD\n"
    "VR0OBBYEFHpHbLUQsAKu5qppS18m7spVJsPMMB8GA1UdIwQYMBaAFHpHbLUQsAKu\n"
    "5qppS18m7spVJsPMMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgIEMAoG\n"
    "CCqGSM49BAMCA0gAMEUCIAmkEjEBMfwG36hAphja4mMnj5G02VXUSO4VOjOVbm1I\n"
    "AiEA+PZI19RDZTbXJs7IbMs1A/yXa6h6YVQyY5utjfHGIRE=\n"
    "-----END CERTIFICATE-----\n";

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	cr_assert(v != NULL && *v != '\0', "%s is not set", name);
	return v;
}

static void
skip_without_fixture(void)
{
	const char *uri = getenv("AD_LDAP_URI");

	if (uri == NULL || *uri == '\0')
		cr_skip_test("SKIP: no Samba AD fixture (run samba_ad_test.sh)");
}

TestSuite(samba_ad, .init = skip_without_fixture, .timeout = 60);

/* A connection as the profile must open it: v3, no referral chasing (AD
 * refers to ldap://ad.example.test/..., which does not resolve), a network
 * timeout, and its own TLS context trusting only cafile. */
static LDAP *
ad_open(const char *uri, const char *cafile)
{
	LDAP *ld = NULL;
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
	struct timeval tv = { 10, 0 };

	cr_assert_eq(ldap_initialize(&ld, uri), LDAP_SUCCESS);
	cr_assert_eq(ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3), 0);
	cr_assert_eq(ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF), 0);
	cr_assert_eq(ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv), 0);
	cr_assert_eq(ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv), 0);
	cr_assert_eq(ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cafile), 0);
	cr_assert_eq(ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand),
	    0);
	cr_assert_eq(ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero), 0);
	return ld;
}

static int
ad_bind(LDAP *ld, const char *dn, const char *password)
{
	struct berval cred;

	cred.bv_val = (char *)password;
	cred.bv_len = strlen(password);
	return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
	    NULL);
}

/* The connection of the lookup process: bound as the read-only account. */
static LDAP *
ad_service(void)
{
	LDAP *ld = ad_open(env("AD_LDAP_URI"), env("AD_CACERT"));

	cr_assert_eq(ad_bind(ld, env("AD_BIND_DN"), env("AD_BIND_PASSWORD")),
	    LDAP_SUCCESS);
	return ld;
}

static void
ad_close(LDAP **ld)
{
	if (*ld != NULL)
		ldap_unbind_ext_s(*ld, NULL, NULL);
	*ld = NULL;
}

static char *
diagnostic(LDAP *ld)
{
	char *msg = NULL;

	ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg);
	return msg;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Searches base (the domain when NULL) and writes the first value of attr
 * of every entry found, sorted and comma-separated, to out; "" for none.
 * Returns the number of entries; continuation references are not entries.
 */
static int
names(LDAP *ld, const char *base, const char *filter, const char *attr,
    char *out, size_t size)
{
	char *attrs[] = { (char *)attr, NULL };
	char *found[NAMES_MAX];
	LDAPMessage *res = NULL, *e;
	int n = 0, rc;
	size_t len = 0;

	rc = ldap_search_ext_s(ld, base ? base : env("AD_BASEDN"),
	    LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL, NULL, 0, &res);
	cr_assert_eq(rc, LDAP_SUCCESS, "search %s: %s", filter,
	    ldap_err2string(rc));
	for (e = ldap_first_entry(ld, res); e != NULL;
	    e = ldap_next_entry(ld, e)) {
		struct berval **v = ldap_get_values_len(ld, e, attr);

		cr_assert(n < NAMES_MAX);
		found[n++] = v && v[0] ? xstrndup(v[0]->bv_val, v[0]->bv_len)
				       : xstrdup("(none)");
		ldap_value_free_len(v);
	}
	ldap_msgfree(res);
	qsort(found, (size_t)n, sizeof(found[0]), cmp_str);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		cr_assert_eq(str_printf(out + len, size - len, "%s%s",
		    i ? "," : "", found[i]), 0);
		len += strlen(out + len);
		free(found[i]);
	}
	return n;
}

/* One entry by filter; the caller frees *res_out. */
static LDAPMessage *
one_entry(LDAP *ld, const char *filter, char **attrs, LDAPMessage **res_out)
{
	int rc = ldap_search_ext_s(ld, env("AD_BASEDN"), LDAP_SCOPE_SUBTREE,
	    filter, attrs, 0, NULL, NULL, NULL, 0, res_out);

	cr_assert_eq(rc, LDAP_SUCCESS, "%s", ldap_err2string(rc));
	cr_assert_eq(ldap_count_entries(ld, *res_out), 1, "%s", filter);
	return ldap_first_entry(ld, *res_out);
}

static bool
has_value(struct berval **v, const char *want)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		if (v[i]->bv_len == strlen(want) &&
		    memcmp(v[i]->bv_val, want, v[i]->bv_len) == 0)
			return true;
	return false;
}

static const char *
people_dn(char *buf, size_t size)
{
	cr_assert_eq(str_printf(buf, size, "OU=People,%s", env("AD_BASEDN")),
	    0);
	return buf;
}

static const char *
groups_dn(char *buf, size_t size)
{
	cr_assert_eq(str_printf(buf, size, "OU=Groups,%s", env("AD_BASEDN")),
	    0);
	return buf;
}

Test(samba_ad, rootdse_announces_active_directory)
{
	LDAP *ld = ad_open(env("AD_LDAP_URI"), env("AD_CACERT"));
	char *attrs[] = { "supportedCapabilities", "defaultNamingContext",
		NULL };
	LDAPMessage *res = NULL, *e;
	struct berval **caps, **nc;

	/* the rootDSE is readable before any bind: profile auto-detection */
	cr_assert_eq(ldap_search_ext_s(ld, "", LDAP_SCOPE_BASE,
	    "(objectClass=*)", attrs, 0, NULL, NULL, NULL, 0, &res),
	    LDAP_SUCCESS);
	e = ldap_first_entry(ld, res);
	cr_assert_not_null(e);
	caps = ldap_get_values_len(ld, e, "supportedCapabilities");
	nc = ldap_get_values_len(ld, e, "defaultNamingContext");
	cr_assert(has_value(caps, LDAP_CAP_ACTIVE_DIRECTORY_OID));
	cr_assert(has_value(nc, env("AD_BASEDN")));
	ldap_value_free_len(caps);
	ldap_value_free_len(nc);
	ldap_msgfree(res);
	ad_close(&ld);
}

Test(samba_ad, anonymous_search_is_refused)
{
	LDAP *ld = ad_open(env("AD_LDAP_URI"), env("AD_CACERT"));
	LDAPMessage *res = NULL;
	int rc = ldap_search_ext_s(ld, env("AD_BASEDN"), LDAP_SCOPE_SUBTREE,
	    "(sAMAccountName=alice)", NULL, 0, NULL, NULL, NULL, 0, &res);
	char *msg = diagnostic(ld);

	/* AD answers operationsError "00002020: ... without authentication",
	 * not an empty result: the profile needs its service bind */
	cr_assert_eq(rc, LDAP_OPERATIONS_ERROR, "%s", ldap_err2string(rc));
	cr_assert(msg != NULL && strstr(msg, "00002020") != NULL);
	ldap_memfree(msg);
	ldap_msgfree(res);
	ad_close(&ld);
}

Test(samba_ad, service_account_finds_alice_by_secondary_address)
{
	LDAP *ld = ad_service();
	char got[512];

	cr_assert_eq(names(ld, NULL,
	    "(proxyAddresses=smtp:alice.liddell@ad.example.test)",
	    "sAMAccountName", got, sizeof(got)), 1);
	cr_assert_str_eq(got, "alice");
	/* matching ignores case, in the prefix too: the filter cannot tell
	 * a primary (SMTP:) from a secondary (smtp:) address */
	cr_assert_eq(names(ld, NULL,
	    "(proxyAddresses=SMTP:ALICE.Liddell@AD.EXAMPLE.TEST)",
	    "sAMAccountName", got, sizeof(got)), 1);
	cr_assert_str_eq(got, "alice");
	cr_assert_eq(names(ld, NULL,
	    "(proxyAddresses=smtp:nobody@ad.example.test)", "sAMAccountName",
	    got, sizeof(got)), 0);
	ad_close(&ld);
}

Test(samba_ad, proxy_addresses_keep_prefix_case_and_other_types)
{
	LDAP *ld = ad_service();
	char *attrs[] = { "proxyAddresses", "mail", NULL };
	LDAPMessage *res = NULL;
	LDAPMessage *e = one_entry(ld, "(sAMAccountName=alice)", attrs, &res);
	struct berval **v = ldap_get_values_len(ld, e, "proxyAddresses");
	struct berval **mail = ldap_get_values_len(ld, e, "mail");
	int x500 = 0, sip = 0;

	cr_assert(has_value(v, "SMTP:alice@ad.example.test"));
	cr_assert(has_value(v, "smtp:alice.liddell@ad.example.test"));
	cr_assert(has_value(v, "smtp:info@ad.example.test"));
	cr_assert(has_value(mail, "alice@ad.example.test"));
	for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
		x500 += strncmp(v[i]->bv_val, "X500:", 5) == 0;
		sip += strncmp(v[i]->bv_val, "SIP:", 4) == 0;
	}
	/* values the profile must skip are really there */
	cr_assert_eq(x500, 1);
	cr_assert_eq(sip, 1);
	ldap_value_free_len(v);
	ldap_value_free_len(mail);
	ldap_msgfree(res);
	ad_close(&ld);
}

/* objectGUID's text form: the first three fields are little-endian */
static void
guid_text(const unsigned char *g, char *out, size_t size)
{
	cr_assert_eq(str_printf(out, size,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9],
	    g[10], g[11], g[12], g[13], g[14], g[15]), 0);
}

Test(samba_ad, object_guid_is_16_bytes_and_finds_the_entry)
{
	LDAP *ld = ad_service();
	char *attrs[] = { "objectGUID", NULL };
	LDAPMessage *res = NULL;
	LDAPMessage *e = one_entry(ld, "(sAMAccountName=alice)", attrs, &res);
	struct berval **v = ldap_get_values_len(ld, e, "objectGUID");
	char filter[128], base[128], text[40], got[512];
	size_t len;

	cr_assert(v != NULL && v[0] != NULL && v[1] == NULL);
	cr_assert_eq(v[0]->bv_len, 16);
	/* binary value in a filter: every byte escaped (RFC 4515) */
	cr_assert_eq(str_printf(filter, sizeof(filter), "(objectGUID="), 0);
	len = strlen(filter);
	for (size_t i = 0; i < 16; i++) {
		cr_assert_eq(str_printf(filter + len, sizeof(filter) - len,
		    "\\%02x", (unsigned char)v[0]->bv_val[i]), 0);
		len += 3;
	}
	cr_assert_eq(str_printf(filter + len, sizeof(filter) - len, ")"), 0);
	cr_assert_eq(names(ld, NULL, filter, "sAMAccountName", got,
	    sizeof(got)), 1);
	cr_assert_str_eq(got, "alice");
	/* AD's extended DN form takes the text form as a search base */
	guid_text((const unsigned char *)v[0]->bv_val, text, sizeof(text));
	cr_assert_eq(str_printf(base, sizeof(base), "<GUID=%s>", text), 0);
	ldap_value_free_len(v);
	ldap_msgfree(res);
	res = NULL;
	cr_assert_eq(ldap_search_ext_s(ld, base, LDAP_SCOPE_BASE,
	    "(objectClass=*)", attrs, 0, NULL, NULL, NULL, 0, &res),
	    LDAP_SUCCESS);
	e = ldap_first_entry(ld, res);
	cr_assert_not_null(e);
	{
		char *dn = ldap_get_dn(ld, e);

		cr_assert(str_prefix_ci(dn, "CN=Alice Liddell,"), "%s", dn);
		ldap_memfree(dn);
	}
	ldap_msgfree(res);
	ad_close(&ld);
}

static unsigned long
uac_of(LDAP *ld, const char *login)
{
	char *attrs[] = { "userAccountControl", NULL };
	char filter[128];
	LDAPMessage *res = NULL, *e;
	struct berval **v;
	uint64_t uac = 0;

	cr_assert_eq(str_printf(filter, sizeof(filter),
	    "(sAMAccountName=%s)", login), 0);
	e = one_entry(ld, filter, attrs, &res);
	v = ldap_get_values_len(ld, e, "userAccountControl");
	cr_assert(v != NULL && v[0] != NULL);
	cr_assert_eq(parse_u64(v[0]->bv_val, v[0]->bv_len, UINT32_MAX, &uac),
	    0);
	ldap_value_free_len(v);
	ldap_msgfree(res);
	return (unsigned long)uac;
}

Test(samba_ad, carol_is_disabled_by_user_account_control)
{
	LDAP *ld = ad_service();
	char got[512], ou[128];

	cr_assert(uac_of(ld, "carol") & UF_ACCOUNTDISABLE);
	cr_assert_not(uac_of(ld, "alice") & UF_ACCOUNTDISABLE);
	cr_assert_not(uac_of(ld, "bob") & UF_ACCOUNTDISABLE);
	/* the bit can also be tested in a filter */
	names(ld, people_dn(ou, sizeof(ou)),
	    "(userAccountControl:" BIT_AND ":=2)", "sAMAccountName", got,
	    sizeof(got));
	cr_assert_str_eq(got, "carol");
	ad_close(&ld);
}

Test(samba_ad, in_chain_resolves_nested_group_in_one_query)
{
	LDAP *ld = ad_service();
	char got[512], filter[256], g[128];

	groups_dn(g, sizeof(g));
	cr_assert_eq(str_printf(filter, sizeof(filter),
	    "(&(objectCategory=person)(objectClass=user)"
	    "(memberOf:" IN_CHAIN ":=CN=all,%s))", g), 0);
	names(ld, NULL, filter, "sAMAccountName", got, sizeof(got));
	cr_assert_str_eq(got, "alice,bob,carol");
	/* unrestricted, the chain also returns the nested group itself */
	cr_assert_eq(str_printf(filter, sizeof(filter),
	    "(memberOf:" IN_CHAIN ":=CN=all,%s)", g), 0);
	names(ld, NULL, filter, "sAMAccountName", got, sizeof(got));
	cr_assert_str_eq(got, "alice,bob,carol,staff");
	/* plain memberOf is direct membership only */
	cr_assert_eq(str_printf(filter, sizeof(filter), "(memberOf=CN=all,%s)",
	    g), 0);
	names(ld, NULL, filter, "sAMAccountName", got, sizeof(got));
	cr_assert_str_eq(got, "carol,staff");
	ad_close(&ld);
}

Test(samba_ad, in_chain_lists_the_groups_of_a_user)
{
	LDAP *ld = ad_service();
	char got[512], filter[256], p[128];

	people_dn(p, sizeof(p));
	cr_assert_eq(str_printf(filter, sizeof(filter),
	    "(&(objectClass=group)(member:" IN_CHAIN ":=CN=Alice Liddell,%s))",
	    p), 0);
	names(ld, NULL, filter, "sAMAccountName", got, sizeof(got));
	cr_assert_str_eq(got, "all,printers,staff");
	/* only groups with mail are mailing lists */
	cr_assert_eq(str_printf(filter, sizeof(filter),
	    "(&(objectClass=group)(mail=*)"
	    "(member:" IN_CHAIN ":=CN=Alice Liddell,%s))", p), 0);
	names(ld, NULL, filter, "sAMAccountName", got, sizeof(got));
	cr_assert_str_eq(got, "all,staff");
	ad_close(&ld);
}

Test(samba_ad, printers_group_has_no_mail)
{
	LDAP *ld = ad_service();
	char got[512], g[128];

	groups_dn(g, sizeof(g));
	cr_assert_eq(names(ld, g, "(&(objectClass=group)(cn=printers))",
	    "mail", got, sizeof(got)), 1);
	cr_assert_str_eq(got, "(none)");
	names(ld, g, "(&(objectClass=group)(mail=*))", "sAMAccountName", got,
	    sizeof(got));
	cr_assert_str_eq(got, "all,staff");
	names(ld, g, "(&(objectClass=group)(!(mail=*)))", "sAMAccountName",
	    got, sizeof(got));
	cr_assert_str_eq(got, "printers");
	ad_close(&ld);
}

Test(samba_ad, contact_has_mail_but_no_account)
{
	LDAP *ld = ad_service();
	char *attrs[] = { "objectClass", "sAMAccountName",
		"userAccountControl", NULL };
	LDAPMessage *res = NULL;
	LDAPMessage *e = one_entry(ld, "(mail=ext@partner.test)", attrs, &res);
	struct berval **oc = ldap_get_values_len(ld, e, "objectClass");
	struct berval **sam = ldap_get_values_len(ld, e, "sAMAccountName");
	struct berval **uac = ldap_get_values_len(ld, e, "userAccountControl");

	cr_assert(has_value(oc, "contact"));
	cr_assert_not(has_value(oc, "user"));
	cr_assert_null(sam);
	cr_assert_null(uac);
	ldap_value_free_len(oc);
	ldap_msgfree(res);
	ad_close(&ld);
}

Test(samba_ad, login_by_upn_or_sam_account_name)
{
	LDAP *ld = ad_service();
	char got[512];

	cr_assert_eq(names(ld, NULL, "(userPrincipalName=alice@ad.example.test)",
	    "displayName", got, sizeof(got)), 1);
	cr_assert_str_eq(got, "Alice Liddell");
	cr_assert_eq(names(ld, NULL, "(sAMAccountName=ALICE)", "displayName",
	    got, sizeof(got)), 1);
	cr_assert_str_eq(got, "Alice Liddell");
	ad_close(&ld);
}

Test(samba_ad, subtree_search_returns_continuation_references)
{
	LDAP *ld = ad_service();
	LDAPMessage *res = NULL;
	char *attrs[] = { "sAMAccountName", NULL };

	/* with chasing off the search still succeeds; the references
	 * (to the Configuration and DNS partitions) arrive as messages of
	 * their own that code walking the result must skip */
	cr_assert_eq(ldap_search_ext_s(ld, env("AD_BASEDN"),
	    LDAP_SCOPE_SUBTREE, "(sAMAccountName=bob)", attrs, 0, NULL, NULL,
	    NULL, 0, &res), LDAP_SUCCESS);
	cr_assert_eq(ldap_count_entries(ld, res), 1);
	cr_assert_geq(ldap_count_references(ld, res), 1);
	ldap_msgfree(res);
	ad_close(&ld);
}

Test(samba_ad, ldaps_verifies_with_fixture_ca)
{
	LDAP *ld = ad_open(env("AD_LDAPS_URI"), env("AD_CACERT"));

	cr_assert_eq(ad_bind(ld, env("AD_BIND_DN"), env("AD_BIND_PASSWORD")),
	    LDAP_SUCCESS);
	ad_close(&ld);
}

Test(samba_ad, starttls_verifies_with_fixture_ca)
{
	LDAP *ld = ad_open(env("AD_LDAP_URI"), env("AD_CACERT"));

	cr_assert_eq(ldap_start_tls_s(ld, NULL, NULL), LDAP_SUCCESS);
	cr_assert_eq(ad_bind(ld, env("AD_BIND_DN"), env("AD_BIND_PASSWORD")),
	    LDAP_SUCCESS);
	ad_close(&ld);
}

Test(samba_ad, ldaps_rejects_a_server_of_another_ca)
{
	char path[] = "/tmp/tessera-unrelated-ca-XXXXXX";
	int fd = mkstemp(path);
	LDAP *ld;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, unrelated_ca_pem, sizeof(unrelated_ca_pem) - 1),
	    (ssize_t)(sizeof(unrelated_ca_pem) - 1));
	close(fd);
	ld = ad_open(env("AD_LDAPS_URI"), path);
	cr_assert_eq(ad_bind(ld, env("AD_BIND_DN"), env("AD_BIND_PASSWORD")),
	    LDAP_SERVER_DOWN);
	ad_close(&ld);
	unlink(path);
}

Test(samba_ad, alice_binds_with_her_password)
{
	LDAP *ld = ad_open(env("AD_LDAP_URI"), env("AD_CACERT"));
	char dn[256];
	char *msg;

	/* the DN the lookup found, as the password check will use it */
	cr_assert_eq(str_printf(dn, sizeof(dn), "CN=Alice Liddell,OU=People,%s",
	    env("AD_BASEDN")), 0);
	cr_assert_eq(ad_bind(ld, dn, env("AD_USER_PASSWORD")), LDAP_SUCCESS);
	/* AD also takes the userPrincipalName as bind name */
	cr_assert_eq(ad_bind(ld, "alice@ad.example.test",
	    env("AD_USER_PASSWORD")), LDAP_SUCCESS);
	cr_assert_eq(ad_bind(ld, dn, "Wrong-pass1"), LDAP_INVALID_CREDENTIALS);
	/* sub-code 52e: bad password */
	msg = diagnostic(ld);
	cr_assert(msg != NULL && strstr(msg, "data 52e") != NULL, "%s", msg);
	ldap_memfree(msg);
	ad_close(&ld);
}

Test(samba_ad, carol_cannot_bind_with_her_password)
{
	LDAP *ld = ad_open(env("AD_LDAP_URI"), env("AD_CACERT"));
	char dn[256];
	char *msg;

	cr_assert_eq(str_printf(dn, sizeof(dn), "CN=Carol Danvers,OU=People,%s",
	    env("AD_BASEDN")), 0);
	cr_assert_eq(ad_bind(ld, dn, env("AD_USER_PASSWORD")),
	    LDAP_INVALID_CREDENTIALS);
	/* sub-code 533: account disabled (right password, still refused) */
	msg = diagnostic(ld);
	cr_assert(msg != NULL && strstr(msg, "data 533") != NULL, "%s", msg);
	ldap_memfree(msg);
	ad_close(&ld);
}

Test(samba_ad, service_account_cannot_write)
{
	LDAP *ld = ad_service();
	char dn[256], got[512];
	char *vals[] = { "mallory@ad.example.test", NULL };
	LDAPMod mod = { .mod_op = LDAP_MOD_REPLACE, .mod_type = "mail",
		.mod_values = vals };
	LDAPMod *mods[] = { &mod, NULL };

	cr_assert_eq(str_printf(dn, sizeof(dn), "CN=Alice Liddell,OU=People,%s",
	    env("AD_BASEDN")), 0);
	cr_assert_eq(ldap_modify_ext_s(ld, dn, mods, NULL, NULL),
	    LDAP_INSUFFICIENT_ACCESS);
	names(ld, NULL, "(sAMAccountName=alice)", "mail", got, sizeof(got));
	cr_assert_str_eq(got, "alice@ad.example.test");
	ad_close(&ld);
}

static void
krb5_setup(krb5_context *ctx)
{
	/* the fixture's realm, and no replay cache files outside it */
	cr_assert_eq(setenv("KRB5_CONFIG", env("AD_KRB5_CONFIG"), 1), 0);
	cr_assert_eq(setenv("KRB5RCACHETYPE", "none", 1), 0);
	cr_assert_eq(krb5_init_context(ctx), 0);
}

Test(samba_ad, keytab_holds_aes256_keys_of_the_mail_services)
{
	const char *want[] = { "imap/localhost@AD.EXAMPLE.TEST",
		"smtp/localhost@AD.EXAMPLE.TEST",
		"pop/localhost@AD.EXAMPLE.TEST" };
	bool seen[3] = { false, false, false };
	krb5_context ctx;
	krb5_keytab kt;
	krb5_kt_cursor cur;
	krb5_keytab_entry ent;

	krb5_setup(&ctx);
	cr_assert_eq(krb5_kt_resolve(ctx, env("AD_KTNAME"), &kt), 0);
	cr_assert_eq(krb5_kt_start_seq_get(ctx, kt, &cur), 0);
	while (krb5_kt_next_entry(ctx, kt, &ent, &cur) == 0) {
		char *name = NULL;

		cr_assert_eq(krb5_unparse_name(ctx, ent.principal, &name), 0);
		for (size_t i = 0; i < 3; i++)
			if (strcmp(name, want[i]) == 0 &&
			    ent.key.enctype == ENCTYPE_AES256_CTS_HMAC_SHA1_96)
				seen[i] = true;
		krb5_free_unparsed_name(ctx, name);
		krb5_free_keytab_entry_contents(ctx, &ent);
	}
	krb5_kt_end_seq_get(ctx, kt, &cur);
	for (size_t i = 0; i < 3; i++)
		cr_assert(seen[i], "no aes256 key for %s", want[i]);
	krb5_kt_close(ctx, kt);
	krb5_free_context(ctx);
}

Test(samba_ad, kdc_ticket_for_imap_opens_with_the_keytab)
{
	krb5_context ctx;
	krb5_principal alice, imap;
	krb5_creds tgt, in, *svc = NULL;
	krb5_ccache cc;
	krb5_keytab kt;
	krb5_auth_context ac = NULL;
	krb5_data req = { 0 };
	krb5_ticket *ticket = NULL;
	char pw[64];

	krb5_setup(&ctx);
	cr_assert_eq(str_copy(pw, sizeof(pw), env("AD_USER_PASSWORD")), 0);
	cr_assert_eq(krb5_parse_name(ctx, "alice@AD.EXAMPLE.TEST", &alice), 0);
	cr_assert_eq(krb5_parse_name(ctx, "imap/localhost@AD.EXAMPLE.TEST",
	    &imap), 0);
	/* an AS exchange with the password: the KDC and alice's keys work */
	memset(&tgt, 0, sizeof(tgt));
	cr_assert_eq(krb5_get_init_creds_password(ctx, &tgt, alice, pw, NULL,
	    NULL, 0, NULL, NULL), 0);
	cr_assert_eq(krb5_cc_new_unique(ctx, "MEMORY", NULL, &cc), 0);
	cr_assert_eq(krb5_cc_initialize(ctx, cc, alice), 0);
	cr_assert_eq(krb5_cc_store_cred(ctx, cc, &tgt), 0);
	/* a service ticket for imap/localhost ... */
	memset(&in, 0, sizeof(in));
	in.client = alice;
	in.server = imap;
	cr_assert_eq(krb5_get_credentials(ctx, 0, cc, &in, &svc), 0);
	cr_assert_eq(krb5_mk_req_extended(ctx, &ac, 0, NULL, svc, &req), 0);
	krb5_auth_con_free(ctx, ac);
	ac = NULL;
	/* ... that the exported keytab decrypts: same key, same kvno */
	cr_assert_eq(krb5_kt_resolve(ctx, env("AD_KTNAME"), &kt), 0);
	cr_assert_eq(krb5_rd_req(ctx, &ac, &req, imap, kt, NULL, &ticket), 0);
	cr_assert_eq(ticket->enc_part.enctype,
	    ENCTYPE_AES256_CTS_HMAC_SHA1_96);
	cr_assert(krb5_principal_compare(ctx, ticket->enc_part2->client,
	    alice));
	krb5_free_ticket(ctx, ticket);
	krb5_auth_con_free(ctx, ac);
	krb5_free_data_contents(ctx, &req);
	krb5_free_creds(ctx, svc);
	krb5_free_cred_contents(ctx, &tgt);
	krb5_kt_close(ctx, kt);
	krb5_cc_destroy(ctx, cc);
	krb5_free_principal(ctx, imap);
	krb5_free_principal(ctx, alice);
	krb5_free_context(ctx);
	mem_wipe(pw, sizeof(pw));
}
