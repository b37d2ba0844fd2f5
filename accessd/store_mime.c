/*
 * accessd/store_mime.c - ENVELOPE and BODYSTRUCTURE of a stored message
 * through lib/mime, for the store's index cache (store_msg_cache).
 *
 * Runs in accessd sessions; the message bytes are untrusted and the
 * parser never fails on them (a malformed message gets a best-effort
 * structure).
 */
#include "config.h"

#include "lib/buf.h"
#include "lib/mime.h"
#include "lib/mime_imap.h"
#include "lib/msg_header.h"
#include "lib/pool.h"
#include "accessd/store_mime.h"
#include "lib/banned.h"

/* Longest cached string (a body structure of thousands of parts). */
#define STORE_MIME_STRING_MAX (4u * 1024 * 1024)

int
store_mime_cache(void *arg, const uint8_t *msg, size_t len,
    char **envelope_out, char **bodystructure_out)
{
	const struct msg_limits *given = arg;
	struct msg_limits lim;
	struct pool *pool = pool_new("store_mime");
	struct buf *env = buf_new(512, STORE_MIME_STRING_MAX);
	struct buf *bs = buf_new(512, STORE_MIME_STRING_MAX);
	struct mime_message *m;
	int rc = -1;

	if (given != NULL)
		lim = *given;
	else
		msg_limits_defaults(&lim);
	m = mime_parse(pool, msg, len, &lim);
	if (mime_imap_envelope(m, m->root, pool, env) == 0 &&
	    mime_imap_bodystructure(m, m->root, true, pool, bs) == 0) {
		*envelope_out = buf_steal(env, NULL);
		*bodystructure_out = buf_steal(bs, NULL);
		rc = 0;
	}
	buf_free(&env);
	buf_free(&bs);
	pool_free(&pool);
	return rc;
}
