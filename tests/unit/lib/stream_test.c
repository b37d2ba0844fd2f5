/*
 * tests/unit/lib/stream_test.c - unit tests for lib/stream.c.
 *
 * Plain streams over socketpairs, with helper threads playing a peer that
 * trickles bytes, floods, stalls or never reads: line limits at max-1, max
 * and max+1, recovery after an overlong line, EOF versus timeout versus
 * too long, literals across the buffer boundary, the write deadline and
 * bounded buffering both ways. Over TCP on 127.0.0.1 with certificates made
 * at test time: the STARTTLS injection defence and bulk data over TLS.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/str.h"
#include "lib/stream.h"
#include "lib/tls.h"
#include "tests/unit/lib/testcert.h"
#include "tests/unit/lib/testnet.h"
#include "lib/banned.h"

#define WAIT_MS 5000

/* A stream on one end of a socketpair; *peer_out gets the other end. */
static struct stream *
pair_new(int *peer_out)
{
	struct stream *s;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	    0);
	s = stream_new(sv[0]);
	stream_set_timeouts(s, WAIT_MS, WAIT_MS);
	*peer_out = sv[1];
	return s;
}

static void
peer_send(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, b, len);
		cr_assert_gt(n, 0, "write: %s", strerror(errno));
		b += n;
		len -= (size_t)n;
	}
}

static void
peer_send_str(int fd, const char *s)
{
	peer_send(fd, s, strlen(s));
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
assert_line(struct stream *s, size_t max, const char *want)
{
	const char *line;
	size_t len;
	int rc;

	rc = stream_read_line(s, max, &line, &len);
	cr_assert_eq(rc, 1, "read_line: %d %s", rc, stream_error_text(s));
	cr_assert_eq(len, strlen(want), "length %zu, want %zu", len,
	    strlen(want));
	cr_assert_eq(memcmp(line, want, len), 0);
}

/* Peer thread: writes data in pieces of chunk bytes with a pause between
 * them, then closes its end if asked. */
struct feeder {
	int fd;
	const uint8_t *data;
	size_t len;
	size_t chunk;
	int pause_us;
	bool close_after;
	bool failed;
};

static void *
feeder_main(void *arg)
{
	struct feeder *f = arg;
	size_t off = 0, n;
	ssize_t w;

	while (off < f->len) {
		n = f->len - off < f->chunk ? f->len - off : f->chunk;
		w = write(f->fd, f->data + off, n);
		if (w <= 0) {
			f->failed = true;
			break;
		}
		off += (size_t)w;
		if (f->pause_us > 0)
			usleep((useconds_t)f->pause_us);
	}
	if (f->close_after)
		close(f->fd);
	return NULL;
}

/* Peer thread: reads until EOF into a buffer of cap bytes. */
struct drainer {
	int fd;
	uint8_t *buf;
	size_t cap;
	size_t got;
};

static void *
drainer_main(void *arg)
{
	struct drainer *d = arg;
	uint8_t scratch[4096];
	ssize_t n;

	for (;;) {
		n = read(d->fd, scratch, sizeof(scratch));
		if (n <= 0)
			break;
		if (d->got + (size_t)n <= d->cap)
			memcpy(d->buf + d->got, scratch, (size_t)n);
		d->got += (size_t)n;
	}
	return NULL;
}

static uint8_t *
pattern_new(size_t len)
{
	uint8_t *p = malloc(len);
	size_t i;

	cr_assert_not_null(p);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)('a' + (i * 7 + i / 251) % 26);
	return p;
}

/* ---- read_line ---------------------------------------------------- */

Test(stream, read_line_accepts_max_minus_one_and_max, .timeout = 10)
{
	int peer;
	struct stream *s = pair_new(&peer);

	peer_send_str(peer, "12345678\n");		/* max - 1 */
	peer_send_str(peer, "123456789\n");		/* max */
	peer_send_str(peer, "1234567\r\n");		/* max - 1 with CR */
	peer_send_str(peer, "12345678\r\n");		/* max with CR */
	assert_line(s, 10, "12345678\n");
	assert_line(s, 10, "123456789\n");
	assert_line(s, 10, "1234567\r\n");
	assert_line(s, 10, "12345678\r\n");
	stream_free(&s);
	close(peer);
}

