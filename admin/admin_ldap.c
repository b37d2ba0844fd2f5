/*
 * admin/admin_ldap.c - the tessera command's LDAP connection, its
 * operations and the rollback of multi-step changes.
 *
 * Runs in the tessera command, bound as the [admin] DN. Values reach the
 * server as attribute values of add/modify requests (never as text of a
 * filter); filters and DNs are built by the callers with dir_escape.
 */
#include "config.h"

#include <lber.h>
#include <ldap.h>
#include <string.h>
#include <sys/time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "directory/dir.h"
#include "admin/admin.h"
#include "admin/admin_ldap.h"
#include "lib/banned.h"

static struct timeval
ms_tv(uint64_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
		.tv_usec = (suseconds_t)((ms % 1000) * 1000) };

	return tv;
}

static void
fail(struct admin_ldap *l, const char *uri, const char *what, int rc)
{
	char *diag = NULL;

	if (l->ld != NULL)
		ldap_get_option(l->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	l->last_rc = rc;
	if (diag != NULL && *diag != '\0')
		l->last_error = pool_printf(l->pool, "%s: %s: %s (%s)", uri,
		    what, ldap_err2string(rc), diag);
	else
		l->last_error = pool_printf(l->pool, "%s: %s: %s", uri, what,
		    ldap_err2string(rc));
	ldap_memfree(diag);
}

static int
set_options(const struct dir_settings *s, LDAP *ld)
{
	int v3 = LDAP_VERSION3, zero = 0;
	int reqcert = s->tls_verify ? LDAP_OPT_X_TLS_DEMAND :
	    LDAP_OPT_X_TLS_NEVER;
	struct timeval ntv = ms_tv(s->connect_timeout_ms);
	struct timeval otv = ms_tv(s->op_timeout_ms);
	int rc;

	if ((rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3)) != 0 ||
	    (rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) != 0 ||
	    (rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &ntv)) != 0 ||
	    (rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &otv)) != 0 ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT,
	    &reqcert)) != 0)
		return rc;
	if (s->ca_file != NULL && (rc = ldap_set_option(ld,
	    LDAP_OPT_X_TLS_CACERTFILE, s->ca_file)) != 0)
		return rc;
	return ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
}

/* Connect and bind to uri: 0, or -1 with last_error. */
static int
open_one(struct admin_ldap *l, const struct dir_settings *s, const char *uri,
    const char *dn, const char *pw, size_t pw_len)
{
	struct berval cred = { .bv_len = pw_len, .bv_val = (char *)pw };
	const char *what = "initialize";
	int rc;

	rc = ldap_initialize(&l->ld, uri);
	if (rc == LDAP_SUCCESS) {
		what = "set options";
		rc = set_options(s, l->ld);
	}
	if (rc == LDAP_SUCCESS) {
		what = "connect";
		rc = ldap_connect(l->ld);
	}
	if (rc == LDAP_SUCCESS && s->starttls && !str_prefix_ci(uri, "ldaps:")) {
		what = "StartTLS";
		rc = ldap_start_tls_s(l->ld, NULL, NULL);
		l->operations++;
	}
	if (rc == LDAP_SUCCESS && dn != NULL) {
		what = pool_printf(l->pool, "bind as %s", dn);
		rc = ldap_sasl_bind_s(l->ld, dn, LDAP_SASL_SIMPLE, &cred, NULL,
		    NULL, NULL);
		l->operations++;
	}
	if (rc == LDAP_SUCCESS) {
		l->uri = uri;
		return 0;
	}
	fail(l, uri, what, rc);
	if (l->ld != NULL)
		ldap_unbind_ext_s(l->ld, NULL, NULL);
	l->ld = NULL;
	return -1;
}

struct admin_ldap *
admin_ldap_open(const struct dir_settings *s, const char *bind_dn,
    const char *password, size_t password_len, struct pool *pool)
{
	struct admin_ldap *l = pool_alloc(pool, sizeof(*l));
	struct buf *errs = buf_new(256, 16384);

	l->pool = pool;
	l->bind_dn = bind_dn != NULL ? pool_strdup(pool, bind_dn) : "anonymous";
	l->op_timeout_ms = s->op_timeout_ms;
	l->last_rc = LDAP_SERVER_DOWN;
	for (size_t i = 0; s->uris != NULL && s->uris[i] != NULL; i++) {
		if (open_one(l, s, s->uris[i], bind_dn, password,
		    password_len) == 0)
			break;
		buf_printf(errs, "%s%s", errs->len > 0 ? "; " : "",
		    l->last_error);
		/* wrong credentials are wrong on every replica */
		if (l->last_rc == LDAP_INVALID_CREDENTIALS)
			break;
	}
	if (l->ld == NULL)
		l->last_error = errs->len > 0 ? pool_strdup(pool, buf_cstr(errs))
		    : "no directory URI configured ([directory] uris)";
	buf_free(&errs);
	return l;
}

