/*
 * milters/virus/virusd_config.c - the [virusd] section of tessera.conf
 * (see docs/tessera.conf.5 and docs/tessera-virusd.8).
 *
 * Read by tessera-virusd at start-up and on reload; a reload whose file
 * fails these checks keeps the running configuration.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "milters/virus/virusd_config.h"
#include "lib/banned.h"

static const char *const action_words[] = { "reject", "quarantine", NULL };
static const char *const fallback_words[] = { "accept", "tempfail",
	"reject", NULL };

/* A header field name (RFC 5322 ftext), at most this long. */
#define HEADER_NAME_MAX 64

int
virusd_config_header_split(const char *hdr, char *name, size_t size,
    const char **value_out)
{
	const char *colon = strchr(hdr, ':');
	size_t n;

	if (colon == NULL || colon == hdr || size == 0)
		return -1;
	n = (size_t)(colon - hdr);
	if (n >= size)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (hdr[i] < 33 || hdr[i] > 126)
			return -1;
	memcpy(name, hdr, n);
	name[n] = '\0';
	colon++;
	while (*colon == ' ' || *colon == '\t')
		colon++;
	if (*colon == '\0')
		return -1;
	for (const char *p = colon; *p != '\0'; p++)
		if ((unsigned char)*p < 32 && *p != '\t')
			return -1;
	*value_out = colon;
	return 0;
}

static int
virusd_check(void *data, const char *instance, struct buf *msg)
{
	const struct virusd_config *v = data;
	char name[HEADER_NAME_MAX];
	const char *value;

	if (v->socket[0] == '\0') {
		buf_printf(msg, "socket is required");
		return -1;
	}
	if (v->database_dir[0] == '\0') {
		buf_printf(msg, "database_dir is required");
		return -1;
	}
	if (v->scanned_header[0] != '\0' &&
	    virusd_config_header_split(v->scanned_header, name, sizeof(name),
	    &value) == -1) {
		buf_printf(msg, "scanned_header must be \"Name: value\"");
		return -1;
	}
	if (v->memory_size > v->max_message_size) {
		buf_printf(msg, "memory_size is above max_message_size");
		return -1;
	}
	return 0;
}

static const struct cfg_key virusd_keys[] = {
	CFG_STRING(struct virusd_config, socket, "socket",
	    "unix:/run/tessera/virusd.sock", "where the MTA connects:"
	    " unix:PATH or inet:PORT@HOST"),
	CFG_STRING(struct virusd_config, database_dir, "database_dir",
	    "/var/lib/clamav", "directory of ClamAV signature databases"),
	CFG_STRING(struct virusd_config, temp_dir, "temp_dir", "",
	    "large messages and libclamav's extracted files; empty: $TMPDIR"
	    " or /tmp"),
	CFG_ENUM(struct virusd_config, action, "action", "reject",
	    action_words, "infected mail: reject (554 5.7.1 naming the"
	    " signature) or quarantine (hold queue)"),
	CFG_ENUM(struct virusd_config, exceed_action, "exceed_action",
	    "accept", fallback_words, "mail past a limit: accept (with"
	    " X-Virus-Status), tempfail (451 4.7.1) or reject (554 5.7.1)"),
	CFG_ENUM(struct virusd_config, error_action, "error_action",
	    "tempfail", fallback_words, "mail whose scan failed: accept,"
	    " tempfail or reject"),
	CFG_STRING(struct virusd_config, scanned_header, "scanned_header",
	    "X-Virus-Scanned: tessera-virusd", "header added to clean mail;"
	    " empty: none"),
	CFG_SIZE(struct virusd_config, max_message_size, "max_message_size",
	    "25M", "1k", "4G", "largest message buffered for scanning;"
	    " larger ones get exceed_action"),
	CFG_SIZE(struct virusd_config, memory_size, "memory_size", "1M",
	    "0", "1G", "messages up to this size stay in memory, larger ones"
	    " go to a file in temp_dir"),
	CFG_SIZE(struct virusd_config, max_scan_size, "max_scan_size", "100M",
	    "1k", "4G", "most data scanned per message, extracted parts"
	    " included"),
	CFG_SIZE(struct virusd_config, max_file_size, "max_file_size", "25M",
	    "1k", "4G", "largest single file (part, archive member) scanned"),
	CFG_INT(struct virusd_config, max_recursion, "max_recursion", "16",
	    "1", "100", "nesting depth of archives and MIME parts"),
	CFG_INT(struct virusd_config, max_files, "max_files", "10000", "1",
	    "1000000", "files extracted from one message"),
	CFG_TIME(struct virusd_config, max_scan_time, "max_scan_time", "2m",
	    "100ms", "1h", "time one message may be scanned"),
};

const struct cfg_section_def virusd_config_def = CFG_SECTION("virusd",
    struct virusd_config, virusd_keys, virusd_check,
    "tessera-virusd, the virus scanning milter");

const char *
virusd_action_name(enum virusd_action a)
{
	return (unsigned)a < 2 ? action_words[a] : "?";
}

const char *
virusd_fallback_name(enum virusd_fallback f)
{
	return (unsigned)f < 3 ? fallback_words[f] : "?";
}
