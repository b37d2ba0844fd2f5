/*
 * tests/unit/directory/dir_proto_test.c - the lookup protocol: every
 * request and answer round trip, every bound at max and max+1, every
 * malformed-message path of both decoders, and the [lookup] section
 * (checks, socket path, documentation).
 *
 * Hermetic: messages travel through a socketpair, nothing else.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/dns_config.h"
#include "lib/ipc.h"
#include "lib/pool.h"
#include "lib/settings.h"
#include "directory/dir_client.h"
#include "directory/dir_config.h"
#include "directory/dir_lookupd.h"
#include "directory/dir_proto.h"
#include "tests/unit/docs_check.h"
#include "lib/banned.h"

static struct pool *pool;
static struct dir_proto_limits lim;

static void
t_init(void)
{
	pool = pool_new("test");
	dir_proto_limits_default(&lim);
}

static void
t_fini(void)
{
	pool_free(&pool);
}

TestSuite(dir_proto, .init = t_init, .fini = t_fini);

/* Send m (freed) through a socketpair into *in. */
static void
transfer(struct ipc_msg *m, struct ipc_in *in)
{
	int sv[2];
	const char *err;

	cr_assert_not_null(m);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(ipc_send(sv[0], m, 1000, &err), 0);
	memset(in, 0, sizeof(*in));
	cr_assert_eq(ipc_recv(sv[1], IPC_PAYLOAD_MAX, 1000, in), 1, "%s",
	    in->err);
	ipc_msg_free(&m);
	close(sv[0]);
	close(sv[1]);
}

/* Encode r, decode it: 0 or -1 (err set). */
static int
request_trip(const struct dir_proto_request *r, struct ipc_in *in,
    struct dir_proto_request *out, const char **err)
{
	transfer(dir_proto_request_encode(r), in);
	return dir_proto_request_decode(in, out, err);
}

static char *
repeat(char c, size_t n)
{
	char *s = pool_alloc(pool, n + 1);

	memset(s, c, n);
	return s;
}

Test(dir_proto, every_request_round_trips)
{
	static const uint8_t pw[] = { 'd', 'e', 0, 'm', 'o' };
	struct dir_proto_request in_r[] = {
		{ .type = DIR_PROTO_LOOKUP_ADDRESS, .arg = "alice@example.test" },
		{ .type = DIR_PROTO_LOOKUP_LOGIN, .arg = "alice" },
		{ .type = DIR_PROTO_GROUP_MEMBERS, .arg = "cn=staff,dc=x" },
		{ .type = DIR_PROTO_GROUP_HAS_MEMBER, .arg = "cn=staff,dc=x",
		  .arg2 = "bob@example.test" },
		{ .type = DIR_PROTO_DOMAIN_ACCEPTED, .arg = "example.test" },
		{ .type = DIR_PROTO_DOMAINS },
		{ .type = DIR_PROTO_CHECK_PASSWORD, .arg = "bob",
		  .password = pw, .password_len = sizeof(pw) },
		{ .type = DIR_PROTO_STATS },
		{ .type = DIR_PROTO_CACHE_FLUSH },
		{ .type = DIR_PROTO_LOOKUP_PRINCIPAL,
		  .arg = "alice@EXAMPLE.TEST" },
	};

	for (size_t i = 0; i < sizeof(in_r) / sizeof(in_r[0]); i++) {
		struct ipc_in in;
		struct dir_proto_request r;
		const char *err = NULL;

		cr_assert_eq(request_trip(&in_r[i], &in, &r, &err), 0,
		    "type %d: %s", in_r[i].type, err);
		cr_assert_eq(r.type, in_r[i].type);
		if (in_r[i].arg != NULL)
			cr_assert_str_eq(r.arg, in_r[i].arg);
		else
			cr_assert_null(r.arg);
		if (in_r[i].arg2 != NULL)
			cr_assert_str_eq(r.arg2, in_r[i].arg2);
		cr_assert_eq(r.password_len, in_r[i].password_len);
		if (r.password_len > 0)
			cr_assert_eq(memcmp(r.password, pw, sizeof(pw)), 0);
		cr_assert_str_neq(dir_proto_type_name(r.type), "unknown");
		ipc_in_deinit(&in);
	}
	cr_assert_str_eq(dir_proto_type_name(0), "unknown");
	cr_assert_str_eq(dir_proto_type_name(DIR_PROTO_TYPE_MAX + 1), "unknown");
	cr_assert_str_eq(dir_proto_type_name(DIR_PROTO_ANSWER | 1),
	    "lookup_address");
}

