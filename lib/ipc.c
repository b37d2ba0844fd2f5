/*
 * lib/ipc.c - typed, length-capped messages over unix stream sockets.
 *
 * Used by every process of a daemon family (master, sessions, lookup,
 * qmgr). The peer is only as trusted as its process: every length is
 * checked before it is used, the payload cap is enforced before anything
 * is allocated, and every read and write runs against a deadline
 * (non-blocking socket calls plus poll), so a stuck peer cannot hang us.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/ipc.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct ipc_msg {
	uint32_t type;
	struct buf *payload;
};

struct ipc_msg *
ipc_msg_new(uint32_t type)
{
	struct ipc_msg *m = xmalloc(sizeof(*m));

	m->type = type;
	m->payload = buf_new(64, IPC_PAYLOAD_MAX);
	return m;
}

void
ipc_msg_free(struct ipc_msg **mp)
{
	if (mp == NULL || *mp == NULL)
		return;
	buf_free_secret(&(*mp)->payload);
	free(*mp);
	*mp = NULL;
}

size_t
ipc_msg_len(const struct ipc_msg *m)
{
	return m->payload->len;
}

static void
be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
ipc_put_u32(struct ipc_msg *m, uint32_t v)
{
	uint8_t b[4];

	be32(b, v);
	return buf_append(m->payload, b, sizeof(b));
}

int
ipc_put_u64(struct ipc_msg *m, uint64_t v)
{
	uint8_t b[8];

	be32(b, (uint32_t)(v >> 32));
	be32(b + 4, (uint32_t)v);
	return buf_append(m->payload, b, sizeof(b));
}

/* Length prefix plus len bytes plus nul_bytes zero bytes, all or nothing. */
static int
put_counted(struct ipc_msg *m, const void *p, size_t len, size_t nul_bytes)
{
	size_t need;

	if (len > UINT32_MAX || size_add(len, 4 + nul_bytes, &need) == -1 ||
	    buf_reserve(m->payload, need) == -1)
		return -1;
	(void)ipc_put_u32(m, (uint32_t)len);
	(void)buf_append(m->payload, p, len);
	if (nul_bytes)
		(void)buf_append_byte(m->payload, 0);
	return 0;
}

int
ipc_put_str(struct ipc_msg *m, const char *s)
{
	return put_counted(m, s, strlen(s), 1);
}

int
ipc_put_bytes(struct ipc_msg *m, const void *p, size_t len)
{
	return put_counted(m, p, len, 0);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Wait until fd is ready for events or the deadline (-1: none) passes.
 * 0, or -1 with errno ETIMEDOUT or poll's error. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int left = -1, r;

		if (deadline >= 0) {
			int64_t d = deadline - now_ms();

			if (d <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			left = d > INT_MAX ? INT_MAX : (int)d;
		}
		r = poll(&p, 1, left);
		if (r > 0)
			return 0;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

static int
send_frame(int fd, const struct ipc_msg *m, int pass_fd, int timeout_ms,
    const char **err_out)
{
	uint8_t hdr[IPC_HEADER_LEN] = { IPC_MAGIC0, IPC_MAGIC1, IPC_VERSION, 0 };
	const uint8_t *p = m->payload->data;
	size_t plen = m->payload->len, total = IPC_HEADER_LEN + plen, sent = 0;
	int64_t deadline = deadline_of(timeout_ms);

	be32(hdr + 4, m->type);
	be32(hdr + 8, (uint32_t)plen);
	while (sent < total) {
		union {
			struct cmsghdr h;
			char space[CMSG_SPACE(sizeof(int))];
		} cm;
		struct msghdr mh;
		struct iovec iov[2];
		ssize_t r;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		if (sent < IPC_HEADER_LEN) {
			iov[0].iov_base = hdr + sent;
			iov[0].iov_len = IPC_HEADER_LEN - sent;
			iov[1].iov_base = (void *)p;
			iov[1].iov_len = plen;
			mh.msg_iovlen = plen ? 2 : 1;
		} else {
			iov[0].iov_base = (void *)(p + (sent - IPC_HEADER_LEN));
			iov[0].iov_len = total - sent;
			mh.msg_iovlen = 1;
		}
		/* the descriptor travels with the first byte only */
		if (pass_fd >= 0 && sent == 0) {
			memset(&cm, 0, sizeof(cm));
			mh.msg_control = cm.space;
			mh.msg_controllen = sizeof(cm.space);
			cm.h.cmsg_level = SOL_SOCKET;
			cm.h.cmsg_type = SCM_RIGHTS;
			cm.h.cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(&cm.h), &pass_fd, sizeof(int));
		}
		r = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r > 0) {
			sent += (size_t)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(fd, POLLOUT, deadline) == 0)
				continue;
			*err_out = errno == ETIMEDOUT ? "timeout" : "poll failed";
			return -1;
		}
		*err_out = errno == EPIPE || errno == ECONNRESET ?
		    "peer closed the connection" : "send failed";
		return -1;
	}
	return 0;
}

