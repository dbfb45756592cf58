/*
 * lexer: SQL text -> token array. See lexer.h for the dialect rules.
 *
 * Invariants: every token's [off, off+len) lies inside the input; the
 * array always ends with exactly one SQL_TK_EOF whose off is the input
 * length; tokens never overlap and appear in source order. Any byte the
 * lexer does not understand is an error, never skipped silently.
 */
#include "sql/lexer.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "sql/lexrules.h"

#define MAX_INPUT (1u << 30)

static const char *const kw_names[] = {
	"",
#define X(k) #k,
	SQL_KEYWORDS(X)
#undef X
};

int sql_keyword(const char *s, size_t n)
{
	char up[24];
	if (n == 0 || n >= sizeof(up))
		return KW_NONE;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		up[i] = c;
	}
	up[n] = '\0';
	int lo = 1, hi = KW__COUNT - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(up, kw_names[mid]);
		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return KW_NONE;
}

const char *sql_keyword_name(int kw)
{
	if (kw <= 0 || kw >= KW__COUNT)
		return "";
	return kw_names[kw];
}

void sql_linecol(const char *text, size_t len, uint32_t off, uint32_t *line, uint32_t *col)
{
	uint32_t l = 1, c = 1;
	if (off > len)
		off = (uint32_t)len;
	for (uint32_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c++; /* count characters, not UTF-8 continuation bytes */
		}
	}
	*line = l;
	*col = c;
}

struct lexer {
	const char *s;
	size_t len;
	size_t i;
	enum sql_dialect d;
	struct arena *a;
	struct sql_token *toks;
	size_t n, cap;
	uint32_t err_off;
};

static int lex_error(struct lexer *lx, size_t off, const char *what)
{
	uint32_t line, col;
	lx->err_off = (uint32_t)off;
	sql_linecol(lx->s, lx->len, (uint32_t)off, &line, &col);
	return err_set(ERR_SYNTAX, "Invalid SQL syntax: sql parser error: %s at Line: %u, Column: %u",
		       what, line, col);
}

static struct sql_token *push(struct lexer *lx, int kind, size_t off, size_t end)
{
	if (mem_grow((void **)&lx->toks, &lx->cap, lx->n + 1, sizeof(*lx->toks)))
		return NULL;
	struct sql_token *t = &lx->toks[lx->n++];
	memset(t, 0, sizeof(*t));
	t->kind = (uint8_t)kind;
	t->off = (uint32_t)off;
	t->len = (uint32_t)(end - off);
	return t;
}

/* Character classes and run ends come from sql/lexrules.h, shared with
 * the servers' placeholder scanner: the two must agree byte for byte. */
#define is_ident_start sql_is_ident_start
#define is_digit sql_is_digit

static int set_val(struct lexer *lx, struct sql_token *t, const char *p, size_t n)
{
	char *v = arena_strndup(lx->a, p, n);
	if (!v)
		return err_set(ERR_NOMEM, "out of memory in SQL lexer");
	t->val = v;
	t->vlen = (uint32_t)n;
	return 0;
}

/*
 * A quoted run starting at s[i] == q. Doubling q inside means one q;
 * backslash escapes apply when `bs` is set. The decoded text goes to the
 * arena. On return lx->i is past the closing quote.
 */
static int lex_quoted(struct lexer *lx, struct sql_token **out, int kind, size_t start, char q,
		      bool bs)
{
	size_t i = lx->i + 1;
	/* Find the closing quote first: the decoded text is never longer
	 * than the source run, so that bounds the allocation. */
	size_t end = sql_quoted_end(lx->s, lx->len, lx->i, q, bs);
	if (!end) {
		if (kind == SQL_TK_QIDENT) {
			char msg[64];
			snprintf(msg, sizeof(msg), "Expected close delimiter '%c' before EOF.", q);
			return lex_error(lx, start, msg);
		}
		return lex_error(lx, start, "Unterminated string literal");
	}
	size_t j = end - 1; /* the closing quote */
	char *buf = arena_alloc(lx->a, j - i + 1);
	if (!buf)
		return err_set(ERR_NOMEM, "out of memory in SQL lexer");
	size_t n = 0;
	for (;;) {
		char c = lx->s[i];
		if (c == q) {
			if (i < j) {
				buf[n++] = q;
				i += 2;
				continue;
			}
			i++;
			break;
		}
		if (c == '\\' && bs && i + 1 < lx->len) {
			char e = lx->s[i + 1];
			switch (e) {
			case 'n': buf[n++] = '\n'; break;
			case 't': buf[n++] = '\t'; break;
			case 'r': buf[n++] = '\r'; break;
			case 'b': buf[n++] = '\b'; break;
			case '0': buf[n++] = '\0'; break;
			case 'Z': buf[n++] = 26; break;
			case '%':
			case '_':
				/* MySQL keeps the backslash so LIKE sees the escape. */
				buf[n++] = '\\';
				buf[n++] = e;
				break;
			default: buf[n++] = e; break;
			}
			i += 2;
			continue;
		}
		buf[n++] = c;
		i++;
	}
	buf[n] = '\0';
	struct sql_token *t = push(lx, kind, start, i);
	if (!t)
		return ERR_NOMEM;
	t->quote = q;
	t->val = buf;
	t->vlen = (uint32_t)n;
	lx->i = i;
	*out = t;
	return 0;
}

