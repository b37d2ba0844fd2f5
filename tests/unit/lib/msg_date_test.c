/*
 * tests/unit/lib/msg_date_test.c - unit tests for lib/msg_date.c, with
 * libc's timegm() as the independent reference for the conversion.
 */
#define _DEFAULT_SOURCE
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "lib/msg_date.h"
#include "lib/banned.h"

static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
		.tm_hour = h, .tm_min = mi, .tm_sec = s };

	return timegm(&tm);
}

static void
expect(const char *s, time_t want, int want_tz)
{
	time_t t = 0;
	int tz = 12345;

	cr_assert_eq(msg_date_parse(s, strlen(s), &t, &tz), 0, "%s", s);
	cr_expect_eq(t, want, "%s: %lld != %lld", s, (long long)t,
	    (long long)want);
	cr_expect_eq(tz, want_tz, "%s: zone %d", s, tz);
}

Test(msg_date, rfc5322_form)
{
	expect("Tue, 4 Mar 2025 09:15:00 +0100", utc(2025, 3, 4, 8, 15, 0), 60);
	expect("Fri, 21 Nov 1997 09:55:06 -0600", utc(1997, 11, 21, 15, 55, 6),
	    -360);
	expect("1 Jan 1970 00:00:00 +0000", 0, 0);
	expect("29 Feb 2024 23:59:60 +0000", utc(2024, 3, 1, 0, 0, 0), 0);
}

Test(msg_date, tolerated_forms)
{
	expect("Thu, 13 Feb 69 23:32 -0330", utc(1969, 2, 14, 3, 2, 0), -210);
	expect("13 Feb 99 23:32:00 GMT", utc(1999, 2, 13, 23, 32, 0), 0);
	expect("13 feb 103 23:32:00 EST", utc(2003, 2, 14, 4, 32, 0), -300);
	expect("Mon,  3 Jun 2024 10:00:00 +0000 (UTC)",
	    utc(2024, 6, 3, 10, 0, 0), 0);
	expect("3 June 2024 10.00.00 PDT", utc(2024, 6, 3, 17, 0, 0), -420);
	expect("3-Jun-2024 10:00:00", utc(2024, 6, 3, 10, 0, 0), 0);
	expect("3 Jun 2024 10:00:00 Z", utc(2024, 6, 3, 10, 0, 0), 0);
	expect("3 Jun 2024 10:00:00 +02", utc(2024, 6, 3, 8, 0, 0), 120);
}

Test(msg_date, rejected)
{
	const char *bad[] = { "", "yesterday", "32 Jan 2024 10:00:00 +0000",
		"1 Foo 2024 10:00:00", "1 Jan 2024 24:00:00", "1 Jan 2024 10",
		"1 Jan 10:00:00", "Mon, Jan 1 2024 10:00:00" };
	time_t t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(msg_date_parse(bad[i], strlen(bad[i]), &t, NULL),
		    -1, "%s", bad[i]);
}

Test(msg_date, never_reads_past_len)
{
	const char *s = "1 Jan 2024 10:00:00 +0100";
	time_t t;
	int tz;

	/* cut before the zone: accepted without it */
	cr_assert_eq(msg_date_parse(s, 19, &t, &tz), 0);
	cr_assert_eq(tz, 0);
	cr_assert_eq(t, utc(2024, 1, 1, 10, 0, 0));
	for (size_t n = 0; n < 19; n++)
		msg_date_parse(s, n, &t, &tz);
}

Test(msg_date, days_agree_with_timegm)
{
	for (int y = 1900; y <= 2400; y += 7)
		for (int m = 1; m <= 12; m++)
			cr_assert_eq(msg_date_days(y, m, 28) * 86400,
			    (long long)utc(y, m, 28, 0, 0, 0));
}
