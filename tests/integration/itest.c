/*
 * tests/integration/itest.c - helpers for Criterion integration suites:
 * ports, temporary directories, child processes and captured commands.
 *
 * Runs inside test processes only. Children get a process group of their
 * own, so a timeout or a stop kills everything they started. Output of
 * children is data, bounded by the caller's buf.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "tests/integration/itest.h"
#include "lib/banned.h"

#ifndef ITEST_SRCDIR
#define ITEST_SRCDIR "."
#endif

#define ITEST_DUMP_MAX (64 * 1024)
#define ITEST_PORTS_MAX 64
/* After the child exits, how long grandchildren may keep its output
 * pipe open before we stop reading. */
#define ITEST_DRAIN_MS 200

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

/* ---- ports ----------------------------------------------------------- */

static int
bind_any_port(uint16_t *port_out)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	*port_out = ntohs(sin.sin_port);
	return fd;
}

uint16_t
itest_free_port(void)
{
	uint16_t port = 0;
	int fd = bind_any_port(&port);

	if (fd == -1) {
		log_warn_errno("itest: cannot bind a port on 127.0.0.1");
		return 0;
	}
	close(fd);
	return port;
}

int
itest_free_ports(uint16_t *ports, size_t n)
{
	int fds[ITEST_PORTS_MAX];
	size_t i, opened = 0;
	int rc = 0;

	if (n == 0 || n > ITEST_PORTS_MAX) {
		log_warn("itest: itest_free_ports: n=%zu (1..%d)", n,
		    ITEST_PORTS_MAX);
		return -1;
	}
	/* Holding every socket open until all are bound keeps them distinct. */
	for (i = 0; i < n; i++) {
		fds[i] = bind_any_port(&ports[i]);
		if (fds[i] == -1) {
			log_warn_errno("itest: cannot bind a port");
			rc = -1;
			break;
		}
		opened++;
	}
	for (i = 0; i < opened; i++)
		close(fds[i]);
	return rc;
}

/* ---- temporary directories -------------------------------------------- */

char *
itest_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	struct buf *b = buf_new(128, 4096);
	char *path = NULL;
	size_t i, start;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if (buf_printf(b, "%s/tessera-", base) == -1)
		goto out;
	start = b->len;
	if (buf_append_str(b, tag != NULL && tag[0] != '\0' ? tag : "test") ==
	    -1 || buf_append_str(b, ".XXXXXX") == -1)
		goto out;
	for (i = start; i < b->len - 7; i++) {
		uint8_t c = b->data[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			b->data[i] = '_';
	}
	if (mkdtemp((char *)b->data) == NULL) {
		log_warn_errno("itest: mkdtemp %s", buf_cstr(b));
		goto out;
	}
	path = buf_steal(b, NULL);
out:
	buf_free(&b);
	return path;
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	if (remove(path) == -1) {
		log_warn_errno("itest: cannot remove %s", path);
		return -1;
	}
	return 0;
}

int
itest_cleanup_dir(char **dirp)
{
	const char *keep, *slash;
	char *dir;
	int rc = 0;

	if (dirp == NULL || *dirp == NULL)
		return 0;
	dir = *dirp;
	*dirp = NULL;
	slash = strrchr(dir, '/');
	/* Only what itest_tmpdir made: a slip cannot empty a real tree. */
	if (slash == NULL || strncmp(slash + 1, "tessera-", 8) != 0) {
		log_warn("itest: not removing %s: not made by itest_tmpdir",
		    dir);
		free(dir);
		return -1;
	}
	keep = getenv("ITEST_KEEP");
	if (keep != NULL && strcmp(keep, "1") == 0) {
		fprintf(stderr, "itest: ITEST_KEEP=1: kept %s\n", dir);
		free(dir);
		return 0;
	}
	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == -1)
		rc = -1;
	free(dir);
	return rc;
}

/* ---- children --------------------------------------------------------- */

