/* value_format: text rendering of values per protocol. See value_format.h. */
#include "server/value_format.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/mem.h"

int vfmt_tz_offset(const char *tz, int32_t *secs)
{
	*secs = 0;
	if (!tz || !*tz || !strcasecmp(tz, "UTC") || !strcasecmp(tz, "Z") ||
	    !strcasecmp(tz, "SYSTEM") || !strcasecmp(tz, "GMT") || !strcasecmp(tz, "Etc/UTC") ||
	    !strcasecmp(tz, "UCT"))
		return ERR_OK;
	const char *p = tz;
	if (!strncasecmp(p, "UTC", 3) || !strncasecmp(p, "GMT", 3))
		p += 3;
	if (*p != '+' && *p != '-')
		return err_set(ERR_BAD_INPUT, "unsupported time zone: %s", tz);
	int sign = *p == '-' ? -1 : 1;
	p++;
	int h = 0, m = 0, nd = 0;
	while (isdigit((unsigned char)*p) && nd < 2) {
		h = h * 10 + (*p++ - '0');
		nd++;
	}
	if (nd == 0)
		return err_set(ERR_BAD_INPUT, "unsupported time zone: %s", tz);
	if (*p == ':')
		p++;
	nd = 0;
	while (isdigit((unsigned char)*p) && nd < 2) {
		m = m * 10 + (*p++ - '0');
		nd++;
	}
	if (*p || h > 14 || m > 59 || nd == 1)
		return err_set(ERR_BAD_INPUT, "unsupported time zone: %s", tz);
	*secs = sign * (h * 3600 + m * 60);
	return ERR_OK;
}

/* Howard Hinnant's days <-> civil date algorithms (proleptic Gregorian). */
void vfmt_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int64_t vfmt_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* The civil date of the last day vfmt_ts_split converted (consecutive
 * timestamps of a result mostly fall on the same day). */
static _Thread_local struct {
	bool set;
	int64_t days, year;
	int mon, day;
} last_day;

void vfmt_ts_split(int64_t v, enum dtype t, const struct vfmt_tz *tz, struct vfmt_tm *tm)
{
	int64_t ups = dtype_ts_units_per_sec(t);
	if (ups <= 0)
		ups = 1000;
	int64_t secs, frac;
	if (ups == 1000) { /* milliseconds (the usual time index): constant divisor */
		secs = floor_div(v, 1000);
		frac = v - secs * 1000;
		tm->usec = (int32_t)(frac * 1000);
	} else {
		secs = floor_div(v, ups);
		frac = v - secs * ups; /* 0 <= frac < ups */
		tm->usec = (int32_t)(ups >= 1000000 ? frac / (ups / 1000000) : frac * (1000000 / ups));
	}
	secs += vfmt_tz_offset_at(tz, secs);
	int64_t days = floor_div(secs, 86400);
	int64_t sod = secs - days * 86400;
	if (last_day.set && last_day.days == days) {
		tm->year = last_day.year;
		tm->mon = last_day.mon;
		tm->day = last_day.day;
	} else {
		vfmt_civil_from_days(days, &tm->year, &tm->mon, &tm->day);
		last_day.set = true;
		last_day.days = days;
		last_day.year = tm->year;
		last_day.mon = tm->mon;
		last_day.day = tm->day;
	}
	tm->hour = (int)(sod / 3600);
	tm->min = (int)(sod / 60 % 60);
	tm->sec = (int)(sod % 60);
}

int64_t vfmt_ts_micros(int64_t v, enum dtype t, const struct vfmt_tz *tz)
{
	int64_t ups = dtype_ts_units_per_sec(t);
	if (ups <= 0)
		ups = 1000;
	int64_t secs = floor_div(v, ups);
	int64_t frac = v - secs * ups;
	int64_t us = ups >= 1000000 ? frac / (ups / 1000000) : frac * (1000000 / ups);
	/* saturate instead of overflowing for absurd second counts */
	if (secs > INT64_MAX / 1000000 - 86400)
		return INT64_MAX;
	if (secs < INT64_MIN / 1000000 + 86400)
		return INT64_MIN;
	return (secs + vfmt_tz_offset_at(tz, secs)) * 1000000 + us;
}

/* ---- named time zones ------------------------------------------------ */

/* POSIX TZ rule day: kind 'M' (month.week.day), 'J' (Julian 1..365, no
 * Feb 29) or 'N' (0..365 with Feb 29); at `secs` local time of day. */
struct tz_rule_day {
	char kind;
	int m, w, d;
	int32_t secs;
};

struct vfmt_zone {
	struct vfmt_zone *next; /* cache list */
	char name[64];
	uint32_t ntrans;
	int64_t *trans;     /* UTC instants, ascending */
	int32_t *trans_off; /* offset in force from trans[i] on */
	int32_t first_off;  /* before the first transition */
	/* footer rule for instants after the last transition */
	bool has_rule, has_dst;
	int32_t std_off, dst_off; /* east of UTC */
	struct tz_rule_day start, end;
};

