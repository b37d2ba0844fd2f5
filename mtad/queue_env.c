/*
 * mtad/queue_env.c - write and parse the envelope block of a queue file
 * (format in mtad/queue_env.h).
 *
 * The parser reads files that anything with access to the spool could
 * have written, and whose values came from SMTP clients and peers: it
 * checks every byte, every limit and every number, and is fuzzed
 * (tests/fuzz/queue_envelope_fuzz.c). Pure: no I/O, no globals.
 */
#include "config.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/pool.h"
#include "lib/str.h"
#include "mtad/queue.h"
#include "lib/banned.h"

#define ENV_TOKENS_MAX 8

static const char *const state_names[] = { "pending", "delivered",
	"deferred", "bounced" };
static const char *const body_names[] = { "-", "7BIT", "8BITMIME",
	"BINARYMIME" };
static const char *const ret_names[] = { "-", "FULL", "HDRS" };

const char *
queue_rcpt_state_name(enum queue_rcpt_state s)
{
	if ((size_t)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[s];
}

static int
word_index(const char *const *words, size_t n, const char *p, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(words[i]) == len && memcmp(words[i], p, len) == 0)
			return (int)i;
	return -1;
}

int
queue_rcpt_state_parse(const char *p, size_t len, enum queue_rcpt_state *out)
{
	int i = word_index(state_names, 4, p, len);

	if (i < 0)
		return -1;
	*out = (enum queue_rcpt_state)i;
	return 0;
}

bool
queue_rcpt_is_final(enum queue_rcpt_state s)
{
	return s == QUEUE_RCPT_DELIVERED || s == QUEUE_RCPT_BOUNCED;
}

bool
queue_env_is_done(const struct queue_env *env)
{
	for (size_t i = 0; i < env->nrcpts; i++)
		if (!queue_rcpt_is_final(env->rcpts[i].state))
			return false;
	return true;
}

uint64_t
queue_env_next_try(const struct queue_env *env)
{
	uint64_t t = UINT64_MAX;

	for (size_t i = 0; i < env->nrcpts; i++)
		if (!queue_rcpt_is_final(env->rcpts[i].state) &&
		    env->rcpts[i].next_try < t)
			t = env->rcpts[i].next_try;
	return t;
}

size_t
queue_env_max_len(const struct queue_limits *lim)
{
	/* fixed lines + recipients, as many padding lines, the blank line */
	return (lim->line_max + 1) * 2 * (QUEUE_ENV_FIXED_LINES +
	    lim->rcpt_max) + 1;
}

/* ---- escaping ----------------------------------------------------- */

static bool
byte_is_plain(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e && c != '%';
}

/* Escape at most max bytes of s. */
static int
esc_append_n(struct buf *out, const char *s, size_t max)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n;

	if (s == NULL || *s == '\0' || max == 0)
		return buf_append_byte(out, '-');
	if (strcmp(s, "-") == 0)
		return buf_append_str(out, "%2D");
	n = strlen(s);
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		char e[3] = { '%', hex[c >> 4], hex[c & 15] };

		if (byte_is_plain(c) ? buf_append_byte(out, c) :
		    buf_append(out, e, 3))
			return -1;
	}
	return 0;
}

