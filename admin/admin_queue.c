/*
 * admin/admin_queue.c - `tessera queue list [DIR]` and `tessera queue show
 * ID`: what mtad's queue holds, read from the spool under [global]
 * state_dir with the queue library (mtad/queue*.h).
 *
 * Runs in the tessera command as an administrator who may read the
 * spool. It never changes a message (the queue runner owns them); the
 * one side effect is the queue library's own: a file that no longer
 * parses is moved to corrupt/ with a log line. A queue that does not
 * exist yet is reported, not created.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/pool.h"
#include "lib/settings.h"
#include "mtad/queue.h"
#include "mtad/queue_config.h"
#include "mtad/queue_msg.h"
#include "mtad/queue_scan.h"
#include "admin/admin.h"
#include "admin/admin_out.h"
#include "lib/banned.h"

/* Open the queue of this configuration without creating it. */
int
admin_queue_open(struct admin *a, struct queue **qp)
{
	const struct settings_global *g = cfg_get(a->cfg, "global");
	struct queue_limits lim;
	const char *path = pool_printf(a->pool, "%s/queue", g->state_dir);
	const char *err = NULL;
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return admin_fail(a, ADMIN_EX_NOTFOUND, "no queue at %s "
		    "([global] state_dir; mtad creates it)", path);
	queue_config_limits(a->cfg, &lim);
	*qp = queue_open(g->state_dir, &lim, a->pool, &err);
	if (*qp == NULL)
		return admin_fail(a, ADMIN_EX_NOPERM, "%s: %s", path, err);
	return ADMIN_OK;
}

static void
print_rcpts(struct admin_out *o, const struct queue_env *env, bool full,
    bool json, struct pool *pool)
{
	if (!full && !json) {
		/* one line per message: "address:state" words */
		char **v = pool_alloc(pool, (env->nrcpts + 1) * sizeof(*v));

		for (size_t i = 0; i < env->nrcpts; i++)
			v[i] = pool_printf(pool, "%s:%s", env->rcpts[i].addr,
			    queue_rcpt_state_name(env->rcpts[i].state));
		admin_out_strs(o, "recipients", v, env->nrcpts);
		return;
	}
	admin_out_begin_list(o, "recipients");
	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct queue_rcpt *r = &env->rcpts[i];

		admin_out_begin_obj(o, NULL);
		admin_out_str(o, "address", r->addr);
		admin_out_str(o, "state", queue_rcpt_state_name(r->state));
		admin_out_u64(o, "attempts", r->attempts);
		if (full) {
			admin_out_str(o, "orcpt", r->orcpt);
			admin_out_u64(o, "next_try", r->next_try);
			admin_out_str(o, "reply", r->reply);
		}
		admin_out_end_obj(o);
	}
	admin_out_end_list(o);
}

/* One message: the line of a listing, or every envelope field. */
static void
print_entry(struct admin *a, const struct queue_entry *e, bool full)
{
	struct admin_out *o = a->out;
	const struct queue_env *env = &e->env;

	admin_out_begin_obj(o, NULL);
	admin_out_str(o, "id", env->id);
	admin_out_str(o, "queue", queue_dir_name(e->dir));
	if (e->corrupt != NULL) {
		admin_out_str(o, "corrupt", e->corrupt);
		admin_out_end_obj(o);
		return;
	}
	admin_out_u64(o, "age", e->age);
	admin_out_u64(o, "size", env->size);
	admin_out_str(o, "sender", *env->sender != '\0' ? env->sender : "<>");
	admin_out_u64(o, "nrcpt", env->nrcpts);
	if (full) {
		admin_out_u64(o, "arrival", env->arrival);
		admin_out_str(o, "client_addr", env->client_addr);
		admin_out_str(o, "client_name", env->client_name);
		admin_out_str(o, "helo", env->helo);
		admin_out_str(o, "auth", env->auth);
		admin_out_str(o, "tls_version", env->tls_version);
		admin_out_str(o, "tls_cipher", env->tls_cipher);
		admin_out_str(o, "envid", env->envid);
		admin_out_bool(o, "smtputf8", env->smtputf8);
	}
	print_rcpts(o, env, full, a->json, a->pool);
	admin_out_end_obj(o);
}

int
admin_queue_list(struct admin *a, int argc, char **argv)
{
	enum queue_dir only = QUEUE_NDIRS;
	struct queue *q = NULL;
	const char *err = NULL;
	int rc;

	if (argc > 1 || (argc == 1 && queue_dir_parse(argv[0], &only) != 0))
		return admin_fail(a, ADMIN_EX_USAGE, "[incoming|active|"
		    "deferred|hold|corrupt] expected");
	if ((rc = admin_queue_open(a, &q)) != ADMIN_OK)
		return rc;
	admin_out_begin_list(a->out, NULL);
	for (int d = 0; d < QUEUE_NDIRS && rc == ADMIN_OK; d++) {
		struct queue_entry *v;
		size_t n;

		if (only != QUEUE_NDIRS && (enum queue_dir)d != only)
			continue;
		if (queue_list(q, (enum queue_dir)d, (uint64_t)time(NULL),
		    a->pool, &v, &n, &err) != 0) {
			rc = admin_fail(a, ADMIN_EX_NOPERM, "%s: %s",
			    queue_dir_name((enum queue_dir)d), err);
			break;
		}
		for (size_t i = 0; i < n; i++)
			print_entry(a, &v[i], false);
	}
	admin_out_end_list(a->out);
	queue_close(&q);
	return rc;
}

int
admin_queue_show(struct admin *a, int argc, char **argv)
{
	struct queue *q = NULL;
	enum queue_dir dir;
	struct queue_entry *v;
	const char *err = NULL;
	size_t n;
	int rc;

	if (argc != 1 || argv[0][0] == '-')
		return admin_fail(a, ADMIN_EX_USAGE, "ID expected");
	if ((rc = admin_queue_open(a, &q)) != ADMIN_OK)
		return rc;
	if (queue_msg_find(q, argv[0], &dir) != 0) {
		queue_close(&q);
		return admin_fail(a, ADMIN_EX_NOTFOUND, "%s: no such message "
		    "in the queue", argv[0]);
	}
	rc = ADMIN_EX_NOTFOUND;
	if (queue_list(q, dir, (uint64_t)time(NULL), a->pool, &v, &n,
	    &err) != 0) {
		rc = admin_fail(a, ADMIN_EX_NOPERM, "%s: %s",
		    queue_dir_name(dir), err);
		n = 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].env.id, argv[0]) == 0) {
			print_entry(a, &v[i], true);
			rc = ADMIN_OK;
		}
	if (rc == ADMIN_EX_NOTFOUND)
		admin_fail(a, rc, "%s: delivered or moved meanwhile", argv[0]);
	queue_close(&q);
	return rc;
}
