/*
 * tests/unit/accessd/accessd_config_test.c - the [accessd] and
 * [accessd.listener.NAME] tables: defaults, ranges, the protocol of a
 * listener, and every key documented in docs/tessera.conf.5.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/server.h"
#include "lib/settings.h"
#include "accessd/accessd_config.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

static struct cfg_section_def load_defs[2];

static struct cfg *
load(const char *text, struct buf *err)
{
	struct cfg *c;

	load_defs[0] = accessd_config_def;
	load_defs[1] = accessd_listener_def;
	c = cfg_new(load_defs, 2);

	if (cfg_load_string(c, "t.conf", text, err) == -1)
		cfg_free(&c);
	return c;
}

Test(accessd_config, defaults)
{
	struct buf *err = buf_new(64, 4096);
	struct cfg *c = load("", err);
	const struct accessd_config *ac;

	cr_assert_not_null(c, "%s", buf_cstr(err));
	ac = cfg_get(c, "accessd");
	cr_assert_str_eq(ac->hostname, "");
	cr_assert_not(ac->quota_full_tempfail);
	cr_assert_eq(ac->lmtp_line_max, 10240);
	cr_assert_eq(ac->lmtp_recipients_max, 1000);
	cr_assert_eq(ac->pop3_idle_timeout, 600000);
	cr_assert_not(ac->pop3_plaintext_loopback);
	cfg_free(&c);
	buf_free(&err);
}

Test(accessd_config, recipients_max_range_is_checked)
{
	struct buf *err = buf_new(64, 4096);
	struct cfg *c = load("[accessd]\nlmtp_recipients_max = 0\n", err);

	cr_assert_null(c);
	cr_assert_not_null(strstr(buf_cstr(err), "lmtp_recipients_max"));
	buf_reset(err);
	c = load("[accessd]\nlmtp_recipients_max = 100000\n", err);
	cr_assert_not_null(c, "%s", buf_cstr(err));
	cfg_free(&c);
	c = load("[accessd]\nlmtp_recipients_max = 100001\n", err);
	cr_assert_null(c);
	buf_free(&err);
}

Test(accessd_config, listener_types)
{
	struct buf *err = buf_new(64, 4096);
	struct cfg *c = load("[accessd.listener.in]\nport = 24\n"
	    "[accessd.listener.pop]\nport = 110\ntype = pop3\n"
	    "address = 127.0.0.1, ::1\n"
	    "[accessd.listener.pops]\nport = 995\ntype = pop3s\n", err);
	struct server_listener_cfg *ls = NULL;
	size_t n;

	cr_assert_not_null(c, "%s", buf_cstr(err));
	cr_assert_eq(accessd_listener_type(c, "in"), ACCESSD_LMTP);
	cr_assert_eq(accessd_listener_type(c, "pop"), ACCESSD_POP3);
	cr_assert_eq(accessd_listener_type(c, "pop/::1"), ACCESSD_POP3);
	cr_assert_eq(accessd_listener_type(c, "pops"), ACCESSD_POP3S);
	cr_assert_eq(accessd_listener_type(c, "po"), -1);
	n = settings_listeners(c, "accessd.listener", "x", &ls);
	cr_assert_eq(n, 4);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(ls[i].implicit_tls,
		    strcmp(ls[i].name, "pops") == 0, "%s", ls[i].name);
	settings_listeners_free(&ls, n);
	cfg_free(&c);
	buf_free(&err);
}

Test(accessd_config, lmtp_listener_refuses_tls)
{
	struct buf *err = buf_new(64, 4096);
	struct cfg *c = load("[accessd.listener.in]\nport = 24\n"
	    "tls = implicit\n", err);

	cr_assert_null(c);
	cr_assert_not_null(strstr(buf_cstr(err), "lmtp"), "%s",
	    buf_cstr(err));
	c = load("[accessd.listener.in]\ntype = pop3\n", err);
	cr_assert_null(c);
	cr_assert_not_null(strstr(buf_cstr(err), "port is required"));
	c = load("[accessd.listener.in]\nport = 1\ntype = smtp\n", err);
	cr_assert_null(c);
	/* imap and imaps are protocols of accessd; imaps is implicit TLS */
	c = load("[accessd.listener.in]\nport = 993\ntype = imaps\n"
	    "[accessd.listener.im]\nport = 143\ntype = imap\n", err);
	cr_assert_not_null(c, "%s", buf_cstr(err));
	cr_assert_eq(accessd_listener_type(c, "in"), ACCESSD_IMAPS);
	cr_assert_eq(accessd_listener_type(c, "im"), ACCESSD_IMAP);
	cr_assert_str_eq(accessd_proto_name(ACCESSD_IMAPS), "imaps");
	cfg_free(&c);
	buf_free(&err);
}

Test(accessd_config, every_key_is_documented)
{
	struct cfg_section_def defs[] = { accessd_config_def,
		accessd_listener_def };

	cr_assert_eq(docs_check_sections(defs, 2), 12 + 7);
}
