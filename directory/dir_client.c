/*
 * directory/dir_client.c - session processes' side of the lookup protocol:
 * connect lazily, send one request, read one answer, copy it into the
 * caller's pool.
 *
 * Runs in session processes (and the qmgr), which hold no directory
 * credential. The lookup process is trusted no more than any peer: its
 * answers are length-capped, read against a deadline and decoded strictly.
 * Whatever goes wrong on the way is a temporary failure, never "no such
 * user", so an outage of the lookup process defers mail instead of
 * bouncing it.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ipc.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "directory/dir_client.h"
#include "directory/dir_lookupd.h"
#include "lib/banned.h"

struct dir_client {
	struct dir_client_settings s;
	char *path;
	int fd;				/* -1: not connected */
	pthread_mutex_t mu;		/* one request at a time */
};

void
dir_client_config_settings(const struct cfg *c, const char *daemon,
    struct pool *pool, struct dir_client_settings *s)
{
	const struct dir_lookup_config *lc = cfg_get(c, "lookup");

	memset(s, 0, sizeof(*s));
	s->socket_path = dir_lookup_config_socket(c, daemon, pool);
	s->timeout_ms = lc->query_timeout;
	s->limits.string_max = (size_t)lc->string_max;
	s->limits.list_max = (size_t)lc->list_max;
	s->limits.answer_max = (size_t)lc->answer_max;
}