/* environ with envp_extra applied; the strings are not copied. */
static char **
build_env(char *const envp_extra[])
{
	extern char **environ;
	size_t n_env = 0, n_extra = 0, i, j, k = 0;
	char **env;

	while (environ[n_env] != NULL)
		n_env++;
	while (envp_extra != NULL && envp_extra[n_extra] != NULL)
		n_extra++;
	env = xcalloc(n_env + n_extra + 1, sizeof(*env));
	for (i = 0; i < n_env; i++) {
		size_t nlen = strcspn(environ[i], "=");
		bool replaced = false;

		for (j = 0; j < n_extra && !replaced; j++) {
			size_t xlen = strcspn(envp_extra[j], "=");

			replaced = xlen == nlen &&
			    strncmp(environ[i], envp_extra[j], nlen) == 0;
		}
		if (!replaced)
			env[k++] = environ[i];
	}
	for (j = 0; j < n_extra; j++)
		if (strchr(envp_extra[j], '=') != NULL)
			env[k++] = envp_extra[j];
	return env;
}

/* In the child, after fork: only async-signal-safe calls. */
static void __attribute__((noreturn))
child_exec(char *const argv[], char **env, int out_fd, int err_fd,
    int null_fd)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(null_fd, 0) == -1 || dup2(out_fd, 1) == -1 ||
	    dup2(err_fd, 2) == -1)
		_exit(127);
	/* Nothing of the test process (Criterion's pipes, sockets) may
	 * outlive it in a daemon. */
	if (close_range(3, ~0U, 0) == -1) {
		long max = sysconf(_SC_OPEN_MAX);
		int fd;

		if (max < 0 || max > 65536)
			max = 65536;
		for (fd = 3; fd < max; fd++)
			close(fd);
	}
	execvpe(argv[0], argv, env);
	{
		static const char msg[] = "itest: exec failed: ";
		const char *e = strerror(errno);
		ssize_t unused;

		unused = write(2, msg, sizeof(msg) - 1);
		unused = write(2, argv[0], strlen(argv[0]));
		unused = write(2, ": ", 2);
		unused = write(2, e, strlen(e));
		unused = write(2, "\n", 1);
		(void)unused;
	}
	_exit(127);
}

/* Fork and exec argv with stdout on out_fd and stderr on err_fd.
 * Returns the pid or -1. */
static pid_t
spawn(char *const argv[], char *const envp_extra[], int out_fd, int err_fd)
{
	char **env;
	int null_fd;
	pid_t pid;

	if (argv == NULL || argv[0] == NULL) {
		log_warn("itest: empty argv");
		return -1;
	}
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd == -1) {
		log_warn_errno("itest: /dev/null");
		return -1;
	}
	env = build_env(envp_extra);
	pid = fork();
	if (pid == 0)
		child_exec(argv, env, out_fd, err_fd, null_fd);
	if (pid == -1)
		log_warn_errno("itest: fork for %s", argv[0]);
	else
		setpgid(pid, pid);	/* whichever of us runs first */
	free(env);
	close(null_fd);
	return pid;
}

struct itest_proc *
itest_start(char *const argv[], char *const envp_extra[],
    const char *log_path)
{
	struct itest_proc *p;
	pid_t pid;
	int fd;

	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_warn_errno("itest: cannot open log %s", log_path);
		return NULL;
	}
	pid = spawn(argv, envp_extra, fd, fd);
	close(fd);
	if (pid == -1)
		return NULL;
	p = xmalloc(sizeof(*p));
	p->pid = pid;
	p->log_path = xstrdup(log_path);
	p->name = xstrdup(argv[0]);
	p->status = -1;
	return p;
}

bool
itest_alive(struct itest_proc *p)
{
	int st;
	pid_t r;

	if (p == NULL || p->reaped)
		return false;
	do
		r = waitpid(p->pid, &st, WNOHANG);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return true;
	p->reaped = true;
	p->status = r == p->pid ? status_code(st) : -1;
	return false;
}

void
itest_proc_dump(const struct itest_proc *p)
{
	if (p != NULL)
		itest_dump_log(p->log_path);
}

