/*
 * lib/saslsrv.c - Cyrus SASL server glue shared by mtad and accessd.
 *
 * Runs in session processes, which read hostile client bytes: every
 * client response is capped (SASLSRV_INPUT_MAX), copied with a NUL for
 * Cyrus and wiped after use; identities are checked before the daemon's
 * password callback sees them; empty passwords never reach it (an empty
 * password is an anonymous LDAP bind that succeeds).
 *
 * Cyrus falls back to its own password verifiers (pwcheck_method) when
 * our SASL_CB_SERVER_USERDB_CHECKPASS callback does not say OK, and looks
 * users up in auxprop plugins (sasldb) while canonicalising names. To
 * keep host files out of it, saslsrv registers an in-process auxprop
 * plugin "tessera" that knows no properties and points auxprop_plugin at
 * it: lookups succeed empty, the fallback finds no password and fails
 * quietly, and the verdict we report is the one our callback recorded.
 * Config files (/etc/sasl2/APP.conf ...) are refused by the
 * SASL_CB_VERIFYFILE callback.
 *
 * GSSAPI logins are decided in the proxy-policy callback, which Cyrus
 * calls once the Kerberos exchange is complete. The principal comes from
 * the GSS context (SASL_GSS_PEER_NAME) where the plugin provides it
 * (Cyrus 2.1.28's GSSAPI plugin does not; its GS2 plugin does); else it
 * is the name Cyrus reports, which lacks the realm exactly when the realm
 * is the acceptor's default realm (the plugin strips it only when
 * gss_compare_name finds the bare name equal), so that realm is put
 * back.
 *
 * Cyrus keeps its server callbacks process-wide and holds on to the array
 * it is given, so this file keeps one static set, filled once by
 * saslsrv_init() before any session exists and read-only afterwards (the
 * one exception to "no mutable globals in library files").
 */
#include "config.h"

#include <gssapi/gssapi.h>
#include <krb5.h>
#include <limits.h>
#include <sasl/sasl.h>
#include <sasl/saslplug.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/saslsrv.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* Cyrus wants int (*)(void); void (*)(void) converts without warnings. */
#define SASLSRV_CB(fn) ((sasl_callback_ft)(void (*)(void))(fn))

#define SASLSRV_AUXPROP "tessera"

/* ST_BROKEN: Cyrus accepted what our callbacks refused; its connection
 * is marked done and cannot be trusted or reused. */
enum saslsrv_state { ST_IDLE, ST_EXCHANGE, ST_DONE, ST_BROKEN };

struct saslsrv {
	sasl_conn_t *conn;
	sasl_callback_t cbs[5];		/* per connection; Cyrus keeps it */
	saslsrv_checkpass_fn checkpass;
	void *checkpass_ctx;
	saslsrv_authz_fn authz;
	void *authz_ctx;
	saslsrv_principal_fn principal;
	void *principal_ctx;
	bool gss;			/* the exchange is GSSAPI */
	char *principal_name;		/* its Kerberos principal */
	char *allowed;			/* mech_list answer, space-separated */
	char *all;			/* allowed and loaded */
	char *offered;			/* what saslsrv_mechs() reports */
	enum saslsrv_state state;
	/* verdict recorded by our callbacks during one start/step */
	enum saslsrv_result fail;	/* SASLSRV_DONE: none recorded */
	const char *reason;
	struct buf *input;		/* client response + NUL, wiped */
	char *user;
	char *authn;
};

static struct {
	bool inited;
	struct saslsrv_option *opts;
	size_t nopts;
	sasl_callback_t cbs[4];
} saslsrv_global;

static const char *const reserved_options[] = {
	"pwcheck_method", "auxprop_plugin", "canon_user_plugin", NULL,
};

/* ---- process-wide callbacks ------------------------------------------ */