struct dir_client *
dir_client_new(const struct dir_client_settings *s)
{
	struct dir_client *c = xcalloc(1, sizeof(*c));

	c->s = *s;
	c->path = xstrdup(s->socket_path);
	c->s.socket_path = c->path;
	c->fd = -1;
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

static void
disconnect(struct dir_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

void
dir_client_free(struct dir_client **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	disconnect(*cp);
	pthread_mutex_destroy(&(*cp)->mu);
	free((*cp)->path);
	free(*cp);
	*cp = NULL;
}

/* 0, or -1 with *err_out (in pool). A full backlog (EAGAIN) counts as
 * unreachable: waiting here would hold up the session's client. */
static int
connect_socket(struct dir_client *c, struct pool *pool, const char **err_out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (str_copy(sun.sun_path, sizeof(sun.sun_path), c->path) == -1) {
		*err_out = pool_printf(pool, "lookup process unreachable: "
		    "socket path %s too long", c->path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == -1) {
		*err_out = pool_printf(pool, "lookup process unreachable: "
		    "connect %s: %s", c->path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	c->fd = fd;
	return 0;
}

/* One attempt on the current (or a new) connection. 0 done, -1 failed
 * for good, 1 failed in a way a restarted lookup process explains (the
 * kept connection was closed under us): worth one more try. */
static int
attempt(struct dir_client *c, const struct ipc_msg *m,
    enum dir_proto_type type, struct pool *pool, struct dir_proto_answer *a,
    const char **err_out)
{
	bool fresh = c->fd == -1;
	int timeout = c->s.timeout_ms > INT32_MAX ? INT32_MAX :
	    (int)c->s.timeout_ms;
	struct ipc_in in;
	const char *err;
	bool timed_out;
	int r;

	if (fresh && connect_socket(c, pool, err_out) == -1)
		return -1;
	memset(&in, 0, sizeof(in));
	if (ipc_send(c->fd, m, timeout, &err) == -1) {
		*err_out = pool_printf(pool, "lookup process unreachable: "
		    "sending to %s: %s", c->path, err);
		disconnect(c);
		return fresh ? -1 : 1;
	}
	r = ipc_recv(c->fd, c->s.limits.answer_max, timeout, &in);
	if (r == 1 && dir_proto_answer_decode(&in, type, &c->s.limits, pool,
	    a, &err) == 0) {
		ipc_in_deinit(&in);
		return 0;
	}
	timed_out = r == -1 && strcmp(in.err, "timeout") == 0;
	if (r == 1)
		*err_out = pool_printf(pool, "bad answer from the lookup "
		    "process: %s", err);
	else if (r == 0)
		*err_out = pool_printf(pool, "lookup process unreachable: %s "
		    "closed the connection", c->path);
	else if (timed_out)
		*err_out = pool_printf(pool, "lookup process did not answer "
		    "within %d ms (%s)", timeout, c->path);
	else
		*err_out = pool_printf(pool, "lookup process unreachable: %s: "
		    "%s", c->path, in.err);
	ipc_in_deinit(&in);
	disconnect(c);
	/* a timeout or garbage is no restart: asking again would only
	 * double the wait or the damage */
	return !fresh && r != 1 && !timed_out ? 1 : -1;
}

/* Send m (freed here) and decode the answer into a. 0, or -1 with a
 * TEMPFAIL answer made up in a carrying the reason. */
static int
call(struct dir_client *c, struct ipc_msg *m, enum dir_proto_type type,
    struct pool *pool, struct dir_proto_answer *a)
{
	const char *err = NULL;
	int r;

	pthread_mutex_lock(&c->mu);
	r = attempt(c, m, type, pool, a, &err);
	if (r == 1)
		r = attempt(c, m, type, pool, a, &err);
	pthread_mutex_unlock(&c->mu);
	ipc_msg_free(&m);
	if (r == 0)
		return 0;
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->result = type == DIR_PROTO_CHECK_PASSWORD ? DIR_AUTH_TEMPFAIL :
	    DIR_TEMPFAIL;
	a->info.error = err;
	return -1;
}

static void
set_info(struct dir_info *info, const struct dir_proto_answer *a)
{
	if (info != NULL)
		*info = a->info;
}

static void
clear_info(struct dir_info *info)
{
	if (info != NULL)
		memset(info, 0, sizeof(*info));
}

/* A request with one string argument, answered by a result (and maybe an
 * entry). */
static enum dir_result
simple(struct dir_client *c, enum dir_proto_type type, const char *arg,
    const char *arg2, struct pool *pool, struct dir_proto_answer *a,
    struct dir_info *info)
{
	struct dir_proto_request r = { .type = type, .arg = arg, .arg2 = arg2 };
	struct ipc_msg *m = dir_proto_request_encode(&r);

	clear_info(info);
	memset(a, 0, sizeof(*a));
	if (m == NULL)	/* over its length bound, as dir.h refuses it */
		return DIR_NOTFOUND;
	call(c, m, type, pool, a);
	set_info(info, a);
	return (enum dir_result)a->result;
}

/* An entry with the answer when, and only when, it is FOUND. */
static enum dir_result
with_entry(struct dir_client *c, enum dir_proto_type type, const char *arg,
    struct pool *pool, struct dir_entry **out, struct dir_info *info)
{
	struct dir_proto_answer a;
	enum dir_result r;

	*out = NULL;
	if (arg == NULL)
		return DIR_NOTFOUND;
	r = simple(c, type, arg, NULL, pool, &a, info);
	if ((r == DIR_FOUND) != (a.entry != NULL)) {
		if (info != NULL)
			info->error = "bad answer from the lookup process: "
			    "entry and result disagree";
		return DIR_TEMPFAIL;
	}
	*out = a.entry;
	return r;
}

enum dir_result
dir_client_lookup_address(struct dir_client *c, const char *address,
    struct pool *pool, struct dir_entry **out, struct dir_info *info)
{
	return with_entry(c, DIR_PROTO_LOOKUP_ADDRESS, address, pool, out,
	    info);
}

enum dir_result
dir_client_lookup_login(struct dir_client *c, const char *login,
    struct pool *pool, struct dir_entry **out, struct dir_info *info)
{
	return with_entry(c, DIR_PROTO_LOOKUP_LOGIN, login, pool, out, info);
}

enum dir_result
dir_client_lookup_principal(struct dir_client *c, const char *principal,
    struct pool *pool, struct dir_entry **out, struct dir_info *info)
{
	return with_entry(c, DIR_PROTO_LOOKUP_PRINCIPAL, principal, pool, out,
	    info);
}

enum dir_result
dir_client_group_members(struct dir_client *c, const struct dir_entry *group,
    struct pool *pool, struct dir_entry ***members_out, size_t *n_out,
    struct dir_info *info)
{
	struct dir_proto_answer a;
	enum dir_result r;

	*members_out = NULL;
	*n_out = 0;
	if (group == NULL || group->kind != DIR_KIND_GROUP || group->dn == NULL)
		return DIR_NOTFOUND;
	r = simple(c, DIR_PROTO_GROUP_MEMBERS, group->dn, NULL, pool, &a,
	    info);
	*members_out = a.members;
	*n_out = a.n_members;
	return r;
}

enum dir_result
dir_client_group_has_member(struct dir_client *c,
    const struct dir_entry *group, const char *address, struct pool *pool,
    struct dir_info *info)
{
	struct dir_proto_answer a;

	if (group == NULL || group->kind != DIR_KIND_GROUP ||
	    group->dn == NULL || address == NULL)
		return DIR_NOTFOUND;
	return simple(c, DIR_PROTO_GROUP_HAS_MEMBER, group->dn, address, pool,
	    &a, info);
}

enum dir_result
dir_client_domain_accepted(struct dir_client *c, const char *domain,
    struct pool *pool, struct dir_info *info)
{
	struct dir_proto_answer a;

	if (domain == NULL)
		return DIR_NOTFOUND;
	return simple(c, DIR_PROTO_DOMAIN_ACCEPTED, domain, NULL, pool, &a,
	    info);
}

enum dir_result
dir_client_domains(struct dir_client *c, struct pool *pool,
    char ***domains_out, size_t *n_out, struct dir_info *info)
{
	struct dir_proto_answer a;
	enum dir_result r = simple(c, DIR_PROTO_DOMAINS, NULL, NULL, pool, &a,
	    info);

	*domains_out = a.domains;
	*n_out = a.n_domains;
	return r;
}

enum dir_auth
dir_client_check_password(struct dir_client *c, const char *login,
    const char *password, size_t password_len, struct pool *pool,
    struct dir_entry **user_out, struct dir_info *info)
{
	struct dir_proto_request r = { .type = DIR_PROTO_CHECK_PASSWORD,
		.arg = login, .password = (const uint8_t *)password,
		.password_len = password_len };
	struct dir_proto_answer a;
	struct ipc_msg *m;

	clear_info(info);
	if (user_out != NULL)
		*user_out = NULL;
	if (login == NULL || strlen(login) > DIR_LOGIN_MAX)
		return DIR_AUTH_NOUSER;
	if (password_len > DIR_PROTO_PASSWORD_MAX)
		return DIR_AUTH_BADPASS;
	m = dir_proto_request_encode(&r);
	if (m == NULL)
		return DIR_AUTH_BADPASS;
	call(c, m, DIR_PROTO_CHECK_PASSWORD, pool, &a);
	set_info(info, &a);
	if (user_out != NULL)
		*user_out = a.entry;
	return (enum dir_auth)a.result;
}

enum dir_result
dir_client_stats(struct dir_client *c, struct pool *pool,
    struct dir_stats *out, struct dir_info *info)
{
	struct dir_proto_answer a;
	enum dir_result r = simple(c, DIR_PROTO_STATS, NULL, NULL, pool, &a,
	    info);

	*out = a.stats;
	return r;
}

enum dir_result
dir_client_cache_flush(struct dir_client *c, struct pool *pool,
    struct dir_info *info)
{
	struct dir_proto_answer a;

	return simple(c, DIR_PROTO_CACHE_FLUSH, NULL, NULL, pool, &a, info);
}
