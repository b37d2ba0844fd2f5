/*
 * lib/stream.h - buffered stream over a socket, plain or TLS, with a
 * deadline on every read and write.
 *
 * Session code reads lines and literals and writes replies through a
 * stream and never sees the socket or TLS: stream_start_tls_*() swaps the
 * transport underneath. Every read call and every flush gets its own
 * deadline (now + timeout, monotonic clock); both directions are bounded
 * in memory, so a peer that sends endless lines or never reads cannot
 * grow the process. A stream is used by one thread at a time.
 */
#ifndef LIB_STREAM_H
#define LIB_STREAM_H

#include <stdbool.h>
#include <stddef.h>

struct tls_client;
struct tls_server;

enum stream_err {
	STREAM_OK,
	STREAM_ERR_EOF,		/* input ended (reads returned 0) */
	STREAM_ERR_TIMEOUT,	/* deadline passed */
	STREAM_ERR_TOO_LONG,	/* line longer than the caller's max */
	STREAM_ERR_IO,		/* socket error (errno text in error_text) */
	STREAM_ERR_TLS,		/* handshake, verification or record error */
};

/* Default read and write timeouts in milliseconds. */
#define STREAM_TIMEOUT_DEFAULT 300000
/* Bytes asked of the socket per read; input never exceeds the largest max
 * given to stream_read_line() plus this. */
#define STREAM_READ_CHUNK 16384
/* Output buffered before stream_write() flushes by itself. */
#define STREAM_WRITE_MAX 65536
/* Deadline for the best-effort flush and TLS close_notify in
 * stream_free(). */
#define STREAM_CLOSE_TIMEOUT 1000

struct stream;

/* Wrap the connected socket fd, taking ownership (stream_free closes it).
 * Sets O_NONBLOCK on it. Never returns NULL. */
struct stream *stream_new(int fd);

/* Close and free *sp (NULL-safe) and clear the pointer. Unless a
 * timeout, I/O or TLS error has already occurred, unflushed output is
 * flushed and, on TLS, a close_notify sent, both within
 * STREAM_CLOSE_TIMEOUT; callers that care whether the last reply arrived
 * call stream_flush() first and check it. */
void stream_free(struct stream **sp);

/* Timeouts for each following read call and each flush, in milliseconds
 * (> 0; other values are ignored). */
void stream_set_timeouts(struct stream *s, int read_ms, int write_ms);

/*
 * Read one line of at most max bytes, counting its terminator. Returns 1
 * with *line_out pointing at the line inside the stream's buffer (valid
 * until the next read call or stream_free; not NUL-terminated) and
 * *len_out its length; the line includes its LF and the CR before it, if
 * the peer sent one, so callers can insist on CRLF.
 * Returns 0 at end of input (stream_error() is then STREAM_ERR_EOF); a
 * last line with no LF before the end is dropped and end of input
 * reported (no command is acted on half-sent).
 * Returns -1 with stream_error() set: STREAM_ERR_TIMEOUT, _IO, _TLS, or
 * STREAM_ERR_TOO_LONG when max bytes came without an LF. In that case the
 * rest of the line, up to and including its LF, has already been read and
 * discarded, so the caller may reply an error and read the next line; if
 * the rest does not come within the same read deadline the result is -1
 * with STREAM_ERR_TIMEOUT instead, and if input ends during the discard,
 * the next call returns 0. max must be at least 1.
 */
int stream_read_line(struct stream *s, size_t max, const char **line_out,
    size_t *len_out);

/* Read exactly n bytes into dst, buffered input first. Returns 1, 0 if
 * input ended before n bytes (what came is lost), or -1 with
 * stream_error() set (TIMEOUT, IO, TLS). Large n are read straight into
 * dst, never buffered. The whole call gets one read deadline, so callers
 * read big literals in pieces (say 64 KiB), each with a fresh deadline. */
int stream_read_exact(struct stream *s, void *dst, size_t n);

/* Queue len bytes for sending. Once more than STREAM_WRITE_MAX bytes
 * would be buffered they are sent first, waiting up to the write deadline.
 * Returns 0, or -1 with stream_error() set (TIMEOUT, IO, TLS). After a
 * failed write or flush every later one fails too: the peer may hold part
 * of a reply (or of a TLS record), so nothing sensible can follow. */
int stream_write(struct stream *s, const void *p, size_t len);
/* stream_write of formatted text. */
int stream_printf(struct stream *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Send everything buffered, within the write deadline. 0 or -1. */
int stream_flush(struct stream *s);

/*
 * Start TLS on the connection, as server or as client. First any input
 * already buffered is discarded (RFC 3207 section 4.2, CVE-2011-0411:
 * plaintext pipelined behind STARTTLS must not be taken as sent over TLS)
 * and any buffered output is flushed (the "220 go ahead" reply). The
 * handshake must finish within the read deadline. server_name is the host
 * to verify (a tls_client built with verify) and, unless an IP literal,
 * the SNI name sent. Returns 0, or -1 with stream_error() (TLS, TIMEOUT,
 * IO) and stream_error_text() set; the stream is then unusable and
 * every further read or write fails with the same error.
 */
int stream_start_tls_server(struct stream *s, struct tls_server *t);
int stream_start_tls_client(struct stream *s, struct tls_client *t,
    const char *server_name);

/* Input bytes already received and not yet returned: the stream's buffer
 * plus, on TLS, decrypted bytes GnuTLS holds. > 0 after a command means the
 * peer pipelined. */
size_t stream_pending(const struct stream *s);

/* TLS facts for logs and Received: headers. stream_tls_version() gives
 * e.g. "TLS1.3", stream_tls_cipher() the cipher suite, e.g.
 * "TLS_AES_256_GCM_SHA384"; NULL on a plain stream. The server name is the
 * SNI name the client asked for (server side only; NULL if none). Strings
 * live as long as the stream. */
bool stream_is_tls(const struct stream *s);
const char *stream_tls_version(const struct stream *s);
const char *stream_tls_cipher(const struct stream *s);
const char *stream_tls_server_name(const struct stream *s);

/* The last error (STREAM_OK if none yet) and its text ("" if none; valid
 * until the next call on the stream). */
enum stream_err stream_error(const struct stream *s);
const char *stream_error_text(const struct stream *s);
/* The socket, for poll() in callers that watch many streams. */
int stream_fd(const struct stream *s);

#endif