static int
cb_log(void *ctx, int level, const char *message)
{
	struct buf *esc;

	/* SASL_LOG_PASS lines may carry passwords: never logged */
	if (message == NULL || level == SASL_LOG_PASS ||
	    level == SASL_LOG_NONE)
		return SASL_OK;
	esc = buf_new(128, 1024);
	log_escape(esc, message, strlen(message));
	switch (level) {
	case SASL_LOG_ERR:
		log_error("sasl: %s", buf_cstr(esc));
		break;
	case SASL_LOG_WARN:
		log_warn("sasl: %s", buf_cstr(esc));
		break;
	case SASL_LOG_NOTE:
		log_info("sasl: %s", buf_cstr(esc));
		break;
	default:
		/* SASL_LOG_FAIL: the daemon logs the failure with its reason */
		log_debug("sasl: %s", buf_cstr(esc));
		break;
	}
	buf_free(&esc);
	return SASL_OK;
}

static int
answer(const char *value, const char **result, unsigned *len)
{
	*result = value;
	if (len != NULL)
		*len = (unsigned)strlen(value);
	return SASL_OK;
}

static int
cb_global_getopt(void *ctx, const char *plugin, const char *option,
    const char **result, unsigned *len)
{
	size_t i;

	if (option == NULL || result == NULL)
		return SASL_BADPARAM;
	if (strcmp(option, "pwcheck_method") == 0)
		return answer("auxprop", result, len);
	if (strcmp(option, "auxprop_plugin") == 0)
		return answer(SASLSRV_AUXPROP, result, len);
	if (strcmp(option, "canon_user_plugin") == 0)
		return answer("INTERNAL", result, len);
	for (i = 0; i < saslsrv_global.nopts; i++)
		if (strcmp(saslsrv_global.opts[i].name, option) == 0)
			return answer(saslsrv_global.opts[i].value, result, len);
	return SASL_FAIL;
}

static int
cb_verifyfile(void *ctx, const char *file, sasl_verify_type_t type)
{
	/* plugins yes, host config files (APP.conf, plugin lists) no */
	return type == SASL_VRFY_PLUGIN ? SASL_OK : SASL_CONTINUE;
}

static int
aux_lookup(void *glob, sasl_server_params_t *sparams, unsigned flags,
    const char *user, unsigned ulen)
{
	return SASL_OK;
}

static int
aux_init(const sasl_utils_t *utils, int max_version, int *out_version,
    sasl_auxprop_plug_t **plug, const char *plugname)
{
	static const sasl_auxprop_plug_t aux = {
		.auxprop_lookup = aux_lookup,
		.name = (char *)SASLSRV_AUXPROP,
	};

	if (max_version < SASL_AUXPROP_PLUG_VERSION)
		return SASL_BADVERS;
	*out_version = SASL_AUXPROP_PLUG_VERSION;
	*plug = (sasl_auxprop_plug_t *)&aux;
	return SASL_OK;
}

static void
free_options(void)
{
	size_t i;

	for (i = 0; i < saslsrv_global.nopts; i++) {
		free((char *)saslsrv_global.opts[i].name);
		free((char *)saslsrv_global.opts[i].value);
	}
	free(saslsrv_global.opts);
	saslsrv_global.opts = NULL;
	saslsrv_global.nopts = 0;
}

int
saslsrv_init(const char *appname, const struct saslsrv_option *opts,
    size_t n, const char **err_out)
{
	sasl_callback_t *cb = saslsrv_global.cbs;
	size_t i, j;

	if (saslsrv_global.inited) {
		*err_out = "saslsrv_init called twice";
		return -1;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; reserved_options[j] != NULL; j++) {
			if (strcmp(opts[i].name, reserved_options[j]) == 0) {
				*err_out = "reserved SASL option";
				return -1;
			}
		}
	}
	saslsrv_global.opts = xcalloc(n ? n : 1, sizeof(*opts));
	for (i = 0; i < n; i++) {
		saslsrv_global.opts[i].name = xstrdup(opts[i].name);
		saslsrv_global.opts[i].value = xstrdup(opts[i].value);
	}
	saslsrv_global.nopts = n;
	cb[0] = (sasl_callback_t){ SASL_CB_LOG, SASLSRV_CB(cb_log), NULL };
	cb[1] = (sasl_callback_t){ SASL_CB_GETOPT,
	    SASLSRV_CB(cb_global_getopt), NULL };
	cb[2] = (sasl_callback_t){ SASL_CB_VERIFYFILE,
	    SASLSRV_CB(cb_verifyfile), NULL };
	cb[3] = (sasl_callback_t){ SASL_CB_LIST_END, NULL, NULL };
	if (sasl_server_init(cb, appname) != SASL_OK) {
		free_options();
		*err_out = "sasl_server_init failed";
		return -1;
	}
	if (sasl_auxprop_add_plugin(SASLSRV_AUXPROP, aux_init) != SASL_OK) {
		sasl_server_done();
		free_options();
		*err_out = "cannot register the auxprop plugin";
		return -1;
	}
	saslsrv_global.inited = true;
	return 0;
}

