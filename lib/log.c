/*
 * lib/log.c - one line per event, to stderr or syslog, as text or JSON.
 *
 * Each line is written with a single write(2) so lines from the many
 * processes of a daemon never interleave mid-line.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/banned.h"

#define LOG_LINE_MAX 8192
#define LOG_ESCAPE_MAX 512

static struct {
	char ident[64];
	char session[64];
	enum log_dest dest;
	enum log_format format;
	enum log_level min;
	bool syslog_open;
} log_state = { "tessera", "", LOG_DEST_STDERR, LOG_FORMAT_TEXT,
	LOG_LEVEL_INFO, false };

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_init(const char *ident, enum log_dest dest, enum log_format format,
    enum log_level min_level)
{
	(void)str_copy(log_state.ident, sizeof(log_state.ident), ident);
	log_state.dest = dest;
	log_state.format = format;
	log_state.min = min_level;
	if (dest == LOG_DEST_SYSLOG) {
		openlog(log_state.ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
		log_state.syslog_open = true;
	}
}

void
log_set_ident(const char *ident)
{
	(void)str_copy(log_state.ident, sizeof(log_state.ident), ident);
	if (log_state.syslog_open) {
		closelog();
		openlog(log_state.ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	}
}

void
log_set_session(const char *id)
{
	(void)str_copy(log_state.session, sizeof(log_state.session),
	    id != NULL ? id : "");
}

static int
parse_name(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (str_eq_ci(s, names[i]))
			return i;
	return -1;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	int i = parse_name(s, level_names, 4);

	if (i < 0)
		return -1;
	*out = (enum log_level)i;
	return 0;
}

int
log_format_parse(const char *s, enum log_format *out)
{
	static const char *const names[] = { "text", "json" };
	int i = parse_name(s, names, 2);

	if (i < 0)
		return -1;
	*out = (enum log_format)i;
	return 0;
}

int
log_dest_parse(const char *s, enum log_dest *out)
{
	static const char *const names[] = { "stderr", "syslog" };
	int i = parse_name(s, names, 2);

	if (i < 0)
		return -1;
	*out = (enum log_dest)i;
	return 0;
}

/* JSON string body: escape quotes, backslashes and control bytes. */
static void
json_escape(char *dst, size_t size, const char *src)
{
	size_t o = 0;

	for (; *src != '\0' && o + 7 < size; src++) {
		unsigned char c = (unsigned char)*src;

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			(void)str_printf(dst + o, size - o, "\\u%04x", c);
			o += 6;
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}

static void
log_emit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX * 2], stamp[40];
	size_t len;
	struct timespec ts;
	struct tm tm;

	if (level < log_state.min)
		return;
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		(void)str_copy(msg, sizeof(msg), "(unformattable log message)");
	len = strlen(msg);
	if (errnum != 0 && len < sizeof(msg))
		(void)str_printf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(errnum));
	/* One event, one line: a newline in a message would forge a line. */
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';

	if (log_state.dest == LOG_DEST_SYSLOG && log_state.format == LOG_FORMAT_TEXT) {
		static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };

		if (log_state.session[0] != '\0')
			syslog(prio[level], "%s: %s", log_state.session, msg);
		else
			syslog(prio[level], "%s", msg);
		return;
	}

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	(void)str_printf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000);

	if (log_state.format == LOG_FORMAT_JSON) {
		char emsg[LOG_LINE_MAX], eident[128], esess[128];

		json_escape(emsg, sizeof(emsg), msg);
		json_escape(eident, sizeof(eident), log_state.ident);
		json_escape(esess, sizeof(esess), log_state.session);
		(void)str_printf(line, sizeof(line),
		    "{\"time\":\"%s\",\"ident\":\"%s\",\"pid\":%ld,"
		    "\"level\":\"%s\",\"session\":\"%s\",\"msg\":\"%s\"}\n",
		    stamp, eident, (long)getpid(), level_names[level], esess, emsg);
	} else if (log_state.session[0] != '\0') {
		(void)str_printf(line, sizeof(line), "%s %s[%ld]: %s: %s%s\n", stamp,
		    log_state.ident, (long)getpid(), log_state.session,
		    level >= LOG_LEVEL_WARN ? (level == LOG_LEVEL_WARN ? "warning: " : "error: ") : "",
		    msg);
	} else {
		(void)str_printf(line, sizeof(line), "%s %s[%ld]: %s%s\n", stamp,
		    log_state.ident, (long)getpid(),
		    level >= LOG_LEVEL_WARN ? (level == LOG_LEVEL_WARN ? "warning: " : "error: ") : "",
		    msg);
	}
	len = strlen(line);
	if (len > 0 && line[len - 1] != '\n')
		line[len - 1] = '\n';
	if (log_state.dest == LOG_DEST_SYSLOG) {
		syslog(LOG_INFO, "%s", line);
		return;
	}
	(void)!write(STDERR_FILENO, line, len);
}

#define LOG_FN(name, level, with_errno) \
	void name(const char *fmt, ...) \
	{ \
		int e = errno; \
		va_list ap; \
		va_start(ap, fmt); \
		log_emit(level, with_errno ? e : 0, fmt, ap); \
		va_end(ap); \
		errno = e; \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_warn, LOG_LEVEL_WARN, 0)
LOG_FN(log_error, LOG_LEVEL_ERROR, 0)
LOG_FN(log_warn_errno, LOG_LEVEL_WARN, 1)
LOG_FN(log_error_errno, LOG_LEVEL_ERROR, 1)

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_fatal_errno(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	abort();
}

const char *
log_escape(struct buf *out, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i;

	buf_reset(out);
	for (i = 0; i < len; i++) {
		int rc;

		if (out->len >= LOG_ESCAPE_MAX) {
			(void)buf_append_str(out, "...");
			break;
		}
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\' && s[i] != '"')
			rc = buf_append_byte(out, s[i]);
		else
			rc = buf_printf(out, "\\x%02x", s[i]);
		if (rc == -1)
			break;
	}
	return buf_cstr(out);
}
