/*
 * directory/dir_conn.c - libtdir's pool of LDAP connections.
 *
 * Runs in the lookup process (tessera-dir), which holds the service bind
 * password; directory servers are trusted for their answers but not for
 * staying up, so every call has a timeout and every failure says which
 * server and which operation. The dead-server marks are shared by all
 * connections under the pool mutex; connecting and searching happen
 * outside it on a connection the thread has borrowed.
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
#include "lib/banned.h"

struct server {
	char *uri;
	bool ldaps;
	uint64_t dead_until;		/* clock ms; 0: alive */
};

struct dir_conn_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct server *servers;
	size_t n_servers;
	struct dir_conn *conns;
	size_t n_conns;
	bool starttls, tls_verify;
	char *ca_file;
	char *bind_dn;
	struct berval cred;		/* secret, wiped on free */
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

	pthread_once(&ldap_once, ldap_global_init);
	while (s->uris != NULL && s->uris[n] != NULL)
		n++;
	if (n == 0) {
		*err_out = "no directory URI configured";
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
	cp = xmalloc(sizeof(*cp));
	pthread_mutex_init(&cp->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&cp->freed, &ca);
		pthread_condattr_destroy(&ca);
	}
	cp->servers = xcalloc(n, sizeof(*cp->servers));
	cp->n_servers = n;
	for (size_t i = 0; i < n; i++) {
		cp->servers[i].uri = xstrdup(s->uris[i]);
		cp->servers[i].ldaps = str_prefix_ci(s->uris[i], "ldaps:");
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
	for (size_t i = 0; i < cp->n_conns; i++)
		conn_close(&cp->conns[i]);
	for (size_t i = 0; i < cp->n_servers; i++)
		free(cp->servers[i].uri);
	if (cp->cred.bv_val != NULL) {
		mem_wipe(cp->cred.bv_val, cp->cred.bv_len);
		free(cp->cred.bv_val);
	}
	free(cp->servers);
	free(cp->conns);
	free(cp->ca_file);
	free(cp->bind_dn);
	pthread_cond_destroy(&cp->freed);
	pthread_mutex_destroy(&cp->lock);
	free(cp);
	*cpp = NULL;
}

static void
mark_dead(struct dir_conn_pool *cp, size_t i)
{
	pthread_mutex_lock(&cp->lock);
	cp->servers[i].dead_until = cp->clock(cp->clock_arg) + cp->retry_dead_ms;
	if (cp->servers[i].dead_until == 0)
		cp->servers[i].dead_until = 1;
	pthread_mutex_unlock(&cp->lock);
}

static void
mark_alive(struct dir_conn_pool *cp, size_t i)
{
	pthread_mutex_lock(&cp->lock);
	cp->servers[i].dead_until = 0;
	pthread_mutex_unlock(&cp->lock);
}

static bool
is_dead(struct dir_conn_pool *cp, size_t i)
{
	bool dead;

	pthread_mutex_lock(&cp->lock);
	dead = cp->servers[i].dead_until != 0 &&
	    cp->clock(cp->clock_arg) < cp->servers[i].dead_until;
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
connect_one(struct dir_conn_pool *cp, size_t i, struct dir_op *op,
    const char *dn, const struct berval *cred, int *rc_out)
{
	const struct server *sv = &cp->servers[i];
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
	if (rc == LDAP_SUCCESS && dn != NULL) {
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
	fail_ld(op, ld, sv->uri, what, rc);
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
connect_range(struct dir_conn_pool *cp, struct dir_op *op, size_t end,
    bool try_dead, const char *dn, const struct berval *cred,
    size_t *server_out, bool *bad_cred_out)
{
	struct buf *errs = buf_new(256, 4096);
	bool tried = false;

	*bad_cred_out = false;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < end; i++) {
			LDAP *ld;
			int rc;

			if (pass == 0 && is_dead(cp, i))
				continue;
			tried = true;
			ld = connect_one(cp, i, op, dn, cred, &rc);
			if (ld != NULL) {
				mark_alive(cp, i);
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
			mark_dead(cp, i);
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

/* (Re)connect c as the service account. 0 or -1 with op->error. */
static int
conn_open(struct dir_conn_pool *cp, struct dir_conn *c, struct dir_op *op)
{
	bool bad_cred;
	size_t server = 0;

	conn_close(c);
	c->ld = connect_range(cp, op, cp->n_servers, true, cp->bind_dn,
	    &cp->cred, &server, &bad_cred);
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
		candidate = !is_dead(cp, i);
	if (!candidate)
		return;
	ld = connect_range(cp, &tmp, c->server, false, cp->bind_dn, &cp->cred,
	    &server, &bad_cred);
	op->round_trips += tmp.round_trips;
	op->latency_us += tmp.latency_us;
	if (ld == NULL)
		return;
	conn_close(c);
	c->ld = ld;
	c->server = server;
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
	const char *what = NULL;

	*res_out = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		LDAPMessage *res = NULL;
		uint64_t t0;
		int rc, err = LDAP_SUCCESS;
		char *diag = NULL;

		if (c->ld == NULL && conn_open(cp, c, op) == -1)
			return -1;
		op->server = cp->servers[c->server].uri;
		t0 = now_us();
		rc = ldap_search_ext_s(c->ld, base, scope, filter, attrs, 0, NULL,
		    NULL, &tv, sizelimit, &res);
		op->latency_us += now_us() - t0;
		op->round_trips++;
		if (what == NULL)
			what = pool_printf(op->pool, "search base=\"%s\" "
			    "filter=%s", base, filter);
		if (rc_conn_lost(rc)) {
			fail_ld(op, c->ld, op->server, what, rc);
			ldap_msgfree(res);
			mark_dead(cp, c->server);
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
		dir_op_fail(op, op->server, what, rc, diag);
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
	bool bad_cred;
	size_t server = 0;
	LDAP *ld;

	if (password_len == 0) {
		op->error = "empty password refused (it would bind anonymously)";
		return -1;
	}
	ld = connect_range(cp, op, cp->n_servers, true, dn, &cred, &server,
	    &bad_cred);
	if (ld != NULL) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return 1;
	}
	return bad_cred ? 0 : -1;
}
