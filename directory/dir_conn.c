/*
 * directory/dir_conn.c - libtdir's pool of LDAP connections.
 *
 * Runs in the lookup process (tessera-dir), which holds the service bind
 * password; directory servers are trusted for their answers but not for
 * staying up, so every call has a timeout and every failure says which
 * server and which operation. The dead-server marks are shared by all
 * connections under the pool mutex; connecting and searching happen
 * outside it on a connection the thread has borrowed.
 *
 * The servers are a list shared by reference: the configured URIs, or
 * the servers found through DNS SRV records (dir_srv.c), whose list is
 * replaced when its TTL runs out or every server failed. A connection
 * holds a reference to the list it was made from, so a thread never
 * reads a list another thread freed; a borrowed connection made from an
 * older list is closed and made again from the current one.
 */
#include "config.h"

#include <errno.h>
#include <lber.h>
#include <ldap.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "directory/dir_conn.h"
#include "directory/dir_gss.h"
#include "directory/dir_srv.h"
#include "lib/banned.h"

/* How long a discovered list is kept at least and at most (its TTL is
 * clamped to this range), in ms. */
#define SRV_TTL_MIN_MS 1000
#define SRV_TTL_MAX_MS (24 * 3600 * 1000)

struct server {
	char *uri;
	char *label;			/* for messages: URI or "URI (TARGET)" */
	bool ldaps;
	uint16_t priority;		/* SRV priority; 0 if configured */
	uint64_t dead_until;		/* clock ms; 0: alive (pool lock) */
};

/* A list of servers; immutable but for the dead marks. */
struct dir_conn_servers {
	unsigned refs;			/* under the pool lock */
	size_t n;
	struct server *v;
};

struct dir_conn_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct dir_conn_servers *list;	/* current (pool lock); NULL before
					 * the first discovery */
	/* SRV discovery (srv NULL: configured URIs) */
	struct dir_srv *srv;
	pthread_mutex_t srv_lock;	/* one discovery at a time */
	uint64_t srv_expires;		/* list due for refresh (pool lock) */
	uint64_t srv_fail_after;	/* no refresh after a failure of
					 * every server before (pool lock) */
	char *srv_error;		/* last discovery failure (pool lock) */
	struct dir_conn *conns;
	size_t n_conns;
	bool starttls, tls_verify;
	char *ca_file;
	char *bind_dn;
	struct berval cred;		/* secret, wiped on free */
	bool gss;			/* GSSAPI service binds (dir_gss.h) */
	uint64_t connect_timeout_ms, op_timeout_ms, retry_dead_ms;
	dir_clock_fn clock;
	void *clock_arg;
};

/* libldap's global options are initialised on first use; do it once while
 * the process is still single-threaded (dir_new runs at start-up). */
static pthread_once_t ldap_once = PTHREAD_ONCE_INIT;

static void
ldap_global_init(void)
{
	int v = 0;

	(void)ldap_get_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &v);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct timeval
ms_tv(uint64_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
		.tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

void
dir_op_fail(struct dir_op *op, const char *uri, const char *what, int ldap_rc,
    const char *diag)
{
	op->server = uri;
	if (diag != NULL && *diag != '\0')
		op->error = pool_printf(op->pool, "%s: %s: %s (%s)", uri, what,
		    ldap_err2string(ldap_rc), diag);
	else
		op->error = pool_printf(op->pool, "%s: %s: %s", uri, what,
		    ldap_err2string(ldap_rc));
}

static struct dir_conn_servers *
servers_new(size_t n)
{
	struct dir_conn_servers *l = xmalloc(sizeof(*l));

	l->refs = 1;
	l->n = n;
	l->v = xcalloc(n > 0 ? n : 1, sizeof(*l->v));
	return l;
}

static void
servers_set(struct server *sv, const char *uri, const char *label,
    uint16_t priority)
{
	sv->uri = xstrdup(uri);
	sv->label = xstrdup(label);
	sv->ldaps = str_prefix_ci(uri, "ldaps:");
	sv->priority = priority;
}

/* Drop a reference (pool lock held, or the pool being freed). */
static void
servers_unref_locked(struct dir_conn_servers **lp)
{
	struct dir_conn_servers *l = *lp;

	*lp = NULL;
	if (l == NULL || --l->refs > 0)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].uri);
		free(l->v[i].label);
	}
	free(l->v);
	free(l);
}

