/*
 * tests/unit/lib/smtp_data_test.c - unit tests for lib/smtp_data.c.
 *
 * Every input is decoded whole, byte by byte and in odd-sized chunks, and
 * the results must agree: dot-stuffing, the end marker (CRLF only, never
 * bare LF or CR: SMTP smuggling), errors that still find the end, line
 * and size limits at max and max+1, Received: counting, BDAT modes.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/smtp_data.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static struct smtp_limits lim;

static void
setup(void)
{
	smtp_limits_default(&lim);
}

TestSuite(smtp_data, .init = setup);

struct result {
	int rc;
	size_t used;
	char out[4096];
	size_t out_len;
	int code;		/* 0: no error */
	const char *enh;
	uint64_t size;
	size_t received;
	bool hdr_done;
	uint64_t hdr_size;
};

/* Decode s in chunks of chunk bytes (0: all at once); stop at the end. */
static void
run(const char *s, size_t len, size_t chunk, enum smtp_data_mode mode,
    struct result *r)
{
	struct smtp_data *d = smtp_data_new(&lim, mode);
	uint8_t *tmp = xmalloc(len + 1);
	const struct smtp_error *e;
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	while (off < len) {
		size_t n = chunk == 0 || len - off < chunk ? len - off : chunk;
		size_t out_len, used;

		memcpy(tmp, s + off, n);
		/* decoded in place, as a session may */
		r->rc = smtp_data_feed(d, tmp, n, tmp, &out_len, &used);
		cr_assert_leq(used, n);
		cr_assert_leq(out_len, used);
		cr_assert_leq(r->out_len + out_len, sizeof(r->out));
		memcpy(r->out + r->out_len, tmp, out_len);
		r->out_len += out_len;
		off += used;
		if (r->rc == 1)
			break;
		cr_assert_eq(used, n);
	}
	if (mode != SMTP_DATA_DOT)
		smtp_data_finish(d);
	r->used = off;
	e = smtp_data_error(d);
	if (e != NULL) {
		r->code = e->code;
		r->enh = e->enh;
		/* output after an error is to be dropped: forget it all */
		r->out_len = 0;
	}
	r->size = smtp_data_size(d);
	r->received = smtp_data_received(d);
	r->hdr_done = smtp_data_headers_done(d, &r->hdr_size);
	smtp_data_free(&d);
	cr_assert_null(d);
	free(tmp);
}

/* Decode with several chunkings; all must agree. Returns the result. */
static void
decode(const char *s, size_t len, enum smtp_data_mode mode, struct result *r)
{
	static const size_t chunks[] = { 1, 2, 3, 5, 7, 64 };
	struct result o;

	run(s, len, 0, mode, r);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		run(s, len, chunks[i], mode, &o);
		cr_assert_eq(o.rc, r->rc, "chunk %zu", chunks[i]);
		cr_assert_eq(o.used, r->used, "chunk %zu", chunks[i]);
		cr_assert_eq(o.out_len, r->out_len, "chunk %zu", chunks[i]);
		cr_assert_eq(memcmp(o.out, r->out, r->out_len), 0);
		cr_assert_eq(o.code, r->code, "chunk %zu", chunks[i]);
		cr_assert_eq(o.size, r->size);
		cr_assert_eq(o.received, r->received);
		cr_assert_eq(o.hdr_done, r->hdr_done);
		cr_assert_eq(o.hdr_size, r->hdr_size);
	}
}

#define DECODE(lit, mode, r) decode(lit, sizeof(lit) - 1, mode, r)

Test(smtp_data, simple_message_and_pipelined_rest)
{
	struct result r;
	const char msg[] = "Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n";

	DECODE(msg, SMTP_DATA_DOT, &r);
	cr_assert_eq(r.rc, 1);
	cr_assert_eq(r.used, sizeof(msg) - 1 - 6);
	cr_assert_eq(r.out_len, 21);
	cr_assert_eq(memcmp(r.out, "Subject: hi\r\n\r\nbody\r\n", 21), 0);
	cr_assert_eq(r.code, 0);
	cr_assert_eq(r.size, 21);
	cr_assert(r.hdr_done);
	cr_assert_eq(r.hdr_size, 15);
}

