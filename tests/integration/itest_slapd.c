/*
 * tests/integration/itest_slapd.c - a private slapd for integration tests,
 * run through tests/fixtures/slapd.sh.
 *
 * Runs inside test processes only. Trusts the script of this source tree;
 * its stdout must be nothing but export NAME='value' lines, checked
 * strictly before any value is used.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "tests/integration/itest.h"
#include "lib/banned.h"

#define ITEST_SCRIPT_TIMEOUT_MS 60000
/* slapd.sh exports 11 or 12 variables; room for a few more. */
#define ITEST_SLAPD_ENV_MAX 32

static void
slapd_clear(struct itest_slapd *s)
{
	char **e;

	free(s->dir);
	free(s->uri);
	free(s->ldaps_uri);
	free(s->ldapi_uri);
	free(s->basedn);
	free(s->binddn);
	free(s->bindpw);
	free(s->cacert);
	free(s->ldapconf);
	free(s->pidfile);
	free(s->log);
	free(s->sasl_uri);
	for (e = s->env; e != NULL && *e != NULL; e++)
		free(*e);
	free(s->env);
	memset(s, 0, sizeof(*s));
}

static int
uri_port(const char *uri, uint16_t *port_out)
{
	const char *colon = strrchr(uri, ':');
	uint64_t v;

	if (colon == NULL || parse_u64(colon + 1, strlen(colon + 1), 65535,
	    &v) == -1 || v == 0)
		return -1;
	*port_out = (uint16_t)v;
	return 0;
}

