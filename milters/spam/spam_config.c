/*
 * milters/spam/spam_config.c - the [spamd] section of tessera.conf.
 *
 * Runs in tessera-spamd while it reads its configuration; the table is
 * the reference for the [spamd] part of docs/tessera.conf.5
 * (tests/unit/milters/spam_config_test.c checks every key is there).
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/log.h"
#include "milters/spam/spam_config.h"
#include "milters/spam/spam_token.h"
#include "lib/banned.h"

int
spam_threshold_parse(const char *s, double *out)
{
	double v = 0, scale = 1;
	size_t i = 0, digits = 0, decimals = 0;

	while (s[i] >= '0' && s[i] <= '9' && digits < 2) {
		v = v * 10 + (s[i++] - '0');
		digits++;
	}
	if (s[i] == '.') {
		i++;
		while (s[i] >= '0' && s[i] <= '9' && decimals < 6) {
			scale /= 10;
			v += (s[i++] - '0') * scale;
			decimals++;
		}
	}
	if (s[i] != '\0' || digits + decimals == 0 || v > 1.0)
		return -1;
	*out = v;
	return 0;
}

static int
spam_check(void *data, const char *instance, struct buf *msg)
{
	const struct spam_config *c = data;
	double tag, reject;

	(void)instance;
	if (spam_threshold_parse(c->tag_threshold, &tag) == -1) {
		buf_printf(msg, "tag_threshold: not a number from 0 to 1");
		return -1;
	}
	if (spam_threshold_parse(c->reject_threshold, &reject) == -1) {
		buf_printf(msg, "reject_threshold: not a number from 0 to 1");
		return -1;
	}
	if (reject < tag) {
		buf_printf(msg, "reject_threshold is below tag_threshold");
		return -1;
	}
	if (strncmp(c->socket, "unix:", 5) != 0 &&
	    strncmp(c->socket, "local:", 6) != 0 &&
	    strncmp(c->socket, "inet:", 5) != 0 &&
	    strncmp(c->socket, "inet6:", 6) != 0) {
		buf_printf(msg, "socket: expected unix:PATH, inet:PORT@HOST or"
		    " inet6:PORT@HOST");
		return -1;
	}
	if (c->database[0] == '\0') {
		buf_printf(msg, "database is required");
		return -1;
	}
	return 0;
}

#define T struct spam_config
static const struct cfg_key spam_keys[] = {
	CFG_STRING(T, socket, "socket", "unix:/run/tessera/spamd.sock",
	    "milter socket: unix:PATH, inet:PORT@HOST or inet6:PORT@HOST"),
	CFG_STRING(T, database, "database", "/var/lib/tessera/spamd.db",
	    "token database file (written by tessera-spamd learn)"),
	CFG_STRING(T, tag_threshold, "tag_threshold", "0.9",
	    "score (0 to 1) from which a message is marked X-Spam-Status: Yes"),
	CFG_STRING(T, reject_threshold, "reject_threshold", "0.99",
	    "score (0 to 1) from which a message is refused with 550 5.7.1"),
	CFG_SIZE(T, message_size_max, "message_size_max", "1M", "4k", "1G",
	    "bytes of a message read and scored; the rest is not looked at"),
	CFG_SIZE(T, database_size_max, "database_size_max", "256M", "1k",
	    "16G", "largest token database file accepted"),
	CFG_INT(T, token_len_max, "token_len_max", "40", "8", "128",
	    "longest word kept as a token; longer ones are summarised"),
	CFG_INT(T, tokens_max, "tokens_max", "20000", "16", "1000000",
	    "distinct tokens taken from one message"),
	CFG_SIZE(T, text_max, "text_max", "1M", "1k", "1G",
	    "decoded bytes read from one MIME part"),
	CFG_TIME(T, timeout, "timeout", "2m", "1s", "1h",
	    "how long to wait for the MTA on the milter socket"),
};
#undef T

const struct cfg_section_def spam_config_def = CFG_SECTION("spamd",
    struct spam_config, spam_keys, spam_check,
    "tessera-spamd: the spam filter milter");

void
spam_config_settings(const struct cfg *c, struct spam_settings *s)
{
	const struct spam_config *sc = cfg_get(c, "spamd");

	memset(s, 0, sizeof(*s));
	s->socket = sc->socket;
	s->database = sc->database;
	/* checked by spam_check when loaded; the defaults are valid */
	ASSERT(spam_threshold_parse(sc->tag_threshold,
	    &s->tag_threshold) == 0);
	ASSERT(spam_threshold_parse(sc->reject_threshold,
	    &s->reject_threshold) == 0);
	s->message_size_max = (size_t)sc->message_size_max;
	s->database_size_max = (size_t)sc->database_size_max;
	s->tok.token_len_max = (size_t)sc->token_len_max;
	s->tok.tokens_max = (size_t)sc->tokens_max;
	s->tok.text_max = (size_t)sc->text_max;
	s->timeout_s = (unsigned)(sc->timeout / 1000);
}
