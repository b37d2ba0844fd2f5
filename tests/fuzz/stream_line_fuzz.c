/*
 * tests/fuzz/stream_line_fuzz.c - fuzz target for stream_read_line in
 * lib/stream.c.
 *
 * Input: one byte choosing the line limit max (1..192, or 1 KiB..64 KiB
 * to cross STREAM_READ_CHUNK), then the bytes a peer sends (at most
 * STREAM_FUZZ_MAX_INPUT). They go through a socketpair whose write side
 * is then shut down, and lines are read until end of input. Invariants:
 *  - every line returned is at most max bytes, ends with LF and holds no
 *    other LF; the lines returned, concatenated, never exceed the input;
 *  - the sequence of results matches a reference reading of the same
 *    bytes: each line is the next piece of input through its LF if that
 *    LF lies within max bytes; max bytes without an LF are -1
 *    STREAM_ERR_TOO_LONG with the rest of that line dropped; a last line
 *    without an LF is dropped and end of input (0, STREAM_ERR_EOF) is
 *    reported, also on every later call.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/stream.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes sent; they must fit in the socket buffer, nobody reads yet. */
#define STREAM_FUZZ_MAX_INPUT 60000
#define STREAM_FUZZ_TIMEOUT 5000

/* Write what fits without blocking (the rest is dropped, for the
 * reference too), then end the input. */
static size_t
send_input(int fd, const uint8_t *p, size_t len)
{
	size_t done = 0;

	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		abort();
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n > 0)
			done += (size_t)n;
		else if (n == -1 && errno == EINTR)
			continue;
		else
			break;
	}
	if (shutdown(fd, SHUT_WR) == -1)
		abort();
	return done;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream *s;
	size_t max, len, off = 0, total = 0;
	int sv[2], big = 1 << 20;

	if (size < 1)
		return 0;
	max = data[0] < 0xc0 ? (size_t)data[0] + 1 :
	    (size_t)(data[0] - 0xbf) * 1024;
	data++;
	size--;
	len = size < STREAM_FUZZ_MAX_INPUT ? size : STREAM_FUZZ_MAX_INPUT;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	len = send_input(sv[1], data, len);
	s = stream_new(sv[0]);
	stream_set_timeouts(s, STREAM_FUZZ_TIMEOUT, STREAM_FUZZ_TIMEOUT);
	for (;;) {
		const uint8_t *head = data + off;
		const uint8_t *lf = memchr(head, '\n',
		    len - off < max ? len - off : max);
		const char *line;
		size_t n;
		int r = stream_read_line(s, max, &line, &n);

		if (r == 1) {
			/* the basic promises, whatever the reference says */
			if (n == 0 || n > max || line[n - 1] != '\n' ||
			    memchr(line, '\n', n - 1) != NULL)
				abort();
			total += n;
			if (total > len)
				abort();
			/* the reference: the next piece through its LF */
			if (lf == NULL || n != (size_t)(lf - head) + 1 ||
			    memcmp(line, head, n) != 0)
				abort();
			off += n;
			continue;
		}
		if (r == 0) {
			/* only a last line without LF was left, dropped */
			if (stream_error(s) != STREAM_ERR_EOF || lf != NULL ||
			    len - off >= max)
				abort();
			break;
		}
		/* max bytes without LF: that line is skipped through its LF */
		if (r != -1 || stream_error(s) != STREAM_ERR_TOO_LONG ||
		    lf != NULL || len - off < max)
			abort();
		lf = memchr(head + max, '\n', len - off - max);
		off = lf != NULL ? (size_t)(lf - data) + 1 : len;
	}
	/* the end is sticky */
	{
		const char *line;
		size_t n;

		if (stream_read_line(s, max, &line, &n) != 0 ||
		    stream_error(s) != STREAM_ERR_EOF)
			abort();
	}
	stream_free(&s);
	close(sv[1]);
	return 0;
}
