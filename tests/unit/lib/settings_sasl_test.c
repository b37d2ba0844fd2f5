/*
 * tests/unit/lib/settings_sasl_test.c - the [sasl] section and the
 * listeners' sasl_mechanisms: defaults, which list a listener offers,
 * mechanism names at their length limit, the GSSAPI-needs-realms check,
 * the options handed to Cyrus and the acceptor host name.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/saslsrv.h"
#include "lib/settings.h"
#include "lib/banned.h"

static struct cfg_section_def defs[2];

/* [sasl] and [x.listener.NAME] from text; NULL (errors in err) if the
 * file is refused. */
static struct cfg *
load(const char *text, struct buf *err)
{
	struct cfg *c;

	defs[0] = settings_sasl_def;
	defs[1] = settings_listener_def("x.listener");
	c = cfg_new(defs, 2);
	buf_reset(err);
	if (cfg_load_string(c, "t.conf", text, err) == -1)
		cfg_free(&c);
	return c;
}

/* The list as one space-separated string (valid until the next call). */
static const char *
joined(const char *const *list)
{
	static struct buf *b;

	if (b == NULL)
		b = buf_new(64, 4096);
	buf_reset(b);
	for (size_t i = 0; list[i] != NULL; i++)
		buf_printf(b, "%s%s", i > 0 ? " " : "", list[i]);
	return buf_cstr(b);
}

Test(settings_sasl, defaults)
{
	struct buf *err = buf_new(64, 4096);
	struct cfg *c = load("", err);
	const struct settings_sasl *s;
	struct saslsrv_option opts[1];

	cr_assert_not_null(c, "%s", buf_cstr(err));
	s = cfg_get(c, "sasl");
	cr_assert_str_eq(joined((const char *const *)s->mechanisms),
	    "PLAIN LOGIN");
	cr_assert_str_eq(s->smtp_service, "smtp");
	cr_assert_str_eq(s->imap_service, "imap");
	cr_assert_str_eq(s->pop_service, "pop");
	cr_assert_eq(s->n_allowed_realms, 0);
	cr_assert_eq(settings_sasl_options(c, opts), 0);
	cr_assert_str_eq(settings_sasl_hostname(c, "mx.example"),
	    "mx.example");
	cfg_free(&c);
	buf_free(&err);
}

Test(settings_sasl, listener_list_or_the_sections)
{
	struct buf *err = buf_new(64, 4096);
	struct cfg *c = load("[sasl]\nmechanisms = PLAIN\n"
	    "allowed_realms = EXAMPLE.COM AD.EXAMPLE.COM\n"
	    "keytab = /etc/tessera/mail.keytab\nhostname = mail.example\n"
	    "[x.listener.krb]\nport = 587\naddress = 127.0.0.1 ::1\n"
	    "sasl_mechanisms = GSSAPI PLAIN\n"
	    "[x.listener.plain]\nport = 465\n", err);
	struct saslsrv_option opts[1];
	const struct settings_sasl *s;

	cr_assert_not_null(c, "%s", buf_cstr(err));
	s = cfg_get(c, "sasl");
	cr_assert_eq(s->n_allowed_realms, 2);
	cr_assert_str_eq(joined(settings_sasl_mechanisms(c, "x.listener",
	    "krb")), "GSSAPI PLAIN");
	/* the second address of a listener is named NAME/ADDRESS */
	cr_assert_str_eq(joined(settings_sasl_mechanisms(c, "x.listener",
	    "krb/::1")), "GSSAPI PLAIN");
	cr_assert_str_eq(joined(settings_sasl_mechanisms(c, "x.listener",
	    "plain")), "PLAIN");
	cr_assert_str_eq(joined(settings_sasl_mechanisms(c, "x.listener",
	    "none")), "PLAIN");
	cr_assert(settings_sasl_has(settings_sasl_mechanisms(c, "x.listener",
	    "krb"), "gssapi"));
	cr_assert_not(settings_sasl_has(settings_sasl_mechanisms(c,
	    "x.listener", "plain"), "GSSAPI"));
	cr_assert_eq(settings_sasl_check(c, "x.listener", err), 0, "%s",
	    buf_cstr(err));
	cr_assert_eq(settings_sasl_options(c, opts), 1);
	cr_assert_str_eq(opts[0].name, "keytab");
	cr_assert_str_eq(opts[0].value, "/etc/tessera/mail.keytab");
	cr_assert_str_eq(settings_sasl_hostname(c, "mx"), "mail.example");
	cfg_free(&c);
	buf_free(&err);
}

Test(settings_sasl, gssapi_needs_allowed_realms)
{
	struct buf *err = buf_new(64, 4096);
	struct cfg *c = load("[x.listener.krb]\nport = 587\n"
	    "sasl_mechanisms = GSSAPI\n", err);

	cr_assert_not_null(c, "%s", buf_cstr(err));
	buf_reset(err);
	cr_assert_eq(settings_sasl_check(c, "x.listener", err), -1);
	cr_assert_not_null(strstr(buf_cstr(err), "[x.listener.krb] offers"
	    " GSSAPI"), "%s", buf_cstr(err));
	cfg_free(&c);
	/* inherited from [sasl] counts too */
	c = load("[sasl]\nmechanisms = GSSAPI\n[x.listener.a]\nport = 25\n",
	    err);
	cr_assert_not_null(c, "%s", buf_cstr(err));
	buf_reset(err);
	cr_assert_eq(settings_sasl_check(c, "x.listener", err), -1);
	cfg_free(&c);
	buf_free(&err);
}

Test(settings_sasl, mechanism_names_are_checked_at_their_limit)
{
	struct buf *err = buf_new(64, 4096);
	struct cfg *c;

	/* 20 characters: the longest name RFC 4422 allows */
	c = load("[sasl]\nmechanisms = ABCDEFGHIJ-0123456_9\n", err);
	cr_assert_not_null(c, "%s", buf_cstr(err));
	cfg_free(&c);
	c = load("[sasl]\nmechanisms = ABCDEFGHIJ-0123456_9X\n", err);
	cr_assert_null(c);
	cr_assert_not_null(strstr(buf_cstr(err), "not a SASL mechanism"),
	    "%s", buf_cstr(err));
	/* names are upper case */
	c = load("[sasl]\nmechanisms = gssapi\n", err);
	cr_assert_null(c);
	c = load("[x.listener.a]\nport = 25\nsasl_mechanisms = PL@IN\n", err);
	cr_assert_null(c);
	cr_assert_not_null(strstr(buf_cstr(err), "sasl_mechanisms"), "%s",
	    buf_cstr(err));
	c = load("[sasl]\nsmtp_service =\n", err);
	cr_assert_null(c);
	buf_free(&err);
}
