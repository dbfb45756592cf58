/*
 * sqltext: statement splitting and placeholder handling. See sqltext.h.
 *
 * The text is cut into units exactly where the SQL lexer cuts it into
 * tokens (rules in sql/lexrules.h, applied in the lexer's order; see
 * next_unit): a placeholder is only ever found where the lexer will see a
 * placeholder token, never inside a string, comment, word or number.
 */
#include "server/sqltext.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "sql/lexrules.h"

enum unit_kind {
	U_BLANK,   /* whitespace, comments, BOM */
	U_QUOTED,  /* string, quoted identifier, dollar string */
	U_WORD,
	U_NUMBER,
	U_QMARK,   /* ? */
	U_DOLLAR,  /* $n */
	U_OTHER,   /* one byte: operator, punctuation, ';' */
};

/* End of a quoted run starting at s[q] (or len when it is not closed). */
static size_t quoted_end(const char *s, size_t len, size_t q, bool bs)
{
	size_t e = sql_quoted_end(s, len, q, s[q], bs);
	return e ? e : len;
}

/*
 * The unit starting at s[i] (i < len): its kind and end. Mirrors the SQL
 * lexer's skip_space_and_comments + lex_one, rule by rule.
 */
static size_t next_unit(const char *s, size_t len, int d, size_t i, int *kind)
{
	unsigned char c = (unsigned char)s[i];
	char c1 = i + 1 < len ? s[i + 1] : '\0';
	bool pg = d == SQL_DIALECT_POSTGRES, my = d == SQL_DIALECT_MYSQL;
	*kind = U_BLANK;
	if (i == 0 && sql_bom_len(s, len))
		return 3;
	if (sql_is_blank(c))
		return i + 1;
	if ((c == '-' && c1 == '-') || (c == '#' && !pg)) {
		size_t e = sql_line_comment_end(s, len, i);
		return e < len ? e + 1 : len;
	}
	if (c == '/' && c1 == '*') {
		size_t e = sql_block_comment_end(s, len, i, pg);
		return e ? e : len;
	}
	if (sql_is_digit(c) || (c == '.' && sql_is_digit((unsigned char)c1))) {
		*kind = U_NUMBER;
		return sql_number_end(s, len, i);
	}
	*kind = U_QUOTED;
	if ((c == 'e' || c == 'E' || c == 'n' || c == 'N') && c1 == '\'')
		return quoted_end(s, len, i + 1, c == 'e' || c == 'E' || my);
	if ((c == 'x' || c == 'X') && c1 == '\'')
		return quoted_end(s, len, i + 1, false);
	if (c == '\'' || c == '"')
		return quoted_end(s, len, i, my);
	if (c == '`')
		return quoted_end(s, len, i, false);
	if (sql_is_ident_start(c)) {
		/* (MySQL _charset'..': the word, then a '..' that has the
		 * same escapes as the lexer's introducer string) */
		*kind = U_WORD;
		return sql_word_end(s, len, i);
	}
	if (c == '?') {
		*kind = U_QMARK;
		return i + 1;
	}
	if (c == '$') {
		if (sql_is_digit((unsigned char)c1)) {
			size_t j = i + 1;
			while (j < len && sql_is_digit((unsigned char)s[j]))
				j++;
			*kind = U_DOLLAR;
			return j;
		}
		size_t t = pg ? sql_dollar_tag_len(s, len, i) : 0;
		if (t) {
			size_t e = sql_dollar_string_end(s, len, i, t);
			return e ? e : len;
		}
	}
	*kind = U_OTHER;
	return i + 1;
}

static int is_comment_start(const char *s, size_t len, int dialect, size_t i)
{
	return (s[i] == '-' && i + 1 < len && s[i + 1] == '-') ||
	       (s[i] == '/' && i + 1 < len && s[i + 1] == '*') ||
	       (s[i] == '#' && dialect != SQL_DIALECT_PG);
}

int sqltext_next_stmt(const char *sql, size_t len, int dialect, size_t *pos, size_t *start,
		      size_t *end)
{
	size_t i = *pos;
	int k;
	/* skip whitespace, comments and empty statements */
	while (i < len) {
		size_t j = next_unit(sql, len, dialect, i, &k);
		if (k == U_BLANK || sql[i] == ';')
			i = j;
		else
			break;
	}
	if (i >= len) {
		*pos = len;
		return 0;
	}
	size_t b = i;
	while (i < len && sql[i] != ';')
		i = next_unit(sql, len, dialect, i, &k);
	size_t e = i;
	while (e > b && isspace((unsigned char)sql[e - 1]))
		e--;
	*pos = i < len ? i + 1 : len;
	*start = b;
	*end = e;
	return 1;
}

uint32_t sqltext_count_stmts(const char *sql, size_t len, int dialect)
{
	size_t pos = 0, b, e;
	uint32_t n = 0;
	while (sqltext_next_stmt(sql, len, dialect, &pos, &b, &e))
		n++;
	return n;
}

