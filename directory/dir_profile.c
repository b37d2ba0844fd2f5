/*
 * directory/dir_profile.c - attribute names and filter templates of the
 * openldap, ad and custom profiles, overrides, and the two small parsers
 * of Active Directory values (proxyAddresses, objectGUID).
 *
 * Override strings come from the configuration file (trusted, but typos
 * must fail at start-up, not at the first lookup); proxyAddresses and
 * objectGUID values come from the directory and are checked like any
 * other input.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "directory/dir_escape.h"
#include "directory/dir_profile.h"
#include "lib/banned.h"

#define NAME_MAX_LEN 128

enum key_type { K_ATTR, K_CLASS, K_FILTER, K_ID_FORMAT, K_UAC_STATE,
	K_GROUP_MODE, K_BOOL };

struct key_def {
	const char *name;
	enum key_type type;
	size_t off;
};

#define X(field, type, doc) \
	{ #field, K_##type, offsetof(struct dir_profile, field) },
static const struct key_def keys[] = {
	DIR_PROFILE_KEYS(X)
};
#undef X

/* Keys a custom profile must set itself. */
static const char *const custom_required[] = {
	"attr_mail", "attr_login", "attr_mailbox_id", "filter_address",
	"filter_login",
};

static void
defaults_openldap(struct dir_profile *p)
{
	p->attr_mail = "mail";
	p->attr_alt_address = "mailLocalAddress";
	p->attr_login = "uid";
	p->attr_display_name = "cn";
	p->attr_mailbox_id = "entryUUID";
	p->mailbox_id_format = DIR_ID_TEXT;
	p->attr_state = "tesseraAccountState";
	p->uac_disabled_state = DIR_STATE_DISABLED;
	p->attr_quota_bytes = "tesseraMailQuotaBytes";
	p->attr_quota_messages = "tesseraMailQuotaMessages";
	p->attr_mail_host = "mailHost";
	p->attr_forward_to = "tesseraForwardTo";
	p->attr_forward_keep_copy = "tesseraForwardKeepCopy";
	p->attr_send_as = "tesseraSendAs";
	p->attr_authz_to = "authzTo";
	p->attr_member = "member";
	p->attr_alias_target = "tesseraAliasTarget";
	p->attr_sender_policy = "tesseraSenderPolicy";
	p->attr_allowed_sender = "tesseraAllowedSender";
	p->attr_allowed_sender_address = "tesseraAllowedSenderAddress";
	p->attr_domain = "tesseraDomain";
	p->class_user = "inetOrgPerson";
	p->class_mailbox = "tesseraMailUser";
	p->class_group = "groupOfNames";
	p->class_alias = "tesseraMailAlias";
	p->group_mode = DIR_GROUP_WALK;
	p->group_requires_mail = false;
	p->filter_address = "(|(mail=%s)(mailLocalAddress=%s))";
	p->filter_login = "(&(objectClass=inetOrgPerson)"
	    "(objectClass=tesseraMailUser)(|(uid=%s)(mail=%s)))";
	/* the uid@realm rule: the principal's name part is the uid (the
	 * realm is checked against [sasl] allowed_realms before) */
	p->filter_principal = "(&(objectClass=inetOrgPerson)"
	    "(objectClass=tesseraMailUser)(uid=%u))";
	p->filter_domain =
	    "(&(objectClass=tesseraMailDomain)(tesseraDomain=%s))";
	p->filter_domains = "(objectClass=tesseraMailDomain)";
}

