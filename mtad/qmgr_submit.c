/*
 * mtad/qmgr_submit.c - helpers for messages the queue manager queues
 * itself: the origin mark and copying queued bytes (mtad/qmgr_submit.h).
 *
 * Runs in the queue manager.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "mtad/queue.h"
#include "mtad/qmgr_submit.h"
#include "lib/banned.h"

static const struct {
	unsigned bit;
	const char *word;
} origin_words[] = {
	{ QMGR_ORIGIN_DSN, "dsn" },
	{ QMGR_ORIGIN_DSN2, "dsn2" },
	{ QMGR_ORIGIN_EXPANDED, "expanded" },
};
#define N_WORDS (sizeof(origin_words) / sizeof(origin_words[0]))

int
qmgr_submit_received(struct buf *b, const char *hostname, const char *id,
    const char *why)
{
	char date[64];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	return buf_printf(b, "Received: by %s (Tessera) with local\r\n"
	    "\tid %s (%s); %s\r\n", hostname, id, why, date);
}

unsigned
qmgr_origin(const struct queue_env *env)
{
	const char *p;
	unsigned bits = 0;

	if (env->client_addr == NULL || env->client_addr[0] != '\0' ||
	    env->helo == NULL || strcmp(env->helo, QMGR_ORIGIN_HELO) != 0 ||
	    env->client_name == NULL)
		return 0;
	for (p = env->client_name; *p != '\0';) {
		size_t n = strcspn(p, "+");

		for (size_t i = 0; i < N_WORDS; i++)
			if (strlen(origin_words[i].word) == n &&
			    memcmp(origin_words[i].word, p, n) == 0)
				bits |= origin_words[i].bit;
		p += n;
		if (*p == '+')
			p++;
	}
	return bits;
}

void
qmgr_origin_set(struct queue_env *env, unsigned origin, struct pool *pool)
{
	char *words = pool_strdup(pool, "");

	for (size_t i = 0; i < N_WORDS; i++)
		if (origin & origin_words[i].bit)
			words = pool_printf(pool, "%s%s%s", words,
			    words[0] != '\0' ? "+" : "", origin_words[i].word);
	env->client_addr = pool_strdup(pool, "");
	env->client_name = words;
	env->helo = pool_strdup(pool, QMGR_ORIGIN_HELO);
}

int
qmgr_submit_copy(struct queue_writer *w, int fd, uint64_t max,
    uint64_t *copied_out, struct pool *pool, const char **err_out)
{
	char chunk[65536];
	uint64_t done = 0;

	while (done < max) {
		size_t want = max - done < sizeof(chunk) ?
		    (size_t)(max - done) : sizeof(chunk);
		ssize_t n = read(fd, chunk, want);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*err_out = pool_printf(pool, "read queued message: %s",
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		if (queue_writer_write(w, chunk, (size_t)n, err_out) == -1)
			return -1;
		done += (size_t)n;
	}
	*copied_out = done;
	return 0;
}
