/*
 * tests/unit/lib/uid_test.c - unit tests for lib/uid.c.
 *
 * Shape of an id, uniqueness and order within a process (including a
 * burst far beyond one counter's worth per microsecond), order and
 * distinctness across processes, and the embedded time.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/uid.h"
#include "lib/banned.h"

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

Test(uid, has_fixed_length_and_alphabet)
{
	char id[UID_MAX];

	uid_new(id);
	cr_assert_eq(strlen(id), UID_LEN);
	cr_assert_eq(strspn(id, "0123456789ABCDEFGHJKMNPQRSTVWXYZ"), UID_LEN,
	    "bad character in %s", id);
}

Test(uid, burst_is_strictly_increasing)
{
	enum { N = 200000 };
	char prev[UID_MAX], cur[UID_MAX];

	/* 200000 ids come faster than one per microsecond, so the counter
	 * wraps and borrows microseconds many times. */
	uid_new(prev);
	for (int i = 0; i < N; i++) {
		uid_new(cur);
		cr_assert_gt(strcmp(cur, prev), 0, "%s after %s", cur, prev);
		memcpy(prev, cur, sizeof(prev));
	}
}

Test(uid, embeds_the_current_time)
{
	char id[UID_MAX];
	uint64_t before, after, t;

	before = now_us();
	uid_new(id);
	after = now_us();
	cr_assert_eq(uid_time(id, &t), 0);
	/* The counter may have borrowed a few microseconds ahead. */
	cr_assert_geq(t, before);
	cr_assert_leq(t, after + 1000);
}

Test(uid, time_rejects_malformed_ids)
{
	uint64_t t;

	cr_assert_eq(uid_time("", &t), -1);
	cr_assert_eq(uid_time("1K0TKYBFPW100HTN0", &t), -1);	/* 17 */
	cr_assert_eq(uid_time("1K0TKYBFPW100HTN000", &t), -1);	/* 19 */
	cr_assert_eq(uid_time("1K0TKYBFPW100HTNI0", &t), -1);	/* I */
	cr_assert_eq(uid_time("1k0TKYBFPW100HTN00", &t), -1);	/* lower */
	cr_assert_eq(uid_time("1K0TKYBFPW100HTN00", &t), 0);
}

Test(uid, other_process_ids_differ_and_sort_by_time, .timeout = 10)
{
	char mine[UID_MAX], theirs[UID_MAX], later[UID_MAX];
	int p[2], status;
	pid_t pid;

	uid_new(mine);
	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		char id[UID_MAX];

		/* Same inherited counter state, different pid. */
		uid_new(id);
		_exit(write(p[1], id, UID_MAX) == UID_MAX ? 0 : 1);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], theirs, UID_MAX), UID_MAX);
	close(p[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(status, 0);
	cr_assert_str_neq(theirs, mine);
	cr_assert_gt(strcmp(theirs, mine), 0);
	usleep(2000);
	uid_new(later);
	cr_assert_gt(strcmp(later, theirs), 0, "%s after %s", later, theirs);
}