void
saslsrv_done(void)
{
	if (!saslsrv_global.inited)
		return;
	sasl_server_done();
	free_options();
	saslsrv_global.inited = false;
}

/* ---- per-connection callbacks ----------------------------------------- */

static int
cb_conn_getopt(void *ctx, const char *plugin, const char *option,
    const char **result, unsigned *len)
{
	struct saslsrv *s = ctx;

	/* the session's allowed list decides what Cyrus offers */
	if (option != NULL && result != NULL &&
	    strcmp(option, "mech_list") == 0)
		return answer(s->allowed, result, len);
	return SASL_FAIL;	/* fall back to the process-wide table */
}

static int
record(struct saslsrv *s, enum saslsrv_result fail, const char *reason,
    int sasl_code)
{
	s->fail = fail;
	s->reason = reason;
	return sasl_code;
}

static int
cb_checkpass(sasl_conn_t *conn, void *ctx, const char *user,
    const char *pass, unsigned passlen, struct propctx *propctx)
{
	struct saslsrv *s = ctx;

	if (passlen == 0)
		return record(s, SASLSRV_FAIL_AUTH, "empty_password",
		    SASL_BADAUTH);
	if (memchr(pass, '\0', passlen) != NULL)
		return record(s, SASLSRV_FAIL_PROTO, "bad_password_data",
		    SASL_BADPROT);
	switch (s->checkpass(s->checkpass_ctx, user, pass, passlen)) {
	case SASLSRV_CHECK_OK:
		return SASL_OK;
	case SASLSRV_CHECK_BADPASS:
		return record(s, SASLSRV_FAIL_AUTH, "bad_password",
		    SASL_BADAUTH);
	case SASLSRV_CHECK_NOUSER:
		return record(s, SASLSRV_FAIL_AUTH, "no_user", SASL_NOUSER);
	case SASLSRV_CHECK_DISABLED:
		return record(s, SASLSRV_FAIL_AUTH, "disabled", SASL_DISABLED);
	case SASLSRV_CHECK_AUTHZ:
		return record(s, SASLSRV_FAIL_AUTHZ, "authz_refused",
		    SASL_NOAUTHZ);
	case SASLSRV_CHECK_TEMPFAIL:
		break;
	}
	return record(s, SASLSRV_FAIL_TEMP, "tempfail", SASL_UNAVAIL);
}

/* The GSSAPI peer's principal as text ("alice@EXAMPLE.TEST") in a new
 * string, or NULL. */
static char *
gss_peer_principal(sasl_conn_t *conn)
{
	const void *v = NULL;
	OM_uint32 maj, min;
	gss_buffer_desc name = GSS_C_EMPTY_BUFFER;
	char *p = NULL;

	if (sasl_getprop(conn, SASL_GSS_PEER_NAME, &v) != SASL_OK ||
	    v == NULL)
		return NULL;
	maj = gss_display_name(&min, (gss_name_t)(uintptr_t)v, &name, NULL);
	if (GSS_ERROR(maj))
		return NULL;
	if (name.length > 0 && name.length <= SASLSRV_USER_MAX &&
	    memchr(name.value, '\0', name.length) == NULL) {
		p = xmalloc(name.length + 1);
		memcpy(p, name.value, name.length);
		p[name.length] = '\0';
	}
	gss_release_buffer(&min, &name);
	return p;
}

