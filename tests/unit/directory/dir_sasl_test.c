/*
 * tests/unit/directory/dir_sasl_test.c - the realm of a Kerberos
 * principal as dir_sasl's realm check reads it, and a principal check
 * that refuses before asking the directory (no lookup process exists
 * here: reaching it would be a TEMPFAIL, not these refusals).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/pool.h"
#include "directory/dir_client.h"
#include "directory/dir_sasl.h"
#include "lib/banned.h"

Test(dir_sasl, realm_is_after_the_last_at)
{
	cr_assert_str_eq(dir_sasl_realm("alice@EXAMPLE.TEST"), "EXAMPLE.TEST");
	cr_assert_str_eq(dir_sasl_realm("a@b@AD.EXAMPLE.TEST"),
	    "AD.EXAMPLE.TEST");
	cr_assert_str_eq(dir_sasl_realm("host/mx@R"), "R");
	cr_assert_null(dir_sasl_realm("alice"));
	cr_assert_null(dir_sasl_realm("alice@"));
	cr_assert_null(dir_sasl_realm("@EXAMPLE.TEST"));
	cr_assert_null(dir_sasl_realm(""));
}

Test(dir_sasl, refusals_before_the_directory)
{
	static const char *const realms[] = { "EXAMPLE.TEST", NULL };
	struct dir_client_settings cs = { .socket_path = "/nonexistent/sock",
		.timeout_ms = 100 };
	struct pool *pool = pool_new("t");
	struct dir_sasl ds = { .allowed_realms = realms, .pool = pool };
	const char *reason = NULL;

	dir_proto_limits_default(&cs.limits);
	ds.dc = dir_client_new(&cs);
	cr_assert_eq(dir_sasl_principal(&ds, "alice", NULL, &reason),
	    SASLSRV_CHECK_NOUSER);
	cr_assert_str_eq(reason, "bad_principal");
	/* realms compare exactly: Kerberos realms are case-sensitive */
	cr_assert_eq(dir_sasl_principal(&ds, "alice@example.test", NULL,
	    &reason), SASLSRV_CHECK_NOUSER);
	cr_assert_str_eq(reason, "realm_not_allowed");
	cr_assert_str_eq(ds.reason, "realm_not_allowed");
	cr_assert_null(ds.entry);
	ds.allowed_realms = NULL;
	cr_assert_eq(dir_sasl_principal(&ds, "alice@EXAMPLE.TEST", NULL,
	    &reason), SASLSRV_CHECK_NOUSER);
	cr_assert_str_eq(reason, "realm_not_allowed");
	/* an allowed realm goes to the lookup process: here unreachable */
	ds.allowed_realms = realms;
	cr_assert_eq(dir_sasl_principal(&ds, "alice@EXAMPLE.TEST", NULL,
	    &reason), SASLSRV_CHECK_TEMPFAIL);
	cr_assert_str_eq(reason, "tempfail");
	cr_assert_not_null(ds.error);
	dir_client_free(&ds.dc);
	pool_free(&pool);
}