/* $$...$$ or $tag$...$tag$, PostgreSQL only: other dialects have no
 * dollar strings (the servers' MySQL scanner knows none either). Returns 1
 * when s[i] does not start one. */
static int lex_dollar_string(struct lexer *lx)
{
	size_t start = lx->i;
	if (lx->d != SQL_DIALECT_POSTGRES)
		return 1;
	size_t taglen = sql_dollar_tag_len(lx->s, lx->len, start); /* both dollars */
	if (!taglen)
		return 1;
	size_t end = sql_dollar_string_end(lx->s, lx->len, start, taglen);
	if (!end)
		return lex_error(lx, start, "Unterminated dollar-quoted string");
	struct sql_token *t = push(lx, SQL_TK_STRING, start, end);
	if (!t)
		return ERR_NOMEM;
	t->quote = '$';
	if (set_val(lx, t, lx->s + start + taglen, end - taglen - (start + taglen)))
		return ERR_NOMEM;
	lx->i = end;
	return 0;
}

static int lex_number(struct lexer *lx)
{
	size_t start = lx->i, i = sql_number_end(lx->s, lx->len, lx->i);
	struct sql_token *t = push(lx, SQL_TK_NUMBER, start, i);
	if (!t || set_val(lx, t, lx->s + start, i - start))
		return ERR_NOMEM;
	lx->i = i;
	return 0;
}

static int lex_word(struct lexer *lx)
{
	size_t start = lx->i, i = sql_word_end(lx->s, lx->len, lx->i);
	if (lx->d == SQL_DIALECT_MYSQL && lx->s[start] == '_' && i < lx->len && lx->s[i] == '\'') {
		/* charset introducer: _utf8mb4'text' is the string 'text' */
		struct sql_token *st;
		lx->i = i;
		return lex_quoted(lx, &st, SQL_TK_STRING, start, '\'', true);
	}
	struct sql_token *t = push(lx, SQL_TK_WORD, start, i);
	if (!t || set_val(lx, t, lx->s + start, i - start))
		return ERR_NOMEM;
	t->kw = (uint16_t)sql_keyword(lx->s + start, i - start);
	lx->i = i;
	return 0;
}

static int skip_space_and_comments(struct lexer *lx)
{
	while (lx->i < lx->len) {
		unsigned char c = (unsigned char)lx->s[lx->i];
		if (sql_is_blank(c)) {
			lx->i++;
		} else if ((c == '-' && lx->i + 1 < lx->len && lx->s[lx->i + 1] == '-') ||
			   (c == '#' && lx->d != SQL_DIALECT_POSTGRES)) {
			lx->i = sql_line_comment_end(lx->s, lx->len, lx->i);
		} else if (c == '/' && lx->i + 1 < lx->len && lx->s[lx->i + 1] == '*') {
			/* PostgreSQL nests block comments; the others do not */
			size_t end = sql_block_comment_end(lx->s, lx->len, lx->i,
							   lx->d == SQL_DIALECT_POSTGRES);
			if (!end)
				return lex_error(lx, lx->i,
						 "Unexpected EOF while in a multi-line comment");
			lx->i = end;
		} else {
			break;
		}
	}
	return 0;
}

/* Operators, longest match first. */
static const struct {
	const char *text;
	int kind;
} ops[] = {
	{"->>", SQL_TK_LARROW}, {"<=>", SQL_TK_NSEQ}, {"::", SQL_TK_DCOLON}, {"||", SQL_TK_CONCAT},
	{"<=", SQL_TK_LE},      {">=", SQL_TK_GE},    {"<>", SQL_TK_NE},     {"!=", SQL_TK_NE},
	{"==", SQL_TK_EQEQ},    {"<<", SQL_TK_SHL},   {">>", SQL_TK_SHR},    {"->", SQL_TK_ARROW},
	{"@@", SQL_TK_ATAT},    {"(", SQL_TK_LPAREN}, {")", SQL_TK_RPAREN},  {"[", SQL_TK_LBRACKET},
	{"]", SQL_TK_RBRACKET}, {",", SQL_TK_COMMA},  {";", SQL_TK_SEMI},    {".", SQL_TK_DOT},
	{"+", SQL_TK_PLUS},     {"-", SQL_TK_MINUS},  {"*", SQL_TK_STAR},    {"/", SQL_TK_SLASH},
	{"%", SQL_TK_PERCENT},  {"=", SQL_TK_EQ},     {"<", SQL_TK_LT},      {">", SQL_TK_GT},
	{":", SQL_TK_COLON},    {"@", SQL_TK_AT},     {"&", SQL_TK_AMP},     {"|", SQL_TK_PIPE},
	{"^", SQL_TK_CARET},    {"~", SQL_TK_TILDE},  {"!", SQL_TK_EXCL},
};

