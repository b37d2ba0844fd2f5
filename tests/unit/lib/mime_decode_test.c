/*
 * tests/unit/lib/mime_decode_test.c - unit tests for the decoders:
 * base64 and quoted-printable (lib/mime_transfer.c), charsets
 * (lib/mime_charset.c), RFC 2047 encoded-words (lib/mime_encword.c) and
 * HTML to text (lib/mime_html.c), each at its output ceiling too.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime_decode.h"
#include "lib/banned.h"

static const char *
b64(const char *in, struct buf *b)
{
	buf_reset(b);
	cr_assert_eq(mime_base64_decode((const uint8_t *)in, strlen(in), b), 0);
	return buf_cstr(b);
}

static const char *
qp(const char *in, bool header, struct buf *b)
{
	buf_reset(b);
	cr_assert_eq(mime_qp_decode((const uint8_t *)in, strlen(in), header, b),
	    0);
	return buf_cstr(b);
}

static const char *
ew(const char *in, struct buf *b)
{
	buf_reset(b);
	cr_assert_eq(mime_encword_decode(in, strlen(in), b), 0);
	return buf_cstr(b);
}

Test(mime_decode, base64_tolerates_white_space_and_garbage)
{
	struct buf *b = buf_new(64, 1024);

	cr_assert_str_eq(b64("aGVsbG8gd29ybGQ=", b), "hello world");
	cr_assert_str_eq(b64("aGVs\r\nbG8g\r\n d29y bGQ=\r\n", b),
	    "hello world");
	cr_assert_str_eq(b64("aGVsbG8*#gd29ybGQ", b), "hello world");
	cr_assert_str_eq(b64("aGVsbG8=d29ybGQ=", b), "hello");
	cr_assert_str_eq(b64("aGVsbA", b), "hell");
	cr_assert_str_eq(b64("", b), "");
	buf_free(&b);
}

Test(mime_decode, base64_stops_at_the_ceiling)
{
	struct buf *b = buf_new(4, 5);

	cr_assert_eq(mime_base64_decode((const uint8_t *)"aGVsbG8=", 8, b), 0);
	cr_assert_str_eq(buf_cstr(b), "hello");
	buf_reset(b);
	cr_assert_eq(mime_base64_decode((const uint8_t *)"aGVsbG8h", 8, b), -1);
	buf_free(&b);
}

Test(mime_decode, quoted_printable)
{
	struct buf *b = buf_new(64, 1024);

	cr_assert_str_eq(qp("Caf=E9 =3D ok", false, b), "Caf\xe9 = ok");
	cr_assert_str_eq(qp("soft=\r\nbreak\r\nline  \r\nend", false, b),
	    "softbreak\r\nline\r\nend");
	cr_assert_str_eq(qp("lf=\nsoft\nx", false, b), "lfsoft\nx");
	cr_assert_str_eq(qp("bad =ZZ and =4", false, b), "bad =ZZ and =4");
	cr_assert_str_eq(qp("lower =e9", false, b), "lower \xe9");
	cr_assert_str_eq(qp("a_b=5Fc", true, b), "a b_c");
	cr_assert_str_eq(qp("trailing=", false, b), "trailing");
	buf_free(&b);
}

/* A thread converting from a few charsets, then ending. */
static void *
convert_and_end(void *arg)
{
	struct buf *b = buf_new(64, 1024);
	int *ok = arg;

	*ok = mime_charset_to_utf8("ISO-8859-1", (const uint8_t *)"Caf\xe9",
	    4, b) == 0 && strcmp(buf_cstr(b), "Caf\xc3\xa9") == 0 &&
	    mime_charset_to_utf8("KOI8-R", (const uint8_t *)"\xc1", 1, b) == 0;
	buf_free(&b);
	return NULL;
}

/* Threads that end close their cached converters (libmilter runs a
 * thread per connection): in the sanitizer build LeakSanitizer reports
 * every converter of an ended thread left open. */
Test(mime_decode, ended_threads_leave_no_converter_open)
{
	for (int i = 0; i < 20; i++) {
		pthread_t t;
		int ok = 0;

		cr_assert_eq(pthread_create(&t, NULL, convert_and_end, &ok), 0);
		cr_assert_eq(pthread_join(t, NULL), 0);
		cr_assert(ok, "conversion in thread %d failed", i);
	}
}

