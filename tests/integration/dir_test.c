/*
 * tests/integration/dir_test.c - libtdir against a real slapd with the
 * Tessera schema and the sample tree (schema/samples/example.test.ldif),
 * plus test entries written here: group loops, deep nesting, an address
 * two entries claim, a contact, a receive-only user and an "AD-shaped"
 * user for the ad profile's value parsing.
 *
 * One shared, read-only slapd is started before all tests (its URIs reach
 * the test processes through the environment); tests that stop, restart
 * or need a second server start their own. Nothing is mocked.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "directory/dir.h"
#include "tests/integration/itest.h"
#include "lib/banned.h"

#define BASE "dc=example,dc=test"

/* Test entries besides the sample tree. Passwords are "demo". */
static const char extra_ldif[] =
"dn: cn=loop1,ou=groups," BASE "\n"
"objectClass: groupOfNames\nobjectClass: tesseraMailGroup\ncn: loop1\n"
"mail: loop1@example.test\n"
"member: cn=loop2,ou=groups," BASE "\n"
"member: uid=alice,ou=people," BASE "\n\n"
"dn: cn=loop2,ou=groups," BASE "\n"
"objectClass: groupOfNames\nobjectClass: tesseraMailGroup\ncn: loop2\n"
"mail: loop2@example.test\n"
"member: cn=loop1,ou=groups," BASE "\n"
"member: uid=bob,ou=people," BASE "\n\n"
"dn: cn=deep1,ou=groups," BASE "\n"
"objectClass: groupOfNames\nobjectClass: tesseraMailGroup\ncn: deep1\n"
"mail: deep1@example.test\nmember: cn=deep2,ou=groups," BASE "\n\n"
"dn: cn=deep2,ou=groups," BASE "\n"
"objectClass: groupOfNames\ncn: deep2\n"
"member: cn=deep3,ou=groups," BASE "\n\n"
"dn: cn=deep3,ou=groups," BASE "\n"
"objectClass: groupOfNames\ncn: deep3\n"
"member: uid=alice,ou=people," BASE "\n\n"
"dn: cn=twice,ou=groups," BASE "\n"
"objectClass: groupOfNames\nobjectClass: tesseraMailGroup\ncn: twice\n"
"mail: twice@example.test\n"
"member: cn=staff,ou=groups," BASE "\n"
"member: UID=Alice, OU=People, DC=Example, DC=Test\n"
"member: uid=gone,ou=people," BASE "\n\n"
"dn: uid=dup1,ou=people," BASE "\n"
"objectClass: inetOrgPerson\nobjectClass: tesseraMailUser\n"
"uid: dup1\ncn: Dup One\nsn: One\nmail: dup@example.test\n\n"
"dn: uid=dup2,ou=people," BASE "\n"
"objectClass: inetOrgPerson\nobjectClass: inetLocalMailRecipient\n"
"uid: dup2\ncn: Dup Two\nsn: Two\nmail: dup2@example.test\n"
"mailLocalAddress: dup@example.test\n\n"
"dn: cn=partner,ou=people," BASE "\n"
"objectClass: inetOrgPerson\ncn: partner\nsn: Partner\n"
"mail: pat@partner.test\n\n"
"dn: uid=erin,ou=people," BASE "\n"
"objectClass: inetOrgPerson\nobjectClass: tesseraMailUser\n"
"uid: erin\ncn: Erin Leaver\nsn: Leaver\nmail: erin@example.test\n"
"userPassword: {SSHA}aJKOJJlzi8d1JDtBbdBTkguOXjFjooEH\n"
"tesseraAccountState: receive-only\n"
"tesseraForwardTo: boss@example.test\ntesseraForwardKeepCopy: TRUE\n\n"
/* AD-shaped: proxyAddresses in description, a 16-byte GUID in audio, a
 * userAccountControl in employeeNumber (514 = normal account, disabled) */
"dn: uid=dave,ou=people," BASE "\n"
"objectClass: inetOrgPerson\nuid: dave\ncn: Dave\nsn: Ad\n"
"mail: dave@example.test\n"
"description: SMTP:Dave.Primary@example.test\n"
"description: smtp:dave.second@example.test\n"
"description: X500:/o=Org/cn=dave\n"
"description: sip:dave@example.test\n"
"audio:: PC0eD1pLeGmHlqW0w9Lh8A==\n"
"employeeNumber: 514\n\n"
"dn: uid=frank,ou=people," BASE "\n"
"objectClass: inetOrgPerson\nuid: frank\ncn: Frank\nsn: Ad\n"
"mail: frank@example.test\nemployeeNumber: 512\n";

/* Criterion 2.4's runner leaks two small blocks of its own when it runs
 * tests in parallel (not with -j1); keep LeakSanitizer on for everything
 * else. Called by LSan in the sanitizer build, unused otherwise. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	cr_assert_not_null(v, "%s not set: the shared slapd did not start",
	    name);
	return v;
}

/* The shared slapd: started before the tests run; its data goes to the
 * test processes as DIRTEST_* variables. */
