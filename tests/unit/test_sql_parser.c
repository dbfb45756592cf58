/*
 * Unit tests for src/sql: lexer, parser, AST shapes, error texts, the
 * printer, and hostile input (random bytes, random token soup, every
 * truncation of real statements, allocation failures, deep nesting).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/datatype.h"
#include "base/err.h"
#include "base/mem.h"
#include "sql/ast.h"
#include "sql/lexer.h"
#include "sql/parser.h"
#include "helpers/region_fixture.h"

/* ---- helpers ------------------------------------------------------------------------ */

static struct arena *A;

static int setup(void **state)
{
	(void)state;
	A = arena_create(0);
	return A ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	arena_destroy(A);
	A = NULL;
	return 0;
}

/* Parse exactly one statement (fails the test otherwise). */
static struct sql_stmt *one_d(const char *sql, enum sql_dialect d)
{
	struct sql_stmt_list l;
	int rc = sql_parse_ex(sql, strlen(sql), d, A, &l);
	if (rc)
		fail_msg("parse failed: %s\n  sql: %s", err_msg(), sql);
	if (l.n != 1)
		fail_msg("expected 1 statement, got %zu: %s", l.n, sql);
	return l.items[0];
}

static struct sql_stmt *one(const char *sql) { return one_d(sql, SQL_DIALECT_GREPTIME); }

/* Parse and expect failure with code and exact message. */
static void fails(const char *sql, int code, const char *msg)
{
	struct sql_stmt_list l;
	int rc = sql_parse(sql, A, &l);
	if (rc != code)
		fail_msg("sql: %s\n  expected code %s, got %s (%s)", sql, err_code_name(code),
			 err_code_name(rc), rc ? err_msg() : "parsed");
	if (msg && strcmp(err_msg(), msg) != 0)
		fail_msg("sql: %s\n  expected: %s\n  got:      %s", sql, msg, err_msg());
	assert_int_equal(l.n, 0);
}

static const char *print_expr(const struct sql_expr *e)
{
	char *s = sql_expr_to_sql(A, e, 0);
	assert_non_null(s);
	return s;
}

static struct sql_select *select_of(struct sql_stmt *st)
{
	assert_int_equal(st->kind, SQL_STMT_QUERY);
	assert_int_equal(st->u.query->body->kind, SQL_BODY_SELECT);
	return st->u.query->body->select;
}

static struct sql_expr *first_item(const char *sql)
{
	return select_of(one(sql))->items[0].expr;
}

/* ---- the statements that must parse -------------------------------------------------- */

static const struct {
	const char *sql;
	int kind;
} must_parse[] = {
	{"CREATE DATABASE IF NOT EXISTS db1 WITH (ttl = '7d')", SQL_STMT_CREATE_DATABASE},
	{"CREATE SCHEMA s2", SQL_STMT_CREATE_DATABASE},
	{"DROP DATABASE IF EXISTS db1", SQL_STMT_DROP_DATABASE},
	{"DROP SCHEMA s2", SQL_STMT_DROP_DATABASE},
	{"USE db1", SQL_STMT_USE},
	{"CREATE TABLE IF NOT EXISTS db.t (host STRING NULL, ts TIMESTAMP(3) NOT NULL DEFAULT "
	 "current_timestamp() TIME INDEX, v DOUBLE DEFAULT 0 COMMENT 'x', u INT UNSIGNED, d "
	 "Decimal(10,2), c Char(10), vc Varchar(255), dt DateTime, s TimestampSecond, PRIMARY KEY "
	 "(host),) PARTITION ON COLUMNS (host) (host < 'm', host >= 'm',) ENGINE = mito WITH (ttl "
	 "= '7d', 'compaction.type' = 'twcs', append_mode = true)",
	 SQL_STMT_CREATE_TABLE},
	{"CREATE TABLE t2 (ts TIMESTAMP, host STRING SKIPPING INDEX WITH (granularity = 1024), msg "
	 "STRING FULLTEXT INDEX WITH (analyzer = 'English'), tag STRING INVERTED INDEX, TIME INDEX "
	 "(ts), PRIMARY KEY (tag))",
	 SQL_STMT_CREATE_TABLE},
	{"CREATE TABLE m (a INT PRIMARY KEY, b STRING, ts TIMESTAMP TIME INDEX,) PARTITION ON "
	 "COLUMNS (a) ()",
	 SQL_STMT_CREATE_TABLE},
	{"CREATE TABLE phy (ts timestamp time index, val double) engine=metric with "
	 "(\"physical_metric_table\" = \"\")",
	 SQL_STMT_CREATE_TABLE},
	{"CREATE TABLE a(i integer, j TIMESTAMP, time index(j))", SQL_STMT_CREATE_TABLE},
	{"CREATE TABLE x (t0 TimestampSecond TIME INDEX, a Timestamp_MS, b Timestamp_US, c "
	 "TimestampNanosecond, d Timestamp(6), e Timestamp(0), f DATETIME, g int2, h int8, i "
	 "float4, j float8, k uint64, l UnsignedTinyInt, m BIGINT UNSIGNED, n TEXT, o LONGTEXT, p "
	 "VARBINARY, q boolean, r date, s DOUBLE PRECISION, u CHARACTER VARYING(20), v Decimal)",
	 SQL_STMT_CREATE_TABLE},
	{"CREATE TABLE 'N.~' (i TIMESTAMP TIME INDEX)", SQL_STMT_CREATE_TABLE},
	{"CREATE TABLE t5 LIKE t4", SQL_STMT_CREATE_TABLE},
	{"CREATE EXTERNAL TABLE city with(location='/var/data/city.csv',format='csv')",
	 SQL_STMT_CREATE_TABLE},
	{"DROP TABLE IF EXISTS t, t2", SQL_STMT_DROP_TABLE},
	{"DROP TABLE `p_perftest001@cc3kvQ`", SQL_STMT_DROP_TABLE},
	{"TRUNCATE TABLE t", SQL_STMT_TRUNCATE},
	{"TRUNCATE t", SQL_STMT_TRUNCATE},
	{"ALTER TABLE t ADD COLUMN x INT", SQL_STMT_ALTER_TABLE},
	{"ALTER TABLE t ADD y STRING DEFAULT 'a' AFTER x", SQL_STMT_ALTER_TABLE},
	{"ALTER TABLE t DROP COLUMN x", SQL_STMT_ALTER_TABLE},
	{"ALTER TABLE t MODIFY COLUMN y FLOAT", SQL_STMT_ALTER_TABLE},
	{"ALTER TABLE t RENAME t3", SQL_STMT_ALTER_TABLE},
	{"ALTER TABLE t SET 'ttl' = '1d', 'compaction.twcs.time_window' = '2h'",
	 SQL_STMT_ALTER_TABLE},
	{"ALTER TABLE t UNSET 'ttl'", SQL_STMT_ALTER_TABLE},
	{"ALTER TABLE t MODIFY COLUMN msg SET FULLTEXT INDEX WITH (analyzer = 'Chinese')",
	 SQL_STMT_ALTER_TABLE},
	{"ALTER TABLE r SPLIT PARTITION (a < 100) INTO (a < 50, a >= 50 AND a < 100)",
	 SQL_STMT_ALTER_TABLE},
	{"ALTER TABLE r MERGE PARTITION (a < 100, a >= 100 AND a < 200)", SQL_STMT_ALTER_TABLE},
	{"ALTER TABLE r REPARTITION (a < 100) INTO (a < 50, a >= 50)", SQL_STMT_ALTER_TABLE},
	{"ALTER DATABASE d SET 'ttl' = '1h'", SQL_STMT_ALTER_DATABASE},
	{"DESC t", SQL_STMT_DESCRIBE},
	{"DESCRIBE TABLE db.t", SQL_STMT_DESCRIBE},
	{"SHOW DATABASES", SQL_STMT_SHOW},
	{"SHOW FULL DATABASES", SQL_STMT_SHOW},
	{"SHOW SCHEMAS LIKE 'p%'", SQL_STMT_SHOW},
	{"SHOW DATABASES WHERE Database = 'x'", SQL_STMT_SHOW},
	{"SHOW FULL TABLES FROM db LIKE 't%'", SQL_STMT_SHOW},
	{"SHOW TABLES IN db WHERE Tables = 'x'", SQL_STMT_SHOW},
	{"SHOW TABLE STATUS from public", SQL_STMT_SHOW},
	{"SHOW CREATE TABLE t", SQL_STMT_SHOW},
	{"SHOW CREATE TABLE t FOR POSTGRES_FOREIGN_TABLE", SQL_STMT_SHOW},
	{"SHOW COLUMNS FROM t FROM db", SQL_STMT_SHOW},
	{"SHOW FULL COLUMNS FROM t", SQL_STMT_SHOW},
	{"SHOW INDEX FROM t", SQL_STMT_SHOW},
	{"SHOW REGION FROM t IN db WHERE Leader = 'Yes'", SQL_STMT_SHOW},
	{"SHOW VARIABLES LIKE 'version%'", SQL_STMT_SHOW},
	{"SHOW VARIABLES MAX_EXECUTION_TIME", SQL_STMT_SHOW},
	{"SHOW READ_PREFERENCE", SQL_STMT_SHOW},
	{"SHOW TIMEZONE", SQL_STMT_SHOW},
	{"SHOW TRANSACTION ISOLATION LEVEL", SQL_STMT_SHOW},
	{"SHOW search_path", SQL_STMT_SHOW},
	{"SHOW COLLATION", SQL_STMT_SHOW},
	{"SHOW CHARACTER SET", SQL_STMT_SHOW},
	{"SET time_zone = '+00:00'", SQL_STMT_SET},
	{"SET SESSION sql_mode = 'x', @@session.autocommit = 1", SQL_STMT_SET},
	{"SET GLOBAL max_connections = 10", SQL_STMT_SET},
	{"SET LOCAL timezone TO 'UTC'", SQL_STMT_SET},
	{"SET NAMES utf8mb4 COLLATE utf8mb4_general_ci", SQL_STMT_SET},
	{"SET @@x = 1", SQL_STMT_SET},
	{"SET TIME ZONE 'UTC'", SQL_STMT_SET},
	{"set autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES')", SQL_STMT_SET},
	{"SET search_path TO public, pg_catalog", SQL_STMT_SET},
	{"SET client_min_messages TO warning", SQL_STMT_SET},
	{"SET extra_float_digits = 3", SQL_STMT_SET},
	{"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", SQL_STMT_SET},
	{"BEGIN", SQL_STMT_BEGIN},
	{"START TRANSACTION READ ONLY", SQL_STMT_BEGIN},
	{"COMMIT", SQL_STMT_COMMIT},
	{"ROLLBACK", SQL_STMT_ROLLBACK},
	{"ADMIN FLUSH_TABLE('test')", SQL_STMT_ADMIN},
	{"admin flush_table ('t')", SQL_STMT_ADMIN},
	{"EXPLAIN SELECT 1", SQL_STMT_EXPLAIN},
	{"EXPLAIN ANALYZE VERBOSE SELECT * FROM t", SQL_STMT_EXPLAIN},
	{"INSERT INTO t (a, b) VALUES (1, 'x'), (DEFAULT, -2.5e3)", SQL_STMT_INSERT},
	{"INSERT INTO t1 VALUES ('host1',0, 0), ('host2', 1, 1,)", SQL_STMT_INSERT},
	{"REPLACE INTO t VALUES (6), (7)", SQL_STMT_INSERT},
	{"INSERT INTO t SELECT * FROM s WHERE a > 1", SQL_STMT_INSERT},
	{"DELETE FROM t WHERE ts < 100 AND host = 'a'", SQL_STMT_DELETE},
	{"SELECT DISTINCT a AS x, b y, *, t.*, db.t.c FROM db.t AS t1, catalog.db.t2 t2",
	 SQL_STMT_QUERY},
	{"SELECT * FROM (SELECT a FROM t) AS sub", SQL_STMT_QUERY},
	{"SELECT * FROM a JOIN b ON a.x = b.x LEFT JOIN c USING (y) RIGHT OUTER JOIN d ON true "
	 "FULL JOIN e ON 1=1 CROSS JOIN f",
	 SQL_STMT_QUERY},
	{"SELECT host, count(*) FROM t GROUP BY host HAVING count(*) > 1 ORDER BY 2 DESC NULLS "
	 "LAST, host LIMIT 10 OFFSET 5",
	 SQL_STMT_QUERY},
	{"SELECT 1 UNION ALL SELECT 2 UNION SELECT 3", SQL_STMT_QUERY},
	{"WITH c AS (SELECT 1 AS x) SELECT * FROM c", SQL_STMT_QUERY},
	{"SELECT ts::BIGINT + 1, i / 2, count(i) FROM integers GROUP BY ts::BIGINT + 1, i / 2, "
	 "ORDER BY ts::BIGINT + 1, i / 2,",
	 SQL_STMT_QUERY},
	{"SELECT a FROM t WHERE b IS DISTINCT FROM c", SQL_STMT_QUERY},
	{"SELECT @@version_comment LIMIT 1", SQL_STMT_QUERY},
	{"SELECT * FROM t WHERE x ~ 'a.*' AND y !~* 'b'", SQL_STMT_QUERY},
	{"SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relkind IN ('r','v') AND "
	 "pg_catalog.pg_table_is_visible(c.oid)",
	 SQL_STMT_QUERY},
	{"SELECT t.typname::text FROM pg_type t WHERE t.oid = ANY(ARRAY[1, 2])", SQL_STMT_QUERY},
	{"SELECT row_number() OVER (PARTITION BY a ORDER BY b DESC) FROM t", SQL_STMT_QUERY},
	{"SELECT a FROM t OFFSET 3 ROWS FETCH FIRST 2 ROWS ONLY", SQL_STMT_QUERY},
	{"VALUES (1, 2), (3, 4)", SQL_STMT_QUERY},
	{"(SELECT 1) UNION (SELECT 2) ORDER BY 1", SQL_STMT_QUERY},
	{"SELECT t FROM timestamp ORDER BY t", SQL_STMT_QUERY},
	{"SELECT date_add('2023-12-06'::DATE, INTERVAL '3 month 5 day')", SQL_STMT_QUERY},
	{"SELECT date_bin('1 hour' :: INTERVAL, ts) as time_window FROM t", SQL_STMT_QUERY},
	{"select * from KEY_COLUMN_USAGE where CONSTRAINT_NAME == 'TIME INDEX'", SQL_STMT_QUERY},
	{"SELECT table_name FROM information_schema.tables WHERE create_time > NOW() - INTERVAL 1 "
	 "MINUTE",
	 SQL_STMT_QUERY},
	{"PREPARE s1 FROM 'SELECT * FROM t WHERE id = ?'", SQL_STMT_PREPARE},
	{"EXECUTE s1 USING 1, 'a'", SQL_STMT_EXECUTE},
	{"DEALLOCATE PREPARE s1", SQL_STMT_DEALLOCATE},
	{"KILL QUERY 5", SQL_STMT_KILL},
	{"INSERT INTO jdbc_cpu VALUES (('1700000000000'::int8), ('h0'), ('0.0'::double "
	 "precision))",
	 SQL_STMT_INSERT},
};

