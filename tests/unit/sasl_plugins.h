/*
 * tests/unit/sasl_plugins.h - keep Cyrus SASL's GSSAPI plugins loaded in
 * a test process.
 *
 * Cyrus's GSSAPI and GS2 plugins (libsasl2-modules-gssapi-mit) allocate
 * at init what they free only with the process, and sasl_*_done unloads
 * them, so LeakSanitizer would report that memory as lost in an unknown
 * module. Kept mapped, it stays reachable, as in a daemon that never
 * unloads them. Call before the first sasl_*_init.
 */
#ifndef TESTS_UNIT_SASL_PLUGINS_H
#define TESTS_UNIT_SASL_PLUGINS_H

void sasl_plugins_keep_gssapi_mapped(void);

#endif
