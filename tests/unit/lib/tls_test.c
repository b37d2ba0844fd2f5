/*
 * tests/unit/lib/tls_test.c - unit tests for lib/tls.c (with lib/stream.c).
 *
 * Real handshakes over TCP on 127.0.0.1 (kernel-chosen port) between a
 * server thread and the test thread, with certificates made at test time
 * (tests/unit/lib/testcert.c): protocol and cipher reported, data both
 * ways, chain and host name verification, SNI certificate selection, and
 * every error path of the context constructors.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/str.h"
#include "lib/stream.h"
#include "lib/tls.h"
#include "tests/unit/lib/testcert.h"
#include "tests/unit/lib/testnet.h"
#include "lib/banned.h"

#define WAIT_MS 5000

/* What the server thread saw; read by the test thread after the join. */
struct server_run {
	int lfd;
	struct tls_server *tls;
	int accept_fd;
	int hs_rc;
	enum stream_err hs_err;
	char version[32];
	char cipher[64];
	char sni[256];
	int line_rc;
	char line[256];
	int again_rc;	/* a second stream_start_tls_server */
	int eof_rc;
};

static struct testcert tc;

static void
setup(void)
{
	const char *err = NULL;

	cr_assert_eq(testcert_make(&tc, &err), 0, "testcert: %s", err);
}

static void
teardown(void)
{
	testcert_remove(&tc);
}

static void
copy_or_empty(char *dst, size_t size, const char *src)
{
	(void)str_copy(dst, size, src != NULL ? src : "");
}

/* Accept, handshake, read one line, answer it, then wait for the end. */
static void *
server_main(void *arg)
{
	struct server_run *r = arg;
	struct stream *s;
	const char *line;
	size_t len;

	r->accept_fd = testnet_accept(r->lfd, WAIT_MS);
	if (r->accept_fd == -1)
		return NULL;
	s = stream_new(r->accept_fd);
	stream_set_timeouts(s, WAIT_MS, WAIT_MS);
	r->hs_rc = stream_start_tls_server(s, r->tls);
	r->hs_err = stream_error(s);
	if (r->hs_rc == 0) {
		copy_or_empty(r->version, sizeof(r->version),
		    stream_tls_version(s));
		copy_or_empty(r->cipher, sizeof(r->cipher),
		    stream_tls_cipher(s));
		copy_or_empty(r->sni, sizeof(r->sni),
		    stream_tls_server_name(s));
		r->again_rc = stream_start_tls_server(s, r->tls);
		r->line_rc = stream_read_line(s, 200, &line, &len);
		if (r->line_rc == 1) {
			memcpy(r->line, line, len);
			(void)stream_printf(s, "reply to %.*s", (int)len, line);
			(void)stream_flush(s);
			r->eof_rc = stream_read_line(s, 200, &line, &len);
		}
	}
	stream_free(&s);
	return NULL;
}

/* Start a server thread on a fresh listener; returns the port. */
static int
server_start(pthread_t *th, struct server_run *r, struct tls_server *t)
{
	int port = 0;

	memset(r, 0, sizeof(*r));
	r->tls = t;
	r->hs_rc = r->line_rc = r->eof_rc = -2;
	r->lfd = testnet_listen(&port);
	cr_assert_neq(r->lfd, -1);
	cr_assert_eq(pthread_create(th, NULL, server_main, r), 0);
	return port;
}

static void
server_join(pthread_t th, struct server_run *r)
{
	cr_assert_eq(pthread_join(th, NULL), 0);
	close(r->lfd);
}

static struct tls_server *
server_ctx(bool both)
{
	struct tls_server *t;
	const char *err = NULL;

	t = tls_server_new(NULL, &err);
	cr_assert_not_null(t, "%s", err);
	cr_assert_eq(tls_server_add_cert(t, tc.server_cert, tc.server_key,
	    &err), 0, "%s", err);
	if (both)
		cr_assert_eq(tls_server_add_cert(t, tc.server2_cert,
		    tc.server2_key, &err), 0, "%s", err);
	return t;
}

/* Connect a TLS client to port; returns the stream, or NULL with
 * *hs_err and errtext set if the handshake failed. */
static struct stream *
client_connect(int port, const char *ca, bool verify, const char *name,
    enum stream_err *hs_err, char *errtext, size_t errsize)
{
	struct tls_client *c;
	struct stream *s;
	const char *err = NULL;
	int fd;

	c = tls_client_new(ca, NULL, verify, &err);
	cr_assert_not_null(c, "%s", err);
	fd = testnet_connect(port);
	cr_assert_neq(fd, -1);
	s = stream_new(fd);
	stream_set_timeouts(s, WAIT_MS, WAIT_MS);
	if (stream_start_tls_client(s, c, name) == -1) {
		*hs_err = stream_error(s);
		copy_or_empty(errtext, errsize, stream_error_text(s));
		stream_free(&s);
	}
	tls_client_free(&c);
	return s;
}