Test(dir_proto, request_encode_bounds)
{
	struct dir_proto_request r = { .type = DIR_PROTO_LOOKUP_ADDRESS };
	struct ipc_msg *m;
	uint8_t pw[DIR_PROTO_PASSWORD_MAX + 1];

	r.arg = repeat('a', DIR_ADDRESS_MAX);
	m = dir_proto_request_encode(&r);
	cr_assert_not_null(m);
	ipc_msg_free(&m);
	r.arg = repeat('a', DIR_ADDRESS_MAX + 1);
	cr_assert_null(dir_proto_request_encode(&r));
	r.arg = NULL;
	cr_assert_null(dir_proto_request_encode(&r));
	r = (struct dir_proto_request){ .type = DIR_PROTO_LOOKUP_LOGIN,
		.arg = repeat('l', DIR_LOGIN_MAX + 1) };
	cr_assert_null(dir_proto_request_encode(&r));
	r = (struct dir_proto_request){ .type = DIR_PROTO_LOOKUP_PRINCIPAL,
		.arg = repeat('k', DIR_LOGIN_MAX) };
	m = dir_proto_request_encode(&r);
	cr_assert_not_null(m);
	ipc_msg_free(&m);
	r.arg = repeat('k', DIR_LOGIN_MAX + 1);
	cr_assert_null(dir_proto_request_encode(&r));
	r = (struct dir_proto_request){ .type = DIR_PROTO_DOMAIN_ACCEPTED,
		.arg = repeat('d', DIR_DOMAIN_MAX + 1) };
	cr_assert_null(dir_proto_request_encode(&r));
	r = (struct dir_proto_request){ .type = DIR_PROTO_GROUP_MEMBERS,
		.arg = repeat('g', DIR_PROTO_DN_MAX + 1) };
	cr_assert_null(dir_proto_request_encode(&r));
	r.arg = repeat('g', DIR_PROTO_DN_MAX);
	m = dir_proto_request_encode(&r);
	cr_assert_not_null(m);
	ipc_msg_free(&m);
	r = (struct dir_proto_request){ .type = DIR_PROTO_GROUP_HAS_MEMBER,
		.arg = "cn=g", .arg2 = NULL };
	cr_assert_null(dir_proto_request_encode(&r));
	memset(pw, 'p', sizeof(pw));
	r = (struct dir_proto_request){ .type = DIR_PROTO_CHECK_PASSWORD,
		.arg = "bob", .password = pw,
		.password_len = DIR_PROTO_PASSWORD_MAX };
	m = dir_proto_request_encode(&r);
	cr_assert_not_null(m);
	ipc_msg_free(&m);
	r.password_len++;
	cr_assert_null(dir_proto_request_encode(&r));
	r = (struct dir_proto_request){ .type = 0 };
	cr_assert_null(dir_proto_request_encode(&r));
	r.type = DIR_PROTO_TYPE_MAX + 1;
	cr_assert_null(dir_proto_request_encode(&r));
}

/* Decode a hand-built request; it must fail with an error text. */
static void
request_refused(struct ipc_msg *m, const char *why)
{
	struct ipc_in in;
	struct dir_proto_request r;
	const char *err = NULL;

	transfer(m, &in);
	cr_assert_eq(dir_proto_request_decode(&in, &r, &err), -1, "%s", why);
	cr_assert_not_null(err, "%s", why);
	cr_assert_neq(err[0], '\0', "%s", why);
	cr_assert_null(r.arg, "%s: nothing half-decoded", why);
	ipc_in_deinit(&in);
}

