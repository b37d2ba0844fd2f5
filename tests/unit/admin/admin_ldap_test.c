/*
 * tests/unit/admin/admin_ldap_test.c - the parts of admin/admin_ldap.c
 * that need no server: LDAP results to exit codes, attribute access on
 * entries, and a connection to no server at all.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <ldap.h>
#include <string.h>

#include "lib/pool.h"
#include "directory/dir.h"
#include "admin/admin.h"
#include "admin/admin_ldap.h"
#include "lib/banned.h"

Test(admin_ldap, exit_codes)
{
	cr_expect_eq(admin_ldap_exit_code(LDAP_SERVER_DOWN), 75);
	cr_expect_eq(admin_ldap_exit_code(LDAP_TIMEOUT), 75);
	cr_expect_eq(admin_ldap_exit_code(LDAP_BUSY), 75);
	cr_expect_eq(admin_ldap_exit_code(LDAP_UNAVAILABLE), 75);
	cr_expect_eq(admin_ldap_exit_code(LDAP_ALREADY_EXISTS), 73);
	cr_expect_eq(admin_ldap_exit_code(LDAP_TYPE_OR_VALUE_EXISTS), 73);
	cr_expect_eq(admin_ldap_exit_code(LDAP_NO_SUCH_OBJECT), 67);
	cr_expect_eq(admin_ldap_exit_code(LDAP_OBJECT_CLASS_VIOLATION), 65);
	cr_expect_eq(admin_ldap_exit_code(LDAP_INVALID_SYNTAX), 65);
	cr_expect_eq(admin_ldap_exit_code(LDAP_INSUFFICIENT_ACCESS), 77);
	cr_expect_eq(admin_ldap_exit_code(LDAP_INVALID_CREDENTIALS), 77);
	cr_expect_eq(admin_ldap_exit_code(LDAP_OTHER), 70);
}

Test(admin_ldap, entry_values_are_case_insensitive)
{
	char *mail[] = { "a@example.test", NULL };
	char *oc[] = { "inetOrgPerson", "tesseraMailUser", NULL };
	struct admin_attr attrs[] = { { "mail", mail, 1 },
		{ "objectClass", oc, 2 }, { "empty", NULL, 0 } };
	struct admin_entry e = { "uid=a," "dc=example,dc=test", attrs, 3 };
	size_t n = 9;

	cr_expect_str_eq(admin_entry_value(&e, "MAIL"), "a@example.test");
	cr_expect_null(admin_entry_value(&e, "cn"));
	cr_expect_null(admin_entry_value(&e, NULL));
	cr_expect_null(admin_entry_values(&e, "empty", &n));
	cr_expect_eq(n, 0);
	cr_expect_not_null(admin_entry_values(&e, "objectclass", &n));
	cr_expect_eq(n, 2);
	cr_expect(admin_entry_has_class(&e, "TESSERAMAILUSER"));
	cr_expect(!admin_entry_has_class(&e, "groupOfNames"));
	cr_expect(!admin_entry_has_class(&e, NULL));
}

Test(admin_ldap, no_server_answering_names_each)
{
	struct pool *p = pool_new("t");
	char *uris[] = { "ldap://127.0.0.1:1", "ldap://127.0.0.1:2", NULL };
	struct dir_settings s;
	struct admin_ldap *l;

	dir_settings_defaults(&s);
	s.uris = uris;
	s.starttls = false;
	s.connect_timeout_ms = 1000;
	l = admin_ldap_open(&s, "cn=admin", "pw", 2, p);
	cr_assert_not_null(l);
	cr_expect_null(l->ld);
	cr_expect_eq(admin_ldap_exit_code(l->last_rc), 75);
	cr_expect_not_null(strstr(l->last_error, "ldap://127.0.0.1:1: "),
	    "%s", l->last_error);
	cr_expect_not_null(strstr(l->last_error, "ldap://127.0.0.1:2: "),
	    "%s", l->last_error);
	admin_ldap_close(l);
	s.uris = (char *[]){ NULL };
	l = admin_ldap_open(&s, NULL, NULL, 0, p);
	cr_expect_null(l->ld);
	cr_expect_not_null(strstr(l->last_error, "uris"));
	pool_free(&p);
}