Test(tls, handshake_reports_version_cipher_and_carries_data,
    .init = setup, .fini = teardown, .timeout = 10)
{
	struct tls_server *t = server_ctx(false);
	struct server_run r;
	struct stream *s;
	enum stream_err e = STREAM_OK;
	char errtext[256] = "";
	const char *line;
	size_t len;
	pthread_t th;
	int port;

	port = server_start(&th, &r, t);
	s = client_connect(port, tc.ca, true, TESTCERT_HOST, &e, errtext,
	    sizeof(errtext));
	cr_assert_not_null(s, "handshake failed: %s", errtext);
	cr_assert(stream_is_tls(s));
	cr_assert_str_eq(stream_tls_version(s), "TLS1.3");
	cr_assert_not_null(stream_tls_cipher(s));
	cr_assert_gt(strlen(stream_tls_cipher(s)), 0);
	cr_assert_null(stream_tls_server_name(s));	/* client side */

	cr_assert_eq(stream_printf(s, "ping %d\r\n", 42), 0);
	cr_assert_eq(stream_flush(s), 0);
	cr_assert_eq(stream_read_line(s, 200, &line, &len), 1);
	cr_assert_eq(len, strlen("reply to ping 42\r\n"));
	cr_assert_eq(memcmp(line, "reply to ping 42\r\n", len), 0);
	stream_free(&s);	/* close_notify: the server sees a clean end */
	server_join(th, &r);

	cr_assert_eq(r.hs_rc, 0);
	cr_assert_str_eq(r.version, "TLS1.3");
	cr_assert_gt(strlen(r.cipher), 0);
	cr_assert_str_eq(r.sni, TESTCERT_HOST);
	cr_assert_eq(r.again_rc, -1, "second STARTTLS must fail");
	cr_assert_eq(r.line_rc, 1);
	cr_assert_str_eq(r.line, "ping 42\r\n");
	cr_assert_eq(r.eof_rc, 0);
	tls_server_free(&t);
	cr_assert_null(t);
}

Test(tls, tls12_only_priority_negotiates_tls12, .init = setup,
    .fini = teardown, .timeout = 10)
{
	struct tls_server *t;
	struct server_run r;
	struct stream *s;
	enum stream_err e = STREAM_OK;
	char errtext[256] = "";
	const char *err = NULL;
	pthread_t th;
	int port;

	t = tls_server_new("NORMAL:-VERS-ALL:+VERS-TLS1.2", &err);
	cr_assert_not_null(t, "%s", err);
	cr_assert_eq(tls_server_add_cert(t, tc.server_cert, tc.server_key,
	    &err), 0, "%s", err);
	port = server_start(&th, &r, t);
	s = client_connect(port, tc.ca, true, TESTCERT_HOST, &e, errtext,
	    sizeof(errtext));
	cr_assert_not_null(s, "handshake failed: %s", errtext);
	cr_assert_str_eq(stream_tls_version(s), "TLS1.2");
	cr_assert_eq(stream_printf(s, "x\n"), 0);
	cr_assert_eq(stream_flush(s), 0);
	stream_free(&s);
	server_join(th, &r);
	cr_assert_str_eq(r.version, "TLS1.2");
	cr_assert_str_eq(r.line, "x\n");
	tls_server_free(&t);
}

Test(tls, verification_accepts_ip_literal_in_san, .init = setup,
    .fini = teardown, .timeout = 10)
{
	struct tls_server *t = server_ctx(false);
	struct server_run r;
	struct stream *s;
	enum stream_err e = STREAM_OK;
	char errtext[256] = "";
	pthread_t th;
	int port;

	port = server_start(&th, &r, t);
	s = client_connect(port, tc.ca, true, "127.0.0.1", &e, errtext,
	    sizeof(errtext));
	cr_assert_not_null(s, "handshake failed: %s", errtext);
	stream_free(&s);
	server_join(th, &r);
	cr_assert_eq(r.hs_rc, 0);
	cr_assert_str_eq(r.sni, "", "no SNI for an IP literal");
	tls_server_free(&t);
}

Test(tls, verification_fails_against_unrelated_ca, .init = setup,
    .fini = teardown, .timeout = 10)
{
	struct tls_server *t = server_ctx(false);
	struct server_run r;
	struct stream *s;
	enum stream_err e = STREAM_OK;
	char errtext[256] = "";
	pthread_t th;
	int port;

	port = server_start(&th, &r, t);
	s = client_connect(port, tc.other_ca, true, TESTCERT_HOST, &e,
	    errtext, sizeof(errtext));
	cr_assert_null(s);
	cr_assert_eq(e, STREAM_ERR_TLS);
	cr_assert_not_null(strstr(errtext, "verification failed"), "%s",
	    errtext);
	server_join(th, &r);
	cr_assert_neq(r.line_rc, 1, "server must not get data");
	tls_server_free(&t);
}