Test(dir_proto, malformed_requests_refused)
{
	struct ipc_msg *m;

	request_refused(ipc_msg_new(0), "type 0");
	request_refused(ipc_msg_new(DIR_PROTO_TYPE_MAX + 1), "type past max");
	request_refused(ipc_msg_new(DIR_PROTO_ANSWER | 1), "an answer");
	request_refused(ipc_msg_new(DIR_PROTO_LOOKUP_ADDRESS), "no address");
	m = ipc_msg_new(DIR_PROTO_LOOKUP_ADDRESS);
	ipc_put_u32(m, 5);	/* a length and no bytes */
	request_refused(m, "truncated string");
	m = ipc_msg_new(DIR_PROTO_LOOKUP_ADDRESS);
	ipc_put_bytes(m, "ab\0cd", 5);	/* bytes, no NUL terminator */
	request_refused(m, "string without NUL");
	m = ipc_msg_new(DIR_PROTO_LOOKUP_ADDRESS);
	ipc_put_str(m, repeat('a', DIR_ADDRESS_MAX + 1));
	request_refused(m, "address over DIR_ADDRESS_MAX");
	m = ipc_msg_new(DIR_PROTO_LOOKUP_LOGIN);
	ipc_put_str(m, repeat('a', DIR_LOGIN_MAX + 1));
	request_refused(m, "login over DIR_LOGIN_MAX");
	m = ipc_msg_new(DIR_PROTO_DOMAIN_ACCEPTED);
	ipc_put_str(m, repeat('a', DIR_DOMAIN_MAX + 1));
	request_refused(m, "domain over DIR_DOMAIN_MAX");
	m = ipc_msg_new(DIR_PROTO_GROUP_MEMBERS);
	ipc_put_str(m, repeat('a', DIR_PROTO_DN_MAX + 1));
	request_refused(m, "DN over DIR_PROTO_DN_MAX");
	m = ipc_msg_new(DIR_PROTO_GROUP_HAS_MEMBER);
	ipc_put_str(m, "cn=g");
	request_refused(m, "has_member without address");
	m = ipc_msg_new(DIR_PROTO_CHECK_PASSWORD);
	ipc_put_str(m, "bob");
	request_refused(m, "password missing");
	m = ipc_msg_new(DIR_PROTO_CHECK_PASSWORD);
	ipc_put_str(m, "bob");
	ipc_put_bytes(m, repeat('p', DIR_PROTO_PASSWORD_MAX + 1),
	    DIR_PROTO_PASSWORD_MAX + 1);
	request_refused(m, "password over DIR_PROTO_PASSWORD_MAX");
	m = ipc_msg_new(DIR_PROTO_LOOKUP_ADDRESS);
	ipc_put_str(m, "a@b");
	ipc_put_u32(m, 0);
	request_refused(m, "bytes left over");
	m = ipc_msg_new(DIR_PROTO_STATS);
	ipc_put_u32(m, 0);
	request_refused(m, "stats with a payload");
}

/* A user entry with every field set. */
static struct dir_entry *
full_entry(const char *name)
{
	struct dir_entry *e = pool_alloc(pool, sizeof(*e));
	static char *addrs[] = { "a@x.test", "b@x.test", NULL };
	static char *fwd[] = { "boss@x.test", NULL };
	static char *send_as[] = { "info@x.test", NULL };
	static char *authz_to[] = { "dn:uid=b,dc=x", "dn.exact:uid=c,dc=x",
		NULL };
	static char *targets[] = { "t1@x.test", "t2@x.test", NULL };
	static char *snd[] = { "cn=s,dc=x", NULL };
	static char *snd_a[] = { "s@x.test", NULL };

	e->kind = DIR_KIND_GROUP;
	e->dn = pool_printf(pool, "uid=%s,dc=x", name);
	e->address = pool_printf(pool, "%s@x.test", name);
	e->addresses = addrs;
	e->n_addresses = 2;
	e->login = "login";
	e->display_name = "Display \xc3\xa9";
	e->mailbox_id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
	e->mail_host = NULL;
	e->quota_bytes = UINT64_MAX;
	e->quota_messages = 12345;
	e->state = DIR_STATE_RECEIVE_ONLY;
	e->forward_to = fwd;
	e->n_forward_to = 1;
	e->forward_keep_copy = true;
	e->send_as = send_as;
	e->n_send_as = 1;
	e->authz_to = authz_to;
	e->n_authz_to = 2;
	e->targets = targets;
	e->n_targets = 2;
	e->sender_policy = DIR_SENDERS_LISTED;
	e->allowed_senders = snd;
	e->n_allowed_senders = 1;
	e->allowed_sender_addresses = snd_a;
	e->n_allowed_sender_addresses = 1;
	return e;
}

static void
assert_list_eq(char **a, size_t na, char **b, size_t nb)
{
	cr_assert_eq(na, nb);
	for (size_t i = 0; i < na; i++)
		cr_assert_str_eq(a[i], b[i]);
	cr_assert_null(a[na], "lists are NULL-terminated");
}

static void
assert_opt_eq(const char *a, const char *b)
{
	if (b == NULL)
		cr_assert_null(a);
	else
		cr_assert_str_eq(a, b);
}

