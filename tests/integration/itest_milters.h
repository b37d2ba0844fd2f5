/*
 * tests/integration/itest_milters.h - the project's milters for
 * integration suites that put them behind a real MTA (mtad, Postfix):
 * tessera-spamd trained on tests/data/spam and tessera-virusd with the
 * signatures of tests/data/clamav, each on a free loopback port; the
 * EICAR test messages; held-out spam and ham picked by their verdict;
 * one message file sent over SMTP with its replies.
 *
 * Runs inside test processes only; like itest.h, failures are messages
 * on stderr and NULL/-1 results, never an abort.
 */
#ifndef TESTS_INTEGRATION_ITEST_MILTERS_H
#define TESTS_INTEGRATION_ITEST_MILTERS_H

#include <stdbool.h>
#include <stdint.h>

/* The signature tessera-virusd (and clamd) report for the EICAR string
 * with the project's database. */
#define ITEST_EICAR_SIG "Tessera.Test.EICAR.NDB.UNOFFICIAL"

/* A milter daemon started by itest_spamd_start or itest_virusd_start. */
struct itest_milterd {
	struct itest_proc *p;
	char *conf;		/* its configuration file */
	char *log;		/* its output */
	uint16_t port;		/* listens on 127.0.0.1:port */
};

/* The user the milters and mtad run as: nobody for root, else the
 * current user (static storage). */
const char *itest_run_user(void);
/* Give path to itest_run_user() when running as root. 0 or -1. */
int itest_give(const char *path);

/* A new token database at db, learnt from tests/data/spam/train (ham
 * and spam) with the built tessera-spamd. 0 or -1. */
int itest_spamd_train(const char *db);
/*
 * tessera-spamd on a free port reading db, its configuration and log in
 * dir (which the run user must be able to write), extra_lines appended
 * to [spamd] (thresholds; NULL for none). Returns once it listens, or
 * NULL with its log on stderr.
 */
struct itest_milterd *itest_spamd_start(const char *dir, const char *db,
    const char *extra_lines);
/* tessera-virusd on a free port with a copy of tests/data/clamav in
 * dir/virusdb, its temporary files in dir/virustmp; extra_lines in
 * [virusd]. As itest_spamd_start. */
struct itest_milterd *itest_virusd_start(const char *dir,
    const char *extra_lines);
/* Stop the milters of the NULL-terminated list together (libmilter
 * notices SIGTERM only at its next poll, up to about 5 s) and free them;
 * NULL entries are skipped. Returns the number that did not exit 0. */
int itest_milterds_stop(struct itest_milterd **list[]);

/*
 * Write the EICAR test messages into dir: eicar-bare.eml (a text body
 * that is the EICAR string and nothing else), inline.eml (in the middle
 * of a text body), attach.eml (a base64 attachment), attach-zip.eml
 * (zipped, in a base64 attachment) and clean.eml, with the other files
 * of tests/unit/milters/virusd_mkdata.py. 0 or -1.
 */
int itest_eicar_files(const char *dir);

/* A message of tests/data/spam/test/KIND ("ham" or "spam") that
 * `tessera-spamd classify` with db gives verdict ("ham", "tag",
 * "reject"), with its score into *score when not NULL; NULL if there is
 * none. skip: how many such messages to pass over first. Caller frees. */
char *itest_spam_pick(const char *db, const char *kind, const char *verdict,
    int skip, double *score);

/* Send file from sender to rcpt over SMTP to 127.0.0.1:port with
 * tests/integration/milter_send.py; its output (EHLO/MAIL/RCPT/DATA
 * lines with the replies), or NULL if the script failed. Caller frees. */
char *itest_send_file(uint16_t port, const char *sender, const char *rcpt,
    const char *file);
/* The reply of step ("MAIL", "RCPT", "DATA") in itest_send_file's
 * output: "CODE TEXT", or NULL. Caller frees. */
char *itest_send_reply(const char *out, const char *step);

/* The whole file (at most 16 MiB), or NULL. Caller frees. */
char *itest_slurp(const char *path);
/* Whether the file at path holds needle, waiting up to wait_ms. */
bool itest_file_has(const char *path, const char *needle, int wait_ms);

#endif
