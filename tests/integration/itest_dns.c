/*
 * tests/integration/itest_dns.c - the DNS server fixture as a struct.
 *
 * Runs inside test processes only. Trusts tests/fixtures/dns.sh of this
 * source tree; its output is parsed as export NAME='value' lines only.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "tests/integration/itest.h"
#include "tests/integration/itest_dns.h"
#include "lib/banned.h"

/* Write records to DIR/records.in; its path (malloc) or NULL. */
static char *
write_records(const char *dir, const char *records)
{
	char *path = NULL;
	FILE *f;

	if (asprintf(&path, "%s/records.in", dir) < 0)
		return NULL;
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		free(path);
		return NULL;
	}
	fputs(records, f);
	fclose(f);
	return path;
}

/* Run dns.sh CMD dir [records]; its stdout into out. 0 or -1. */
static int
run_script(const char *cmd, const char *dir, const char *records,
    struct buf *out)
{
	char *script = itest_srcpath("tests/fixtures/dns.sh");
	char *argv[] = { "sh", script, (char *)cmd, (char *)dir, NULL };
	char *env_rec = NULL, *path = NULL;
	char *envp[2] = { NULL, NULL };
	struct buf *err = buf_new(1024, 65536);
	int rc = -1;

	if (records != NULL) {
		path = write_records(dir, records);
		if (path == NULL || asprintf(&env_rec, "DNS_RECORDS=%s",
		    path) < 0)
			goto out;
		envp[0] = env_rec;
	}
	rc = itest_run_split(argv, envp, out, err, 60000);
	if (rc != 0) {
		fprintf(stderr, "dns.sh %s %s: exit %d\n%s\n", cmd, dir, rc,
		    buf_cstr(err));
		rc = -1;
	}
out:
	buf_free(&err);
	free(env_rec);
	free(path);
	free(script);
	return rc;
}

struct itest_dns *
itest_dns_start(const char *dir, const char *records)
{
	struct buf *out = buf_new(1024, 65536);
	struct itest_dns *d = NULL;
	char *port = NULL;
	uint64_t v;

	if (run_script("start", dir, records, out) == -1)
		goto out;
	d = calloc(1, sizeof(*d));
	d->dir = itest_env_value(buf_cstr(out), "DNS_DIR");
	d->server = itest_env_value(buf_cstr(out), "DNS_SERVER");
	d->log = itest_env_value(buf_cstr(out), "DNS_LOG");
	port = itest_env_value(buf_cstr(out), "DNS_PORT");
	if (d->dir == NULL || d->server == NULL || d->log == NULL ||
	    port == NULL || parse_u64(port, strlen(port), 65535, &v) == -1) {
		fprintf(stderr, "dns.sh start printed no usable env:\n%s\n",
		    buf_cstr(out));
		itest_dns_stop(&d);
		goto out;
	}
	d->port = (uint16_t)v;
out:
	free(port);
	buf_free(&out);
	return d;
}

int
itest_dns_set(struct itest_dns *d, const char *records)
{
	struct buf *out = buf_new(1024, 65536);
	int rc = run_script("start", d->dir, records, out);

	buf_free(&out);
	return rc;
}

int
itest_dns_halt(struct itest_dns *d)
{
	return run_script("stop", d->dir, NULL, NULL);
}

int
itest_dns_stop(struct itest_dns **dp)
{
	struct itest_dns *d;
	int rc = 0;

	if (dp == NULL || *dp == NULL)
		return 0;
	d = *dp;
	if (d->dir != NULL)
		rc = itest_dns_halt(d);
	free(d->dir);
	free(d->server);
	free(d->log);
	free(d);
	*dp = NULL;
	return rc;
}

int
itest_dns_silent(uint16_t *port_out)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	*port_out = ntohs(sin.sin_port);
	return fd;
}