/* name@REALM for a name Cyrus reported without a realm: the default
 * realm of this process's Kerberos configuration. NULL on failure. */
static char *
with_default_realm(const char *name)
{
	krb5_context kc;
	char *realm = NULL, *p = NULL;
	size_t nl = strlen(name), rl;

	if (krb5_init_context(&kc) != 0)
		return NULL;
	if (krb5_get_default_realm(kc, &realm) == 0) {
		rl = strlen(realm);
		if (nl + 1 + rl <= SASLSRV_USER_MAX) {
			p = xmalloc(nl + rl + 2);
			memcpy(p, name, nl);
			p[nl] = '@';
			memcpy(p + nl + 1, realm, rl + 1);
		}
		krb5_free_default_realm(kc, realm);
	}
	krb5_free_context(kc);
	return p;
}

/* The authenticated principal, user@REALM, in a new string, or NULL. */
static char *
gss_principal(sasl_conn_t *conn, const char *authn)
{
	char *p = gss_peer_principal(conn);

	if (p != NULL)
		return p;
	if (strchr(authn, '@') != NULL)
		return xstrdup(authn);
	return with_default_realm(authn);
}

/* Decide a GSSAPI login: the daemon's principal callback. */
static int
principal_verdict(struct saslsrv *s, sasl_conn_t *conn, const char *authn,
    const char *authz)
{
	const char *reason = NULL;
	enum saslsrv_check c;

	free(s->principal_name);
	s->principal_name = gss_principal(conn, authn);
	if (s->principal_name == NULL) {
		sasl_seterror(conn, SASL_NOLOG, "no usable GSSAPI peer name");
		return record(s, SASLSRV_FAIL_AUTH, "no_principal",
		    SASL_NOUSER);
	}
	c = s->principal(s->principal_ctx, s->principal_name, authz, &reason);
	switch (c) {
	case SASLSRV_CHECK_OK:
		return SASL_OK;
	case SASLSRV_CHECK_BADPASS:
	case SASLSRV_CHECK_NOUSER:
		return record(s, SASLSRV_FAIL_AUTH, reason ? reason : "no_user",
		    SASL_NOUSER);
	case SASLSRV_CHECK_DISABLED:
		return record(s, SASLSRV_FAIL_AUTH, reason ? reason :
		    "disabled", SASL_DISABLED);
	case SASLSRV_CHECK_AUTHZ:
		return record(s, SASLSRV_FAIL_AUTHZ, reason ? reason :
		    "authz_refused", SASL_NOAUTHZ);
	case SASLSRV_CHECK_TEMPFAIL:
		break;
	}
	return record(s, SASLSRV_FAIL_TEMP, reason ? reason : "tempfail",
	    SASL_UNAVAIL);
}

static int
cb_proxy(sasl_conn_t *conn, void *ctx, const char *requested_user,
    unsigned rlen, const char *auth_identity, unsigned alen,
    const char *def_realm, unsigned urlen, struct propctx *propctx)
{
	struct saslsrv *s = ctx;
	bool same = rlen == alen &&
	    memcmp(requested_user, auth_identity, alen) == 0;

	if (s->gss) {
		/* Cyrus hands NUL-terminated canonical names here */
		if (!same && strlen(requested_user) != rlen)
			return record(s, SASLSRV_FAIL_PROTO, "bad_username",
			    SASL_BADPROT);
		if (strlen(auth_identity) != alen)
			return record(s, SASLSRV_FAIL_PROTO, "bad_username",
			    SASL_BADPROT);
		return principal_verdict(s, conn, auth_identity, same ? NULL :
		    requested_user);
	}
	if (same)
		return SASL_OK;
	/* Cyrus hands NUL-terminated canonical names here */
	if (s->authz != NULL && strlen(requested_user) == rlen &&
	    strlen(auth_identity) == alen &&
	    s->authz(s->authz_ctx, auth_identity, requested_user))
		return SASL_OK;
	sasl_seterror(conn, SASL_NOLOG, "authorization identity refused");
	return record(s, SASLSRV_FAIL_AUTHZ, "authz_refused", SASL_NOAUTHZ);
}

