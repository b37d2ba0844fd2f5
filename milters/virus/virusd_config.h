/*
 * milters/virus/virusd_config.h - the [virusd] section of tessera.conf:
 * the milter socket, the ClamAV database directory, the scan limits and
 * what to do with infected mail, mail past a limit and scan errors.
 */
#ifndef MILTERS_VIRUS_VIRUSD_CONFIG_H
#define MILTERS_VIRUS_VIRUSD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/cfg.h"

/* What happens to infected mail. */
enum virusd_action { VIRUSD_ACTION_REJECT, VIRUSD_ACTION_QUARANTINE };

/* What happens to mail past a limit, or whose scan failed. */
enum virusd_fallback {
	VIRUSD_FALLBACK_ACCEPT,		/* accept, with an X-Virus-Status
					 * header saying why it is unscanned */
	VIRUSD_FALLBACK_TEMPFAIL,	/* 451 4.7.1: the client retries */
	VIRUSD_FALLBACK_REJECT,		/* 554 5.7.1 */
};

struct virusd_config {
	char *socket;			/* libmilter form: unix:PATH,
					 * inet:PORT@HOST, inet6:... */
	char *database_dir;		/* cl_load() directory */
	char *temp_dir;			/* spill files and libclamav's own
					 * temporary files; "": $TMPDIR or
					 * /tmp */
	int action;			/* enum virusd_action */
	int exceed_action;		/* enum virusd_fallback */
	int error_action;		/* enum virusd_fallback */
	char *scanned_header;		/* "Name: value" on clean mail; "":
					 * none */
	uint64_t max_message_size;	/* bytes buffered per message */
	uint64_t memory_size;		/* beyond this, spill to a file */
	uint64_t max_scan_size;		/* CL_ENGINE_MAX_SCANSIZE */
	uint64_t max_file_size;		/* CL_ENGINE_MAX_FILESIZE */
	int64_t max_recursion;		/* CL_ENGINE_MAX_RECURSION */
	int64_t max_files;		/* CL_ENGINE_MAX_FILES */
	uint64_t max_scan_time;		/* ms, CL_ENGINE_MAX_SCANTIME */
};

extern const struct cfg_section_def virusd_config_def;

/* The words of the enums, for log lines and the CLI. */
const char *virusd_action_name(enum virusd_action a);
const char *virusd_fallback_name(enum virusd_fallback f);

/* Split a configured "Name: value" header (valid per the section check)
 * into its name (into name, size bytes) and a pointer to its value in
 * hdr. 0, or -1 if hdr is empty or malformed. */
int virusd_config_header_split(const char *hdr, char *name, size_t size,
    const char **value_out);

#endif
