/*
 * lib/dns.h - DNS lookups for the daemons: SRV (directory discovery), MX
 * and A/AAAA (mail routing), through libunbound.
 *
 * A resolver is created from settings: a list of forwarders
 * ("ADDR[@PORT]", so tests can point at their own server on a free port)
 * or, when the list is empty, the system's resolv.conf. Every lookup is
 * tri-state, because "no such name" and "DNS is down" need different
 * replies (a bounce or a retry):
 *	DNS_FOUND	records are in *out (at least one)
 *	DNS_NOTFOUND	the name does not exist (NXDOMAIN), has no record of
 *			the type (no data), holds only a "." target (SRV:
 *			service decidedly not available; MX: RFC 7505 null
 *			MX), or is not a valid name; info->notfound says which
 *	DNS_TEMPFAIL	server failure, refusal, timeout, no answer, DNSSEC
 *			validation failure, or only malformed records;
 *			info->error says what
 *
 * Answers are untrusted input: libunbound hands over record data in wire
 * format and every field is parsed here with bounds checks (names of at
 * most DNS_NAME_MAX characters, letters, digits, '-' and '_' only; at most
 * DNS_RECORDS_MAX records per answer; malformed records are skipped).
 * Lookups wait at most the configured timeout, whatever the servers do.
 *
 * Thread-safety: one resolver may be used by many threads at once; each
 * call waits only for its own answers (one thread at a time drives
 * libunbound's result pipe, the others wait on a condition variable).
 * The random source given in the settings must then be thread-safe too
 * (the default, arc4random, is). Creating and freeing a resolver is not
 * concurrent with its use.
 *
 * Names are ASCII (A-labels); converting international names is the
 * caller's job. The hosts file is not consulted.
 */
#ifndef LIB_DNS_H
#define LIB_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;

enum dns_result { DNS_FOUND, DNS_NOTFOUND, DNS_TEMPFAIL };

/* Why a lookup was DNS_NOTFOUND. */
enum dns_notfound {
	DNS_NF_NONE,		/* not NOTFOUND */
	DNS_NF_NXDOMAIN,	/* the name does not exist */
	DNS_NF_NODATA,		/* the name has no record of the type */
	DNS_NF_NULL_TARGET,	/* only "." targets: SRV service not
				 * available (RFC 2782), null MX (RFC 7505) */
	DNS_NF_BADNAME		/* the name asked for is not a valid name; no
				 * query was sent */
};

/* Longest name in text form without the trailing dot (255 octets on the
 * wire); longest label. */
#define DNS_NAME_MAX 253
#define DNS_LABEL_MAX 63
/* Records kept from one answer; later ones are ignored. */
#define DNS_RECORDS_MAX 64
/* Forwarders in the settings; longest forwarder text. */
#define DNS_SERVERS_MAX 8
#define DNS_SERVER_TEXT_MAX 64
/* Timeout range of the settings, in ms. */
#define DNS_TIMEOUT_MIN_MS 10
#define DNS_TIMEOUT_MAX_MS 600000

/* A number in [0, bound) (bound >= 1). Used for the RFC 2782 weighted
 * order and for shuffling equal MX preferences; tests inject their own. */
typedef uint32_t (*dns_random_fn)(void *arg, uint32_t bound);

struct dns_settings {
	/* NULL-terminated "ADDR[@PORT]" (IPv4 or IPv6 literal, port 53 by
	 * default), asked in turn as forwarders; NULL or empty: the
	 * nameservers of resolv_conf. Borrowed until dns_resolver_new
	 * returns. */
	const char *const *servers;
	const char *resolv_conf;	/* NULL: /etc/resolv.conf */
	const char *trust_anchor_file;	/* DNSSEC trust anchors (zone-file
					 * DS/DNSKEY records); NULL: answers
					 * are not validated */
	uint64_t timeout_ms;		/* per lookup, all its queries */
	dns_random_fn random;		/* NULL: arc4random_uniform */
	void *random_arg;
};

