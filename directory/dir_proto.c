/*
 * directory/dir_proto.c - encode and decode the lookup process's requests
 * and answers (layout in dir_proto.h).
 *
 * Runs in the lookup process (requests in, answers out) and in session
 * processes (the reverse). Neither side trusts the other's bytes: every
 * count and string is bounded before it is used or copied, enum values
 * are range-checked and a message must be read to its last byte.
 */
#include "config.h"

#include <string.h>

#include "lib/ipc.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "directory/dir_proto.h"
#include "lib/banned.h"

void
dir_proto_limits_default(struct dir_proto_limits *lim)
{
	lim->string_max = 4096;
	lim->list_max = 100000;
	lim->answer_max = IPC_PAYLOAD_MAX;
}

static const char *const type_names[] = {
	[DIR_PROTO_LOOKUP_ADDRESS] = "lookup_address",
	[DIR_PROTO_LOOKUP_LOGIN] = "lookup_login",
	[DIR_PROTO_GROUP_MEMBERS] = "group_members",
	[DIR_PROTO_GROUP_HAS_MEMBER] = "group_has_member",
	[DIR_PROTO_DOMAIN_ACCEPTED] = "domain_accepted",
	[DIR_PROTO_DOMAINS] = "domains",
	[DIR_PROTO_CHECK_PASSWORD] = "check_password",
	[DIR_PROTO_STATS] = "stats",
	[DIR_PROTO_CACHE_FLUSH] = "cache_flush",
	[DIR_PROTO_LOOKUP_PRINCIPAL] = "lookup_principal",
};

const char *
dir_proto_type_name(uint32_t type)
{
	type &= ~DIR_PROTO_ANSWER;
	if (type == 0 || type > DIR_PROTO_TYPE_MAX)
		return "unknown";
	return type_names[type];
}

/* Bound of the string argument of a request type. */
static size_t
arg_max(enum dir_proto_type t)
{
	switch (t) {
	case DIR_PROTO_LOOKUP_ADDRESS:
		return DIR_ADDRESS_MAX;
	case DIR_PROTO_LOOKUP_LOGIN:
	case DIR_PROTO_CHECK_PASSWORD:
	case DIR_PROTO_LOOKUP_PRINCIPAL:
		return DIR_LOGIN_MAX;
	case DIR_PROTO_GROUP_MEMBERS:
	case DIR_PROTO_GROUP_HAS_MEMBER:
		return DIR_PROTO_DN_MAX;
	case DIR_PROTO_DOMAIN_ACCEPTED:
		return DIR_DOMAIN_MAX;
	default:
		return 0;	/* no argument */
	}
}

static int
put_bounded(struct ipc_msg *m, const char *s, size_t max)
{
	if (s == NULL || strlen(s) > max)
		return -1;
	return ipc_put_str(m, s);
}

struct ipc_msg *
dir_proto_request_encode(const struct dir_proto_request *r)
{
	struct ipc_msg *m;
	size_t max = arg_max(r->type);
	int bad = 0;

	if (r->type < 1 || r->type > DIR_PROTO_TYPE_MAX)
		return NULL;
	m = ipc_msg_new((uint32_t)r->type);
	if (max > 0)
		bad |= put_bounded(m, r->arg, max);
	if (r->type == DIR_PROTO_GROUP_HAS_MEMBER)
		bad |= put_bounded(m, r->arg2, DIR_ADDRESS_MAX);
	if (r->type == DIR_PROTO_CHECK_PASSWORD)
		bad |= r->password_len > DIR_PROTO_PASSWORD_MAX ||
		    (r->password == NULL && r->password_len > 0) ||
		    ipc_put_bytes(m, r->password != NULL ? r->password :
		    (const uint8_t *)"", r->password_len);
	if (bad)
		ipc_msg_free(&m);
	return m;
}

int
dir_proto_request_decode(struct ipc_in *in, struct dir_proto_request *r,
    const char **err_out)
{
	size_t max;

	memset(r, 0, sizeof(*r));
	if (in->type < 1 || in->type > DIR_PROTO_TYPE_MAX) {
		*err_out = "unknown request type";
		return -1;
	}
	r->type = (enum dir_proto_type)in->type;
	max = arg_max(r->type);
	if ((max > 0 && ipc_get_str(in, &r->arg, max) == -1) ||
	    (r->type == DIR_PROTO_GROUP_HAS_MEMBER &&
	    ipc_get_str(in, &r->arg2, DIR_ADDRESS_MAX) == -1) ||
	    (r->type == DIR_PROTO_CHECK_PASSWORD &&
	    ipc_get_bytes(in, &r->password, &r->password_len,
	    DIR_PROTO_PASSWORD_MAX) == -1) ||
	    ipc_end(in) == -1) {
		*err_out = in->err;
		memset(r, 0, sizeof(*r));
		return -1;
	}
	return 0;
}

