/* See crash.h. */
#include "base/crash.h"

#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define STRATA_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRATA_UNDER_ASAN 1
#endif
#endif

#ifndef STRATA_UNDER_ASAN
static void put(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));
	(void)r;
}

/* Decimal text of v into buf (async-signal-safe). */
static const char *num(char *buf, size_t n, long v)
{
	char *p = buf + n - 1;
	*p = 0;
	int neg = v < 0;
	unsigned long u = neg ? 0UL - (unsigned long)v : (unsigned long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u && p > buf + 1);
	if (neg)
		*--p = '-';
	return p;
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGFPE:
		return "SIGFPE";
	case SIGILL:
		return "SIGILL";
	case SIGABRT:
		return "SIGABRT";
	default:
		return "?";
	}
}

static void on_fatal(int sig)
{
	char b[32];
	put("strata: fatal signal ");
	put(num(b, sizeof(b), sig));
	put(" (");
	put(sig_name(sig));
	put(") in pid ");
	put(num(b, sizeof(b), (long)getpid()));
	put("; stack:\n");
	void *frames[64];
	int n = backtrace(frames, 64);
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
	signal(sig, SIG_DFL);
	raise(sig);
}

#endif

void crash_handler_install(void)
{
#ifndef STRATA_UNDER_ASAN
	void *prime[1];
	backtrace(prime, 1); /* loads libgcc now, not in the handler */
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_fatal;
		sa.sa_flags = SA_RESETHAND | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
#endif
}
