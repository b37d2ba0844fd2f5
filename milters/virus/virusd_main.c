/*
 * milters/virus/virusd_main.c - tessera-virusd: the virus scanning milter
 * and its scan command.
 *
 *   tessera-virusd -c FILE [-f]                 run the milter
 *   tessera-virusd [-c FILE] [-d DIR] scan FILE...  scan files, print
 *                                               the verdict of each
 *
 * The milter runs as two processes. The supervisor (this main) owns the
 * signals: SIGHUP reloads the signature databases, SIGTERM and SIGINT
 * stop, and a filter process that dies is started again. The filter
 * process runs libmilter, whose own signal thread would treat SIGHUP as
 * "stop"; the supervisor passes reloads to it as SIGUSR1 instead, which
 * a thread of the filter waits for. Started as root, both drop to
 * [global] user before reading the databases or opening the socket.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/settings.h"
#include "lib/str.h"
#include "milters/virus/virusd_config.h"
#include "milters/virus/virusd_engine.h"
#include "milters/virus/virusd_milter.h"
#include "milters/virus/virusd_spool.h"
#include "milters/virus/virusd_verdict.h"
#include "lib/banned.h"

#define EX_USAGE 64
#define EX_CONFIG 78
/* A filter process that dies sooner than this after its start is not
 * restarted: it would only fail again (bad database, socket in use). */
#define RESTART_MIN_UPTIME 5

struct virusd {
	struct cfg *cfg;
	const struct virusd_config *vc;
	struct virusd_engine_slot *slot;
};

static void
usage(void)
{
	fprintf(stderr, "usage: tessera-virusd -c FILE [-f]\n"
	    "       tessera-virusd [-c FILE] [-d DIR] scan FILE...\n"
	    "  -c FILE  configuration ([global], [virusd])\n"
	    "  -d DIR   signature database directory (overrides"
	    " database_dir)\n"
	    "  -f       stay in the foreground, log to stderr\n");
	exit(EX_USAGE);
}

static void
limits_of(const struct virusd_config *vc, struct virusd_limits *lim)
{
	lim->max_scan_size = vc->max_scan_size;
	lim->max_file_size = vc->max_file_size;
	lim->max_recursion = (uint32_t)vc->max_recursion;
	lim->max_files = (uint32_t)vc->max_files;
	lim->max_scan_time = (uint32_t)vc->max_scan_time;
	lim->temp_dir = vc->temp_dir;
}

static struct virusd_engine *
load_engine(const struct virusd_config *vc)
{
	struct virusd_limits lim;
	struct buf *err = buf_new(128, 4096);
	struct virusd_engine *e;

	limits_of(vc, &lim);
	e = virusd_engine_new(vc->database_dir, &lim, err);
	if (e == NULL)
		log_error("virusd: %s", buf_cstr(err));
	else
		log_info("virusd: loaded database_dir=%s signatures=%u",
		    vc->database_dir, virusd_engine_signatures(e));
	buf_free(&err);
	return e;
}

/* ---- scan command ---------------------------------------------------- */

static void
scan_file(const struct virusd_config *vc, const struct virusd_engine *e,
    const char *path, struct virusd_result *r)
{
	struct virusd_spool *sp = virusd_spool_new(vc->max_message_size,
	    vc->memory_size, vc->temp_dir);
	struct buf *err = buf_new(128, 1024);
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		r->status = VIRUSD_ERROR;
		(void)str_printf(r->name, sizeof(r->name), "cannot open: %s",
		    strerror(errno));
		goto done;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || virusd_spool_append(sp, chunk, (size_t)n,
		    err) == -1) {
			r->status = VIRUSD_ERROR;
			(void)str_copy(r->name, sizeof(r->name),
			    n == -1 ? "cannot read" : buf_cstr(err));
			goto done;
		}
	}
	virusd_spool_scan(sp, e, r);
done:
	if (fd != -1)
		close(fd);
	buf_free(&err);
	virusd_spool_free(&sp);
}

/* Exit status: 1 if a file is infected, else 2 if one could not be
 * scanned, else 3 if one was past a limit, else 0. */
static int
scan_command(const struct virusd_config *vc, char **files, int n)
{
	struct virusd_engine *e = load_engine(vc);
	bool infected = false, error = false, exceeded = false;

	if (e == NULL)
		return 2;
	for (int i = 0; i < n; i++) {
		struct virusd_result r;
		struct virusd_decision d;

		memset(&r, 0, sizeof(r));
		scan_file(vc, e, files[i], &r);
		virusd_verdict_decide(vc, &r, &d);
		printf("%s: %s%s%s action=%s\n", files[i],
		    virusd_status_name(r.status), r.name[0] ? " " : "",
		    r.name, virusd_verdict_name(d.verdict));
		infected |= r.status == VIRUSD_INFECTED;
		error |= r.status == VIRUSD_ERROR;
		exceeded |= r.status == VIRUSD_EXCEEDED;
	}
	virusd_engine_release(&e);
	fflush(stdout);
	return infected ? 1 : error ? 2 : exceeded ? 3 : 0;
}

/* ---- filter process ------------------------------------------------ */