/* Encoding an answer: the first failure sticks. */
struct enc {
	struct ipc_msg *m;
	const struct dir_proto_limits *lim;
	int bad;
};

static void
enc_u32(struct enc *e, uint32_t v)
{
	e->bad |= ipc_put_u32(e->m, v);
}

static void
enc_u64(struct enc *e, uint64_t v)
{
	e->bad |= ipc_put_u64(e->m, v);
}

static void
enc_str(struct enc *e, const char *s)
{
	if (strlen(s) > e->lim->string_max)
		e->bad = -1;
	else
		e->bad |= ipc_put_str(e->m, s);
}

static void
enc_opt(struct enc *e, const char *s)
{
	enc_u32(e, s != NULL);
	if (s != NULL)
		enc_str(e, s);
}

static void
enc_list(struct enc *e, char *const *list, size_t n)
{
	if (n > e->lim->list_max || n > UINT32_MAX || (n > 0 && list == NULL)) {
		e->bad = -1;
		return;
	}
	enc_u32(e, (uint32_t)n);
	for (size_t i = 0; i < n && !e->bad; i++)
		enc_str(e, list[i] != NULL ? list[i] : "");
}

static void
enc_entry(struct enc *e, const struct dir_entry *d)
{
	enc_u32(e, (uint32_t)d->kind);
	enc_opt(e, d->dn);
	enc_opt(e, d->address);
	enc_list(e, d->addresses, d->n_addresses);
	enc_opt(e, d->login);
	enc_opt(e, d->display_name);
	enc_opt(e, d->mailbox_id);
	enc_opt(e, d->mail_host);
	enc_u64(e, d->quota_bytes);
	enc_u64(e, d->quota_messages);
	enc_u32(e, (uint32_t)d->state);
	enc_list(e, d->forward_to, d->n_forward_to);
	enc_u32(e, d->forward_keep_copy);
	enc_list(e, d->send_as, d->n_send_as);
	enc_list(e, d->authz_to, d->n_authz_to);
	enc_list(e, d->targets, d->n_targets);
	enc_u32(e, (uint32_t)d->sender_policy);
	enc_list(e, d->allowed_senders, d->n_allowed_senders);
	enc_list(e, d->allowed_sender_addresses, d->n_allowed_sender_addresses);
}

static void
enc_info(struct enc *e, const struct dir_info *i)
{
	enc_opt(e, i->server);
	enc_u32(e, i->cached);
	enc_u32(e, i->round_trips);
	enc_u64(e, i->latency_us);
	enc_opt(e, i->error);
}

static void
enc_body(struct enc *e, const struct dir_proto_answer *a)
{
	const struct dir_stats *s = &a->stats;

	switch (a->type) {
	case DIR_PROTO_LOOKUP_ADDRESS:
	case DIR_PROTO_LOOKUP_LOGIN:
	case DIR_PROTO_CHECK_PASSWORD:
	case DIR_PROTO_LOOKUP_PRINCIPAL:
		enc_u32(e, a->entry != NULL);
		if (a->entry != NULL)
			enc_entry(e, a->entry);
		break;
	case DIR_PROTO_GROUP_MEMBERS:
		if (a->n_members > e->lim->list_max ||
		    (a->n_members > 0 && a->members == NULL)) {
			e->bad = -1;
			break;
		}
		enc_u32(e, (uint32_t)a->n_members);
		for (size_t i = 0; i < a->n_members && !e->bad; i++)
			enc_entry(e, a->members[i]);
		break;
	case DIR_PROTO_DOMAINS:
		enc_list(e, a->domains, a->n_domains);
		break;
	case DIR_PROTO_STATS:
		enc_u64(e, s->cache_hits);
		enc_u64(e, s->cache_misses);
		enc_u64(e, s->round_trips);
		enc_u64(e, s->latency_us_total);
		enc_u64(e, s->tempfails);
		enc_u64(e, s->cache_entries);
		break;
	default:
		break;
	}
}

struct ipc_msg *
dir_proto_answer_encode(const struct dir_proto_answer *a,
    const struct dir_proto_limits *lim)
{
	struct enc e = { .lim = lim };

	if (a->type < 1 || a->type > DIR_PROTO_TYPE_MAX || a->result < 0)
		return NULL;
	e.m = ipc_msg_new((uint32_t)a->type | DIR_PROTO_ANSWER);
	enc_u32(&e, (uint32_t)a->result);
	enc_info(&e, &a->info);
	enc_body(&e, a);
	if (e.bad || ipc_msg_len(e.m) > lim->answer_max)
		ipc_msg_free(&e.m);
	return e.m;
}

