/*
 * milters/spam/spam_db.c - the token database file: validation, loading,
 * lookups, and building a new one that replaces the old atomically.
 *
 * Runs in tessera-spamd: the milter reads the file into memory (threads
 * share it read-only); `learn` builds a new image in memory and renames
 * it over the old file under a lock file, so any number of readers and
 * one learner at a time are safe. The file is untrusted input: every
 * field is checked before a record is read (spam_db_parse).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "milters/spam/spam_db.h"
#include "milters/spam/spam_token.h"
#include "lib/banned.h"

struct entry {
	uint64_t h;
	uint32_t spam, ham;
};

struct spam_db_builder {
	struct entry *table;	/* open addressing, h == 0: empty */
	size_t size, n;
	uint64_t n_spam, n_ham;
};

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
fnv64(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int
spam_db_parse(const uint8_t *data, size_t len, struct spam_db *out,
    const char **err_out)
{
	uint64_t n, n_spam, n_ham, prev = 0;
	size_t body;

	memset(out, 0, sizeof(*out));
	if (len < SPAM_DB_HEADER_SIZE) {
		*err_out = "truncated header";
		return -1;
	}
	if (memcmp(data, SPAM_DB_MAGIC, sizeof(SPAM_DB_MAGIC)) != 0) {
		*err_out = "not a tessera-spamd database (bad magic)";
		return -1;
	}
	if (get32(data + 8) != SPAM_DB_VERSION) {
		*err_out = "unsupported database version";
		return -1;
	}
	if (get32(data + 12) != SPAM_DB_HEADER_SIZE) {
		*err_out = "bad header size";
		return -1;
	}
	n_spam = get64(data + 16);
	n_ham = get64(data + 24);
	n = get64(data + 32);
	body = len - SPAM_DB_HEADER_SIZE;
	if (n > body / SPAM_DB_RECORD_SIZE || n * SPAM_DB_RECORD_SIZE != body) {
		*err_out = "file size does not match the record count";
		return -1;
	}
	if (fnv64(data + SPAM_DB_HEADER_SIZE, body) != get64(data + 40)) {
		*err_out = "checksum mismatch";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *r = data + SPAM_DB_HEADER_SIZE +
		    i * SPAM_DB_RECORD_SIZE;
		uint64_t h = get64(r);
		uint32_t s = get32(r + 8), g = get32(r + 12);

		if (h == 0 || (i > 0 && h <= prev)) {
			*err_out = "records not in ascending order";
			return -1;
		}
		if ((s == 0 && g == 0) || s > n_spam || g > n_ham) {
			*err_out = "record count out of range";
			return -1;
		}
		prev = h;
	}
	out->records = data + SPAM_DB_HEADER_SIZE;
	out->n = (size_t)n;
	out->n_spam = n_spam;
	out->n_ham = n_ham;
	return 0;
}

struct spam_db *
spam_db_new_empty(void)
{
	return xcalloc(1, sizeof(struct spam_db));
}

struct spam_db *
spam_db_open(const char *path, size_t size_max, bool allow_missing,
    const char **err_out)
{
	struct spam_db *db;
	struct stat st;
	uint8_t *img;
	size_t len, got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT && allow_missing)
			return spam_db_new_empty();
		*err_out = errno == ENOENT ? "no such file" : "cannot open";
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*err_out = "not a regular file";
		close(fd);
		return NULL;
	}
	if ((uint64_t)st.st_size > size_max) {
		*err_out = "larger than the database size limit";
		close(fd);
		return NULL;
	}
	/* read, not mapped: a file overwritten in place (cp, an editor)
	 * would turn a mapping's pages into SIGBUS */
	len = (size_t)st.st_size;
	img = xmalloc(len + 1);
	while (got < len + 1) {
		ssize_t r = read(fd, img + got, len + 1 - got);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != len) {
		*err_out = "file changed while it was read";
		free(img);
		return NULL;
	}
	db = xcalloc(1, sizeof(*db));
	if (spam_db_parse(img, len, db, err_out) == -1) {
		free(img);
		free(db);
		return NULL;
	}
	db->heap = img;
	return db;
}

void
spam_db_free(struct spam_db **dbp)
{
	struct spam_db *db = *dbp;

	if (db == NULL)
		return;
	free(db->heap);
	free(db);
	*dbp = NULL;
}

void
spam_db_lookup(const struct spam_db *db, uint64_t h, uint32_t *spam_out,
    uint32_t *ham_out)
{
	size_t lo = 0, hi = db->n;

	*spam_out = *ham_out = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const uint8_t *r = db->records + mid * SPAM_DB_RECORD_SIZE;
		uint64_t v = get64(r);

		if (v == h) {
			*spam_out = get32(r + 8);
			*ham_out = get32(r + 12);
			return;
		}
		if (v < h)
			lo = mid + 1;
		else
			hi = mid;
	}
}

static struct entry *
builder_slot(struct spam_db_builder *b, uint64_t h)
{
	size_t j;

	if ((b->n + 1) * 2 > b->size) {
		size_t size = b->size == 0 ? 4096 : b->size * 2;
		struct entry *nt = xcalloc(size, sizeof(*nt));

		for (size_t i = 0; i < b->size; i++) {
			if (b->table[i].h == 0)
				continue;
			for (j = b->table[i].h & (size - 1); nt[j].h != 0;
			    j = (j + 1) & (size - 1))
				;
			nt[j] = b->table[i];
		}
		free(b->table);
		b->table = nt;
		b->size = size;
	}
	for (j = h & (b->size - 1); b->table[j].h != 0 && b->table[j].h != h;
	    j = (j + 1) & (b->size - 1))
		;
	if (b->table[j].h == 0) {
		b->table[j].h = h;
		b->n++;
	}
	return &b->table[j];
}

