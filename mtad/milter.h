/*
 * mtad/milter.h - mtad's milter client: the chain of [milter.NAME]
 * filters a listener uses, run in the configured order as the session's
 * hooks (mtad/mtad_hooks.h), from connect to end of message.
 */
#ifndef MTAD_MILTER_H
#define MTAD_MILTER_H

#include <stdint.h>

#include "lib/cfg.h"
#include "mtad/mtad_hooks.h"

struct milter;

/* The client for configuration c (its [milter.NAME] sections and [mtad]
 * milters); hostname is the {j} macro, body_max the largest body a
 * milter may put in place (0: 64 MiB). NULL if no milter is configured.
 * Made in the master; each session process starts its own connections
 * (mtad_hooks.session_start). */
struct milter *milter_new(const struct cfg *c, const char *hostname,
    uint64_t body_max);
/* Install the client's hooks into *h (ctx = m). */
void milter_hooks(struct milter *m, struct mtad_hooks *h);
/* Free *mp (NULL-safe). */
void milter_free(struct milter **mp);

#endif
