/*
 * mtad/queue_id.c - queue ids (lib/uid.h ids) and queue file names.
 *
 * Pure functions; names read from a queue directory are untrusted in the
 * sense that anything may have been dropped there, so classification is
 * exact and anything else is QUEUE_NAME_OTHER.
 */
#include "config.h"

#include <string.h>

#include "lib/str.h"
#include "mtad/queue_id.h"
#include "lib/banned.h"

void
queue_id_new(char out[QUEUE_ID_MAX])
{
	uid_new(out);
}

bool
queue_id_is_valid(const char *s)
{
	uint64_t us;

	return uid_time(s, &us) == 0;
}

int
queue_id_time(const char *id, uint64_t *us_out)
{
	return uid_time(id, us_out);
}

enum queue_name_kind
queue_name_classify(const char *name, char id_out[QUEUE_ID_MAX])
{
	char id[QUEUE_ID_MAX];
	const char *rest;
	enum queue_name_kind k;

	if (strlen(name) < QUEUE_ID_LEN)
		return QUEUE_NAME_OTHER;
	memcpy(id, name, QUEUE_ID_LEN);
	id[QUEUE_ID_LEN] = '\0';
	if (!queue_id_is_valid(id))
		return QUEUE_NAME_OTHER;
	rest = name + QUEUE_ID_LEN;
	if (*rest == '\0')
		k = QUEUE_NAME_MESSAGE;
	else if (strcmp(rest, ".state") == 0)
		k = QUEUE_NAME_STATE;
	else if (strcmp(rest, ".tmp") == 0 || strcmp(rest, ".r.tmp") == 0 ||
	    strcmp(rest, ".m.tmp") == 0)
		k = QUEUE_NAME_TEMP;
	else
		return QUEUE_NAME_OTHER;
	if (id_out != NULL)
		memcpy(id_out, id, QUEUE_ID_MAX);
	return k;
}
