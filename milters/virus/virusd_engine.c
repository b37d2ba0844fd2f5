/*
 * milters/virus/virusd_engine.c - libclamav engines: load, compile, scan,
 * reference counting and the slot that lets a reload replace the engine
 * while scans on the old one finish.
 *
 * Runs in tessera-virusd's milter threads and in its scan command. The
 * data scanned is hostile mail; libclamav parses it under the limits set
 * here, and what passes a limit is reported as VIRUSD_EXCEEDED through
 * libclamav's "exceeds max" heuristic, never silently passed as clean.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#include <clamav.h>

#include "milters/virus/virusd_engine.h"
#include "lib/banned.h"

struct virusd_engine {
	struct cl_engine *cl;
	uint64_t max_file_size;
	unsigned signatures;
	pthread_mutex_t lock;
	unsigned refs;
};

struct virusd_engine_slot {
	pthread_mutex_t lock;
	struct virusd_engine *cur;
};

/* libclamav's names for its limits, and the [virusd] keys that set them. */
#define EXCEEDED_PREFIX "Heuristics.Limits.Exceeded."
static const struct {
	const char *clam;
	const char *key;
} limit_names[] = {
	{ "MaxScanSize", "max_scan_size" },
	{ "MaxFileSize", "max_file_size" },
	{ "MaxRecursion", "max_recursion" },
	{ "MaxFiles", "max_files" },
	{ "MaxScanTime", "max_scan_time" },
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static cl_error_t init_rc;

/* Errors libclamav reported during the scan running in this thread.
 * libclamav can fail a scan yet return CL_CLEAN (it does when it cannot
 * create its temporary directory): an error message seen during a scan
 * makes it VIRUSD_ERROR, never clean. Scans are synchronous in the
 * calling thread, so a thread-local counter attributes each message to
 * its scan whatever context libclamav passes along. */
static _Thread_local unsigned scan_errors;
static _Thread_local char scan_error[VIRUSD_NAME_MAX];

static void
clamav_msg(enum cl_msg severity, const char *fullmsg, const char *msg,
    void *context)
{
	size_t n = strlen(msg);

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		n--;
	if (severity == CL_MSG_ERROR) {
		log_error("libclamav: %.*s", (int)n, msg);
		if (scan_errors++ == 0)
			(void)str_printf(scan_error, sizeof(scan_error),
			    "libclamav: %.*s", (int)n, msg);
	} else if (severity == CL_MSG_WARN) {
		log_warn("libclamav: %.*s", (int)n, msg);
	}
}

static void
clamav_init(void)
{
	cl_set_clcb_msg(clamav_msg);
	init_rc = cl_init(CL_INIT_DEFAULT);
}

static int
set_limits(struct cl_engine *cl, const struct virusd_limits *lim,
    struct buf *err)
{
	const struct {
		enum cl_engine_field f;
		long long v;
		const char *key;
	} nums[] = {
		{ CL_ENGINE_MAX_SCANSIZE, (long long)lim->max_scan_size,
		  "max_scan_size" },
		{ CL_ENGINE_MAX_FILESIZE, (long long)lim->max_file_size,
		  "max_file_size" },
		{ CL_ENGINE_MAX_RECURSION, lim->max_recursion, "max_recursion" },
		{ CL_ENGINE_MAX_FILES, lim->max_files, "max_files" },
		{ CL_ENGINE_MAX_SCANTIME, lim->max_scan_time, "max_scan_time" },
	};
	cl_error_t rc;

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		rc = cl_engine_set_num(cl, nums[i].f, nums[i].v);
		if (rc != CL_SUCCESS) {
			buf_printf(err, "libclamav refuses %s=%lld: %s",
			    nums[i].key, nums[i].v, cl_strerror(rc));
			return -1;
		}
	}
	if (lim->temp_dir != NULL && lim->temp_dir[0] != '\0' &&
	    (rc = cl_engine_set_str(cl, CL_ENGINE_TMPDIR, lim->temp_dir)) !=
	    CL_SUCCESS) {
		buf_printf(err, "libclamav refuses temp_dir=%s: %s",
		    lim->temp_dir, cl_strerror(rc));
		return -1;
	}
	return 0;
}

