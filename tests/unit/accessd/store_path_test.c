/*
 * tests/unit/accessd/store_path_test.c - mailbox ids, folder names and
 * their directory names, Maildir file names of ours and of others.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

Test(store_path, mailbox_ids)
{
	char a[3], b[3];
	char longid[STORE_ID_MAX + 2];

	cr_assert(store_id_ok("3f2a6c1e-9b7d-4e2f-8a1b-0c9d8e7f6a5b"));
	cr_assert(store_id_ok("AbC+/=x") == false);
	cr_assert_not(store_id_ok(""));
	cr_assert_not(store_id_ok(".hidden"));
	cr_assert_not(store_id_ok("../etc"));
	cr_assert_not(store_id_ok("a b"));
	memset(longid, 'a', sizeof(longid));
	longid[STORE_ID_MAX] = '\0';
	cr_assert(store_id_ok(longid));
	longid[STORE_ID_MAX] = 'a';
	longid[STORE_ID_MAX + 1] = '\0';
	cr_assert_not(store_id_ok(longid));
	store_id_fanout("user-1", a);
	store_id_fanout("user-1", b);
	cr_assert_str_eq(a, b);
	cr_assert_eq(strlen(a), 2);
	cr_assert(strspn(a, "0123456789abcdef") == 2);
}

static enum store_result
canon(const struct store_limits *lim, const char *name, char *out)
{
	return store_name_canon(lim, name, out, 4096, NULL);
}

Test(store_path, folder_names)
{
	struct store_limits lim;
	char c[4096];

	store_limits_defaults(&lim);
	cr_assert_eq(canon(&lim, "inbox", c), STORE_OK);
	cr_assert_str_eq(c, "INBOX");
	cr_assert_eq(canon(&lim, "InBox/Sub", c), STORE_OK);
	cr_assert_str_eq(c, "INBOX/Sub");
	cr_assert_eq(canon(&lim, "INBOXES", c), STORE_OK);
	cr_assert_str_eq(c, "INBOXES");
	cr_assert_eq(canon(&lim, "Projekte/Übersicht 2026", c), STORE_OK);
	cr_assert_eq(canon(&lim, "日本語", c), STORE_OK);
	cr_assert_eq(canon(&lim, "", c), STORE_INVALID);
	cr_assert_eq(canon(&lim, "/a", c), STORE_INVALID);
	cr_assert_eq(canon(&lim, "a/", c), STORE_INVALID);
	cr_assert_eq(canon(&lim, "a//b", c), STORE_INVALID);
	cr_assert_eq(canon(&lim, "a%b", c), STORE_INVALID);
	cr_assert_eq(canon(&lim, "a*b", c), STORE_INVALID);
	cr_assert_eq(canon(&lim, "a\tb", c), STORE_INVALID);
	cr_assert_eq(canon(&lim, "a\x7f", c), STORE_INVALID);
	cr_assert_eq(canon(&lim, "\xc3(", c), STORE_INVALID);	/* bad UTF-8 */
	cr_assert_eq(canon(&lim, "\xc0\xaf", c), STORE_INVALID); /* overlong */
	cr_assert_eq(canon(&lim, "\xed\xa0\x80", c), STORE_INVALID); /* surrogate */
}

Test(store_path, name_length_and_depth_limits)
{
	struct store_limits lim;
	char c[4096], name[64];

	store_limits_defaults(&lim);
	lim.folder_name_max = 10;
	lim.folder_depth_max = 3;
	memset(name, 'x', sizeof(name));
	name[9] = '\0';
	cr_assert_eq(canon(&lim, name, c), STORE_OK);	/* max - 1 */
	name[9] = 'x';
	name[10] = '\0';
	cr_assert_eq(canon(&lim, name, c), STORE_OK);	/* max */
	name[10] = 'x';
	name[11] = '\0';
	cr_assert_eq(canon(&lim, name, c), STORE_LIMIT);	/* max + 1 */
	cr_assert_eq(canon(&lim, "a/b", c), STORE_OK);
	cr_assert_eq(canon(&lim, "a/b/c", c), STORE_OK);
	cr_assert_eq(canon(&lim, "a/b/c/d", c), STORE_LIMIT);
}

