/*
 * tests/unit/admin/admin_out_test.c - the tessera command's text and
 * JSON output (admin/admin_out.c): escaping, nesting, listings.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "admin/admin_out.h"
#include "lib/banned.h"

static void
show(struct admin_out *o)
{
	char *list[] = { "a@example.test", "b \"quoted\"@x" };

	admin_out_begin_obj(o, NULL);
	admin_out_str(o, "address", "alice@example.test");
	admin_out_str(o, "name", "Alice \"Al\" Liddell\n\\");
	admin_out_str(o, "host", NULL);
	admin_out_u64(o, "quota_bytes", 52428800);
	admin_out_bool(o, "cached", false);
	admin_out_strs(o, "addresses", list, 2);
	admin_out_begin_obj(o, "directory");
	admin_out_str(o, "server", "ldap://127.0.0.1:1");
	admin_out_end_obj(o);
	admin_out_end_obj(o);
}

Test(admin_out, json_object_is_escaped)
{
	struct admin_out *o = admin_out_new(true);

	show(o);
	cr_expect_str_eq(admin_out_text(o),
	    "{\"address\":\"alice@example.test\","
	    "\"name\":\"Alice \\\"Al\\\" Liddell\\u000a\\\\\","
	    "\"host\":null,\"quota_bytes\":52428800,\"cached\":false,"
	    "\"addresses\":[\"a@example.test\",\"b \\\"quoted\\\"@x\"],"
	    "\"directory\":{\"server\":\"ldap://127.0.0.1:1\"}}");
	admin_out_free(&o);
	cr_expect_null(o);
}

Test(admin_out, text_object_is_lines)
{
	struct admin_out *o = admin_out_new(false);

	show(o);
	cr_expect_str_eq(admin_out_text(o),
	    "address: alice@example.test\n"
	    "name: Alice \"Al\" Liddell\n\\\n"
	    "quota_bytes: 52428800\n"
	    "cached: no\n"
	    "addresses: a@example.test\n"
	    "addresses: b \"quoted\"@x\n"
	    "directory.server: ldap://127.0.0.1:1\n");
	admin_out_free(&o);
}

static void
listing(struct admin_out *o, int n)
{
	char *t[] = { "x@example.test", "y@example.test" };

	admin_out_begin_list(o, NULL);
	for (int i = 0; i < n; i++) {
		admin_out_begin_obj(o, NULL);
		admin_out_str(o, "alias", i == 0 ? "info@example.test" :
		    "sales@example.test");
		admin_out_strs(o, "targets", t, (size_t)(i + 1));
		admin_out_str(o, "name", "Two words");
		admin_out_end_obj(o);
	}
	admin_out_end_list(o);
}

Test(admin_out, json_listing)
{
	struct admin_out *o = admin_out_new(true);

	listing(o, 2);
	cr_expect_str_eq(admin_out_text(o),
	    "[{\"alias\":\"info@example.test\",\"targets\":[\"x@example.test\"],"
	    "\"name\":\"Two words\"},"
	    "{\"alias\":\"sales@example.test\",\"targets\":[\"x@example.test\","
	    "\"y@example.test\"],\"name\":\"Two words\"}]");
	admin_out_free(&o);
	o = admin_out_new(true);
	listing(o, 0);
	cr_expect_str_eq(admin_out_text(o), "[]");
	admin_out_free(&o);
}

Test(admin_out, text_listing_one_line_per_item)
{
	struct admin_out *o = admin_out_new(false);

	listing(o, 2);
	cr_expect_str_eq(admin_out_text(o),
	    "info@example.test targets=x@example.test name=\"Two words\"\n"
	    "sales@example.test targets=x@example.test,y@example.test"
	    " name=\"Two words\"\n");
	admin_out_free(&o);
}

Test(admin_out, text_listing_quotes_line_breaks)
{
	struct admin_out *o = admin_out_new(false);

	admin_out_begin_list(o, NULL);
	admin_out_begin_obj(o, NULL);
	admin_out_str(o, "dn", "cn=x");
	admin_out_str(o, "name", "two\nlines\r");
	admin_out_end_obj(o);
	admin_out_end_list(o);
	cr_expect_str_eq(admin_out_text(o), "cn=x name=\"two\\nlines\\r\"\n");
	admin_out_free(&o);
}

Test(admin_out, list_inside_show_is_indented)
{
	struct admin_out *o = admin_out_new(false);

	admin_out_begin_obj(o, NULL);
	admin_out_str(o, "address", "staff@example.test");
	admin_out_begin_list(o, "members");
	admin_out_begin_obj(o, NULL);
	admin_out_str(o, "address", "alice@example.test");
	admin_out_str(o, "kind", "user");
	admin_out_end_obj(o);
	admin_out_end_list(o);
	admin_out_end_obj(o);
	cr_expect_str_eq(admin_out_text(o), "address: staff@example.test\n"
	    "members:\n  alice@example.test kind=user\n");
	admin_out_free(&o);
}

Test(admin_out, notes_only_in_text)
{
	struct admin_out *o = admin_out_new(true);

	admin_out_note(o, "created %s", "x");
	cr_expect_str_eq(admin_out_text(o), "");
	admin_out_free(&o);
	o = admin_out_new(false);
	admin_out_note(o, "created %s", "x");
	cr_expect_str_eq(admin_out_text(o), "created x\n");
	admin_out_free(&o);
}

Test(admin_out, nesting_past_the_limit_panics, .signal = SIGABRT)
{
	struct admin_out *o = admin_out_new(true);

	for (int i = 0; i <= ADMIN_OUT_DEPTH_MAX; i++)
		admin_out_begin_obj(o, "x");
}
