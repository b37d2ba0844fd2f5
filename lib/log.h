/*
 * lib/log.h - one line per event, to stderr or syslog, as text or JSON.
 *
 * Lines carry the process identity (ident[pid]), the level and the current
 * session or queue id, so an administrator can grep one session's story.
 * Client-supplied text must pass through log_escape() first.
 */
#ifndef LIB_LOG_H
#define LIB_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };
enum log_dest { LOG_DEST_STDERR, LOG_DEST_SYSLOG };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* Configure logging for this process (before forking children, who
 * inherit it). ident is copied. */
void log_init(const char *ident, enum log_dest dest, enum log_format format,
    enum log_level min_level);
/* Change the identity shown (e.g. "mtad/smtp" in a session process). */
void log_set_ident(const char *ident);
/* Session or queue id put on every following line; NULL clears it. */
void log_set_session(const char *id);
/* Parse "debug"/"info"/"warn"/"error", "text"/"json", "stderr"/"syslog".
 * 0, or -1 if unknown. */
int log_level_parse(const char *s, enum log_level *out);
int log_format_parse(const char *s, enum log_format *out);
int log_dest_parse(const char *s, enum log_dest *out);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The _errno variants append ": <strerror(errno)>". */
void log_warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Cannot continue (config, environment): log and exit(1). */
void log_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void log_fatal_errno(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* Broken invariant: log and abort with a core. */
void log_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#define ASSERT(x) \
	do { \
		if (!(x)) \
			log_panic("assertion failed: %s at %s:%d", #x, \
			    __FILE__, __LINE__); \
	} while (0)

/* Escape len bytes of untrusted text for a log line into out (reset
 * first): printable ASCII except backslash and '"' as is, everything else
 * as \xNN. Output is cut at 512 bytes with "...". Returns buf_cstr(out). */
const char *log_escape(struct buf *out, const void *p, size_t len);

#endif
