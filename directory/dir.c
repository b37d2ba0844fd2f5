/*
 * directory/dir.c - libtdir's life cycle, settings defaults, statistics and
 * the small helpers every lookup uses.
 *
 * Runs in the lookup process, which holds the bind secret: the password
 * file is read here once, copied into the connection pool and wiped from
 * every temporary buffer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "directory/dir_escape.h"
#include "directory/dir_int.h"
#include "lib/banned.h"

void
dir_settings_defaults(struct dir_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->starttls = true;
	s->tls_verify = true;
	s->connect_timeout_ms = 5000;
	s->op_timeout_ms = 5000;
	s->retry_dead_ms = 30000;
	s->profile = DIR_PROFILE_OPENLDAP;
	s->pool_size = 4;
	s->cache_positive_ttl_ms = 60000;
	s->cache_negative_ttl_ms = 10000;
	s->cache_max_entries = 10000;
	s->group_max_depth = 8;
	s->group_max_members = 10000;
	s->result_size_limit = 1000;
}

/* Read the bind password: the whole file minus one trailing newline (LF
 * or CRLF). 0 with *pw_out (xmalloc, caller wipes) or -1 with *err_out. */
static int
read_password(const char *path, char **pw_out, size_t *len_out,
    struct pool *err_pool, const char **err_out)
{
	char buf[DIR_CONN_PASSWORD_MAX + 2];
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		*err_out = pool_printf(err_pool, "bind_password_file %s: %s",
		    path, strerror(errno));
		return -1;
	}
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*err_out = pool_printf(err_pool,
			    "bind_password_file %s: %s", path, strerror(errno));
			close(fd);
			mem_wipe(buf, sizeof(buf));
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > DIR_CONN_PASSWORD_MAX)
		*err_out = pool_printf(err_pool, "bind_password_file %s: longer "
		    "than %d bytes", path, DIR_CONN_PASSWORD_MAX);
	else if (len == 0)
		*err_out = pool_printf(err_pool, "bind_password_file %s is "
		    "empty (an empty simple bind would be anonymous)", path);
	if (len == 0 || len > DIR_CONN_PASSWORD_MAX) {
		mem_wipe(buf, sizeof(buf));
		return -1;
	}
	*pw_out = xmemdup(buf, len);
	*len_out = len;
	mem_wipe(buf, sizeof(buf));
	return 0;
}

static char *
dup_or(const char *s, const char *fallback)
{
	return xstrdup(s != NULL && *s != '\0' ? s : fallback);
}

/* A copy of the configured accepted domains; none: d keeps NULL and asks
 * the directory. */
static void
accepted_domains_copy(struct dir *d, const char *const *list)
{
	size_t n = 0;

	d->accepted_domains = NULL;
	d->n_accepted_domains = 0;
	while (list != NULL && list[n] != NULL)
		n++;
	if (n == 0)
		return;
	d->accepted_domains = xcalloc(n + 1, sizeof(*d->accepted_domains));
	for (size_t i = 0; i < n; i++)
		d->accepted_domains[i] = xstrdup(list[i]);
	d->n_accepted_domains = n;
}

struct dir *
dir_new(const struct dir_settings *s, struct pool *err_pool,
    const char **err_out)
{
	struct dir *d;
	struct dir_profile *prof;
	struct dir_conn_pool *conns;
	char *pw = NULL;
	size_t pwlen = 0;

	if (s->base_dn == NULL || *s->base_dn == '\0') {
		*err_out = "base_dn is not set";
		return NULL;
	}
	if (s->bind_method == DIR_BIND_GSSAPI) {
		if (s->bind_keytab == NULL) {
			*err_out = "GSSAPI bind without bind_keytab";
			return NULL;
		}
		if (s->bind_dn != NULL || s->bind_password_file != NULL) {
			*err_out = "GSSAPI bind takes no bind_dn or "
			    "bind_password_file";
			return NULL;
		}
	}
	if (s->bind_dn != NULL && s->bind_password_file == NULL) {
		*err_out = "bind_dn is set without bind_password_file";
		return NULL;
	}
	prof = dir_profile_new(s->profile, s->overrides, err_pool, err_out);
	if (prof == NULL)
		return NULL;
	if (s->bind_password_file != NULL && read_password(
	    s->bind_password_file, &pw, &pwlen, err_pool, err_out) == -1) {
		dir_profile_free(&prof);
		return NULL;
	}
	conns = dir_conn_pool_new(s, pw, pwlen, NULL, NULL, err_pool, err_out);
	if (pw != NULL) {
		mem_wipe(pw, pwlen);
		free(pw);
	}
	if (conns == NULL) {
		dir_profile_free(&prof);
		return NULL;
	}
	d = xmalloc(sizeof(*d));
	d->prof = prof;
	d->conns = conns;
	d->cache = dir_cache_new(s->cache_max_entries, s->cache_positive_ttl_ms,
	    s->cache_negative_ttl_ms, NULL, NULL);
	d->base_dn = xstrdup(s->base_dn);
	d->user_base_dn = dup_or(s->user_base_dn, s->base_dn);
	d->group_base_dn = dup_or(s->group_base_dn, s->base_dn);
	d->domain_base_dn = dup_or(s->domain_base_dn, s->base_dn);
	d->group_max_depth = s->group_max_depth;
	d->group_max_members = s->group_max_members;
	d->result_size_limit = s->result_size_limit;
	accepted_domains_copy(d, s->accepted_domains);
	pthread_mutex_init(&d->stats_lock, NULL);
	return d;
}

