/*
 * tests/fuzz/dir_profile_fuzz.c - fuzz target for the parsers of
 * directory/dir_profile.c: AD proxyAddresses values, objectGUID
 * formatting and profile overrides.
 *
 * The whole input is one proxyAddresses value; its first 16 bytes (if
 * there are that many) are a GUID; its lines are "key=value" overrides
 * for each profile kind. An accepted address must lie inside the input
 * and hold no control byte or space; a built profile must have its
 * required names.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pool.h"
#include "lib/xalloc.h"
#include "directory/dir_profile.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_proxy(const uint8_t *data, size_t size)
{
	const char *a = NULL;
	size_t alen = 0;
	bool prim = false;
	int rc = dir_proxy_address_parse((const char *)data, size, &a, &alen,
	    &prim);

	if (rc == 1) {
		if (a != (const char *)data + 5 || alen != size - 5 || alen == 0)
			abort();
		for (size_t i = 0; i < alen; i++)
			if ((unsigned char)a[i] <= 0x20 || a[i] == 0x7f)
				abort();
		if (prim && memcmp(data, "SMTP:", 5) != 0)
			abort();
	} else if (rc != 0 && rc != -1) {
		abort();
	}
}

static void
check_guid(const uint8_t *data, size_t size)
{
	char out[DIR_GUID_TEXT_LEN + 1];

	if (dir_guid_format(data, size, out) == 0) {
		if (size != 16 || strlen(out) != DIR_GUID_TEXT_LEN ||
		    out[8] != '-' || out[13] != '-' || out[18] != '-' ||
		    out[23] != '-')
			abort();
	} else if (size == 16) {
		abort();
	}
}

static void
check_overrides(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	const char *ov[DIR_PROFILE_OVERRIDES_MAX + 8];
	size_t n = 0;
	char *p = text;
	struct pool *pool = pool_new("fuzz");

	while (p != NULL && n < sizeof(ov) / sizeof(ov[0]) - 1) {
		char *nl = strchr(p, '\n');

		if (nl != NULL)
			*nl++ = '\0';
		ov[n++] = p;
		p = nl;
	}
	ov[n] = NULL;
	for (int k = DIR_PROFILE_OPENLDAP; k <= DIR_PROFILE_CUSTOM; k++) {
		const char *err = NULL;
		struct dir_profile *prof = dir_profile_new(
		    (enum dir_profile_kind)k, ov, pool, &err);

		if (prof == NULL && err == NULL)
			abort();
		if (prof != NULL && (prof->attr_mail == NULL ||
		    prof->filter_address == NULL || prof->entry_attrs == NULL))
			abort();
		dir_profile_free(&prof);
	}
	pool_free(&pool);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_proxy(data, size);
	check_guid(data, size);
	check_guid(data, size < 16 ? size : 16);
	check_overrides(data, size);
	return 0;
}
