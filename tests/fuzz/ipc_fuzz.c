/*
 * tests/fuzz/ipc_fuzz.c - fuzz target for the reading side of lib/ipc.c.
 *
 * Input: two bytes of max_len (big-endian), one byte choosing the getter
 * pattern and the string/bytes limit, then the bytes a peer sends (at
 * most IPC_FUZZ_MAX_STREAM). They go through a socketpair whose write side
 * is then shut down, and messages are received until EOF or an error.
 * Each payload is read with typed getters in a fixed rotating pattern
 * until one fails, then ipc_end. Everything is checked against a
 * reference decoding of the same bytes written here:
 *  - ipc_recv returns 1 exactly for a well-formed message within max_len
 *    (type and payload as sent), 0 at EOF on a message boundary, -1
 *    otherwise, never a timeout;
 *  - a getter succeeds exactly when the field is complete and valid, its
 *    result points inside the payload and matches it, and a failure
 *    leaves the position unchanged; ipc_end succeeds iff all was read;
 *  - the fields read, put back into a message with ipc_put_* and sent
 *    through ipc_send, arrive as the same bytes and read back identical.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/ipc.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes sent; they must fit in the socket buffer, nobody reads yet. */
#define IPC_FUZZ_MAX_STREAM 60000
/* Messages read from one input. */
#define IPC_FUZZ_MAX_MSGS 16
/* Fields read from one message. */
#define IPC_FUZZ_MAX_FIELDS 4096
#define IPC_FUZZ_TIMEOUT 5000

enum op { OP_U32, OP_STR, OP_BYTES, OP_U64 };

static const enum op pattern[] = {
	OP_U32, OP_STR, OP_BYTES, OP_U64, OP_STR, OP_U32, OP_BYTES, OP_BYTES,
	OP_STR, OP_U64,
};
#define NPATTERN (sizeof(pattern) / sizeof(pattern[0]))

struct field {
	enum op op;
	uint64_t v;		/* U32, U64 */
	const uint8_t *p;	/* STR, BYTES: inside the payload */
	size_t len;
};

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
make_pair(int sv[2])
{
	int big = 1 << 20;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
}

/* Write what fits without blocking; the rest of the input is dropped,
 * which only shortens the stream the reference sees too. */
static size_t
send_stream(int fd, const uint8_t *p, size_t len)
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

/* Reference for one field at pos of payload p, len bytes: whether it is
 * complete and valid, with its value, body and length. */
static bool
ref_field(enum op op, const uint8_t *p, size_t len, size_t pos, size_t max,
    struct field *f, size_t *next)
{
	size_t rem = len - pos, n;

	f->op = op;
	switch (op) {
	case OP_U32:
		if (rem < 4)
			return false;
		f->v = rd32(p + pos);
		*next = pos + 4;
		return true;
	case OP_U64:
		if (rem < 8)
			return false;
		f->v = (uint64_t)rd32(p + pos) << 32 | rd32(p + pos + 4);
		*next = pos + 8;
		return true;
	case OP_STR:
	case OP_BYTES:
		if (rem < 4)
			return false;
		n = rd32(p + pos);
		if (n > max)
			return false;
		if (op == OP_STR) {
			if (n + 1 > rem - 4 || memchr(p + pos + 4, 0, n) ||
			    p[pos + 4 + n] != 0)
				return false;
			*next = pos + 4 + n + 1;
		} else {
			if (n > rem - 4)
				return false;
			*next = pos + 4 + n;
		}
		f->p = p + pos + 4;
		f->len = n;
		return true;
	}
	abort();
}

/* Call the getter for op; 0 with *f filled, or -1. */
static int
get_field(struct ipc_in *in, enum op op, size_t max, struct field *f)
{
	uint32_t v32;
	const char *s;
	int r = -1;

	f->op = op;
	switch (op) {
	case OP_U32:
		r = ipc_get_u32(in, &v32);
		f->v = v32;
		break;
	case OP_U64:
		r = ipc_get_u64(in, &f->v);
		break;
	case OP_STR:
		r = ipc_get_str(in, &s, max);
		if (r == 0) {
			f->p = (const uint8_t *)s;
			f->len = strlen(s);
		}
		break;
	case OP_BYTES:
		r = ipc_get_bytes(in, &f->p, &f->len, max);
		break;
	}
	return r;
}

