/*
 * tests/bench/lmtp_bench.c - LMTP delivery throughput of a running
 * accessd (4 KB messages, 1 or more connections).
 *
 * Not run by make check. Usage:
 *	lmtp_bench PORT RCPT [MESSAGES [CONNECTIONS [SIZE]]]
 * delivers MESSAGES (default 2000) messages of SIZE bytes (default 4096)
 * to RCPT through CONNECTIONS (default 1) LMTP connections to
 * 127.0.0.1:PORT, one process per connection, pipelining MAIL, RCPT and
 * DATA, and prints messages/s and the client's CPU ms per message. Start
 * accessd first (e.g. with the demo's configuration); compare with 1 and
 * 10 connections.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "lib/stream.h"
#include "lib/banned.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long
num(const char *s)
{
	uint64_t v;

	if (parse_u64(s, strlen(s), 100000000, &v) == -1) {
		fprintf(stderr, "lmtp_bench: bad number %s\n", s);
		exit(2);
	}
	return (unsigned long)v;
}

/* One reply's code (multi-line replies read to their end), or -1. */
static int
reply(struct stream *s)
{
	for (;;) {
		const char *line;
		size_t len;

		if (stream_read_line(s, 1024, &line, &len) != 1 || len < 4)
			return -1;
		if (line[3] != '-')
			return (line[0] - '0') * 100 + (line[1] - '0') * 10 +
			    (line[2] - '0');
	}
}

/* Deliver n messages over one connection; 0 if every one got 250. */
static int
run(unsigned port, const char *rcpt, unsigned long n, const struct buf *msg)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct stream *s;
	int bad = 0;

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("connect");
		return -1;
	}
	s = stream_new(fd);
	if (reply(s) != 220)
		return -1;
	stream_printf(s, "LHLO bench.example\r\n");
	stream_flush(s);
	if (reply(s) != 250)
		return -1;
	for (unsigned long i = 0; i < n; i++) {
		stream_printf(s, "MAIL FROM:<bench@example.org>\r\n"
		    "RCPT TO:<%s>\r\nDATA\r\n", rcpt);
		stream_flush(s);
		if (reply(s) != 250 || reply(s) != 250 || reply(s) != 354)
			return -1;
		stream_write(s, msg->data, msg->len);
		stream_printf(s, ".\r\n");
		stream_flush(s);
		bad += reply(s) != 250;
	}
	stream_printf(s, "QUIT\r\n");
	stream_flush(s);
	reply(s);
	stream_free(&s);
	return bad == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	unsigned long n = 2000, conns = 1, size = 4096;
	struct buf *msg;
	struct rusage ru;
	double t0, t;
	int fails = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: lmtp_bench PORT RCPT [MESSAGES "
		    "[CONNECTIONS [SIZE]]]\n");
		return 2;
	}
	if (argc > 3)
		n = num(argv[3]);
	if (argc > 4)
		conns = num(argv[4]);
	if (argc > 5)
		size = num(argv[5]);
	if (conns == 0)
		conns = 1;
	msg = buf_new(size + 128, size + 128);
	buf_printf(msg, "Subject: bench\r\n\r\n");
	while (msg->len + 82 <= size)
		buf_printf(msg, "%080d\r\n", 0);
	t0 = now_s();
	for (unsigned long c = 0; c < conns; c++) {
		if (fork() == 0)
			_exit(run((unsigned)num(argv[1]), argv[2], n / conns,
			    msg) == 0 ? 0 : 1);
	}
	for (unsigned long c = 0; c < conns; c++) {
		int st;

		wait(&st);
		fails += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	t = now_s() - t0;
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("%lu messages of %zu bytes, %lu connections: %.0f msg/s, "
	    "client CPU %.3f ms/msg%s\n", n / conns * conns, msg->len, conns,
	    (double)(n / conns * conns) / t,
	    ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) /
	    1e6) * 1000.0 / (double)(n ? n : 1),
	    fails ? " (some connections FAILED)" : "");
	buf_free(&msg);
	return fails ? 1 : 0;
}
