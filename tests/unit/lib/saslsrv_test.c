/*
 * tests/unit/lib/saslsrv_test.c - unit tests for lib/saslsrv.c.
 *
 * Uses the real libsasl2 and its installed plugins (libsasl2-modules)
 * in-process: the server side is saslsrv, the client side either a real
 * Cyrus client (sasl_client_new with AUTHNAME/USER/PASS callbacks) or
 * hand-built messages for what a real client never sends. The password
 * check is the test's own small user table, standing in for the daemon's
 * directory bind. Each test runs in its own process (Criterion), so
 * Cyrus' process-wide state starts fresh every time.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <sasl/sasl.h>
#include <sasl/saslplug.h>
#include <sasl/saslutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/saslsrv.h"
#include "tests/unit/sasl_plugins.h"
#include "lib/banned.h"

/* ---- the daemon's password check ------------------------------------- */

struct checks {
	int calls;
	char user[512];
	size_t passlen;
};

static struct checks checks;

static enum saslsrv_check
checkpass(void *ctx, const char *user, const char *pass, size_t passlen)
{
	struct checks *c = ctx;

	c->calls++;
	snprintf(c->user, sizeof(c->user), "%s", user);
	c->passlen = passlen;
	if (strcmp(user, "carol") == 0)
		return SASLSRV_CHECK_TEMPFAIL;
	if (strcmp(user, "bob") == 0)
		return SASLSRV_CHECK_DISABLED;
	if (strcmp(user, "alice") != 0)
		return SASLSRV_CHECK_NOUSER;
	if (passlen == 6 && memcmp(pass, "secret", 6) == 0)
		return SASLSRV_CHECK_OK;
	return SASLSRV_CHECK_BADPASS;
}

static bool
allow_alice_as_bob(void *ctx, const char *authn, const char *authz)
{
	return strcmp(authn, "alice") == 0 && strcmp(authz, "bob") == 0;
}

static const char *const plain_login[] = { "PLAIN", "LOGIN", NULL };

static void
setup(void)
{
	const char *err = NULL;

	sasl_plugins_keep_gssapi_mapped();
	memset(&checks, 0, sizeof(checks));
	cr_assert_eq(saslsrv_init("tessera-test", NULL, 0, &err), 0, "%s", err);
	cr_assert_eq(sasl_client_init(NULL), SASL_OK);
}

static void
teardown(void)
{
	sasl_client_done();
	saslsrv_done();
}

TestSuite(saslsrv, .init = setup, .fini = teardown, .timeout = 30);

static struct saslsrv *
new_session(const char *const *mechs, bool plaintext_ok, unsigned ssf)
{
	struct saslsrv_params p = {
		.service = "smtp",
		.server_fqdn = "localhost",
		.local_addr = "127.0.0.1;25",
		.remote_addr = "127.0.0.1;40000",
		.external_ssf = ssf,
		.plaintext_ok = plaintext_ok,
		.mechs = mechs,
		.checkpass = checkpass,
		.checkpass_ctx = &checks,
	};
	const char *err = NULL;
	struct saslsrv *s = saslsrv_new(&p, &err);

	cr_assert_not_null(s, "%s", err);
	return s;
}

/* Run a hand-built PLAIN message through a fresh session. */
static enum saslsrv_result
plain(struct saslsrv *s, const char *msg, size_t len)
{
	struct buf *out = buf_new(64, 4096);
	enum saslsrv_result r;

	r = saslsrv_start(s, "PLAIN", (const uint8_t *)msg, len, true, out);
	buf_free(&out);
	return r;
}

#define PLAIN(s, lit) plain((s), (lit), sizeof(lit) - 1)

/* ---- a real Cyrus client ---------------------------------------------- */

struct client {
	sasl_conn_t *conn;
	sasl_callback_t cbs[4];
	const char *authname;
	const char *user;
	sasl_secret_t *secret;
};

