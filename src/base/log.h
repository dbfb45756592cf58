/*
 * log: leveled logging to stderr, one line per call:
 *     2026-11-27T03:20:01.123Z INFO  [datanode] message
 * The level threshold comes from STRATA_LOG (debug|info|warn|error),
 * default info. The tag names the process role (log_set_tag).
 */
#ifndef STRATA_BASE_LOG_H
#define STRATA_BASE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_tag(const char *tag);
void log_set_level(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
