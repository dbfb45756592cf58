/*
 * wire_test_server: serves the MySQL and PostgreSQL protocols with a tiny
 * in-test query handler, so that real clients (mysql, psql, pymysql,
 * psycopg2, JDBC) can be tested against the wire servers without the SQL
 * engine.
 *
 *   wire_test_server --port-file FILE [--addr 127.0.0.1]
 *
 * Every server listens on a free port; FILE receives "name=port" lines:
 *   mysql         no authentication
 *   mysql_native  users alice/secret and bob/"" with mysql_native_password
 *   mysql_sha2    the same users with caching_sha2_password
 *   mysql_small   max_connections 2, max_packet 1 MiB, io timeout 2 s
 *   pg            trust
 *   pg_password   cleartext password (alice/secret)
 *   pg_md5        md5 (alice/secret)
 *   pg_scram      SCRAM-SHA-256 (alice/secret)
 *   pg_small      max_connections 2, max message 1 MiB, io timeout 2 s
 * SIGTERM or SIGINT stops every server cleanly (exit 0).
 *
 * Statements understood (case-insensitive; see run_one):
 *   SELECT <literal>[, <literal>...]       echo, one row (c1, c2, ...)
 *   SELECT * FROM types                    every Strata type, 3 rows
 *   SELECT * FROM kv WHERE k = <lit>       in-memory table kv(k, v, ts, n)
 *   INSERT INTO kv VALUES (k, v, ts, n)... DELETE FROM kv WHERE k = <lit>
 *   CREATE TABLE ..., DROP TABLE ...       OK
 *   SELECT big(N)                          N rows (i, s)
 *   SELECT repeat(N)                       one string of N 'x'
 *   SELECT sleep(MS)                       waits, honours cancel requests
 *   SELECT @@a, @@b ...                    server variables
 *   SELECT database() / version()          session schema / version
 *   SHOW DATABASES / SHOW TABLES / SHOW VARIABLES ...
 *   SET name = value (time_zone, read_preference validated), USE db
 *   SELECT * FROM missing                  TableNotFound error
 *   anything else                          InvalidSyntax error
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "server/mysql_server.h"
#include "server/pg_server.h"
#include "server/sqltext.h"
#include "server/value_format.h"

/* ---- literals ------------------------------------------------------- */

struct lit {
	enum dtype type;
	bool is_null;
	int64_t i;
	double f;
	char *s; /* owned */
	size_t n;
};

static void lit_free(struct lit *l)
{
	mem_free(l->s);
	memset(l, 0, sizeof(*l));
}

struct lexer {
	const char *p, *end;
	int dialect;
};

static void skip_ws(struct lexer *x)
{
	while (x->p < x->end && isspace((unsigned char)*x->p))
		x->p++;
}

static bool accept_word(struct lexer *x, const char *w)
{
	skip_ws(x);
	size_t n = strlen(w);
	if ((size_t)(x->end - x->p) < n || strncasecmp(x->p, w, n))
		return false;
	if (x->p + n < x->end && (isalnum((unsigned char)x->p[n]) || x->p[n] == '_'))
		return false;
	x->p += n;
	return true;
}

static bool accept_ch(struct lexer *x, char c)
{
	skip_ws(x);
	if (x->p < x->end && *x->p == c) {
		x->p++;
		return true;
	}
	return false;
}

/* Move b's bytes into l->s (NUL-terminated, owned) and l->n. */
static int take_buf(struct lit *l, struct buf *b)
{
	if (!buf_cstr(b)) {
		buf_free(b);
		return ERR_NOMEM;
	}
	l->s = (char *)buf_steal(b, &l->n);
	return ERR_OK;
}

static int parse_string(struct lexer *x, struct buf *out, bool escapes)
{
	x->p++; /* opening quote */
	while (x->p < x->end) {
		char c = *x->p++;
		if (c == '\'') {
			if (x->p < x->end && *x->p == '\'') {
				buf_putc(out, '\'');
				x->p++;
				continue;
			}
			return ERR_OK;
		}
		if (c == '\\' && escapes && x->p < x->end) {
			char e = *x->p++;
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '0': c = '\0'; break;
			default: c = e; break;
			}
		}
		buf_putc(out, (uint8_t)c);
	}
	return err_set(ERR_SYNTAX, "unterminated string literal");
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "YYYY-MM-DD[ T]HH:MM:SS[.ffffff]" or "YYYY-MM-DD" -> microseconds. */
static int parse_ts(const char *s, size_t n, int64_t *us, bool *date_only)
{
	char tmp[64];
	if (n >= sizeof(tmp))
		return err_set(ERR_BAD_INPUT, "bad timestamp");
	memcpy(tmp, s, n);
	tmp[n] = 0;
	int y, mo, d, h = 0, mi = 0, sec = 0, consumed = 0;
	if (sscanf(tmp, "%d-%d-%d%n", &y, &mo, &d, &consumed) != 3)
		return err_set(ERR_BAD_INPUT, "bad timestamp: %s", tmp);
	int64_t frac = 0;
	*date_only = consumed == (int)n;
	if (!*date_only) {
		int c2 = 0;
		if ((tmp[consumed] != ' ' && tmp[consumed] != 'T') ||
		    sscanf(tmp + consumed + 1, "%d:%d:%d%n", &h, &mi, &sec, &c2) != 3)
			return err_set(ERR_BAD_INPUT, "bad timestamp: %s", tmp);
		const char *f = tmp + consumed + 1 + c2;
		if (*f == '.') {
			int digits = 0;
			for (f++; isdigit((unsigned char)*f); f++)
				if (digits < 6) {
					frac = frac * 10 + (*f - '0');
					digits++;
				}
			for (; digits < 6; digits++)
				frac *= 10;
		}
		if (*f)
			return err_set(ERR_BAD_INPUT, "bad timestamp: %s", tmp);
	}
	int64_t days = vfmt_days_from_civil(y, mo, d);
	*us = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000) + frac;
	return ERR_OK;
}

