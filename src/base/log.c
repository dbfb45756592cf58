/* log: leveled logging to stderr. See log.h. */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static char tag[32] = "strata";
static int threshold = -1;

void log_set_tag(const char *t) { snprintf(tag, sizeof(tag), "%s", t); }
void log_set_level(enum log_level lvl) { threshold = (int)lvl; }

static int level_from_env(void)
{
	const char *e = getenv("STRATA_LOG");
	if (!e)
		return LOG_INFO;
	if (!strcmp(e, "debug"))
		return LOG_DEBUG;
	if (!strcmp(e, "warn"))
		return LOG_WARN;
	if (!strcmp(e, "error"))
		return LOG_ERROR;
	return LOG_INFO;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
	if (threshold < 0)
		threshold = level_from_env();
	if ((int)lvl < threshold)
		return;
	char line[2048];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s [%s] ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (int)(tv.tv_usec / 1000), names[lvl], tag);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
