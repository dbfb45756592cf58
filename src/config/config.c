/*
 * config: the TOML-subset parser and the command-line overrides of
 * struct strata_config (see config.h for the format and the keys).
 *
 * One table, `fields`, names every setting once: its section, key, flag
 * and type, and where it lives in struct strata_config. The parser and
 * config_flag both go through it, so a file key and its flag can never
 * disagree on how a value is read.
 *
 * The parser works line by line over a bounded buffer (no NUL needed in
 * the input; a NUL byte is an error). Every value is converted into the
 * field's type at once; a later duplicate of the same key in the file is
 * an error, a flag simply replaces the value.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"

enum ftype { F_STR, F_INT, F_SIZE };

struct field {
	const char *section;
	const char *key;
	const char *flag;
	enum ftype type;
	size_t off;
};

#define S(f) offsetof(struct strata_config, f)
static const struct field fields[] = {
    {"storage", "type", "--store-type", F_STR, S(storage.type)},
    {"storage", "root", "--store-root", F_STR, S(storage.root)},
    {"storage", "root", "--s3-root", F_STR, S(storage.root)}, /* flag alias */
    {"storage", "bucket", "--s3-bucket", F_STR, S(storage.bucket)},
    {"storage", "endpoint", "--s3-endpoint", F_STR, S(storage.endpoint)},
    {"storage", "region", "--s3-region", F_STR, S(storage.region)},
    {"storage", "access_key_id", "--s3-access-key-id", F_STR, S(storage.access_key_id)},
    {"storage", "secret_access_key", "--s3-secret-access-key", F_STR,
     S(storage.secret_access_key)},
    {"storage.cache", "path", "--cache-path", F_STR, S(storage.cache_path)},
    {"storage.cache", "size", "--cache-size", F_SIZE, S(storage.cache_size)},
    {"metadata", "type", "--metadata", F_STR, S(metadata.type)},
    {"metadata", "endpoints", "--etcd-endpoints", F_STR, S(metadata.endpoints)},
    {"metadata", "prefix", "--etcd-prefix", F_STR, S(metadata.prefix)},
    {"metadata", "lease_ttl_ms", "--election-ttl-ms", F_INT, S(metadata.lease_ttl_ms)},
    {"heartbeat", "interval_ms", "--heartbeat-interval-ms", F_INT, S(heartbeat_interval_ms)},
};
#undef S
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const char *const sections[] = {"storage", "storage.cache", "metadata", "heartbeat"};

void config_init(struct strata_config *c)
{
	memset(c, 0, sizeof(*c));
}

void config_free(struct strata_config *c)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].type == F_STR) {
			char **p = (char **)((char *)c + fields[i].off);
			mem_free(*p);
			*p = NULL;
		}
	config_init(c);
}

int config_parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {{"", 1},
	             {"B", 1},
	             {"KB", 1000},
	             {"MB", 1000 * 1000},
	             {"GB", 1000 * 1000 * 1000},
	             {"TB", 1000ull * 1000 * 1000 * 1000},
	             {"K", 1024},
	             {"KiB", 1024},
	             {"M", 1024 * 1024},
	             {"MiB", 1024 * 1024},
	             {"G", 1024 * 1024 * 1024},
	             {"GiB", 1024 * 1024 * 1024},
	             {"TiB", 1024ull * 1024 * 1024 * 1024}};
	if (!s || !isdigit((unsigned char)s[0]))
		return err_set(ERR_BAD_INPUT, "bad size '%s' (want e.g. 512MiB, 1GiB, 1000000)",
		               s ? s : "");
	errno = 0;
	char *end;
	uint64_t v = strtoull(s, &end, 10);
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		if (errno || (units[i].mult > 1 && v > UINT64_MAX / units[i].mult))
			return err_set(ERR_BAD_INPUT, "size '%s' is too large", s);
		*out = v * units[i].mult;
		return ERR_OK;
	}
	return err_set(ERR_BAD_INPUT, "bad size unit in '%s' (B, KB, MB, GB, KiB, MiB, GiB, TiB)",
	               s);
}

