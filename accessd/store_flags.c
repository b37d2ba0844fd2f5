/*
 * accessd/store_flags.c - flags and modification sequences: STORE
 * (+FLAGS, -FLAGS, FLAGS, with CONDSTORE's UNCHANGEDSINCE), EXPUNGE and
 * UID EXPUNGE.
 *
 * Runs in session processes. Each change is one index record with a new
 * modseq, written under the folder lock; other sessions learn of it by
 * syncing (store_folder_sync, store_notify.c).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "accessd/store_int.h"
#include "lib/banned.h"

/* Whether the word w[wl] is one of the words of list. */
static bool
has_word(const char *list, const char *w, size_t wl)
{
	for (const char *p = list; *p != '\0';) {
		size_t l = strcspn(p, " ");

		if (l == wl && strncasecmp(p, w, wl) == 0)
			return true;
		p += l;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* Append the words of src to out, skipping those in skip (or, with
 * keep_only, keeping only those in it) and those already in out. */
static void
add_words(struct buf *out, const char *src, const char *filter, bool keep)
{
	for (const char *p = src; *p != '\0';) {
		size_t l = strcspn(p, " ");

		if (l > 0 && (filter == NULL || has_word(filter, p, l) == keep) &&
		    !has_word(buf_cstr(out), p, l)) {
			if (out->len > 0)
				buf_append_byte(out, ' ');
			buf_append(out, p, l);
		}
		p += l;
		while (*p == ' ')
			p++;
	}
}

/* The message's new keywords, NULL if they would be too long. */
static char *
kw_merge(const char *old, const char *kw, enum store_flag_mode mode,
    size_t max)
{
	struct buf *b = buf_new(64, max + 1);
	char *s;

	if (kw == NULL)
		add_words(b, mode == STORE_FLAGS_REPLACE ? "" : old, NULL, true);
	else if (mode == STORE_FLAGS_ADD) {
		add_words(b, old, NULL, true);
		add_words(b, kw, NULL, true);
	} else if (mode == STORE_FLAGS_REMOVE)
		add_words(b, old, kw, false);
	else
		add_words(b, kw, NULL, true);
	if (b->len > max) {
		buf_free(&b);
		return NULL;
	}
	s = buf_steal(b, NULL);
	buf_free(&b);
	return s;
}

enum store_result
store_set_flags(struct store_folder *f, const struct store_range *set,
    size_t n, enum store_flag_mode mode, uint32_t flags, const char *keywords,
    uint64_t unchangedsince, store_change_fn cb, void *arg, struct buf *err)
{
	enum store_result r;

	if ((flags & ~STORE_FLAG_ALL) != 0 || (keywords != NULL &&
	    !store_keywords_ok(keywords, strlen(keywords)))) {
		store_err(err, "bad flags or keywords");
		return STORE_INVALID;
	}
	if ((r = store_folder_lock(f, cb, arg, err)) != STORE_OK)
		return r;
	for (size_t s = 0; s < n && r == STORE_OK; s++) {
		for (size_t i = store_index_lower_bound(&f->idx, set[s].lo);
		    i < f->idx.n && f->idx.msgs[i].uid <= set[s].hi; i++) {
			const struct store_msg *m = &f->idx.msgs[i];
			uint32_t nf = mode == STORE_FLAGS_ADD ? m->flags | flags :
			    mode == STORE_FLAGS_REMOVE ? m->flags & ~flags : flags;
			char *nk;

			if (unchangedsince != 0 && m->modseq > unchangedsince) {
				if (cb != NULL)
					cb(arg, STORE_CHANGE_CONFLICT, m, i);
				continue;
			}
			nk = kw_merge(m->keywords, keywords, mode,
			    f->mb->lim.keywords_max);
			if (nk == NULL) {
				store_err(err, "keywords longer than %zu bytes",
				    f->mb->lim.keywords_max);
				r = STORE_LIMIT;
				break;
			}
			if (nf != m->flags || strcmp(nk, m->keywords) != 0)
				if (store_index_enc_flags(f->rec, m->uid, nf,
				    store_folder_next_modseq(f), nk) == -1) {
					store_err(err, "index record too large");
					r = STORE_LIMIT;
				}
			free(nk);
		}
	}
	if (r == STORE_OK)
		r = store_folder_commit(f, false, cb, arg, err);
	else
		buf_reset(f->rec);
	if (r == STORE_OK)
		store_folder_maybe_compact(f);
	store_folder_unlock(f);
	return r;
}

enum store_result
store_expunge_uids(struct store_folder *f, const struct store_range *set,
    size_t n, bool only_deleted, bool adjust_quota, store_change_fn cb,
    void *arg, struct buf *err)
{
	static const struct store_range all = { 1, UINT32_MAX };
	char **files = NULL;
	size_t nfiles = 0, cap = 0;
	uint64_t bytes = 0;
	char cur[STORE_PATH_MAX];
	bool *picked;
	enum store_result r;

	if (set == NULL) {
		set = &all;
		n = 1;
	}
	if ((r = store_folder_lock(f, cb, arg, err)) != STORE_OK)
		return r;
	picked = xcalloc(f->idx.n + 1, sizeof(*picked));
	for (size_t s = 0; s < n; s++)
		for (size_t i = store_index_lower_bound(&f->idx, set[s].lo);
		    i < f->idx.n && f->idx.msgs[i].uid <= set[s].hi; i++) {
			const struct store_msg *m = &f->idx.msgs[i];

			/* overlapping ranges: each message once */
			if ((only_deleted && !(m->flags & STORE_FLAG_DELETED)) ||
			    picked[i])
				continue;
			picked[i] = true;
			if (nfiles == cap) {
				cap = cap != 0 ? cap * 2 : 16;
				files = xreallocarray(files, cap, sizeof(*files));
			}
			files[nfiles++] = xstrdup(m->file);
			bytes += m->size;
			store_index_enc_expunge(f->rec, m->uid,
			    store_folder_next_modseq(f));
		}
	if (nfiles == 0)
		goto out;
	/* floors first: a rebuild after this must not hand out these UIDs
	 * again nor go below the modseqs given (store_rebuild.c) */
	{
		uint64_t hm = f->idx.highestmodseq;

		f->idx.highestmodseq = f->modseq_next - 1;
		r = store_folder_write_uidv(f, err);
		f->idx.highestmodseq = hm;
	}
	if (r != STORE_OK) {
		buf_reset(f->rec);
		goto out;
	}
	/* the records on disk before the files go, or a power loss could
	 * leave messages in the index whose files are gone */
	if ((r = store_folder_commit(f, true, cb, arg, err)) != STORE_OK)
		goto out;
	for (size_t i = 0; i < nfiles; i++) {
		char path[STORE_PATH_MAX];

		if (store_folder_path(f, "cur", files[i], path,
		    sizeof(path)) == 0 && unlink(path) == -1 && errno != ENOENT)
			log_warn_errno("store: cannot remove %s", path);
	}
	if (store_folder_path(f, NULL, "cur", cur, sizeof(cur)) == 0)
		store_fsync_dir(f->mb, cur);
	store_folder_maybe_compact(f);
out:
	store_folder_unlock(f);
	if (r == STORE_OK && nfiles > 0 && adjust_quota)
		store_quota_add(f->mb, -(int64_t)bytes, -(int64_t)nfiles, NULL);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	free(picked);
	return r;
}

enum store_result
store_expunge(struct store_folder *f, const struct store_range *set,
    size_t n, store_change_fn cb, void *arg, struct buf *err)
{
	return store_expunge_uids(f, set, n, true, true, cb, arg, err);
}
