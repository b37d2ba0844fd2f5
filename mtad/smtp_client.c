/*
 * mtad/smtp_client.c - the queue manager's SMTP client: find the hosts of
 * a next hop, open a session with one of them (greeting, EHLO, STARTTLS,
 * AUTH), then one transaction for the job's recipients.
 *
 * Runs in a delivery thread of the queue manager. Everything the remote
 * host sends is hostile: replies are read through the bounded reply
 * reader (reply_line_max, reply_lines_max), every read and write has a
 * deadline (command_timeout, data_timeout), connects have theirs
 * (connect_timeout). No global state.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/dns.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/saslsrv.h"
#include "lib/smtp.h"
#include "lib/smtp_cmd_write.h"
#include "lib/smtp_param.h"
#include "lib/smtp_reply.h"
#include "lib/stream.h"
#include "lib/xalloc.h"
#include "mtad/queue.h"
#include "mtad/smtp_client.h"
#include "mtad/smtp_ehlo.h"
#include "lib/banned.h"

/* A host to try: its name (for TLS checks and the log) and port. */
struct target {
	const char *name;
	unsigned port;
	bool literal;			/* name is an address literal */
};

struct conn {
	const struct smtp_client_settings *set;
	struct pool *pool;
	struct stream *s;
	struct smtp_reply *r;
	struct smtp_ehlo caps;
	struct buf *out;
	const char *relay;		/* NAME[ADDR]:PORT */
	const char *err;		/* why the session failed */
	bool tls_failed;		/* the handshake failed */
	bool no_tls;			/* this connection: no STARTTLS */
};

/* A connect within timeout_ms. The socket, or -1 with *err_out. */
static int
connect_addr(const struct dns_addr *a, unsigned port, uint64_t timeout_ms,
    const char **err_out)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, a->addr, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		memcpy(&sin6->sin6_addr, a->addr, 16);
		sl = sizeof(*sin6);
	}
	return deliver_connect((struct sockaddr *)&ss, sl, timeout_ms,
	    err_out);
}

/* Read one complete reply within timeout_ms. 0, or -1 with c->err. */
static int
read_reply(struct conn *c, uint64_t timeout_ms)
{
	return deliver_read_reply(c->s, c->r, c->set->reply_line_max,
	    timeout_ms, c->pool, &c->err);
}

/* Send what c->out holds and empty it. 0 or -1 with c->err. */
static int
send_out(struct conn *c, uint64_t timeout_ms)
{
	stream_set_timeouts(c->s, (int)timeout_ms, (int)timeout_ms);
	if (stream_write(c->s, c->out->data, c->out->len) == -1 ||
	    stream_flush(c->s) == -1) {
		c->err = pool_strdup(c->pool, stream_error_text(c->s));
		buf_reset(c->out);
		return -1;
	}
	buf_reset(c->out);
	return 0;
}

/* Send one command line (CRLF added) and read its reply. */
static int
command(struct conn *c, const char *line)
{
	buf_reset(c->out);
	if (buf_printf(c->out, "%s\r\n", line) == -1) {
		c->err = "command too long";
		return -1;
	}
	if (send_out(c, c->set->command_timeout_ms) == -1)
		return -1;
	return read_reply(c, c->set->command_timeout_ms);
}

/* "CODE text" of the last reply, for errors. */
static const char *
reply_text(struct conn *c, const char *what)
{
	return pool_printf(c->pool, "%s: %d %s%s%s", what, c->r->code,
	    c->r->enh, c->r->enh[0] != '\0' ? " " : "",
	    buf_cstr(c->r->text));
}