static struct itest_slapd *shared;
static char *shared_dir;

static char *
write_extra_ldif(const char *dir)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/extra.ldif", dir) < 0)
		return NULL;
	f = fopen(path, "w");
	if (f == NULL) {
		free(path);
		return NULL;
	}
	fputs(extra_ldif, f);
	fclose(f);
	return path;
}

/* "sample.ldif:extra.ldif" for a server in dir (malloc). */
static char *
ldif_files(const char *dir)
{
	char *sample = itest_srcpath("schema/samples/example.test.ldif");
	char *extra = write_extra_ldif(dir);
	char *both = NULL;

	if (sample != NULL && extra != NULL &&
	    asprintf(&both, "%s:%s", sample, extra) < 0)
		both = NULL;
	free(sample);
	free(extra);
	return both;
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char *files;

	(void)set;
	shared_dir = itest_tmpdir("dir-test");
	if (shared_dir == NULL)
		return;
	files = ldif_files(shared_dir);
	shared = files != NULL ? itest_slapd_start(shared_dir, files) : NULL;
	free(files);
	if (shared == NULL)
		return;
	setenv("DIRTEST_URI", shared->uri, 1);
	setenv("DIRTEST_LDAPS_URI", shared->ldaps_uri, 1);
	setenv("DIRTEST_CACERT", shared->cacert, 1);
	setenv("DIRTEST_BINDDN", shared->binddn, 1);
	setenv("DIRTEST_BINDPW", shared->bindpw, 1);
	setenv("DIRTEST_DIR", shared_dir, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	(void)st;
	itest_slapd_stop(&shared);
	itest_cleanup_dir(&shared_dir);
}

static struct pool *pool;

static void
t_init(void)
{
	pool = pool_new("test");
}

static void
t_fini(void)
{
	pool_free(&pool);
}

TestSuite(dir, .init = t_init, .fini = t_fini, .timeout = 60);

/* Settings for the shared server, plain LDAP, anonymous. */
static void
settings(struct dir_settings *s, char **uris)
{
	dir_settings_defaults(s);
	uris[0] = (char *)env("DIRTEST_URI");
	uris[1] = NULL;
	s->uris = uris;
	s->base_dn = BASE;
	s->starttls = false;
	s->ca_file = env("DIRTEST_CACERT");
	s->connect_timeout_ms = 2000;
	s->op_timeout_ms = 3000;
}

static struct dir *
open_dir(const struct dir_settings *s)
{
	const char *err = NULL;
	struct dir *d = dir_new(s, pool, &err);

	cr_assert_not_null(d, "dir_new: %s", err);
	return d;
}

static struct dir *
shared_dir_open(void)
{
	static char *uris[2];
	struct dir_settings s;

	settings(&s, uris);
	return open_dir(&s);
}

static struct dir_entry *
must_find(struct dir *d, const char *address, struct dir_info *info)
{
	struct dir_entry *e = NULL;
	struct dir_info tmp;
	enum dir_result r = dir_lookup_address(d, address, pool, &e,
	    info != NULL ? info : &tmp);

	cr_assert_eq(r, DIR_FOUND, "%s: %s (%s)", address, dir_result_name(r),
	    (info != NULL ? info : &tmp)->error);
	cr_assert_not_null(e);
	return e;
}

static bool
has_string(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(list[i], s) == 0)
			return true;
	return false;
}

/* The members' addresses, sorted, joined with spaces. */
static const char *
member_list(struct dir *d, const char *group, enum dir_result *r_out,
    struct dir_info *info)
{
	struct dir_entry *g = must_find(d, group, NULL);
	struct dir_entry **m = NULL;
	size_t n = 0;
	struct buf *b = buf_new(64, 4096);
	const char *out;

	cr_assert_eq(g->kind, DIR_KIND_GROUP);
	*r_out = dir_group_members(d, g, pool, &m, &n, info);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(m[j]->address, m[i]->address) < 0) {
				struct dir_entry *t = m[i];

				m[i] = m[j];
				m[j] = t;
			}
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i > 0 ? " " : "", m[i]->address);
	out = pool_strdup(pool, buf_cstr(b));
	buf_free(&b);
	return out;
}

Test(dir, user_by_mail)
{
	struct dir *d = shared_dir_open();
	struct dir_info info;
	struct dir_entry *e = must_find(d, "alice@example.test", &info);

	cr_assert_eq(e->kind, DIR_KIND_USER);
	cr_assert_str_eq(e->dn, "uid=alice,ou=people," BASE);
	cr_assert_str_eq(e->address, "alice@example.test");
	cr_assert_eq(e->n_addresses, 2);
	cr_assert(has_string(e->addresses, e->n_addresses,
	    "alice.liddell@example.test"));
	cr_assert_str_eq(e->login, "alice");
	cr_assert_str_eq(e->display_name, "Alice Liddell");
	cr_assert_not_null(e->mailbox_id);
	cr_assert_eq(strlen(e->mailbox_id), 36);
	cr_assert_eq(e->quota_bytes, 52428800);
	cr_assert_eq(e->state, DIR_STATE_ACTIVE);
	cr_assert_null(e->mail_host);
	cr_assert_str_eq(info.server, env("DIRTEST_URI"));
	cr_assert(!info.cached);
	cr_assert_eq(info.round_trips, 1);
	cr_assert_null(info.error);
	dir_free(&d);
}