static int apply_cast(struct lit *l, const char *ty)
{
	if (l->is_null) {
		return ERR_OK;
	}
	const char *txt = l->s ? l->s : "";
	char num[64];
	if (!l->s) {
		if (l->type == DT_FLOAT64)
			vfmt_double(num, l->f, 0, VFMT_PG);
		else
			snprintf(num, sizeof(num), "%" PRId64, l->i);
		txt = num;
	}
	if (!strcasecmp(ty, "int8") || !strcasecmp(ty, "bigint") || !strcasecmp(ty, "int4") ||
	    !strcasecmp(ty, "int2") || !strcasecmp(ty, "integer") || !strcasecmp(ty, "int")) {
		char *e;
		errno = 0;
		long long v = strtoll(txt, &e, 10);
		if (*e || errno)
			return err_set(ERR_BAD_INPUT, "invalid input syntax for type integer: \"%s\"", txt);
		lit_free(l);
		l->type = DT_INT64;
		l->i = v;
	} else if (!strcasecmp(ty, "float8") || !strcasecmp(ty, "float4") ||
		   !strcasecmp(ty, "double") || !strcasecmp(ty, "real") || !strcasecmp(ty, "numeric")) {
		char *e;
		double v = strtod(txt, &e);
		if (*e)
			return err_set(ERR_BAD_INPUT, "invalid input for type double: \"%s\"", txt);
		lit_free(l);
		l->type = DT_FLOAT64;
		l->f = v;
	} else if (!strcasecmp(ty, "bool") || !strcasecmp(ty, "boolean")) {
		bool v = !strcasecmp(txt, "t") || !strcasecmp(txt, "true") || !strcmp(txt, "1");
		lit_free(l);
		l->type = DT_BOOL;
		l->i = v;
	} else if (!strcasecmp(ty, "timestamp") || !strcasecmp(ty, "date")) {
		int64_t us;
		bool date_only;
		if (parse_ts(txt, strlen(txt), &us, &date_only))
			return ERR_BAD_INPUT;
		lit_free(l);
		if (!strcasecmp(ty, "date")) {
			l->type = DT_DATE;
			l->i = us / 86400000000LL - (us % 86400000000LL < 0);
		} else {
			l->type = DT_TS_US;
			l->i = us;
		}
	} else if (!strcasecmp(ty, "bytea")) {
		if (l->n >= 2 && txt[0] == '\\' && txt[1] == 'x') {
			struct buf b;
			buf_init(&b);
			for (size_t k = 2; k + 1 < l->n; k += 2)
				buf_putc(&b, (uint8_t)(hexval(txt[k]) << 4 | hexval(txt[k + 1])));
			lit_free(l);
			if (take_buf(l, &b))
				return ERR_NOMEM;
		}
		l->type = DT_BINARY;
	} else if (!strcasecmp(ty, "text") || !strcasecmp(ty, "varchar") || !strcasecmp(ty, "unknown")) {
		if (!l->s) {
			l->s = mem_strdup(txt);
			l->n = strlen(txt);
		}
		l->type = DT_STRING;
	}
	return ERR_OK;
}

