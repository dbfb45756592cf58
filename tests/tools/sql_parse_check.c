/*
 * sql_parse_check: parse every statement of sqlness .sql files with
 * Strata's SQL parser and report the ones that fail.
 *
 *   sql_parse_check [-d greptime|mysql|postgres] [-v] [-t] file.sql...
 *
 * Statements are split the way the sqlness runner does: a run of lines
 * ending with a line that ends in ';'; "--" lines outside a statement are
 * comments (directives such as "-- SQLNESS PROTOCOL MYSQL" switch the
 * dialect for the next statement). For a statement that fails to parse,
 * the matching .result file (same path, .result) is searched for the
 * statement's echo, and its output tells whether GreptimeDB also failed:
 * failures with an "Error:" output are "expected", the rest "unexpected".
 * Prints one line per failure (all statements with -v) and a summary:
 *   statements N, parsed P, failed F (expected E, unexpected U);
 *   error text identical to GreptimeDB's: S
 * (S counts failures whose "Error: code(Name), message" line is the same
 * as the one in the .result file.)
 * With -t every prefix and suffix of every statement is parsed as well
 * (in all three dialects), only to show that no input crashes the parser
 * (run it from the ASan build).
 * Exit status 0 when U == 0, 1 otherwise, 2 on usage/IO errors.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "sql/parser.h"

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);
	for (;;) {
		if (n + 4096 > cap) {
			cap *= 2;
			s = realloc(s, cap);
		}
		size_t r = fread(s + n, 1, cap - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	s[n] = '\0';
	*len = n;
	return s;
}

struct stats {
	int total, parsed, expected, unexpected, same_text;
};

static const char *status_name(int code)
{
	switch (code) {
	case 1001: return "Unsupported";
	case 1003: return "Internal";
	case 1004: return "InvalidArguments";
	case 2000: return "InvalidSyntax";
	default: return "Unknown";
	}
}

/* The output GreptimeDB printed for stmt: first line after the echo. */
static const char *result_for(const char *result, const char **cursor, const char *stmt,
			      char *out, size_t cap)
{
	out[0] = '\0';
	if (!result)
		return NULL;
	const char *p = strstr(*cursor, stmt);
	if (!p)
		p = strstr(result, stmt);
	if (!p)
		return NULL;
	p += strlen(stmt);
	while (*p == '\n')
		p++;
	const char *e = strchr(p, '\n');
	size_t n = e ? (size_t)(e - p) : strlen(p);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	*cursor = p;
	return out;
}

static bool truncations;

/* Every prefix and suffix: must return, with a consistent list. */
static void truncate_all(const char *stmt)
{
	size_t n = strlen(stmt);
	for (size_t k = 0; k <= n; k++) {
		for (int d = 0; d < 3; d++) {
			struct arena *a = arena_create(4096);
			struct sql_stmt_list l;
			if (sql_parse_ex(stmt, k, (enum sql_dialect)d, a, &l) == 0 && l.n > 0 &&
			    l.items[l.n - 1]->off + l.items[l.n - 1]->len > k)
				abort();
			if (sql_parse_ex(stmt + k, n - k, (enum sql_dialect)d, a, &l) != 0 && l.n)
				abort();
			arena_destroy(a);
		}
	}
}

static void check_stmt(const char *path, int line, const char *stmt, enum sql_dialect d,
		       const char *result, const char **cursor, bool verbose, struct stats *st)
{
	if (truncations)
		truncate_all(stmt);
	struct arena *a = arena_create(0);
	struct sql_stmt_list l;
	st->total++;
	int rc = sql_parse_ex(stmt, strlen(stmt), d, a, &l);
	char expect[512];
	result_for(result, cursor, stmt, expect, sizeof(expect));
	if (rc == 0) {
		st->parsed++;
		if (verbose)
			printf("ok   %s:%d\n", path, line);
	} else {
		bool exp = strncmp(expect, "Error:", 6) == 0 ||
			   strstr(expect, "Failed to execute query") != NULL;
		if (exp)
			st->expected++;
		else
			st->unexpected++;
		char ours[1024];
		snprintf(ours, sizeof(ours), "Error: %d(%s), %s", err_greptime_status(rc),
			 status_name(err_greptime_status(rc)), err_msg());
		if (strcmp(ours, expect) == 0)
			st->same_text++;
		const char *nl = strchr(stmt, '\n');
		printf("%s %s:%d: %.*s\n", exp ? "xfail" : "FAIL ", path, line,
		       (int)(nl ? nl - stmt : (long)strlen(stmt)), stmt);
		printf("      ours: %s(%d) %s\n", err_code_name(rc), err_greptime_status(rc),
		       err_msg());
		printf("  expected: %s\n", expect[0] ? expect : "(no .result entry)");
	}
	arena_destroy(a);
}

