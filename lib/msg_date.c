/*
 * lib/msg_date.c - RFC 5322 date-time parser.
 *
 * Reads day, month, year, time and zone as separate tokens, so the
 * common malformations (missing weekday or seconds, a zone name instead
 * of an offset, a comment after it) still give a date. The conversion to
 * time_t is arithmetic (no TZ environment, no libc time zone state).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/msg_date.h"
#include "lib/str.h"
#include "lib/banned.h"

struct cursor {
	const char *s;
	size_t len, i;
};

static const char *const months[] = { "jan", "feb", "mar", "apr", "may",
	"jun", "jul", "aug", "sep", "oct", "nov", "dec" };

static const struct {
	const char *name;
	int minutes;
} zones[] = {
	{ "ut", 0 }, { "gmt", 0 }, { "utc", 0 }, { "z", 0 },
	{ "edt", -4 * 60 }, { "est", -5 * 60 }, { "cdt", -5 * 60 },
	{ "cst", -6 * 60 }, { "mdt", -6 * 60 }, { "mst", -7 * 60 },
	{ "pdt", -7 * 60 }, { "pst", -8 * 60 },
	{ "cet", 60 }, { "cest", 120 }, { "bst", 60 }, { "met", 60 },
};

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 'a' - 'A') : c;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	c = lower(c);
	return c >= 'a' && c <= 'z';
}

/* Skip white space, commas and comments. */
static void
skip_cfws(struct cursor *c)
{
	while (c->i < c->len) {
		char ch = c->s[c->i];

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' ||
		    ch == ',') {
			c->i++;
		} else if (ch == '(') {
			int depth = 0;

			for (; c->i < c->len; c->i++) {
				if (c->s[c->i] == '\\' && c->i + 1 < c->len)
					c->i++;
				else if (c->s[c->i] == '(')
					depth++;
				else if (c->s[c->i] == ')' && --depth == 0) {
					c->i++;
					break;
				}
			}
		} else {
			break;
		}
	}
}

/* Up to maxd digits; -1 if none. */
static long long
number(struct cursor *c, size_t maxd, size_t *ndigits)
{
	long long v = 0;
	size_t n = 0;

	while (c->i < c->len && is_digit(c->s[c->i]) && n < maxd) {
		v = v * 10 + (c->s[c->i++] - '0');
		n++;
	}
	if (ndigits != NULL)
		*ndigits = n;
	return n == 0 ? -1 : v;
}

/* A run of letters, lower-cased into w[size]; its length. */
static size_t
word(struct cursor *c, char *w, size_t size)
{
	size_t n = 0;

	while (c->i < c->len && is_alpha(c->s[c->i])) {
		if (n + 1 < size)
			w[n++] = lower(c->s[c->i]);
		c->i++;
	}
	w[n] = '\0';
	return n;
}

static int
month_of(const char *w)
{
	if (strlen(w) < 3)
		return -1;
	for (int m = 0; m < 12; m++)
		if (strncmp(w, months[m], 3) == 0)
			return m + 1;
	return -1;
}

/* The zone: +hhmm / -hhmm, a name, a military letter, or nothing. */
static int
zone(struct cursor *c)
{
	char w[16];

	skip_cfws(c);
	if (c->i < c->len && (c->s[c->i] == '+' || c->s[c->i] == '-')) {
		int sign = c->s[c->i++] == '-' ? -1 : 1;
		size_t nd;
		long long v = number(c, 4, &nd);

		if (v < 0)
			return 0;
		if (nd <= 2)	/* "+2" or "+02": hours only */
			v *= 100;
		if (v % 100 >= 60 || v / 100 > 23)
			return 0;
		return sign * (int)(v / 100 * 60 + v % 100);
	}
	if (word(c, w, sizeof(w)) == 0)
		return 0;
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strcmp(w, zones[i].name) == 0)
			return zones[i].minutes;
	/* military zones and unknown names: RFC 5322 4.3 says -0000 */
	return 0;
}

long long
msg_date_days(long long y, int m, int d)
{
	/* days from civil (H. Hinnant's algorithm) */
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* hh:mm[:ss], also with '.' separators. */
static int
clock_time(struct cursor *c, int *h, int *mi, int *sec)
{
	long long v;

	skip_cfws(c);
	if ((v = number(c, 2, NULL)) < 0 || v > 23)
		return -1;
	*h = (int)v;
	if (c->i >= c->len || (c->s[c->i] != ':' && c->s[c->i] != '.'))
		return -1;
	c->i++;
	if ((v = number(c, 2, NULL)) < 0 || v > 59)
		return -1;
	*mi = (int)v;
	*sec = 0;
	if (c->i < c->len && (c->s[c->i] == ':' || c->s[c->i] == '.')) {
		c->i++;
		if ((v = number(c, 2, NULL)) < 0 || v > 60)
			return -1;
		*sec = (int)v;
	}
	return 0;
}

int
msg_date_parse(const char *s, size_t len, time_t *t_out, int *tz_out)
{
	struct cursor c = { .s = s, .len = len };
	long long day, year;
	int month, h, mi, sec, tz;
	size_t nd, save;
	char w[16];

	skip_cfws(&c);
	save = c.i;
	if (word(&c, w, sizeof(w)) > 0 && month_of(w) < 0) {
		skip_cfws(&c);		/* day of week */
	} else {
		c.i = save;
	}
	skip_cfws(&c);
	if ((day = number(&c, 2, NULL)) < 1 || day > 31)
		return -1;
	skip_cfws(&c);
	if (c.i < c.len && c.s[c.i] == '-')
		c.i++;		/* "1-Jan-2024" */
	if (word(&c, w, sizeof(w)) == 0 || (month = month_of(w)) < 0)
		return -1;
	skip_cfws(&c);
	if (c.i < c.len && c.s[c.i] == '-')
		c.i++;
	if ((year = number(&c, 4, &nd)) < 0)
		return -1;
	if (nd == 2)
		year += year < 50 ? 2000 : 1900;
	else if (nd == 3)
		year += 1900;
	if (clock_time(&c, &h, &mi, &sec) == -1)
		return -1;
	tz = zone(&c);
	*t_out = (time_t)(msg_date_days(year, month, (int)day) * 86400 +
	    h * 3600 + mi * 60 + sec - (long long)tz * 60);
	if (tz_out != NULL)
		*tz_out = tz;
	return 0;
}
