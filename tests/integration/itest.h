/*
 * tests/integration/itest.h - helpers for Criterion integration suites:
 * free loopback ports, temporary directories, child processes with their
 * output in a log file, commands with captured output, and a private slapd
 * (tests/fixtures/slapd.sh) as a struct.
 *
 * Runs inside test processes only. Trusts the fixture scripts of this
 * source tree (found through TESSERA_SRCDIR, else the source directory the
 * suite was built from); everything a child prints is only data.
 * Failures are reported on stderr and as -1/NULL/0 results, so a test
 * turns them into assertions; nothing here aborts the test by itself.
 */
#ifndef TESTS_INTEGRATION_ITEST_H
#define TESTS_INTEGRATION_ITEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;

/* Ceiling for output captured by itest_run callers that need a default. */
#define ITEST_OUTPUT_MAX (1024 * 1024)

/* A child started by itest_start. */
struct itest_proc {
	pid_t pid;		/* also its process group id */
	char *log_path;		/* its stdout and stderr */
	char *name;		/* argv[0], for messages */
	bool reaped;		/* exited and waited for */
	int status;		/* as itest_run when reaped */
};

/* A slapd started by itest_slapd_start: the values slapd.sh exported. */
struct itest_slapd {
	char *dir;		/* SLAPD_DIR */
	char *uri;		/* LDAP_URI, ldap://127.0.0.1:PORT */
	char *ldaps_uri;	/* LDAPS_URI */
	char *ldapi_uri;	/* LDAPI_URI (SASL EXTERNAL = admin) */
	char *basedn;		/* LDAP_BASEDN */
	char *binddn;		/* LDAP_BINDDN */
	char *bindpw;		/* LDAP_BINDPW */
	char *cacert;		/* LDAPTLS_CACERT */
	char *ldapconf;		/* LDAPCONF */
	char *pidfile;		/* SLAPD_PIDFILE */
	char *log;		/* SLAPD_LOG */
	char *sasl_uri;		/* LDAP_SASL_URI (ldap://localhost:PORT) when
				 * slapd accepts GSSAPI binds, else NULL */
	uint16_t port;		/* of uri */
	uint16_t ldaps_port;	/* of ldaps_uri */
	/* "NAME=value" for every exported variable, NULL-terminated: pass it
	 * as envp_extra so ldapsearch and friends use this server's CA and
	 * ldap.conf. */
	char **env;
};

/* A TCP port on 127.0.0.1 the kernel just handed out and released, or 0
 * if no socket could be bound. Another process may take it before the
 * caller binds it; that is unlikely within a test. */
uint16_t itest_free_port(void);
/* n distinct such ports into ports[] (all are held open together while
 * choosing). 0, or -1 with ports[] unspecified. */
int itest_free_ports(uint16_t *ports, size_t n);

/* A new empty directory $TMPDIR/tessera-TAG.XXXXXX (or under /tmp), or
 * NULL with a message on stderr. TAG: letters, digits, '-', '_' (others
 * become '_'). Free with itest_cleanup_dir. */
char *itest_tmpdir(const char *tag);
/* Remove *dirp and everything below it, unless the environment has
 * ITEST_KEEP=1 (then it says on stderr what it kept). Frees the string
 * and clears *dirp; NULL-safe. 0, or -1 if something was not removed. */
int itest_cleanup_dir(char **dirp);

/*
 * Start argv[0] (searched in PATH) with argv in a new process group, its
 * stdin from /dev/null and its stdout and stderr appended to log_path
 * (created 0644 if missing). envp_extra (NULL or NULL-terminated) adds
 * "NAME=value" strings to this process's environment, replacing variables
 * of the same name; a bare "NAME" removes NAME. Signal dispositions and
 * the signal mask are reset to the defaults in the child. Returns the
 * process, or NULL with a message on stderr. An exec failure shows as exit
 * status 127 and a line in the log.
 */
struct itest_proc *itest_start(char *const argv[], char *const envp_extra[],
    const char *log_path);
/* Whether p is still running; reaps it (setting reaped and status) if it
 * has exited. */
bool itest_alive(struct itest_proc *p);
/*
 * Stop *pp: SIGTERM to the process, wait up to grace_ms, then SIGKILL its
 * whole process group; any member left in the group after the process
 * exits is killed too. Frees *pp and clears it; NULL-safe. Returns the
 * exit status (0-255), 128 + signal number if it died of a signal
 * (SIGTERM: 143), or -1 if *pp is NULL or it could not be waited for.
 * The log is dumped to stderr when SIGKILL was needed or the process died
 * of a signal other than SIGTERM, since that means something went wrong.
 */
int itest_stop(struct itest_proc **pp, int grace_ms);
/* Dump p's log to stderr; NULL-safe. */
void itest_proc_dump(const struct itest_proc *p);