static void test_must_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(must_parse) / sizeof(must_parse[0]); i++) {
		struct sql_stmt *st = one(must_parse[i].sql);
		if (st->kind != must_parse[i].kind)
			fail_msg("%s: kind %s, want %s", must_parse[i].sql,
				 sql_stmt_kind_name(st->kind), sql_stmt_kind_name(must_parse[i].kind));
		/* the statement text is the source slice */
		assert_string_equal(st->text, must_parse[i].sql);
	}
}

/* ---- lexer ---------------------------------------------------------------------------- */

static void test_keywords_sorted(void **state)
{
	(void)state;
	for (int k = 1; k < KW__COUNT; k++) {
		const char *n = sql_keyword_name(k);
		assert_int_equal(sql_keyword(n, strlen(n)), k);
		if (k > 1)
			assert_true(strcmp(sql_keyword_name(k - 1), n) < 0);
	}
	assert_int_equal(sql_keyword("select", 6), KW_SELECT);
	assert_int_equal(sql_keyword("SeLeCt", 6), KW_SELECT);
	assert_int_equal(sql_keyword("selects", 7), KW_NONE);
}

static void test_lexer_tokens(void **state)
{
	(void)state;
	const char *sql = "SELECT 'it''s', \"Col\", `x`, 1.5e3, ?, $12 -- c\n /* b */ <> != :: @@a";
	struct sql_lexed lx;
	uint32_t off;
	assert_int_equal(sql_lex(sql, strlen(sql), SQL_DIALECT_GREPTIME, A, &lx, &off), 0);
	int kinds[] = {SQL_TK_WORD,  SQL_TK_STRING, SQL_TK_COMMA,  SQL_TK_QIDENT, SQL_TK_COMMA,
		       SQL_TK_QIDENT, SQL_TK_COMMA, SQL_TK_NUMBER, SQL_TK_COMMA,  SQL_TK_PARAM,
		       SQL_TK_COMMA, SQL_TK_PARAM,  SQL_TK_NE,     SQL_TK_NE,     SQL_TK_DCOLON,
		       SQL_TK_ATAT,  SQL_TK_WORD,   SQL_TK_EOF};
	assert_int_equal(lx.n, sizeof(kinds) / sizeof(kinds[0]));
	for (size_t i = 0; i < lx.n; i++)
		assert_int_equal(lx.toks[i].kind, kinds[i]);
	assert_string_equal(lx.toks[1].val, "it's");
	assert_int_equal(lx.toks[1].off, 7);
	assert_int_equal(lx.toks[1].len, 7);
	assert_string_equal(lx.toks[3].val, "Col");
	assert_int_equal(lx.toks[3].quote, '"');
	assert_int_equal(lx.toks[5].quote, '`');
	assert_string_equal(lx.toks[7].val, "1.5e3");
	assert_int_equal(lx.toks[9].num, 0);
	assert_int_equal(lx.toks[11].num, 12);
	assert_int_equal(lx.toks[0].kw, KW_SELECT);
	assert_int_equal(lx.toks[lx.n - 1].off, strlen(sql));
	sql_lex_free(&lx);
}

static void test_lexer_dialects(void **state)
{
	(void)state;
	struct sql_lexed lx;
	uint32_t off;
	/* GreptimeDB: no backslash escapes, "x" is an identifier */
	const char *s1 = "'a\\nb' \"q\"";
	assert_int_equal(sql_lex(s1, strlen(s1), SQL_DIALECT_GREPTIME, A, &lx, &off), 0);
	assert_string_equal(lx.toks[0].val, "a\\nb");
	assert_int_equal(lx.toks[1].kind, SQL_TK_QIDENT);
	sql_lex_free(&lx);
	/* MySQL: backslash escapes, "x" is a string */
	assert_int_equal(sql_lex(s1, strlen(s1), SQL_DIALECT_MYSQL, A, &lx, &off), 0);
	assert_string_equal(lx.toks[0].val, "a\nb");
	assert_int_equal(lx.toks[1].kind, SQL_TK_STRING);
	sql_lex_free(&lx);
	const char *s5 = "_utf8mb4'abc' _x";
	assert_int_equal(sql_lex(s5, strlen(s5), SQL_DIALECT_MYSQL, A, &lx, &off), 0);
	assert_int_equal(lx.toks[0].kind, SQL_TK_STRING);
	assert_string_equal(lx.toks[0].val, "abc");
	assert_int_equal(lx.toks[0].off, 0);
	assert_int_equal(lx.toks[1].kind, SQL_TK_WORD);
	sql_lex_free(&lx);
	const char *s2 = "'it\\'s' '\\%'";
	assert_int_equal(sql_lex(s2, strlen(s2), SQL_DIALECT_MYSQL, A, &lx, &off), 0);
	assert_string_equal(lx.toks[0].val, "it's");
	assert_string_equal(lx.toks[1].val, "\\%"); /* kept for LIKE */
	sql_lex_free(&lx);
	/* PostgreSQL: E'' escapes, dollar quoting, # is not a comment */
	const char *s3 = "E'a\\tb' $$x'y$$ $t$z$t$";
	assert_int_equal(sql_lex(s3, strlen(s3), SQL_DIALECT_POSTGRES, A, &lx, &off), 0);
	assert_string_equal(lx.toks[0].val, "a\tb");
	assert_string_equal(lx.toks[1].val, "x'y");
	assert_string_equal(lx.toks[2].val, "z");
	assert_int_equal(lx.toks[3].kind, SQL_TK_EOF);
	sql_lex_free(&lx);
	const char *s4 = "1 # comment";
	assert_int_equal(sql_lex(s4, strlen(s4), SQL_DIALECT_MYSQL, A, &lx, &off), 0);
	assert_int_equal(lx.n, 2);
	sql_lex_free(&lx);
	assert_int_equal(sql_lex(s4, strlen(s4), SQL_DIALECT_POSTGRES, A, &lx, &off), ERR_SYNTAX);
}

