/*
 * lib/settings.c - configuration sections every Tessera daemon shares.
 *
 * Runs in the master while it reads its configuration; the tables here
 * are the reference for docs/tessera.conf.5 (tests/unit/lib/docs_test.c
 * checks that every key is documented there).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/saslsrv.h"
#include "lib/server.h"
#include "lib/settings.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static const char *const log_dest_words[] = { "stderr", "syslog", NULL };
static const char *const log_format_words[] = { "text", "json", NULL };
static const char *const log_level_words[] = { "debug", "info", "warn",
	"error", NULL };
static const char *const tls_mode_words[] = { "none", "starttls",
	"implicit", NULL };

static const struct cfg_key global_keys[] = {
	CFG_STRING(struct settings_global, hostname, "hostname", "",
	    "host name in greetings and Received: headers; empty: the system's"),
	CFG_STRING(struct settings_global, state_dir, "state_dir",
	    "/var/lib/tessera", "spool and state directory"),
	CFG_STRING(struct settings_global, run_dir, "run_dir", "/run/tessera",
	    "directory of the control sockets"),
	CFG_STRING(struct settings_global, user, "user", "tessera",
	    "user that session processes run as (when started as root)"),
	CFG_STRING(struct settings_global, directory_user, "directory_user",
	    "tessera-dir", "user of the lookup process that holds the LDAP secret"),
	CFG_ENUM(struct settings_global, log_dest, "log_dest", "syslog",
	    log_dest_words, "where log lines go: syslog (facility mail) or stderr"),
	CFG_ENUM(struct settings_global, log_format, "log_format", "text",
	    log_format_words, "log line format: text or json"),
	CFG_ENUM(struct settings_global, log_level, "log_level", "info",
	    log_level_words, "lowest level logged: debug, info, warn, error"),
	CFG_TIME(struct settings_global, shutdown_grace, "shutdown_grace",
	    "30s", "0s", "1h", "on stop, how long open sessions may finish"),
};

static int
tls_check(void *data, const char *instance, struct buf *msg)
{
	const struct settings_tls *t = data;

	if (t->n_certificates != t->n_keys) {
		buf_printf(msg, "certificate lists %zu files but key lists %zu:"
		    " they pair up in order", t->n_certificates, t->n_keys);
		return -1;
	}
	return 0;
}

static const struct cfg_key tls_keys[] = {
	CFG_LIST(struct settings_tls, certificates, n_certificates,
	    "certificate", "", "PEM certificate chain files; the first is the"
	    " default, the others are chosen by SNI"),
	CFG_LIST(struct settings_tls, keys, n_keys, "key", "",
	    "PEM private key files, one per certificate, same order"),
	CFG_STRING(struct settings_tls, priority, "priority",
	    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	    "GnuTLS priority string"),
	CFG_STRING(struct settings_tls, ca_file, "ca_file", "",
	    "CA bundle for verifying peers; empty: the system's"),
};

/* RFC 4422 3.1: 1 to 20 of A-Z 0-9 - _ (upper case: what saslsrv
 * compares). */
static bool
mech_name_ok(const char *m)
{
	size_t n;

	for (n = 0; m[n] != '\0'; n++)
		if (!((m[n] >= 'A' && m[n] <= 'Z') ||
		    (m[n] >= '0' && m[n] <= '9') || m[n] == '-' || m[n] == '_'))
			return false;
	return n > 0 && n <= 20;
}

static int
mechs_check(char **list, size_t n, const char *key, struct buf *msg)
{
	for (size_t i = 0; i < n; i++) {
		if (!mech_name_ok(list[i])) {
			buf_printf(msg, "%s: '%s' is not a SASL mechanism name"
			    " (upper case A-Z, 0-9, '-', '_'; at most 20)",
			    key, list[i]);
			return -1;
		}
	}
	return 0;
}

static int
sasl_check(void *data, const char *instance, struct buf *msg)
{
	const struct settings_sasl *s = data;

	if (mechs_check(s->mechanisms, s->n_mechanisms, "mechanisms",
	    msg) == -1)
		return -1;
	if (s->smtp_service[0] == '\0' || s->imap_service[0] == '\0' ||
	    s->pop_service[0] == '\0') {
		buf_printf(msg, "service names must not be empty");
		return -1;
	}
	return 0;
}

