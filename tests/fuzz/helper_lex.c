/*
 * helper_lex: the SQL lexer's view of a text, for targets that cannot
 * include sql/lexer.h themselves (server/sqltext.h defines its own
 * enum sql_dialect). Linked into every fuzz binary.
 */
#include "fuzz/helper_lex.h"

#include <string.h>

#include "base/mem.h"
#include "fuzz/fuzz_util.h"
#include "sql/lexer.h"

/* A block comment opened inside another one ("/+ /+ +/" with stars). */
static int nested_comment(const char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] != '/' || p[i + 1] != '*')
			continue;
		for (size_t j = i + 2; j + 1 < n; j++) {
			if (p[j] == '*' && p[j + 1] == '/')
				break;
			if (p[j] == '/' && p[j + 1] == '*')
				return 1;
		}
	}
	return 0;
}

static int param_replaced(const struct sql_token *t, int pg)
{
	return t->kind == SQL_TK_PARAM && (pg ? t->num > 0 : t->num == 0);
}

int fuzz_lex_compare(const char *orig, size_t olen, const char *subst, size_t slen, int pg,
		     const char *val, size_t vlen)
{
	enum sql_dialect d = pg ? SQL_DIALECT_POSTGRES : SQL_DIALECT_MYSQL;
	struct arena *a = arena_create(4096);
	if (!a)
		return -1;
	struct sql_lexed t, s;
	memset(&t, 0, sizeof(t));
	memset(&s, 0, sizeof(s));
	uint32_t eo;
	int rc = -1;
	if (sql_lex(orig, olen, d, a, &t, &eo))
		goto out; /* the statement itself does not lex: nothing to compare */
	/* F5 (open): the lexer takes $$..$$ / $tag$..$tag$ as strings in every
	 * dialect (lexer.h says PostgreSQL only) while sqltext's MySQL scanner
	 * does not, so a '?' inside one gets a value that can end the dollar
	 * quote early */
	for (size_t i = 0; !pg && i < t.n; i++)
		if (t.toks[i].kind == SQL_TK_STRING && t.toks[i].quote == '$' &&
		    fuzz_known("F5-lexer-dollar-quotes-in-mysql"))
			goto out;
	/* F6 (open): sqltext's identifier test lacks '$' (the lexer's has it), so
	 * in PostgreSQL "x$$2" is one identifier for the lexer but holds the
	 * placeholder $2 for sqltext_substitute
	 * (and "2$$2$$" is 2 followed by the dollar string "2" for the lexer,
	 * while sqltext sees no dollar quote after an identifier character
	 * and substitutes $2 inside it - the value can then end the quote) */
	for (size_t i = 0; pg && i < t.n; i++) {
		const struct sql_token *x = &t.toks[i];
		int hit = x->kind == SQL_TK_WORD && memchr(orig + x->off, '$', x->len);
		/* ... and "3e'\'$4'" is 3 and the E-string '$4 for the lexer, while
		 * sqltext takes e' after a digit for a plain string */
		int estr = x->kind == SQL_TK_STRING && x->len > 0 &&
			   (orig[x->off] == 'e' || orig[x->off] == 'E');
		if (x->kind == SQL_TK_STRING && (x->quote == '$' || estr) && x->off > 0) {
			unsigned char c = (unsigned char)orig[x->off - 1];
			hit |= c == '_' || c == '$' || c >= 0x80 || (c >= '0' && c <= '9') ||
			       ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
		}
		if (hit && fuzz_known("F6-sqltext-dollar-after-identifier"))
			goto out;
	}
	/* F7 (open): the lexer ends a block comment at the first star-slash,
	 * sqltext (like PostgreSQL) nests them in the PostgreSQL dialect, so
	 * text after an inner comment is code for one and comment for the
	 * other */
	if (pg && nested_comment(orig, olen) && fuzz_known("F7-lexer-nested-comments"))
		goto out;
	if (sql_lex(subst, slen, d, a, &s, &eo)) {
		fprintf(stderr, "substituted text does not lex: [%.*s] -> [%.*s]\n", (int)olen, orig,
			(int)slen, subst);
		rc = 1;
		goto out;
	}
	rc = 1;
	if (t.n != s.n) {
		fprintf(stderr, "token count %zu -> %zu: [%.*s] -> [%.*s]\n", t.n, s.n, (int)olen,
			orig, (int)slen, subst);
		goto out;
	}
	for (size_t i = 0; i < t.n; i++) {
		const struct sql_token *x = &t.toks[i], *y = &s.toks[i];
		if (param_replaced(x, pg)) {
			/* a placeholder sqltext did not see (e.g. PostgreSQL "5$5") stays a
			 * placeholder: the statement then fails on an unbound parameter,
			 * no value went anywhere - benign */
			if (y->kind == SQL_TK_PARAM && y->num == x->num)
				continue;
			if (y->kind != SQL_TK_STRING || y->vlen != vlen || memcmp(y->val, val, vlen)) {
				fprintf(stderr, "placeholder %zu is not the value: [%.*s] -> [%.*s]\n",
					i, (int)olen, orig, (int)slen, subst);
				goto out;
			}
			continue;
		}
		if (x->kind != y->kind || x->vlen != y->vlen ||
		    (x->vlen && memcmp(x->val, y->val, x->vlen))) {
			fprintf(stderr, "token %zu differs: [%.*s] -> [%.*s]\n", i, (int)olen, orig,
				(int)slen, subst);
			goto out;
		}
	}
	rc = 0;
out:
	sql_lex_free(&t);
	sql_lex_free(&s);
	arena_destroy(a);
	return rc;
}