void
admin_ldap_close(struct admin_ldap *l)
{
	if (l != NULL && l->ld != NULL) {
		ldap_unbind_ext_s(l->ld, NULL, NULL);
		l->ld = NULL;
	}
}

static struct admin_entry *
entry_from(LDAP *ld, LDAPMessage *m, struct pool *pool)
{
	struct admin_entry *e = pool_alloc(pool, sizeof(*e));
	BerElement *ber = NULL;
	char *dn = ldap_get_dn(ld, m);
	size_t cap = 8;

	e->dn = pool_strdup(pool, dn != NULL ? dn : "");
	ldap_memfree(dn);
	e->attrs = pool_alloc(pool, cap * sizeof(*e->attrs));
	for (char *a = ldap_first_attribute(ld, m, &ber); a != NULL;
	    a = ldap_next_attribute(ld, m, ber)) {
		struct berval **v = ldap_get_values_len(ld, m, a);
		size_t nv = (size_t)ldap_count_values_len(v);
		struct admin_attr *at;

		if (e->n_attrs == cap) {
			struct admin_attr *n = pool_alloc(pool,
			    2 * cap * sizeof(*n));

			memcpy(n, e->attrs, cap * sizeof(*n));
			e->attrs = n;
			cap *= 2;
		}
		at = &e->attrs[e->n_attrs++];
		at->name = pool_strdup(pool, a);
		at->values = pool_alloc(pool, (nv + 1) * sizeof(char *));
		for (size_t i = 0; i < nv; i++)
			if (memchr(v[i]->bv_val, '\0', v[i]->bv_len) == NULL)
				at->values[at->n++] = pool_strndup(pool,
				    v[i]->bv_val, v[i]->bv_len);
		ldap_value_free_len(v);
		ldap_memfree(a);
	}
	ber_free(ber, 0);
	return e;
}

int
admin_ldap_search(struct admin_ldap *l, const char *base, int scope,
    const char *filter, const char *const *attrs, size_t limit,
    struct pool *pool, struct admin_entry ***out, size_t *n_out,
    bool *truncated_out)
{
	struct timeval tv = ms_tv(l->op_timeout_ms);
	LDAPMessage *res = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (truncated_out != NULL)
		*truncated_out = false;
	rc = ldap_search_ext_s(l->ld, base, scope, filter,
	    (char **)(uintptr_t)attrs, 0, NULL, NULL, &tv,
	    limit > (size_t)INT32_MAX ? 0 : (int)limit, &res);
	l->operations++;
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED &&
	    rc != LDAP_NO_SUCH_OBJECT) {
		fail(l, l->uri, pool_printf(l->pool, "search %s under %s",
		    filter, base), rc);
		ldap_msgfree(res);
		return -1;
	}
	if (rc == LDAP_SIZELIMIT_EXCEEDED && truncated_out != NULL)
		*truncated_out = true;
	*out = pool_alloc(pool, ((size_t)ldap_count_entries(l->ld, res) + 1) *
	    sizeof(**out));
	for (LDAPMessage *m = ldap_first_entry(l->ld, res); m != NULL;
	    m = ldap_next_entry(l->ld, m))
		(*out)[n++] = entry_from(l->ld, m, pool);
	*n_out = n;
	ldap_msgfree(res);
	return 0;
}

int
admin_ldap_read(struct admin_ldap *l, const char *dn,
    const char *const *attrs, struct pool *pool, struct admin_entry **out)
{
	struct admin_entry **v;
	size_t n;

	*out = NULL;
	if (admin_ldap_search(l, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs,
	    0, pool, &v, &n, NULL) == -1)
		return -1;
	if (n == 0)
		return 0;
	*out = v[0];
	return 1;
}

/* One log line per change: what, the entry, the server, who. */
static void
audit(struct admin_ldap *l, const char *what, const char *dn, int rc)
{
	struct buf *e1 = buf_new(128, 4096), *e2 = buf_new(128, 4096);

	log_escape(e1, dn, strlen(dn));
	log_escape(e2, l->bind_dn, strlen(l->bind_dn));
	if (rc == LDAP_SUCCESS)
		log_info("change=%s dn=\"%s\" server=%s by=\"%s\" result=ok",
		    what, buf_cstr(e1), l->uri, buf_cstr(e2));
	else
		log_warn("change=%s dn=\"%s\" server=%s by=\"%s\" result=failed"
		    " error=\"%s\"", what, buf_cstr(e1), l->uri, buf_cstr(e2),
		    ldap_err2string(rc));
	buf_free(&e1);
	buf_free(&e2);
}

