/*
 * tests/bench/queue_commit_bench.c - cost of a durable queue commit
 * (mtad/queue_commit.h) with 1 and 20 concurrent committers.
 *
 * Each committer is a process, as SMTP sessions are: it opens a writer
 * with the envelope known before DATA, streams the message in 4 KiB
 * writes (as lines arrive), commits (envelope, fdatasync, rename, fsync
 * of incoming/) and records the latency of the whole thing. The table
 * shows messages per second over the wall-clock time, p50 and p99
 * latency, and CPU time per message of the committers. Built by make,
 * not run by make check (it measures the disk, not correctness):
 *
 *   tests/bench/queue_commit_bench [-d DIR] [-n MESSAGES] [-c LIST]
 *
 * DIR (default: a new directory under the current one; use a real disk,
 * fsync on tmpfs costs nothing) is removed afterwards. MESSAGES per row
 * (default 2000). LIST of concurrencies (default "1,20").
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mtad/queue.h"
#include "lib/banned.h"

#define BENCH_CHUNK 4096

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
sample_env(struct queue_env *env, struct pool *pool)
{
	static struct queue_rcpt r;

	memset(env, 0, sizeof(*env));
	env->arrival = (uint64_t)time(NULL);
	env->client_addr = "192.0.2.7";
	env->client_name = "mx.example.org";
	env->helo = "mx.example.org";
	env->tls_version = "TLS1.3";
	env->tls_cipher = "AES-256-GCM";
	env->sender = "alice@example.org";
	env->body = QUEUE_BODY_8BITMIME;
	r.addr = "bob@example.test";
	r.orcpt = "rfc822;bob@example.test";
	env->rcpts = &r;
	env->nrcpts = 1;
	(void)pool;
}

/* One committer: n messages of size bytes, latencies (us) to fd. */
static void __attribute__((noreturn))
committer(struct queue *q, size_t n, size_t size, int fd)
{
	struct pool *pool = pool_new("bench");
	uint8_t *body = xmalloc(size);
	uint32_t *lat = xcalloc(n, sizeof(*lat));

	memset(body, 'x', size);
	for (size_t i = 0; i < n; i++) {
		struct queue_env env;
		struct queue_writer *w;
		const char *err;
		uint64_t t0 = now_us();

		sample_env(&env, pool);
		w = queue_writer_new(q, &env, pool, &err);
		if (w == NULL)
			log_fatal("%s", err);
		for (size_t off = 0; off < size; off += BENCH_CHUNK) {
			size_t k = size - off < BENCH_CHUNK ? size - off :
			    BENCH_CHUNK;

			if (queue_writer_write(w, body + off, k, &err) == -1)
				log_fatal("%s", err);
		}
		if (queue_writer_commit(&w, &env, &err) == -1)
			log_fatal("%s", err);
		lat[i] = (uint32_t)(now_us() - t0);
	}
	if (write(fd, lat, n * sizeof(*lat)) != (ssize_t)(n * sizeof(*lat)))
		_exit(1);
	_exit(0);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
cpu_children_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
	    (double)ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
}

static void
run(struct queue *q, const char *dir, size_t conc, size_t size, size_t total)
{
	size_t each = (total + conc - 1) / conc, n = each * conc, got = 0;
	uint32_t *lat = xcalloc(n, sizeof(*lat));
	double cpu0 = cpu_children_ms(), cpu;
	uint64_t t0 = now_us(), wall;

	/* latencies go through files beside the queue, read at the end */
	for (size_t i = 0; i < conc; i++) {
		pid_t pid = fork();

		if (pid == -1)
			log_fatal_errno("fork");
		if (pid == 0) {
			char name[4200];
			int fd;

			str_printf(name, sizeof(name), "%s/lat.%zu", dir, i);
			fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			committer(q, each, size, fd);
		}
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	wall = now_us() - t0;
	cpu = cpu_children_ms() - cpu0;
	for (size_t i = 0; i < conc; i++) {
		char name[4200];
		int fd;
		ssize_t r;

		str_printf(name, sizeof(name), "%s/lat.%zu", dir, i);
		fd = open(name, O_RDONLY);
		r = fd == -1 ? -1 : read(fd, lat + got, each * sizeof(*lat));
		if (r > 0)
			got += (size_t)r / sizeof(*lat);
		if (fd != -1)
			close(fd);
		unlink(name);
	}
	qsort(lat, got, sizeof(*lat), cmp_u32);
	printf("%11zu %8zuK %8zu %10.0f %9.2f %9.2f %12.3f\n", conc,
	    size / 1024, got, got / (wall / 1e6),
	    got ? lat[got / 2] / 1e3 : 0.0,
	    got ? lat[(got * 99) / 100] / 1e3 : 0.0, got ? cpu / got : 0.0);
	fflush(stdout);
	free(lat);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 4 * 1024, 100 * 1024 };
	char dir[4096] = "", *concs = xstrdup("1,20"), *save = NULL, *c;
	struct pool *pool = pool_new("main");
	uint64_t total = 2000;
	struct queue *q;
	const char *err;
	bool own = false;
	int opt;

	log_init("queue_commit_bench", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	    LOG_LEVEL_WARN);
	while ((opt = getopt(argc, argv, "d:n:c:")) != -1) {
		switch (opt) {
		case 'd':
			str_copy(dir, sizeof(dir), optarg);
			break;
		case 'n':
			if (parse_u64(optarg, strlen(optarg), 10000000,
			    &total) == -1 || total == 0)
				log_fatal("bad -n");
			break;
		case 'c':
			free(concs);
			concs = xstrdup(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-d DIR] [-n MESSAGES] "
			    "[-c LIST]\n", argv[0]);
			return 2;
		}
	}
	if (dir[0] == '\0') {
		str_copy(dir, sizeof(dir), "./queue-bench-XXXXXX");
		if (mkdtemp(dir) == NULL)
			log_fatal_errno("mkdtemp");
		own = true;
	}
	q = queue_open(dir, NULL, pool, &err);
	if (q == NULL)
		log_fatal("%s", err);
	printf("queue commit: write + fdatasync + rename + fsync(dir), %s\n",
	    dir);
	printf("%11s %9s %8s %10s %9s %9s %12s\n", "committers", "size",
	    "messages", "msgs/s", "p50 ms", "p99 ms", "cpu ms/msg");
	for (c = strtok_r(concs, ",", &save); c != NULL;
	    c = strtok_r(NULL, ",", &save)) {
		uint64_t conc;

		if (parse_u64(c, strlen(c), 1000, &conc) == -1 || conc == 0)
			log_fatal("bad concurrency %s", c);
		for (size_t s = 0; s < 2; s++)
			run(q, dir, (size_t)conc, sizes[s], (size_t)total);
	}
	queue_close(&q);
	if (own)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(concs);
	pool_free(&pool);
	return 0;
}