/* EHLO, or HELO when EHLO is refused; fills c->caps. 0 or -1. */
static int
ehlo(struct conn *c)
{
	const char *line = pool_printf(c->pool, "EHLO %s", c->set->helo);

	if (command(c, line) == -1)
		return -1;
	if (c->r->code == 250) {
		smtp_ehlo_parse(buf_cstr(c->r->text), c->r->text->len,
		    &c->caps);
		return 0;
	}
	memset(&c->caps, 0, sizeof(c->caps));
	if (c->r->code / 100 != 5)
		goto refused;
	line = pool_printf(c->pool, "HELO %s", c->set->helo);
	if (command(c, line) == -1)
		return -1;
	if (c->r->code == 250)
		return 0;
refused:
	c->err = reply_text(c, "EHLO refused");
	return -1;
}

static int
starttls(struct conn *c, const char *name)
{
	if (command(c, "STARTTLS") == -1)
		return -1;
	if (c->r->code != 220) {
		if (c->set->tls == SMTP_CLIENT_TLS_VERIFY) {
			c->err = reply_text(c, "STARTTLS refused");
			return -1;
		}
		return 0;	/* may: go on without */
	}
	stream_set_timeouts(c->s, (int)c->set->command_timeout_ms,
	    (int)c->set->command_timeout_ms);
	if (stream_start_tls_client(c->s, c->set->tls_ctx, name) == -1) {
		c->err = pool_printf(c->pool, "TLS: %s",
		    stream_error_text(c->s));
		c->tls_failed = true;
		return -1;
	}
	return ehlo(c);
}

/* Send prefix followed by the base64 of p[len] (prefix NULL: nothing
 * before it) and read the reply. 0 or -1. */
static int
command_b64(struct conn *c, const char *prefix, const void *p, size_t len)
{
	struct buf *b64 = buf_new(256, 8192), *line = buf_new(256, 8300);
	int rc = -1;

	if (saslsrv_b64_encode(p, len, b64) == -1 || buf_printf(line, "%s%s",
	    prefix != NULL ? prefix : "", buf_cstr(b64)) == -1)
		c->err = "credentials too long";
	else
		rc = command(c, buf_cstr(line));
	buf_free_secret(&b64);
	buf_free_secret(&line);
	mem_wipe(c->out->data, c->out->cap);	/* the encoded credentials */
	return rc;
}

/* AUTH PLAIN (RFC 4616) or LOGIN at the relayhost. 0 or -1. */
static int
auth(struct conn *c)
{
	const struct smtp_client_settings *set = c->set;
	struct buf *cred = buf_new(256, 4096);
	size_t ul = strlen(set->username);
	int rc = -1;

	if (!stream_is_tls(c->s) && !set->auth_without_tls) {
		c->err = "relayhost offers no TLS: credentials not sent";
		goto out;
	}
	if (c->caps.auth & SMTP_EHLO_AUTH_PLAIN) {
		if (buf_append_byte(cred, 0) == -1 ||
		    buf_append(cred, set->username, ul) == -1 ||
		    buf_append_byte(cred, 0) == -1 ||
		    buf_append(cred, set->password, set->password_len) == -1) {
			c->err = "credentials too long";
			goto out;
		}
		if (command_b64(c, "AUTH PLAIN ", cred->data, cred->len) == -1)
			goto out;
	} else if (c->caps.auth & SMTP_EHLO_AUTH_LOGIN) {
		if (command(c, "AUTH LOGIN") == -1)
			goto out;
		if (c->r->code != 334)
			goto refused;
		if (command_b64(c, NULL, set->username, ul) == -1)
			goto out;
		if (c->r->code != 334)
			goto refused;
		if (command_b64(c, NULL, set->password,
		    set->password_len) == -1)
			goto out;
	} else {
		c->err = "relayhost offers neither AUTH PLAIN nor LOGIN";
		goto out;
	}
	if (c->r->code == 235) {
		rc = 0;
		goto out;
	}
refused:
	c->err = reply_text(c, "AUTH failed");
out:
	buf_free_secret(&cred);
	return rc;
}

/* Connect to addr of t and get ready for MAIL FROM. 0, or -1 with c->err
 * (the stream, if any, freed). */
