/*
 * tests/fuzz/pop3d_cmd_fuzz.c - fuzz target for pop3d_cmd_parse in
 * accessd/pop3d_cmd.c.
 *
 * Invariants beyond "does not crash":
 *  - a line with a control byte is refused;
 *  - an accepted command's arguments lie inside the line, hold no
 *    control byte, USER/PASS/AUTH have one, commands without arguments
 *    have none;
 *  - message numbers are >= 1 and <= POP3D_NUMBER_MAX, and RETR, DELE
 *    and TOP always have one.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accessd/pop3d_cmd.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_arg(const char *a, const char *line, size_t len)
{
	if (a == NULL)
		return;
	if (a < line || a > line + len)
		abort();
	for (; *a != '\0'; a++)
		if ((unsigned char)*a < 0x20)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line;
	struct pop3d_cmd c;
	const char *err = NULL;
	bool ctl = false;
	int rc;

	if (size > 4096)
		return 0;
	line = malloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\0';
	for (size_t i = 0; i < size; i++)
		ctl |= data[i] < 0x20 || data[i] == 0x7f;
	rc = pop3d_cmd_parse(line, size, &c, &err);
	if (rc == -1 && err == NULL)
		abort();
	if (rc == 0) {
		if (ctl)
			abort();
		check_arg(c.arg, line, size);
		check_arg(c.arg2, line, size);
		switch (c.verb) {
		case POP3D_USER:
		case POP3D_PASS:
		case POP3D_AUTH:
			if (c.arg == NULL || c.arg[0] == '\0')
				abort();
			break;
		case POP3D_RETR:
		case POP3D_DELE:
		case POP3D_TOP:
			if (!c.has_msg)
				abort();
			break;
		case POP3D_CAPA:
		case POP3D_STLS:
		case POP3D_QUIT:
		case POP3D_NOOP:
		case POP3D_STAT:
		case POP3D_RSET:
			if (c.arg != NULL || c.has_msg)
				abort();
			break;
		default:
			break;
		}
		if (c.has_msg && (c.msg == 0 || c.msg > POP3D_NUMBER_MAX))
			abort();
	}
	free(line);
	return 0;
}
