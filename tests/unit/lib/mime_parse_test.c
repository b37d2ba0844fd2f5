/*
 * tests/unit/lib/mime_parse_test.c - unit tests for lib/mime_parse.c,
 * lib/mime_section.c and lib/mime_text.c: the part tree and its byte
 * offsets on the sample messages of tests/data, IMAP section ranges,
 * malformed structure, and the depth and part limits at max-1, max and
 * max+1.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/mime_text.h"
#include "lib/pool.h"
#include "tests/unit/lib/mime_testdata.h"
#include "lib/banned.h"

static struct pool *pool;
static struct msg_limits lim;
static struct buf *msg;

static void
setup(void)
{
	pool = pool_new("test");
	msg_limits_defaults(&lim);
}

static void
teardown(void)
{
	buf_free(&msg);
	pool_free(&pool);
}

TestSuite(mime_parse, .init = setup, .fini = teardown);

static struct mime_message *
parse_file(const char *name)
{
	buf_free(&msg);		/* a test may parse several */
	msg = mime_testdata_load(name);
	return mime_parse(pool, msg->data, msg->len, &lim);
}

static struct mime_message *
parse_text(const char *text)
{
	buf_free(&msg);
	msg = mime_testdata_crlf(text);
	return mime_parse(pool, msg->data, msg->len, &lim);
}

/* The bytes of a section, as a string in the pool. */
static const char *
section(const struct mime_message *m, const char *spec)
{
	struct mime_section s;
	const char *err = NULL;

	if (mime_section_find(m, spec, strlen(spec), &s, &err) == -1)
		return pool_printf(pool, "ERR %s", err);
	cr_assert_leq(s.off + s.len, m->len);
	return pool_strndup(pool, (const char *)m->data + s.off, s.len);
}

static const char *
body(const struct mime_message *m, const struct mime_part *p)
{
	return pool_strndup(pool, (const char *)m->data + p->body_off,
	    p->body_size);
}