static void
servers_unref(struct dir_conn_pool *cp, struct dir_conn_servers **lp)
{
	pthread_mutex_lock(&cp->lock);
	servers_unref_locked(lp);
	pthread_mutex_unlock(&cp->lock);
}

/* A new reference to the current list (NULL if there is none yet). */
static struct dir_conn_servers *
servers_current(struct dir_conn_pool *cp)
{
	struct dir_conn_servers *l;

	pthread_mutex_lock(&cp->lock);
	l = cp->list;
	if (l != NULL)
		l->refs++;
	pthread_mutex_unlock(&cp->lock);
	return l;
}

/* Fail with the handle's diagnostic message, if it has one. */
static void
fail_ld(struct dir_op *op, LDAP *ld, const char *uri, const char *what,
    int rc)
{
	char *diag = NULL;

	if (ld != NULL)
		(void)ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	/* what libldap leaves behind when the TLS library gave no text */
	if (diag != NULL && strcmp(diag, "(unknown error code)") == 0) {
		dir_op_fail(op, uri, what, rc, "TLS handshake failed: "
		    "certificate not trusted, name mismatch or protocol error");
		ldap_memfree(diag);
		return;
	}
	dir_op_fail(op, uri, what, rc, diag);
	ldap_memfree(diag);
}

struct dir_conn_pool *
dir_conn_pool_new(const struct dir_settings *s, const char *password,
    size_t password_len, dir_clock_fn clock, void *clock_arg,
    struct pool *err_pool, const char **err_out)
{
	struct dir_conn_pool *cp;
	size_t n = 0;

	struct dir_srv *srv = NULL;

	pthread_once(&ldap_once, ldap_global_init);
	while (s->uris != NULL && s->uris[n] != NULL)
		n++;
	if (n == 0 && s->srv_domain == NULL) {
		*err_out = "no directory URI configured (uris or srv_domain)";
		return NULL;
	}
	if (n > DIR_CONN_URIS_MAX) {
		*err_out = pool_printf(err_pool, "more than %d directory URIs",
		    DIR_CONN_URIS_MAX);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		LDAPURLDesc *lud = NULL;

		if (ldap_url_parse(s->uris[i], &lud) != LDAP_URL_SUCCESS ||
		    (!str_eq_ci(lud->lud_scheme, "ldap") &&
		    !str_eq_ci(lud->lud_scheme, "ldaps"))) {
			ldap_free_urldesc(lud);
			*err_out = pool_printf(err_pool,
			    "bad directory URI \"%.128s\" (want ldap:// or "
			    "ldaps://)", s->uris[i]);
			return NULL;
		}
		ldap_free_urldesc(lud);
	}
	if (s->bind_dn != NULL && password_len == 0) {
		*err_out = "bind_dn is set but the bind password is empty "
		    "(an empty simple bind would be anonymous)";
		return NULL;
	}
	if (password_len > DIR_CONN_PASSWORD_MAX) {
		*err_out = "bind password too long";
		return NULL;
	}
	if (s->bind_method == DIR_BIND_GSSAPI && dir_gss_setup(s->bind_keytab,
	    s->bind_principal, err_pool, err_out) == -1)
		return NULL;
	if (n == 0 && (srv = dir_srv_new(s->srv_domain, s->srv_ldaps, s->dns,
	    err_pool, err_out)) == NULL)
		return NULL;
	cp = xmalloc(sizeof(*cp));
	cp->gss = s->bind_method == DIR_BIND_GSSAPI;
	pthread_mutex_init(&cp->lock, NULL);
	pthread_mutex_init(&cp->srv_lock, NULL);
	cp->srv = srv;
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&cp->freed, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (srv == NULL) {
		cp->list = servers_new(n);
		for (size_t i = 0; i < n; i++)
			servers_set(&cp->list->v[i], s->uris[i], s->uris[i], 0);
	}
	cp->n_conns = s->pool_size > 0 ? s->pool_size : 1;
	cp->conns = xcalloc(cp->n_conns, sizeof(*cp->conns));
	cp->starttls = s->starttls;
	cp->tls_verify = s->tls_verify;
	cp->ca_file = s->ca_file != NULL ? xstrdup(s->ca_file) : NULL;
	cp->bind_dn = s->bind_dn != NULL ? xstrdup(s->bind_dn) : NULL;
	if (password_len > 0) {
		cp->cred.bv_val = xmemdup(password, password_len);
		cp->cred.bv_len = password_len;
	}
	cp->connect_timeout_ms = s->connect_timeout_ms;
	cp->op_timeout_ms = s->op_timeout_ms;
	cp->retry_dead_ms = s->retry_dead_ms;
	cp->clock = clock != NULL ? clock : dir_clock_monotonic;
	cp->clock_arg = clock_arg;
	return cp;
}

