/*
 * directory/dir_proto.h - the lookup process's IPC protocol: requests from
 * session processes and the lookup process's answers, encoded with lib/ipc.h.
 *
 * Pure encode/decode, no sockets: the lookup process (dir_lookupd.c), the
 * client (dir_client.c), the unit tests and the fuzz target drive the same
 * code. Decoding trusts nothing: every string, list and count is checked
 * against struct dir_proto_limits, enum values against their range, and
 * the message must be consumed exactly (ipc_end). A decode failure means
 * a broken or hostile peer; the caller logs it and drops the connection.
 *
 * Wire layout (fields in order, lib/ipc.h encodings). An "opt" string is a
 * u32 presence flag (0 or 1) followed, when 1, by the string; a "list" is
 * a u32 count followed by that many strings.
 *   request  LOOKUP_ADDRESS   str address
 *            LOOKUP_LOGIN     str login
 *            GROUP_MEMBERS    str group DN
 *            GROUP_HAS_MEMBER str group DN, str address
 *            DOMAIN_ACCEPTED  str domain
 *            CHECK_PASSWORD   str login, bytes password
 *            LOOKUP_PRINCIPAL str principal
 *            DOMAINS, STATS, CACHE_FLUSH: empty
 *   answer   type = request type | DIR_PROTO_ANSWER; u32 result (enum
 *            dir_result, enum dir_auth for CHECK_PASSWORD), the info
 *            (opt server, u32 cached, u32 round_trips, u64 latency_us, opt
 *            error), then by request:
 *            LOOKUP_ADDRESS, LOOKUP_LOGIN, CHECK_PASSWORD,
 *                LOOKUP_PRINCIPAL: u32 has_entry,
 *                the entry when 1
 *            GROUP_MEMBERS: u32 count, that many entries
 *            DOMAINS: list
 *            STATS: u64 cache_hits, cache_misses, round_trips,
 *                latency_us_total, tempfails, cache_entries
 *            others: nothing.
 *   entry    u32 kind, opt dn, opt address, list addresses, opt login, opt
 *            display_name, opt mailbox_id, opt mail_host, u64 quota_bytes,
 *            u64 quota_messages, u32 state, list forward_to, u32
 *            forward_keep_copy, list send_as, list authz_to, list
 *            targets, u32
 *            sender_policy, list allowed_senders, list
 *            allowed_sender_addresses.
 */
#ifndef DIRECTORY_DIR_PROTO_H
#define DIRECTORY_DIR_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directory/dir.h"

struct ipc_in;
struct ipc_msg;
struct pool;

enum dir_proto_type {
	DIR_PROTO_LOOKUP_ADDRESS = 1,
	DIR_PROTO_LOOKUP_LOGIN = 2,
	DIR_PROTO_GROUP_MEMBERS = 3,
	DIR_PROTO_GROUP_HAS_MEMBER = 4,
	DIR_PROTO_DOMAIN_ACCEPTED = 5,
	DIR_PROTO_DOMAINS = 6,
	DIR_PROTO_CHECK_PASSWORD = 7,
	DIR_PROTO_STATS = 8,
	DIR_PROTO_CACHE_FLUSH = 9,
	DIR_PROTO_LOOKUP_PRINCIPAL = 10,
};
#define DIR_PROTO_TYPE_MAX 10
/* Set in the type of every answer. */
#define DIR_PROTO_ANSWER 0x80000000u

/* Longest password a request carries. */
#define DIR_PROTO_PASSWORD_MAX 1024
/* Longest group DN a request carries. */
#define DIR_PROTO_DN_MAX 2048

/* Bounds every decoder checks (and every encoder, so an answer too large
 * for the client becomes a TEMPFAIL rather than a dropped connection). */
struct dir_proto_limits {
	size_t string_max;	/* bytes of one string of an answer */
	size_t list_max;	/* items of one list, members of one group */
	size_t answer_max;	/* payload of one answer */
};

/* Defaults: strings 4096 bytes, lists 100000 items, answers 16 MiB. */
void dir_proto_limits_default(struct dir_proto_limits *lim);

/* A decoded request. Strings and the password point into the ipc_in they
 * came from and live as long as its payload; ipc_in_deinit wipes it. */
struct dir_proto_request {
	enum dir_proto_type type;
	const char *arg;		/* address, login, group DN, domain or
					 * principal */
	const char *arg2;		/* GROUP_HAS_MEMBER: the address */
	const uint8_t *password;	/* CHECK_PASSWORD */
	size_t password_len;
};

/* A decoded (or to be encoded) answer. */
struct dir_proto_answer {
	enum dir_proto_type type;
	int result;			/* enum dir_result or enum dir_auth */
	struct dir_info info;
	struct dir_entry *entry;	/* NULL: none */
	struct dir_entry **members;	/* GROUP_MEMBERS */
	size_t n_members;
	char **domains;			/* DOMAINS */
	size_t n_domains;
	struct dir_stats stats;		/* STATS */
};

/* Name of a request type for logs ("lookup_address"), "unknown" else. */
const char *dir_proto_type_name(uint32_t type);

/* Build the request r as a new message (caller frees with ipc_msg_free,
 * which wipes the password). NULL if a field is over its bound (address
 * DIR_ADDRESS_MAX, login DIR_LOGIN_MAX, domain DIR_DOMAIN_MAX, DN
 * DIR_PROTO_DN_MAX, password DIR_PROTO_PASSWORD_MAX) or a required
 * string is NULL. */
struct ipc_msg *dir_proto_request_encode(const struct dir_proto_request *r);
/* Decode the request in in (whole message). 0, or -1 with *err_out set
 * (static text or in->err) on an unknown type, a field missing, over its
 * bound or malformed, or bytes left over. */
int dir_proto_request_decode(struct ipc_in *in, struct dir_proto_request *r,
    const char **err_out);

/* Build answer a (for request a->type) as a new message. NULL when the
 * answer passes lim (a string, a list or the whole payload too long);
 * the caller then sends dir_proto_answer_tempfail instead. */
struct ipc_msg *dir_proto_answer_encode(const struct dir_proto_answer *a,
    const struct dir_proto_limits *lim);
/* A TEMPFAIL answer to a request of type with error text (never NULL). */
struct ipc_msg *dir_proto_answer_tempfail(enum dir_proto_type type,
    const char *error);
/* Decode the answer in in to a request of type expect. Everything is
 * copied into pool (the message may be freed after). 0, or -1 with
 * *err_out set (in pool) on a wrong type, a bad enum value, a bound of
 * lim passed, a malformed field or bytes left over. */
int dir_proto_answer_decode(struct ipc_in *in, enum dir_proto_type expect,
    const struct dir_proto_limits *lim, struct pool *pool,
    struct dir_proto_answer *a, const char **err_out);

#endif
