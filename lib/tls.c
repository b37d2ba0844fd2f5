/*
 * lib/tls.c - GnuTLS server and client contexts: certificates, trust,
 * priority strings.
 *
 * Runs wherever a daemon builds its TLS contexts, usually the master as
 * root before the privilege drop: certificate and key files are trusted
 * configuration but are still read with a size cap and parsed before use,
 * so a wrong path gives an error that names it. Key bytes are wiped from
 * our buffers once GnuTLS holds its own copy.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct tls_server {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	unsigned ncerts;
};

struct tls_client {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	bool verify;
};

/*
 * The error text handed out through err_out (see lib/tls.h): the one
 * mutable static of this file, per thread so that threads building
 * contexts or sessions at once (the qmgr) do not overwrite each other's.
 */
static _Thread_local char tls_errbuf[512];

static void tls_set_err(const char **err_out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tls_set_err(const char **err_out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* A cut message is still a useful message. */
	if (vsnprintf(tls_errbuf, sizeof(tls_errbuf), fmt, ap) < 0)
		(void)str_copy(tls_errbuf, sizeof(tls_errbuf), "TLS error");
	va_end(ap);
	if (err_out != NULL)
		*err_out = tls_errbuf;
}

static int
tls_priority_new(const char *priority, gnutls_priority_t *out,
    const char **err_out)
{
	const char *errpos = NULL;
	int rc;

	if (priority == NULL)
		priority = TLS_PRIORITY_DEFAULT;
	rc = gnutls_priority_init(out, priority, &errpos);
	if (rc == GNUTLS_E_INVALID_REQUEST && errpos != NULL &&
	    *errpos == '\0') {
		tls_set_err(err_out, "empty or incomplete TLS priority string");
		return -1;
	}
	if (rc == GNUTLS_E_INVALID_REQUEST && errpos != NULL) {
		tls_set_err(err_out, "invalid TLS priority string at \"%.64s\"",
		    errpos);
		return -1;
	}
	if (rc < 0) {
		tls_set_err(err_out, "invalid TLS priority string: %s",
		    gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

/* Read a whole file of at most TLS_FILE_MAX bytes into a new buf. */
static struct buf *
tls_read_file(const char *what, const char *path, const char **err_out)
{
	struct buf *b;
	char chunk[4096];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		tls_set_err(err_out, "cannot open %s %s: %s", what, path,
		    strerror(errno));
		return NULL;
	}
	b = buf_new(sizeof(chunk), TLS_FILE_MAX);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			tls_set_err(err_out, "cannot read %s %s: %s", what,
			    path, strerror(errno));
			break;
		}
		if (n == 0) {
			mem_wipe(chunk, sizeof(chunk));
			close(fd);
			return b;
		}
		if (buf_append(b, chunk, (size_t)n) == -1) {
			tls_set_err(err_out, "%s %s is larger than %d bytes",
			    what, path, TLS_FILE_MAX);
			break;
		}
	}
	mem_wipe(chunk, sizeof(chunk));
	close(fd);
	buf_free_secret(&b);
	return NULL;
}

struct tls_server *
tls_server_new(const char *priority, const char **err_out)
{
	struct tls_server *t = xmalloc(sizeof(*t));
	int rc;

	if (tls_priority_new(priority, &t->prio, err_out) == -1) {
		free(t);
		return NULL;
	}
	rc = gnutls_certificate_allocate_credentials(&t->cred);
	if (rc < 0) {
		tls_set_err(err_out, "cannot allocate TLS credentials: %s",
		    gnutls_strerror(rc));
		gnutls_priority_deinit(t->prio);
		free(t);
		return NULL;
	}
	return t;
}

/* After GnuTLS refused a pair: say which file is at fault. */
static void
tls_explain_keypair_error(int rc, const char *cert_file, const char *key_file,
    const gnutls_datum_t *cert, const char **err_out)
{
	gnutls_x509_crt_t *crts = NULL;
	unsigned ncrts = 0, i;
	int prc;

	if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
		tls_set_err(err_out, "key file %s does not match certificate "
		    "file %s", key_file, cert_file);
		return;
	}
	prc = gnutls_x509_crt_list_import2(&crts, &ncrts, cert,
	    GNUTLS_X509_FMT_PEM, 0);
	if (prc < 0) {
		tls_set_err(err_out, "cannot parse certificate file %s: %s",
		    cert_file, gnutls_strerror(prc));
		return;
	}
	for (i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	tls_set_err(err_out, "cannot load key file %s for certificate %s: %s",
	    key_file, cert_file, gnutls_strerror(rc));
}

int
tls_server_add_cert(struct tls_server *t, const char *cert_file,
    const char *key_file, const char **err_out)
{
	struct buf *cert, *key;
	gnutls_datum_t cd, kd;
	int rc;

	cert = tls_read_file("certificate file", cert_file, err_out);
	if (cert == NULL)
		return -1;
	key = tls_read_file("key file", key_file, err_out);
	if (key == NULL) {
		buf_free(&cert);
		return -1;
	}
	cd.data = cert->data;
	cd.size = (unsigned)cert->len;
	kd.data = key->data;
	kd.size = (unsigned)key->len;
	rc = gnutls_certificate_set_x509_key_mem2(t->cred, &cd, &kd,
	    GNUTLS_X509_FMT_PEM, NULL, 0);
	buf_free_secret(&key);
	if (rc < 0)
		tls_explain_keypair_error(rc, cert_file, key_file, &cd,
		    err_out);
	else
		t->ncerts++;
	buf_free(&cert);
	return rc < 0 ? -1 : 0;
}

unsigned
tls_server_cert_count(const struct tls_server *t)
{
	return t->ncerts;
}

void
tls_server_free(struct tls_server **tp)
{
	struct tls_server *t;

	if (tp == NULL || *tp == NULL)
		return;
	t = *tp;
	gnutls_certificate_free_credentials(t->cred);
	gnutls_priority_deinit(t->prio);
	free(t);
	*tp = NULL;
}

static int
tls_client_load_trust(struct tls_client *t, const char *ca_file,
    const char **err_out)
{
	int rc;

	if (ca_file != NULL) {
		/* Read it ourselves first for an errno-based message. */
		struct buf *b = tls_read_file("CA file", ca_file, err_out);
		gnutls_datum_t d;

		if (b == NULL)
			return -1;
		d.data = b->data;
		d.size = (unsigned)b->len;
		rc = gnutls_certificate_set_x509_trust_mem(t->cred, &d,
		    GNUTLS_X509_FMT_PEM);
		buf_free(&b);
		if (rc < 0) {
			tls_set_err(err_out, "cannot parse CA file %s: %s",
			    ca_file, gnutls_strerror(rc));
			return -1;
		}
		if (rc == 0) {
			tls_set_err(err_out, "CA file %s holds no certificate",
			    ca_file);
			return -1;
		}
		return 0;
	}
	if (!t->verify)
		return 0;
	rc = gnutls_certificate_set_x509_system_trust(t->cred);
	if (rc <= 0) {
		tls_set_err(err_out, "cannot load the system trust store: %s",
		    rc < 0 ? gnutls_strerror(rc) : "no certificates");
		return -1;
	}
	return 0;
}

struct tls_client *
tls_client_new(const char *ca_file, const char *priority, bool verify,
    const char **err_out)
{
	struct tls_client *t = xmalloc(sizeof(*t));
	int rc;

	t->verify = verify;
	if (tls_priority_new(priority, &t->prio, err_out) == -1) {
		free(t);
		return NULL;
	}
	rc = gnutls_certificate_allocate_credentials(&t->cred);
	if (rc < 0) {
		tls_set_err(err_out, "cannot allocate TLS credentials: %s",
		    gnutls_strerror(rc));
		gnutls_priority_deinit(t->prio);
		free(t);
		return NULL;
	}
	if (tls_client_load_trust(t, ca_file, err_out) == -1) {
		gnutls_certificate_free_credentials(t->cred);
		gnutls_priority_deinit(t->prio);
		free(t);
		return NULL;
	}
	return t;
}

void
tls_client_free(struct tls_client **tp)
{
	struct tls_client *t;

	if (tp == NULL || *tp == NULL)
		return;
	t = *tp;
	gnutls_certificate_free_credentials(t->cred);
	gnutls_priority_deinit(t->prio);
	free(t);
	*tp = NULL;
}

static int
tls_session_common(gnutls_session_t sess, gnutls_priority_t prio,
    gnutls_certificate_credentials_t cred, int fd, const char **err_out)
{
	int rc;

	rc = gnutls_priority_set(sess, prio);
	if (rc >= 0)
		rc = gnutls_credentials_set(sess, GNUTLS_CRD_CERTIFICATE, cred);
	if (rc < 0) {
		tls_set_err(err_out, "cannot set up TLS session: %s",
		    gnutls_strerror(rc));
		return -1;
	}
	gnutls_transport_set_int(sess, fd);
	return 0;
}

int
tls_server_session_new(const struct tls_server *t, int fd,
    gnutls_session_t *sess_out, const char **err_out)
{
	gnutls_session_t sess;
	int rc;

	if (t->ncerts == 0) {
		tls_set_err(err_out, "TLS server has no certificate");
		return -1;
	}
	/* GNUTLS_NO_SIGNAL: a peer gone away must not SIGPIPE us. */
	rc = gnutls_init(&sess, GNUTLS_SERVER | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL);
	if (rc < 0) {
		tls_set_err(err_out, "cannot create TLS session: %s",
		    gnutls_strerror(rc));
		return -1;
	}
	if (tls_session_common(sess, t->prio, t->cred, fd, err_out) == -1) {
		gnutls_deinit(sess);
		return -1;
	}
	gnutls_certificate_server_set_request(sess, GNUTLS_CERT_IGNORE);
	*sess_out = sess;
	return 0;
}

static bool
tls_is_ip_literal(const char *name)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1;
}

