/*
 * lib/dns.c - the resolver half of lib/dns.h: a libunbound context per
 * resolver, lookups with a deadline, answers turned into tri-state
 * results.
 *
 * Runs in whichever process looks names up (the lookup process for
 * directory discovery, the queue manager for MX). DNS servers are trusted
 * for nothing: answers go through the bounded parsers of dns_rdata.c,
 * every lookup ends at its deadline (unanswered queries are cancelled),
 * and a failure is never reported as "no such name".
 *
 * libunbound runs its resolver in a thread of its own (ub_ctx_async 1)
 * and hands answers back through a pipe; ub_process() on that pipe runs
 * the callbacks. Many threads may look up at once: the one that finds no
 * other thread polling the pipe polls it (the "leader"), processes what
 * arrived under the resolver's mutex and wakes the others, who check
 * whether their own queries are done and otherwise wait on the condition
 * variable, taking over the polling when the leader leaves.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unbound.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/dns.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* RR types and class asked for. */
#define T_A 1
#define T_MX 15
#define T_AAAA 28
#define T_SRV 33
#define C_IN 1

struct dns_resolver {
	struct ub_ctx *ctx;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool polling;			/* a thread polls the pipe */
	uint64_t timeout_ms;
	dns_random_fn random;
	void *random_arg;
	char *servers;			/* for messages */
};

/* One query of one lookup; lives on the looking-up thread's stack. */
struct query {
	int type;
	int id;				/* libunbound's async id */
	bool done;			/* answer, error or cancelled */
	int err;			/* libunbound error, 0: answer */
	struct ub_result *result;
};