static void
defaults_ad(struct dir_profile *p)
{
	p->attr_mail = "mail";
	p->attr_proxy_addresses = "proxyAddresses";
	p->attr_login = "sAMAccountName";
	p->attr_display_name = "displayName";
	p->attr_mailbox_id = "objectGUID";
	p->mailbox_id_format = DIR_ID_GUID;
	p->attr_uac = "userAccountControl";
	p->uac_disabled_state = DIR_STATE_DISABLED;
	p->attr_member = "member";
	p->attr_domain = "tesseraDomain";
	p->class_user = "user";
	p->class_group = "group";
	p->group_mode = DIR_GROUP_IN_CHAIN;
	p->group_requires_mail = true;
	p->filter_address = "(|(mail=%s)(proxyAddresses=smtp:%s))";
	p->filter_login = "(&(objectClass=user)(objectCategory=person)"
	    "(|(sAMAccountName=%s)(userPrincipalName=%s)(mail=%s)))";
	/* AD matches userPrincipalName case-insensitively, so the principal
	 * alice@AD.EXAMPLE.TEST finds the UPN alice@ad.example.test */
	p->filter_principal = "(&(objectClass=user)(objectCategory=person)"
	    "(userPrincipalName=%s))";
	p->filter_domain =
	    "(&(objectClass=tesseraMailDomain)(tesseraDomain=%s))";
	p->filter_domains = "(objectClass=tesseraMailDomain)";
	p->filter_group_members = "(&(|(objectClass=user)(objectClass=contact))"
	    "(memberOf:1.2.840.113556.1.4.1941:=%s))";
}

const char *
dir_profile_kind_name(enum dir_profile_kind k)
{
	switch (k) {
	case DIR_PROFILE_OPENLDAP:
		return "openldap";
	case DIR_PROFILE_AD:
		return "ad";
	case DIR_PROFILE_CUSTOM:
		return "custom";
	}
	return "?";
}

int
dir_profile_kind_parse(const char *s, enum dir_profile_kind *out)
{
	if (str_eq_ci(s, "openldap"))
		*out = DIR_PROFILE_OPENLDAP;
	else if (str_eq_ci(s, "ad"))
		*out = DIR_PROFILE_AD;
	else if (str_eq_ci(s, "custom"))
		*out = DIR_PROFILE_CUSTOM;
	else
		return -1;
	return 0;
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* An attribute description or class name: a descriptor (RFC 4512 keystring)
 * or a numeric OID. */
static bool
name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	if (is_alpha(s[0])) {
		for (size_t i = 1; i < n; i++)
			if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '-')
				return false;
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		if (is_digit(s[i]))
			continue;
		if (s[i] != '.' || i == 0 || i == n - 1 || s[i - 1] == '.')
			return false;
	}
	return true;
}

/* A template must be one parenthesised filter. Literal parentheses in
 * values are written \28 and \29, so raw ones are all structural. */
static const char *
filter_check(const char *t)
{
	const char *err = NULL;
	size_t n = strlen(t);
	long depth = 0;

	if (dir_template_check(t, &err) == -1)
		return err;
	if (n < 3 || t[0] != '(' || t[n - 1] != ')')
		return "filter must be enclosed in parentheses";
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '(')
			depth++;
		else if (t[i] == ')' && --depth == 0 && i != n - 1)
			return "filter has text after its closing parenthesis";
		if (depth < 0)
			return "filter has unbalanced parentheses";
	}
	if (depth != 0)
		return "filter has unbalanced parentheses";
	return NULL;
}