static int parse_lit(struct lexer *x, struct lit *l)
{
	memset(l, 0, sizeof(*l));
	skip_ws(x);
	if (x->p >= x->end)
		return err_set(ERR_SYNTAX, "expected a literal");
	int rc = ERR_OK;
	int parens = 0;
	while (accept_ch(x, '('))
		parens++;
	skip_ws(x);
	if (x->p >= x->end)
		return err_set(ERR_SYNTAX, "expected a literal");
	if (*x->p == '\'' || ((*x->p == 'E' || *x->p == 'e') && x->p + 1 < x->end && x->p[1] == '\'')) {
		bool e = *x->p != '\'';
		if (e)
			x->p++;
		struct buf b;
		buf_init(&b);
		if ((rc = parse_string(x, &b, e || x->dialect == SQL_DIALECT_MYSQL))) {
			buf_free(&b);
			return rc;
		}
		l->type = DT_STRING;
		if (take_buf(l, &b))
			return ERR_NOMEM;
	} else if ((*x->p == 'X' || *x->p == 'x') && x->p + 1 < x->end && x->p[1] == '\'') {
		x->p += 2;
		struct buf b;
		buf_init(&b);
		while (x->p + 1 < x->end && *x->p != '\'') {
			int hi = hexval(x->p[0]), lo = hexval(x->p[1]);
			if (hi < 0 || lo < 0) {
				buf_free(&b);
				return err_set(ERR_SYNTAX, "bad hex literal");
			}
			buf_putc(&b, (uint8_t)(hi << 4 | lo));
			x->p += 2;
		}
		if (x->p >= x->end || *x->p != '\'') {
			buf_free(&b);
			return err_set(ERR_SYNTAX, "bad hex literal");
		}
		x->p++;
		l->type = DT_BINARY;
		if (take_buf(l, &b))
			return ERR_NOMEM;
	} else if (accept_word(x, "NULL")) {
		l->type = DT_STRING;
		l->is_null = true;
	} else if (accept_word(x, "TRUE") || accept_word(x, "FALSE")) {
		l->type = DT_BOOL;
		l->i = tolower((unsigned char)x->p[-1]) == 'e' && tolower((unsigned char)x->p[-2]) == 'u';
	} else if (isdigit((unsigned char)*x->p) || *x->p == '-' || *x->p == '+' || *x->p == '.') {
		const char *b = x->p;
		if (*x->p == '-' || *x->p == '+')
			x->p++;
		bool flt = false;
		while (x->p < x->end && (isdigit((unsigned char)*x->p) || *x->p == '.' ||
					 *x->p == 'e' || *x->p == 'E' ||
					 ((*x->p == '-' || *x->p == '+') && (x->p[-1] == 'e' || x->p[-1] == 'E')))) {
			if (!isdigit((unsigned char)*x->p))
				flt = true;
			x->p++;
		}
		char tmp[64];
		size_t n = (size_t)(x->p - b);
		if (n == 0 || n >= sizeof(tmp))
			return err_set(ERR_SYNTAX, "bad number");
		memcpy(tmp, b, n);
		tmp[n] = 0;
		char *e;
		errno = 0;
		if (!flt) {
			long long v = strtoll(tmp, &e, 10);
			if (errno == ERANGE)
				flt = true;
			else {
				l->type = DT_INT64;
				l->i = v;
			}
		}
		if (flt) {
			l->type = DT_FLOAT64;
			l->f = strtod(tmp, &e);
			if (*e)
				return err_set(ERR_SYNTAX, "bad number %s", tmp);
		}
	} else {
		return err_set(ERR_SYNTAX, "expected a literal near '%.20s'", x->p);
	}
	/* PostgreSQL casts: lit::type, possibly "double precision" */
	while (x->p + 1 < x->end && x->p[0] == ':' && x->p[1] == ':') {
		x->p += 2;
		skip_ws(x);
		const char *b = x->p;
		while (x->p < x->end && (isalnum((unsigned char)*x->p) || *x->p == '_'))
			x->p++;
		char ty[32];
		size_t n = (size_t)(x->p - b);
		if (n == 0 || n >= sizeof(ty)) {
			lit_free(l);
			return err_set(ERR_SYNTAX, "bad cast");
		}
		memcpy(ty, b, n);
		ty[n] = 0;
		accept_word(x, "precision");
		if ((rc = apply_cast(l, ty))) {
			lit_free(l);
			return rc;
		}
	}
	while (parens-- > 0)
		if (!accept_ch(x, ')')) {
			lit_free(l);
			return err_set(ERR_SYNTAX, "expected )");
		}
	return ERR_OK;
}

/* ---- the handler ---------------------------------------------------- */

struct kv_row {
	char *k;
	bool v_null, ts_null, n_null;
	double v;
	int64_t ts; /* ms */
	int64_t n;
};

struct test_db {
	pthread_mutex_t mu;
	struct kv_row *rows;
	size_t nrows, cap;
};

static struct test_db db = {.mu = PTHREAD_MUTEX_INITIALIZER};

struct exec {
	struct session *s;
	query_emit_fn emit;
	void *emit_ctx;
	bool failed;
};

static int emit_error(struct exec *e, int code, int status, const char *msg)
{
	struct query_result r = {.kind = QUERY_ERROR, .err = code, .greptime_status = status,
				 .err_msg = (char *)msg};
	e->failed = true;
	return e->emit(e->emit_ctx, &r) ? ERR_IO : ERR_OK;
}

static int emit_ok(struct exec *e, enum query_result_kind k, uint64_t affected, const char *tag)
{
	struct query_result r = {.kind = k, .affected = affected, .tag = tag};
	return e->emit(e->emit_ctx, &r) ? ERR_IO : ERR_OK;
}

static int emit_rows(struct exec *e, struct result_set *rs)
{
	struct query_result r = {.kind = QUERY_ROWS, .rs = *rs};
	int rc = e->emit(e->emit_ctx, &r);
	result_set_free(rs);
	return rc ? ERR_IO : ERR_OK;
}

static int push_lit(struct colvec *v, const struct lit *l)
{
	if (l->is_null)
		return colvec_push_null(v);
	switch (dtype_phys(l->type)) {
	case PHYS_I64: return colvec_push_i64(v, l->i);
	case PHYS_F64: return colvec_push_f64(v, l->f);
	default: return colvec_push_bytes(v, l->s, l->n);
	}
}

