/*
 * milters/virus/virusd_milter.h - tessera-virusd's libmilter filter: each
 * message is buffered (virusd_spool), scanned at end of message with the
 * engine in service, and answered per [virusd] (virusd_verdict).
 */
#ifndef MILTERS_VIRUS_VIRUSD_MILTER_H
#define MILTERS_VIRUS_VIRUSD_MILTER_H

#include "milters/virus/virusd_config.h"
#include "milters/virus/virusd_engine.h"

/* Register the filter, open cfg->socket (replacing a stale unix socket)
 * and serve until libmilter is told to stop (SIGTERM, SIGINT, SIGHUP to
 * this process; tessera-virusd's supervisor turns its own SIGHUP into a
 * reload instead). cfg and slot must outlive the call. 0 after a clean
 * stop, -1 if the filter could not start (logged). */
int virusd_milter_run(const struct virusd_config *cfg,
    struct virusd_engine_slot *slot);

#endif