/* LDAPMod array for mods, allocated in pool. */
static LDAPMod **
mods_build(const struct admin_mod *mods, size_t n, struct pool *pool)
{
	LDAPMod **v = pool_alloc(pool, (n + 1) * sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		LDAPMod *m = pool_alloc(pool, sizeof(*m));
		char **vals = pool_alloc(pool, (mods[i].n + 1) * sizeof(char *));

		for (size_t j = 0; j < mods[i].n; j++)
			vals[j] = (char *)(uintptr_t)mods[i].values[j];
		m->mod_op = mods[i].op;
		m->mod_type = (char *)(uintptr_t)mods[i].attr;
		m->mod_values = mods[i].n > 0 ? vals : NULL;
		v[i] = m;
	}
	return v;
}

int
admin_ldap_add(struct admin_ldap *l, const char *dn,
    const struct admin_mod *mods, size_t n)
{
	struct pool *tmp = pool_new("ldap add");
	int rc = ldap_add_ext_s(l->ld, dn, mods_build(mods, n, tmp), NULL,
	    NULL);

	pool_free(&tmp);
	l->operations++;
	audit(l, "add", dn, rc);
	if (rc == LDAP_SUCCESS)
		return 0;
	fail(l, l->uri, pool_printf(l->pool, "add %s", dn), rc);
	return -1;
}

int
admin_ldap_modify(struct admin_ldap *l, const char *dn,
    const struct admin_mod *mods, size_t n)
{
	struct pool *tmp = pool_new("ldap modify");
	int rc = ldap_modify_ext_s(l->ld, dn, mods_build(mods, n, tmp), NULL,
	    NULL);

	pool_free(&tmp);
	l->operations++;
	audit(l, "modify", dn, rc);
	if (rc == LDAP_SUCCESS)
		return 0;
	fail(l, l->uri, pool_printf(l->pool, "modify %s", dn), rc);
	return -1;
}

int
admin_ldap_delete(struct admin_ldap *l, const char *dn)
{
	int rc = ldap_delete_ext_s(l->ld, dn, NULL, NULL);

	l->operations++;
	audit(l, "delete", dn, rc);
	if (rc == LDAP_SUCCESS)
		return 0;
	fail(l, l->uri, pool_printf(l->pool, "delete %s", dn), rc);
	return -1;
}

int
admin_ldap_passwd(struct admin_ldap *l, const char *dn, const char *password,
    size_t len)
{
	struct berval user = { .bv_len = strlen(dn), .bv_val = (char *)dn };
	struct berval pw = { .bv_len = len, .bv_val = (char *)password };
	struct berval gen = { 0, NULL };
	int rc;

	rc = ldap_passwd_s(l->ld, &user, NULL, &pw, &gen, NULL, NULL);
	l->operations++;
	audit(l, "password", dn, rc);
	if (gen.bv_val != NULL)
		ber_memfree(gen.bv_val);
	if (rc == LDAP_SUCCESS)
		return 0;
	fail(l, l->uri, pool_printf(l->pool, "password modify (RFC 3062) of"
	    " %s", dn), rc);
	return -1;
}

int
admin_ldap_exit_code(int rc)
{
	switch (rc) {
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
	case LDAP_TIMEOUT:
	case LDAP_TIMELIMIT_EXCEEDED:
	case LDAP_BUSY:
	case LDAP_UNAVAILABLE:
	case LDAP_ADMINLIMIT_EXCEEDED:
	case LDAP_LOOP_DETECT:
		return ADMIN_EX_TEMPFAIL;
	case LDAP_ALREADY_EXISTS:
	case LDAP_TYPE_OR_VALUE_EXISTS:
		return ADMIN_EX_EXISTS;
	case LDAP_NO_SUCH_OBJECT:
	case LDAP_NO_SUCH_ATTRIBUTE:
		return ADMIN_EX_NOTFOUND;
	case LDAP_OBJECT_CLASS_VIOLATION:
	case LDAP_CONSTRAINT_VIOLATION:
	case LDAP_INVALID_SYNTAX:
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_NAMING_VIOLATION:
	case LDAP_UNDEFINED_TYPE:
	case LDAP_NOT_ALLOWED_ON_NONLEAF:
		return ADMIN_EX_DATAERR;
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_CONFIDENTIALITY_REQUIRED:
		return ADMIN_EX_NOPERM;
	default:
		return ADMIN_EX_SOFTWARE;
	}
}

char **
admin_entry_values(const struct admin_entry *e, const char *name,
    size_t *n_out)
{
	for (size_t i = 0; name != NULL && i < e->n_attrs; i++)
		if (str_eq_ci(e->attrs[i].name, name)) {
			if (n_out != NULL)
				*n_out = e->attrs[i].n;
			return e->attrs[i].n > 0 ? e->attrs[i].values : NULL;
		}
	if (n_out != NULL)
		*n_out = 0;
	return NULL;
}

