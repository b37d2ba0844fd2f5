/*
 * milters/virus/virusd_verdict.c - the reply or header for each scan
 * result, per the [virusd] actions.
 *
 * Pure code run in milter threads and the scan command. Signature names
 * come from the database, but are still reduced to a safe alphabet
 * before they reach an SMTP reply or a header.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "lib/str.h"
#include "milters/virus/virusd_verdict.h"
#include "lib/banned.h"

static void
safe_name(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++) {
		char c = src[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(".-_:/+", c) != NULL;

		dst[i] = ok ? c : '_';
	}
	dst[i] = '\0';
}

static void
reply(struct virusd_decision *d, enum virusd_verdict v, const char *text)
{
	bool temp = v == VIRUSD_VERDICT_TEMPFAIL;

	d->verdict = v;
	(void)str_copy(d->code, sizeof(d->code), temp ? "451" : "554");
	(void)str_copy(d->xcode, sizeof(d->xcode), temp ? "4.7.1" : "5.7.1");
	(void)str_copy(d->text, sizeof(d->text), text);
}

/* A limit crossed (name: its key) or a scan error (name: the cause,
 * which stays in the log): the configured fallback. */
static void
fallback(struct virusd_decision *d, enum virusd_fallback f, bool limit,
    const char *name)
{
	char text[256];

	switch (f) {
	case VIRUSD_FALLBACK_ACCEPT:
		d->verdict = VIRUSD_VERDICT_ACCEPT;
		(void)str_copy(d->header_name, sizeof(d->header_name),
		    VIRUSD_STATUS_HEADER);
		if (limit)
			(void)str_printf(d->header_value,
			    sizeof(d->header_value), "unscanned; limit=%s",
			    name);
		else
			(void)str_copy(d->header_value,
			    sizeof(d->header_value), "unscanned; error");
		return;
	case VIRUSD_FALLBACK_TEMPFAIL:
		if (limit)
			(void)str_printf(text, sizeof(text), "Message could"
			    " not be scanned for viruses (limit %s)", name);
		else
			(void)str_copy(text, sizeof(text),
			    "Virus scan failed, try again later");
		reply(d, VIRUSD_VERDICT_TEMPFAIL, text);
		return;
	case VIRUSD_FALLBACK_REJECT:
		if (limit)
			(void)str_printf(text, sizeof(text), "Message exceeds"
			    " the virus scan limit %s", name);
		else
			(void)str_copy(text, sizeof(text),
			    "Message could not be scanned for viruses");
		reply(d, VIRUSD_VERDICT_REJECT, text);
		return;
	}
}

void
virusd_verdict_decide(const struct virusd_config *cfg,
    const struct virusd_result *r, struct virusd_decision *d)
{
	char name[VIRUSD_NAME_MAX];
	char text[256];
	const char *value;

	memset(d, 0, sizeof(*d));
	safe_name(name, sizeof(name), r->name);
	switch (r->status) {
	case VIRUSD_CLEAN:
		d->verdict = VIRUSD_VERDICT_ACCEPT;
		if (cfg->scanned_header[0] != '\0' &&
		    virusd_config_header_split(cfg->scanned_header,
		    d->header_name, sizeof(d->header_name), &value) == 0)
			(void)str_copy(d->header_value,
			    sizeof(d->header_value), value);
		else
			d->header_name[0] = '\0';
		return;
	case VIRUSD_INFECTED:
		if (cfg->action == VIRUSD_ACTION_QUARANTINE) {
			d->verdict = VIRUSD_VERDICT_QUARANTINE;
			(void)str_printf(d->reason, sizeof(d->reason),
			    "virus %s", name);
			(void)str_copy(d->header_name, sizeof(d->header_name),
			    VIRUSD_STATUS_HEADER);
			(void)str_printf(d->header_value,
			    sizeof(d->header_value), "infected; signature=%s",
			    name);
			return;
		}
		(void)str_printf(text, sizeof(text), "Virus found: %s", name);
		reply(d, VIRUSD_VERDICT_REJECT, text);
		return;
	case VIRUSD_EXCEEDED:
		fallback(d, (enum virusd_fallback)cfg->exceed_action, true,
		    name);
		return;
	case VIRUSD_ERROR:
		fallback(d, (enum virusd_fallback)cfg->error_action, false,
		    name);
		return;
	}
}

const char *
virusd_verdict_name(enum virusd_verdict v)
{
	static const char *const names[] = { "accept", "tempfail", "reject",
		"quarantine" };

	return (unsigned)v < 4 ? names[v] : "?";
}
