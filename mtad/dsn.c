/*
 * mtad/dsn.c - delivery status notifications (RFC 3464 multipart/report,
 * RFC 3461 NOTIFY/RET/ENVID/ORCPT): formatting and queueing.
 *
 * Runs in the queue manager. Envelope values (addresses, ORCPT, ENVID,
 * reply texts) came from SMTP clients and peers: control characters are
 * replaced before they go into a header line.
 */
#include "config.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "mtad/dsn.h"
#include "mtad/qmgr_loop.h"
#include "mtad/qmgr_submit.h"
#include "lib/banned.h"

/* Longest value copied into one report line. */
#define DSN_VALUE_MAX 1000

bool
dsn_wanted(const struct queue_env *env, const struct queue_rcpt *r,
    enum dsn_action action)
{
	if (env->sender[0] == '\0')
		return action == DSN_FAILED &&
		    (qmgr_origin(env) & QMGR_ORIGIN_DSN2) == 0;
	if (r->notify & QUEUE_NOTIFY_NEVER)
		return false;
	if (r->notify == 0)
		return action != DSN_DELIVERED;
	switch (action) {
	case DSN_FAILED:
		return (r->notify & QUEUE_NOTIFY_FAILURE) != 0;
	case DSN_DELAYED:
		return (r->notify & QUEUE_NOTIFY_DELAY) != 0;
	case DSN_DELIVERED:
		return (r->notify & QUEUE_NOTIFY_SUCCESS) != 0;
	}
	return false;
}

/* Append s with control bytes (and DEL) as '?', at most DSN_VALUE_MAX. */
static int
put_clean(struct buf *out, const char *s)
{
	size_t n = 0;

	for (const char *p = s != NULL ? s : ""; *p != '\0' &&
	    n < DSN_VALUE_MAX; p++, n++) {
		unsigned char c = (unsigned char)*p;

		if (buf_append_byte(out, c < 0x20 || c == 0x7f ? '?' : c) ==
		    -1)
			return -1;
	}
	return 0;
}

