/*
 * tests/unit/milters/virusd_scan_test.c - tessera-virusd's scanning with
 * real libclamav and the project's own signatures (tests/data/clamav):
 * EICAR bare, with a newline, zipped, in a base64 attachment, inline in a
 * body; Debian's clamav-testfiles; clean mail; every scan limit crossed
 * and not; the spool in memory and spilled to a file; the verdicts of
 * each action; the engine slot across a reload.
 *
 * Each file is scanned the way the milter scans a message: fed to a
 * spool in chunks, then scanned from memory or from the spill file.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "milters/virus/virusd_config.h"
#include "milters/virus/virusd_engine.h"
#include "milters/virus/virusd_spool.h"
#include "milters/virus/virusd_verdict.h"
#include "tests/unit/milters/virusd_testdata.h"
#include "lib/banned.h"

static char *data;		/* virusd_mkdata.py's files */
static char *db;		/* tests/data/clamav */

static void
setup(void)
{
	data = vt_data_dir();
	cr_assert_not_null(data);
	db = vt_srcpath("tests/data/clamav");
}

static void
teardown(void)
{
	vt_rmdir(&data);
	free(db);
}

TestSuite(virusd_scan, .init = setup, .fini = teardown);

/* The [virusd] defaults, as the config table sets them. */
static struct virusd_config
defaults(void)
{
	struct virusd_config c = {
		.socket = (char *)"unix:/nonexistent",
		.database_dir = db,
		.temp_dir = (char *)"",
		.action = VIRUSD_ACTION_REJECT,
		.exceed_action = VIRUSD_FALLBACK_ACCEPT,
		.error_action = VIRUSD_FALLBACK_TEMPFAIL,
		.scanned_header = (char *)"X-Virus-Scanned: tessera-virusd",
		.max_message_size = 25 << 20,
		.memory_size = 1 << 20,
		.max_scan_size = 100 << 20,
		.max_file_size = 25 << 20,
		.max_recursion = 16,
		.max_files = 10000,
		.max_scan_time = 120000,
	};
	return c;
}

static struct virusd_engine *
engine(const struct virusd_config *c, const char *dir)
{
	struct virusd_limits lim = {
		.max_scan_size = c->max_scan_size,
		.max_file_size = c->max_file_size,
		.max_recursion = (uint32_t)c->max_recursion,
		.max_files = (uint32_t)c->max_files,
		.max_scan_time = (uint32_t)c->max_scan_time,
		.temp_dir = c->temp_dir,
	};
	struct buf *err = buf_new(128, 4096);
	struct virusd_engine *e = virusd_engine_new(dir, &lim, err);

	cr_assert_not_null(e, "engine: %s", buf_cstr(err));
	buf_free(&err);
	return e;
}

/* Scan path as the milter would: 1000-byte chunks into a spool. */
static struct virusd_result
scan_with(const struct virusd_config *c, struct virusd_engine *e,
    const char *path, bool *spilled_out)
{
	struct virusd_spool *sp = virusd_spool_new(c->max_message_size,
	    c->memory_size, c->temp_dir);
	struct buf *err = buf_new(128, 4096);
	struct virusd_result r;
	char chunk[1000];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	cr_assert_neq(fd, -1, "cannot open %s", path);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		cr_assert_eq(virusd_spool_append(sp, chunk, (size_t)n, err), 0,
		    "%s", buf_cstr(err));
	close(fd);
	memset(&r, 0, sizeof(r));
	virusd_spool_scan(sp, e, &r);
	if (spilled_out != NULL)
		*spilled_out = virusd_spool_spilled(sp);
	virusd_spool_free(&sp);
	buf_free(&err);
	return r;
}

/* Scan a file of the data directory (or an absolute path) with config c
 * and the project's database. */
static struct virusd_result
scan(const struct virusd_config *c, const char *name)
{
	struct virusd_engine *e = engine(c, db);
	char *path = name[0] == '/' ? xstrdup(name) : vt_join(data, name);
	struct virusd_result r = scan_with(c, e, path, NULL);

	free(path);
	virusd_engine_release(&e);
	return r;
}

