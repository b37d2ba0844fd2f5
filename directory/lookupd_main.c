/*
 * directory/lookupd_main.c - tessera-lookupd: the lookup process as a
 * program of its own (tests, the demo, hosts where several daemons share
 * one lookup process). The daemons run the same code as a supervised
 * child instead (dir_lookupd_child_run, see dir_lookupd.h).
 *
 * Started as root it drops to [global] directory_user before it reads
 * the bind password or creates the socket; started as anyone else it
 * runs as that user. Reads [global], [dns], [directory] and [lookup].
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/daemon.h"
#include "lib/dns_config.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/settings.h"
#include "directory/dir_config.h"
#include "directory/dir_lookupd.h"
#include "lib/banned.h"

static void
usage(void)
{
	fprintf(stderr, "usage: tessera-lookupd -c FILE [-f]\n"
	    "  -c FILE  configuration ([global], [dns], [directory], "
	    "[lookup])\n"
	    "  -f       stay in the foreground, log to stderr\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	static const struct cfg_section_def *defs[] = { &settings_global_def,
		&dns_config_def, &dir_config_def, &dir_lookup_config_def };
	struct cfg_section_def sections[4];
	const char *path = NULL, *err;
	bool foreground = false;
	struct dir_lookupd_child lc = { .daemon = NULL };
	const struct settings_global *g;
	struct priv_spec spec = { .user = NULL };
	struct buf *errs;
	struct cfg *c;
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
	log_init("tessera-lookupd", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	    LOG_LEVEL_INFO);
	for (size_t i = 0; i < 4; i++)
		sections[i] = *defs[i];
	c = cfg_new(sections, 4);
	cfg_set_foreign(c, settings_sections);
	errs = buf_new(256, 64 * 1024);
	if (cfg_load_file(c, path, errs) == -1) {
		fprintf(stderr, "%s", buf_cstr(errs));
		buf_free(&errs);
		cfg_free(&c);
		return 78;	/* EX_CONFIG */
	}
	buf_free(&errs);
	g = cfg_get(c, "global");
	if (foreground)
		log_init("tessera-lookupd", LOG_DEST_STDERR,
		    (enum log_format)g->log_format,
		    (enum log_level)g->log_level);
	else
		settings_apply_logging(c, "tessera-lookupd");
	spec.user = g->directory_user;
	if (priv_drop(&spec, &err) == -1)
		log_fatal("cannot drop privileges to user=%s: %s",
		    g->directory_user, err);
	if (!foreground)
		daemon_detach();
	lc.cfg = c;
	rc = dir_lookupd_serve(&lc);
	cfg_free(&c);
	return rc;
}
