/*
 * lib/cfg.c - table-driven INI configuration: loading, lookup, dump, doc.
 *
 * Runs in the master and admin tools before privileges are dropped. The
 * file is split into lines here and handed to inih one line at a time
 * through our own reader, because Debian's inih (a) calls the handler
 * without line numbers, (b) splits a line longer than its buffer
 * (INI_MAX_LINE, 200 bytes) into two lines, (c) silently truncates
 * section names past 49 bytes and (d) accepts continuation lines. The
 * reader numbers lines, rejects over-long lines and NUL bytes, tracks
 * section headers in full and flags continuation lines; inih splits
 * "key = value" and strips comments. A load parses into a fresh set of
 * structs and swaps it in only if there was no error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/cfg_int.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct cfg_inst {
	char *name;		/* instance name; NULL for a singleton */
	void *data;		/* the section struct, def->size bytes */
	unsigned *lines;	/* per key: line it was set on, 0 = default */
	unsigned header_line;	/* line of its [header], 0 = not in file */
};

struct cfg_defset {
	struct cfg_inst *inst;	/* singleton: exactly one */
	size_t n;
	const char **names;	/* named: n names and structs */
	const void **datas;
};

struct cfg_set {
	struct cfg_defset *d;	/* one per section definition */
};

struct cfg {
	const struct cfg_section_def *defs;
	size_t ndefs;
	const char *const *foreign;	/* skipped sections, or NULL */
	struct cfg_set *set;
};

/* cur_def values besides a definition index. */
#define CUR_NONE (-1L)		/* before the first header */
#define CUR_IGNORE (-2L)	/* inside a bad header, already reported */

struct cfg_load {
	const struct cfg *c;
	struct cfg_set *set;	/* being filled */
	const char *name;	/* file name in messages */
	const char *text;
	size_t len;
	size_t pos;
	unsigned lineno;
	bool skip_line;		/* this line's error is already reported */
	bool have_key;		/* key line seen since the header (inih's
				   continuation rule) */
	long cur_def;
	size_t cur_inst;
	char *cur_section;	/* header as written, for messages */
	unsigned nerr;
	struct buf *err;
};

static void __attribute__((format(printf, 5, 6)))
load_error(struct cfg_load *x, unsigned line, const char *section,
    const char *key, const char *fmt, ...)
{
	va_list ap;

	x->nerr++;
	if (x->err == NULL || x->nerr > CFG_ERRORS_MAX + 1)
		return;
	if (x->nerr == CFG_ERRORS_MAX + 1) {
		(void)buf_printf(x->err, "%s: too many errors\n", x->name);
		return;
	}
	if (line != 0)
		(void)buf_printf(x->err, "%s:%u: ", x->name, line);
	else
		(void)buf_printf(x->err, "%s: ", x->name);
	if (section != NULL)
		(void)buf_printf(x->err, "[%s]%s", section, key ? " " : ": ");
	if (key != NULL)
		(void)buf_printf(x->err, "%s: ", key);
	va_start(ap, fmt);
	(void)buf_vprintf(x->err, fmt, ap);
	va_end(ap);
	(void)buf_append_byte(x->err, '\n');
}

static const struct cfg_key *
find_key(const struct cfg_section_def *def, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < def->nkeys; i++) {
		if (strcmp(def->keys[i].name, name) == 0) {
			*idx = i;
			return &def->keys[i];
		}
	}
	return NULL;
}

static void
inst_init(const struct cfg_section_def *def, struct cfg_inst *inst,
    const char *name)
{
	size_t i;

	memset(inst, 0, sizeof(*inst));
	inst->name = name ? xstrdup(name) : NULL;
	inst->data = xmalloc(def->size);
	inst->lines = xcalloc(def->nkeys ? def->nkeys : 1, sizeof(unsigned));
	for (i = 0; i < def->nkeys; i++) {
		const struct cfg_key *k = &def->keys[i];
		union cfg_val v;
		const char *why;

		if (cfg_value_parse(k, k->def, &v, &why) == -1)
			log_panic("cfg: [%s] %s: bad default", def->name,
			    k->name);
		cfg_value_store(k, inst->data, &v);
	}
}

