/*
 * tests/unit/mtad/smtp_client_config_test.c - the [mtad.smtp] section:
 * defaults, the relayhost AUTH checks, the password file (read, limits),
 * the TLS context and that every key is documented in
 * docs/tessera.conf.5.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/pool.h"
#include "mtad/smtp_client_config.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

static struct cfg *
load(const char *text, struct buf *err, int *rc)
{
	struct cfg *c = cfg_new(&smtp_client_config_def, 1);

	*rc = cfg_load_string(c, "test.conf", text, err);
	return c;
}

Test(smtp_client_config, defaults)
{
	struct buf *err = buf_new(256, 65536);
	struct pool *secret = pool_new_secret("t");
	struct smtp_client_settings s;
	const char *e;
	int rc;
	struct cfg *c = load("", err, &rc);

	cr_assert_eq(rc, 0, "%s", buf_cstr(err));
	cr_assert_eq(smtp_client_config_settings(c, "mx.test", secret, &s,
	    &e), 0);
	cr_assert_eq(s.port, 25);
	cr_assert_eq(s.connect_timeout_ms, 30000);
	cr_assert_eq(s.command_timeout_ms, 300000);
	cr_assert_eq(s.data_timeout_ms, 600000);
	cr_assert_eq(s.reply_line_max, 2048);
	cr_assert_eq(s.reply_lines_max, 100);
	cr_assert_eq(s.max_addresses, 10);
	cr_assert_eq(s.tls, SMTP_CLIENT_TLS_MAY);
	cr_assert_not_null(s.tls_ctx);
	cr_assert_null(s.relayhost);
	cr_assert_null(s.username);
	cr_assert_eq(s.max_connections, 20);
	cr_assert_eq(s.max_per_destination, 5);
	cr_assert_eq(s.max_rcpts_per_connection, 50);
	cr_assert_str_eq(s.helo, "mx.test");
	smtp_client_settings_free(&s);
	pool_free(&secret);
	cfg_free(&c);
	buf_free(&err);
}

Test(smtp_client_config, username_and_password_file_go_together)
{
	struct buf *err = buf_new(256, 65536);
	int rc;
	struct cfg *c = load("[mtad.smtp]\nrelayhost = smart.test\n"
	    "relayhost_username = u\n", err, &rc);

	cr_assert_eq(rc, -1);
	cr_assert_not_null(strstr(buf_cstr(err), "go together"), "%s",
	    buf_cstr(err));
	cfg_free(&c);
	buf_reset(err);
	c = load("[mtad.smtp]\nrelayhost_username = u\n"
	    "relayhost_password_file = /x\n", err, &rc);
	cr_assert_eq(rc, -1);
	cr_assert_not_null(strstr(buf_cstr(err), "needs a relayhost"), "%s",
	    buf_cstr(err));
	cfg_free(&c);
	buf_free(&err);
}

Test(smtp_client_config, ranges_are_checked)
{
	struct buf *err = buf_new(256, 65536);
	int rc;
	struct cfg *c = load("[mtad.smtp]\nreply_line_max = 511\n", err, &rc);

	cr_assert_eq(rc, -1);
	cfg_free(&c);
	c = load("[mtad.smtp]\nreply_line_max = 512\nmax_addresses = 101\n",
	    err, &rc);
	cr_assert_eq(rc, -1);
	cfg_free(&c);
	c = load("[mtad.smtp]\ntls = sometimes\n", err, &rc);
	cr_assert_eq(rc, -1);
	cfg_free(&c);
	buf_free(&err);
}

/* The password file: one trailing newline dropped; empty, too long and
 * missing files refused. */
Test(smtp_client_config, password_file)
{
	char path[] = "/tmp/smtpc-pw.XXXXXX";
	int fd = mkstemp(path);
	struct buf *err = buf_new(256, 65536);
	struct pool *secret = pool_new_secret("t");
	struct smtp_client_settings s;
	char *text = NULL, big[SMTP_CLIENT_PASSWORD_MAX + 2];
	const char *e;
	struct cfg *c;
	FILE *f;
	int rc;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "pa ss\r\n", 7), 7);
	close(fd);
	cr_assert_geq(asprintf(&text, "[mtad.smtp]\nrelayhost = 192.0.2.1\n"
	    "relayhost_username = u\nrelayhost_password_file = %s\n"
	    "tls = none\n", path), 0);
	c = load(text, err, &rc);
	cr_assert_eq(rc, 0, "%s", buf_cstr(err));
	cr_assert_eq(smtp_client_config_settings(c, "h", secret, &s, &e), 0,
	    "%s", e);
	cr_assert_eq(s.password_len, 5);
	cr_assert_eq(memcmp(s.password, "pa ss", 5), 0);
	cr_assert_str_eq(s.username, "u");
	cr_assert_null(s.tls_ctx);
	smtp_client_settings_free(&s);

	/* exactly the limit, then one byte more */
	memset(big, 'x', sizeof(big));
	f = fopen(path, "wb");
	cr_assert_eq(fwrite(big, 1, SMTP_CLIENT_PASSWORD_MAX, f),
	    SMTP_CLIENT_PASSWORD_MAX);
	fclose(f);
	cr_assert_eq(smtp_client_config_settings(c, "h", secret, &s, &e), 0);
	cr_assert_eq(s.password_len, SMTP_CLIENT_PASSWORD_MAX);
	f = fopen(path, "wb");
	cr_assert_eq(fwrite(big, 1, SMTP_CLIENT_PASSWORD_MAX + 1, f),
	    SMTP_CLIENT_PASSWORD_MAX + 1);
	fclose(f);
	cr_assert_eq(smtp_client_config_settings(c, "h", secret, &s, &e), -1);
	cr_assert_not_null(strstr(e, "too long"), "%s", e);
	f = fopen(path, "wb");
	fclose(f);
	cr_assert_eq(smtp_client_config_settings(c, "h", secret, &s, &e), -1);
	cr_assert_not_null(strstr(e, "empty"), "%s", e);
	unlink(path);
	cr_assert_eq(smtp_client_config_settings(c, "h", secret, &s, &e), -1);
	cr_assert_not_null(strstr(e, path), "%s", e);
	free(text);
	pool_free(&secret);
	cfg_free(&c);
	buf_free(&err);
}

Test(smtp_client_config, unreadable_ca_file_fails)
{
	struct buf *err = buf_new(256, 65536);
	struct pool *secret = pool_new_secret("t");
	struct smtp_client_settings s;
	const char *e;
	int rc;
	struct cfg *c = load("[mtad.smtp]\ntls = verify\n"
	    "tls_ca_file = /nonexistent/ca.crt\n", err, &rc);

	cr_assert_eq(rc, 0, "%s", buf_cstr(err));
	cr_assert_eq(smtp_client_config_settings(c, "h", secret, &s, &e), -1);
	cr_assert_not_null(strstr(e, "[mtad.smtp] tls"), "%s", e);
	smtp_client_settings_free(&s);
	pool_free(&secret);
	cfg_free(&c);
	buf_free(&err);
}

Test(smtp_client_config, every_key_is_documented)
{
	cr_assert_gt(docs_check_sections(&smtp_client_config_def, 1), 0);
}
