/*
 * tests/unit/mtad/queue_testutil.c - helpers of the queue unit tests
 * (temporary spools, sample envelopes, commits, reads, log capture).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/xalloc.h"
#include "mtad/queue.h"
#include "tests/unit/mtad/queue_testutil.h"
#include "lib/banned.h"

char *
qt_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char path[4096];

	snprintf(path, sizeof(path), "%s/tessera-queue-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	cr_assert_not_null(mkdtemp(path));
	return xstrdup(path);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
qt_rmrf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct queue *
qt_open(const char *dir, size_t line_max, size_t rcpt_max)
{
	struct queue_limits lim = {
		line_max ? line_max : QUEUE_LINE_MAX_DEFAULT,
		rcpt_max ? rcpt_max : QUEUE_RCPT_MAX_DEFAULT };
	struct pool *pool = pool_new("qt");
	const char *err = NULL;
	struct queue *q = queue_open(dir, &lim, pool, &err);

	cr_assert_not_null(q, "queue_open: %s", err);
	pool_free(&pool);
	return q;
}

void
qt_env(struct queue_env *env, struct pool *pool, size_t nrcpts)
{
	memset(env, 0, sizeof(*env));
	env->arrival = 1764970000;
	env->client_addr = pool_strdup(pool, "192.0.2.7");
	env->client_name = pool_strdup(pool, "mx.example.org");
	env->helo = pool_strdup(pool, "mx.example.org");
	env->auth = pool_strdup(pool, "");
	env->tls_version = pool_strdup(pool, "TLS1.3");
	env->tls_cipher = pool_strdup(pool, "AES-256-GCM");
	env->sender = pool_strdup(pool, "alice@example.org");
	env->mail_size = 4096;
	env->body = QUEUE_BODY_8BITMIME;
	env->smtputf8 = false;
	env->ret = QUEUE_RET_HDRS;
	env->envid = pool_strdup(pool, "QQ314159");
	env->nrcpts = nrcpts;
	env->rcpts = pool_alloc(pool, (nrcpts + 1) * sizeof(*env->rcpts));
	for (size_t i = 0; i < nrcpts; i++) {
		struct queue_rcpt *r = &env->rcpts[i];

		r->addr = pool_printf(pool, "user%zu@example.test", i);
		r->orcpt = pool_printf(pool, "rfc822;user%zu@example.test", i);
		r->notify = i % 2 ? QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE
		    : 0;
		r->state = QUEUE_RCPT_PENDING;
		r->reply = pool_strdup(pool, "");
	}
}

int
qt_commit(struct queue *q, struct queue_env *env, const void *body,
    size_t len, size_t chunk, char id_out[QUEUE_ID_MAX])
{
	struct pool *pool = pool_new("qt-commit");
	const char *err = NULL;
	struct queue_writer *w = queue_writer_new(q, env, pool, &err);
	const uint8_t *p = body;
	size_t off = 0;
	int rc = -1;

	if (w == NULL)
		goto out;
	memcpy(id_out, queue_writer_id(w), QUEUE_ID_MAX);
	while (off < len) {
		size_t n = chunk == 0 || len - off < chunk ? len - off : chunk;

		if (queue_writer_write(w, p + off, n, &err) == -1) {
			queue_writer_abort(&w);
			goto out;
		}
		off += n;
	}
	rc = queue_writer_commit(&w, env, &err);
out:
	if (rc == -1)
		fprintf(stderr, "qt_commit: %s\n", err != NULL ? err : "?");
	pool_free(&pool);
	return rc;
}

char *
qt_read_fd(int fd, size_t *len_out)
{
	size_t cap = 65536, len = 0;
	char *s = xmalloc(cap + 1);
	ssize_t n;

	while ((n = read(fd, s + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			cap *= 2;
			s = xreallocarray(s, cap + 1, 1);
		}
	}
	s[len] = '\0';
	if (len_out != NULL)
		*len_out = len;
	return s;
}

char *
qt_read_file(const char *path, size_t *len_out)
{
	int fd = open(path, O_RDONLY);
	char *s;

	if (fd == -1)
		return NULL;
	s = qt_read_fd(fd, len_out);
	close(fd);
	return s;
}

char *
qt_read_queue_file(const char *spool, const char *dir, const char *name,
    size_t *len_out)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/queue/%s/%s", spool, dir, name);
	return qt_read_file(path, len_out);
}

size_t
qt_count(const char *spool, const char *dir, enum queue_name_kind k)
{
	char path[4096];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/queue/%s", spool, dir);
	d = opendir(path);
	cr_assert_not_null(d, "%s", path);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' &&
		    queue_name_classify(de->d_name, NULL) == k)
			n++;
	closedir(d);
	return n;
}

static void
str_assert_eq(const char *what, const char *a, const char *b)
{
	cr_assert_str_eq(a != NULL ? a : "", b != NULL ? b : "", "%s", what);
}

void
qt_env_assert_eq(const struct queue_env *a, const struct queue_env *b)
{
	cr_assert_str_eq(a->id, b->id);
	cr_assert_eq(a->arrival, b->arrival);
	str_assert_eq("client_addr", a->client_addr, b->client_addr);
	str_assert_eq("client_name", a->client_name, b->client_name);
	str_assert_eq("helo", a->helo, b->helo);
	str_assert_eq("auth", a->auth, b->auth);
	str_assert_eq("tls_version", a->tls_version, b->tls_version);
	str_assert_eq("tls_cipher", a->tls_cipher, b->tls_cipher);
	cr_assert_eq(a->size, b->size);
	str_assert_eq("sender", a->sender, b->sender);
	cr_assert_eq(a->mail_size, b->mail_size);
	cr_assert_eq(a->body, b->body);
	cr_assert_eq(a->smtputf8, b->smtputf8);
	cr_assert_eq(a->ret, b->ret);
	str_assert_eq("envid", a->envid, b->envid);
	cr_assert_eq(a->nrcpts, b->nrcpts);
	for (size_t i = 0; i < a->nrcpts; i++) {
		const struct queue_rcpt *x = &a->rcpts[i], *y = &b->rcpts[i];

		str_assert_eq("addr", x->addr, y->addr);
		str_assert_eq("orcpt", x->orcpt, y->orcpt);
		cr_assert_eq(x->notify, y->notify, "rcpt %zu notify", i);
		cr_assert_eq(x->state, y->state, "rcpt %zu state", i);
		cr_assert_eq(x->attempts, y->attempts);
		cr_assert_eq(x->next_try, y->next_try);
		str_assert_eq("reply", x->reply, y->reply);
	}
}

static int qt_saved_stderr = -1;
static char qt_log_path[4096];

void
qt_log_start(const char *dir)
{
	int fd;

	snprintf(qt_log_path, sizeof(qt_log_path), "%s/log", dir);
	fd = open(qt_log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_neq(fd, -1);
	fflush(stderr);
	qt_saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

char *
qt_log_end(void)
{
	char *s;

	fflush(stderr);
	dup2(qt_saved_stderr, STDERR_FILENO);
	close(qt_saved_stderr);
	s = qt_read_file(qt_log_path, NULL);
	cr_assert_not_null(s);
	return s;
}

void
qt_fill(uint8_t *p, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}