static void test_lexer_errors(void **state)
{
	(void)state;
	struct sql_lexed lx;
	uint32_t off;
	const char *s = "SELECT\n  'abc";
	assert_int_equal(sql_lex(s, strlen(s), SQL_DIALECT_GREPTIME, A, &lx, &off), ERR_SYNTAX);
	assert_int_equal(off, 9);
	assert_string_equal(err_msg(), "Invalid SQL syntax: sql parser error: Unterminated string "
				       "literal at Line: 2, Column: 3");
	assert_null(lx.toks);
	s = "SELECT \"abc";
	assert_int_equal(sql_lex(s, strlen(s), SQL_DIALECT_GREPTIME, A, &lx, &off), ERR_SYNTAX);
	assert_string_equal(err_msg(), "Invalid SQL syntax: sql parser error: Expected close "
				       "delimiter '\"' before EOF. at Line: 1, Column: 8");
	s = "SELECT /* open";
	assert_int_equal(sql_lex(s, strlen(s), SQL_DIALECT_GREPTIME, A, &lx, &off), ERR_SYNTAX);
	const char nul[] = "SELECT \0 1";
	assert_int_equal(sql_lex(nul, sizeof(nul) - 1, SQL_DIALECT_GREPTIME, A, &lx, &off),
			 ERR_SYNTAX);
	assert_string_equal(err_msg(), "Invalid SQL syntax: sql parser error: Unexpected "
				       "character '\\x00' at Line: 1, Column: 8");
	s = "SELECT $0";
	assert_int_equal(sql_lex(s, strlen(s), SQL_DIALECT_GREPTIME, A, &lx, &off), ERR_SYNTAX);
	s = "SELECT X'zz'";
	assert_int_equal(sql_lex(s, strlen(s), SQL_DIALECT_GREPTIME, A, &lx, &off), ERR_SYNTAX);
	/* column counts characters, not bytes */
	s = "SELECT '时间' ^^ \"";
	assert_int_equal(sql_lex(s, strlen(s), SQL_DIALECT_GREPTIME, A, &lx, &off), ERR_SYNTAX);
	assert_string_equal(err_msg(), "Invalid SQL syntax: sql parser error: Expected close "
				       "delimiter '\"' before EOF. at Line: 1, Column: 16");
}

/* ---- statements and AST shapes ----------------------------------------------------------- */