static int q_echo(struct exec *e, struct lexer *x)
{
	struct lit lits[64];
	size_t n = 0;
	int rc = ERR_OK;
	do {
		if (n == 64) {
			rc = err_set(ERR_LIMIT, "too many columns");
			break;
		}
		if ((rc = parse_lit(x, &lits[n])))
			break;
		n++;
	} while (accept_ch(x, ','));
	skip_ws(x);
	if (!rc && x->p != x->end)
		rc = err_set(ERR_SYNTAX, "unexpected text: %.30s", x->p);
	if (!rc) {
		char names[64][24];
		const char *np[64];
		enum dtype types[64];
		for (size_t i = 0; i < n; i++) {
			snprintf(names[i], sizeof(names[i]), "c%zu", i + 1);
			np[i] = names[i];
			types[i] = lits[i].type;
		}
		struct result_set rs;
		if (!(rc = result_set_init(&rs, (uint32_t)n, np, types))) {
			for (size_t i = 0; i < n; i++)
				push_lit(&rs.rows.cols[i], &lits[i]);
			rs.rows.nrows = 1;
			rc = emit_rows(e, &rs);
		}
	} else {
		emit_error(e, rc, 2000, err_msg());
		rc = ERR_OK;
	}
	for (size_t i = 0; i < n; i++)
		lit_free(&lits[i]);
	return rc;
}

static int q_types(struct exec *e)
{
	static const char *names[] = {"b", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64",
				      "f32", "f64", "s", "bin", "d", "ts_s", "ts_ms", "ts_us", "ts_ns"};
	enum dtype types[DT__COUNT];
	for (int i = 0; i < DT__COUNT; i++)
		types[i] = (enum dtype)i;
	struct result_set rs;
	int rc = result_set_init(&rs, DT__COUNT, names, types);
	if (rc)
		return rc;
	struct colvec *c = rs.rows.cols;
	/* row 0: typical values */
	colvec_push_i64(&c[DT_BOOL], 1);
	colvec_push_i64(&c[DT_INT8], -8);
	colvec_push_i64(&c[DT_INT16], -16000);
	colvec_push_i64(&c[DT_INT32], -2000000000);
	colvec_push_i64(&c[DT_INT64], INT64_MIN);
	colvec_push_i64(&c[DT_UINT8], 255);
	colvec_push_i64(&c[DT_UINT16], 65535);
	colvec_push_i64(&c[DT_UINT32], 4294967295LL);
	colvec_push_i64(&c[DT_UINT64], (int64_t)UINT64_MAX);
	colvec_push_f64(&c[DT_FLOAT32], (float)0.1);
	colvec_push_f64(&c[DT_FLOAT64], 0.1);
	colvec_push_bytes(&c[DT_STRING], "héllo, 'world'", strlen("héllo, 'world'"));
	colvec_push_bytes(&c[DT_BINARY], "\x00\x01\xfe\xff", 4);
	colvec_push_i64(&c[DT_DATE], 19723); /* 2024-01-01 */
	colvec_push_i64(&c[DT_TS_S], 1700000000);
	colvec_push_i64(&c[DT_TS_MS], 1);
	colvec_push_i64(&c[DT_TS_US], 1700000000123456LL);
	colvec_push_i64(&c[DT_TS_NS], 1700000000123456789LL);
	/* row 1: NULL everywhere */
	for (int i = 0; i < DT__COUNT; i++)
		colvec_push_null(&c[i]);
	/* row 2: edge values */
	colvec_push_i64(&c[DT_BOOL], 0);
	colvec_push_i64(&c[DT_INT8], 127);
	colvec_push_i64(&c[DT_INT16], 0);
	colvec_push_i64(&c[DT_INT32], 2147483647);
	colvec_push_i64(&c[DT_INT64], INT64_MAX);
	colvec_push_i64(&c[DT_UINT8], 0);
	colvec_push_i64(&c[DT_UINT16], 0);
	colvec_push_i64(&c[DT_UINT32], 0);
	colvec_push_i64(&c[DT_UINT64], 0);
	colvec_push_f64(&c[DT_FLOAT32], -1.5);
	colvec_push_f64(&c[DT_FLOAT64], 1e20);
	colvec_push_bytes(&c[DT_STRING], "", 0);
	colvec_push_bytes(&c[DT_BINARY], "", 0);
	colvec_push_i64(&c[DT_DATE], -1); /* 1969-12-31 */
	colvec_push_i64(&c[DT_TS_S], -1);
	colvec_push_i64(&c[DT_TS_MS], -1);
	colvec_push_i64(&c[DT_TS_US], 0);
	colvec_push_i64(&c[DT_TS_NS], -1);
	rs.rows.nrows = 3;
	return emit_rows(e, &rs);
}

static int kv_result(struct exec *e, const char *key, size_t keylen)
{
	static const char *names[] = {"k", "v", "ts", "n"};
	static const enum dtype types[] = {DT_STRING, DT_FLOAT64, DT_TS_MS, DT_INT64};
	struct result_set rs;
	int rc = result_set_init(&rs, 4, names, types);
	if (rc)
		return rc;
	pthread_mutex_lock(&db.mu);
	for (size_t i = 0; i < db.nrows; i++) {
		struct kv_row *r = &db.rows[i];
		if (!key || strlen(r->k) != keylen || memcmp(r->k, key, keylen))
			continue;
		colvec_push_bytes(&rs.rows.cols[0], r->k, strlen(r->k));
		r->v_null ? colvec_push_null(&rs.rows.cols[1]) : colvec_push_f64(&rs.rows.cols[1], r->v);
		r->ts_null ? colvec_push_null(&rs.rows.cols[2]) : colvec_push_i64(&rs.rows.cols[2], r->ts);
		r->n_null ? colvec_push_null(&rs.rows.cols[3]) : colvec_push_i64(&rs.rows.cols[3], r->n);
		rs.rows.nrows++;
	}
	pthread_mutex_unlock(&db.mu);
	return emit_rows(e, &rs);
}