Test(store_path, directory_names_round_trip)
{
	static const char *const names[] = { "Sent", "a/b/c", "v1.2/x.y",
		"INBOX/Sub", "Ünïcödé/.hidden", "%" };
	char d[4096], back[4096];

	cr_assert_eq(store_name_to_dir("INBOX", d, sizeof(d)), 0);
	cr_assert_str_eq(d, "");
	cr_assert_eq(store_name_to_dir("v1.2/x.y", d, sizeof(d)), 0);
	cr_assert_str_eq(d, ".v1%2E2.x%2Ey");
	for (size_t i = 0; i < 5; i++) {
		cr_assert_eq(store_name_to_dir(names[i], d, sizeof(d)), 0);
		cr_assert_eq(store_dir_to_name(d, back, sizeof(back)), 0);
		cr_assert_str_eq(back, names[i]);
	}
	/* directories we never make */
	cr_assert_eq(store_dir_to_name(".", back, sizeof(back)), -1);
	cr_assert_eq(store_dir_to_name("..", back, sizeof(back)), -1);
	cr_assert_eq(store_dir_to_name("..deleted.x", back, sizeof(back)), -1);
	cr_assert_eq(store_dir_to_name(".a..b", back, sizeof(back)), -1);
	cr_assert_eq(store_dir_to_name(".a.", back, sizeof(back)), -1);
	cr_assert_eq(store_dir_to_name(".a%41", back, sizeof(back)), -1);
	cr_assert_eq(store_dir_to_name("cur", back, sizeof(back)), -1);
}

Test(store_path, special_use)
{
	cr_assert_eq(store_name_special("Sent"), STORE_SPECIAL_SENT);
	cr_assert_eq(store_name_special("Junk"), STORE_SPECIAL_JUNK);
	cr_assert_eq(store_name_special("Work/Sent"), STORE_SPECIAL_NONE);
	cr_assert_str_eq(store_special_name(STORE_SPECIAL_ARCHIVE), "\\Archive");
	cr_assert_null(store_special_name(STORE_SPECIAL_NONE));
}

Test(store_path, file_names_of_ours)
{
	struct store_fname fn;
	char name[512];

	cr_assert_eq(store_fname_make("1700000000.M1P2Q3.host", 42, 1234,
	    STORE_FLAG_SEEN | STORE_FLAG_FLAGGED, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "1700000000.M1P2Q3.host,U=42,S=1234:2,FS");
	cr_assert_eq(store_fname_parse(name, &fn), 0);
	cr_assert_eq(fn.uid, 42);
	cr_assert_eq(fn.size, 1234);
	cr_assert(fn.have_size);
	cr_assert_eq(fn.flags, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	cr_assert_eq(store_fname_parse("x,U=7", &fn), 0);
	cr_assert_eq(fn.uid, 7);
	cr_assert_not(fn.have_size);
	cr_assert_eq(store_fname_parse("x,U=7,W=99,S=5:2,a", &fn), 0);
	cr_assert_eq(fn.size, 5);
}

Test(store_path, hostile_file_names)
{
	static const char *const bad[] = {
		"", "plain", ".hidden,U=1", ",U=1", "x,U=", "x,U=0",
		"x,U=-1", "x,U=4294967295", "x,U=99999999999", "x,U=1:1,S",
		"x,U=1:2,S!", "x,U=1,S=abc", "x:2,S,U=1", "a/b,U=1",
		"x,U=1\n",
	};
	struct store_fname fn;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(store_fname_parse(bad[i], &fn), -1, "%s", bad[i]);
}
