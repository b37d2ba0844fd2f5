/*
 * accessd/store_config.h - the [accessd.store] section of tessera.conf:
 * where mailboxes live and the store's limits.
 *
 * Read by accessd's master and `tessera` before privileges are dropped;
 * session processes inherit the filled struct store_limits.
 */
#ifndef ACCESSD_STORE_CONFIG_H
#define ACCESSD_STORE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/cfg.h"
#include "accessd/store.h"

struct store_config {
	char *mail_root;
	uint64_t message_size_max;
	int64_t folder_name_max;
	int64_t folder_depth_max;
	int64_t folders_max;
	uint64_t index_record_max;
	int64_t keywords_max;
	bool fsync;
};

/* The [accessd.store] section definition (for cfg_new). Its check
 * refuses a mail_root that is not an absolute path. */
extern const struct cfg_section_def store_config_def;

/* The limits of the [accessd.store] section of c into lim; the mail root
 * (borrowed from c) into *mail_root_out (optional). */
void store_config_limits(const struct cfg *c, struct store_limits *lim,
    const char **mail_root_out);

#endif
