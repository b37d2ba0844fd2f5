/*
 * tests/fuzz/admin_args_fuzz.c - fuzz target for admin/admin_args.c, the
 * validation of what an administrator types into the tessera command.
 *
 * The first byte chooses the maximum size; the rest is fed to every
 * checker. Invariants beyond "does not crash": an accepted address has
 * exactly one '@' usable as a split, only ASCII atext/'.'/'@' and
 * domain characters, and at most 320 bytes; an accepted domain holds
 * only letters, digits, '-' and '.'; an accepted name holds no control
 * byte; a parsed size never exceeds the maximum given.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "admin/admin_args.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_domain_chars(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t max, v = 0;
	const char *s, *why = NULL, *at;
	char *z;
	size_t len;

	if (size == 0)
		return 0;
	max = (uint64_t)1 << (data[0] % 64);
	s = (const char *)data + 1;
	len = size - 1;
	if (admin_address_check(s, len) == NULL) {
		if (len > ADMIN_ADDRESS_MAX || memchr(s, '@', len) == NULL)
			abort();
		for (at = s + len; at[-1] != '@'; at--)
			;
		check_domain_chars(at, (size_t)(s + len - at));
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)s[i] <= 0x20 ||
			    (unsigned char)s[i] >= 0x7f)
				abort();
	}
	if (admin_domain_check(s, len) == NULL)
		check_domain_chars(s, len);
	if (admin_host_check(s, len) == NULL)
		check_domain_chars(s, len);
	if (admin_name_check(s, len) == NULL)
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				abort();
	if (admin_size_parse(s, len, max, &v, &why) == 0) {
		if (v > max)
			abort();
	} else if (why == NULL) {
		abort();
	}
	/* the command passes NUL-terminated argv strings */
	z = xstrndup(s, len);
	(void)admin_address_check(z, strlen(z));
	free(z);
	return 0;
}