/* Identities are copied as they are, or refused: empty, too long,
 * control characters or NUL, leading or trailing blanks. */
static int
cb_canon(sasl_conn_t *conn, void *ctx, const char *in, unsigned inlen,
    unsigned flags, const char *user_realm, char *out, unsigned out_max,
    unsigned *out_len)
{
	struct saslsrv *s = ctx;
	unsigned i;

	if (inlen == 0 || inlen > SASLSRV_USER_MAX || inlen >= out_max ||
	    in[0] == ' ' || in[inlen - 1] == ' ')
		return record(s, SASLSRV_FAIL_PROTO, "bad_username",
		    SASL_BADPROT);
	for (i = 0; i < inlen; i++)
		if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
			return record(s, SASLSRV_FAIL_PROTO, "bad_username",
			    SASL_BADPROT);
	memcpy(out, in, inlen);
	out[inlen] = '\0';
	*out_len = inlen;
	return SASL_OK;
}

/* ---- sessions ---------------------------------------------------------- */

static bool
valid_mech_name(const char *m)
{
	size_t n;

	/* RFC 4422 3.1: 1 to 20 of A-Z 0-9 - _ */
	for (n = 0; m[n] != '\0'; n++)
		if (!((m[n] >= 'A' && m[n] <= 'Z') ||
		    (m[n] >= '0' && m[n] <= '9') || m[n] == '-' || m[n] == '_'))
			return false;
	return n > 0 && n <= 20;
}

static bool
in_list(const char *list, const char *word)
{
	size_t wl = strlen(word);
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		if (n == wl && strncmp(p, word, n) == 0)
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return false;
}

/* Mechanisms Cyrus would offer with these security flags. */
static char *
list_with(struct saslsrv *s, unsigned ssf, unsigned flags)
{
	sasl_security_properties_t props;
	sasl_ssf_t ext = ssf;
	const char *list;
	unsigned len;
	int count;

	memset(&props, 0, sizeof(props));
	/* no SASL security layer: our protocols run over TLS */
	props.max_ssf = 0;
	props.maxbufsize = 0;
	props.security_flags = flags;
	if (sasl_setprop(s->conn, SASL_SSF_EXTERNAL, &ext) != SASL_OK ||
	    sasl_setprop(s->conn, SASL_SEC_PROPS, &props) != SASL_OK)
		return NULL;
	if (sasl_listmech(s->conn, NULL, "", " ", "", &list, &len,
	    &count) != SASL_OK)
		return xstrdup("");
	return xstrdup(list);
}

static const char *
session_setup(struct saslsrv *s, const struct saslsrv_params *p)
{
	unsigned base = SASL_SEC_NOANONYMOUS;

	if (sasl_server_new(p->service, p->server_fqdn, NULL, p->local_addr,
	    p->remote_addr, s->cbs, 0, &s->conn) != SASL_OK)
		return "sasl_server_new failed";
	/* plaintext mechanisms = loaded ones minus those left with
	 * NOPLAINTEXT and no TLS (Cyrus waives NOPLAINTEXT under TLS) */
	s->all = list_with(s, 0, base);
	free(s->offered);
	s->offered = list_with(s, 0, base | SASL_SEC_NOPLAINTEXT);
	if (s->all == NULL || s->offered == NULL)
		return "sasl_setprop failed";
	if (p->plaintext_ok) {
		free(s->offered);
		s->offered = xstrdup(s->all);
	}
	free(list_with(s, p->external_ssf,
	    base | (p->plaintext_ok ? 0 : SASL_SEC_NOPLAINTEXT)));
	return NULL;
}