/* One line "export NAME='value'" into s. 0, or -1 if malformed. */
static int
slapd_parse_line(struct itest_slapd *s, const char *line, size_t len,
    size_t *n_env)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "SLAPD_DIR", offsetof(struct itest_slapd, dir) },
		{ "LDAP_URI", offsetof(struct itest_slapd, uri) },
		{ "LDAPS_URI", offsetof(struct itest_slapd, ldaps_uri) },
		{ "LDAPI_URI", offsetof(struct itest_slapd, ldapi_uri) },
		{ "LDAP_BASEDN", offsetof(struct itest_slapd, basedn) },
		{ "LDAP_BINDDN", offsetof(struct itest_slapd, binddn) },
		{ "LDAP_BINDPW", offsetof(struct itest_slapd, bindpw) },
		{ "LDAPTLS_CACERT", offsetof(struct itest_slapd, cacert) },
		{ "LDAPCONF", offsetof(struct itest_slapd, ldapconf) },
		{ "SLAPD_PIDFILE", offsetof(struct itest_slapd, pidfile) },
		{ "SLAPD_LOG", offsetof(struct itest_slapd, log) },
		{ "LDAP_SASL_URI", offsetof(struct itest_slapd, sasl_uri) },
	};
	const char *name, *eq, *val, *end = line + len;
	size_t i, nlen, vlen;
	struct buf *b;

	if (len < 7 || strncmp(line, "export ", 7) != 0)
		return -1;
	name = line + 7;
	eq = memchr(name, '=', (size_t)(end - name));
	if (eq == NULL || eq == name || eq + 2 >= end || eq[1] != '\'' ||
	    end[-1] != '\'')
		return -1;
	nlen = (size_t)(eq - name);
	val = eq + 2;
	vlen = (size_t)(end - 1 - val);
	if (memchr(val, '\'', vlen) != NULL || *n_env >= ITEST_SLAPD_ENV_MAX)
		return -1;
	for (i = 0; i < nlen; i++)
		if (!(name[i] == '_' || (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9')))
			return -1;
	b = buf_new(64, 8192);
	if (buf_append(b, name, nlen) == -1 || buf_append_byte(b, '=') == -1 ||
	    buf_append(b, val, vlen) == -1) {
		buf_free(&b);
		return -1;
	}
	s->env[(*n_env)++] = buf_steal(b, NULL);
	buf_free(&b);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char **field = (char **)((char *)s + fields[i].off);

		if (strlen(fields[i].name) == nlen &&
		    memcmp(fields[i].name, name, nlen) == 0) {
			free(*field);
			*field = xstrndup(val, vlen);
		}
	}
	return 0;
}

/* Fill s from slapd.sh's stdout. 0, or -1 if anything is missing. */
static int
slapd_parse_env(struct itest_slapd *s, const char *text)
{
	const char *p = text;
	size_t n_env = 0;

	s->env = xcalloc(ITEST_SLAPD_ENV_MAX + 1, sizeof(*s->env));
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (len > 0 && slapd_parse_line(s, p, len, &n_env) == -1) {
			fprintf(stderr, "itest: unexpected line from "
			    "slapd.sh: %.*s\n", (int)len, p);
			return -1;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	if (s->dir == NULL || s->uri == NULL || s->ldaps_uri == NULL ||
	    s->ldapi_uri == NULL || s->basedn == NULL || s->binddn == NULL ||
	    s->bindpw == NULL || s->cacert == NULL || s->ldapconf == NULL ||
	    s->pidfile == NULL || s->log == NULL) {
		fprintf(stderr, "itest: slapd.sh left out a variable\n");
		return -1;
	}
	if (uri_port(s->uri, &s->port) == -1 ||
	    uri_port(s->ldaps_uri, &s->ldaps_port) == -1) {
		fprintf(stderr, "itest: bad URI from slapd.sh: %s %s\n",
		    s->uri, s->ldaps_uri);
		return -1;
	}
	return 0;
}

/* Run slapd.sh CMD DIR with envp_extra; stdout into out (may be NULL).
 * Returns 0, or -1 after printing the script's messages. */
static int
slapd_script(const char *cmd, const char *dir, char *const envp_extra[],
    struct buf *out)
{
	char *script = itest_srcpath("tests/fixtures/slapd.sh");
	char *argv[] = { "sh", script, (char *)cmd, (char *)dir, NULL };
	struct buf *err = buf_new(1024, ITEST_OUTPUT_MAX);
	int rc;

	rc = itest_run_split(argv, envp_extra, out, err,
	    ITEST_SCRIPT_TIMEOUT_MS);
	if (rc != 0)
		fprintf(stderr, "itest: %s %s %s failed (status %d):\n%s",
		    script, cmd, dir, rc, buf_cstr(err));
	buf_free(&err);
	free(script);
	return rc == 0 ? 0 : -1;
}

/* slapd.sh start DIR into s (cleared first). */
static int
slapd_start_into(struct itest_slapd *s, const char *dir,
    const char *ldif_files, char *const extra_env[])
{
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	struct buf *ldif = buf_new(256, ITEST_OUTPUT_MAX);
	char *dir_copy = xstrdup(dir);
	char *envp[ITEST_SLAPD_EXTRA_MAX + 3] = { "SLAPD_LDIF",
		"SLAPD_LDAPS_PORT", NULL };
	size_t n = 2;
	int rc = -1;

	if (ldif_files != NULL) {
		if (buf_printf(ldif, "SLAPD_LDIF=%s", ldif_files) == -1)
			goto out;
		envp[0] = (char *)buf_cstr(ldif);
	}
	for (size_t i = 0; extra_env != NULL && extra_env[i] != NULL; i++) {
		if (i == ITEST_SLAPD_EXTRA_MAX) {
			fprintf(stderr, "itest: more than %d variables for "
			    "slapd.sh\n", ITEST_SLAPD_EXTRA_MAX);
			goto out;
		}
		envp[n++] = extra_env[i];
	}
	slapd_clear(s);
	if (slapd_script("start", dir_copy, envp, out) == 0)
		rc = slapd_parse_env(s, buf_cstr(out));
out:
	if (rc == -1) {
		/* Keep the directory so the caller can still stop it. */
		slapd_clear(s);
		s->dir = dir_copy;
		dir_copy = NULL;
	}
	free(dir_copy);
	buf_free(&ldif);
	buf_free(&out);
	return rc;
}

struct itest_slapd *
itest_slapd_start(const char *dir, const char *ldif_files)
{
	return itest_slapd_start_env(dir, ldif_files, NULL);
}

struct itest_slapd *
itest_slapd_start_env(const char *dir, const char *ldif_files,
    char *const extra_env[])
{
	struct itest_slapd *s = xmalloc(sizeof(*s));

	if (slapd_start_into(s, dir, ldif_files, extra_env) == -1) {
		/* It may have started before the env went wrong. */
		slapd_script("stop", dir, NULL, NULL);
		slapd_clear(s);
		free(s);
		return NULL;
	}
	return s;
}

int
itest_slapd_halt(struct itest_slapd *s)
{
	if (s == NULL || s->dir == NULL)
		return -1;
	return slapd_script("stop", s->dir, NULL, NULL);
}

int
itest_slapd_resume(struct itest_slapd *s)
{
	if (s == NULL || s->dir == NULL)
		return -1;
	return slapd_start_into(s, s->dir, NULL, NULL);
}

int
itest_slapd_restart(struct itest_slapd *s)
{
	if (itest_slapd_halt(s) == -1)
		return -1;
	return itest_slapd_resume(s);
}

int
itest_slapd_stop(struct itest_slapd **sp)
{
	int rc;

	if (sp == NULL || *sp == NULL)
		return 0;
	rc = (*sp)->dir != NULL ? itest_slapd_halt(*sp) : 0;
	slapd_clear(*sp);
	free(*sp);
	*sp = NULL;
	return rc;
}