int
itest_stop(struct itest_proc **pp, int grace_ms)
{
	struct itest_proc *p;
	bool killed = false;
	int64_t deadline;
	int st, rc;

	if (pp == NULL || *pp == NULL)
		return -1;
	p = *pp;
	*pp = NULL;
	if (itest_alive(p)) {
		kill(p->pid, SIGTERM);
		deadline = now_ms() + (grace_ms > 0 ? grace_ms : 0);
		while (itest_alive(p) && now_ms() < deadline)
			sleep_ms(10);
		if (!p->reaped) {
			fprintf(stderr, "itest: %s (pid %ld) still running "
			    "%d ms after SIGTERM: SIGKILL\n", p->name,
			    (long)p->pid, grace_ms);
			killpg(p->pid, SIGKILL);
			killed = true;
			if (waitpid(p->pid, &st, 0) == p->pid)
				p->status = status_code(st);
			p->reaped = true;
		}
	}
	/* Whatever it left behind in its group goes too. */
	killpg(p->pid, SIGKILL);
	rc = p->status;
	if (killed || (rc > 128 && rc != 128 + SIGTERM)) {
		fprintf(stderr, "itest: %s (pid %ld) ended with status %d\n",
		    p->name, (long)p->pid, rc);
		itest_dump_log(p->log_path);
	}
	free(p->log_path);
	free(p->name);
	free(p);
	return rc;
}