static void
assert_infected(const struct virusd_result *r, const char *sig,
    const char *what)
{
	cr_assert_eq(r->status, VIRUSD_INFECTED, "%s: %s %s", what,
	    virusd_status_name(r->status), r->name);
	cr_assert(strncmp(r->name, sig, strlen(sig)) == 0,
	    "%s: signature %s, wanted %s", what, r->name, sig);
}

static void
assert_status(const struct virusd_result *r, enum virusd_status st,
    const char *name, const char *what)
{
	cr_assert_eq(r->status, st, "%s: %s %s, wanted %s %s", what,
	    virusd_status_name(r->status), r->name, virusd_status_name(st),
	    name);
	cr_assert_str_eq(r->name, name, "%s", what);
}

#define EICAR_SIG "Tessera.Test.EICAR."
#define CLAMEXE_SIG "Tessera.Test.ClamExe."

Test(virusd_scan, eicar_bare_newline_zipped_attached_inline)
{
	struct virusd_config c = defaults();
	static const char *const files[] = { "eicar.com", "eicar-nl.txt",
		"eicar.zip", "eicar-depth2.zip", "attach.eml",
		"attach-zip.eml", "inline.eml" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct virusd_result r = scan(&c, files[i]);

		assert_infected(&r, EICAR_SIG, files[i]);
	}
}

Test(virusd_scan, clean_mail_is_clean)
{
	struct virusd_config c = defaults();
	static const char *const files[] = { "clean.eml",
		"clean-attach.eml", "clean-zip.eml", "big.eml" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct virusd_result r = scan(&c, files[i]);

		assert_status(&r, VIRUSD_CLEAN, "", files[i]);
	}
}

Test(virusd_scan, clamav_testfiles_are_detected)
{
	struct virusd_config c = defaults();
	static const char *const files[] = { "clam.exe", "clam.zip",
		"clam.7z", "clam.tar.gz", "clam.cab", "clam.arj",
		"clam.exe.bz2", "clam.exe.binhex", "clam.exe.mbox.base64",
		"clam.exe.mbox.uu", "clam.mail", "clam.tnef", "clam.ole.doc",
		"clam.pdf", "clam.exe.html", "clam.exe.rtf", "clam-upx.exe",
		"clam-aspack.exe", "clam-fsg.exe", "clam-petite.exe",
		"clam.impl.zip", "clam.newc.cpio" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = vt_join(VT_TESTFILES, files[i]);
		struct virusd_result r = scan(&c, path);

		assert_infected(&r, CLAMEXE_SIG, files[i]);
		free(path);
	}
}

/* The hash signatures alone: they match the exact files, so EICAR with a
 * newline slips past them (the body signatures catch it, above). */
Test(virusd_scan, hash_signatures_alone)
{
	struct virusd_config c = defaults();
	char *dir = vt_tmpdir();
	char *src = vt_join(db, "tessera-test.hdb");
	char *dst = vt_join(dir, "tessera-test.hdb");
	char *exe = vt_join(VT_TESTFILES, "clam.exe");
	char *bare = vt_join(data, "eicar.com");
	char *nl = vt_join(data, "eicar-nl.txt");
	struct virusd_engine *e;
	struct virusd_result r;

	cr_assert_eq(vt_copy(src, dst), 0);
	e = engine(&c, dir);
	cr_assert_eq(virusd_engine_signatures(e), 2);
	r = scan_with(&c, e, exe, NULL);
	assert_infected(&r, "Tessera.Test.ClamExe.HDB", "clam.exe");
	r = scan_with(&c, e, bare, NULL);
	assert_infected(&r, "Tessera.Test.EICAR.HDB", "eicar.com");
	r = scan_with(&c, e, nl, NULL);
	assert_status(&r, VIRUSD_CLEAN, "", "eicar-nl.txt, hash only");
	virusd_engine_release(&e);
	free(src);
	free(dst);
	free(exe);
	free(bare);
	free(nl);
	vt_rmdir(&dir);
}

