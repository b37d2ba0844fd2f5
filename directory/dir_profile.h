/*
 * directory/dir_profile.h - attribute names and filter templates of a
 * directory profile (openldap, ad, custom) and their overrides.
 *
 * A profile says where each piece of a struct dir_entry lives in the
 * directory and which filter finds an entry. It is built once at dir_new
 * from the profile kind plus the administrator's "key=value" overrides and
 * is read-only afterwards, so threads share it without locks.
 *
 * Override keys (every profile accepts every key; an empty value, e.g.
 * "attr_mail_host=", switches an optional attribute off):
 *
 * | key                        | openldap                | ad                  |
 * |----------------------------|-------------------------|---------------------|
 * | attr_mail                  | mail                    | mail                |
 * | attr_alt_address           | mailLocalAddress        | (none)              |
 * | attr_proxy_addresses       | (none)                  | proxyAddresses      |
 * | attr_login                 | uid                     | sAMAccountName      |
 * | attr_display_name          | cn                      | displayName         |
 * | attr_mailbox_id            | entryUUID               | objectGUID          |
 * | mailbox_id_format          | text                    | guid (16 bytes)     |
 * | attr_state                 | tesseraAccountState     | (none)              |
 * | attr_uac                   | (none)                  | userAccountControl  |
 * | uac_disabled_state         | disabled                | disabled            |
 * | attr_quota_bytes           | tesseraMailQuotaBytes   | (none)              |
 * | attr_quota_messages        | tesseraMailQuotaMessages| (none)              |
 * | attr_mail_host             | mailHost                | (none)              |
 * | attr_forward_to            | tesseraForwardTo        | (none)              |
 * | attr_forward_keep_copy     | tesseraForwardKeepCopy  | (none)              |
 * | attr_send_as               | tesseraSendAs           | (none)              |
 * | attr_authz_to              | authzTo                 | (none)              |
 * | attr_member                | member                  | member              |
 * | attr_alias_target          | tesseraAliasTarget      | (none)              |
 * | attr_sender_policy         | tesseraSenderPolicy     | (none)              |
 * | attr_allowed_sender        | tesseraAllowedSender    | (none)              |
 * | attr_allowed_sender_address| tesseraAllowedSenderAddress | (none)          |
 * | attr_domain                | tesseraDomain           | tesseraDomain       |
 * | class_user                 | inetOrgPerson           | user                |
 * | class_mailbox              | tesseraMailUser         | (none: every user)  |
 * | class_group                | groupOfNames            | group               |
 * | class_alias                | tesseraMailAlias        | (none)              |
 * | group_mode                 | walk                    | in_chain            |
 * | group_requires_mail        | no                      | yes                 |
 * | filter_address             | (|(mail=%s)(mailLocalAddress=%s)) | (|(mail=%s)(proxyAddresses=smtp:%s)) |
 * | filter_login               | see dir_profile.c       | see dir_profile.c   |
 * | filter_principal           | uid=%u (uid@realm rule) | userPrincipalName=%s|
 * | filter_domain              | (&(objectClass=tesseraMailDomain)(tesseraDomain=%s)) | same |
 * | filter_domains             | (objectClass=tesseraMailDomain) | same        |
 * | filter_group_members       | (none: walk)            | (&(|(objectClass=user)(objectClass=contact))(memberOf:1.2.840.113556.1.4.1941:=%s)) |
 *
 * Values: attr_* and class_* are attribute or class names (a letter, then
 * letters, digits, '-') or numeric OIDs; filter_* are templates checked
 * with dir_template_check (%s/%a the value, %u local part, %d domain) and
 * must be a parenthesised filter; mailbox_id_format is text | guid;
 * uac_disabled_state is disabled | receive-only; group_mode is walk |
 * in_chain; group_requires_mail is yes | no.
 *
 * How an entry found by filter_address is classified: class_alias ->
 * alias; class_group -> group (with group_requires_mail, a group without
 * attr_mail is not a list and is ignored); class_user with class_mailbox
 * (or class_mailbox unset) -> user; anything else that owns the address
 * (an inetOrgPerson without tesseraMailUser, an AD contact, any entry
 * with a mail attribute) -> contact: a recipient without a mailbox here.
 *
 * The custom profile starts from the openldap names but must override
 * attr_mail, attr_login, attr_mailbox_id, filter_address and filter_login
 * explicitly, so a custom directory never runs on guessed names.
 */
#ifndef DIRECTORY_DIR_PROFILE_H
#define DIRECTORY_DIR_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directory/dir.h"

struct pool;

/* Every override key: X(name, type, doc). The profile's key table and
 * the [directory] configuration section (dir_config.c) are both built
 * from this list, so a key cannot exist in one and not the other. */
