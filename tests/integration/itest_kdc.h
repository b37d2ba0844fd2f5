/*
 * tests/integration/itest_kdc.h - the MIT KDC fixture (tests/fixtures/
 * kdc.sh) as a struct for Criterion integration suites.
 *
 * Runs inside test processes only; failures are reported on stderr and as
 * NULL/-1, for the test to assert on.
 */
#ifndef TESTS_INTEGRATION_ITEST_KDC_H
#define TESTS_INTEGRATION_ITEST_KDC_H

struct itest_kdc {
	char *dir;		/* KDC_DIR */
	char *realm;		/* KRB5_REALM */
	char *krb5_config;	/* KRB5_CONFIG */
	char *kdc_profile;	/* KRB5_KDC_PROFILE */
	char *rcache_dir;	/* KRB5RCACHEDIR */
	char *keytab_dir;	/* KRB5_KEYTAB_DIR: SVC.keytab, USER.keytab */
	char *kdc;		/* KRB5_KDC, 127.0.0.1:PORT */
	/* "KRB5_CONFIG=...", "KRB5_KDC_PROFILE=...", "KRB5RCACHEDIR=...",
	 * NULL: pass as envp_extra to kinit, kadmin.local and servers */
	char *env[4];
};

/* Start a KDC in dir (kdc.sh: realm EXAMPLE.TEST, users alice, bob,
 * carol with password "demo" plus extra_users (space-separated, or
 * NULL), services smtp, imap, pop, ldap on localhost). NULL with the
 * script's output on stderr. */
struct itest_kdc *itest_kdc_start(const char *dir, const char *extra_users);
/* Stop the KDC, keep k (itest_kdc_resume starts it on the same port with
 * the same database). 0 or -1. */
int itest_kdc_halt(struct itest_kdc *k);
int itest_kdc_resume(struct itest_kdc *k);
/* Run a kadmin.local query on the realm's database ("cpw -randkey bob").
 * 0 or -1 (output on stderr). */
int itest_kdc_admin(struct itest_kdc *k, const char *query);
/* Stop and free *kp; NULL-safe. 0, or -1 if the script failed. */
int itest_kdc_stop(struct itest_kdc **kp);

#endif
