/*
 * tests/unit/lib/ipc_test.c - unit tests for lib/ipc.c.
 *
 * Everything runs over socketpair(AF_UNIX, SOCK_STREAM): round trips of
 * every field type, descriptor passing, and every malformed frame a
 * broken peer can produce (written raw, byte by byte where it matters),
 * with limits at max-1/max/max+1.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/ipc.h"
#include "lib/banned.h"

static int sp[2];

static void
pair_setup(void)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
}

static void
pair_teardown(void)
{
	if (sp[0] != -1)
		close(sp[0]);
	if (sp[1] != -1)
		close(sp[1]);
}

static void
close_writer(void)
{
	close(sp[0]);
	sp[0] = -1;
}

static void
write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len > 0) {
		ssize_t n = write(fd, c, len);

		cr_assert_gt(n, 0);
		c += n;
		len -= (size_t)n;
	}
}

/* A frame with the given header fields and payload, written raw. */
static void
send_raw(int fd, const char *magic, uint8_t version, uint32_t type,
    uint32_t len, const void *payload, size_t plen)
{
	uint8_t h[IPC_HEADER_LEN] = { (uint8_t)magic[0], (uint8_t)magic[1],
	    version, 0, (uint8_t)(type >> 24), (uint8_t)(type >> 16),
	    (uint8_t)(type >> 8), (uint8_t)type, (uint8_t)(len >> 24),
	    (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };

	write_all(fd, h, sizeof(h));
	if (plen)
		write_all(fd, payload, plen);
}

static void
send_msg(struct ipc_msg *m)
{
	const char *err = NULL;

	cr_assert_eq(ipc_send(sp[0], m, 1000, &err), 0, "%s", err);
}

TestSuite(ipc, .init = pair_setup, .fini = pair_teardown, .timeout = 20);

Test(ipc, round_trip_of_every_type)
{
	struct ipc_msg *m = ipc_msg_new(42);
	struct ipc_in in = { 0 };
	const uint8_t bin[] = { 0, 1, 0, 255 };
	const uint8_t *b;
	const char *s;
	uint32_t u;
	uint64_t q;
	size_t n;

	cr_assert_eq(ipc_put_u32(m, 0), 0);
	cr_assert_eq(ipc_put_u32(m, UINT32_MAX), 0);
	cr_assert_eq(ipc_put_u64(m, UINT64_MAX - 1), 0);
	cr_assert_eq(ipc_put_str(m, "alice@example.org"), 0);
	cr_assert_eq(ipc_put_str(m, ""), 0);
	cr_assert_eq(ipc_put_bytes(m, bin, sizeof(bin)), 0);
	cr_assert_eq(ipc_put_bytes(m, NULL, 0), 0);
	cr_assert_eq(ipc_msg_len(m), 4 + 4 + 8 + 22 + 5 + 8 + 4);
	send_msg(m);
	ipc_msg_free(&m);
	cr_assert_null(m);
	ipc_msg_free(&m);

	cr_assert_eq(ipc_recv(sp[1], 1024, 1000, &in), 1, "%s", in.err);
	cr_assert_eq(in.type, 42);
	cr_assert_eq(ipc_get_u32(&in, &u), 0);
	cr_assert_eq(u, 0);
	cr_assert_eq(ipc_get_u32(&in, &u), 0);
	cr_assert_eq(u, UINT32_MAX);
	cr_assert_eq(ipc_get_u64(&in, &q), 0);
	cr_assert_eq(q, UINT64_MAX - 1);
	cr_assert_eq(ipc_get_str(&in, &s, 64), 0);
	cr_assert_str_eq(s, "alice@example.org");
	cr_assert_eq(ipc_get_str(&in, &s, 64), 0);
	cr_assert_str_eq(s, "");
	cr_assert_eq(ipc_get_bytes(&in, &b, &n, 4), 0);
	cr_assert_eq(n, 4);
	cr_assert_arr_eq(b, bin, 4);
	cr_assert_eq(ipc_get_bytes(&in, &b, &n, 0), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(ipc_end(&in), 0);
	cr_assert_eq(ipc_take_fd(&in), -1);
	ipc_in_deinit(&in);
	cr_assert_null(in.data);
}

Test(ipc, several_messages_then_clean_eof)
{
	struct ipc_in in = { 0 };
	uint32_t i, v;

	for (i = 0; i < 3; i++) {
		struct ipc_msg *m = ipc_msg_new(i);

		ipc_put_u32(m, i * 10);
		send_msg(m);
		ipc_msg_free(&m);
	}
	close_writer();
	for (i = 0; i < 3; i++) {
		cr_assert_eq(ipc_recv(sp[1], 16, 1000, &in), 1, "%s", in.err);
		cr_assert_eq(in.type, i);
		cr_assert_eq(ipc_get_u32(&in, &v), 0);
		cr_assert_eq(v, i * 10);
		cr_assert_eq(ipc_end(&in), 0);
	}
	cr_assert_eq(ipc_recv(sp[1], 16, 1000, &in), 0);
	ipc_in_deinit(&in);
}

Test(ipc, empty_payload)
{
	struct ipc_msg *m = ipc_msg_new(7);
	struct ipc_in in = { 0 };
	uint32_t v;

	send_msg(m);
	ipc_msg_free(&m);
	cr_assert_eq(ipc_recv(sp[1], 0, 1000, &in), 1, "%s", in.err);
	cr_assert_eq(in.len, 0);
	cr_assert_eq(ipc_get_u32(&in, &v), -1);
	cr_assert_eq(ipc_end(&in), 0);
	ipc_in_deinit(&in);
}

/* max_len at payload-1 / payload / payload+1. */
Test(ipc, max_len_limits)
{
	struct ipc_in in = { 0 };
	size_t caps[] = { 99, 100, 101 };
	int want[] = { -1, 1, 1 };
	uint8_t payload[100];
	size_t i;

	memset(payload, 'p', sizeof(payload));
	for (i = 0; i < 3; i++) {
		send_raw(sp[0], "TS", IPC_VERSION, 1, 100, payload, 100);
		cr_assert_eq(ipc_recv(sp[1], caps[i], 1000, &in), want[i],
		    "cap %zu: %s", caps[i], in.err);
		if (want[i] == -1) {
			cr_assert_str_eq(in.err,
			    "payload of 100 bytes over limit 99");
			/* the connection is dropped after this: drain it */
			cr_assert_eq(read(sp[1], payload, 100), 100);
		}
	}
	ipc_in_deinit(&in);
}

/* The cap is checked before the payload is allocated or awaited: a huge
 * claimed length with no payload behind it fails at once. */
Test(ipc, length_over_cap_fails_before_reading_payload)
{
	struct ipc_in in = { 0 };

	send_raw(sp[0], "TS", IPC_VERSION, 1, UINT32_MAX, NULL, 0);
	cr_assert_eq(ipc_recv(sp[1], 1024, 10000, &in), -1);
	cr_assert_str_eq(in.err, "payload of 4294967295 bytes over limit 1024");
	cr_assert_null(in.data);
	ipc_in_deinit(&in);
}

Test(ipc, short_header_then_eof)
{
	struct ipc_in in = { 0 };

	write_all(sp[0], "TS\1\0\0", 5);
	close_writer();
	cr_assert_eq(ipc_recv(sp[1], 1024, 1000, &in), -1);
	cr_assert_str_eq(in.err, "EOF inside a message header (5 of 12 bytes)");
	ipc_in_deinit(&in);
}

Test(ipc, bad_magic_and_version)
{
	struct ipc_in in = { 0 };

	send_raw(sp[0], "XS", IPC_VERSION, 1, 0, NULL, 0);
	cr_assert_eq(ipc_recv(sp[1], 1024, 1000, &in), -1);
	cr_assert_str_eq(in.err, "bad magic 0x5853");
	send_raw(sp[0], "TS", 2, 1, 0, NULL, 0);
	cr_assert_eq(ipc_recv(sp[1], 1024, 1000, &in), -1);
	cr_assert_str_eq(in.err, "unsupported version 2 flags 0");
	ipc_in_deinit(&in);
}

Test(ipc, eof_inside_payload)
{
	struct ipc_in in = { 0 };

	send_raw(sp[0], "TS", IPC_VERSION, 1, 10, "abcd", 4);
	close_writer();
	cr_assert_eq(ipc_recv(sp[1], 1024, 1000, &in), -1);
	cr_assert_str_eq(in.err, "EOF inside a message payload (4 of 10 bytes)");
	cr_assert_null(in.data);
	ipc_in_deinit(&in);
}

Test(ipc, silent_peer_times_out)
{
	struct ipc_in in = { 0 };

	cr_assert_eq(ipc_recv(sp[1], 1024, 100, &in), -1);
	cr_assert_str_eq(in.err, "timeout");
	/* also when it stops in the middle of a message */
	send_raw(sp[0], "TS", IPC_VERSION, 1, 10, "abcd", 4);
	cr_assert_eq(ipc_recv(sp[1], 1024, 100, &in), -1);
	cr_assert_str_eq(in.err, "timeout");
	ipc_in_deinit(&in);
}

Test(ipc, read_error_is_reported)
{
	struct ipc_in in = { 0 };
	int fd = open("/dev/null", O_RDONLY);

	cr_assert_eq(ipc_recv(fd, 1024, 100, &in), -1);
	cr_assert(strncmp(in.err, "read failed: ", 13) == 0, "%s", in.err);
	close(fd);
}

static void
recv_raw_payload(struct ipc_in *in, const void *p, size_t len)
{
	send_raw(sp[0], "TS", IPC_VERSION, 9, (uint32_t)len, p, len);
	cr_assert_eq(ipc_recv(sp[1], 1024, 1000, in), 1, "%s", in->err);
}

Test(ipc, truncated_numbers)
{
	struct ipc_in in = { 0 };
	uint32_t u = 5;
	uint64_t q = 5;

	recv_raw_payload(&in, "abc", 3);
	cr_assert_eq(ipc_get_u32(&in, &u), -1);
	cr_assert_str_eq(in.err, "truncated u32 at offset 0");
	cr_assert_eq(u, 5);
	recv_raw_payload(&in, "abcdefg", 7);
	cr_assert_eq(ipc_get_u64(&in, &q), -1);
	cr_assert_str_eq(in.err, "truncated u64 at offset 0");
	cr_assert_eq(q, 5);
	cr_assert_eq(ipc_get_u32(&in, &u), 0);
	cr_assert_eq(ipc_get_u32(&in, &u), -1);
	cr_assert_str_eq(in.err, "truncated u32 at offset 4");
	ipc_in_deinit(&in);
}

/* String of 10 bytes read with max 9 / 10 / 11. */
Test(ipc, string_max_limits)
{
	struct ipc_in in = { 0 };
	size_t max[] = { 9, 10, 11 };
	int want[] = { -1, 0, 0 };
	const char *s;
	size_t i;

	for (i = 0; i < 3; i++) {
		struct ipc_msg *m = ipc_msg_new(1);

		ipc_put_str(m, "0123456789");
		send_msg(m);
		ipc_msg_free(&m);
		cr_assert_eq(ipc_recv(sp[1], 1024, 1000, &in), 1);
		cr_assert_eq(ipc_get_str(&in, &s, max[i]), want[i]);
		if (want[i] == 0) {
			cr_assert_str_eq(s, "0123456789");
			cr_assert_eq(ipc_end(&in), 0);
		} else {
			cr_assert_str_eq(in.err, "string of 10 bytes over "
			    "limit 9 at offset 0");
			cr_assert_eq(in.pos, 0);
		}
	}
	ipc_in_deinit(&in);
}

Test(ipc, malformed_strings)
{
	struct ipc_in in = { 0 };
	const char *s = NULL;

	recv_raw_payload(&in, "\0\0\0\3a\0b\0", 8);
	cr_assert_eq(ipc_get_str(&in, &s, 64), -1);
	cr_assert_str_eq(in.err, "NUL inside string at offset 0");
	recv_raw_payload(&in, "\0\0\0\3abcX", 8);
	cr_assert_eq(ipc_get_str(&in, &s, 64), -1);
	cr_assert_str_eq(in.err, "string without its NUL at offset 0");
	recv_raw_payload(&in, "\0\0\0\3abc", 7);
	cr_assert_eq(ipc_get_str(&in, &s, 64), -1);
	cr_assert_str_eq(in.err, "truncated string at offset 0");
	recv_raw_payload(&in, "\0\0\0", 3);
	cr_assert_eq(ipc_get_str(&in, &s, 64), -1);
	cr_assert_str_eq(in.err, "truncated string length at offset 0");
	recv_raw_payload(&in, "\xff\xff\xff\xff" "abc", 7);
	cr_assert_eq(ipc_get_str(&in, &s, SIZE_MAX), -1);
	cr_assert_str_eq(in.err, "truncated string at offset 0");
	cr_assert_null(s);
	cr_assert_eq(in.pos, 0);
	ipc_in_deinit(&in);
}

Test(ipc, malformed_bytes)
{
	struct ipc_in in = { 0 };
	const uint8_t *p = NULL;
	size_t n = 0;

	recv_raw_payload(&in, "\0\0\0\5abcd", 8);
	cr_assert_eq(ipc_get_bytes(&in, &p, &n, 64), -1);
	cr_assert_str_eq(in.err, "truncated bytes at offset 0");
	recv_raw_payload(&in, "\0\0\0\4abcd", 8);
	cr_assert_eq(ipc_get_bytes(&in, &p, &n, 3), -1);
	cr_assert_str_eq(in.err, "bytes of 4 bytes over limit 3 at offset 0");
	cr_assert_eq(ipc_get_bytes(&in, &p, &n, 4), 0);
	cr_assert_eq(n, 4);
	cr_assert_arr_eq(p, "abcd", 4);
	recv_raw_payload(&in, "\0\0", 2);
	cr_assert_eq(ipc_get_bytes(&in, &p, &n, 4), -1);
	cr_assert_str_eq(in.err, "truncated bytes length at offset 0");
	ipc_in_deinit(&in);
}

Test(ipc, leftover_bytes_fail_end)
{
	struct ipc_msg *m = ipc_msg_new(3);
	struct ipc_in in = { 0 };
	uint32_t v;

	ipc_put_u32(m, 1);
	ipc_put_u32(m, 2);
	send_msg(m);
	ipc_msg_free(&m);
	cr_assert_eq(ipc_recv(sp[1], 1024, 1000, &in), 1);
	cr_assert_eq(ipc_get_u32(&in, &v), 0);
	cr_assert_eq(ipc_end(&in), -1);
	cr_assert_str_eq(in.err, "4 bytes left over in message type 3");
	ipc_in_deinit(&in);
}

/* Payload ceiling of the builder at max-1 / max / max+1. */
Test(ipc, builder_ceiling)
{
	struct ipc_msg *m;
	uint8_t *big = calloc(1, IPC_PAYLOAD_MAX);

	m = ipc_msg_new(1);
	cr_assert_eq(ipc_put_bytes(m, big, IPC_PAYLOAD_MAX - 5), 0);
	cr_assert_eq(ipc_msg_len(m), IPC_PAYLOAD_MAX - 1);
	cr_assert_eq(ipc_put_u32(m, 1), -1);
	cr_assert_eq(ipc_msg_len(m), IPC_PAYLOAD_MAX - 1);
	ipc_msg_free(&m);
	m = ipc_msg_new(1);
	cr_assert_eq(ipc_put_bytes(m, big, IPC_PAYLOAD_MAX - 4), 0);
	cr_assert_eq(ipc_msg_len(m), IPC_PAYLOAD_MAX);
	cr_assert_eq(ipc_put_u64(m, 1), -1);
	cr_assert_eq(ipc_put_str(m, ""), -1);
	ipc_msg_free(&m);
	m = ipc_msg_new(1);
	cr_assert_eq(ipc_put_bytes(m, big, IPC_PAYLOAD_MAX - 3), -1);
	cr_assert_eq(ipc_msg_len(m), 0);
	big[IPC_PAYLOAD_MAX - 5] = '\0';
	memset(big, 'a', IPC_PAYLOAD_MAX - 5);
	cr_assert_eq(ipc_put_str(m, (char *)big), 0);
	cr_assert_eq(ipc_msg_len(m), IPC_PAYLOAD_MAX);
	ipc_msg_free(&m);
	free(big);
}

/* A message larger than the socket buffer, written by a child one byte at
 * a time for the header and in big chunks after. */
Test(ipc, large_message_from_slow_writer)
{
	size_t len = 1024 * 1024, i;
	uint8_t *payload = malloc(len);
	struct ipc_in in = { 0 };
	const uint8_t *p;
	size_t n;
	pid_t pid;
	int status;

	for (i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 7);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct ipc_msg *m = ipc_msg_new(5);
		const char *err;

		ipc_put_bytes(m, payload, len);
		/* header byte by byte, raw */
		for (i = 0; i < IPC_HEADER_LEN; i++) {
			uint8_t h[IPC_HEADER_LEN] = { 'T', 'S', 1, 0, 0, 0, 0,
			    5, 0, 0x10, 0, 4 };

			if (write(sp[0], h + i, 1) != 1)
				_exit(1);
			usleep(2000);
		}
		if (write(sp[0], "\0\x10\0\0", 4) != 4)
			_exit(1);
		for (i = 0; i < len; i += 4096) {
			size_t k = len - i < 4096 ? len - i : 4096;
			ssize_t w = write(sp[0], payload + i, k);

			if (w != (ssize_t)k)
				_exit(1);
		}
		/* then the same through ipc_send */
		_exit(ipc_send(sp[0], m, 5000, &err) == 0 ? 0 : 1);
	}
	cr_assert_eq(ipc_recv(sp[1], len + 4, 5000, &in), 1, "%s", in.err);
	cr_assert_eq(in.type, 5);
	cr_assert_eq(ipc_get_bytes(&in, &p, &n, len), 0);
	cr_assert_eq(n, len);
	cr_assert_eq(memcmp(p, payload, len), 0);
	cr_assert_eq(ipc_end(&in), 0);
	cr_assert_eq(ipc_recv(sp[1], len + 4, 5000, &in), 1, "%s", in.err);
	cr_assert_eq(ipc_get_bytes(&in, &p, &n, len), 0);
	cr_assert_eq(memcmp(p, payload, len), 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ipc_in_deinit(&in);
	free(payload);
}

Test(ipc, send_times_out_when_peer_does_not_read)
{
	struct ipc_msg *m = ipc_msg_new(1);
	uint8_t *big = calloc(1, 8 * 1024 * 1024);
	const char *err = NULL;

	ipc_put_bytes(m, big, 8 * 1024 * 1024);
	cr_assert_eq(ipc_send(sp[0], m, 100, &err), -1);
	cr_assert_str_eq(err, "timeout");
	cr_assert_eq(errno, ETIMEDOUT);
	ipc_msg_free(&m);
	free(big);
}

Test(ipc, send_to_closed_peer_fails_without_sigpipe)
{
	struct ipc_msg *m = ipc_msg_new(1);
	const char *err = NULL;

	close(sp[1]);
	sp[1] = -1;
	cr_assert_eq(ipc_send(sp[0], m, 100, &err), -1);
	cr_assert_str_eq(err, "peer closed the connection");
	ipc_msg_free(&m);
}

Test(ipc, passes_a_descriptor)
{
	struct ipc_msg *m = ipc_msg_new(77);
	struct ipc_in in = { 0 };
	const char *err = NULL, *s;
	char buf[8];
	int p[2], fd;

	cr_assert_eq(pipe(p), 0);
	ipc_put_str(m, "conn");
	cr_assert_eq(ipc_send_fd(sp[0], m, p[0], 1000, &err), 0, "%s", err);
	close(p[0]);
	ipc_msg_free(&m);
	cr_assert_eq(ipc_recv(sp[1], 64, 1000, &in), 1, "%s", in.err);
	cr_assert(in.has_fd);
	cr_assert_eq(ipc_get_str(&in, &s, 16), 0);
	cr_assert_str_eq(s, "conn");
	cr_assert_eq(ipc_end(&in), 0);
	fd = ipc_take_fd(&in);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ipc_take_fd(&in), -1);
	cr_assert_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	cr_assert_eq(write(p[1], "hi", 2), 2);
	cr_assert_eq(read(fd, buf, sizeof(buf)), 2);
	cr_assert_eq(memcmp(buf, "hi", 2), 0);
	close(fd);
	close(p[1]);
	ipc_in_deinit(&in);
}

Test(ipc, untaken_descriptor_is_closed)
{
	struct ipc_msg *m = ipc_msg_new(1);
	struct ipc_in in = { 0 };
	const char *err;
	int p[2], fd;

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(ipc_send_fd(sp[0], m, p[0], 1000, &err), 0);
	cr_assert_eq(ipc_send(sp[0], m, 1000, &err), 0);
	ipc_msg_free(&m);
	cr_assert_eq(ipc_recv(sp[1], 64, 1000, &in), 1);
	fd = in.fd;
	cr_assert(in.has_fd);
	/* the next recv drops it */
	cr_assert_eq(ipc_recv(sp[1], 64, 1000, &in), 1);
	cr_assert_not(in.has_fd);
	cr_assert_eq(fcntl(fd, F_GETFD), -1);
	cr_assert_eq(errno, EBADF);
	ipc_in_deinit(&in);
	close(p[0]);
	close(p[1]);
}

Test(ipc, two_descriptors_are_refused)
{
	struct ipc_in in = { 0 };
	uint8_t h[IPC_HEADER_LEN] = { 'T', 'S', 1, 0, 0, 0, 0, 1, 0, 0, 0, 0 };
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct iovec iov = { h, sizeof(h) };
	struct msghdr mh;
	int p[2];

	cr_assert_eq(pipe(p), 0);
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.space;
	mh.msg_controllen = sizeof(cm.space);
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(&cm.h), p, sizeof(p));
	cr_assert_eq(sendmsg(sp[0], &mh, 0), (ssize_t)sizeof(h));
	cr_assert_eq(ipc_recv(sp[1], 64, 1000, &in), -1);
	cr_assert_str_eq(in.err, "more than one descriptor in a message");
	cr_assert_not(in.has_fd);
	ipc_in_deinit(&in);
	close(p[0]);
	close(p[1]);
}

Test(ipc, send_fd_needs_a_descriptor)
{
	struct ipc_msg *m = ipc_msg_new(1);
	const char *err = NULL;

	cr_assert_eq(ipc_send_fd(sp[0], m, -1, 1000, &err), -1);
	cr_assert_str_eq(err, "no descriptor to pass");
	ipc_msg_free(&m);
}
