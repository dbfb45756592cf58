/*
 * crash: on a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) write
 * "strata: fatal signal N (NAME) in pid P" and the raw stack trace of the
 * faulting thread to stderr, then die of the same signal (default action:
 * core dump when enabled, exit status 128+N), so that a crash in a test
 * run leaves something to debug in the process log. Only async-signal-safe
 * calls are made in the handler (backtrace() is primed at install time so
 * it does not allocate then). Under AddressSanitizer the sanitizer's own
 * report is better: nothing is installed.
 */
#ifndef STRATA_BASE_CRASH_H
#define STRATA_BASE_CRASH_H

void crash_handler_install(void);

#endif