#define DIR_PROFILE_KEYS(X) \
	X(attr_mail, ATTR, "attribute of the primary address") \
	X(attr_alt_address, ATTR, "attribute of further addresses") \
	X(attr_proxy_addresses, ATTR, "AD-style SMTP:/smtp: address list") \
	X(attr_login, ATTR, "login name attribute") \
	X(attr_display_name, ATTR, "display name attribute") \
	X(attr_mailbox_id, ATTR, "stable mailbox id attribute") \
	X(mailbox_id_format, ID_FORMAT, "mailbox id format: text or guid") \
	X(attr_state, ATTR, "account state attribute (active, disabled," \
	    " receive-only)") \
	X(attr_uac, ATTR, "AD userAccountControl attribute (bit 0x2)") \
	X(uac_disabled_state, UAC_STATE, "state of a UAC-disabled account:" \
	    " disabled or receive-only") \
	X(attr_quota_bytes, ATTR, "mailbox size limit attribute") \
	X(attr_quota_messages, ATTR, "mailbox message limit attribute") \
	X(attr_mail_host, ATTR, "mailbox server attribute") \
	X(attr_forward_to, ATTR, "forwarding address attribute") \
	X(attr_forward_keep_copy, ATTR, "keep-a-copy flag attribute") \
	X(attr_send_as, ATTR, "send-as grant attribute") \
	X(attr_authz_to, ATTR, "SASL authorization grant attribute (dn:DN" \
	    " of the accounts this one may act as)") \
	X(attr_member, ATTR, "group member DN attribute") \
	X(attr_alias_target, ATTR, "alias target attribute") \
	X(attr_sender_policy, ATTR, "group sender policy attribute") \
	X(attr_allowed_sender, ATTR, "group allowed sender DN attribute") \
	X(attr_allowed_sender_address, ATTR, "group allowed sender address" \
	    " attribute") \
	X(attr_domain, ATTR, "accepted domain attribute") \
	X(class_user, CLASS, "object class of users and contacts") \
	X(class_mailbox, CLASS, "object class that gives a user a mailbox") \
	X(class_group, CLASS, "object class of groups") \
	X(class_alias, CLASS, "object class of aliases") \
	X(group_mode, GROUP_MODE, "group expansion: walk or in_chain") \
	X(group_requires_mail, BOOL, "only groups with attr_mail are lists") \
	X(filter_address, FILTER, "filter template: address to entry") \
	X(filter_login, FILTER, "filter template: login to user") \
	X(filter_principal, FILTER, "filter template: Kerberos principal" \
	    " (user@REALM) to user") \
	X(filter_domain, FILTER, "filter template: accepted domain") \
	X(filter_domains, FILTER, "filter: all accepted domains") \
	X(filter_group_members, FILTER, "filter template: members in chain")

enum dir_id_format { DIR_ID_TEXT, DIR_ID_GUID };
enum dir_group_mode { DIR_GROUP_WALK, DIR_GROUP_IN_CHAIN };

/* Longest override value accepted ("key=value", value part). */
#define DIR_PROFILE_VALUE_MAX 1024
/* Most overrides accepted. */
#define DIR_PROFILE_OVERRIDES_MAX 64

/* NULL string: the profile does not use that attribute or class. */
struct dir_profile {
	enum dir_profile_kind kind;
	const char *attr_mail;
	const char *attr_alt_address;
	const char *attr_proxy_addresses;
	const char *attr_login;
	const char *attr_display_name;
	const char *attr_mailbox_id;
	enum dir_id_format mailbox_id_format;
	const char *attr_state;
	const char *attr_uac;
	enum dir_state uac_disabled_state;
	const char *attr_quota_bytes;
	const char *attr_quota_messages;
	const char *attr_mail_host;
	const char *attr_forward_to;
	const char *attr_forward_keep_copy;
	const char *attr_send_as;
	const char *attr_authz_to;
	const char *attr_member;
	const char *attr_alias_target;
	const char *attr_sender_policy;
	const char *attr_allowed_sender;
	const char *attr_allowed_sender_address;
	const char *attr_domain;
	const char *class_user;
	const char *class_mailbox;
	const char *class_group;
	const char *class_alias;
	enum dir_group_mode group_mode;
	bool group_requires_mail;
	const char *filter_address;
	const char *filter_login;
	const char *filter_principal;
	const char *filter_domain;
	const char *filter_domains;
	const char *filter_group_members;
	/* Attributes requested for an entry: objectClass and every attr_*
	 * above that is set (member only in walk mode). NULL-terminated. */
	char **entry_attrs;
	/* Copies of override values (owned). */
	char **owned;
	size_t n_owned;
};

/* Build the profile of kind with overrides (NULL-terminated "key=value"
 * strings, may be NULL). NULL with *err_out (allocated in err_pool) on an
 * unknown or duplicate key, a missing '=', a bad name, a bad template, a
 * bad enumerated value, too many or too long overrides, or a custom
 * profile without its required keys. */
struct dir_profile *dir_profile_new(enum dir_profile_kind kind,
    const char *const *overrides, struct pool *err_pool, const char **err_out);
void dir_profile_free(struct dir_profile **p);

/* "openldap" / "ad" / "custom". */
const char *dir_profile_kind_name(enum dir_profile_kind k);
/* Parse a profile name (case-insensitive). 0 or -1. */
int dir_profile_kind_parse(const char *s, enum dir_profile_kind *out);

/* One proxyAddresses value (bytes, not NUL-terminated): 1 when it is an
 * SMTP address ("SMTP:" primary, "smtp:" secondary; the prefix is matched
 * case-insensitively, the primary flag by its case) with *addr_out and
 * *addr_len_out pointing into value; 0 when it has another prefix (X500:,
 * SIP:, ...) or none; -1 when it is an SMTP entry with an empty address or
 * one holding a control byte, space or NUL. */
int dir_proxy_address_parse(const char *value, size_t len,
    const char **addr_out, size_t *addr_len_out, bool *primary_out);

/* Length of a canonical GUID text, without the NUL. */
#define DIR_GUID_TEXT_LEN 36
/* Format a 16-byte objectGUID as Microsoft's canonical text (the first
 * three groups little-endian: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
 * lower case) into out[DIR_GUID_TEXT_LEN + 1]. 0, or -1 if len != 16. */
int dir_guid_format(const uint8_t *guid, size_t len,
    char out[DIR_GUID_TEXT_LEN + 1]);

#endif
