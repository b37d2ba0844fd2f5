/*
 * tests/unit/lib/dns_test.c - lib/dns.h without a network: name and
 * forwarder syntax, the record-data parsers, RFC 2782 and MX ordering
 * with an injected random source, answer collection (limits, "."
 * targets, malformed records), resolver settings and the [dns] section.
 * Lookups against a real DNS server are in tests/integration/dns_test.c.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/dns.h"
#include "lib/dns_config.h"
#include "lib/pool.h"
#include "lib/banned.h"

static struct pool *pool;

static void
t_init(void)
{
	pool = pool_new("dns_test");
}

static void
t_fini(void)
{
	pool_free(&pool);
}

TestSuite(dns, .init = t_init, .fini = t_fini, .timeout = 30);

/* A scripted random source: returns vals[] in turn, records the bounds. */
struct script {
	uint32_t vals[32];
	uint32_t bounds[32];
	size_t n, calls;
};

static uint32_t
scripted(void *arg, uint32_t bound)
{
	struct script *s = arg;
	uint32_t v;

	cr_assert_lt(s->calls, 32, "random source called too often");
	v = s->calls < s->n ? s->vals[s->calls] : 0;
	s->bounds[s->calls++] = bound;
	return v;
}

/* Wire name of text name ("" or "." = root) into out; its length. */
static size_t
wire_name(const char *name, uint8_t *out)
{
	size_t o = 0;
	const char *p = name;

	while (*p != '\0' && strcmp(p, ".") != 0) {
		const char *dot = strchr(p, '.');
		size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);

		out[o++] = (uint8_t)l;
		memcpy(out + o, p, l);
		o += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[o++] = 0;
	return o;
}

static size_t
srv_rdata(uint16_t prio, uint16_t weight, uint16_t port, const char *target,
    uint8_t *out)
{
	out[0] = (uint8_t)(prio >> 8);
	out[1] = (uint8_t)prio;
	out[2] = (uint8_t)(weight >> 8);
	out[3] = (uint8_t)weight;
	out[4] = (uint8_t)(port >> 8);
	out[5] = (uint8_t)port;
	return 6 + wire_name(target, out + 6);
}

static size_t
mx_rdata(uint16_t pref, const char *exchange, uint8_t *out)
{
	out[0] = (uint8_t)(pref >> 8);
	out[1] = (uint8_t)pref;
	return 2 + wire_name(exchange, out + 2);
}

/* A name of exactly len characters made of 63-character labels. */
static char *
long_name(size_t len)
{
	char *s = pool_alloc(pool, len + 2);

	for (size_t i = 0; i < len; i++)
		s[i] = (i % 64 == 63) ? '.' : 'a';
	if (len > 0 && s[len - 1] == '.')
		s[len - 1] = 'b';
	return s;
}

/* --- names and forwarders --- */

Test(dns, name_ok_accepts_host_and_service_names)
{
	cr_assert(dns_name_ok("example.test"));
	cr_assert(dns_name_ok("example.test."));
	cr_assert(dns_name_ok("_ldap._tcp.ad.example.test"));
	cr_assert(dns_name_ok("a-b.c_d.x9"));
	cr_assert(dns_name_ok("localhost"));
}

Test(dns, name_ok_refuses_malformed_names)
{
	cr_assert_not(dns_name_ok(""));
	cr_assert_not(dns_name_ok("."));
	cr_assert_not(dns_name_ok("..x"));
	cr_assert_not(dns_name_ok(".example.test"));
	cr_assert_not(dns_name_ok("a..b"));
	cr_assert_not(dns_name_ok("example.test.."));
	cr_assert_not(dns_name_ok("exa mple.test"));
	cr_assert_not(dns_name_ok("exa\001mple.test"));
	cr_assert_not(dns_name_ok("ex\xc3\xa4mple.test"));
	cr_assert_not(dns_name_ok("a@b.test"));
}

Test(dns, name_ok_label_limit)
{
	char l62[65], l63[66], l64[67];

	memset(l62, 'x', 62);
	memcpy(l62 + 62, ".t", 3);
	memset(l63, 'x', 63);
	memcpy(l63 + 63, ".t", 3);
	memset(l64, 'x', 64);
	memcpy(l64 + 64, ".t", 3);
	cr_assert(dns_name_ok(l62));
	cr_assert(dns_name_ok(l63));
	cr_assert_not(dns_name_ok(l64));
}

Test(dns, name_ok_length_limit)
{
	char *n252 = long_name(252), *n253 = long_name(253);
	char *n254 = long_name(254);
	char *dotted = pool_printf(pool, "%s.", n253);

	cr_assert(dns_name_ok(n252));
	cr_assert(dns_name_ok(n253));
	cr_assert(dns_name_ok(dotted));	/* the trailing dot does not count */
	cr_assert_not(dns_name_ok(n254));
}

