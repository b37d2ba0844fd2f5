/*
 * lib/priv.c - shedding root: groups, gid, uid, no-new-privs, and proof.
 *
 * Runs in freshly forked children of a master that may be root. Trusts
 * the passwd and group databases; trusts nothing about the outcome of the
 * set*id calls, which is checked afterwards.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib/priv.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define PRIV_GETPW_BUF 16384

/* Resolve names to ids with the reentrant calls (a forked child of a
 * threaded parent must not rely on static buffers). */
static int
priv_resolve(const struct priv_spec *spec, uid_t *uid_out, gid_t *gid_out,
    const char **err_out)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char *mem = xmalloc(PRIV_GETPW_BUF);
	int rc = -1;

	if (getpwnam_r(spec->user, &pw, mem, PRIV_GETPW_BUF, &pwp) != 0) {
		*err_out = "cannot read the user database";
		goto out;
	}
	if (pwp == NULL) {
		*err_out = "unknown user";
		goto out;
	}
	*uid_out = pw.pw_uid;
	*gid_out = pw.pw_gid;
	if (spec->group != NULL) {
		if (getgrnam_r(spec->group, &gr, mem, PRIV_GETPW_BUF,
		    &grp) != 0) {
			*err_out = "cannot read the group database";
			goto out;
		}
		if (grp == NULL) {
			*err_out = "unknown group";
			goto out;
		}
		*gid_out = gr.gr_gid;
	}
	rc = 0;
out:
	free(mem);
	return rc;
}

static int
priv_set_ids(const struct priv_spec *spec, uid_t uid, gid_t gid,
    const char **err_out)
{
	if (uid == 0 || gid == 0) {
		*err_out = "refusing to run as uid or gid 0";
		return -1;
	}
	if (spec->user_groups) {
		if (initgroups(spec->user, gid) != 0) {
			*err_out = "initgroups failed";
			return -1;
		}
	} else if (setgroups(0, NULL) != 0) {
		*err_out = "setgroups failed";
		return -1;
	}
	if (setresgid(gid, gid, gid) != 0) {
		*err_out = "setresgid failed";
		return -1;
	}
	if (setresuid(uid, uid, uid) != 0) {
		*err_out = "setresuid failed";
		return -1;
	}
	return 0;
}

/* No supplementary group may be 0; with user_groups off there must be
 * none at all. */
static int
priv_verify_groups(const struct priv_spec *spec, const char **err_out)
{
	gid_t *list;
	int n, rc = 0;

	n = getgroups(0, NULL);
	if (n < 0) {
		*err_out = "getgroups failed";
		return -1;
	}
	if (n == 0)
		return 0;
	if (!spec->user_groups) {
		*err_out = "supplementary groups remain";
		return -1;
	}
	list = xcalloc((size_t)n, sizeof(*list));
	if (getgroups(n, list) != n) {
		*err_out = "getgroups failed";
		rc = -1;
	}
	for (int i = 0; rc == 0 && i < n; i++)
		if (list[i] == 0) {
			*err_out = "still in group 0";
			rc = -1;
		}
	free(list);
	return rc;
}

/* Trust nothing: read every id back and try to become root again. */
static int
priv_verify(const struct priv_spec *spec, uid_t uid, gid_t gid,
    const char **err_out)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) != 0 || ru != uid || eu != uid ||
	    su != uid || getuid() != uid || geteuid() != uid) {
		*err_out = "uid did not change";
		return -1;
	}
	if (getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid ||
	    sg != gid || getgid() != gid || getegid() != gid) {
		*err_out = "gid did not change";
		return -1;
	}
	if (priv_verify_groups(spec, err_out) == -1)
		return -1;
	if (setuid(0) == 0 || seteuid(0) == 0) {
		*err_out = "root could be regained";
		return -1;
	}
	if (setgid(0) == 0 || setegid(0) == 0) {
		*err_out = "gid 0 could be regained";
		return -1;
	}
	return 0;
}

int
priv_drop(const struct priv_spec *spec, const char **err_out)
{
	uid_t uid;
	gid_t gid;

	if (getuid() == 0 || geteuid() == 0) {
		if (spec == NULL || spec->user == NULL || spec->user[0] == '\0') {
			*err_out = "running as root and no user to drop to";
			return -1;
		}
		if (priv_resolve(spec, &uid, &gid, err_out) == -1)
			return -1;
		if (priv_set_ids(spec, uid, gid, err_out) == -1)
			return -1;
		if (priv_verify(spec, uid, gid, err_out) == -1)
			return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		*err_out = "prctl(PR_SET_NO_NEW_PRIVS) failed";
		return -1;
	}
	return 0;
}