static void
assert_entry_eq(const struct dir_entry *a, const struct dir_entry *b)
{
	cr_assert_eq(a->kind, b->kind);
	assert_opt_eq(a->dn, b->dn);
	assert_opt_eq(a->address, b->address);
	assert_list_eq(a->addresses, a->n_addresses, b->addresses,
	    b->n_addresses);
	assert_opt_eq(a->login, b->login);
	assert_opt_eq(a->display_name, b->display_name);
	assert_opt_eq(a->mailbox_id, b->mailbox_id);
	assert_opt_eq(a->mail_host, b->mail_host);
	cr_assert_eq(a->quota_bytes, b->quota_bytes);
	cr_assert_eq(a->quota_messages, b->quota_messages);
	cr_assert_eq(a->state, b->state);
	assert_list_eq(a->forward_to, a->n_forward_to, b->forward_to,
	    b->n_forward_to);
	cr_assert_eq(a->forward_keep_copy, b->forward_keep_copy);
	assert_list_eq(a->send_as, a->n_send_as, b->send_as, b->n_send_as);
	assert_list_eq(a->authz_to, a->n_authz_to, b->authz_to, b->n_authz_to);
	assert_list_eq(a->targets, a->n_targets, b->targets, b->n_targets);
	cr_assert_eq(a->sender_policy, b->sender_policy);
	assert_list_eq(a->allowed_senders, a->n_allowed_senders,
	    b->allowed_senders, b->n_allowed_senders);
	assert_list_eq(a->allowed_sender_addresses,
	    a->n_allowed_sender_addresses, b->allowed_sender_addresses,
	    b->n_allowed_sender_addresses);
}

/* Encode a, decode it as an answer to a->type into out. */
static int
answer_trip(const struct dir_proto_answer *a, struct dir_proto_answer *out,
    const char **err)
{
	struct ipc_in in;
	int r;

	transfer(dir_proto_answer_encode(a, &lim), &in);
	r = dir_proto_answer_decode(&in, a->type, &lim, pool, out, err);
	ipc_in_deinit(&in);
	return r;
}

Test(dir_proto, answers_round_trip)
{
	struct dir_proto_answer a = { .type = DIR_PROTO_LOOKUP_ADDRESS,
		.result = DIR_FOUND, .entry = full_entry("alice"),
		.info = { .server = "ldap://127.0.0.1:1", .cached = true,
		.round_trips = 3, .latency_us = 1234567890123ULL } };
	struct dir_proto_answer b;
	struct dir_entry *members[3];
	char *domains[] = { "a.test", "b.test", NULL };
	const char *err = NULL;
	struct dir_entry empty = { .kind = DIR_KIND_CONTACT };

	cr_assert_eq(answer_trip(&a, &b, &err), 0, "%s", err);
	cr_assert_eq(b.type, a.type);
	cr_assert_eq(b.result, DIR_FOUND);
	cr_assert_str_eq(b.info.server, a.info.server);
	cr_assert(b.info.cached);
	cr_assert_eq(b.info.round_trips, 3);
	cr_assert_eq(b.info.latency_us, a.info.latency_us);
	cr_assert_null(b.info.error);
	assert_entry_eq(b.entry, a.entry);
	/* an entry with nothing set keeps its NULLs and empty lists */
	a.entry = &empty;
	cr_assert_eq(answer_trip(&a, &b, &err), 0, "%s", err);
	assert_opt_eq(b.entry->dn, NULL);
	cr_assert_eq(b.entry->kind, DIR_KIND_CONTACT);
	cr_assert_eq(b.entry->n_addresses, 0);
	cr_assert_null(b.entry->addresses[0]);
	/* NOTFOUND carries no entry; TEMPFAIL its error */
	a = (struct dir_proto_answer){ .type = DIR_PROTO_LOOKUP_LOGIN,
		.result = DIR_TEMPFAIL, .info = { .error = "ldap://x: down" } };
	cr_assert_eq(answer_trip(&a, &b, &err), 0, "%s", err);
	cr_assert_eq(b.result, DIR_TEMPFAIL);
	cr_assert_null(b.entry);
	cr_assert_str_eq(b.info.error, "ldap://x: down");
	cr_assert_null(b.info.server);
	/* a principal lookup carries its entry like a login lookup */
	a = (struct dir_proto_answer){ .type = DIR_PROTO_LOOKUP_PRINCIPAL,
		.result = DIR_FOUND, .entry = full_entry("alice") };
	cr_assert_eq(answer_trip(&a, &b, &err), 0, "%s", err);
	assert_entry_eq(b.entry, a.entry);
	/* members */
	members[0] = full_entry("m0");
	members[1] = full_entry("m1");
	members[2] = full_entry("m2");
	a = (struct dir_proto_answer){ .type = DIR_PROTO_GROUP_MEMBERS,
		.result = DIR_FOUND, .members = members, .n_members = 3 };
	cr_assert_eq(answer_trip(&a, &b, &err), 0, "%s", err);
	cr_assert_eq(b.n_members, 3);
	for (int i = 0; i < 3; i++)
		assert_entry_eq(b.members[i], members[i]);
	/* domains */
	a = (struct dir_proto_answer){ .type = DIR_PROTO_DOMAINS,
		.result = DIR_FOUND, .domains = domains, .n_domains = 2 };
	cr_assert_eq(answer_trip(&a, &b, &err), 0, "%s", err);
	assert_list_eq(b.domains, b.n_domains, domains, 2);
	/* stats */
	a = (struct dir_proto_answer){ .type = DIR_PROTO_STATS,
		.result = DIR_FOUND, .stats = { 1, 2, 3, 4, 5, 6 } };
	cr_assert_eq(answer_trip(&a, &b, &err), 0, "%s", err);
	cr_assert_eq(memcmp(&b.stats, &a.stats, sizeof(a.stats)), 0);
	/* password: every dir_auth value, entry optional */
	for (int r = DIR_AUTH_OK; r <= DIR_AUTH_TEMPFAIL; r++) {
		a = (struct dir_proto_answer){ .type = DIR_PROTO_CHECK_PASSWORD,
			.result = r, .entry = r == DIR_AUTH_OK ?
			full_entry("bob") : NULL };
		cr_assert_eq(answer_trip(&a, &b, &err), 0, "%s", err);
		cr_assert_eq(b.result, r);
		cr_assert_eq(b.entry != NULL, r == DIR_AUTH_OK);
	}
	/* the rest carry the result only */
	for (int t = DIR_PROTO_GROUP_HAS_MEMBER; t <= DIR_PROTO_CACHE_FLUSH;
	    t++) {
		if (t == DIR_PROTO_DOMAINS || t == DIR_PROTO_CHECK_PASSWORD ||
		    t == DIR_PROTO_STATS)
			continue;
		a = (struct dir_proto_answer){ .type = t,
			.result = DIR_NOTFOUND };
		cr_assert_eq(answer_trip(&a, &b, &err), 0, "%s", err);
		cr_assert_eq(b.result, DIR_NOTFOUND);
	}
}