/* Fill s with the defaults: resolv.conf, no trust anchor, 5 s timeout,
 * arc4random. */
void dns_settings_defaults(struct dns_settings *s);

/* One SRV record (RFC 2782); target has no trailing dot. */
struct dns_srv {
	uint16_t priority;
	uint16_t weight;
	uint16_t port;
	char *target;
};

/* One MX record; exchange has no trailing dot. */
struct dns_mx {
	uint16_t preference;
	char *exchange;
};

#define DNS_ADDR_TEXT_MAX 46	/* INET6_ADDRSTRLEN */

/* One address (A or AAAA). */
struct dns_addr {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];		/* 4 or 16 bytes, network order */
	char text[DNS_ADDR_TEXT_MAX];	/* numeric form, "192.0.2.1" */
};

/* What a lookup did. Strings live in the pool passed to the call. */
struct dns_info {
	const char *error;		/* TEMPFAIL: the failure; NOTFOUND:
					 * why, as text; FOUND: NULL */
	enum dns_notfound notfound;
	uint32_t ttl;			/* FOUND: seconds the answer may be
					 * kept (smallest of its queries) */
	bool secure;			/* FOUND: DNSSEC-validated */
	unsigned skipped;		/* malformed records ignored */
};

struct dns_resolver;

/* New resolver. NULL with *err_out (in err_pool) on bad settings: a
 * forwarder that is not ADDR[@PORT], more than DNS_SERVERS_MAX of them,
 * a timeout out of range, an unreadable resolv.conf or trust anchor file,
 * or an option libunbound refuses. No query is sent. */
struct dns_resolver *dns_resolver_new(const struct dns_settings *s,
    struct pool *err_pool, const char **err_out);
/* NULL-safe; clears *r. No lookup may be running. */
void dns_resolver_free(struct dns_resolver **r);
/* The servers asked, for messages: "127.0.0.1@5353, ::1" or
 * "resolv.conf (/etc/resolv.conf)". Owned by the resolver. */
const char *dns_resolver_servers(const struct dns_resolver *r);

/* SRV records of name ("_ldap._tcp.example.test"), in the order a client
 * tries them (RFC 2782): priority ascending, weighted random order within
 * a priority. Records with target "." are dropped; when only such records
 * exist the result is NOTFOUND (DNS_NF_NULL_TARGET). *out is an array in
 * pool. info may be NULL. */
enum dns_result dns_srv(struct dns_resolver *r, const char *name,
    struct pool *pool, struct dns_srv **out, size_t *n_out,
    struct dns_info *info);

/* MX records of domain, preference ascending, equal preferences shuffled
 * (RFC 5321 5.1). NOTFOUND never falls back to the domain's addresses by
 * itself: the implicit MX of RFC 5321 5.1 is the caller's job, and
 * dns_mx_implicit() says when it applies (no MX records, domain exists);
 * a null MX (RFC 7505, "0 .") is DNS_NF_NULL_TARGET and means "accepts no
 * mail". MX records with target "." beside real ones are dropped. */
enum dns_result dns_mx(struct dns_resolver *r, const char *domain,
    struct pool *pool, struct dns_mx **out, size_t *n_out,
    struct dns_info *info);
/* After dns_mx returned NOTFOUND with info: whether the domain itself is
 * the implicit MX (true only for "exists, no MX records"). */
bool dns_mx_implicit(const struct dns_info *info);

/* Families of dns_addr. */
#define DNS_ADDR_IPV4 0x1
#define DNS_ADDR_IPV6 0x2
#define DNS_ADDR_ANY (DNS_ADDR_IPV4 | DNS_ADDR_IPV6)

/* Addresses of name: A records first, then AAAA, each in answer order
 * (families selects which are asked; both queries run at once). FOUND
 * when either query found records (the other may have failed; its error
 * is dropped); TEMPFAIL when none did and one failed; NOTFOUND otherwise
 * (NXDOMAIN when a query said so). A literal address is not a name:
 * NOTFOUND (DNS_NF_BADNAME) unless it is also a valid host name. */
