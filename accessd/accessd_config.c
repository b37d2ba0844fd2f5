/*
 * accessd/accessd_config.c - the [accessd] and [accessd.listener.NAME]
 * section tables (defaults, ranges, one-line docs; docs/tessera.conf.5
 * has the long form).
 *
 * Runs in the master while it loads the configuration.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "accessd/accessd_config.h"
#include "lib/banned.h"

#define T struct accessd_config
static const struct cfg_key accessd_keys[] = {
	CFG_STRING(T, hostname, "hostname", "",
	    "this host's name as the directory's mailHost names it; empty: "
	    "[global] hostname"),
	CFG_BOOL(T, quota_full_tempfail, "quota_full_tempfail", "no",
	    "over quota is 452 4.2.2 (retry) instead of 552 5.2.2"),
	CFG_SIZE(T, lmtp_command_line_max, "lmtp_command_line_max", "2k",
	    "512", "64k", "LMTP command line, CRLF included"),
	CFG_SIZE(T, lmtp_line_max, "lmtp_line_max", "10k", "1000", "1m",
	    "line of a message after DATA, CRLF included"),
	CFG_INT(T, lmtp_recipients_max, "lmtp_recipients_max", "1000", "1",
	    "100000", "recipients of one LMTP transaction"),
	CFG_INT(T, lmtp_dedup_window, "lmtp_dedup_window", "500", "0",
	    "100000", "newest INBOX messages searched for the copy of a "
	    "delivery the queue manager is in doubt about"),
	CFG_TIME(T, lmtp_idle_timeout, "lmtp_idle_timeout", "5m", "1s", "1h",
	    "LMTP client silence before the session is closed"),
	CFG_SIZE(T, pop3_line_max, "pop3_line_max", "1k", "64", "64k",
	    "POP3 command line, CRLF included"),
	CFG_SIZE(T, pop3_auth_line_max, "pop3_auth_line_max", "16k", "256",
	    "64k", "AUTH response line, CRLF included (a Kerberos ticket"
	    " with an Active Directory PAC takes several KB)"),
	CFG_TIME(T, pop3_idle_timeout, "pop3_idle_timeout", "10m", "1s", "1h",
	    "POP3 client silence before the session is closed"),
	CFG_BOOL(T, pop3_plaintext_loopback, "pop3_plaintext_loopback", "no",
	    "allow POP3 logins without TLS from loopback clients"),
	CFG_INT(T, pop3_auth_failures_max, "pop3_auth_failures_max", "3", "1",
	    "100", "failed logins before a POP3 session is closed"),
};
#undef T

const struct cfg_section_def accessd_config_def = CFG_SECTION("accessd",
    struct accessd_config, accessd_keys, NULL,
    "the access daemon: LMTP delivery, POP3 and IMAP");

static const char *const proto_words[] = { "lmtp", "pop3", "pop3s", "imap",
	"imaps", NULL };

#define T struct accessd_listener
static const char *const tls_words[] = { "none", "starttls", "implicit",
	NULL };
static const struct cfg_key listener_keys[] = {
	CFG_LIST(T, base.addresses, base.n_addresses, "address", "127.0.0.1",
	    "numeric addresses to listen on (0.0.0.0 and :: for all)"),
	CFG_INT(T, base.port, "port", "0", "0", "65535",
	    "TCP port (required)"),
	CFG_ENUM(T, base.tls, "tls", "none", tls_words,
	    "none, starttls (offered in the protocol) or implicit"),
	CFG_INT(T, base.max_sessions, "max_sessions", "100", "1", "100000",
	    "concurrent sessions on this listener"),
	CFG_INT(T, base.max_per_client, "max_per_client", "10", "0", "100000",
	    "concurrent sessions per client address; 0: no cap"),
	CFG_LIST(T, base.sasl_mechanisms, base.n_sasl_mechanisms,
	    "sasl_mechanisms", "", "SASL mechanisms offered here (e.g. GSSAPI"
	    " PLAIN); empty: [sasl] mechanisms"),
	CFG_ENUM(T, type, "type", "lmtp", proto_words,
	    "lmtp, pop3 (STLS when [tls] has a certificate), pop3s, imap "
	    "(STARTTLS likewise) or imaps"),
};
#undef T

static int
listener_check(void *data, const char *instance, struct buf *msg)
{
	struct accessd_listener *l = data;

	(void)instance;
	if (l->base.port == 0) {
		buf_printf(msg, "port is required");
		return -1;
	}
	if (l->base.n_addresses == 0) {
		buf_printf(msg, "address needs at least one address");
		return -1;
	}
	if (l->type == ACCESSD_POP3S || l->type == ACCESSD_IMAPS)
		l->base.tls = SETTINGS_TLS_IMPLICIT;
	if (l->type == ACCESSD_LMTP && l->base.tls != SETTINGS_TLS_NONE) {
		buf_printf(msg, "tls is not supported on lmtp listeners");
		return -1;
	}
	return 0;
}

const struct cfg_section_def accessd_listener_def = CFG_SECTION_NAMED(
    "accessd.listener", struct accessd_listener, listener_keys,
    listener_check, "a listening socket of accessd and its protocol");

int
accessd_listener_type(const struct cfg *c, const char *name)
{
	const char *const *names;
	const void *const *structs;
	size_t n = cfg_instances(c, "accessd.listener", &names, &structs);
	size_t len = strcspn(name, "/");

	for (size_t i = 0; i < n; i++) {
		if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
			return ((const struct accessd_listener *)structs[i])->type;
	}
	return -1;
}

const char *
accessd_proto_name(enum accessd_proto p)
{
	return proto_words[p];
}
