/*
 * milters/spam/spam_file.h - messages from files for the offline
 * commands (learn, classify) and the benchmark: one message per file,
 * directories read one level deep in name order.
 */
#ifndef MILTERS_SPAM_SPAM_FILE_H
#define MILTERS_SPAM_SPAM_FILE_H

#include <stddef.h>

struct buf;

/* The first max bytes of the file at path (a longer file is cut: the
 * milter reads at most as much). Returns a buf, or NULL with *err_out
 * (static text, errno set). */
struct buf *spam_file_read(const char *path, size_t max, const char **err_out);

/* Call fn for path if it is a file, or for each regular file in it
 * (dot files skipped, name order) if it is a directory. Returns the
 * number of files given to fn, or -1 with *err_out if path cannot be
 * read. */
typedef void (*spam_file_fn)(void *arg, const char *path);
long spam_file_each(const char *path, spam_file_fn fn, void *arg,
    const char **err_out);

#endif
