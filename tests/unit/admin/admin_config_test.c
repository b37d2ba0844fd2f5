/*
 * tests/unit/admin/admin_config_test.c - the [admin] section of
 * tessera.conf (admin/admin_config.c): defaults, checks, ranges, and
 * that every key is documented in docs/tessera.conf.5.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "admin/admin_config.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

static struct cfg_section_def defs[ADMIN_CONFIG_SECTIONS];

#define DIRECTORY "[directory]\nuris = ldap://127.0.0.1:1\n" \
	"base_dn = dc=example,dc=test\n"

/* Load a valid [directory] section followed by text. */
static struct cfg *
load(const char *text, int want, struct buf *err)
{
	struct cfg *c;
	char all[4096];

	snprintf(all, sizeof(all), "%s%s", DIRECTORY, text);
	admin_config_sections(defs);
	c = cfg_new(defs, ADMIN_CONFIG_SECTIONS);
	cr_assert_eq(cfg_load_string(c, "test.conf", all, err), want,
	    "%s", err != NULL ? buf_cstr(err) : "");
	return c;
}

Test(admin_config, defaults)
{
	struct cfg *c = load("", 0, NULL);
	const struct admin_config *a = cfg_get(c, "admin");

	cr_expect_str_eq(a->bind_dn, "");
	cr_expect_eq(a->default_quota, 0);
	cr_expect_eq(a->quota_max, 1ULL << 40);
	cr_expect_eq(a->list_max, 10000);
	cr_expect_eq(a->password_max, 1024);
	cr_expect_eq(a->default_group_senders, ADMIN_SENDERS_INTERNAL);
	cfg_free(&c);
}

Test(admin_config, values_and_checks)
{
	struct buf *err = buf_new(256, 65536);
	struct cfg *c = load("[admin]\nbind_dn = cn=admin,dc=example,dc=test\n"
	    "bind_password_file = /etc/tessera/admin.pw\n"
	    "user_base_dn = ou=people,dc=example,dc=test\n"
	    "default_quota = 100M\nquota_max = 10G\nlist_max = 5\n"
	    "default_group_senders = members\n", 0, err);
	const struct admin_config *a = cfg_get(c, "admin");

	cr_expect_eq(a->default_quota, 100ULL << 20);
	cr_expect_eq(a->list_max, 5);
	cr_expect_eq(a->default_group_senders, ADMIN_SENDERS_MEMBERS);
	cfg_free(&c);

	c = load("[admin]\nbind_dn = cn=x\n", -1, err);
	cr_expect_not_null(strstr(buf_cstr(err), "go together"), "%s",
	    buf_cstr(err));
	cfg_free(&c);
	buf_reset(err);
	c = load("[admin]\ndefault_quota = 2G\nquota_max = 1G\n", -1, err);
	cr_expect_not_null(strstr(buf_cstr(err), "above quota_max"));
	cfg_free(&c);
	buf_reset(err);
	c = load("[admin]\nlist_max = 0\n", -1, err);
	cfg_free(&c);
	buf_reset(err);
	c = load("[admin]\nlist_max = 1000001\n", -1, err);
	cfg_free(&c);
	c = load("[admin]\nlist_max = 1000000\n", 0, err);
	cfg_free(&c);
	buf_reset(err);
	c = load("[admin]\nno_such_key = 1\n", -1, err);
	cr_expect_not_null(strstr(buf_cstr(err), "no_such_key"));
	cfg_free(&c);
	buf_free(&err);
}

Test(admin_config, every_key_is_documented)
{
	cr_assert_gt(docs_check_sections(&admin_config_def, 1), 0);
}