Test(stream, read_line_over_max_is_too_long_then_next_line_reads,
    .timeout = 10)
{
	const char *line;
	size_t len;
	int peer;
	struct stream *s = pair_new(&peer);

	peer_send_str(peer, "1234567890\nnext\r\n");	/* max + 1 */
	cr_assert_eq(stream_read_line(s, 10, &line, &len), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TOO_LONG);
	assert_line(s, 10, "next\r\n");
	/* CR LF split across the limit: the LF is byte max + 1. */
	peer_send_str(peer, "123456789\r\nok\n");
	cr_assert_eq(stream_read_line(s, 10, &line, &len), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TOO_LONG);
	assert_line(s, 10, "ok\n");
	stream_free(&s);
	close(peer);
}

Test(stream, read_line_preserves_crlf_and_bare_lf, .timeout = 10)
{
	int peer;
	struct stream *s = pair_new(&peer);

	peer_send_str(peer, "a\r\nb\nc\r\n\n\r\n");
	assert_line(s, 100, "a\r\n");
	assert_line(s, 100, "b\n");
	assert_line(s, 100, "c\r\n");
	assert_line(s, 100, "\n");
	assert_line(s, 100, "\r\n");
	stream_free(&s);
	close(peer);
}

Test(stream, read_line_assembles_bytes_fed_one_at_a_time, .timeout = 10)
{
	static const char text[] = "EHLO client.example\r\nMAIL FROM:<>\r\n";
	struct feeder f = { .data = (const uint8_t *)text,
	    .len = sizeof(text) - 1, .chunk = 1, .pause_us = 500 };
	pthread_t th;
	struct stream *s = pair_new(&f.fd);

	cr_assert_eq(pthread_create(&th, NULL, feeder_main, &f), 0);
	assert_line(s, 64, "EHLO client.example\r\n");
	assert_line(s, 64, "MAIL FROM:<>\r\n");
	pthread_join(th, NULL);
	cr_assert(!f.failed);
	stream_free(&s);
	close(f.fd);
}

Test(stream, read_line_too_long_fed_one_byte_at_a_time, .timeout = 10)
{
	static const char text[] = "0123456789abcdef\r\nok\r\n";
	struct feeder f = { .data = (const uint8_t *)text,
	    .len = sizeof(text) - 1, .chunk = 1, .pause_us = 200 };
	const char *line;
	size_t len;
	pthread_t th;
	struct stream *s = pair_new(&f.fd);

	cr_assert_eq(pthread_create(&th, NULL, feeder_main, &f), 0);
	cr_assert_eq(stream_read_line(s, 8, &line, &len), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TOO_LONG);
	assert_line(s, 8, "ok\r\n");
	pthread_join(th, NULL);
	stream_free(&s);
	close(f.fd);
}

Test(stream, read_line_returns_zero_at_eof_and_drops_partial_line,
    .timeout = 10)
{
	const char *line;
	size_t len;
	int peer;
	struct stream *s = pair_new(&peer);

	peer_send_str(peer, "whole\r\npartial");
	close(peer);
	assert_line(s, 100, "whole\r\n");
	cr_assert_eq(stream_read_line(s, 100, &line, &len), 0);
	cr_assert_eq(stream_error(s), STREAM_ERR_EOF);
	cr_assert_eq(stream_pending(s), 0);
	cr_assert_eq(stream_read_line(s, 100, &line, &len), 0, "EOF stays");
	stream_free(&s);
}

Test(stream, read_line_times_out_on_stalled_peer_and_recovers,
    .timeout = 10)
{
	const char *line;
	size_t len;
	int64_t t0, elapsed;
	int peer;
	struct stream *s = pair_new(&peer);

	stream_set_timeouts(s, 200, 200);
	peer_send_str(peer, "half a li");
	t0 = now_ms();
	cr_assert_eq(stream_read_line(s, 100, &line, &len), -1);
	elapsed = now_ms() - t0;
	cr_assert_eq(stream_error(s), STREAM_ERR_TIMEOUT);
	cr_assert_geq(elapsed, 190, "returned after %lld ms",
	    (long long)elapsed);
	cr_assert_lt(elapsed, 2000);
	/* Nothing is lost: the rest of the line completes it. */
	peer_send_str(peer, "ne\n");
	assert_line(s, 100, "half a line\n");
	stream_free(&s);
	close(peer);
}

