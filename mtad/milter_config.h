/*
 * mtad/milter_config.h - the [milter.NAME] sections of tessera.conf: where
 * each milter listens, its timeouts and limits, what mtad does when it is
 * down, slow or talks garbage, and which listeners use it; plus the
 * chain of milters for one listener in the order [mtad] milters names.
 */
#ifndef MTAD_MILTER_CONFIG_H
#define MTAD_MILTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"

struct buf;
struct pool;

enum milter_default { MILTER_DEFAULT_TEMPFAIL, MILTER_DEFAULT_ACCEPT };

/* One [milter.NAME] section. */
struct milter_def {
	char *socket;			/* unix:PATH, inet:HOST:PORT,
					 * inet:PORT@HOST */
	uint64_t connect_timeout;	/* ms */
	uint64_t command_timeout;	/* ms, each reply before EOM */
	uint64_t eom_timeout;		/* ms, the end-of-message reply */
	int default_action;		/* enum milter_default */
	char **listeners;		/* [mtad.listener.NAME] names; none:
					 * all listeners */
	size_t n_listeners;
	uint64_t max_packet_size;	/* bytes of one reply packet */
	uint64_t body_chunk_size;	/* bytes of one body chunk sent */
	int64_t max_edits;		/* modifications of one message */
};

/* A parsed socket address. */
struct milter_addr {
	bool is_unix;
	char path[108];			/* unix */
	char host[256];			/* inet: numeric or a name */
	char port[8];
};

/* The [milter.NAME] definition. */
extern const struct cfg_section_def milter_config_def;

/* Parse a socket specification. 0, or -1 with *err_out (static). */
int milter_addr_parse(const char *spec, struct milter_addr *out,
    const char **err_out);

/* One milter of a chain. */
struct milter_link {
	const char *name;
	const struct milter_def *def;
};

/* The milters listener (a [mtad.listener.NAME] name, or "NAME/ADDRESS")
 * runs, in order: those named by [mtad] milters (all [milter.NAME]
 * sections in file order if it names none) that list the listener or
 * list none. Returns how many, with *out allocated in pool. */
size_t milter_config_chain(const struct cfg *c, const char *listener,
    struct pool *pool, struct milter_link **out);
/* Cross-section checks: every name in [mtad] milters has a
 * [milter.NAME], and every listener a milter names exists. 0, or -1
 * with one line per problem appended to err. */
int milter_config_check(const struct cfg *c, struct buf *err);

#endif