int
ipc_send(int fd, const struct ipc_msg *m, int timeout_ms, const char **err_out)
{
	return send_frame(fd, m, -1, timeout_ms, err_out);
}

int
ipc_send_fd(int fd, const struct ipc_msg *m, int pass_fd, int timeout_ms,
    const char **err_out)
{
	if (pass_fd < 0) {
		*err_out = "no descriptor to pass";
		errno = EBADF;
		return -1;
	}
	return send_frame(fd, m, pass_fd, timeout_ms, err_out);
}

static void __attribute__((format(printf, 2, 3)))
in_error(struct ipc_in *in, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(in->err, sizeof(in->err), fmt, ap);
	va_end(ap);
}

/* Drop payload and descriptor, keep err. */
static void
in_clear(struct ipc_in *in)
{
	if (in->data != NULL)
		mem_wipe(in->data, in->len);
	free(in->data);
	if (in->has_fd)
		close(in->fd);
	in->data = NULL;
	in->len = in->pos = 0;
	in->type = 0;
	in->has_fd = false;
	in->fd = -1;
}

void
ipc_in_deinit(struct ipc_in *in)
{
	in_clear(in);
	in->err[0] = '\0';
}

int
ipc_take_fd(struct ipc_in *in)
{
	int fd = in->has_fd ? in->fd : -1;

	in->has_fd = false;
	in->fd = -1;
	return fd;
}

/* Keep descriptors that came with the data; more than one per message is
 * a protocol error (the extra ones are closed at once). */
static int
collect_fds(struct ipc_in *in, struct msghdr *mh)
{
	struct cmsghdr *c;
	int bad = (mh->msg_flags & MSG_CTRUNC) != 0;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		size_t i, n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (in->has_fd || bad) {
				close(fd);
				bad = 1;
				continue;
			}
			in->fd = fd;
			in->has_fd = true;
		}
	}
	if (bad) {
		in_error(in, "more than one descriptor in a message");
		return -1;
	}
	return 0;
}

/* Read exactly len bytes. 1 done, 0 EOF after *got bytes, -1 error. */
static int
read_exact(int fd, uint8_t *p, size_t len, int64_t deadline,
    struct ipc_in *in, size_t *got)
{
	*got = 0;
	while (*got < len) {
		union {
			struct cmsghdr h;
			char space[CMSG_SPACE(sizeof(int))];
		} cm;
		struct iovec iov = { p + *got, len - *got };
		struct msghdr mh;
		ssize_t r;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.space;
		mh.msg_controllen = sizeof(cm.space);
		r = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (r > 0) {
			*got += (size_t)r;
			if (collect_fds(in, &mh) == -1)
				return -1;
			continue;
		}
		if (r == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_fd(fd, POLLIN, deadline) == 0)
				continue;
			if (errno == ETIMEDOUT)
				in_error(in, "timeout");
			else
				in_error(in, "poll failed: %s", strerror(errno));
			return -1;
		}
		in_error(in, "read failed: %s", strerror(errno));
		return -1;
	}
	return 1;
}

