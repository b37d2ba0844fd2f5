/*
 * tests/unit/mtad/milter_proto_test.c - the milter protocol coder and
 * strict reply decoder (mtad/milter_proto.c), milter socket addresses
 * (mtad/milter_config.c) and header edits on a header block
 * (session_edit_headers, mtad/session_edit.c), and that every
 * [milter.NAME] key is documented in tessera.conf(5); the queue writer's
 * read-back, new-version and hold/ commit that apply them.
 */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/msg_header.h"
#include "lib/pool.h"
#include "mtad/milter_config.h"
#include "mtad/milter_proto.h"
#include "mtad/queue.h"
#include "mtad/session_int.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

/* Decode packet cmd + payload p[n]. */
static int
parse(char cmd, const void *p, size_t n, struct milter_reply *r,
    const char **err)
{
	static uint8_t pkt[70000];

	pkt[0] = (uint8_t)cmd;
	memcpy(pkt + 1, p, n);
	pkt[n + 1] = '\0';
	return milter_reply_parse(pkt, n + 1, r, err);
}

#define S(lit) (lit), sizeof(lit) - 1

Test(milter_proto, frame_lengths_are_bounded)
{
	uint8_t h[4];
	uint32_t n;
	size_t len;
	const char *err;

	n = htonl(0);
	memcpy(h, &n, 4);
	cr_assert_eq(milter_frame_len(h, 100, &len, &err), -1);
	n = htonl(100);
	memcpy(h, &n, 4);
	cr_assert_eq(milter_frame_len(h, 100, &len, &err), 0);
	cr_assert_eq(len, 100);
	n = htonl(101);
	memcpy(h, &n, 4);
	cr_assert_eq(milter_frame_len(h, 100, &len, &err), -1);
	cr_assert_str_eq(err, "packet larger than max_packet_size");
}

Test(milter_proto, simple_replies_have_no_payload)
{
	struct milter_reply r;
	const char *err;

	cr_assert_eq(parse('c', "", 0, &r, &err), 0);
	cr_assert_eq(r.cmd, 'c');
	cr_assert(milter_reply_is_final('c'));
	cr_assert(!milter_reply_is_final('h'));
	cr_assert_eq(parse('a', S("x"), &r, &err), -1);
	cr_assert_str_eq(err, "trailing bytes in reply");
	cr_assert_eq(parse('Z', "", 0, &r, &err), -1);
	cr_assert_str_eq(err, "unknown reply command");
}

Test(milter_proto, optneg)
{
	uint32_t v[4] = { htonl(6), htonl(0x1ff), htonl(0x400), htonl(2) };
	uint8_t b[40];
	struct milter_reply r;
	const char *err;

	cr_assert_eq(parse('O', v, 12, &r, &err), 0);
	cr_assert_eq(r.version, 6);
	cr_assert_eq(r.actions, 0x1ff);
	cr_assert_eq(r.protocol, 0x400);
	cr_assert_eq(parse('O', v, 11, &r, &err), -1);
	memcpy(b, v, 16);
	memcpy(b + 16, "{i}\0", 4);
	cr_assert_eq(parse('O', b, 20, &r, &err), 0);
	cr_assert_eq(parse('O', b, 19, &r, &err), -1);	/* unterminated */
	v[0] = htonl(7);
	cr_assert_eq(parse('O', v, 12, &r, &err), -1);
	cr_assert_str_eq(err, "unsupported milter protocol version");
}