struct spam_db_builder *
spam_db_builder_new(const struct spam_db *base)
{
	struct spam_db_builder *b = xcalloc(1, sizeof(*b));

	if (base == NULL)
		return b;
	b->n_spam = base->n_spam;
	b->n_ham = base->n_ham;
	for (size_t i = 0; i < base->n; i++) {
		const uint8_t *r = base->records + i * SPAM_DB_RECORD_SIZE;
		struct entry *e = builder_slot(b, get64(r));

		e->spam = get32(r + 8);
		e->ham = get32(r + 12);
	}
	return b;
}

void
spam_db_builder_free(struct spam_db_builder **bp)
{
	if (*bp == NULL)
		return;
	free((*bp)->table);
	free(*bp);
	*bp = NULL;
}

void
spam_db_builder_add(struct spam_db_builder *b, const struct spam_tokens *t,
    bool spam)
{
	if (spam && b->n_spam < UINT32_MAX)
		b->n_spam++;
	else if (!spam && b->n_ham < UINT32_MAX)
		b->n_ham++;
	else
		return;		/* saturated: counts must stay <= totals */
	for (size_t i = 0; i < t->size; i++) {
		struct entry *e;

		if (t->table[i] == 0)
			continue;
		e = builder_slot(b, t->table[i]);
		if (spam)
			e->spam++;
		else
			e->ham++;
	}
}

void
spam_db_builder_lookup(const struct spam_db_builder *b, uint64_t h,
    uint32_t *spam_out, uint32_t *ham_out)
{
	*spam_out = *ham_out = 0;
	if (b->size == 0)
		return;
	for (size_t j = h & (b->size - 1); b->table[j].h != 0;
	    j = (j + 1) & (b->size - 1))
		if (b->table[j].h == h) {
			*spam_out = b->table[j].spam;
			*ham_out = b->table[j].ham;
			return;
		}
}

void
spam_db_builder_totals(const struct spam_db_builder *b, uint64_t *n_spam,
    uint64_t *n_ham)
{
	*n_spam = b->n_spam;
	*n_ham = b->n_ham;
}

static int
entry_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct entry *)a)->h;
	uint64_t y = ((const struct entry *)b)->h;

	return x < y ? -1 : x > y;
}

uint8_t *
spam_db_builder_image(const struct spam_db_builder *b, size_t *len_out)
{
	struct entry *v = xreallocarray(NULL, b->n + 1, sizeof(*v));
	size_t n = 0, len;
	uint8_t *img;

	for (size_t i = 0; i < b->size; i++)
		if (b->table[i].h != 0)
			v[n++] = b->table[i];
	qsort(v, n, sizeof(*v), entry_cmp);
	if (size_mul(n, SPAM_DB_RECORD_SIZE, &len) == -1 ||
	    size_add(len, SPAM_DB_HEADER_SIZE, &len) == -1)
		abort();
	img = xcalloc(1, len);
	memcpy(img, SPAM_DB_MAGIC, sizeof(SPAM_DB_MAGIC));
	put32(img + 8, SPAM_DB_VERSION);
	put32(img + 12, SPAM_DB_HEADER_SIZE);
	put64(img + 16, b->n_spam);
	put64(img + 24, b->n_ham);
	put64(img + 32, n);
	for (size_t i = 0; i < n; i++) {
		uint8_t *r = img + SPAM_DB_HEADER_SIZE + i * SPAM_DB_RECORD_SIZE;

		put64(r, v[i].h);
		put32(r + 8, v[i].spam);
		put32(r + 12, v[i].ham);
	}
	put64(img + 40, fnv64(img + SPAM_DB_HEADER_SIZE,
	    len - SPAM_DB_HEADER_SIZE));
	free(v);
	*len_out = len;
	return img;
}

struct spam_db *
spam_db_builder_finish(const struct spam_db_builder *b)
{
	struct spam_db *db = xcalloc(1, sizeof(*db));
	const char *err;
	size_t len;
	uint8_t *img = spam_db_builder_image(b, &len);

	if (spam_db_parse(img, len, db, &err) == -1)
		abort();	/* we wrote it: a bug */
	db->heap = img;
	return db;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
fsync_dir_of(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL)
		rc = str_copy(dir, sizeof(dir), ".");
	else if (slash == path)
		rc = str_copy(dir, sizeof(dir), "/");
	else
		rc = str_printf(dir, sizeof(dir), "%.*s", (int)(slash - path),
		    path);
	if (rc == -1)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
spam_db_builder_write(const struct spam_db_builder *b, const char *path,
    const char **err_out)
{
	char tmp[4096];
	size_t len;
	uint8_t *img;
	int fd, saved;

	if (str_printf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) == -1) {
		*err_out = "path too long";
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		*err_out = "cannot create the new file";
		return -1;
	}
	img = spam_db_builder_image(b, &len);
	if (write_all(fd, img, len) == -1 || fsync(fd) == -1) {
		*err_out = "cannot write the new file";
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		*err_out = "cannot write the new file";
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		*err_out = "cannot rename the new file into place";
		goto fail;
	}
	free(img);
	if (fsync_dir_of(path) == -1) {
		*err_out = "cannot sync the directory";
		return -1;
	}
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(img);
	errno = saved;
	return -1;
}

int
spam_db_lock(const char *path)
{
	char lock[4096];
	int fd;

	if (str_printf(lock, sizeof(lock), "%s.lock", path) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			int saved = errno;

			close(fd);
			errno = saved;
			return -1;
		}
	}
	return fd;
}