static void
conn_close(struct dir_conn *c)
{
	if (c->ld != NULL)
		ldap_unbind_ext_s(c->ld, NULL, NULL);
	c->ld = NULL;
}

void
dir_conn_pool_free(struct dir_conn_pool **cpp)
{
	struct dir_conn_pool *cp;

	if (cpp == NULL || *cpp == NULL)
		return;
	cp = *cpp;
	for (size_t i = 0; i < cp->n_conns; i++) {
		conn_close(&cp->conns[i]);
		servers_unref_locked(&cp->conns[i].list);
	}
	servers_unref_locked(&cp->list);
	dir_srv_free(&cp->srv);
	free(cp->srv_error);
	if (cp->cred.bv_val != NULL) {
		mem_wipe(cp->cred.bv_val, cp->cred.bv_len);
		free(cp->cred.bv_val);
	}
	free(cp->conns);
	free(cp->ca_file);
	free(cp->bind_dn);
	pthread_cond_destroy(&cp->freed);
	pthread_mutex_destroy(&cp->srv_lock);
	pthread_mutex_destroy(&cp->lock);
	free(cp);
	*cpp = NULL;
}

static void
mark_dead(struct dir_conn_pool *cp, struct dir_conn_servers *l, size_t i)
{
	pthread_mutex_lock(&cp->lock);
	l->v[i].dead_until = cp->clock(cp->clock_arg) + cp->retry_dead_ms;
	if (l->v[i].dead_until == 0)
		l->v[i].dead_until = 1;
	pthread_mutex_unlock(&cp->lock);
}

static void
mark_alive(struct dir_conn_pool *cp, struct dir_conn_servers *l, size_t i)
{
	pthread_mutex_lock(&cp->lock);
	l->v[i].dead_until = 0;
	pthread_mutex_unlock(&cp->lock);
}

static bool
is_dead(struct dir_conn_pool *cp, struct dir_conn_servers *l, size_t i)
{
	bool dead;

	pthread_mutex_lock(&cp->lock);
	dead = l->v[i].dead_until != 0 &&
	    cp->clock(cp->clock_arg) < l->v[i].dead_until;
	pthread_mutex_unlock(&cp->lock);
	return dead;
}

/* Options every handle gets before it connects. */
static int
set_options(struct dir_conn_pool *cp, LDAP *ld, const char **what)
{
	int v3 = LDAP_VERSION3, zero = 0;
	int reqcert = cp->tls_verify ? LDAP_OPT_X_TLS_DEMAND :
	    LDAP_OPT_X_TLS_NEVER;
	struct timeval ntv = ms_tv(cp->connect_timeout_ms);
	struct timeval otv = ms_tv(cp->op_timeout_ms);
	int rc;

	*what = "set options";
	if ((rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3)) != 0 ||
	    (rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) != 0 ||
	    (rc = ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON)) != 0 ||
	    (rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &ntv)) != 0 ||
	    (rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &otv)) != 0)
		return rc;
	*what = "set TLS options";
	if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT,
	    &reqcert)) != 0)
		return rc;
	if (cp->ca_file != NULL && (rc = ldap_set_option(ld,
	    LDAP_OPT_X_TLS_CACERTFILE, cp->ca_file)) != 0)
		return rc;
	/* a context of this handle's own, built from the options above */
	*what = "TLS context";
	return ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
}