static void test_multi_statements(void **state)
{
	(void)state;
	struct sql_stmt_list l;
	const char *sql = "  SELECT 1;; INSERT INTO t VALUES (1);\n-- c\nSHOW TABLES ;  ";
	assert_int_equal(sql_parse(sql, A, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.items[0]->kind, SQL_STMT_QUERY);
	assert_string_equal(l.items[0]->text, "SELECT 1");
	assert_int_equal(l.items[0]->off, 2);
	assert_string_equal(l.items[1]->text, "INSERT INTO t VALUES (1)");
	assert_string_equal(l.items[2]->text, "SHOW TABLES");
	assert_int_equal(sql_parse("\xEF\xBB\xBFSELECT 1", A, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0]->text, "SELECT 1");
	assert_int_equal(sql_parse("", A, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(sql_parse(" ; -- nothing\n;", A, &l), 0);
	assert_int_equal(l.n, 0);
}

static void test_create_table_shape(void **state)
{
	(void)state;
	struct sql_stmt *st = one(
		"CREATE TABLE IF NOT EXISTS Db.\"MyT\" (\n"
		"  `id` INT UNSIGNED,\n"
		"  Host STRING NULL SKIPPING INDEX WITH(granularity = '8192', type = 'BLOOM'),\n"
		"  cpu DOUBLE DEFAULT -1.5 COMMENT 'the cpu',\n"
		"  ts TIMESTAMP(9) DEFAULT CURRENT_TIMESTAMP() TIME INDEX,\n"
		"  msg STRING FULLTEXT INDEX INVERTED INDEX,\n"
		"  PRIMARY KEY (`id`, host),\n"
		")\n"
		"PARTITION ON COLUMNS (`id`) (`id` < 5, `id` >= 5 AND `id` < 9, `id` >= 9)\n"
		"ENGINE=mito\n"
		"WITH('ttl' = '7d', write_buffer_size = 1024, Compaction.Type = twcs)");
	assert_int_equal(st->kind, SQL_STMT_CREATE_TABLE);
	struct sql_create_table *ct = st->u.create_table;
	assert_true(ct->if_not_exists);
	assert_int_equal(ct->name.n, 2);
	assert_string_equal(ct->name.part[0].name, "db");
	assert_string_equal(ct->name.part[0].raw, "Db");
	assert_string_equal(ct->name.part[1].name, "MyT");
	assert_int_equal(ct->name.part[1].quote, '"');
	assert_int_equal(ct->ncols, 5);
	assert_string_equal(ct->cols[0].name.name, "id");
	assert_int_equal(ct->cols[0].type.dtype, DT_UINT32);
	assert_string_equal(ct->cols[0].type.text, "INT UNSIGNED");
	assert_int_equal(ct->cols[0].nullable, -1);
	assert_string_equal(ct->cols[1].name.name, "host");
	assert_int_equal(ct->cols[1].nullable, 1);
	assert_int_equal(ct->cols[1].nindexes, 1);
	assert_int_equal(ct->cols[1].indexes[0].kind, SQL_INDEX_SKIPPING);
	assert_int_equal(ct->cols[1].indexes[0].nopts, 2);
	assert_string_equal(ct->cols[1].indexes[0].opts[1].key, "type");
	assert_string_equal(ct->cols[1].indexes[0].opts[1].value, "BLOOM");
	assert_int_equal(ct->cols[2].type.dtype, DT_FLOAT64);
	assert_string_equal(ct->cols[2].comment, "the cpu");
	assert_string_equal(print_expr(ct->cols[2].default_expr), "-1.5");
	assert_int_equal(ct->cols[3].type.dtype, DT_TS_NS);
	assert_int_equal(ct->cols[3].type.precision, 9);
	assert_true(ct->cols[3].time_index);
	assert_int_equal(ct->cols[3].nullable, 0);
	assert_int_equal(ct->cols[3].default_expr->kind, SQL_E_FUNC);
	assert_string_equal(print_expr(ct->cols[3].default_expr), "CURRENT_TIMESTAMP()");
	assert_int_equal(ct->cols[4].nindexes, 2);
	assert_int_equal(ct->cols[4].indexes[0].kind, SQL_INDEX_FULLTEXT);
	assert_int_equal(ct->cols[4].indexes[1].kind, SQL_INDEX_INVERTED);
	assert_int_equal(ct->nprimary_key, 2);
	assert_int_equal(ct->npk_clauses, 1);
	assert_string_equal(ct->primary_key[1].name, "host");
	assert_int_equal(ct->ntime_index, 0);
	assert_non_null(ct->partition);
	assert_int_equal(ct->partition->ncols, 1);
	assert_int_equal(ct->partition->nrules, 3);
	assert_string_equal(print_expr(ct->partition->rules[1]), "`id` >= 5 AND `id` < 9");
	assert_string_equal(sql_expr_to_sql(A, ct->partition->rules[1], SQL_PRINT_CANONICAL),
			    "id >= 5 AND id < 9");
	assert_string_equal(ct->engine->name, "mito");
	assert_int_equal(ct->nopts, 3);
	assert_string_equal(ct->opts[0].key, "ttl");
	assert_int_equal(ct->opts[0].key_quote, '\'');
	assert_string_equal(ct->opts[0].value, "7d");
	assert_string_equal(ct->opts[1].value, "1024");
	assert_int_equal(ct->opts[1].value_quote, 0);
	assert_string_equal(ct->opts[2].key, "compaction.type");
	assert_string_equal(ct->opts[2].value, "twcs");

	/* table-level TIME INDEX, empty partition list, types and aliases */
	st = one("create table a(i integer, j TIMESTAMP, s TimestampSecond, d DATETIME, "
		 "x Decimal(10, 2), time index(j)) PARTITION ON COLUMNS (i) ()");
	ct = st->u.create_table;
	assert_int_equal(ct->ntime_index, 1);
	assert_string_equal(ct->time_index[0].name, "j");
	assert_int_equal(ct->cols[0].type.dtype, DT_INT32);
	assert_int_equal(ct->cols[1].type.dtype, DT_TS_MS);
	assert_int_equal(ct->cols[1].type.precision, -1);
	assert_int_equal(ct->cols[2].type.dtype, DT_TS_S);
	assert_int_equal(ct->cols[3].type.dtype, DT_TS_US);
	assert_int_equal(ct->cols[4].type.kind, SQL_TYPE_DECIMAL);
	assert_int_equal(ct->cols[4].type.precision, 10);
	assert_int_equal(ct->cols[4].type.scale, 2);
	assert_string_equal(ct->cols[4].type.text, "Decimal(10, 2)");
	assert_int_equal(ct->partition->nrules, 0);
	assert_null(ct->engine);

	st = one("CREATE TABLE t2 LIKE db.t1");
	assert_non_null(st->u.create_table->like);
	assert_string_equal(st->u.create_table->like->part[1].name, "t1");
}

static void test_type_aliases(void **state)
{
	(void)state;
	static const struct {
		const char *t;
		int dtype;
	} cases[] = {
		{"string", DT_STRING},       {"TEXT", DT_STRING},         {"varchar(20)", DT_STRING},
		{"char", DT_STRING},         {"int2", DT_INT16},          {"int4", DT_INT32},
		{"int8", DT_INT64},          {"INT64", DT_INT64},         {"TINYINT", DT_INT8},
		{"smallint", DT_INT16},      {"bigint unsigned", DT_UINT64},
		{"tinyint unsigned", DT_UINT8}, {"uint16", DT_UINT16},    {"UnsignedInt", DT_UINT32},
		{"float", DT_FLOAT32},       {"float4", DT_FLOAT32},      {"FLOAT64", DT_FLOAT64},
		{"double", DT_FLOAT64},      {"double precision", DT_FLOAT64},
		{"boolean", DT_BOOL},        {"bool", DT_BOOL},           {"varbinary", DT_BINARY},
		{"date", DT_DATE},           {"datetime", DT_TS_US},      {"timestamp", DT_TS_MS},
		{"timestamp(0)", DT_TS_S},   {"timestamp(3)", DT_TS_MS},  {"timestamp(6)", DT_TS_US},
		{"timestamp(9)", DT_TS_NS},  {"Timestamp_s", DT_TS_S},    {"timestamp_sec", DT_TS_S},
		{"timestamp_ms", DT_TS_MS},  {"Timestamp_US", DT_TS_US},  {"timestamp_ns", DT_TS_NS},
		{"TimestampMillisecond", DT_TS_MS}, {"timestamp with time zone", DT_TS_MS},
	};
	char sql[128];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT CAST(x AS %s)", cases[i].t);
		struct sql_expr *e = first_item(sql);
		assert_int_equal(e->kind, SQL_E_CAST);
		if (e->v.cast.type.dtype != cases[i].dtype)
			fail_msg("%s: dtype %d want %d", cases[i].t, e->v.cast.type.dtype,
				 cases[i].dtype);
		assert_int_equal(e->v.cast.type.kind, SQL_TYPE_DTYPE);
	}
	struct sql_expr *e = first_item("SELECT x::regclass");
	assert_int_equal(e->v.cast.type.kind, SQL_TYPE_OTHER);
	assert_string_equal(e->v.cast.type.text, "regclass");
	e = first_item("SELECT x::text[]");
	assert_int_equal(e->v.cast.type.kind, SQL_TYPE_OTHER);
	assert_string_equal(e->v.cast.type.text, "text[]");
	e = first_item("SELECT CAST(x AS timestamp(1))");
	assert_int_equal(e->v.cast.type.kind, SQL_TYPE_OTHER);
	e = first_item("SELECT x::pg_catalog.int4");
	assert_int_equal(e->v.cast.type.dtype, DT_INT32);
}

static void test_insert_shape(void **state)
{
	(void)state;
	struct sql_stmt *st = one("INSERT INTO db.t (a, `B`) VALUES (1, DEFAULT), (-2, 'x', 3,)");
	assert_int_equal(st->kind, SQL_STMT_INSERT);
	assert_false(st->u.insert.replace);
	assert_int_equal(st->u.insert.ncols, 2);
	assert_string_equal(st->u.insert.cols[1].name, "B");
	struct sql_values *v = st->u.insert.source->body->values;
	assert_int_equal(st->u.insert.source->body->kind, SQL_BODY_VALUES);
	assert_int_equal(v->nrows, 2);
	assert_int_equal(v->widths[0], 2);
	assert_int_equal(v->widths[1], 3); /* checked later: column count mismatch */
	assert_int_equal(v->rows[0][1]->kind, SQL_E_DEFAULT);
	assert_int_equal(v->rows[1][0]->kind, SQL_E_UNARY);
	assert_int_equal(v->rows[1][1]->kind, SQL_E_STRING);

	st = one("replace into t values (6)");
	assert_true(st->u.insert.replace);
	st = one("INSERT INTO t SELECT a FROM s");
	assert_int_equal(st->u.insert.source->body->kind, SQL_BODY_SELECT);

	/* "x" is an identifier in GreptimeDB's dialect, a string in MySQL's */
	st = one("INSERT INTO t VALUES (\"host1\")");
	struct sql_expr *x = st->u.insert.source->body->values->rows[0][0];
	assert_int_equal(x->kind, SQL_E_COLUMN);
	assert_int_equal(x->v.name.part[0].quote, '"');
	assert_string_equal(x->v.name.part[0].name, "host1");
	st = one_d("INSERT INTO t VALUES (\"host1\")", SQL_DIALECT_MYSQL);
	x = st->u.insert.source->body->values->rows[0][0];
	assert_int_equal(x->kind, SQL_E_STRING);
	assert_string_equal(x->v.str.s, "host1");

	st = one("DELETE FROM t WHERE a < 150");
	assert_int_equal(st->kind, SQL_STMT_DELETE);
	assert_string_equal(print_expr(st->u.del.where), "a < 150");
}

static void test_select_shape(void **state)
{
	(void)state;
	struct sql_stmt *st =
		one("SELECT DISTINCT h AS x, avg(cpu) c, t.*, * FROM db.t AS t1 LEFT JOIN u ON "
		    "t1.k = u.k, (SELECT 1) s WHERE a > 1 GROUP BY 1, h HAVING count(*) > 2 ORDER BY "
		    "2 DESC NULLS FIRST, h LIMIT 10 OFFSET 5");
	struct sql_query *q = st->u.query;
	struct sql_select *s = select_of(st);
	assert_true(s->distinct);
	assert_int_equal(s->nitems, 4);
	assert_string_equal(s->items[0].alias->name, "x");
	assert_string_equal(s->items[1].alias->name, "c");
	assert_int_equal(s->items[2].expr->kind, SQL_E_STAR);
	assert_int_equal(s->items[2].expr->v.name.n, 1);
	assert_int_equal(s->items[3].expr->v.name.n, 0);
	assert_int_equal(s->nfrom, 2);
	assert_int_equal(s->from[0]->kind, SQL_FROM_JOIN);
	assert_int_equal(s->from[0]->join, SQL_JOIN_LEFT);
	assert_string_equal(s->from[0]->left->alias->name, "t1");
	assert_string_equal(s->from[0]->left->table.part[0].name, "db");
	assert_string_equal(print_expr(s->from[0]->on), "t1.k = u.k");
	assert_int_equal(s->from[1]->kind, SQL_FROM_SUBQUERY);
	assert_string_equal(s->from[1]->alias->name, "s");
	assert_int_equal(s->ngroup, 2);
	assert_int_equal(s->group_by[0]->kind, SQL_E_NUMBER);
	assert_non_null(s->having);
	assert_int_equal(q->norder, 2);
	assert_true(q->order_by[0].desc);
	assert_int_equal(q->order_by[0].nulls, 1);
	assert_false(q->order_by[1].desc);
	assert_int_equal(q->limit->v.num.i, 10);
	assert_int_equal(q->offset->v.num.i, 5);
	/* the select item's span, for MySQL column names */
	assert_int_equal(s->items[1].off, strlen("SELECT DISTINCT h AS x, "));

	/* LIMIT offset, count */
	q = one("SELECT a FROM t LIMIT 5, 10")->u.query;
	assert_int_equal(q->offset->v.num.i, 5);
	assert_int_equal(q->limit->v.num.i, 10);

	/* set operations: INTERSECT binds tighter */
	q = one("SELECT 1 UNION ALL SELECT 2 INTERSECT SELECT 3 EXCEPT SELECT 4")->u.query;
	assert_int_equal(q->body->kind, SQL_BODY_SETOP);
	assert_int_equal(q->body->op, SQL_SETOP_EXCEPT);
	assert_int_equal(q->body->left->op, SQL_SETOP_UNION);
	assert_true(q->body->left->all);
	assert_int_equal(q->body->left->right->op, SQL_SETOP_INTERSECT);

	/* CTE */
	q = one("WITH RECURSIVE c (x) AS (SELECT 1) SELECT x FROM c")->u.query;
	assert_true(q->recursive);
	assert_int_equal(q->nctes, 1);
	assert_int_equal(q->ctes[0].ncols, 1);

	/* select without FROM, reserved words not taken as aliases */
	s = select_of(one("SELECT 1 FROM t WHERE x"));
	assert_null(s->items[0].alias);
	s = select_of(one("SELECT a b FROM t c"));
	assert_string_equal(s->items[0].alias->name, "b");
	assert_string_equal(s->from[0]->alias->name, "c");
}

static void test_expr_precedence(void **state)
{
	(void)state;
	struct sql_expr *e = first_item("SELECT a OR b AND NOT c = d + e * -f::int");
	assert_int_equal(e->kind, SQL_E_BINARY);
	assert_int_equal(e->v.binary.op, SQL_BOP_OR);
	struct sql_expr *r = e->v.binary.right;
	assert_int_equal(r->v.binary.op, SQL_BOP_AND);
	struct sql_expr *n = r->v.binary.right;
	assert_int_equal(n->kind, SQL_E_UNARY);
	assert_int_equal(n->v.unary.op, SQL_UOP_NOT);
	struct sql_expr *eq = n->v.unary.arg;
	assert_int_equal(eq->v.binary.op, SQL_BOP_EQ);
	struct sql_expr *add = eq->v.binary.right;
	assert_int_equal(add->v.binary.op, SQL_BOP_ADD);
	struct sql_expr *mul = add->v.binary.right;
	assert_int_equal(mul->v.binary.op, SQL_BOP_MUL);
	struct sql_expr *neg = mul->v.binary.right;
	assert_int_equal(neg->kind, SQL_E_UNARY);
	assert_int_equal(neg->v.unary.arg->kind, SQL_E_CAST); /* :: binds tighter than - */

	/* left associativity */
	e = first_item("SELECT 10 - 3 - 2");
	assert_int_equal(e->v.binary.left->kind, SQL_E_BINARY);
	assert_int_equal(e->v.binary.right->v.num.i, 2);

	/* BETWEEN takes its AND; comparison of IS/IN/LIKE */
	e = first_item("SELECT a BETWEEN 1 AND 2 AND b NOT IN (1, 2) OR c NOT LIKE 'x%' ESCAPE '!'");
	assert_int_equal(e->v.binary.op, SQL_BOP_OR);
	assert_int_equal(e->v.binary.left->v.binary.op, SQL_BOP_AND);
	assert_int_equal(e->v.binary.left->v.binary.left->kind, SQL_E_BETWEEN);
	struct sql_expr *in = e->v.binary.left->v.binary.right;
	assert_int_equal(in->kind, SQL_E_IN_LIST);
	assert_true(in->v.in.negated);
	assert_int_equal(in->v.in.nlist, 2);
	assert_int_equal(e->v.binary.right->kind, SQL_E_LIKE);
	assert_true(e->v.binary.right->v.like.negated);
	assert_non_null(e->v.binary.right->v.like.escape);

	e = first_item("SELECT a IS NOT NULL AND b IS TRUE AND c IS DISTINCT FROM d");
	assert_int_equal(e->v.binary.left->v.binary.left->kind, SQL_E_IS);
	assert_true(e->v.binary.left->v.binary.left->v.is.negated);
	assert_int_equal(e->v.binary.right->v.is.what, SQL_IS_DISTINCT_FROM);

	e = first_item("SELECT a XOR b || c DIV 2 % 3");
	assert_int_equal(e->v.binary.op, SQL_BOP_XOR);
	assert_int_equal(e->v.binary.right->v.binary.op, SQL_BOP_CONCAT);
	assert_int_equal(e->v.binary.right->v.binary.right->v.binary.op, SQL_BOP_MOD);
	assert_int_equal(e->v.binary.right->v.binary.right->v.binary.left->v.binary.op,
			 SQL_BOP_INTDIV);

	e = first_item("SELECT x == 1");
	assert_int_equal(e->v.binary.op, SQL_BOP_EQ);
	e = first_item("SELECT NOT EXISTS (SELECT 1)");
	assert_int_equal(e->kind, SQL_E_EXISTS);
	assert_true(e->v.exists.negated);
	e = first_item("SELECT a IN (SELECT b FROM t)");
	assert_int_equal(e->kind, SQL_E_IN_QUERY);
}

static void test_literals(void **state)
{
	(void)state;
	struct sql_select *s = select_of(
		one("SELECT 9223372036854775807, 9223372036854775808, 18446744073709551615, "
		    "18446744073709551616, 1.5, .5e1, 'it''s', TRUE, false, NULL, X'0aFF', "
		    "'a' 'b'"));
	assert_int_equal(s->items[0].expr->v.num.kind, SQL_NUM_INT);
	assert_true(s->items[0].expr->v.num.i == INT64_MAX);
	assert_int_equal(s->items[1].expr->v.num.kind, SQL_NUM_UINT);
	assert_true(s->items[1].expr->v.num.u == 9223372036854775808ULL);
	assert_int_equal(s->items[2].expr->v.num.kind, SQL_NUM_UINT);
	assert_true(s->items[2].expr->v.num.u == UINT64_MAX);
	assert_int_equal(s->items[3].expr->v.num.kind, SQL_NUM_BIG);
	assert_string_equal(s->items[3].expr->v.num.text, "18446744073709551616");
	assert_int_equal(s->items[4].expr->v.num.kind, SQL_NUM_FLOAT);
	assert_true(s->items[4].expr->v.num.f == 1.5);
	assert_true(s->items[5].expr->v.num.f == 5.0);
	assert_string_equal(s->items[6].expr->v.str.s, "it's");
	assert_int_equal(s->items[7].expr->kind, SQL_E_BOOL);
	assert_true(s->items[7].expr->v.b);
	assert_false(s->items[8].expr->v.b);
	assert_int_equal(s->items[9].expr->kind, SQL_E_NULL);
	assert_int_equal(s->items[10].expr->kind, SQL_E_HEXSTR);
	assert_string_equal(s->items[11].expr->v.str.s, "ab");

	s = select_of(one("SELECT DATE '1992-01-01', TIMESTAMP '2017-07-23 13:10:11', "
			  "INTERVAL '1 hour', INTERVAL 1 MINUTE, INTERVAL '5' DAY TO SECOND"));
	assert_int_equal(s->items[0].expr->kind, SQL_E_TYPED_STR);
	assert_int_equal(s->items[0].expr->v.typed.type.dtype, DT_DATE);
	assert_string_equal(s->items[1].expr->v.typed.s, "2017-07-23 13:10:11");
	assert_int_equal(s->items[2].expr->kind, SQL_E_INTERVAL);
	assert_null(s->items[2].expr->v.interval.unit);
	assert_string_equal(s->items[3].expr->v.interval.unit, "MINUTE");
	assert_int_equal(s->items[3].expr->v.interval.value->v.num.i, 1);
	assert_string_equal(s->items[4].expr->v.interval.unit, "DAY TO SECOND");
}

static void test_functions_and_vars(void **state)
{
	(void)state;
	struct sql_select *s = select_of(
		one("SELECT count(*), count(DISTINCT a), CURRENT_TIMESTAMP, now(), "
		    "EXTRACT(year FROM ts), CAST(a AS BIGINT), a::DOUBLE, "
		    "CASE a WHEN 1 THEN 'x' ELSE 'y' END, @@session.time_zone, @@version, @u, "
		    "pg_catalog.version(), (SELECT 1), (a, b), (a)"));
	struct sql_expr *e = s->items[0].expr;
	assert_int_equal(e->kind, SQL_E_FUNC);
	assert_true(e->v.func.star);
	assert_string_equal(e->v.func.name.part[0].name, "count");
	assert_true(s->items[1].expr->v.func.distinct);
	assert_int_equal(s->items[1].expr->v.func.nargs, 1);
	assert_true(s->items[2].expr->v.func.no_parens);
	assert_string_equal(s->items[2].expr->v.func.name.part[0].name, "current_timestamp");
	assert_false(s->items[3].expr->v.func.no_parens);
	assert_string_equal(s->items[4].expr->v.extract.field, "YEAR");
	assert_int_equal(s->items[5].expr->v.cast.style, SQL_CAST_FUNC);
	assert_int_equal(s->items[5].expr->v.cast.type.dtype, DT_INT64);
	assert_int_equal(s->items[6].expr->v.cast.style, SQL_CAST_DCOLON);
	assert_int_equal(s->items[7].expr->kind, SQL_E_CASE);
	assert_non_null(s->items[7].expr->v.case_.operand);
	assert_int_equal(s->items[7].expr->v.case_.nwhen, 1);
	e = s->items[8].expr;
	assert_int_equal(e->kind, SQL_E_VAR);
	assert_true(e->v.var.system);
	assert_string_equal(e->v.var.scope, "session");
	assert_string_equal(e->v.var.ident.name, "time_zone");
	assert_null(s->items[9].expr->v.var.scope);
	assert_false(s->items[10].expr->v.var.system);
	assert_int_equal(s->items[11].expr->v.func.name.n, 2);
	assert_int_equal(s->items[12].expr->kind, SQL_E_SUBQUERY);
	assert_int_equal(s->items[13].expr->kind, SQL_E_TUPLE);
	assert_int_equal(s->items[14].expr->kind, SQL_E_NESTED);
}

static void test_placeholders(void **state)
{
	(void)state;
	struct sql_stmt *st = one("SELECT * FROM t WHERE a = ? AND b IN (?, ?)");
	assert_int_equal(st->nparams, 3);
	struct sql_expr *w = select_of(st)->where;
	assert_int_equal(w->v.binary.left->v.binary.right->v.param, 1);
	assert_int_equal(w->v.binary.right->v.in.list[1]->v.param, 3);
	st = one("INSERT INTO t VALUES ($1, $3, $2)");
	assert_int_equal(st->nparams, 3);
	st = one("SELECT 1");
	assert_int_equal(st->nparams, 0);
	/* per statement */
	struct sql_stmt_list l;
	assert_int_equal(sql_parse("SELECT ?, ?; SELECT ?", A, &l), 0);
	assert_int_equal(l.items[0]->nparams, 2);
	assert_int_equal(l.items[1]->nparams, 1);
}

static void test_show_shapes(void **state)
{
	(void)state;
	struct sql_show *s = one("SHOW FULL TABLES FROM Db LIKE 't%'")->u.show;
	assert_int_equal(s->kind, SQL_SHOW_TABLES);
	assert_true(s->full);
	assert_string_equal(s->db->name, "db");
	assert_string_equal(s->like, "t%");
	s = one("SHOW DATABASES WHERE Database = 'x'")->u.show;
	assert_int_equal(s->kind, SQL_SHOW_DATABASES);
	assert_non_null(s->where);
	s = one("SHOW CREATE TABLE db.t FOR POSTGRES_FOREIGN_TABLE")->u.show;
	assert_int_equal(s->kind, SQL_SHOW_CREATE_TABLE);
	assert_int_equal(s->target.n, 2);
	assert_true(s->for_pg_foreign_table);
	s = one("SHOW COLUMNS FROM t IN d")->u.show;
	assert_int_equal(s->kind, SQL_SHOW_COLUMNS);
	assert_string_equal(s->target.part[0].name, "t");
	assert_string_equal(s->db->name, "d");
	s = one("SHOW REGION FROM another_table in public WHERE Leader = 'No'")->u.show;
	assert_int_equal(s->kind, SQL_SHOW_REGION);
	assert_string_equal(s->db->name, "public");
	assert_non_null(s->where);
	s = one("SHOW VARIABLES LIKE 'x'")->u.show;
	assert_int_equal(s->kind, SQL_SHOW_VARIABLES);
	assert_int_equal(s->var.n, 0);
	s = one("SHOW VARIABLES MAX_EXECUTION_TIME")->u.show;
	assert_int_equal(s->kind, SQL_SHOW_VARIABLES);
	assert_string_equal(s->var.part[0].name, "max_execution_time");
	s = one("SHOW READ_PREFERENCE")->u.show;
	assert_int_equal(s->kind, SQL_SHOW_VARIABLE);
	assert_string_equal(s->var_text, "READ_PREFERENCE");
	assert_string_equal(s->var.part[0].name, "read_preference");
	s = one("show transaction  isolation level")->u.show;
	assert_string_equal(s->var_text, "TRANSACTION ISOLATION LEVEL");
	assert_string_equal(s->var.part[0].name, "transaction_isolation_level");
	s = one("SHOW GLOBAL VARIABLES WHERE Variable_name in ('a', 'b')")->u.show;
	assert_string_equal(s->scope, "global");
	assert_int_equal(s->where->kind, SQL_E_IN_LIST);
	s = one("SHOW INDEX FROM phy")->u.show;
	assert_int_equal(s->kind, SQL_SHOW_INDEX);
}

static void test_set_shapes(void **state)
{
	(void)state;
	struct sql_stmt *st =
		one("set autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES')");
	assert_int_equal(st->u.set.nitems, 2);
	assert_string_equal(st->u.set.items[0].var.part[0].name, "autocommit");
	assert_int_equal(st->u.set.items[0].values[0]->v.num.i, 1);
	assert_int_equal(st->u.set.items[1].values[0]->kind, SQL_E_FUNC);

	st = one("SET search_path TO public, \"$user\"");
	assert_int_equal(st->u.set.nitems, 1);
	assert_int_equal(st->u.set.items[0].nvalues, 2);

	st = one("SET SESSION a = 1, @@global.b = 2, @c := 3, d TO on");
	assert_int_equal(st->u.set.nitems, 4);
	assert_string_equal(st->u.set.items[0].scope, "session");
	assert_true(st->u.set.items[1].system);
	assert_string_equal(st->u.set.items[1].scope, "global");
	assert_string_equal(st->u.set.items[1].var.part[0].name, "b");
	assert_true(st->u.set.items[2].user);
	assert_string_equal(st->u.set.items[3].values[0]->v.name.part[0].name, "on");

	st = one("SET NAMES utf8mb4 COLLATE utf8mb4_general_ci");
	assert_int_equal(st->u.set.items[0].kind, SQL_SET_NAMES);
	assert_string_equal(st->u.set.items[0].collate, "utf8mb4_general_ci");
	st = one("SET TIME ZONE 'UTC'");
	assert_int_equal(st->u.set.items[0].kind, SQL_SET_TIME_ZONE);
	assert_string_equal(st->u.set.items[0].values[0]->v.str.s, "UTC");
	st = one("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
	assert_int_equal(st->u.set.items[0].kind, SQL_SET_TRANSACTION);
	assert_string_equal(st->u.set.items[0].text, "ISOLATION LEVEL READ COMMITTED");
	st = one("SET READ_PREFERENCE = 'Leader'");
	assert_string_equal(st->u.set.items[0].var.part[0].name, "read_preference");
	assert_string_equal(st->u.set.items[0].values[0]->v.str.s, "Leader");
	st = one("SET x = DEFAULT");
	assert_int_equal(st->u.set.items[0].values[0]->kind, SQL_E_DEFAULT);
}

static void test_admin_explain_ddl(void **state)
{
	(void)state;
	struct sql_stmt *st = one("ADMIN COMPACT_TABLE(\n    'test',\n    'regular',\n    "
				  "'start_time=1970-01-01T00:00:00Z'\n)");
	assert_int_equal(st->kind, SQL_STMT_ADMIN);
	assert_string_equal(st->u.admin.header,
			    "ADMIN COMPACT_TABLE('test', 'regular', 'start_time=1970-01-01T00:00:00Z')");
	assert_int_equal(st->u.admin.call->v.func.nargs, 3);
	st = one("ADMIN FLUSH_TABLE('test')");
	assert_string_equal(st->u.admin.header, "ADMIN FLUSH_TABLE('test')");
	st = one("admin flush_table ('t')");
	assert_string_equal(st->u.admin.header, "ADMIN flush_table('t')");
	st = one("ADMIN migrate_region(4398046511105, 1, 2, 30)");
	assert_string_equal(st->u.admin.header, "ADMIN migrate_region(4398046511105, 1, 2, 30)");

	st = one("EXPLAIN ANALYZE VERBOSE SELECT * FROM t");
	assert_true(st->u.explain.analyze);
	assert_true(st->u.explain.verbose);
	assert_int_equal(st->u.explain.stmt->kind, SQL_STMT_QUERY);
	assert_string_equal(st->u.explain.stmt->text, "SELECT * FROM t");

	st = one("DROP TABLE IF EXISTS foo, db.bar");
	assert_true(st->u.drop_table.if_exists);
	assert_int_equal(st->u.drop_table.nnames, 2);
	assert_string_equal(st->u.drop_table.names[1].part[1].name, "bar");
	st = one("DROP TABLE IF");
	assert_string_equal(st->u.drop_table.names[0].part[0].name, "if");

	st = one("ALTER TABLE t ADD COLUMN IF NOT EXISTS k STRING PRIMARY KEY FIRST");
	struct sql_alter_item *it = &st->u.alter->items[0];
	assert_int_equal(it->kind, SQL_ALTER_ADD_COLUMN);
	assert_true(it->if_not_exists);
	assert_true(it->first);
	assert_true(it->col.primary_key);
	assert_int_equal(it->col.type.dtype, DT_STRING);
	st = one("ALTER TABLE t SET 'ttl' = '1d', compaction.twcs.time_window = '2h'");
	it = &st->u.alter->items[0];
	assert_int_equal(it->nopts, 2);
	assert_string_equal(it->opts[1].key, "compaction.twcs.time_window");
	st = one("ALTER TABLE r SPLIT PARTITION (a < 100) INTO (a < 50, a >= 50 AND a < 100)");
	it = &st->u.alter->items[0];
	assert_int_equal(it->kind, SQL_ALTER_SPLIT_PARTITION);
	assert_int_equal(it->nfrom, 1);
	assert_int_equal(it->nto, 2);
	st = one("CREATE DATABASE IF NOT EXISTS d WITH (ttl = '1h')");
	assert_true(st->u.create_db.if_not_exists);
	assert_int_equal(st->u.create_db.nopts, 1);
	st = one("USE Public");
	assert_string_equal(st->u.use.name, "public");
	st = one("CREATE TABLE IF(ts TIMESTAMP TIME INDEX)");
	assert_string_equal(st->u.create_table->name.part[0].name, "if");
	assert_false(st->u.create_table->if_not_exists);
}

/* ---- errors ------------------------------------------------------------------------------ */

static void test_error_messages(void **state)
{
	(void)state;
	fails("CREATE TABLE IF NOT EXIST t();", ERR_SYNTAX,
	      "Unexpected token while parsing SQL statement, expected: 'EXISTS', found: EXIST: sql "
	      "parser error: Expected: EXISTS, found: EXIST at Line: 1, Column: 21");
	fails("CREATE TABLE IF NOT t();", ERR_SYNTAX,
	      "Unexpected token while parsing SQL statement, expected: 'EXISTS', found: t: sql "
	      "parser error: Expected: EXISTS, found: t at Line: 1, Column: 21");
	fails("CREATE TABLE IF EXISTS t();", ERR_UNSUPPORTED,
	      "SQL statement is not supported, keyword: EXISTS");
	fails("CREATE TABLE t();", ERR_SYNTAX, "Missing time index constraint");
	fails("CREATE TABLE t (i BIGINT)", ERR_SYNTAX, "Missing time index constraint");
	fails("CREATE TABLE integers (i INT TIME INDEX);", ERR_BAD_INPUT,
	      "Invalid column option, column name: i, error: time index column data type should be "
	      "timestamp");
	fails("CREATE TABLE integers (i TIMESTAMP TIME INDEX NULL);", ERR_BAD_INPUT,
	      "Invalid column option, column name: i, error: time index column can't be null");
	fails("CREATE TABLE t (i TIMESTAMP TIME INDEX, j BIGINT, TIME INDEX(j));", ERR_SYNTAX,
	      "Invalid time index: expected only one time index constraint but actual 2");
	fails("CREATE TABLE t (i TIMESTAMP TIME INDEX, j BIGINT, TIME INDEX(i, j));", ERR_SYNTAX,
	      "Invalid time index: it should contain only one column in time index");
	fails("CREATE TABLE t (i BIGINT, TIME INDEX (i))", ERR_BAD_INPUT,
	      "Invalid column option, column name: i, error: time index column data type should be "
	      "timestamp");
	fails("CREATE TABLE t (ts TIMESTAMP, TIME INDEX (x))", ERR_SYNTAX,
	      "Invalid time index: time index column x not found in columns");
	fails("CREATE TABLE t (ts TIMESTAMP TIME INDEX, h STRING PRIMARY KEY, PRIMARY KEY(h))",
	      ERR_BAD_INPUT,
	      "Illegal primary keys definition: found definitions of primary keys in multiple "
	      "places");
	fails("CREATE TABLE t (ts TIMESTAMP TIME INDEX, a INT PRIMARY KEY, b INT PRIMARY KEY)",
	      ERR_BAD_INPUT,
	      "Illegal primary keys definition: not allowed to inline multiple primary keys in "
	      "columns options");
	fails("CREATE TABLE t (ts TIMESTAMP TIME INDEX, a INT) PARTITION ON COLUMNS (x) (x < 1)",
	      ERR_SYNTAX, "Invalid SQL, error: Partition column \"x\" not defined");
	fails("CREATE TABLE t (ts TIMESTAMP TIME INDEX, a INT, b INT) PARTITION ON COLUMNS (a) "
	      "(a < 1 AND b > 2)",
	      ERR_SYNTAX,
	      "Invalid SQL, error: Column \"b\" in rule expr is not referenced in PARTITION ON");
	fails("CREATE TABLE t (ts TIMESTAMP TIME INDEX, a INT) PARTITION ON COLUMNS (a) (a)",
	      ERR_SYNTAX, "Invalid SQL, error: Partition rule expr a is not a binary expr");
	fails("ALTER TABLE my_metric_1 DROP a", ERR_SYNTAX,
	      "Invalid SQL syntax: sql parser error: Expected: COLUMN, found: a at Line: 1, "
	      "Column: 30");
	fails("FOO BAR", ERR_UNSUPPORTED, "SQL statement is not supported, keyword: FOO");
	fails("UPDATE t SET a = 1", ERR_UNSUPPORTED, "SQL statement is not supported, keyword: UPDATE");
	fails("CREATE VIEW v AS SELECT 1", ERR_UNSUPPORTED,
	      "SQL statement is not supported, keyword: VIEW");
	fails("SELECT 1 2", ERR_UNSUPPORTED, "SQL statement is not supported, keyword: 2");
	fails("SELECT 1; SELEC 2", ERR_UNSUPPORTED, "SQL statement is not supported, keyword: SELEC");
	fails("SELECT * FROM", ERR_SYNTAX,
	      "Invalid SQL syntax: sql parser error: Expected: a table name, found: EOF at Line: 1, "
	      "Column: 14");
	fails("SELECT * FROM t WHERE\n  a = ", ERR_SYNTAX,
	      "Invalid SQL syntax: sql parser error: Expected: an expression, found: EOF at Line: "
	      "2, Column: 7");
	fails("SELECT (1", ERR_SYNTAX,
	      "Invalid SQL syntax: sql parser error: Expected: ), found: EOF at Line: 1, Column: 10");
	fails("INSERT t VALUES (1)", ERR_SYNTAX,
	      "Invalid SQL syntax: sql parser error: Expected: INTO, found: t at Line: 1, Column: "
	      "8");
	fails("SELECT a FROM t WHERE a IS 5", ERR_SYNTAX, NULL);
	fails("SHOW FULL", ERR_UNSUPPORTED, NULL);
	fails("CREATE TABLE t (ts TIMESTAMP TIME INDEX) ENGINE mito", ERR_SYNTAX, NULL);
	fails("SELECT 'abc", ERR_SYNTAX,
	      "Invalid SQL syntax: sql parser error: Unterminated string literal at Line: 1, Column: "
	      "8");

	/* the error position is reported in the list */
	struct sql_stmt_list l;
	assert_int_equal(sql_parse("SELECT 1;\nSELECT * FROM t WHERE )", A, &l), ERR_SYNTAX);
	assert_true(l.err_has_pos);
	assert_int_equal(l.err_off, 32);
	assert_int_equal(l.err_line, 2);
	assert_int_equal(l.err_col, 23);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	/* a very long token is cut in the message */
	char big[400];
	memset(big, 'x', sizeof(big));
	memcpy(big, "SELECT 1 AS a ", 14);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sql_parse(big, A, &l), ERR_UNSUPPORTED);
	assert_true(strlen(err_msg()) < 200);
}

static void test_depth_limits(void **state)
{
	(void)state;
	struct sql_stmt_list l;
	size_t n = 100000;
	char *s = malloc(n * 3 + 32);
	/* deep parentheses */
	strcpy(s, "SELECT ");
	size_t k = strlen(s);
	for (size_t i = 0; i < n; i++)
		s[k++] = '(';
	s[k++] = '1';
	for (size_t i = 0; i < n; i++)
		s[k++] = ')';
	s[k] = '\0';
	assert_int_equal(sql_parse(s, A, &l), ERR_LIMIT);
	assert_non_null(strstr(err_msg(), "recursion limit exceeded"));
	/* deep unary minus, NOT */
	strcpy(s, "SELECT ");
	k = strlen(s);
	for (size_t i = 0; i < n; i++) {
		s[k++] = i % 2 ? '-' : '~';
		s[k++] = ' ';
	}
	strcpy(s + k, "1");
	assert_int_equal(sql_parse(s, A, &l), ERR_LIMIT);
	/* a long left-deep chain is bounded too */
	strcpy(s, "SELECT 1");
	k = strlen(s);
	for (size_t i = 0; i < 5000; i++) {
		memcpy(s + k, "+1", 2);
		k += 2;
	}
	s[k] = '\0';
	assert_int_equal(sql_parse(s, A, &l), ERR_LIMIT);
	/* but 200 levels and 500-term chains are fine */
	strcpy(s, "SELECT ");
	k = strlen(s);
	for (size_t i = 0; i < 200; i++)
		s[k++] = '(';
	s[k++] = '1';
	for (size_t i = 0; i < 200; i++)
		s[k++] = ')';
	s[k] = '\0';
	assert_int_equal(sql_parse(s, A, &l), 0);
	strcpy(s, "SELECT * FROM t WHERE a = 0");
	k = strlen(s);
	for (size_t i = 0; i < 500; i++)
		k += (size_t)sprintf(s + k, " OR a = %zu", i);
	assert_int_equal(sql_parse(s, A, &l), 0);
	/* nested subqueries */
	strcpy(s, "SELECT ");
	k = strlen(s);
	for (size_t i = 0; i < 2000; i++)
		k += (size_t)sprintf(s + k, "(SELECT ");
	strcpy(s + k, "1");
	assert_int_equal(sql_parse(s, A, &l), ERR_LIMIT);
	/* many UNIONs and JOINs */
	strcpy(s, "SELECT 1");
	k = strlen(s);
	for (size_t i = 0; i < 3000; i++)
		k += (size_t)sprintf(s + k, " UNION SELECT 1");
	assert_int_equal(sql_parse(s, A, &l), ERR_LIMIT);
	strcpy(s, "SELECT * FROM a");
	k = strlen(s);
	for (size_t i = 0; i < 3000; i++)
		k += (size_t)sprintf(s + k, " JOIN b ON x");
	assert_int_equal(sql_parse(s, A, &l), ERR_LIMIT);
	free(s);
}

/* ---- printer ------------------------------------------------------------------------------ */

static void test_printer(void **state)
{
	(void)state;
	static const char *const exprs[] = {
		"a + b * c",
		"-1",
		"NOT a",
		"count(*)",
		"count(DISTINCT a)",
		"CAST(a AS BIGINT)",
		"a::DOUBLE",
		"x IS NOT NULL",
		"a NOT IN (1, 2)",
		"a BETWEEN 1 AND 2",
		"a NOT LIKE 'x%' ESCAPE '!'",
		"CASE WHEN a > 1 THEN 'x' ELSE 'y' END",
		"EXTRACT(YEAR FROM ts)",
		"INTERVAL '1 hour'",
		"INTERVAL 1 MINUTE",
		"DATE '2020-01-01'",
		"@@session.time_zone",
		"'it''s'",
		"\"Col\" = `x`",
		"(a, b)",
		"(a + 1) * 2",
		"now() - INTERVAL '1' DAY",
		"t.*",
		"$1",
		"CURRENT_TIMESTAMP",
		"EXISTS (SELECT 1)",
		"a IN (SELECT b FROM t WHERE c = 1)",
		"row_number() OVER (PARTITION BY a ORDER BY b DESC)",
		"string_agg(a, ',' ORDER BY b)",
		"sum(a) OVER w",
	};
	char sql[256];
	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT %s", exprs[i]);
		const char *out = print_expr(first_item(sql));
		if (strcmp(out, exprs[i]) != 0)
			fail_msg("printed %s as %s", exprs[i], out);
	}
	/* canonical identifiers (quoted only when the bare name would parse
	 * back as another name) and backslash escaping */
	struct sql_expr *e = first_item("SELECT \"Col\" + T.Id + \"a b\" + \"q\"\"x\" + \"1a\"");
	assert_string_equal(sql_expr_to_sql(A, e, SQL_PRINT_CANONICAL),
			    "\"Col\" + t.id + \"a b\" + \"q\"\"x\" + \"1a\"");
	e = first_item("SELECT 'a\\b'");
	assert_string_equal(sql_expr_to_sql(A, e, SQL_PRINT_ESCAPE_BACKSLASH), "'a\\\\b'");

	/* queries round-trip through print and parse */
	static const char *const queries[] = {
		"SELECT DISTINCT a AS x, count(*) FROM db.t AS t1 LEFT JOIN u ON t1.k = u.k WHERE a "
		"> 1 GROUP BY a HAVING count(*) > 1 ORDER BY 2 DESC NULLS LAST LIMIT 10 OFFSET 5",
		"WITH c AS (SELECT 1 AS x) SELECT x FROM c UNION ALL SELECT 2",
		"VALUES (1, 'a'), (2, 'b')",
		"SELECT * FROM (SELECT a FROM t) AS s CROSS JOIN v",
	};
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		struct buf b;
		buf_init(&b);
		assert_int_equal(sql_print_query(&b, one(queries[i])->u.query, 0), 0);
		assert_string_equal(buf_cstr(&b), queries[i]);
		buf_free(&b);
	}
}

