/*
 * lib/msg_addr.h - RFC 5322 address lists (From, To, Cc, Sender, ...).
 *
 * Groups, display names, quoted strings, comments and the obsolete forms
 * of RFC 5322 section 4.4 (routes, CFWS around dots) are accepted; an
 * address that cannot be read is skipped up to the next comma, so a
 * malformed header yields what can be recovered. The shape follows the
 * IMAP ENVELOPE address structure (RFC 3501 section 7.4.2).
 */
#ifndef LIB_MSG_ADDR_H
#define LIB_MSG_ADDR_H

#include <stddef.h>

struct pool;

enum msg_addr_kind {
	MSG_ADDR_MAILBOX,	/* name, route, mailbox, host */
	MSG_ADDR_GROUP_START,	/* mailbox holds the group's display name */
	MSG_ADDR_GROUP_END,	/* no fields */
};

struct msg_addr {
	enum msg_addr_kind kind;
	char *name;	/* display name (or the comment when there is none),
			 * quotes removed, encoded-words left as they are;
			 * NULL when absent */
	char *route;	/* obs-route "@a,@b" or NULL */
	char *mailbox;	/* local part; NULL for a group end */
	char *host;	/* domain ("" when missing); NULL for groups */
	struct msg_addr *next;
};

/* Parse the unfolded value of an address header (len bytes at s; NULs are
 * treated as spaces). Returns the list (allocated in pool, NULL if no
 * address could be read); *count_out (optional) receives its length,
 * group markers included. At most max entries are returned. */
struct msg_addr *msg_addr_parse(struct pool *pool, const char *s, size_t len,
    size_t max, size_t *count_out);

/* "mailbox@host" of a mailbox entry, allocated in pool. */
char *msg_addr_spec(struct pool *pool, const struct msg_addr *a);

#endif