static int parse_int(const char *s, int64_t *out)
{
	char clean[32];
	size_t n = 0;
	const char *p = s;
	if (*p == '-' || *p == '+')
		clean[n++] = *p++;
	if (!isdigit((unsigned char)*p))
		return ERR_BAD_INPUT;
	for (; *p; p++) {
		if (*p == '_' && isdigit((unsigned char)p[-1]) && isdigit((unsigned char)p[1]))
			continue;
		if (!isdigit((unsigned char)*p) || n + 1 >= sizeof(clean))
			return ERR_BAD_INPUT;
		clean[n++] = *p;
	}
	clean[n] = 0;
	errno = 0;
	char *end;
	long long v = strtoll(clean, &end, 10);
	if (errno || *end)
		return ERR_BAD_INPUT;
	*out = v;
	return ERR_OK;
}

/* Store a value given as text (from a flag, or a file string / integer
 * rendered as text) into field f. is_str: it came quoted from a file. */
static int set_field(struct strata_config *c, const struct field *f, const char *v, bool is_str)
{
	void *p = (char *)c + f->off;
	switch (f->type) {
	case F_STR: {
		char *copy = mem_strdup(v);
		if (!copy)
			return ERR_NOMEM;
		mem_free(*(char **)p);
		*(char **)p = copy;
		return ERR_OK;
	}
	case F_INT: {
		int64_t x;
		if (is_str || parse_int(v, &x) || x < 0)
			return err_set(ERR_BAD_INPUT, "'%s' wants a non-negative integer", f->key);
		*(int64_t *)p = x;
		return ERR_OK;
	}
	case F_SIZE:
		return config_parse_size(v, (uint64_t *)p);
	}
	return ERR_INTERNAL;
}

static const struct field *find_field(const char *section, const char *key)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (!strcmp(fields[i].section, section) && !strcmp(fields[i].key, key))
			return &fields[i];
	return NULL;
}

bool config_is_flag(const char *flag)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (!strcmp(fields[i].flag, flag))
			return true;
	return false;
}

int config_flag(struct strata_config *c, const char *flag, const char *value, bool *used)
{
	*used = false;
	for (size_t i = 0; i < NFIELDS; i++) {
		if (strcmp(fields[i].flag, flag))
			continue;
		*used = true;
		if (!value)
			return err_set(ERR_BAD_INPUT, "%s needs a value", flag);
		int rc = set_field(c, &fields[i], value, false);
		return rc ? err_wrap("%s", flag) : ERR_OK;
	}
	return ERR_OK;
}

/* ---- the parser ------------------------------------------------------------- */

struct parser {
	const char *p, *end;
	const char *source;
	int line;
	char section[64];
	bool seen_sections[sizeof(sections) / sizeof(sections[0])];
	bool seen[NFIELDS];
};

static int perr(struct parser *ps, const char *fmt, const char *arg)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	return err_set(ERR_BAD_INPUT, "%s:%d: %s", ps->source, ps->line, msg);
}

static void skip_ws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* After a value: only blanks and an optional comment. */
static int expect_eol(struct parser *ps, const char *p, const char *end)
{
	skip_ws(&p, end);
	if (p < end && *p != '#')
		return perr(ps, "unexpected text after the value", NULL);
	return ERR_OK;
}

/* A quoted string at *p (opening quote included) appended to out. */
static int parse_string(struct parser *ps, const char **pp, const char *end, struct buf *out)
{
	const char *p = *pp;
	char q = *p++;
	while (p < end && *p != q) {
		char ch = *p++;
		if (q == '"' && ch == '\\') {
			if (p >= end)
				break;
			char e = *p++;
			switch (e) {
			case '"': ch = '"'; break;
			case '\\': ch = '\\'; break;
			case 'n': ch = '\n'; break;
			case 't': ch = '\t'; break;
			case 'r': ch = '\r'; break;
			default: {
				char s[3] = {'\\', e, 0};
				return perr(ps, "unknown escape %s in a string", s);
			}
			}
		} else if ((unsigned char)ch < 0x20 && ch != '\t') {
			return perr(ps, "control character in a string", NULL);
		}
		if (buf_putc(out, (uint8_t)ch))
			return ERR_NOMEM;
	}
	if (p >= end)
		return perr(ps, "unterminated string", NULL);
	*pp = p + 1;
	return ERR_OK;
}