/* Print the file at log_path to stderr between marker lines (its last
 * 64 KiB if longer), or say that it cannot be read. NULL-safe. */
void itest_dump_log(const char *log_path);

/* A connected, blocking TCP socket to host (numeric or a name in
 * /etc/hosts) and port, or -1 if no connection was made within
 * timeout_ms. */
int itest_connect(const char *host, uint16_t port, int timeout_ms);
/* Retry connecting until a connection succeeds (0) or timeout_ms passes
 * (-1). The probe connection is closed at once. */
int itest_wait_listen(const char *host, uint16_t port, int timeout_ms);
/* Like itest_wait_listen, but gives up early (-1, log dumped) when p
 * exits before it listens: a daemon that refuses its configuration does
 * not make the test wait out the timeout. */
int itest_wait_listen_proc(struct itest_proc *p, const char *host,
    uint16_t port, int timeout_ms);

/*
 * Run argv (searched in PATH) with the environment built as for
 * itest_start, stdin from /dev/null, and wait for it. Its stdout and
 * stderr, interleaved, are appended to output (NULL: discarded; past
 * output's ceiling: dropped). Processes it leaves running in its process
 * group are killed when it exits (use itest_start for servers; programs
 * that detach with setsid, like slapd.sh's slapd, are not affected).
 * Output is read until the command exits and its pipe is closed, or for
 * at most 200 ms after it exits. Returns the exit status (0-255), 128 +
 * signal if it died of a signal, 127 if it could not be executed, or -1
 * if it did not finish within timeout_ms (its process group is then
 * killed) or could not be started.
 */
int itest_run(char *const argv[], char *const envp_extra[],
    struct buf *output, int timeout_ms);
/* Like itest_run, but stdout goes to out and stderr to err (err NULL:
 * both to out). */
int itest_run_split(char *const argv[], char *const envp_extra[],
    struct buf *out, struct buf *err, int timeout_ms);

/*
 * Start a slapd in dir with tests/fixtures/slapd.sh (see there: suffix,
 * admin DN and password, schemas, TLS, ldapi), on kernel-chosen ports.
 * ldif_files: colon-separated LDIF files loaded when dir is initialised,
 * or NULL. Returns the server, or NULL with the script's output on stderr.
 */
struct itest_slapd *itest_slapd_start(const char *dir, const char *ldif_files);
/* The same with up to ITEST_SLAPD_EXTRA_MAX "NAME=value" settings for
 * slapd.sh (NULL-terminated), e.g. SLAPD_KRB5_KEYTAB=..., KRB5_CONFIG=...
 * and SLAPD_ANON_READ=no. */
#define ITEST_SLAPD_EXTRA_MAX 8
struct itest_slapd *itest_slapd_start_env(const char *dir,
    const char *ldif_files, char *const extra_env[]);
/* Stop the server (slapd.sh stop) and free *sp; NULL-safe. The data stays
 * in dir. 0, or -1 if the script failed (*sp is freed anyway). */
int itest_slapd_stop(struct itest_slapd **sp);
/* Stop the server but keep s: the directory is "down" for the test. */
int itest_slapd_halt(struct itest_slapd *s);
/* Start a halted server again on the same ports with the same data;
 * s's fields are refreshed. 0 or -1. */
int itest_slapd_resume(struct itest_slapd *s);
/* itest_slapd_halt, then itest_slapd_resume. */
int itest_slapd_restart(struct itest_slapd *s);

/* The value of NAME in a fixture script's output of export NAME='value'
 * lines (values hold no quote), or NULL. Caller frees. */
char *itest_env_value(const char *out, const char *name);

/* The path of a file in the source tree ("tests/fixtures/slapd.sh"):
 * $TESSERA_SRCDIR/rel, else the source directory this was built from.
 * Caller frees. */
char *itest_srcpath(const char *rel);

/*
 * Criterion assertions that dump a log before failing, so the reason a
 * daemon misbehaved is in the test output:
 *	ITEST_ASSERT(code == 250, proc, "RCPT got %d", code);
 *	ITEST_ASSERT_LOG(rc == 0, slapd->log, "ldapadd failed: %s", out);
 * They need <criterion/criterion.h> and a message (at least a format).
 */
#define ITEST_ASSERT_LOG(cond, log_path, ...) \
	do { \
		if (!(cond)) { \
			itest_dump_log(log_path); \
			cr_assert_fail(__VA_ARGS__); \
		} \
	} while (0)
#define ITEST_ASSERT(cond, proc, ...) \
	do { \
		if (!(cond)) { \
			itest_proc_dump(proc); \
			cr_assert_fail(__VA_ARGS__); \
		} \
	} while (0)

#endif