static int lit_to_double(const struct lit *l, double *d)
{
	if (l->type == DT_FLOAT64)
		*d = l->f;
	else if (l->type == DT_INT64)
		*d = (double)l->i;
	else if (l->type == DT_STRING) {
		char *end;
		*d = strtod(l->s, &end);
		if (*end || end == l->s)
			return err_set(ERR_BAD_INPUT, "column v expects a number, got '%s'", l->s);
	} else
		return err_set(ERR_BAD_INPUT, "column v expects a number");
	return ERR_OK;
}

static int q_insert(struct exec *e, struct lexer *x)
{
	if (!accept_word(x, "kv") || !accept_word(x, "VALUES")) {
		emit_error(e, ERR_NOT_FOUND, 4001, "Table not found: only kv accepts inserts");
		return ERR_OK;
	}
	uint64_t n = 0;
	int rc = ERR_OK;
	do {
		struct lit l[4] = {0};
		int got = 0;
		if (!accept_ch(x, '(')) {
			rc = err_set(ERR_SYNTAX, "expected (");
			break;
		}
		while (got < 4 && !(rc = parse_lit(x, &l[got]))) {
			got++;
			if (!accept_ch(x, ','))
				break;
		}
		if (!rc && (got != 4 || !accept_ch(x, ')')))
			rc = err_set(ERR_BAD_INPUT, "kv needs 4 values (k, v, ts, n)");
		struct kv_row row = {0};
		if (!rc && (l[0].is_null || l[0].type != DT_STRING))
			rc = err_set(ERR_BAD_INPUT, "k must be a string");
		if (!rc) {
			row.v_null = l[1].is_null;
			if (!row.v_null)
				rc = lit_to_double(&l[1], &row.v);
		}
		if (!rc) {
			row.ts_null = l[2].is_null;
			if (l[2].type == DT_INT64)
				row.ts = l[2].i;
			else if (l[2].type == DT_TS_US)
				row.ts = l[2].i / 1000;
			else if (l[2].type == DT_STRING && !l[2].is_null) {
				int64_t us;
				bool donly;
				if (!(rc = parse_ts(l[2].s, l[2].n, &us, &donly)))
					row.ts = us / 1000;
			}
			row.n_null = l[3].is_null;
			if (l[3].type == DT_INT64 || l[3].type == DT_BOOL)
				row.n = l[3].i;
			else if (!row.n_null && l[3].type == DT_STRING)
				row.n = strtoll(l[3].s, NULL, 10);
			else if (!row.n_null)
				rc = err_set(ERR_BAD_INPUT, "n must be an integer");
		}
		if (!rc) {
			row.k = mem_strndup(l[0].s, l[0].n);
			pthread_mutex_lock(&db.mu);
			void *p = db.rows;
			if (row.k && !mem_grow(&p, &db.cap, db.nrows + 1, sizeof(struct kv_row))) {
				db.rows = p;
				db.rows[db.nrows++] = row;
				n++;
			} else {
				mem_free(row.k);
				rc = ERR_NOMEM;
			}
			pthread_mutex_unlock(&db.mu);
		}
		for (int i = 0; i < 4; i++)
			lit_free(&l[i]);
	} while (!rc && accept_ch(x, ','));
	if (rc)
		return emit_error(e, rc, 1004, err_msg());
	return emit_ok(e, QUERY_AFFECTED, n, NULL);
}

static int kv_key(struct exec *e, struct lexer *x, struct lit *key)
{
	/* k = NULL matches nothing (and is what a Describe probe sends) */
	if (!accept_word(x, "WHERE") || !accept_word(x, "k") || !accept_ch(x, '=') ||
	    parse_lit(x, key) || key->type != DT_STRING) {
		lit_free(key);
		emit_error(e, ERR_SYNTAX, 2000, "kv queries need WHERE k = '<string>'");
		return 1;
	}
	return 0;
}

static int q_delete(struct exec *e, struct lexer *x)
{
	struct lit key = {0};
	if (!accept_word(x, "FROM") || !accept_word(x, "kv"))
		return emit_error(e, ERR_NOT_FOUND, 4001, "Table not found");
	if (kv_key(e, x, &key))
		return ERR_OK;
	uint64_t n = 0;
	pthread_mutex_lock(&db.mu);
	size_t w = 0;
	for (size_t i = 0; i < db.nrows; i++) {
		if (!key.is_null && strlen(db.rows[i].k) == key.n &&
		    !memcmp(db.rows[i].k, key.s, key.n)) {
			mem_free(db.rows[i].k);
			n++;
		} else {
			db.rows[w++] = db.rows[i];
		}
	}
	db.nrows = w;
	pthread_mutex_unlock(&db.mu);
	lit_free(&key);
	return emit_ok(e, QUERY_AFFECTED, n, NULL);
}

static int one_string_row(struct exec *e, const char *col, const char *val, size_t n)
{
	enum dtype t = DT_STRING;
	struct result_set rs;
	int rc = result_set_init(&rs, 1, &col, &t);
	if (rc)
		return rc;
	if (val)
		colvec_push_bytes(&rs.rows.cols[0], val, n);
	else
		colvec_push_null(&rs.rows.cols[0]);
	rs.rows.nrows = 1;
	return emit_rows(e, &rs);
}

