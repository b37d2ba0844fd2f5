/*
 * accessd/accessd_main.c - accessd: the master of the access daemon.
 *
 * `accessd -c FILE [-f]`. Runs as root (or whoever starts it): loads
 * the configuration, builds the TLS context while key files are still
 * readable, binds the [accessd.listener.NAME] sockets, starts the lookup
 * process as a supervised child (as [global] directory_user) and forks
 * one session process per connection (as [global] user), which speaks
 * LMTP, POP3 or IMAP as its listener's type says.
 */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/daemon.h"
#include "lib/dns_config.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/saslsrv.h"
#include "lib/server.h"
#include "lib/settings.h"
#include "lib/str.h"
#include "lib/stream.h"
#include "lib/tls.h"
#include "directory/dir_config.h"
#include "directory/dir_lookupd.h"
#include "accessd/accessd.h"
#include "accessd/imapd_config.h"
#include "accessd/store_config.h"
#include "lib/banned.h"

#define ACCESSD_HOSTNAME_MAX 256

static void
usage(void)
{
	fprintf(stderr, "usage: accessd -c FILE [-f]\n"
	    "  -c FILE  configuration (tessera.conf)\n"
	    "  -f       stay in the foreground, log to stderr\n");
	exit(64);
}

bool
accessd_is_this_host(const struct accessd_ctx *ctx, const char *mail_host)
{
	return mail_host == NULL || mail_host[0] == '\0' ||
	    str_eq_ci(mail_host, ctx->hostname);
}

static void
session(int fd, const struct server_conn *conn, void *arg)
{
	const struct accessd_ctx *ctx = arg;
	int type = accessd_listener_type(ctx->cfg, conn->listener);
	struct stream *s = stream_new(fd);
	struct dir_client *dc = dir_client_new(&ctx->dir);

	if (type == ACCESSD_LMTP)
		lmtpd_session(s, conn, ctx, dc);
	else if (type == ACCESSD_POP3 || type == ACCESSD_POP3S)
		pop3d_session(s, conn, ctx, dc);
	else if (type == ACCESSD_IMAP || type == ACCESSD_IMAPS)
		imapd_session(s, conn, ctx, dc);
	else
		log_error("listener %s has no protocol", conn->listener);
	dir_client_free(&dc);
	stream_free(&s);
}

static const char *
busy_reply(int type)
{
	if (type == ACCESSD_IMAP || type == ACCESSD_IMAPS)
		return "* BYE [UNAVAILABLE] Too many connections, try later\r\n";
	return type == ACCESSD_LMTP ?
	    "421 4.3.2 Too many connections, try later\r\n" :
	    "-ERR [SYS/TEMP] Too many connections, try later\r\n";
}

