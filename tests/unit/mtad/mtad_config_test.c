/*
 * tests/unit/mtad/mtad_config_test.c - the [mtad] and [mtad.listener.NAME]
 * sections: defaults, ranges, the listener type and its check, and that
 * every key is documented in docs/tessera.conf.5.
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
#include "mtad/mtad_config.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

static struct cfg *
load(const char *text, struct buf *err, int *rc)
{
	static struct cfg_section_def defs[3];
	struct cfg *c;

	defs[0] = settings_global_def;
	defs[1] = mtad_config_def;
	defs[2] = mtad_listener_def();
	c = cfg_new(defs, 3);
	*rc = cfg_load_string(c, "test.conf", text, err);
	return c;
}

Test(mtad_config, defaults)
{
	struct buf *err = buf_new(256, 65536);
	int rc;
	struct cfg *c = load("", err, &rc);
	const struct mtad_config *m;

	cr_assert_eq(rc, 0, "%s", buf_cstr(err));
	m = cfg_get(c, "mtad");
	cr_assert_eq(m->max_message_size, 50ull * 1024 * 1024);
	cr_assert_eq(m->max_recipients, 100);
	cr_assert_eq(m->max_command_length, 2048);
	cr_assert_eq(m->max_line_length, 1000);
	cr_assert_eq(m->max_errors, 10);
	cr_assert_eq(m->max_received, 50);
	cr_assert_eq(m->idle_timeout, 300000);
	cr_assert_eq(m->data_timeout, 600000);
	cr_assert_not(m->auth_plaintext_loopback);
	cr_assert(m->received_show_auth);
	cfg_free(&c);
	buf_free(&err);
}

Test(mtad_config, listener_types)
{
	struct buf *err = buf_new(256, 65536);
	struct server_listener_cfg *l = NULL;
	int rc;
	struct cfg *c = load("[mtad.listener.mx]\nport = 25\n"
	    "[mtad.listener.sub]\nport = 587\ntype = submission\n"
	    "address = 127.0.0.1, ::1\n"
	    "[mtad.listener.subs]\nport = 465\ntype = submissions\n"
	    "tls = implicit\n", err, &rc);
	size_t n;

	cr_assert_eq(rc, 0, "%s", buf_cstr(err));
	n = settings_listeners(c, "mtad.listener", "421\r\n", &l);
	cr_assert_eq(n, 4);
	for (size_t i = 0; i < n; i++) {
		enum mtad_listener_type t = mtad_listener_type(c, l[i].name);

		if (strcmp(l[i].name, "mx") == 0)
			cr_assert_eq(t, MTAD_LISTENER_SMTP);
		else if (strncmp(l[i].name, "subs", 4) == 0)
			cr_assert_eq(t, MTAD_LISTENER_SUBMISSIONS);
		else
			cr_assert_eq(t, MTAD_LISTENER_SUBMISSION, "%s",
			    l[i].name);
	}
	settings_listeners_free(&l, n);
	cfg_free(&c);
	buf_free(&err);
}

Test(mtad_config, bad_values_refused)
{
	static const char *const bad[] = {
		"[mtad.listener.s]\nport = 465\ntype = submissions\n",
		"[mtad.listener.s]\nport = 25\ntype = lmtp\n",
		"[mtad]\nmax_recipients = 0\n",
		"[mtad]\nmax_recipients = 5001\n",
		"[mtad]\nmax_command_length = 511\n",
		"[mtad]\nmax_errors = 0\n",
		"[mtad]\nmax_received = 0\n",
		"[mtad]\nidle_timeout = 0s\n",
		"[mtad]\nmax_message_size = 5G\n",
		"[mtad]\nno_such_key = 1\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf *err = buf_new(256, 65536);
		int rc;
		struct cfg *c = load(bad[i], err, &rc);

		cr_expect_eq(rc, -1, "accepted: %s", bad[i]);
		cfg_free(&c);
		buf_free(&err);
	}
}

Test(mtad_config, every_key_documented)
{
	struct buf *have = docs_documented_keys();

	cr_assert_gt(docs_check_sections(&mtad_config_def, 1), 0);
	cr_expect_not_null(strstr(buf_cstr(have),
	    "mtad.listener.NAME\ttype\n"), "[mtad.listener.NAME] type");
	buf_free(&have);
}
