/*
 * tests/integration/itest_milters.c - tessera-spamd and tessera-virusd
 * for integration suites (see itest_milters.h): training, start and stop
 * on free loopback ports, the EICAR messages, picking held-out messages
 * by verdict, and sending a message file over SMTP.
 *
 * Everything the programs print is data: parsed with bounds, never
 * trusted to be well formed.
 */
#include "config.h"

#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "tests/integration/itest.h"
#include "tests/integration/itest_milters.h"
#include "lib/banned.h"

#define SLURP_MAX (16 * 1024 * 1024)

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* A new string, printf-style (NULL only when out of the buffer's room). */
static char *
fmt(const char *f, ...)
{
	struct buf *x = buf_new(64, 64 * 1024);
	va_list ap;
	char *s = NULL;
	int rc;

	va_start(ap, f);
	rc = buf_vprintf(x, f, ap);
	va_end(ap);
	if (rc == 0)
		s = buf_steal(x, NULL);
	buf_free(&x);
	return s;
}

static char *
build_path(const char *rel)
{
	const char *b = getenv("TESSERA_BUILDDIR");

	return fmt("%s/%s", b != NULL ? b : ".", rel);
}

const char *
itest_run_user(void)
{
	static char name[64];
	struct passwd *pw;

	if (geteuid() == 0)
		return "nobody";
	if (name[0] == '\0') {
		pw = getpwuid(geteuid());
		snprintf(name, sizeof(name), "%s", pw != NULL ? pw->pw_name :
		    "nobody");
	}
	return name;
}

int
itest_give(const char *path)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	pw = getpwnam("nobody");
	if (pw == NULL || chown(path, pw->pw_uid, pw->pw_gid) != 0) {
		fprintf(stderr, "itest_milters: cannot give %s to nobody\n",
		    path);
		return -1;
	}
	return 0;
}

static int
write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "itest_milters: cannot write %s\n", path);
		return -1;
	}
	if (fwrite(text, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

char *
itest_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf *b;
	char chunk[8192];
	size_t n;
	char *s;

	if (f == NULL)
		return NULL;
	b = buf_new(sizeof(chunk), SLURP_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, n) != 0)
			break;
	fclose(f);
	s = buf_steal(b, NULL);
	buf_free(&b);
	return s;
}

bool
itest_file_has(const char *path, const char *needle, int wait_ms)
{
	for (int waited = 0;; waited += 50) {
		char *text = itest_slurp(path);
		bool found = text != NULL && strstr(text, needle) != NULL;

		free(text);
		if (found || waited >= wait_ms)
			return found;
		usleep(50 * 1000);
	}
}

/* Run the built tessera-spamd with args (NULL-terminated, at most 8);
 * its output into out. Exit status as itest_run. */