Test(dir_proto, tempfail_answer)
{
	struct ipc_in in;
	struct dir_proto_answer b;
	const char *err = NULL;

	transfer(dir_proto_answer_tempfail(DIR_PROTO_LOOKUP_ADDRESS,
	    "too big"), &in);
	cr_assert_eq(dir_proto_answer_decode(&in, DIR_PROTO_LOOKUP_ADDRESS,
	    &lim, pool, &b, &err), 0, "%s", err);
	cr_assert_eq(b.result, DIR_TEMPFAIL);
	cr_assert_str_eq(b.info.error, "too big");
	ipc_in_deinit(&in);
	/* a long text is cut, not refused */
	transfer(dir_proto_answer_tempfail(DIR_PROTO_CHECK_PASSWORD,
	    repeat('e', 5000)), &in);
	cr_assert_eq(dir_proto_answer_decode(&in, DIR_PROTO_CHECK_PASSWORD,
	    &lim, pool, &b, &err), 0, "%s", err);
	cr_assert_eq(b.result, DIR_AUTH_TEMPFAIL);
	cr_assert_eq(strlen(b.info.error), 511);
	ipc_in_deinit(&in);
}

Test(dir_proto, answer_encode_limits)
{
	struct dir_proto_answer a = { .type = DIR_PROTO_DOMAINS,
		.result = DIR_FOUND };
	char *list[4] = { "a", "b", "c", NULL };
	struct ipc_msg *m;
	size_t len;

	lim.list_max = 3;
	a.domains = list;
	a.n_domains = 3;
	m = dir_proto_answer_encode(&a, &lim);
	cr_assert_not_null(m, "list at list_max");
	len = ipc_msg_len(m);
	ipc_msg_free(&m);
	lim.list_max = 2;
	cr_assert_null(dir_proto_answer_encode(&a, &lim), "list over max");
	lim.list_max = 3;
	lim.answer_max = len;
	m = dir_proto_answer_encode(&a, &lim);
	cr_assert_not_null(m, "answer at answer_max");
	ipc_msg_free(&m);
	lim.answer_max = len - 1;
	cr_assert_null(dir_proto_answer_encode(&a, &lim), "over answer_max");
	dir_proto_limits_default(&lim);
	lim.string_max = 5;
	list[0] = "12345";
	m = dir_proto_answer_encode(&a, &lim);
	cr_assert_not_null(m, "string at string_max");
	ipc_msg_free(&m);
	list[0] = "123456";
	cr_assert_null(dir_proto_answer_encode(&a, &lim), "over string_max");
	/* members are bounded by list_max too */
	dir_proto_limits_default(&lim);
	lim.list_max = 1;
	{
		struct dir_entry *mem[2] = { full_entry("a"), full_entry("b") };

		a = (struct dir_proto_answer){ .type = DIR_PROTO_GROUP_MEMBERS,
			.result = DIR_FOUND, .members = mem, .n_members = 2 };
		cr_assert_null(dir_proto_answer_encode(&a, &lim));
		a.n_members = 1;
		lim.list_max = 2;	/* the entry's own lists have 2 */
		m = dir_proto_answer_encode(&a, &lim);
		cr_assert_not_null(m);
		ipc_msg_free(&m);
	}
	a = (struct dir_proto_answer){ .type = 0 };
	cr_assert_null(dir_proto_answer_encode(&a, &lim));
}