static int
client_simple(void *ctx, int id, const char **result, unsigned *len)
{
	struct client *c = ctx;

	*result = id == SASL_CB_AUTHNAME ? c->authname : c->user;
	if (len != NULL)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

static int
client_pass(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **psecret)
{
	struct client *c = ctx;

	*psecret = c->secret;
	return SASL_OK;
}

#define CB(fn) ((sasl_callback_ft)(void (*)(void))(fn))

static void
client_new(struct client *c, const char *authname, const char *user,
    const char *pass)
{
	size_t len = strlen(pass);

	memset(c, 0, sizeof(*c));
	c->authname = authname;
	c->user = user;
	c->secret = calloc(1, sizeof(sasl_secret_t) + len);
	c->secret->len = len;
	memcpy(c->secret->data, pass, len);
	c->cbs[0] = (sasl_callback_t){ SASL_CB_AUTHNAME, CB(client_simple), c };
	c->cbs[1] = (sasl_callback_t){ SASL_CB_USER, CB(client_simple), c };
	c->cbs[2] = (sasl_callback_t){ SASL_CB_PASS, CB(client_pass), c };
	c->cbs[3] = (sasl_callback_t){ SASL_CB_LIST_END, NULL, NULL };
	cr_assert_eq(sasl_client_new("smtp", "localhost", NULL, NULL, c->cbs, 0,
	    &c->conn), SASL_OK);
}

static void
client_free(struct client *c)
{
	sasl_dispose(&c->conn);
	free(c->secret);
}

/* Full exchange between a Cyrus client and s with mechanism mech;
 * *rounds_out counts the server challenges. */
static enum saslsrv_result
exchange(struct saslsrv *s, struct client *c, const char *mech,
    int *rounds_out)
{
	struct buf *chal = buf_new(64, 4096);
	const char *out = NULL, *chosen = NULL;
	unsigned outlen = 0;
	enum saslsrv_result r;
	int cr, rounds = 0;

	cr = sasl_client_start(c->conn, mech, NULL, &out, &outlen, &chosen);
	cr_assert(cr == SASL_OK || cr == SASL_CONTINUE, "client start %d", cr);
	cr_assert_str_eq(chosen, mech);
	r = saslsrv_start(s, chosen, (const uint8_t *)out, outlen,
	    out != NULL, chal);
	while (r == SASLSRV_CONTINUE && rounds < 10) {
		rounds++;
		cr = sasl_client_step(c->conn, (const char *)chal->data,
		    (unsigned)chal->len, NULL, &out, &outlen);
		cr_assert(cr == SASL_OK || cr == SASL_CONTINUE, "step %d", cr);
		r = saslsrv_step(s, (const uint8_t *)out, outlen, chal);
	}
	if (rounds_out != NULL)
		*rounds_out = rounds;
	buf_free(&chal);
	return r;
}

/* ---- offered mechanisms ------------------------------------------------ */

Test(saslsrv, offers_allowed_mechanisms_in_order)
{
	static const char *const mechs[] = { "LOGIN", "PLAIN", NULL };
	struct saslsrv *s = new_session(mechs, true, 256);

	cr_assert_str_eq(saslsrv_mechs(s), "LOGIN PLAIN");
	saslsrv_free(&s);
	cr_assert_null(s);
	saslsrv_free(&s);
}

Test(saslsrv, plaintext_mechanisms_withheld_without_tls)
{
	static const char *const mechs[] = { "PLAIN", "CRAM-MD5", "LOGIN", NULL };
	struct saslsrv *s = new_session(mechs, false, 0);

	cr_assert_str_eq(saslsrv_mechs(s), "CRAM-MD5");
	saslsrv_free(&s);
	s = new_session(plain_login, false, 0);
	cr_assert_str_eq(saslsrv_mechs(s), "");
	saslsrv_free(&s);
}

Test(saslsrv, mechanisms_not_allowed_are_not_offered)
{
	static const char *const mechs[] = { "PLAIN", "X-TESSERA-NONE", NULL };
	struct saslsrv *s = new_session(mechs, true, 0);
	struct buf *out = buf_new(64, 4096);

	/* ANONYMOUS, CRAM-MD5, SCRAM... are loaded but not allowed;
	 * X-TESSERA-NONE is allowed but no plugin provides it */
	cr_assert_str_eq(saslsrv_mechs(s), "PLAIN");
	cr_assert_eq(saslsrv_start(s, "X-TESSERA-NONE", NULL, 0, false, out),
	    SASLSRV_FAIL_MECH);
	cr_assert_str_eq(saslsrv_fail_reason(s), "mech_unavailable");
	cr_assert_eq(saslsrv_start(s, "ANONYMOUS", NULL, 0, false, out),
	    SASLSRV_FAIL_MECH);
	cr_assert_str_eq(saslsrv_fail_reason(s), "mech_not_allowed");
	buf_free(&out);
	saslsrv_free(&s);
}

/* ---- PLAIN ---------------------------------------------------------------- */

Test(saslsrv, plain_with_cyrus_client)
{
	struct saslsrv *s = new_session(plain_login, true, 256);
	struct client c;
	int rounds;

	client_new(&c, "alice", "", "secret");
	cr_assert_eq(exchange(s, &c, "PLAIN", &rounds), SASLSRV_DONE, "%s",
	    saslsrv_fail_reason(s));
	cr_assert_eq(rounds, 0);
	cr_assert_str_eq(saslsrv_user(s), "alice");
	cr_assert_str_eq(saslsrv_authn(s), "alice");
	cr_assert_str_eq(saslsrv_fail_reason(s), "");
	cr_assert_eq(checks.calls, 1);
	cr_assert_str_eq(checks.user, "alice");
	cr_assert_eq(checks.passlen, 6);
	client_free(&c);
	saslsrv_free(&s);
}

Test(saslsrv, plain_hand_built_ok_and_identity_only_after_done)
{
	struct saslsrv *s = new_session(plain_login, true, 0);

	cr_assert_null(saslsrv_user(s));
	cr_assert_eq(PLAIN(s, "\0alice\0secret"), SASLSRV_DONE);
	cr_assert_str_eq(saslsrv_user(s), "alice");
	saslsrv_free(&s);
}

Test(saslsrv, plain_without_initial_response_gets_empty_challenge)
{
	struct saslsrv *s = new_session(plain_login, true, 0);
	struct buf *out = buf_new(64, 4096);

	cr_assert_eq(saslsrv_start(s, "plain", NULL, 0, false, out),
	    SASLSRV_CONTINUE);
	cr_assert_eq(out->len, 0);
	cr_assert_eq(saslsrv_step(s, (const uint8_t *)"\0alice\0secret", 13,
	    out), SASLSRV_DONE);
	buf_free(&out);
	saslsrv_free(&s);
}

Test(saslsrv, plain_bad_password)
{
	struct saslsrv *s = new_session(plain_login, true, 0);
	struct client c;

	client_new(&c, "alice", "", "wrong");
	cr_assert_eq(exchange(s, &c, "PLAIN", NULL), SASLSRV_FAIL_AUTH);
	cr_assert_str_eq(saslsrv_fail_reason(s), "bad_password");
	cr_assert_null(saslsrv_user(s));
	client_free(&c);
	saslsrv_free(&s);
}

Test(saslsrv, unknown_user_disabled_and_tempfail_are_distinct)
{
	struct saslsrv *s = new_session(plain_login, true, 0);

	cr_assert_eq(PLAIN(s, "\0dave\0secret"), SASLSRV_FAIL_AUTH);
	cr_assert_str_eq(saslsrv_fail_reason(s), "no_user");
	cr_assert_eq(PLAIN(s, "\0bob\0secret"), SASLSRV_FAIL_AUTH);
	cr_assert_str_eq(saslsrv_fail_reason(s), "disabled");
	cr_assert_eq(PLAIN(s, "\0carol\0secret"), SASLSRV_FAIL_TEMP);
	cr_assert_str_eq(saslsrv_fail_reason(s), "tempfail");
	cr_assert_eq(checks.calls, 3);
	/* and the session still works after failures */
	cr_assert_eq(PLAIN(s, "\0alice\0secret"), SASLSRV_DONE);
	saslsrv_free(&s);
}

Test(saslsrv, malformed_plain)
{
	struct saslsrv *s = new_session(plain_login, true, 0);

	cr_assert_eq(PLAIN(s, ""), SASLSRV_FAIL_PROTO);
	cr_assert_str_eq(saslsrv_fail_reason(s), "malformed");
	cr_assert_eq(PLAIN(s, "alice"), SASLSRV_FAIL_PROTO);
	cr_assert_eq(PLAIN(s, "\0alice"), SASLSRV_FAIL_PROTO);
	cr_assert_eq(PLAIN(s, "\0alice\0secret\0"), SASLSRV_FAIL_PROTO);
	cr_assert_eq(PLAIN(s, "\0\0secret"), SASLSRV_FAIL_PROTO);
	cr_assert_str_eq(saslsrv_fail_reason(s), "bad_username");
	cr_assert_eq(PLAIN(s, "\0 alice\0secret"), SASLSRV_FAIL_PROTO);
	cr_assert_eq(PLAIN(s, "\0ali\x01" "ce\0secret"), SASLSRV_FAIL_PROTO);
	cr_assert_str_eq(saslsrv_fail_reason(s), "bad_username");
	cr_assert_eq(checks.calls, 0);
	saslsrv_free(&s);
}

Test(saslsrv, empty_password_never_reaches_checkpass)
{
	struct saslsrv *s = new_session(plain_login, true, 0);

	cr_assert_eq(PLAIN(s, "\0alice\0"), SASLSRV_FAIL_AUTH);
	cr_assert_str_eq(saslsrv_fail_reason(s), "empty_password");
	cr_assert_eq(checks.calls, 0);
	saslsrv_free(&s);
}

Test(saslsrv, authz_different_from_authn)
{
	struct saslsrv *s = new_session(plain_login, true, 0);
	struct saslsrv_params p = {
		.service = "imap", .server_fqdn = "localhost",
		.plaintext_ok = true, .mechs = plain_login,
		.checkpass = checkpass, .checkpass_ctx = &checks,
		.authz = allow_alice_as_bob,
	};
	const char *err;
	struct client c;

	cr_assert_eq(PLAIN(s, "bob\0alice\0secret"), SASLSRV_FAIL_AUTHZ);
	cr_assert_str_eq(saslsrv_fail_reason(s), "authz_refused");
	cr_assert_null(saslsrv_user(s));
	cr_assert_eq(PLAIN(s, "alice\0alice\0secret"), SASLSRV_DONE);
	cr_assert_str_eq(saslsrv_user(s), "alice");
	saslsrv_free(&s);

	s = new_session(plain_login, true, 0);
	client_new(&c, "alice", "bob", "secret");
	cr_assert_eq(exchange(s, &c, "PLAIN", NULL), SASLSRV_FAIL_AUTHZ);
	client_free(&c);
	saslsrv_free(&s);

	/* a caller policy may allow it */
	s = saslsrv_new(&p, &err);
	cr_assert_not_null(s);
	cr_assert_eq(PLAIN(s, "bob\0alice\0secret"), SASLSRV_DONE);
	cr_assert_str_eq(saslsrv_user(s), "bob");
	cr_assert_str_eq(saslsrv_authn(s), "alice");
	saslsrv_free(&s);
}

/* ---- LOGIN ------------------------------------------------------------------ */

Test(saslsrv, login_two_steps_by_hand)
{
	struct saslsrv *s = new_session(plain_login, true, 0);
	struct buf *out = buf_new(64, 4096);

	cr_assert_eq(saslsrv_start(s, "LOGIN", NULL, 0, false, out),
	    SASLSRV_CONTINUE);
	cr_assert_str_eq(buf_cstr(out), "Username:");
	cr_assert_eq(saslsrv_step(s, (const uint8_t *)"alice", 5, out),
	    SASLSRV_CONTINUE);
	cr_assert_str_eq(buf_cstr(out), "Password:");
	cr_assert_eq(saslsrv_step(s, (const uint8_t *)"secret", 6, out),
	    SASLSRV_DONE);
	cr_assert_str_eq(saslsrv_user(s), "alice");
	cr_assert_eq(out->len, 0);
	buf_free(&out);
	saslsrv_free(&s);
}

Test(saslsrv, login_with_initial_username)
{
	struct saslsrv *s = new_session(plain_login, true, 0);
	struct buf *out = buf_new(64, 4096);

	cr_assert_eq(saslsrv_start(s, "LOGIN", (const uint8_t *)"alice", 5,
	    true, out), SASLSRV_CONTINUE);
	cr_assert_str_eq(buf_cstr(out), "Password:");
	cr_assert_eq(saslsrv_step(s, (const uint8_t *)"nope", 4, out),
	    SASLSRV_FAIL_AUTH);
	cr_assert_str_eq(saslsrv_fail_reason(s), "bad_password");
	/* the exchange is over: a further step is a sequence error */
	cr_assert_eq(saslsrv_step(s, (const uint8_t *)"secret", 6, out),
	    SASLSRV_FAIL_PROTO);
	cr_assert_str_eq(saslsrv_fail_reason(s), "no_exchange");
	buf_free(&out);
	saslsrv_free(&s);
}

Test(saslsrv, login_with_cyrus_client)
{
	struct saslsrv *s = new_session(plain_login, true, 0);
	struct client c;
	int rounds;

	client_new(&c, "alice", "", "secret");
	cr_assert_eq(exchange(s, &c, "LOGIN", &rounds), SASLSRV_DONE, "%s",
	    saslsrv_fail_reason(s));
	cr_assert_geq(rounds, 1);
	cr_assert_str_eq(saslsrv_user(s), "alice");
	client_free(&c);
	saslsrv_free(&s);
}

Test(saslsrv, login_password_with_nul_is_malformed)
{
	struct saslsrv *s = new_session(plain_login, true, 0);
	struct buf *out = buf_new(64, 4096);

	cr_assert_eq(saslsrv_start(s, "LOGIN", (const uint8_t *)"alice", 5,
	    true, out), SASLSRV_CONTINUE);
	cr_assert_eq(saslsrv_step(s, (const uint8_t *)"sec\0ret", 7, out),
	    SASLSRV_FAIL_PROTO);
	cr_assert_str_eq(saslsrv_fail_reason(s), "bad_password_data");
	cr_assert_eq(checks.calls, 0);
	buf_free(&out);
	saslsrv_free(&s);
}

/* ---- mechanism and plaintext rules ------------------------------------ */

Test(saslsrv, unknown_mechanism)
{
	struct saslsrv *s = new_session(plain_login, true, 0);
	struct buf *out = buf_new(64, 4096);

	cr_assert_eq(saslsrv_start(s, "FOO", NULL, 0, false, out),
	    SASLSRV_FAIL_MECH);
	cr_assert_str_eq(saslsrv_fail_reason(s), "mech_not_allowed");
	cr_assert_eq(saslsrv_start(s, "", NULL, 0, false, out),
	    SASLSRV_FAIL_MECH);
	cr_assert_eq(saslsrv_start(s, "PLAIN PLAIN", NULL, 0, false, out),
	    SASLSRV_FAIL_MECH);
	cr_assert_eq(saslsrv_start(s, "ABCDEFGHIJKLMNOPQRSTU", NULL, 0, false,
	    out), SASLSRV_FAIL_MECH);
	buf_free(&out);
	saslsrv_free(&s);
}

Test(saslsrv, plaintext_refused_without_tls)
{
	struct saslsrv *s = new_session(plain_login, false, 0);
	struct buf *out = buf_new(64, 4096);

	cr_assert_eq(saslsrv_start(s, "PLAIN", (const uint8_t *)"\0alice\0secret",
	    13, true, out), SASLSRV_FAIL_ENCRYPT);
	cr_assert_str_eq(saslsrv_fail_reason(s), "plaintext_refused");
	cr_assert_eq(saslsrv_start(s, "LOGIN", NULL, 0, false, out),
	    SASLSRV_FAIL_ENCRYPT);
	cr_assert_eq(checks.calls, 0);
	buf_free(&out);
	saslsrv_free(&s);
	/* the caller's rule holds even if it reports a TLS strength */
	s = new_session(plain_login, false, 256);
	cr_assert_str_eq(saslsrv_mechs(s), "");
	cr_assert_eq(PLAIN(s, "\0alice\0secret"), SASLSRV_FAIL_ENCRYPT);
	saslsrv_free(&s);
}

/* ---- sequence and limits -------------------------------------------------- */

Test(saslsrv, sequence_errors)
{
	struct saslsrv *s = new_session(plain_login, true, 0);
	struct buf *out = buf_new(64, 4096);

	cr_assert_eq(saslsrv_step(s, (const uint8_t *)"x", 1, out),
	    SASLSRV_FAIL_PROTO);
	cr_assert_str_eq(saslsrv_fail_reason(s), "no_exchange");
	cr_assert_eq(PLAIN(s, "\0alice\0secret"), SASLSRV_DONE);
	cr_assert_eq(PLAIN(s, "\0alice\0secret"), SASLSRV_FAIL_PROTO);
	cr_assert_str_eq(saslsrv_fail_reason(s), "already_authenticated");
	cr_assert_eq(saslsrv_step(s, (const uint8_t *)"x", 1, out),
	    SASLSRV_FAIL_PROTO);
	cr_assert_str_eq(saslsrv_fail_reason(s), "already_authenticated");
	/* the identity survives the refused extra attempts */
	cr_assert_str_eq(saslsrv_user(s), "alice");
	buf_free(&out);
	saslsrv_free(&s);
}

/* PLAIN message "\0alice\0" + password padded to total length len. */
static enum saslsrv_result
plain_of_len(struct saslsrv *s, size_t len)
{
	char *msg = malloc(len);
	enum saslsrv_result r;

	memcpy(msg, "\0alice\0", 7);
	memset(msg + 7, 'p', len - 7);
	r = plain(s, msg, len);
	free(msg);
	return r;
}

Test(saslsrv, input_length_limit)
{
	struct saslsrv *s = new_session(plain_login, true, 0);

	cr_assert_eq(plain_of_len(s, SASLSRV_INPUT_MAX - 1), SASLSRV_FAIL_AUTH);
	cr_assert_eq(checks.passlen, SASLSRV_INPUT_MAX - 8);
	cr_assert_eq(plain_of_len(s, SASLSRV_INPUT_MAX), SASLSRV_FAIL_AUTH);
	cr_assert_eq(checks.passlen, SASLSRV_INPUT_MAX - 7);
	cr_assert_eq(plain_of_len(s, SASLSRV_INPUT_MAX + 1), SASLSRV_FAIL_PROTO);
	cr_assert_str_eq(saslsrv_fail_reason(s), "input_too_long");
	cr_assert_eq(checks.calls, 2);
	saslsrv_free(&s);
}

static enum saslsrv_result
plain_user_of_len(struct saslsrv *s, size_t ulen)
{
	char msg[512];

	msg[0] = '\0';
	memset(msg + 1, 'u', ulen);
	msg[1 + ulen] = '\0';
	memcpy(msg + 2 + ulen, "secret", 6);
	return plain(s, msg, ulen + 8);
}

Test(saslsrv, username_length_limit)
{
	struct saslsrv *s = new_session(plain_login, true, 0);

	cr_assert_eq(plain_user_of_len(s, SASLSRV_USER_MAX - 1),
	    SASLSRV_FAIL_AUTH);
	cr_assert_str_eq(saslsrv_fail_reason(s), "no_user");
	cr_assert_eq(strlen(checks.user), SASLSRV_USER_MAX - 1);
	cr_assert_eq(plain_user_of_len(s, SASLSRV_USER_MAX), SASLSRV_FAIL_AUTH);
	cr_assert_eq(strlen(checks.user), SASLSRV_USER_MAX);
	cr_assert_eq(plain_user_of_len(s, SASLSRV_USER_MAX + 1),
	    SASLSRV_FAIL_PROTO);
	cr_assert_str_eq(saslsrv_fail_reason(s), "bad_username");
	cr_assert_eq(checks.calls, 2);
	saslsrv_free(&s);
}

Test(saslsrv, challenge_larger_than_out_buffer_fails)
{
	struct saslsrv *s = new_session(plain_login, true, 0);
	struct buf *out = buf_new(4, 4);

	cr_assert_eq(saslsrv_start(s, "LOGIN", NULL, 0, false, out),
	    SASLSRV_FAIL_TEMP);
	cr_assert_str_eq(saslsrv_fail_reason(s), "sasl_error");
	buf_free(&out);
	saslsrv_free(&s);
}

/* ---- set-up errors ---------------------------------------------------- */

Test(saslsrv, bad_session_parameters)
{
	static const char *const bad[] = { "PLAIN", "lower", NULL };
	static const char *const spaced[] = { "PL AIN", NULL };
	struct saslsrv_params p = {
		.service = "smtp", .server_fqdn = "localhost",
		.mechs = plain_login,
	};
	const char *err = NULL;

	cr_assert_null(saslsrv_new(&p, &err));
	cr_assert_str_eq(err, "missing service, server name, mechanisms or "
	    "password check");
	p.checkpass = checkpass;
	p.server_fqdn = NULL;
	cr_assert_null(saslsrv_new(&p, &err));
	p.server_fqdn = "localhost";
	p.mechs = bad;
	cr_assert_null(saslsrv_new(&p, &err));
	cr_assert_str_eq(err, "bad mechanism name");
	p.mechs = spaced;
	cr_assert_null(saslsrv_new(&p, &err));
}

Test(saslsrv, init_twice_and_reserved_options)
{
	static const struct saslsrv_option reserved[] = {
		{ "pwcheck_method", "saslauthd" },
	};
	const char *err = NULL;

	cr_assert_eq(saslsrv_init("tessera-test", NULL, 0, &err), -1);
	cr_assert_str_eq(err, "saslsrv_init called twice");
	saslsrv_done();
	cr_assert_eq(saslsrv_init("tessera-test", reserved, 1, &err), -1);
	cr_assert_str_eq(err, "reserved SASL option");
}

Test(saslsrv, new_before_init_fails)
{
	struct saslsrv_params p = {
		.service = "smtp", .server_fqdn = "localhost",
		.mechs = plain_login, .checkpass = checkpass,
	};
	const char *err = NULL;

	saslsrv_done();
	cr_assert_null(saslsrv_new(&p, &err));
	cr_assert_str_eq(err, "saslsrv_init was not called");
}

/* A process-wide mech_list option does not override a session's list:
 * the session answers Cyrus' mech_list query itself. */
Test(saslsrv, session_mech_list_wins_over_process_option)
{
	static const struct saslsrv_option opts[] = {
		{ "mech_list", "LOGIN" },
	};
	const char *err = NULL;
	struct saslsrv *s;

	saslsrv_done();
	cr_assert_eq(saslsrv_init("tessera-test", opts, 1, &err), 0);
	s = new_session(plain_login, true, 0);
	cr_assert_str_eq(saslsrv_mechs(s), "PLAIN LOGIN");
	saslsrv_free(&s);
}

/* Cyrus would read APP.conf from SASL_CONF_PATH (default /etc/sasl2 and
 * others); a plugin_list there would replace every mechanism. saslsrv
 * refuses config files, so a hostile one changes nothing. */
Test(saslsrv, host_sasl_config_files_are_ignored)
{
	char dir[] = "/tmp/saslsrv_test.XXXXXX", path[128], cmd[160];
	const char *err = NULL;
	struct saslsrv *s;
	FILE *f;

	teardown();	/* start again with the environment set */
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tessera-test.conf", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "plugin_list: %s/none\nmech_list: ANONYMOUS\n", dir);
	fclose(f);
	cr_assert_eq(setenv("SASL_CONF_PATH", dir, 1), 0);
	cr_assert_eq(saslsrv_init("tessera-test", NULL, 0, &err), 0, "%s", err);
	cr_assert_eq(sasl_client_init(NULL), SASL_OK);
	s = new_session(plain_login, true, 0);
	cr_assert_str_eq(saslsrv_mechs(s), "PLAIN LOGIN");
	cr_assert_eq(PLAIN(s, "\0alice\0secret"), SASLSRV_DONE);
	saslsrv_free(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* Cyrus retries a refused password with its own verifiers and looks
 * users up in auxprop plugins; saslsrv keeps both quiet and local, so a
 * failed login logs nothing at info level (the daemon logs it once, with
 * saslsrv_fail_reason). */
Test(saslsrv, failed_logins_do_not_reach_host_verifiers)
{
	struct saslsrv *s = new_session(plain_login, true, 0);
	char path[] = "/tmp/saslsrv_log.XXXXXX", text[4096];
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n;

	cr_assert_geq(fd, 0);
	log_init("saslsrv_test", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	    LOG_LEVEL_INFO);
	dup2(fd, STDERR_FILENO);
	cr_assert_eq(PLAIN(s, "\0alice\0wrong"), SASLSRV_FAIL_AUTH);
	cr_assert_eq(PLAIN(s, "\0dave\0secret"), SASLSRV_FAIL_AUTH);
	cr_assert_eq(PLAIN(s, "\0carol\0secret"), SASLSRV_FAIL_TEMP);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	cr_assert_geq(n, 0);
	text[n] = '\0';
	cr_assert_str_eq(text, "");
	close(fd);
	unlink(path);
	saslsrv_free(&s);
}

/* A host sasldb that knows alice with another password must never let
 * her in: only the daemon's checkpass decides. The sasldb is made with
 * saslpasswd2 (sasl2-bin) and offered through the sasldb_path option. */
Test(saslsrv, host_sasldb_passwords_are_never_accepted)
{
	char dir[] = "/tmp/saslsrv_db.XXXXXX", db[128], cmd[512];
	struct saslsrv_option opts[] = { { "sasldb_path", db } };
	const char *err = NULL;
	struct saslsrv *s;

	if (access("/usr/sbin/saslpasswd2", X_OK) != 0)
		cr_skip_test("saslpasswd2 (sasl2-bin) not installed");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/sasldb", dir);
	snprintf(cmd, sizeof(cmd), "printf hostpass | /usr/sbin/saslpasswd2 "
	    "-f '%s' -p -c -u localhost alice && printf hostpass | "
	    "/usr/sbin/saslpasswd2 -f '%s' -p -c -u localhost erin", db, db);
	cr_assert_eq(system(cmd), 0);
	teardown();
	cr_assert_eq(saslsrv_init("tessera-test", opts, 1, &err), 0, "%s", err);
	cr_assert_eq(sasl_client_init(NULL), SASL_OK);
	s = new_session(plain_login, true, 0);
	cr_assert_eq(PLAIN(s, "\0alice\0hostpass"), SASLSRV_FAIL_AUTH);
	cr_assert_str_eq(saslsrv_fail_reason(s), "bad_password");
	cr_assert_eq(PLAIN(s, "\0erin\0hostpass"), SASLSRV_FAIL_AUTH);
	cr_assert_str_eq(saslsrv_fail_reason(s), "no_user");
	cr_assert_eq(PLAIN(s, "\0alice\0secret"), SASLSRV_DONE);
	saslsrv_free(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* ---- base64 -------------------------------------------------------------- */

Test(saslsrv, b64_decode_strict)
{
	struct buf *out = buf_new(64, 4096);
	static const char *const bad[] = {
		"!!!!", "Zm9", "Zm9v\n", "Zm9v Zm9v", "Zm=v", "Zg==Zg==",
		"Zh==", "Zm9=", "=Zm9", "Zg=", "Z===", "Zm9v====", "Zm\0v",
	};
	size_t i;

	cr_assert_eq(saslsrv_b64_decode("Zm9v", 4, out), 0);
	cr_assert_str_eq(buf_cstr(out), "foo");
	cr_assert_eq(saslsrv_b64_decode("Zm8=", 4, out), 0);
	cr_assert_str_eq(buf_cstr(out), "fo");
	cr_assert_eq(saslsrv_b64_decode("Zg==", 4, out), 0);
	cr_assert_str_eq(buf_cstr(out), "f");
	cr_assert_eq(saslsrv_b64_decode("", 0, out), 0);
	cr_assert_eq(out->len, 0);
	cr_assert_eq(saslsrv_b64_decode("AGFsaWNlAHNlY3JldA==", 20, out), 0);
	cr_assert_eq(out->len, 13);
	cr_assert_arr_eq(out->data, "\0alice\0secret", 13);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = i == 12 ? 4 : strlen(bad[i]);

		cr_assert_eq(saslsrv_b64_decode(bad[i], len, out), -1, "%zu", i);
		cr_assert_eq(out->len, 0);
	}
	out->max = 2;
	cr_assert_eq(saslsrv_b64_decode("Zm9v", 4, out), -1);
	buf_free(&out);
}

/* Our encoder against Cyrus' own, every length 0..64; and back. */
Test(saslsrv, b64_matches_cyrus_and_round_trips)
{
	struct buf *ours = buf_new(64, 4096), *back = buf_new(64, 4096);
	uint8_t data[64];
	char theirs[256];
	unsigned tlen;
	size_t len, i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37 + 11);
	for (len = 0; len <= sizeof(data); len++) {
		cr_assert_eq(saslsrv_b64_encode(data, len, ours), 0);
		cr_assert_eq(sasl_encode64((const char *)data, (unsigned)len,
		    theirs, sizeof(theirs), &tlen), SASL_OK);
		cr_assert_eq(ours->len, tlen);
		cr_assert_arr_eq(ours->data, theirs, tlen);
		cr_assert_eq(saslsrv_b64_decode(buf_cstr(ours), ours->len,
		    back), 0);
		cr_assert_eq(back->len, len);
		cr_assert_arr_eq(back->data, data, len);
	}
	ours->max = 3;
	cr_assert_eq(saslsrv_b64_encode(data, 1, ours), -1);
	buf_free(&ours);
	buf_free(&back);
}

Test(saslsrv, result_names)
{
	cr_assert_str_eq(saslsrv_result_name(SASLSRV_DONE), "done");
	cr_assert_str_eq(saslsrv_result_name(SASLSRV_FAIL_ENCRYPT),
	    "fail_encrypt");
	cr_assert_str_eq(saslsrv_result_name((enum saslsrv_result)99),
	    "unknown");
}
