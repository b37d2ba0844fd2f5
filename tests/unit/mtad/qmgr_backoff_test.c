/*
 * tests/unit/mtad/qmgr_backoff_test.c - the queue manager's retry delay:
 * retry_min doubled per failed attempt, never beyond retry_max.
 */
#include "config.h"

#include <criterion/criterion.h>

#include "mtad/qmgr.h"
#include "lib/banned.h"

Test(qmgr_backoff, doubles_from_retry_min)
{
	struct qmgr qm = { .retry_min_ms = 300000, .retry_max_ms = 14400000 };

	cr_assert_eq(qmgr_backoff(&qm, 1), 300);
	cr_assert_eq(qmgr_backoff(&qm, 2), 600);
	cr_assert_eq(qmgr_backoff(&qm, 3), 1200);
	cr_assert_eq(qmgr_backoff(&qm, 6), 9600);
}

Test(qmgr_backoff, capped_at_retry_max)
{
	struct qmgr qm = { .retry_min_ms = 300000, .retry_max_ms = 14400000 };

	cr_assert_eq(qmgr_backoff(&qm, 7), 14400);	/* 19200 capped */
	cr_assert_eq(qmgr_backoff(&qm, 1000), 14400);
	qm.retry_max_ms = 100000;	/* below retry_min: the cap wins */
	cr_assert_eq(qmgr_backoff(&qm, 1), 100);
}