Test(dir, user_by_mail_local_address_any_case)
{
	struct dir *d = shared_dir_open();
	struct dir_entry *a = must_find(d, "alice.liddell@example.test", NULL);
	struct dir_entry *b = must_find(d, "Alice.Liddell@EXAMPLE.TEST", NULL);
	struct dir_entry *c = must_find(d, "ALICE@Example.Test", NULL);

	cr_assert_str_eq(a->dn, "uid=alice,ou=people," BASE);
	cr_assert_str_eq(b->dn, a->dn);
	cr_assert_str_eq(c->dn, a->dn);
	/* the canonical address is the primary one, whatever was asked */
	cr_assert_str_eq(a->address, "alice@example.test");
	cr_assert_str_eq(a->mailbox_id, c->mailbox_id);
	dir_free(&d);
}

Test(dir, alias_user_attributes_and_states)
{
	struct dir *d = shared_dir_open();
	struct dir_entry *e = must_find(d, "info@example.test", NULL);

	cr_assert_eq(e->kind, DIR_KIND_ALIAS);
	cr_assert_eq(e->n_targets, 1);
	cr_assert_str_eq(e->targets[0], "alice@example.test");
	e = must_find(d, "carol@example.test", NULL);
	cr_assert_eq(e->kind, DIR_KIND_USER);
	cr_assert_eq(e->state, DIR_STATE_DISABLED);
	e = must_find(d, "bob@example.test", NULL);
	cr_assert_eq(e->n_send_as, 1);
	cr_assert_str_eq(e->send_as[0], "info@example.test");
	e = must_find(d, "erin@example.test", NULL);
	cr_assert_eq(e->state, DIR_STATE_RECEIVE_ONLY);
	cr_assert_eq(e->n_forward_to, 1);
	cr_assert_str_eq(e->forward_to[0], "boss@example.test");
	cr_assert(e->forward_keep_copy);
	dir_free(&d);
}

Test(dir, contact_has_no_mailbox_kind)
{
	struct dir *d = shared_dir_open();
	struct dir_entry *e = must_find(d, "pat@partner.test", NULL);
	struct dir_info info;

	cr_assert_eq(e->kind, DIR_KIND_CONTACT);
	/* and a contact is no login */
	cr_assert_eq(dir_lookup_login(d, "pat@partner.test", pool, &e, &info),
	    DIR_NOTFOUND);
	dir_free(&d);
}

Test(dir, unknown_address_notfound)
{
	struct dir *d = shared_dir_open();
	struct dir_entry *e = NULL;
	struct dir_info info;

	cr_assert_eq(dir_lookup_address(d, "nobody@example.test", pool, &e,
	    &info), DIR_NOTFOUND);
	cr_assert_null(e);
	cr_assert_null(info.error);
	cr_assert_eq(info.round_trips, 1);
	cr_assert_eq(dir_lookup_address(d, "alice@other.test", pool, &e,
	    &info), DIR_NOTFOUND);
	dir_free(&d);
}

Test(dir, address_owned_twice_is_tempfail)
{
	struct dir *d = shared_dir_open();
	struct dir_entry *e = NULL;
	struct dir_info info;

	cr_assert_eq(dir_lookup_address(d, "dup@example.test", pool, &e,
	    &info), DIR_TEMPFAIL);
	cr_assert_null(e);
	cr_assert_not_null(strstr(info.error, "ambiguous"), "%s", info.error);
	cr_assert_not_null(strstr(info.error, "uid=dup1"), "%s", info.error);
	cr_assert_not_null(strstr(info.error, "uid=dup2"), "%s", info.error);
	cr_assert_not_null(strstr(info.error, env("DIRTEST_URI")));
	/* never cached: the next call asks again */
	cr_assert_eq(dir_lookup_address(d, "dup@example.test", pool, &e,
	    &info), DIR_TEMPFAIL);
	cr_assert(!info.cached);
	dir_free(&d);
}

Test(dir, group_and_members)
{
	struct dir *d = shared_dir_open();
	struct dir_entry *g = must_find(d, "staff@example.test", NULL);
	enum dir_result r;
	struct dir_info info;

	cr_assert_eq(g->kind, DIR_KIND_GROUP);
	cr_assert_eq(g->sender_policy, DIR_SENDERS_INTERNAL);
	cr_assert_str_eq(member_list(d, "staff@example.test", &r, &info),
	    "alice@example.test bob@example.test");
	cr_assert_eq(r, DIR_FOUND);
	cr_assert_eq(info.round_trips, 3);	/* the group, alice, bob */
	cr_assert(!info.cached);
	/* second time from the cache */
	member_list(d, "staff@example.test", &r, &info);
	cr_assert(info.cached);
	cr_assert_eq(info.round_trips, 0);
	dir_free(&d);
}

