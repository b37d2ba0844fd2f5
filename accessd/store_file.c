/*
 * accessd/store_file.c - Maildir file names of the store:
 * "<sec>.M<usec>P<pid>Q<seq>.<host>,U=<uid>,S=<size>:2,<flags>".
 *
 * The UID and size in the name make the index a cache (store.h). Names
 * found on disk are untrusted: anything that does not parse exactly is
 * reported to the caller, who logs and skips it.
 */
#include "config.h"

#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/str.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

static const struct {
	char letter;		/* Maildir info letters, in ASCII order */
	uint32_t flag;
} letters[] = {
	{ 'D', STORE_FLAG_DRAFT },
	{ 'F', STORE_FLAG_FLAGGED },
	{ 'R', STORE_FLAG_ANSWERED },
	{ 'S', STORE_FLAG_SEEN },
	{ 'T', STORE_FLAG_DELETED },
};

/* Decimal digits at p up to a delimiter in stop; 0 and *end, or -1. */
static int
num_at(const char *p, const char *stop, uint64_t max, uint64_t *v,
    const char **end)
{
	size_t n = strcspn(p, stop);

	if (parse_u64(p, n, max, v) == -1)
		return -1;
	*end = p + n;
	return 0;
}

int
store_fname_parse(const char *name, struct store_fname *out)
{
	const char *u, *p, *info;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	if (name[0] == '.' || strlen(name) > STORE_INDEX_FILE_MAX ||
	    strchr(name, '/') != NULL)
		return -1;
	info = strstr(name, ":2,");
	u = strstr(name, ",U=");
	if (u == NULL || u == name || (info != NULL && u > info))
		return -1;
	if (num_at(u + 3, ",:", UINT32_MAX - 1, &v, &p) == -1 || v == 0)
		return -1;
	out->uid = (uint32_t)v;
	while (*p == ',') {
		if (strncmp(p, ",S=", 3) == 0) {
			if (num_at(p + 3, ",:", UINT64_MAX, &out->size, &p) == -1)
				return -1;
			out->have_size = true;
		} else {
			p += 1 + strcspn(p + 1, ",:");	/* other fields */
		}
	}
	if (*p == '\0')
		return 0;
	if (strncmp(p, ":2,", 3) != 0)
		return -1;
	for (p += 3; *p != '\0'; p++) {
		for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
			if (letters[i].letter == *p)
				out->flags |= letters[i].flag;
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
			return -1;
	}
	return 0;
}

int
store_fname_unique(struct store_mailbox *mb, char *out, size_t size)
{
	struct timeval tv;
	char host[64] = "localhost";

	gettimeofday(&tv, NULL);
	if (gethostname(host, sizeof(host) - 1) == -1)
		str_copy(host, sizeof(host), "localhost");
	/* Maildir: no '/' or ':' in names; keep it to a plain set */
	for (char *h = host; *h != '\0'; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		    (*h >= '0' && *h <= '9') || *h == '-' || *h == '.'))
			*h = '_';
	return str_printf(out, size, "%lld.M%ldP%ldQ%u.%s",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
	    ++mb->seq, host);
}

int
store_fname_make(const char *base, uint32_t uid, uint64_t size,
    uint32_t flags, char *out, size_t size_out)
{
	char info[8];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		if (flags & letters[i].flag)
			info[n++] = letters[i].letter;
	info[n] = '\0';
	return str_printf(out, size_out, "%s,U=%u,S=%llu:2,%s", base, uid,
	    (unsigned long long)size, info);
}
