/*
 * tests/unit/lib/testcert.h - throw-away certificates for TLS tests.
 *
 * Made with the GnuTLS API at test time (ECDSA P-256, valid from an hour
 * ago for a day) and written as PEM files into a fresh mkdtemp directory:
 *   ca.pem                  test CA
 *   server.pem, server-key.pem    leaf for TESTCERT_HOST and 127.0.0.1
 *   server2.pem, server2-key.pem  leaf for TESTCERT_HOST2, same CA
 *   other-ca.pem            an unrelated CA that signed nothing here
 * Nothing is shared between tests: each calls testcert_make() and
 * testcert_remove().
 */
#ifndef TESTS_UNIT_LIB_TESTCERT_H
#define TESTS_UNIT_LIB_TESTCERT_H

#include <limits.h>

#define TESTCERT_HOST "localhost"
#define TESTCERT_HOST2 "mail2.example.test"

struct testcert {
	char dir[PATH_MAX];
	char ca[PATH_MAX];
	char other_ca[PATH_MAX];
	char server_cert[PATH_MAX];
	char server_key[PATH_MAX];
	char server2_cert[PATH_MAX];
	char server2_key[PATH_MAX];
};

/* Create the directory and files. 0, or -1 with *err_out set to a static
 * description of the step that failed. */
int testcert_make(struct testcert *tc, const char **err_out);
/* Remove the files and the directory (errors ignored). */
void testcert_remove(struct testcert *tc);

#endif
