/*
 * admin/admin_queue_ctl.c - `tessera queue flush|hold|release|delete|
 * requeue ID...|all`: change what mtad's queue runner does with a message.
 *
 * Works on the spool itself, as Postfix's postsuper does, so it works
 * whether mtad runs or not, and is safe while it runs because every step
 * is an atomic rename the runner also uses: a message is first taken out
 * of the runner's sight into hold/ (the runner never reads hold/), its
 * recipients' retry times are reset there, and it is handed back through
 * incoming/, where the runner's inotify watch picks it up at once. A
 * message in active/ is being delivered: it is left alone and reported
 * busy (exit 75), never changed under the runner. One log line per
 * change names the queue id and the action.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "lib/pool.h"
#include "mtad/queue.h"
#include "mtad/queue_id.h"
#include "mtad/queue_move.h"
#include "mtad/queue_msg.h"
#include "mtad/queue_scan.h"
#include "mtad/queue_state.h"
#include "admin/admin.h"
#include "admin/admin_out.h"
#include "lib/banned.h"

enum ctl_op { CTL_FLUSH, CTL_HOLD, CTL_RELEASE, CTL_DELETE, CTL_REQUEUE };

static const char *const op_done[] = {
	[CTL_FLUSH] = "flushed", [CTL_HOLD] = "held",
	[CTL_RELEASE] = "released", [CTL_DELETE] = "deleted",
	[CTL_REQUEUE] = "requeued",
};

/* The outcome of one message. */
struct ctl_res {
	const char *result;	/* op_done[op], "unchanged", "busy", ... */
	const char *why;	/* for anything but done */
	int code;		/* exit code when this was asked by id */
};

/* Make every deferred recipient of id (in hold/) due now: one state
 * record each, keeping attempts and last reply. 0 or -1 with *err. */
static int
reset_retry(struct queue *q, const char *id, struct pool *pool,
    const char **err)
{
	struct queue_msg *m = NULL;
	struct queue_state_rec *recs;
	size_t n = 0;
	int rc = 0;

	if (queue_msg_open(q, QUEUE_HOLD, id, pool, &m, err) != QUEUE_MSG_OK)
		return -1;
	recs = pool_alloc(pool, (m->env.nrcpts + 1) * sizeof(*recs));
	for (size_t i = 0; i < m->env.nrcpts; i++) {
		const struct queue_rcpt *r = &m->env.rcpts[i];

		if (r->state != QUEUE_RCPT_DEFERRED || r->next_try == 0)
			continue;
		recs[n++] = (struct queue_state_rec){ .rcpt = i,
			.state = r->state, .attempts = r->attempts,
			.next_try = 0, .reply = r->reply };
	}
	if (n > 0 && queue_msg_update(m, recs, n, err) == -1)
		rc = -1;
	queue_msg_close(&m);
	return rc;
}

/* Take id out of from/ into hold/ (no-op if there already). */
static int
to_hold(struct queue *q, const char *id, enum queue_dir from,
    struct pool *pool, const char **err)
{
	if (from == QUEUE_HOLD)
		return 0;
	return queue_move(q, id, from, QUEUE_HOLD, true, pool, err);
}

/* Make id (in from/) due now and hand it to the runner. */
static int
retry_now(struct queue *q, const char *id, enum queue_dir from,
    struct pool *pool, const char **err)
{
	if (to_hold(q, id, from, pool, err) == -1)
		return -1;
	if (reset_retry(q, id, pool, err) == -1) {
		/* leave it held rather than hand back a half-changed one */
		*err = pool_printf(pool, "%s (the message stays in hold/)",
		    *err);
		return -1;
	}
	if (queue_move(q, id, QUEUE_HOLD, QUEUE_INCOMING, true, pool,
	    err) == -1) {
		*err = pool_printf(pool, "%s (the message stays in hold/)",
		    *err);
		return -1;
	}
	return 0;
}

/* Apply op to message id found in dir. */
static struct ctl_res
apply(struct queue *q, enum ctl_op op, const char *id, enum queue_dir dir,
    struct pool *pool)
{
	struct ctl_res r = { .result = op_done[op], .code = ADMIN_OK };
	const char *err = NULL;
	int rc = 0;

