/*
 * accessd/pop3d_cmd.h - the POP3 command parser (RFC 1939, 2449, 2595,
 * 5034): one command line in, the verb and its checked arguments out.
 *
 * Pure: no sockets, no state. Which commands are allowed in which state
 * is the session's business (pop3d.c). Fuzzed by
 * tests/fuzz/pop3d_cmd_fuzz.c.
 */
#ifndef ACCESSD_POP3D_CMD_H
#define ACCESSD_POP3D_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pop3d_verb {
	POP3D_USER, POP3D_PASS, POP3D_AUTH, POP3D_CAPA, POP3D_STLS,
	POP3D_QUIT, POP3D_NOOP, POP3D_STAT, POP3D_LIST, POP3D_UIDL,
	POP3D_RETR, POP3D_TOP, POP3D_DELE, POP3D_RSET
};

/* Largest message number or TOP line count accepted. */
#define POP3D_NUMBER_MAX 0x7fffffffu

struct pop3d_cmd {
	enum pop3d_verb verb;
	const char *arg;	/* USER name, PASS password (the rest of the
				 * line, spaces included), AUTH mechanism;
				 * NUL-terminated, points into the line */
	const char *arg2;	/* AUTH initial response, or NULL */
	bool has_msg;		/* LIST/UIDL with an argument; RETR, DELE, TOP */
	uint32_t msg;		/* message number, >= 1 */
	uint32_t lines;		/* TOP line count */
};

/*
 * Parse line[0..len) without its CRLF, which must be NUL-terminated at
 * len and is modified (arguments are cut out of it in place). 0 with
 * *cmd filled, or -1 with *err_out a static reply text (no "-ERR "):
 * control bytes, unknown verb, missing, extra or malformed arguments.
 */
int pop3d_cmd_parse(char *line, size_t len, struct pop3d_cmd *cmd,
    const char **err_out);

#endif
