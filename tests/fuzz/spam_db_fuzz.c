/*
 * tests/fuzz/spam_db_fuzz.c - fuzz target for spam_db_parse, the reader
 * of tessera-spamd's token database files (milters/spam/spam_db.c).
 *
 * The input is a database file image. Invariants:
 *  - an accepted image is well-formed: its records are strictly
 *    ascending, every count is within its message total and lookups find
 *    each record's counts;
 *  - rebuilding an accepted database (builder from it, image, parse)
 *    gives back the same bytes: the writer's format is the reader's;
 *  - a rejected image comes with an error text.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "milters/spam/spam_db.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spam_db db;
	struct spam_db_builder *b;
	const char *err = NULL;
	uint8_t *img;
	size_t len;

	if (spam_db_parse(data, size, &db, &err) == -1) {
		if (err == NULL || err[0] == '\0')
			abort();
		return 0;
	}
	for (size_t i = 0; i < db.n; i++) {
		const uint8_t *r = db.records + i * SPAM_DB_RECORD_SIZE;
		uint32_t s, g;

		if (i > 0 && get64(r) <= get64(r - SPAM_DB_RECORD_SIZE))
			abort();
		spam_db_lookup(&db, get64(r), &s, &g);
		if (s > db.n_spam || g > db.n_ham || (s == 0 && g == 0))
			abort();
		if (memcmp(&r[8], &(uint8_t[4]){ (uint8_t)s, (uint8_t)(s >> 8),
		    (uint8_t)(s >> 16), (uint8_t)(s >> 24) }, 4) != 0)
			abort();
	}
	b = spam_db_builder_new(&db);
	img = spam_db_builder_image(b, &len);
	if (len != size || memcmp(img, data, size) != 0)
		abort();
	free(img);
	spam_db_builder_free(&b);
	return 0;
}
