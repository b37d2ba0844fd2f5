/*
 * accessd/store_mime.h - the store's cached IMAP strings computed with
 * lib/mime: what IMAP passes to store_msg_cache.
 *
 * Runs in accessd sessions on message bytes from the store (written by
 * LMTP or APPEND, so untrusted): lib/mime's parser is bounded by the
 * msg_limits given.
 */
#ifndef ACCESSD_STORE_MIME_H
#define ACCESSD_STORE_MIME_H

#include <stddef.h>
#include <stdint.h>

/* A store_cache_fn: arg is a const struct msg_limits * (NULL: the
 * defaults). The ENVELOPE and the extensible BODYSTRUCTURE of the
 * message, as RFC 3501 writes them. */
int store_mime_cache(void *arg, const uint8_t *msg, size_t len,
    char **envelope_out, char **bodystructure_out);

#endif