/* Connect to server i, StartTLS if configured, bind as dn (NULL:
 * anonymous). The handle, or NULL with *rc_out, *what_out and op->error. */
static LDAP *
connect_one(struct dir_conn_pool *cp, const struct server *sv,
    struct dir_op *op, const char *dn, const struct berval *cred,
    int *rc_out)
{
	const char *what = "initialize";
	LDAP *ld = NULL;
	uint64_t t0 = now_us();
	int rc;

	rc = ldap_initialize(&ld, sv->uri);
	if (rc == LDAP_SUCCESS)
		rc = set_options(cp, ld, &what);
	if (rc == LDAP_SUCCESS) {
		what = "connect";
		rc = ldap_connect(ld);
	}
	if (rc == LDAP_SUCCESS && cp->starttls && !sv->ldaps) {
		what = "StartTLS";
		rc = ldap_start_tls_s(ld, NULL, NULL);
		op->round_trips++;
	}
	if (rc == LDAP_SUCCESS && cp->gss && cred == &cp->cred) {
		/* the service's own bind (callers pass cp->cred for it) */
		what = "GSSAPI bind";
		rc = dir_gss_bind(ld);
		op->round_trips++;
	} else if (rc == LDAP_SUCCESS && dn != NULL) {
		struct berval *servercred = NULL;

		what = "bind";
		rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE,
		    (struct berval *)(uintptr_t)cred, NULL, NULL, &servercred);
		ber_bvfree(servercred);
		op->round_trips++;
	}
	op->latency_us += now_us() - t0;
	op->server = sv->uri;
	*rc_out = rc;
	if (rc == LDAP_SUCCESS)
		return ld;
	fail_ld(op, ld, sv->label, what, rc);
	op->server = sv->uri;
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return NULL;
}

/* Connect to the first live server among [0, end): failover in order. When
 * every candidate is marked dead and try_dead is set, try them all anyway
 * (better one more attempt than a certain failure). On failure op->error
 * lists each server's error. *bad_cred_out: a bind was refused for
 * invalid credentials (the caller decides whether that is final). */
static LDAP *
connect_range(struct dir_conn_pool *cp, struct dir_conn_servers *l,
    struct dir_op *op, size_t end, bool try_dead, const char *dn,
    const struct berval *cred, size_t *server_out, bool *bad_cred_out)
{
	struct buf *errs = buf_new(256, 4096);
	bool tried = false;

	*bad_cred_out = false;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < end; i++) {
			LDAP *ld;
			int rc;

			if (pass == 0 && is_dead(cp, l, i))
				continue;
			tried = true;
			ld = connect_one(cp, &l->v[i], op, dn, cred, &rc);
			if (ld != NULL) {
				mark_alive(cp, l, i);
				*server_out = i;
				buf_free(&errs);
				return ld;
			}
			(void)buf_printf(errs, "%s%s", errs->len > 0 ? "; " : "",
			    op->error);
			if (rc == LDAP_INVALID_CREDENTIALS) {
				/* the server answered: not dead, and the other
				 * servers hold the same directory */
				*bad_cred_out = true;
				break;
			}
			mark_dead(cp, l, i);
		}
		if (tried || !try_dead || *bad_cred_out)
			break;
	}
	if (!tried)
		op->error = pool_strdup(op->pool,
		    "no directory server to try (all marked dead)");
	else if (!*bad_cred_out)
		op->error = pool_printf(op->pool, "no directory server "
		    "answered: %s", buf_cstr(errs));
	buf_free(&errs);
	return NULL;
}

/* Do two server lists hold the same servers with the same priorities
 * (in any order)? Then a refresh keeps the old list, its order and its
 * connections: RFC 2782's random order within a priority is for spreading
 * clients, not for moving one client around at every refresh. */
static bool
servers_same(const struct dir_conn_servers *a,
    const struct dir_srv_server *b, size_t nb)
{
	if (a == NULL || a->n != nb)
		return false;
	for (size_t i = 0; i < nb; i++) {
		bool found = false;

		for (size_t j = 0; j < a->n && !found; j++)
			found = strcmp(a->v[j].uri, b[i].uri) == 0 &&
			    a->v[j].priority == b[i].priority;
		if (!found)
			return false;
	}
	return true;
}