Test(dir, nested_group_deduplicated)
{
	struct dir *d = shared_dir_open();
	enum dir_result r;
	struct dir_info info;
	struct dir_entry *g = must_find(d, "all@example.test", NULL);

	cr_assert_eq(g->sender_policy, DIR_SENDERS_ANYONE);
	cr_assert_str_eq(member_list(d, "all@example.test", &r, &info),
	    "alice@example.test bob@example.test carol@example.test");
	cr_assert_eq(r, DIR_FOUND);
	/* alice directly (with another spelling of her DN) and through
	 * staff counts once; a member DN that does not exist is skipped */
	cr_assert_str_eq(member_list(d, "twice@example.test", &r, &info),
	    "alice@example.test bob@example.test");
	cr_assert_eq(r, DIR_FOUND);
	dir_free(&d);
}

Test(dir, group_has_member)
{
	struct dir *d = shared_dir_open();
	struct dir_entry *all = must_find(d, "all@example.test", NULL);
	struct dir_entry *staff = must_find(d, "staff@example.test", NULL);
	struct dir_info info;

	cr_assert_eq(dir_group_has_member(d, all, "carol@example.test", pool,
	    &info), DIR_FOUND);
	cr_assert_eq(dir_group_has_member(d, all, "ALICE.LIDDELL@example.test",
	    pool, &info), DIR_FOUND);
	cr_assert_eq(dir_group_has_member(d, staff, "carol@example.test", pool,
	    &info), DIR_NOTFOUND);
	cr_assert_eq(dir_group_has_member(d, staff, "nobody@example.test",
	    pool, &info), DIR_NOTFOUND);
	dir_free(&d);
}

Test(dir, group_loop_terminates)
{
	struct dir *d = shared_dir_open();
	enum dir_result r;
	struct dir_info info;

	cr_assert_str_eq(member_list(d, "loop1@example.test", &r, &info),
	    "alice@example.test bob@example.test");
	cr_assert_eq(r, DIR_FOUND, "%s", info.error);
	cr_assert_str_eq(member_list(d, "loop2@example.test", &r, &info),
	    "alice@example.test bob@example.test");
	dir_free(&d);
}

Test(dir, group_depth_limit)
{
	static char *uris[2];
	struct dir_settings s;
	struct dir *d;
	enum dir_result r;
	struct dir_info info;

	/* deep1 > deep2 > deep3 > alice: three levels of groups */
	settings(&s, uris);
	s.group_max_depth = 2;
	d = open_dir(&s);
	member_list(d, "deep1@example.test", &r, &info);
	cr_assert_eq(r, DIR_TEMPFAIL);
	cr_assert_not_null(strstr(info.error, "deeper than 2"), "%s",
	    info.error);
	cr_assert_not_null(strstr(info.error, "cn=deep3"), "%s", info.error);
	dir_free(&d);
	s.group_max_depth = 3;
	d = open_dir(&s);
	cr_assert_str_eq(member_list(d, "deep1@example.test", &r, &info),
	    "alice@example.test");
	cr_assert_eq(r, DIR_FOUND, "%s", info.error);
	dir_free(&d);
}

Test(dir, group_size_limit)
{
	static char *uris[2];
	struct dir_settings s;
	struct dir *d;
	enum dir_result r;
	struct dir_info info;

	settings(&s, uris);
	s.group_max_members = 1;
	d = open_dir(&s);
	member_list(d, "staff@example.test", &r, &info);
	cr_assert_eq(r, DIR_TEMPFAIL);
	cr_assert_not_null(strstr(info.error, "more than 1 members"), "%s",
	    info.error);
	dir_free(&d);
	s.group_max_members = 2;
	d = open_dir(&s);
	member_list(d, "staff@example.test", &r, &info);
	cr_assert_eq(r, DIR_FOUND, "%s", info.error);
	dir_free(&d);
}

Test(dir, domains)
{
	struct dir *d = shared_dir_open();
	struct dir_info info;
	char **list = NULL;
	size_t n = 0;

	cr_assert_eq(dir_domain_accepted(d, "example.test", pool, &info),
	    DIR_FOUND, "%s", info.error);
	cr_assert_eq(dir_domain_accepted(d, "EXAMPLE.Test", pool, &info),
	    DIR_FOUND);
	cr_assert_eq(dir_domain_accepted(d, "other.test", pool, &info),
	    DIR_NOTFOUND);
	cr_assert_eq(dir_domain_accepted(d, "*", pool, &info), DIR_NOTFOUND);
	cr_assert_eq(dir_domains(d, pool, &list, &n, &info), DIR_FOUND);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(list[0], "example.test");
	cr_assert_eq(dir_domains(d, pool, &list, &n, &info), DIR_FOUND);
	cr_assert(info.cached);
	cr_assert_str_eq(list[0], "example.test");
	dir_free(&d);
}

