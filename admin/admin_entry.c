/*
 * admin/admin_entry.c - entries as the platform reads them, and shared
 * option parsing of the tessera command.
 *
 * Runs in the tessera command; entries come from the directory (trusted
 * to be well-formed LDAP, not to hold sensible values).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "directory/dir_escape.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "admin/admin.h"
#include "admin/admin_entry.h"
#include "admin/admin_ldap.h"
#include "admin/admin_unique.h"
#include "lib/banned.h"

enum dir_kind
admin_entry_kind(const struct admin *a, const struct admin_entry *e)
{
	const struct dir_profile *p = a->prof;

	if (p->class_alias != NULL && admin_entry_has_class(e, p->class_alias))
		return DIR_KIND_ALIAS;
	if (admin_entry_has_class(e, p->class_group))
		return DIR_KIND_GROUP;
	if (admin_entry_has_class(e, p->class_user) &&
	    (p->class_mailbox == NULL ||
	    admin_entry_has_class(e, p->class_mailbox)))
		return DIR_KIND_USER;
	return DIR_KIND_CONTACT;
}

const char *
admin_entry_address(const struct admin *a, const struct admin_entry *e)
{
	const char *v = admin_entry_value(e, a->prof->attr_mail);

	if (v == NULL && a->prof->attr_alt_address != NULL)
		v = admin_entry_value(e, a->prof->attr_alt_address);
	return v;
}

char **
admin_entry_addresses(const struct admin *a, const struct admin_entry *e,
    struct pool *pool, size_t *n_out)
{
	size_t nm = 0, na = 0, n = 0;
	char **m = admin_entry_values(e, a->prof->attr_mail, &nm);
	char **alt = a->prof->attr_alt_address != NULL ?
	    admin_entry_values(e, a->prof->attr_alt_address, &na) : NULL;
	char **v = pool_alloc(pool, (nm + na + 1) * sizeof(*v));

	for (size_t i = 0; i < nm; i++)
		v[n++] = m[i];
	for (size_t i = 0; i < na; i++) {
		bool dup = false;

		for (size_t j = 0; j < n; j++)
			dup = dup || str_eq_ci(v[j], alt[i]);
		if (!dup)
			v[n++] = alt[i];
	}
	*n_out = n;
	return v;
}

enum dir_state
admin_entry_state(const struct admin *a, const struct admin_entry *e)
{
	const char *s = admin_entry_value(e, a->prof->attr_state);

	if (s == NULL || str_eq_ci(s, "active"))
		return DIR_STATE_ACTIVE;
	if (str_eq_ci(s, "receive-only"))
		return DIR_STATE_RECEIVE_ONLY;
	return DIR_STATE_DISABLED;
}

struct sort_item {
	const char *key;
	struct admin_entry *e;
};

static int
cmp_items(const void *x, const void *y)
{
	const struct sort_item *a = x, *b = y;
	int c = strcasecmp(a->key, b->key);

	return c != 0 ? c : strcasecmp(a->e->dn, b->e->dn);
}

void
admin_entries_sort(const struct admin *a, struct admin_entry **v, size_t n)
{
	struct sort_item *items;

	if (n < 2)
		return;
	items = xcalloc(n, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		const char *k = admin_entry_address(a, v[i]);

		items[i] = (struct sort_item){ k != NULL ? k : "", v[i] };
	}
	qsort(items, n, sizeof(*items), cmp_items);
	for (size_t i = 0; i < n; i++)
		v[i] = items[i].e;
	free(items);
}

int
admin_find_kind(struct admin *a, const char *address, enum dir_kind want,
    struct pool *pool, struct admin_entry **out)
{
	int rc = admin_find(a, address, pool, out);
	enum dir_kind k;

	if (rc != ADMIN_OK)
		return rc;
	k = admin_entry_kind(a, *out);
	if (k != want)
		return admin_fail(a, ADMIN_EX_DATAERR, "%s is %s %s (%s), not"
		    " %s %s", address, k == DIR_KIND_ALIAS ? "an" : "a",
		    dir_kind_name(k), (*out)->dn, want == DIR_KIND_ALIAS ?
		    "an" : "a", dir_kind_name(want));
	return ADMIN_OK;
}

int
admin_opt(struct admin *a, int argc, char **argv, int *i, const char *name,
    const char **out)
{
	size_t len = strlen(name);

	if (strncmp(argv[*i], name, len) != 0)
		return 0;
	if (argv[*i][len] == '=') {
		*out = argv[*i] + len + 1;
		(*i)++;
		return 1;
	}
	if (argv[*i][len] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		admin_fail(a, ADMIN_EX_USAGE, "%s needs a value", name);
		return -1;
	}
	*out = argv[*i + 1];
	*i += 2;
	return 1;
}

char *
admin_dn(struct pool *pool, const char *attr, const char *value,
    const char *base)
{
	struct buf *b = buf_new(128, 8192);
	char *dn = NULL;

	if (buf_printf(b, "%s=", attr) == 0 &&
	    dir_escape_dn(b, value, strlen(value)) == 0 &&
	    buf_printf(b, ",%s", base) == 0)
		dn = pool_strdup(pool, buf_cstr(b));
	buf_free(&b);
	ASSERT(dn != NULL);
	return dn;
}

int
admin_groups_of(struct admin *a, const char *dn, struct pool *pool,
    struct admin_entry ***out, size_t *n_out)
{
	static const char *const attrs[] = { "*", "entryUUID", NULL };
	char *tmpl = pool_printf(pool, "(&(objectClass=%s)(%s=%%s))",
	    a->prof->class_group, a->prof->attr_member);
	char *filter = admin_filter(pool, tmpl, dn);

	if (filter == NULL)
		return admin_fail(a, ADMIN_EX_SOFTWARE, "cannot build a filter"
		    " for %s", dn);
	if (admin_ldap_search(a->ldap, a->base_dn, LDAP_SCOPE_SUBTREE, filter,
	    attrs, 0, pool, out, n_out, NULL) == -1)
		return admin_fail(a, admin_ldap_exit_code(a->ldap->last_rc),
		    "%s", a->ldap->last_error);
	return ADMIN_OK;
}