const char *
admin_entry_value(const struct admin_entry *e, const char *name)
{
	char **v = admin_entry_values(e, name, NULL);

	return v != NULL ? v[0] : NULL;
}

bool
admin_entry_has_class(const struct admin_entry *e, const char *cls)
{
	size_t n;
	char **v = admin_entry_values(e, "objectClass", &n);

	for (size_t i = 0; cls != NULL && i < n; i++)
		if (str_eq_ci(v[i], cls))
			return true;
	return false;
}

/* Transactions. */

enum txn_undo { UNDO_DELETE, UNDO_MODIFY };

struct txn_step {
	enum txn_undo kind;
	const char *dn;
	const struct admin_mod *undo;
	size_t n_undo;
};

struct admin_txn {
	struct admin_ldap *l;
	struct pool *pool;
	struct txn_step *steps;
	size_t n, cap;
};

struct admin_txn *
admin_txn_new(struct admin_ldap *l, struct pool *pool)
{
	struct admin_txn *t = pool_alloc(pool, sizeof(*t));

	t->l = l;
	t->pool = pool;
	return t;
}

static void
record(struct admin_txn *t, enum txn_undo kind, const char *dn,
    const struct admin_mod *undo, size_t n_undo)
{
	if (t->n == t->cap) {
		size_t cap = t->cap == 0 ? 4 : 2 * t->cap;
		struct txn_step *s = pool_alloc(t->pool, cap * sizeof(*s));

		if (t->n > 0)
			memcpy(s, t->steps, t->n * sizeof(*s));
		t->steps = s;
		t->cap = cap;
	}
	t->steps[t->n++] = (struct txn_step){ kind, pool_strdup(t->pool, dn),
		undo, n_undo };
}

int
admin_txn_add(struct admin_txn *t, const char *dn,
    const struct admin_mod *mods, size_t n)
{
	if (admin_ldap_add(t->l, dn, mods, n) == -1)
		return -1;
	record(t, UNDO_DELETE, dn, NULL, 0);
	return 0;
}

int
admin_txn_modify(struct admin_txn *t, const char *dn,
    const struct admin_mod *mods, size_t n, const struct admin_mod *undo,
    size_t n_undo)
{
	if (admin_ldap_modify(t->l, dn, mods, n) == -1)
		return -1;
	record(t, UNDO_MODIFY, dn, undo, n_undo);
	return 0;
}

int
admin_txn_passwd(struct admin_txn *t, const char *dn, const char *password,
    size_t len)
{
	return admin_ldap_passwd(t->l, dn, password, len);
}

int
admin_txn_delete(struct admin_txn *t, const char *dn)
{
	return admin_ldap_delete(t->l, dn);
}

size_t
admin_txn_steps(const struct admin_txn *t)
{
	return t->n;
}

/* One change as text for the report: "attr +value -value". */
static void
describe_mods(struct buf *out, const struct admin_mod *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *op = m[i].op == LDAP_MOD_ADD ? "add" :
		    m[i].op == LDAP_MOD_DELETE ? "delete" : "replace";

		buf_printf(out, "%s%s %s", i > 0 ? "; " : "", op, m[i].attr);
		for (size_t j = 0; j < m[i].n; j++)
			buf_printf(out, " \"%s\"", m[i].values[j]);
	}
}

int
admin_txn_rollback(struct admin_txn *t, struct buf *report)
{
	int rc = 0;

	for (size_t i = t->n; i-- > 0;) {
		struct txn_step *s = &t->steps[i];

		if (s->kind == UNDO_DELETE) {
			if (admin_ldap_delete(t->l, s->dn) == 0) {
				buf_printf(report, "rolled back: deleted %s\n",
				    s->dn);
				continue;
			}
			buf_printf(report, "LEFT IN THE DIRECTORY: entry %s"
			    " (undo failed: %s)\n", s->dn, t->l->last_error);
		} else {
			if (admin_ldap_modify(t->l, s->dn, s->undo,
			    s->n_undo) == 0) {
				buf_printf(report, "rolled back: %s: ", s->dn);
				describe_mods(report, s->undo, s->n_undo);
				buf_append_str(report, "\n");
				continue;
			}
			buf_printf(report, "LEFT IN THE DIRECTORY: change to"
			    " %s; to undo it: ", s->dn);
			describe_mods(report, s->undo, s->n_undo);
			buf_printf(report, " (undo failed: %s)\n",
			    t->l->last_error);
		}
		rc = -1;
	}
	t->n = 0;
	return rc;
}
