/*
 * milters/milter_common.h - the libmilter plumbing tessera-spamd and
 * tessera-virusd share: rebuilding the message text from libmilter's
 * header callbacks, and opening the socket and serving.
 */
#ifndef MILTERS_MILTER_COMMON_H
#define MILTERS_MILTER_COMMON_H

#include <stddef.h>

#include <libmilter/mfapi.h>

/* Where a filter keeps the message text: called with each piece. */
typedef void (*milter_text_fn)(void *arg, const void *p, size_t len);

/* One header field as RFC 5322 text, "NAME: VALUE\r\n" (libmilter hands
 * the name and value apart, the value without its leading space), so
 * that a MIME parser finds the structure again. */
void milter_text_header(milter_text_fn fn, void *arg, const char *name,
    const char *value);

/* The blank line that ends the header. */
void milter_text_eoh(milter_text_fn fn, void *arg);

/* How milter_serve ended. */
enum milter_serve_rc {
	MILTER_SERVE_OK,	/* smfi_main returned after a clean stop */
	MILTER_SERVE_SETUP,	/* smfi_setconn/settimeout/register failed */
	MILTER_SERVE_LISTEN,	/* smfi_opensocket failed */
	MILTER_SERVE_MAIN,	/* smfi_main returned an error */
};

/* Register desc, listen on socket (a stale unix socket is replaced) and
 * serve until libmilter is told to stop. timeout_s >= 0 is given to
 * smfi_settimeout, < 0 leaves libmilter's default. When listening,
 * on_listen(arg) is called (for the caller's log line); the caller logs
 * the failures, each with its own words. */
enum milter_serve_rc milter_serve(const char *socket, struct smfiDesc *desc,
    int timeout_s, void (*on_listen)(void *arg), void *arg);

#endif
