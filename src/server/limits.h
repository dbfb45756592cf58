/*
 * limits: a query_handler wrapper that enforces per-statement limits in
 * front of the engine, the same for the MySQL, PostgreSQL and HTTP servers.
 *
 *  - Statement timeout. Before each execute call the session's deadline
 *    (session.deadline_ms, see handler.h) is set from, in order: the
 *    session variable max_execution_time (MySQL, milliseconds),
 *    statement_timeout (PostgreSQL: "250", "250ms", "2s", "1min"; also
 *    accepted on MySQL), else the server default. 0 means none. The engine
 *    polls session_cancelled() between batches, which is true once the
 *    deadline passed; the wrapper then reports the error in each protocol's
 *    words (MySQL 3024 "Query execution was interrupted, maximum statement
 *    execution time exceeded", PostgreSQL 57014 "canceling statement due to
 *    statement timeout") and clears the deadline, so the connection keeps
 *    working.
 *  - Rows per INSERT. An INSERT / REPLACE ... VALUES with more tuples than
 *    max_insert_rows is refused before the engine sees it (nothing is
 *    written): ERR_LIMIT "INSERT of N rows exceeds the limit of M rows per
 *    statement (--max-insert-rows)", MySQL 1210 / PostgreSQL 54000. INSERT
 *    ... SELECT is not counted here.
 *
 * Ownership: the limits_handler must outlive every server using the
 * wrapped handler.
 */
#ifndef STRATA_SERVER_LIMITS_H
#define STRATA_SERVER_LIMITS_H

#include <stdint.h>

#include "server/handler.h"

struct wire_limits {
	int64_t statement_timeout_ms; /* default per statement; 0: none */
	uint64_t max_insert_rows;     /* 0: unlimited */
	uint64_t query_memory_limit;  /* bytes per statement (session.mem_limit); 0: none */
};

struct limits_handler {
	struct query_handler inner;
	struct wire_limits lim;
};

/* The wrapping handler (ctx = lh). */
struct query_handler limits_wrap(struct limits_handler *lh);

/* A duration setting in milliseconds: "250", "250ms", "2s", "1min",
 * "1h", optionally quoted; "0" / "DEFAULT" mean none (0). ERR_BAD_INPUT
 * when it does not parse or is negative. */
int limits_parse_ms(const char *v, int64_t *ms);

/* The timeout that applies to the session's next statement (ms, 0 none). */
int64_t limits_session_timeout_ms(const struct session *s, int64_t dflt);

#endif
