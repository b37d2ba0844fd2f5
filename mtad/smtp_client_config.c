/*
 * mtad/smtp_client_config.c - the [mtad.smtp] section: delivery to remote
 * domains (see docs/tessera.conf.5 and docs/mtad.8).
 *
 * Runs in the mtad master while it reads its configuration, before
 * privileges are dropped: the relayhost password file (usually readable
 * by root only) is read here into a secret pool.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/pool.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "mtad/smtp_client_config.h"
#include "lib/banned.h"

static const char *const tls_words[] = { "none", "may", "verify", NULL };

#define T struct smtp_client_config
static const struct cfg_key smtp_keys[] = {
	CFG_INT(T, port, "port", "25", "1", "65535",
	    "port of the MX hosts (and of a domain's own address)"),
	CFG_TIME(T, connect_timeout, "connect_timeout", "30s", "100ms", "10m",
	    "wait this long for a TCP connection to be made"),
	CFG_TIME(T, command_timeout, "command_timeout", "5m", "100ms", "1h",
	    "wait this long for the greeting and each reply to a command"),
	CFG_TIME(T, data_timeout, "data_timeout", "10m", "100ms", "1h",
	    "wait this long for each write of the message and for the reply"
	    " after its end"),
	CFG_SIZE(T, reply_line_max, "reply_line_max", "2048", "512", "64k",
	    "longest reply line read, CRLF included"),
	CFG_INT(T, reply_lines_max, "reply_lines_max", "100", "1", "1000",
	    "most lines of one reply"),
	CFG_INT(T, max_addresses, "max_addresses", "10", "1", "100",
	    "MX host addresses tried per delivery attempt"),
	CFG_ENUM(T, tls, "tls", "may", tls_words, "none (never STARTTLS), "
	    "may (STARTTLS whenever offered, certificate not checked) or "
	    "verify (STARTTLS required, certificate checked)"),
	CFG_STRING(T, tls_ca_file, "tls_ca_file", "", "CA certificates for"
	    " tls = verify; empty: the system's trust store"),
	CFG_STRING(T, relayhost, "relayhost", "", "send all mail for remote"
	    " domains to this host (name or address); empty: to the MX hosts"),
	CFG_INT(T, relayhost_port, "relayhost_port", "25", "1", "65535",
	    "port of the relayhost"),
	CFG_STRING(T, relayhost_username, "relayhost_username", "",
	    "AUTH PLAIN or LOGIN at the relayhost as this user; empty: no"
	    " AUTH"),
	CFG_STRING(T, relayhost_password_file, "relayhost_password_file", "",
	    "file holding the relayhost password (one line)"),
	CFG_BOOL(T, relayhost_auth_without_tls, "relayhost_auth_without_tls",
	    "no", "send the AUTH credentials over a connection without TLS"),
	CFG_INT(T, max_connections, "max_connections", "20", "1", "1000",
	    "SMTP connections open at once, in total"),
	CFG_INT(T, max_per_destination, "max_per_destination", "5", "1",
	    "1000", "SMTP connections open at once to one destination"),
	CFG_INT(T, max_rcpts_per_connection, "max_rcpts_per_connection",
	    "50", "1", "10000", "recipients of one transaction; more go in"
	    " further connections"),
};

static int
smtp_client_config_check(void *data, const char *instance, struct buf *msg)
{
	const T *sc = data;
	bool user = sc->relayhost_username[0] != '\0';
	bool pw = sc->relayhost_password_file[0] != '\0';

	(void)instance;
	if (user != pw) {
		buf_printf(msg, "relayhost_username and relayhost_password_file"
		    " go together");
		return -1;
	}
	if (user && sc->relayhost[0] == '\0') {
		buf_printf(msg, "relayhost_username needs a relayhost");
		return -1;
	}
	if (strpbrk(sc->relayhost_username, "\r\n") != NULL) {
		buf_printf(msg, "relayhost_username holds a line break");
		return -1;
	}
	return 0;
}
#undef T

const struct cfg_section_def smtp_client_config_def = CFG_SECTION(
    "mtad.smtp", struct smtp_client_config, smtp_keys,
    smtp_client_config_check, "delivery to remote domains over SMTP");

/* The whole file minus one trailing newline (LF or CRLF), into secret. */
static int
read_password(const char *path, struct pool *secret,
    struct smtp_client_settings *s, const char **err_out)
{
	char buf[SMTP_CLIENT_PASSWORD_MAX + 2];
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *pw;

	if (fd == -1) {
		*err_out = pool_printf(secret, "relayhost_password_file %s: %s",
		    path, strerror(errno));
		return -1;
	}
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len == 0 || len > SMTP_CLIENT_PASSWORD_MAX) {
		mem_wipe(buf, sizeof(buf));
		*err_out = pool_printf(secret, "relayhost_password_file %s: %s",
		    path, len == 0 ? "empty" : "too long");
		return -1;
	}
	pw = pool_alloc(secret, len + 1);
	memcpy(pw, buf, len);
	mem_wipe(buf, sizeof(buf));
	s->password = pw;
	s->password_len = len;
	return 0;
}

int
smtp_client_config_settings(const struct cfg *c, const char *helo,
    struct pool *secret, struct smtp_client_settings *s,
    const char **err_out)
{
	const struct smtp_client_config *sc = cfg_get(c, "mtad.smtp");
	const char *err;

	memset(s, 0, sizeof(*s));
	s->helo = helo;
	s->port = (unsigned)sc->port;
	s->connect_timeout_ms = sc->connect_timeout;
	s->command_timeout_ms = sc->command_timeout;
	s->data_timeout_ms = sc->data_timeout;
	s->reply_line_max = (size_t)sc->reply_line_max;
	s->reply_lines_max = (size_t)sc->reply_lines_max;
	s->max_addresses = (size_t)sc->max_addresses;
	s->tls = (enum smtp_client_tls)sc->tls;
	s->relayhost = sc->relayhost[0] != '\0' ? sc->relayhost : NULL;
	s->relayhost_port = (unsigned)sc->relayhost_port;
	s->auth_without_tls = sc->relayhost_auth_without_tls;
	s->max_connections = (size_t)sc->max_connections;
	s->max_per_destination = (size_t)sc->max_per_destination;
	s->max_rcpts_per_connection = (size_t)sc->max_rcpts_per_connection;
	if (sc->relayhost_username[0] != '\0') {
		s->username = sc->relayhost_username;
		if (read_password(sc->relayhost_password_file, secret, s,
		    err_out) == -1)
			return -1;
	}
	if (s->tls != SMTP_CLIENT_TLS_NONE) {
		const char *ca = sc->tls_ca_file[0] != '\0' ? sc->tls_ca_file :
		    NULL;

		s->tls_ctx = tls_client_new(ca, NULL,
		    s->tls == SMTP_CLIENT_TLS_VERIFY, &err);
		if (s->tls_ctx == NULL) {
			*err_out = pool_printf(secret, "[mtad.smtp] tls: %s",
			    err);
			return -1;
		}
	}
	return 0;
}

void
smtp_client_settings_free(struct smtp_client_settings *s)
{
	tls_client_free(&s->tls_ctx);
}
