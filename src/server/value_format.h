/*
 * value_format: rendering Strata values as the text the MySQL and
 * PostgreSQL protocols send, matching GreptimeDB's output:
 *
 *   type        MySQL text                    PostgreSQL text
 *   bool        1 / 0                         t / f
 *   integers    decimal (unsigned as such)    decimal
 *   float32/64  shortest round-trip digits,   shortest round-trip digits,
 *               positional ("1", "0.1",       exponent outside [1e-4, 1e15)
 *               "100000000000000000000"),     ("1e+20"; float4: [1e-4, 1e6)),
 *               NaN, inf, -inf                NaN, Infinity, -Infinity
 *   string      raw bytes                     raw bytes
 *   binary      raw bytes                     \x followed by lower-case hex
 *   date        YYYY-MM-DD                    YYYY-MM-DD
 *   timestamp   YYYY-MM-DD HH:MM:SS.ffffff    YYYY-MM-DD HH:MM:SS.ffffff
 *
 * Timestamps are shown in the session time zone (a fixed offset or a
 * named zone of the system's zoneinfo database, see vfmt_tz_resolve) with
 * exactly six fraction digits (nanoseconds are truncated toward minus
 * infinity to microseconds).
 */
#ifndef STRATA_SERVER_VALUE_FORMAT_H
#define STRATA_SERVER_VALUE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/column.h"

enum vfmt_flavor { VFMT_MYSQL, VFMT_PG };

/* Offset east of UTC in seconds for a fixed-offset session time zone:
 * "UTC", "Z", "SYSTEM", "" (all 0), "+08:00", "-0530", "+8", "UTC+01:00".
 * Anything else gives ERR_BAD_INPUT and *secs = 0. */
int vfmt_tz_offset(const char *tz, int32_t *secs);

/* A resolved time zone: a fixed offset, or a named zone (loaded once from
 * TZDIR or /usr/share/zoneinfo, TZif format with its POSIX footer rule,
 * cached for the life of the process). A zeroed struct is UTC. */
struct vfmt_zone;
struct vfmt_tz {
	int32_t fixed;
	const struct vfmt_zone *zone;
};
/* Resolve a session time zone. Unknown names give ERR_BAD_INPUT and UTC. */
int vfmt_tz_resolve(const char *tz, struct vfmt_tz *out);
/* Offset east of UTC in force at the instant utc_secs. tz NULL = UTC. */
int32_t vfmt_tz_offset_at(const struct vfmt_tz *tz, int64_t utc_secs);

/* Append the text form of value i of v, which must not be null. */
int vfmt_text(struct buf *out, const struct colvec *v, uint32_t i, int flavor,
	      const struct vfmt_tz *tz);

/* Shortest round-trip text of a double (float32 when is_f32) into out
 * (at least VFMT_DOUBLE_MAX bytes: MySQL's positional form of 1e308 is
 * long); returns the length. */
#define VFMT_DOUBLE_MAX 400
size_t vfmt_double(char *out, double d, int is_f32, int flavor);
/* The shortest significant digits that read back as d (finite, > 0; no
 * dot, trailing zeros dropped, NUL-terminated, at least 24 bytes) into
 * dig, their count in *ndig; returns the decimal exponent E of the first
 * digit (d = D.DDD * 10^E). The digits vfmt_double and the HTTP JSON
 * output print. */
int vfmt_shortest_digits(double d, char *dig, int *ndig);
/* The same text by the slow general path alone (no fast decimal paths):
 * the reference the fast paths are tested against. */
size_t vfmt_double_ref(char *out, double d, int is_f32, int flavor);

/* The text of timestamp value v of type t in zone tz ("YYYY-MM-DD
 * HH:MM:SS.ffffff", the year with more digits or a sign outside 0..9999)
 * into out (at least VFMT_TS_MAX bytes, no terminator); returns its length. */
#define VFMT_TS_MAX 64
size_t vfmt_ts_text(char *out, int64_t v, enum dtype t, const struct vfmt_tz *tz);

/* Broken-down civil time of a timestamp value of type t in zone tz. */
struct vfmt_tm {
	int64_t year;
	int mon, day, hour, min, sec;
	int32_t usec;
};
void vfmt_ts_split(int64_t v, enum dtype t, const struct vfmt_tz *tz, struct vfmt_tm *tm);
/* Microseconds since the Unix epoch (floor) as local time of zone tz. */
int64_t vfmt_ts_micros(int64_t v, enum dtype t, const struct vfmt_tz *tz);
void vfmt_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int64_t vfmt_days_from_civil(int64_t y, int m, int d);

#endif