struct ipc_msg *
dir_proto_answer_tempfail(enum dir_proto_type type, const char *error)
{
	struct dir_proto_limits lim;
	struct dir_proto_answer a = { .type = type };
	struct ipc_msg *m;
	char text[512];
	size_t n = strlen(error);

	/* an error text is short by construction; cut it rather than fail */
	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	memcpy(text, error, n);
	text[n] = '\0';
	dir_proto_limits_default(&lim);
	a.result = type == DIR_PROTO_CHECK_PASSWORD ? DIR_AUTH_TEMPFAIL :
	    DIR_TEMPFAIL;
	a.info.error = text;
	m = dir_proto_answer_encode(&a, &lim);
	ASSERT(m != NULL);	/* a valid type and a short text always fit */
	return m;
}

/* Decoding an answer: the first failure sticks and says where. */
struct dec {
	struct ipc_in *in;
	const struct dir_proto_limits *lim;
	struct pool *pool;
	const char *err;	/* NULL while all is well */
};

static void
dec_fail(struct dec *d, const char *what)
{
	if (d->err == NULL)
		d->err = pool_printf(d->pool, "%s: %s", what,
		    d->in->err[0] != '\0' ? d->in->err : "bad value");
}

static uint32_t
dec_u32(struct dec *d, const char *what)
{
	uint32_t v = 0;

	if (d->err == NULL && ipc_get_u32(d->in, &v) == -1)
		dec_fail(d, what);
	return v;
}

static uint64_t
dec_u64(struct dec *d, const char *what)
{
	uint64_t v = 0;

	if (d->err == NULL && ipc_get_u64(d->in, &v) == -1)
		dec_fail(d, what);
	return v;
}

/* A u32 that must be at most max. */
static uint32_t
dec_enum(struct dec *d, uint32_t max, const char *what)
{
	uint32_t v = dec_u32(d, what);

	if (d->err == NULL && v > max) {
		d->in->err[0] = '\0';
		d->err = pool_printf(d->pool, "%s: value %u out of range", what,
		    v);
		return 0;
	}
	return v;
}

static char *
dec_str(struct dec *d, const char *what)
{
	const char *s;

	if (d->err != NULL)
		return NULL;
	if (ipc_get_str(d->in, &s, d->lim->string_max) == -1) {
		dec_fail(d, what);
		return NULL;
	}
	return pool_strdup(d->pool, s);
}

static char *
dec_opt(struct dec *d, const char *what)
{
	return dec_enum(d, 1, what) ? dec_str(d, what) : NULL;
}

/* A list: NULL-terminated array in the pool, count in *n (0 and an empty
 * array on error, so the result is always safe to walk). */
static char **
dec_list(struct dec *d, size_t *n, const char *what)
{
	uint32_t count = dec_u32(d, what);
	char **list;

	*n = 0;
	if (d->err == NULL && count > d->lim->list_max) {
		d->err = pool_printf(d->pool, "%s: %u items over limit %zu",
		    what, count, d->lim->list_max);
		count = 0;
	}
	/* each item takes at least 5 bytes: a cheap bound before allocating */
	if (d->err == NULL && count > (d->in->len - d->in->pos) / 5) {
		d->err = pool_printf(d->pool, "%s: %u items in %zu bytes", what,
		    count, d->in->len - d->in->pos);
		count = 0;
	}
	if (d->err != NULL)
		count = 0;
	list = pool_alloc(d->pool, ((size_t)count + 1) * sizeof(*list));
	for (uint32_t i = 0; i < count && d->err == NULL; i++)
		list[i] = dec_str(d, what);
	if (d->err == NULL)
		*n = count;
	else
		list[0] = NULL;
	return list;
}

