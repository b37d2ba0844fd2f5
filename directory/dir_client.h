/*
 * directory/dir_client.h - what session processes use to ask the lookup
 * process (dir_lookupd.h) about the directory: the calls of dir.h, over a
 * unix socket, without any directory credential in the session.
 *
 * Same tri-state results as dir.h. The connection is made at the first
 * call and kept; if the lookup process restarted meanwhile, the request is
 * sent once more on a new connection, transparently. A lookup process
 * that cannot be reached, does not answer in time or answers garbage is
 * DIR_TEMPFAIL (DIR_AUTH_TEMPFAIL) with info->error saying so ("lookup
 * process unreachable: ..."), never NOTFOUND. Calls on one client are
 * serialised by a mutex, so threads may share one.
 */
#ifndef DIRECTORY_DIR_CLIENT_H
#define DIRECTORY_DIR_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "directory/dir.h"
#include "directory/dir_proto.h"

struct cfg;
struct pool;

struct dir_client_settings {
	const char *socket_path;
	uint64_t timeout_ms;		/* whole request: send and answer */
	struct dir_proto_limits limits;	/* of answers */
};

/* Fill s from [lookup] (socket of daemon as dir_lookup_config_socket,
 * query_timeout, answer limits); the path is allocated in pool. */
void dir_client_config_settings(const struct cfg *c, const char *daemon,
    struct pool *pool, struct dir_client_settings *s);

struct dir_client;

/* A client (no connection yet; s is copied). Never NULL. */
struct dir_client *dir_client_new(const struct dir_client_settings *s);
/* Close the connection, free *cp (NULL-safe). */
void dir_client_free(struct dir_client **cp);

/* As dir_lookup_address, dir_lookup_login and so on in dir.h: results and
 * info strings are allocated in pool; info may be NULL. Input a lookup
 * would refuse for its length (DIR_ADDRESS_MAX, DIR_LOGIN_MAX,
 * DIR_DOMAIN_MAX, DIR_PROTO_DN_MAX) is NOTFOUND without a request, a
 * password over DIR_PROTO_PASSWORD_MAX bytes is BADPASS. */
enum dir_result dir_client_lookup_address(struct dir_client *c,
    const char *address, struct pool *pool, struct dir_entry **out,
    struct dir_info *info);
enum dir_result dir_client_lookup_login(struct dir_client *c,
    const char *login, struct pool *pool, struct dir_entry **out,
    struct dir_info *info);
/* As dir_lookup_principal (never cached, in the lookup process either). */
enum dir_result dir_client_lookup_principal(struct dir_client *c,
    const char *principal, struct pool *pool, struct dir_entry **out,
    struct dir_info *info);
enum dir_result dir_client_group_members(struct dir_client *c,
    const struct dir_entry *group, struct pool *pool,
    struct dir_entry ***members_out, size_t *n_out, struct dir_info *info);
enum dir_result dir_client_group_has_member(struct dir_client *c,
    const struct dir_entry *group, const char *address, struct pool *pool,
    struct dir_info *info);
enum dir_result dir_client_domain_accepted(struct dir_client *c,
    const char *domain, struct pool *pool, struct dir_info *info);
enum dir_result dir_client_domains(struct dir_client *c, struct pool *pool,
    char ***domains_out, size_t *n_out, struct dir_info *info);
/* The password is copied only into the request, which is wiped when
 * freed. */
enum dir_auth dir_client_check_password(struct dir_client *c,
    const char *login, const char *password, size_t password_len,
    struct pool *pool, struct dir_entry **user_out, struct dir_info *info);
/* The lookup process's counters. DIR_FOUND with *out filled, or
 * DIR_TEMPFAIL. */
enum dir_result dir_client_stats(struct dir_client *c, struct pool *pool,
    struct dir_stats *out, struct dir_info *info);
/* Empty the lookup process's cache. DIR_FOUND or DIR_TEMPFAIL. */
enum dir_result dir_client_cache_flush(struct dir_client *c, struct pool *pool,
    struct dir_info *info);

#endif
