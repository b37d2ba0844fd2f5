/*
 * mtad/queue_scan.c - directory listings of the queue and the start-up
 * recovery of what a crash left behind.
 *
 * Runs in the queue runner, the admin command and (recovery) the mtad
 * master before it starts its children. Names found in the directories
 * are classified exactly (mtad/queue_id.c); anything else is reported and
 * left alone.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "mtad/queue.h"
#include "lib/banned.h"

/* The names of directory d with their kinds, via a dup of its fd. */
struct name_list {
	char (*names)[QUEUE_NAME_MAX];
	enum queue_name_kind *kinds;
	size_t n, cap;
	size_t foreign;
};

static int
read_names(const struct queue *q, enum queue_dir d, struct name_list *nl)
{
	int fd = openat(q->dirfd[d], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *dir;

	memset(nl, 0, sizeof(*nl));
	if (fd == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(dir)) != NULL) {
		enum queue_name_kind k;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		k = queue_name_classify(de->d_name, NULL);
		if (k == QUEUE_NAME_OTHER) {
			nl->foreign++;
			continue;
		}
		if (nl->n == nl->cap) {
			nl->cap = nl->cap ? nl->cap * 2 : 64;
			nl->names = xreallocarray(nl->names, nl->cap,
			    sizeof(*nl->names));
			nl->kinds = xreallocarray(nl->kinds, nl->cap,
			    sizeof(*nl->kinds));
		}
		/* classify accepted it, so it fits QUEUE_NAME_MAX */
		memcpy(nl->names[nl->n], de->d_name, strlen(de->d_name) + 1);
		nl->kinds[nl->n++] = k;
	}
	closedir(dir);
	return errno == 0 ? 0 : -1;
}

static void
names_free(struct name_list *nl)
{
	free(nl->names);
	free(nl->kinds);
	memset(nl, 0, sizeof(*nl));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
queue_scan_ids(struct queue *q, enum queue_dir dir, struct pool *pool,
    char ***ids_out, size_t *n_out, const char **err_out)
{
	struct name_list nl;
	char **ids;
	size_t n = 0;

	if (read_names(q, dir, &nl) == -1) {
		*err_out = pool_printf(pool, "queue: read %s: %s",
		    queue_dir_name(dir), strerror(errno));
		names_free(&nl);
		return -1;
	}
	ids = pool_alloc(pool, (nl.n + 1) * sizeof(*ids));
	for (size_t i = 0; i < nl.n; i++)
		if (nl.kinds[i] == QUEUE_NAME_MESSAGE)
			ids[n++] = pool_strdup(pool, nl.names[i]);
	qsort(ids, n, sizeof(*ids), cmp_str);
	names_free(&nl);
	*ids_out = ids;
	*n_out = n;
	return 0;
}

int
queue_list(struct queue *q, enum queue_dir dir, uint64_t now,
    struct pool *pool, struct queue_entry **out, size_t *n_out,
    const char **err_out)
{
	struct queue_entry *e;
	char **ids;
	size_t n, k = 0;

	if (queue_scan_ids(q, dir, pool, &ids, &n, err_out) == -1)
		return -1;
	e = pool_alloc(pool, (n + 1) * sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		struct queue_msg *m;
		const char *err;

		switch (queue_msg_open(q, dir, ids[i], pool, &m, &err)) {
		case QUEUE_MSG_OK:
			e[k].dir = dir;
			e[k].env = m->env;
			e[k].age = now > m->env.arrival ? now - m->env.arrival
			    : 0;
			k++;
			queue_msg_close(&m);
			break;
		case QUEUE_MSG_CORRUPT:		/* logged and moved */
			if (dir != QUEUE_CORRUPT)
				break;
			e[k].dir = dir;
			memcpy(e[k].env.id, ids[i], QUEUE_ID_MAX);
			e[k].corrupt = err;
			k++;
			break;
		case QUEUE_MSG_NOTFOUND:	/* delivered meanwhile */
			break;
		case QUEUE_MSG_ERROR:
			*err_out = err;
			return -1;
		}
	}
	*out = e;
	*n_out = k;
	return 0;
}

/* A state file of directory d: remove it if its message is gone, move it
 * beside its message if a move was cut short. 0, or -1 (errno). */
static int
recover_state(struct queue *q, enum queue_dir d, const char *name,
    const char *id, struct queue_recover_stats *st)
{
	const char *dn = queue_dir_name(d);
	enum queue_dir md;

	if (queue_msg_find(q, id, &md) == -1) {
		if (unlinkat(q->dirfd[d], name, 0) == -1)
			return -1;
		st->states_removed++;
		log_info("queue: recover id=%s removed orphan state file=%s/%s",
		    id, dn, name);
		return 0;
	}
	if (md == d)
		return 0;
	if (renameat2(q->dirfd[d], name, q->dirfd[md], name,
	    RENAME_NOREPLACE) == 0) {
		st->states_moved++;
		log_info("queue: recover id=%s moved state file %s -> %s", id,
		    dn, queue_dir_name(md));
		return 0;
	}
	if (errno != EEXIST)
		return -1;
	/* the one beside the message was written later: it is the one read */
	log_warn("queue: recover id=%s state files in %s and %s, kept %s", id,
	    dn, queue_dir_name(md), queue_dir_name(md));
	return 0;
}

static int
recover_dir(struct queue *q, enum queue_dir d, struct queue_recover_stats *st)
{
	struct name_list nl;
	int rc = 0;

	if (read_names(q, d, &nl) == -1) {
		names_free(&nl);
		return -1;
	}
	st->foreign += nl.foreign;
	if (nl.foreign > 0)
		log_warn("queue: recover dir=%s foreign_files=%zu (left alone)",
		    queue_dir_name(d), nl.foreign);
	for (size_t i = 0; i < nl.n && rc == 0; i++) {
		const char *name = nl.names[i];
		char id[QUEUE_ID_MAX];

		queue_name_classify(name, id);
		if (nl.kinds[i] == QUEUE_NAME_STATE) {
			rc = recover_state(q, d, name, id, st);
		} else if (nl.kinds[i] == QUEUE_NAME_TEMP) {
			if ((rc = unlinkat(q->dirfd[d], name, 0)) == -1)
				break;
			st->temps_removed++;
			log_info("queue: recover id=%s removed partial "
			    "file=%s/%s", id, queue_dir_name(d), name);
		}
	}
	names_free(&nl);
	return rc;
}

int
queue_recover(struct queue *q, struct pool *pool,
    struct queue_recover_stats *st, const char **err_out)
{
	memset(st, 0, sizeof(*st));
	for (size_t d = 0; d < QUEUE_NDIRS; d++) {
		if (recover_dir(q, (enum queue_dir)d, st) == -1) {
			*err_out = pool_printf(pool, "queue: recover %s: %s",
			    queue_dir_name((enum queue_dir)d), strerror(errno));
			return -1;
		}
	}
	for (size_t d = 0; d < QUEUE_NDIRS; d++)
		if (queue_sync_dir(q, (enum queue_dir)d) == -1) {
			*err_out = pool_printf(pool, "queue: fsync %s: %s",
			    queue_dir_name((enum queue_dir)d), strerror(errno));
			return -1;
		}
	return 0;
}
