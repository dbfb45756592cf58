/*
 * err: the one set of error codes every Strata function returns, plus a
 * per-thread error record holding the human-readable detail of the last
 * failure (like errno + strerror, but with a message we compose).
 *
 * Codes stay distinct by meaning: "not found", "retry later", "corrupt",
 * "I/O", "protocol", "bad input" are never folded together. ERR_CODES is
 * the single table that maps each code to a MySQL error number, a
 * PostgreSQL SQLSTATE and a GreptimeDB status code (for the SQL layer).
 *
 * Usage:
 *     if (fd < 0) return err_set(ERR_IO, "open %s: %s", path, strerror(errno));
 *     ...
 *     log_error("flush failed: %s", err_msg());
 */
#ifndef STRATA_BASE_ERR_H
#define STRATA_BASE_ERR_H

/* X(name, mysql_errno, sqlstate, greptime_status) */
#define ERR_CODES(X)                                   \
	X(OK, 0, "00000", 0)                           \
	X(NOT_FOUND, 1146, "42P01", 4001)              \
	X(RETRY, 1205, "40001", 1003)                  \
	X(CORRUPT, 1030, "XX001", 1003)                \
	X(IO, 1030, "58030", 5000)                     \
	X(PROTOCOL, 1835, "08P01", 1004)               \
	X(BAD_INPUT, 1210, "22023", 1004)              \
	X(SYNTAX, 1064, "42601", 2000)                 \
	X(NOMEM, 1041, "53200", 1003)                  \
	X(UNSUPPORTED, 1235, "0A000", 1001)            \
	X(EXISTS, 1050, "42P07", 4000)                 \
	X(CONFLICT, 1213, "40001", 1003)               \
	X(LIMIT, 1153, "54000", 1004)                  \
	X(READONLY, 1036, "25006", 4007)               \
	X(UNAVAILABLE, 1105, "57P03", 4010)            \
	X(INTERNAL, 1105, "XX000", 1003)               \
	X(PLAN, 1815, "XX000", 3000)                   \
	X(EXEC, 1815, "XX000", 3001)

enum err_code {
#define X(name, my, pg, gt) ERR_##name,
	ERR_CODES(X)
#undef X
	ERR__COUNT
};

/* Record `code` and a printf-style message for this thread; returns code.
 * ERR_OK clears the record. */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepend "context: " to the current message, keeping the code. Returns it. */
int err_wrap(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last error's code and message on this thread ("" when none). */
int err_code(void);
const char *err_msg(void);
void err_clear(void);

const char *err_code_name(int code);   /* "NOT_FOUND" */
int err_mysql_errno(int code);
const char *err_sqlstate(int code);
int err_greptime_status(int code);

#endif