/* Install a discovered list (pool lock held): a new list, unless it holds
 * the same servers; dead marks of servers in both are kept. */
static bool
servers_install_locked(struct dir_conn_pool *cp, struct dir_srv_server *v,
    size_t n)
{
	struct dir_conn_servers *l;

	if (servers_same(cp->list, v, n))
		return false;
	l = servers_new(n);
	for (size_t i = 0; i < n; i++) {
		servers_set(&l->v[i], v[i].uri, v[i].label, v[i].priority);
		for (size_t j = 0; cp->list != NULL && j < cp->list->n; j++)
			if (strcmp(cp->list->v[j].uri, v[i].uri) == 0)
				l->v[i].dead_until = cp->list->v[j].dead_until;
	}
	servers_unref_locked(&cp->list);
	cp->list = l;
	return true;
}

/*
 * SRV discovery: refresh the server list when it is missing, when its TTL
 * ran out or (after_failure) when every server failed, then with a fresh
 * resolver, so nothing cached hides servers that moved; that happens at
 * most once per retry_dead. A failed discovery keeps the old list (stale
 * servers beat none) and is repeated after retry_dead, at least a second
 * later.
 * *dns_err_out: the discovery's error, when one ran and failed, else
 * NULL. -1 with op->error when there is no list at all.
 */
static int
srv_refresh(struct dir_conn_pool *cp, struct dir_op *op, bool after_failure,
    const char **dns_err_out)
{
	struct dir_srv_server *v = NULL;
	const char *err = NULL;
	uint32_t ttl = 0;
	uint64_t now, keep;
	size_t n = 0;
	bool due;
	int rc = 0;

	*dns_err_out = NULL;
	pthread_mutex_lock(&cp->srv_lock);
	pthread_mutex_lock(&cp->lock);
	now = cp->clock(cp->clock_arg);
	if (cp->list != NULL && after_failure)
		due = now >= cp->srv_fail_after;
	else
		due = now >= cp->srv_expires;
	if (!due && cp->list == NULL) {
		op->error = pool_strdup(op->pool, cp->srv_error != NULL ?
		    cp->srv_error : "no directory server discovered yet");
		rc = -1;
	}
	pthread_mutex_unlock(&cp->lock);
	if (!due) {
		pthread_mutex_unlock(&cp->srv_lock);
		return rc;
	}
	if (dir_srv_discover(cp->srv, after_failure, DIR_CONN_URIS_MAX,
	    op->pool, &v, &n, &ttl, &err) == -1)
		*dns_err_out = err;
	pthread_mutex_lock(&cp->lock);
	now = cp->clock(cp->clock_arg);
	if (err == NULL) {
		keep = (uint64_t)ttl * 1000u;
		keep = keep < SRV_TTL_MIN_MS ? SRV_TTL_MIN_MS :
		    keep > SRV_TTL_MAX_MS ? SRV_TTL_MAX_MS : keep;
		(void)servers_install_locked(cp, v, n);
		cp->srv_expires = now + keep;
		cp->srv_fail_after = now + cp->retry_dead_ms;
		free(cp->srv_error);
		cp->srv_error = NULL;
	} else {
		keep = cp->retry_dead_ms < SRV_TTL_MIN_MS ? SRV_TTL_MIN_MS :
		    cp->retry_dead_ms;
		cp->srv_expires = now + keep;
		cp->srv_fail_after = now + keep;
		free(cp->srv_error);
		cp->srv_error = xstrdup(err);
		if (cp->list == NULL) {
			op->error = err;
			rc = -1;
		}
	}
	pthread_mutex_unlock(&cp->lock);
	pthread_mutex_unlock(&cp->srv_lock);
	dir_srv_servers_free(&v, n);
	return rc;
}

/*
 * Connect to the first live server of *lp (a reference the caller owns).
 * With SRV discovery, when every server failed, ask DNS again and, if the
 * servers changed, try the new list (*lp then refers to it). On failure
 * op->error holds the servers' errors and any DNS error.
 */