void
itest_dump_log(const char *log_path)
{
	char chunk[4096];
	struct stat st;
	ssize_t n;
	int fd;

	if (log_path == NULL)
		return;
	fd = open(log_path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		fprintf(stderr, "itest: cannot read log %s: %s\n", log_path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return;
	}
	if (st.st_size > ITEST_DUMP_MAX) {
		fprintf(stderr, "---- %s (last %d of %lld bytes) ----\n",
		    log_path, ITEST_DUMP_MAX, (long long)st.st_size);
		lseek(fd, st.st_size - ITEST_DUMP_MAX, SEEK_SET);
	} else {
		fprintf(stderr, "---- %s ----\n", log_path);
	}
	fflush(stderr);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		fwrite(chunk, 1, (size_t)n, stderr);
	fprintf(stderr, "---- end of %s ----\n", log_path);
	fflush(stderr);
	close(fd);
}

/* ---- connections ------------------------------------------------------ */

static int
connect_addr(const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, err = 0, flags;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0)
			goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int
itest_connect(const char *host, uint16_t port, int timeout_ms)
{
	struct addrinfo hints, *res = NULL, *ai;
	char service[8];
	int64_t deadline = now_ms() + timeout_ms;
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (str_printf(service, sizeof(service), "%u", (unsigned)port) == -1 ||
	    getaddrinfo(host, service, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		int64_t left = deadline - now_ms();

		if (left <= 0)
			break;
		fd = connect_addr(ai, (int)left);
	}
	freeaddrinfo(res);
	return fd;
}

int
itest_wait_listen_proc(struct itest_proc *p, const char *host,
    uint16_t port, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		int64_t left = deadline - now_ms();
		int fd;

		if (p != NULL && !itest_alive(p)) {
			fprintf(stderr, "itest: %s exited (status %d) before "
			    "listening on %s port %u\n", p->name, p->status,
			    host, (unsigned)port);
			itest_dump_log(p->log_path);
			return -1;
		}
		if (left <= 0)
			break;
		fd = itest_connect(host, port, left < 500 ? (int)left : 500);
		if (fd != -1) {
			close(fd);
			return 0;
		}
		sleep_ms(20);
	}
	fprintf(stderr, "itest: nothing listens on %s port %u after %d ms\n",
	    host, (unsigned)port, timeout_ms);
	return -1;
}

int
itest_wait_listen(const char *host, uint16_t port, int timeout_ms)
{
	return itest_wait_listen_proc(NULL, host, port, timeout_ms);
}

/* ---- running commands ------------------------------------------------- */

/* Read what is there from *fd into b (NULL or full: dropped); on EOF
 * close it and set *fd to -1. */
static void
drain_fd(int *fd, struct buf *b)
{
	char chunk[4096];
	ssize_t n;

	n = read(*fd, chunk, sizeof(chunk));
	if (n > 0) {
		if (b != NULL && b->len < b->max) {
			size_t room = b->max - b->len;

			if ((size_t)n < room)
				room = (size_t)n;
			buf_append(b, chunk, room);
		}
		return;
	}
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	close(*fd);
	*fd = -1;
}

int
itest_run_split(char *const argv[], char *const envp_extra[], struct buf *out,
    struct buf *err, int timeout_ms)
{
	int opipe[2], epipe[2] = { -1, -1 };
	int64_t deadline = now_ms() + timeout_ms, exited_at = 0;
	bool exited = false;
	int st = 0;
	pid_t pid;

	if (pipe2(opipe, O_CLOEXEC) == -1) {
		log_warn_errno("itest: pipe");
		return -1;
	}
	if (err != NULL && pipe2(epipe, O_CLOEXEC) == -1) {
		log_warn_errno("itest: pipe");
		close(opipe[0]);
		close(opipe[1]);
		return -1;
	}
	pid = spawn(argv, envp_extra, opipe[1], err != NULL ? epipe[1] :
	    opipe[1]);
	close(opipe[1]);
	if (epipe[1] != -1)
		close(epipe[1]);
	for (;;) {
		struct pollfd pfd[2] = { { opipe[0], POLLIN, 0 },
			{ epipe[0], POLLIN, 0 } };
		int64_t now = now_ms();

		if (pid == -1)
			break;
		if (!exited && waitpid(pid, &st, WNOHANG) == pid) {
			exited = true;
			exited_at = now;
		}
		if (exited && ((opipe[0] == -1 && epipe[0] == -1) ||
		    now - exited_at > ITEST_DRAIN_MS))
			break;
		if (!exited && now >= deadline) {
			fprintf(stderr, "itest: %s did not finish within %d "
			    "ms: killed\n", argv[0], timeout_ms);
			killpg(pid, SIGKILL);
			waitpid(pid, &st, 0);
			pid = -1;
			break;
		}
		if (poll(pfd, 2, 20) > 0) {
			if (pfd[0].revents != 0)
				drain_fd(&opipe[0], out);
			if (pfd[1].revents != 0)
				drain_fd(&epipe[0], err);
		}
	}
	if (opipe[0] != -1)
		close(opipe[0]);
	if (epipe[0] != -1)
		close(epipe[0]);
	if (pid == -1)
		return -1;
	/* A command runs to completion: what it left in its group goes. */
	killpg(pid, SIGKILL);
	return status_code(st);
}

int
itest_run(char *const argv[], char *const envp_extra[], struct buf *output,
    int timeout_ms)
{
	return itest_run_split(argv, envp_extra, output, NULL, timeout_ms);
}

/* ---- source tree ------------------------------------------------------ */

char *
itest_srcpath(const char *rel)
{
	const char *top = getenv("TESSERA_SRCDIR");
	struct buf *b = buf_new(256, 8192);
	char *path;

	if (top == NULL || top[0] == '\0')
		top = ITEST_SRCDIR;
	if (buf_printf(b, "%s/%s", top, rel) == -1)
		log_panic("itest: source path too long: %s/%s", top, rel);
	path = buf_steal(b, NULL);
	buf_free(&b);
	return path;
}

char *
itest_env_value(const char *out, const char *name)
{
	char prefix[64];
	const char *p, *end;

	if (snprintf(prefix, sizeof(prefix), "export %s='", name) >=
	    (int)sizeof(prefix))
		return NULL;
	p = strstr(out, prefix);
	if (p == NULL)
		return NULL;
	p += strlen(prefix);
	end = strchr(p, '\'');
	return end != NULL ? strndup(p, (size_t)(end - p)) : NULL;
}
