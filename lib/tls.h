/*
 * lib/tls.h - GnuTLS server and client contexts: certificates, trust,
 * priority strings.
 *
 * A context is built once (in the master, before privileges are dropped,
 * since key files are usually readable by root only) and shared by every
 * stream that starts TLS with it (lib/stream.h); sessions never modify it.
 * Contexts are not thread-safe while being built; once built they may be
 * used by several threads at once.
 *
 * Error texts: every function here that fails sets *err_out to a text in a
 * thread-local buffer owned by this module (the one mutable static of
 * lib/tls.c). It stays valid until the next tls_* call in the same thread;
 * copy it if it must live longer. err_out may be NULL.
 */
#ifndef LIB_TLS_H
#define LIB_TLS_H

#include <stdbool.h>

#include <gnutls/gnutls.h>

/* The priority used when the caller passes NULL: TLS 1.3 and 1.2 only,
 * GnuTLS's NORMAL cipher choice within them. */
#define TLS_PRIORITY_DEFAULT "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* Largest certificate or key file we read (a long chain fits easily). */
#define TLS_FILE_MAX (1024 * 1024)

struct tls_server;
struct tls_client;

/* New server context with GnuTLS priority string priority (NULL:
 * TLS_PRIORITY_DEFAULT) and no certificate yet. Returns NULL with *err_out
 * set if the priority string is invalid. */
struct tls_server *tls_server_new(const char *priority, const char **err_out);

/* Add a certificate (PEM; the file may hold the chain, leaf first) and its
 * private key (PEM, unencrypted). May be called several times: during a
 * handshake GnuTLS picks the pair whose names match the SNI name the
 * client sent, and the first pair added when none matches or the client
 * sent no name. Returns 0, or -1 with *err_out naming the file that is
 * missing, unreadable, too large or unparsable, or saying that the key
 * does not match the certificate. The context is unchanged on failure. */
int tls_server_add_cert(struct tls_server *t, const char *cert_file,
    const char *key_file, const char **err_out);

/* Number of certificate/key pairs added so far. */
unsigned tls_server_cert_count(const struct tls_server *t);

/* Free *tp (NULL-safe) and clear the pointer. Streams using it must be
 * freed first. */
void tls_server_free(struct tls_server **tp);

/* New client context. ca_file: PEM file of trusted CA certificates, or NULL
 * for the system trust store. priority: as for tls_server_new. verify: when
 * true, a handshake fails unless the server's chain leads to a trusted CA
 * and its certificate names the host given to stream_start_tls_client();
 * when false (opportunistic SMTP), nothing is checked and ca_file may be
 * NULL without loading the system store. Returns NULL with *err_out set if
 * the priority is invalid, ca_file cannot be read or holds no certificate,
 * or (verify with ca_file NULL) the system store cannot be loaded. */
struct tls_client *tls_client_new(const char *ca_file, const char *priority,
    bool verify, const char **err_out);

/* Free *tp (NULL-safe) and clear the pointer. */
void tls_client_free(struct tls_client **tp);

/*
 * For lib/stream.c. A new GnuTLS session on the non-blocking socket fd,
 * set up from the context (priority, credentials; for a client also the SNI
 * name and, with verify, the chain and host name checks for server_name,
 * which must then not be NULL). SNI is not sent when server_name is an IP
 * address literal (RFC 6066, section 3); the certificate is still checked
 * against it. The caller runs the handshake and owns the session
 * (gnutls_deinit). Returns 0, or -1 with *err_out set.
 */
int tls_server_session_new(const struct tls_server *t, int fd,
    gnutls_session_t *sess_out, const char **err_out);
int tls_client_session_new(const struct tls_client *t, int fd,
    const char *server_name, gnutls_session_t *sess_out,
    const char **err_out);

#endif