static int q_vars(struct exec *e, struct lexer *x)
{
	char names[16][64];
	const char *np[16];
	enum dtype types[16];
	char vals[16][64];
	int n = 0;
	do {
		skip_ws(x);
		const char *b = x->p;
		while (x->p < x->end && (isalnum((unsigned char)*x->p) || strchr("@_.", *x->p)))
			x->p++;
		size_t len = (size_t)(x->p - b);
		if (n == 16 || len == 0 || len >= 64)
			return emit_error(e, ERR_SYNTAX, 2000, "bad variable list");
		memcpy(names[n], b, len);
		names[n][len] = 0;
		np[n] = names[n];
		const char *v = names[n] + 2;
		if (!strncasecmp(v, "session.", 8))
			v += 8;
		types[n] = DT_STRING;
		if (!strcasecmp(v, "max_allowed_packet")) {
			types[n] = DT_INT64;
			snprintf(vals[n], 64, "67108864");
		} else if (!strcasecmp(v, "auto_increment_increment")) {
			types[n] = DT_INT64;
			snprintf(vals[n], 64, "1");
		} else if (!strcasecmp(v, "time_zone")) {
			snprintf(vals[n], 64, "%s", e->s->time_zone);
		} else if (!strcasecmp(v, "system_time_zone")) {
			snprintf(vals[n], 64, "UTC");
		} else if (!strcasecmp(v, "version_comment")) {
			snprintf(vals[n], 64, "Strata wire test server");
		} else if (!strcasecmp(v, "tx_isolation") || !strcasecmp(v, "transaction_isolation")) {
			snprintf(vals[n], 64, "REPEATABLE-READ");
		} else {
			const char *sv = session_get_var(e->s, v);
			snprintf(vals[n], 64, "%s", sv ? sv : "");
		}
		n++;
	} while (accept_ch(x, ','));
	struct result_set rs;
	int rc = result_set_init(&rs, (uint32_t)n, np, types);
	if (rc)
		return rc;
	for (int i = 0; i < n; i++) {
		if (types[i] == DT_INT64)
			colvec_push_i64(&rs.rows.cols[i], strtoll(vals[i], NULL, 10));
		else
			colvec_push_bytes(&rs.rows.cols[i], vals[i], strlen(vals[i]));
	}
	rs.rows.nrows = 1;
	return emit_rows(e, &rs);
}

static int q_set(struct exec *e, struct lexer *x)
{
	accept_word(x, "SESSION");
	accept_word(x, "LOCAL");
	skip_ws(x);
	if (accept_word(x, "TIME")) {
		accept_word(x, "ZONE");
		struct lit l;
		if (parse_lit(x, &l) || l.type != DT_STRING)
			return emit_error(e, ERR_SYNTAX, 2000, "SET TIME ZONE needs a string");
		snprintf(e->s->time_zone, sizeof(e->s->time_zone), "%s", l.s);
		lit_free(&l);
		return emit_ok(e, QUERY_OK, 0, "SET");
	}
	const char *b = x->p;
	while (x->p < x->end && (isalnum((unsigned char)*x->p) || strchr("@_.", *x->p)))
		x->p++;
	char name[64];
	size_t n = (size_t)(x->p - b);
	if (n == 0 || n >= sizeof(name))
		return emit_error(e, ERR_SYNTAX, 2000, "bad SET statement");
	memcpy(name, b, n);
	name[n] = 0;
	if (!accept_ch(x, '=') && !accept_word(x, "TO"))
		return emit_error(e, ERR_SYNTAX, 2000, "bad SET statement");
	skip_ws(x);
	char val[256];
	struct lit l;
	const char *vb = x->p;
	if (parse_lit(x, &l) == ERR_OK) {
		if (l.s)
			snprintf(val, sizeof(val), "%.*s", (int)l.n, l.s);
		else
			snprintf(val, sizeof(val), "%.*s", (int)(x->p - vb), vb);
		lit_free(&l);
	} else {
		snprintf(val, sizeof(val), "%.*s", (int)(x->end - vb), vb);
	}
	const char *nm = name;
	while (*nm == '@')
		nm++;
	if (!strncasecmp(nm, "session.", 8))
		nm += 8;
	if (!strcasecmp(nm, "time_zone")) {
		snprintf(e->s->time_zone, sizeof(e->s->time_zone), "%.63s", val);
	} else if (!strcasecmp(nm, "read_preference")) {
		static const char *prefs[] = {"leader", "follower", "follower_preferred", "random"};
		int found = -1;
		for (int i = 0; i < 4; i++)
			if (!strcasecmp(val, prefs[i]))
				found = i;
		if (found < 0) {
			char m[400];
			snprintf(m, sizeof(m),
				 "Not supported: Invalid read preference expr %s in set variable statement",
				 val);
			return emit_error(e, ERR_UNSUPPORTED, 1001, m);
		}
		e->s->read_preference = found;
	} else if (session_set_var(e->s, nm, val)) {
		return emit_error(e, err_code(), 1004, err_msg());
	}
	return emit_ok(e, QUERY_OK, 0, "SET");
}