int
tls_client_session_new(const struct tls_client *t, int fd,
    const char *server_name, gnutls_session_t *sess_out,
    const char **err_out)
{
	gnutls_session_t sess;
	int rc;

	if (t->verify && (server_name == NULL || *server_name == '\0')) {
		tls_set_err(err_out, "TLS verification needs a host name");
		return -1;
	}
	rc = gnutls_init(&sess, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL);
	if (rc < 0) {
		tls_set_err(err_out, "cannot create TLS session: %s",
		    gnutls_strerror(rc));
		return -1;
	}
	if (tls_session_common(sess, t->prio, t->cred, fd, err_out) == -1)
		goto fail;
	if (server_name != NULL && *server_name != '\0' &&
	    !tls_is_ip_literal(server_name)) {
		rc = gnutls_server_name_set(sess, GNUTLS_NAME_DNS, server_name,
		    strlen(server_name));
		if (rc < 0) {
			tls_set_err(err_out, "cannot set TLS server name: %s",
			    gnutls_strerror(rc));
			goto fail;
		}
	}
	/* Chain and host name are checked inside the handshake, which then
	 * fails with GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR. */
	if (t->verify)
		gnutls_session_set_verify_cert(sess, server_name, 0);
	*sess_out = sess;
	return 0;
fail:
	gnutls_deinit(sess);
	return -1;
}
