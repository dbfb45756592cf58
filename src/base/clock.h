/* clock: wall-clock and monotonic time helpers. */
#ifndef STRATA_BASE_CLOCK_H
#define STRATA_BASE_CLOCK_H

#include <stdint.h>

int64_t clock_now_ms(void);      /* Unix epoch milliseconds (wall clock) */
int64_t clock_now_us(void);      /* Unix epoch microseconds */
int64_t clock_mono_ns(void);     /* monotonic nanoseconds, for durations */
void clock_sleep_ms(int64_t ms);

#endif