Test(dir, login_lookup)
{
	struct dir *d = shared_dir_open();
	struct dir_entry *e = NULL;
	struct dir_info info;

	cr_assert_eq(dir_lookup_login(d, "alice", pool, &e, &info), DIR_FOUND,
	    "%s", info.error);
	cr_assert_str_eq(e->dn, "uid=alice,ou=people," BASE);
	cr_assert_eq(dir_lookup_login(d, "ALICE@example.test", pool, &e, &info),
	    DIR_FOUND);
	cr_assert_str_eq(e->login, "alice");
	cr_assert_eq(dir_lookup_login(d, "carol", pool, &e, &info), DIR_FOUND);
	cr_assert_eq(e->state, DIR_STATE_DISABLED);
	cr_assert_eq(dir_lookup_login(d, "nobody", pool, &e, &info),
	    DIR_NOTFOUND);
	cr_assert_null(e);
	/* an alias address is no login */
	cr_assert_eq(dir_lookup_login(d, "info@example.test", pool, &e, &info),
	    DIR_NOTFOUND);
	dir_free(&d);
}

Test(dir, password_checks)
{
	struct dir *d = shared_dir_open();
	struct dir_entry *u = NULL;
	struct dir_info info;

	cr_assert_eq(dir_check_password(d, "alice", "demo", 4, pool, &u, &info),
	    DIR_AUTH_OK, "%s", info.error);
	cr_assert_not_null(u);
	cr_assert_str_eq(u->dn, "uid=alice,ou=people," BASE);
	cr_assert_eq(dir_check_password(d, "alice@example.test", "demo", 4,
	    pool, NULL, &info), DIR_AUTH_OK);
	cr_assert_eq(dir_check_password(d, "alice", "Demo", 4, pool, NULL,
	    &info), DIR_AUTH_BADPASS);
	cr_assert_null(info.error);
	/* the password's bytes count, not a C string: "demo\0x" is wrong */
	cr_assert_eq(dir_check_password(d, "alice", "demo\0x", 6, pool, NULL,
	    &info), DIR_AUTH_BADPASS);
	cr_assert_eq(dir_check_password(d, "alice", "", 0, pool, NULL, &info),
	    DIR_AUTH_BADPASS);
	cr_assert_eq(info.round_trips, 0);
	cr_assert_eq(dir_check_password(d, "carol", "demo", 4, pool, NULL,
	    &info), DIR_AUTH_DISABLED);
	cr_assert_eq(dir_check_password(d, "carol", "wrong", 5, pool, NULL,
	    &info), DIR_AUTH_DISABLED);
	cr_assert_eq(dir_check_password(d, "erin", "demo", 4, pool, NULL,
	    &info), DIR_AUTH_RECEIVE_ONLY);
	cr_assert_eq(dir_check_password(d, "nobody", "demo", 4, pool, NULL,
	    &info), DIR_AUTH_NOUSER);
	cr_assert_eq(dir_check_password(d, "*", "demo", 4, pool, NULL, &info),
	    DIR_AUTH_NOUSER);
	dir_free(&d);
}

Test(dir, password_check_over_starttls)
{
	static char *uris[2];
	struct dir_settings s;
	struct dir *d;
	struct dir_info info;

	settings(&s, uris);
	s.starttls = true;
	d = open_dir(&s);
	cr_assert_eq(dir_check_password(d, "bob", "demo", 4, pool, NULL,
	    &info), DIR_AUTH_OK, "%s", info.error);
	cr_assert_eq(dir_check_password(d, "bob", "nope", 4, pool, NULL,
	    &info), DIR_AUTH_BADPASS);
	dir_free(&d);
}

Test(dir, hostile_input_notfound)
{
	struct dir *d = shared_dir_open();
	const char *bad[] = { "*)(uid=*", "*", "*@example.test",
		"alice@example.test)(mail=*", "al\xff\xfeice@example.test",
		"\xc3\x28@example.test", "alice@example.test\\", "(", ")",
		"\0alice@example.test", "alice@example.test\r\nX", NULL };
	struct dir_entry *e;
	struct dir_info info;

	for (size_t i = 0; bad[i] != NULL; i++) {
		e = NULL;
		cr_assert_eq(dir_lookup_address(d, bad[i], pool, &e, &info),
		    DIR_NOTFOUND, "input %zu: %s", i, info.error);
		cr_assert_null(e);
		cr_assert_eq(dir_lookup_login(d, bad[i], pool, &e, &info),
		    DIR_NOTFOUND, "login input %zu", i);
	}
	/* and the server is still fine */
	must_find(d, "alice@example.test", NULL);
	dir_free(&d);
}