struct saslsrv *
saslsrv_new(const struct saslsrv_params *p, const char **err_out)
{
	struct saslsrv *s;
	struct buf *allowed;
	const char *err;
	size_t i;

	if (!saslsrv_global.inited) {
		*err_out = "saslsrv_init was not called";
		return NULL;
	}
	if (p->service == NULL || p->server_fqdn == NULL || p->mechs == NULL ||
	    p->checkpass == NULL) {
		*err_out = "missing service, server name, mechanisms or "
		    "password check";
		return NULL;
	}
	allowed = buf_new(64, 4096);
	for (i = 0; p->mechs[i] != NULL; i++) {
		if (strcmp(p->mechs[i], "GSSAPI") == 0 &&
		    p->principal == NULL) {
			buf_free(&allowed);
			*err_out = "GSSAPI needs a principal check";
			return NULL;
		}
		if (!valid_mech_name(p->mechs[i]) || buf_printf(allowed, "%s%s",
		    i ? " " : "", p->mechs[i]) == -1) {
			buf_free(&allowed);
			*err_out = "bad mechanism name";
			return NULL;
		}
	}
	s = xmalloc(sizeof(*s));
	s->allowed = buf_steal(allowed, NULL);
	buf_free(&allowed);
	s->checkpass = p->checkpass;
	s->checkpass_ctx = p->checkpass_ctx;
	s->authz = p->authz;
	s->authz_ctx = p->authz_ctx;
	s->principal = p->principal;
	s->principal_ctx = p->principal_ctx;
	s->input = buf_new(256, SASLSRV_INPUT_MAX + 1);
	s->fail = SASLSRV_DONE;
	s->reason = "";
	s->cbs[0] = (sasl_callback_t){ SASL_CB_GETOPT,
	    SASLSRV_CB(cb_conn_getopt), s };
	s->cbs[1] = (sasl_callback_t){ SASL_CB_SERVER_USERDB_CHECKPASS,
	    SASLSRV_CB(cb_checkpass), s };
	s->cbs[2] = (sasl_callback_t){ SASL_CB_PROXY_POLICY,
	    SASLSRV_CB(cb_proxy), s };
	s->cbs[3] = (sasl_callback_t){ SASL_CB_CANON_USER,
	    SASLSRV_CB(cb_canon), s };
	s->cbs[4] = (sasl_callback_t){ SASL_CB_LIST_END, NULL, NULL };
	err = session_setup(s, p);
	if (err != NULL) {
		saslsrv_free(&s);
		*err_out = err;
		return NULL;
	}
	return s;
}

void
saslsrv_free(struct saslsrv **sp)
{
	struct saslsrv *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	if (s->conn != NULL)
		sasl_dispose(&s->conn);
	buf_free_secret(&s->input);
	free(s->allowed);
	free(s->all);
	free(s->offered);
	free(s->user);
	free(s->authn);
	free(s->principal_name);
	free(s);
	*sp = NULL;
}

const char *
saslsrv_mechs(const struct saslsrv *s)
{
	return s->offered;
}

static enum saslsrv_result
fail(struct saslsrv *s, enum saslsrv_result r, const char *reason)
{
	s->fail = r;
	s->reason = reason;
	if (s->state == ST_EXCHANGE)
		s->state = ST_IDLE;
	return r;
}

static enum saslsrv_result
map_code(struct saslsrv *s, int code)
{
	/* a verdict our callbacks recorded beats Cyrus' summary of it */
	if (s->fail != SASLSRV_DONE)
		return fail(s, s->fail, s->reason);
	switch (code) {
	case SASL_BADPROT:
	case SASL_BADPARAM:
		return fail(s, SASLSRV_FAIL_PROTO, "malformed");
	case SASL_BADAUTH:
	case SASL_NOUSER:
	case SASL_NOVERIFY:
	case SASL_EXPIRED:
		return fail(s, SASLSRV_FAIL_AUTH, "bad_password");
	case SASL_DISABLED:
		return fail(s, SASLSRV_FAIL_AUTH, "disabled");
	case SASL_NOAUTHZ:
		return fail(s, SASLSRV_FAIL_AUTHZ, "authz_refused");
	case SASL_NOMECH:
	case SASL_TOOWEAK:
		return fail(s, SASLSRV_FAIL_MECH, "mech_unavailable");
	case SASL_ENCRYPT:
		return fail(s, SASLSRV_FAIL_ENCRYPT, "plaintext_refused");
	default:
		return fail(s, SASLSRV_FAIL_TEMP, "sasl_error");
	}
}

