/*
 * tests/unit/lib/cfg_test.c - unit tests for lib/cfg.c and lib/cfg_value.c.
 *
 * A small two-section configuration (one singleton, one named) exercises
 * every value type, every limit at max-1/max/max+1, every error message
 * and the keep-old-config-on-failure rule. Files go to a private
 * temporary directory.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/banned.h"

struct t_main {
	char *name;
	int64_t workers;
	int64_t offset;
	uint64_t msg_size;
	uint64_t idle;
	bool tls;
	char **mechs;
	size_t nmechs;
	int level;
};

static const char *const levels[] = { "debug", "info", "warn", "error", NULL };

static const struct cfg_key main_keys[] = {
	CFG_STRING(struct t_main, name, "name", "mx.example.org",
	    "Host name in the greeting."),
	CFG_INT(struct t_main, workers, "workers", "4", "1", "64",
	    "Worker processes."),
	CFG_INT(struct t_main, offset, "offset", "-5", NULL, NULL,
	    "Any integer."),
	CFG_SIZE(struct t_main, msg_size, "message_size_limit", "10M", "1k",
	    "1G", "Largest message accepted."),
	CFG_TIME(struct t_main, idle, "idle_timeout", "5m", "10s", "1h",
	    "Idle time before disconnecting."),
	CFG_BOOL(struct t_main, tls, "tls", "yes", "Offer STARTTLS."),
	CFG_LIST(struct t_main, mechs, nmechs, "mechanisms", "PLAIN, LOGIN",
	    "SASL mechanisms."),
	CFG_ENUM(struct t_main, level, "log_level", "info", levels,
	    "Least severe level logged."),
};

struct t_listener {
	char *address;
	uint64_t timeout;
	bool submission;
};

static const struct cfg_key listener_keys[] = {
	CFG_STRING(struct t_listener, address, "address", "",
	    "Address and port."),
	CFG_TIME(struct t_listener, timeout, "timeout", "30s", NULL, NULL,
	    "Command timeout."),
	CFG_BOOL(struct t_listener, submission, "submission", "no",
	    "Require AUTH."),
};

static int
listener_check(void *data, const char *instance, struct buf *msg)
{
	struct t_listener *l = data;

	if (l->address[0] != '\0')
		return 0;
	buf_printf(msg, "address is required");
	return -1;
}

static const struct cfg_section_def defs[] = {
	CFG_SECTION("mtad", struct t_main, main_keys, NULL, "SMTP daemon."),
	CFG_SECTION_NAMED("mtad.listener", struct t_listener, listener_keys,
	    listener_check, "A listening socket."),
};

static struct cfg *
new_cfg(void)
{
	return cfg_new(defs, sizeof(defs) / sizeof(defs[0]));
}

/* Load text; expect failure with exactly the error text want. */
static void
expect_error(const char *text, const char *want)
{
	struct cfg *c = new_cfg();
	struct buf *err = buf_new(256, 65536);

	cr_assert_eq(cfg_load_string(c, "t.conf", text, err), -1, "%s", text);
	cr_assert_str_eq(buf_cstr(err), want);
	buf_free(&err);
	cfg_free(&c);
}

static const struct t_main *
load_main(struct cfg *c, const char *text)
{
	struct buf *err = buf_new(256, 65536);

	cr_assert_eq(cfg_load_string(c, "t.conf", text, err), 0, "%s",
	    buf_cstr(err));
	buf_free(&err);
	return cfg_get(c, "mtad");
}

/* ---- value parsers ---------------------------------------------------- */

Test(cfg, parse_size_units)
{
	uint64_t v;

	cr_assert_eq(cfg_parse_size("512", &v), 0);
	cr_assert_eq(v, 512);
	cr_assert_eq(cfg_parse_size("10k", &v), 0);
	cr_assert_eq(v, 10240);
	cr_assert_eq(cfg_parse_size("25M", &v), 0);
	cr_assert_eq(v, 25ull << 20);
	cr_assert_eq(cfg_parse_size("1G", &v), 0);
	cr_assert_eq(v, 1ull << 30);
	cr_assert_eq(cfg_parse_size("1g", &v), 0);
	cr_assert_eq(v, 1ull << 30);
	cr_assert_eq(cfg_parse_size("2T", &v), 0);
	cr_assert_eq(v, 2ull << 40);
	cr_assert_eq(cfg_parse_size("0", &v), 0);
	cr_assert_eq(v, 0);
}

