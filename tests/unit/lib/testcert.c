/*
 * tests/unit/lib/testcert.c - throw-away certificates for TLS tests.
 *
 * Builds a small PKI with the GnuTLS API so the tests need no fixture
 * files and no certtool run: a CA, two leaves it signed, and an unrelated
 * CA. Runs inside test processes only.
 */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "lib/str.h"
#include "tests/unit/lib/testcert.h"
#include "lib/banned.h"

struct tc_pair {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
	unsigned char id[64];	/* subject key id */
	size_t id_len;
};

static void
tc_pair_deinit(struct tc_pair *p)
{
	if (p->crt != NULL)
		gnutls_x509_crt_deinit(p->crt);
	if (p->key != NULL)
		gnutls_x509_privkey_deinit(p->key);
	memset(p, 0, sizeof(*p));
}

/* Key, version, serial, validity, DN and subject key id. */
static int
tc_pair_start(struct tc_pair *p, const char *dn, unsigned serial)
{
	unsigned char ser[4];
	time_t now = time(NULL);
	const char *errpos;

	ser[0] = (unsigned char)(serial >> 24);
	ser[1] = (unsigned char)(serial >> 16);
	ser[2] = (unsigned char)(serial >> 8);
	ser[3] = (unsigned char)serial;
	p->id_len = sizeof(p->id);
	if (gnutls_x509_privkey_init(&p->key) < 0 ||
	    gnutls_x509_privkey_generate(p->key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_init(&p->crt) < 0 ||
	    gnutls_x509_crt_set_version(p->crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(p->crt, ser, sizeof(ser)) < 0 ||
	    gnutls_x509_crt_set_activation_time(p->crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(p->crt, now + 86400) < 0 ||
	    gnutls_x509_crt_set_dn(p->crt, dn, &errpos) < 0 ||
	    gnutls_x509_crt_set_key(p->crt, p->key) < 0 ||
	    gnutls_x509_crt_get_key_id(p->crt, GNUTLS_KEYID_USE_SHA1, p->id,
	    &p->id_len) < 0 ||
	    gnutls_x509_crt_set_subject_key_id(p->crt, p->id, p->id_len) < 0)
		return -1;
	return 0;
}

static int
tc_ca_make(struct tc_pair *ca, const char *dn, unsigned serial)
{
	if (tc_pair_start(ca, dn, serial) == -1 ||
	    gnutls_x509_crt_set_basic_constraints(ca->crt, 1, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(ca->crt,
	    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN) < 0 ||
	    gnutls_x509_crt_sign2(ca->crt, ca->crt, ca->key, GNUTLS_DIG_SHA256,
	    0) < 0)
		return -1;
	return 0;
}

static int
tc_leaf_make(struct tc_pair *leaf, const struct tc_pair *ca, const char *dn,
    const char *dns, bool with_loopback_ip, unsigned serial)
{
	static const unsigned char loopback[4] = { 127, 0, 0, 1 };

	if (tc_pair_start(leaf, dn, serial) == -1 ||
	    gnutls_x509_crt_set_basic_constraints(leaf->crt, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(leaf->crt,
	    GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(leaf->crt,
	    GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(leaf->crt, GNUTLS_SAN_DNSNAME,
	    dns, (unsigned)strlen(dns), GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_set_authority_key_id(leaf->crt, ca->id,
	    ca->id_len) < 0)
		return -1;
	if (with_loopback_ip &&
	    gnutls_x509_crt_set_subject_alt_name(leaf->crt,
	    GNUTLS_SAN_IPADDRESS, loopback, sizeof(loopback),
	    GNUTLS_FSAN_APPEND) < 0)
		return -1;
	if (gnutls_x509_crt_sign2(leaf->crt, ca->crt, ca->key,
	    GNUTLS_DIG_SHA256, 0) < 0)
		return -1;
	return 0;
}

static int
tc_write(const char *path, const gnutls_datum_t *d)
{
	size_t done = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	while (done < d->size) {
		n = write(fd, d->data + done, d->size - done);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return close(fd);
}

static int
tc_write_crt(const char *path, const struct tc_pair *p)
{
	gnutls_datum_t d;
	int rc;

	if (gnutls_x509_crt_export2(p->crt, GNUTLS_X509_FMT_PEM, &d) < 0)
		return -1;
	rc = tc_write(path, &d);
	gnutls_free(d.data);
	return rc;
}

static int
tc_write_key(const char *path, const struct tc_pair *p)
{
	gnutls_datum_t d;
	int rc;

	if (gnutls_x509_privkey_export2_pkcs8(p->key, GNUTLS_X509_FMT_PEM, NULL,
	    GNUTLS_PKCS_PLAIN, &d) < 0)
		return -1;
	rc = tc_write(path, &d);
	gnutls_free(d.data);
	return rc;
}

static int
tc_paths(struct testcert *tc)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if (str_printf(tc->dir, sizeof(tc->dir), "%s/tessera-cert.XXXXXX",
	    tmp) == -1 || mkdtemp(tc->dir) == NULL) {
		tc->dir[0] = '\0';
		return -1;
	}
	if (str_printf(tc->ca, sizeof(tc->ca), "%s/ca.pem", tc->dir) == -1 ||
	    str_printf(tc->other_ca, sizeof(tc->other_ca), "%s/other-ca.pem",
	    tc->dir) == -1 ||
	    str_printf(tc->server_cert, sizeof(tc->server_cert),
	    "%s/server.pem", tc->dir) == -1 ||
	    str_printf(tc->server_key, sizeof(tc->server_key),
	    "%s/server-key.pem", tc->dir) == -1 ||
	    str_printf(tc->server2_cert, sizeof(tc->server2_cert),
	    "%s/server2.pem", tc->dir) == -1 ||
	    str_printf(tc->server2_key, sizeof(tc->server2_key),
	    "%s/server2-key.pem", tc->dir) == -1)
		return -1;
	return 0;
}

int
testcert_make(struct testcert *tc, const char **err_out)
{
	struct tc_pair ca = { 0 }, other = { 0 }, s1 = { 0 }, s2 = { 0 };
	const char *err = NULL;

	memset(tc, 0, sizeof(*tc));
	if (tc_paths(tc) == -1)
		err = "cannot create temporary directory";
	else if (tc_ca_make(&ca, "CN=Tessera Test CA,O=Tessera", 1) == -1 ||
	    tc_ca_make(&other, "CN=Unrelated CA,O=Elsewhere", 2) == -1)
		err = "cannot make CA certificates";
	else if (tc_leaf_make(&s1, &ca, "CN=" TESTCERT_HOST, TESTCERT_HOST,
	    true, 3) == -1 ||
	    tc_leaf_make(&s2, &ca, "CN=" TESTCERT_HOST2, TESTCERT_HOST2,
	    false, 4) == -1)
		err = "cannot make server certificates";
	else if (tc_write_crt(tc->ca, &ca) == -1 ||
	    tc_write_crt(tc->other_ca, &other) == -1 ||
	    tc_write_crt(tc->server_cert, &s1) == -1 ||
	    tc_write_key(tc->server_key, &s1) == -1 ||
	    tc_write_crt(tc->server2_cert, &s2) == -1 ||
	    tc_write_key(tc->server2_key, &s2) == -1)
		err = "cannot write certificate files";
	tc_pair_deinit(&ca);
	tc_pair_deinit(&other);
	tc_pair_deinit(&s1);
	tc_pair_deinit(&s2);
	if (err != NULL) {
		testcert_remove(tc);
		if (err_out != NULL)
			*err_out = err;
		return -1;
	}
	return 0;
}

void
testcert_remove(struct testcert *tc)
{
	const char *files[] = { tc->ca, tc->other_ca, tc->server_cert,
	    tc->server_key, tc->server2_cert, tc->server2_key };
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i][0] != '\0')
			(void)unlink(files[i]);
	if (tc->dir[0] != '\0')
		(void)rmdir(tc->dir);
	memset(tc, 0, sizeof(*tc));
}
