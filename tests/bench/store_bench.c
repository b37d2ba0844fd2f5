/*
 * tests/bench/store_bench.c - delivery throughput of the mail store.
 *
 * Not run by make check. Usage: store_bench [DIR [MESSAGES [PROCS
 * [SIZE [FSYNC]]]]] delivers MESSAGES messages of SIZE bytes (default
 * 2000 x 4096) into one INBOX from PROCS processes (default 1) with fsync
 * on (FSYNC=0 for off), then prints messages/s and CPU ms per message.
 * DIR (an absolute path) defaults to a new directory under /tmp,
 * removed afterwards.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "accessd/store.h"
#include "lib/banned.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
deliver(const char *root, const struct store_limits *lim, long n,
    const char *msg, size_t len)
{
	struct buf *err = buf_new(64, 4096);
	struct store_mailbox *mb = store_mailbox_open(root, "bench-user", lim,
	    err);
	struct store_folder *f = NULL;

	if (mb == NULL || store_folder_open(mb, "INBOX", &f, err) != STORE_OK) {
		fprintf(stderr, "store_bench: %s\n", buf_cstr(err));
		return 1;
	}
	for (long i = 0; i < n; i++)
		if (store_append(f, msg, len, 0, NULL, 0, NULL, NULL,
		    err) != STORE_OK) {
			fprintf(stderr, "store_bench: %s\n", buf_cstr(err));
			return 1;
		}
	store_folder_close(&f);
	store_mailbox_close(&mb);
	buf_free(&err);
	return 0;
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/store-bench.XXXXXX";
	const char *root = argc > 1 && argv[1][0] == '/' ? argv[1] :
	    mkdtemp(tmpl);
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
	long procs = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
	long size = argc > 4 ? strtol(argv[4], NULL, 10) : 4096;
	struct store_limits lim;
	struct rusage ru;
	char *msg;
	double t0, t;
	int failed = 0;

	log_init("store_bench", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	    LOG_LEVEL_WARN);
	if (root == NULL || n <= 0 || procs <= 0 || size <= 0)
		return 2;
	store_limits_defaults(&lim);
	lim.fsync = argc > 5 ? strtol(argv[5], NULL, 10) != 0 : true;
	msg = malloc((size_t)size);
	memset(msg, 'x', (size_t)size);
	memcpy(msg, "Subject: bench\r\n\r\n", 18);
	/* the mailbox exists before the clock starts */
	if (deliver(root, &lim, 0, msg, (size_t)size) != 0)
		return 1;
	t0 = now_s();
	for (long p = 0; p < procs; p++)
		if (fork() == 0)
			_exit(deliver(root, &lim, n / procs, msg, (size_t)size));
	for (long p = 0; p < procs; p++) {
		int st;

		wait(&st);
		failed |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	t = now_s() - t0;
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("store_bench: %ld messages of %ld bytes, %ld processes, "
	    "fsync %s: %.0f messages/s, %.3f ms CPU per message\n",
	    n / procs * procs, size, procs, lim.fsync ? "on" : "off",
	    (double)(n / procs * procs) / t,
	    ((double)ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
	    (double)ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3) /
	    (double)(n / procs * procs));
	if (root == tmpl) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			failed = 1;
	}
	free(msg);
	return failed;
}