static int lex_one(struct lexer *lx)
{
	size_t start = lx->i;
	unsigned char c = (unsigned char)lx->s[start];
	char c1 = start + 1 < lx->len ? lx->s[start + 1] : '\0';
	struct sql_token *t;

	if (is_digit(c) || (c == '.' && is_digit((unsigned char)c1)))
		return lex_number(lx);
	/* Prefixed strings: E'..' (PG escapes), N'..', X'..' (hex). */
	if ((c == 'e' || c == 'E' || c == 'n' || c == 'N') && c1 == '\'') {
		lx->i++;
		int rc = lex_quoted(lx, &t, SQL_TK_STRING, start, '\'',
				    (c == 'e' || c == 'E') || lx->d == SQL_DIALECT_MYSQL);
		return rc;
	}
	if ((c == 'x' || c == 'X') && c1 == '\'') {
		lx->i++;
		int rc = lex_quoted(lx, &t, SQL_TK_HEXSTR, start, '\'', false);
		if (rc)
			return rc;
		for (uint32_t k = 0; k < t->vlen; k++) {
			char h = t->val[k];
			if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
				return lex_error(lx, start, "Invalid hex string literal");
		}
		return 0;
	}
	if (is_ident_start(c))
		return lex_word(lx);
	if (c == '\'')
		return lex_quoted(lx, &t, SQL_TK_STRING, start, '\'', lx->d == SQL_DIALECT_MYSQL);
	if (c == '"') {
		if (lx->d == SQL_DIALECT_MYSQL)
			return lex_quoted(lx, &t, SQL_TK_STRING, start, '"', true);
		return lex_quoted(lx, &t, SQL_TK_QIDENT, start, '"', false);
	}
	if (c == '`')
		return lex_quoted(lx, &t, SQL_TK_QIDENT, start, '`', false);
	if (c == '?') {
		if (!push(lx, SQL_TK_PARAM, start, start + 1))
			return ERR_NOMEM;
		lx->i++;
		return 0;
	}
	if (c == '$') {
		if (is_digit((unsigned char)c1)) {
			size_t i = start + 1;
			uint32_t v = 0;
			while (i < lx->len && is_digit((unsigned char)lx->s[i])) {
				if (v > 100000)
					return lex_error(lx, start, "Placeholder number too large");
				v = v * 10 + (uint32_t)(lx->s[i] - '0');
				i++;
			}
			if (v == 0)
				return lex_error(lx, start, "Invalid placeholder $0");
			t = push(lx, SQL_TK_PARAM, start, i);
			if (!t)
				return ERR_NOMEM;
			t->num = v;
			lx->i = i;
			return 0;
		}
		int rc = lex_dollar_string(lx);
		if (rc != 1)
			return rc;
		return lex_error(lx, start, "Unexpected character '$'");
	}
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		if ((unsigned char)ops[k].text[0] != c)
			continue;
		size_t n = strlen(ops[k].text);
		if (start + n <= lx->len && memcmp(lx->s + start, ops[k].text, n) == 0) {
			if (!push(lx, ops[k].kind, start, start + n))
				return ERR_NOMEM;
			lx->i = start + n;
			return 0;
		}
	}
	char msg[64];
	if (c >= 0x20 && c < 0x7f)
		snprintf(msg, sizeof(msg), "Unexpected character '%c'", c);
	else
		snprintf(msg, sizeof(msg), "Unexpected character '\\x%02x'", c);
	return lex_error(lx, start, msg);
}

int sql_lex(const char *text, size_t len, enum sql_dialect d, struct arena *a,
	    struct sql_lexed *out, uint32_t *err_off)
{
	struct lexer lx = {.s = text, .len = len, .d = d, .a = a};
	int rc = 0;
	out->toks = NULL;
	out->n = 0;
	*err_off = 0;
	if (len >= MAX_INPUT) {
		rc = err_set(ERR_LIMIT, "SQL text too long (%zu bytes)", len);
		goto out;
	}
	lx.i = sql_bom_len(text, len); /* a UTF-8 byte order mark some editors write */
	for (;;) {
		rc = skip_space_and_comments(&lx);
		if (rc)
			goto out;
		if (lx.i >= len)
			break;
		rc = lex_one(&lx);
		if (rc)
			goto out;
	}
	if (!push(&lx, SQL_TK_EOF, len, len)) {
		rc = ERR_NOMEM;
		goto out;
	}
	out->toks = lx.toks;
	out->n = lx.n;
	lx.toks = NULL;
out:
	if (rc)
		*err_off = lx.err_off;
	mem_free(lx.toks);
	return rc;
}

void sql_lex_free(struct sql_lexed *l)
{
	mem_free(l->toks);
	l->toks = NULL;
	l->n = 0;
}