Test(stream, set_timeouts_ignores_non_positive_values, .timeout = 10)
{
	const char *line;
	size_t len;
	int64_t t0;
	int peer;
	struct stream *s = pair_new(&peer);

	stream_set_timeouts(s, 200, 200);
	stream_set_timeouts(s, 0, -1);
	t0 = now_ms();
	cr_assert_eq(stream_read_line(s, 100, &line, &len), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TIMEOUT);
	cr_assert_lt(now_ms() - t0, 2000);
	stream_free(&s);
	close(peer);
}

Test(stream, read_line_discards_long_tail_of_overlong_line, .timeout = 10)
{
	size_t tail = 300000;
	uint8_t *data = malloc(tail + 16);
	struct feeder f = { .chunk = 4096 };
	pthread_t th;
	struct stream *s;

	cr_assert_not_null(data);
	memset(data, 'x', tail);
	memcpy(data + tail, "\r\nQUIT\r\n", 8);
	f.data = data;
	f.len = tail + 8;
	s = pair_new(&f.fd);
	cr_assert_eq(pthread_create(&th, NULL, feeder_main, &f), 0);
	{
		const char *line;
		size_t len;

		cr_assert_eq(stream_read_line(s, 100, &line, &len), -1);
		cr_assert_eq(stream_error(s), STREAM_ERR_TOO_LONG);
		cr_assert_leq(stream_pending(s), 100 + STREAM_READ_CHUNK);
	}
	assert_line(s, 100, "QUIT\r\n");
	pthread_join(th, NULL);
	stream_free(&s);
	close(f.fd);
	free(data);
}

Test(stream, read_line_buffers_at_most_max_plus_a_chunk, .timeout = 10)
{
	static uint8_t flood[65536];
	const char *line;
	size_t len, sent = 0;
	ssize_t n;
	int peer;
	struct stream *s = pair_new(&peer);

	/* A peer sends as much as the socket takes, never an LF, then
	 * stalls: the stream reads and drops it, keeping little. */
	memset(flood, 'y', sizeof(flood));
	cr_assert_eq(fcntl(peer, F_SETFL, O_NONBLOCK), 0);
	while ((n = write(peer, flood, sizeof(flood))) > 0)
		sent += (size_t)n;
	cr_assert_gt(sent, 1000 + STREAM_READ_CHUNK);
	stream_set_timeouts(s, 200, 200);
	cr_assert_eq(stream_read_line(s, 1000, &line, &len), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TIMEOUT);
	cr_assert_leq(stream_pending(s), 1000 + STREAM_READ_CHUNK);
	stream_free(&s);
	close(peer);
}

/* Peer thread: sends 'x' as fast as the socket takes it until told to
 * stop or the other end goes away. */
struct flooder {
	int fd;
	volatile bool stop;
};

static void *
flooder_main(void *arg)
{
	struct flooder *f = arg;
	char chunk[4096];

	memset(chunk, 'x', sizeof(chunk));
	while (!f->stop && send(f->fd, chunk, sizeof(chunk),
	    MSG_NOSIGNAL) > 0)
		;
	return NULL;
}

Test(stream, endless_line_is_cut_off_at_the_read_deadline, .timeout = 10)
{
	struct flooder f = { .stop = false };
	const char *line;
	size_t len;
	int64_t t0, elapsed;
	pthread_t th;
	struct stream *s = pair_new(&f.fd);

	/* Data keeps coming: the discard of the endless line must still
	 * end at the read deadline, with little buffered. (Whether the
	 * socket ever drains for a moment depends on the scheduler; the
	 * stream checks the deadline in both cases.) */
	stream_set_timeouts(s, 300, 300);
	cr_assert_eq(pthread_create(&th, NULL, flooder_main, &f), 0);
	t0 = now_ms();
	cr_assert_eq(stream_read_line(s, 1000, &line, &len), -1);
	elapsed = now_ms() - t0;
	cr_assert_eq(stream_error(s), STREAM_ERR_TIMEOUT);
	cr_assert_geq(elapsed, 290);
	cr_assert_lt(elapsed, 3000);
	cr_assert_leq(stream_pending(s), 1000 + STREAM_READ_CHUNK);
	f.stop = true;
	stream_free(&s);	/* the flooder's send fails: it ends */
	pthread_join(th, NULL);
	close(f.fd);
}

