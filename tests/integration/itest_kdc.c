/*
 * tests/integration/itest_kdc.c - the MIT KDC fixture as a struct.
 *
 * Runs inside test processes only. Trusts tests/fixtures/kdc.sh of this
 * source tree; its output is parsed as export NAME='value' lines only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "tests/integration/itest.h"
#include "tests/integration/itest_kdc.h"
#include "lib/banned.h"

/* Run kdc.sh CMD dir with KDC_USERS=users; stdout into out. 0 or -1. */
static int
run_script(const char *cmd, const char *dir, const char *users,
    struct buf *out)
{
	char *script = itest_srcpath("tests/fixtures/kdc.sh");
	char *argv[] = { "sh", script, (char *)cmd, (char *)dir, NULL };
	char *env_users = NULL;
	char *envp[2] = { NULL, NULL };
	struct buf *err = buf_new(1024, 65536);
	int rc = -1;

	if (users != NULL) {
		if (asprintf(&env_users, "KDC_USERS=%s", users) < 0)
			goto out;
		envp[0] = env_users;
	}
	rc = itest_run_split(argv, envp, out, err, 60000);
	if (rc != 0) {
		fprintf(stderr, "kdc.sh %s %s: exit %d\n%s\n", cmd, dir, rc,
		    buf_cstr(err));
		rc = -1;
	}
out:
	buf_free(&err);
	free(env_users);
	free(script);
	return rc;
}

struct itest_kdc *
itest_kdc_start(const char *dir, const char *extra_users)
{
	struct buf *out = buf_new(1024, 65536);
	struct itest_kdc *k = NULL;
	const char *o;

	if (run_script("start", dir, extra_users, out) == -1)
		goto out;
	o = buf_cstr(out);
	k = calloc(1, sizeof(*k));
	k->dir = itest_env_value(o, "KDC_DIR");
	k->realm = itest_env_value(o, "KRB5_REALM");
	k->krb5_config = itest_env_value(o, "KRB5_CONFIG");
	k->kdc_profile = itest_env_value(o, "KRB5_KDC_PROFILE");
	k->rcache_dir = itest_env_value(o, "KRB5RCACHEDIR");
	k->keytab_dir = itest_env_value(o, "KRB5_KEYTAB_DIR");
	k->kdc = itest_env_value(o, "KRB5_KDC");
	if (k->dir == NULL || k->realm == NULL || k->krb5_config == NULL ||
	    k->kdc_profile == NULL || k->rcache_dir == NULL ||
	    k->keytab_dir == NULL || k->kdc == NULL ||
	    asprintf(&k->env[0], "KRB5_CONFIG=%s", k->krb5_config) < 0 ||
	    asprintf(&k->env[1], "KRB5_KDC_PROFILE=%s", k->kdc_profile) < 0 ||
	    asprintf(&k->env[2], "KRB5RCACHEDIR=%s", k->rcache_dir) < 0) {
		fprintf(stderr, "kdc.sh start printed no usable env:\n%s\n", o);
		itest_kdc_stop(&k);
	}
out:
	buf_free(&out);
	return k;
}

int
itest_kdc_halt(struct itest_kdc *k)
{
	return run_script("stop", k->dir, NULL, NULL);
}

int
itest_kdc_resume(struct itest_kdc *k)
{
	struct buf *out = buf_new(1024, 65536);
	int rc = run_script("start", k->dir, NULL, out);

	buf_free(&out);
	return rc;
}

int
itest_kdc_admin(struct itest_kdc *k, const char *query)
{
	char *argv[] = { "/usr/sbin/kadmin.local", "-r", k->realm, "-q",
		(char *)query, NULL };
	struct buf *out = buf_new(1024, 65536);
	int rc = itest_run(argv, k->env, out, 30000);

	if (rc != 0 || strstr(buf_cstr(out), "rror") != NULL) {
		fprintf(stderr, "kadmin.local -q '%s': exit %d\n%s\n", query,
		    rc, buf_cstr(out));
		rc = -1;
	}
	buf_free(&out);
	return rc;
}

int
itest_kdc_stop(struct itest_kdc **kp)
{
	struct itest_kdc *k;
	int rc = 0;

	if (kp == NULL || *kp == NULL)
		return 0;
	k = *kp;
	if (k->dir != NULL)
		rc = itest_kdc_halt(k);
	free(k->dir);
	free(k->realm);
	free(k->krb5_config);
	free(k->kdc_profile);
	free(k->rcache_dir);
	free(k->keytab_dir);
	free(k->kdc);
	for (size_t i = 0; i < 3; i++)
		free(k->env[i]);
	free(k);
	*kp = NULL;
	return rc;
}