Test(dns, server_check)
{
	const char *err = NULL;

	cr_assert_eq(dns_server_check("127.0.0.1", &err), 0);
	cr_assert_eq(dns_server_check("127.0.0.1@5353", &err), 0);
	cr_assert_eq(dns_server_check("::1", &err), 0);
	cr_assert_eq(dns_server_check("2001:db8::53@65535", &err), 0);
	cr_assert_eq(dns_server_check("127.0.0.1@1", &err), 0);
	cr_assert_eq(dns_server_check("localhost", &err), -1);
	cr_assert_not_null(strstr(err, "address"));
	cr_assert_eq(dns_server_check("", &err), -1);
	cr_assert_eq(dns_server_check("127.0.0.1@0", &err), -1);
	cr_assert_not_null(strstr(err, "port"));
	cr_assert_eq(dns_server_check("127.0.0.1@65536", &err), -1);
	cr_assert_eq(dns_server_check("127.0.0.1@", &err), -1);
	cr_assert_eq(dns_server_check("127.0.0.1@53x", &err), -1);
	cr_assert_eq(dns_server_check("127.0.0.1@-1", &err), -1);
	cr_assert_eq(dns_server_check("127.0.0.1:53", &err), -1);
	cr_assert_eq(dns_server_check("[::1]@53", &err), -1);
}

Test(dns, server_check_length_limit)
{
	char s[DNS_SERVER_TEXT_MAX + 2];
	const char *err = NULL;

	/* "127.0.0.1@" then zeros: a valid port as long as it fits */
	memset(s, '0', sizeof(s) - 1);
	memcpy(s, "127.0.0.1@1", 11);
	s[DNS_SERVER_TEXT_MAX] = '\0';
	cr_assert_eq(dns_server_check(s, &err), -1);	/* port too big */
	cr_assert_not_null(strstr(err, "port"), "%s", err);
	memcpy(s, "127.0.0.1@0", 11);
	cr_assert_eq(dns_server_check(s, &err), -1);	/* port 0 */
	s[DNS_SERVER_TEXT_MAX] = '0';
	s[DNS_SERVER_TEXT_MAX + 1] = '\0';
	cr_assert_eq(dns_server_check(s, &err), -1);
	cr_assert_str_eq(err, "DNS server too long");
}

/* --- wire names --- */

