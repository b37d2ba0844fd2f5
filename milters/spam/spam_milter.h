/*
 * milters/spam/spam_milter.h - tessera-spamd's milter mode: libmilter
 * callbacks that collect each message, score it and tag or refuse it.
 */
#ifndef MILTERS_SPAM_SPAM_MILTER_H
#define MILTERS_SPAM_SPAM_MILTER_H

#include "lib/msg_header.h"
#include "milters/spam/spam_config.h"

/* Serve milter connections on s->socket until SIGTERM/SIGINT. The
 * database is read at start and again whenever its file is replaced (a
 * missing file scores everything 0.5, with a warning). Call after
 * privileges are dropped. Returns the exit status (0 or 1). */
int spam_milter_run(const struct spam_settings *s,
    const struct msg_limits *ml);

#endif