Test(dir, cache_positive_and_negative)
{
	static char *uris[2];
	struct dir_settings s;
	struct dir *d;
	struct dir_entry *e;
	struct dir_info info;
	struct dir_stats st;

	settings(&s, uris);
	/* long enough that the second NOTFOUND below is surely cached on
	 * a loaded machine */
	s.cache_negative_ttl_ms = 1000;
	d = open_dir(&s);
	must_find(d, "alice@example.test", &info);
	cr_assert(!info.cached);
	cr_assert_eq(info.round_trips, 1);
	e = must_find(d, "ALICE@example.test", &info);
	cr_assert(info.cached);
	cr_assert_eq(info.round_trips, 0);
	cr_assert_str_eq(info.server, env("DIRTEST_URI"));
	cr_assert_str_eq(e->address, "alice@example.test");
	cr_assert_eq(dir_lookup_address(d, "nobody@example.test", pool, &e,
	    &info), DIR_NOTFOUND);
	cr_assert(!info.cached);
	cr_assert_eq(dir_lookup_address(d, "nobody@example.test", pool, &e,
	    &info), DIR_NOTFOUND);
	cr_assert(info.cached);
	cr_assert_eq(info.round_trips, 0);
	usleep(1200 * 1000);	/* past the negative TTL, not the positive */
	cr_assert_eq(dir_lookup_address(d, "nobody@example.test", pool, &e,
	    &info), DIR_NOTFOUND);
	cr_assert(!info.cached);
	must_find(d, "alice@example.test", &info);
	cr_assert(info.cached);
	dir_stats(d, &st);
	cr_assert_eq(st.cache_hits, 3);
	cr_assert_eq(st.cache_misses, 3);
	cr_assert_eq(st.round_trips, 3);
	cr_assert_gt(st.latency_us_total, 0);
	dir_cache_flush(d);
	must_find(d, "alice@example.test", &info);
	cr_assert(!info.cached);
	dir_free(&d);
}

Test(dir, service_bind_with_password_file)
{
	static char *uris[2];
	struct dir_settings s;
	struct dir *d;
	struct dir_info info;
	struct dir_entry *e;
	char *pwfile = NULL;
	FILE *f;

	cr_assert_geq(asprintf(&pwfile, "%s/bindpw.%d", env("DIRTEST_DIR"),
	    (int)getpid()), 0);
	f = fopen(pwfile, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", env("DIRTEST_BINDPW"));	/* newline trimmed */
	fclose(f);
	settings(&s, uris);
	s.bind_dn = env("DIRTEST_BINDDN");
	s.bind_password_file = pwfile;
	d = open_dir(&s);
	must_find(d, "alice@example.test", &info);
	cr_assert_eq(info.round_trips, 2);	/* bind, search */
	dir_free(&d);
	f = fopen(pwfile, "w");
	fprintf(f, "wrong\n");
	fclose(f);
	d = open_dir(&s);
	cr_assert_eq(dir_lookup_address(d, "alice@example.test", pool, &e,
	    &info), DIR_TEMPFAIL);
	cr_assert_not_null(strstr(info.error, "bind"), "%s", info.error);
	cr_assert_not_null(strstr(info.error, "Invalid credentials"), "%s",
	    info.error);
	dir_free(&d);
	unlink(pwfile);
	free(pwfile);
}

Test(dir, failover_to_second_uri)
{
	char *dead = NULL;
	char *uris[3];
	struct dir_settings s;
	struct dir *d;
	struct dir_info info;

	cr_assert_geq(asprintf(&dead, "ldap://127.0.0.1:%u",
	    (unsigned)itest_free_port()), 0);
	settings(&s, uris);
	uris[0] = dead;
	uris[1] = (char *)env("DIRTEST_URI");
	uris[2] = NULL;
	d = open_dir(&s);
	must_find(d, "bob@example.test", &info);
	cr_assert_str_eq(info.server, env("DIRTEST_URI"));
	dir_free(&d);
	free(dead);
}

Test(dir, starttls_with_fixture_ca)
{
	static char *uris[2];
	struct dir_settings s;
	struct dir *d;
	struct dir_info info;

	settings(&s, uris);
	s.starttls = true;
	d = open_dir(&s);
	must_find(d, "alice@example.test", &info);
	cr_assert_eq(info.round_trips, 2);	/* StartTLS, search */
	dir_free(&d);
}

/* A CA that signed nothing the server has (malloc'd path). */
static char *
unrelated_ca(void)
{
	char *dir = NULL, *script = itest_srcpath("tests/fixtures/certs.sh");
	char *ca = NULL;
	char *argv[] = { "sh", script, NULL, NULL };

	cr_assert_geq(asprintf(&dir, "%s/otherca.%d", env("DIRTEST_DIR"),
	    (int)getpid()), 0);
	argv[2] = dir;
	cr_assert_eq(itest_run(argv, NULL, NULL, 60000), 0);
	cr_assert_geq(asprintf(&ca, "%s/ca.crt", dir), 0);
	free(dir);
	free(script);
	return ca;
}

Test(dir, starttls_with_unrelated_ca_fails)
{
	static char *uris[2];
	struct dir_settings s;
	struct dir *d;
	struct dir_info info;
	struct dir_entry *e;
	char *ca = unrelated_ca();

	settings(&s, uris);
	s.starttls = true;
	s.ca_file = ca;
	d = open_dir(&s);
	cr_assert_eq(dir_lookup_address(d, "alice@example.test", pool, &e,
	    &info), DIR_TEMPFAIL);
	cr_assert_not_null(strstr(info.error, "StartTLS"), "%s", info.error);
	cr_assert_not_null(strstr(info.error, env("DIRTEST_URI")), "%s",
	    info.error);
	cr_assert_not_null(strstr(info.error, "TLS"), "%s", info.error);
	dir_free(&d);
	/* and verification off accepts it (the documented opt-out) */
	s.tls_verify = false;
	d = open_dir(&s);
	must_find(d, "alice@example.test", NULL);
	dir_free(&d);
	free(ca);
}

Test(dir, ldaps_with_fixture_ca_and_unrelated_ca)
{
	char *uris[2];
	struct dir_settings s;
	struct dir *d;
	struct dir_info info;
	struct dir_entry *e;
	char *ca = unrelated_ca();

	settings(&s, uris);
	uris[0] = (char *)env("DIRTEST_LDAPS_URI");
	s.starttls = true;	/* ignored for ldaps:// */
	d = open_dir(&s);
	must_find(d, "alice@example.test", &info);
	cr_assert_str_eq(info.server, env("DIRTEST_LDAPS_URI"));
	cr_assert_eq(info.round_trips, 1);
	dir_free(&d);
	s.ca_file = ca;
	d = open_dir(&s);
	cr_assert_eq(dir_lookup_address(d, "alice@example.test", pool, &e,
	    &info), DIR_TEMPFAIL);
	cr_assert_not_null(strstr(info.error, env("DIRTEST_LDAPS_URI")), "%s",
	    info.error);
	dir_free(&d);
	free(ca);
}

struct worker {
	struct dir *d;
	int id;
	int ok;
	char error[256];
};

static void *
worker_run(void *arg)
{
	static const char *const addrs[] = { "alice@example.test",
		"bob@example.test", "carol@example.test", "info@example.test",
		"staff@example.test", "alice.liddell@example.test" };
	struct worker *w = arg;
	struct pool *p = pool_new("worker");

	for (int i = 0; i < 60; i++) {
		struct dir_entry *e = NULL;
		struct dir_info info;
		const char *a = addrs[(i + w->id) % 6];
		enum dir_result r = dir_lookup_address(w->d, a, p, &e, &info);

		if (r == DIR_FOUND && e != NULL && e->dn != NULL) {
			w->ok++;
		} else if (w->error[0] == '\0') {
			snprintf(w->error, sizeof(w->error), "%s: %s %s", a,
			    dir_result_name(r), info.error ? info.error : "");
		}
	}
	pool_free(&p);
	return NULL;
}

Test(dir, eight_threads_concurrently)
{
	static char *uris[2];
	struct dir_settings s;
	struct dir *d;
	pthread_t t[8];
	struct worker w[8];
	struct dir_stats st;

	settings(&s, uris);
	s.cache_max_entries = 0;	/* every lookup goes to the server */
	s.pool_size = 3;		/* fewer connections than threads */
	d = open_dir(&s);
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ .d = d, .id = i };
		cr_assert_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].ok, 60, "thread %d: %s", i, w[i].error);
	}
	dir_stats(d, &st);
	cr_assert_eq(st.round_trips, 8 * 60);
	cr_assert_eq(st.tempfails, 0);
	dir_free(&d);
}

