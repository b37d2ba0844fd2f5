/*
 * lib/dns_rdata.c - the pure half of lib/dns.h: name syntax, forwarder
 * syntax, the SRV/MX/A/AAAA record data parsers and the RFC 2782 and
 * RFC 5321 orderings.
 *
 * Record data comes from DNS servers and is hostile input: every length
 * is checked before a byte is read, names are bounded and restricted to
 * host-name characters (they end up in URIs and log lines), and nothing
 * here touches the network, a global or the clock. Fuzzed by
 * tests/fuzz/dns_rdata_fuzz.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/dns.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static bool
name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool
dns_name_ok(const char *name)
{
	size_t n = strnlen(name, DNS_NAME_MAX + 2), label = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;			/* one trailing dot: absolute form */
	if (n == 0 || n > DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!name_char_ok((unsigned char)name[i]) ||
		    ++label > DNS_LABEL_MAX)
			return false;
	}
	return label > 0;
}

int
dns_server_check(const char *server, const char **err_out)
{
	char addr[DNS_SERVER_TEXT_MAX + 1];
	const char *at;
	uint8_t bin[16];
	size_t alen;

	if (strnlen(server, DNS_SERVER_TEXT_MAX + 1) > DNS_SERVER_TEXT_MAX) {
		*err_out = "DNS server too long";
		return -1;
	}
	at = strchr(server, '@');
	alen = at != NULL ? (size_t)(at - server) : strlen(server);
	memcpy(addr, server, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1) {
		*err_out = "DNS server is not an IPv4 or IPv6 address "
		    "(ADDR[@PORT])";
		return -1;
	}
	if (at != NULL) {
		uint64_t port;

		if (parse_u64(at + 1, strlen(at + 1), 65535, &port) == -1 ||
		    port == 0) {
			*err_out = "DNS server port is not 1..65535 "
			    "(ADDR[@PORT])";
			return -1;
		}
	}
	return 0;
}

int
dns_name_parse(const uint8_t *p, size_t len, char *out, size_t *used_out,
    const char **err_out)
{
	size_t off = 0, o = 0;

	for (;;) {
		size_t l;

		if (off >= len) {
			*err_out = "name truncated";
			return -1;
		}
		l = p[off];
		if (l == 0)
			break;
		if (l > DNS_LABEL_MAX) {
			/* 0xc0: compression, which record data handed over by
			 * libunbound never holds; 0x40/0x80: obsolete types */
			*err_out = "compressed name or bad label type";
			return -1;
		}
		if (l > len - off - 1) {
			*err_out = "label truncated";
			return -1;
		}
		/* text: label plus a dot, within DNS_NAME_MAX (255 octets on
		 * the wire less the length of the first label and the root) */
		if (o + (o > 0) + l > DNS_NAME_MAX) {
			*err_out = "name longer than 255 octets";
			return -1;
		}
		if (o > 0)
			out[o++] = '.';
		for (size_t i = 0; i < l; i++) {
			unsigned char c = p[off + 1 + i];

			if (!name_char_ok(c)) {
				*err_out = "name holds a byte other than a "
				    "letter, digit, '-' or '_'";
				return -1;
			}
			out[o++] = (char)c;
		}
		off += 1 + l;
	}
	out[o] = '\0';
	*used_out = off + 1;
	return 0;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* A name that must fill the rest of the record data exactly. */
static char *
tail_name(const uint8_t *p, size_t len, struct pool *pool,
    const char **err_out)
{
	char name[DNS_NAME_MAX + 1];
	size_t used;

	if (dns_name_parse(p, len, name, &used, err_out) == -1)
		return NULL;
	if (used != len) {
		*err_out = "bytes after the name";
		return NULL;
	}
	return pool_strdup(pool, name);
}

int
dns_srv_parse(const uint8_t *rdata, size_t len, struct pool *pool,
    struct dns_srv *out, const char **err_out)
{
	char *target;

	if (len < 7) {
		*err_out = "SRV record shorter than 7 bytes";
		return -1;
	}
	if ((target = tail_name(rdata + 6, len - 6, pool, err_out)) == NULL)
		return -1;
	out->priority = get16(rdata);
	out->weight = get16(rdata + 2);
	out->port = get16(rdata + 4);
	out->target = target;
	return 0;
}

int
dns_mx_parse(const uint8_t *rdata, size_t len, struct pool *pool,
    struct dns_mx *out, const char **err_out)
{
	char *exchange;

	if (len < 3) {
		*err_out = "MX record shorter than 3 bytes";
		return -1;
	}
	if ((exchange = tail_name(rdata + 2, len - 2, pool, err_out)) == NULL)
		return -1;
	out->preference = get16(rdata);
	out->exchange = exchange;
	return 0;
}

int
dns_addr_parse(const uint8_t *rdata, size_t len, int family,
    struct dns_addr *out, const char **err_out)
{
	size_t want = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;

	if (want == 0) {
		*err_out = "unknown address family";
		return -1;
	}
	if (len != want) {
		*err_out = family == AF_INET ? "A record is not 4 bytes" :
		    "AAAA record is not 16 bytes";
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->addr, rdata, want);
	if (inet_ntop(family, out->addr, out->text, sizeof(out->text)) ==
	    NULL) {
		*err_out = "address not printable";
		return -1;
	}
	return 0;
}

static uint32_t
default_random(void *arg, uint32_t bound)
{
	(void)arg;
	return arc4random_uniform(bound);
}

/* A number in [0, bound) from rnd, clamped should a test's source stray. */
static uint32_t
draw(dns_random_fn rnd, void *arg, uint32_t bound)
{
	uint32_t v = (rnd != NULL ? rnd : default_random)(arg, bound);

	return v < bound ? v : bound - 1;
}

/* Insertion sort, stable: the lists are short (DNS_RECORDS_MAX). */
static void
srv_sort_priority(struct dns_srv *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct dns_srv t = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1].priority > t.priority; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
}