Test(dns, name_parse_simple_and_root)
{
	uint8_t w[300];
	char out[DNS_NAME_MAX + 1];
	const char *err = NULL;
	size_t used = 0, len = wire_name("dc1.ad.example.test", w);

	cr_assert_eq(dns_name_parse(w, len, out, &used, &err), 0, "%s", err);
	cr_assert_str_eq(out, "dc1.ad.example.test");
	cr_assert_eq(used, len);
	/* bytes after the name are not read */
	cr_assert_eq(dns_name_parse(w, len + 5, out, &used, &err), 0);
	cr_assert_eq(used, len);
	w[0] = 0;
	cr_assert_eq(dns_name_parse(w, 1, out, &used, &err), 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(used, 1);
}

Test(dns, name_parse_refuses_truncation)
{
	uint8_t w[64];
	char out[DNS_NAME_MAX + 1];
	const char *err = NULL;
	size_t used, len = wire_name("www.example.test", w);

	cr_assert_eq(dns_name_parse(w, 0, out, &used, &err), -1);
	cr_assert_str_eq(err, "name truncated");
	cr_assert_eq(dns_name_parse(w, len - 1, out, &used, &err), -1);
	cr_assert_str_eq(err, "name truncated");
	cr_assert_eq(dns_name_parse(w, 3, out, &used, &err), -1);
	cr_assert_str_eq(err, "label truncated");
}

Test(dns, name_parse_refuses_compression_and_label_types)
{
	const uint8_t ptr[] = { 3, 'w', 'w', 'w', 0xc0, 0x0c };
	const uint8_t ext[] = { 0x41, 0 };
	char out[DNS_NAME_MAX + 1];
	const char *err = NULL;
	size_t used;

	cr_assert_eq(dns_name_parse(ptr, sizeof(ptr), out, &used, &err), -1);
	cr_assert_str_eq(err, "compressed name or bad label type");
	cr_assert_eq(dns_name_parse(ext, sizeof(ext), out, &used, &err), -1);
}

Test(dns, name_parse_refuses_bad_bytes)
{
	const uint8_t sp[] = { 3, 'a', ' ', 'b', 0 };
	const uint8_t dot[] = { 3, 'a', '.', 'b', 0 };
	const uint8_t nul[] = { 3, 'a', 0, 'b', 0 };
	const uint8_t hi[] = { 2, 0xc3, 0xa4, 0 };
	char out[DNS_NAME_MAX + 1];
	const char *err = NULL;
	size_t used;

	cr_assert_eq(dns_name_parse(sp, sizeof(sp), out, &used, &err), -1);
	cr_assert_not_null(strstr(err, "byte other than"));
	cr_assert_eq(dns_name_parse(dot, sizeof(dot), out, &used, &err), -1);
	cr_assert_eq(dns_name_parse(nul, sizeof(nul), out, &used, &err), -1);
	cr_assert_eq(dns_name_parse(hi, sizeof(hi), out, &used, &err), -1);
}

Test(dns, name_parse_label_limit)
{
	uint8_t w[80];
	char out[DNS_NAME_MAX + 1];
	const char *err = NULL;
	size_t used;

	memset(w, 'a', sizeof(w));
	w[0] = 62;
	w[63] = 0;
	cr_assert_eq(dns_name_parse(w, 64, out, &used, &err), 0);
	cr_assert_eq(strlen(out), 62);
	memset(w, 'a', sizeof(w));
	w[0] = 63;
	w[64] = 0;
	cr_assert_eq(dns_name_parse(w, 65, out, &used, &err), 0);
	cr_assert_eq(strlen(out), 63);
	memset(w, 'a', sizeof(w));
	w[0] = 64;
	w[65] = 0;
	cr_assert_eq(dns_name_parse(w, 66, out, &used, &err), -1);
}

Test(dns, name_parse_length_limit)
{
	uint8_t w[300];
	char out[DNS_NAME_MAX + 1];
	const char *err = NULL;
	size_t used, len;

	len = wire_name(long_name(252), w);
	cr_assert_eq(dns_name_parse(w, len, out, &used, &err), 0, "%s", err);
	cr_assert_eq(strlen(out), 252);
	len = wire_name(long_name(253), w);
	cr_assert_eq(len, 255);
	cr_assert_eq(dns_name_parse(w, len, out, &used, &err), 0, "%s", err);
	cr_assert_eq(strlen(out), 253);
	cr_assert(dns_name_ok(out));
	len = wire_name(long_name(254), w);
	cr_assert_eq(dns_name_parse(w, len, out, &used, &err), -1);
	cr_assert_str_eq(err, "name longer than 255 octets");
}

/* --- record data --- */

Test(dns, srv_parse_fields)
{
	uint8_t r[300];
	struct dns_srv s;
	const char *err = NULL;
	size_t len = srv_rdata(10, 60, 389, "dc1.ad.example.test", r);

	cr_assert_eq(dns_srv_parse(r, len, pool, &s, &err), 0, "%s", err);
	cr_assert_eq(s.priority, 10);
	cr_assert_eq(s.weight, 60);
	cr_assert_eq(s.port, 389);
	cr_assert_str_eq(s.target, "dc1.ad.example.test");
	len = srv_rdata(65535, 65535, 65535, ".", r);
	cr_assert_eq(len, 7);
	cr_assert_eq(dns_srv_parse(r, len, pool, &s, &err), 0);
	cr_assert_eq(s.priority, 65535);
	cr_assert_str_eq(s.target, "");
}

Test(dns, srv_parse_refuses_short_long_and_bad)
{
	uint8_t r[300];
	struct dns_srv s;
	const char *err = NULL;
	size_t len = srv_rdata(0, 0, 389, "dc1.test", r);

	cr_assert_eq(dns_srv_parse(r, 6, pool, &s, &err), -1);
	cr_assert_str_eq(err, "SRV record shorter than 7 bytes");
	cr_assert_eq(dns_srv_parse(r, len - 1, pool, &s, &err), -1);
	r[len] = 'x';
	cr_assert_eq(dns_srv_parse(r, len + 1, pool, &s, &err), -1);
	cr_assert_str_eq(err, "bytes after the name");
	len = srv_rdata(0, 0, 389, "dc 1.test", r);
	cr_assert_eq(dns_srv_parse(r, len, pool, &s, &err), -1);
}

Test(dns, mx_parse_fields_and_errors)
{
	uint8_t r[300];
	struct dns_mx m;
	const char *err = NULL;
	size_t len = mx_rdata(10, "mx1.example.test", r);

	cr_assert_eq(dns_mx_parse(r, len, pool, &m, &err), 0, "%s", err);
	cr_assert_eq(m.preference, 10);
	cr_assert_str_eq(m.exchange, "mx1.example.test");
	cr_assert_eq(dns_mx_parse(r, 2, pool, &m, &err), -1);
	cr_assert_str_eq(err, "MX record shorter than 3 bytes");
	r[len] = 0;
	cr_assert_eq(dns_mx_parse(r, len + 1, pool, &m, &err), -1);
	cr_assert_str_eq(err, "bytes after the name");
	len = mx_rdata(0, ".", r);
	cr_assert_eq(dns_mx_parse(r, len, pool, &m, &err), 0);
	cr_assert_str_eq(m.exchange, "");
}

Test(dns, addr_parse)
{
	const uint8_t v4[] = { 192, 0, 2, 1 };
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct dns_addr a;
	const char *err = NULL;

	v6[15] = 1;
	cr_assert_eq(dns_addr_parse(v4, 4, AF_INET, &a, &err), 0);
	cr_assert_eq(a.family, AF_INET);
	cr_assert_str_eq(a.text, "192.0.2.1");
	cr_assert_eq(dns_addr_parse(v6, 16, AF_INET6, &a, &err), 0);
	cr_assert_str_eq(a.text, "2001:db8::1");
	cr_assert_eq(dns_addr_parse(v4, 3, AF_INET, &a, &err), -1);
	cr_assert_str_eq(err, "A record is not 4 bytes");
	cr_assert_eq(dns_addr_parse(v6, 15, AF_INET6, &a, &err), -1);
	cr_assert_eq(dns_addr_parse(v6, 16, AF_INET, &a, &err), -1);
	cr_assert_eq(dns_addr_parse(v4, 4, AF_UNIX, &a, &err), -1);
	cr_assert_str_eq(err, "unknown address family");
}

/* --- ordering --- */

static struct dns_srv
mk_srv(uint16_t prio, uint16_t weight, const char *target)
{
	struct dns_srv s = { .priority = prio, .weight = weight, .port = 389,
		.target = (char *)target };

	return s;
}

Test(dns, srv_order_priority_ascending)
{
	struct dns_srv v[] = { mk_srv(20, 0, "c"), mk_srv(0, 0, "a"),
		mk_srv(10, 0, "b") };
	struct script sc = { .n = 0 };

	dns_srv_order(v, 3, scripted, &sc);
	cr_assert_str_eq(v[0].target, "a");
	cr_assert_str_eq(v[1].target, "b");
	cr_assert_str_eq(v[2].target, "c");
	cr_assert_eq(sc.calls, 0, "one record per priority needs no draw");
}

/* Weights 60 (a), 20 (b), 0 (z) in one priority: z is put first, the
 * running sums are z=0, a=60, b=80 and the draw is in [0, 80]. */
static void
order_three(uint32_t first, uint32_t second, const char *want)
{
	struct dns_srv v[] = { mk_srv(5, 60, "a"), mk_srv(5, 20, "b"),
		mk_srv(5, 0, "z") };
	struct script sc = { .vals = { first, second }, .n = 2 };
	char got[8];

	dns_srv_order(v, 3, scripted, &sc);
	snprintf(got, sizeof(got), "%s%s%s", v[0].target, v[1].target,
	    v[2].target);
	cr_assert_str_eq(got, want, "draws %u,%u", first, second);
	cr_assert_eq(sc.calls, 2);
	cr_assert_eq(sc.bounds[0], 81, "first draw is in [0, sum]");
}

Test(dns, srv_order_weighted_selection)
{
	order_three(0, 0, "zab");	/* 0 picks the weight-0 record */
	order_three(1, 0, "azb");	/* 1..60: a */
	order_three(60, 0, "azb");
	order_three(61, 0, "bza");	/* 61..80: b */
	order_three(80, 0, "bza");
	order_three(80, 1, "baz");	/* then 1..60 of z=0, a=60: a */
	order_three(1, 20, "abz");	/* then z=0, b=20: 1..20 picks b */
}

Test(dns, srv_order_second_draw_bound)
{
	struct dns_srv v[] = { mk_srv(5, 60, "a"), mk_srv(5, 20, "b"),
		mk_srv(5, 0, "z") };
	struct script sc = { .vals = { 1, 0 }, .n = 2 };

	dns_srv_order(v, 3, scripted, &sc);
	cr_assert_eq(sc.bounds[1], 21, "after a: sum of z and b is 20");
}

Test(dns, srv_order_all_weights_zero_keeps_answer_order)
{
	struct dns_srv v[] = { mk_srv(1, 0, "x"), mk_srv(1, 0, "y"),
		mk_srv(1, 0, "z") };
	struct script sc = { .n = 0 };

	dns_srv_order(v, 3, scripted, &sc);
	cr_assert_str_eq(v[0].target, "x");
	cr_assert_str_eq(v[1].target, "y");
	cr_assert_str_eq(v[2].target, "z");
	cr_assert_eq(sc.bounds[0], 1);	/* [0, 0] */
}

Test(dns, srv_order_single_record_draws_nothing)
{
	struct dns_srv v[] = { mk_srv(0, 100, "only") };
	struct script sc = { .n = 0 };

	dns_srv_order(v, 1, scripted, &sc);
	dns_srv_order(v, 0, scripted, &sc);
	cr_assert_str_eq(v[0].target, "only");
	cr_assert_eq(sc.calls, 0);
}

Test(dns, srv_order_out_of_range_draw_is_clamped)
{
	struct dns_srv v[] = { mk_srv(0, 1, "a"), mk_srv(0, 1, "b") };
	struct script sc = { .vals = { 1000 }, .n = 1 };

	dns_srv_order(v, 2, scripted, &sc);
	cr_assert_str_eq(v[0].target, "b");	/* clamped to sum = 2 */
}

Test(dns, srv_order_default_random_follows_weights)
{
	int first_a = 0;

	for (int i = 0; i < 10000; i++) {
		struct dns_srv v[] = { mk_srv(0, 90, "a"), mk_srv(0, 10, "b") };

		dns_srv_order(v, 2, NULL, NULL);
		first_a += strcmp(v[0].target, "a") == 0;
	}
	/* draws 0..100, of which 0..90 pick a: 91/101, about 9010 */
	cr_assert(first_a > 8600 && first_a < 9200, "a first %d times",
	    first_a);
}

Test(dns, mx_order_preference_then_shuffle)
{
	struct dns_mx v[] = { { 20, "d" }, { 10, "a" }, { 10, "b" },
		{ 10, "c" }, { 5, "e" } };
	struct script sc = { .vals = { 0, 0 }, .n = 2 };

	dns_mx_order(v, 5, scripted, &sc);
	cr_assert_str_eq(v[0].exchange, "e");
	/* Fisher-Yates over a,b,c: k=3 draws 0 swaps c<->a (c,b,a); k=2
	 * draws 0 swaps b<->c (b,c,a) */
	cr_assert_str_eq(v[1].exchange, "b");
	cr_assert_str_eq(v[2].exchange, "c");
	cr_assert_str_eq(v[3].exchange, "a");
	cr_assert_str_eq(v[4].exchange, "d");
	cr_assert_eq(sc.calls, 2);
	cr_assert_eq(sc.bounds[0], 3);
	cr_assert_eq(sc.bounds[1], 2);
}

Test(dns, mx_order_identity_draws_keep_order)
{
	struct dns_mx v[] = { { 10, "a" }, { 10, "b" }, { 10, "c" } };
	struct script sc = { .vals = { 2, 1 }, .n = 2 };

	dns_mx_order(v, 3, scripted, &sc);
	cr_assert_str_eq(v[0].exchange, "a");
	cr_assert_str_eq(v[1].exchange, "b");
	cr_assert_str_eq(v[2].exchange, "c");
}

/* --- collecting answers --- */

struct rdset {
	uint8_t buf[DNS_RECORDS_MAX + 2][300];
	const uint8_t *p[DNS_RECORDS_MAX + 2];
	size_t len[DNS_RECORDS_MAX + 2];
	size_t n;
};

static void
add_srv(struct rdset *s, uint16_t prio, uint16_t w, const char *t)
{
	s->len[s->n] = srv_rdata(prio, w, 389, t, s->buf[s->n]);
	s->p[s->n] = s->buf[s->n];
	s->n++;
}

static void
add_mx(struct rdset *s, uint16_t pref, const char *t)
{
	s->len[s->n] = mx_rdata(pref, t, s->buf[s->n]);
	s->p[s->n] = s->buf[s->n];
	s->n++;
}

static void
add_raw(struct rdset *s, const void *p, size_t len)
{
	memcpy(s->buf[s->n], p, len);
	s->len[s->n] = len;
	s->p[s->n] = s->buf[s->n];
	s->n++;
}

Test(dns, srv_collect_found_and_ordered)
{
	struct rdset *s = pool_alloc(pool, sizeof(*s));
	struct dns_srv *v;
	struct dns_info info;
	size_t n;

	add_srv(s, 10, 0, "dc2.test");
	add_srv(s, 0, 0, "dc1.test");
	cr_assert_eq(dns_srv_from_rdata(s->p, s->len, s->n, NULL, NULL, pool,
	    &v, &n, &info), DNS_FOUND);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0].target, "dc1.test");
	cr_assert_str_eq(v[1].target, "dc2.test");
	cr_assert_null(info.error);
	cr_assert_eq(info.skipped, 0);
}

