/*
 * tests/unit/sasl_plugins.c - keep Cyrus's GSSAPI plugins mapped in test
 * processes (see sasl_plugins.h).
 *
 * Runs in test processes only; loads the plugins from libsasl2's own
 * plugin directory, and a missing plugin is fine.
 */
#include "config.h"

#include <dlfcn.h>
#include <sasl/sasl.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/sasl_plugins.h"
#include "lib/banned.h"

void
sasl_plugins_keep_gssapi_mapped(void)
{
	static const char *const plugins[] = { "libgssapiv2.so", "libgs2.so" };
	Dl_info di;
	const char *slash;
	char path[4096];

	if (dladdr((void *)sasl_server_init, &di) == 0 ||
	    di.dli_fname == NULL || (slash = strrchr(di.dli_fname, '/')) == NULL)
		return;
	for (size_t i = 0; i < sizeof(plugins) / sizeof(plugins[0]); i++) {
		snprintf(path, sizeof(path), "%.*s/sasl2/%s",
		    (int)(slash - di.dli_fname), di.dli_fname, plugins[i]);
		(void)dlopen(path, RTLD_NOW | RTLD_NODELETE);
	}
}