static pthread_mutex_t zone_mu = PTHREAD_MUTEX_INITIALIZER;
static struct vfmt_zone *zones; /* loaded once, never freed */

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
			 (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
			 (uint64_t)p[6] << 8 | p[7]);
}

static int32_t be32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

/* [+-]hh[:mm[:ss]] -> seconds; returns chars consumed, 0 on error. */
static size_t posix_time(const char *p, int32_t *out)
{
	const char *b = p;
	int sign = 1;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	int parts[3] = {0, 0, 0}, k = 0;
	while (k < 3) {
		if (!isdigit((unsigned char)*p))
			return 0;
		int v = 0, nd = 0;
		while (isdigit((unsigned char)*p) && nd < 3) {
			v = v * 10 + (*p++ - '0');
			nd++;
		}
		parts[k++] = v;
		if (*p != ':')
			break;
		p++;
	}
	*out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
	return (size_t)(p - b);
}

static size_t posix_name(const char *p)
{
	const char *b = p;
	if (*p == '<') {
		while (*p && *p != '>')
			p++;
		return *p == '>' ? (size_t)(p - b) + 1 : 0;
	}
	while (isalpha((unsigned char)*p))
		p++;
	return (size_t)(p - b) >= 3 ? (size_t)(p - b) : 0;
}

static size_t posix_rule_day(const char *p, struct tz_rule_day *r)
{
	const char *b = p;
	char *e;
	r->secs = 7200;
	if (*p == 'M') {
		r->kind = 'M';
		r->m = (int)strtol(p + 1, &e, 10);
		if (*e != '.')
			return 0;
		r->w = (int)strtol(e + 1, &e, 10);
		if (*e != '.')
			return 0;
		r->d = (int)strtol(e + 1, &e, 10);
		if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d < 0 || r->d > 6)
			return 0;
	} else {
		r->kind = *p == 'J' ? 'J' : 'N';
		if (*p == 'J')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		r->d = (int)strtol(p, &e, 10);
		if (r->d > 365)
			return 0;
	}
	p = e;
	if (*p == '/') {
		size_t n = posix_time(p + 1, &r->secs);
		if (!n)
			return 0;
		p += 1 + n;
	}
	return (size_t)(p - b);
}