Test(tls, verification_fails_for_wrong_host_name, .init = setup,
    .fini = teardown, .timeout = 10)
{
	struct tls_server *t = server_ctx(false);
	struct server_run r;
	struct stream *s;
	enum stream_err e = STREAM_OK;
	char errtext[256] = "";
	pthread_t th;
	int port;

	port = server_start(&th, &r, t);
	s = client_connect(port, tc.ca, true, "wrong.example.test", &e,
	    errtext, sizeof(errtext));
	cr_assert_null(s);
	cr_assert_eq(e, STREAM_ERR_TLS);
	cr_assert_not_null(strstr(errtext, "does not match"), "%s", errtext);
	server_join(th, &r);
	tls_server_free(&t);
}

Test(tls, no_verification_accepts_unknown_ca, .init = setup,
    .fini = teardown, .timeout = 10)
{
	struct tls_server *t = server_ctx(false);
	struct server_run r;
	struct stream *s;
	enum stream_err e = STREAM_OK;
	char errtext[256] = "";
	pthread_t th;
	int port;

	port = server_start(&th, &r, t);
	s = client_connect(port, NULL, false, "wrong.example.test", &e,
	    errtext, sizeof(errtext));
	cr_assert_not_null(s, "handshake failed: %s", errtext);
	stream_free(&s);
	server_join(th, &r);
	cr_assert_eq(r.hs_rc, 0);
	tls_server_free(&t);
}

Test(tls, sni_selects_second_certificate, .init = setup, .fini = teardown,
    .timeout = 10)
{
	struct tls_server *t = server_ctx(true);
	struct server_run r;
	struct stream *s;
	enum stream_err e = STREAM_OK;
	char errtext[256] = "";
	pthread_t th;
	int port;

	cr_assert_eq(tls_server_cert_count(t), 2);
	/* Verification of TESTCERT_HOST2 only passes if the server chose
	 * the second certificate, the only one naming it. */
	port = server_start(&th, &r, t);
	s = client_connect(port, tc.ca, true, TESTCERT_HOST2, &e, errtext,
	    sizeof(errtext));
	cr_assert_not_null(s, "handshake failed: %s", errtext);
	stream_free(&s);
	server_join(th, &r);
	cr_assert_str_eq(r.sni, TESTCERT_HOST2);

	/* And the first one stays the default for other names. */
	port = server_start(&th, &r, t);
	s = client_connect(port, tc.ca, true, TESTCERT_HOST, &e, errtext,
	    sizeof(errtext));
	cr_assert_not_null(s, "handshake failed: %s", errtext);
	stream_free(&s);
	server_join(th, &r);
	cr_assert_str_eq(r.sni, TESTCERT_HOST);
	tls_server_free(&t);
}

Test(tls, default_certificate_for_unknown_sni, .init = setup,
    .fini = teardown, .timeout = 10)
{
	struct tls_server *t = server_ctx(true);
	struct server_run r;
	struct stream *s;
	enum stream_err e = STREAM_OK;
	char errtext[256] = "";
	pthread_t th;
	int port;

	/* Asked for a name no certificate has, the server presents the
	 * first (TESTCERT_HOST) one: verification fails on the name. */
	port = server_start(&th, &r, t);
	s = client_connect(port, tc.ca, true, "other.example.test", &e,
	    errtext, sizeof(errtext));
	cr_assert_null(s);
	cr_assert_not_null(strstr(errtext, "does not match"), "%s", errtext);
	server_join(th, &r);
	tls_server_free(&t);
}

Test(tls, bad_priority_string_is_refused)
{
	const char *err = NULL;

	cr_assert_null(tls_server_new("NORMAL:+NO-SUCH-THING", &err));
	cr_assert_not_null(err);
	cr_assert_not_null(strstr(err, "priority"), "%s", err);
	err = NULL;
	cr_assert_null(tls_client_new(NULL, "BOGUS", false, &err));
	cr_assert_not_null(strstr(err, "priority"), "%s", err);
	cr_assert_null(tls_server_new("", NULL));	/* err_out optional */
}