Test(milter_proto, replycode_is_validated)
{
	struct milter_reply r;
	const char *err;

	cr_assert_eq(parse('y', S("550 5.7.1 Go away\0"), &r, &err), 0);
	cr_assert_eq(r.code, 550);
	cr_assert_str_eq(r.enh, "5.7.1");
	cr_assert_str_eq(r.text, "Go away");
	cr_assert_eq(parse('y', S("451 later\0"), &r, &err), 0);
	cr_assert_str_eq(r.enh, "");
	cr_assert_str_eq(r.text, "later");
	cr_assert_eq(parse('y', S("250 2.0.0 ok\0"), &r, &err), -1);
	cr_assert_eq(parse('y', S("550 4.7.1 mixed\0"), &r, &err), -1);
	cr_assert_str_eq(err, "bad enhanced status code");
	cr_assert_eq(parse('y', S("550 5.7.1 a\r\nInjected: x\0"), &r, &err),
	    -1);
	cr_assert_eq(parse('y', S("55\0"), &r, &err), -1);
	cr_assert_eq(parse('y', S("550 5.7.1 no nul"), &r, &err), -1);
	/* smfi_setmlreply */
	cr_assert_eq(parse('y', S("550-5.7.1 one\r\n550-5.7.1 two\r\n"
	    "550 5.7.1 three\0"), &r, &err), 0, "%s", err);
	cr_assert_str_eq(r.text, "one\ntwo\nthree");
	cr_assert_str_eq(r.enh, "5.7.1");
	cr_assert_eq(parse('y', S("550-5.7.1 one\r\n551 5.7.1 two\0"), &r,
	    &err), -1);
	cr_assert_str_eq(err, "reply lines with different codes");
	cr_assert_eq(parse('y', S("550 5.7.1 one\r\n550 5.7.1 two\0"), &r,
	    &err), -1);
	cr_assert_eq(parse('y', S("550-5.7.1 one\r\n550-5.7.1 two\0"), &r,
	    &err), -1);
	cr_assert_eq(parse('y', S("550-5.7.1 one\r\n550 5.7.2 two\0"), &r,
	    &err), -1);
	cr_assert_eq(parse('y', S("550-5.7.1 one\n550 5.7.1 two\0"), &r,
	    &err), -1);
}

Test(milter_proto, headers_are_validated)
{
	struct milter_reply r;
	const char *err;

	cr_assert_eq(parse('h', S("X-A\0v\n\tfolded\0"), &r, &err), 0);
	cr_assert_str_eq(r.name, "X-A");
	cr_assert_str_eq(r.value, "v\n\tfolded");
	cr_assert_eq(parse('h', S("X-A\0v\r\nInjected: yes\0"), &r, &err),
	    -1);
	cr_assert_str_eq(err, "bad header value");
	cr_assert_eq(parse('h', S("X-A\0v\n\n\0"), &r, &err), -1);
	cr_assert_eq(parse('h', S("X A\0v\0"), &r, &err), -1);
	cr_assert_str_eq(err, "bad header name");
	cr_assert_eq(parse('h', S("X:A\0v\0"), &r, &err), -1);
	cr_assert_eq(parse('h', S("\0v\0"), &r, &err), -1);
	cr_assert_eq(parse('h', S("X-A\0\0"), &r, &err), -1);
	cr_assert_eq(parse('m', S("\0\0\0\1Subject\0\0"), &r, &err), 0);
	cr_assert_eq(r.index, 1);
	cr_assert_str_eq(r.value, "");
	cr_assert_eq(parse('i', S("\0\0\0"), &r, &err), -1);
}

Test(milter_proto, addresses_and_body)
{
	struct milter_reply r;
	const char *err;

	cr_assert_eq(parse('+', S("<b@example.test>\0"), &r, &err), 0);
	cr_assert_str_eq(r.addr, "<b@example.test>");
	cr_assert_eq(parse('+', S("\0"), &r, &err), -1);
	cr_assert_eq(parse('-', S("<b@exa\nmple>\0"), &r, &err), -1);
	cr_assert_eq(parse('e', S("<>\0"), &r, &err), 0);
	cr_assert_eq(parse('e', S("<a@b.test>\0SIZE=1\0"), &r, &err), 0);
	cr_assert_str_eq(r.args, "SIZE=1");
	cr_assert_eq(parse('b', S("any\0bytes"), &r, &err), 0);
	cr_assert_eq(r.body_len, 9);
	cr_assert_eq(parse('q', S("why\0"), &r, &err), 0);
	cr_assert_str_eq(r.reason, "why");
	cr_assert_eq(parse('q', S("w\ty\0"), &r, &err), -1);
}

