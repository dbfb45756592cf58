/*
 * lexrules: the lexical rules of SQL text that two scanners must agree on
 * byte for byte - the SQL lexer (sql/lexer.c), which makes tokens for the
 * parser, and the protocol servers' placeholder scanner
 * (server/sqltext.c), which decides where a client's bound values are
 * pasted before the text reaches the lexer. If the two disagreed about
 * where a string, comment or word ends, a bound value could end up
 * outside its literal (SQL injection), so every such rule lives here once.
 *
 * The rule set, applied at every token boundary in this order (dialects:
 * GREPTIME, MYSQL, POSTGRES as in sql/lexer.h):
 *   1. blanks: space \t \n \r \f \v (and a UTF-8 BOM at offset 0 only)
 *   2. comments: -- to end of line; # to end of line except POSTGRES;
 *      slash-star block comments, which nest in POSTGRES only
 *   3. numbers: digits [. digits] [e|E [+|-] digits], or . digits first
 *      (the exponent only when a digit follows it)
 *   4. E'..' N'..' X'..' prefixed strings (one letter right before ')
 *   5. words: ident start (letter, _, byte >= 0x80) then ident chars
 *      (also digits and '$'): 'x$1' and 'a$$b' are single words
 *   6. quoted runs '..' ".." `..`: the quote doubled stands for itself;
 *      backslash escapes the next byte in MYSQL '..' and "..", in E'..'
 *      and in MYSQL N'..', never in X'..' or `..`
 *   7. ? is a placeholder; $ + digits is the placeholder $n
 *   8. $$..$$ and $tag$..$tag$ strings (tag: ident chars without '$',
 *      not starting with a digit) in POSTGRES only; elsewhere '$' that
 *      starts a token is no string
 * Everything else is a one-byte token (operator or an error for the lexer).
 */
#ifndef STRATA_SQL_LEXRULES_H
#define STRATA_SQL_LEXRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline bool sql_is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static inline bool sql_is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static inline bool sql_is_ident_char(unsigned char c)
{
	return sql_is_ident_start(c) || sql_is_digit(c) || c == '$';
}

static inline bool sql_is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Length of a UTF-8 byte order mark at the start of s (0 or 3). */
static inline size_t sql_bom_len(const char *s, size_t len)
{
	return len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* End of the number starting at s[i] (rule 3). */
static inline size_t sql_number_end(const char *s, size_t len, size_t i)
{
	while (i < len && sql_is_digit((unsigned char)s[i]))
		i++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && sql_is_digit((unsigned char)s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t k = i + 1;
		if (k < len && (s[k] == '+' || s[k] == '-'))
			k++;
		if (k < len && sql_is_digit((unsigned char)s[k])) {
			while (k < len && sql_is_digit((unsigned char)s[k]))
				k++;
			i = k;
		}
	}
	return i;
}

/* End of the word starting at s[i] (rule 5). */
static inline size_t sql_word_end(const char *s, size_t len, size_t i)
{
	while (i < len && sql_is_ident_char((unsigned char)s[i]))
		i++;
	return i;
}

/* End of the line comment starting at s[i]: the '\n' (not consumed) or len. */
static inline size_t sql_line_comment_end(const char *s, size_t len, size_t i)
{
	const char *nl = memchr(s + i, '\n', len - i);
	return nl ? (size_t)(nl - s) : len;
}

/* End (past the closing star-slash) of the block comment opening at s[i];
 * nested openers count when `nest`. 0 when it is not closed. */
static inline size_t sql_block_comment_end(const char *s, size_t len, size_t i, bool nest)
{
	size_t depth = 1, j = i + 2;
	while (j + 1 < len) {
		if (s[j] == '*' && s[j + 1] == '/') {
			j += 2;
			if (--depth == 0)
				return j;
		} else if (nest && s[j] == '/' && s[j + 1] == '*') {
			depth++;
			j += 2;
		} else {
			j++;
		}
	}
	return 0;
}

/* End (past the closing quote) of the quoted run whose opening quote q is
 * s[i] (rule 6); `bs`: backslash escapes the next byte. 0 when not closed. */
static inline size_t sql_quoted_end(const char *s, size_t len, size_t i, char q, bool bs)
{
	size_t j = i + 1;
	while (j < len) {
		if (s[j] == q) {
			if (j + 1 < len && s[j + 1] == q) {
				j += 2;
				continue;
			}
			return j + 1;
		}
		if (s[j] == '\\' && bs && j + 1 < len) {
			j += 2;
			continue;
		}
		j++;
	}
	return 0;
}

/* Length of a dollar-quote opener "$$" or "$tag$" at s[i] (rule 8), 0 if
 * none. The caller applies it in POSTGRES only. */
static inline size_t sql_dollar_tag_len(const char *s, size_t len, size_t i)
{
	if (i + 1 >= len || s[i] != '$' || sql_is_digit((unsigned char)s[i + 1]))
		return 0;
	size_t j = i + 1;
	while (j < len && sql_is_ident_char((unsigned char)s[j]) && s[j] != '$')
		j++;
	if (j >= len || s[j] != '$')
		return 0;
	return j + 1 - i;
}

/* End of the dollar string opening at s[i] with a tag of taglen bytes
 * (both dollars included); 0 when the tag does not come again. */
static inline size_t sql_dollar_string_end(const char *s, size_t len, size_t i, size_t taglen)
{
	for (size_t k = i + taglen; k + taglen <= len; k++)
		if (s[k] == '$' && memcmp(s + k, s + i, taglen) == 0)
			return k + taglen;
	return 0;
}

#endif
