/*
 * tests/unit/lib/mime_imap_test.c - unit tests for lib/mime_envelope.c,
 * lib/mime_bodystructure.c and lib/mime_imap_string.c: the exact
 * ENVELOPE, BODY and BODYSTRUCTURE strings (RFC 3501 7.4.2) of the
 * sample messages in tests/data, worked out by hand from the files.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/mime_imap.h"
#include "lib/pool.h"
#include "tests/unit/lib/mime_testdata.h"
#include "lib/banned.h"

static struct pool *pool;
static struct msg_limits lim;
static struct buf *msg, *out;

static void
setup(void)
{
	pool = pool_new("test");
	msg_limits_defaults(&lim);
	out = buf_new(1024, 1 << 20);
}

static void
teardown(void)
{
	buf_free(&msg);
	buf_free(&out);
	pool_free(&pool);
}

TestSuite(mime_imap, .init = setup, .fini = teardown);

static struct mime_message *
load(const char *name)
{
	buf_free(&msg);
	msg = mime_testdata_load(name);
	return mime_parse(pool, msg->data, msg->len, &lim);
}

static const char *
envelope(const char *name)
{
	struct mime_message *m = load(name);

	buf_reset(out);
	cr_assert_eq(mime_imap_envelope(m, m->root, pool, out), 0);
	return buf_cstr(out);
}

static const char *
structure(const char *name, bool extended)
{
	struct mime_message *m = load(name);

	buf_reset(out);
	cr_assert_eq(mime_imap_bodystructure(m, m->root, extended, pool, out),
	    0);
	return buf_cstr(out);
}

Test(mime_imap, strings_quoted_literal_nil)
{
	cr_assert_eq(mime_imap_nstring(out, NULL), 0);
	cr_assert_eq(mime_imap_nstring(out, " a\"b\\c"), 0);
	cr_assert_eq(mime_imap_string(out, "caf\xc3\xa9", 5), 0);
	cr_assert_eq(mime_imap_string(out, "x\r\ny", 4), 0);
	cr_assert_str_eq(buf_cstr(out), "NIL\" a\\\"b\\\\c\"{5}\r\ncaf\xc3\xa9"
	    "{4}\r\nx\r\ny");
}

Test(mime_imap, envelope_with_encoded_words_and_group)
{
	cr_assert_str_eq(envelope("alternative.eml"),
	    "(\"Tue, 4 Mar 2025 09:15:00 +0100\" "
	    "\"=?ISO-8859-1?Q?Caf=E9?= meeting\" "
	    "((\"=?UTF-8?Q?Andr=C3=A9_Martin?=\" NIL \"andre\" \"example.org\")) "
	    "((\"=?UTF-8?Q?Andr=C3=A9_Martin?=\" NIL \"andre\" \"example.org\")) "
	    "((\"=?UTF-8?Q?Andr=C3=A9_Martin?=\" NIL \"andre\" \"example.org\")) "
	    "((NIL NIL \"Team\" NIL)(NIL NIL \"bob\" \"example.com\")"
	    "(\"Carol X\" NIL \"carol\" \"example.net\")(NIL NIL NIL NIL)"
	    "(NIL NIL \"dave\" \"example.com\")) "
	    "NIL NIL NIL \"<alt1@example.org>\")");
}

Test(mime_imap, envelope_of_a_bare_message)
{
	cr_assert_str_eq(envelope("missing-end.eml"),
	    "(NIL \"cut\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}

Test(mime_imap, alternative_bodystructure)
{
	cr_assert_str_eq(structure("alternative.eml", true),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 5 1 "
	    "NIL NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL "
	    "\"QUOTED-PRINTABLE\" 12 1 NIL NIL NIL NIL) \"ALTERNATIVE\" "
	    "(\"BOUNDARY\" \"XX\") NIL NIL NIL)");
	cr_assert_str_eq(structure("alternative.eml", false),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 5 1)"
	    "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL "
	    "\"QUOTED-PRINTABLE\" 12 1) \"ALTERNATIVE\")");
}

Test(mime_imap, attachment_bodystructure)
{
	cr_assert_str_eq(structure("mixed-attachment.eml", true),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 13 1 NIL NIL "
	    "NIL NIL)"
	    "(\"APPLICATION\" \"PDF\" (\"NAME*\" \"utf-8''r%C3%A9sum.pdf\") "
	    "\"<pdf1@example.com>\" \"The report\" \"BASE64\" 22 "
	    "\"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"ATTACHMENT\" (\"FILENAME\" "
	    "\"report.pdf\")) (\"en\" \"fr\") \"http://example.com/r.pdf\") "
	    "\"MIXED\" (\"BOUNDARY\" \"=_mix\") NIL NIL NIL)");
}

Test(mime_imap, nested_rfc822_bodystructure)
{
	const char *inner_env = "(NIL \"inner\" "
	    "((\"Inner Sender\" NIL \"inner\" \"example.net\")) "
	    "((\"Inner Sender\" NIL \"inner\" \"example.net\")) "
	    "((\"Inner Sender\" NIL \"inner\" \"example.net\")) "
	    "NIL NIL NIL NIL \"<in@example.net>\")";
	char want[2048];

	snprintf(want, sizeof(want),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "10 1 NIL NIL NIL NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" "
	    "238 %s ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 2 1 "
	    "NIL NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL "
	    "\"7BIT\" 9 1 NIL NIL NIL NIL) "
	    "\"ALTERNATIVE\" (\"BOUNDARY\" \"inner\") NIL NIL NIL) 14 NIL NIL "
	    "NIL NIL) \"MIXED\" (\"BOUNDARY\" \"outer\") NIL NIL NIL)",
	    inner_env);
	cr_assert_str_eq(structure("nested-rfc822.eml", true), want);
	snprintf(want, sizeof(want),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "
	    "10 1)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 238 %s "
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 2 1)"
	    "(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 9 1) "
	    "\"ALTERNATIVE\") 14) \"MIXED\")",
	    inner_env);
	cr_assert_str_eq(structure("nested-rfc822.eml", false), want);
}

Test(mime_imap, malformed_structures_stay_in_the_grammar)
{
	/* missing close delimiter: both parts; "two" keeps its line end */
	cr_assert_str_eq(structure("missing-end.eml", false),
	    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 3 1)"
	    "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 5 1) "
	    "\"MIXED\")");
	/* boundary never seen: one opaque body of 45 bytes */
	cr_assert_str_eq(structure("wrong-boundary.eml", true),
	    "(\"APPLICATION\" \"OCTET-STREAM\" (\"BOUNDARY\" \"zz\") NIL NIL "
	    "\"7BIT\" 45 NIL NIL NIL NIL)");
}