enum dns_result dns_addr(struct dns_resolver *r, const char *name,
    unsigned families, struct pool *pool, struct dns_addr **out,
    size_t *n_out, struct dns_info *info);

/* --- the pure parts, for the lookups, the tests and the fuzzers --- */

/* Is name a valid name to ask for: 1..DNS_NAME_MAX characters (plus an
 * optional trailing dot), labels of 1..DNS_LABEL_MAX letters, digits,
 * '-' or '_'? */
bool dns_name_ok(const char *name);

/* Check one forwarder, "ADDR[@PORT]": an IPv4 or IPv6 literal, port
 * 1..65535. 0, or -1 with *err_out (static text). */
int dns_server_check(const char *server, const char **err_out);

/* Parse an uncompressed domain name in wire format at the start of
 * p[0..len) into out (text without trailing dot, "" for the root; out
 * has room for DNS_NAME_MAX + 1 bytes). *used_out: its wire length. 0, or
 * -1 with *err_out (static text) on a truncated name, a compression
 * pointer or bad label type, a name longer than 255 octets, an empty or
 * over-long label, or a byte other than a letter, digit, '-' or '_'. */
int dns_name_parse(const uint8_t *p, size_t len, char *out,
    size_t *used_out, const char **err_out);

/* Parse SRV rdata (priority, weight, port, target; nothing may follow).
 * target is allocated in pool. 0, or -1 with *err_out (static text). */
int dns_srv_parse(const uint8_t *rdata, size_t len, struct pool *pool,
    struct dns_srv *out, const char **err_out);
/* Parse MX rdata (preference, exchange). 0, or -1 with *err_out. */
int dns_mx_parse(const uint8_t *rdata, size_t len, struct pool *pool,
    struct dns_mx *out, const char **err_out);
/* Parse A (family AF_INET, 4 bytes) or AAAA (AF_INET6, 16 bytes) rdata.
 * 0, or -1 with *err_out. */
int dns_addr_parse(const uint8_t *rdata, size_t len, int family,
    struct dns_addr *out, const char **err_out);

/* Put v[0..n) in RFC 2782 order: priority ascending; within a priority,
 * repeatedly pick the next record by weight: weight-0 records first in
 * the running sum, a number drawn in [0, sum of weights] selects the
 * first record whose running sum reaches it. rnd NULL: arc4random. */
void dns_srv_order(struct dns_srv *v, size_t n, dns_random_fn rnd,
    void *rnd_arg);
/* Preference ascending, equal preferences shuffled (Fisher-Yates). */
void dns_mx_order(struct dns_mx *v, size_t n, dns_random_fn rnd,
    void *rnd_arg);

/*
 * Turn the n rdata blobs of one answer into ordered records in pool, the
 * way dns_srv and dns_mx do after the query: malformed records are skipped
 * (counted in info->skipped), records past DNS_RECORDS_MAX ignored, "."
 * targets dropped. FOUND with *out; NOTFOUND (DNS_NF_NULL_TARGET) when only
 * "." targets remained; TEMPFAIL when every record was malformed (n == 0:
 * NOTFOUND, DNS_NF_NODATA). info is filled (error, notfound, skipped) and
 * may not be NULL; ttl and secure are left alone.
 */
enum dns_result dns_srv_from_rdata(const uint8_t *const *rdata,
    const size_t *lens, size_t n, dns_random_fn rnd, void *rnd_arg,
    struct pool *pool, struct dns_srv **out, size_t *n_out,
    struct dns_info *info);
enum dns_result dns_mx_from_rdata(const uint8_t *const *rdata,
    const size_t *lens, size_t n, dns_random_fn rnd, void *rnd_arg,
    struct pool *pool, struct dns_mx **out, size_t *n_out,
    struct dns_info *info);

/* "found", "notfound", "tempfail". */
const char *dns_result_name(enum dns_result r);

#endif