static int
check_header(struct ipc_in *in, const uint8_t *hdr, size_t max_len,
    uint32_t *len_out)
{
	uint32_t len = rd32(hdr + 8);

	if (hdr[0] != IPC_MAGIC0 || hdr[1] != IPC_MAGIC1) {
		in_error(in, "bad magic 0x%02x%02x", hdr[0], hdr[1]);
		return -1;
	}
	if (hdr[2] != IPC_VERSION || hdr[3] != 0) {
		in_error(in, "unsupported version %u flags %u", hdr[2], hdr[3]);
		return -1;
	}
	if (len > max_len) {
		in_error(in, "payload of %u bytes over limit %zu", len, max_len);
		return -1;
	}
	*len_out = len;
	return 0;
}

int
ipc_recv(int fd, size_t max_len, int timeout_ms, struct ipc_in *in)
{
	int64_t deadline = deadline_of(timeout_ms);
	uint8_t hdr[IPC_HEADER_LEN];
	uint32_t len;
	size_t got;
	int r;

	ipc_in_deinit(in);
	r = read_exact(fd, hdr, sizeof(hdr), deadline, in, &got);
	if (r == 0 && got == 0 && !in->has_fd)
		return 0;
	if (r == 0)
		in_error(in, "EOF inside a message header (%zu of %d bytes)",
		    got, IPC_HEADER_LEN);
	if (r != 1 || check_header(in, hdr, max_len, &len) == -1)
		goto fail;
	in->data = xmalloc(len);
	in->len = len;
	r = read_exact(fd, in->data, len, deadline, in, &got);
	if (r == 0)
		in_error(in, "EOF inside a message payload (%zu of %u bytes)",
		    got, len);
	if (r != 1)
		goto fail;
	in->type = rd32(hdr + 4);
	return 1;
fail:
	in_clear(in);
	return -1;
}

static size_t
remaining(const struct ipc_in *in)
{
	return in->len - in->pos;
}

int
ipc_get_u32(struct ipc_in *in, uint32_t *v)
{
	if (remaining(in) < 4) {
		in_error(in, "truncated u32 at offset %zu", in->pos);
		return -1;
	}
	*v = rd32(in->data + in->pos);
	in->pos += 4;
	return 0;
}

int
ipc_get_u64(struct ipc_in *in, uint64_t *v)
{
	if (remaining(in) < 8) {
		in_error(in, "truncated u64 at offset %zu", in->pos);
		return -1;
	}
	*v = (uint64_t)rd32(in->data + in->pos) << 32 |
	    rd32(in->data + in->pos + 4);
	in->pos += 8;
	return 0;
}

/* Length prefix of a string or bytes field: 0 with *n set and the
 * position past the prefix, or -1 (position unchanged). */
static int
get_counted(struct ipc_in *in, const char *what, size_t extra, size_t max,
    size_t *n_out)
{
	size_t start = in->pos;
	uint32_t n;

	if (ipc_get_u32(in, &n) == -1) {
		in_error(in, "truncated %s length at offset %zu", what, start);
		return -1;
	}
	if (n > max) {
		in_error(in, "%s of %u bytes over limit %zu at offset %zu",
		    what, n, max, start);
		in->pos = start;
		return -1;
	}
	if (remaining(in) < extra || n > remaining(in) - extra) {
		in_error(in, "truncated %s at offset %zu", what, start);
		in->pos = start;
		return -1;
	}
	*n_out = n;
	return 0;
}

int
ipc_get_str(struct ipc_in *in, const char **s, size_t max)
{
	size_t start = in->pos, n;
	const uint8_t *p;

	if (get_counted(in, "string", 1, max, &n) == -1)
		return -1;
	p = in->data + in->pos;
	if (memchr(p, '\0', n) != NULL || p[n] != '\0') {
		in_error(in, "%s at offset %zu",
		    p[n] != '\0' ? "string without its NUL" : "NUL inside string",
		    start);
		in->pos = start;
		return -1;
	}
	*s = (const char *)p;
	in->pos += n + 1;
	return 0;
}

int
ipc_get_bytes(struct ipc_in *in, const uint8_t **p, size_t *len, size_t max)
{
	size_t n;

	if (get_counted(in, "bytes", 0, max, &n) == -1)
		return -1;
	*p = in->data + in->pos;
	*len = n;
	in->pos += n;
	return 0;
}

int
ipc_end(struct ipc_in *in)
{
	if (in->pos == in->len)
		return 0;
	in_error(in, "%zu bytes left over in message type %u", remaining(in),
	    in->type);
	return -1;
}
