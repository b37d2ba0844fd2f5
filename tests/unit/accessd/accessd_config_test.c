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
	c = load("[accessd.listener.in]\nport = 1\ntype = imap\n", err);
	cr_assert_null(c);
	buf_free(&err);
}

/* "section\tkey\n" for every ".B key" under ".SS [section]". */
static struct buf *
documented_keys(void)
{
	const char *src = getenv("TESSERA_SRCDIR");
	char path[4096], line[512], section[512] = "";
	struct buf *out = buf_new(1024, 1 << 20);
	FILE *f;

	cr_assert_not_null(src, "TESSERA_SRCDIR is not set");
	snprintf(path, sizeof(path), "%s/docs/tessera.conf.5", src);
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, ".SS [", 5) == 0) {
			snprintf(section, sizeof(section), "%s", line + 5);
			section[strcspn(section, "]")] = '\0';
		} else if (strncmp(line, ".B ", 3) == 0 && section[0] != '\0') {
			buf_printf(out, "%s\t%s\n", section, line + 3);
		}
	}
	fclose(f);
	return out;
}

Test(accessd_config, every_key_is_documented)
{
	struct cfg_section_def defs[] = { accessd_config_def,
		accessd_listener_def };
	struct buf *doc = buf_new(1024, 1 << 20);
	struct buf *have = documented_keys();
	const char *p = NULL;
	size_t keys = 0;

	cr_assert_eq(cfg_doc(defs, 2, doc), 0);
	for (p = buf_cstr(doc); *p != '\0'; p = strchr(p, '\n') + 1) {
		const char *key = strchr(p, '\t') + 1;
		const char *end = strchr(key, '\t');
		char want[256];

		if (end == key)
			continue;
		snprintf(want, sizeof(want), "%.*s\t%.*s\n",
		    (int)(key - 1 - p), p, (int)(end - key), key);
		cr_expect_not_null(strstr(buf_cstr(have), want),
		    "docs/tessera.conf.5 lacks %s", want);
		keys++;
	}
	cr_assert_eq(keys, 10 + 6);
	buf_free(&doc);
	buf_free(&have);
}