/* Parse a TZif footer such as "CET-1CEST,M3.5.0,M10.5.0/3". */
static bool parse_posix_tz(const char *s, struct vfmt_zone *z)
{
	size_t n = posix_name(s);
	int32_t off;
	if (!n)
		return false;
	s += n;
	if (!(n = posix_time(s, &off)))
		return false;
	s += n;
	z->std_off = -off;
	z->has_dst = false;
	if (!*s)
		return true;
	if (!(n = posix_name(s)))
		return false;
	s += n;
	z->dst_off = z->std_off + 3600;
	if (*s && *s != ',') {
		if (!(n = posix_time(s, &off)))
			return false;
		s += n;
		z->dst_off = -off;
	}
	if (*s++ != ',')
		return false; /* a DST zone without rules: not supported */
	if (!(n = posix_rule_day(s, &z->start)))
		return false;
	s += n;
	if (*s++ != ',')
		return false;
	if (!(n = posix_rule_day(s, &z->end)))
		return false;
	z->has_dst = s[n] == '\0';
	return z->has_dst;
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Seconds since the epoch (as if UTC) of the rule day in year y, at its time. */
static int64_t rule_local(int64_t y, const struct tz_rule_day *r)
{
	int64_t day;
	if (r->kind == 'M') {
		static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		int64_t first = vfmt_days_from_civil(y, r->m, 1);
		int wd = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
		int dom = 1 + (r->d - wd + 7) % 7 + (r->w - 1) * 7;
		int len = mdays[r->m - 1] + (r->m == 2 && is_leap(y));
		while (dom > len)
			dom -= 7;
		day = first + dom - 1;
	} else if (r->kind == 'J') {
		day = vfmt_days_from_civil(y, 1, 1) + r->d - 1;
		if (is_leap(y) && r->d >= 60)
			day++;
	} else {
		day = vfmt_days_from_civil(y, 1, 1) + r->d;
	}
	return day * 86400 + r->secs;
}

static int32_t rule_offset(const struct vfmt_zone *z, int64_t t)
{
	if (!z->has_dst)
		return z->std_off;
	int64_t y;
	int m, d;
	vfmt_civil_from_days(floor_div(t + z->std_off, 86400), &y, &m, &d);
	int64_t start = rule_local(y, &z->start) - z->std_off; /* std time -> UTC */
	int64_t end = rule_local(y, &z->end) - z->dst_off;     /* dst time -> UTC */
	bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
	return dst ? z->dst_off : z->std_off;
}

static void zone_free(struct vfmt_zone *z)
{
	if (!z)
		return;
	mem_free(z->trans);
	mem_free(z->trans_off);
	mem_free(z);
}

/*
 * TZif (RFC 8536): "TZif" version(1) reserved(15) then six u32 counts
 * isutcnt isstdcnt leapcnt timecnt typecnt charcnt and the v1 data block;
 * version 2+ repeats header and data with 64-bit times, then
 * "\n<POSIX TZ string>\n". Only the 64-bit block is used.
 */
static struct vfmt_zone *zone_parse(const uint8_t *p, size_t n)
{
	if (n < 44 || memcmp(p, "TZif", 4) || p[4] < '2')
		return NULL;
	uint32_t c[6];
	for (int i = 0; i < 6; i++)
		c[i] = (uint32_t)be32(p + 20 + 4 * i);
	size_t v1 = (size_t)c[3] * 5 + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * 8 + c[1] + c[0];
	if (44 + v1 + 44 > n)
		return NULL;
	const uint8_t *h = p + 44 + v1;
	if (memcmp(h, "TZif", 4))
		return NULL;
	for (int i = 0; i < 6; i++)
		c[i] = (uint32_t)be32(h + 20 + 4 * i);
	uint32_t isut = c[0], isstd = c[1], leap = c[2], ntime = c[3], ntype = c[4], nchar = c[5];
	if (ntype == 0 || ntype > 256 || ntime > 100000 || leap > 10000 || nchar > 10000 ||
	    isut > ntype || isstd > ntype)
		return NULL;
	size_t need = 44 + (size_t)ntime * 9 + (size_t)ntype * 6 + nchar + (size_t)leap * 12 +
		      isstd + isut;
	if ((size_t)(h - p) + need > n)
		return NULL;
	const uint8_t *times = h + 44, *idx = times + (size_t)ntime * 8, *types = idx + ntime;
	struct vfmt_zone *z = mem_calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	if (ntime) {
		z->trans = mem_calloc(ntime, sizeof(int64_t));
		z->trans_off = mem_calloc(ntime, sizeof(int32_t));
		if (!z->trans || !z->trans_off) {
			zone_free(z);
			return NULL;
		}
	}
	for (uint32_t i = 0; i < ntime; i++) {
		if (idx[i] >= ntype || (i && be64(times + 8 * i) <= z->trans[i - 1])) {
			zone_free(z);
			return NULL;
		}
		z->trans[i] = be64(times + 8 * i);
		z->trans_off[i] = be32(types + 6 * idx[i]);
	}
	z->ntrans = ntime;
	z->first_off = be32(types); /* RFC 8536: type 0 applies before the first transition */
	const uint8_t *foot = h + need;
	size_t left = n - (size_t)(foot - p);
	if (left >= 2 && foot[0] == '\n') {
		const uint8_t *nl = memchr(foot + 1, '\n', left - 1);
		char rule[128];
		if (nl && (size_t)(nl - foot - 1) < sizeof(rule)) {
			memcpy(rule, foot + 1, (size_t)(nl - foot - 1));
			rule[nl - foot - 1] = '\0';
			z->has_rule = rule[0] && parse_posix_tz(rule, z);
		}
	}
	return z;
}

static bool zone_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= 64 || name[0] == '/' || strstr(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("/_+-", name[i]))
			return false;
	return true;
}

static const struct vfmt_zone *zone_get(const char *name)
{
	if (!zone_name_ok(name))
		return NULL;
	pthread_mutex_lock(&zone_mu);
	struct vfmt_zone *z = zones;
	while (z && strcmp(z->name, name))
		z = z->next;
	if (!z) {
		const char *dir = getenv("TZDIR");
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
		FILE *f = fopen(path, "rb");
		uint8_t *data = NULL;
		size_t len = 0;
		if (f) {
			data = mem_alloc(1 << 20);
			if (data)
				len = fread(data, 1, 1 << 20, f);
			fclose(f);
		}
		z = data && len < (1 << 20) ? zone_parse(data, len) : NULL;
		mem_free(data);
		if (z) {
			snprintf(z->name, sizeof(z->name), "%s", name);
			z->next = zones;
			zones = z;
		}
	}
	pthread_mutex_unlock(&zone_mu);
	return z;
}

int vfmt_tz_resolve(const char *tz, struct vfmt_tz *out)
{
	out->zone = NULL;
	out->fixed = 0;
	if (vfmt_tz_offset(tz, &out->fixed) == ERR_OK)
		return ERR_OK;
	out->zone = zone_get(tz);
	if (out->zone)
		return err_set(ERR_OK, NULL);
	return err_set(ERR_BAD_INPUT, "unknown time zone: %s", tz);
}