static void
inst_deinit(const struct cfg_section_def *def, struct cfg_inst *inst)
{
	size_t i;

	for (i = 0; i < def->nkeys; i++)
		cfg_field_free(&def->keys[i], inst->data);
	free(inst->data);
	free(inst->lines);
	free(inst->name);
}

static struct cfg_set *
set_new(const struct cfg *c)
{
	struct cfg_set *set = xmalloc(sizeof(*set));
	size_t i;

	set->d = xcalloc(c->ndefs, sizeof(*set->d));
	for (i = 0; i < c->ndefs; i++) {
		if (c->defs[i].named)
			continue;
		set->d[i].inst = xmalloc(sizeof(struct cfg_inst));
		set->d[i].n = 1;
		inst_init(&c->defs[i], &set->d[i].inst[0], NULL);
	}
	return set;
}

static void
set_free(const struct cfg *c, struct cfg_set **setp)
{
	struct cfg_set *set = *setp;
	size_t i, j;

	if (set == NULL)
		return;
	for (i = 0; i < c->ndefs; i++) {
		for (j = 0; j < set->d[i].n; j++)
			inst_deinit(&c->defs[i], &set->d[i].inst[j]);
		free(set->d[i].inst);
		free(set->d[i].names);
		free(set->d[i].datas);
	}
	free(set->d);
	free(set);
	*setp = NULL;
}

/* Build the arrays cfg_instances hands out. */
static void
set_finish(const struct cfg *c, struct cfg_set *set)
{
	size_t i, j;

	for (i = 0; i < c->ndefs; i++) {
		struct cfg_defset *d = &set->d[i];

		if (!c->defs[i].named)
			continue;
		d->names = xcalloc(d->n + 1, sizeof(*d->names));
		d->datas = xcalloc(d->n + 1, sizeof(*d->datas));
		for (j = 0; j < d->n; j++) {
			d->names[j] = d->inst[j].name;
			d->datas[j] = d->inst[j].data;
		}
	}
}

static bool
valid_instance(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++) {
		char ch = s[n];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return n > 0 && n <= CFG_INSTANCE_MAX;
}

static void
enter_singleton(struct cfg_load *x, size_t i)
{
	struct cfg_inst *inst = &x->set->d[i].inst[0];

	if (inst->header_line != 0) {
		load_error(x, x->lineno, x->cur_section, NULL,
		    "duplicate section (first at line %u)", inst->header_line);
		return;
	}
	inst->header_line = x->lineno;
	x->cur_def = (long)i;
	x->cur_inst = 0;
}

static void
enter_named(struct cfg_load *x, size_t i, const char *name)
{
	struct cfg_defset *d = &x->set->d[i];
	size_t j;

	for (j = 0; j < d->n; j++) {
		if (strcmp(d->inst[j].name, name) == 0) {
			load_error(x, x->lineno, x->cur_section, NULL,
			    "duplicate section (first at line %u)",
			    d->inst[j].header_line);
			return;
		}
	}
	d->inst = xreallocarray(d->inst, d->n + 1, sizeof(*d->inst));
	inst_init(&x->c->defs[i], &d->inst[d->n], name);
	d->inst[d->n].header_line = x->lineno;
	x->cur_def = (long)i;
	x->cur_inst = d->n++;
}

/* Is [name] a section another program owns (cfg_set_foreign)? */
static bool
is_foreign(const struct cfg *c, const char *name)
{
	for (size_t i = 0; c->foreign != NULL && c->foreign[i] != NULL; i++) {
		const char *f = c->foreign[i];
		size_t fl = strlen(f);

		if (fl >= 2 && strcmp(f + fl - 2, ".*") == 0) {
			if (strncmp(name, f, fl - 1) == 0 &&
			    valid_instance(name + fl - 1))
				return true;
		} else if (strcmp(name, f) == 0) {
			return true;
		}
	}
	return false;
}

