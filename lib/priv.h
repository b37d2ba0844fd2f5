/*
 * lib/priv.h - shedding root: the only way a process gives up privilege.
 *
 * Run in every child the master forks, after it opened what it needs as
 * root (sockets, key files) and before it touches untrusted input.
 */
#ifndef LIB_PRIV_H
#define LIB_PRIV_H

#include <stdbool.h>

struct priv_spec {
	const char *user;	/* account to become; required when root */
	const char *group;	/* primary group; NULL: the user's own */
	bool user_groups;	/* keep the user's supplementary groups from
				 * the group database; false: none at all */
};

/*
 * Drop to spec's user. As root (real or effective uid 0): resolve the
 * user (and group), set the supplementary groups, then gid and uid (real,
 * effective and saved), refuse an account that is root itself, and check
 * that root cannot be regained (setuid(0) and setgid(0) must fail, every
 * id must be the target one). Not as root: change no ids and resolve
 * nothing. Either way sets PR_SET_NO_NEW_PRIVS, so no later exec can gain
 * privilege.
 *
 * 0, or -1 with *err_out set to a static message; the caller must then
 * treat the process as unusable (log and exit), since a failure may leave
 * it half dropped.
 */
int priv_drop(const struct priv_spec *spec, const char **err_out);

#endif