static LDAP *
connect_any(struct dir_conn_pool *cp, struct dir_conn_servers **lp,
    struct dir_op *op, const char *dn, const struct berval *cred,
    size_t *server_out, bool *bad_cred_out)
{
	const char *ldap_err, *dns_err = NULL;
	struct dir_conn_servers *l;
	LDAP *ld;

	ld = connect_range(cp, *lp, op, (*lp)->n, true, dn, cred, server_out,
	    bad_cred_out);
	if (ld != NULL || cp->srv == NULL || *bad_cred_out)
		return ld;
	ldap_err = op->error;
	(void)srv_refresh(cp, op, true, &dns_err);
	l = servers_current(cp);
	if (l != NULL && l != *lp) {
		servers_unref(cp, lp);
		*lp = l;
		ld = connect_range(cp, *lp, op, (*lp)->n, true, dn, cred,
		    server_out, bad_cred_out);
		if (ld != NULL)
			return ld;
		ldap_err = op->error;
	} else {
		servers_unref(cp, &l);
	}
	if (dns_err != NULL)
		op->error = pool_printf(op->pool, "%s; and asking DNS again "
		    "failed: %s", ldap_err, dns_err);
	else
		op->error = ldap_err;
	return NULL;
}

/* (Re)connect c as the service account. 0 or -1 with op->error. */
static int
conn_open(struct dir_conn_pool *cp, struct dir_conn *c, struct dir_op *op)
{
	bool bad_cred;
	size_t server = 0;

	conn_close(c);
	c->ld = connect_any(cp, &c->list, op, cp->bind_dn, &cp->cred, &server,
	    &bad_cred);
	if (c->ld == NULL)
		return -1;
	c->server = server;
	return 0;
}

/* A connection on a fallback server goes back to a preferred server once
 * that server's dead mark has expired and it answers; if it does not, the
 * working connection is kept. */
static void
conn_prefer(struct dir_conn_pool *cp, struct dir_conn *c, struct dir_op *op)
{
	bool candidate = false, bad_cred;
	size_t server = 0;
	struct dir_op tmp = { .pool = op->pool };
	LDAP *ld;

	if (c->ld == NULL || c->server == 0)
		return;
	for (size_t i = 0; i < c->server && !candidate; i++)
		candidate = !is_dead(cp, c->list, i);
	if (!candidate)
		return;
	ld = connect_range(cp, c->list, &tmp, c->server, false, cp->bind_dn,
	    &cp->cred, &server, &bad_cred);
	op->round_trips += tmp.round_trips;
	op->latency_us += tmp.latency_us;
	if (ld == NULL)
		return;
	conn_close(c);
	c->ld = ld;
	c->server = server;
}

/* Make c use the current server list: with discovery, refresh it first;
 * a connection made from an older list is closed. 0, or -1 with
 * op->error when there is no list. */
static int
conn_current(struct dir_conn_pool *cp, struct dir_conn *c, struct dir_op *op)
{
	struct dir_conn_servers *old = NULL;
	const char *dns_err;

	if (cp->srv != NULL && srv_refresh(cp, op, false, &dns_err) == -1)
		return -1;
	pthread_mutex_lock(&cp->lock);
	if (c->list != cp->list) {
		old = c->list;
		c->list = cp->list;
		c->list->refs++;
	}
	pthread_mutex_unlock(&cp->lock);
	if (old != NULL) {
		conn_close(c);
		servers_unref(cp, &old);
	}
	return 0;
}

struct dir_conn *
dir_conn_borrow(struct dir_conn_pool *cp, struct dir_op *op)
{
	struct timespec deadline;
	struct dir_conn *c = NULL;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)(cp->op_timeout_ms / 1000);
	deadline.tv_nsec += (long)(cp->op_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&cp->lock);
	for (;;) {
		for (size_t i = 0; i < cp->n_conns && c == NULL; i++)
			if (!cp->conns[i].in_use)
				c = &cp->conns[i];
		if (c != NULL)
			break;
		if (pthread_cond_timedwait(&cp->freed, &cp->lock,
		    &deadline) == ETIMEDOUT)
			break;
	}
	if (c != NULL)
		c->in_use = true;
	pthread_mutex_unlock(&cp->lock);
	if (c == NULL) {
		op->error = pool_printf(op->pool, "no free directory "
		    "connection within %llu ms (all %zu busy)",
		    (unsigned long long)cp->op_timeout_ms, cp->n_conns);
		return NULL;
	}
	if (conn_current(cp, c, op) == -1) {
		dir_conn_return(cp, &c);
		return NULL;
	}
	conn_prefer(cp, c, op);
	return c;
}