static const char *
apply_value(struct dir_profile *p, const struct key_def *k, const char *v)
{
	const char **field = (const char **)(void *)((char *)p + k->off);
	char *copy;

	switch (k->type) {
	case K_ID_FORMAT:
		if (str_eq_ci(v, "text"))
			p->mailbox_id_format = DIR_ID_TEXT;
		else if (str_eq_ci(v, "guid"))
			p->mailbox_id_format = DIR_ID_GUID;
		else
			return "must be text or guid";
		return NULL;
	case K_UAC_STATE:
		if (str_eq_ci(v, "disabled"))
			p->uac_disabled_state = DIR_STATE_DISABLED;
		else if (str_eq_ci(v, "receive-only"))
			p->uac_disabled_state = DIR_STATE_RECEIVE_ONLY;
		else
			return "must be disabled or receive-only";
		return NULL;
	case K_GROUP_MODE:
		if (str_eq_ci(v, "walk"))
			p->group_mode = DIR_GROUP_WALK;
		else if (str_eq_ci(v, "in_chain"))
			p->group_mode = DIR_GROUP_IN_CHAIN;
		else
			return "must be walk or in_chain";
		return NULL;
	case K_BOOL:
		if (str_eq_ci(v, "yes") || str_eq_ci(v, "true"))
			p->group_requires_mail = true;
		else if (str_eq_ci(v, "no") || str_eq_ci(v, "false"))
			p->group_requires_mail = false;
		else
			return "must be yes or no";
		return NULL;
	case K_ATTR:
	case K_CLASS:
		if (*v != '\0' && !name_valid(v))
			return "is not an attribute or class name";
		break;
	case K_FILTER:
		if (*v != '\0') {
			const char *e = filter_check(v);

			if (e != NULL)
				return e;
		}
		break;
	}
	if (*v == '\0') {
		*field = NULL;
		return NULL;
	}
	copy = xstrdup(v);
	p->owned = xreallocarray(p->owned, p->n_owned + 1, sizeof(*p->owned));
	p->owned[p->n_owned++] = copy;
	*field = copy;
	return NULL;
}

static const struct key_def *
key_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].name) == len &&
		    memcmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

static bool
entry_attrs_has(char **list, size_t n, const char *a)
{
	for (size_t i = 0; i < n; i++)
		if (str_eq_ci(list[i], a))
			return true;
	return false;
}

static void
build_entry_attrs(struct dir_profile *p)
{
	const char *cand[] = {
		"objectClass", p->attr_mail, p->attr_alt_address,
		p->attr_proxy_addresses, p->attr_login, p->attr_display_name,
		p->attr_mailbox_id, p->attr_state, p->attr_uac,
		p->attr_quota_bytes, p->attr_quota_messages, p->attr_mail_host,
		p->attr_forward_to, p->attr_forward_keep_copy, p->attr_send_as,
		p->attr_authz_to,
		p->group_mode == DIR_GROUP_WALK ? p->attr_member : NULL,
		p->attr_alias_target, p->attr_sender_policy,
		p->attr_allowed_sender, p->attr_allowed_sender_address,
	};
	size_t n = 0, max = sizeof(cand) / sizeof(cand[0]);

	p->entry_attrs = xcalloc(max + 1, sizeof(*p->entry_attrs));
	for (size_t i = 0; i < max; i++) {
		if (cand[i] == NULL || entry_attrs_has(p->entry_attrs, n, cand[i]))
			continue;
		/* libldap takes char **; the strings are never written */
		p->entry_attrs[n++] = (char *)(uintptr_t)cand[i];
	}
}

/* Checks that need the whole profile. NULL or the error. */
static const char *
profile_check(const struct dir_profile *p)
{
	if (p->attr_mail == NULL)
		return "attr_mail must be set";
	if (p->attr_mailbox_id == NULL)
		return "attr_mailbox_id must be set";
	if (p->filter_address == NULL || p->filter_login == NULL)
		return "filter_address and filter_login must be set";
	if (p->group_mode == DIR_GROUP_IN_CHAIN && p->filter_group_members == NULL)
		return "group_mode in_chain needs filter_group_members";
	if (p->group_mode == DIR_GROUP_WALK && p->attr_member == NULL)
		return "group_mode walk needs attr_member";
	return NULL;
}