/* Nesting: 2 zips within max_recursion 3 are opened, 6 are not. */
Test(virusd_scan, recursion_limit)
{
	struct virusd_config c = defaults();
	struct virusd_result r;

	c.max_recursion = 3;
	r = scan(&c, "eicar-depth2.zip");
	assert_infected(&r, EICAR_SIG, "depth 2, limit 3");
	r = scan(&c, "eicar-depth6.zip");
	assert_status(&r, VIRUSD_EXCEEDED, "max_recursion", "depth 6, limit 3");
	c.max_recursion = 16;
	r = scan(&c, "eicar-depth6.zip");
	assert_infected(&r, EICAR_SIG, "depth 6, limit 16");
}

Test(virusd_scan, scan_size_limit)
{
	struct virusd_config c = defaults();
	struct virusd_result r;

	c.max_scan_size = 64 << 10;
	r = scan(&c, "big.eml");
	assert_status(&r, VIRUSD_EXCEEDED, "max_scan_size", "big, 64k");
	r = scan(&c, "clean.eml");
	assert_status(&r, VIRUSD_CLEAN, "", "clean, 64k");
	c.max_scan_size = 1 << 20;
	r = scan(&c, "big.eml");
	assert_status(&r, VIRUSD_CLEAN, "", "big, 1M");
}

/* A message (or part) past max_file_size is not scanned. */
Test(virusd_scan, file_size_limit)
{
	struct virusd_config c = defaults();
	struct virusd_result r;

	c.max_file_size = 2 << 10;
	r = scan(&c, "clean-attach.eml");
	assert_status(&r, VIRUSD_EXCEEDED, "max_file_size", "14k, 2k");
	r = scan(&c, "attach.eml");
	assert_infected(&r, EICAR_SIG, "small attach, 2k");
}

Test(virusd_scan, files_limit)
{
	struct virusd_config c = defaults();
	struct virusd_result r;

	c.max_files = 1;
	r = scan(&c, "clean-zip.eml");
	assert_status(&r, VIRUSD_EXCEEDED, "max_files", "zip in mail, 1");
	c.max_files = 10;
	r = scan(&c, "clean-zip.eml");
	assert_status(&r, VIRUSD_CLEAN, "", "zip in mail, 10");
}

/* A thousand zips take well over 100 ms to scan whole. */
Test(virusd_scan, scan_time_limit)
{
	struct virusd_config c = defaults();
	struct virusd_result r;

	c.max_scan_time = 100;
	r = scan(&c, "many-zips.eml");
	assert_status(&r, VIRUSD_EXCEEDED, "max_scan_time", "100ms");
	c.max_scan_time = 600000;
	r = scan(&c, "many-zips.eml");
	assert_status(&r, VIRUSD_CLEAN, "", "10m");
}

/* The spool's own cap: max+1 bytes are not scanned, max bytes are. */
Test(virusd_scan, message_size_limit)
{
	struct virusd_config c = defaults();
	char *path = vt_join(data, "attach.eml");
	struct virusd_engine *e;
	struct virusd_result r;
	FILE *f = fopen(path, "rb");
	long size;

	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	e = engine(&c, db);
	c.max_message_size = (uint64_t)size;
	c.memory_size = 0;
	r = scan_with(&c, e, path, NULL);
	assert_infected(&r, EICAR_SIG, "at max_message_size");
	c.max_message_size = (uint64_t)size - 1;
	r = scan_with(&c, e, path, NULL);
	assert_status(&r, VIRUSD_EXCEEDED, "max_message_size", "max - 1");
	virusd_engine_release(&e);
	free(path);
}

