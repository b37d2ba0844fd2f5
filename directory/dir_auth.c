/*
 * directory/dir_auth.c - password checks by binding as the user.
 *
 * Runs in the lookup process. The password comes from a client (IMAP
 * LOGIN, SMTP AUTH) and is never logged, cached or compared here: the
 * directory server checks it when we bind as the user's DN on a
 * connection of its own, so the service account never reads hashes and
 * a pooled connection never changes identity. An empty password is
 * refused before any bind, because an empty simple bind is an anonymous
 * bind that "succeeds" (RFC 4513 5.1.2).
 */
#include "config.h"

#include <string.h>

#include "lib/pool.h"
#include "directory/dir_int.h"
#include "lib/banned.h"

static enum dir_auth
auth_end(struct dir *d, struct dir_op *op, struct dir_info *info,
    enum dir_auth a)
{
	(void)dir_op_end(d, op, info,
	    a == DIR_AUTH_TEMPFAIL ? DIR_TEMPFAIL : DIR_FOUND, false);
	return a;
}

enum dir_auth
dir_check_password(struct dir *d, const char *login, const char *password,
    size_t password_len, struct pool *pool, struct dir_entry **user_out,
    struct dir_info *info)
{
	struct dir_op op;
	struct dir_entry *user = NULL;
	enum dir_result r;
	int rc;

	dir_op_begin(&op, pool);
	if (user_out != NULL)
		*user_out = NULL;
	if (password == NULL || password_len == 0)
		return auth_end(d, &op, info, DIR_AUTH_BADPASS);
	/* not from the cache: a user disabled a minute ago must not log in */
	r = dir_lookup_login_uncached(d, &op, login, pool, &user);
	if (r == DIR_NOTFOUND)
		return auth_end(d, &op, info, DIR_AUTH_NOUSER);
	if (r == DIR_TEMPFAIL)
		return auth_end(d, &op, info, DIR_AUTH_TEMPFAIL);
	if (user_out != NULL)
		*user_out = user;
	/* Checked before the bind: the answer is a refusal whatever the
	 * password, and callers give the client the same reply for all
	 * refusals, so this reveals nothing a wrong password would not. */
	if (user->state == DIR_STATE_DISABLED)
		return auth_end(d, &op, info, DIR_AUTH_DISABLED);
	if (user->state == DIR_STATE_RECEIVE_ONLY)
		return auth_end(d, &op, info, DIR_AUTH_RECEIVE_ONLY);
	rc = dir_conn_user_bind(d->conns, &op, user->dn, password,
	    password_len);
	if (rc == 1)
		return auth_end(d, &op, info, DIR_AUTH_OK);
	if (rc == 0) {
		op.error = NULL;
		return auth_end(d, &op, info, DIR_AUTH_BADPASS);
	}
	return auth_end(d, &op, info, DIR_AUTH_TEMPFAIL);
}