Test(dns, srv_collect_dot_target_alone_is_notfound)
{
	struct rdset *s = pool_alloc(pool, sizeof(*s));
	struct dns_srv *v;
	struct dns_info info;
	size_t n;

	add_srv(s, 0, 0, ".");
	cr_assert_eq(dns_srv_from_rdata(s->p, s->len, s->n, NULL, NULL, pool,
	    &v, &n, &info), DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_NULL_TARGET);
	cr_assert_not_null(strstr(info.error, "service not available"));
	cr_assert_null(v);
	cr_assert_eq(n, 0);
}

Test(dns, srv_collect_dot_target_beside_real_ones_is_dropped)
{
	struct rdset *s = pool_alloc(pool, sizeof(*s));
	struct dns_srv *v;
	struct dns_info info;
	size_t n;

	add_srv(s, 0, 0, ".");
	add_srv(s, 5, 0, "dc1.test");
	cr_assert_eq(dns_srv_from_rdata(s->p, s->len, s->n, NULL, NULL, pool,
	    &v, &n, &info), DNS_FOUND);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].target, "dc1.test");
}

Test(dns, srv_collect_malformed_records)
{
	struct rdset *s = pool_alloc(pool, sizeof(*s));
	struct dns_srv *v;
	struct dns_info info;
	size_t n;
	const uint8_t junk[] = { 0, 1, 0 };

	add_raw(s, junk, sizeof(junk));
	cr_assert_eq(dns_srv_from_rdata(s->p, s->len, s->n, NULL, NULL, pool,
	    &v, &n, &info), DNS_TEMPFAIL);
	cr_assert_not_null(strstr(info.error, "malformed"), "%s", info.error);
	cr_assert_eq(info.skipped, 1);
	add_srv(s, 0, 0, "dc1.test");
	cr_assert_eq(dns_srv_from_rdata(s->p, s->len, s->n, NULL, NULL, pool,
	    &v, &n, &info), DNS_FOUND);
	cr_assert_eq(n, 1);
	cr_assert_eq(info.skipped, 1);
}