/* RFC 2782 selection within one priority, v[0..n). */
static void
srv_order_weights(struct dns_srv *v, size_t n, dns_random_fn rnd, void *arg)
{
	/* weight-0 records go to the front of the unordered part, so they
	 * have a small chance to be picked (when the draw is 0) */
	for (size_t i = 1; i < n; i++) {
		struct dns_srv t = v[i];
		size_t j = i;

		if (t.weight != 0)
			continue;
		for (; j > 0 && v[j - 1].weight != 0; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
	for (size_t done = 0; done + 1 < n; done++) {
		uint32_t sum = 0, pick, run = 0;
		size_t k;

		for (size_t i = done; i < n; i++)
			sum += v[i].weight;	/* <= 64 * 65535: no overflow */
		pick = draw(rnd, arg, sum + 1);	/* 0..sum inclusive */
		for (k = done; k < n; k++) {
			run += v[k].weight;
			if (run >= pick)
				break;
		}
		if (k == n)
			k = n - 1;	/* unreachable: run reaches sum */
		/* move the chosen one to position done, keeping the others'
		 * relative order (weight-0 records stay in front) */
		{
			struct dns_srv t = v[k];

			memmove(&v[done + 1], &v[done],
			    (k - done) * sizeof(*v));
			v[done] = t;
		}
	}
}

void
dns_srv_order(struct dns_srv *v, size_t n, dns_random_fn rnd, void *rnd_arg)
{
	size_t i = 0;

	srv_sort_priority(v, n);
	while (i < n) {
		size_t j = i + 1;

		while (j < n && v[j].priority == v[i].priority)
			j++;
		srv_order_weights(v + i, j - i, rnd, rnd_arg);
		i = j;
	}
}

void
dns_mx_order(struct dns_mx *v, size_t n, dns_random_fn rnd, void *rnd_arg)
{
	size_t i = 0;

	for (size_t a = 1; a < n; a++) {
		struct dns_mx t = v[a];
		size_t b = a;

		for (; b > 0 && v[b - 1].preference > t.preference; b--)
			v[b] = v[b - 1];
		v[b] = t;
	}
	while (i < n) {
		size_t j = i + 1;

		while (j < n && v[j].preference == v[i].preference)
			j++;
		/* Fisher-Yates over v[i..j) */
		for (size_t k = j - i; k > 1; k--) {
			size_t r = draw(rnd, rnd_arg, (uint32_t)k);
			struct dns_mx t = v[i + k - 1];

			v[i + k - 1] = v[i + r];
			v[i + r] = t;
		}
		i = j;
	}
}

/* What both collectors share: how the skipped and "." records decide the
 * result when nothing usable is left. */
static enum dns_result
collect_end(size_t kept, size_t dots, size_t n, const char *last_err,
    const char *type, struct pool *pool, struct dns_info *info)
{
	if (kept > 0)
		return DNS_FOUND;
	if (dots > 0) {
		info->notfound = DNS_NF_NULL_TARGET;
		info->error = pool_printf(pool, "%s target \".\": %s", type,
		    type[0] == 'S' ? "service not available" :
		    "domain accepts no mail (null MX)");
		return DNS_NOTFOUND;
	}
	if (n == 0) {
		info->notfound = DNS_NF_NODATA;
		info->error = pool_printf(pool, "no %s record", type);
		return DNS_NOTFOUND;
	}
	info->error = pool_printf(pool, "every %s record is malformed "
	    "(%s)", type, last_err);
	return DNS_TEMPFAIL;
}

enum dns_result
dns_srv_from_rdata(const uint8_t *const *rdata, const size_t *lens, size_t n,
    dns_random_fn rnd, void *rnd_arg, struct pool *pool, struct dns_srv **out,
    size_t *n_out, struct dns_info *info)
{
	size_t cap = n < DNS_RECORDS_MAX ? n : DNS_RECORDS_MAX;
	struct dns_srv *v = pool_alloc(pool, (cap + 1) * sizeof(*v));
	size_t kept = 0, dots = 0;
	const char *err = NULL;
	enum dns_result r;

	info->error = NULL;
	info->notfound = DNS_NF_NONE;
	info->skipped = 0;
	for (size_t i = 0; i < cap; i++) {
		struct dns_srv s;

		if (dns_srv_parse(rdata[i], lens[i], pool, &s, &err) == -1) {
			info->skipped++;
			continue;
		}
		if (s.target[0] == '\0')
			dots++;
		else
			v[kept++] = s;
	}
	r = collect_end(kept, dots, cap, err, "SRV", pool, info);
	if (r == DNS_FOUND)
		dns_srv_order(v, kept, rnd, rnd_arg);
	*out = r == DNS_FOUND ? v : NULL;
	*n_out = r == DNS_FOUND ? kept : 0;
	return r;
}

enum dns_result
dns_mx_from_rdata(const uint8_t *const *rdata, const size_t *lens, size_t n,
    dns_random_fn rnd, void *rnd_arg, struct pool *pool, struct dns_mx **out,
    size_t *n_out, struct dns_info *info)
{
	size_t cap = n < DNS_RECORDS_MAX ? n : DNS_RECORDS_MAX;
	struct dns_mx *v = pool_alloc(pool, (cap + 1) * sizeof(*v));
	size_t kept = 0, dots = 0;
	const char *err = NULL;
	enum dns_result r;

	info->error = NULL;
	info->notfound = DNS_NF_NONE;
	info->skipped = 0;
	for (size_t i = 0; i < cap; i++) {
		struct dns_mx m;

		if (dns_mx_parse(rdata[i], lens[i], pool, &m, &err) == -1) {
			info->skipped++;
			continue;
		}
		if (m.exchange[0] == '\0')
			dots++;
		else
			v[kept++] = m;
	}
	r = collect_end(kept, dots, cap, err, "MX", pool, info);
	if (r == DNS_FOUND)
		dns_mx_order(v, kept, rnd, rnd_arg);
	*out = r == DNS_FOUND ? v : NULL;
	*n_out = r == DNS_FOUND ? kept : 0;
	return r;
}

const char *
dns_result_name(enum dns_result r)
{
	switch (r) {
	case DNS_FOUND:
		return "found";
	case DNS_NOTFOUND:
		return "notfound";
	case DNS_TEMPFAIL:
		return "tempfail";
	}
	return "?";
}