/* In memory or spilled to a file, the verdict is the same. */
Test(virusd_scan, spill_to_file)
{
	struct virusd_config c = defaults();
	char *tmp = vt_tmpdir();
	char *path = vt_join(data, "attach.eml");
	char *clean = vt_join(data, "clean-attach.eml");
	struct virusd_engine *e = engine(&c, db);
	struct virusd_result r;
	bool spilled = true;

	r = scan_with(&c, e, path, &spilled);
	assert_infected(&r, EICAR_SIG, "in memory");
	cr_assert_not(spilled);
	c.memory_size = 100;
	c.temp_dir = tmp;
	r = scan_with(&c, e, path, &spilled);
	assert_infected(&r, EICAR_SIG, "spilled");
	cr_assert(spilled);
	r = scan_with(&c, e, clean, &spilled);
	assert_status(&r, VIRUSD_CLEAN, "", "clean, spilled");
	cr_assert(spilled);
	/* the spill file is unlinked at once: nothing left behind */
	cr_assert_eq(rmdir(tmp), 0);
	virusd_engine_release(&e);
	free(path);
	free(clean);
	free(tmp);
}

Test(virusd_scan, spill_failure_is_an_error)
{
	struct virusd_spool *sp = virusd_spool_new(1 << 20, 10,
	    "/nonexistent/dir");
	struct buf *err = buf_new(128, 4096);
	struct virusd_config c = defaults();
	struct virusd_engine *e = engine(&c, db);
	struct virusd_result r;
	struct virusd_decision d;

	cr_assert_eq(virusd_spool_append(sp, "0123456789", 10, err), 0);
	cr_assert_eq(virusd_spool_append(sp, "x", 1, err), -1);
	cr_assert_not_null(strstr(buf_cstr(err), "/nonexistent/dir"));
	virusd_spool_scan(sp, e, &r);
	cr_assert_eq(r.status, VIRUSD_ERROR);
	virusd_verdict_decide(&c, &r, &d);
	cr_assert_eq(d.verdict, VIRUSD_VERDICT_TEMPFAIL);
	cr_assert_str_eq(d.code, "451");
	cr_assert_str_eq(d.xcode, "4.7.1");
	virusd_spool_reset(sp);
	cr_assert_eq(virusd_spool_append(sp, "x", 1, err), 0);
	virusd_spool_free(&sp);
	virusd_engine_release(&e);
	buf_free(&err);
}

/* libclamav without its temporary directory returns CL_CLEAN after an
 * error message: that is a scan error, not clean mail. */
Test(virusd_scan, libclamav_errors_are_not_clean)
{
	struct virusd_config c = defaults();
	struct virusd_result r;
	struct virusd_decision d;

	c.temp_dir = (char *)"/nonexistent/tmp";
	r = scan(&c, "attach.eml");
	cr_assert_eq(r.status, VIRUSD_ERROR, "%s %s",
	    virusd_status_name(r.status), r.name);
	cr_assert_not_null(strstr(r.name, "temporary directory"), "%s",
	    r.name);
	virusd_verdict_decide(&c, &r, &d);
	cr_assert_eq(d.verdict, VIRUSD_VERDICT_TEMPFAIL);
	r = scan(&c, "clean.eml");
	cr_assert_eq(r.status, VIRUSD_ERROR);
}

Test(virusd_scan, spool_counts_past_its_cap)
{
	struct virusd_spool *sp = virusd_spool_new(10, 4, NULL);
	struct buf *err = buf_new(128, 4096);

	cr_assert_eq(virusd_spool_append(sp, "012345678", 9, err), 0);
	cr_assert_not(virusd_spool_too_big(sp));
	cr_assert_eq(virusd_spool_append(sp, "9", 1, err), 0);
	cr_assert_not(virusd_spool_too_big(sp));
	cr_assert_eq(virusd_spool_size(sp), 10);
	cr_assert_eq(virusd_spool_append(sp, "a", 1, err), 0);
	cr_assert(virusd_spool_too_big(sp));
	cr_assert_eq(virusd_spool_size(sp), 11);
	virusd_spool_reset(sp);
	cr_assert_not(virusd_spool_too_big(sp));
	cr_assert_eq(virusd_spool_size(sp), 0);
	virusd_spool_free(&sp);
	buf_free(&err);
}

