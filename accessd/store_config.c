/*
 * accessd/store_config.c - the [accessd.store] section of tessera.conf.
 *
 * Runs in the master while it reads its configuration. The table is the
 * reference for the [accessd.store] part of docs/tessera.conf.5
 * (tests/unit/accessd/store_config_test.c checks every key is there).
 */
#include "config.h"

#include "lib/buf.h"
#include "lib/cfg.h"
#include "accessd/store_config.h"
#include "lib/banned.h"

#define T struct store_config
static const struct cfg_key store_keys[] = {
	CFG_STRING(T, mail_root, "mail_root", "/var/lib/tessera/mail",
	    "directory holding the mailboxes, <mail_root>/<xx>/<id>/"),
	CFG_SIZE(T, message_size_max, "message_size_max", "64M", "1k", "2G",
	    "largest message the store accepts (delivery, APPEND)"),
	CFG_INT(T, folder_name_max, "folder_name_max", "200", "16", "1000",
	    "bytes of a folder name (UTF-8, all levels)"),
	CFG_INT(T, folder_depth_max, "folder_depth_max", "16", "1", "64",
	    "levels of a folder name"),
	CFG_INT(T, folders_max, "folders_max", "1000", "6", "100000",
	    "folders of one mailbox, INBOX and the special-use ones included"),
	CFG_SIZE(T, index_record_max, "index_record_max", "256k", "4k", "16M",
	    "bytes of one index record (bounds the cached envelope and body "
	    "structure of a message)"),
	CFG_INT(T, keywords_max, "keywords_max", "1024", "0", "65535",
	    "bytes of the keywords of one message"),
	CFG_BOOL(T, fsync, "fsync", "yes",
	    "fsync messages, index and directories on delivery"),
};
#undef T

static int
store_config_check(void *data, const char *instance, struct buf *msg)
{
	const struct store_config *s = data;

	if (s->mail_root[0] != '/') {
		buf_printf(msg, "mail_root must be an absolute path");
		return -1;
	}
	return 0;
}

const struct cfg_section_def store_config_def = CFG_SECTION("accessd.store",
    struct store_config, store_keys, store_config_check,
    "the mail store: mailbox location and limits");

void
store_config_limits(const struct cfg *c, struct store_limits *lim,
    const char **mail_root_out)
{
	const struct store_config *s = cfg_get(c, "accessd.store");

	store_limits_defaults(lim);
	lim->message_size_max = s->message_size_max;
	lim->folder_name_max = (size_t)s->folder_name_max;
	lim->folder_depth_max = (unsigned)s->folder_depth_max;
	lim->folders_max = (unsigned)s->folders_max;
	lim->index_record_max = (size_t)s->index_record_max;
	lim->keywords_max = (size_t)s->keywords_max;
	lim->fsync = s->fsync;
	if (mail_root_out != NULL)
		*mail_root_out = s->mail_root;
}
