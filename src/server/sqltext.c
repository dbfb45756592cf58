/* sqltext: statement splitting and placeholder handling. See sqltext.h. */
#include "server/sqltext.h"

#include <ctype.h>
#include <string.h>

#include "base/err.h"

static int is_ident(int c) { return isalnum(c) || c == '_' || c >= 0x80; }

/* Length of a PostgreSQL dollar-quote opener at p ("$$" or "$tag$"), 0 if
 * none. */
static size_t dollar_tag(const char *p, size_t left)
{
	if (left < 2 || p[0] != '$')
		return 0;
	if (p[1] == '$')
		return 2;
	if (isdigit((unsigned char)p[1]) || !is_ident((unsigned char)p[1]))
		return 0;
	for (size_t i = 1; i < left; i++) {
		if (p[i] == '$')
			return i + 1;
		if (!is_ident((unsigned char)p[i]))
			return 0;
	}
	return 0;
}

/* If a quoted string, comment or dollar quote starts at i, return the index
 * just past it; otherwise return i. */
static size_t skip_quoted(const char *s, size_t len, int dialect, size_t i)
{
	char c = s[i];
	if (c == '\'' || c == '"' || c == '`') {
		int bs = c == '\'' && (dialect == SQL_DIALECT_MYSQL ||
				       (i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
					(i < 2 || !is_ident((unsigned char)s[i - 2]))));
		if (dialect == SQL_DIALECT_MYSQL && c == '"')
			bs = 1;
		size_t j = i + 1;
		while (j < len) {
			if (bs && s[j] == '\\') {
				j += 2;
				continue;
			}
			if (s[j] == c) {
				if (j + 1 < len && s[j + 1] == c) { /* doubled quote */
					j += 2;
					continue;
				}
				return j + 1;
			}
			j++;
		}
		return len;
	}
	if (c == '-' && i + 1 < len && s[i + 1] == '-') {
		const char *nl = memchr(s + i, '\n', len - i);
		return nl ? (size_t)(nl - s) + 1 : len;
	}
	if (c == '#' && dialect == SQL_DIALECT_MYSQL) {
		const char *nl = memchr(s + i, '\n', len - i);
		return nl ? (size_t)(nl - s) + 1 : len;
	}
	if (c == '/' && i + 1 < len && s[i + 1] == '*') {
		int depth = 1;
		size_t j = i + 2;
		while (j < len && depth > 0) {
			if (s[j] == '*' && j + 1 < len && s[j + 1] == '/') {
				depth--;
				j += 2;
			} else if (dialect == SQL_DIALECT_PG && s[j] == '/' && j + 1 < len &&
				   s[j + 1] == '*') {
				depth++;
				j += 2;
			} else {
				j++;
			}
		}
		return j;
	}
	if (c == '$' && dialect == SQL_DIALECT_PG && (i == 0 || !is_ident((unsigned char)s[i - 1]))) {
		size_t t = dollar_tag(s + i, len - i);
		if (t) {
			for (size_t j = i + t; j + t <= len; j++)
				if (!memcmp(s + j, s + i, t))
					return j + t;
			return len;
		}
	}
	return i;
}

static int is_comment_start(const char *s, size_t len, int dialect, size_t i)
{
	return (s[i] == '-' && i + 1 < len && s[i + 1] == '-') ||
	       (s[i] == '/' && i + 1 < len && s[i + 1] == '*') ||
	       (s[i] == '#' && dialect == SQL_DIALECT_MYSQL);
}

int sqltext_next_stmt(const char *sql, size_t len, int dialect, size_t *pos, size_t *start,
		      size_t *end)
{
	size_t i = *pos;
	/* skip whitespace, comments and empty statements */
	while (i < len) {
		if (isspace((unsigned char)sql[i]) || sql[i] == ';')
			i++;
		else if (is_comment_start(sql, len, dialect, i))
			i = skip_quoted(sql, len, dialect, i);
		else
			break;
	}
	if (i >= len) {
		*pos = len;
		return 0;
	}
	size_t b = i;
	while (i < len && sql[i] != ';') {
		size_t j = skip_quoted(sql, len, dialect, i);
		i = j > i ? j : i + 1;
	}
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
	if (outsz == 0)
		return;
	for (int w = 0; w < nwords; w++) {
		while (i < len) {
			if (isspace((unsigned char)sql[i]) || sql[i] == '(')
				i++;
			else if (is_comment_start(sql, len, dialect, i))
				i = skip_quoted(sql, len, dialect, i);
			else
				break;
		}
		if (i >= len || !is_ident((unsigned char)sql[i]))
			break;
		if (w > 0 && o + 1 < outsz)
			out[o++] = ' ';
		while (i < len && is_ident((unsigned char)sql[i])) {
			if (o + 1 < outsz)
				out[o++] = (char)toupper((unsigned char)sql[i]);
			i++;
		}
	}
	out[o] = '\0';
}

uint32_t sqltext_count_qmarks(const char *sql, size_t len)
{
	uint32_t n = 0;
	for (size_t i = 0; i < len;) {
		size_t j = skip_quoted(sql, len, SQL_DIALECT_MYSQL, i);
		if (j > i) {
			i = j;
			continue;
		}
		if (sql[i] == '?')
			n++;
		i++;
	}
	return n;
}

/* Parse $n at i (PG); returns the number of bytes consumed, 0 if none. */
static size_t dollar_param(const char *sql, size_t len, size_t i, uint32_t *num)
{
	if (sql[i] != '$' || i + 1 >= len || !isdigit((unsigned char)sql[i + 1]))
		return 0;
	if (i > 0 && is_ident((unsigned char)sql[i - 1]))
		return 0;
	uint64_t v = 0;
	size_t j = i + 1;
	while (j < len && isdigit((unsigned char)sql[j])) {
		if (v <= 65536)
			v = v * 10 + (uint64_t)(sql[j] - '0');
		j++;
	}
	*num = v > 65536 ? 65536 : (uint32_t)v;
	return j - i;
}

uint32_t sqltext_max_dollar(const char *sql, size_t len)
{
	uint32_t mx = 0;
	for (size_t i = 0; i < len;) {
		size_t j = skip_quoted(sql, len, SQL_DIALECT_PG, i);
		if (j > i) {
			i = j;
			continue;
		}
		uint32_t num;
		size_t k = dollar_param(sql, len, i, &num);
		if (k) {
			if (num > mx)
				mx = num;
			i += k;
			continue;
		}
		i++;
	}
	return mx;
}

int sqltext_substitute(const char *sql, size_t len, int dialect, struct buf *out,
		       sqltext_param_fn fn, void *ctx)
{
	uint32_t next = 0;
	size_t copied = 0;
	int rc = ERR_OK;
	for (size_t i = 0; i < len;) {
		size_t j = skip_quoted(sql, len, dialect, i);
		if (j > i) {
			i = j;
			continue;
		}
		size_t k = 0;
		uint32_t idx = 0;
		if (dialect == SQL_DIALECT_MYSQL && sql[i] == '?') {
			k = 1;
			idx = next++;
		} else if (dialect == SQL_DIALECT_PG) {
			uint32_t num;
			k = dollar_param(sql, len, i, &num);
			if (k && num == 0)
				k = 0; /* $0 is not a parameter */
			idx = num - 1;
		}
		if (!k) {
			i++;
			continue;
		}
		if ((rc = buf_append(out, sql + copied, i - copied)))
			return rc;
		if ((rc = fn(ctx, idx, out)))
			return rc;
		i += k;
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