static int
open_session(struct conn *c, const struct target *t,
    const struct dns_addr *a, bool relay)
{
	const struct smtp_client_settings *set = c->set;
	const char *err;
	int fd;

	c->relay = pool_printf(c->pool, "%s[%s]:%u", t->name, a->text,
	    t->port);
	c->tls_failed = false;
	fd = connect_addr(a, t->port, set->connect_timeout_ms, &err);
	if (fd == -1) {
		c->err = pool_printf(c->pool, "connect to %s: %s", c->relay,
		    err);
		return -1;
	}
	c->s = stream_new(fd);
	memset(&c->caps, 0, sizeof(c->caps));
	if (read_reply(c, set->command_timeout_ms) == -1)
		goto fail;
	if (c->r->code != 220) {
		c->err = reply_text(c, "greeting");
		goto fail;
	}
	if (ehlo(c) == -1)
		goto fail;
	if (set->tls != SMTP_CLIENT_TLS_NONE && c->caps.starttls &&
	    !c->no_tls) {
		if (starttls(c, t->literal ? a->text : t->name) == -1)
			goto fail;
	} else if (set->tls == SMTP_CLIENT_TLS_VERIFY) {
		c->err = "STARTTLS not offered (tls = verify)";
		goto fail;
	}
	if (relay && set->username != NULL && auth(c) == -1)
		goto fail;
	return 0;
fail:
	c->err = pool_printf(c->pool, "%s: %s", c->relay, c->err);
	stream_free(&c->s);
	return -1;
}

/* open_session; with tls = may, a failed handshake is tried once more
 * in plain text, as if STARTTLS had not been offered. */
static int
try_address(struct conn *c, const struct target *t, const struct dns_addr *a,
    bool relay)
{
	c->no_tls = false;
	if (open_session(c, t, a, relay) == 0)
		return 0;
	if (!c->tls_failed || c->set->tls != SMTP_CLIENT_TLS_MAY)
		return -1;
	c->no_tls = true;
	return open_session(c, t, a, relay);
}

static void
set_res(struct deliver_result *r, int code, const char *enh,
    const char *text, const char *relay)
{
	r->code = code;
	r->enh = enh;
	r->text = text;
	r->relay = relay;
}

static void
set_reply(struct conn *c, struct deliver_result *r)
{
	set_res(r, c->r->code, pool_strdup(c->pool, c->r->enh),
	    pool_printf(c->pool, "%s said: %s", c->relay,
	    buf_cstr(c->r->text)), c->relay);
}

/* Every todo recipient without a result gets this one. */
static void
fail_rest(struct smtp_client_job *j, int code, const char *enh,
    const char *text, const char *relay)
{
	for (size_t i = 0; i < j->env->nrcpts; i++)
		if (j->todo[i] && j->res[i].code == 0)
			set_res(&j->res[i], code, enh, text, relay);
}

/* A reason the message cannot go to this host at all (5xx), or NULL. */
static const char *
unfit(struct conn *c, const struct queue_env *e, int *code, const char **enh)
{
	*code = 552;
	*enh = "5.3.4";
	if (c->caps.size_max != 0 && e->size > c->caps.size_max)
		return pool_printf(c->pool, "message of %llu bytes exceeds"
		    " the size limit of %s (%llu)",
		    (unsigned long long)e->size, c->relay,
		    (unsigned long long)c->caps.size_max);
	*code = 553;
	*enh = "5.6.7";
	if (e->smtputf8 && !(c->caps.ext & SMTP_EXT_SMTPUTF8))
		return pool_printf(c->pool, "%s does not support SMTPUTF8",
		    c->relay);
	*code = 554;
	*enh = "5.6.3";
	if (e->body == QUEUE_BODY_BINARYMIME)
		return pool_printf(c->pool, "binary content cannot be sent to"
		    " %s", c->relay);
	return NULL;
}

/* Append RCPT TO of recipient i to c->out. 0, or -1 if it cannot be
 * written (then res[i] is set). */