static void
enter_section(struct cfg_load *x, const char *name, size_t len)
{
	const char *bad_instance = NULL;
	size_t i;

	x->cur_def = CUR_IGNORE;
	x->have_key = false;
	free(x->cur_section);
	x->cur_section = xstrndup(name, len);
	name = x->cur_section;
	for (i = 0; i < x->c->ndefs; i++) {
		const struct cfg_section_def *def = &x->c->defs[i];
		size_t dl = strlen(def->name);

		if (strcmp(name, def->name) == 0) {
			if (!def->named) {
				enter_singleton(x, i);
				return;
			}
			load_error(x, x->lineno, name, NULL,
			    "needs an instance name, as in [%s.NAME]",
			    def->name);
			return;
		}
		if (def->named && strncmp(name, def->name, dl) == 0 &&
		    name[dl] == '.') {
			if (valid_instance(name + dl + 1)) {
				enter_named(x, i, name + dl + 1);
				return;
			}
			bad_instance = name + dl + 1;
		}
	}
	if (bad_instance != NULL)
		load_error(x, x->lineno, name, NULL, "bad instance name \"%s\" "
		    "(1 to %d letters, digits, '-' or '_')", bad_instance,
		    CFG_INSTANCE_MAX);
	else if (!is_foreign(x->c, name))
		load_error(x, x->lineno, name, NULL, "unknown section");
}

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' ||
	    ch == '\v';
}

/* "[name]" header at t: enter the section or report the syntax error. */
static void
scan_header(struct cfg_load *x, const char *t)
{
	const char *end = t + 1, *rest;

	/* inih ends the name at ']' or at a ';' comment after a blank */
	while (*end != '\0' && *end != ']' &&
	    !(*end == ';' && is_blank(end[-1])))
		end++;
	if (*end != ']') {
		x->cur_def = CUR_IGNORE;
		x->skip_line = true;
		load_error(x, x->lineno, NULL, NULL,
		    "syntax error: section header without ']'");
		return;
	}
	if (end == t + 1) {
		x->cur_def = CUR_IGNORE;
		load_error(x, x->lineno, NULL, NULL, "empty section name");
		return;
	}
	enter_section(x, t + 1, (size_t)(end - t - 1));
	for (rest = end + 1; is_blank(*rest); rest++)
		;
	if (*rest != '\0' && *rest != ';' && *rest != '#')
		load_error(x, x->lineno, NULL, NULL,
		    "syntax error: text after section header");
}

/* Classify one line the way inih will, reporting what inih would
 * mishandle or only report without detail. */