/* ---- hostile input --------------------------------------------------------------------------- */

/* Fuzz iterations: 20000 by default, STRATA_FUZZ_ITERS to run longer. */
static int fuzz_iters(void)
{
	const char *e = getenv("STRATA_FUZZ_ITERS");
	int n = e ? atoi(e) : 0;
	return n > 0 ? n : 20000;
}

/* Parse must return 0 or an error, with the list consistent; never crash. */
static void parse_any(const char *s, size_t n, enum sql_dialect d)
{
	struct sql_stmt_list l;
	struct arena *a = arena_create(4096);
	assert_non_null(a);
	int rc = sql_parse_ex(s, n, d, a, &l);
	if (rc == 0) {
		for (size_t i = 0; i < l.n; i++) {
			assert_non_null(l.items[i]->text);
			assert_true(l.items[i]->off + l.items[i]->len <= n);
		}
	} else {
		assert_int_equal(l.n, 0);
		assert_true(rc == ERR_SYNTAX || rc == ERR_UNSUPPORTED || rc == ERR_BAD_INPUT ||
			    rc == ERR_LIMIT);
		assert_true(strlen(err_msg()) > 0);
		if (l.err_has_pos)
			assert_true(l.err_off <= n);
	}
	arena_destroy(a);
}

static void test_fuzz_random_bytes(void **state)
{
	(void)state;
	char buf[256];
	int iters = fuzz_iters();
	for (int it = 0; it < iters; it++) {
		size_t n = fx_rnd() % sizeof(buf);
		for (size_t i = 0; i < n; i++) {
			uint64_t r = fx_rnd();
			/* mostly printable, sometimes anything */
			buf[i] = (r & 0x700) ? (char)(32 + (r % 95)) : (char)r;
		}
		parse_any(buf, n, (enum sql_dialect)(it % 3));
	}
}