void
dns_settings_defaults(struct dns_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->timeout_ms = 5000;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool
file_readable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

/* Configure ctx from s. 0, or -1 with *err_out (in pool). */
static int
configure(struct ub_ctx *ctx, const struct dns_settings *s, struct buf *names,
    struct pool *pool, const char **err_out)
{
	size_t n = 0;
	int rc;

	/* a stub resolver talks to a local cache as readily as to any */
	if ((rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0)
		goto ub_fail;

	if ((rc = ub_ctx_async(ctx, 1)) != 0)
		goto ub_fail;
	while (s->servers != NULL && s->servers[n] != NULL) {
		const char *err;

		if (n == DNS_SERVERS_MAX) {
			*err_out = pool_printf(pool, "more than %d DNS servers",
			    DNS_SERVERS_MAX);
			return -1;
		}
		if (dns_server_check(s->servers[n], &err) == -1) {
			*err_out = pool_printf(pool, "DNS server \"%.*s\": %s",
			    DNS_SERVER_TEXT_MAX, s->servers[n], err);
			return -1;
		}
		if ((rc = ub_ctx_set_fwd(ctx, s->servers[n])) != 0)
			goto ub_fail;
		(void)buf_printf(names, "%s%s", n > 0 ? ", " : "",
		    s->servers[n]);
		n++;
	}
	if (n == 0) {
		const char *rcpath = s->resolv_conf != NULL ? s->resolv_conf :
		    "/etc/resolv.conf";

		if (!file_readable(rcpath)) {
			*err_out = pool_printf(pool, "DNS: cannot read %s: %s",
			    rcpath, strerror(errno));
			return -1;
		}
		if ((rc = ub_ctx_resolvconf(ctx, rcpath)) != 0) {
			*err_out = pool_printf(pool, "DNS: %s: %s", rcpath,
			    rc == UB_READFILE ? strerror(errno) :
			    ub_strerror(rc));
			return -1;
		}
		(void)buf_printf(names, "resolv.conf (%s)", rcpath);
	}
	if (s->trust_anchor_file != NULL) {
		if (!file_readable(s->trust_anchor_file)) {
			*err_out = pool_printf(pool, "DNS trust anchor file "
			    "%s: %s", s->trust_anchor_file, strerror(errno));
			return -1;
		}
		if ((rc = ub_ctx_add_ta_file(ctx, s->trust_anchor_file)) != 0)
			goto ub_fail;
	}
	/* libunbound answers names under test. (RFC 6761) itself with
	 * NXDOMAIN, as a recursive server would; a stub resolver leaves that
	 * to its servers, which serve such names in labs and tests. The
	 * removal finalises the context: no option may follow. */
	if ((rc = ub_ctx_zone_remove(ctx, "test.")) != 0)
		goto ub_fail;
	return 0;
ub_fail:
	*err_out = pool_printf(pool, "DNS resolver: %s", ub_strerror(rc));
	return -1;
}

struct dns_resolver *
dns_resolver_new(const struct dns_settings *s, struct pool *err_pool,
    const char **err_out)
{
	struct dns_resolver *r;
	struct ub_ctx *ctx;
	struct buf *names;

	if (s->timeout_ms < DNS_TIMEOUT_MIN_MS ||
	    s->timeout_ms > DNS_TIMEOUT_MAX_MS) {
		*err_out = pool_printf(err_pool, "DNS timeout %llu ms is not "
		    "in %d..%d ms", (unsigned long long)s->timeout_ms,
		    DNS_TIMEOUT_MIN_MS, DNS_TIMEOUT_MAX_MS);
		return NULL;
	}
	if ((ctx = ub_ctx_create()) == NULL) {
		*err_out = "DNS resolver: cannot create a libunbound context";
		return NULL;
	}
	names = buf_new(64, 1024);
	if (configure(ctx, s, names, err_pool, err_out) == -1) {
		buf_free(&names);
		ub_ctx_delete(ctx);
		return NULL;
	}
	r = xmalloc(sizeof(*r));
	r->ctx = ctx;
	r->servers = buf_steal(names, NULL);
	buf_free(&names);
	r->timeout_ms = s->timeout_ms;
	r->random = s->random;
	r->random_arg = s->random_arg;
	pthread_mutex_init(&r->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&r->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	return r;
}

void
dns_resolver_free(struct dns_resolver **rp)
{
	struct dns_resolver *r;

	if (rp == NULL || *rp == NULL)
		return;
	r = *rp;
	ub_ctx_delete(r->ctx);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r->servers);
	free(r);
	*rp = NULL;
}

const char *
dns_resolver_servers(const struct dns_resolver *r)
{
	return r->servers;
}

/* libunbound's callback, run by ub_process under r->lock. */
static void
on_answer(void *arg, int err, struct ub_result *result)
{
	struct query *q = arg;

	q->err = err;
	q->result = result;
	q->done = true;
}

static bool
all_done(const struct query *qs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!qs[i].done)
			return false;
	return true;
}

static void
deadline_ts(uint64_t deadline_ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(deadline_ms / 1000);
	ts->tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
}

/*
 * Send the queries for name and wait for all of them until the deadline.
 * Queries left unanswered are cancelled and stay !done. 0, or -1 when the
 * pipe to libunbound's thread broke (*broken_out holds its error).
 */
static int
run_queries(struct dns_resolver *r, const char *name, struct query *qs,
    size_t n, int *broken_out)
{
	uint64_t deadline = now_ms() + r->timeout_ms;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < n; i++) {
		int rc = ub_resolve_async(r->ctx, name, qs[i].type, C_IN,
		    &qs[i], on_answer, &qs[i].id);

		if (rc != 0) {
			qs[i].err = rc;
			qs[i].done = true;
		}
	}
	while (!all_done(qs, n)) {
		uint64_t t = now_ms();

		if (t >= deadline)
			break;
		if (!r->polling) {
			struct pollfd pfd = { .fd = ub_fd(r->ctx),
				.events = POLLIN };
			int rc;

			r->polling = true;
			pthread_mutex_unlock(&r->lock);
			(void)poll(&pfd, 1, (int)(deadline - t));
			pthread_mutex_lock(&r->lock);
			r->polling = false;
			rc = ub_process(r->ctx);
			pthread_cond_broadcast(&r->wake);
			if (rc != 0) {
				*broken_out = rc;
				ret = -1;
				break;
			}
		} else {
			struct timespec ts;

			deadline_ts(deadline, &ts);
			(void)pthread_cond_timedwait(&r->wake, &r->lock, &ts);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!qs[i].done)
			(void)ub_cancel(r->ctx, qs[i].id);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static const char *
type_name(int type)
{
	switch (type) {
	case T_A:
		return "A";
	case T_AAAA:
		return "AAAA";
	case T_MX:
		return "MX";
	case T_SRV:
		return "SRV";
	}
	return "?";
}

static const char *
rcode_name(int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR",
		"SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
		"YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };

	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	return "unknown rcode";
}

/*
 * Classify one finished (or unfinished) query. FOUND means the result
 * holds data to parse. Fills info->error / notfound for the others.
 */
static enum dns_result
classify(struct dns_resolver *r, const char *name, const struct query *q,
    int broken, struct pool *pool, struct dns_info *info)
{
	const struct ub_result *res = q->result;
	const char *t = type_name(q->type);

	if (!q->done) {
		if (broken != 0)
			info->error = pool_printf(pool, "DNS %s %s: resolver "
			    "failed: %s", t, name, ub_strerror(broken));
		else
			info->error = pool_printf(pool, "DNS %s %s: no answer "
			    "within %llu ms from %s", t, name,
			    (unsigned long long)r->timeout_ms, r->servers);
		return DNS_TEMPFAIL;
	}
	if (q->err != 0 || res == NULL) {
		info->error = pool_printf(pool, "DNS %s %s: %s (servers %s)",
		    t, name, ub_strerror(q->err), r->servers);
		return DNS_TEMPFAIL;
	}
	if (res->bogus) {
		info->error = pool_printf(pool, "DNS %s %s: DNSSEC validation "
		    "failed: %.200s", t, name, res->why_bogus != NULL ?
		    res->why_bogus : "bogus answer");
		return DNS_TEMPFAIL;
	}
	if (res->nxdomain || res->rcode == 3) {
		info->notfound = DNS_NF_NXDOMAIN;
		info->error = pool_printf(pool, "DNS %s %s: no such name "
		    "(NXDOMAIN)", t, name);
		return DNS_NOTFOUND;
	}
	if (res->rcode != 0) {
		info->error = pool_printf(pool, "DNS %s %s: %s from %s", t,
		    name, rcode_name(res->rcode), r->servers);
		return DNS_TEMPFAIL;
	}
	if (!res->havedata || res->data == NULL || res->data[0] == NULL) {
		info->notfound = DNS_NF_NODATA;
		info->error = pool_printf(pool, "DNS %s %s: no %s record", t,
		    name, t);
		return DNS_NOTFOUND;
	}
	info->ttl = res->ttl > 0 ? (uint32_t)res->ttl : 0;
	info->secure = res->secure != 0;
	return DNS_FOUND;
}

/* The rdata of a result as the arrays dns_*_from_rdata take (in pool). */
static size_t
rdata_arrays(const struct ub_result *res, struct pool *pool,
    const uint8_t ***data_out, size_t **lens_out)
{
	size_t n = 0;
	const uint8_t **d;
	size_t *l;

	while (res->data[n] != NULL && n < DNS_RECORDS_MAX)
		n++;
	d = pool_alloc(pool, (n + 1) * sizeof(*d));
	l = pool_alloc(pool, (n + 1) * sizeof(*l));
	for (size_t i = 0; i < n; i++) {
		d[i] = (const uint8_t *)res->data[i];
		l[i] = res->len[i] > 0 ? (size_t)res->len[i] : 0;
	}
	*data_out = d;
	*lens_out = l;
	return n;
}

static bool
begin(const char *name, struct pool *pool, struct dns_info *info)
{
	memset(info, 0, sizeof(*info));
	if (dns_name_ok(name))
		return true;
	info->notfound = DNS_NF_BADNAME;
	info->error = pool_printf(pool, "DNS: \"%.*s\" is not a valid name",
	    DNS_NAME_MAX, name);
	return false;
}

/* Prefix the collectors' texts with the query. */
static void
prefix_error(const char *t, const char *name, struct pool *pool,
    struct dns_info *info)
{
	if (info->error != NULL)
		info->error = pool_printf(pool, "DNS %s %s: %s", t, name,
		    info->error);
}

enum dns_result
dns_srv(struct dns_resolver *r, const char *name, struct pool *pool,
    struct dns_srv **out, size_t *n_out, struct dns_info *info)
{
	struct dns_info tmp;
	struct query q = { .type = T_SRV };
	enum dns_result res;
	const uint8_t **data;
	size_t *lens, n;
	uint32_t ttl;
	bool secure;
	int broken = 0;

	if (info == NULL)
		info = &tmp;
	*out = NULL;
	*n_out = 0;
	if (!begin(name, pool, info))
		return DNS_NOTFOUND;
	(void)run_queries(r, name, &q, 1, &broken);
	res = classify(r, name, &q, broken, pool, info);
	if (res == DNS_FOUND) {
		ttl = info->ttl;
		secure = info->secure;
		n = rdata_arrays(q.result, pool, &data, &lens);
		res = dns_srv_from_rdata(data, lens, n, r->random,
		    r->random_arg, pool, out, n_out, info);
		prefix_error("SRV", name, pool, info);
		info->ttl = ttl;
		info->secure = secure;
	}
	ub_resolve_free(q.result);
	return res;
}

enum dns_result
dns_mx(struct dns_resolver *r, const char *domain, struct pool *pool,
    struct dns_mx **out, size_t *n_out, struct dns_info *info)
{
	struct dns_info tmp;
	struct query q = { .type = T_MX };
	enum dns_result res;
	const uint8_t **data;
	size_t *lens, n;
	uint32_t ttl;
	bool secure;
	int broken = 0;

	if (info == NULL)
		info = &tmp;
	*out = NULL;
	*n_out = 0;
	if (!begin(domain, pool, info))
		return DNS_NOTFOUND;
	(void)run_queries(r, domain, &q, 1, &broken);
	res = classify(r, domain, &q, broken, pool, info);
	if (res == DNS_FOUND) {
		ttl = info->ttl;
		secure = info->secure;
		n = rdata_arrays(q.result, pool, &data, &lens);
		res = dns_mx_from_rdata(data, lens, n, r->random,
		    r->random_arg, pool, out, n_out, info);
		prefix_error("MX", domain, pool, info);
		info->ttl = ttl;
		info->secure = secure;
	}
	ub_resolve_free(q.result);
	return res;
}

bool
dns_mx_implicit(const struct dns_info *info)
{
	return info->notfound == DNS_NF_NODATA;
}

/* Append the addresses of one answer to v[*n] (room for
 * DNS_RECORDS_MAX). */
static void
addr_collect(const struct ub_result *res, int family, struct dns_addr *v,
    size_t *n, struct dns_info *info, const char **err)
{
	for (size_t i = 0; res->data[i] != NULL && *n < DNS_RECORDS_MAX; i++) {
		size_t len = res->len[i] > 0 ? (size_t)res->len[i] : 0;

		if (dns_addr_parse((const uint8_t *)res->data[i], len, family,
		    &v[*n], err) == -1)
			info->skipped++;
		else
			(*n)++;
	}
}

enum dns_result
dns_addr(struct dns_resolver *r, const char *name, unsigned families,
    struct pool *pool, struct dns_addr **out, size_t *n_out,
    struct dns_info *info)
{
	struct dns_info tmp, each[2];
	struct query qs[2];
	enum dns_result res[2];
	struct dns_addr *v;
	size_t nq = 0, n = 0;
	const char *perr = NULL, *fail = NULL;
	bool nxdomain = false, secure = true;
	uint32_t ttl = UINT32_MAX;
	int broken = 0;

	if (info == NULL)
		info = &tmp;
	*out = NULL;
	*n_out = 0;
	if (!begin(name, pool, info))
		return DNS_NOTFOUND;
	memset(qs, 0, sizeof(qs));
	if (families & DNS_ADDR_IPV4)
		qs[nq++].type = T_A;
	if (families & DNS_ADDR_IPV6)
		qs[nq++].type = T_AAAA;
	if (nq == 0) {
		info->notfound = DNS_NF_NODATA;
		info->error = "DNS: no address family asked for";
		return DNS_NOTFOUND;
	}
	(void)run_queries(r, name, qs, nq, &broken);
	v = pool_alloc(pool, (DNS_RECORDS_MAX + 1) * sizeof(*v));
	for (size_t i = 0; i < nq; i++) {
		memset(&each[i], 0, sizeof(each[i]));
		res[i] = classify(r, name, &qs[i], broken, pool, &each[i]);
		if (res[i] == DNS_FOUND) {
			size_t before = n;

			addr_collect(qs[i].result, qs[i].type == T_A ?
			    AF_INET : AF_INET6, v, &n, info, &perr);
			if (n > before) {
				ttl = each[i].ttl < ttl ? each[i].ttl : ttl;
				secure = secure && each[i].secure;
			} else {
				res[i] = DNS_TEMPFAIL;
				each[i].error = pool_printf(pool, "DNS %s %s: "
				    "every record is malformed (%s)",
				    type_name(qs[i].type), name, perr);
			}
		}
		if (res[i] == DNS_TEMPFAIL && fail == NULL)
			fail = each[i].error;
		if (res[i] == DNS_NOTFOUND &&
		    each[i].notfound == DNS_NF_NXDOMAIN)
			nxdomain = true;
		ub_resolve_free(qs[i].result);
	}
	if (n > 0) {
		*out = v;
		*n_out = n;
		info->ttl = ttl;
		info->secure = secure;
		return DNS_FOUND;
	}
	if (fail != NULL) {
		info->error = fail;
		return DNS_TEMPFAIL;
	}
	info->notfound = nxdomain ? DNS_NF_NXDOMAIN : DNS_NF_NODATA;
	info->error = nxdomain ? pool_printf(pool, "DNS %s: no such name "
	    "(NXDOMAIN)", name) : pool_printf(pool, "DNS %s: no address "
	    "record", name);
	return DNS_NOTFOUND;
}