struct virusd_engine *
virusd_engine_new(const char *dir, const struct virusd_limits *lim,
    struct buf *err)
{
	struct virusd_engine *e;
	unsigned sigs = 0;
	cl_error_t rc;
	struct cl_engine *cl;

	pthread_once(&init_once, clamav_init);
	if (init_rc != CL_SUCCESS) {
		buf_printf(err, "cl_init: %s", cl_strerror(init_rc));
		return NULL;
	}
	if ((cl = cl_engine_new()) == NULL) {
		buf_printf(err, "cl_engine_new failed");
		return NULL;
	}
	if (set_limits(cl, lim, err) == -1)
		goto fail;
	rc = cl_load(dir, cl, &sigs, CL_DB_STDOPT);
	if (rc != CL_SUCCESS) {
		buf_printf(err, "cannot load databases from %s: %s", dir,
		    cl_strerror(rc));
		goto fail;
	}
	if (sigs == 0) {
		buf_printf(err, "no signatures in %s", dir);
		goto fail;
	}
	rc = cl_engine_compile(cl);
	if (rc != CL_SUCCESS) {
		buf_printf(err, "cannot compile the databases of %s: %s", dir,
		    cl_strerror(rc));
		goto fail;
	}
	e = xcalloc(1, sizeof(*e));
	e->cl = cl;
	e->signatures = sigs;
	e->max_file_size = lim->max_file_size;
	e->refs = 1;
	pthread_mutex_init(&e->lock, NULL);
	return e;
fail:
	cl_engine_free(cl);
	return NULL;
}

unsigned
virusd_engine_signatures(const struct virusd_engine *e)
{
	return e->signatures;
}

static struct virusd_engine *
engine_hold(struct virusd_engine *e)
{
	pthread_mutex_lock(&e->lock);
	ASSERT(e->refs > 0);
	e->refs++;
	pthread_mutex_unlock(&e->lock);
	return e;
}