void
dir_free(struct dir **dp)
{
	struct dir *d;

	if (dp == NULL || *dp == NULL)
		return;
	d = *dp;
	dir_conn_pool_free(&d->conns);
	dir_cache_free(&d->cache);
	dir_profile_free(&d->prof);
	free(d->base_dn);
	free(d->user_base_dn);
	free(d->group_base_dn);
	free(d->domain_base_dn);
	for (size_t i = 0; i < d->n_accepted_domains; i++)
		free(d->accepted_domains[i]);
	free(d->accepted_domains);
	pthread_mutex_destroy(&d->stats_lock);
	free(d);
	*dp = NULL;
}

void
dir_op_begin(struct dir_op *op, struct pool *pool)
{
	memset(op, 0, sizeof(*op));
	op->pool = pool;
}

enum dir_result
dir_op_end(struct dir *d, struct dir_op *op, struct dir_info *info,
    enum dir_result r, bool cached)
{
	pthread_mutex_lock(&d->stats_lock);
	d->round_trips += op->round_trips;
	d->latency_us_total += op->latency_us;
	if (r == DIR_TEMPFAIL)
		d->tempfails++;
	pthread_mutex_unlock(&d->stats_lock);
	if (info != NULL) {
		info->server = op->server;
		info->cached = cached;
		info->round_trips = op->round_trips;
		info->latency_us = op->latency_us;
		info->error = r == DIR_TEMPFAIL ? (op->error != NULL ?
		    op->error : "directory error") : NULL;
	}
	return r;
}

bool
dir_input_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

int
dir_filter_build(const char *template, const char *value, struct buf *out,
    struct dir_op *op)
{
	const char *err = NULL;

	if (dir_expand(template, value, DIR_ESCAPE_FILTER, out, &err) == -1) {
		op->error = pool_printf(op->pool, "filter %s: %s", template,
		    err);
		return -1;
	}
	return 0;
}

void
dir_stats(struct dir *d, struct dir_stats *out)
{
	struct dir_cache_stats cs;

	dir_cache_stats(d->cache, &cs);
	memset(out, 0, sizeof(*out));
	out->cache_hits = cs.hits;
	out->cache_misses = cs.misses;
	out->cache_entries = cs.entries;
	pthread_mutex_lock(&d->stats_lock);
	out->round_trips = d->round_trips;
	out->latency_us_total = d->latency_us_total;
	out->tempfails = d->tempfails;
	pthread_mutex_unlock(&d->stats_lock);
}

void
dir_cache_flush(struct dir *d)
{
	dir_cache_clear(d->cache);
}

const char *
dir_result_name(enum dir_result r)
{
	switch (r) {
	case DIR_FOUND:
		return "found";
	case DIR_NOTFOUND:
		return "notfound";
	case DIR_TEMPFAIL:
		return "tempfail";
	}
	return "?";
}

const char *
dir_kind_name(enum dir_kind k)
{
	switch (k) {
	case DIR_KIND_USER:
		return "user";
	case DIR_KIND_ALIAS:
		return "alias";
	case DIR_KIND_GROUP:
		return "group";
	case DIR_KIND_CONTACT:
		return "contact";
	}
	return "?";
}

const char *
dir_state_name(enum dir_state s)
{
	switch (s) {
	case DIR_STATE_ACTIVE:
		return "active";
	case DIR_STATE_DISABLED:
		return "disabled";
	case DIR_STATE_RECEIVE_ONLY:
		return "receive-only";
	}
	return "?";
}

const char *
dir_sender_policy_name(enum dir_sender_policy p)
{
	switch (p) {
	case DIR_SENDERS_ANYONE:
		return "anyone";
	case DIR_SENDERS_INTERNAL:
		return "internal";
	case DIR_SENDERS_MEMBERS:
		return "members";
	case DIR_SENDERS_LISTED:
		return "listed";
	}
	return "?";
}

const char *
dir_auth_name(enum dir_auth a)
{
	switch (a) {
	case DIR_AUTH_OK:
		return "ok";
	case DIR_AUTH_BADPASS:
		return "badpass";
	case DIR_AUTH_NOUSER:
		return "nouser";
	case DIR_AUTH_DISABLED:
		return "disabled";
	case DIR_AUTH_RECEIVE_ONLY:
		return "receive-only";
	case DIR_AUTH_TEMPFAIL:
		return "tempfail";
	}
	return "?";
}