int
main(int argc, char **argv)
{
	static const struct cfg_section_def *defs[] = { &settings_global_def,
		&settings_tls_def, &dns_config_def, &dir_config_def,
		&dir_lookup_config_def, &accessd_config_def, &store_config_def,
		&accessd_listener_def, &settings_sasl_def, &imapd_config_def };
	enum { NDEFS = sizeof(defs) / sizeof(defs[0]) };
	struct cfg_section_def sections[NDEFS];
	const char *path = NULL, *err = NULL;
	bool foreground = false;
	struct accessd_ctx ctx = { 0 };
	struct dir_lookupd_child lc = { .daemon = "accessd" };
	struct server_child_cfg child = { .name = "lookup",
		.run = dir_lookupd_child_run, .ctx = &lc };
	struct server_cfg sc = { .log_ident = "accessd" };
	struct server_listener_cfg *ls = NULL;
	const struct settings_global *g;
	char hostname[ACCESSD_HOSTNAME_MAX] = "";
	char *control = NULL;
	struct pool *pool;
	struct server *srv;
	struct buf *errs;
	struct cfg *c;
	struct saslsrv_option sasl_opts[1];
	size_t n_ls;
	int opt, rc;

	while ((opt = getopt(argc, argv, "c:f")) != -1) {
		if (opt == 'c')
			path = optarg;
		else if (opt == 'f')
			foreground = true;
		else
			usage();
	}
	if (path == NULL || optind != argc)
		usage();
	log_init("accessd", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	for (size_t i = 0; i < NDEFS; i++)
		sections[i] = *defs[i];
	c = cfg_new(sections, NDEFS);
	cfg_set_foreign(c, settings_sections);
	errs = buf_new(256, 64 * 1024);
	if (cfg_load_file(c, path, errs) == -1) {
		fprintf(stderr, "%s", buf_cstr(errs));
		buf_free(&errs);
		cfg_free(&c);
		return 78;	/* EX_CONFIG */
	}
	if (settings_sasl_check(c, "accessd.listener", errs) == -1) {
		fprintf(stderr, "%s: %s\n", path, buf_cstr(errs));
		buf_free(&errs);
		cfg_free(&c);
		return 78;	/* EX_CONFIG */
	}
	buf_free(&errs);
	pool = pool_new("accessd");
	g = cfg_get(c, "global");
	if (foreground)
		log_init("accessd", LOG_DEST_STDERR,
		    (enum log_format)g->log_format,
		    (enum log_level)g->log_level);
	else
		settings_apply_logging(c, "accessd");

	ctx.cfg = c;
	ctx.ac = cfg_get(c, "accessd");
	if (ctx.ac->hostname[0] != '\0')
		ctx.hostname = ctx.ac->hostname;
	else if (g->hostname[0] != '\0')
		ctx.hostname = g->hostname;
	else {
		if (gethostname(hostname, sizeof(hostname) - 1) == -1)
			log_fatal_errno("gethostname");
		ctx.hostname = hostname;
	}
	store_config_limits(c, &ctx.store_limits, &ctx.mail_root);
	dir_client_config_settings(c, "accessd", pool, &ctx.dir);
	ctx.tls = daemon_tls_server(c);
	if (saslsrv_init("accessd", sasl_opts, settings_sasl_options(c,
	    sasl_opts), &err) == -1)
		log_fatal("sasl: %s", err);

	n_ls = settings_listeners(c, "accessd.listener", "", &ls);
	if (n_ls == 0)
		log_fatal("no [accessd.listener.NAME] section");
	for (size_t i = 0; i < n_ls; i++) {
		int type = accessd_listener_type(c, ls[i].name);

		ls[i].busy_reply = busy_reply(type);
		if (ls[i].implicit_tls && ctx.tls == NULL)
			log_fatal("listener %s: implicit TLS needs a [tls] "
			    "certificate", ls[i].name);
	}
	lc.cfg = c;
	/* each session keeps a lookup client; a few spare */
	lc.clients = 8;
	for (size_t i = 0; i < n_ls; i++)
		lc.clients += ls[i].max_sessions;
	daemon_open_files();
	child.user = g->directory_user;
	child.group = daemon_user_group(g->user, pool);
	control = pool_printf(pool, "%s/accessd.ctl", g->run_dir);
	sc.listeners = ls;
	sc.n_listeners = n_ls;
	sc.session = session;
	sc.session_ctx = &ctx;
	sc.session_user = g->user;
	sc.children = &child;
	sc.n_children = 1;
	sc.control_path = control;
	sc.grace_ms = (unsigned)g->shutdown_grace;
	/* detach before server_new: the skeleton remembers the master's
	 * pid (its children watch it) */
	if (!foreground)
		daemon_detach();
	srv = server_new(&sc, &err);
	if (srv == NULL)
		log_fatal("server: %s", err);
	if (server_listen(srv, &err) == -1)
		log_fatal("listen: %s", err);
	for (size_t i = 0; i < n_ls; i++)
		log_info("listener name=%s type=%s", ls[i].name,
		    accessd_proto_name((enum accessd_proto)
		    accessd_listener_type(c, ls[i].name)));
	rc = server_run(srv);
	server_free(&srv);
	settings_listeners_free(&ls, n_ls);
	tls_server_free(&ctx.tls);
	/* no saslsrv_done(): Cyrus would dlclose its plugins, orphaning
	 * what they allocated (a leak report under ASan) for no gain at
	 * exit */
	pool_free(&pool);
	cfg_free(&c);
	return rc == 0 ? 0 : 1;
}
