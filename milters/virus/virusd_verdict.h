/*
 * milters/virus/virusd_verdict.h - from a scan result and [virusd] to
 * what the milter tells the MTA: accept (maybe adding a header), reply
 * 451 or 554, or quarantine. Pure: no milter context, so the unit tests
 * and the scan command share it with the milter.
 */
#ifndef MILTERS_VIRUS_VIRUSD_VERDICT_H
#define MILTERS_VIRUS_VIRUSD_VERDICT_H

#include "milters/virus/virusd_config.h"
#include "milters/virus/virusd_engine.h"

/* The header tessera-virusd adds to mail it passes unscanned (past a
 * limit or after a scan error, when that action is accept) and to mail
 * it quarantines. */
#define VIRUSD_STATUS_HEADER "X-Virus-Status"

enum virusd_verdict {
	VIRUSD_VERDICT_ACCEPT,		/* add the header if one is set */
	VIRUSD_VERDICT_TEMPFAIL,	/* reply code/xcode/text */
	VIRUSD_VERDICT_REJECT,		/* reply code/xcode/text */
	VIRUSD_VERDICT_QUARANTINE,	/* reason; header; then accept */
};

struct virusd_decision {
	enum virusd_verdict verdict;
	char code[4];			/* "451", "554" */
	char xcode[8];			/* "4.7.1", "5.7.1" */
	char text[256];			/* reply text */
	char reason[256];		/* quarantine reason */
	char header_name[64];		/* "" if no header is added */
	char header_value[256];
};

/* Decide for result r (a message of more than max_message_size bytes
 * comes as VIRUSD_EXCEEDED "max_message_size"). Names from the scan go
 * into replies and headers with anything but letters, digits and
 * ".-_:/+" replaced by '_'. */
void virusd_verdict_decide(const struct virusd_config *cfg,
    const struct virusd_result *r, struct virusd_decision *d);

const char *virusd_verdict_name(enum virusd_verdict v);

#endif
