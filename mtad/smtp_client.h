/*
 * mtad/smtp_client.h - deliver one queued message to the recipients of
 * one remote next hop over SMTP (RFC 5321): MX lookup (lib/dns.h) with
 * the implicit MX of the domain's own address, MX hosts in preference
 * order, EHLO, STARTTLS whenever offered, AUTH at a relayhost, PIPELINING,
 * SIZE, 8BITMIME, SMTPUTF8 and DSN parameters when offered, one
 * transaction with many recipients, a result per recipient.
 *
 * Runs in the queue manager, in a delivery thread per connection: a job
 * owns its pool and body descriptor; the settings, the resolver (which is
 * thread-safe) and the envelope are shared read-only.
 *
 * Which failures try the next address: no connection, a greeting other
 * than 220, EHLO/HELO refused, a failed TLS handshake, TLS required but
 * not offered, AUTH refused or impossible. Once MAIL FROM is sent the
 * answers are final for this attempt: 2xx delivered, 4xx deferred, 5xx
 * bounced; a connection lost then defers what has no answer yet (the
 * queue's at-least-once). When every address failed, every recipient is
 * deferred with the last failure (451 4.4.1); DNS failures defer (451
 * 4.4.3); a domain that does not exist or has a null MX (RFC 7505)
 * bounces (550 5.1.2, 556 5.1.10).
 */
#ifndef MTAD_SMTP_CLIENT_H
#define MTAD_SMTP_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "mtad/deliver.h"
#include "mtad/smtp_client_config.h"

struct dns_resolver;
struct pool;
struct queue_env;

struct smtp_client_job {
	const struct smtp_client_settings *set;
	struct dns_resolver *dns;
	const char *nexthop;		/* the recipients' domain (ASCII) or,
					 * with relay, the relayhost */
	bool relay;			/* nexthop is the relayhost: its
					 * addresses, its port, AUTH */
	const struct queue_env *env;	/* sender, parameters, recipients */
	int body_fd;			/* at the first message byte; the
					 * caller closes it */
	const unsigned char *todo;	/* env->nrcpts flags: this job's */
	struct deliver_result *res;	/* env->nrcpts; only todo ones set */
	struct pool *pool;		/* the job's own: strings of res */
};

/* Run the job: every recipient with todo[i] gets res[i] (relay set to
 * "NAME[ADDR]:PORT" of the host that answered or was last tried, "none"
 * when no address was found). */
void smtp_client_deliver(struct smtp_client_job *j);

#endif