void sqltext_verb(const char *sql, size_t len, int dialect, int nwords, char *out, size_t outsz)
{
	size_t o = 0, i = 0;
	int k;
	if (outsz == 0)
		return;
	for (int w = 0; w < nwords; w++) {
		while (i < len) {
			if (isspace((unsigned char)sql[i]) || sql[i] == '(')
				i++;
			else if (is_comment_start(sql, len, dialect, i))
				i = next_unit(sql, len, dialect, i, &k);
			else
				break;
		}
		if (i >= len || !sql_is_ident_start((unsigned char)sql[i]))
			break;
		if (w > 0 && o + 1 < outsz)
			out[o++] = ' ';
		while (i < len && sql_is_ident_char((unsigned char)sql[i])) {
			if (o + 1 < outsz)
				out[o++] = (char)toupper((unsigned char)sql[i]);
			i++;
		}
	}
	out[o] = '\0';
}

uint64_t sqltext_insert_rows(const char *sql, size_t len, int dialect)
{
	char verb[16];
	sqltext_verb(sql, len, dialect, 1, verb, sizeof(verb));
	if (strcmp(verb, "INSERT") && strcmp(verb, "REPLACE"))
		return 0;
	uint64_t rows = 0;
	int depth = 0, k;
	bool in_values = false;
	for (size_t i = 0; i < len;) {
		size_t j = next_unit(sql, len, dialect, i, &k);
		if (k == U_OTHER && sql[i] == '(') {
			if (depth++ == 0 && in_values)
				rows++;
		} else if (k == U_OTHER && sql[i] == ')') {
			if (depth > 0)
				depth--;
		} else if (k == U_WORD && depth == 0) {
			bool values = j - i == 6 && !strncasecmp(sql + i, "VALUES", 6);
			if (in_values && !values)
				break; /* ON DUPLICATE KEY ..., RETURNING ... */
			in_values = values;
		}
		i = j;
	}
	return rows;
}

uint32_t sqltext_count_qmarks(const char *sql, size_t len)
{
	uint32_t n = 0;
	int k;
	for (size_t i = 0; i < len;) {
		i = next_unit(sql, len, SQL_DIALECT_MYSQL, i, &k);
		n += k == U_QMARK;
	}
	return n;
}

/* Number of the $n unit at [i, j) (PG), clamped to 65536. */
static uint32_t dollar_num(const char *sql, size_t i, size_t j)
{
	uint64_t v = 0;
	for (size_t k = i + 1; k < j; k++)
		if (v <= 65536)
			v = v * 10 + (uint64_t)(sql[k] - '0');
	return v > 65536 ? 65536 : (uint32_t)v;
}

uint32_t sqltext_max_dollar(const char *sql, size_t len)
{
	uint32_t mx = 0;
	int k;
	for (size_t i = 0; i < len;) {
		size_t j = next_unit(sql, len, SQL_DIALECT_PG, i, &k);
		if (k == U_DOLLAR) {
			uint32_t num = dollar_num(sql, i, j);
			if (num > mx)
				mx = num;
		}
		i = j;
	}
	return mx;
}

/* Would a value pasted next to byte c merge with it into one token (or
 * start a comment)? Quotes, word/number characters, '.', '-'. */
static int needs_gap(unsigned char c)
{
	return c == '\'' || c == '"' || c == '`' || sql_is_ident_char(c) || c == '.' || c == '-';
}

int sqltext_substitute(const char *sql, size_t len, int dialect, struct buf *out,
		       sqltext_param_fn fn, void *ctx)
{
	uint32_t next = 0;
	size_t copied = 0;
	int rc = ERR_OK;
	int k;
	for (size_t i = 0; i < len;) {
		size_t j = next_unit(sql, len, dialect, i, &k);
		uint32_t idx = 0;
		if (dialect == SQL_DIALECT_MYSQL && k == U_QMARK) {
			idx = next++;
		} else if (dialect == SQL_DIALECT_PG && k == U_DOLLAR) {
			uint32_t num = dollar_num(sql, i, j);
			if (num == 0) { /* $0 is not a parameter */
				i = j;
				continue;
			}
			idx = num - 1;
		} else {
			i = j;
			continue;
		}
		if ((rc = buf_append(out, sql + copied, i - copied)))
			return rc;
		if (out->len > 0 && needs_gap(out->data[out->len - 1]) && (rc = buf_putc(out, ' ')))
			return rc;
		if ((rc = fn(ctx, idx, out)))
			return rc;
		if (j < len && needs_gap((unsigned char)sql[j]) && (rc = buf_putc(out, ' ')))
			return rc;
		i = j;
		copied = i;
	}
	return buf_append(out, sql + copied, len - copied);
}

int sqltext_quote(struct buf *out, const char *s, size_t n, int dialect)
{
	int rc = buf_putc(out, '\'');
	for (size_t i = 0; i < n && !rc; i++) {
		char c = s[i];
		if (c == '\'')
			rc = buf_append(out, "''", 2);
		else if (dialect == SQL_DIALECT_MYSQL && c == '\\')
			rc = buf_append(out, "\\\\", 2);
		else if (dialect == SQL_DIALECT_MYSQL && c == '\0')
			rc = buf_append(out, "\\0", 2);
		else
			rc = buf_putc(out, (uint8_t)c);
	}
	return rc ? rc : buf_putc(out, '\'');
}