static int q_show(struct exec *e, struct lexer *x)
{
	const char *col;
	const char *vals[4];
	int n = 0;
	char tcol[160];
	if (accept_word(x, "DATABASES")) {
		col = "Database";
		vals[n++] = "greptime_private";
		vals[n++] = "information_schema";
		vals[n++] = "public";
	} else if (accept_word(x, "TABLES")) {
		snprintf(tcol, sizeof(tcol), "Tables_in_%s", e->s->schema);
		col = tcol;
		vals[n++] = "kv";
		vals[n++] = "types";
	} else {
		static const char *names[] = {"Variable_name", "Value"};
		static const enum dtype types[] = {DT_STRING, DT_STRING};
		struct result_set rs;
		int rc = result_set_init(&rs, 2, names, types);
		return rc ? rc : emit_rows(e, &rs);
	}
	enum dtype t = DT_STRING;
	struct result_set rs;
	int rc = result_set_init(&rs, 1, &col, &t);
	if (rc)
		return rc;
	for (int i = 0; i < n; i++)
		colvec_push_bytes(&rs.rows.cols[0], vals[i], strlen(vals[i]));
	rs.rows.nrows = (uint32_t)n;
	return emit_rows(e, &rs);
}

static bool func_arg(struct lexer *x, const char *fn, int64_t *arg)
{
	struct lexer save = *x;
	struct lit l;
	if (accept_word(x, fn) && accept_ch(x, '(') && !parse_lit(x, &l)) {
		bool ok = l.type == DT_INT64 && accept_ch(x, ')');
		*arg = l.i;
		lit_free(&l);
		if (ok)
			return true;
	}
	*x = save;
	return false;
}

static int q_select(struct exec *e, struct lexer *x)
{
	int64_t a;
	skip_ws(x);
	if (x->p < x->end && x->p[0] == '@')
		return q_vars(e, x);
	if (func_arg(x, "big", &a)) {
		static const char *names[] = {"i", "s"};
		static const enum dtype types[] = {DT_INT64, DT_STRING};
		struct result_set rs;
		int rc = result_set_init(&rs, 2, names, types);
		if (rc)
			return rc;
		for (int64_t i = 0; i < a; i++) {
			char t[32];
			int n = snprintf(t, sizeof(t), "row-%" PRId64, i);
			colvec_push_i64(&rs.rows.cols[0], i);
			colvec_push_bytes(&rs.rows.cols[1], t, (size_t)n);
		}
		rs.rows.nrows = (uint32_t)(a < 0 ? 0 : a);
		return emit_rows(e, &rs);
	}
	if (func_arg(x, "repeat", &a)) {
		if (a < 0 || a > (256 << 20))
			return emit_error(e, ERR_LIMIT, 1004, "repeat: bad length");
		char *p = mem_alloc((size_t)a + 1);
		if (!p)
			return ERR_NOMEM;
		memset(p, 'x', (size_t)a);
		int rc = one_string_row(e, "r", p, (size_t)a);
		mem_free(p);
		return rc;
	}
	if (func_arg(x, "sleep", &a)) {
		int64_t until = clock_mono_ns() / 1000000 + a;
		while (clock_mono_ns() / 1000000 < until) {
			if (session_cancelled(e->s))
				return emit_error(e, ERR_RETRY, 1005,
						  "canceling statement due to user request");
			clock_sleep_ms(5);
		}
		const char *col = "sleep";
		enum dtype t = DT_INT64;
		struct result_set rs;
		int rc = result_set_init(&rs, 1, &col, &t);
		if (rc)
			return rc;
		colvec_push_i64(&rs.rows.cols[0], 0);
		rs.rows.nrows = 1;
		return emit_rows(e, &rs);
	}
	struct lexer save = *x;
	if ((accept_word(x, "database") || accept_word(x, "current_schema")) && accept_ch(x, '(') &&
	    accept_ch(x, ')'))
		return one_string_row(e, "database()", e->s->schema, strlen(e->s->schema));
	*x = save;
	if (accept_word(x, "version") && accept_ch(x, '(') && accept_ch(x, ')')) {
		const char *v = e->s->protocol == SESSION_PG ? "16.3-strata-test" : "8.4.2-strata-test";
		return one_string_row(e, "version()", v, strlen(v));
	}
	*x = save;
	if (accept_ch(x, '*') && accept_word(x, "FROM")) {
		if (accept_word(x, "types"))
			return q_types(e);
		if (accept_word(x, "kv")) {
			struct lit key = {0};
			if (kv_key(e, x, &key))
				return ERR_OK;
			int rc = kv_result(e, key.is_null ? NULL : key.s, key.n);
			lit_free(&key);
			return rc;
		}
		skip_ws(x);
		char m[200];
		snprintf(m, sizeof(m), "Table not found: greptime.%s.%.*s", e->s->schema,
			 (int)(x->end - x->p), x->p);
		return emit_error(e, ERR_NOT_FOUND, 4001, m);
	}
	*x = save;
	return q_echo(e, x);
}