Test(dns, srv_collect_empty_is_nodata)
{
	struct dns_srv *v;
	struct dns_info info;
	size_t n;

	cr_assert_eq(dns_srv_from_rdata(NULL, NULL, 0, NULL, NULL, pool, &v,
	    &n, &info), DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_NODATA);
}

static size_t
collect_n(size_t count)
{
	struct rdset *s = pool_alloc(pool, sizeof(*s));
	struct dns_srv *v;
	struct dns_info info;
	size_t n = 0;

	for (size_t i = 0; i < count; i++)
		add_srv(s, (uint16_t)i, 0, pool_printf(pool, "dc%zu.test", i));
	cr_assert_eq(dns_srv_from_rdata(s->p, s->len, s->n, NULL, NULL, pool,
	    &v, &n, &info), DNS_FOUND);
	cr_assert_str_eq(v[0].target, "dc0.test");
	return n;
}

Test(dns, srv_collect_record_limit)
{
	cr_assert_eq(collect_n(DNS_RECORDS_MAX - 1), DNS_RECORDS_MAX - 1);
	cr_assert_eq(collect_n(DNS_RECORDS_MAX), DNS_RECORDS_MAX);
	cr_assert_eq(collect_n(DNS_RECORDS_MAX + 1), DNS_RECORDS_MAX);
}

