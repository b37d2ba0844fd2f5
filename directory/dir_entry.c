/*
 * directory/dir_entry.c - turns an LDAP search result entry into a struct
 * dir_entry following the profile: classification (user, alias, group,
 * contact), addresses (mail, mailLocalAddress or AD proxyAddresses),
 * mailbox id (entryUUID text or objectGUID), state, quotas, forwarding.
 *
 * Values come from the directory: trusted to be the administrator's data
 * but not to be well-formed, so every value is checked and a bad one is
 * skipped (or, for the account state, read as the most restrictive).
 */
#include "config.h"

#include <lber.h>
#include <ldap.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "directory/dir_int.h"
#include "lib/banned.h"

/* Most values read from one attribute of one entry. */
#define DIR_VALUES_MAX 10000

char **
dir_values(LDAP *ld, LDAPMessage *msg, const char *attr, struct pool *pool,
    size_t *n_out)
{
	struct berval **vals;
	size_t n = 0, count;
	char **out;

	*n_out = 0;
	if (attr == NULL || (vals = ldap_get_values_len(ld, msg, attr)) == NULL)
		return NULL;
	count = (size_t)ldap_count_values_len(vals);
	if (count > DIR_VALUES_MAX)
		count = DIR_VALUES_MAX;
	out = pool_alloc(pool, (count + 1) * sizeof(*out));
	for (size_t i = 0; i < count; i++) {
		if (memchr(vals[i]->bv_val, '\0', vals[i]->bv_len) != NULL)
			continue;
		out[n++] = pool_strndup(pool, vals[i]->bv_val, vals[i]->bv_len);
	}
	ldap_value_free_len(vals);
	if (n == 0)
		return NULL;
	*n_out = n;
	return out;
}

static const char *
first_value(LDAP *ld, LDAPMessage *msg, const char *attr, struct pool *pool)
{
	size_t n;
	char **v = dir_values(ld, msg, attr, pool, &n);

	return v != NULL ? v[0] : NULL;
}

char *
dir_dn_key(const char *dn, struct pool *pool)
{
	char *norm = NULL, *key;

	/* "CN=Staff, OU=groups" and "cn=staff,ou=groups" are one entry */
	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &norm,
	    LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || norm == NULL) {
		ldap_memfree(norm);
		norm = NULL;
	}
	key = pool_strdup(pool, norm != NULL ? norm : dn);
	ldap_memfree(norm);
	for (char *p = key; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return key;
}