Test(mime_decode, charsets_to_utf8)
{
	struct buf *b = buf_new(64, 1024);

	cr_assert_eq(mime_charset_to_utf8("ISO-8859-1",
	    (const uint8_t *)"Caf\xe9", 4, b), 0);
	cr_assert_str_eq(buf_cstr(b), "Caf\xc3\xa9");
	buf_reset(b);
	cr_assert_eq(mime_charset_to_utf8("windows-1252",
	    (const uint8_t *)"\x80", 1, b), 0);
	cr_assert_str_eq(buf_cstr(b), "\xe2\x82\xac");
	buf_reset(b);
	/* invalid UTF-8 and a lone continuation byte become U+FFFD */
	cr_assert_eq(mime_charset_to_utf8("utf-8",
	    (const uint8_t *)"a\xc3(\x80z", 5, b), 0);
	cr_assert_str_eq(buf_cstr(b), "a\xef\xbf\xbd(\xef\xbf\xbdz");
	buf_reset(b);
	/* an invalid sequence in a multi-byte charset */
	cr_assert_eq(mime_charset_to_utf8("SHIFT_JIS",
	    (const uint8_t *)"\x82\xa0x\x82", 4, b), 0);
	cr_assert_str_eq(buf_cstr(b), "\xe3\x81\x82x\xef\xbf\xbd");
	buf_reset(b);
	cr_assert_eq(mime_charset_to_utf8("x-no-such-charset",
	    (const uint8_t *)"a", 1, b), -1);
	cr_assert_eq(mime_charset_to_utf8("UTF-8//TRANSLIT",
	    (const uint8_t *)"a", 1, b), -1);
	cr_assert_eq(b->len, 0);
	cr_assert(mime_charset_known("ks_c_5601-1987"));
	cr_assert_not(mime_charset_known("x-no-such-charset"));
	buf_free(&b);
}

Test(mime_decode, charset_ceiling_leaves_output_unchanged)
{
	struct buf *b = buf_new(4, 4);

	buf_append_str(b, "ab");
	cr_assert_eq(mime_charset_to_utf8("ISO-8859-1",
	    (const uint8_t *)"\xe9\xe9", 2, b), -1);
	cr_assert_str_eq(buf_cstr(b), "ab");
	cr_assert_eq(mime_charset_to_utf8("ISO-8859-1",
	    (const uint8_t *)"\xe9", 1, b), 0);
	cr_assert_str_eq(buf_cstr(b), "ab\xc3\xa9");
	buf_free(&b);
}

Test(mime_decode, encoded_words)
{
	struct buf *b = buf_new(64, 1024);

	cr_assert_str_eq(ew("=?ISO-8859-1?Q?Caf=E9?= meeting", b),
	    "Caf\xc3\xa9 meeting");
	cr_assert_str_eq(ew("=?UTF-8?B?QW5kcsOp?=", b), "Andr\xc3\xa9");
	cr_assert_str_eq(ew("=?utf-8?q?a?= =?utf-8?q?b?=", b), "ab");
	cr_assert_str_eq(ew("=?utf-8?q?a?=\r\n\t=?iso-8859-1?q?b?= c", b),
	    "ab c");
	/* a character split between two words survives */
	cr_assert_str_eq(ew("=?UTF-8?Q?=C3?= =?UTF-8?Q?=A9?=", b), "\xc3\xa9");
	cr_assert_str_eq(ew("x =?UTF-8*fr?Q?oui?= y", b), "x oui y");
	cr_assert_str_eq(ew("plain text", b), "plain text");
	buf_free(&b);
}

Test(mime_decode, broken_encoded_words_are_kept)
{
	struct buf *b = buf_new(64, 1024);

	cr_assert_str_eq(ew("=?x-unknown?Q?abc?= d", b),
	    "=?x-unknown?Q?abc?= d");
	cr_assert_str_eq(ew("=?utf-8?X?abc?=", b), "=?utf-8?X?abc?=");
	cr_assert_str_eq(ew("=?utf-8?Q?open", b), "=?utf-8?Q?open");
	cr_assert_str_eq(ew("=?", b), "=?");
	cr_assert_str_eq(ew("a =? b", b), "a =? b");
	cr_assert_str_eq(ew("raw \xe9", b), "raw \xef\xbf\xbd");
	buf_free(&b);
}

Test(mime_decode, encoded_word_ceiling)
{
	struct buf *b = buf_new(4, 3);

	cr_assert_eq(mime_encword_decode("=?utf-8?q?abc?=", 15, b), 0);
	cr_assert_str_eq(buf_cstr(b), "abc");
	buf_reset(b);
	cr_assert_eq(mime_encword_decode("=?utf-8?q?abcd?=", 16, b), -1);
	buf_free(&b);
}

Test(mime_decode, html_to_text)
{
	const char *h = "<html><head><style>p{color:red}</style>"
	    "<script>var x = '<p>';</script></head><body>"
	    "<p>Hello&nbsp;&amp; <b>world</b></p><!-- hidden -->"
	    "<a href=\"x>y\">link</a>&#233;&#xE9;&bogus; 3 &lt; 4"
	    "<br>caf\xc3\xa9</body></html>";
	struct buf *b = buf_new(64, 1024);

	cr_assert_eq(mime_html_to_text((const uint8_t *)h, strlen(h), b), 0);
	cr_assert_str_eq(buf_cstr(b), "Hello & world\nlink \xc3\xa9\xc3\xa9"
	    "&bogus; 3 < 4\ncaf\xc3\xa9");
	buf_reset(b);
	cr_assert_eq(mime_html_to_text((const uint8_t *)"<p unterminated", 15,
	    b), 0);
	cr_assert_str_eq(buf_cstr(b), "");
	buf_free(&b);
}
