/*
 * directory/dir.h - libtdir: the directory as the platform's user database.
 *
 * Resolves addresses, logins, groups and domains against OpenLDAP or Active
 * Directory and checks passwords by binding as the user. Every lookup is
 * tri-state: "no such user" (550) and "directory unreachable" (451) must
 * never be confused. Thread-safe: one struct dir serves many threads (the
 * lookup process runs a worker per pooled connection).
 */
#ifndef DIRECTORY_DIR_H
#define DIRECTORY_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dns_settings;
struct pool;

enum dir_result { DIR_FOUND, DIR_NOTFOUND, DIR_TEMPFAIL };

enum dir_kind { DIR_KIND_USER, DIR_KIND_ALIAS, DIR_KIND_GROUP, DIR_KIND_CONTACT };

enum dir_state { DIR_STATE_ACTIVE, DIR_STATE_DISABLED, DIR_STATE_RECEIVE_ONLY };

enum dir_sender_policy {
	DIR_SENDERS_ANYONE, DIR_SENDERS_INTERNAL, DIR_SENDERS_MEMBERS,
	DIR_SENDERS_LISTED
};

enum dir_profile_kind { DIR_PROFILE_OPENLDAP, DIR_PROFILE_AD, DIR_PROFILE_CUSTOM };

/* How the lookup process binds: simple (bind_dn and its password file, or
 * anonymous without bind_dn) or SASL/GSSAPI from a keytab of its own. */
enum dir_bind_method { DIR_BIND_SIMPLE, DIR_BIND_GSSAPI };

/* Result of a password check. RECEIVE_ONLY and DISABLED accounts never
 * log in, whatever the password. */
enum dir_auth {
	DIR_AUTH_OK, DIR_AUTH_BADPASS, DIR_AUTH_NOUSER, DIR_AUTH_DISABLED,
	DIR_AUTH_RECEIVE_ONLY, DIR_AUTH_TEMPFAIL
};

/* The [directory] settings. Strings are borrowed for the life of the
 * struct dir; lists are NULL-terminated. */
struct dir_settings {
	char **uris;			/* tried in order; back to the first
					 * once it answers again */
	const char *srv_domain;		/* AD: discover DCs by _ldap._tcp.DOMAIN
					 * when uris is empty (see dir_conn.h;
					 * URIs are built with the targets'
					 * addresses, so with TLS verification
					 * the certificates must carry them) */
	bool srv_ldaps;			/* ask _ldaps._tcp.DOMAIN instead and
					 * use ldaps:// */
	const struct dns_settings *dns;	/* servers asked for srv_domain
					 * (lib/dns.h; copied by dir_new);
					 * NULL: resolv.conf, 5 s timeout */
	bool starttls;			/* StartTLS on ldap:// URIs */
	bool tls_verify;		/* check certificate and host name */
	const char *ca_file;
	const char *bind_dn;		/* NULL: anonymous */
	const char *bind_password_file;	/* read once at dir_new */
	enum dir_bind_method bind_method;
	const char *bind_keytab;	/* GSSAPI: the service's keytab */
	const char *bind_principal;	/* GSSAPI: its principal; NULL: the
					 * keytab's first. The server host is
					 * each URI's host as written (name
					 * hosts as their service principals
					 * do, e.g. ldap://dc1.example.com) */
	uint64_t connect_timeout_ms;
	uint64_t op_timeout_ms;
	uint64_t retry_dead_ms;		/* skip a dead server this long */
	const char *base_dn;		/* address lookups (users, groups,
					 * aliases, contacts) search here */
	const char *user_base_dn;	/* logins, AD group members; NULL:
					 * base_dn */
	const char *group_base_dn;	/* not used by lookups yet (the admin
					 * tool's group listing) */
	const char *domain_base_dn;	/* accepted domains; NULL: base_dn */
	const char *const *accepted_domains;	/* NULL or empty: accepted
					 * domains come from the directory;
					 * otherwise this list answers them
					 * without a query (Active Directory
					 * without the schema extension) */
	enum dir_profile_kind profile;
	/* profile overrides: attribute names and filter templates (NULL keeps
	 * the profile's own); see dir_profile.h for the full list */
	const char *const *overrides;	/* "key=value" strings */
	unsigned pool_size;		/* LDAP connections */
	uint64_t cache_positive_ttl_ms;
	uint64_t cache_negative_ttl_ms;
	size_t cache_max_entries;
	unsigned group_max_depth;	/* levels of groups expanded, the
					 * group itself being the first */
	size_t group_max_members;	/* users/contacts of one group (the
					 * walk also reads at most twice as
					 * many entries, groups included) */
	size_t result_size_limit;	/* entries per list search (domains);
					 * single lookups ask for 2 */
};

/* Fill s with the defaults (openldap profile, StartTLS and verification
 * on, 5 s timeouts, dead servers skipped 30 s, 4 connections, positive TTL
 * 60 s, negative TTL 10 s, 10000 cache entries, depth 8, 10000 members,
 * 1000 entries per search). */
void dir_settings_defaults(struct dir_settings *s);

/* One resolved directory entry. Strings and arrays live in the pool the
 * caller passed; arrays are NULL-terminated with their count beside. */
