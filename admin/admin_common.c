/*
 * admin/admin_common.c - what every verb of the tessera command needs:
 * the admin connection, the check that writes are possible, and reading
 * passwords from a file or stdin.
 *
 * Runs in the tessera command. Passwords never come from argv (other
 * users see it in ps); they are read from a file or stdin into a secret
 * pool that is wiped when freed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "directory/dir_conn.h"
#include "admin/admin.h"
#include "admin/admin_ldap.h"
#include "lib/banned.h"

/* Read at most max bytes of the first line of fd into a secret pool.
 * 1 read, 0 too long, -1 read error (errno). */
static int
read_first_line(int fd, size_t max, struct pool *secret, char **out,
    size_t *len_out)
{
	char *b = pool_alloc(secret, max + 2);
	size_t len = 0;

	while (len < max + 1) {
		ssize_t r = read(fd, b + len, max + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		len += (size_t)r;
		if (memchr(b, '\n', len) != NULL)
			break;
	}
	{
		char *nl = memchr(b, '\n', len);

		if (nl != NULL)
			len = (size_t)(nl - b);
		else if (len > max)
			return 0;
	}
	if (len > 0 && b[len - 1] == '\r')
		len--;
	if (len > max)
		return 0;
	b[len] = '\0';
	*out = b;
	*len_out = len;
	return 1;
}

/* A person typing at a terminal: prompt on stderr, echo off. */
static int
read_tty(int fd, size_t max, struct pool *secret, char **out, size_t *len_out)
{
	struct termios old, quiet;
	bool restore = tcgetattr(fd, &old) == 0;
	int rc;

	fputs("Password: ", stderr);
	fflush(stderr);
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	rc = read_first_line(fd, max, secret, out, len_out);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return rc;
}

int
admin_read_password(struct admin *a, const char *path, struct pool *secret,
    char **pw_out, size_t *len_out)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return admin_fail(a, ADMIN_EX_NOINPUT, "cannot open password"
		    " file %s: %s", path, strerror(errno));
	if (is_stdin && isatty(fd))
		rc = read_tty(fd, (size_t)a->conf->password_max, secret, pw_out,
		    len_out);
	else
		rc = read_first_line(fd, (size_t)a->conf->password_max, secret,
		    pw_out, len_out);
	if (!is_stdin)
		close(fd);
	if (rc == -1)
		return admin_fail(a, ADMIN_EX_NOINPUT, "cannot read password"
		    " from %s: %s", is_stdin ? "stdin" : path,
		    strerror(errno));
	if (rc == 0)
		return admin_fail(a, ADMIN_EX_DATAERR, "password from %s is"
		    " longer than %lld bytes ([admin] password_max)",
		    is_stdin ? "stdin" : path, (long long)a->conf->password_max);
	if (*len_out == 0)
		return admin_fail(a, ADMIN_EX_DATAERR, "empty password from %s",
		    is_stdin ? "stdin" : path);
	if (memchr(*pw_out, '\0', *len_out) != NULL)
		return admin_fail(a, ADMIN_EX_DATAERR, "password from %s holds"
		    " a NUL byte", is_stdin ? "stdin" : path);
	return ADMIN_OK;
}

int
admin_connect(struct admin *a)
{
	struct pool *secret;
	const char *dn = NULL, *file = NULL, *key = "[admin]";
	char *pw = NULL;
	size_t pw_len = 0;
	int fd;

	if (a->ldap != NULL && a->ldap->ld != NULL)
		return ADMIN_OK;
	if (a->dirs.uris == NULL || a->dirs.uris[0] == NULL)
		return admin_fail(a, ADMIN_EX_UNAVAILABLE, "[directory] uris is"
		    " empty: the tessera command does not discover servers"
		    " through DNS (srv_domain); list them in uris");
	secret = pool_new_secret("admin bind");
	if (a->conf->bind_dn[0] != '\0') {
		dn = a->conf->bind_dn;
		file = a->conf->bind_password_file;
	} else if (a->dirs.bind_dn != NULL) {
		/* reads only: the daemons' service identity will do */
		dn = a->dirs.bind_dn;
		file = a->dirs.bind_password_file;
		key = "[directory]";
	}
	if (dn != NULL) {
		fd = file != NULL ? open(file, O_RDONLY | O_CLOEXEC) : -1;
		if (fd < 0 || read_first_line(fd, DIR_CONN_PASSWORD_MAX, secret,
		    &pw, &pw_len) != 1 || pw_len == 0) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			pool_free(&secret);
			return admin_fail(a, ADMIN_EX_CONFIG, "%s"
			    " bind_password_file %s: %s", key,
			    file != NULL ? file : "(none)", fd < 0 ? strerror(e) :
			    "empty, unreadable or too long");
		}
		close(fd);
	}
	a->ldap = admin_ldap_open(&a->dirs, dn, pw, pw_len, a->pool);
	pool_free(&secret);
	if (a->ldap->ld == NULL)
		return admin_fail(a, a->ldap->last_rc == LDAP_INVALID_CREDENTIALS
		    ? ADMIN_EX_NOPERM : admin_ldap_exit_code(a->ldap->last_rc),
		    "directory unavailable: %s", a->ldap->last_error);
	return ADMIN_OK;
}

int
admin_require_writable(struct admin *a)
{
	if (a->dirs.profile != DIR_PROFILE_OPENLDAP)
		return admin_fail(a, ADMIN_EX_UNAVAILABLE, "the %s profile is"
		    " read-only for the tessera command: changes are made with"
		    " the directory's own tools (only lookup and listings"
		    " work)", dir_profile_kind_name(a->dirs.profile));
	if (a->conf->bind_dn[0] == '\0')
		return admin_fail(a, ADMIN_EX_CONFIG, "%s: [admin] bind_dn and"
		    " bind_password_file are needed to change the directory",
		    a->config_path);
	return admin_connect(a);
}

int
admin_txn_fail(struct admin *a, struct admin_txn *t)
{
	struct buf *report = buf_new(256, 65536);
	int code = admin_ldap_exit_code(a->ldap->last_rc);
	const char *err = a->ldap->last_error;
	int rc;

	admin_fail(a, code, "%s", err);
	rc = admin_txn_rollback(t, report);
	if (report->len > 0)
		buf_truncate(report, report->len - 1);
	if (rc == 0) {
		if (report->len > 0)
			admin_fail(a, code, "nothing changed:\n%s",
			    buf_cstr(report));
	} else {
		code = admin_fail(a, ADMIN_EX_SOFTWARE, "ROLLBACK FAILED; the"
		    " change is half-done:\n%s", buf_cstr(report));
	}
	buf_free(&report);
	return code;
}

void
admin_list_truncated(struct admin *a, bool truncated, size_t n)
{
	if (!truncated)
		return;
	if (n >= (size_t)a->conf->list_max)
		admin_fail(a, ADMIN_OK, "warning: more than %lld entries;"
		    " only the first %lld are listed ([admin] list_max)",
		    (long long)a->conf->list_max, (long long)a->conf->list_max);
	else
		admin_fail(a, ADMIN_OK, "warning: the directory server's size"
		    " limit stopped the listing after %zu entries (raise the"
		    " limit for the [admin] bind_dn)", n);
}