void
virusd_engine_release(struct virusd_engine **ep)
{
	struct virusd_engine *e;
	bool last;

	if (ep == NULL || *ep == NULL)
		return;
	e = *ep;
	*ep = NULL;
	pthread_mutex_lock(&e->lock);
	ASSERT(e->refs > 0);
	last = --e->refs == 0;
	pthread_mutex_unlock(&e->lock);
	if (!last)
		return;
	cl_engine_free(e->cl);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* Every parser on, and the heuristic that turns a crossed limit into a
 * detection, so what could not be scanned whole is never called clean.
 * Real signatures still take precedence over that heuristic. */
static void
scan_options(struct cl_scan_options *o)
{
	memset(o, 0, sizeof(*o));
	o->general = CL_SCAN_GENERAL_HEURISTICS;
	o->parse = ~0u;
	o->heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX;
}

static void
result_set(struct virusd_result *out, enum virusd_status st,
    const char *name)
{
	out->status = st;
	if (str_copy(out->name, sizeof(out->name), name) == -1) {
		/* keep what fits: a truncated name still identifies */
		out->name[sizeof(out->name) - 1] = '\0';
	}
}

static void
result_from(cl_error_t rc, const char *virname, struct virusd_result *out)
{
	size_t plen = strlen(EXCEEDED_PREFIX);

	if (rc == CL_CLEAN && scan_errors > 0) {
		result_set(out, VIRUSD_ERROR, scan_error);
		return;
	}
	if (rc == CL_CLEAN) {
		result_set(out, VIRUSD_CLEAN, "");
		return;
	}
	if (rc == CL_ETIMEOUT) {
		result_set(out, VIRUSD_EXCEEDED, "max_scan_time");
		return;
	}
	if (rc != CL_VIRUS) {
		result_set(out, VIRUSD_ERROR, cl_strerror(rc));
		return;
	}
	if (virname == NULL)
		virname = "unnamed";
	if (strncmp(virname, EXCEEDED_PREFIX, plen) == 0) {
		for (size_t i = 0; i < sizeof(limit_names) /
		    sizeof(limit_names[0]); i++)
			if (strcmp(virname + plen, limit_names[i].clam) == 0) {
				result_set(out, VIRUSD_EXCEEDED,
				    limit_names[i].key);
				return;
			}
		result_set(out, VIRUSD_EXCEEDED, virname + plen);
		return;
	}
	result_set(out, VIRUSD_INFECTED, virname);
}

/* libclamav skips a file past max_file_size, the message included, and
 * reports that without a name when it is the message itself. */
static bool
too_big(const struct virusd_engine *e, uint64_t len,
    struct virusd_result *out)
{
	if (len <= e->max_file_size)
		return false;
	result_set(out, VIRUSD_EXCEEDED, "max_file_size");
	return true;
}

void
virusd_engine_scan_mem(const struct virusd_engine *e, const void *p,
    size_t len, struct virusd_result *out)
{
	struct cl_scan_options o;
	const char *virname = NULL;
	unsigned long scanned = 0;
	cl_fmap_t *map;
	cl_error_t rc;

	/* libclamav refuses an empty map; an empty message holds nothing */
	if (len == 0) {
		result_set(out, VIRUSD_CLEAN, "");
		return;
	}
	if (too_big(e, len, out))
		return;
	if ((map = cl_fmap_open_memory(p, len)) == NULL) {
		result_set(out, VIRUSD_ERROR, "cannot map the message");
		return;
	}
	scan_options(&o);
	scan_errors = 0;
	rc = cl_scanmap_callback(map, NULL, &virname, &scanned, e->cl, &o,
	    NULL);
	result_from(rc, virname, out);
	cl_fmap_close(map);
}

void
virusd_engine_scan_fd(const struct virusd_engine *e, int fd,
    struct virusd_result *out)
{
	struct cl_scan_options o;
	const char *virname = NULL;
	unsigned long scanned = 0;
	cl_error_t rc;

	struct stat st;

	if (fstat(fd, &st) == -1 || lseek(fd, 0, SEEK_SET) == (off_t)-1) {
		result_set(out, VIRUSD_ERROR, "cannot read the message file");
		return;
	}
	/* as in scan_mem: an empty file holds nothing to map or scan */
	if (st.st_size == 0) {
		result_set(out, VIRUSD_CLEAN, "");
		return;
	}
	if (too_big(e, (uint64_t)st.st_size, out))
		return;
	scan_options(&o);
	scan_errors = 0;
	rc = cl_scandesc(fd, NULL, &virname, &scanned, e->cl, &o);
	result_from(rc, virname, out);
}

const char *
virusd_status_name(enum virusd_status s)
{
	static const char *const names[] = { "clean", "infected",
		"exceeded", "error" };

	return (unsigned)s < 4 ? names[s] : "?";
}

struct virusd_engine_slot *
virusd_engine_slot_new(struct virusd_engine *e)
{
	struct virusd_engine_slot *s = xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->lock, NULL);
	s->cur = e;
	return s;
}

struct virusd_engine *
virusd_engine_slot_get(struct virusd_engine_slot *s)
{
	struct virusd_engine *e;

	pthread_mutex_lock(&s->lock);
	e = engine_hold(s->cur);
	pthread_mutex_unlock(&s->lock);
	return e;
}

void
virusd_engine_slot_swap(struct virusd_engine_slot *s,
    struct virusd_engine *e)
{
	struct virusd_engine *old;

	pthread_mutex_lock(&s->lock);
	old = s->cur;
	s->cur = e;
	pthread_mutex_unlock(&s->lock);
	virusd_engine_release(&old);
}

void
virusd_engine_slot_free(struct virusd_engine_slot **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	virusd_engine_release(&(*sp)->cur);
	pthread_mutex_destroy(&(*sp)->lock);
	free(*sp);
	*sp = NULL;
}