Test(virusd_scan, empty_message_is_clean)
{
	struct virusd_config c = defaults();
	char *path = vt_join(data, "empty");
	struct virusd_engine *e = engine(&c, db);
	struct virusd_result r;

	cr_assert_eq(vt_write(path, "", 0), 0);
	r = scan_with(&c, e, path, NULL);
	assert_status(&r, VIRUSD_CLEAN, "", "empty");
	c.memory_size = 0;
	r = scan_with(&c, e, path, NULL);
	assert_status(&r, VIRUSD_CLEAN, "", "empty, file");
	virusd_engine_release(&e);
	free(path);
}

Test(virusd_scan, database_errors)
{
	struct virusd_config c = defaults();
	struct virusd_limits lim = { .max_scan_size = 1 << 20,
		.max_file_size = 1 << 20, .max_recursion = 4, .max_files = 10,
		.max_scan_time = 1000 };
	char *dir = vt_tmpdir();
	char *bad = vt_join(dir, "bad.ndb");
	struct buf *err = buf_new(128, 4096);

	(void)c;
	cr_assert_null(virusd_engine_new(dir, &lim, err));
	cr_assert_not_null(strstr(buf_cstr(err), dir), "%s", buf_cstr(err));
	buf_reset(err);
	cr_assert_null(virusd_engine_new("/nonexistent", &lim, err));
	cr_assert_gt(err->len, 0);
	buf_reset(err);
	cr_assert_eq(vt_write(bad, "Broken:0:*:zz\n", 14), 0);
	cr_assert_null(virusd_engine_new(dir, &lim, err));
	cr_assert_gt(err->len, 0);
	buf_free(&err);
	free(bad);
	vt_rmdir(&dir);
}

/* A reload swaps the engine; a scan holding the old one finishes on
 * it, new scans use the new one. */
Test(virusd_scan, slot_swap_keeps_held_engine)
{
	struct virusd_config c = defaults();
	char *dir = vt_tmpdir();
	char *hdb = vt_join(db, "tessera-test.hdb");
	char *dst = vt_join(dir, "only.hdb");
	char *nl = vt_join(data, "eicar-nl.txt");
	struct virusd_engine_slot *slot;
	struct virusd_engine *held, *now;
	struct virusd_result r;

	cr_assert_eq(vt_copy(hdb, dst), 0);
	slot = virusd_engine_slot_new(engine(&c, dir));
	held = virusd_engine_slot_get(slot);
	r = scan_with(&c, held, nl, NULL);
	assert_status(&r, VIRUSD_CLEAN, "", "hash-only engine");
	virusd_engine_slot_swap(slot, engine(&c, db));
	r = scan_with(&c, held, nl, NULL);
	assert_status(&r, VIRUSD_CLEAN, "", "old engine after swap");
	now = virusd_engine_slot_get(slot);
	r = scan_with(&c, now, nl, NULL);
	assert_infected(&r, EICAR_SIG, "new engine");
	virusd_engine_release(&held);
	virusd_engine_release(&now);
	virusd_engine_slot_free(&slot);
	free(hdb);
	free(dst);
	free(nl);
	vt_rmdir(&dir);
}

/* ---- verdicts ---------------------------------------------------------- */

static struct virusd_decision
decide(const struct virusd_config *c, enum virusd_status st,
    const char *name)
{
	struct virusd_result r = { .status = st };
	struct virusd_decision d;

	(void)str_copy(r.name, sizeof(r.name), name);
	virusd_verdict_decide(c, &r, &d);
	return d;
}

Test(virusd_verdict, clean_gets_the_header)
{
	struct virusd_config c = defaults();
	struct virusd_decision d = decide(&c, VIRUSD_CLEAN, "");

	cr_assert_eq(d.verdict, VIRUSD_VERDICT_ACCEPT);
	cr_assert_str_eq(d.header_name, "X-Virus-Scanned");
	cr_assert_str_eq(d.header_value, "tessera-virusd");
	c.scanned_header = (char *)"";
	d = decide(&c, VIRUSD_CLEAN, "");
	cr_assert_str_eq(d.header_name, "");
}