int
queue_esc_append(struct buf *out, const char *s)
{
	return esc_append_n(out, s, SIZE_MAX);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
queue_esc_decode(const char *p, size_t len, struct pool *pool, char **s_out)
{
	char *s;
	size_t i, k = 0;

	if (len == 0)
		return -1;
	if (len == 1 && p[0] == '-') {
		*s_out = pool_strdup(pool, "");
		return 0;
	}
	s = pool_alloc(pool, len + 1);
	for (i = 0; i < len; i++) {
		uint8_t c = (uint8_t)p[i];
		int hi, lo;

		if (c != '%') {
			if (!byte_is_plain(c))
				return -1;
			s[k++] = (char)c;
			continue;
		}
		if (len - i < 3 || (hi = hexval(p[i + 1])) < 0 ||
		    (lo = hexval(p[i + 2])) < 0)
			return -1;
		c = (uint8_t)(hi << 4 | lo);
		/* canonical: escaped only if it had to be ("-" alone too) */
		if (c == '\0' || (byte_is_plain(c) && !(c == '-' && len == 3)))
			return -1;
		s[k++] = (char)c;
		i += 2;
	}
	s[k] = '\0';
	*s_out = s;
	return 0;
}

/* ---- writing ------------------------------------------------------ */

static int
notify_append(struct buf *out, unsigned notify)
{
	static const struct { unsigned bit; const char *name; } w[] = {
		{ QUEUE_NOTIFY_SUCCESS, "SUCCESS" },
		{ QUEUE_NOTIFY_FAILURE, "FAILURE" },
		{ QUEUE_NOTIFY_DELAY, "DELAY" },
	};
	bool first = true;

	if (notify == 0)
		return buf_append_byte(out, '-');
	if (notify == QUEUE_NOTIFY_NEVER)
		return buf_append_str(out, "NEVER");
	if (notify & ~(QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE |
	    QUEUE_NOTIFY_DELAY))
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (!(notify & w[i].bit))
			continue;
		if ((!first && buf_append_byte(out, ',')) ||
		    buf_append_str(out, w[i].name))
			return -1;
		first = false;
	}
	return 0;
}

static int
kv_str(struct buf *out, const char *key, const char *val)
{
	if (buf_printf(out, "%s ", key) || queue_esc_append(out, val) ||
	    buf_append_byte(out, '\n'))
		return -1;
	return 0;
}

static int
rcpt_append(struct buf *out, const struct queue_rcpt *r)
{
	if (r->addr == NULL || *r->addr == '\0')
		return -1;
	if ((size_t)r->state > QUEUE_RCPT_BOUNCED)
		return -1;
	if (buf_append_str(out, "rcpt ") || queue_esc_append(out, r->addr) ||
	    buf_append_str(out, " orcpt=") || queue_esc_append(out, r->orcpt) ||
	    buf_append_str(out, " notify=") || notify_append(out, r->notify) ||
	    buf_printf(out, " state=%s attempts=%u next=%llu reply=",
	    state_names[r->state], (unsigned)r->attempts,
	    (unsigned long long)r->next_try) ||
	    esc_append_n(out, r->reply, QUEUE_REPLY_MAX) ||
	    buf_append_byte(out, '\n'))
		return -1;
	return 0;
}

/* Whether every line from start on fits line_max. */
static bool
lines_fit(const struct buf *out, size_t start, size_t line_max)
{
	size_t ls = start;

	for (size_t i = start; i < out->len; i++)
		if (out->data[i] == '\n') {
			if (i - ls > line_max)
				return false;
			ls = i + 1;
		}
	return true;
}

int
queue_env_format(const struct queue_env *env, const struct queue_limits *lim,
    struct buf *out, const char **err_out)
{
	size_t start = out->len;
	int rc = 0;

