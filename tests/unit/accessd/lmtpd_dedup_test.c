/*
 * tests/unit/accessd/lmtpd_dedup_test.c - which stored message heads
 * lmtpd_dedup_match takes for the copy of an in-doubt delivery.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "accessd/lmtpd_dedup.h"
#include "lib/banned.h"

#define QID "1K1XD3919P900K2G00"
#define RP "Return-Path: <s@x.example>\r\n"
#define DT "Delivered-To: alice@example.test\r\n"
#define RCV "Received: from c ([127.0.0.1])\r\n\tby mx (Tessera) with " \
	"ESMTP\r\n\tid " QID "; Sun, 6 Dec 2026 01:00:00 +0000\r\n"

static int
match(const char *head)
{
	return lmtpd_dedup_match(head, strlen(head), QID, "alice@example.test");
}

Test(lmtpd_dedup, the_copy_is_recognised)
{
	cr_assert_eq(match(RP DT RCV "Subject: x\r\n\r\nbody\r\n"), 1);
	/* the head cut short inside the header section still matches */
	cr_assert_eq(match(RP DT RCV), 1);
	cr_assert_eq(match(RP DT "Received: by mx id " QID "\r\n\r\n"), 1);
}

Test(lmtpd_dedup, others_are_not)
{
	/* another recipient, another id, an id that only starts alike */
	cr_assert_eq(match(RP "Delivered-To: bob@example.test\r\n" RCV "\r\n"),
	    0);
	cr_assert_eq(match(RP "Delivered-To: alice@example.test.evil\r\n"
	    RCV "\r\n"), 0);
	cr_assert_eq(match(RP DT "Received: by mx id " QID "0;\r\n\r\n"), 0);
	cr_assert_eq(match(RP DT "Received: by mx xid " QID ";\r\n\r\n"), 0);
	/* Delivered-To must be this server's line 2, not one the sender
	 * wrote further down */
	cr_assert_eq(match(RP "X: y\r\n" DT RCV "\r\n"), 0);
	/* the id only in the body does not count */
	cr_assert_eq(match(RP DT "Subject: x\r\n\r\nid " QID "\r\n"), 0);
	cr_assert_eq(match(""), 0);
	cr_assert_eq(match(RP), 0);
}
