/*
 * mtad/mtad_main.c - the mtad daemon: reads the configuration, opens and
 * recovers the queue, builds the TLS context and SASL, and runs the
 * server skeleton (lib/server.h) with the lookup process and the queue
 * manager (mtad/qmgr.h) as supervised children and one session process
 * per connection (mtad/session.c).
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
#include "lib/tls.h"
#include "directory/dir_config.h"
#include "directory/dir_lookupd.h"
#include "mtad/delivery_config.h"
#include "mtad/milter.h"
#include "mtad/milter_config.h"
#include "mtad/mtad.h"
#include "mtad/qmgr.h"
#include "mtad/queue_config.h"
#include "mtad/smtp_client_config.h"
#include "lib/banned.h"

#define N_SECTIONS 12

static void
usage(void)
{
	fprintf(stderr, "usage: mtad -c FILE [-f | -n]\n"
	    "  -c FILE  configuration (tessera.conf(5))\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -n       check the configuration, print it and exit\n");
	exit(64);
}

/* The queue, opened (created) and cleaned up by the master; when run as
 * root its directories are handed to the session user. */
static void
queue_prepare(struct mtad *m, const char *user, struct pool *pool)
{
	struct queue_recover_stats st;
	const char *err;
	struct queue *q = queue_open(m->state_dir, &m->qlim, pool, &err);

	if (q == NULL)
		log_fatal("queue: %s", err);
	if (queue_recover(q, pool, &st, &err) == -1)
		log_fatal("queue recovery: %s", err);
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam(user);

		if (pw == NULL)
			log_fatal("user=%s: no such user", user);
		if (chown(q->root, pw->pw_uid, pw->pw_gid) == -1)
			log_fatal_errno("chown %s", q->root);
		for (int d = 0; d < QUEUE_NDIRS; d++)
			if (fchown(q->dirfd[d], pw->pw_uid, pw->pw_gid) == -1)
				log_fatal_errno("chown %s/%s", q->root,
				    queue_dir_name((enum queue_dir)d));
	}
	queue_close(&q);
}

static void
on_ready(struct server *s, void *ctx)
{
	(void)ctx;
	(void)s;
	log_info("event=ready pid=%ld", (long)getpid());
}