Test(milter_proto, encoders)
{
	struct buf *b = buf_new(64, 4096);
	const char *s[] = { "<a@b>", "SIZE=1" };
	const char *mac[] = { "j", "mx", "{x}", NULL, "i", "Q1" };

	cr_assert_eq(milter_put_strings(b, 'M', s, 2), 0);
	cr_assert_eq(b->len, 4 + 1 + 6 + 7);
	cr_assert_eq(memcmp(b->data, "\0\0\0\16M<a@b>\0SIZE=1\0", 18), 0);
	buf_reset(b);
	cr_assert_eq(milter_put_macros(b, 'C', mac, 3), 0);
	cr_assert_eq(memcmp(b->data, "\0\0\0\14DCj\0mx\0i\0Q1\0", 16), 0);
	cr_assert_eq(b->len, 16);
	buf_reset(b);
	cr_assert_eq(milter_put_connect(b, "[1.2.3.4]", "1.2.3.4", 25), 0);
	cr_assert_eq(memcmp(b->data + 4, "C[1.2.3.4]\0" "4\0\031" "1.2.3.4\0",
	    22), 0);
	buf_free(&b);
	b = buf_new(8, 8);
	cr_assert_eq(milter_put_strings(b, 'R', s, 1), -1);
	buf_free(&b);
}

Test(milter_config, socket_addresses)
{
	struct milter_addr a;
	const char *err;

	cr_assert_eq(milter_addr_parse("unix:/run/m.sock", &a, &err), 0);
	cr_assert(a.is_unix);
	cr_assert_str_eq(a.path, "/run/m.sock");
	cr_assert_eq(milter_addr_parse("inet:127.0.0.1:8891", &a, &err), 0);
	cr_assert_str_eq(a.host, "127.0.0.1");
	cr_assert_str_eq(a.port, "8891");
	cr_assert_eq(milter_addr_parse("inet:8891@localhost", &a, &err), 0);
	cr_assert_str_eq(a.host, "localhost");
	cr_assert_eq(milter_addr_parse("inet:[::1]:25", &a, &err), 0);
	cr_assert_str_eq(a.host, "::1");
	cr_assert_eq(milter_addr_parse("inet:host:0", &a, &err), -1);
	cr_assert_eq(milter_addr_parse("inet:host:65536", &a, &err), -1);
	cr_assert_eq(milter_addr_parse("inet::25", &a, &err), -1);
	cr_assert_eq(milter_addr_parse("unix:rel", &a, &err), -1);
	cr_assert_eq(milter_addr_parse("tcp:x", &a, &err), -1);
}

/* Apply edits to a header block; the result. */
static char *
edit(const char *block, const struct mtad_header_edit *ed, size_t n)
{
	struct pool *pool = pool_new("t");
	struct msg_limits lim;
	struct msg_headers h;
	struct buf *out = buf_new(256, 65536);
	const char *err;
	size_t end;
	char *s;

	msg_limits_defaults(&lim);
	cr_assert_eq(msg_header_parse((const uint8_t *)block, strlen(block),
	    &lim, pool, &h, &err), 0);
	end = h.size - (h.has_blank_line ? 2 : 0);
	cr_assert_eq(session_edit_headers((const uint8_t *)block, &h, end, ed,
	    n, out), 0);
	s = strdup(buf_cstr(out));
	buf_free(&out);
	pool_free(&pool);
	return s;
}

Test(session_edit, header_operations_in_order)
{
	const char *blk = "A: 1\r\nB: 2\r\n\tcont\r\nA: 3\r\n\r\n";
	struct mtad_header_edit ed[] = {
		{ MTAD_HDR_ADD, 0, "Z", "end\n\tfold" },
		{ MTAD_HDR_INSERT, 0, "T", "top" },
		{ MTAD_HDR_CHANGE, 2, "a", "three" },
		{ MTAD_HDR_CHANGE, 1, "B", "" },
		{ MTAD_HDR_CHANGE, 5, "C", "new" },
		{ MTAD_HDR_CHANGE, 1, "Nope", "" },
		{ MTAD_HDR_INSERT, 99, "L", "last" },
	};
	char *s = edit(blk, ed, sizeof(ed) / sizeof(ed[0]));

	cr_assert_str_eq(s, "T: top\r\nA: 1\r\na: three\r\n"
	    "Z: end\r\n\tfold\r\nC: new\r\nL: last\r\n");
	free(s);
	s = edit(blk, NULL, 0);
	cr_assert_str_eq(s, "A: 1\r\nB: 2\r\n\tcont\r\nA: 3\r\n");
	free(s);
}

