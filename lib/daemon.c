/*
 * lib/daemon.c - start-up steps the daemons share: detaching, the TLS
 * credentials of [tls], the session user's primary group, the open-files
 * limit.
 *
 * Runs in a daemon's master before it serves anything; the configuration
 * is trusted and a failure stops the start with a log line.
 */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/cfg.h"
#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/settings.h"
#include "lib/tls.h"
#include "lib/banned.h"

void
daemon_detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid == -1)
		log_fatal_errno("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		log_fatal_errno("setsid");
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd == -1)
		log_fatal_errno("/dev/null");
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

struct tls_server *
daemon_tls_server(const struct cfg *c)
{
	const struct settings_tls *t = cfg_get(c, "tls");
	struct tls_server *ts;
	const char *err = NULL;

	if (t->n_certificates == 0)
		return NULL;
	if (t->n_keys != t->n_certificates)
		log_fatal("[tls] needs one key per certificate");
	ts = tls_server_new(t->priority[0] != '\0' ? t->priority : NULL, &err);
	if (ts == NULL)
		log_fatal("[tls] priority: %s", err);
	for (size_t i = 0; i < t->n_certificates; i++)
		if (tls_server_add_cert(ts, t->certificates[i], t->keys[i],
		    &err) == -1)
			log_fatal("[tls] %s", err);
	return ts;
}

const char *
daemon_user_group(const char *user, struct pool *pool)
{
	struct passwd *pw = getpwnam(user);
	struct group *gr = pw != NULL ? getgrgid(pw->pw_gid) : NULL;

	return gr != NULL ? pool_strdup(pool, gr->gr_name) : NULL;
}

void
daemon_open_files(void)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn_errno("getrlimit RLIMIT_NOFILE");
		return;
	}
	want = rl.rlim_max == RLIM_INFINITY ||
	    rl.rlim_max > DAEMON_OPEN_FILES_MAX ? DAEMON_OPEN_FILES_MAX :
	    rl.rlim_max;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			log_warn_errno("setrlimit RLIMIT_NOFILE %llu",
			    (unsigned long long)want);
			return;
		}
		log_info("open_files=%llu (raised from %llu, the hard limit"
		    " is %llu)", (unsigned long long)want,
		    (unsigned long long)was,
		    (unsigned long long)rl.rlim_max);
	}
}