static int parse_header(struct parser *ps, const char *p, const char *end)
{
	p++; /* '[' */
	skip_ws(&p, end);
	const char *s = p;
	while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-'))
		p++;
	size_t n = (size_t)(p - s);
	skip_ws(&p, end);
	if (p >= end || *p != ']' || n == 0)
		return perr(ps, "bad section header (want [name])", NULL);
	if (n >= sizeof(ps->section))
		return perr(ps, "section name too long", NULL);
	char name[64];
	memcpy(name, s, n);
	name[n] = 0;
	size_t k = 0;
	while (k < sizeof(sections) / sizeof(sections[0]) && strcmp(sections[k], name))
		k++;
	if (k == sizeof(sections) / sizeof(sections[0]))
		return perr(ps, "unknown section [%s]", name);
	if (ps->seen_sections[k])
		return perr(ps, "section [%s] appears twice", name);
	ps->seen_sections[k] = true;
	memcpy(ps->section, name, n + 1);
	return expect_eol(ps, p + 1, end);
}

static int parse_assign(struct parser *ps, struct strata_config *c, const char *p, const char *end)
{
	const char *s = p;
	while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == '-'))
		p++;
	size_t n = (size_t)(p - s);
	if (n == 0)
		return perr(ps, "expected a key, a [section] or a comment", NULL);
	char key[64];
	if (n >= sizeof(key))
		return perr(ps, "key too long", NULL);
	memcpy(key, s, n);
	key[n] = 0;
	skip_ws(&p, end);
	if (p >= end || *p != '=')
		return perr(ps, "expected '=' after key '%s'", key);
	p++;
	skip_ws(&p, end);
	if (!ps->section[0])
		return perr(ps, "key '%s' outside any [section]", key);
	const struct field *f = find_field(ps->section, key);
	if (!f) {
		char m[160];
		snprintf(m, sizeof(m), "unknown key '%s' in [%s]", key, ps->section);
		return perr(ps, "%s", m);
	}
	size_t fi = (size_t)(f - fields);
	if (ps->seen[fi])
		return perr(ps, "key '%s' appears twice", key);
	ps->seen[fi] = true;
	if (p >= end || *p == '#')
		return perr(ps, "missing value for '%s'", key);
	struct buf v;
	buf_init(&v);
	int rc = ERR_OK;
	bool quoted = false;
	if (*p == '"' || *p == '\'') {
		quoted = true;
		rc = parse_string(ps, &p, end, &v);
	} else if (*p == '[') {
		quoted = true;
		p++;
		for (bool first = true;; first = false) {
			skip_ws(&p, end);
			if (p < end && *p == ']') {
				p++;
				break;
			}
			if (!first) {
				if (p >= end || *p != ',') {
					rc = perr(ps, "expected ',' or ']' in an array", NULL);
					break;
				}
				p++;
				skip_ws(&p, end);
				if (p < end && *p == ']') { /* trailing comma */
					p++;
					break;
				}
				if ((rc = buf_putc(&v, ',')))
					break;
			}
			if (p >= end || (*p != '"' && *p != '\'')) {
				rc = perr(ps, "arrays hold strings only (one line)", NULL);
				break;
			}
			if ((rc = parse_string(ps, &p, end, &v)))
				break;
		}
	} else {
		const char *vs = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != '#')
			p++;
		rc = buf_append(&v, vs, (size_t)(p - vs));
		if (rc == ERR_OK && f->type == F_STR)
			rc = perr(ps, "'%s' wants a quoted string", key);
		if (rc == ERR_OK && (!strncmp(vs, "true", 4) || !strncmp(vs, "false", 5)))
			rc = perr(ps, "'%s' does not take a boolean", key);
	}
	if (rc == ERR_OK)
		rc = expect_eol(ps, p, end);
	if (rc == ERR_OK && buf_putc(&v, 0))
		rc = ERR_NOMEM;
	if (rc == ERR_OK && (rc = set_field(c, f, (const char *)v.data, quoted && f->type == F_INT)))
		rc = perr(ps, "%s", err_msg());
	buf_free(&v);
	return rc;
}

