/*
 * lib/ipc.h - typed, length-capped messages between Tessera processes.
 *
 * A message on a unix stream socket is a 12-byte header -- magic 'T' 'S',
 * version 1, a zero flags byte, uint32 type, uint32 payload length, all
 * in network byte order -- followed by the payload. Fields are appended
 * with ipc_put_* and read back in the same order with ipc_get_*, which
 * check every bound; ipc_end() fails if bytes are left over. The reader
 * checks the payload length against its cap before allocating or reading
 * it. A malformed message means the peer is broken or hostile: the caller
 * logs in.err and drops the connection.
 *
 * Wire encoding of fields: u32 and u64 big-endian; a string is a u32
 * length, that many bytes (no NUL among them) and a terminating NUL byte,
 * so the reader hands out pointers into the payload without copying;
 * bytes are a u32 length and that many bytes.
 */
#ifndef LIB_IPC_H
#define LIB_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPC_MAGIC0 'T'
#define IPC_MAGIC1 'S'
#define IPC_VERSION 1
#define IPC_HEADER_LEN 12
/* Largest payload a message under construction may grow to. */
#define IPC_PAYLOAD_MAX (16u * 1024 * 1024)

/* A message being built. */
struct ipc_msg;

/* New empty message of the given type. Never returns NULL. */
struct ipc_msg *ipc_msg_new(uint32_t type);
/* Free *mp (NULL-safe), wiping the payload (it may carry credentials). */
void ipc_msg_free(struct ipc_msg **mp);
/* Payload length so far. */
size_t ipc_msg_len(const struct ipc_msg *m);

/* Append a field. 0, or -1 if the payload would pass IPC_PAYLOAD_MAX
 * (message unchanged). ipc_put_str takes a NUL-terminated string. */
int ipc_put_u32(struct ipc_msg *m, uint32_t v);
int ipc_put_u64(struct ipc_msg *m, uint64_t v);
int ipc_put_str(struct ipc_msg *m, const char *s);
int ipc_put_bytes(struct ipc_msg *m, const void *p, size_t len);

/* Send m on fd within timeout_ms (negative: no deadline). The fd may be
 * blocking or not; SIGPIPE is never raised. 0, or -1 with *err_out set
 * to a static text ("timeout", "peer closed the connection", "send
 * failed"; errno is kept for log_*_errno). */
int ipc_send(int fd, const struct ipc_msg *m, int timeout_ms,
    const char **err_out);
/* Like ipc_send, also passing descriptor pass_fd (SCM_RIGHTS) with the
 * first byte of the message. The sender keeps its own copy of pass_fd. */
int ipc_send_fd(int fd, const struct ipc_msg *m, int pass_fd,
    int timeout_ms, const char **err_out);

/* A received message. A zeroed struct is ready for ipc_recv; the fields
 * are read-only for callers. */
struct ipc_in {
	uint32_t type;
	uint8_t *data;		/* payload, len bytes */
	size_t len;
	size_t pos;		/* next field */
	int fd;			/* descriptor received, when has_fd */
	bool has_fd;
	char err[128];		/* why the last call failed */
};

/* Receive one message from fd into in, dropping what in held (an untaken
 * descriptor is closed). The payload length is checked against max_len
 * before anything is allocated; timeout_ms (negative: no deadline) bounds
 * the whole message. 1: a message is in *in. 0: the peer closed the
 * connection at a message boundary. -1: in->err says why (timeout, EOF
 * inside a message, bad magic or version, length over max_len, more than
 * one descriptor, read error). */
int ipc_recv(int fd, size_t max_len, int timeout_ms, struct ipc_in *in);

/* Read the next field. 0, or -1 with in->err set and the position
 * unchanged (truncated field, string or bytes longer than max, string
 * containing a NUL or missing its terminator). Strings and bytes point
 * into in->data and live until the next ipc_recv or ipc_in_deinit. */
int ipc_get_u32(struct ipc_in *in, uint32_t *v);
int ipc_get_u64(struct ipc_in *in, uint64_t *v);
int ipc_get_str(struct ipc_in *in, const char **s, size_t max);
int ipc_get_bytes(struct ipc_in *in, const uint8_t **p, size_t *len,
    size_t max);
/* 0 if every payload byte was read, else -1 with in->err set. */
int ipc_end(struct ipc_in *in);

/* The descriptor received with the message (the caller now owns it), or
 * -1 if none came. */
int ipc_take_fd(struct ipc_in *in);
/* Free the payload, close an untaken descriptor, clear *in. */
void ipc_in_deinit(struct ipc_in *in);

#endif