static void
rfc5322_date(uint64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, size, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static const char *
action_name(enum dsn_action a)
{
	return a == DSN_FAILED ? "failed" : a == DSN_DELAYED ? "delayed" :
	    "delivered";
}

/* The status code: given, else from the reply's class. */
static const char *
status_of(const struct dsn_rcpt *r)
{
	if (r->status != NULL && r->status[0] != '\0')
		return r->status;
	if (r->reply != NULL && r->reply[0] == '2')
		return "2.0.0";
	if (r->reply != NULL && r->reply[0] == '4')
		return "4.0.0";
	return r->action == DSN_DELIVERED ? "2.0.0" :
	    r->action == DSN_DELAYED ? "4.0.0" : "5.0.0";
}

static const char *
subject_of(const struct dsn_rcpt *rcpts, size_t n)
{
	bool failed = false, delayed = false;

	for (size_t i = 0; i < n; i++) {
		failed |= rcpts[i].action == DSN_FAILED;
		delayed |= rcpts[i].action == DSN_DELAYED;
	}
	return failed ? "Undelivered Mail Returned to Sender" :
	    delayed ? "Delayed Mail (still being retried)" :
	    "Successful Mail Delivery Report";
}

static int
format_human(const struct queue_env *env, const struct dsn_rcpt *rcpts,
    size_t n, const struct dsn_settings *s, struct buf *out)
{
	int rc = 0;

	rc |= buf_printf(out, "This is the mail system at host %s.\r\n\r\n",
	    s->hostname);
	rc |= buf_printf(out, "This is a report on your message queued as"
	    " %s:\r\n\r\n", env->id);
	for (size_t i = 0; i < n; i++) {
		rc |= buf_printf(out, "<");
		rc |= put_clean(out, rcpts[i].addr);
		rc |= buf_printf(out, ">: %s: ", rcpts[i].action == DSN_FAILED ?
		    "could not be delivered" : rcpts[i].action ==
		    DSN_DELAYED ? "not delivered yet, still trying" :
		    "delivered");
		rc |= put_clean(out, rcpts[i].reply);
		rc |= buf_printf(out, "\r\n");
	}
	return rc;
}

static int
format_status(const struct queue_env *env, const struct dsn_rcpt *rcpts,
    size_t n, const struct dsn_settings *s, struct buf *out)
{
	char date[64];
	int rc = 0;

	rc |= buf_printf(out, "Reporting-MTA: dns; %s\r\n", s->hostname);
	if (env->envid[0] != '\0') {
		rc |= buf_printf(out, "Original-Envelope-Id: ");
		rc |= put_clean(out, env->envid);
		rc |= buf_printf(out, "\r\n");
	}
	rfc5322_date(env->arrival, date, sizeof(date));
	rc |= buf_printf(out, "Arrival-Date: %s\r\n", date);
	for (size_t i = 0; i < n; i++) {
		const struct dsn_rcpt *r = &rcpts[i];

		rc |= buf_printf(out, "\r\nFinal-Recipient: rfc822; ");
		rc |= put_clean(out, r->addr);
		if (r->orcpt != NULL && strchr(r->orcpt, ';') != NULL) {
			rc |= buf_printf(out, "\r\nOriginal-Recipient: ");
			rc |= put_clean(out, r->orcpt);
		}
		rc |= buf_printf(out, "\r\nAction: %s\r\nStatus: %s\r\n",
		    action_name(r->action), status_of(r));
		if (r->remote_mta != NULL && r->remote_mta[0] != '\0') {
			rc |= buf_printf(out, "Remote-MTA: dns; ");
			rc |= put_clean(out, r->remote_mta);
			rc |= buf_printf(out, "\r\n");
		}
		if (r->reply != NULL && r->reply[0] != '\0') {
			rc |= buf_printf(out, "Diagnostic-Code: smtp; ");
			rc |= put_clean(out, r->reply);
			rc |= buf_printf(out, "\r\n");
		}
		if (r->last_attempt != 0) {
			rfc5322_date(r->last_attempt, date, sizeof(date));
			rc |= buf_printf(out, "Last-Attempt-Date: %s\r\n",
			    date);
		}
		if (r->action == DSN_DELAYED && s->retry_until != 0) {
			rfc5322_date(s->retry_until, date, sizeof(date));
			rc |= buf_printf(out, "Will-Retry-Until: %s\r\n",
			    date);
		}
	}
	return rc;
}

int
dsn_format(const struct queue_env *env, const char *to,
    const struct dsn_rcpt *rcpts, size_t n, const struct dsn_settings *s,
    const char *boundary, const char *ctype, uint64_t now, struct buf *out)
{
	char date[64];
	int rc = 0;

	rfc5322_date(now, date, sizeof(date));
	rc |= buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>"
	    "\r\nTo: <", s->hostname);
	rc |= put_clean(out, to);
	rc |= buf_printf(out, ">\r\nSubject: %s\r\nDate: %s\r\n"
	    "Message-ID: <%s.dsn@%s>\r\nAuto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/report;"
	    " report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n"
	    "\r\nThis is a MIME-encapsulated message.\r\n\r\n--%s\r\n"
	    "Content-Description: Notification\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n",
	    subject_of(rcpts, n), date, env->id, s->hostname, boundary,
	    boundary);
	rc |= format_human(env, rcpts, n, s, out);
	rc |= buf_printf(out, "\r\n--%s\r\nContent-Description: Delivery"
	    " report\r\nContent-Type: message/delivery-status\r\n\r\n",
	    boundary);
	rc |= format_status(env, rcpts, n, s, out);
	rc |= buf_printf(out, "\r\n--%s\r\nContent-Description: %s\r\n"
	    "Content-Type: %s\r\n\r\n", boundary,
	    strcmp(ctype, "message/rfc822") == 0 ? "Undelivered message" :
	    "Message header", ctype);
	return rc == 0 ? 0 : -1;
}

