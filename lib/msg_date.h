/*
 * lib/msg_date.h - RFC 5322 date-time (the Date: header) to time_t.
 *
 * Tolerant of what real mail carries: no day of week, two- and
 * three-digit years (RFC 5322 4.3), missing seconds, zone names
 * (UT, GMT, EST ... PDT, military letters), a missing zone, trailing
 * comments, lower case month names, '.' in the time.
 */
#ifndef LIB_MSG_DATE_H
#define LIB_MSG_DATE_H

#include <stddef.h>
#include <time.h>

/* Parse len bytes at s. 0 with *t_out (seconds since the epoch, UTC) and
 * *tz_out (zone offset in minutes east of UTC; may be NULL), or -1 if no
 * date can be read. Never reads past len. */
int msg_date_parse(const char *s, size_t len, time_t *t_out, int *tz_out);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
long long msg_date_days(long long year, int month, int day);

#endif
