/*
 * tests/fuzz/lmtpd_dedup_fuzz.c - fuzz target for lmtpd_dedup_match in
 * accessd/lmtpd_dedup.c (the head of a stored message is mail: input).
 *
 * Invariants beyond "does not crash or read out of bounds": a match
 * implies the input holds the Delivered-To line of the recipient and
 * the queue id.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accessd/lmtpd_dedup.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
has(const uint8_t *h, size_t len, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(h + i, s, n) == 0)
			return true;
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: out-of-bounds reads show under ASan */
	char *head = malloc(size + 1);
	int r;

	memcpy(head, data, size);
	r = lmtpd_dedup_match(head, size, "Q1K1XD3919", "a@b.example");
	if (r != 0 && r != 1)
		abort();
	if (r == 1 && (!has(data, size, "Delivered-To: a@b.example\r\n") ||
	    !has(data, size, "id Q1K1XD3919")))
		abort();
	free(head);
	return 0;
}
