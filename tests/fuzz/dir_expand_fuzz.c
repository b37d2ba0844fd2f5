/*
 * tests/fuzz/dir_expand_fuzz.c - fuzz target for directory/dir_escape.c.
 *
 * The input is split at the first NUL into a template and a value; the
 * expansion must never overrun and filter output must never hold an
 * unescaped filter metacharacter coming from the value.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "directory/dir_escape.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul != NULL ? (size_t)(nul - data) : size;
	char *tmpl = xstrndup((const char *)data, tlen);
	char *value = nul != NULL ?
	    xstrndup((const char *)nul + 1, size - tlen - 1) : xstrdup("");
	struct buf *out = buf_new(64, 4096);
	const char *err = NULL;

	if (dir_expand(tmpl, value, DIR_ESCAPE_FILTER, out, &err) == 0 &&
	    strchr(tmpl, '(') == NULL && strchr(tmpl, ')') == NULL &&
	    strchr(tmpl, '*') == NULL) {
		/* every metacharacter in the output came from the template */
		if (strpbrk(buf_cstr(out), "()*") != NULL)
			abort();
	}
	(void)dir_expand(tmpl, value, DIR_ESCAPE_DN, out, &err);
	(void)dir_template_check(tmpl, &err);
	buf_free(&out);
	free(tmpl);
	free(value);
	return 0;
}