static void test_fuzz_token_soup(void **state)
{
	(void)state;
	static const char *const toks[] = {
		"SELECT", "FROM",  "WHERE", "(",      ")",     ",",      "a",      "t.b",   "1",
		"'s'",    "\"q\"", "+",     "-",      "*",     "/",      "=",      "<",      "AND",
		"OR",     "NOT",   "IN",    "IS",     "NULL",  "BETWEEN", "LIKE",  "CASE",   "WHEN",
		"THEN",   "ELSE",  "END",   "CAST",   "AS",    "INT",    "::",     "INTERVAL", "GROUP",
		"BY",     "ORDER", "LIMIT", "OFFSET", "UNION", "ALL",    "JOIN",   "ON",     "LEFT",
		"CREATE", "TABLE", "TIME",  "INDEX",  "PRIMARY", "KEY",  "TIMESTAMP", "STRING",
		"PARTITION", "COLUMNS", "ENGINE", "WITH", "INSERT", "INTO", "VALUES", "DEFAULT",
		"SET",    "SHOW",  "TABLES", "@@",    "@",     "?",      "$1",     ";",      "EXISTS",
		"IF",     "DROP",  "ALTER", "ADD",    "COLUMN", "EXPLAIN", "ADMIN", "f(",    "count(*)",
		"DISTINCT", "HAVING", "DESC", "NULLS", "FIRST", "[",     "]",      "ARRAY",  "EXTRACT",
		"TRUE",   "DATE",  "USE",   "ESCAPE", "OVER",  "SKIPPING", "FULLTEXT",
	};
	size_t nt = sizeof(toks) / sizeof(toks[0]);
	char buf[1024];
	int iters = fuzz_iters();
	for (int it = 0; it < iters; it++) {
		size_t n = 0, count = 1 + fx_rnd() % 40;
		for (size_t i = 0; i < count; i++) {
			const char *t = toks[fx_rnd() % nt];
			size_t len = strlen(t);
			if (n + len + 2 >= sizeof(buf))
				break;
			memcpy(buf + n, t, len);
			n += len;
			buf[n++] = ' ';
		}
		parse_any(buf, n, (enum sql_dialect)(it % 3));
	}
}

