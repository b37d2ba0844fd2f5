/*
 * lib/uid.c - short unique ids for sessions and queue files.
 *
 * The per-process state is one 64-bit word, (microseconds << 10 | counter),
 * advanced with compare-and-swap so threads and signal handlers may call
 * uid_new(). It is a mutable static in a library file by necessity: the
 * counter must be shared by every caller in the process. A forked child
 * inherits it, which is harmless because the pid is part of the id.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/uid.h"
#include "lib/banned.h"

#define UID_TIME_CHARS 11	/* 55 bits: microseconds until year 3111 */
#define UID_PID_CHARS 5		/* 25 bits: Linux pid_max is at most 2^22 */
#define UID_COUNT_CHARS 2	/* 10 bits */
#define UID_COUNT_BITS 10
#define UID_COUNT_MASK ((UINT64_C(1) << UID_COUNT_BITS) - 1)

static const char uid_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static uint64_t uid_state;

static void
put_base32(char *out, int chars, uint64_t v)
{
	int i;

	for (i = chars - 1; i >= 0; i--) {
		out[i] = uid_alphabet[v & 31];
		v >>= 5;
	}
}

static int
get_base32(const char *in, int chars, uint64_t *v_out)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < chars; i++) {
		const char *p;

		if (in[i] == '\0' || (p = strchr(uid_alphabet, in[i])) == NULL)
			return -1;
		v = v << 5 | (uint64_t)(p - uid_alphabet);
	}
	*v_out = v;
	return 0;
}

/*
 * Next (time, counter) pair, strictly above the previous one: a clock that
 * stands still or steps back keeps the old time and bumps the counter, and a
 * full counter borrows the next microsecond.
 */
static uint64_t
uid_next_state(void)
{
	struct timespec ts;
	uint64_t now, old, next;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	old = __atomic_load_n(&uid_state, __ATOMIC_RELAXED);
	do {
		if (now > old >> UID_COUNT_BITS)
			next = now << UID_COUNT_BITS;
		else
			next = old + 1;
	} while (!__atomic_compare_exchange_n(&uid_state, &old, next, false,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return next;
}

void
uid_new(char out[UID_MAX])
{
	uint64_t st = uid_next_state();

	put_base32(out, UID_TIME_CHARS, st >> UID_COUNT_BITS);
	put_base32(out + UID_TIME_CHARS, UID_PID_CHARS, (uint64_t)getpid());
	put_base32(out + UID_TIME_CHARS + UID_PID_CHARS, UID_COUNT_CHARS,
	    st & UID_COUNT_MASK);
	out[UID_LEN] = '\0';
}

int
uid_time(const char *id, uint64_t *us_out)
{
	uint64_t v;

	if (strlen(id) != UID_LEN)
		return -1;
	for (size_t i = 0; i < UID_LEN; i++)
		if (strchr(uid_alphabet, id[i]) == NULL)
			return -1;
	if (get_base32(id, UID_TIME_CHARS, &v) == -1)
		return -1;
	*us_out = v;
	return 0;
}