int
main(int argc, char **argv)
{
	struct cfg_section_def sections[N_SECTIONS] = { settings_global_def,
		settings_tls_def, dns_config_def, dir_config_def,
		dir_lookup_config_def, queue_config_def, mtad_config_def,
		mtad_listener_def(), delivery_config_def,
		smtp_client_config_def, settings_sasl_def, milter_config_def };
	const char *path = NULL, *err;
	bool foreground = false, check_only = false;
	struct mtad m;
	struct dir_lookupd_child lc = { .daemon = "mtad" };
	struct qmgr qm;
	struct smtp_client_settings smtp;
	struct pool *secret;
	struct server_child_cfg children[2] = { { .name = "lookup",
		.run = dir_lookupd_child_run, .ctx = &lc },
		{ .name = "qmgr", .run = qmgr_child_run, .ctx = &qm } };
	struct server_cfg scfg = { .session = mtad_session,
		.log_ident = "mtad" };
	struct server_listener_cfg *listeners = NULL;
	const struct settings_global *g;
	struct milter *milter = NULL;
	struct pool *pool;
	struct server *s;
	struct buf *errs;
	struct cfg *c;
	char host[256];
	struct saslsrv_option sasl_opts[1];
	int opt, rc;

	while ((opt = getopt(argc, argv, "c:fn")) != -1) {
		if (opt == 'c')
			path = optarg;
		else if (opt == 'f')
			foreground = true;
		else if (opt == 'n')
			check_only = true;
		else
			usage();
	}
	if (path == NULL || optind != argc)
		usage();
	log_init("mtad", LOG_DEST_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	c = cfg_new(sections, N_SECTIONS);
	cfg_set_foreign(c, settings_sections);
	errs = buf_new(256, 64 * 1024);
	if (cfg_load_file(c, path, errs) == -1 ||
	    milter_config_check(c, errs) == -1) {
		fprintf(stderr, "%s", buf_cstr(errs));
		buf_free(&errs);
		cfg_free(&c);
		return 78;	/* EX_CONFIG */
	}
	if (settings_sasl_check(c, "mtad.listener", errs) == -1) {
		fprintf(stderr, "%s: %s\n", path, buf_cstr(errs));
		buf_free(&errs);
		cfg_free(&c);
		return 78;	/* EX_CONFIG */
	}
	if (check_only) {
		struct buf *dump = buf_new(16384, 1024 * 1024);

		rc = cfg_dump(c, dump);
		fputs(buf_cstr(dump), stdout);
		buf_free(&dump);
		buf_free(&errs);
		cfg_free(&c);
		return rc == 0 ? 0 : 1;
	}
	buf_free(&errs);
	g = cfg_get(c, "global");
	if (foreground)
		log_init("mtad", LOG_DEST_STDERR, (enum log_format)g->log_format,
		    (enum log_level)g->log_level);
	else
		settings_apply_logging(c, "mtad");
	pool = pool_new("mtad");
	memset(&m, 0, sizeof(m));
	m.cfg = c;
	m.mc = cfg_get(c, "mtad");
	m.state_dir = g->state_dir;
	if (m.mc->hostname[0] != '\0')
		m.hostname = m.mc->hostname;
	else if (g->hostname[0] != '\0')
		m.hostname = g->hostname;
	else {
		if (gethostname(host, sizeof(host)) == -1)
			log_fatal_errno("gethostname");
		host[sizeof(host) - 1] = '\0';
		m.hostname = pool_strdup(pool, host);
	}
	smtp_limits_default(&m.lim);
	m.lim.cmd_line_max = (size_t)m.mc->max_command_length;
	m.lim.text_line_max = (size_t)m.mc->max_line_length;
	m.lim.message_size_max = m.mc->max_message_size;
	queue_config_limits(c, &m.qlim);
	dir_client_config_settings(c, "mtad", pool, &m.dcs);
	m.tls = daemon_tls_server(c);
	milter = milter_new(c, m.hostname, m.mc->max_message_size);
	if (milter != NULL)
		milter_hooks(milter, &m.hooks);
	scfg.n_listeners = settings_listeners(c, "mtad.listener",
	    "421 4.3.2 Too many connections, try again later\r\n", &listeners);
	if (scfg.n_listeners == 0)
		log_fatal("no [mtad.listener.NAME] section: nothing to serve");
	for (size_t i = 0; i < scfg.n_listeners; i++)
		if (listeners[i].implicit_tls && m.tls == NULL)
			log_fatal("listener %s: tls = implicit needs [tls]"
			    " certificate and key", listeners[i].name);
	if (saslsrv_init("tessera-mtad", sasl_opts,
	    settings_sasl_options(c, sasl_opts), &err) == -1)
		log_fatal("SASL: %s", err);
	queue_prepare(&m, g->user, pool);
	lc.cfg = c;
	/* each session and delivery thread keeps a lookup client; a few
	 * spare for the queue manager itself */
	lc.clients = 8 + (unsigned)((const struct delivery_config *)cfg_get(c,
	    "mtad.delivery"))->max_parallel_messages;
	for (size_t i = 0; i < scfg.n_listeners; i++)
		lc.clients += listeners[i].max_sessions;
	daemon_open_files();
	children[0].user = g->directory_user;
	children[0].group = daemon_user_group(g->user, pool);
	memset(&qm, 0, sizeof(qm));
	qm.state_dir = m.state_dir;
	qm.qlim = m.qlim;
	qm.hostname = m.hostname;
	qm.lmtp_host = m.mc->lmtp_host;
	qm.lmtp_port = (unsigned)m.mc->lmtp_port;
	qm.lmtp_timeout_ms = m.mc->lmtp_timeout;
	qm.retry_min_ms = m.mc->retry_min;
	qm.retry_max_ms = m.mc->retry_max;
	qm.scan_interval_ms = m.mc->queue_scan_interval;
	qm.lifetime_ms = m.mc->max_queue_lifetime;
	qm.dcs = m.dcs;
	qm.max_received = (size_t)m.mc->max_received;
	qm.delivery = cfg_get(c, "mtad.delivery");
	{
		const struct dir_config *dcfg = cfg_get(c, "directory");

		qm.expand_max_depth = (unsigned)dcfg->group_max_depth;
		qm.expand_max_targets = (size_t)dcfg->group_max_members;
	}
	dns_config_settings(c, pool, &qm.dns);
	secret = pool_new_secret("mtad-smtp");
	if (smtp_client_config_settings(c, m.hostname, secret, &smtp,
	    &err) == -1)
		log_fatal("%s", err);
	qm.smtp = &smtp;
	children[1].user = g->user;
	scfg.listeners = listeners;
	scfg.session_ctx = &m;
	scfg.session_user = g->user;
	scfg.children = children;
	scfg.n_children = m.mc->queue_manager ? 2 : 1;
	scfg.grace_ms = (unsigned)g->shutdown_grace;
	scfg.control_path = pool_printf(pool, "%s/mtad.sock", g->run_dir);
	scfg.on_ready = on_ready;
	s = server_new(&scfg, &err);
	if (s == NULL)
		log_fatal("server: %s", err);
	if (server_listen(s, &err) == -1)
		log_fatal("listen: %s", err);
	for (size_t i = 0; i < scfg.n_listeners; i++)
		log_info("event=listen listener=%s type=%s address=%s port=%u",
		    listeners[i].name, mtad_listener_type_name(
		    mtad_listener_type(c, listeners[i].name)),
		    listeners[i].address,
		    (unsigned)server_port(s, listeners[i].name));
	if (!foreground)
		daemon_detach();
	rc = server_run(s);
	server_free(&s);
	settings_listeners_free(&listeners, scfg.n_listeners);
	tls_server_free(&m.tls);
	smtp_client_settings_free(&smtp);
	pool_free(&secret);
	milter_free(&milter);
	/* no saslsrv_done(): Cyrus leaks a little of a plugin it unloads;
	 * the process ends here anyway */
	pool_free(&pool);
	cfg_free(&c);
	return rc == 0 ? 0 : 1;
}