Test(tls, missing_cert_file_is_named, .init = setup, .fini = teardown)
{
	struct tls_server *t = tls_server_new(NULL, NULL);
	const char *err = NULL;

	cr_assert_eq(tls_server_add_cert(t, "/nonexistent/cert.pem",
	    tc.server_key, &err), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/cert.pem"), "%s", err);
	cr_assert_not_null(strstr(err, "No such file"), "%s", err);
	cr_assert_eq(tls_server_add_cert(t, tc.server_cert,
	    "/nonexistent/key.pem", &err), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/key.pem"), "%s", err);
	cr_assert_eq(tls_server_cert_count(t), 0);
	tls_server_free(&t);
}

Test(tls, key_not_matching_cert_is_refused, .init = setup, .fini = teardown)
{
	struct tls_server *t = tls_server_new(NULL, NULL);
	const char *err = NULL;

	cr_assert_eq(tls_server_add_cert(t, tc.server_cert, tc.server2_key,
	    &err), -1);
	cr_assert_not_null(strstr(err, "does not match"), "%s", err);
	cr_assert_not_null(strstr(err, tc.server2_key), "%s", err);
	cr_assert_eq(tls_server_cert_count(t), 0);
	cr_assert_eq(tls_server_add_cert(t, tc.server_cert, tc.server_key,
	    &err), 0);
	cr_assert_eq(tls_server_cert_count(t), 1);
	tls_server_free(&t);
}

Test(tls, unparsable_cert_file_is_named, .init = setup, .fini = teardown)
{
	struct tls_server *t = tls_server_new(NULL, NULL);
	const char *err = NULL;

	/* A key where the certificate should be. */
	cr_assert_eq(tls_server_add_cert(t, tc.server_key, tc.server_key,
	    &err), -1);
	cr_assert_not_null(strstr(err, "certificate file"), "%s", err);
	cr_assert_not_null(strstr(err, tc.server_key), "%s", err);
	/* A certificate where the key should be. */
	cr_assert_eq(tls_server_add_cert(t, tc.server_cert, tc.server_cert,
	    &err), -1);
	cr_assert_not_null(strstr(err, "key file"), "%s", err);
	cr_assert_not_null(strstr(err, tc.server_cert), "%s", err);
	tls_server_free(&t);
}

Test(tls, client_ca_file_errors_are_named, .init = setup, .fini = teardown)
{
	const char *err = NULL;

	cr_assert_null(tls_client_new("/nonexistent/ca.pem", NULL, true,
	    &err));
	cr_assert_not_null(strstr(err, "/nonexistent/ca.pem"), "%s", err);
	cr_assert_null(tls_client_new(tc.server_key, NULL, true, &err));
	cr_assert_not_null(strstr(err, tc.server_key), "%s", err);
}

Test(tls, free_is_null_safe)
{
	struct tls_server *t = NULL;
	struct tls_client *c = NULL;

	tls_server_free(&t);
	tls_server_free(NULL);
	tls_client_free(&c);
	tls_client_free(NULL);
	c = tls_client_new(NULL, NULL, false, NULL);
	cr_assert_not_null(c);
	tls_client_free(&c);
	cr_assert_null(c);
}

Test(tls, server_without_certificate_fails_handshake_start, .timeout = 10)
{
	struct tls_server *t = tls_server_new(NULL, NULL);
	struct stream *s;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s = stream_new(sv[0]);
	cr_assert_eq(stream_start_tls_server(s, t), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TLS);
	cr_assert_not_null(strstr(stream_error_text(s), "no certificate"));
	cr_assert(!stream_is_tls(s));
	stream_free(&s);
	close(sv[1]);
	tls_server_free(&t);
}

Test(tls, verifying_client_needs_a_host_name, .init = setup,
    .fini = teardown, .timeout = 10)
{
	struct tls_client *c = tls_client_new(tc.ca, NULL, true, NULL);
	struct stream *s;
	int sv[2];

	cr_assert_not_null(c);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s = stream_new(sv[0]);
	cr_assert_eq(stream_start_tls_client(s, c, NULL), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TLS);
	cr_assert_not_null(strstr(stream_error_text(s), "host name"));
	stream_free(&s);
	close(sv[1]);
	tls_client_free(&c);
}

Test(tls, handshake_times_out_on_silent_peer, .init = setup,
    .fini = teardown, .timeout = 10)
{
	struct tls_client *c = tls_client_new(tc.ca, NULL, true, NULL);
	struct stream *s;
	const char *line;
	size_t len;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s = stream_new(sv[0]);
	stream_set_timeouts(s, 200, 200);
	cr_assert_eq(stream_start_tls_client(s, c, TESTCERT_HOST), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TIMEOUT);
	/* A failed handshake leaves the stream unusable. */
	cr_assert_eq(stream_read_line(s, 100, &line, &len), -1);
	cr_assert_eq(stream_write(s, "x", 1), -1);
	cr_assert_eq(stream_error(s), STREAM_ERR_TIMEOUT);
	stream_free(&s);
	close(sv[1]);
	tls_client_free(&c);
}