static enum saslsrv_result
finish(struct saslsrv *s, int code, const char *sout, unsigned soutlen,
    struct buf *out)
{
	const void *v;

	mem_wipe(s->input->data, s->input->len);
	buf_reset(s->input);
	/* a refusal from our callbacks stands even if Cyrus goes on to say
	 * OK (its fallback verifiers must never overrule the daemon) */
	if (s->fail != SASLSRV_DONE) {
		if (code == SASL_OK) {
			log_error("saslsrv: Cyrus accepted a login refused "
			    "with reason=%s", s->reason);
			s->state = ST_BROKEN;
		}
		return map_code(s, code);
	}
	if (code == SASL_CONTINUE) {
		if (soutlen > 0 && buf_append(out, sout, soutlen) == -1)
			return fail(s, SASLSRV_FAIL_TEMP, "sasl_error");
		s->state = ST_EXCHANGE;
		return SASLSRV_CONTINUE;
	}
	if (code != SASL_OK)
		return map_code(s, code);
	if (sasl_getprop(s->conn, SASL_USERNAME, &v) != SASL_OK || v == NULL)
		return fail(s, SASLSRV_FAIL_TEMP, "sasl_error");
	s->user = xstrdup(v);
	if (sasl_getprop(s->conn, SASL_AUTHUSER, &v) != SASL_OK || v == NULL)
		v = s->user;
	s->authn = xstrdup(v);
	s->state = ST_DONE;
	return SASLSRV_DONE;
}

/* Copy the client's bytes with a NUL after them (Cyrus documents its
 * input as NUL-terminated). -1 if too long. */
static int
take_input(struct saslsrv *s, const uint8_t *in, size_t inlen)
{
	buf_reset(s->input);
	if (inlen > SASLSRV_INPUT_MAX)
		return -1;
	if (inlen > 0)
		(void)buf_append(s->input, in, inlen);
	return 0;
}