Test(mime_parse, alternative_tree)
{
	struct mime_message *m = parse_file("alternative.eml");
	struct mime_part *r = m->root, *a, *b;

	cr_assert_eq(r->kind, MIME_MULTIPART);
	cr_assert_str_eq(r->type, "multipart");
	cr_assert_str_eq(r->subtype, "alternative");
	cr_assert_eq(r->n_children, 2);
	cr_assert_eq(m->n_parts, 3);
	cr_assert_eq(m->flags, 0);
	a = r->children;
	b = a->next;
	cr_assert_str_eq(body(m, a), "Hello");
	cr_assert_eq(a->body_lines, 1);
	cr_assert_str_eq(mime_part_charset(a), "utf-8");
	cr_assert_str_eq(body(m, b), "<p>Hello</p>");
	cr_assert_str_eq(b->encoding, "quoted-printable");
	cr_assert_str_eq(pool_strndup(pool, (const char *)m->data + a->hdr_off,
	    a->hdr_size), "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	cr_assert_eq(a->depth, 1);
	cr_assert_eq(mime_part_next(r, r), a);
	cr_assert_eq(mime_part_next(r, a), b);
	cr_assert_null(mime_part_next(r, b));
}

Test(mime_parse, attachment_fields)
{
	struct mime_message *m = parse_file("mixed-attachment.eml");
	struct mime_part *att = m->root->children->next;
	struct buf *out = buf_new(64, 1024);

	cr_assert_str_eq(att->type, "application");
	cr_assert_str_eq(att->subtype, "pdf");
	cr_assert_str_eq(mime_param_get(&att->params, "name"),
	    "r\xc3\xa9sum.pdf");
	cr_assert_str_eq(att->disposition, "attachment");
	cr_assert_str_eq(mime_param_get(&att->disp_params, "filename"),
	    "report.pdf");
	cr_assert_str_eq(att->id, "<pdf1@example.com>");
	cr_assert_str_eq(att->description, "The report");
	cr_assert_eq(att->n_language, 2);
	cr_assert_str_eq(att->language[1], "fr");
	cr_assert_str_eq(att->location, "http://example.com/r.pdf");
	cr_assert_str_eq(att->md5, "Q2hlY2sgSW50ZWdyaXR5IQ==");
	cr_assert_eq(att->body_size, 22);
	cr_assert_eq(mime_part_decode(m, att, out), 0);
	cr_assert_str_eq(buf_cstr(out), "%PDF-1.4\n%EOF\n");
	cr_assert_not(mime_part_is_text(att));
	cr_assert(mime_part_is_text(m->root->children));
	buf_free(&out);
}

Test(mime_parse, nested_rfc822_sections)
{
	struct mime_message *m = parse_file("nested-rfc822.eml");
	struct mime_part *fwd = m->root->children->next;

	cr_assert_eq(fwd->kind, MIME_MESSAGE);
	cr_assert_eq(fwd->n_children, 1);
	cr_assert_eq(fwd->children->kind, MIME_MULTIPART);
	cr_assert_eq(fwd->body_size, 238);
	cr_assert_eq(fwd->body_lines, 14);
	cr_assert_eq(m->n_parts, 6);
	cr_assert_str_eq(section(m, "1"), "See below.");
	cr_assert_str_eq(section(m, "2.1"), "hi");
	cr_assert_str_eq(section(m, "2.2"), "<b>hi</b>");
	cr_assert_str_eq(section(m, "2.2.MIME"),
	    "Content-Type: text/html\r\n\r\n");
	cr_assert_str_eq(section(m, "2.MIME"),
	    "Content-Type: message/rfc822\r\n\r\n");
	cr_assert_str_eq(section(m, "2.HEADER"),
	    "From: Inner Sender <inner@example.net>\r\nSubject: inner\r\n"
	    "Message-ID: <in@example.net>\r\nContent-Type: "
	    "multipart/alternative; boundary=inner\r\n\r\n");
	cr_assert_eq(strncmp(section(m, "2.TEXT"), "--inner\r\n", 9), 0);
	cr_assert_eq(strncmp(section(m, "2"), "From: Inner", 11), 0);
	cr_assert_eq(strlen(section(m, "2")), 238);
	cr_assert_str_eq(section(m, "HEADER"), pool_strndup(pool,
	    (const char *)msg->data, m->root->hdr_size));
	cr_assert_eq(strlen(section(m, "")), msg->len);
	cr_assert_eq(strncmp(section(m, "text"), "--outer\r\n", 9), 0);
	cr_assert_str_eq(section(m, "2.header.fields"), section(m, "2.HEADER"));
}

Test(mime_parse, bad_sections)
{
	struct mime_message *m = parse_file("nested-rfc822.eml");

	cr_assert_str_eq(section(m, "3"), "ERR no such part");
	cr_assert_str_eq(section(m, "1.1"), "ERR no such part");
	cr_assert_str_eq(section(m, "2.1.1"), "ERR no such part");
	cr_assert_str_eq(section(m, "2.3"), "ERR no such part");
	cr_assert_str_eq(section(m, "1.HEADER"), "ERR no such part");
	cr_assert_str_eq(section(m, "0"), "ERR bad section");
	cr_assert_str_eq(section(m, "1."), "ERR bad section");
	cr_assert_str_eq(section(m, "MIME"), "ERR bad section");
	cr_assert_str_eq(section(m, "1.BOGUS"), "ERR bad section");
	cr_assert_str_eq(section(m, "99999999999999999999"), "ERR bad section");
}

Test(mime_parse, single_part_message_is_its_own_part_1)
{
	struct mime_message *m = parse_text("Subject: x\n\nline1\nline2");

	cr_assert_eq(m->root->kind, MIME_LEAF);
	cr_assert_str_eq(m->root->type, "text");
	cr_assert_str_eq(mime_part_charset(m->root), "us-ascii");
	cr_assert_eq(m->root->body_lines, 2);
	cr_assert_str_eq(section(m, "1"), "line1\r\nline2");
	cr_assert_str_eq(section(m, "TEXT"), "line1\r\nline2");
	cr_assert_str_eq(section(m, "1.MIME"), "Subject: x\r\n\r\n");
	cr_assert_str_eq(section(m, "2"), "ERR no such part");
	cr_assert_str_eq(section(m, "1.1"), "ERR no such part");
}

Test(mime_parse, top_level_rfc822_sections)
{
	struct mime_message *m = parse_text("Content-Type: message/rfc822\n\n"
	    "Subject: in\n\nbody\n");

	cr_assert_eq(m->root->kind, MIME_MESSAGE);
	cr_assert_str_eq(section(m, "1"), "Subject: in\r\n\r\nbody\r\n");
	cr_assert_str_eq(section(m, "1.1"), "body\r\n");
	cr_assert_str_eq(section(m, "1.HEADER"), "Subject: in\r\n\r\n");
	cr_assert_str_eq(section(m, "1.1.1"), "ERR no such part");
	cr_assert_str_eq(section(m, "HEADER"),
	    "Content-Type: message/rfc822\r\n\r\n");
}

Test(mime_parse, every_prefix_gives_a_sane_tree)
{
	struct buf *full = mime_testdata_load("nested-rfc822.eml");

	for (size_t n = 0; n <= full->len; n++) {
		uint8_t *copy = pool_alloc(pool, n + 1);
		struct mime_message *m;

		memcpy(copy, full->data, n);
		m = mime_parse(pool, copy, n, &lim);
		for (const struct mime_part *p = m->root; p != NULL;
		    p = mime_part_next(m->root, p)) {
			cr_assert_leq(p->body_off + p->body_size, n);
			cr_assert_eq(p->body_off, p->hdr_off + p->hdr_size);
		}
	}
	buf_free(&full);
}

Test(mime_parse, missing_close_delimiter)
{
	struct mime_message *m = parse_file("missing-end.eml");

	cr_assert_eq(m->root->kind, MIME_MULTIPART);
	cr_assert_eq(m->root->n_children, 2);
	cr_assert(m->root->flags & MIME_FLAG_NO_END);
	cr_assert_str_eq(body(m, m->root->children), "one");
	cr_assert_str_eq(body(m, m->root->children->next), "two\r\n");
}

Test(mime_parse, boundary_never_found_makes_a_leaf)
{
	struct mime_message *m = parse_file("wrong-boundary.eml");

	cr_assert_eq(m->root->kind, MIME_LEAF);
	cr_assert(m->root->flags & MIME_FLAG_NO_BOUNDARY);
	cr_assert_eq(m->n_parts, 1);
	m = parse_text("Content-Type: multipart/mixed\n\n--x\n\nbody\n");
	cr_assert_eq(m->root->kind, MIME_LEAF);
	cr_assert(m->root->flags & MIME_FLAG_NO_BOUNDARY);
}

Test(mime_parse, boundary_prefixes_and_padding)
{
	/* "--ab" must not end parts of boundary "a"; padding after a
	 * delimiter is allowed; LF-only line ends */
	const char *t = "Content-Type: multipart/mixed; boundary=a\n\n"
	    "--a  \n\n--ab\n--a\n\nsecond\n--a--\n";
	struct mime_message *m;

	msg = buf_new(64, 1024);
	buf_append_str(msg, t);
	m = mime_parse(pool, msg->data, msg->len, &lim);
	cr_assert_eq(m->root->n_children, 2);
	cr_assert_str_eq(body(m, m->root->children), "--ab");
	cr_assert_str_eq(body(m, m->root->children->next), "second");
}

Test(mime_parse, part_without_header_end)
{
	struct mime_message *m = parse_text("Content-Type: multipart/mixed; "
	    "boundary=b\n\n--b\nContent-Type: text/plain\n--b--\n");

	cr_assert_eq(m->root->n_children, 1);
	cr_assert(m->root->children->flags & MIME_FLAG_NO_HEADER_END);
	cr_assert_eq(m->root->children->body_size, 0);
}

Test(mime_parse, text_without_charset_gets_us_ascii)
{
	struct mime_message *m = parse_text("Content-Type: text/plain; "
	    "format=flowed\n\nx");

	cr_assert_eq(m->root->params.n, 2);
	cr_assert_str_eq(m->root->params.v[1].name, "charset");
	cr_assert_str_eq(mime_part_charset(m->root), "us-ascii");
	buf_free(&msg);
	m = parse_text("Content-Type: image/png\n\nx");
	cr_assert_eq(m->root->params.n, 0);
	buf_free(&msg);
	m = parse_text("Content-Type: garbage; a=b\n\nx");
	cr_assert_str_eq(m->root->type, "text");
	cr_assert_eq(m->root->params.n, 1);
}

Test(mime_parse, digest_children_default_to_rfc822)
{
	struct mime_message *m = parse_text("Content-Type: multipart/digest; "
	    "boundary=d\n\n--d\n\nSubject: in\n\nhello\n--d--\n");
	struct mime_part *p = m->root->children;

	cr_assert_str_eq(p->type, "message");
	cr_assert_eq(p->kind, MIME_MESSAGE);
	cr_assert_str_eq(section(m, "1.HEADER"), "Subject: in\r\n\r\n");
	cr_assert_str_eq(section(m, "1.1"), "hello");
}

Test(mime_parse, encoded_rfc822_is_a_leaf)
{
	struct mime_message *m = parse_text("Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQp5\n");

	cr_assert_eq(m->root->kind, MIME_LEAF);
}

/* depth levels of multipart/mixed, each holding the next and a text. */
static struct buf *
nested(size_t depth)
{
	struct buf *b = buf_new(4096, 1 << 20);

	for (size_t i = 0; i < depth; i++)
		buf_printf(b, "Content-Type: multipart/mixed; boundary=b%zu\r\n"
		    "\r\n--b%zu\r\n", i, i);
	buf_append_str(b, "Content-Type: text/plain\r\n\r\nleaf\r\n");
	for (size_t i = depth; i-- > 0;)
		buf_printf(b, "--b%zu--\r\n", i);
	return b;
}

/* The deepest part of the first-child chain. */
static const struct mime_part *
deepest(const struct mime_message *m)
{
	const struct mime_part *p = m->root;

	while (p->children != NULL)
		p = p->children;
	return p;
}

Test(mime_parse, depth_limit_at_max_and_past_it)
{
	struct mime_message *m;

	msg = nested(3);	/* root + 2 more multiparts + the text */
	lim.depth_max = 4;
	m = mime_parse(pool, msg->data, msg->len, &lim);
	cr_assert_eq(deepest(m)->depth, 3);
	cr_assert_eq(m->flags & MIME_FLAG_DEPTH_LIMIT, 0);
	lim.depth_max = 3;
	m = mime_parse(pool, msg->data, msg->len, &lim);
	cr_assert_eq(deepest(m)->depth, 3);
	cr_assert_str_eq(deepest(m)->type, "text");
	cr_assert_eq(m->flags & MIME_FLAG_DEPTH_LIMIT, 0);
	lim.depth_max = 2;
	m = mime_parse(pool, msg->data, msg->len, &lim);
	cr_assert_eq(deepest(m)->depth, 2);
	cr_assert_str_eq(deepest(m)->type, "multipart");
	cr_assert_eq(deepest(m)->kind, MIME_LEAF);
	cr_assert(deepest(m)->flags & MIME_FLAG_DEPTH_LIMIT);
}

Test(mime_parse, default_depth_limit_stops_deep_nesting)
{
	struct mime_message *m;

	msg = nested(200);
	m = mime_parse(pool, msg->data, msg->len, &lim);
	cr_assert_eq(deepest(m)->depth, MIME_DEPTH_MAX_DEFAULT);
	cr_assert(m->flags & MIME_FLAG_DEPTH_LIMIT);
	cr_assert_eq(m->n_parts, MIME_DEPTH_MAX_DEFAULT + 1);
}

Test(mime_parse, parts_limit_at_max_and_past_it)
{
	const char *t = "Content-Type: multipart/mixed; boundary=p\n\n"
	    "--p\n\n1\n--p\n\n2\n--p\n\n3\n--p--\n";
	struct mime_message *m;

	lim.parts_max = 4;	/* the root and three parts */
	m = parse_text(t);
	cr_assert_eq(m->root->n_children, 3);
	cr_assert_eq(m->n_parts, 4);
	buf_free(&msg);
	lim.parts_max = 3;
	m = parse_text(t);
	cr_assert_eq(m->root->kind, MIME_LEAF);
	cr_assert(m->flags & MIME_FLAG_PARTS_LIMIT);
	cr_assert_eq(m->n_parts, 1);
}

Test(mime_parse, header_limit_flags_the_part)
{
	struct mime_message *m;

	lim.header_count_max = 1;
	m = parse_text("Subject: a\nContent-Type: text/html\n\nx");
	cr_assert(m->root->flags & MIME_FLAG_HEADER_LIMIT);
	cr_assert_str_eq(m->root->subtype, "plain");	/* field not read */
	cr_assert_str_eq(body(m, m->root), "x");
}

Test(mime_parse, text_of_parts)
{
	struct mime_message *m = parse_text("Content-Type: multipart/mixed; "
	    "boundary=t\n\n--t\nContent-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n\nCaf=E9\n"
	    "--t\nContent-Type: text/html; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n\nPHA+SGk8L3A+\n"
	    "--t\nContent-Type: text/plain; charset=x-unknown\n\nok\xc3\xa9\n"
	    "--t--\n");
	struct mime_part *p = m->root->children;
	struct buf *out = buf_new(64, 1024);

	cr_assert_eq(mime_part_text(m, p, out), 0);
	cr_assert_str_eq(buf_cstr(out), "Caf\xc3\xa9");
	buf_reset(out);
	cr_assert_eq(mime_part_text(m, p->next, out), 0);
	cr_assert_str_eq(buf_cstr(out), "Hi");
	buf_reset(out);
	cr_assert_eq(mime_part_text(m, p->next->next, out), 0);
	cr_assert_str_eq(buf_cstr(out), "ok\xc3\xa9");
	buf_free(&out);
	out = buf_new(2, 3);
	cr_assert_eq(mime_part_text(m, p, out), -1);
	cr_assert_eq(out->len, 0);
	buf_free(&out);
}

Test(mime_parse, empty_and_tiny_inputs)
{
	const char *inputs[] = { "", "\n", "\r\n\r\n", "X", "--", "A: b" };

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct mime_message *m = mime_parse(pool,
		    (const uint8_t *)inputs[i], strlen(inputs[i]), &lim);

		cr_assert_not_null(m->root);
		cr_assert_leq(m->root->body_off + m->root->body_size,
		    strlen(inputs[i]));
	}
}

Test(mime_parse, header_text_decodes_encoded_words)
{
	struct mime_message *m = parse_file("alternative.eml");
	const char *s;

	cr_assert_str_eq(mime_header_text(pool, m, m->root, "subject", 100),
	    "Caf\xc3\xa9 meeting");
	cr_assert_str_eq(mime_header_text(pool, m, m->root, "From", 100),
	    "Andr\xc3\xa9 Martin <andre@example.org>");
	cr_assert_null(mime_header_text(pool, m, m->root, "Cc", 100));
	s = mime_header_text(pool, m, m->root, "subject", 5);
	cr_assert_leq(strlen(s), 5);
	cr_assert_eq(strncmp(s, "=?ISO", strlen(s)), 0, "%s", s);
	s = mime_header_text(pool, m, m->root, "subject", 13);
	cr_assert_str_eq(s, "Caf\xc3\xa9 meeting");
	s = mime_header_text(pool, m, m->root, "subject", 12);
	cr_assert_leq(strlen(s), 12);
}