	if (env->nrcpts == 0 || env->nrcpts > lim->rcpt_max) {
		*err_out = env->nrcpts == 0 ? "no recipients" :
		    "too many recipients";
		return -1;
	}
	if ((size_t)env->body > QUEUE_BODY_BINARYMIME ||
	    (size_t)env->ret > QUEUE_RET_HDRS || !queue_id_is_valid(env->id)) {
		*err_out = "bad body, ret or id";
		return -1;
	}
	rc |= buf_printf(out, "tessera-queue %d\nid %s\narrival %llu\n",
	    QUEUE_FORMAT_VERSION, env->id, (unsigned long long)env->arrival);
	rc |= kv_str(out, "client-addr", env->client_addr);
	rc |= kv_str(out, "client-name", env->client_name);
	rc |= kv_str(out, "helo", env->helo);
	rc |= kv_str(out, "auth", env->auth);
	rc |= kv_str(out, "tls-version", env->tls_version);
	rc |= kv_str(out, "tls-cipher", env->tls_cipher);
	rc |= buf_printf(out, "size %llu\n", (unsigned long long)env->size);
	rc |= kv_str(out, "mail-from", env->sender);
	rc |= buf_printf(out, "mail-size %llu\nmail-body %s\n"
	    "mail-smtputf8 %s\nmail-ret %s\n",
	    (unsigned long long)env->mail_size, body_names[env->body],
	    env->smtputf8 ? "yes" : "no", ret_names[env->ret]);
	rc |= kv_str(out, "mail-envid", env->envid);
	rc |= buf_printf(out, "rcpt-count %zu\n", env->nrcpts);
	for (size_t i = 0; rc == 0 && i < env->nrcpts; i++)
		rc |= rcpt_append(out, &env->rcpts[i]);
	if (rc != 0) {
		*err_out = "bad recipient or envelope too large";
		buf_truncate(out, start);
		return -1;
	}
	if (!lines_fit(out, start, lim->line_max)) {
		*err_out = "envelope line too long";
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

/* ---- parsing ------------------------------------------------------ */

struct env_in {
	const uint8_t *p;
	size_t len, pos;
	const struct queue_limits *lim;
	struct pool *pool;
	const char *err;
	/* the current line split into tokens */
	const char *tok[ENV_TOKENS_MAX];
	size_t toklen[ENV_TOKENS_MAX];
	size_t ntok;
	size_t linelen;
};

/* Next line: 1 (tokens split), 0 (input ends first), -1 (too long or a
 * byte or spacing no writer produces). An empty line has no tokens. */
static int
next_line(struct env_in *in)
{
	const uint8_t *s = in->p + in->pos, *nl;
	size_t avail = in->len - in->pos, n, i, ts;

	nl = memchr(s, '\n', avail > in->lim->line_max + 1 ?
	    in->lim->line_max + 1 : avail);
	if (nl == NULL) {
		if (avail > in->lim->line_max) {
			in->err = "line too long";
			return -1;
		}
		return 0;
	}
	n = (size_t)(nl - s);
	in->ntok = 0;
	in->linelen = n;
	for (i = 0, ts = 0; i <= n; i++) {
		if (i < n && s[i] != ' ') {
			if (s[i] < 0x21 || s[i] > 0x7e) {
				in->err = "control or 8-bit byte in envelope";
				return -1;
			}
			continue;
		}
		if (i == ts && n > 0) {
			in->err = "stray space in envelope";
			return -1;
		}
		if (n == 0)
			break;
		if (in->ntok == ENV_TOKENS_MAX) {
			in->err = "too many fields";
			return -1;
		}
		in->tok[in->ntok] = (const char *)s + ts;
		in->toklen[in->ntok++] = i - ts;
		ts = i + 1;
	}
	in->pos += n + 1;
	return 1;
}

static bool
tok_is(const struct env_in *in, size_t i, const char *w)
{
	return in->toklen[i] == strlen(w) &&
	    memcmp(in->tok[i], w, in->toklen[i]) == 0;
}

static bool
num_ok(const char *v, size_t vl, uint64_t max, uint64_t *out)
{
	uint64_t n;

	/* parse_u64 with the type's maximum, then the bound: lib's
	 * parse_u64 lets a last digit above a one-digit max through */
	if (parse_u64(v, vl, UINT64_MAX, &n) == -1 || n > max ||
	    (vl > 1 && v[0] == '0'))
		return false;
	*out = n;
	return true;
}

/* Read the line "key VALUE"; 1 with val and vlen set, 0 need more, -1 error. */
static int
kv_line(struct env_in *in, const char *key, const char **val, size_t *vlen)
{
	int rc = next_line(in);

	if (rc != 1)
		return rc;
	if (in->ntok != 2 || !tok_is(in, 0, key)) {
		in->err = "missing or misplaced envelope line";
		return -1;
	}
	*val = in->tok[1];
	*vlen = in->toklen[1];
	return 1;
}

static int
kv_u64(struct env_in *in, const char *key, uint64_t max, uint64_t *out)
{
	const char *v;
	size_t vl;
	int rc = kv_line(in, key, &v, &vl);

	if (rc != 1)
		return rc;
	if (!num_ok(v, vl, max, out)) {
		in->err = "bad number in envelope";
		return -1;
	}
	return 1;
}

static int
kv_esc(struct env_in *in, const char *key, char **out)
{
	const char *v;
	size_t vl;
	int rc = kv_line(in, key, &v, &vl);

	if (rc != 1)
		return rc;
	if (queue_esc_decode(v, vl, in->pool, out) == -1) {
		in->err = "bad escape in envelope";
		return -1;
	}
	return 1;
}

static int
kv_word(struct env_in *in, const char *key, const char *const *words,
    size_t n, int *out)
{
	const char *v;
	size_t vl;
	int rc = kv_line(in, key, &v, &vl);

	if (rc != 1)
		return rc;
	if ((*out = word_index(words, n, v, vl)) < 0) {
		in->err = "unknown word in envelope";
		return -1;
	}
	return 1;
}

static int
notify_parse(const char *p, size_t len, unsigned *out)
{
	/* the canonical spellings notify_append writes, and nothing else */
	static const char *const forms[] = { "-", "NEVER", "SUCCESS",
		"FAILURE", "SUCCESS,FAILURE", "DELAY", "SUCCESS,DELAY",
		"FAILURE,DELAY", "SUCCESS,FAILURE,DELAY" };
	static const unsigned bits[] = { 0, QUEUE_NOTIFY_NEVER,
		QUEUE_NOTIFY_SUCCESS, QUEUE_NOTIFY_FAILURE,
		QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE, QUEUE_NOTIFY_DELAY,
		QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_DELAY,
		QUEUE_NOTIFY_FAILURE | QUEUE_NOTIFY_DELAY,
		QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE |
		    QUEUE_NOTIFY_DELAY };
	int i = word_index(forms, 9, p, len);

	if (i < 0)
		return -1;
	*out = bits[i];
	return 0;
}

/* Token i of the line is "key=VALUE": the value. */
static bool
tok_field(const struct env_in *in, size_t i, const char *key, const char **v,
    size_t *vl)
{
	size_t kl = strlen(key);

	if (in->toklen[i] <= kl || memcmp(in->tok[i], key, kl) != 0 ||
	    in->tok[i][kl] != '=')
		return false;
	*v = in->tok[i] + kl + 1;
	*vl = in->toklen[i] - kl - 1;
	return true;
}


static int
rcpt_line(struct env_in *in, struct queue_rcpt *r)
{
	const char *v;
	size_t vl;
	uint64_t n;
	int rc = next_line(in);

	if (rc != 1)
		return rc;
	in->err = "bad recipient line";
	if (in->ntok != 8 || !tok_is(in, 0, "rcpt") ||
	    queue_esc_decode(in->tok[1], in->toklen[1], in->pool, &r->addr) ||
	    *r->addr == '\0')
		return -1;
	if (!tok_field(in, 2, "orcpt", &v, &vl) ||
	    queue_esc_decode(v, vl, in->pool, &r->orcpt))
		return -1;
	if (!tok_field(in, 3, "notify", &v, &vl) ||
	    notify_parse(v, vl, &r->notify))
		return -1;
	if (!tok_field(in, 4, "state", &v, &vl) ||
	    queue_rcpt_state_parse(v, vl, &r->state))
		return -1;
	if (!tok_field(in, 5, "attempts", &v, &vl) ||
	    !num_ok(v, vl, UINT32_MAX, &n))
		return -1;
	r->attempts = (uint32_t)n;
	if (!tok_field(in, 6, "next", &v, &vl) ||
	    !num_ok(v, vl, INT64_MAX, &r->next_try))
		return -1;
	if (!tok_field(in, 7, "reply", &v, &vl) ||
	    queue_esc_decode(v, vl, in->pool, &r->reply) ||
	    strlen(r->reply) > QUEUE_REPLY_MAX)
		return -1;
	in->err = NULL;
	return 1;
}

static bool
all_hashes(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != '#')
			return false;
	return true;
}

#define STEP(x) do { if ((rc = (x)) != 1) return rc; } while (0)

static int
parse_head(struct env_in *in, struct queue_env *env)
{
	const char *v;
	size_t vl;
	uint64_t n;
	int rc, w;

	STEP(kv_u64(in, "tessera-queue", UINT32_MAX, &n));
	if (n != QUEUE_FORMAT_VERSION) {
		in->err = "unknown queue file version";
		return -1;
	}
	STEP(kv_line(in, "id", &v, &vl));
	if (vl != QUEUE_ID_LEN) {
		in->err = "bad queue id";
		return -1;
	}
	memcpy(env->id, v, vl);
	env->id[vl] = '\0';
	if (!queue_id_is_valid(env->id)) {
		in->err = "bad queue id";
		return -1;
	}
	STEP(kv_u64(in, "arrival", INT64_MAX, &env->arrival));
	STEP(kv_esc(in, "client-addr", &env->client_addr));
	STEP(kv_esc(in, "client-name", &env->client_name));
	STEP(kv_esc(in, "helo", &env->helo));
	STEP(kv_esc(in, "auth", &env->auth));
	STEP(kv_esc(in, "tls-version", &env->tls_version));
	STEP(kv_esc(in, "tls-cipher", &env->tls_cipher));
	STEP(kv_u64(in, "size", INT64_MAX, &env->size));
	STEP(kv_esc(in, "mail-from", &env->sender));
	STEP(kv_u64(in, "mail-size", INT64_MAX, &env->mail_size));
	STEP(kv_word(in, "mail-body", body_names, 4, &w));
	env->body = (enum queue_body)w;
	STEP(kv_word(in, "mail-smtputf8", (const char *const[]){ "no", "yes" },
	    2, &w));
	env->smtputf8 = w == 1;
	STEP(kv_word(in, "mail-ret", ret_names, 3, &w));
	env->ret = (enum queue_ret)w;
	STEP(kv_esc(in, "mail-envid", &env->envid));
	STEP(kv_u64(in, "rcpt-count", in->lim->rcpt_max, &n));
	if (n == 0) {
		in->err = "no recipients";
		return -1;
	}
	env->nrcpts = (size_t)n;
	return 1;
}

int
queue_env_parse(const uint8_t *p, size_t len, const struct queue_limits *lim,
    struct pool *pool, struct queue_env *env, size_t *body_off_out,
    const char **err_out)
{
	struct env_in in = { .p = p, .len = len, .lim = lim, .pool = pool };
	size_t pad_max = QUEUE_ENV_FIXED_LINES + lim->rcpt_max, npad = 0;
	int rc;

	memset(env, 0, sizeof(*env));
	if ((rc = parse_head(&in, env)) != 1)
		goto out;
	/* rcpt-count is bounded by rcpt_max, so this allocation is too */
	env->rcpts = pool_alloc(pool, env->nrcpts * sizeof(*env->rcpts));
	for (size_t i = 0; i < env->nrcpts; i++)
		if ((rc = rcpt_line(&in, &env->rcpts[i])) != 1)
			goto out;
	for (;;) {
		if ((rc = next_line(&in)) != 1)
			goto out;
		if (in.ntok == 0)
			break;
		if (in.ntok != 1 || !all_hashes(in.tok[0], in.toklen[0]) ||
		    ++npad > pad_max) {
			in.err = "unexpected line after the recipients";
			rc = -1;
			goto out;
		}
	}
	*body_off_out = in.pos;
	return 1;
out:
	if (rc == -1)
		*err_out = in.err != NULL ? in.err : "malformed envelope";
	return rc;
}