static int
spamd_run(const char *const *args, struct buf *out)
{
	char *bin = build_path("tessera-spamd");
	char *argv[12] = { bin };
	size_t n = 1;
	int rc;

	for (size_t i = 0; args[i] != NULL && n < 11; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	rc = itest_run(argv, NULL, out, 120000);
	free(bin);
	return rc;
}

int
itest_spamd_train(const char *db)
{
	static const char *const kinds[][2] = {
		{ "--ham", "tests/data/spam/train/ham" },
		{ "--spam", "tests/data/spam/train/spam" },
	};

	for (size_t i = 0; i < 2; i++) {
		char *dir = itest_srcpath(kinds[i][1]);
		const char *args[] = { "-d", db, "learn", kinds[i][0], dir,
			NULL };
		struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
		int rc = spamd_run(args, out);

		if (rc != 0)
			fprintf(stderr, "itest_milters: learn %s: status %d: "
			    "%s\n", kinds[i][0], rc, buf_cstr(out));
		buf_free(&out);
		free(dir);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* What a milter's configuration is made of, but its port. */
struct milterd_spec {
	const char *name;	/* "spamd": NAME.conf, NAME.log in dir */
	const char *prog;	/* below the build directory */
	const char *cmd;	/* command after -f, or NULL */
	const char *ready;	/* its log line once it listens */
	char *(*conf)(uint16_t port, const void *arg);
	const void *arg;
};

#define MILTERD_TRIES 3

/* One try at spec on port: started, its ready line logged and the port
 * answering within 30 s. 0, or -1 with m->p stopped. */
static int
milterd_try(struct itest_milterd *m, const struct milterd_spec *spec,
    const char *bin)
{
	char *text = spec->conf(m->port, spec->arg);
	int rc = -1;

	unlink(m->log);
	if (write_text(m->conf, text, strlen(text)) == 0) {
		char *argv[] = { (char *)bin, "-c", m->conf, "-f",
			(char *)spec->cmd, NULL };

		m->p = itest_start(argv, NULL, m->log);
	}
	free(text);
	for (int i = 0; m->p != NULL && i < 600; i++) {
		if (!itest_alive(m->p))
			break;
		if (itest_file_has(m->log, spec->ready, 0)) {
			rc = itest_wait_listen_proc(m->p, "127.0.0.1", m->port,
			    10000);
			break;
		}
		usleep(50 * 1000);
	}
	if (rc != 0) {
		fprintf(stderr, "itest_milters: %s does not listen on %u\n",
		    spec->name, m->port);
		itest_dump_log(m->log);
		itest_stop(&m->p, 1000);
	}
	return rc;
}

/*
 * Start spec on a free port, writing its configuration into dir. A port
 * handed out free may be taken by another program before the milter
 * binds it (a milter loading its database binds late): then the milter
 * exits, and it is tried again on another port, MILTERD_TRIES times in
 * all. The milter, or NULL with its log on stderr.
 */
static struct itest_milterd *
milterd_start(const char *dir, const struct milterd_spec *spec)
{
	struct itest_milterd *m = xcalloc(1, sizeof(*m));
	char *bin = build_path(spec->prog);
	int rc = -1;

	m->conf = fmt("%s/%s.conf", dir, spec->name);
	m->log = fmt("%s/%s.log", dir, spec->name);
	for (int i = 0; rc != 0 && i < MILTERD_TRIES; i++) {
		m->port = itest_free_port();
		if (m->port != 0)
			rc = milterd_try(m, spec, bin);
	}
	free(bin);
	if (rc != 0) {
		free(m->conf);
		free(m->log);
		free(m);
		return NULL;
	}
	return m;
}

static char *
spamd_conf(uint16_t port, const void *arg)
{
	const char *const *a = arg;	/* database, extra lines */

	return fmt("[global]\nuser = %s\nlog_level = debug\n"
	    "[spamd]\nsocket = inet:%u@127.0.0.1\ndatabase = %s\n%s",
	    itest_run_user(), port, a[0], a[1] != NULL ? a[1] : "");
}

struct itest_milterd *
itest_spamd_start(const char *dir, const char *db, const char *extra_lines)
{
	const char *arg[] = { db, extra_lines };
	const struct milterd_spec spec = { "spamd", "tessera-spamd", "run",
		"listening socket=", spamd_conf, arg };

	return milterd_start(dir, &spec);
}

/* Copy file src to dst. 0 or -1. */
static int
copy_file(const char *src, const char *dst)
{
	char *text = itest_slurp(src);
	struct stat st;
	int rc;

	if (text == NULL || stat(src, &st) != 0) {
		free(text);
		fprintf(stderr, "itest_milters: cannot read %s\n", src);
		return -1;
	}
	rc = write_text(dst, text, (size_t)st.st_size);
	free(text);
	return rc;
}

static char *
virusd_conf(uint16_t port, const void *arg)
{
	const char *const *a = arg;	/* database dir, temp dir, extra */

	return fmt("[global]\nuser = %s\nlog_level = info\n"
	    "[virusd]\nsocket = inet:%u@127.0.0.1\ndatabase_dir = %s\n"
	    "temp_dir = %s\n%s", itest_run_user(), port, a[0], a[1],
	    a[2] != NULL ? a[2] : "");
}

struct itest_milterd *
itest_virusd_start(const char *dir, const char *extra_lines)
{
	static const char *const sigs[] = { "tessera-test.hdb",
		"tessera-test.ndb" };
	char *db = fmt("%s/virusdb", dir), *tmp = fmt("%s/virustmp", dir);
	struct itest_milterd *m = NULL;
	int rc = mkdir(db, 0755) == 0 && mkdir(tmp, 0700) == 0 &&
	    itest_give(tmp) == 0 ? 0 : -1;

	for (size_t i = 0; rc == 0 && i < 2; i++) {
		char *rel = fmt("tests/data/clamav/%s", sigs[i]);
		char *src = itest_srcpath(rel);
		char *dst = fmt("%s/%s", db, sigs[i]);

		rc = copy_file(src, dst);
		free(rel);
		free(src);
		free(dst);
	}
	if (rc == 0) {
		const char *arg[] = { db, tmp, extra_lines };
		const struct milterd_spec spec = { "virusd",
			"milters/virus/tessera-virusd", NULL,
			"virusd: listening on", virusd_conf, arg };

		m = milterd_start(dir, &spec);
	} else {
		fprintf(stderr, "itest_milters: cannot set up %s\n", db);
	}
	free(db);
	free(tmp);
	return m;
}

int
itest_milterds_stop(struct itest_milterd **list[])
{
	int bad = 0;

	for (size_t i = 0; list[i] != NULL; i++)
		if (*list[i] != NULL && (*list[i])->p != NULL)
			kill((*list[i])->p->pid, SIGTERM);
	for (size_t i = 0; list[i] != NULL; i++) {
		struct itest_milterd *m = *list[i];
		int st;

		if (m == NULL)
			continue;
		st = itest_stop(&m->p, 15000);
		if (st != 0) {
			fprintf(stderr, "itest_milters: %s exit status %d\n",
			    m->conf, st);
			itest_dump_log(m->log);
			bad++;
		}
		free(m->conf);
		free(m->log);
		free(m);
		*list[i] = NULL;
	}
	return bad;
}

int
itest_eicar_files(const char *dir)
{
	/* assembled here so that this file is not itself a test virus */
	static const char eicar1[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$";
	static const char eicar2[] = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
	char *script = itest_srcpath("tests/unit/milters/virusd_mkdata.py");
	char *argv[] = { "python3", script, (char *)dir, NULL };
	struct buf *out = buf_new(256, ITEST_OUTPUT_MAX);
	int rc = itest_run(argv, NULL, out, 120000);
	char *path, *text;

	if (rc != 0)
		fprintf(stderr, "itest_milters: virusd_mkdata.py: status %d: "
		    "%s\n", rc, buf_cstr(out));
	buf_free(&out);
	free(script);
	if (rc != 0)
		return -1;
	path = fmt("%s/eicar-bare.eml", dir);
	text = fmt("From: Alice <alice@example.test>\r\n"
	    "To: Bob <bob@example.test>\r\nSubject: bare\r\n"
	    "Message-ID: <bare@example.test>\r\n"
	    "Date: Sun, 06 Dec 2026 00:00:00 +0000\r\n\r\n%s%s\r\n", eicar1,
	    eicar2);
	rc = write_text(path, text, strlen(text));
	free(path);
	free(text);
	return rc;
}

char *
itest_spam_pick(const char *db, const char *kind, const char *verdict,
    int skip, double *score)
{
	char *rel = fmt("tests/data/spam/test/%s", kind);
	char *dir = itest_srcpath(rel);
	const char *args[] = { "-d", db, "classify", dir, NULL };
	struct buf *out = buf_new(4096, ITEST_OUTPUT_MAX);
	char *want = fmt(" verdict=%s", verdict);
	char *found = NULL;
	const char *line;
	int rc = spamd_run(args, out);

	if (rc != 0)
		fprintf(stderr, "itest_milters: classify: status %d: %s\n", rc,
		    buf_cstr(out));
	for (line = buf_cstr(out); rc == 0 && found == NULL && *line != '\0';
	    ) {
		size_t len = strcspn(line, "\n");
		char *l = xstrndup(line, len);
		char *s = strstr(l, ": score=");
		char *v = strstr(l, " verdict=");

		if (s != NULL && v != NULL && strcmp(v, want) == 0 &&
		    skip-- == 0) {
			if (score != NULL)
				*score = strtod(s + 8, NULL);
			found = xstrndup(l, (size_t)(s - l));
		}
		free(l);
		line += len;
		if (*line == '\n')
			line++;
	}
	buf_free(&out);
	free(want);
	free(dir);
	free(rel);
	return found;
}

char *
itest_send_file(uint16_t port, const char *sender, const char *rcpt,
    const char *file)
{
	char *script = itest_srcpath("tests/integration/milter_send.py");
	char portstr[8];
	char *argv[] = { "python3", script, portstr, (char *)sender,
		(char *)rcpt, (char *)file, NULL };
	struct buf *out = buf_new(1024, ITEST_OUTPUT_MAX);
	char *s = NULL;
	int rc;

	snprintf(portstr, sizeof(portstr), "%u", port);
	rc = itest_run(argv, NULL, out, 120000);
	if (rc == 0)
		s = xstrdup(buf_cstr(out));
	else
		fprintf(stderr, "itest_milters: milter_send.py: status %d: "
		    "%s\n", rc, buf_cstr(out));
	buf_free(&out);
	free(script);
	return s;
}

char *
itest_send_reply(const char *out, const char *step)
{
	size_t n = strlen(step);

	for (const char *p = out; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, "\n");

		if (len > n && strncmp(p, step, n) == 0 && p[n] == ' ')
			return xstrndup(p + n + 1, len - n - 1);
		p += len;
		if (*p == '\n')
			p++;
	}
	return NULL;
}