static bool
field_eq(const struct field *a, const struct field *b)
{
	if (a->op != b->op)
		return false;
	if (a->op == OP_U32 || a->op == OP_U64)
		return a->v == b->v;
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static void
put_field(struct ipc_msg *m, const struct field *f)
{
	char *s;
	int r = -1;

	switch (f->op) {
	case OP_U32:
		r = ipc_put_u32(m, (uint32_t)f->v);
		break;
	case OP_U64:
		r = ipc_put_u64(m, f->v);
		break;
	case OP_STR:
		s = malloc(f->len + 1);
		if (s == NULL)
			abort();
		memcpy(s, f->p, f->len);
		s[f->len] = '\0';
		r = ipc_put_str(m, s);
		free(s);
		break;
	case OP_BYTES:
		r = ipc_put_bytes(m, f->p, f->len);
		break;
	}
	if (r != 0)
		abort();
}

/* Rebuild the fields read into a message, send it, read it back. */
static void
round_trip(const struct ipc_in *in, const struct field *fields, size_t n,
    size_t max)
{
	struct ipc_msg *m = ipc_msg_new(in->type);
	struct ipc_in back;
	struct field f;
	const char *err;
	size_t i;
	int sv[2];

	for (i = 0; i < n; i++)
		put_field(m, &fields[i]);
	/* the encoding is canonical: same length as the bytes read */
	if (ipc_msg_len(m) != in->pos)
		abort();
	make_pair(sv);
	if (ipc_send(sv[1], m, IPC_FUZZ_TIMEOUT, &err) != 0)
		abort();
	memset(&back, 0, sizeof(back));
	if (ipc_recv(sv[0], in->pos, IPC_FUZZ_TIMEOUT, &back) != 1 ||
	    back.type != in->type || back.len != in->pos ||
	    memcmp(back.data, in->data, in->pos) != 0)
		abort();
	for (i = 0; i < n; i++)
		if (get_field(&back, fields[i].op, max, &f) != 0 ||
		    !field_eq(&f, &fields[i]))
			abort();
	if (ipc_end(&back) != 0)
		abort();
	ipc_in_deinit(&back);
	ipc_msg_free(&m);
	close(sv[0]);
	close(sv[1]);
}

/* Read one received payload with the getters, checking each against the
 * reference. */
static void
read_fields(struct ipc_in *in, size_t start, size_t max)
{
	struct field *fields = calloc(IPC_FUZZ_MAX_FIELDS, sizeof(*fields));
	size_t n = 0, pos, next = 0;

	if (fields == NULL)
		abort();

	for (n = 0; n < IPC_FUZZ_MAX_FIELDS; n++) {
		enum op op = pattern[(start + n) % NPATTERN];
		struct field ref = { .op = op };
		bool ok;
		int r;

		pos = in->pos;
		ok = ref_field(op, in->data, in->len, pos, max, &ref, &next);
		r = get_field(in, op, max, &fields[n]);
		if (r == -1) {
			if (ok || in->pos != pos || in->err[0] == '\0')
				abort();
			break;
		}
		if (!ok || r != 0 || in->pos != next ||
		    !field_eq(&fields[n], &ref))
			abort();
		/* strings and bytes point into the payload, where they were */
		if ((op == OP_STR || op == OP_BYTES) && (fields[n].p !=
		    in->data + pos + 4 || fields[n].p + fields[n].len >
		    in->data + in->len))
			abort();
	}
	if (in->pos > in->len || (ipc_end(in) == 0) != (in->pos == in->len))
		abort();
	round_trip(in, fields, n, max);
	free(fields);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_in in;
	size_t max_len, max, start, len, off = 0;
	int sv[2], i;

	if (size < 3)
		return 0;
	max_len = (size_t)data[0] << 8 | data[1];
	start = data[2] % NPATTERN;
	max = data[2] & 0x80 ? 16 : SIZE_MAX;
	data += 3;
	size -= 3;
	len = size < IPC_FUZZ_MAX_STREAM ? size : IPC_FUZZ_MAX_STREAM;
	make_pair(sv);
	len = send_stream(sv[1], data, len);
	memset(&in, 0, sizeof(in));
	for (i = 0; i < IPC_FUZZ_MAX_MSGS; i++) {
		const uint8_t *h = data + off;
		size_t rem = len - off, plen;
		bool good;
		int r = ipc_recv(sv[0], max_len, IPC_FUZZ_TIMEOUT, &in);

		if (rem == 0) {
			if (r != 0)
				abort();
			break;
		}
		plen = rem >= IPC_HEADER_LEN ? rd32(h + 8) : 0;
		good = rem >= IPC_HEADER_LEN && h[0] == IPC_MAGIC0 &&
		    h[1] == IPC_MAGIC1 && h[2] == IPC_VERSION && h[3] == 0 &&
		    plen <= max_len && plen <= rem - IPC_HEADER_LEN;
		if (!good) {
			if (r != -1 || in.err[0] == '\0' ||
			    strcmp(in.err, "timeout") == 0)
				abort();
			break;
		}
		if (r != 1 || in.type != rd32(h + 4) || in.len != plen ||
		    in.pos != 0 || memcmp(in.data, h + IPC_HEADER_LEN, plen))
			abort();
		read_fields(&in, start + (size_t)i, max);
		off += IPC_HEADER_LEN + plen;
	}
	ipc_in_deinit(&in);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