Test(milter_config, every_key_is_documented)
{
	cr_assert_gt(docs_check_sections(&milter_config_def, 1), 0);
}

/* The queue writer's parts the EOM edits use: read back what was
 * written, a changed copy under the same id, commit into hold/, and
 * recovery of a copy left behind by a crash. */
Test(session_edit, queue_writer_new_version_and_hold)
{
	char tmpl[] = "/tmp/milter-q.XXXXXX";
	struct pool *pool = pool_new("t");
	struct queue_env env;
	struct queue_rcpt rc = { .addr = "a@example.test", .orcpt = "" };
	struct queue_recover_stats st;
	struct queue *q;
	struct queue_writer *w, *v;
	struct queue_msg *m;
	const char *err;
	char buf[16], id[QUEUE_ID_MAX], path[256];

	cr_assert_not_null(mkdtemp(tmpl));
	q = queue_open(tmpl, NULL, pool, &err);
	cr_assert_not_null(q, "%s", err);
	w = queue_writer_new(q, NULL, pool, &err);
	cr_assert_not_null(w, "%s", err);
	cr_assert_eq(queue_writer_write(w, "hello world", 11, &err), 0);
	cr_assert_eq(queue_writer_pread(w, 6, buf, sizeof(buf), &err), 5);
	cr_assert_eq(memcmp(buf, "world", 5), 0);
	cr_assert_eq(queue_writer_pread(w, 11, buf, sizeof(buf), &err), 0);
	v = queue_writer_new_version(w, &err);
	cr_assert_not_null(v, "%s", err);
	cr_assert_str_eq(queue_writer_id(v), queue_writer_id(w));
	snprintf(id, sizeof(id), "%s", queue_writer_id(w));
	cr_assert_null(queue_writer_new_version(w, &err));	/* taken */
	cr_assert_eq(queue_writer_write(v, "changed\r\n", 9, &err), 0);
	queue_writer_abort(&w);
	queue_writer_set_dir(v, QUEUE_HOLD);
	memset(&env, 0, sizeof(env));
	env.sender = "";
	env.rcpts = &rc;
	env.nrcpts = 1;
	cr_assert_eq(queue_writer_commit(&v, &env, &err), 0, "%s", err);
	cr_assert_eq(queue_msg_open(q, QUEUE_INCOMING, id, pool, &m, &err),
	    QUEUE_MSG_NOTFOUND);
	cr_assert_eq(queue_msg_open(q, QUEUE_HOLD, id, pool, &m, &err),
	    QUEUE_MSG_OK, "%s", err);
	cr_assert_eq(m->env.size, 9);
	queue_msg_close(&m);
	/* a crash mid-rewrite leaves ID.m.tmp: recovery removes it */
	w = queue_writer_new(q, NULL, pool, &err);
	v = queue_writer_new_version(w, &err);
	cr_assert_not_null(v);
	snprintf(path, sizeof(path), "%s/queue/incoming/%s.m.tmp", tmpl,
	    queue_writer_id(w));
	cr_assert_eq(access(path, F_OK), 0);
	cr_assert_eq(queue_recover(q, pool, &st, &err), 0, "%s", err);
	cr_assert_eq(st.temps_removed, 2);
	cr_assert_neq(access(path, F_OK), 0);
	queue_writer_abort(&v);
	queue_writer_abort(&w);
	queue_close(&q);
	pool_free(&pool);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
		cr_assert_eq(system(cmd), 0);
	}
}