struct dir_entry {
	enum dir_kind kind;
	char *dn;
	char *address;			/* canonical (primary) address */
	char **addresses;		/* every address, primary first */
	size_t n_addresses;
	char *login;			/* uid / sAMAccountName */
	char *display_name;
	char *mailbox_id;		/* entryUUID / objectGUID as text; the
					 * entry's stable id for every kind,
					 * a mailbox only for users */
	char *mail_host;		/* NULL: this host */
	uint64_t quota_bytes;		/* 0: not set here */
	uint64_t quota_messages;
	enum dir_state state;
	char **forward_to;
	size_t n_forward_to;
	bool forward_keep_copy;
	char **send_as;
	size_t n_send_as;
	char **authz_to;		/* SASL authorization grants:
					 * "dn:DN" of entries this one may
					 * act as (OpenLDAP authzTo) */
	size_t n_authz_to;
	char **targets;			/* alias targets */
	size_t n_targets;
	enum dir_sender_policy sender_policy;	/* groups */
	char **allowed_senders;		/* DNs */
	size_t n_allowed_senders;
	char **allowed_sender_addresses;
	size_t n_allowed_sender_addresses;
};

/* What a call did: for logs, `tessera lookup` and TEMPFAIL detail. The
 * strings live in the pool passed to the call (or are static). */
struct dir_info {
	const char *server;		/* URI that answered or failed */
	bool cached;			/* answered from the cache */
	unsigned round_trips;		/* LDAP operations this call made */
	uint64_t latency_us;
	const char *error;		/* on TEMPFAIL: server, operation and
					 * LDAP error text */
};

struct dir_stats {
	uint64_t cache_hits, cache_misses;
	uint64_t round_trips;
	uint64_t latency_us_total;
	uint64_t tempfails;
	size_t cache_entries;
};

struct dir;

/* Longest address, login and domain a lookup accepts; longer input, an
 * empty one or one with a control byte is NOTFOUND without a query. */
#define DIR_ADDRESS_MAX 320
#define DIR_LOGIN_MAX 256
#define DIR_DOMAIN_MAX 255

/* Open (lazily: no connection is made yet). The process must ignore
 * SIGPIPE (the daemons do, lib/server.c): SASL's security layer writes to
 * a server that went away without MSG_NOSIGNAL. With bind_method GSSAPI,
 * dir_new sets KRB5_CLIENT_KTNAME and KRB5CCNAME for the process (see
 * dir_gss.h), so call it while the process is single-threaded. NULL with *err_out (allocated
 * in err_pool) on bad settings: no URI, no base DN, bad profile override
 * or template, unreadable or empty password file. */
struct dir *dir_new(const struct dir_settings *s, struct pool *err_pool,
    const char **err_out);
void dir_free(struct dir **d);

/* address -> user | alias | group | contact. The address is matched
 * case-insensitively against every address attribute of the profile (by
 * the attributes' equality rules). An address two entries claim is
 * DIR_TEMPFAIL ("ambiguous", both DNs in info->error). FOUND and NOTFOUND
 * are cached; TEMPFAIL never is. info may be NULL. */
enum dir_result dir_lookup_address(struct dir *d, const char *address,
    struct pool *pool, struct dir_entry **out, struct dir_info *info);
/* login name -> user (uid / userPrincipalName / sAMAccountName / mail). */
enum dir_result dir_lookup_login(struct dir *d, const char *login,
    struct pool *pool, struct dir_entry **out, struct dir_info *info);
/* Kerberos principal ("alice@EXAMPLE.TEST", as GSSAPI authenticated it)
 * -> user, by the profile's filter_principal (openldap: uid = the name
 * part; ad: userPrincipalName). Never from the cache: a user disabled a
 * minute ago must not log in. The realm is not checked here (the daemon
 * checks it against its allowed realms first). Longer than
 * DIR_LOGIN_MAX, empty or with a control byte: NOTFOUND without a query;
 * no filter_principal (overridden empty): NOTFOUND. */
enum dir_result dir_lookup_principal(struct dir *d, const char *principal,
    struct pool *pool, struct dir_entry **out, struct dir_info *info);
/* The users of a group, recursively: deduplicated, loop-safe, members of
 * nested groups included, bounded by group_max_depth and
 * group_max_members (past a bound: DIR_TEMPFAIL with info->error saying
 * which). Disabled users are included; callers decide. Member DNs that
 * no longer exist are skipped. NOTFOUND when group is not a group or is
 * gone. Members may lack an address (an AD user without mail). */
enum dir_result dir_group_members(struct dir *d, const struct dir_entry *group,
    struct pool *pool, struct dir_entry ***members_out, size_t *n_out,
    struct dir_info *info);
/* Is address one of the (recursive) members of group? */
enum dir_result dir_group_has_member(struct dir *d,
    const struct dir_entry *group, const char *address, struct pool *pool,
    struct dir_info *info);
/* Is domain an accepted domain? FOUND / NOTFOUND / TEMPFAIL. */
enum dir_result dir_domain_accepted(struct dir *d, const char *domain,
    struct pool *pool, struct dir_info *info);
/* All accepted domains. */
enum dir_result dir_domains(struct dir *d, struct pool *pool,
    char ***domains_out, size_t *n_out, struct dir_info *info);
/* Check a password by binding as the user's DN on a connection of its
 * own (hashes are never read). An empty password is BADPASS before any
 * lookup or bind (an empty simple bind is anonymous). The user is looked
 * up without the cache; DISABLED and RECEIVE_ONLY are returned without a
 * bind, whatever the password. *user_out (optional) receives the entry
 * when the login exists. */
enum dir_auth dir_check_password(struct dir *d, const char *login,
    const char *password, size_t password_len, struct pool *pool,
    struct dir_entry **user_out, struct dir_info *info);

/* Counters since dir_new (for the control socket). */
void dir_stats(struct dir *d, struct dir_stats *out);
/* Forget every cached answer. */
void dir_cache_flush(struct dir *d);

/* Names for logs and JSON. */
const char *dir_result_name(enum dir_result r);
const char *dir_kind_name(enum dir_kind k);
const char *dir_state_name(enum dir_state s);
const char *dir_sender_policy_name(enum dir_sender_policy p);
const char *dir_auth_name(enum dir_auth a);

#endif
