/* err: error codes and the per-thread error record. See err.h. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERR_MSG_MAX 8192 /* GreptimeDB's planner errors list every candidate signature */

static _Thread_local int last_code;
static _Thread_local char last_msg[ERR_MSG_MAX];

int err_set(int code, const char *fmt, ...)
{
	last_code = code;
	if (code == ERR_OK || fmt == NULL) {
		last_msg[0] = '\0';
		return code;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	return code;
}

int err_wrap(const char *fmt, ...)
{
	char old[ERR_MSG_MAX];
	memcpy(old, last_msg, sizeof(old));
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(last_msg))
		snprintf(last_msg + n, sizeof(last_msg) - (size_t)n, ": %.*s",
			 (int)(sizeof(last_msg) - (size_t)n), old);
	return last_code;
}

int err_code(void) { return last_code; }
const char *err_msg(void) { return last_msg; }
void err_clear(void)
{
	last_code = ERR_OK;
	last_msg[0] = '\0';
}

static const struct {
	const char *name;
	int mysql;
	const char *sqlstate;
	int greptime;
} table[ERR__COUNT] = {
#define X(n, my, pg, gt) {#n, my, pg, gt},
	ERR_CODES(X)
#undef X
};

static int valid(int code) { return code >= 0 && code < ERR__COUNT; }

const char *err_code_name(int code) { return valid(code) ? table[code].name : "UNKNOWN"; }
int err_mysql_errno(int code) { return valid(code) ? table[code].mysql : 1105; }
const char *err_sqlstate(int code) { return valid(code) ? table[code].sqlstate : "XX000"; }
int err_greptime_status(int code) { return valid(code) ? table[code].greptime : 1000; }
