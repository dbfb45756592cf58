/*
 * handler: the seam between the wire-protocol servers (MySQL, PostgreSQL,
 * HTTP) and the SQL engine.
 *
 * A server owns one `struct session` per client connection and hands every
 * statement text to `query_handler.execute`. The engine runs each statement
 * of the text in order and reports each statement's outcome through `emit`,
 * exactly once per statement, stopping after the first QUERY_ERROR. The
 * server renders every result in its protocol as it arrives.
 *
 * Ownership: a `query_result` passed to emit belongs to the engine and is
 * valid only during the emit call; the server copies what it keeps. The
 * session belongs to the server; the engine may change its fields (schema
 * after USE, time_zone after SET time_zone, variables) from inside execute,
 * which always runs on the connection's own thread. Only `cancel` may be
 * touched from another thread (a PostgreSQL CancelRequest): the engine polls
 * session_cancelled() in long loops and then fails the statement.
 *
 * What the engine receives: the MySQL and PostgreSQL servers split a
 * client's text into statements themselves and call execute once per
 * statement (the engine must still accept several). They answer these
 * without calling the engine: BEGIN / START TRANSACTION / COMMIT /
 * ROLLBACK (both protocols; PostgreSQL also END / ABORT), and on
 * PostgreSQL the driver settings SET extra_float_digits, application_name,
 * client_encoding, DateStyle, IntervalStyle, statement_timeout,
 * lock_timeout, idle_in_transaction_session_timeout, client_min_messages,
 * bytea_output and SET SESSION CHARACTERISTICS (stored as session
 * variables). Everything else - USE, SET time_zone / read_preference,
 * SELECT @@var, SHOW VARIABLES - is the engine's. The servers select the
 * schema with "USE `db`" (MySQL: handshake database, COM_INIT_DB) or
 * USE "db" (PostgreSQL startup database; "catalog-schema" sets the
 * catalog first); an error result refuses the connection. Prepared
 * statement parameters arrive already substituted as SQL literals: strings
 * quoted with '' doubled (MySQL also escapes backslash and NUL), numbers
 * bare, bytes as X'hex', dates and timestamps as quoted strings.
 *
 * Invariants:
 *  - `emit` returning non-zero means "stop": the client is gone or the
 *    server cannot continue; execute must return promptly without emitting
 *    more results.
 *  - execute's own return value is ERR_OK when every statement's outcome
 *    (success or error) was emitted; a non-zero return means execute could
 *    not even report (the server then sends a generic internal error).
 *  - A result_set's `rows` batch has `ncols` columns of `types[i]`.
 */
#ifndef STRATA_SERVER_HANDLER_H
#define STRATA_SERVER_HANDLER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/column.h"
#include "base/datatype.h"

enum session_protocol { SESSION_MYSQL = 1, SESSION_PG = 2, SESSION_HTTP = 3 };

/* READ_PREFERENCE per session (GreptimeDB's values; displayed uppercase). */
enum read_preference {
	READ_PREF_LEADER = 0,
	READ_PREF_FOLLOWER,
	READ_PREF_FOLLOWER_PREFERRED,
	READ_PREF_RANDOM,
};

#define SESSION_MAX_VARS      32
#define SESSION_VAR_NAME_MAX  64
#define SESSION_VAR_VALUE_MAX 256

struct session_var {
	char name[SESSION_VAR_NAME_MAX];   /* stored lower-cased */
	char value[SESSION_VAR_VALUE_MAX];
};

struct session {
	char catalog[64];     /* "greptime" */
	char schema[128];     /* "public" */
	char user[64];
	int protocol;         /* enum session_protocol */
	int read_preference;  /* enum read_preference */
	char time_zone[64];   /* "UTC", "+08:00", "SYSTEM", ... */
	uint32_t conn_id;     /* MySQL connection id / PostgreSQL backend pid */
	atomic_int cancel;    /* set by a cancel request; see session_cancelled */
	/* Statement deadline, CLOCK_MONOTONIC milliseconds (clock_mono_ns /
	 * 1e6); 0 = none. Set around one execute call by the limits wrapper
	 * (limits.h) from --statement-timeout-ms or the session's
	 * max_execution_time / statement_timeout; session_cancelled() turns
	 * true once it has passed, so every cancellation check of the engine
	 * also enforces the timeout. */
	int64_t deadline_ms;
	/* Per-statement memory budget of the query engine, bytes; 0 = none.
	 * Set around one execute call by the limits wrapper
	 * (--query-memory-limit); the operators that hold rows (sort,
	 * aggregation, DISTINCT, join build side, a cluster frontend's region
	 * answers) charge what they keep with session_mem_charge, and the
	 * statement fails with ERR_NOMEM once the sum passes the budget. Only
	 * the connection's own thread touches these. */
	uint64_t mem_limit;
	uint64_t mem_used;
	uint32_t nvars;
	struct session_var vars[SESSION_MAX_VARS];
	void *engine;         /* engine's per-session state; the server never touches it */
};

