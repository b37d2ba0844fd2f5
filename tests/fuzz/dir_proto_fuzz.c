/*
 * tests/fuzz/dir_proto_fuzz.c - fuzz target for the lookup protocol's
 * decoders (directory/dir_proto.c), both sides: requests as the lookup
 * process reads them, answers as a session process reads them.
 *
 * Input: one byte choosing the decoder (bit 0: 0 request, 1 answer), the
 * request type an answer is expected for (bits 1-4, 1 + value %
 * DIR_PROTO_TYPE_MAX) and
 * tight or default limits (bit 5); four bytes of message type
 * (big-endian); then the payload (at most DIR_PROTO_FUZZ_MAX bytes),
 * sent with a correct lib/ipc.h header through a socketpair. Checks:
 *  - a failed decode sets an error text and leaves nothing decoded;
 *  - a decoded request encodes back to exactly the same type and bytes
 *    (the encoding is canonical and the decoder's bounds equal the
 *    encoder's);
 *  - a decoded answer encodes back, under the same limits, to exactly the
 *    same type and bytes.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/ipc.h"
#include "lib/pool.h"
#include "directory/dir_proto.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIR_PROTO_FUZZ_MAX 60000
#define DIR_PROTO_FUZZ_TIMEOUT 5000

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The message (type, payload p of len bytes) received into in. */
static void
receive(uint32_t type, const uint8_t *p, size_t len, struct ipc_in *in)
{
	uint8_t hdr[IPC_HEADER_LEN] = { IPC_MAGIC0, IPC_MAGIC1, IPC_VERSION };
	int sv[2], big = 1 << 20;

	put32(hdr + 4, type);
	put32(hdr + 8, (uint32_t)len);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	(void)setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (write(sv[0], hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ||
	    (len > 0 && write(sv[0], p, len) != (ssize_t)len))
		abort();
	memset(in, 0, sizeof(*in));
	if (ipc_recv(sv[1], DIR_PROTO_FUZZ_MAX, DIR_PROTO_FUZZ_TIMEOUT,
	    in) != 1)
		abort();
	close(sv[0]);
	close(sv[1]);
}

/* m must hold exactly type and the payload of in; m is freed. */
static void
same_bytes(struct ipc_msg *m, const struct ipc_in *in)
{
	struct ipc_in back;

	if (m == NULL || ipc_msg_len(m) != in->len)
		abort();
	{
		int sv[2];
		const char *err;

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
		    ipc_send(sv[0], m, DIR_PROTO_FUZZ_TIMEOUT, &err) != 0)
			abort();
		memset(&back, 0, sizeof(back));
		if (ipc_recv(sv[1], DIR_PROTO_FUZZ_MAX, DIR_PROTO_FUZZ_TIMEOUT,
		    &back) != 1)
			abort();
		close(sv[0]);
		close(sv[1]);
	}
	if (back.type != in->type || back.len != in->len ||
	    (in->len > 0 && memcmp(back.data, in->data, in->len) != 0))
		abort();
	ipc_in_deinit(&back);
	ipc_msg_free(&m);
}

static void
fuzz_request(struct ipc_in *in)
{
	struct dir_proto_request r;
	const char *err = NULL;

	if (dir_proto_request_decode(in, &r, &err) == -1) {
		if (err == NULL || r.arg != NULL || r.password != NULL)
			abort();
		return;
	}
	same_bytes(dir_proto_request_encode(&r), in);
}

static void
fuzz_answer(struct ipc_in *in, enum dir_proto_type expect, bool tight)
{
	struct pool *pool = pool_new("fuzz");
	struct dir_proto_limits lim;
	struct dir_proto_answer a;
	const char *err = NULL;

	dir_proto_limits_default(&lim);
	if (tight) {
		lim.string_max = 8;
		lim.list_max = 2;
	}
	if (dir_proto_answer_decode(in, expect, &lim, pool, &a, &err) == -1) {
		if (err == NULL || a.entry != NULL || a.members != NULL ||
		    a.domains != NULL)
			abort();
	} else {
		same_bytes(dir_proto_answer_encode(&a, &lim), in);
	}
	pool_free(&pool);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_in in;
	uint32_t type;
	uint8_t mode;

	if (size < 5)
		return 0;
	mode = data[0];
	type = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
	    (uint32_t)data[3] << 8 | data[4];
	data += 5;
	size -= 5;
	if (size > DIR_PROTO_FUZZ_MAX)
		size = DIR_PROTO_FUZZ_MAX;
	receive(type, data, size, &in);
	if (mode & 1)
		fuzz_answer(&in, (enum dir_proto_type)(1 + (mode >> 1 & 15) %
		    DIR_PROTO_TYPE_MAX),
		    mode & 32);
	else
		fuzz_request(&in);
	ipc_in_deinit(&in);
	return 0;
}