int32_t vfmt_tz_offset_at(const struct vfmt_tz *tz, int64_t t)
{
	if (!tz)
		return 0;
	const struct vfmt_zone *z = tz->zone;
	if (!z)
		return tz->fixed;
	if (z->ntrans == 0 || t < z->trans[0])
		return z->ntrans == 0 && z->has_rule ? rule_offset(z, t) : z->first_off;
	if (t >= z->trans[z->ntrans - 1] && z->has_rule)
		return rule_offset(z, t);
	uint32_t lo = 0, hi = z->ntrans; /* last transition <= t */
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->trans_off[lo];
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
				      "25262728293031323334353637383940414243444546474849"
				      "50515253545556575859606162636465666768697071727374"
				      "75767778798081828384858687888990919293949596979899";

/* Decimal digits of x into out (no terminator); returns their count. */
static int u64_digits(uint64_t x, char *out)
{
	char t[20];
	int n = 20;
	while (x >= 100) {
		uint32_t r = (uint32_t)(x % 100);
		x /= 100;
		n -= 2;
		memcpy(t + n, digit_pairs + 2 * r, 2);
	}
	if (x >= 10) {
		n -= 2;
		memcpy(t + n, digit_pairs + 2 * x, 2);
	} else {
		t[--n] = (char)('0' + x);
	}
	memcpy(out, t + n, (size_t)(20 - n));
	return 20 - n;
}

static int i64_text(int64_t v, char *out)
{
	if (v < 0) {
		out[0] = '-';
		return 1 + u64_digits(0 - (uint64_t)v, out + 1);
	}
	return u64_digits((uint64_t)v, out);
}


/* Fast path of shortest_digits for doubles with few decimals (d > 0): the
 * smallest k <= 15 such that m = round(d * 10^k) satisfies m / 10^k == d
 * (both exact, the division correctly rounded, so "m e-k" round-trips)
 * and 10^-k exceeds ulp(d) (no other k-decimal number rounds to d, so m is
 * the correctly rounded one the slow path finds). Returns -1 when none. */
/* nearbyint(x) in the default rounding mode (ties to even) for
 * 0 <= x < 2^53, without the library call: below 2^52, adding 2^52 lands
 * where doubles are the integers, so the addition rounds x to the nearest
 * one (ties to even) and the subtraction is exact; at or above 2^52 every
 * double is an integer already. Needs strict IEEE arithmetic (no
 * -ffast-math, which would fold the two operations away). */
static inline double round_even_below_2p53(double x)
{
	const double two52 = 4503599627370496.0;
	if (x >= two52)
		return x;
	return (x + two52) - two52;
}

/* The k of the last value fast_digits took, tried first for the next one
 * (a column of values with the same number of decimals): any k that
 * passes the checks gives the same digits (10^-k > ulp(d) leaves one
 * k-decimal number that rounds to d, and a passing smaller k's number
 * scaled up is one), and the checks that end the search early only get
 * stricter as k grows, so the answer is the search's. */
static _Thread_local int fast_k_hint = 2;

/* d = m / 10^k exactly as doubles go (see fast_digits), m >= 1, for the
 * k of the search (or the hint's: same m / 10^k); -1 when none. */
static inline double ulp_above(double d)
{
	/* nextafter(d, INFINITY) - d: d is positive and finite, so the next
	 * double up has the next bit pattern */
	uint64_t bits;
	memcpy(&bits, &d, sizeof(bits));
	bits++;
	double up;
	memcpy(&up, &bits, sizeof(up));
	return up - d;
}

static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
			     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* fast_decimal's first try, inlined into its callers: the hint's k. */
static inline int fast_decimal_hint(double d, uint64_t *m_out, int *k_out)
{
	if (!(d >= 1e-6 && d < 9007199254740992.0))
		return -1;
	int h = fast_k_hint;
	double xh = d * p10[h];
	if (xh < 9007199254740992.0 && ulp_above(d) * p10[h] < 1.0) {
		double m = round_even_below_2p53(xh);
		if (m >= 1 && m / p10[h] == d) {
			*m_out = (uint64_t)m;
			*k_out = h;
			return 0;
		}
	}
	return -1;
}

static int fast_decimal(double d, uint64_t *m_out, int *k_out)
{
	if (fast_decimal_hint(d, m_out, k_out) == 0)
		return 0;
	if (!(d >= 1e-6 && d < 9007199254740992.0))
		return -1;
	double ulp = ulp_above(d);
	for (int k = 0; k < 16; k++) {
		double x = d * p10[k];
		if (x >= 9007199254740992.0 || ulp * p10[k] >= 1.0)
			return -1;
		double m = round_even_below_2p53(x);
		if (m < 1 || m / p10[k] != d)
			continue;
		fast_k_hint = k;
		*m_out = (uint64_t)m;
		*k_out = k;
		return 0;
	}
	return -1;
}

/* The decimal digits of m (>= 1) into dig with its trailing zeros dropped
 * (NUL-terminated, *ndig of them); returns how many digits m has. */
static int significant_digits(uint64_t m, char *dig, int *ndig)
{
	char tmp[24];
	int total = u64_digits(m, tmp), n = total;
	while (n > 1 && tmp[n - 1] == '0')
		n--;
	memcpy(dig, tmp, (size_t)n);
	dig[n] = '\0';
	*ndig = n;
	return total;
}

static int fast_digits(double d, char *dig, int *ndig, int *exp10)
{
	uint64_t m;
	int k;
	if (fast_decimal(d, &m, &k))
		return -1;
	*exp10 = significant_digits(m, dig, ndig) - 1 - k;
	return 0;
}

/* Exactly w digits of x (< 10^w, leading zeros) at out. */
static void put_digits(char *out, uint64_t x, int w)
{
	while (w >= 2) {
		uint32_t r = (uint32_t)(x % 100);
		x /= 100;
		w -= 2;
		memcpy(out + w, digit_pairs + 2 * r, 2);
	}
	if (w)
		out[0] = (char)('0' + x % 10);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* m (1 <= m < 10^8) as its 8 decimal digits (values 0..9, leading zeros
 * included), one per byte, the most significant in the lowest byte: two
 * 4-digit halves in 32-bit lanes, split into 2-digit 16-bit lanes and those
 * into bytes, every lane at once ((x * 5243) >> 19 is x / 100 below 43699,
 * (x * 103) >> 10 is x / 10 below 179; no lane's product reaches the next
 * lane). */
static inline uint64_t digits8(uint32_t m)
{
	uint64_t x = (uint64_t)(m / 10000) | ((uint64_t)(m % 10000) << 32);
	uint64_t q = ((x * 5243) >> 19) & 0x0000007F0000007Full;
	uint64_t z = q | ((x - q * 100) << 16);
	uint64_t t = ((z * 103) >> 10) & 0x000F000F000F000Full;
	return t | ((z - t * 10) << 8);
}

/* fast_positional for m / 10^k with m < 10^8 whose text fits 8 bytes:
 * the digits in one register, trailing zeros of the fraction dropped by
 * count (clz), the '.' inserted by shifts, one 8-byte store (bytes past
 * the returned length are junk inside the caller's VFMT_DOUBLE_MAX).
 * Returns 0 when the text needs more room or scientific notation. */
static size_t fast_small(char *o, uint32_t m, int k)
{
	uint64_t dg, a;
	if (m < 10000) {
		/* four digits: two pairs from the table (a shorter chain than
		 * digits8's multiplications), after four '0's */
		uint16_t p1, p2;
		memcpy(&p1, digit_pairs + 2 * (m / 100), 2);
		memcpy(&p2, digit_pairs + 2 * (m % 100), 2);
		a = 0x30303030ull | ((uint64_t)p1 << 32) | ((uint64_t)p2 << 48);
		dg = a - 0x3030303030303030ull;
	} else {
		dg = digits8(m);
		a = dg + 0x3030303030303030ull;
	}
	/* dg != 0: m >= 1 */
	int lz = __builtin_ctzll(dg) >> 3; /* leading zero digits */
	int tz = __builtin_clzll(dg) >> 3; /* trailing zero digits of m */
	if (tz > k)
		tz = k;
	int nd = 8 - lz - tz; /* significant digits */
	k -= tz;
	uint64_t w;
	if (k == 0) {
		w = a >> (8 * lz);
		memcpy(o, &w, 8);
		return (size_t)nd;
	}
	if (nd > k) { /* iii.fff */
		if (nd == 8)
			return 0;
		int n1 = nd - k;
		uint64_t s = a >> (8 * lz), lo = (1ull << (8 * n1)) - 1;
		w = (s & lo) | ((uint64_t)'.' << (8 * n1)) | ((s & ~lo) << 8);
		memcpy(o, &w, 8);
		return (size_t)nd + 1;
	}
	/* 0.000ddd: "0." and k - nd zeros (at most 3: exponent >= -4), then
	 * the nd digits */
	if (k > 6 || k - nd > 3)
		return 0;
	int p = 2 + k - nd;
	w = ((a >> (8 * lz)) << (8 * p)) | (0x303030302E30ull & ((1ull << (8 * p)) - 1));
	memcpy(o, &w, 8);
	return (size_t)k + 2;
}
#else
static size_t fast_small(char *o, uint32_t m, int k)
{
	(void)o;
	(void)m;
	(void)k;
	return 0;
}
#endif

/* 10^0 .. 10^19 */
static const uint64_t pow10_u64[20] = {1ull,
				       10ull,
				       100ull,
				       1000ull,
				       10000ull,
				       100000ull,
				       1000000ull,
				       10000000ull,
				       100000000ull,
				       1000000000ull,
				       10000000000ull,
				       100000000000ull,
				       1000000000000ull,
				       10000000000000ull,
				       100000000000000ull,
				       1000000000000000ull,
				       10000000000000000ull,
				       100000000000000000ull,
				       1000000000000000000ull,
				       10000000000000000000ull};

/* The positional text of d > 0 when fast_decimal takes it and its
 * decimal exponent is in [-4, 15) (where every flavor writes positional
 * notation): the same text as shortest_digits + the positional branch of
 * vfmt_double, without the digit string. Returns its length, 0 when not
 * taken. */
static size_t fast_positional(char *o, double d)
{
	uint64_t m;
	int k;
	if (fast_decimal_hint(d, &m, &k) && fast_decimal(d, &m, &k))
		return 0;
	if (m < 100000000) {
		size_t n = fast_small(o, (uint32_t)m, k);
		if (n)
			return n;
	}
	while (k > 0 && m % 10 == 0) {
		m /= 10;
		k--;
	}
	int nd = 1;
	while (nd < 17 && m >= pow10_u64[nd])
		nd++;
	int e = nd - 1 - k;
	if (e < -4 || e >= 15 || nd > 16)
		return 0;
	char *p = o;
	if (k == 0) {
		put_digits(p, m, nd);
		return (size_t)nd;
	}
	if (e < 0) {
		*p++ = '0';
		*p++ = '.';
		for (int i = 0; i < -e - 1; i++)
			*p++ = '0';
		put_digits(p, m, nd);
		return (size_t)(p + nd - o);
	}
	/* constant divisors for the usual decimal counts (multiplications) */
	uint64_t ip;
	switch (k) {
	case 1: ip = m / 10; break;
	case 2: ip = m / 100; break;
	case 3: ip = m / 1000; break;
	case 4: ip = m / 10000; break;
	default: ip = m / pow10_u64[k]; break;
	}
	put_digits(p, ip, e + 1);
	p += e + 1;
	*p++ = '.';
	put_digits(p, m - ip * pow10_u64[k], k);
	return (size_t)(p + k - o);
}

/* ---- 15-17 digits by exact integer arithmetic --------------------------------- */

typedef unsigned __int128 u128;


static inline u128 pow10_u128(int k) /* 0 <= k <= 38 */
{
	if (k < 20)
		return pow10_u64[k];
	return (u128)pow10_u64[19] * pow10_u64[k - 19];
}

/*
 * The p-digit decimal printf("%.*e", p - 1, d) writes (p in 15..17, d a
 * positive normal double in [1e-5, 2^63)) and whether it reads back as d,
 * computed exactly with 128-bit integers instead of printf's bignums.
 *
 * With d = m * 2^e2 (m the 53-bit significand) and s = p - 1 - E (E =
 * floor(log10 d)), d * 10^s = num / den exactly, where
 *   num = m * 10^max(s, 0) * 2^max(e2, 0),  den = 10^max(-s, 0) * 2^max(-e2, 0).
 * The digits are D = num / den rounded half to even (printf's rounding of
 * an exact tie); E is right when 10^(p-1) <= num / den < 10^p.
 * D * 10^-s reads back as d when it lies inside d's rounding interval:
 * scaled by den, its distance to num is rem or den - rem, and d's
 * neighbours lie U = 10^max(s, 0) * 2^max(e2, 0) away (U / 2 below when m
 * is 2^52: the double under a power of two is half an ulp nearer); a tie
 * reads back as the even significand.
 * Range: in [1e-5, 2^63), E >= -5 and the first estimate of E is at most
 * one less, so s <= 22, num < 2^53 * 10^22 < 2^127; -e2 <= 69 and -s <= 4,
 * so den * 2^-e2 < 2^83. Returns 1 with *D and *E set, 0 when D does not read
 * back as d.
 */
static int exact_digits(uint64_t m, int e2, int p, uint64_t *D_out, int *E_out)
{
	/* floor(log10 2^(e2 + 52)) or one less: E is that or one more */
	int be = e2 + 52;
	int E = (be * 78913) >> 18; /* floor(be * log10(2)) for |be| < 2^11 */
	for (;;) {
		int s = p - 1 - E;
		u128 num = m, den = 1, U = 1;
		if (s >= 0) {
			num *= pow10_u128(s);
			U = pow10_u128(s);
		} else {
			den = pow10_u64[-s];
		}
		int k = 0;
		if (e2 >= 0) {
			num <<= e2;
			U <<= e2;
		} else {
			k = -e2;
		}
		u128 q, rem, dk;
		if (den == 1) {
			q = num >> k;
			rem = num & (((u128)1 << k) - 1);
			dk = (u128)1 << k;
		} else {
			dk = den << k;
			q = num / dk;
			rem = num % dk;
		}
		if (q >= pow10_u64[p]) { /* E one too small */
			E++;
			continue;
		}
		if (q < pow10_u64[p - 1]) { /* never after the estimate, kept exact */
			E--;
			continue;
		}
		u128 half2 = rem * 2;
		int up = half2 > dk || (half2 == dk && (q & 1));
		u128 delta = up ? dk - rem : rem;
		/* below d when rounded down (rem > 0), above when rounded up */
		bool below = !up && rem != 0;
		u128 lim = U; /* 2 * delta against U (4 * delta at m = 2^52 below) */
		u128 twice = delta * 2;
		if (below && m == (1ull << 52))
			twice = delta * 4;
		bool even = (m & 1) == 0;
		if (twice > lim || (twice == lim && !even))
			return 0;
		uint64_t D = (uint64_t)q + (uint64_t)up;
		if (D == pow10_u64[p]) { /* 99..9 rounded up */
			D = pow10_u64[p - 1];
			E++;
		}
		*D_out = D;
		*E_out = E;
		return 1;
	}
}

/* shortest_digits for a positive normal double in [1e-5, 2^63): the
 * correctly rounded 15-, 16- or 17-digit decimal, the first that reads
 * back (the printf / strtod search's answer: when a shorter decimal reads
 * back, the 15-digit rounding is that decimal followed by zeros). -1 when
 * d is outside the range. */
static int exact_shortest(double d, char *dig, int *ndig, int *exp10)
{
	if (!(d >= 1e-5 && d < 9223372036854775808.0))
		return -1;
	uint64_t bits;
	memcpy(&bits, &d, sizeof(bits));
	int e2 = (int)((bits >> 52) & 0x7ff) - 1075;
	uint64_t m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
	uint64_t D = 0;
	int E = 0, p;
	for (p = 15; p <= 17; p++)
		if (exact_digits(m, e2, p, &D, &E))
			break;
	if (p > 17)
		return -1; /* cannot happen: 17 digits always read back */
	significant_digits(D, dig, ndig);
	*exp10 = E;
	return 0;
}

/* Shortest digits: fills dig with the significant digits (no dot) and
 * returns the decimal exponent of the first digit (d = 0.DIG * 10^(e+1)). */
static int shortest_digits(double d, int is_f32, bool fast, char *dig, int *ndig)
{
	int fe;
	if (fast && !is_f32 &&
	    (fast_digits(d, dig, ndig, &fe) == 0 || exact_shortest(d, dig, ndig, &fe) == 0))
		return fe;
	char tmp[48];
	int lo = 1, hi = is_f32 ? 9 : 17;
	/* values the fast path did not take mostly need 15-17 digits: try
	 * those first (same answer as the full search, fewer round trips) */
	for (int p = hi - 2; p < hi && !is_f32; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
		if (strtod(tmp, NULL) == d) {
			hi = p;
			break;
		}
		lo = p + 1;
	}
	while (lo < hi) { /* round-trip is monotone in the precision */
		int mid = (lo + hi) / 2;
		snprintf(tmp, sizeof(tmp), "%.*e", mid - 1, d);
		int ok = is_f32 ? strtof(tmp, NULL) == (float)d : strtod(tmp, NULL) == d;
		if (ok)
			hi = mid;
		else
			lo = mid + 1;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", lo - 1, d);
	/* tmp: [-]D[.DDD]e[+-]XX */
	const char *p = tmp;
	if (*p == '-')
		p++;
	int n = 0;
	for (; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			dig[n++] = *p;
	while (n > 1 && dig[n - 1] == '0')
		n--;
	dig[n] = '\0';
	*ndig = n;
	return *p == 'e' ? atoi(p + 1) : 0;
}

/* vfmt_double; fast false = the reference path (no fast_positional /
 * fast_digits: the printf / strtod search alone), for tests. */
static size_t double_text(char *out, double d, int is_f32, int flavor, bool fast)
{
	if (isnan(d))
		return (size_t)sprintf(out, "NaN");
	if (isinf(d)) {
		if (flavor == VFMT_PG)
			return (size_t)sprintf(out, d < 0 ? "-Infinity" : "Infinity");
		return (size_t)sprintf(out, d < 0 ? "-inf" : "inf");
	}
	char *o = out;
	if (signbit(d))
		*o++ = '-';
	if (d == 0) {
		*o++ = '0';
		*o = '\0';
		return (size_t)(o - out);
	}
	if (fast && !is_f32) {
		size_t n = fast_positional(o, fabs(d));
		if (n) {
			o[n] = '\0';
			return (size_t)(o + n - out);
		}
	}
	char dig[24];
	int n;
	int e = shortest_digits(fabs(d), is_f32, fast, dig, &n);
	int sci = 0;
	if (flavor == VFMT_PG)
		sci = e < -4 || e >= (is_f32 ? 6 : 15);
	if (sci) {
		*o++ = dig[0];
		if (n > 1) {
			*o++ = '.';
			memcpy(o, dig + 1, (size_t)n - 1);
			o += n - 1;
		}
		o += sprintf(o, "e%c%02d", e < 0 ? '-' : '+', abs(e));
		return (size_t)(o - out);
	}
	/* positional: up to ~330 bytes for 1e308 (VFMT_DOUBLE_MAX) */
	if (e < 0) {
		*o++ = '0';
		*o++ = '.';
		for (int i = 0; i < -e - 1; i++)
			*o++ = '0';
		memcpy(o, dig, (size_t)n);
		o += n;
	} else {
		for (int i = 0; i <= e || i < n; i++) {
			if (i == e + 1)
				*o++ = '.';
			*o++ = i < n ? dig[i] : '0';
		}
	}
	*o = '\0';
	return (size_t)(o - out);
}

int vfmt_shortest_digits(double d, char *dig, int *ndig)
{
	return shortest_digits(d, 0, true, dig, ndig);
}

size_t vfmt_double(char *out, double d, int is_f32, int flavor)
{
	return double_text(out, d, is_f32, flavor, true);
}

size_t vfmt_ts_text(char *tmp, int64_t v, enum dtype t, const struct vfmt_tz *tz)
{
	struct vfmt_tm tm;
	vfmt_ts_split(v, t, tz, &tm);
	if (tm.year >= 0 && tm.year <= 9999 && tm.usec >= 0 && tm.usec < 1000000) {
		/* "YYYY-MM-DD HH:MM:SS.ffffff" without printf, two digits at a
		 * time */
		uint32_t y = (uint32_t)tm.year, us = (uint32_t)tm.usec;
		memcpy(tmp, digit_pairs + 2 * (y / 100), 2);
		memcpy(tmp + 2, digit_pairs + 2 * (y % 100), 2);
		tmp[4] = '-';
		memcpy(tmp + 5, digit_pairs + 2 * tm.mon, 2);
		tmp[7] = '-';
		memcpy(tmp + 8, digit_pairs + 2 * tm.day, 2);
		tmp[10] = ' ';
		memcpy(tmp + 11, digit_pairs + 2 * tm.hour, 2);
		tmp[13] = ':';
		memcpy(tmp + 14, digit_pairs + 2 * tm.min, 2);
		tmp[16] = ':';
		memcpy(tmp + 17, digit_pairs + 2 * tm.sec, 2);
		tmp[19] = '.';
		memcpy(tmp + 20, digit_pairs + 2 * (us / 10000), 2);
		memcpy(tmp + 22, digit_pairs + 2 * (us / 100 % 100), 2);
		memcpy(tmp + 24, digit_pairs + 2 * (us % 100), 2);
		return 26;
	}
	int n = snprintf(tmp, VFMT_TS_MAX, "%04" PRId64 "-%02d-%02d %02d:%02d:%02d.%06d", tm.year,
			 tm.mon, tm.day, tm.hour, tm.min, tm.sec, (int)tm.usec);
	return n < 0 ? 0 : (size_t)n < VFMT_TS_MAX ? (size_t)n : VFMT_TS_MAX - 1;
}

size_t vfmt_double_ref(char *out, double d, int is_f32, int flavor)
{
	return double_text(out, d, is_f32, flavor, false);
}

static const char hexd[] = "0123456789abcdef";

int vfmt_text(struct buf *out, const struct colvec *v, uint32_t i, int flavor,
	      const struct vfmt_tz *tz)
{
	char tmp[VFMT_DOUBLE_MAX];
	int n;
	switch (v->type) {
	case DT_BOOL:
		if (flavor == VFMT_PG)
			return buf_putc(out, v->i64[i] ? 't' : 'f');
		return buf_putc(out, v->i64[i] ? '1' : '0');
	case DT_INT8:
	case DT_INT16:
	case DT_INT32:
	case DT_INT64:
		n = i64_text(v->i64[i], tmp);
		return buf_append(out, tmp, (size_t)n);
	case DT_UINT8:
	case DT_UINT16:
	case DT_UINT32:
	case DT_UINT64:
		n = u64_digits((uint64_t)v->i64[i], tmp);
		return buf_append(out, tmp, (size_t)n);
	case DT_FLOAT32:
	case DT_FLOAT64:
		return buf_append(out, tmp, vfmt_double(tmp, v->f64[i], v->type == DT_FLOAT32, flavor));
	case DT_STRING: {
		uint32_t len;
		const char *p = colvec_bytes(v, i, &len);
		return len ? buf_append(out, p, len) : ERR_OK;
	}
	case DT_BINARY: {
		uint32_t len;
		const char *p = colvec_bytes(v, i, &len);
		if (flavor != VFMT_PG)
			return len ? buf_append(out, p, len) : ERR_OK;
		int rc = buf_reserve(out, 2 + (size_t)len * 2);
		if (rc)
			return rc;
		out->data[out->len++] = '\\';
		out->data[out->len++] = 'x';
		for (uint32_t k = 0; k < len; k++) {
			out->data[out->len++] = (uint8_t)hexd[(uint8_t)p[k] >> 4];
			out->data[out->len++] = (uint8_t)hexd[(uint8_t)p[k] & 15];
		}
		return ERR_OK;
	}
	case DT_DATE: {
		int64_t y;
		int m, d;
		vfmt_civil_from_days(v->i64[i], &y, &m, &d);
		n = snprintf(tmp, sizeof(tmp), "%04" PRId64 "-%02d-%02d", y, m, d);
		return buf_append(out, tmp, (size_t)n);
	}
	case DT_TS_S:
	case DT_TS_MS:
	case DT_TS_US:
	case DT_TS_NS:
		return buf_append(out, tmp, vfmt_ts_text(tmp, v->i64[i], v->type, tz));
	default:
		return err_set(ERR_INTERNAL, "cannot render type %d", (int)v->type);
	}
}