static void
scan_line(struct cfg_load *x, const char *line)
{
	const char *s = line, *t, *p;
	bool prev_blank = false;

	if (x->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	for (t = s; is_blank(*t); t++)
		;
	if (*t == '\0' || *t == ';' || *t == '#')
		return;
	if (t > s && x->have_key) {
		x->skip_line = true;
		load_error(x, x->lineno, NULL, NULL, "syntax error: indented "
		    "line after a key (continuation lines are not supported)");
		return;
	}
	if (*t == '[') {
		scan_header(x, t);
		return;
	}
	for (p = t; *p != '\0' && *p != '=' && *p != ':'; p++) {
		if (*p == ';' && prev_blank)
			break;
		prev_blank = is_blank(*p);
	}
	if (*p != '=' && *p != ':') {
		x->skip_line = true;
		load_error(x, x->lineno, NULL, NULL,
		    "syntax error: expected \"key = value\"");
		return;
	}
	x->have_key = true;
}

/* inih's line reader (fgets-like): hands over one line of our text per
 * call so line numbers stay exact; a line that does not fit inih's
 * buffer is reported and replaced by an empty line. */
static char *
cfg_reader(char *str, int num, void *stream)
{
	struct cfg_load *x = stream;
	const char *p, *eol;
	size_t len, content, max;

	if (x->pos >= x->len)
		return NULL;
	p = x->text + x->pos;
	eol = memchr(p, '\n', x->len - x->pos);
	len = eol ? (size_t)(eol - p) : x->len - x->pos;
	x->pos += len + (eol ? 1 : 0);
	x->lineno++;
	x->skip_line = false;
	/* inih wants room for "\r\n\0" past the longest line */
	max = num > 3 ? (size_t)num - 3 : 0;
	if (max > CFG_LINE_MAX)
		max = CFG_LINE_MAX;
	str[0] = '\0';
	content = len > 0 && p[len - 1] == '\r' ? len - 1 : len;
	if (memchr(p, '\0', len) != NULL || content > max) {
		const char *t = p;

		while (t < p + len && is_blank(*t))
			t++;
		if (t < p + len && *t == '[')
			x->cur_def = CUR_IGNORE;
		x->skip_line = true;
		if (content > max)
			load_error(x, x->lineno, NULL, NULL,
			    "line too long (%zu bytes, at most %zu)", content,
			    max);
		else
			load_error(x, x->lineno, NULL, NULL, "NUL byte in line");
		return str;
	}
	memcpy(str, p, len);
	str[len] = '\0';
	scan_line(x, str);
	return str;
}

/* Cut a '#' comment that starts the value or follows a blank (inih only
 * knows ';' as an inline comment), then trailing blanks. */
static void
cut_hash_comment(char *v)
{
	size_t i, len;

	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] == '#' && (i == 0 || is_blank(v[i - 1]))) {
			v[i] = '\0';
			break;
		}
	}
	len = strlen(v);
	while (len > 0 && is_blank(v[len - 1]))
		v[--len] = '\0';
}

static void
set_key(struct cfg_load *x, const char *name, const char *value)
{
	const struct cfg_section_def *def = &x->c->defs[x->cur_def];
	struct cfg_inst *inst = &x->set->d[x->cur_def].inst[x->cur_inst];
	const struct cfg_key *k;
	const char *why;
	union cfg_val v;
	size_t ki;
	char *val;

	k = find_key(def, name, &ki);
	if (k == NULL) {
		load_error(x, x->lineno, x->cur_section, name, "unknown key");
		return;
	}
	if (inst->lines[ki] != 0) {
		load_error(x, x->lineno, x->cur_section, name,
		    "duplicate key (first set at line %u)", inst->lines[ki]);
		return;
	}
	val = xstrdup(value);
	cut_hash_comment(val);
	if (cfg_value_parse(k, val, &v, &why) == -1) {
		load_error(x, x->lineno, x->cur_section, name,
		    "bad value \"%s\": %s", val, why);
	} else if (!cfg_value_in_range(k, &v)) {
		load_error(x, x->lineno, x->cur_section, name,
		    "%s is out of range %s..%s", val, k->min ? k->min : "",
		    k->max ? k->max : "");
		cfg_value_release(k, &v);
	} else {
		cfg_value_store(k, inst->data, &v);
		inst->lines[ki] = x->lineno;
	}
	free(val);
}

static int
cfg_ini_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct cfg_load *x = user;

	if (x->skip_line || x->cur_def == CUR_IGNORE)
		return 1;
	if (x->cur_def == CUR_NONE) {
		load_error(x, x->lineno, NULL, name,
		    "key before any [section]");
		return 1;
	}
	set_key(x, name, value);
	return 1;
}

static void
run_checks(struct cfg_load *x)
{
	struct buf *msg = buf_new(128, 1024);
	size_t i, j;

	for (i = 0; i < x->c->ndefs; i++) {
		const struct cfg_section_def *def = &x->c->defs[i];

		for (j = 0; def->check != NULL && j < x->set->d[i].n; j++) {
			struct cfg_inst *inst = &x->set->d[i].inst[j];

			buf_reset(msg);
			if (def->check(inst->data, inst->name, msg) == 0)
				continue;
			if (inst->name != NULL)
				load_error(x, inst->header_line, NULL, NULL,
				    "[%s.%s]: %s", def->name, inst->name,
				    buf_cstr(msg));
			else
				load_error(x, inst->header_line, def->name,
				    NULL, "%s", buf_cstr(msg));
		}
	}
	buf_free(&msg);
}

