/*
 * tests/unit/milters/spam_token_test.c - unit tests for the spam
 * tokeniser (milters/spam/spam_token.c): header prefixes, decoded MIME
 * text (base64, quoted-printable, charsets, HTML), URLs and domains,
 * structure tokens, and the token length and count limits at and past
 * their maximum.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/msg_header.h"
#include "lib/str.h"
#include "milters/spam/spam_token.h"
#include "lib/banned.h"

static void
collect(void *arg, const char *tok, size_t len)
{
	struct buf *b = arg;

	cr_assert_eq(buf_append(b, tok, len), 0);
	cr_assert_eq(buf_append_byte(b, '\n'), 0);
}

/* "\n" + every token + "\n" for the message under lim (NULL: defaults) */
static struct buf *
tokens_of(const char *msg, const struct spam_token_limits *lim)
{
	struct buf *b = buf_new(4096, 1 << 22);
	struct spam_token_limits def;
	struct msg_limits ml;

	spam_token_limits_defaults(&def);
	msg_limits_defaults(&ml);
	buf_append_byte(b, '\n');
	spam_token_scan((const uint8_t *)msg, strlen(msg), &ml,
	    lim != NULL ? lim : &def, collect, b);
	return b;
}

static bool
has_tok(const struct buf *b, const char *tok)
{
	char want[512];

	cr_assert_eq(str_printf(want, sizeof(want), "\n%s\n", tok), 0);
	return strstr(buf_cstr(b), want) != NULL;
}

#define HDR "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n" \
	"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n"

Test(spam_token, header_words_carry_the_field_name)
{
	struct buf *b = tokens_of(HDR "Subject: Cheap Watches today\r\n"
	    "X-Mailer: Outlook\r\n\r\nhello\r\n", NULL);

	cr_assert(has_tok(b, "subject:cheap"), "%s", buf_cstr(b));
	cr_assert(has_tok(b, "subject:watches"));
	cr_assert(has_tok(b, "x-mailer:outlook"));
	cr_assert(has_tok(b, "from:alice"));
	cr_assert(has_tok(b, "from:email:example.org"));
	cr_assert(has_tok(b, "to:email:example.net"));
	cr_assert(has_tok(b, "hello"));
	cr_assert(!has_tok(b, "subject:hello"));
	cr_assert(!has_tok(b, "struct:no-date"));
	buf_free(&b);
}

Test(spam_token, encoded_subject_is_decoded)
{
	struct buf *b = tokens_of(HDR "Subject: =?iso-8859-1?Q?caf=E9_cr=E8me?="
	    "\r\n\r\nx\r\n", NULL);

	cr_assert(has_tok(b, "subject:caf\xc3\xa9"), "%s", buf_cstr(b));
	cr_assert(has_tok(b, "subject:cr\xc3\xa8me"));
	buf_free(&b);
}

Test(spam_token, our_own_and_forged_spam_fields_are_ignored)
{
	struct buf *b = tokens_of(HDR "X-Spam-Status: No, score=0.0\r\n"
	    "X-Spam-Score: 0.0\r\n\r\nbody\r\n", NULL);
	struct buf *plain = tokens_of(HDR "\r\nbody\r\n", NULL);

	cr_assert_str_eq(buf_cstr(b), buf_cstr(plain));
	buf_free(&plain);
	buf_free(&b);
}

