/*
 * accessd/imapd_search.c - SEARCH (stub while being written).
 */
#include "config.h"

#include "accessd/imapd.h"
#include "lib/banned.h"

void
imapd_cmd_search(struct imapd *d, struct imap_cmd *c)
{
	imapd_tagged(d, c->tag, "NO", "SEARCH not yet");
}
