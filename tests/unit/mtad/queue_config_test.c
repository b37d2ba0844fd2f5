/*
 * tests/unit/mtad/queue_config_test.c - unit tests for
 * mtad/queue_config.c: defaults equal the queue's, each limit at and past
 * its bounds, and every key documented in docs/tessera.conf.5.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "mtad/queue_config.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

static struct cfg *cfg;
static struct buf *err;

static void
setup(void)
{
	cfg = cfg_new(&queue_config_def, 1);
	err = buf_new(256, 65536);
}

static void
teardown(void)
{
	cfg_free(&cfg);
	buf_free(&err);
}

TestSuite(queue_config, .init = setup, .fini = teardown);

static int
load(const char *text)
{
	buf_reset(err);
	return cfg_load_string(cfg, "t.conf", text, err);
}

Test(queue_config, defaults_are_the_queue_defaults)
{
	struct queue_limits lim;

	queue_config_limits(cfg, &lim);
	cr_assert_eq(lim.line_max, QUEUE_LINE_MAX_DEFAULT);
	cr_assert_eq(lim.rcpt_max, QUEUE_RCPT_MAX_DEFAULT);
}

Test(queue_config, limits_at_and_past_their_bounds)
{
	struct queue_limits lim;

	cr_assert_eq(load("[mtad.queue]\nenvelope_line_max = 1023\n"), -1);
	cr_assert_not_null(strstr(buf_cstr(err), "t.conf:2"), "%s",
	    buf_cstr(err));
	cr_assert_eq(load("[mtad.queue]\nenvelope_line_max = 1048577\n"), -1);
	cr_assert_eq(load("[mtad.queue]\nrecipients_max = 0\n"), -1);
	cr_assert_eq(load("[mtad.queue]\nrecipients_max = 1000001\n"), -1);
	cr_assert_eq(load("[mtad.queue]\nenvelope_line_max = 1k\n"
	    "recipients_max = 1\n"), 0, "%s", buf_cstr(err));
	queue_config_limits(cfg, &lim);
	cr_assert_eq(lim.line_max, 1024);
	cr_assert_eq(lim.rcpt_max, 1);
	cr_assert_eq(load("[mtad.queue]\nenvelope_line_max = 1m\n"
	    "recipients_max = 1000000\n"), 0);
	queue_config_limits(cfg, &lim);
	cr_assert_eq(lim.line_max, 1024 * 1024);
	cr_assert_eq(lim.rcpt_max, 1000000);
	cr_assert_eq(load("[mtad.queue]\nno_such_key = 1\n"), -1);
}

/* Every key of the table has a ".B key" under ".SS [mtad.queue]". */
Test(queue_config, every_key_documented)
{
	cr_assert_gt(docs_check_sections(&queue_config_def, 1), 0);
}