static int run_one(struct exec *e, const char *sql, size_t len)
{
	struct lexer x = {sql, sql + len, e->s->protocol == SESSION_MYSQL ? SQL_DIALECT_MYSQL
									   : SQL_DIALECT_PG};
	if (accept_word(&x, "SELECT"))
		return q_select(e, &x);
	if (accept_word(&x, "INSERT") && accept_word(&x, "INTO"))
		return q_insert(e, &x);
	x.p = sql;
	if (accept_word(&x, "DELETE"))
		return q_delete(e, &x);
	if (accept_word(&x, "SET"))
		return q_set(e, &x);
	if (accept_word(&x, "SHOW"))
		return q_show(e, &x);
	if (accept_word(&x, "USE")) {
		skip_ws(&x);
		char name[128];
		size_t n = 0;
		for (const char *p = x.p; p < x.end && n + 1 < sizeof(name); p++)
			if (*p != '`' && *p != '"')
				name[n++] = *p;
		name[n] = 0;
		if (!strcmp(name, "nosuchdb")) {
			char m[200];
			snprintf(m, sizeof(m), "Database not found: %s", name);
			return emit_error(e, ERR_NOT_FOUND, 4004, m);
		}
		snprintf(e->s->schema, sizeof(e->s->schema), "%s", name);
		return emit_ok(e, QUERY_OK, 0, NULL);
	}
	if (accept_word(&x, "CREATE") || accept_word(&x, "DROP"))
		return emit_ok(e, QUERY_AFFECTED, 0, NULL);
	char m[200];
	snprintf(m, sizeof(m), "Failed to parse SQL: unsupported statement '%.*s'",
		 (int)(len > 60 ? 60 : len), sql);
	return emit_error(e, ERR_SYNTAX, 2000, m);
}

static int test_execute(void *ctx, struct session *s, const char *sql, size_t len,
			query_emit_fn emit, void *emit_ctx)
{
	(void)ctx;
	struct exec e = {s, emit, emit_ctx, false};
	int dialect = s->protocol == SESSION_MYSQL ? SQL_DIALECT_MYSQL : SQL_DIALECT_PG;
	size_t pos = 0, b, end;
	while (!e.failed && sqltext_next_stmt(sql, len, dialect, &pos, &b, &end)) {
		int rc = run_one(&e, sql + b, end - b);
		if (rc)
			return rc == ERR_IO ? ERR_OK : rc; /* ERR_IO: the server said stop */
	}
	return ERR_OK;
}

/* ---- main ----------------------------------------------------------- */

static const struct wire_user users[] = {{"alice", "secret"}, {"bob", ""}};

int main(int argc, char **argv)
{
	const char *port_file = NULL, *addr = "127.0.0.1";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port-file") && i + 1 < argc)
			port_file = argv[++i];
		else if (!strcmp(argv[i], "--addr") && i + 1 < argc)
			addr = argv[++i];
		else {
			fprintf(stderr, "usage: %s --port-file FILE [--addr ADDR]\n", argv[0]);
			return 2;
		}
	}
	if (!port_file) {
		fprintf(stderr, "usage: %s --port-file FILE [--addr ADDR]\n", argv[0]);
		return 2;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct query_handler h = {.ctx = NULL, .execute = test_execute};
	struct mysql_server *my[4] = {0};
	struct pg_server *pg[5] = {0};
	const char *my_names[4] = {"mysql", "mysql_native", "mysql_sha2", "mysql_small"};
	const char *pg_names[5] = {"pg", "pg_password", "pg_md5", "pg_scram", "pg_small"};
	struct mysql_server_opts mo[4] = {
		{0},
		{.users = users, .nusers = 2},
		{.users = users, .nusers = 2, .auth_plugin = "caching_sha2_password"},
		{.max_connections = 2, .max_packet = 1 << 20, .io_timeout_ms = 2000},
	};
	struct pg_server_opts po[5] = {
		{0},
		{.users = users, .nusers = 2, .auth_method = "password"},
		{.users = users, .nusers = 2, .auth_method = "md5"},
		{.users = users, .nusers = 2, .auth_method = "scram-sha-256"},
		{.max_connections = 2, .max_message = 1 << 20, .io_timeout_ms = 2000},
	};
	int rc = 0;
	struct buf out;
	buf_init(&out);
	for (int i = 0; i < 4 && !rc; i++) {
		if ((rc = mysql_server_start(addr, 0, &h, &mo[i], &my[i])))
			fprintf(stderr, "%s: %s\n", my_names[i], err_msg());
		else
			buf_printf(&out, "%s=%u\n", my_names[i], mysql_server_port(my[i]));
	}
	for (int i = 0; i < 5 && !rc; i++) {
		if ((rc = pg_server_start(addr, 0, &h, &po[i], &pg[i])))
			fprintf(stderr, "%s: %s\n", pg_names[i], err_msg());
		else
			buf_printf(&out, "%s=%u\n", pg_names[i], pg_server_port(pg[i]));
	}
	if (!rc) {
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		FILE *f = fopen(tmp, "w");
		if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0 ||
		    rename(tmp, port_file) != 0) {
			fprintf(stderr, "cannot write %s\n", port_file);
			rc = 1;
		}
	}
	if (!rc) {
		int sig;
		sigwait(&set, &sig);
	}
	for (int i = 0; i < 4; i++)
		mysql_server_stop(my[i]);
	for (int i = 0; i < 5; i++)
		pg_server_stop(pg[i]);
	buf_free(&out);
	for (size_t i = 0; i < db.nrows; i++)
		mem_free(db.rows[i].k);
	mem_free(db.rows);
	return rc ? 1 : 0;
}