Test(stream, read_line_too_long_then_eof, .timeout = 10)
{
	const char *line;
	size_t len;
	int peer;
	struct stream *s = pair_new(&peer);

	peer_send_str(peer, "much too long without end");
	close(peer);
	cr_assert_eq(stream_read_line(s, 10, &line, &len), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TOO_LONG);
	cr_assert_eq(stream_read_line(s, 10, &line, &len), 0);
	stream_free(&s);
}

/* Regression (tests/fuzz/stream_line_fuzz, seed lf_only): the first read
 * on a fresh stream computed s->in + s->in_off with s->in still NULL,
 * undefined behaviour that clang's -fsanitize=undefined aborts on (gcc's
 * does not check NULL + 0, so under gcc this passes either way). */
Test(stream, read_line_first_call_on_fresh_stream, .timeout = 10)
{
	const char *line;
	size_t len;
	int peer;
	struct stream *s = pair_new(&peer);

	/* nothing ever sent */
	close(peer);
	cr_assert_eq(stream_read_line(s, 1, &line, &len), 0);
	cr_assert_eq(stream_error(s), STREAM_ERR_EOF);
	stream_free(&s);
	/* lines of exactly max = 1 from the first call on */
	s = pair_new(&peer);
	peer_send_str(peer, "\n\na");
	close(peer);
	assert_line(s, 1, "\n");
	assert_line(s, 1, "\n");
	cr_assert_eq(stream_read_line(s, 1, &line, &len), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TOO_LONG);
	cr_assert_eq(stream_read_line(s, 1, &line, &len), 0);
	stream_free(&s);
}

Test(stream, read_line_too_long_then_stall_is_timeout, .timeout = 10)
{
	const char *line;
	size_t len;
	int peer;
	struct stream *s = pair_new(&peer);

	stream_set_timeouts(s, 200, 200);
	peer_send_str(peer, "much too long and the rest never comes");
	cr_assert_eq(stream_read_line(s, 10, &line, &len), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TIMEOUT);
	stream_free(&s);
	close(peer);
}

Test(stream, pending_counts_pipelined_input, .timeout = 10)
{
	int peer;
	struct stream *s = pair_new(&peer);

	cr_assert_eq(stream_pending(s), 0);
	peer_send_str(peer, "RSET\r\nNOOP\r\n");
	assert_line(s, 100, "RSET\r\n");
	cr_assert_eq(stream_pending(s), 6);
	assert_line(s, 100, "NOOP\r\n");
	cr_assert_eq(stream_pending(s), 0);
	stream_free(&s);
	close(peer);
}

/* ---- read_exact --------------------------------------------------- */

Test(stream, read_exact_takes_buffered_bytes_then_socket, .timeout = 10)
{
	char lit[16] = "";
	int peer;
	struct stream *s = pair_new(&peer);

	/* The literal starts in the buffer filled by the line read and
	 * ends in a later write. */
	peer_send_str(peer, "A1 APPEND {10}\r\n0123");
	assert_line(s, 100, "A1 APPEND {10}\r\n");
	cr_assert_eq(stream_pending(s), 4);
	peer_send_str(peer, "456789\r\nA2 NOOP\r\n");
	cr_assert_eq(stream_read_exact(s, lit, 10), 1);
	cr_assert_eq(memcmp(lit, "0123456789", 10), 0);
	assert_line(s, 100, "\r\n");
	assert_line(s, 100, "A2 NOOP\r\n");
	cr_assert_eq(stream_read_exact(s, lit, 0), 1);
	stream_free(&s);
	close(peer);
}

Test(stream, read_exact_large_literal_in_pieces, .timeout = 10)
{
	size_t total = 200000;
	uint8_t *data = pattern_new(total), *got = malloc(total);
	struct feeder f = { .chunk = 3000 };
	pthread_t th;
	struct stream *s;

	cr_assert_not_null(got);
	f.data = data;
	f.len = total;
	s = pair_new(&f.fd);
	cr_assert_eq(pthread_create(&th, NULL, feeder_main, &f), 0);
	cr_assert_eq(stream_read_exact(s, got, 7), 1);
	cr_assert_eq(stream_read_exact(s, got + 7, 100000), 1);
	cr_assert_eq(stream_read_exact(s, got + 100007, total - 100007), 1);
	cr_assert_eq(memcmp(got, data, total), 0);
	pthread_join(th, NULL);
	stream_free(&s);
	close(f.fd);
	free(data);
	free(got);
}