/* Decode a hand-built answer to expect; it must fail. */
static void
answer_refused(struct ipc_msg *m, enum dir_proto_type expect,
    const char *why)
{
	struct ipc_in in;
	struct dir_proto_answer b;
	const char *err = NULL;

	transfer(m, &in);
	cr_assert_eq(dir_proto_answer_decode(&in, expect, &lim, pool, &b,
	    &err), -1, "%s", why);
	cr_assert_not_null(err, "%s", why);
	cr_assert_null(b.entry, "%s", why);
	cr_assert_eq(b.n_members, 0, "%s", why);
	ipc_in_deinit(&in);
}

/* The start of an answer: result, info without strings. */
static struct ipc_msg *
answer_head(enum dir_proto_type t, uint32_t result)
{
	struct ipc_msg *m = ipc_msg_new(t | DIR_PROTO_ANSWER);

	ipc_put_u32(m, result);
	ipc_put_u32(m, 0);	/* no server */
	ipc_put_u32(m, 0);	/* not cached */
	ipc_put_u32(m, 1);	/* round trips */
	ipc_put_u64(m, 10);	/* latency */
	ipc_put_u32(m, 0);	/* no error */
	return m;
}

Test(dir_proto, malformed_answers_refused)
{
	struct ipc_msg *m;

	m = answer_head(DIR_PROTO_DOMAIN_ACCEPTED, DIR_FOUND);
	answer_refused(m, DIR_PROTO_LOOKUP_ADDRESS, "answer to another type");
	m = answer_head(DIR_PROTO_DOMAIN_ACCEPTED, DIR_FOUND);
	ipc_msg_free(&m);
	m = ipc_msg_new(DIR_PROTO_DOMAIN_ACCEPTED);	/* no answer bit */
	answer_refused(m, DIR_PROTO_DOMAIN_ACCEPTED, "request as answer");
	m = answer_head(DIR_PROTO_DOMAIN_ACCEPTED, DIR_TEMPFAIL + 1);
	answer_refused(m, DIR_PROTO_DOMAIN_ACCEPTED, "result out of range");
	m = answer_head(DIR_PROTO_CHECK_PASSWORD, DIR_AUTH_TEMPFAIL + 1);
	ipc_put_u32(m, 0);
	answer_refused(m, DIR_PROTO_CHECK_PASSWORD, "auth out of range");
	m = ipc_msg_new(DIR_PROTO_DOMAIN_ACCEPTED | DIR_PROTO_ANSWER);
	ipc_put_u32(m, DIR_FOUND);
	ipc_put_u32(m, 2);	/* presence flag must be 0 or 1 */
	answer_refused(m, DIR_PROTO_DOMAIN_ACCEPTED, "bad presence flag");
	m = answer_head(DIR_PROTO_DOMAIN_ACCEPTED, DIR_FOUND);
	ipc_put_u32(m, 0);
	answer_refused(m, DIR_PROTO_DOMAIN_ACCEPTED, "bytes left over");
	m = answer_head(DIR_PROTO_LOOKUP_ADDRESS, DIR_FOUND);
	answer_refused(m, DIR_PROTO_LOOKUP_ADDRESS, "has_entry missing");
	m = answer_head(DIR_PROTO_LOOKUP_ADDRESS, DIR_FOUND);
	ipc_put_u32(m, 1);
	ipc_put_u32(m, DIR_KIND_CONTACT + 1);
	answer_refused(m, DIR_PROTO_LOOKUP_ADDRESS, "kind out of range");
	m = answer_head(DIR_PROTO_DOMAINS, DIR_FOUND);
	ipc_put_u32(m, 3);
	ipc_put_str(m, "a");
	answer_refused(m, DIR_PROTO_DOMAINS, "list shorter than its count");
	m = answer_head(DIR_PROTO_DOMAINS, DIR_FOUND);
	ipc_put_u32(m, UINT32_MAX);
	answer_refused(m, DIR_PROTO_DOMAINS, "huge list count");
	m = answer_head(DIR_PROTO_GROUP_MEMBERS, DIR_FOUND);
	ipc_put_u32(m, 1000);
	answer_refused(m, DIR_PROTO_GROUP_MEMBERS, "members past the message");
	lim.list_max = 1;
	m = answer_head(DIR_PROTO_DOMAINS, DIR_FOUND);
	ipc_put_u32(m, 2);
	ipc_put_str(m, "a");
	ipc_put_str(m, "b");
	answer_refused(m, DIR_PROTO_DOMAINS, "list over list_max");
	lim.string_max = 3;
	m = answer_head(DIR_PROTO_DOMAINS, DIR_FOUND);
	ipc_put_u32(m, 1);
	ipc_put_str(m, "abcd");
	answer_refused(m, DIR_PROTO_DOMAINS, "string over string_max");
	m = answer_head(DIR_PROTO_STATS, DIR_FOUND);
	ipc_put_u64(m, 1);
	answer_refused(m, DIR_PROTO_STATS, "stats truncated");
}