static bool
has_class(char **classes, size_t n, const char *cls)
{
	if (cls == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (str_eq_ci(classes[i], cls))
			return true;
	return false;
}

/* Append s unless it is already there (addresses compare ignoring case). */
static void
add_unique(char **list, size_t *n, char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (str_eq_ci(list[i], s))
			return;
	list[(*n)++] = s;
}

static void
fill_addresses(const struct dir *d, LDAP *ld, LDAPMessage *msg,
    struct pool *pool, struct dir_entry *e)
{
	const struct dir_profile *p = d->prof;
	size_t n_mail = 0, n_alt = 0, n_proxy = 0, n = 0;
	char **mail = dir_values(ld, msg, p->attr_mail, pool, &n_mail);
	char **alt = dir_values(ld, msg, p->attr_alt_address, pool, &n_alt);
	char **proxy = dir_values(ld, msg, p->attr_proxy_addresses, pool,
	    &n_proxy);
	char *primary = NULL;
	char **list = pool_alloc(pool,
	    (n_mail + n_alt + n_proxy + 1) * sizeof(*list));

	/* AD: the SMTP: (upper-case) proxy address is the primary one */
	for (size_t i = 0; i < n_proxy && primary == NULL; i++) {
		const char *a;
		size_t alen;
		bool prim;

		if (dir_proxy_address_parse(proxy[i], strlen(proxy[i]), &a,
		    &alen, &prim) == 1 && prim)
			primary = pool_strndup(pool, a, alen);
	}
	if (primary != NULL)
		add_unique(list, &n, primary);
	for (size_t i = 0; i < n_mail; i++)
		add_unique(list, &n, mail[i]);
	for (size_t i = 0; i < n_alt; i++)
		add_unique(list, &n, alt[i]);
	for (size_t i = 0; i < n_proxy; i++) {
		const char *a;
		size_t alen;
		bool prim;

		if (dir_proxy_address_parse(proxy[i], strlen(proxy[i]), &a,
		    &alen, &prim) == 1)
			add_unique(list, &n, pool_strndup(pool, a, alen));
	}
	if (n == 0)
		return;
	e->addresses = list;
	e->n_addresses = n;
	e->address = list[0];
}

static enum dir_state
state_from_text(const char *v)
{
	if (v == NULL || str_eq_ci(v, "active"))
		return DIR_STATE_ACTIVE;
	if (str_eq_ci(v, "receive-only"))
		return DIR_STATE_RECEIVE_ONLY;
	/* "disabled" and anything we do not know: no login, no mail */
	return DIR_STATE_DISABLED;
}

static void
fill_state(const struct dir *d, LDAP *ld, LDAPMessage *msg,
    struct pool *pool, struct dir_entry *e)
{
	const struct dir_profile *p = d->prof;
	const char *uac = first_value(ld, msg, p->attr_uac, pool);

	e->state = state_from_text(first_value(ld, msg, p->attr_state, pool));
	if (uac != NULL) {
		uint64_t v;
		/* a signed 32-bit integer; a negative one still has bit 1 */
		bool neg = uac[0] == '-';

		if (parse_u64(uac + neg, strlen(uac + neg), UINT32_MAX, &v) == -1)
			e->state = DIR_STATE_DISABLED;
		else if (((neg ? 0u - (uint32_t)v : (uint32_t)v) & 0x2) != 0 &&
		    e->state != DIR_STATE_DISABLED)
			e->state = p->uac_disabled_state;
	}
}

static void
fill_mailbox_id(const struct dir *d, LDAP *ld, LDAPMessage *msg,
    struct pool *pool, struct dir_entry *e)
{
	const struct dir_profile *p = d->prof;
	struct berval **vals;
	char text[DIR_GUID_TEXT_LEN + 1];

	if (p->mailbox_id_format == DIR_ID_TEXT) {
		e->mailbox_id = (char *)(uintptr_t)first_value(ld, msg,
		    p->attr_mailbox_id, pool);
		return;
	}
	vals = ldap_get_values_len(ld, msg, p->attr_mailbox_id);
	if (vals != NULL && vals[0] != NULL &&
	    dir_guid_format((const uint8_t *)vals[0]->bv_val, vals[0]->bv_len,
	    text) == 0)
		e->mailbox_id = pool_strdup(pool, text);
	ldap_value_free_len(vals);
}

static uint64_t
number(LDAP *ld, LDAPMessage *msg, const char *attr, struct pool *pool)
{
	const char *v = first_value(ld, msg, attr, pool);
	uint64_t n;

	if (v == NULL || parse_u64(v, strlen(v), UINT64_MAX, &n) == -1)
		return 0;
	return n;
}

static enum dir_sender_policy
sender_policy(const char *v)
{
	if (v == NULL || str_eq_ci(v, "anyone"))
		return DIR_SENDERS_ANYONE;
	if (str_eq_ci(v, "internal"))
		return DIR_SENDERS_INTERNAL;
	if (str_eq_ci(v, "members"))
		return DIR_SENDERS_MEMBERS;
	/* "listed", and unknown values: only the listed senders (fail
	 * closed rather than open a list to the world) */
	return DIR_SENDERS_LISTED;
}

struct dir_entry *
dir_entry_from_ldap(const struct dir *d, LDAP *ld, LDAPMessage *msg,
    struct pool *pool)
{
	const struct dir_profile *p = d->prof;
	struct dir_entry *e = pool_alloc(pool, sizeof(*e));
	size_t n_cls = 0;
	char **cls = dir_values(ld, msg, "objectClass", pool, &n_cls);
	char *dn = ldap_get_dn(ld, msg);
	const char *keep;

	if (dn == NULL)
		return NULL;
	e->dn = pool_strdup(pool, dn);
	ldap_memfree(dn);
	fill_addresses(d, ld, msg, pool, e);
	if (has_class(cls, n_cls, p->class_alias)) {
		e->kind = DIR_KIND_ALIAS;
	} else if (has_class(cls, n_cls, p->class_group)) {
		size_t n_mail;

		if (p->group_requires_mail &&
		    dir_values(ld, msg, p->attr_mail, pool, &n_mail) == NULL)
			return NULL;
		e->kind = DIR_KIND_GROUP;
	} else if (has_class(cls, n_cls, p->class_user) &&
	    (p->class_mailbox == NULL || has_class(cls, n_cls,
	    p->class_mailbox))) {
		e->kind = DIR_KIND_USER;
	} else {
		e->kind = DIR_KIND_CONTACT;
	}
	e->login = (char *)(uintptr_t)first_value(ld, msg, p->attr_login, pool);
	e->display_name = (char *)(uintptr_t)first_value(ld, msg,
	    p->attr_display_name, pool);
	fill_mailbox_id(d, ld, msg, pool, e);
	e->mail_host = (char *)(uintptr_t)first_value(ld, msg,
	    p->attr_mail_host, pool);
	e->quota_bytes = number(ld, msg, p->attr_quota_bytes, pool);
	e->quota_messages = number(ld, msg, p->attr_quota_messages, pool);
	fill_state(d, ld, msg, pool, e);
	e->forward_to = dir_values(ld, msg, p->attr_forward_to, pool,
	    &e->n_forward_to);
	keep = first_value(ld, msg, p->attr_forward_keep_copy, pool);
	e->forward_keep_copy = keep != NULL && str_eq_ci(keep, "TRUE");
	e->send_as = dir_values(ld, msg, p->attr_send_as, pool, &e->n_send_as);
	e->authz_to = dir_values(ld, msg, p->attr_authz_to, pool,
	    &e->n_authz_to);
	if (e->kind == DIR_KIND_ALIAS)
		e->targets = dir_values(ld, msg, p->attr_alias_target, pool,
		    &e->n_targets);
	if (e->kind == DIR_KIND_GROUP) {
		e->sender_policy = sender_policy(first_value(ld, msg,
		    p->attr_sender_policy, pool));
		e->allowed_senders = dir_values(ld, msg, p->attr_allowed_sender,
		    pool, &e->n_allowed_senders);
		e->allowed_sender_addresses = dir_values(ld, msg,
		    p->attr_allowed_sender_address, pool,
		    &e->n_allowed_sender_addresses);
	}
	return e;
}
