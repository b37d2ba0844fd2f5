/*
 * tests/fuzz/mime_date_fuzz.c - fuzz target for msg_date_parse in
 * lib/msg_date.c.
 *
 * Invariants: an accepted date has a zone within +-23:59; written back
 * in the canonical RFC 5322 form ("D Mon YYYY hh:mm:ss +hhmm", with
 * libc's gmtime_r as the independent converter) it parses to the same
 * instant and zone.
 */
#define _DEFAULT_SOURCE
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/msg_date.h"
#include "lib/str.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	time_t t, t2, local;
	int tz, tz2;
	struct tm tm;
	char again[128];

	if (msg_date_parse((const char *)data, size, &t, &tz) == -1)
		return 0;
	if (tz < -(23 * 60 + 59) || tz > 23 * 60 + 59)
		abort();
	local = t + (time_t)tz * 60;
	if (gmtime_r(&local, &tm) == NULL)
		abort();
	if (tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999)
		return 0;	/* not writable with a 4-digit year */
	if (tm.tm_sec == 60)
		return 0;
	if (str_printf(again, sizeof(again), "%d %s %d %02d:%02d:%02d %c%02d%02d",
	    tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, tz < 0 ? '-' : '+', abs(tz) / 60,
	    abs(tz) % 60) == -1)
		abort();
	if (msg_date_parse(again, strlen(again), &t2, &tz2) == -1 ||
	    t2 != t || tz2 != tz)
		abort();
	return 0;
}