Test(virusd_verdict, infected_reject_or_quarantine)
{
	struct virusd_config c = defaults();
	struct virusd_decision d = decide(&c, VIRUSD_INFECTED, "Eicar.X");

	cr_assert_eq(d.verdict, VIRUSD_VERDICT_REJECT);
	cr_assert_str_eq(d.code, "554");
	cr_assert_str_eq(d.xcode, "5.7.1");
	cr_assert_str_eq(d.text, "Virus found: Eicar.X");
	cr_assert_str_eq(d.header_name, "");
	c.action = VIRUSD_ACTION_QUARANTINE;
	d = decide(&c, VIRUSD_INFECTED, "Eicar.X");
	cr_assert_eq(d.verdict, VIRUSD_VERDICT_QUARANTINE);
	cr_assert_str_eq(d.reason, "virus Eicar.X");
	cr_assert_str_eq(d.header_name, "X-Virus-Status");
	cr_assert_str_eq(d.header_value, "infected; signature=Eicar.X");
}

Test(virusd_verdict, names_are_reduced_to_a_safe_alphabet)
{
	struct virusd_config c = defaults();
	struct virusd_decision d = decide(&c, VIRUSD_INFECTED,
	    "Evil%s\r\n554 x");

	cr_assert_str_eq(d.text, "Virus found: Evil_s__554_x");
}

Test(virusd_verdict, limits_follow_exceed_action)
{
	struct virusd_config c = defaults();
	struct virusd_decision d = decide(&c, VIRUSD_EXCEEDED,
	    "max_recursion");

	cr_assert_eq(d.verdict, VIRUSD_VERDICT_ACCEPT);
	cr_assert_str_eq(d.header_name, "X-Virus-Status");
	cr_assert_str_eq(d.header_value, "unscanned; limit=max_recursion");
	c.exceed_action = VIRUSD_FALLBACK_TEMPFAIL;
	d = decide(&c, VIRUSD_EXCEEDED, "max_scan_size");
	cr_assert_eq(d.verdict, VIRUSD_VERDICT_TEMPFAIL);
	cr_assert_str_eq(d.code, "451");
	cr_assert_str_eq(d.xcode, "4.7.1");
	cr_assert_not_null(strstr(d.text, "max_scan_size"));
	c.exceed_action = VIRUSD_FALLBACK_REJECT;
	d = decide(&c, VIRUSD_EXCEEDED, "max_files");
	cr_assert_eq(d.verdict, VIRUSD_VERDICT_REJECT);
	cr_assert_str_eq(d.code, "554");
	cr_assert_str_eq(d.xcode, "5.7.1");
	cr_assert_not_null(strstr(d.text, "max_files"));
}

Test(virusd_verdict, errors_follow_error_action)
{
	struct virusd_config c = defaults();
	struct virusd_decision d = decide(&c, VIRUSD_ERROR, "CL_EMEM detail");

	cr_assert_eq(d.verdict, VIRUSD_VERDICT_TEMPFAIL);
	cr_assert_str_eq(d.code, "451");
	/* the cause stays in the log, not in the reply */
	cr_assert_null(strstr(d.text, "CL_EMEM"));
	c.error_action = VIRUSD_FALLBACK_ACCEPT;
	d = decide(&c, VIRUSD_ERROR, "x");
	cr_assert_eq(d.verdict, VIRUSD_VERDICT_ACCEPT);
	cr_assert_str_eq(d.header_value, "unscanned; error");
	c.error_action = VIRUSD_FALLBACK_REJECT;
	d = decide(&c, VIRUSD_ERROR, "x");
	cr_assert_eq(d.verdict, VIRUSD_VERDICT_REJECT);
	cr_assert_str_eq(d.code, "554");
}
