/*
 * mtad/milter_config.c - [milter.NAME] sections and the milter chain of a
 * listener (mtad/milter_config.h; keys documented in tessera.conf(5)).
 *
 * Runs in the mtad master while it reads its configuration.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "mtad/milter_config.h"
#include "mtad/milter_proto.h"
#include "mtad/mtad_config.h"
#include "lib/banned.h"

static const char *const default_words[] = { "tempfail", "accept", NULL };

static int
def_check(void *data, const char *instance, struct buf *msg)
{
	const struct milter_def *d = data;
	struct milter_addr a;
	const char *err;

	(void)instance;
	if (d->socket[0] == '\0') {
		buf_printf(msg, "socket is required");
		return -1;
	}
	if (milter_addr_parse(d->socket, &a, &err) == -1) {
		buf_printf(msg, "socket: %s", err);
		return -1;
	}
	return 0;
}

static const struct cfg_key milter_keys[] = {
	CFG_STRING(struct milter_def, socket, "socket", "",
	    "where the milter listens: unix:PATH, inet:HOST:PORT or"
	    " inet:PORT@HOST (required)"),
	CFG_TIME(struct milter_def, connect_timeout, "connect_timeout", "5s",
	    "100ms", "5m", "connect and negotiate within this"),
	CFG_TIME(struct milter_def, command_timeout, "command_timeout", "30s",
	    "100ms", "1h", "wait this long for each reply before end of"
	    " message"),
	CFG_TIME(struct milter_def, eom_timeout, "eom_timeout", "5m",
	    "100ms", "1h", "wait this long for the end-of-message reply"
	    " (progress packets restart it)"),
	CFG_ENUM(struct milter_def, default_action, "default_action",
	    "tempfail", default_words, "when the milter is down, too slow or"
	    " answers garbage: tempfail (451 4.7.1) or accept (go on"
	    " without it)"),
	CFG_LIST(struct milter_def, listeners, n_listeners, "listeners", "",
	    "[mtad.listener.NAME] names that use this milter; empty: all"),
	CFG_SIZE(struct milter_def, max_packet_size, "max_packet_size", "64k",
	    "1k", "16M", "largest reply packet accepted from the milter"),
	CFG_SIZE(struct milter_def, body_chunk_size, "body_chunk_size",
	    "65535", "1k", "65535", "message body sent in chunks of this"
	    " size"),
	CFG_INT(struct milter_def, max_edits, "max_edits", "1000", "1",
	    "100000", "modifications (header, body, recipient, sender"
	    " packets) accepted for one message"),
};

const struct cfg_section_def milter_config_def = CFG_SECTION_NAMED("milter",
    struct milter_def, milter_keys, def_check, "a milter (mail filter)");

int
milter_addr_parse(const char *spec, struct milter_addr *out,
    const char **err_out)
{
	const char *at, *colon;

	memset(out, 0, sizeof(*out));
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		const char *p = strchr(spec, ':') + 1;

		out->is_unix = true;
		if (p[0] != '/' || str_copy(out->path, sizeof(out->path), p)
		    == -1) {
			*err_out = "unix: needs an absolute path of at most"
			    " 107 bytes";
			return -1;
		}
		return 0;
	}
	if (strncmp(spec, "inet:", 5) != 0 && strncmp(spec, "inet6:", 6) != 0) {
		*err_out = "expected unix:PATH, inet:HOST:PORT or"
		    " inet:PORT@HOST";
		return -1;
	}
	spec = strchr(spec, ':') + 1;
	if ((at = strchr(spec, '@')) != NULL) {
		/* Sendmail's PORT@HOST */
		if ((size_t)(at - spec) >= sizeof(out->port) ||
		    str_copy(out->host, sizeof(out->host), at + 1) == -1)
			goto bad;
		memcpy(out->port, spec, (size_t)(at - spec));
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL || str_copy(out->port, sizeof(out->port),
		    colon + 1) == -1)
			goto bad;
		if (spec[0] == '[') {	/* [v6]:port */
			if (colon == spec || colon[-1] != ']' ||
			    (size_t)(colon - spec - 2) >= sizeof(out->host))
				goto bad;
			memcpy(out->host, spec + 1, (size_t)(colon - spec - 2));
		} else {
			if ((size_t)(colon - spec) >= sizeof(out->host))
				goto bad;
			memcpy(out->host, spec, (size_t)(colon - spec));
		}
	}
	{
		uint64_t port;

		if (out->host[0] == '\0' || parse_u64(out->port,
		    strlen(out->port), 65535, &port) == -1 || port == 0)
			goto bad;
	}
	return 0;
bad:
	*err_out = "inet: needs HOST:PORT or PORT@HOST with a port 1-65535";
	return -1;
}

static bool
listed(char *const *list, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncmp(list[i], name, len) == 0)
			return true;
	return false;
}

size_t
milter_config_chain(const struct cfg *c, const char *listener,
    struct pool *pool, struct milter_link **out)
{
	const struct mtad_config *mc = cfg_get(c, "mtad");
	const char *const *names;
	const void *const *defs;
	size_t n = cfg_instances(c, "milter", &names, &defs);
	size_t lkeep = strcspn(listener, "/"), k = 0;
	size_t norder = mc->n_milters > 0 ? mc->n_milters : n;

	*out = pool_alloc(pool, (norder + 1) * sizeof(**out));
	for (size_t o = 0; o < norder; o++) {
		const char *want = mc->n_milters > 0 ? mc->milters[o] :
		    names[o];

		for (size_t i = 0; i < n; i++) {
			const struct milter_def *d = defs[i];

			if (strcmp(names[i], want) != 0)
				continue;
			if (d->n_listeners > 0 && !listed(d->listeners,
			    d->n_listeners, listener, lkeep))
				break;
			(*out)[k].name = names[i];
			(*out)[k].def = d;
			k++;
			break;
		}
	}
	return k;
}

int
milter_config_check(const struct cfg *c, struct buf *err)
{
	const struct mtad_config *mc = cfg_get(c, "mtad");
	const char *const *names, *const *lnames;
	const void *const *defs;
	size_t n = cfg_instances(c, "milter", &names, &defs);
	size_t nl = cfg_instances(c, "mtad.listener", &lnames, NULL);
	int rc = 0;

	for (size_t o = 0; o < mc->n_milters; o++) {
		bool found = false;

		for (size_t i = 0; i < n && !found; i++)
			found = strcmp(names[i], mc->milters[o]) == 0;
		for (size_t p = 0; p < o && found; p++)
			if (strcmp(mc->milters[p], mc->milters[o]) == 0) {
				buf_printf(err, "[mtad] milters: %s named"
				    " twice\n", mc->milters[o]);
				rc = -1;
			}
		if (!found) {
			buf_printf(err, "[mtad] milters: no [milter.%s]"
			    " section\n", mc->milters[o]);
			rc = -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct milter_def *d = defs[i];

		for (size_t j = 0; j < d->n_listeners; j++) {
			bool found = false;

			for (size_t l = 0; l < nl && !found; l++)
				found = strcmp(lnames[l], d->listeners[j]) == 0;
			if (!found) {
				buf_printf(err, "[milter.%s] listeners: no"
				    " [mtad.listener.%s] section\n", names[i],
				    d->listeners[j]);
				rc = -1;
			}
		}
	}
	return rc;
}