static int
cfg_load(struct cfg *c, const char *name, const char *text, size_t len,
    struct buf *err)
{
	struct cfg_load x;
	int r;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.set = set_new(c);
	x.name = name;
	x.text = text;
	x.len = len;
	x.cur_def = CUR_NONE;
	x.err = err;
	r = ini_parse_stream(cfg_reader, &x, cfg_ini_handler, &x);
	free(x.cur_section);
	if (r > 0 && x.nerr == 0)
		load_error(&x, (unsigned)r, NULL, NULL, "syntax error");
	else if (r < 0)
		load_error(&x, 0, NULL, NULL, "parser failed (%d)", r);
	if (x.nerr == 0)
		run_checks(&x);
	if (x.nerr > 0) {
		set_free(c, &x.set);
		return -1;
	}
	set_finish(c, x.set);
	set_free(c, &c->set);
	c->set = x.set;
	return 0;
}

int
cfg_load_string(struct cfg *c, const char *name, const char *text,
    struct buf *err)
{
	return cfg_load(c, name, text, strlen(text), err);
}

int
cfg_load_file(struct cfg *c, const char *path, struct buf *err)
{
	struct buf *b = buf_new(4096, CFG_FILE_MAX);
	char chunk[4096];
	struct stat st;
	int fd, r = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		if (err != NULL)
			(void)buf_printf(err, "%s: cannot open: %s\n", path,
			    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (err != NULL)
			(void)buf_printf(err, "%s: not a regular file\n", path);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (err != NULL)
				(void)buf_printf(err, "%s: read error: %s\n",
				    path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (buf_append(b, chunk, (size_t)n) == -1) {
			if (err != NULL)
				(void)buf_printf(err, "%s: file too large "
				    "(at most %d bytes)\n", path, CFG_FILE_MAX);
			goto out;
		}
	}
	r = cfg_load(c, path, (const char *)b->data, b->len, err);
out:
	if (fd != -1)
		close(fd);
	buf_free(&b);
	return r;
}

struct cfg *
cfg_new(const struct cfg_section_def *defs, size_t n)
{
	struct cfg *c;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (defs[i].name == NULL || defs[i].name[0] == '\0' ||
		    defs[i].size == 0 || (defs[i].nkeys && !defs[i].keys))
			log_panic("cfg: section definition %zu incomplete", i);
		for (j = 0; j < i; j++)
			if (strcmp(defs[j].name, defs[i].name) == 0)
				log_panic("cfg: duplicate section %s",
				    defs[i].name);
		for (j = 0; j < defs[i].nkeys; j++)
			cfg_table_check_key(&defs[i], j);
	}
	c = xmalloc(sizeof(*c));
	c->defs = defs;
	c->ndefs = n;
	c->foreign = NULL;
	c->set = set_new(c);
	set_finish(c, c->set);
	return c;
}

void
cfg_set_foreign(struct cfg *c, const char *const *names)
{
	c->foreign = names;
}

void
cfg_free(struct cfg **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	set_free(*cp, &(*cp)->set);
	free(*cp);
	*cp = NULL;
}

