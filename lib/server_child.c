/*
 * lib/server_child.c - the long-lived children: start, reap, restart.
 *
 * Runs in the master. A child that dies is logged with its exit status or
 * signal and started again after a backoff that doubles from
 * restart_min_ms to restart_max_ms, and falls back to the minimum once a
 * child stayed up restart_reset_ms. In the child, the parent-death signal
 * makes it stop with a crashed master instead of running on unsupervised
 * beside the next master's copy.
 */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/server_int.h"
#include "lib/banned.h"

static void
child_start(struct server *s, struct server_child *c, int64_t now)
{
	pid_t pid;

	c->next_start_ms = 0;
	pid = server_fork(s, -1);
	if (pid == -1) {
		log_error_errno("fork child name=%s", c->name);
		c->next_start_ms = now + c->backoff_ms;
		return;
	}
	if (pid == 0) {
		server_child_prepare(s, c->name, c->user, c->group);
		/* Set after the drop: a uid change clears it. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0 ||
		    getppid() != s->master_pid)
			_exit(1);
		c->run(c->ctx);
		_exit(0);
	}
	c->pid = pid;
	c->started_ms = now;
	log_info("child started name=%s pid=%ld restarts=%u", c->name,
	    (long)pid, c->restarts);
}

void
server_child_start_due(struct server *s, int64_t now)
{
	for (size_t i = 0; i < s->n_children; i++) {
		struct server_child *c = &s->children[i];

		if (c->pid == 0 && c->next_start_ms != 0 &&
		    now >= c->next_start_ms) {
			if (c->started_ms != 0)
				c->restarts++;
			child_start(s, c, now);
		}
	}
}

bool
server_child_reaped(struct server *s, pid_t pid, int status)
{
	for (size_t i = 0; i < s->n_children; i++) {
		struct server_child *c = &s->children[i];
		int64_t now = server_now_ms();
		char desc[48];

		if (c->pid != pid)
			continue;
		c->pid = 0;
		(void)server_exit_desc(status, desc, sizeof(desc));
		if (s->phase >= SERVER_STOPPING_CHILDREN) {
			log_info("child stopped name=%s pid=%ld %s", c->name,
			    (long)pid, desc);
			return true;
		}
		if (now - c->started_ms >= s->restart_reset_ms)
			c->backoff_ms = s->restart_min_ms;
		c->next_start_ms = now + c->backoff_ms;
		log_error("child died name=%s pid=%ld %s uptime=%llds "
		    "restart_in=%ums", c->name, (long)pid, desc,
		    (long long)(now - c->started_ms) / 1000, c->backoff_ms);
		c->backoff_ms = c->backoff_ms > s->restart_max_ms / 2 ?
		    s->restart_max_ms : c->backoff_ms * 2;
		return true;
	}
	return false;
}

size_t
server_child_running(const struct server *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_children; i++)
		if (s->children[i].pid != 0)
			n++;
	return n;
}

void
server_child_stop_all(struct server *s, int sig)
{
	for (size_t i = 0; i < s->n_children; i++) {
		s->children[i].next_start_ms = 0;
		if (s->children[i].pid != 0)
			(void)kill(s->children[i].pid, sig);
	}
}

int64_t
server_child_next_due(const struct server *s)
{
	int64_t d = 0;

	for (size_t i = 0; i < s->n_children; i++) {
		int64_t t = s->children[i].next_start_ms;

		if (s->children[i].pid == 0 && t != 0 && (d == 0 || t < d))
			d = t;
	}
	return d;
}