static void test_fuzz_truncations(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(must_parse) / sizeof(must_parse[0]); i++) {
		const char *s = must_parse[i].sql;
		size_t n = strlen(s);
		for (size_t k = 0; k <= n; k++) {
			parse_any(s, k, SQL_DIALECT_GREPTIME);
			parse_any(s + k, n - k, SQL_DIALECT_MYSQL); /* suffixes too */
		}
	}
}

/* Mutations of real statements at token level: drop, repeat or swap
 * tokens, so the parser is driven deep into every statement form. */
static void test_fuzz_mutations(void **state)
{
	(void)state;
	size_t nsql = sizeof(must_parse) / sizeof(must_parse[0]);
	int iters = fuzz_iters();
	char out[2048];
	for (int it = 0; it < iters; it++) {
		const char *s = must_parse[fx_rnd() % nsql].sql;
		struct sql_lexed lx;
		uint32_t off;
		struct arena *a = arena_create(4096);
		assert_int_equal(sql_lex(s, strlen(s), SQL_DIALECT_GREPTIME, a, &lx, &off), 0);
		size_t ntok = lx.n - 1, n = 0;
		for (size_t i = 0; i < ntok; i++) {
			uint64_t r = fx_rnd() % 16;
			size_t pick = i;
			if (r == 0)
				continue; /* drop */
			if (r == 1)
				pick = fx_rnd() % ntok; /* replace by another token */
			int reps = r == 2 ? 2 : 1; /* repeat */
			for (int k = 0; k < reps; k++) {
				const struct sql_token *t = &lx.toks[pick];
				if (n + t->len + 1 >= sizeof(out))
					break;
				memcpy(out + n, s + t->off, t->len);
				n += t->len;
				out[n++] = ' ';
			}
		}
		sql_lex_free(&lx);
		arena_destroy(a);
		parse_any(out, n, (enum sql_dialect)(it % 3));
	}
}

