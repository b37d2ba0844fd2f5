/*
 * milters/milter_common.c - libmilter plumbing shared by tessera-spamd
 * and tessera-virusd: message text from the header callbacks, and the
 * register/listen/serve sequence.
 *
 * Runs in the milter processes (libmilter threads for the text helpers,
 * the main thread for milter_serve). No state of its own.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "milters/milter_common.h"
#include "lib/banned.h"

void
milter_text_header(milter_text_fn fn, void *arg, const char *name,
    const char *value)
{
	fn(arg, name, strlen(name));
	fn(arg, ": ", 2);
	fn(arg, value, strlen(value));
	fn(arg, "\r\n", 2);
}

void
milter_text_eoh(milter_text_fn fn, void *arg)
{
	fn(arg, "\r\n", 2);
}

enum milter_serve_rc
milter_serve(const char *socket, struct smfiDesc *desc, int timeout_s,
    void (*on_listen)(void *arg), void *arg)
{
	if (smfi_setconn((char *)socket) != MI_SUCCESS ||
	    (timeout_s >= 0 && smfi_settimeout(timeout_s) != MI_SUCCESS) ||
	    smfi_register(*desc) != MI_SUCCESS)
		return MILTER_SERVE_SETUP;
	if (smfi_opensocket(true) != MI_SUCCESS)
		return MILTER_SERVE_LISTEN;
	if (on_listen != NULL)
		on_listen(arg);
	return smfi_main() == MI_SUCCESS ? MILTER_SERVE_OK : MILTER_SERVE_MAIN;
}
