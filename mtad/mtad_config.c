/*
 * mtad/mtad_config.c - the [mtad] and [mtad.listener.NAME] sections of
 * tessera.conf (see docs/tessera.conf.5 and docs/mtad.8).
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/settings.h"
#include "mtad/mtad_config.h"
#include "lib/banned.h"

static const struct cfg_key mtad_keys[] = {
	CFG_STRING(struct mtad_config, hostname, "hostname", "",
	    "name in the greeting, EHLO and Received:; empty: [global]"
	    " hostname"),
	CFG_SIZE(struct mtad_config, max_message_size, "max_message_size",
	    "50M", "0", "4G", "largest message accepted (SIZE), 0: no limit"),
	CFG_INT(struct mtad_config, max_recipients, "max_recipients", "100",
	    "1", "5000", "recipients of one message (then 452 4.5.3)"),
	CFG_SIZE(struct mtad_config, max_command_length, "max_command_length",
	    "2048", "512", "65536", "command line incl. CRLF (then 500 5.5.2)"),
	CFG_SIZE(struct mtad_config, max_line_length, "max_line_length",
	    "1000", "0", "1M", "message line incl. CRLF (then 500 5.5.2),"
	    " 0: no limit"),
	CFG_INT(struct mtad_config, max_errors, "max_errors", "10", "1",
	    "1000", "error replies in one session before 421 and close"),
	CFG_INT(struct mtad_config, max_received, "max_received", "50", "1",
	    "1000", "Received: header fields a message may carry (mail loop"
	    " detection, then 554 5.4.6)"),
	CFG_TIME(struct mtad_config, idle_timeout, "idle_timeout", "5m",
	    "1s", "1h", "wait for a command this long (then 421 4.4.2)"),
	CFG_TIME(struct mtad_config, data_timeout, "data_timeout", "10m",
	    "1s", "1h", "wait for message bytes this long (then 421 4.4.2)"),
	CFG_BOOL(struct mtad_config, auth_plaintext_loopback,
	    "auth_plaintext_loopback", "no", "allow AUTH without TLS on"
	    " listeners bound to a loopback address"),
	CFG_BOOL(struct mtad_config, received_show_auth, "received_show_auth",
	    "yes", "name the authenticated user in the Received: header"),
	CFG_BOOL(struct mtad_config, queue_manager, "queue_manager", "yes",
	    "run the queue manager (delivery); no: only accept into the"
	    " queue"),
	CFG_STRING(struct mtad_config, lmtp_host, "lmtp_host", "127.0.0.1",
	    "address of the accessd LMTP listener for local mailboxes"),
	CFG_INT(struct mtad_config, lmtp_port, "lmtp_port", "24", "1",
	    "65535", "port of the accessd LMTP listener"),
	CFG_TIME(struct mtad_config, lmtp_timeout, "lmtp_timeout", "5m",
	    "1s", "1h", "wait for each LMTP reply or write this long"),
	CFG_TIME(struct mtad_config, retry_min, "retry_min", "5m", "1s",
	    "1d", "delay before the first retry of a deferred recipient"),
	CFG_TIME(struct mtad_config, retry_max, "retry_max", "4h", "1s",
	    "7d", "the retry delay doubles per attempt up to this"),
	CFG_TIME(struct mtad_config, max_queue_lifetime,
	    "max_queue_lifetime", "5d", "1s", "30d", "a recipient still"
	    " failing temporarily this long after arrival is bounced"),
	CFG_TIME(struct mtad_config, queue_scan_interval,
	    "queue_scan_interval", "1s", "100ms", "1h",
	    "look for due messages in deferred/ this often"),
	CFG_LIST(struct mtad_config, milters, n_milters, "milters", "",
	    "[milter.NAME] sections to run, in this order; empty: all of"
	    " them in file order"),
};

const struct cfg_section_def mtad_config_def = CFG_SECTION("mtad",
    struct mtad_config, mtad_keys, NULL, "the SMTP daemon");

static const char *const type_words[] = { "smtp", "submission",
	"submissions", NULL };

/* The shared listener keys plus "type"; built once. */
#define LISTENER_KEYS_MAX 16
static struct cfg_key listener_keys[LISTENER_KEYS_MAX];
static cfg_check_fn shared_check;

static int
listener_check(void *data, const char *instance, struct buf *msg)
{
	const struct mtad_listener *l = data;

	if (shared_check != NULL && shared_check(data, instance, msg) == -1)
		return -1;
	if (l->type == MTAD_LISTENER_SUBMISSIONS &&
	    l->l.tls != SETTINGS_TLS_IMPLICIT) {
		buf_printf(msg, "type submissions needs tls = implicit");
		return -1;
	}
	return 0;
}

struct cfg_section_def
mtad_listener_def(void)
{
	static const struct cfg_key type_key = CFG_ENUM(struct mtad_listener,
	    type, "type", "smtp", type_words, "smtp (MX: mail for accepted"
	    " domains), submission (AUTH before MAIL) or submissions (the"
	    " same with tls = implicit)");
	struct cfg_section_def d = settings_listener_def("mtad.listener");
	size_t n = d.nkeys < LISTENER_KEYS_MAX - 1 ? d.nkeys :
	    LISTENER_KEYS_MAX - 1;

	memcpy(listener_keys, d.keys, n * sizeof(d.keys[0]));
	listener_keys[n] = type_key;
	shared_check = d.check;
	d.keys = listener_keys;
	d.nkeys = n + 1;
	d.size = sizeof(struct mtad_listener);
	d.check = listener_check;
	return d;
}

enum mtad_listener_type
mtad_listener_type(const struct cfg *c, const char *name)
{
	const char *const *names;
	const void *const *structs;
	size_t n = cfg_instances(c, "mtad.listener", &names, &structs);
	size_t len = strcspn(name, "/");

	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
			return (enum mtad_listener_type)
			    ((const struct mtad_listener *)structs[i])->type;
	return MTAD_LISTENER_SMTP;
}

const char *
mtad_listener_type_name(enum mtad_listener_type t)
{
	return t < 3 ? type_words[t] : "?";
}
