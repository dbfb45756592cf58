/* limits: statement timeout and INSERT row limit around a query_handler. See limits.h. */
#include "server/limits.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/err.h"
#include "server/sqltext.h"

#define MY_QUERY_TIMEOUT 3024 /* ER_QUERY_TIMEOUT */
#define MY_WRONG_ARGS    1210

int limits_parse_ms(const char *v, int64_t *ms)
{
	*ms = 0;
	char t[64];
	size_t n = 0;
	for (const char *p = v; *p && n + 1 < sizeof(t); p++)
		if (*p != '\'' && *p != '"' && !isspace((unsigned char)*p))
			t[n++] = (char)tolower((unsigned char)*p);
	t[n] = 0;
	if (!strcmp(t, "default") || !strcmp(t, "0"))
		return ERR_OK;
	char *end;
	errno = 0;
	double x = strtod(t, &end);
	if (end == t || x < 0 || x > 1e15)
		return err_set(ERR_BAD_INPUT, "invalid duration '%s'", v);
	double mult;
	if (!*end || !strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "s"))
		mult = 1000;
	else if (!strcmp(end, "min"))
		mult = 60000;
	else if (!strcmp(end, "h"))
		mult = 3600000;
	else if (!strcmp(end, "us"))
		mult = 0.001;
	else
		return err_set(ERR_BAD_INPUT, "invalid duration '%s' (units: us, ms, s, min, h)", v);
	double r = x * mult;
	*ms = r > 0 && r < 1 ? 1 : (int64_t)r;
	return ERR_OK;
}

int64_t limits_session_timeout_ms(const struct session *s, int64_t dflt)
{
	static const char *const names[] = {"max_execution_time", "statement_timeout"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = session_get_var(s, names[i]);
		int64_t ms;
		if (!v)
			continue;
		if (limits_parse_ms(v, &ms)) {
			err_clear(); /* a bad value set earlier: ignore it, as MySQL does */
			continue;
		}
		/* an explicit 0 turns the server default off for the session */
		return ms;
	}
	return dflt;
}

struct wrap {
	struct session *s;
	query_emit_fn emit;
	void *emit_ctx;
	bool timeout_sent;
};

static int send_timeout(struct wrap *w)
{
	struct query_result r = {.kind = QUERY_ERROR, .err = ERR_EXEC, .greptime_status = 1005};
	if (w->s->protocol == SESSION_PG)
		r.err_msg = "canceling statement due to statement timeout";
	else
		r.err_msg = "Query execution was interrupted, maximum statement execution time exceeded";
	r.mysql_errno = MY_QUERY_TIMEOUT;
	r.sqlstate = "57014";
	w->timeout_sent = true;
	return w->emit(w->emit_ctx, &r);
}

static int wrap_emit(void *ctx, const struct query_result *r)
{
	struct wrap *w = ctx;
	/* any error while the deadline has passed is the timeout's doing
	 * (the engine says "Query was cancelled" or fails a write midway) */
	if (r->kind == QUERY_ERROR && session_timed_out(w->s) &&
	    !atomic_load(&w->s->cancel))
		return send_timeout(w);
	return w->emit(w->emit_ctx, r);
}

static int check_insert_rows(struct limits_handler *lh, struct session *s, const char *sql,
			     size_t len, query_emit_fn emit, void *emit_ctx, bool *refused)
{
	*refused = false;
	if (!lh->lim.max_insert_rows)
		return ERR_OK;
	/* every row counted below opens with a '(' byte: when the text holds
	 * no more of those than the limit, no statement can exceed it (this
	 * spares big INSERTs two lexer-exact passes over their text) */
	uint64_t parens = 0;
	for (const char *p = sql, *end = sql + len;
	     (p = memchr(p, '(', (size_t)(end - p))) != NULL; p++)
		if (++parens > lh->lim.max_insert_rows)
			break;
	if (parens <= lh->lim.max_insert_rows)
		return ERR_OK;
	int d = s->protocol == SESSION_PG ? SQL_DIALECT_PG : SQL_DIALECT_MYSQL;
	size_t pos = 0, b, e;
	while (sqltext_next_stmt(sql, len, d, &pos, &b, &e)) {
		uint64_t n = sqltext_insert_rows(sql + b, e - b, d);
		if (n <= lh->lim.max_insert_rows)
			continue;
		char m[200];
		snprintf(m, sizeof(m),
			 "INSERT of %" PRIu64 " rows exceeds the limit of %" PRIu64
			 " rows per statement (--max-insert-rows); split it into smaller batches",
			 n, lh->lim.max_insert_rows);
		struct query_result r = {.kind = QUERY_ERROR, .err = ERR_LIMIT, .err_msg = m,
					 .greptime_status = 1004, .mysql_errno = MY_WRONG_ARGS,
					 .sqlstate = "54000"};
		*refused = true;
		emit(emit_ctx, &r);
		return ERR_OK;
	}
	return ERR_OK;
}

static int lim_execute(void *ctx, struct session *s, const char *sql, size_t len,
		       query_emit_fn emit, void *emit_ctx)
{
	struct limits_handler *lh = ctx;
	bool refused;
	int rc = check_insert_rows(lh, s, sql, len, emit, emit_ctx, &refused);
	if (rc || refused)
		return rc;
	int64_t ms = limits_session_timeout_ms(s, lh->lim.statement_timeout_ms);
	s->deadline_ms = ms > 0 ? clock_mono_ns() / 1000000 + ms : 0;
	s->mem_limit = lh->lim.query_memory_limit;
	s->mem_used = 0;
	struct wrap w = {.s = s, .emit = emit, .emit_ctx = emit_ctx};
	rc = lh->inner.execute(lh->inner.ctx, s, sql, len, wrap_emit, &w);
	if (rc && !w.timeout_sent && session_timed_out(s) && !atomic_load(&s->cancel)) {
		/* the engine could not report; the timeout is why */
		send_timeout(&w);
		rc = ERR_OK;
	}
	s->deadline_ms = 0;
	s->mem_limit = 0;
	s->mem_used = 0;
	return rc;
}

struct query_handler limits_wrap(struct limits_handler *lh)
{
	struct query_handler h = {.ctx = lh, .execute = lim_execute};
	return h;
}