Test(smtp_data, empty_message)
{
	struct result r;

	DECODE(".\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.rc, 1);
	cr_assert_eq(r.out_len, 0);
	cr_assert_eq(r.size, 0);
	cr_assert(!r.hdr_done);
}

Test(smtp_data, dot_stuffing_undone)
{
	struct result r;

	DECODE("..\r\n...x\r\n.y\r\na.b\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.rc, 1);
	cr_assert_eq(r.code, 0);
	cr_assert_eq(r.out_len, 16);
	cr_assert_eq(memcmp(r.out, ".\r\n..x\r\ny\r\na.b\r\n", 16), 0);
}

Test(smtp_data, incomplete_needs_more)
{
	struct result r;

	DECODE("abc\r\n.\r", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.rc, 0);
	cr_assert_eq(r.used, 7);
	DECODE("abc\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.rc, 0);
}

Test(smtp_data, bare_lf_is_an_error_and_not_an_end)
{
	struct result r;

	DECODE("a\nb\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.rc, 1);
	cr_assert_eq(r.code, 550);
	cr_assert_str_eq(r.enh, "5.6.11");
	cr_assert_eq(r.out_len, 0);
}

Test(smtp_data, smuggling_attempts_do_not_end_data)
{
	struct result r;
	/* "\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r\n" are not the end */
	const char msg[] = "x\n.\nMAIL FROM:<a@b>\r\n"
	    "y\r\n.\nRCPT TO:<c@d>\r\n"
	    "z\n.\r\nDATA\r\n"
	    "w\r.\r\nQUIT\r\n"
	    ".\r\nNEXT";

	DECODE(msg, SMTP_DATA_DOT, &r);
	cr_assert_eq(r.rc, 1);
	cr_assert_eq(r.used, sizeof(msg) - 1 - 4);
	cr_assert_eq(r.code, 550);
	cr_assert_str_eq(r.enh, "5.6.11");
}

Test(smtp_data, bare_cr_is_an_error)
{
	struct result r;

	DECODE("a\rb\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 550);
	cr_assert_eq(r.rc, 1);
	DECODE("a\r\n.\rx\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 550);
	cr_assert_eq(r.rc, 1);
	DECODE("a\r\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 550);
	cr_assert_eq(r.rc, 1);
	cr_assert_eq(r.used, 7);
}

Test(smtp_data, line_limit_crossed)
{
	struct result r;

	lim.text_line_max = 10;
	/* 8 + CRLF = 10 on the wire: fine; 9 + CRLF = 11: too long */
	DECODE("12345678\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 0);
	DECODE("1234567\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 0);
	DECODE("123456789\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 500);
	cr_assert_str_eq(r.enh, "5.5.2");
	cr_assert_eq(r.rc, 1);
	/* the stuffed dot is on the wire, so it counts */
	DECODE("..2345678\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 500);
	DECODE("..234567\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 0);
	/* a long line ended by bare LF is still found */
	DECODE("123456789012\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.rc, 0);
}

Test(smtp_data, size_limit_crossed)
{
	struct result r;

	lim.message_size_max = 10;
	DECODE("12345678\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 0);
	cr_assert_eq(r.size, 10);
	DECODE("1234567\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 0);
	DECODE("123456789\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 552);
	cr_assert_str_eq(r.enh, "5.3.4");
	cr_assert_eq(r.rc, 1);
	cr_assert_eq(r.size, 11);
	/* dot-stuffing is not counted in the size */
	DECODE("..2345678\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 0);
	/* far over: still finds the end, keeps counting */
	DECODE("1234567890\r\n1234567890\r\n1234567890\r\n.\r\nQUIT\r\n",
	    SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 552);
	cr_assert_eq(r.size, 36);
	cr_assert_eq(r.used, 39);
}

Test(smtp_data, first_error_wins)
{
	struct result r;

	lim.message_size_max = 5;
	DECODE("a\nbcdefgh\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 550);
	DECODE("abcdefgh\n\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.code, 552);
}

Test(smtp_data, received_headers_counted)
{
	struct result r;
	const char msg[] = "Received: from a\r\n"
	    "received :from b\r\n"
	    "\tReceived: folded, not a field\r\n"
	    "X-Received: other\r\n"
	    "RECEIVED\t: c\r\n"
	    "Receivedx: no\r\n"
	    "Received\r\n"
	    "..Received: stuffed, starts with a dot\r\n"
	    "\r\n"
	    "Received: in the body\r\n"
	    ".\r\n";

	DECODE(msg, SMTP_DATA_DOT, &r);
	cr_assert_eq(r.rc, 1);
	cr_assert_eq(r.received, 3);
	cr_assert(r.hdr_done);
	cr_assert_eq(r.out[r.hdr_size - 1], '\n');
	cr_assert_eq(r.out[r.hdr_size - 3], '\n');
	cr_assert_eq(r.out[r.hdr_size], 'R');
}

Test(smtp_data, received_after_dot_stuffing)
{
	struct result r;

	DECODE(".Received: x\r\n\r\n.\r\n", SMTP_DATA_DOT, &r);
	cr_assert_eq(r.received, 1);
}

Test(smtp_data, bdat_is_raw)
{
	struct result r;

	DECODE("a\r\n.\r\n..b\r\n", SMTP_DATA_BDAT, &r);
	cr_assert_eq(r.rc, 0);
	cr_assert_eq(r.code, 0);
	cr_assert_eq(r.out_len, 11);
	cr_assert_eq(memcmp(r.out, "a\r\n.\r\n..b\r\n", 11), 0);
	DECODE("a\nb\r\n", SMTP_DATA_BDAT, &r);
	cr_assert_eq(r.code, 550);
	DECODE("ab\r", SMTP_DATA_BDAT, &r);
	cr_assert_eq(r.code, 550);
	lim.text_line_max = 4;
	DECODE("ab\r\nabc\r\n", SMTP_DATA_BDAT, &r);
	cr_assert_eq(r.code, 500);
}

Test(smtp_data, binary_takes_any_bytes)
{
	struct result r;

	lim.text_line_max = 4;
	DECODE("a\nb\rc\0\xff\r\n.\r\nlong line here", SMTP_DATA_BINARY, &r);
	cr_assert_eq(r.code, 0);
	cr_assert_eq(r.out_len, 26);
	cr_assert_eq(r.size, 26);
}

Test(smtp_data, reset_and_no_input_after_end)
{
	struct smtp_data *d = smtp_data_new(&lim, SMTP_DATA_DOT);
	uint8_t out[32];
	size_t out_len, used;

	cr_assert_eq(smtp_data_feed(d, (const uint8_t *)"a\nb\r\n.\r\n", 8,
	    out, &out_len, &used), 1);
	cr_assert(smtp_data_is_done(d));
	cr_assert_not_null(smtp_data_error(d));
	cr_assert_eq(smtp_data_feed(d, (const uint8_t *)"xyz", 3, out,
	    &out_len, &used), 1);
	cr_assert_eq(used, 0);
	smtp_data_reset(d, SMTP_DATA_DOT);
	cr_assert_null(smtp_data_error(d));
	cr_assert(!smtp_data_is_done(d));
	cr_assert_eq(smtp_data_feed(d, (const uint8_t *)"ok\r\n.\r\n", 7, out,
	    &out_len, &used), 1);
	cr_assert_eq(out_len, 4);
	cr_assert_eq(smtp_data_size(d), 4);
	smtp_data_free(&d);
}