static struct dir_entry *
dec_entry(struct dec *d)
{
	struct dir_entry *e = pool_alloc(d->pool, sizeof(*e));

	e->kind = (enum dir_kind)dec_enum(d, DIR_KIND_CONTACT, "entry kind");
	e->dn = dec_opt(d, "entry dn");
	e->address = dec_opt(d, "entry address");
	e->addresses = dec_list(d, &e->n_addresses, "entry addresses");
	e->login = dec_opt(d, "entry login");
	e->display_name = dec_opt(d, "entry display_name");
	e->mailbox_id = dec_opt(d, "entry mailbox_id");
	e->mail_host = dec_opt(d, "entry mail_host");
	e->quota_bytes = dec_u64(d, "entry quota_bytes");
	e->quota_messages = dec_u64(d, "entry quota_messages");
	e->state = (enum dir_state)dec_enum(d, DIR_STATE_RECEIVE_ONLY,
	    "entry state");
	e->forward_to = dec_list(d, &e->n_forward_to, "entry forward_to");
	e->forward_keep_copy = dec_enum(d, 1, "entry forward_keep_copy");
	e->send_as = dec_list(d, &e->n_send_as, "entry send_as");
	e->authz_to = dec_list(d, &e->n_authz_to, "entry authz_to");
	e->targets = dec_list(d, &e->n_targets, "entry targets");
	e->sender_policy = (enum dir_sender_policy)dec_enum(d,
	    DIR_SENDERS_LISTED, "entry sender_policy");
	e->allowed_senders = dec_list(d, &e->n_allowed_senders,
	    "entry allowed_senders");
	e->allowed_sender_addresses = dec_list(d,
	    &e->n_allowed_sender_addresses, "entry allowed_sender_addresses");
	return e;
}

static void
dec_members(struct dec *d, struct dir_proto_answer *a)
{
	uint32_t n = dec_u32(d, "member count");

	/* an entry takes far more than 64 bytes on the wire */
	if (d->err == NULL && (n > d->lim->list_max ||
	    n > (d->in->len - d->in->pos) / 64)) {
		d->err = pool_printf(d->pool, "member count %u over limit %zu "
		    "or past the message", n, d->lim->list_max);
		return;
	}
	if (d->err != NULL)
		return;
	a->members = pool_alloc(d->pool, ((size_t)n + 1) * sizeof(*a->members));
	for (uint32_t i = 0; i < n && d->err == NULL; i++)
		a->members[i] = dec_entry(d);
	if (d->err == NULL)
		a->n_members = n;
}

static void
dec_body(struct dec *d, struct dir_proto_answer *a)
{
	struct dir_stats *s = &a->stats;

	switch (a->type) {
	case DIR_PROTO_LOOKUP_ADDRESS:
	case DIR_PROTO_LOOKUP_LOGIN:
	case DIR_PROTO_CHECK_PASSWORD:
	case DIR_PROTO_LOOKUP_PRINCIPAL:
		if (dec_enum(d, 1, "has_entry"))
			a->entry = dec_entry(d);
		break;
	case DIR_PROTO_GROUP_MEMBERS:
		dec_members(d, a);
		break;
	case DIR_PROTO_DOMAINS:
		a->domains = dec_list(d, &a->n_domains, "domains");
		break;
	case DIR_PROTO_STATS:
		s->cache_hits = dec_u64(d, "stats");
		s->cache_misses = dec_u64(d, "stats");
		s->round_trips = dec_u64(d, "stats");
		s->latency_us_total = dec_u64(d, "stats");
		s->tempfails = dec_u64(d, "stats");
		s->cache_entries = (size_t)dec_u64(d, "stats");
		break;
	default:
		break;
	}
}

int
dir_proto_answer_decode(struct ipc_in *in, enum dir_proto_type expect,
    const struct dir_proto_limits *lim, struct pool *pool,
    struct dir_proto_answer *a, const char **err_out)
{
	struct dec d = { .in = in, .lim = lim, .pool = pool };
	uint32_t max_result;

	memset(a, 0, sizeof(*a));
	if (in->type != ((uint32_t)expect | DIR_PROTO_ANSWER)) {
		*err_out = pool_printf(pool, "answer of type 0x%x to a %s "
		    "request", in->type, dir_proto_type_name(expect));
		return -1;
	}
	a->type = expect;
	max_result = expect == DIR_PROTO_CHECK_PASSWORD ? DIR_AUTH_TEMPFAIL :
	    DIR_TEMPFAIL;
	a->result = (int)dec_enum(&d, max_result, "result");
	a->info.server = dec_opt(&d, "info server");
	a->info.cached = dec_enum(&d, 1, "info cached");
	a->info.round_trips = dec_u32(&d, "info round_trips");
	a->info.latency_us = dec_u64(&d, "info latency_us");
	a->info.error = dec_opt(&d, "info error");
	dec_body(&d, a);
	if (d.err == NULL && ipc_end(in) == -1)
		dec_fail(&d, "answer");
	if (d.err != NULL) {
		*err_out = d.err;
		memset(a, 0, sizeof(*a));
		return -1;
	}
	return 0;
}