/* Defaults: catalog greptime, schema public, time zone UTC, leader reads. */
void session_init(struct session *s, int protocol, uint32_t conn_id);
/* Set (or replace) variable `name` (case-insensitive). ERR_LIMIT when the
 * store is full or the name/value is too long. */
int session_set_var(struct session *s, const char *name, const char *value);
/* The value of `name`, or NULL. The pointer is valid until the next set. */
const char *session_get_var(const struct session *s, const char *name);
/* True when a cancel was requested or the statement deadline passed. */
bool session_cancelled(const struct session *s);
/* True when the statement deadline (deadline_ms) has passed. */
bool session_timed_out(const struct session *s);
void session_request_cancel(struct session *s);
/* Account `bytes` more (or fewer, negative) held by this statement.
 * ERR_NOMEM "Query exceeded the memory limit of N bytes" when a charge
 * takes the total over a budget (s may be NULL: no accounting). */
int session_mem_charge(struct session *s, int64_t bytes);
void session_clear_cancel(struct session *s);
/* "LEADER", "FOLLOWER", ... */
const char *read_preference_name(int pref);

/* Value kinds a column may carry beyond its dtype (result_set.kinds). */
enum rs_kind {
	RS_KIND_PLAIN = 0,
	/* A timestamp difference, carried as DT_STRING text in the session
	 * protocol's style (ISO 8601 "P1DT2.5S", or PostgreSQL's interval
	 * style "1 day 00:00:02.5" on PostgreSQL sessions); the PostgreSQL
	 * front door sends such a column with the interval type. */
	RS_KIND_DURATION = 1,
};

struct result_set {
	uint32_t ncols;
	char **names;
	enum dtype *types;
	struct batch rows;
	uint8_t *kinds; /* per column enum rs_kind, or NULL: all plain */
};

/* Allocate names/types/rows for ncols columns (names copied). On failure
 * everything is freed and rs is left empty. */
int result_set_init(struct result_set *rs, uint32_t ncols, const char *const *names,
		    const enum dtype *types);
void result_set_free(struct result_set *rs);
/* Mark column col with an rs_kind (allocates rs->kinds on first use). */
int result_set_set_kind(struct result_set *rs, uint32_t col, uint8_t kind);
/* The rs_kind of column col (RS_KIND_PLAIN when none was set). */
uint8_t result_set_kind(const struct result_set *rs, uint32_t col);

enum query_result_kind { QUERY_ROWS, QUERY_AFFECTED, QUERY_OK, QUERY_ERROR };

struct query_result {
	enum query_result_kind kind;
	uint64_t affected;      /* QUERY_AFFECTED */
	struct result_set rs;   /* QUERY_ROWS */
	int err;                /* QUERY_ERROR: enum err_code */
	int greptime_status;    /* QUERY_ERROR: GreptimeDB status code (1004, 4001...) */
	char *err_msg;          /* QUERY_ERROR: message without any status prefix */
	/* Optional statement verb for PostgreSQL's CommandComplete ("INSERT",
	 * "CREATE TABLE", "SET"...). NULL: the server derives it from the
	 * statement text. */
	const char *tag;
	/* QUERY_ERROR, optional: the MySQL error number and PostgreSQL
	 * SQLSTATE when the err code's defaults (err.h) do not fit, e.g. a
	 * statement timeout (3024 / 57014). 0 / NULL: derived from err. */
	int mysql_errno;
	const char *sqlstate;
};

typedef int (*query_emit_fn)(void *emit_ctx, const struct query_result *r);

struct query_handler {
	void *ctx;
	int (*execute)(void *ctx, struct session *s, const char *sql, size_t len,
		       query_emit_fn emit, void *emit_ctx);
};

/* A user->password table for servers that require authentication. The
 * servers copy it at start. An empty table (nusers == 0) means "trust". */
struct wire_user {
	const char *name;
	const char *password;
};

#endif