Test(dns, mx_collect_null_mx_and_implicit_flag)
{
	struct rdset *s = pool_alloc(pool, sizeof(*s));
	struct dns_mx *v;
	struct dns_info info;
	size_t n;

	add_mx(s, 0, ".");
	cr_assert_eq(dns_mx_from_rdata(s->p, s->len, s->n, NULL, NULL, pool,
	    &v, &n, &info), DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_NULL_TARGET);
	cr_assert_not_null(strstr(info.error, "null MX"));
	cr_assert_not(dns_mx_implicit(&info), "null MX: no fallback");
	cr_assert_eq(dns_mx_from_rdata(NULL, NULL, 0, NULL, NULL, pool, &v,
	    &n, &info), DNS_NOTFOUND);
	cr_assert(dns_mx_implicit(&info), "no MX: the domain is the MX");
	info.notfound = DNS_NF_NXDOMAIN;
	cr_assert_not(dns_mx_implicit(&info));
}

Test(dns, mx_collect_orders_and_skips)
{
	struct rdset *s = pool_alloc(pool, sizeof(*s));
	struct dns_mx *v;
	struct dns_info info;
	size_t n;
	const uint8_t junk[] = { 0, 10, 0xc0, 0x0c };

	add_mx(s, 20, "b.test");
	add_raw(s, junk, sizeof(junk));
	add_mx(s, 10, "a.test");
	cr_assert_eq(dns_mx_from_rdata(s->p, s->len, s->n, NULL, NULL, pool,
	    &v, &n, &info), DNS_FOUND);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0].exchange, "a.test");
	cr_assert_str_eq(v[1].exchange, "b.test");
	cr_assert_eq(info.skipped, 1);
}

