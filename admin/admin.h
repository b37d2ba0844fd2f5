/*
 * admin/admin.h - what the files of the tessera command share: its state,
 * its exit codes and the verb handlers the dispatcher calls.
 *
 * The tessera command is run by an administrator (a helpdesk); it reads
 * tessera.conf, binds to the directory as [admin] bind_dn and changes
 * users, aliases, groups and domains. Arguments come from a person and
 * are validated before anything reaches the directory.
 */
#ifndef ADMIN_ADMIN_H
#define ADMIN_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cfg.h"
#include "directory/dir.h"
#include "directory/dir_profile.h"
#include "admin/admin_config.h"

struct admin_ldap;
struct admin_out;
struct pool;

/* Exit codes (sysexits.h numbers; docs/tessera.1 lists them). */
enum admin_exit {
	ADMIN_OK = 0,
	ADMIN_EX_USAGE = 64,		/* bad command line */
	ADMIN_EX_DATAERR = 65,		/* invalid address, size, name ... */
	ADMIN_EX_NOINPUT = 66,		/* a password file cannot be read */
	ADMIN_EX_NOTFOUND = 67,		/* no such address, group, domain */
	ADMIN_EX_UNAVAILABLE = 69,	/* not supported with this profile */
	ADMIN_EX_SOFTWARE = 70,		/* internal error, rollback failed */
	ADMIN_EX_EXISTS = 73,		/* already exists / already owned */
	ADMIN_EX_TEMPFAIL = 75,		/* directory unreachable or busy */
	ADMIN_EX_NOPERM = 77,		/* the directory refused the change */
	ADMIN_EX_CONFIG = 78,		/* tessera.conf is wrong */
};

/* The command's state, one per run. */
struct admin {
	struct pool *pool;
	struct cfg_section_def defs[ADMIN_CONFIG_SECTIONS];
	struct cfg *cfg;
	const char *config_path;
	const struct admin_config *conf;	/* [admin] */
	struct dir_settings dirs;		/* [directory] */
	struct dir_profile *prof;
	const char *base_dn;
	const char *user_base;
	const char *group_base;
	const char *alias_base;
	const char *domain_base;
	bool json;
	const char *verb;			/* "user add", for messages */
	struct admin_ldap *ldap;		/* opened by admin_connect */
	struct admin_out *out;
};

/* Print "tessera: VERB: message" on stderr and return code. */
int admin_fail(struct admin *a, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Open the admin connection (a->ldap) unless open. ADMIN_OK or an exit
 * code after a message (75 when no server answered). */
int admin_connect(struct admin *a);
/* Writes need the openldap profile and an [admin] bind_dn: ADMIN_OK or
 * an exit code after a message. */
int admin_require_writable(struct admin *a);

/* Read a password from path ("-": stdin): the first line without its
 * line end, at most a->conf->password_max bytes, not empty. *pw_out is
 * allocated in a secret pool the caller frees (pool_free wipes it).
 * ADMIN_OK, ADMIN_EX_NOINPUT (cannot read) or ADMIN_EX_DATAERR. */
int admin_read_password(struct admin *a, const char *path,
    struct pool *secret, char **pw_out, size_t *len_out);

/* After a failed step of t (the error is in a->ldap): print it, undo
 * the steps done, say what was undone or exactly what is left; returns
 * the step's exit code, or 70 when the rollback failed. */
struct admin_txn;
int admin_txn_fail(struct admin *a, struct admin_txn *t);
/* Remove member dn from group g as a step of t (the last member is
 * replaced by the empty-DN placeholder). 0, or -1 with the error in
 * a->ldap. */
struct admin_entry;
int admin_group_drop_member(struct admin *a, struct admin_txn *t,
    const struct admin_entry *g, const char *dn);
/* A listing of n entries stopped early (truncated): warn on stderr,
 * naming [admin] list_max or, when fewer entries came, the server's own
 * size limit. */
void admin_list_truncated(struct admin *a, bool truncated, size_t n);

/* Verb handlers: argv starts after the noun and verb; each returns an
 * exit code and prints its own messages. */
typedef int (*admin_verb_fn)(struct admin *a, int argc, char **argv);

int admin_user_add(struct admin *a, int argc, char **argv);
int admin_user_show(struct admin *a, int argc, char **argv);
int admin_user_disable(struct admin *a, int argc, char **argv);
int admin_user_enable(struct admin *a, int argc, char **argv);
int admin_user_receive_only(struct admin *a, int argc, char **argv);
int admin_user_delete(struct admin *a, int argc, char **argv);
int admin_user_passwd(struct admin *a, int argc, char **argv);
int admin_user_set_quota(struct admin *a, int argc, char **argv);
int admin_user_list(struct admin *a, int argc, char **argv);

int admin_alias_add(struct admin *a, int argc, char **argv);
int admin_alias_remove(struct admin *a, int argc, char **argv);
int admin_alias_list(struct admin *a, int argc, char **argv);

int admin_group_create(struct admin *a, int argc, char **argv);
int admin_group_add_member(struct admin *a, int argc, char **argv);
int admin_group_remove_member(struct admin *a, int argc, char **argv);
int admin_group_show(struct admin *a, int argc, char **argv);
int admin_group_set_senders(struct admin *a, int argc, char **argv);

int admin_domain_add(struct admin *a, int argc, char **argv);
int admin_domain_list(struct admin *a, int argc, char **argv);

int admin_lookup(struct admin *a, int argc, char **argv);
int admin_queue_list(struct admin *a, int argc, char **argv);
int admin_queue_show(struct admin *a, int argc, char **argv);
int admin_queue_flush(struct admin *a, int argc, char **argv);
int admin_queue_hold(struct admin *a, int argc, char **argv);
int admin_queue_release(struct admin *a, int argc, char **argv);
int admin_queue_delete(struct admin *a, int argc, char **argv);
int admin_queue_requeue(struct admin *a, int argc, char **argv);
/* Open mtad's queue of this configuration without creating it: ADMIN_OK
 * with *qp, or an exit code after a message. */
struct queue;
int admin_queue_open(struct admin *a, struct queue **qp);
int admin_mailbox_recalc(struct admin *a, int argc, char **argv);

#endif