void
dir_conn_return(struct dir_conn_pool *cp, struct dir_conn **cpp)
{
	if (cpp == NULL || *cpp == NULL)
		return;
	pthread_mutex_lock(&cp->lock);
	(*cpp)->in_use = false;
	pthread_cond_signal(&cp->freed);
	pthread_mutex_unlock(&cp->lock);
	*cpp = NULL;
}

/* Errors after which the connection is not usable: the server went away,
 * hangs past the timeout, or says it is going away. */
static bool
rc_conn_lost(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	    rc == LDAP_TIMEOUT || rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

int
dir_conn_search(struct dir_conn_pool *cp, struct dir_conn *c,
    struct dir_op *op, const char *base, int scope, const char *filter,
    char **attrs, int sizelimit, unsigned flags, LDAPMessage **res_out,
    int *ldap_rc_out)
{
	struct timeval tv = ms_tv(cp->op_timeout_ms);
	const char *what = NULL, *label;

	*res_out = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		LDAPMessage *res = NULL;
		uint64_t t0;
		int rc, err = LDAP_SUCCESS;
		char *diag = NULL;

		if (c->ld == NULL && conn_open(cp, c, op) == -1)
			return -1;
		label = c->list->v[c->server].label;
		op->server = c->list->v[c->server].uri;
		t0 = now_us();
		rc = ldap_search_ext_s(c->ld, base, scope, filter, attrs, 0, NULL,
		    NULL, &tv, sizelimit, &res);
		op->latency_us += now_us() - t0;
		op->round_trips++;
		if (what == NULL)
			what = pool_printf(op->pool, "search base=\"%s\" "
			    "filter=%s", base, filter);
		if (rc_conn_lost(rc)) {
			fail_ld(op, c->ld, label, what, rc);
			op->server = c->list->v[c->server].uri;
			ldap_msgfree(res);
			mark_dead(cp, c->list, c->server);
			conn_close(c);
			continue;	/* reconnect once, maybe elsewhere */
		}
		/* the result message carries the server's code and text */
		if (res != NULL && ldap_parse_result(c->ld, res, &err, NULL,
		    &diag, NULL, NULL, 0) == LDAP_SUCCESS && err != LDAP_SUCCESS)
			rc = err;
		if (rc == LDAP_SUCCESS ||
		    (rc == LDAP_SIZELIMIT_EXCEEDED &&
		    (flags & DIR_CONN_SIZELIMIT_OK)) ||
		    (rc == LDAP_NO_SUCH_OBJECT &&
		    (flags & DIR_CONN_NOSUCHOBJECT_OK))) {
			ldap_memfree(diag);
			if (rc == LDAP_NO_SUCH_OBJECT) {
				ldap_msgfree(res);
				res = NULL;
			}
			*res_out = res;
			*ldap_rc_out = rc;
			return 0;
		}
		dir_op_fail(op, label, what, rc, diag);
		op->server = c->list->v[c->server].uri;
		ldap_memfree(diag);
		ldap_msgfree(res);
		return -1;
	}
	return -1;
}

int
dir_conn_user_bind(struct dir_conn_pool *cp, struct dir_op *op,
    const char *dn, const char *password, size_t password_len)
{
	struct berval cred = { .bv_len = password_len,
		.bv_val = (char *)(uintptr_t)password };
	struct dir_conn_servers *l;
	const char *dns_err;
	bool bad_cred;
	size_t server = 0;
	LDAP *ld;

	if (password_len == 0) {
		op->error = "empty password refused (it would bind anonymously)";
		return -1;
	}
	if (cp->srv != NULL && srv_refresh(cp, op, false, &dns_err) == -1)
		return -1;
	l = servers_current(cp);
	ld = connect_any(cp, &l, op, dn, &cred, &server, &bad_cred);
	servers_unref(cp, &l);
	if (ld != NULL) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return 1;
	}
	return bad_cred ? 0 : -1;
}