Test(mime_imap, default_type_of_a_bare_message)
{
	struct mime_message *m;

	msg = mime_testdata_crlf("Subject: x\n\nhello\n");
	m = mime_parse(pool, msg->data, msg->len, &lim);
	cr_assert_eq(mime_imap_bodystructure(m, m->root, true, pool, out), 0);
	cr_assert_str_eq(buf_cstr(out), "(\"TEXT\" \"PLAIN\" (\"CHARSET\" "
	    "\"us-ascii\") NIL NIL \"7BIT\" 7 1 NIL NIL NIL NIL)");
}

Test(mime_imap, depth_limit_keeps_valid_syntax)
{
	struct mime_message *m;

	msg = mime_testdata_crlf("Content-Type: multipart/mixed; boundary=a\n\n"
	    "--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n"
	    "--a--\n");
	lim.depth_max = 1;
	m = mime_parse(pool, msg->data, msg->len, &lim);
	cr_assert_eq(mime_imap_bodystructure(m, m->root, false, pool, out), 0);
	cr_assert_str_eq(buf_cstr(out), "((\"APPLICATION\" \"OCTET-STREAM\" "
	    "(\"BOUNDARY\" \"b\") NIL NIL \"7BIT\" 15) \"MIXED\")");
}

Test(mime_imap, output_ceiling)
{
	struct mime_message *m = load("nested-rfc822.eml");
	struct buf *small = buf_new(16, 64);

	cr_assert_eq(mime_imap_bodystructure(m, m->root, true, pool, small),
	    -1);
	buf_reset(small);
	cr_assert_eq(mime_imap_envelope(m, m->root->children->next->children,
	    pool, small), -1);
	buf_free(&small);
}

Test(mime_imap, eight_bit_headers_become_literals)
{
	struct mime_message *m;
	char name[300];

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	msg = mime_testdata_crlf("Subject: caf\xc3\xa9\nFrom: \"Jos\xc3\xa9\" "
	    "<j@example.org>\nContent-Type: text/plain; charset=utf-8\n\nx");
	m = mime_parse(pool, msg->data, msg->len, &lim);
	cr_assert_eq(mime_imap_envelope(m, m->root, pool, out), 0);
	cr_assert_str_eq(buf_cstr(out), "(NIL {5}\r\ncaf\xc3\xa9 "
	    "(({5}\r\nJos\xc3\xa9 NIL \"j\" \"example.org\")) "
	    "(({5}\r\nJos\xc3\xa9 NIL \"j\" \"example.org\")) "
	    "(({5}\r\nJos\xc3\xa9 NIL \"j\" \"example.org\")) "
	    "NIL NIL NIL NIL NIL)");
	buf_free(&msg);
	buf_reset(out);
	/* a long parameter name is written whole */
	msg = buf_new(512, 4096);
	buf_printf(msg, "Content-Type: image/png; %s=1\r\n\r\nx", name);
	m = mime_parse(pool, msg->data, msg->len, &lim);
	cr_assert_eq(mime_imap_bodystructure(m, m->root, false, pool, out), 0);
	cr_assert_not_null(strstr(buf_cstr(out), "XXXXXXXXXX\" \"1\")"));
	cr_assert_eq(out->len, strlen("(\"IMAGE\" \"PNG\" (\"\" \"1\") NIL NIL "
	    "\"7BIT\" 1)") + strlen(name));
}