	if (dir == QUEUE_ACTIVE)
		return (struct ctl_res){ "busy", "being delivered now; try "
			"again when the delivery attempt ends", ADMIN_EX_TEMPFAIL };
	if (dir == QUEUE_CORRUPT && op != CTL_DELETE)
		return (struct ctl_res){ "refused", "corrupt: it can only be "
			"shown or deleted", ADMIN_EX_DATAERR };
	switch (op) {
	case CTL_HOLD:
		if (dir == QUEUE_HOLD)
			return (struct ctl_res){ "unchanged", "already held",
				ADMIN_OK };
		rc = to_hold(q, id, dir, pool, &err);
		break;
	case CTL_RELEASE:
		if (dir != QUEUE_HOLD)
			return (struct ctl_res){ "unchanged", "not held",
				ADMIN_OK };
		rc = retry_now(q, id, dir, pool, &err);
		break;
	case CTL_FLUSH:
		if (dir == QUEUE_HOLD)
			return (struct ctl_res){ "unchanged", "held: release "
				"it to deliver it", ADMIN_OK };
		if (dir == QUEUE_INCOMING)
			return (struct ctl_res){ "unchanged", "already due",
				ADMIN_OK };
		rc = retry_now(q, id, dir, pool, &err);
		break;
	case CTL_REQUEUE:
		rc = retry_now(q, id, dir, pool, &err);
		break;
	case CTL_DELETE:
		rc = queue_delete(q, dir, id, pool, &err);
		break;
	}
	if (rc == -1) {
		/* the runner took it meanwhile: gone from where it was */
		if (errno == ENOENT && queue_msg_find(q, id, &dir) == 0 &&
		    dir == QUEUE_ACTIVE)
			return (struct ctl_res){ "busy", "being delivered now;"
				" try again when the delivery attempt ends",
				ADMIN_EX_TEMPFAIL };
		return (struct ctl_res){ "failed", err, ADMIN_EX_NOPERM };
	}
	log_info("queue_id=%s event=admin-%s from=%s", id,
	    op == CTL_FLUSH ? "flush" : op == CTL_HOLD ? "hold" :
	    op == CTL_RELEASE ? "release" : op == CTL_DELETE ? "delete" :
	    "requeue", queue_dir_name(dir));
	return r;
}

static void
report(struct admin *a, const char *id, enum queue_dir dir,
    const struct ctl_res *r)
{
	admin_out_begin_obj(a->out, NULL);
	admin_out_str(a->out, "id", id);
	admin_out_str(a->out, "queue", queue_dir_name(dir));
	admin_out_str(a->out, "result", r->result);
	if (r->why != NULL)
		admin_out_str(a->out, "reason", r->why);
	admin_out_end_obj(a->out);
}

/* The worst of two exit codes: any failure beats busy beats OK. */
static int
worse(int a, int b)
{
	if (a == ADMIN_OK)
		return b;
	if (b == ADMIN_OK || b == ADMIN_EX_TEMPFAIL)
		return a;
	return b;
}

static int
run_all(struct admin *a, struct queue *q, enum ctl_op op)
{
	int rc = ADMIN_OK;

	for (int d = 0; d < QUEUE_NDIRS; d++) {
		char **ids;
		size_t n;
		const char *err;

		/* "all" means the messages the action is for */
		if (d == QUEUE_ACTIVE || (d == QUEUE_CORRUPT &&
		    op != CTL_DELETE) || (d == QUEUE_HOLD && (op == CTL_HOLD ||
		    op == CTL_FLUSH)) || (d != QUEUE_HOLD &&
		    op == CTL_RELEASE) || (d == QUEUE_INCOMING &&
		    op == CTL_FLUSH))
			continue;
		if (queue_scan_ids(q, (enum queue_dir)d, a->pool, &ids, &n,
		    &err) == -1)
			return admin_fail(a, ADMIN_EX_NOPERM, "%s: %s",
			    queue_dir_name((enum queue_dir)d), err);
		for (size_t i = 0; i < n; i++) {
			struct ctl_res r = apply(q, op, ids[i],
			    (enum queue_dir)d, a->pool);

			/* one the runner took meanwhile is not a failure */
			if (r.code != ADMIN_EX_TEMPFAIL)
				rc = worse(rc, r.code);
			report(a, ids[i], (enum queue_dir)d, &r);
		}
	}
	return rc;
}

static int
run(struct admin *a, enum ctl_op op, int argc, char **argv)
{
	struct queue *q = NULL;
	int rc;

	if (argc < 1)
		return admin_fail(a, ADMIN_EX_USAGE, "ID... or all expected");
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "all") == 0 ? argc != 1 :
		    !queue_id_is_valid(argv[i]))
			return admin_fail(a, ADMIN_EX_USAGE, "%s: not a queue "
			    "id (or \"all\" alone)", argv[i]);
	if ((rc = admin_queue_open(a, &q)) != ADMIN_OK)
		return rc;
	admin_out_begin_list(a->out, NULL);
	if (strcmp(argv[0], "all") == 0)
		rc = run_all(a, q, op);
	else
		for (int i = 0; i < argc; i++) {
			struct ctl_res r;
			enum queue_dir dir;

			if (queue_msg_find(q, argv[i], &dir) != 0) {
				rc = worse(rc, admin_fail(a, ADMIN_EX_NOTFOUND,
				    "%s: no such message in the queue",
				    argv[i]));
				continue;
			}
			r = apply(q, op, argv[i], dir, a->pool);
			if (r.code != ADMIN_OK)
				admin_fail(a, r.code, "%s: %s", argv[i], r.why);
			rc = worse(rc, r.code);
			report(a, argv[i], dir, &r);
		}
	admin_out_end_list(a->out);
	queue_close(&q);
	return rc;
}

int
admin_queue_flush(struct admin *a, int argc, char **argv)
{
	return run(a, CTL_FLUSH, argc, argv);
}

int
admin_queue_hold(struct admin *a, int argc, char **argv)
{
	return run(a, CTL_HOLD, argc, argv);
}

int
admin_queue_release(struct admin *a, int argc, char **argv)
{
	return run(a, CTL_RELEASE, argc, argv);
}

int
admin_queue_delete(struct admin *a, int argc, char **argv)
{
	return run(a, CTL_DELETE, argc, argv);
}

int
admin_queue_requeue(struct admin *a, int argc, char **argv)
{
	return run(a, CTL_REQUEUE, argc, argv);
}
