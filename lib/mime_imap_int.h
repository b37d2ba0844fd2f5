/*
 * lib/mime_imap_int.h - helpers shared by the ENVELOPE and BODYSTRUCTURE
 * writers (lib/mime_imap*.c, lib/mime_envelope.c, lib/mime_bodystructure.c).
 */
#ifndef LIB_MIME_IMAP_INT_H
#define LIB_MIME_IMAP_INT_H

struct buf;

/* s upper-cased (ASCII) as an IMAP string. 0 or -1. */
int mime_imap_upper(struct buf *out, const char *s);

#endif