Test(stream, read_exact_returns_zero_on_eof_midway, .timeout = 10)
{
	char buf[100];
	int peer;
	struct stream *s = pair_new(&peer);

	peer_send_str(peer, "12345");
	close(peer);
	cr_assert_eq(stream_read_exact(s, buf, 10), 0);
	cr_assert_eq(stream_error(s), STREAM_ERR_EOF);
	stream_free(&s);

	/* Same with a piece large enough to bypass the buffer. */
	s = pair_new(&peer);
	peer_send_str(peer, "12345");
	close(peer);
	{
		char *big = malloc(STREAM_READ_CHUNK * 2);

		cr_assert_eq(stream_read_exact(s, big, STREAM_READ_CHUNK * 2),
		    0);
		free(big);
	}
	stream_free(&s);
}

Test(stream, read_exact_times_out_on_stalled_peer, .timeout = 10)
{
	char buf[100];
	int peer;
	struct stream *s = pair_new(&peer);

	stream_set_timeouts(s, 200, 200);
	peer_send_str(peer, "12345");
	cr_assert_eq(stream_read_exact(s, buf, 10), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TIMEOUT);
	stream_free(&s);
	close(peer);
}

/* ---- writing ------------------------------------------------------ */

Test(stream, write_is_buffered_until_flush, .timeout = 10)
{
	char buf[64];
	ssize_t n;
	int peer;
	struct stream *s = pair_new(&peer);

	cr_assert_eq(fcntl(peer, F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(stream_write(s, "250-one\r\n", 9), 0);
	cr_assert_eq(stream_printf(s, "%d %s\r\n", 250, "two"), 0);
	n = read(peer, buf, sizeof(buf));
	cr_assert_eq(n, -1, "nothing may be sent before the flush");
	cr_assert_eq(stream_flush(s), 0);
	n = read(peer, buf, sizeof(buf));
	cr_assert_eq(n, 18);
	cr_assert_eq(memcmp(buf, "250-one\r\n250 two\r\n", 18), 0);
	cr_assert_eq(stream_flush(s), 0, "empty flush");
	stream_free(&s);
	close(peer);
}

Test(stream, printf_longer_than_its_stack_buffer, .timeout = 10)
{
	char *big = malloc(5001), got[5010];
	ssize_t n;
	size_t have = 0;
	int peer;
	struct stream *s = pair_new(&peer);

	memset(big, 'z', 5000);
	big[5000] = '\0';
	cr_assert_eq(stream_printf(s, "<%s>", big), 0);
	cr_assert_eq(stream_flush(s), 0);
	while (have < 5002) {
		n = read(peer, got + have, sizeof(got) - have);
		cr_assert_gt(n, 0);
		have += (size_t)n;
	}
	cr_assert_eq(have, 5002);
	cr_assert_eq(got[0], '<');
	cr_assert_eq(got[5001], '>');
	cr_assert_eq(memcmp(got + 1, big, 5000), 0);
	free(big);
	stream_free(&s);
	close(peer);
}

Test(stream, large_writes_reach_the_peer_intact, .timeout = 10)
{
	size_t total = 300000, off;
	uint8_t *data = pattern_new(total);
	struct drainer d = { .cap = total };
	pthread_t th;
	struct stream *s;

	d.buf = malloc(total);
	s = pair_new(&d.fd);
	cr_assert_eq(pthread_create(&th, NULL, drainer_main, &d), 0);
	/* Small writes past the threshold, then one larger than it. */
	for (off = 0; off < 100000; off += 1000)
		cr_assert_eq(stream_write(s, data + off, 1000), 0);
	cr_assert_eq(stream_write(s, data + off, total - off), 0);
	stream_free(&s);	/* flushes and closes: the drainer ends */
	pthread_join(th, NULL);
	cr_assert_eq(d.got, total);
	cr_assert_eq(memcmp(d.buf, data, total), 0);
	close(d.fd);
	free(d.buf);
	free(data);
}

Test(stream, write_times_out_when_peer_never_reads, .timeout = 10)
{
	static uint8_t chunk[4096];
	size_t sent = 0;
	int64_t t0;
	int peer, rc = 0;
	struct stream *s = pair_new(&peer);

	stream_set_timeouts(s, 200, 200);
	t0 = now_ms();
	while (sent < 64 * 1024 * 1024) {
		rc = stream_write(s, chunk, sizeof(chunk));
		if (rc == -1)
			break;
		sent += sizeof(chunk);
	}
	cr_assert_eq(rc, -1, "writes never failed");
	cr_assert_eq(stream_error(s), STREAM_ERR_TIMEOUT);
	/* What was accepted is the socket buffers plus our bounded one. */
	cr_assert_lt(sent, 8 * 1024 * 1024, "accepted %zu bytes", sent);
	cr_assert_lt(now_ms() - t0, 3000);
	/* And it stays failed, at once. */
	t0 = now_ms();
	cr_assert_eq(stream_write(s, "x", 1), -1);
	cr_assert_eq(stream_flush(s), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TIMEOUT);
	cr_assert_lt(now_ms() - t0, 100);
	stream_free(&s);	/* must not wait for the peer either */
	close(peer);
}

Test(stream, write_to_closed_peer_fails_without_sigpipe, .timeout = 10)
{
	int peer;
	struct stream *s = pair_new(&peer);

	close(peer);
	cr_assert_eq(stream_write(s, "221 bye\r\n", 9), 0);
	cr_assert_eq(stream_flush(s), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_IO);
	cr_assert_not_null(strstr(stream_error_text(s), "write"));
	stream_free(&s);
}

Test(stream, free_sends_unflushed_output, .timeout = 10)
{
	char buf[32];
	ssize_t n;
	int peer;
	struct stream *s = pair_new(&peer);

	cr_assert_eq(stream_write(s, "221 bye\r\n", 9), 0);
	stream_free(&s);
	cr_assert_null(s);
	n = read(peer, buf, sizeof(buf));
	cr_assert_eq(n, 9);
	cr_assert_eq(memcmp(buf, "221 bye\r\n", 9), 0);
	cr_assert_eq(read(peer, buf, sizeof(buf)), 0, "closed");
	close(peer);
	stream_free(&s);
	stream_free(NULL);
}

Test(stream, bad_fd_gives_io_error)
{
	struct stream *s = stream_new(-1);
	const char *line;
	size_t len;

	cr_assert_eq(stream_error(s), STREAM_ERR_IO);
	cr_assert_eq(stream_fd(s), -1);
	cr_assert_eq(stream_read_line(s, 10, &line, &len), -1);
	cr_assert_eq(stream_write(s, "x", 1), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_IO);
	stream_free(&s);
}

Test(stream, plain_stream_reports_no_tls)
{
	int peer;
	struct stream *s = pair_new(&peer);

	cr_assert(!stream_is_tls(s));
	cr_assert_null(stream_tls_version(s));
	cr_assert_null(stream_tls_cipher(s));
	cr_assert_null(stream_tls_server_name(s));
	cr_assert_eq(stream_error(s), STREAM_OK);
	cr_assert_str_eq(stream_error_text(s), "");
	cr_assert_geq(stream_fd(s), 0);
	stream_free(&s);
	close(peer);
}

/* ---- TLS ---------------------------------------------------------- */

static struct testcert tc;

static void
setup(void)
{
	const char *err = NULL;

	cr_assert_eq(testcert_make(&tc, &err), 0, "testcert: %s", err);
}

static void
teardown(void)
{
	testcert_remove(&tc);
}

static struct tls_server *
server_ctx(void)
{
	struct tls_server *t;
	const char *err = NULL;

	t = tls_server_new(NULL, &err);
	cr_assert_not_null(t, "%s", err);
	cr_assert_eq(tls_server_add_cert(t, tc.server_cert, tc.server_key,
	    &err), 0, "%s", err);
	return t;
}

Test(stream, start_tls_discards_buffered_plaintext, .init = setup,
    .fini = teardown, .timeout = 10)
{
	struct tls_server *t = server_ctx();
	int peer;
	struct stream *s = pair_new(&peer);

	peer_send_str(peer, "STARTTLS\r\nINJECTED\r\n");
	assert_line(s, 100, "STARTTLS\r\n");
	cr_assert_eq(stream_pending(s), 10);
	stream_set_timeouts(s, 200, 200);
	/* The peer never handshakes: time out, but the plaintext is gone
	 * before anything else happens. */
	cr_assert_eq(stream_start_tls_server(s, t), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TIMEOUT);
	cr_assert_eq(stream_pending(s), 0);
	stream_free(&s);
	close(peer);
	tls_server_free(&t);
}

/* The server half of a STARTTLS dialogue, run in a thread. */
struct starttls_run {
	int lfd;
	struct tls_server *tls;
	int first_rc;
	char first[64];
	size_t pending_before;
	int hs_rc;
	char hs_err[256];
	size_t pending_after;
	int tls_rc;
	char tls_line[64];
	int eof_rc;
};

static int
read_line_copy(struct stream *s, char *dst, size_t size)
{
	const char *line;
	size_t len;
	int rc;

	rc = stream_read_line(s, size - 1, &line, &len);
	if (rc == 1) {
		memcpy(dst, line, len);
		dst[len] = '\0';
	}
	return rc;
}

static void *
starttls_server_main(void *arg)
{
	struct starttls_run *r = arg;
	struct stream *s;
	int fd;

	fd = testnet_accept(r->lfd, WAIT_MS);
	if (fd == -1)
		return NULL;
	s = stream_new(fd);
	stream_set_timeouts(s, WAIT_MS, WAIT_MS);
	r->first_rc = read_line_copy(s, r->first, sizeof(r->first));
	r->pending_before = stream_pending(s);
	(void)stream_printf(s, "220 2.0.0 Ready to start TLS\r\n");
	/* No explicit flush: starting TLS sends the reply first. */
	r->hs_rc = stream_start_tls_server(s, r->tls);
	(void)str_copy(r->hs_err, sizeof(r->hs_err), stream_error_text(s));
	r->pending_after = stream_pending(s);
	if (r->hs_rc == 0) {
		r->tls_rc = read_line_copy(s, r->tls_line,
		    sizeof(r->tls_line));
		(void)stream_printf(s, "250 ok\r\n");
		(void)stream_flush(s);
		{
			char rest[64];

			r->eof_rc = read_line_copy(s, rest, sizeof(rest));
		}
	}
	stream_free(&s);
	return NULL;
}

Test(stream, starttls_ignores_plaintext_injected_before_handshake,
    .init = setup, .fini = teardown, .timeout = 10)
{
	struct tls_server *t = server_ctx();
	struct tls_client *c;
	struct starttls_run r = { .first_rc = -2, .hs_rc = -2, .tls_rc = -2,
	    .eof_rc = -2 };
	struct stream *s;
	const char *err = NULL;
	pthread_t th;
	int port = 0;

	r.tls = t;
	r.lfd = testnet_listen(&port);
	cr_assert_neq(r.lfd, -1);
	cr_assert_eq(pthread_create(&th, NULL, starttls_server_main, &r), 0);
	c = tls_client_new(tc.ca, NULL, true, &err);
	cr_assert_not_null(c, "%s", err);
	s = stream_new(testnet_connect(port));
	stream_set_timeouts(s, WAIT_MS, WAIT_MS);
	/* One write: both lines arrive together, as an attacker would
	 * arrange it. */
	cr_assert_eq(stream_write(s, "STARTTLS\r\nINJECTED\r\n", 20), 0);
	cr_assert_eq(stream_flush(s), 0);
	assert_line(s, 100, "220 2.0.0 Ready to start TLS\r\n");
	cr_assert_eq(stream_start_tls_client(s, c, TESTCERT_HOST), 0, "%s",
	    stream_error_text(s));
	cr_assert_eq(stream_printf(s, "EHLO client.example\r\n"), 0);
	cr_assert_eq(stream_flush(s), 0);
	assert_line(s, 100, "250 ok\r\n");
	stream_free(&s);
	pthread_join(th, NULL);
	close(r.lfd);

	cr_assert_eq(r.first_rc, 1);
	cr_assert_str_eq(r.first, "STARTTLS\r\n");
	cr_assert_eq(r.pending_before, strlen("INJECTED\r\n"));
	cr_assert_eq(r.hs_rc, 0, "%s", r.hs_err);
	cr_assert_eq(r.pending_after, 0);
	cr_assert_eq(r.tls_rc, 1);
	cr_assert_str_eq(r.tls_line, "EHLO client.example\r\n");
	cr_assert_eq(r.eof_rc, 0);
	tls_client_free(&c);
	tls_server_free(&t);
}

/* Server half of the bulk and write-deadline tests. */
struct bulk_run {
	int lfd;
	struct tls_server *tls;
	size_t total;
	const uint8_t *data;
	bool never_stop;	/* write until it fails */
	int hs_rc;
	int write_rc;
	enum stream_err write_err;
	int read_rc;
	bool read_ok;
};

static void *
bulk_server_main(void *arg)
{
	struct bulk_run *r = arg;
	struct stream *s;
	uint8_t *back;
	size_t off;
	int fd;

	fd = testnet_accept(r->lfd, WAIT_MS);
	if (fd == -1)
		return NULL;
	s = stream_new(fd);
	stream_set_timeouts(s, WAIT_MS, r->never_stop ? 300 : WAIT_MS);
	r->hs_rc = stream_start_tls_server(s, r->tls);
	if (r->hs_rc == 0) {
		r->write_rc = 0;
		for (off = 0; r->write_rc == 0 && (r->never_stop ||
		    off < r->total); off += 1000)
			r->write_rc = stream_write(s, r->data + (r->never_stop ?
			    off % (r->total - 1000) : off), 1000);
		if (r->write_rc == 0)
			r->write_rc = stream_flush(s);
		r->write_err = stream_error(s);
	}
	if (r->hs_rc == 0 && !r->never_stop) {
		back = malloc(r->total);
		r->read_rc = stream_read_exact(s, back, r->total);
		r->read_ok = memcmp(back, r->data, r->total) == 0;
		free(back);
	}
	stream_free(&s);
	return NULL;
}

Test(stream, tls_carries_bulk_data_both_ways, .init = setup,
    .fini = teardown, .timeout = 10)
{
	struct tls_server *t = server_ctx();
	struct tls_client *c = tls_client_new(tc.ca, NULL, true, NULL);
	struct bulk_run r = { .total = 300000, .hs_rc = -2 };
	uint8_t *got;
	struct stream *s;
	pthread_t th;
	int port = 0;

	r.data = pattern_new(r.total);
	r.tls = t;
	got = malloc(r.total);
	r.lfd = testnet_listen(&port);
	cr_assert_eq(pthread_create(&th, NULL, bulk_server_main, &r), 0);
	s = stream_new(testnet_connect(port));
	stream_set_timeouts(s, WAIT_MS, WAIT_MS);
	cr_assert_eq(stream_start_tls_client(s, c, TESTCERT_HOST), 0, "%s",
	    stream_error_text(s));
	cr_assert_eq(stream_read_exact(s, got, 1), 1);
	cr_assert_eq(stream_read_exact(s, got + 1, r.total - 1), 1);
	cr_assert_eq(memcmp(got, r.data, r.total), 0);
	cr_assert_eq(stream_write(s, r.data, r.total), 0);
	cr_assert_eq(stream_flush(s), 0);
	pthread_join(th, NULL);
	stream_free(&s);
	close(r.lfd);
	cr_assert_eq(r.hs_rc, 0);
	cr_assert_eq(r.write_rc, 0);
	cr_assert_eq(r.read_rc, 1);
	cr_assert(r.read_ok);
	free(got);
	free((void *)r.data);
	tls_client_free(&c);
	tls_server_free(&t);
}

Test(stream, tls_write_times_out_when_peer_never_reads, .init = setup,
    .fini = teardown, .timeout = 10)
{
	struct tls_server *t = server_ctx();
	struct tls_client *c = tls_client_new(tc.ca, NULL, true, NULL);
	struct bulk_run r = { .total = 100000, .never_stop = true,
	    .hs_rc = -2 };
	struct stream *s;
	pthread_t th;
	int port = 0;

	r.data = pattern_new(r.total);
	r.tls = t;
	r.lfd = testnet_listen(&port);
	cr_assert_eq(pthread_create(&th, NULL, bulk_server_main, &r), 0);
	s = stream_new(testnet_connect(port));
	stream_set_timeouts(s, WAIT_MS, WAIT_MS);
	cr_assert_eq(stream_start_tls_client(s, c, TESTCERT_HOST), 0, "%s",
	    stream_error_text(s));
	pthread_join(th, NULL);		/* we read nothing meanwhile */
	stream_free(&s);
	close(r.lfd);
	cr_assert_eq(r.hs_rc, 0);
	cr_assert_eq(r.write_rc, -1);
	cr_assert_eq(r.write_err, STREAM_ERR_TIMEOUT);
	free((void *)r.data);
	tls_client_free(&c);
	tls_server_free(&t);
}