Test(spam_token, base64_and_quoted_printable_parts_are_decoded)
{
	/* "viagra pharmacy" and "discount=pills" */
	struct buf *b = tokens_of(HDR "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
	    "--XX\r\nContent-Type: text/plain\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "dmlhZ3JhIHBoYXJtYWN5\r\n"
	    "--XX\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "discount pi=\r\nlls fran=E7ais\r\n--XX--\r\n", NULL);

	cr_assert(has_tok(b, "viagra"), "%s", buf_cstr(b));
	cr_assert(has_tok(b, "pharmacy"));
	cr_assert(has_tok(b, "bi:viagra pharmacy"));
	cr_assert(has_tok(b, "pills"));
	cr_assert(has_tok(b, "fran\xc3\xa7" "ais"));
	cr_assert(!has_tok(b, "dmlhz3jhihboyxjtywn5"));
	cr_assert(has_tok(b, "cte:base64"));
	cr_assert(has_tok(b, "ct:multipart/mixed"));
	cr_assert(has_tok(b, "charset:iso-8859-1"));
	cr_assert(has_tok(b, "struct:parts:2"));
	buf_free(&b);
}

Test(spam_token, html_is_reduced_to_text_with_its_urls_and_tags)
{
	struct buf *b = tokens_of(HDR "Content-Type: text/html\r\n\r\n"
	    "<html><body><font color=red>Click&nbsp;here</font>"
	    "<a href=\"http://user@www.Spam-Shop.example.com:8080/buy/now?x=1\">"
	    "offer</a><!-- hidden --></body></html>\r\n", NULL);

	cr_assert(has_tok(b, "click"), "%s", buf_cstr(b));
	cr_assert(has_tok(b, "here"));
	cr_assert(has_tok(b, "offer"));
	cr_assert(!has_tok(b, "font"));
	cr_assert(has_tok(b, "html:font"));
	cr_assert(has_tok(b, "html:!"));
	cr_assert(has_tok(b, "url:www.spam-shop.example.com"));
	cr_assert(has_tok(b, "url:spam-shop.example.com"));
	cr_assert(has_tok(b, "url:example.com"));
	cr_assert(!has_tok(b, "url:com"));
	cr_assert(has_tok(b, "url:userinfo"));
	cr_assert(has_tok(b, "url:port"));
	cr_assert(has_tok(b, "url:scheme:http"));
	cr_assert(has_tok(b, "urlp:buy"));
	cr_assert(has_tok(b, "struct:html-only"));
	buf_free(&b);
}

Test(spam_token, plain_text_urls_emails_and_shouting)
{
	struct buf *b = tokens_of(HDR "\r\nVisit www.example.biz or "
	    "http://10.1.2.3/x, mail sales@deals.example.info. FREE MONEY!\r\n",
	    NULL);

	cr_assert(has_tok(b, "url:www.example.biz"), "%s", buf_cstr(b));
	cr_assert(has_tok(b, "url:ip"));
	cr_assert(has_tok(b, "url:10.1.2.3"));
	cr_assert(has_tok(b, "email:deals.example.info"));
	cr_assert(has_tok(b, "email:example.info"));
	cr_assert(has_tok(b, "free"));
	cr_assert(has_tok(b, "upper:FREE"));
	cr_assert(has_tok(b, "money!"));
	cr_assert(has_tok(b, "struct:no-date") == false);
	buf_free(&b);
}

Test(spam_token, missing_fields_are_structure_tokens)
{
	struct buf *b = tokens_of("Subject: hi\r\n\r\nbody\r\n", NULL);

	cr_assert(has_tok(b, "struct:no-date"));
	cr_assert(has_tok(b, "struct:no-message-id"));
	buf_free(&b);
}

/* token_len_max at max - 1, max and max + 1 */
Test(spam_token, token_length_limit)
{
	struct spam_token_limits lim;
	struct buf *b;

	spam_token_limits_defaults(&lim);
	lim.token_len_max = 10;
	b = tokens_of(HDR "\r\nabcdefghi abcdefghij abcdefghijk\r\n", &lim);
	cr_assert(has_tok(b, "abcdefghi"), "%s", buf_cstr(b));
	cr_assert(has_tok(b, "abcdefghij"));
	cr_assert(!has_tok(b, "abcdefghijk"));
	cr_assert(has_tok(b, "skip:a 10"));
	buf_free(&b);
}

static void
tokenize_str(const char *msg, size_t max, struct spam_tokens *t)
{
	struct spam_token_limits lim;
	struct msg_limits ml;

	spam_token_limits_defaults(&lim);
	lim.tokens_max = max;
	msg_limits_defaults(&ml);
	spam_tokenize((const uint8_t *)msg, strlen(msg), &ml, &lim, t);
}

/* tokens_max at the count of distinct tokens, one below, one above */
Test(spam_token, token_count_limit)
{
	const char *msg = "Subject: aaa\r\n\r\nbbb ccc bbb\r\n";
	struct spam_tokens t;
	size_t n;

	spam_tokens_init(&t, 1000);
	tokenize_str(msg, 1000, &t);
	n = t.n;
	cr_assert_gt(n, 5);
	cr_assert(!t.truncated);
	tokenize_str(msg, n + 1, &t);
	cr_assert_eq(t.n, n);
	cr_assert(!t.truncated);
	tokenize_str(msg, n, &t);
	cr_assert_eq(t.n, n);
	cr_assert(!t.truncated);
	tokenize_str(msg, n - 1, &t);
	cr_assert_eq(t.n, n - 1);
	cr_assert(t.truncated);
	spam_tokens_deinit(&t);
}

Test(spam_token, set_holds_distinct_hashes)
{
	struct spam_tokens t;

	spam_tokens_init(&t, 10000);
	for (uint64_t i = 1; i <= 5000; i++)
		cr_assert_eq(spam_tokens_add_hash(&t, i * 7919), 1);
	for (uint64_t i = 1; i <= 5000; i++)
		cr_assert_eq(spam_tokens_add_hash(&t, i * 7919), 0);
	cr_assert_eq(t.n, 5000);
	cr_assert_neq(spam_token_hash("a", 1), spam_token_hash("b", 1));
	cr_assert_eq(spam_token_hash("free", 4), spam_token_hash("free", 4));
	spam_tokens_deinit(&t);
}

Test(spam_token, text_limit_reads_a_prefix)
{
	struct spam_token_limits lim;
	struct buf *msg = buf_new(4096, 1 << 20), *b;

	buf_append_str(msg, HDR "\r\nfirstword ");
	for (int i = 0; i < 300; i++)
		buf_append_str(msg, "filler ");
	buf_append_str(msg, "lastword\r\n");
	spam_token_limits_defaults(&lim);
	lim.text_max = 1024;
	b = tokens_of(buf_cstr(msg), &lim);
	cr_assert(has_tok(b, "firstword"), "%s", buf_cstr(b));
	cr_assert(!has_tok(b, "lastword"));
	cr_assert(has_tok(b, "limit:text"));
	buf_free(&b);
	lim.text_max = 1 << 20;
	b = tokens_of(buf_cstr(msg), &lim);
	cr_assert(has_tok(b, "lastword"));
	cr_assert(!has_tok(b, "limit:text"));
	buf_free(&b);
	buf_free(&msg);
}

Test(spam_token, garbage_does_not_crash)
{
	static const char *inputs[] = { "", "\r\n", "no header at all",
		"Content-Type: multipart/mixed\r\n\r\n--\r\n",
		"Content-Type: text/html\r\n\r\n<<<<<a href=http://",
		"Content-Type: text/plain; charset=x-unknown-1\r\n\r\n\xff\xfe",
		"Subject: =?utf-8?B?////?=\r\n\r\nhttp://@:/",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct spam_tokens t;

		spam_tokens_init(&t, 100);
		tokenize_str(inputs[i], 100, &t);
		spam_tokens_deinit(&t);
	}
}