/* Decimal literals take a fast path (one IEEE division); it must agree
 * with strtod bit for bit, including long, tiny and exponent forms. */
static void test_float_literals_match_strtod(void **state)
{
	(void)state;
	srand(21);
	char sql[128], lit[64];
	for (int i = 0; i < 20000; i++) {
		switch (i % 5) {
		case 0: snprintf(lit, sizeof(lit), "%d.%02d", rand() % 1000, rand() % 100); break;
		case 1: snprintf(lit, sizeof(lit), "%d.%d", rand(), rand()); break;
		case 2: snprintf(lit, sizeof(lit), "0.%015d", rand()); break;
		case 3: snprintf(lit, sizeof(lit), "%.17g", (double)rand() / (1 + rand() % 1000)); break;
		default: snprintf(lit, sizeof(lit), ".%de%d", rand() % 1000, rand() % 40 - 20); break;
		}
		if (!strchr(lit, '.') && !strchr(lit, 'e'))
			strcat(lit, ".0");
		snprintf(sql, sizeof(sql), "SELECT %s", lit);
		struct sql_select *s = select_of(one(sql));
		assert_int_equal(s->items[0].expr->v.num.kind, SQL_NUM_FLOAT);
		double want = strtod(lit, NULL);
		if (memcmp(&s->items[0].expr->v.num.f, &want, sizeof(want)))
			fail_msg("%s parsed as %.17g, strtod says %.17g", lit,
				 s->items[0].expr->v.num.f, want);
	}
}

static void test_alloc_failures(void **state)
{
	(void)state;
	const char *sql = "CREATE TABLE t (ts TIMESTAMP TIME INDEX, h STRING PRIMARY KEY, v DOUBLE "
			  "DEFAULT 1) PARTITION ON COLUMNS (h) (h < 'a', h >= 'a') WITH (ttl='1d');"
			  "SELECT h, avg(v) FROM t WHERE v > 1 GROUP BY h ORDER BY 2 LIMIT 3;"
			  "ADMIN flush_table('t'); SET a = 1, b TO c; SHOW TABLES LIKE 'x'";
	int ok = 0, nomem = 0;
	for (long n = 0; n < 400; n++) {
		struct arena *a = arena_create(256);
		assert_non_null(a);
		struct sql_stmt_list l;
		mem_fail_after(n);
		int rc = sql_parse(sql, a, &l);
		mem_fail_after(-1);
		if (rc == 0) {
			assert_int_equal(l.n, 5);
			ok++;
		} else {
			assert_int_equal(rc, ERR_NOMEM);
			assert_int_equal(l.n, 0);
			nomem++;
		}
		arena_destroy(a);
	}
	assert_true(nomem > 10);
	assert_true(ok > 10);
}

static void test_parse_expr(void **state)
{
	(void)state;
	struct sql_expr *e;
	const char *s = "id >= 5 AND id < 9";
	assert_int_equal(sql_parse_expr(s, strlen(s), SQL_DIALECT_GREPTIME, A, &e), 0);
	assert_int_equal(e->v.binary.op, SQL_BOP_AND);
	s = "current_timestamp()";
	assert_int_equal(sql_parse_expr(s, strlen(s), SQL_DIALECT_GREPTIME, A, &e), 0);
	assert_int_equal(e->kind, SQL_E_FUNC);
	s = "1 2";
	assert_int_equal(sql_parse_expr(s, strlen(s), SQL_DIALECT_GREPTIME, A, &e), ERR_SYNTAX);
	assert_null(e);
}

/* F5-F7: the lexer follows sql/lexrules.h like the servers' scanner */
static long lexn(const char *sql, enum sql_dialect d)
{
	struct sql_lexed l;
	uint32_t off;
	long n = sql_lex(sql, strlen(sql), d, A, &l, &off) ? -1 : (long)l.n;
	sql_lex_free(&l);
	return n;
}

static void test_lexer_shared_rules(void **state)
{
	(void)state;
	/* F5: dollar strings only in PostgreSQL */
	assert_int_equal(lexn("SELECT $$?$$", SQL_DIALECT_POSTGRES), 3);
	assert_int_equal(lexn("SELECT $$?$$", SQL_DIALECT_MYSQL), -1);
	assert_int_equal(lexn("SELECT $t$x$t$", SQL_DIALECT_GREPTIME), -1);
	assert_int_equal(lexn("SELECT $1", SQL_DIALECT_MYSQL), 3); /* still a placeholder */
	/* F6: '$' continues a word; a number ends before it */
	assert_int_equal(lexn("SELECT x$$2", SQL_DIALECT_POSTGRES), 3);
	assert_int_equal(lexn("SELECT 2$$2$$", SQL_DIALECT_POSTGRES), 4);
	/* F7: nested block comments in PostgreSQL, not elsewhere */
	assert_int_equal(lexn("SELECT /* /* */ $$ */ $1 $$", SQL_DIALECT_POSTGRES), -1);
	assert_int_equal(lexn("SELECT /* /* */ */ 1", SQL_DIALECT_POSTGRES), 3);
	assert_int_equal(lexn("SELECT /* /* */ 1", SQL_DIALECT_POSTGRES), -1);
	assert_int_equal(lexn("SELECT /* /* */ 1", SQL_DIALECT_MYSQL), 3);
	assert_int_equal(lexn("SELECT /*/ */ 1", SQL_DIALECT_POSTGRES), 3);
	struct sql_stmt_list l;
	assert_int_not_equal(sql_parse_ex("SELECT /* /* */ $$ */ '$$, version(), $$' $$", 44,
					  SQL_DIALECT_POSTGRES, A, &l),
			     0);
}

int main(void)
{
	fx_seed(0x9E3779B97F4A7C15ULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keywords_sorted),
		cmocka_unit_test(test_lexer_tokens),
		cmocka_unit_test(test_lexer_shared_rules),
		cmocka_unit_test(test_lexer_dialects),
		cmocka_unit_test(test_lexer_errors),
		cmocka_unit_test(test_must_parse),
		cmocka_unit_test(test_multi_statements),
		cmocka_unit_test(test_create_table_shape),
		cmocka_unit_test(test_type_aliases),
		cmocka_unit_test(test_insert_shape),
		cmocka_unit_test(test_select_shape),
		cmocka_unit_test(test_expr_precedence),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_functions_and_vars),
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_show_shapes),
		cmocka_unit_test(test_set_shapes),
		cmocka_unit_test(test_admin_explain_ddl),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_depth_limits),
		cmocka_unit_test(test_printer),
		cmocka_unit_test(test_fuzz_random_bytes),
		cmocka_unit_test(test_fuzz_token_soup),
		cmocka_unit_test(test_fuzz_truncations),
		cmocka_unit_test(test_fuzz_mutations),
		cmocka_unit_test(test_float_literals_match_strtod),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_parse_expr),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
