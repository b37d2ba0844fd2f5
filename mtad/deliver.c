/*
 * mtad/deliver.c - the message bytes of a queued message on the wire of
 * an LMTP or SMTP client: dot-stuffed, CRLF-terminated, ended by ".".
 *
 * Runs in the queue manager (in delivery threads too: no state here).
 * The bytes come from our own queue file, written after the session
 * normalised line ends.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "lib/stream.h"
#include "mtad/deliver.h"
#include "lib/banned.h"

int
deliver_body_send(struct stream *s, int fd, uint64_t size,
    const char **err_out)
{
	char in[16384];
	bool bol = true, cr = false;
	uint64_t left = size;

	while (left > 0) {
		size_t want = left < sizeof(in) ? (size_t)left : sizeof(in);
		ssize_t n = read(fd, in, want);
		size_t from = 0;

		if (n <= 0) {
			*err_out = n == 0 ? "message body truncated" :
			    strerror(errno);
			return -1;
		}
		left -= (uint64_t)n;
		/* write runs between line starts; a '.' at a line start is
		 * doubled */
		for (size_t i = 0; i < (size_t)n; i++) {
			if (bol && in[i] == '.') {
				if (stream_write(s, in + from, i - from) ==
				    -1 || stream_write(s, ".", 1) == -1)
					goto werr;
				from = i;
			}
			bol = in[i] == '\n';
			cr = in[i] == '\r';
		}
		if (stream_write(s, in + from, (size_t)n - from) == -1)
			goto werr;
	}
	if (!bol && stream_write(s, cr ? "\n" : "\r\n", cr ? 1 : 2) == -1)
		goto werr;
	if (stream_write(s, ".\r\n", 3) == -1 || stream_flush(s) == -1)
		goto werr;
	return 0;
werr:
	*err_out = stream_error_text(s);
	return -1;
}