/* The envelope of the report: from <>, to rcpt, origin marked. */
static void
report_env(const struct queue_msg *m, const char *to, unsigned origin,
    struct pool *pool, struct queue_env *env)
{
	memset(env, 0, sizeof(*env));
	qmgr_origin_set(env, origin, pool);
	env->auth = env->tls_version = env->tls_cipher = NULL;
	env->sender = pool_strdup(pool, "");
	env->body = (m->env.body == QUEUE_BODY_NONE ||
	    m->env.body == QUEUE_BODY_7BIT) ? QUEUE_BODY_7BIT :
	    QUEUE_BODY_8BITMIME;
	env->smtputf8 = m->env.smtputf8;
	env->rcpts = pool_alloc(pool, sizeof(*env->rcpts));
	env->rcpts[0].addr = pool_strdup(pool, to);
	env->rcpts[0].orcpt = pool_strdup(pool, "");
	env->rcpts[0].reply = pool_strdup(pool, "");
	env->nrcpts = 1;
}

/* Write the returned content: the whole message if RET allows and it is
 * small enough, else its header. */
static int
write_original(struct queue_writer *w, const struct queue_msg *m,
    const struct dsn_settings *s, bool full, struct pool *pool,
    const char **err_out)
{
	int fd = queue_msg_body_fd(m, err_out);
	uint64_t copied;
	uint8_t *h;
	size_t hlen;
	int rc;

	if (fd == -1)
		return -1;
	if (full)
		rc = qmgr_submit_copy(w, fd, m->env.size, &copied, pool,
		    err_out);
	else {
		rc = qmgr_loop_read_header(fd, s->header_max, pool, &h, &hlen,
		    err_out);
		if (rc == 0)
			rc = queue_writer_write(w, h, hlen, err_out);
	}
	close(fd);
	return rc;
}

int
dsn_send(struct queue *q, const struct queue_msg *m,
    const struct dsn_rcpt *rcpts, size_t n, const struct dsn_settings *s,
    struct pool *pool, char id_out[QUEUE_ID_MAX], const char **err_out)
{
	unsigned origin = qmgr_origin(&m->env);
	const char *to = m->env.sender;
	struct queue_env env;
	struct queue_writer *w;
	struct buf *text;
	const char *boundary;
	bool full;

	if (n == 0)
		return 0;
	if (to[0] == '\0') {
		if ((origin & QMGR_ORIGIN_DSN2) || s->postmaster[0] == '\0')
			return 0;
		to = s->postmaster;
		origin = QMGR_ORIGIN_DSN2;
	} else
		origin = QMGR_ORIGIN_DSN;
	report_env(m, to, origin, pool, &env);
	w = queue_writer_new(q, &env, pool, err_out);
	if (w == NULL)
		return -1;
	full = m->env.ret != QUEUE_RET_HDRS && m->env.size <= s->return_max;
	boundary = pool_printf(pool, "%s/%s", queue_writer_id(w), s->hostname);
	text = buf_new(4096, 4 * 1024 * 1024);
	/* its own Received: line names the report's queue id, by which
	 * accessd recognises a copy it stored already (XQID, in doubt) */
	if (qmgr_submit_received(text, s->hostname, queue_writer_id(w),
	    pool_printf(pool, "report on %s", m->id)) == -1) {
		*err_out = "report too large";
		goto fail;
	}
	if (dsn_format(&m->env, to, rcpts, n, s, boundary, full ?
	    "message/rfc822" : "text/rfc822-headers", (uint64_t)time(NULL),
	    text) == -1) {
		*err_out = "report too large";
		goto fail;
	}
	if (queue_writer_write(w, text->data, text->len, err_out) == -1 ||
	    write_original(w, m, s, full, pool, err_out) == -1)
		goto fail;
	buf_reset(text);
	buf_printf(text, "\r\n--%s--\r\n", boundary);
	if (queue_writer_write(w, text->data, text->len, err_out) == -1)
		goto fail;
	buf_free(&text);
	if (queue_writer_commit(&w, &env, err_out) == -1)
		return -1;
	memcpy(id_out, env.id, QUEUE_ID_MAX);
	return 1;
fail:
	buf_free(&text);
	queue_writer_abort(&w);
	return -1;
}