static int
write_rcpt(struct conn *c, struct smtp_client_job *j, size_t i)
{
	const struct queue_rcpt *r = &j->env->rcpts[i];
	struct smtp_rcpt_params rp;
	const char *semi = strchr(r->orcpt, ';');

	memset(&rp, 0, sizeof(rp));
	rp.notify = r->notify;
	if (semi != NULL) {
		rp.orcpt_type = pool_strndup(c->pool, r->orcpt,
		    (size_t)(semi - r->orcpt));
		rp.orcpt = (char *)semi + 1;
	}
	if (smtp_cmd_write_rcpt(c->out, r->addr, &rp, c->caps.ext) == -1) {
		set_res(&j->res[i], 553, "5.1.3", "recipient address cannot"
		    " be sent", c->relay);
		return -1;
	}
	return 0;
}

/* MAIL, RCPT..., DATA, message, QUIT on an open session. Every todo
 * recipient has a result afterwards, except after a connection failure
 * (then -1 with c->err). */
static int
transact(struct conn *c, struct smtp_client_job *j)
{
	const struct queue_env *e = j->env;
	struct smtp_mail_params mp;
	unsigned ext = c->caps.ext & ~SMTP_EXT_AUTH;
	bool pipe = c->caps.pipelining;
	size_t accepted = 0, sent_rcpt = 0;
	unsigned char *sent = pool_alloc(c->pool, e->nrcpts + 1);
	const char *why, *enh, *err;
	int code;

	why = unfit(c, e, &code, &enh);
	if (why != NULL) {
		fail_rest(j, code, enh, why, c->relay);
		return 0;
	}
	deliver_mail_params(e, &mp);
	mp.ret = e->ret == QUEUE_RET_FULL ? SMTP_RET_FULL :
	    e->ret == QUEUE_RET_HDRS ? SMTP_RET_HDRS : SMTP_RET_NONE;
	mp.envid = e->envid[0] != '\0' ? e->envid : NULL;
	buf_reset(c->out);
	if (smtp_cmd_write_mail(c->out, e->sender, &mp, ext) == -1) {
		fail_rest(j, 553, "5.1.7", "sender address cannot be sent",
		    c->relay);
		return 0;
	}
	/* without PIPELINING each command waits for its reply */
	if (!pipe && (send_out(c, c->set->command_timeout_ms) == -1 ||
	    read_reply(c, c->set->command_timeout_ms) == -1))
		return -1;
	if (!pipe && c->r->code / 100 != 2) {
		for (size_t i = 0; i < e->nrcpts; i++)
			if (j->todo[i] && j->res[i].code == 0)
				set_reply(c, &j->res[i]);
		return 0;
	}
	for (size_t i = 0; i < e->nrcpts; i++) {
		if (!j->todo[i] || write_rcpt(c, j, i) == -1)
			continue;
		sent[i] = 1;
		sent_rcpt++;
		if (pipe)
			continue;
		if (send_out(c, c->set->command_timeout_ms) == -1 ||
		    read_reply(c, c->set->command_timeout_ms) == -1)
			return -1;
		if (c->r->code / 100 == 2)
			accepted++;
		else
			set_reply(c, &j->res[i]);
	}
	if (pipe) {
		bool mail_ok;

		if (sent_rcpt > 0)
			buf_append_str(c->out, "DATA\r\n");
		if (send_out(c, c->set->command_timeout_ms) == -1 ||
		    read_reply(c, c->set->command_timeout_ms) == -1)
			return -1;
		mail_ok = c->r->code / 100 == 2;
		if (!mail_ok)
			for (size_t i = 0; i < e->nrcpts; i++)
				if (j->todo[i] && j->res[i].code == 0)
					set_reply(c, &j->res[i]);
		for (size_t i = 0; i < e->nrcpts; i++) {
			if (!sent[i])
				continue;
			if (read_reply(c, c->set->command_timeout_ms) == -1)
				return -1;
			if (!mail_ok)
				continue;
			if (c->r->code / 100 == 2)
				accepted++;
			else
				set_reply(c, &j->res[i]);
		}
		if (sent_rcpt == 0)
			return 0;
		if (read_reply(c, c->set->command_timeout_ms) == -1)
			return -1;
		if (!mail_ok || accepted == 0) {
			/* RFC 2920 3.1: DATA should have been refused */
			if (c->r->code == 354) {
				buf_append_str(c->out, ".\r\n");
				if (send_out(c, c->set->data_timeout_ms) == 0)
					(void)read_reply(c,
					    c->set->data_timeout_ms);
			}
			return 0;
		}
	} else {
		if (accepted == 0)
			return 0;
		if (command(c, "DATA") == -1)
			return -1;
	}
	if (c->r->code != 354) {
		for (size_t i = 0; i < e->nrcpts; i++)
			if (j->todo[i] && j->res[i].code == 0)
				set_reply(c, &j->res[i]);
		return 0;
	}
	stream_set_timeouts(c->s, (int)c->set->data_timeout_ms,
	    (int)c->set->data_timeout_ms);
	if (deliver_body_send(c->s, j->body_fd, e->size, &err) == -1) {
		c->err = pool_strdup(c->pool, err);
		return -1;
	}
	if (read_reply(c, c->set->data_timeout_ms) == -1)
		return -1;
	for (size_t i = 0; i < e->nrcpts; i++)
		if (j->todo[i] && j->res[i].code == 0)
			set_reply(c, &j->res[i]);
	buf_reset(c->out);
	buf_append_str(c->out, "QUIT\r\n");
	if (send_out(c, c->set->command_timeout_ms) == 0)
		(void)read_reply(c, c->set->command_timeout_ms);
	return 0;
}

