/*
 * lib/uid.h - short unique ids for sessions and queue files.
 *
 * An id is 18 characters of Crockford base32 (0-9, A-Z without I, L, O,
 * U, which sort in ASCII order): 11 for the wall-clock time in
 * microseconds, 5 for the process id, 2 for a per-process counter. Ids
 * are unique on one host, compare (strcmp) in creation order within a
 * process and in time order across processes, and are safe as file
 * names and log tokens.
 */
#ifndef LIB_UID_H
#define LIB_UID_H

#include <stdint.h>

#define UID_LEN 18
#define UID_MAX (UID_LEN + 1)

/* Write a new id and its NUL into out. Thread-safe and async-signal-safe
 * (a lock-free counter); never fails. */
void uid_new(char out[UID_MAX]);

/* The microseconds since the epoch encoded in an id. 0, or -1 if id is not
 * a well-formed id. */
int uid_time(const char *id, uint64_t *us_out);

#endif