/* The ad profile's value handling (proxyAddresses, objectGUID,
 * userAccountControl) on slapd: the AD attributes are stood in for by
 * description, audio and employeeNumber. Group expansion in chain needs a
 * real AD (tests/fixtures Samba) and is not covered here. */
Test(dir, ad_profile_values_on_stand_in_attributes)
{
	static char *uris[2];
	const char *ov[] = {
		"attr_proxy_addresses=description",
		"filter_address=(|(mail=%s)(description=smtp:%s))",
		"attr_mailbox_id=audio",
		"attr_uac=employeeNumber",
		"attr_login=uid",
		"attr_display_name=cn",
		"class_user=inetOrgPerson",
		"filter_login=(&(objectClass=inetOrgPerson)(uid=%s))",
		NULL };
	struct dir_settings s;
	struct dir *d;
	struct dir_entry *e;
	struct dir_info info;

	settings(&s, uris);
	s.profile = DIR_PROFILE_AD;
	s.overrides = ov;
	d = open_dir(&s);
	e = must_find(d, "dave.second@example.test", &info);
	cr_assert_str_eq(e->dn, "uid=dave,ou=people," BASE);
	cr_assert_eq(e->kind, DIR_KIND_USER);
	/* SMTP: is the primary; X500: and sip: are not addresses */
	cr_assert_str_eq(e->address, "Dave.Primary@example.test");
	cr_assert_eq(e->n_addresses, 3, "%zu addresses", e->n_addresses);
	cr_assert(has_string(e->addresses, e->n_addresses, "dave@example.test"));
	cr_assert(has_string(e->addresses, e->n_addresses,
	    "dave.second@example.test"));
	cr_assert_str_eq(e->mailbox_id, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	cr_assert_eq(e->state, DIR_STATE_DISABLED);
	must_find(d, "DAVE.PRIMARY@example.test", NULL);
	cr_assert_eq(dir_lookup_address(d, "/o=Org/cn=dave", pool, &e, &info),
	    DIR_NOTFOUND);
	e = must_find(d, "frank@example.test", NULL);
	cr_assert_eq(e->state, DIR_STATE_ACTIVE);
	cr_assert_null(e->mailbox_id);
	cr_assert_eq(dir_check_password(d, "dave", "x", 1, pool, NULL, &info),
	    DIR_AUTH_DISABLED);
	dir_free(&d);
	/* the override that makes a disabled AD account a leaver */
	{
		const char *ov2[10];

		memcpy(ov2, ov, sizeof(ov));
		ov2[8] = "uac_disabled_state=receive-only";
		ov2[9] = NULL;
		s.overrides = ov2;
		d = open_dir(&s);
		e = must_find(d, "dave@example.test", NULL);
		cr_assert_eq(e->state, DIR_STATE_RECEIVE_ONLY);
		dir_free(&d);
	}
}

/* Tests with servers of their own. */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct itest_slapd *
own_slapd(const char *tag, char **dir_out)
{
	char *dir = itest_tmpdir(tag);
	char *files;
	struct itest_slapd *sl;

	cr_assert_not_null(dir);
	files = ldif_files(dir);
	cr_assert_not_null(files);
	sl = itest_slapd_start(dir, files);
	cr_assert_not_null(sl, "slapd did not start");
	free(files);
	*dir_out = dir;
	return sl;
}

Test(dir, server_stopped_mid_run_then_back, .timeout = 120)
{
	char *dir, *uris[2];
	struct itest_slapd *sl = own_slapd("dir-stop", &dir);
	struct dir_settings s;
	struct dir *d;
	struct dir_entry *e;
	struct dir_info info;

	settings(&s, uris);
	uris[0] = sl->uri;
	s.ca_file = sl->cacert;
	s.retry_dead_ms = 60000;	/* the only server: tried anyway */
	d = open_dir(&s);
	must_find(d, "alice@example.test", &info);
	cr_assert_str_eq(info.server, sl->uri);
	cr_assert_eq(itest_slapd_halt(sl), 0);
	/* the pooled connection is gone: one reconnect, then TEMPFAIL */
	cr_assert_eq(dir_lookup_address(d, "bob@example.test", pool, &e,
	    &info), DIR_TEMPFAIL);
	cr_assert_not_null(strstr(info.error, sl->uri), "%s", info.error);
	cr_assert_not_null(strstr(info.error, "Can't contact LDAP server"),
	    "%s", info.error);
	cr_assert_eq(dir_lookup_address(d, "nobody@example.test", pool, &e,
	    &info), DIR_TEMPFAIL, "an outage must not look like NOTFOUND");
	cr_assert_eq(dir_check_password(d, "alice", "demo", 4, pool, NULL,
	    &info), DIR_AUTH_TEMPFAIL);
	cr_assert_eq(dir_domain_accepted(d, "example.test", pool, &info),
	    DIR_TEMPFAIL);
	cr_assert_eq(itest_slapd_resume(sl), 0);
	must_find(d, "bob@example.test", &info);
	cr_assert_str_eq(info.server, sl->uri);
	cr_assert_eq(dir_check_password(d, "alice", "demo", 4, pool, NULL,
	    &info), DIR_AUTH_OK, "%s", info.error);
	/* a restart under an open connection is bridged transparently */
	cr_assert_eq(itest_slapd_restart(sl), 0);
	dir_cache_flush(d);
	must_find(d, "bob@example.test", &info);
	dir_free(&d);
	itest_slapd_stop(&sl);
	itest_cleanup_dir(&dir);
}

Test(dir, back_to_preferred_server, .timeout = 120)
{
	char *dir, *uris[3];
	struct itest_slapd *first = own_slapd("dir-pref", &dir);
	struct dir_settings s;
	struct dir *d;
	struct dir_info info;
	uint64_t t0;

	cr_assert_eq(itest_slapd_halt(first), 0);
	settings(&s, uris);
	uris[0] = first->uri;
	uris[1] = (char *)env("DIRTEST_URI");
	uris[2] = NULL;
	s.retry_dead_ms = 3000;
	s.pool_size = 1;
	s.cache_max_entries = 0;
	d = open_dir(&s);
	t0 = now_ms();
	must_find(d, "alice@example.test", &info);
	cr_assert_str_eq(info.server, env("DIRTEST_URI"));
	cr_assert_eq(itest_slapd_resume(first), 0);
	/* within retry_dead_ms the fallback is kept (if the machine was
	 * quick enough to get here in time to tell) */
	if (now_ms() - t0 < 2500) {
		must_find(d, "alice@example.test", &info);
		cr_assert_str_eq(info.server, env("DIRTEST_URI"));
	}
	while (now_ms() - t0 < 3200)
		usleep(50 * 1000);
	must_find(d, "alice@example.test", &info);
	cr_assert_str_eq(info.server, first->uri);
	dir_free(&d);
	itest_slapd_stop(&first);
	itest_cleanup_dir(&dir);
}