/* An address literal "1.2.3.4" (relayhost) or "[1.2.3.4]", "[IPv6:..]"
 * (a domain) into *a. true if name is one. */
static bool
literal_addr(const char *name, struct dns_addr *a)
{
	char tmp[DNS_ADDR_TEXT_MAX + 8];
	size_t len = strlen(name);
	const char *p = name;

	memset(a, 0, sizeof(*a));
	if (len >= 2 && name[0] == '[' && name[len - 1] == ']') {
		p = name + 1;
		len -= 2;
		if (len > 5 && strncasecmp(p, "IPv6:", 5) == 0) {
			p += 5;
			len -= 5;
		}
	}
	if (len == 0 || len >= sizeof(tmp))
		return false;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, a->addr) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, tmp, a->addr) == 1)
		a->family = AF_INET6;
	else
		return false;
	memcpy(a->text, tmp, len + 1);
	return true;
}

/* The hosts of the job's next hop, in the order to try. 0 with *t_out
 * and *n_out, or -1 after giving every recipient its result. */
static int
targets(struct smtp_client_job *j, struct target **t_out, size_t *n_out)
{
	const struct smtp_client_settings *set = j->set;
	struct dns_info info;
	struct dns_mx *mx;
	struct dns_addr lit;
	struct target *t;
	size_t n;
	enum dns_result r;

	if (j->relay || literal_addr(j->nexthop, &lit) ||
	    j->nexthop[0] == '[') {
		t = pool_alloc(j->pool, sizeof(*t));
		t->name = j->nexthop;
		t->port = j->relay ? set->relayhost_port : set->port;
		t->literal = literal_addr(j->nexthop, &lit);
		*t_out = t;
		*n_out = 1;
		return 0;
	}
	memset(&info, 0, sizeof(info));
	r = dns_mx(j->dns, j->nexthop, j->pool, &mx, &n, &info);
	if (r == DNS_FOUND) {
		t = pool_alloc(j->pool, n * sizeof(*t));
		for (size_t i = 0; i < n; i++) {
			t[i].name = mx[i].exchange;
			t[i].port = set->port;
		}
		*t_out = t;
		*n_out = n;
		return 0;
	}
	if (r == DNS_NOTFOUND && dns_mx_implicit(&info)) {
		t = pool_alloc(j->pool, sizeof(*t));
		t->name = j->nexthop;
		t->port = set->port;
		*t_out = t;
		*n_out = 1;
		return 0;
	}
	if (r == DNS_TEMPFAIL)
		fail_rest(j, 451, "4.4.3", pool_printf(j->pool, "MX lookup of"
		    " %s failed: %s", j->nexthop, info.error), "none");
	else if (info.notfound == DNS_NF_NULL_TARGET)
		fail_rest(j, 556, "5.1.10", pool_printf(j->pool, "%s accepts"
		    " no mail (null MX)", j->nexthop), "none");
	else
		fail_rest(j, 550, "5.1.2", pool_printf(j->pool, "domain %s"
		    " not found: %s", j->nexthop, info.error != NULL ?
		    info.error : "no such name"), "none");
	return -1;
}

