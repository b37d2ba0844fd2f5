/*
 * lib/settings.h - configuration sections every Tessera daemon shares.
 *
 * [global] (identity, directories, users, logging, shutdown), [tls]
 * (certificates, priority), [sasl] (mechanisms, Kerberos acceptor) and
 * the listener sections [DAEMON.listener.NAME], plus the translation of
 * listener sections into the daemon skeleton's listeners (lib/server.h).
 */
#ifndef LIB_SETTINGS_H
#define LIB_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"

struct buf;
struct saslsrv_option;
struct server_listener_cfg;

struct settings_global {
	char *hostname;
	char *state_dir;
	char *run_dir;
	char *user;
	char *directory_user;
	int log_dest;		/* enum log_dest */
	int log_format;		/* enum log_format */
	int log_level;		/* enum log_level */
	uint64_t shutdown_grace;	/* ms */
};

struct settings_tls {
	char **certificates;
	size_t n_certificates;
	char **keys;
	size_t n_keys;
	char *priority;
	char *ca_file;
};

enum settings_tls_mode { SETTINGS_TLS_NONE, SETTINGS_TLS_STARTTLS, SETTINGS_TLS_IMPLICIT };

struct settings_listener {
	char **addresses;
	size_t n_addresses;
	int64_t port;
	int tls;		/* enum settings_tls_mode */
	int64_t max_sessions;
	int64_t max_per_client;
	char **sasl_mechanisms;	/* empty: [sasl] mechanisms */
	size_t n_sasl_mechanisms;
};

/* [sasl]: SASL mechanisms and the Kerberos (GSSAPI) acceptor. */
struct settings_sasl {
	char **mechanisms;		/* default of every listener */
	size_t n_mechanisms;
	char *keytab;			/* "": the Kerberos default */
	char *hostname;			/* acceptor host; "": [global] */
	char *smtp_service;
	char *imap_service;
	char *pop_service;
	char **allowed_realms;		/* GSSAPI principals' realms */
	size_t n_allowed_realms;
};

/* Every section of tessera.conf, whichever program owns it, in the form
 * of cfg_set_foreign ("mtad.listener.*" for instance sections). Each
 * program defines the sections it reads and skips the others with this
 * list, so one file serves them all and a misspelt section is still an
 * error. A new section is added here with its definition. */
extern const char *const settings_sections[];

/* The [global] and [tls] section definitions. */
extern const struct cfg_section_def settings_global_def;
extern const struct cfg_section_def settings_tls_def;
extern const struct cfg_section_def settings_sasl_def;
/* A listener section definition named "DAEMON.listener" (name must stay
 * valid as long as the returned definition is used). */
struct cfg_section_def settings_listener_def(const char *name);

/* Configure logging from [global] (log_dest, log_format, log_level). */
void settings_apply_logging(const struct cfg *c, const char *ident);

/* Translate the instances of listener section def_name into server
 * listeners, one per address: *out (xcalloc'd array, strings owned by c
 * or allocated; free with settings_listeners_free). Name is the instance
 * name, or "NAME/ADDRESS" for the second and later addresses. Returns
 * the count (0: no listener configured). */
size_t settings_listeners(const struct cfg *c, const char *def_name,
    const char *busy_reply, struct server_listener_cfg **out);
void settings_listeners_free(struct server_listener_cfg **lp, size_t n);

/* The mechanisms listener name ("NAME" or "NAME/ADDRESS" as
 * settings_listeners names them) of section def_name offers: its
 * sasl_mechanisms, else [sasl] mechanisms. NULL-terminated, owned by c. */
const char *const *settings_sasl_mechanisms(const struct cfg *c,
    const char *def_name, const char *name);
/* Whether list (NULL-terminated) names mech (case-insensitively). */
bool settings_sasl_has(const char *const *list, const char *mech);
/* Checks across [sasl] and the listeners of def_name that the section
 * checks cannot make: a listener offering GSSAPI needs allowed_realms.
 * 0, or -1 with a one-line reason appended to msg. */
int settings_sasl_check(const struct cfg *c, const char *def_name,
    struct buf *msg);
/* The Cyrus options [sasl] gives saslsrv_init (the keytab when set):
 * fills opts (room for 1) and returns the count. */
size_t settings_sasl_options(const struct cfg *c,
    struct saslsrv_option *opts);
/* The GSSAPI acceptor's host name: [sasl] hostname, else fallback. */
const char *settings_sasl_hostname(const struct cfg *c,
    const char *fallback);

#endif