static const struct cfg_key sasl_keys[] = {
	CFG_LIST(struct settings_sasl, mechanisms, n_mechanisms, "mechanisms",
	    "PLAIN LOGIN", "SASL mechanisms listeners offer unless they set"
	    " sasl_mechanisms (PLAIN, LOGIN, GSSAPI)"),
	CFG_STRING(struct settings_sasl, keytab, "keytab", "",
	    "keytab with the service keys for GSSAPI (readable by the session"
	    " user); empty: KRB5_KTNAME or /etc/krb5.keytab"),
	CFG_STRING(struct settings_sasl, hostname, "hostname", "",
	    "host part of the GSSAPI service principals (SERVICE/HOST@REALM);"
	    " empty: the daemon's host name"),
	CFG_STRING(struct settings_sasl, smtp_service, "smtp_service", "smtp",
	    "service name of mtad's principal"),
	CFG_STRING(struct settings_sasl, imap_service, "imap_service", "imap",
	    "service name of accessd's IMAP principal"),
	CFG_STRING(struct settings_sasl, pop_service, "pop_service", "pop",
	    "service name of accessd's POP3 principal"),
	CFG_LIST(struct settings_sasl, allowed_realms, n_allowed_realms,
	    "allowed_realms", "", "Kerberos realms whose principals may log"
	    " in with GSSAPI (required when GSSAPI is offered)"),
};

const struct cfg_section_def settings_sasl_def = CFG_SECTION("sasl",
    struct settings_sasl, sasl_keys, sasl_check,
    "SASL mechanisms and the Kerberos acceptor");

const char *const settings_sections[] = {
	"global", "tls", "dns", "directory", "lookup", "admin", "mime", "sasl",
	"mtad", "mtad.queue", "mtad.delivery", "mtad.smtp", "mtad.listener.*",
	"accessd", "accessd.store", "accessd.imap", "accessd.listener.*",
	"milter.*", "policy", "spamd", "virusd", NULL
};

const struct cfg_section_def settings_global_def = CFG_SECTION("global",
    struct settings_global, global_keys, NULL,
    "identity, directories, users, logging");
const struct cfg_section_def settings_tls_def = CFG_SECTION("tls",
    struct settings_tls, tls_keys, tls_check, "server certificates");

static int
listener_check(void *data, const char *instance, struct buf *msg)
{
	const struct settings_listener *l = data;

	if (l->port == 0) {
		buf_printf(msg, "port is required");
		return -1;
	}
	if (l->n_addresses == 0) {
		buf_printf(msg, "address needs at least one address");
		return -1;
	}
	return mechs_check(l->sasl_mechanisms, l->n_sasl_mechanisms,
	    "sasl_mechanisms", msg);
}

static const struct cfg_key listener_keys[] = {
	CFG_LIST(struct settings_listener, addresses, n_addresses, "address",
	    "127.0.0.1", "numeric addresses to listen on (0.0.0.0 and :: for all)"),
	CFG_INT(struct settings_listener, port, "port", "0", "0", "65535",
	    "TCP port (required)"),
	CFG_ENUM(struct settings_listener, tls, "tls", "none", tls_mode_words,
	    "none, starttls (offered in the protocol) or implicit (TLS from the"
	    " first byte)"),
	CFG_INT(struct settings_listener, max_sessions, "max_sessions", "100",
	    "1", "100000", "concurrent sessions on this listener"),
	CFG_INT(struct settings_listener, max_per_client, "max_per_client", "10",
	    "0", "100000", "concurrent sessions per client address; 0: no cap"),
	CFG_LIST(struct settings_listener, sasl_mechanisms, n_sasl_mechanisms,
	    "sasl_mechanisms", "", "SASL mechanisms offered here (e.g. GSSAPI"
	    " PLAIN); empty: [sasl] mechanisms"),
};

struct cfg_section_def
settings_listener_def(const char *name)
{
	struct cfg_section_def d = CFG_SECTION_NAMED("", struct settings_listener,
	    listener_keys, listener_check, "a listening socket");

	d.name = name;
	return d;
}