/* The addresses of t. 0 with *a_out, *n_out, or -1 with *err_out. */
static int
addresses(struct smtp_client_job *j, const struct target *t,
    struct dns_addr **a_out, size_t *n_out, const char **err_out)
{
	struct dns_info info;
	struct dns_addr *a = pool_alloc(j->pool, sizeof(*a));

	if (literal_addr(t->name, a)) {
		*a_out = a;
		*n_out = 1;
		return 0;
	}
	memset(&info, 0, sizeof(info));
	if (dns_addr(j->dns, t->name, DNS_ADDR_ANY, j->pool, a_out, n_out,
	    &info) == DNS_FOUND)
		return 0;
	*err_out = pool_printf(j->pool, "address lookup of %s: %s", t->name,
	    info.error != NULL ? info.error : "not found");
	return -1;
}

void
smtp_client_deliver(struct smtp_client_job *j)
{
	struct smtp_limits lim;
	struct conn c;
	struct target *t;
	size_t nt, tried = 0;
	const char *last = "no address found", *relay = "none";
	bool dns_only = true;

	for (size_t i = 0; i < j->env->nrcpts; i++)
		if (j->todo[i])
			set_res(&j->res[i], 0, "", "", "none");
	if (targets(j, &t, &nt) == -1)
		return;
	memset(&c, 0, sizeof(c));
	c.set = j->set;
	c.pool = j->pool;
	smtp_limits_default(&lim);
	lim.reply_line_max = j->set->reply_line_max;
	lim.reply_lines_max = j->set->reply_lines_max;
	c.r = smtp_reply_new(&lim);
	c.out = buf_new(1024, 1024 * 1024);
	for (size_t k = 0; k < nt && tried < j->set->max_addresses; k++) {
		struct dns_addr *a;
		size_t na;
		const char *err;

		if (addresses(j, &t[k], &a, &na, &err) == -1) {
			last = err;
			continue;
		}
		for (size_t i = 0; i < na && tried < j->set->max_addresses;
		    i++) {
			tried++;
			dns_only = false;
			if (try_address(&c, &t[k], &a[i], j->relay) == -1) {
				last = c.err;
				relay = c.relay;
				buf_reset(c.out);
				log_info("queue_id=%s event=host-failed relay=%s"
				    " error=\"%s\"", j->env->id, c.relay,
				    log_escape(c.out, c.err, strlen(c.err)));
				continue;
			}
			if (transact(&c, j) == -1)
				fail_rest(j, 451, "4.4.2", pool_printf(j->pool,
				    "lost connection with %s: %s", c.relay,
				    c.err), c.relay);
			stream_free(&c.s);
			goto done;
		}
	}
	fail_rest(j, 451, dns_only ? "4.4.3" : "4.4.1", last, relay);
done:
	buf_free_secret(&c.out);
	smtp_reply_free(&c.r);
}