static size_t
def_index(const struct cfg *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ndefs; i++)
		if (strcmp(c->defs[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

const void *
cfg_get(const struct cfg *c, const char *section)
{
	size_t i = def_index(c, section);

	if (i == SIZE_MAX || c->defs[i].named)
		log_panic("cfg_get: no singleton section %s", section);
	return c->set->d[i].inst[0].data;
}

size_t
cfg_instances(const struct cfg *c, const char *def_name,
    const char *const **names_out, const void *const **structs_out)
{
	size_t i = def_index(c, def_name);

	if (i == SIZE_MAX || !c->defs[i].named)
		log_panic("cfg_instances: no named section %s", def_name);
	if (names_out != NULL)
		*names_out = c->set->d[i].names;
	if (structs_out != NULL)
		*structs_out = c->set->d[i].datas;
	return c->set->d[i].n;
}

unsigned
cfg_line(const struct cfg *c, const char *section, const char *instance,
    const char *key)
{
	size_t i = def_index(c, section), j, ki;
	const struct cfg_defset *d;

	if (i == SIZE_MAX || find_key(&c->defs[i], key, &ki) == NULL)
		return 0;
	d = &c->set->d[i];
	for (j = 0; j < d->n; j++) {
		if ((instance == NULL && d->inst[j].name == NULL) ||
		    (instance != NULL && d->inst[j].name != NULL &&
		    strcmp(instance, d->inst[j].name) == 0))
			return d->inst[j].lines[ki];
	}
	return 0;
}

/*
 * One key as a line that loads back to the same value, as cfg_dump
 * promises, using tmp for the value. Two things the plain
 * "key = value # set" form gets wrong:
 *  - a value starting with ';' (inih reads "x=;y" as ";y") would become
 *    a comment after the blank: it goes right after the '=' instead;
 *  - the line may pass CFG_LINE_MAX though the line it came from did
 *    not (" # set" is added, list items gain a blank, "1" turns into
 *    "yes", a bare "90" into "90s"), and then the dump would not load.
 *    A key that does not fit as "key = value" is written compactly,
 *    "key=value", the value never longer than the text it was parsed
 *    from; a "# set" mark with no room left on the line goes on a line
 *    of its own before it. The form never depends on the mark, so a
 *    reloaded dump (where every key is set) only differs in marks.
 */
static int
dump_key(const struct cfg_key *k, const void *data, bool set,
    struct buf *tmp, struct buf *out)
{
	const char *eq;
	size_t len;

	buf_reset(tmp);
	if (cfg_field_format(k, data, false, tmp) == -1)
		return -1;
	eq = buf_cstr(tmp)[0] == ';' ? " =" : " = ";
	len = strlen(k->name) + strlen(eq) + tmp->len;
	if (len > CFG_LINE_MAX) {
		buf_reset(tmp);
		if (cfg_field_format(k, data, true, tmp) == -1)
			return -1;
		eq = "=";
		len = strlen(k->name) + 1 + tmp->len;
	}
	if (set && len + 6 > CFG_LINE_MAX && buf_append_str(out, "# set\n") ==
	    -1)
		return -1;
	return buf_printf(out, "%s%s%s%s\n", k->name, eq, buf_cstr(tmp),
	    set && len + 6 <= CFG_LINE_MAX ? " # set" : "");
}

static int
dump_inst(const struct cfg_section_def *def, const struct cfg_inst *inst,
    struct buf *out)
{
	struct buf *tmp = buf_new(256, out->max);
	size_t i;
	int r = -1;

	if ((inst->name ? buf_printf(out, "[%s.%s]\n", def->name, inst->name) :
	    buf_printf(out, "[%s]\n", def->name)) == -1)
		goto out;
	for (i = 0; i < def->nkeys; i++)
		if (dump_key(&def->keys[i], inst->data, inst->lines[i] != 0,
		    tmp, out) == -1)
			goto out;
	r = buf_append_str(out, "\n");
out:
	buf_free(&tmp);
	return r;
}

int
cfg_dump(const struct cfg *c, struct buf *out)
{
	size_t i, j;

	for (i = 0; i < c->ndefs; i++) {
		const struct cfg_defset *d = &c->set->d[i];

		if (c->defs[i].named && d->n == 0 &&
		    buf_printf(out, "# [%s.NAME]: none\n\n",
		    c->defs[i].name) == -1)
			return -1;
		for (j = 0; j < d->n; j++)
			if (dump_inst(&c->defs[i], &d->inst[j], out) == -1)
				return -1;
	}
	return 0;
}