int config_parse(struct strata_config *c, const char *text, size_t len, const char *source)
{
	struct parser ps;
	memset(&ps, 0, sizeof(ps));
	ps.p = text;
	ps.end = text + len;
	ps.source = source ? source : "config";
	if (len && memchr(text, 0, len)) {
		ps.line = 1;
		for (const char *q = text; *q; q++)
			ps.line += *q == '\n';
		return perr(&ps, "NUL byte in the file", NULL);
	}
	while (ps.p < ps.end) {
		ps.line++;
		const char *eol = memchr(ps.p, '\n', (size_t)(ps.end - ps.p));
		const char *le = eol ? eol : ps.end;
		const char *next = eol ? eol + 1 : ps.end;
		if (le > ps.p && le[-1] == '\r')
			le--;
		const char *p = ps.p;
		skip_ws(&p, le);
		int rc = ERR_OK;
		if (p < le && *p != '#')
			rc = *p == '[' ? parse_header(&ps, p, le) : parse_assign(&ps, c, p, le);
		if (rc)
			return rc;
		ps.p = next;
	}
	return ERR_OK;
}

int config_load_file(struct strata_config *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_set(ERR_IO, "config file %s: %s", path, strerror(errno));
	struct buf b;
	buf_init(&b);
	int rc = ERR_OK;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && rc == ERR_OK) {
		if (b.len + n > (1u << 20))
			rc = err_set(ERR_LIMIT, "config file %s is larger than 1 MiB", path);
		else
			rc = buf_append(&b, chunk, n);
	}
	if (rc == ERR_OK && ferror(f))
		rc = err_set(ERR_IO, "config file %s: read error", path);
	fclose(f);
	if (rc == ERR_OK)
		rc = config_parse(c, (const char *)b.data, b.len, path);
	buf_free(&b);
	return rc;
}

int config_validate(const struct strata_config *c)
{
	const char *st = c->storage.type;
	if (st && strcmp(st, "fs") && strcmp(st, "s3"))
		return err_set(ERR_BAD_INPUT, "storage type '%s' (want \"fs\" or \"s3\")", st);
	if (st && !strcmp(st, "s3") && (!c->storage.bucket || !c->storage.bucket[0]))
		return err_set(ERR_BAD_INPUT, "storage type s3 needs a bucket (--s3-bucket)");
	const char *mt = c->metadata.type;
	if (mt && strcmp(mt, "sqlite") && strcmp(mt, "etcd"))
		return err_set(ERR_BAD_INPUT, "metadata type '%s' (want \"sqlite\" or \"etcd\")",
		               mt);
	if (mt && !strcmp(mt, "etcd") && (!c->metadata.endpoints || !c->metadata.endpoints[0]))
		return err_set(ERR_BAD_INPUT, "metadata type etcd needs endpoints (--etcd-endpoints)");
	if (c->heartbeat_interval_ms > 0 && c->heartbeat_interval_ms < 10)
		return err_set(ERR_BAD_INPUT, "heartbeat interval_ms must be at least 10");
	if (c->heartbeat_interval_ms > 3600000 || c->metadata.lease_ttl_ms > 3600000)
		return err_set(ERR_BAD_INPUT, "interval or ttl above one hour");
	return ERR_OK;
}

bool config_uses_etcd(const struct strata_config *c)
{
	return c->metadata.type && !strcmp(c->metadata.type, "etcd");
}