Test(cfg, parse_size_rejects_garbage_and_overflow)
{
	uint64_t v = 7;

	cr_assert_eq(cfg_parse_size("", &v), -1);
	cr_assert_eq(cfg_parse_size("k", &v), -1);
	cr_assert_eq(cfg_parse_size("10x", &v), -1);
	cr_assert_eq(cfg_parse_size("10kb", &v), -1);
	cr_assert_eq(cfg_parse_size("-1", &v), -1);
	cr_assert_eq(cfg_parse_size(" 1", &v), -1);
	cr_assert_eq(cfg_parse_size("1 k", &v), -1);
	cr_assert_eq(cfg_parse_size("18446744073709551615", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(cfg_parse_size("18446744073709551616", &v), -1);
	/* 2^24 T = 2^64: one past the top */
	cr_assert_eq(cfg_parse_size("16777215T", &v), 0);
	cr_assert_eq(cfg_parse_size("16777216T", &v), -1);
	cr_assert_eq(v, 16777215ull << 40);
}

Test(cfg, parse_duration_units)
{
	uint64_t v;

	cr_assert_eq(cfg_parse_duration_ms("30s", &v), 0);
	cr_assert_eq(v, 30000);
	cr_assert_eq(cfg_parse_duration_ms("5m", &v), 0);
	cr_assert_eq(v, 300000);
	cr_assert_eq(cfg_parse_duration_ms("1h", &v), 0);
	cr_assert_eq(v, 3600000);
	cr_assert_eq(cfg_parse_duration_ms("250ms", &v), 0);
	cr_assert_eq(v, 250);
	cr_assert_eq(cfg_parse_duration_ms("2d", &v), 0);
	cr_assert_eq(v, 2 * 86400000ull);
	cr_assert_eq(cfg_parse_duration_ms("7", &v), 0);
	cr_assert_eq(v, 7000);
	cr_assert_eq(cfg_parse_duration_ms("5M", &v), 0);
	cr_assert_eq(v, 300000);
	cr_assert_eq(cfg_parse_duration_ms("250MS", &v), 0);
	cr_assert_eq(v, 250);
}

Test(cfg, parse_duration_rejects_garbage_and_overflow)
{
	uint64_t v = 3;

	cr_assert_eq(cfg_parse_duration_ms("", &v), -1);
	cr_assert_eq(cfg_parse_duration_ms("ms", &v), -1);
	cr_assert_eq(cfg_parse_duration_ms("5x", &v), -1);
	cr_assert_eq(cfg_parse_duration_ms("1.5h", &v), -1);
	cr_assert_eq(cfg_parse_duration_ms("1h30m", &v), -1);
	cr_assert_eq(cfg_parse_duration_ms("-1s", &v), -1);
	cr_assert_eq(v, 3);
	/* UINT64_MAX / 1000 seconds is the most that fits */
	cr_assert_eq(cfg_parse_duration_ms("18446744073709551", &v), 0);
	cr_assert_eq(v, 18446744073709551000ull);
	cr_assert_eq(cfg_parse_duration_ms("18446744073709552", &v), -1);
	cr_assert_eq(cfg_parse_duration_ms("18446744073709551615ms", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
}

Test(cfg, parse_bool_words)
{
	static const char *const yes[] = { "yes", "YES", "true", "On", "1" };
	static const char *const no[] = { "no", "No", "false", "OFF", "0" };
	bool b;
	size_t i;

	for (i = 0; i < 5; i++) {
		b = false;
		cr_assert_eq(cfg_parse_bool(yes[i], &b), 0, "%s", yes[i]);
		cr_assert(b, "%s", yes[i]);
		b = true;
		cr_assert_eq(cfg_parse_bool(no[i], &b), 0, "%s", no[i]);
		cr_assert_not(b, "%s", no[i]);
	}
	cr_assert_eq(cfg_parse_bool("", &b), -1);
	cr_assert_eq(cfg_parse_bool("2", &b), -1);
	cr_assert_eq(cfg_parse_bool("yess", &b), -1);
	cr_assert_eq(cfg_parse_bool("y", &b), -1);
}

/* ---- defaults and values ---------------------------------------------- */

Test(cfg, defaults_without_file)
{
	struct cfg *c = new_cfg();
	const struct t_main *m = cfg_get(c, "mtad");
	const char *const *names;

	cr_assert_str_eq(m->name, "mx.example.org");
	cr_assert_eq(m->workers, 4);
	cr_assert_eq(m->offset, -5);
	cr_assert_eq(m->msg_size, 10ull << 20);
	cr_assert_eq(m->idle, 300000);
	cr_assert(m->tls);
	cr_assert_eq(m->nmechs, 2);
	cr_assert_str_eq(m->mechs[0], "PLAIN");
	cr_assert_str_eq(m->mechs[1], "LOGIN");
	cr_assert_null(m->mechs[2]);
	cr_assert_eq(m->level, 1);
	cr_assert_eq(cfg_instances(c, "mtad.listener", &names, NULL), 0);
	cr_assert_null(names[0]);
	cr_assert_eq(cfg_line(c, "mtad", NULL, "workers"), 0);
	cfg_free(&c);
	cr_assert_null(c);
	cfg_free(&c);
}

Test(cfg, empty_file_gives_defaults)
{
	struct cfg *c = new_cfg();
	const struct t_main *m = load_main(c, "");

	cr_assert_eq(m->workers, 4);
	cfg_free(&c);
}

Test(cfg, loads_every_type)
{
	struct cfg *c = new_cfg();
	const struct t_main *m = load_main(c,
	    "; comment\n"
	    "# another\n"
	    "[mtad]\n"
	    "name = smtp.example.net\n"
	    "workers = 8\n"
	    "offset = -9223372036854775808\n"
	    "message_size_limit = 25M\n"
	    "idle_timeout = 90s\n"
	    "tls = off\n"
	    "mechanisms = GSSAPI,PLAIN  LOGIN, , XOAUTH2\n"
	    "log_level = WARN\n");

	cr_assert_str_eq(m->name, "smtp.example.net");
	cr_assert_eq(m->workers, 8);
	cr_assert_eq(m->offset, INT64_MIN);
	cr_assert_eq(m->msg_size, 25ull << 20);
	cr_assert_eq(m->idle, 90000);
	cr_assert_not(m->tls);
	cr_assert_eq(m->nmechs, 4);
	cr_assert_str_eq(m->mechs[0], "GSSAPI");
	cr_assert_str_eq(m->mechs[1], "PLAIN");
	cr_assert_str_eq(m->mechs[2], "LOGIN");
	cr_assert_str_eq(m->mechs[3], "XOAUTH2");
	cr_assert_null(m->mechs[4]);
	cr_assert_eq(m->level, 2);
	cr_assert_eq(cfg_line(c, "mtad", NULL, "workers"), 5);
	cr_assert_eq(cfg_line(c, "mtad", NULL, "tls"), 9);
	cfg_free(&c);
}

Test(cfg, empty_values)
{
	struct cfg *c = new_cfg();
	const struct t_main *m = load_main(c,
	    "[mtad]\nname =\nmechanisms =\n");

	cr_assert_str_eq(m->name, "");
	cr_assert_eq(m->nmechs, 0);
	cr_assert_null(m->mechs[0]);
	cfg_free(&c);
}

Test(cfg, hash_comment_leaves_empty_value)
{
	expect_error("[mtad]\noffset = # just a comment\n",
	    "t.conf:2: [mtad] offset: bad value \"\": expected an integer\n");
}

Test(cfg, comments_crlf_bom_and_colon_ok)
{
	struct cfg *c = new_cfg();
	const struct t_main *m = load_main(c,
	    "\xEF\xBB\xBF[mtad]\r\n"
	    "workers = 8 ; eight\r\n"
	    "idle_timeout = 1h # an hour\r\n"
	    "name: colon.example\r\n"
	    "  ; indented comment\r\n"
	    "\r\n"
	    "mechanisms = # none\r\n");

	cr_assert_eq(m->workers, 8);
	cr_assert_eq(m->idle, 3600000);
	cr_assert_str_eq(m->name, "colon.example");
	cr_assert_eq(m->nmechs, 0);
	cfg_free(&c);
}

Test(cfg, indented_keys_right_after_header_are_keys)
{
	struct cfg *c = new_cfg();
	const struct t_main *m = load_main(c, "[mtad]\n  workers = 9\n");

	cr_assert_eq(m->workers, 9);
	cfg_free(&c);
}

/* ---- ranges at max-1 / max / max+1 ------------------------------------ */

static void
expect_value(const char *text, bool ok)
{
	struct cfg *c = new_cfg();
	struct buf *err = buf_new(256, 4096);

	cr_assert_eq(cfg_load_string(c, "t.conf", text, err), ok ? 0 : -1,
	    "%s: %s", text, buf_cstr(err));
	if (!ok)
		cr_assert(strstr(buf_cstr(err), "out of range") != NULL, "%s",
		    buf_cstr(err));
	buf_free(&err);
	cfg_free(&c);
}

Test(cfg, integer_range_limits)
{
	expect_value("[mtad]\nworkers = 0\n", false);
	expect_value("[mtad]\nworkers = 1\n", true);
	expect_value("[mtad]\nworkers = 2\n", true);
	expect_value("[mtad]\nworkers = 63\n", true);
	expect_value("[mtad]\nworkers = 64\n", true);
	expect_value("[mtad]\nworkers = 65\n", false);
	expect_value("[mtad]\nworkers = -1\n", false);
}

Test(cfg, size_range_limits)
{
	expect_value("[mtad]\nmessage_size_limit = 1023\n", false);
	expect_value("[mtad]\nmessage_size_limit = 1k\n", true);
	expect_value("[mtad]\nmessage_size_limit = 1025\n", true);
	expect_value("[mtad]\nmessage_size_limit = 1073741823\n", true);
	expect_value("[mtad]\nmessage_size_limit = 1G\n", true);
	expect_value("[mtad]\nmessage_size_limit = 1073741825\n", false);
}

Test(cfg, duration_range_limits)
{
	expect_value("[mtad]\nidle_timeout = 9999ms\n", false);
	expect_value("[mtad]\nidle_timeout = 10s\n", true);
	expect_value("[mtad]\nidle_timeout = 10001ms\n", true);
	expect_value("[mtad]\nidle_timeout = 3599999ms\n", true);
	expect_value("[mtad]\nidle_timeout = 1h\n", true);
	expect_value("[mtad]\nidle_timeout = 3600001ms\n", false);
}

Test(cfg, integer_limits_of_the_type)
{
	struct cfg *c = new_cfg();
	const struct t_main *m = load_main(c,
	    "[mtad]\noffset = 9223372036854775807\n");

	cr_assert_eq(m->offset, INT64_MAX);
	cfg_free(&c);
	expect_error("[mtad]\noffset = 9223372036854775808\n",
	    "t.conf:2: [mtad] offset: bad value \"9223372036854775808\": "
	    "expected an integer\n");
	expect_error("[mtad]\noffset = -9223372036854775809\n",
	    "t.conf:2: [mtad] offset: bad value \"-9223372036854775809\": "
	    "expected an integer\n");
}

/* ---- errors ------------------------------------------------------------ */

Test(cfg, error_messages_name_file_line_section_key)
{
	expect_error("[mtad]\nworkers = 8\nbogus = 1\n",
	    "t.conf:3: [mtad] bogus: unknown key\n");
	expect_error("[mtad]\n[nowhere]\nx = 1\n",
	    "t.conf:2: [nowhere]: unknown section\n");
	expect_error("[mtad]\nworkers = many\n",
	    "t.conf:2: [mtad] workers: bad value \"many\": "
	    "expected an integer\n");
	expect_error("[mtad]\nworkers = 65\n",
	    "t.conf:2: [mtad] workers: 65 is out of range 1..64\n");
	expect_error("[mtad]\nworkers = 8\nworkers = 9\n",
	    "t.conf:3: [mtad] workers: duplicate key (first set at line 2)\n");
	expect_error("[mtad]\nworkers 8\n",
	    "t.conf:2: syntax error: expected \"key = value\"\n");
	expect_error("[mtad\nworkers = 8\n",
	    "t.conf:1: syntax error: section header without ']'\n");
	expect_error("[mtad] junk\n",
	    "t.conf:1: syntax error: text after section header\n");
	expect_error("[]\n", "t.conf:1: empty section name\n");
	expect_error("workers = 8\n",
	    "t.conf:1: workers: key before any [section]\n");
	expect_error("[mtad]\ntls = maybe\n",
	    "t.conf:2: [mtad] tls: bad value \"maybe\": "
	    "expected yes/no, true/false, on/off or 1/0\n");
	expect_error("[mtad]\nlog_level = verbose\n",
	    "t.conf:2: [mtad] log_level: bad value \"verbose\": "
	    "not one of the allowed words\n");
	expect_error("[mtad]\nidle_timeout = soon\n",
	    "t.conf:2: [mtad] idle_timeout: bad value \"soon\": "
	    "expected a duration (250ms, 30s, 5m, 1h, 2d)\n");
	expect_error("[mtad]\nmessage_size_limit = big\n",
	    "t.conf:2: [mtad] message_size_limit: bad value \"big\": "
	    "expected a size (512, 10k, 25M, 1G, 2T)\n");
}

Test(cfg, every_error_is_listed)
{
	expect_error("[mtad]\nworkers = 0\nbogus = 1\n[x]\ny = 2\n[mtad]\n",
	    "t.conf:2: [mtad] workers: 0 is out of range 1..64\n"
	    "t.conf:3: [mtad] bogus: unknown key\n"
	    "t.conf:4: [x]: unknown section\n"
	    "t.conf:6: [mtad]: duplicate section (first at line 1)\n");
}

Test(cfg, continuation_lines_are_rejected)
{
	expect_error("[mtad]\nmechanisms = PLAIN\n  LOGIN\n",
	    "t.conf:3: syntax error: indented line after a key "
	    "(continuation lines are not supported)\n");
}

Test(cfg, error_list_is_capped)
{
	struct cfg *c = new_cfg();
	struct buf *text = buf_new(64, 65536), *err = buf_new(64, 65536);
	const char *p;
	int i, lines = 0;

	buf_append_str(text, "[mtad]\n");
	for (i = 0; i < CFG_ERRORS_MAX + 5; i++)
		buf_printf(text, "bogus%d = 1\n", i);
	cr_assert_eq(cfg_load_string(c, "t.conf", buf_cstr(text), err), -1);
	for (p = buf_cstr(err); *p; p++)
		lines += *p == '\n';
	cr_assert_eq(lines, CFG_ERRORS_MAX + 1);
	cr_assert(strstr(buf_cstr(err), "t.conf: too many errors\n") != NULL);
	buf_free(&text);
	buf_free(&err);
	cfg_free(&c);
}

Test(cfg, errors_tolerate_null_buffer)
{
	struct cfg *c = new_cfg();

	cr_assert_eq(cfg_load_string(c, "t.conf", "[nope]\n", NULL), -1);
	cfg_free(&c);
}

/* A line of exactly len bytes: "[mtad]\nname = xxx...\n". */
static char *
long_line(size_t len)
{
	char *s = malloc(len + 16);

	memcpy(s, "[mtad]\nname = ", 14);
	memset(s + 14, 'x', len - 7);
	s[7 + len] = '\n';
	s[8 + len] = '\0';
	return s;
}

Test(cfg, line_length_limit)
{
	struct cfg *c = new_cfg();
	struct buf *err = buf_new(64, 4096);
	char *s;

	s = long_line(CFG_LINE_MAX - 1);
	cr_assert_eq(cfg_load_string(c, "t.conf", s, err), 0);
	cr_assert_eq(strlen(((const struct t_main *)cfg_get(c, "mtad"))->name),
	    CFG_LINE_MAX - 8);
	free(s);
	s = long_line(CFG_LINE_MAX);
	cr_assert_eq(cfg_load_string(c, "t.conf", s, err), 0);
	cr_assert_eq(strlen(((const struct t_main *)cfg_get(c, "mtad"))->name),
	    CFG_LINE_MAX - 7);
	free(s);
	s = long_line(CFG_LINE_MAX + 1);
	cr_assert_eq(cfg_load_string(c, "t.conf", s, err), -1);
	cr_assert_str_eq(buf_cstr(err),
	    "t.conf:2: line too long (198 bytes, at most 197)\n");
	/* the failed load kept the previous value, not a truncated one */
	cr_assert_eq(strlen(((const struct t_main *)cfg_get(c, "mtad"))->name),
	    CFG_LINE_MAX - 7);
	free(s);
	buf_free(&err);
	cfg_free(&c);
}

Test(cfg, line_length_limit_with_crlf)
{
	struct cfg *c = new_cfg();
	struct buf *err = buf_new(64, 4096);
	char *s = long_line(CFG_LINE_MAX);

	/* the limit counts the line without its "\r\n" */
	s[7 + CFG_LINE_MAX] = '\r';
	s[8 + CFG_LINE_MAX] = '\n';
	s[9 + CFG_LINE_MAX] = '\0';
	cr_assert_eq(cfg_load_string(c, "t.conf", s, err), 0, "%s",
	    buf_cstr(err));
	cr_assert_eq(strlen(((const struct t_main *)cfg_get(c, "mtad"))->name),
	    CFG_LINE_MAX - 7);
	free(s);
	s = long_line(CFG_LINE_MAX + 1);
	s[8 + CFG_LINE_MAX] = '\r';
	s[9 + CFG_LINE_MAX] = '\n';
	s[10 + CFG_LINE_MAX] = '\0';
	cr_assert_eq(cfg_load_string(c, "t.conf", s, err), -1);
	cr_assert_str_eq(buf_cstr(err),
	    "t.conf:2: line too long (198 bytes, at most 197)\n");
	free(s);
	buf_free(&err);
	cfg_free(&c);
}

Test(cfg, long_line_does_not_leak_into_next_line)
{
	struct buf *text = buf_new(64, 4096);
	int i;

	/* inih alone reads 199 bytes, then the tail "workers = 5" as a line
	 * of its own, which would clash with line 3 */
	buf_append_str(text, "[mtad]\nname = ");
	for (i = 0; i < 192; i++)
		buf_append_byte(text, 'a');
	buf_append_str(text, "workers = 5\nworkers = 6\n");
	expect_error(buf_cstr(text),
	    "t.conf:2: line too long (210 bytes, at most 197)\n");
	buf_free(&text);
}

Test(cfg, long_section_names_are_not_truncated)
{
	struct cfg *c = new_cfg();
	const char *const *names;
	const void *const *structs;
	const char *inst = "a123456789b123456789c123456789d123456789e123456789";

	char text[256];
	snprintf(text, sizeof(text), "[mtad.listener.%s]\naddress = [::1]:25\n",
	    inst);
	load_main(c, text);
	cr_assert_eq(cfg_instances(c, "mtad.listener", &names, &structs), 1);
	cr_assert_str_eq(names[0], inst);
	cr_assert_str_eq(((const struct t_listener *)structs[0])->address,
	    "[::1]:25");
	cfg_free(&c);
}

Test(cfg, instance_name_limits)
{
	char name[CFG_INSTANCE_MAX + 2];
	char text[256];
	struct cfg *c = new_cfg();

	memset(name, 'n', sizeof(name));
	name[CFG_INSTANCE_MAX] = '\0';
	snprintf(text, sizeof(text), "[mtad.listener.%s]\naddress = x\n", name);
	load_main(c, text);
	cfg_free(&c);
	name[CFG_INSTANCE_MAX] = 'n';
	name[CFG_INSTANCE_MAX + 1] = '\0';
	snprintf(text, sizeof(text), "[mtad.listener.%s]\naddress = x\n", name);
	c = new_cfg();
	{
		struct buf *err = buf_new(64, 4096);

		cr_assert_eq(cfg_load_string(c, "t.conf", text, err), -1);
		cr_assert(strstr(buf_cstr(err), "bad instance name") != NULL);
		buf_free(&err);
	}
	cfg_free(&c);
	expect_error("[mtad.listener.a.b]\n",
	    "t.conf:1: [mtad.listener.a.b]: bad instance name \"a.b\" "
	    "(1 to 64 letters, digits, '-' or '_')\n");
	expect_error("[mtad.listener.]\n",
	    "t.conf:1: [mtad.listener.]: bad instance name \"\" "
	    "(1 to 64 letters, digits, '-' or '_')\n");
	expect_error("[mtad.listener]\n",
	    "t.conf:1: [mtad.listener]: needs an instance name, as in "
	    "[mtad.listener.NAME]\n");
}

/* ---- named sections ---------------------------------------------------- */

Test(cfg, named_instances_in_file_order)
{
	struct cfg *c = new_cfg();
	const char *const *names;
	const void *const *structs;
	const struct t_listener *l;

	load_main(c,
	    "[mtad.listener.submission]\n"
	    "address = 0.0.0.0:587\n"
	    "submission = yes\n"
	    "[mtad]\n"
	    "workers = 2\n"
	    "[mtad.listener.smtp]\n"
	    "address = 0.0.0.0:25\n"
	    "timeout = 5m\n");
	cr_assert_eq(cfg_instances(c, "mtad.listener", &names, &structs), 2);
	cr_assert_str_eq(names[0], "submission");
	cr_assert_str_eq(names[1], "smtp");
	cr_assert_null(names[2]);
	l = structs[0];
	cr_assert_str_eq(l->address, "0.0.0.0:587");
	cr_assert(l->submission);
	cr_assert_eq(l->timeout, 30000);
	l = structs[1];
	cr_assert_str_eq(l->address, "0.0.0.0:25");
	cr_assert_not(l->submission);
	cr_assert_eq(l->timeout, 300000);
	cr_assert_eq(cfg_line(c, "mtad.listener", "smtp", "timeout"), 8);
	cr_assert_eq(cfg_line(c, "mtad.listener", "smtp", "submission"), 0);
	cr_assert_eq(cfg_line(c, "mtad.listener", "nope", "timeout"), 0);
	cr_assert_eq(cfg_line(c, "mtad.listener", "smtp", "nope"), 0);
	cr_assert_eq(cfg_line(c, "nope", NULL, "timeout"), 0);
	cfg_free(&c);
}

Test(cfg, duplicate_instance_is_an_error)
{
	expect_error("[mtad.listener.smtp]\naddress = a\n"
	    "[mtad.listener.smtp]\naddress = b\n",
	    "t.conf:3: [mtad.listener.smtp]: duplicate section "
	    "(first at line 1)\n");
}

Test(cfg, check_function_failure_is_reported)
{
	expect_error("[mtad]\n\n[mtad.listener.smtp]\ntimeout = 1m\n",
	    "t.conf:3: [mtad.listener.smtp]: address is required\n");
}

/* ---- reload semantics -------------------------------------------------- */

Test(cfg, failed_load_keeps_running_config)
{
	struct cfg *c = new_cfg();
	struct buf *err = buf_new(64, 4096);
	const struct t_main *m = load_main(c, "[mtad]\nworkers = 8\n");
	const void *const *structs;

	load_main(c, "[mtad]\nworkers = 8\n[mtad.listener.a]\naddress = x\n");
	m = cfg_get(c, "mtad");
	cr_assert_eq(cfg_load_string(c, "t.conf",
	    "[mtad]\nworkers = 9\nname = new\nbogus = 1\n", err), -1);
	cr_assert_eq(cfg_get(c, "mtad"), m);
	cr_assert_eq(m->workers, 8);
	cr_assert_str_eq(m->name, "mx.example.org");
	cr_assert_eq(cfg_instances(c, "mtad.listener", NULL, &structs), 1);
	cr_assert_str_eq(((const struct t_listener *)structs[0])->address, "x");
	buf_free(&err);
	cfg_free(&c);
}

Test(cfg, successful_load_replaces_everything)
{
	struct cfg *c = new_cfg();
	const struct t_main *m;

	load_main(c, "[mtad]\nworkers = 8\n[mtad.listener.a]\naddress = x\n");
	m = load_main(c, "[mtad]\nname = other\n");
	cr_assert_eq(m->workers, 4);
	cr_assert_str_eq(m->name, "other");
	cr_assert_eq(cfg_instances(c, "mtad.listener", NULL, NULL), 0);
	cfg_free(&c);
}

/* ---- dump and doc ------------------------------------------------------- */

/* Remove the " # set" marks from a dump. */
static void
unmark(struct buf *b)
{
	char *p;

	while ((p = strstr((char *)b->data, " # set")) != NULL) {
		memmove(p, p + 6, strlen(p + 6) + 1);
		b->len -= 6;
	}
}

Test(cfg, dump_marks_keys_set_and_loads_back)
{
	struct cfg *c = new_cfg(), *c2 = new_cfg();
	struct buf *out = buf_new(256, 65536), *out2 = buf_new(256, 65536);
	struct buf *err = buf_new(64, 4096);

	load_main(c, "[mtad]\nworkers = 8\nidle_timeout = 10001ms\n"
	    "message_size_limit = 3072\nmechanisms =\nname =\n"
	    "[mtad.listener.smtp]\naddress = 0.0.0.0:25\ntimeout = 2d\n");
	cr_assert_eq(cfg_dump(c, out), 0);
	cr_assert_str_eq(buf_cstr(out),
	    "[mtad]\n"
	    "name =  # set\n"
	    "workers = 8 # set\n"
	    "offset = -5\n"
	    "message_size_limit = 3K # set\n"
	    "idle_timeout = 10001ms # set\n"
	    "tls = yes\n"
	    "mechanisms =  # set\n"
	    "log_level = info\n"
	    "\n"
	    "[mtad.listener.smtp]\n"
	    "address = 0.0.0.0:25 # set\n"
	    "timeout = 2d # set\n"
	    "submission = no\n"
	    "\n");
	cr_assert_eq(cfg_load_string(c2, "dump", buf_cstr(out), err), 0, "%s",
	    buf_cstr(err));
	/* same values; now every key is marked, since the dump sets all */
	cr_assert_eq(cfg_dump(c2, out2), 0);
	unmark(out);
	unmark(out2);
	cr_assert_str_eq(buf_cstr(out2), buf_cstr(out));
	cr_assert(strstr(buf_cstr(out), "#") == NULL);
	buf_free(&out);
	buf_free(&out2);
	buf_free(&err);
	cfg_free(&c);
	cfg_free(&c2);
}

Test(cfg, dump_formats_defaults)
{
	struct cfg *c = new_cfg();
	struct buf *out = buf_new(256, 65536);

	cr_assert_eq(cfg_dump(c, out), 0);
	cr_assert_str_eq(buf_cstr(out),
	    "[mtad]\n"
	    "name = mx.example.org\n"
	    "workers = 4\n"
	    "offset = -5\n"
	    "message_size_limit = 10M\n"
	    "idle_timeout = 5m\n"
	    "tls = yes\n"
	    "mechanisms = PLAIN, LOGIN\n"
	    "log_level = info\n"
	    "\n"
	    "# [mtad.listener.NAME]: none\n\n");
	buf_free(&out);
	cfg_free(&c);
}

Test(cfg, dump_fails_at_buffer_ceiling)
{
	struct cfg *c = new_cfg();
	struct buf *out = buf_new(16, 40);

	cr_assert_eq(cfg_dump(c, out), -1);
	buf_free(&out);
	cfg_free(&c);
}

/* Load text into a fresh cfg, dump it, load the dump into another one
 * and check the second dump equals the first apart from the marks. The
 * first dump is left in out. */
static void
dump_reload(const struct cfg_section_def *d, size_t nd, const char *text,
    struct buf *out)
{
	struct cfg *c = cfg_new(d, nd), *c2 = cfg_new(d, nd);
	struct buf *out2 = buf_new(256, 65536), *err = buf_new(64, 4096);
	struct buf *a = buf_new(256, 65536);
	const char *p, *nl;

	cr_assert_eq(cfg_load_string(c, "t.conf", text, err), 0, "%s",
	    buf_cstr(err));
	buf_reset(out);
	cr_assert_eq(cfg_dump(c, out), 0);
	for (p = buf_cstr(out); (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		cr_assert_leq((size_t)(nl - p), CFG_LINE_MAX, "%s", p);
	cr_assert_eq(cfg_load_string(c2, "dump", buf_cstr(out), err), 0,
	    "%s\n%s", buf_cstr(out), buf_cstr(err));
	cr_assert_eq(cfg_dump(c2, out2), 0);
	buf_append_str(a, buf_cstr(out));
	unmark(a);
	unmark(out2);
	/* a compact key's mark is a line of its own */
	while ((p = strstr((char *)a->data, "\n# set\n")) != NULL) {
		memmove((char *)p + 1, p + 7, strlen(p + 7) + 1);
		a->len -= 6;
	}
	while ((p = strstr((char *)out2->data, "\n# set\n")) != NULL) {
		memmove((char *)p + 1, p + 7, strlen(p + 7) + 1);
		out2->len -= 6;
	}
	cr_assert_str_eq(buf_cstr(out2), buf_cstr(a));
	buf_free(&a);
	buf_free(&out2);
	buf_free(&err);
	cfg_free(&c);
	cfg_free(&c2);
}

/* Regression (tests/fuzz/cfg_fuzz, seed comments): "a,;b" is two items,
 * "x=;y" the string ";y", but the dump wrote "a, ;b" and "x = ;y", where
 * inih takes " ;" for a comment, and "a, #b", cut as a '#' comment. */
Test(cfg, dump_keeps_values_that_start_like_comments)
{
	struct cfg *c = new_cfg();
	struct buf *out = buf_new(256, 65536);
	const struct t_main *m;

	m = load_main(c, "[mtad]\nname=;x\nmechanisms = a,;b,#c\n"
	    "[mtad.listener.l]\naddress=;y ;z\n");
	cr_assert_str_eq(m->name, ";x");
	cr_assert_eq(m->nmechs, 3);
	cr_assert_str_eq(m->mechs[1], ";b");
	cr_assert_str_eq(m->mechs[2], "#c");
	dump_reload(defs, 2, "[mtad]\nname=;x\nmechanisms = a,;b,#c\n"
	    "[mtad.listener.l]\naddress=;y ;z\n", out);
	cr_assert(strstr(buf_cstr(out), "\nname =;x # set\n") != NULL, "%s",
	    buf_cstr(out));
	cr_assert(strstr(buf_cstr(out), "\nmechanisms = a,;b,#c # set\n") !=
	    NULL, "%s", buf_cstr(out));
	cr_assert(strstr(buf_cstr(out), "\naddress =;y # set\n") != NULL, "%s",
	    buf_cstr(out));
	buf_free(&out);
	cfg_free(&c);
}

/* Regression (tests/fuzz/cfg_fuzz, seed crash-list-blank): '\f', '\v'
 * and '\r' stayed inside list items, and an item ending in one lost it
 * when the dump put that item at the end of a line. All blanks separate
 * items now. */
Test(cfg, list_items_are_split_at_every_blank)
{
	struct cfg *c = new_cfg();
	struct buf *out = buf_new(256, 65536);
	const struct t_main *m;

	m = load_main(c, "[mtad]\nmechanisms = a,b\f,\vc\rd\f\v, e\n");
	cr_assert_eq(m->nmechs, 5);
	cr_assert_str_eq(m->mechs[0], "a");
	cr_assert_str_eq(m->mechs[1], "b");
	cr_assert_str_eq(m->mechs[2], "c");
	cr_assert_str_eq(m->mechs[3], "d");
	cr_assert_str_eq(m->mechs[4], "e");
	cr_assert_null(m->mechs[5]);
	dump_reload(defs, 2, "[mtad]\nmechanisms = x,y\f,\n", out);
	cr_assert(strstr(buf_cstr(out), "\nmechanisms = x, y # set\n") != NULL,
	    "%s", buf_cstr(out));
	buf_free(&out);
	cfg_free(&c);
}

#define X10(s) s s s s s s s s s s
/* "name = " (7) + 184 + " # set" (6) is CFG_LINE_MAX */
#define V183 X10("abcdefghijklmnopq") "abcdefghijklm"
#define V184 V183 "n"
/* "name = " (7) + 190 is CFG_LINE_MAX */
#define V189 V184 "opqrs"
#define V190 V189 "t"

/* Regression (tests/fuzz/cfg_fuzz, seed long): a value that fit its line
 * could make a dump line over CFG_LINE_MAX (" # set", blanks around '='
 * and after the commas of a list), and the dump did not load. Limits:
 * " # set" stays on its line at max-1 and max bytes, at max+1 it moves to
 * a line before; "key = value" stays so at max-1 and max, at max+1 it is
 * written "key=value". */
Test(cfg, dump_lines_never_pass_the_line_limit)
{
	struct buf *out = buf_new(256, 65536);
	char list[CFG_LINE_MAX + 16];
	size_t i, n;

	dump_reload(defs, 2, "[mtad]\nname = " V183 "\n", out);
	cr_assert(strstr(buf_cstr(out), "\nname = " V183 " # set\n") != NULL);
	dump_reload(defs, 2, "[mtad]\nname = " V184 "\n", out);
	cr_assert(strstr(buf_cstr(out), "\nname = " V184 " # set\n") != NULL);
	dump_reload(defs, 2, "[mtad]\nname = x" V184 "\n", out);
	cr_assert(strstr(buf_cstr(out), "\n# set\nname = x" V184 "\n") !=
	    NULL, "%s", buf_cstr(out));
	dump_reload(defs, 2, "[mtad]\nname=" V189 "\n", out);
	cr_assert(strstr(buf_cstr(out), "\n# set\nname = " V189 "\n") != NULL);
	dump_reload(defs, 2, "[mtad]\nname=" V190 "\n", out);
	cr_assert(strstr(buf_cstr(out), "\n# set\nname = " V190 "\n") != NULL);
	dump_reload(defs, 2, "[mtad]\nname=x" V190 "\n", out);
	cr_assert(strstr(buf_cstr(out), "\n# set\nname=x" V190 "\n") != NULL,
	    "%s", buf_cstr(out));
	/* in a named section too */
	dump_reload(defs, 2, "[mtad.listener.l]\naddress = " V184 "\n", out);
	cr_assert(strstr(buf_cstr(out), "\n# set\naddress = " V184 "\n") !=
	    NULL, "%s", buf_cstr(out));
	/* a list on a line as long as the parser takes */
	n = (size_t)snprintf(list, sizeof(list), "[mtad]\nmechanisms=");
	for (i = 0; n - 7 + 2 <= CFG_LINE_MAX; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%sa",
		    i ? "," : "");
	cr_assert_geq(n - 7, CFG_LINE_MAX - 1);
	dump_reload(defs, 2, list, out);
	cr_assert(strstr(buf_cstr(out), list + 7) != NULL, "%s",
	    buf_cstr(out));
	cr_assert(strstr(buf_cstr(out), "\n# set\nmechanisms=a,a,") != NULL);
	buf_free(&out);
}

struct t_long {
	bool flag;
	uint64_t delay;
	int64_t n;
};

/* 188 bytes: "K188_flag = no" is one past CFG_LINE_MAX */
#define K188 X10("kkkkkkkkkkkkkkkkkk") "kkkkkkkk"

static const struct cfg_key long_keys[] = {
	CFG_BOOL(struct t_long, flag, K188 "_flag", "no", "Long name."),
	CFG_TIME(struct t_long, delay, K188 "_delay", "0", NULL, NULL,
	    "Long name."),
	CFG_INT(struct t_long, n, K188 "_n", "0", NULL, NULL, "Long name."),
};

static const struct cfg_section_def long_defs[] = {
	CFG_SECTION("l", struct t_long, long_keys, NULL, "Long keys."),
};

/* With long key names: 1/0 for booleans, bare whole seconds. */
Test(cfg, dump_compact_values_are_never_longer_than_the_file)
{
	struct buf *out = buf_new(256, 65536);

	dump_reload(long_defs, 1, "[l]\n" K188 "_flag=1\n" K188 "_delay=9\n"
	    K188 "_n=-0\n", out);
	cr_assert_str_eq(buf_cstr(out), "[l]\n"
	    "# set\n" K188 "_flag=1\n"
	    "# set\n" K188 "_delay=9\n"
	    "# set\n" K188 "_n = 0\n\n");
	dump_reload(long_defs, 1, "[l]\n" K188 "_flag=0\n" K188 "_delay=60\n"
	    K188 "_n=+1\n", out);
	cr_assert_str_eq(buf_cstr(out), "[l]\n"
	    "# set\n" K188 "_flag=0\n"
	    "# set\n" K188 "_delay=1m\n"
	    "# set\n" K188 "_n = 1\n\n");
	dump_reload(long_defs, 1, "[l]\n" K188 "_delay=0\n", out);
	cr_assert_str_eq(buf_cstr(out), "[l]\n"
	    K188 "_flag=0\n"
	    "# set\n" K188 "_delay=0\n"
	    K188 "_n = 0\n\n");
	buf_free(&out);
}

Test(cfg, doc_lists_every_key)
{
	struct buf *out = buf_new(256, 65536);

	cr_assert_eq(cfg_doc(defs, 2, out), 0);
	cr_assert_str_eq(buf_cstr(out),
	    "mtad\t\tsection\t\t-\tSMTP daemon.\n"
	    "mtad\tname\tstring\tmx.example.org\t-\tHost name in the greeting.\n"
	    "mtad\tworkers\tinteger\t4\t1..64\tWorker processes.\n"
	    "mtad\toffset\tinteger\t-5\t-\tAny integer.\n"
	    "mtad\tmessage_size_limit\tsize\t10M\t1k..1G\t"
	    "Largest message accepted.\n"
	    "mtad\tidle_timeout\tduration\t5m\t10s..1h\t"
	    "Idle time before disconnecting.\n"
	    "mtad\ttls\tbool\tyes\t-\tOffer STARTTLS.\n"
	    "mtad\tmechanisms\tlist\tPLAIN, LOGIN\t-\tSASL mechanisms.\n"
	    "mtad\tlog_level\tenum(debug|info|warn|error)\tinfo\t-\t"
	    "Least severe level logged.\n"
	    "mtad.listener.NAME\t\tsection\t\t-\tA listening socket.\n"
	    "mtad.listener.NAME\taddress\tstring\t\t-\tAddress and port.\n"
	    "mtad.listener.NAME\ttimeout\tduration\t30s\t-\tCommand timeout.\n"
	    "mtad.listener.NAME\tsubmission\tbool\tno\t-\tRequire AUTH.\n");
	buf_reset(out);
	out->max = 50;
	cr_assert_eq(cfg_doc(defs, 2, out), -1);
	buf_free(&out);
}

/* ---- files ------------------------------------------------------------- */

static char dir[64];

static void
dir_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cfg_test.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
dir_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static void
write_file(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(p, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

Test(cfg, load_file_reports_path, .init = dir_setup, .fini = dir_teardown)
{
	struct cfg *c = new_cfg();
	struct buf *err = buf_new(64, 4096);
	char path[128], want[256];
	const char *text = "[mtad]\nworkers = 12\n";

	snprintf(path, sizeof(path), "%s/tessera.conf", dir);
	write_file(path, text, strlen(text));
	cr_assert_eq(cfg_load_file(c, path, err), 0, "%s", buf_cstr(err));
	cr_assert_eq(((const struct t_main *)cfg_get(c, "mtad"))->workers, 12);
	write_file(path, "[mtad]\nworkers = x\n", 19);
	cr_assert_eq(cfg_load_file(c, path, err), -1);
	snprintf(want, sizeof(want), "%s:2: [mtad] workers: bad value \"x\": "
	    "expected an integer\n", path);
	cr_assert_str_eq(buf_cstr(err), want);
	buf_free(&err);
	cfg_free(&c);
}

Test(cfg, load_file_errors, .init = dir_setup, .fini = dir_teardown)
{
	struct cfg *c = new_cfg();
	struct buf *err = buf_new(64, 4096);
	char path[128], want[256];

	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	cr_assert_eq(cfg_load_file(c, path, err), -1);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or "
	    "directory\n", path);
	cr_assert_str_eq(buf_cstr(err), want);
	buf_reset(err);
	cr_assert_eq(cfg_load_file(c, dir, err), -1);
	snprintf(want, sizeof(want), "%s: not a regular file\n", dir);
	cr_assert_str_eq(buf_cstr(err), want);
	buf_reset(err);
	snprintf(path, sizeof(path), "%s/nul.conf", dir);
	write_file(path, "[mtad]\nname = a\0b\n", 18);
	cr_assert_eq(cfg_load_file(c, path, err), -1);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line\n", path);
	cr_assert_str_eq(buf_cstr(err), want);
	cr_assert_eq(cfg_load_file(c, path, NULL), -1);
	buf_free(&err);
	cfg_free(&c);
}

/* CFG_FILE_MAX bytes of comment lines load; one byte more does not. */
Test(cfg, load_file_size_limit, .init = dir_setup, .fini = dir_teardown)
{
	struct cfg *c = new_cfg();
	struct buf *err = buf_new(64, 4096);
	char path[128], want[256];
	size_t len = CFG_FILE_MAX, i;
	char *text = malloc(len + 1);

	for (i = 0; i < len; i++)
		text[i] = i % 64 == 63 ? '\n' : '#';
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	write_file(path, text, len - 1);
	cr_assert_eq(cfg_load_file(c, path, err), 0, "%s", buf_cstr(err));
	write_file(path, text, len);
	cr_assert_eq(cfg_load_file(c, path, err), 0, "%s", buf_cstr(err));
	text[len] = '#';
	write_file(path, text, len + 1);
	cr_assert_eq(cfg_load_file(c, path, err), -1);
	snprintf(want, sizeof(want), "%s: file too large (at most %d bytes)\n",
	    path, CFG_FILE_MAX);
	cr_assert_str_eq(buf_cstr(err), want);
	free(text);
	buf_free(&err);
	cfg_free(&c);
}

/* ---- table bugs panic --------------------------------------------------- */

static const struct cfg_key bad_default_keys[] = {
	CFG_SIZE(struct t_listener, timeout, "size", "lots", NULL, NULL, ""),
};
static const struct cfg_key default_out_of_range_keys[] = {
	CFG_TIME(struct t_listener, timeout, "t", "2h", "1s", "1h", ""),
};
static const struct cfg_key min_above_max_keys[] = {
	CFG_TIME(struct t_listener, timeout, "t", "1h", "2h", "1s", ""),
};
static const struct cfg_key duplicate_keys[] = {
	CFG_BOOL(struct t_listener, submission, "x", "no", ""),
	CFG_BOOL(struct t_listener, submission, "x", "no", ""),
};

Test(cfg, bad_default_panics, .signal = SIGABRT)
{
	static const struct cfg_section_def d[] = {
		CFG_SECTION("s", struct t_listener, bad_default_keys, NULL, ""),
	};

	cfg_new(d, 1);
}

Test(cfg, default_out_of_range_panics, .signal = SIGABRT)
{
	static const struct cfg_section_def d[] = {
		CFG_SECTION("s", struct t_listener, default_out_of_range_keys,
		    NULL, ""),
	};

	cfg_new(d, 1);
}

Test(cfg, min_above_max_panics, .signal = SIGABRT)
{
	static const struct cfg_section_def d[] = {
		CFG_SECTION("s", struct t_listener, min_above_max_keys, NULL, ""),
	};

	cfg_new(d, 1);
}

Test(cfg, duplicate_key_in_table_panics, .signal = SIGABRT)
{
	static const struct cfg_section_def d[] = {
		CFG_SECTION("s", struct t_listener, duplicate_keys, NULL, ""),
	};

	cfg_new(d, 1);
}

Test(cfg, duplicate_section_in_table_panics, .signal = SIGABRT)
{
	static const struct cfg_section_def d[] = {
		CFG_SECTION("s", struct t_listener, listener_keys, NULL, ""),
		CFG_SECTION("s", struct t_listener, listener_keys, NULL, ""),
	};

	cfg_new(d, 2);
}

Test(cfg, get_of_named_section_panics, .signal = SIGABRT)
{
	struct cfg *c = new_cfg();

	cfg_get(c, "mtad.listener");
}

Test(cfg, get_of_unknown_section_panics, .signal = SIGABRT)
{
	struct cfg *c = new_cfg();

	cfg_get(c, "nope");
}

Test(cfg, instances_of_singleton_panics, .signal = SIGABRT)
{
	struct cfg *c = new_cfg();

	cfg_instances(c, "mtad", NULL, NULL);
}

/* ---- sections other programs own ---------------------------------------- */

Test(cfg, foreign_sections_are_skipped_misspelt_ones_are_not)
{
	static const char *const foreign[] = { "accessd", "milter.*", NULL };
	struct cfg *c = new_cfg();
	struct buf *err = buf_new(256, 65536);
	const struct t_main *m;

	cfg_set_foreign(c, foreign);
	/* keys of skipped sections are theirs to check, not ours */
	cr_assert_eq(cfg_load_string(c, "t.conf", "[accessd]\nanything = 1\n"
	    "[milter.spam]\nsocket = unix:/x\n[mtad]\nworkers = 8\n"
	    "[milter.clamav]\nnot_a_key = y\n", err), 0, "%s", buf_cstr(err));
	m = cfg_get(c, "mtad");
	cr_assert_eq(m->workers, 8);
	/* our own sections are still checked, whatever the list says */
	buf_reset(err);
	cr_assert_eq(cfg_load_string(c, "t.conf", "[mtad]\nworkerz = 1\n",
	    err), -1);
	cr_assert_not_null(strstr(buf_cstr(err), "workerz"), "%s",
	    buf_cstr(err));
	/* a name in neither list is an error, instance rules included */
	buf_reset(err);
	cr_assert_eq(cfg_load_string(c, "t.conf", "[accesd]\n", err), -1);
	cr_assert_not_null(strstr(buf_cstr(err), "unknown section"));
	buf_reset(err);
	cr_assert_eq(cfg_load_string(c, "t.conf", "[milter]\n", err), -1);
	buf_reset(err);
	cr_assert_eq(cfg_load_string(c, "t.conf", "[milter.a b]\n", err), -1);
	buf_reset(err);
	cr_assert_eq(cfg_load_string(c, "t.conf", "[accessd.x]\n", err), -1);
	buf_free(&err);
	cfg_free(&c);
}