void
settings_apply_logging(const struct cfg *c, const char *ident)
{
	const struct settings_global *g = cfg_get(c, "global");

	log_init(ident, (enum log_dest)g->log_dest,
	    (enum log_format)g->log_format, (enum log_level)g->log_level);
}

size_t
settings_listeners(const struct cfg *c, const char *def_name,
    const char *busy_reply, struct server_listener_cfg **out)
{
	const char *const *names;
	const void *const *structs;
	size_t n = cfg_instances(c, def_name, &names, &structs);
	size_t total = 0, k = 0;
	struct server_listener_cfg *l;

	for (size_t i = 0; i < n; i++)
		total += ((const struct settings_listener *)structs[i])->n_addresses;
	*out = NULL;
	if (total == 0)
		return 0;
	l = xcalloc(total, sizeof(*l));
	for (size_t i = 0; i < n; i++) {
		const struct settings_listener *s = structs[i];

		for (size_t a = 0; a < s->n_addresses; a++, k++) {
			struct buf *name = buf_new(32, 256);

			if (a == 0)
				buf_append_str(name, names[i]);
			else
				buf_printf(name, "%s/%s", names[i], s->addresses[a]);
			l[k].name = buf_steal(name, NULL);
			buf_free(&name);
			l[k].address = s->addresses[a];
			l[k].port = (uint16_t)s->port;
			l[k].implicit_tls = s->tls == SETTINGS_TLS_IMPLICIT;
			l[k].max_sessions = (unsigned)s->max_sessions;
			l[k].max_per_client = (unsigned)s->max_per_client;
			l[k].busy_reply = busy_reply;
		}
	}
	*out = l;
	return total;
}

void
settings_listeners_free(struct server_listener_cfg **lp, size_t n)
{
	if (lp == NULL || *lp == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free((char *)(*lp)[i].name);
	free(*lp);
	*lp = NULL;
}

/* The listener instance of def_name that settings_listeners named name. */
static const struct settings_listener *
listener_find(const struct cfg *c, const char *def_name, const char *name)
{
	const char *const *names;
	const void *const *structs;
	size_t n = cfg_instances(c, def_name, &names, &structs);
	size_t len = strcspn(name, "/");

	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
			return structs[i];
	return NULL;
}

const char *const *
settings_sasl_mechanisms(const struct cfg *c, const char *def_name,
    const char *name)
{
	const struct settings_listener *l = listener_find(c, def_name, name);
	const struct settings_sasl *s = cfg_get(c, "sasl");

	if (l != NULL && l->n_sasl_mechanisms > 0)
		return (const char *const *)l->sasl_mechanisms;
	return (const char *const *)s->mechanisms;
}

bool
settings_sasl_has(const char *const *list, const char *mech)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		if (str_eq_ci(list[i], mech))
			return true;
	return false;
}

int
settings_sasl_check(const struct cfg *c, const char *def_name,
    struct buf *msg)
{
	const struct settings_sasl *s = cfg_get(c, "sasl");
	const char *const *names;
	const void *const *structs;
	size_t n = cfg_instances(c, def_name, &names, &structs);

	for (size_t i = 0; i < n; i++) {
		const struct settings_listener *l = structs[i];

		if (mechs_check(l->sasl_mechanisms, l->n_sasl_mechanisms,
		    "sasl_mechanisms", msg) == -1)
			return -1;
	}
	if (s->n_allowed_realms > 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (settings_sasl_has(settings_sasl_mechanisms(c, def_name,
		    names[i]), "GSSAPI")) {
			buf_printf(msg, "[%s.%s] offers GSSAPI: [sasl]"
			    " allowed_realms must name the realms allowed",
			    def_name, names[i]);
			return -1;
		}
	}
	return 0;
}

size_t
settings_sasl_options(const struct cfg *c, struct saslsrv_option *opts)
{
	const struct settings_sasl *s = cfg_get(c, "sasl");

	if (s->keytab[0] == '\0')
		return 0;
	opts[0].name = "keytab";
	opts[0].value = s->keytab;
	return 1;
}

const char *
settings_sasl_hostname(const struct cfg *c, const char *fallback)
{
	const struct settings_sasl *s = cfg_get(c, "sasl");

	return s->hostname[0] != '\0' ? s->hostname : fallback;
}