/* A message of type with payload p (len bytes) written as raw bytes. */
static void
raw_transfer(uint32_t type, const uint8_t *p, size_t len, struct ipc_in *in)
{
	uint8_t hdr[IPC_HEADER_LEN] = { IPC_MAGIC0, IPC_MAGIC1, IPC_VERSION, 0,
		(uint8_t)(type >> 24), (uint8_t)(type >> 16),
		(uint8_t)(type >> 8), (uint8_t)type, (uint8_t)(len >> 24),
		(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(write(sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	cr_assert_eq(write(sv[0], p, len), (ssize_t)len);
	memset(in, 0, sizeof(*in));
	cr_assert_eq(ipc_recv(sv[1], IPC_PAYLOAD_MAX, 1000, in), 1, "%s",
	    in->err);
	close(sv[0]);
	close(sv[1]);
}

/* A valid answer cut anywhere is refused, never half-decoded. */
Test(dir_proto, every_truncation_refused)
{
	struct dir_entry *mem[2] = { full_entry("a"), full_entry("b") };
	struct dir_proto_answer a = { .type = DIR_PROTO_GROUP_MEMBERS,
		.result = DIR_FOUND, .members = mem, .n_members = 2,
		.info = { .server = "ldap://s", .error = "e" } };
	struct ipc_in full;
	size_t len;

	transfer(dir_proto_answer_encode(&a, &lim), &full);
	len = full.len;
	for (size_t cut = 0; cut < len; cut++) {
		struct ipc_in in;
		struct dir_proto_answer b;
		const char *err = NULL;

		raw_transfer(full.type, full.data, cut, &in);
		cr_assert_eq(in.len, cut);
		cr_assert_eq(dir_proto_answer_decode(&in, a.type, &lim, pool,
		    &b, &err), -1, "cut at %zu", cut);
		ipc_in_deinit(&in);
	}
	ipc_in_deinit(&full);
}

/* The [lookup] section. */
static struct cfg *
lookup_cfg(const char *text, struct buf *err)
{
	struct cfg_section_def defs[] = { settings_global_def, dns_config_def,
		dir_config_def, dir_lookup_config_def };
	static struct cfg_section_def keep[4];
	struct cfg *c;

	memcpy(keep, defs, sizeof(defs));
	c = cfg_new(keep, 4);
	if (cfg_load_string(c, "test.conf", text, err) == -1)
		cfg_free(&c);
	return c;
}

#define DIRSEC "[directory]\nuris = ldap://127.0.0.1:1\nbase_dn = dc=x\n"

Test(dir_proto, lookup_config_values_and_paths)
{
	struct buf *err = buf_new(64, 4096);
	struct cfg *c = lookup_cfg(DIRSEC "[global]\nrun_dir = /r\n", err);
	struct dir_lookupd_settings s;
	struct dir_client_settings cs;

	cr_assert_not_null(c, "%s", buf_cstr(err));
	dir_lookupd_config_settings(c, NULL, pool, &s);
	cr_assert_str_eq(s.socket_path, "/r/lookup.sock");
	cr_assert_eq(s.socket_mode, 0660);
	cr_assert_eq(s.max_clients, 256);
	cr_assert_eq(s.client_timeout_ms, 5000);
	cr_assert_eq(s.request_max, 8192);
	cr_assert_eq(s.limits.answer_max, 16 * 1024 * 1024);
	cr_assert_str_eq(dir_lookup_config_socket(c, "mtad", pool),
	    "/r/mtad-lookup.sock");
	dir_client_config_settings(c, "accessd", pool, &cs);
	cr_assert_str_eq(cs.socket_path, "/r/accessd-lookup.sock");
	cr_assert_eq(cs.timeout_ms, 30000);
	cfg_free(&c);
	c = lookup_cfg(DIRSEC "[lookup]\nsocket = /s/l.sock\nsocket_mode = 600"
	    "\nmax_clients = 3\nlist_max = 7\n", err);
	cr_assert_not_null(c, "%s", buf_cstr(err));
	dir_lookupd_config_settings(c, "mtad", pool, &s);
	cr_assert_str_eq(s.socket_path, "/s/l.sock");
	cr_assert_eq(s.socket_mode, 0600);
	cr_assert_eq(s.max_clients, 3);
	cr_assert_eq(s.limits.list_max, 7);
	cfg_free(&c);
	buf_free(&err);
}

/* max_clients with its default follows what the daemon may open; set in
 * the file, it is kept (and the caller warns when it is short). */
Test(dir_proto, lookup_max_clients_fits_the_daemon)
{
	struct buf *err = buf_new(64, 4096);
	struct cfg *c = lookup_cfg(DIRSEC, err);
	struct dir_lookupd_settings s;

	cr_assert_not_null(c, "%s", buf_cstr(err));
	dir_lookupd_config_settings(c, "accessd", pool, &s);
	cr_assert_eq(dir_lookupd_fit_clients(c, 0, &s), 0);
	cr_assert_eq(dir_lookupd_fit_clients(c, 256, &s), 0);
	cr_assert_eq(s.max_clients, 256);
	cr_assert_eq(dir_lookupd_fit_clients(c, 508, &s), 1);
	cr_assert_eq(s.max_clients, 508);
	cfg_free(&c);
	c = lookup_cfg(DIRSEC "[lookup]\nmax_clients = 300\n", err);
	cr_assert_not_null(c, "%s", buf_cstr(err));
	dir_lookupd_config_settings(c, "accessd", pool, &s);
	cr_assert_eq(dir_lookupd_fit_clients(c, 300, &s), 0);
	cr_assert_eq(dir_lookupd_fit_clients(c, 508, &s), -1);
	cr_assert_eq(s.max_clients, 300, "the file's value is kept");
	cfg_free(&c);
	buf_free(&err);
}

Test(dir_proto, lookup_config_refuses_bad_values)
{
	const char *bad[] = {
		"socket_mode = 0778\n", "socket_mode = 1000\n",
		"socket_mode = rw\n", "socket_mode = \n",
		"max_clients = 0\n", "client_timeout = 5ms\n",
		"request_max = 2M\n", "answer_max = 2k\nrequest_max = 4k\n",
		"no_such_key = 1\n", NULL };
	struct buf *err = buf_new(64, 4096);
	char *longpath = repeat('p', 108);

	for (size_t i = 0; bad[i] != NULL; i++) {
		struct cfg *c;
		char *text = pool_printf(pool, DIRSEC "[lookup]\n%s", bad[i]);

		buf_reset(err);
		c = lookup_cfg(text, err);
		cr_assert_null(c, "accepted: %s", bad[i]);
		cr_assert_not_null(strstr(buf_cstr(err), "[lookup]"), "%s",
		    buf_cstr(err));
	}
	buf_reset(err);
	cr_assert_null(lookup_cfg(pool_printf(pool, DIRSEC "[lookup]\n"
	    "socket = /%s\n", longpath), err));
	buf_reset(err);
	/* 0777 and 107 bytes are fine */
	{
		struct cfg *c = lookup_cfg(pool_printf(pool, DIRSEC "[lookup]\n"
		    "socket_mode = 0777\nsocket = /%.106s\n", longpath), err);

		cr_assert_not_null(c, "%s", buf_cstr(err));
		cfg_free(&c);
	}
	buf_free(&err);
}

/* Every key of [lookup] has a ".B key" under ".SS [lookup]". */
Test(dir_proto, every_lookup_key_documented)
{
	cr_assert_gt(docs_check_sections(&dir_lookup_config_def, 1), 0);
}
