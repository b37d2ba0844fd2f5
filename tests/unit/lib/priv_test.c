/*
 * tests/unit/lib/priv_test.c - unit tests for lib/priv.c.
 *
 * The non-root path runs everywhere (as root, in a child that first
 * became "nobody" by hand). The real drop, and its refusals, need root:
 * they run in forked children and are skipped visibly otherwise.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/priv.h"
#include "lib/banned.h"

/* Child exit codes, so a failing check says which one failed. */
enum {
	OK = 0, E_DROP = 10, E_UID, E_EUID, E_GID, E_SETUID, E_NNP, E_GROUPS,
	E_ERRMSG, E_SETUP
};

static int
run_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0)
		_exit(fn(arg));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child died: status %d", status);
	return WEXITSTATUS(status);
}

static void
need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("SKIP: not root");
}

static int
nonroot_child(void *arg)
{
	struct priv_spec spec = { .user = "nobody" };
	const char *err = NULL;
	uid_t uid;

	(void)arg;
	/* As root, become an ordinary user first: the path under test is
	 * the one the demo and developers' test runs take. */
	if (geteuid() == 0 && (setgroups(0, NULL) != 0 ||
	    setresgid(65534, 65534, 65534) != 0 ||
	    setresuid(65534, 65534, 65534) != 0))
		return E_SETUP;
	uid = getuid();
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		return E_SETUP;
	if (priv_drop(&spec, &err) != 0)
		return E_DROP;
	if (getuid() != uid || geteuid() != uid)
		return E_UID;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return E_NNP;
	return OK;
}

Test(priv, not_root_changes_nothing_but_no_new_privs, .timeout = 10)
{
	cr_assert_eq(run_child(nonroot_child, NULL), OK);
}

static int
nonroot_unknown_user_child(void *arg)
{
	struct priv_spec spec = { .user = "no-such-user-tessera" };
	const char *err = NULL;

	(void)arg;
	if (geteuid() == 0 && (setresgid(65534, 65534, 65534) != 0 ||
	    setresuid(65534, 65534, 65534) != 0))
		return E_SETUP;
	/* Not root: nothing is resolved, so a bogus name is no error. */
	return priv_drop(&spec, &err) == 0 ? OK : E_DROP;
}

Test(priv, not_root_resolves_nothing, .timeout = 10)
{
	cr_assert_eq(run_child(nonroot_unknown_user_child, NULL), OK);
}

static int
drop_nobody_child(void *arg)
{
	struct priv_spec spec = { .user = "nobody" };
	const char *err = NULL;
	struct passwd *pw = getpwnam("nobody");

	(void)arg;
	if (pw == NULL)
		return E_SETUP;
	if (priv_drop(&spec, &err) != 0) {
		fprintf(stderr, "priv_drop: %s\n", err);
		return E_DROP;
	}
	if (getuid() == 0 || getuid() != pw->pw_uid)
		return E_UID;
	if (geteuid() != pw->pw_uid)
		return E_EUID;
	if (getgid() != pw->pw_gid || getegid() != pw->pw_gid)
		return E_GID;
	if (setuid(0) == 0 || seteuid(0) == 0 || errno != EPERM)
		return E_SETUID;
	if (getgroups(0, NULL) != 0)
		return E_GROUPS;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return E_NNP;
	return OK;
}

Test(priv, root_drops_to_nobody_for_good, .timeout = 10)
{
	need_root();
	cr_assert_eq(run_child(drop_nobody_child, NULL), OK);
}

static int
drop_group_child(void *arg)
{
	struct priv_spec spec = { .user = "nobody", .group = arg };
	const char *err = NULL;
	struct group *gr = getgrnam(arg);

	if (gr == NULL)
		return E_SETUP;
	if (priv_drop(&spec, &err) != 0)
		return E_DROP;
	if (getgid() != gr->gr_gid || getegid() != gr->gr_gid)
		return E_GID;
	if (setgid(0) == 0)
		return E_SETUID;
	return OK;
}

Test(priv, root_drops_to_named_group, .timeout = 10)
{
	const char *group = NULL;

	need_root();
	/* Any non-root group other than nobody's own shows the override. */
	if (getgrnam("daemon") != NULL)
		group = "daemon";
	else if (getgrnam("nogroup") != NULL)
		group = "nogroup";
	if (group == NULL)
		cr_skip_test("SKIP: no group daemon or nogroup");
	cr_assert_eq(run_child(drop_group_child, (void *)group), OK);
}

static int
drop_user_groups_child(void *arg)
{
	struct priv_spec spec = { .user = "nobody", .user_groups = true };
	struct passwd *pw = getpwnam("nobody");
	gid_t want[64], got[64];
	int nwant = 64, ngot;
	const char *err = NULL;

	(void)arg;
	if (pw == NULL || getgrouplist("nobody", pw->pw_gid, want,
	    &nwant) == -1)
		return E_SETUP;
	if (priv_drop(&spec, &err) != 0)
		return E_DROP;
	ngot = getgroups(64, got);
	if (ngot != nwant)
		return E_GROUPS;
	for (int i = 0; i < ngot; i++)
		if (got[i] == 0)
			return E_GROUPS;
	return getuid() == pw->pw_uid ? OK : E_UID;
}

Test(priv, root_keeps_the_users_groups_when_asked, .timeout = 10)
{
	need_root();
	cr_assert_eq(run_child(drop_user_groups_child, NULL), OK);
}

struct refusal {
	struct priv_spec spec;
	const char *msg;
};

static int
refusal_child(void *arg)
{
	const struct refusal *r = arg;
	const char *err = NULL;

	if (priv_drop(&r->spec, &err) != -1)
		return E_DROP;
	if (err == NULL || strcmp(err, r->msg) != 0) {
		fprintf(stderr, "got \"%s\", want \"%s\"\n",
		    err != NULL ? err : "(null)", r->msg);
		return E_ERRMSG;
	}
	return OK;
}

Test(priv, root_refuses_unknown_user, .timeout = 10)
{
	struct refusal r = { { .user = "no-such-user-tessera" },
	    "unknown user" };

	need_root();
	cr_assert_eq(run_child(refusal_child, &r), OK);
}

Test(priv, root_refuses_unknown_group, .timeout = 10)
{
	struct refusal r = { { .user = "nobody",
	    .group = "no-such-group-tessera" }, "unknown group" };

	need_root();
	cr_assert_eq(run_child(refusal_child, &r), OK);
}

Test(priv, root_refuses_missing_user, .timeout = 10)
{
	struct refusal r1 = { { .user = NULL },
	    "running as root and no user to drop to" };
	struct refusal r2 = { { .user = "" },
	    "running as root and no user to drop to" };

	need_root();
	cr_assert_eq(run_child(refusal_child, &r1), OK);
	cr_assert_eq(run_child(refusal_child, &r2), OK);
}

Test(priv, root_refuses_to_stay_root, .timeout = 10)
{
	struct refusal r = { { .user = "root" },
	    "refusing to run as uid or gid 0" };
	struct refusal rg = { { .user = "nobody", .group = "root" },
	    "refusing to run as uid or gid 0" };

	need_root();
	cr_assert_eq(run_child(refusal_child, &r), OK);
	cr_assert_eq(run_child(refusal_child, &rg), OK);
}