/* --- resolver settings (no query is sent) --- */

static struct dns_resolver *
resolver(const char *const *servers, uint64_t timeout, const char **err)
{
	struct dns_settings s;

	dns_settings_defaults(&s);
	s.servers = servers;
	s.timeout_ms = timeout;
	return dns_resolver_new(&s, pool, err);
}

Test(dns, resolver_new_with_forwarders)
{
	const char *servers[] = { "127.0.0.1@5353", "::1", NULL };
	const char *err = NULL;
	struct dns_resolver *r = resolver(servers, 1000, &err);

	cr_assert_not_null(r, "%s", err);
	cr_assert_str_eq(dns_resolver_servers(r), "127.0.0.1@5353, ::1");
	dns_resolver_free(&r);
	cr_assert_null(r);
	dns_resolver_free(&r);
	dns_resolver_free(NULL);
}

Test(dns, resolver_new_refuses_bad_forwarder)
{
	const char *servers[] = { "127.0.0.1", "dns.example.test", NULL };
	const char *err = NULL;

	cr_assert_null(resolver(servers, 1000, &err));
	cr_assert_not_null(strstr(err, "dns.example.test"), "%s", err);
}

Test(dns, resolver_new_forwarder_count_limit)
{
	const char *servers[DNS_SERVERS_MAX + 2];
	const char *err = NULL;
	struct dns_resolver *r;

	for (size_t i = 0; i < DNS_SERVERS_MAX + 1; i++)
		servers[i] = "127.0.0.1";
	servers[DNS_SERVERS_MAX - 1] = NULL;
	r = resolver(servers, 1000, &err);
	cr_assert_not_null(r, "%s", err);
	dns_resolver_free(&r);
	servers[DNS_SERVERS_MAX - 1] = "127.0.0.1";
	servers[DNS_SERVERS_MAX] = NULL;
	r = resolver(servers, 1000, &err);
	cr_assert_not_null(r, "%s", err);
	dns_resolver_free(&r);
	servers[DNS_SERVERS_MAX] = "127.0.0.1";
	servers[DNS_SERVERS_MAX + 1] = NULL;
	cr_assert_null(resolver(servers, 1000, &err));
	cr_assert_not_null(strstr(err, "more than"), "%s", err);
}

Test(dns, resolver_new_timeout_range)
{
	const char *servers[] = { "127.0.0.1", NULL };
	const char *err = NULL;
	struct dns_resolver *r;

	cr_assert_null(resolver(servers, DNS_TIMEOUT_MIN_MS - 1, &err));
	cr_assert_not_null(strstr(err, "timeout"));
	cr_assert_null(resolver(servers, DNS_TIMEOUT_MAX_MS + 1, &err));
	r = resolver(servers, DNS_TIMEOUT_MIN_MS, &err);
	cr_assert_not_null(r, "%s", err);
	dns_resolver_free(&r);
	r = resolver(servers, DNS_TIMEOUT_MAX_MS, &err);
	cr_assert_not_null(r, "%s", err);
	dns_resolver_free(&r);
}

Test(dns, resolver_new_resolv_conf)
{
	char path[] = "/tmp/dns_test_resolv.XXXXXX";
	int fd = mkstemp(path);
	struct dns_settings s;
	struct dns_resolver *r;
	const char *err = NULL;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "nameserver 127.0.0.1\n", 21), 21);
	close(fd);
	dns_settings_defaults(&s);
	s.resolv_conf = path;
	r = dns_resolver_new(&s, pool, &err);
	cr_assert_not_null(r, "%s", err);
	cr_assert_not_null(strstr(dns_resolver_servers(r), path));
	dns_resolver_free(&r);
	unlink(path);
	cr_assert_null(dns_resolver_new(&s, pool, &err));
	cr_assert_not_null(strstr(err, path), "%s", err);
}

Test(dns, resolver_new_trust_anchor_file_must_be_readable)
{
	const char *servers[] = { "127.0.0.1", NULL };
	struct dns_settings s;
	const char *err = NULL;

	dns_settings_defaults(&s);
	s.servers = servers;
	s.trust_anchor_file = "/nonexistent/root.key";
	cr_assert_null(dns_resolver_new(&s, pool, &err));
	cr_assert_not_null(strstr(err, "trust anchor"), "%s", err);
}