static int check_file(const char *path, enum sql_dialect d0, bool verbose, struct stats *st)
{
	size_t len, rlen;
	char *text = read_file(path, &len);
	if (!text) {
		fprintf(stderr, "cannot read %s\n", path);
		return 2;
	}
	char rpath[4096];
	snprintf(rpath, sizeof(rpath), "%.*s.result",
		 (int)(strlen(path) > 4 ? strlen(path) - 4 : strlen(path)), path);
	char *result = read_file(rpath, &rlen);
	const char *cursor = result;

	char *stmt = malloc(len + 1);
	size_t sn = 0;
	int start_line = 0, lineno = 0;
	enum sql_dialect d = d0;
	char *p = text;
	while (*p) {
		char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		lineno++;
		bool blank = true;
		for (size_t i = 0; i < n; i++)
			if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
				blank = false;
		if (sn == 0 && n >= 2 && p[0] == '-' && p[1] == '-') {
			if (strstr(p, "SQLNESS PROTOCOL MYSQL") && strstr(p, "SQLNESS PROTOCOL MYSQL") < p + n)
				d = SQL_DIALECT_MYSQL;
			else if (strstr(p, "SQLNESS PROTOCOL POSTGRES") &&
				 strstr(p, "SQLNESS PROTOCOL POSTGRES") < p + n)
				d = SQL_DIALECT_POSTGRES;
		} else if (!blank || sn > 0) {
			if (sn == 0)
				start_line = lineno;
			if (sn)
				stmt[sn++] = '\n';
			memcpy(stmt + sn, p, n);
			sn += n;
			size_t k = n;
			while (k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t' || p[k - 1] == '\r'))
				k--;
			if (k > 0 && p[k - 1] == ';') {
				stmt[sn] = '\0';
				check_stmt(path, start_line, stmt, d, result, &cursor, verbose, st);
				sn = 0;
				d = d0;
			}
		}
		p = e ? e + 1 : p + n;
	}
	free(stmt);
	free(text);
	free(result);
	return 0;
}

int main(int argc, char **argv)
{
	enum sql_dialect d = SQL_DIALECT_GREPTIME;
	bool verbose = false;
	struct stats st = {0};
	int rc = 0, i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v")) {
			verbose = true;
		} else if (!strcmp(argv[i], "-t")) {
			truncations = true;
		} else if (!strcmp(argv[i], "-d") && i + 1 < argc) {
			const char *n = argv[++i];
			d = !strcmp(n, "mysql")	     ? SQL_DIALECT_MYSQL
			    : !strcmp(n, "postgres") ? SQL_DIALECT_POSTGRES
						     : SQL_DIALECT_GREPTIME;
		} else {
			fprintf(stderr, "usage: %s [-d greptime|mysql|postgres] [-v] [-t] file.sql...\n",
				argv[0]);
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [-d greptime|mysql|postgres] [-v] [-t] file.sql...\n", argv[0]);
		return 2;
	}
	for (; i < argc; i++)
		if (check_file(argv[i], d, verbose, &st))
			rc = 2;
	printf("statements %d, parsed %d, failed %d (expected %d, unexpected %d); "
	       "error text identical to GreptimeDB's: %d\n",
	       st.total, st.parsed, st.expected + st.unexpected, st.expected, st.unexpected,
	       st.same_text);
	if (rc)
		return rc;
	return st.unexpected ? 1 : 0;
}
