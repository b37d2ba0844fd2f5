/*
 * milters/virus/virusd_engine.h - the libclamav engine tessera-virusd
 * scans with: loaded from a database directory with the configured
 * limits, compiled once, then shared by every milter thread (a compiled
 * libclamav engine is safe for concurrent scans) and replaced whole on
 * reload, each scan holding a reference to the engine it started with.
 */
#ifndef MILTERS_VIRUS_VIRUSD_ENGINE_H
#define MILTERS_VIRUS_VIRUSD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct virusd_engine;
struct virusd_engine_slot;

/* Longest signature name, limit name or error text kept in a result. */
#define VIRUSD_NAME_MAX 128

enum virusd_status {
	VIRUSD_CLEAN,
	VIRUSD_INFECTED,	/* name: the signature */
	VIRUSD_EXCEEDED,	/* name: the [virusd] key of the limit */
	VIRUSD_ERROR,		/* name: what went wrong */
};

struct virusd_result {
	enum virusd_status status;
	char name[VIRUSD_NAME_MAX];
};

/* The libclamav engine fields tessera-virusd sets from [virusd]. */
struct virusd_limits {
	uint64_t max_scan_size;		/* bytes */
	uint64_t max_file_size;		/* bytes */
	uint32_t max_recursion;
	uint32_t max_files;
	uint32_t max_scan_time;		/* ms */
	const char *temp_dir;		/* NULL or "": libclamav's default */
};

/* Load every database in dir (cl_load with the standard options), set
 * the limits and compile. A new engine with one reference, or NULL with
 * the reason appended to err (a directory without signatures is an
 * error: libclamav would scan nothing). Initialises libclamav on first
 * use and routes its warnings and errors to lib/log. */
struct virusd_engine *virusd_engine_new(const char *dir,
    const struct virusd_limits *lim, struct buf *err);
/* Signatures the engine loaded. */
unsigned virusd_engine_signatures(const struct virusd_engine *e);
/* Drop a reference to *ep (NULL-safe, clears it); the last one frees. */
void virusd_engine_release(struct virusd_engine **ep);

/* Scan len bytes at p, or the whole file open at fd, as one message:
 * libclamav decodes MIME parts and opens archives, within the limits.
 * Fills *out; never fails otherwise. */
void virusd_engine_scan_mem(const struct virusd_engine *e, const void *p,
    size_t len, struct virusd_result *out);
void virusd_engine_scan_fd(const struct virusd_engine *e, int fd,
    struct virusd_result *out);

/* Text of a status: "clean", "infected", "exceeded", "error". */
const char *virusd_status_name(enum virusd_status s);

/* The engine in service, shared between threads. _new takes over e's
 * reference. _get returns a new reference to the current engine (release
 * it after the scan). _swap installs e (taking its reference) and drops
 * the slot's reference to the previous one, which is freed when its last
 * scan ends. */
struct virusd_engine_slot *virusd_engine_slot_new(struct virusd_engine *e);
struct virusd_engine *virusd_engine_slot_get(struct virusd_engine_slot *s);
void virusd_engine_slot_swap(struct virusd_engine_slot *s,
    struct virusd_engine *e);
void virusd_engine_slot_free(struct virusd_engine_slot **sp);

#endif
