/*
 * tests/unit/accessd/pop3d_cmd_test.c - the POP3 command parser: verbs,
 * arguments, numbers at their limit, control bytes.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "accessd/pop3d_cmd.h"
#include "lib/banned.h"

static int
parse(const char *text, struct pop3d_cmd *c, const char **err)
{
	static char line[512];

	snprintf(line, sizeof(line), "%s", text);
	return pop3d_cmd_parse(line, strlen(line), c, err);
}

Test(pop3d_cmd, verbs_and_arguments)
{
	struct pop3d_cmd c;
	const char *err = NULL;

	cr_assert_eq(parse("user alice", &c, &err), 0);
	cr_assert_eq(c.verb, POP3D_USER);
	cr_assert_str_eq(c.arg, "alice");
	cr_assert_eq(parse("PASS two words ", &c, &err), 0);
	cr_assert_str_eq(c.arg, "two words ");
	cr_assert_eq(parse("AUTH PLAIN AGEAYg==", &c, &err), 0);
	cr_assert_str_eq(c.arg, "PLAIN");
	cr_assert_str_eq(c.arg2, "AGEAYg==");
	cr_assert_eq(parse("TOP 3 0", &c, &err), 0);
	cr_assert_eq(c.msg, 3);
	cr_assert_eq(c.lines, 0);
	cr_assert_eq(parse("LIST", &c, &err), 0);
	cr_assert_not(c.has_msg);
	cr_assert_eq(parse("QUIT ", &c, &err), 0);
	cr_assert_eq(c.verb, POP3D_QUIT);
}

Test(pop3d_cmd, refusals)
{
	struct pop3d_cmd c;
	const char *err = NULL;

	cr_assert_eq(parse("USER a b", &c, &err), -1);
	cr_assert_eq(parse("USER", &c, &err), -1);
	cr_assert_eq(parse("PASS", &c, &err), -1);
	cr_assert_eq(parse("STAT 1", &c, &err), -1);
	cr_assert_eq(parse("RETR", &c, &err), -1);
	cr_assert_eq(parse("RETR 0", &c, &err), -1);
	cr_assert_eq(parse("RETR +1", &c, &err), -1);
	cr_assert_eq(parse("RETR 1 2", &c, &err), -1);
	cr_assert_eq(parse("TOP 1", &c, &err), -1);
	cr_assert_eq(parse("XTND", &c, &err), -1);
	cr_assert_str_eq(err, "Unknown command");
	cr_assert_eq(parse("USER a\tb", &c, &err), -1);
	cr_assert_str_eq(err, "Control character in command");
}

Test(pop3d_cmd, message_number_limit)
{
	struct pop3d_cmd c;
	const char *err = NULL;

	cr_assert_eq(parse("RETR 2147483646", &c, &err), 0);
	cr_assert_eq(parse("RETR 2147483647", &c, &err), 0);
	cr_assert_eq(c.msg, POP3D_NUMBER_MAX);
	cr_assert_eq(parse("RETR 2147483648", &c, &err), -1);
	cr_assert_eq(parse("TOP 1 2147483648", &c, &err), -1);
}

Test(pop3d_cmd, nul_inside_is_refused)
{
	char line[] = "USER a\0b";
	struct pop3d_cmd c;
	const char *err = NULL;

	cr_assert_eq(pop3d_cmd_parse(line, sizeof(line) - 1, &c, &err), -1);
}