enum saslsrv_result
saslsrv_start(struct saslsrv *s, const char *mech, const uint8_t *in,
    size_t inlen, bool have_initial, struct buf *out)
{
	const char *sout = NULL;
	unsigned soutlen = 0;
	int code;

	char name[21];
	size_t i;

	buf_reset(out);
	s->fail = SASLSRV_DONE;
	s->reason = "";
	if (s->state == ST_DONE)
		return fail(s, SASLSRV_FAIL_PROTO, "already_authenticated");
	if (s->state == ST_BROKEN)
		return fail(s, SASLSRV_FAIL_TEMP, "sasl_error");
	s->state = ST_IDLE;
	/* protocols treat mechanism names case-insensitively */
	for (i = 0; mech[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = mech[i] >= 'a' && mech[i] <= 'z' ?
		    (char)(mech[i] - 'a' + 'A') : mech[i];
	name[i] = '\0';
	if (mech[i] != '\0' || !valid_mech_name(name) ||
	    !in_list(s->allowed, name))
		return fail(s, SASLSRV_FAIL_MECH, "mech_not_allowed");
	mech = name;
	s->gss = strcmp(mech, "GSSAPI") == 0;
	free(s->principal_name);
	s->principal_name = NULL;
	if (!in_list(s->all, mech))
		return fail(s, SASLSRV_FAIL_MECH, "mech_unavailable");
	if (!in_list(s->offered, mech))
		return fail(s, SASLSRV_FAIL_ENCRYPT, "plaintext_refused");
	if (take_input(s, in, have_initial ? inlen : 0) == -1)
		return fail(s, SASLSRV_FAIL_PROTO, "input_too_long");
	code = sasl_server_start(s->conn, mech,
	    have_initial ? (const char *)s->input->data : NULL,
	    (unsigned)s->input->len, &sout, &soutlen);
	return finish(s, code, sout, soutlen, out);
}

enum saslsrv_result
saslsrv_step(struct saslsrv *s, const uint8_t *in, size_t inlen,
    struct buf *out)
{
	const char *sout = NULL;
	unsigned soutlen = 0;
	int code;

	buf_reset(out);
	s->fail = SASLSRV_DONE;
	s->reason = "";
	if (s->state == ST_BROKEN)
		return fail(s, SASLSRV_FAIL_TEMP, "sasl_error");
	if (s->state != ST_EXCHANGE)
		return fail(s, SASLSRV_FAIL_PROTO, s->state == ST_DONE ?
		    "already_authenticated" : "no_exchange");
	if (take_input(s, in, inlen) == -1)
		return fail(s, SASLSRV_FAIL_PROTO, "input_too_long");
	code = sasl_server_step(s->conn, (const char *)s->input->data,
	    (unsigned)s->input->len, &sout, &soutlen);
	return finish(s, code, sout, soutlen, out);
}

const char *
saslsrv_user(const struct saslsrv *s)
{
	return s->state == ST_DONE ? s->user : NULL;
}

const char *
saslsrv_authn(const struct saslsrv *s)
{
	return s->state == ST_DONE ? s->authn : NULL;
}

const char *
saslsrv_principal(const struct saslsrv *s)
{
	return s->principal_name;
}

const char *
saslsrv_fail_reason(const struct saslsrv *s)
{
	return s->reason;
}

const char *
saslsrv_result_name(enum saslsrv_result r)
{
	switch (r) {
	case SASLSRV_DONE: return "done";
	case SASLSRV_CONTINUE: return "continue";
	case SASLSRV_FAIL_AUTH: return "fail_auth";
	case SASLSRV_FAIL_TEMP: return "fail_temp";
	case SASLSRV_FAIL_MECH: return "fail_mech";
	case SASLSRV_FAIL_ENCRYPT: return "fail_encrypt";
	case SASLSRV_FAIL_PROTO: return "fail_proto";
	case SASLSRV_FAIL_AUTHZ: return "fail_authz";
	}
	return "unknown";
}

/* ---- base64 ------------------------------------------------------------ */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64_alphabet, c)) == NULL)
		return -1;
	return (int)(p - b64_alphabet);
}

int
saslsrv_b64_decode(const char *in, size_t len, struct buf *out)
{
	size_t i;

	buf_reset(out);
	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;
		uint32_t w = 0;
		uint8_t b[3];

		for (k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad > 0 || (v[k] = b64_value(in[i + k])) < 0)
				goto bad;
			w = w << 6 | (uint32_t)v[k];
		}
		w <<= 6 * pad;
		b[0] = (uint8_t)(w >> 16);
		b[1] = (uint8_t)(w >> 8);
		b[2] = (uint8_t)w;
		/* strict: bits below the last encoded byte must be zero */
		if ((pad == 2 && (w & 0xffff) != 0) || (pad == 1 && (w & 0xff)))
			goto bad;
		if (buf_append(out, b, (size_t)(3 - pad)) == -1)
			goto bad;
	}
	return 0;
bad:
	mem_wipe(out->data, out->len);
	buf_reset(out);
	return -1;
}

int
saslsrv_b64_encode(const uint8_t *in, size_t len, struct buf *out)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < len; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;
		char q[4];

		if (n > 1)
			w |= (uint32_t)in[i + 1] << 8;
		if (n > 2)
			w |= in[i + 2];
		q[0] = b64_alphabet[w >> 18 & 63];
		q[1] = b64_alphabet[w >> 12 & 63];
		q[2] = n > 1 ? b64_alphabet[w >> 6 & 63] : '=';
		q[3] = n > 2 ? b64_alphabet[w & 63] : '=';
		if (buf_append(out, q, 4) == -1)
			return -1;
	}
	return 0;
}
