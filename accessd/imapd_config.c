/*
 * accessd/imapd_config.c - the [accessd.imap] section table (defaults,
 * ranges, one-line docs; docs/tessera.conf.5 has the long form).
 *
 * Runs in the master while it loads the configuration.
 */
#include "config.h"

#include "lib/buf.h"
#include "lib/cfg.h"
#include "accessd/imapd_config.h"
#include "lib/banned.h"

static const char *const nonsync_words[] = { "plus", "minus", NULL };

#define T struct imapd_config
static const struct cfg_key imapd_keys[] = {
	CFG_SIZE(T, line_max, "line_max", "64k", "1k", "1m",
	    "IMAP command line, CRLF included (SASL-IR's initial response "
	    "too)"),
	CFG_SIZE(T, auth_line_max, "auth_line_max", "20k", "256", "64k",
	    "AUTHENTICATE continuation line (base64 client data), CRLF "
	    "included"),
	CFG_SIZE(T, literal_max, "literal_max", "64k", "1k", "16m",
	    "literal of any command but APPEND (whose message is bounded by "
	    "[accessd.store] message_size_max and the quota)"),
	CFG_SIZE(T, command_max, "command_max", "1m", "4k", "64m",
	    "a whole command: its lines and literals, APPEND's message aside"),
	CFG_INT(T, depth_max, "depth_max", "16", "2", "256",
	    "parenthesis nesting in a command (SEARCH, FETCH, APPEND)"),
	CFG_INT(T, args_max, "args_max", "10000", "16", "1000000",
	    "arguments of one command, all nesting levels"),
	CFG_INT(T, ranges_max, "ranges_max", "10000", "16", "1000000",
	    "ranges in one sequence set"),
	CFG_INT(T, search_keys_max, "search_keys_max", "1000", "4", "100000",
	    "search keys of one SEARCH, all nesting levels"),
	CFG_TIME(T, idle_timeout, "idle_timeout", "30m", "1s", "24h",
	    "silence of an authenticated client (and length of one IDLE) "
	    "before the session is closed"),
	CFG_TIME(T, login_timeout, "login_timeout", "1m", "1s", "1h",
	    "silence of a client that has not logged in"),
	CFG_TIME(T, send_timeout, "send_timeout", "5m", "1s", "1h",
	    "longest wait for a client to take the next 64 KiB of replies "
	    "before the session is closed (a client that does not read)"),
	CFG_SIZE(T, send_buffer, "send_buffer", "0", "0", "16m",
	    "kernel send buffer of a session's socket (SO_SNDBUF); 0 leaves "
	    "the kernel's own sizing"),
	CFG_ENUM(T, nonsync_literals, "nonsync_literals", "plus",
	    nonsync_words, "non-synchronizing literals: plus (LITERAL+, up "
	    "to the limits) or minus (LITERAL-, at most 4096 octets)"),
	CFG_BOOL(T, plaintext_loopback, "plaintext_loopback", "no",
	    "allow LOGIN and plaintext SASL without TLS from loopback"),
	CFG_INT(T, auth_failures_max, "auth_failures_max", "3", "1", "100",
	    "failed logins before an IMAP session is closed"),
};
#undef T

const struct cfg_section_def imapd_config_def = CFG_SECTION("accessd.imap",
    struct imapd_config, imapd_keys, NULL,
    "the IMAP sessions of accessd: limits and login policy");
