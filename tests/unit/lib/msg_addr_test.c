/*
 * tests/unit/lib/msg_addr_test.c - unit tests for lib/msg_addr.c:
 * RFC 5322 mailboxes, groups, quoting, comments, obsolete forms,
 * recovery from garbage and the entry limit.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/msg_addr.h"
#include "lib/pool.h"
#include "lib/banned.h"

static struct pool *pool;

static void
setup(void)
{
	pool = pool_new("test");
}

static void
teardown(void)
{
	pool_free(&pool);
}

TestSuite(msg_addr, .init = setup, .fini = teardown);

/* The list as "[name|route|mailbox|host] ..." with - for NULL and
 * {group / } for group markers. */
static const char *
show(const char *s, size_t max)
{
	struct buf *b = buf_new(256, 1 << 16);
	struct msg_addr *a = msg_addr_parse(pool, s, strlen(s), max, NULL);
	char *out;

	for (; a != NULL; a = a->next) {
		if (a->kind == MSG_ADDR_GROUP_START)
			buf_printf(b, "{%s ", a->mailbox);
		else if (a->kind == MSG_ADDR_GROUP_END)
			buf_append_str(b, "} ");
		else
			buf_printf(b, "[%s|%s|%s|%s] ",
			    a->name ? a->name : "-", a->route ? a->route : "-",
			    a->mailbox, a->host);
	}
	out = pool_strdup(pool, buf_cstr(b));
	buf_free(&b);
	return out;
}

Test(msg_addr, plain_and_name_addr)
{
	cr_assert_str_eq(show("a@example.com", 100), "[-|-|a|example.com] ");
	cr_assert_str_eq(show("John Doe <john@example.com>", 100),
	    "[John Doe|-|john|example.com] ");
	cr_assert_str_eq(show("  <x@y>  ", 100), "[-|-|x|y] ");
}

Test(msg_addr, quoted_names_and_escapes)
{
	cr_assert_str_eq(show("\"Doe, John \\\"JD\\\"\" <j@d.org>", 100),
	    "[Doe, John \"JD\"|-|j|d.org] ");
}

Test(msg_addr, list_with_commas_and_empty_members)
{
	cr_assert_str_eq(show("a@x, , b@y,c@z", 100),
	    "[-|-|a|x] [-|-|b|y] [-|-|c|z] ");
}

Test(msg_addr, groups)
{
	cr_assert_str_eq(show("Team: bob@example.com, \"Carol X\" "
	    "<carol@example.net>;, dave@example.com", 100),
	    "{Team [-|-|bob|example.com] [Carol X|-|carol|example.net] } "
	    "[-|-|dave|example.com] ");
	cr_assert_str_eq(show("undisclosed-recipients:;", 100),
	    "{undisclosed-recipients } ");
}

Test(msg_addr, comments_name_an_address)
{
	cr_assert_str_eq(show("john@example.com (John Doe)", 100),
	    "[John Doe|-|john|example.com] ");
	cr_assert_str_eq(show("Jane <jane@example.com> (work)", 100),
	    "[Jane|-|jane|example.com] ");
	cr_assert_str_eq(show("(c1) a(c2)@(c3)b.example (last)", 100),
	    "[last|-|a|b.example] ");
}

Test(msg_addr, obsolete_forms)
{
	/* obs-route, obs-local-part with spaces around dots, obs-phrase */
	cr_assert_str_eq(show("<@r1.example,@r2.example:u@h.example>", 100),
	    "[-|@r1.example,@r2.example|u|h.example] ");
	cr_assert_str_eq(show("john . doe @ example . com", 100),
	    "[-|-|john.doe|example.com] ");
	cr_assert_str_eq(show("John Q. Public <jqp@example.com>", 100),
	    "[John Q. Public|-|jqp|example.com] ");
}

Test(msg_addr, quoted_local_part_stays_quoted)
{
	cr_assert_str_eq(show("\"john doe\"@example.com", 100),
	    "[-|-|\"john doe\"|example.com] ");
	cr_assert_str_eq(show("\"plain\"@example.com", 100),
	    "[-|-|plain|example.com] ");
}

Test(msg_addr, domain_literal_and_missing_domain)
{
	cr_assert_str_eq(show("u@[192.0.2.1]", 100), "[-|-|u|[192.0.2.1]] ");
	cr_assert_str_eq(show("root", 100), "[-|-|root|] ");
}

Test(msg_addr, garbage_is_skipped_to_the_next_comma)
{
	cr_assert_str_eq(show(">>> @@@, ok@example.com", 100),
	    "[-|-|ok|example.com] ");
	cr_assert_str_eq(show("<unterminated@example.com", 100),
	    "[-|-|unterminated|example.com] ");
	cr_assert_str_eq(show("\"unterminated", 100), "[-|-|unterminated|] ");
	cr_assert_str_eq(show("", 100), "");
	cr_assert_str_eq(show(",,;:", 100), "");
	cr_assert_str_eq(show("a@b c@d, e@f", 100), "[-|-|a|b] [-|-|e|f] ");
}

Test(msg_addr, entry_limit_at_max_and_past_it)
{
	size_t n;

	msg_addr_parse(pool, "a@x, b@y, c@z", 13, 3, &n);
	cr_assert_eq(n, 3);
	msg_addr_parse(pool, "a@x, b@y, c@z", 13, 2, &n);
	cr_assert_eq(n, 2);
	/* a group that does not fit whole is not started */
	cr_assert_str_eq(show("a@x, G: b@y;", 2), "[-|-|a|x] ");
	cr_assert_str_eq(show("a@x, G: b@y, c@z;", 4),
	    "[-|-|a|x] {G [-|-|b|y] } ");
}

Test(msg_addr, addr_spec)
{
	struct msg_addr *a = msg_addr_parse(pool, "X <u@h>, v", 10, 10, NULL);

	cr_assert_str_eq(msg_addr_spec(pool, a), "u@h");
	cr_assert_str_eq(msg_addr_spec(pool, a->next), "v");
}