static const char *
apply_overrides(struct dir_profile *p, const char *const *overrides,
    bool seen[], struct pool *err_pool)
{
	size_t count = 0;

	while (overrides != NULL && overrides[count] != NULL)
		count++;
	if (count > DIR_PROFILE_OVERRIDES_MAX)
		return pool_printf(err_pool, "more than %d overrides",
		    DIR_PROFILE_OVERRIDES_MAX);
	for (size_t n = 0; n < count; n++) {
		const char *o = overrides[n];
		const char *eq = strchr(o, '=');
		const struct key_def *k;
		const char *e;
		size_t idx;

		if (eq == NULL)
			return pool_printf(err_pool,
			    "override \"%.64s\" is not key=value", o);
		k = key_find(o, (size_t)(eq - o));
		if (k == NULL)
			return pool_printf(err_pool,
			    "unknown override key \"%.*s\"",
			    (int)((eq - o) > 64 ? 64 : eq - o), o);
		idx = (size_t)(k - keys);
		if (seen[idx])
			return pool_printf(err_pool,
			    "override %s given twice", k->name);
		seen[idx] = true;
		if (strlen(eq + 1) > DIR_PROFILE_VALUE_MAX)
			return pool_printf(err_pool,
			    "override %s: value longer than %d", k->name,
			    DIR_PROFILE_VALUE_MAX);
		e = apply_value(p, k, eq + 1);
		if (e != NULL)
			return pool_printf(err_pool, "override %s: %s",
			    k->name, e);
	}
	return NULL;
}

struct dir_profile *
dir_profile_new(enum dir_profile_kind kind, const char *const *overrides,
    struct pool *err_pool, const char **err_out)
{
	struct dir_profile *p = xmalloc(sizeof(*p));
	bool seen[sizeof(keys) / sizeof(keys[0])] = { false };
	const char *e;

	p->kind = kind;
	if (kind == DIR_PROFILE_AD)
		defaults_ad(p);
	else
		defaults_openldap(p);
	e = apply_overrides(p, overrides, seen, err_pool);
	for (size_t i = 0; e == NULL && kind == DIR_PROFILE_CUSTOM &&
	    i < sizeof(custom_required) / sizeof(custom_required[0]); i++) {
		const struct key_def *k = key_find(custom_required[i],
		    strlen(custom_required[i]));

		if (!seen[k - keys])
			e = pool_printf(err_pool,
			    "profile custom needs override %s", k->name);
	}
	if (e == NULL && (e = profile_check(p)) != NULL)
		e = pool_printf(err_pool, "profile %s: %s",
		    dir_profile_kind_name(kind), e);
	if (e != NULL) {
		*err_out = e;
		dir_profile_free(&p);
		return NULL;
	}
	build_entry_attrs(p);
	return p;
}

void
dir_profile_free(struct dir_profile **pp)
{
	struct dir_profile *p;

	if (pp == NULL || *pp == NULL)
		return;
	p = *pp;
	for (size_t i = 0; i < p->n_owned; i++)
		free(p->owned[i]);
	free(p->owned);
	free(p->entry_attrs);
	free(p);
	*pp = NULL;
}

int
dir_proxy_address_parse(const char *value, size_t len, const char **addr_out,
    size_t *addr_len_out, bool *primary_out)
{
	if (len < 5 || !((value[0] == 's' || value[0] == 'S') &&
	    (value[1] == 'm' || value[1] == 'M') &&
	    (value[2] == 't' || value[2] == 'T') &&
	    (value[3] == 'p' || value[3] == 'P') && value[4] == ':'))
		return 0;
	if (len == 5)
		return -1;
	for (size_t i = 5; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c <= 0x20 || c == 0x7f)
			return -1;
	}
	*addr_out = value + 5;
	*addr_len_out = len - 5;
	/* Exchange marks the primary by the upper-case prefix */
	*primary_out = memcmp(value, "SMTP", 4) == 0;
	return 1;
}

int
dir_guid_format(const uint8_t *g, size_t len, char out[DIR_GUID_TEXT_LEN + 1])
{
	/* Data1..Data3 are little-endian in the binary form */
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11,
		12, 13, 14, 15 };
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (len != 16)
		return -1;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[g[order[i]] >> 4];
		out[o++] = hex[g[order[i]] & 0xf];
	}
	out[o] = '\0';
	return 0;
}