Test(dns, lookup_of_invalid_name_sends_nothing)
{
	const char *servers[] = { "127.0.0.1@1", NULL };
	const char *err = NULL;
	struct dns_resolver *r = resolver(servers, 1000, &err);
	struct dns_info info;
	struct dns_srv *sv;
	struct dns_mx *mv;
	struct dns_addr *av;
	size_t n;

	cr_assert_not_null(r, "%s", err);
	cr_assert_eq(dns_srv(r, "bad name", pool, &sv, &n, &info),
	    DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_BADNAME);
	cr_assert_not_null(strstr(info.error, "not a valid name"));
	cr_assert_eq(dns_mx(r, "", pool, &mv, &n, NULL), DNS_NOTFOUND);
	cr_assert_eq(dns_addr(r, "a..b", DNS_ADDR_ANY, pool, &av, &n, &info),
	    DNS_NOTFOUND);
	cr_assert_eq(info.notfound, DNS_NF_BADNAME);
	cr_assert_eq(dns_addr(r, "ok.test", 0, pool, &av, &n, &info),
	    DNS_NOTFOUND);
	cr_assert_eq(n, 0);
	dns_resolver_free(&r);
}

Test(dns, result_names)
{
	cr_assert_str_eq(dns_result_name(DNS_FOUND), "found");
	cr_assert_str_eq(dns_result_name(DNS_NOTFOUND), "notfound");
	cr_assert_str_eq(dns_result_name(DNS_TEMPFAIL), "tempfail");
	cr_assert_str_eq(dns_result_name((enum dns_result)7), "?");
}

/* --- the [dns] section --- */

static struct cfg *
load(const char *text, struct buf *err)
{
	struct cfg *c = cfg_new(&dns_config_def, 1);

	if (cfg_load_string(c, "test.conf", text, err) == -1)
		cfg_free(&c);
	return c;
}

Test(dns, config_defaults)
{
	struct cfg *c = load("", NULL);
	struct dns_settings s;

	cr_assert_not_null(c);
	dns_config_settings(c, pool, &s);
	cr_assert_null(s.servers[0]);
	cr_assert_eq(s.timeout_ms, 5000);
	cr_assert_null(s.trust_anchor_file);
	cfg_free(&c);
}

Test(dns, config_servers_and_timeout)
{
	struct buf *err = buf_new(256, 4096);
	struct cfg *c = load("[dns]\nservers = 127.0.0.1@5353, ::1\n"
	    "timeout = 2s\ntrust_anchor_file = /etc/unbound/root.key\n", err);
	struct dns_settings s;

	cr_assert_not_null(c, "%s", buf_cstr(err));
	dns_config_settings(c, pool, &s);
	cr_assert_str_eq(s.servers[0], "127.0.0.1@5353");
	cr_assert_str_eq(s.servers[1], "::1");
	cr_assert_null(s.servers[2]);
	cr_assert_eq(s.timeout_ms, 2000);
	cr_assert_str_eq(s.trust_anchor_file, "/etc/unbound/root.key");
	cfg_free(&c);
	buf_free(&err);
}

Test(dns, config_refuses_bad_server_with_line)
{
	struct buf *err = buf_new(256, 4096);

	cr_assert_null(load("[dns]\ntimeout = 1s\nservers = 127.0.0.1, "
	    "ns.example.test\n", err));
	cr_assert_not_null(strstr(buf_cstr(err), "ns.example.test"), "%s",
	    buf_cstr(err));
	cr_assert_not_null(strstr(buf_cstr(err), "[dns]"), "%s",
	    buf_cstr(err));
	buf_free(&err);
}

Test(dns, config_server_count_limit)
{
	struct buf *err = buf_new(256, 4096);
	struct buf *text = buf_new(256, 4096);
	struct cfg *c;

	buf_printf(text, "[dns]\nservers =");
	for (int i = 0; i < DNS_SERVERS_MAX; i++)
		buf_printf(text, " 127.0.0.%d", i + 1);
	c = load(pool_printf(pool, "%s\n", buf_cstr(text)), err);
	cr_assert_not_null(c, "%s", buf_cstr(err));
	cfg_free(&c);
	buf_printf(text, " 127.0.0.99\n");
	cr_assert_null(load(buf_cstr(text), err));
	cr_assert_not_null(strstr(buf_cstr(err), "more than"), "%s",
	    buf_cstr(err));
	buf_free(&text);
	buf_free(&err);
}

Test(dns, config_timeout_range)
{
	struct buf *err = buf_new(256, 4096);

	cr_assert_null(load("[dns]\ntimeout = 99ms\n", err));
	buf_reset(err);
	cr_assert_null(load("[dns]\ntimeout = 11m\n", err));
	buf_free(&err);
}