static void *
reload_thread(void *arg)
{
	struct virusd *v = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		struct virusd_engine *e;

		if (sigwait(&set, &sig) != 0)
			continue;
		log_info("virusd: reload requested");
		e = load_engine(v->vc);
		if (e == NULL) {
			log_error("virusd: reload failed, keeping the"
			    " databases in service");
			continue;
		}
		virusd_engine_slot_swap(v->slot, e);
		log_info("virusd: reloaded database_dir=%s",
		    v->vc->database_dir);
	}
	return NULL;
}

/* Runs in the forked filter process; SIGUSR1 (and the supervisor's
 * signals) arrive blocked. */
static int
filter_run(struct virusd *v)
{
	struct virusd_engine *e = load_engine(v->vc);
	pthread_t tid;
	sigset_t chld;
	int rc;

	if (e == NULL)
		return EX_CONFIG;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_UNBLOCK, &chld, NULL);
	v->slot = virusd_engine_slot_new(e);
	if (pthread_create(&tid, NULL, reload_thread, v) != 0)
		log_fatal("virusd: cannot start the reload thread");
	pthread_detach(tid);
	rc = virusd_milter_run(v->vc, v->slot) == 0 ? 0 : 1;
	/* milter threads have ended; the reload thread may still hold the
	 * slot, so it is left to the exit */
	return rc;
}

static pid_t
filter_start(struct virusd *v)
{
	pid_t pid = fork();

	if (pid == -1) {
		log_error_errno("virusd: fork");
		return -1;
	}
	if (pid == 0) {
		log_set_ident("tessera-virusd/filter");
		_exit(filter_run(v));
	}
	log_info("virusd: filter process pid=%ld started", (long)pid);
	return pid;
}

static int
supervise(struct virusd *v)
{
	sigset_t set;
	pid_t child;
	time_t started = time(NULL);
	bool stopping = false;
	int sig, status;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGUSR1);
	if ((child = filter_start(v)) == -1)
		return 1;
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP && !stopping) {
			log_info("virusd: SIGHUP, reloading the databases");
			kill(child, SIGUSR1);
		} else if (sig == SIGTERM || sig == SIGINT) {
			stopping = true;
			kill(child, SIGTERM);
		} else if (sig == SIGCHLD) {
			pid_t p;

			while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
				if (p != child)
					continue;
				if (stopping) {
					log_info("virusd: stopped");
					return 0;
				}
				log_error("virusd: filter process pid=%ld ended"
				    " (status %d)", (long)p, status);
				if (time(NULL) - started < RESTART_MIN_UPTIME)
					return 1;
				started = time(NULL);
				if ((child = filter_start(v)) == -1)
					return 1;
			}
		}
	}
}

/* ---- main ------------------------------------------------------------ */

static struct cfg *
load_config(const char *path)
{
	static struct cfg_section_def defs[2];
	struct buf *errs = buf_new(256, 64 * 1024);
	struct cfg *c;

	defs[0] = settings_global_def;
	defs[1] = virusd_config_def;
	c = cfg_new(defs, 2);
	cfg_set_foreign(c, settings_sections);
	if (path != NULL && cfg_load_file(c, path, errs) == -1) {
		fprintf(stderr, "%s", buf_cstr(errs));
		buf_free(&errs);
		cfg_free(&c);
		exit(EX_CONFIG);
	}
	buf_free(&errs);
	return c;
}

int
main(int argc, char **argv)
{
	const char *path = NULL, *dbdir = NULL, *err;
	bool foreground = false;
	struct virusd v = { .cfg = NULL };
	struct virusd_config vc;
	const struct settings_global *g;
	struct priv_spec spec = { .user = NULL };
	int opt, rc;

	while ((opt = getopt(argc, argv, "c:d:f")) != -1) {
		if (opt == 'c')
			path = optarg;
		else if (opt == 'd')
			dbdir = optarg;
		else if (opt == 'f')
			foreground = true;
		else
			usage();
	}
	log_init("tessera-virusd", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	    LOG_LEVEL_WARN);
	if (optind < argc && strcmp(argv[optind], "scan") == 0) {
		if (optind + 1 >= argc)
			usage();
		v.cfg = load_config(path);
		vc = *(const struct virusd_config *)cfg_get(v.cfg, "virusd");
		if (dbdir != NULL)
			vc.database_dir = (char *)dbdir;
		rc = scan_command(&vc, argv + optind + 1, argc - optind - 1);
		cfg_free(&v.cfg);
		return rc;
	}
	if (path == NULL || optind != argc || dbdir != NULL)
		usage();
	v.cfg = load_config(path);
	v.vc = cfg_get(v.cfg, "virusd");
	g = cfg_get(v.cfg, "global");
	if (foreground)
		log_init("tessera-virusd", LOG_DEST_STDERR,
		    (enum log_format)g->log_format,
		    (enum log_level)g->log_level);
	else
		settings_apply_logging(v.cfg, "tessera-virusd");
	spec.user = g->user;
	if (priv_drop(&spec, &err) == -1)
		log_fatal("cannot drop privileges to user=%s: %s", g->user,
		    err);
	if (!foreground)
		daemon_detach();
	rc = supervise(&v);
	cfg_free(&v.cfg);
	return rc;
}
