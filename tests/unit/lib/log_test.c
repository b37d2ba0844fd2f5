/*
 * tests/unit/lib/log_test.c - unit tests for lib/log.c.
 *
 * Captures stderr through a pipe and checks the line format, levels,
 * JSON escaping, the session id and the escaping of hostile client text.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/banned.h"

static int saved_stderr = -1;
static int pipe_rd = -1;

static void
capture_start(void)
{
	int p[2];

	cr_assert_eq(pipe(p), 0);
	saved_stderr = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	pipe_rd = p[0];
}

/* Restore stderr and return what was logged (static storage). */
static const char *
capture_end(void)
{
	static char out[16384];
	ssize_t n, total = 0;

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	while ((n = read(pipe_rd, out + total, sizeof(out) - 1 - (size_t)total)) > 0)
		total += n;
	close(pipe_rd);
	out[total] = '\0';
	return out;
}

Test(log, text_line_has_ident_pid_session)
{
	const char *out;
	char pid[64];

	log_init("mtad/smtp", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	log_set_session("7QK2M1");
	capture_start();
	log_info("reject stage=rcpt code=550");
	out = capture_end();
	snprintf(pid, sizeof(pid), "mtad/smtp[%ld]: 7QK2M1: ", (long)getpid());
	cr_assert(strstr(out, pid) != NULL, "got: %s", out);
	cr_assert(strstr(out, "reject stage=rcpt code=550\n") != NULL);
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line");
	log_set_session(NULL);
}

Test(log, level_filter_and_prefixes)
{
	const char *out;

	log_init("t", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	capture_start();
	log_info("hidden-info");
	log_debug("hidden-debug");
	log_warn("shown-warn");
	log_error("shown-error");
	out = capture_end();
	cr_assert_null(strstr(out, "hidden"));
	cr_assert_not_null(strstr(out, "warning: shown-warn"));
	cr_assert_not_null(strstr(out, "error: shown-error"));
}

Test(log, errno_variant_appends_reason)
{
	const char *out;

	log_init("t", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	capture_start();
	errno = ENOENT;
	log_error_errno("open %s", "/nowhere");
	cr_assert_eq(errno, ENOENT, "errno preserved");
	out = capture_end();
	cr_assert_not_null(strstr(out, "open /nowhere: No such file or directory"), "%s", out);
}

Test(log, newline_in_message_cannot_forge_a_line)
{
	const char *out;

	log_init("t", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	capture_start();
	log_info("helo=%s", "evil\nt[1]: forged");
	out = capture_end();
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "got: %s", out);
}

Test(log, json_format_escapes)
{
	const char *out;

	log_init("accessd", LOG_DEST_STDERR, LOG_FORMAT_JSON, LOG_LEVEL_DEBUG);
	log_set_session("S1");
	capture_start();
	log_warn("say \"hi\" \\ %s", "tab\there");
	out = capture_end();
	cr_assert_not_null(strstr(out, "\"ident\":\"accessd\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"level\":\"warn\""));
	cr_assert_not_null(strstr(out, "\"session\":\"S1\""));
	cr_assert_not_null(strstr(out, "\"msg\":\"say \\\"hi\\\" \\\\ tab\\u0009here\""), "%s", out);
	log_set_session(NULL);
}

Test(log, parse_names)
{
	enum log_level l;
	enum log_format f;
	enum log_dest d;

	cr_assert_eq(log_level_parse("WARN", &l), 0);
	cr_assert_eq(l, LOG_LEVEL_WARN);
	cr_assert_eq(log_level_parse("loud", &l), -1);
	cr_assert_eq(log_format_parse("json", &f), 0);
	cr_assert_eq(f, LOG_FORMAT_JSON);
	cr_assert_eq(log_format_parse("xml", &f), -1);
	cr_assert_eq(log_dest_parse("syslog", &d), 0);
	cr_assert_eq(d, LOG_DEST_SYSLOG);
	cr_assert_eq(log_dest_parse("file", &d), -1);
}

Test(log, escape_hostile_text)
{
	struct buf *b = buf_new(64, 4096);
	char big[2000];

	cr_assert_str_eq(log_escape(b, "a\"b\\c\x01\xff", 7), "a\\x22b\\x5cc\\x01\\xff");
	memset(big, 'x', sizeof(big));
	log_escape(b, big, sizeof(big));
	cr_assert_lt(b->len, 600);
	cr_assert_str_eq(buf_cstr(b) + b->len - 3, "...");
	buf_free(&b);
}

Test(log, fatal_exits_nonzero, .exit_code = 1)
{
	log_init("t", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	log_fatal("cannot continue");
}
