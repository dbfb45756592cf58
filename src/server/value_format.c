/* value_format: text rendering of values per protocol. See value_format.h. */
#include "server/value_format.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"

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

void vfmt_ts_split(int64_t v, enum dtype t, int32_t tz_secs, struct vfmt_tm *tm)
{
	int64_t ups = dtype_ts_units_per_sec(t);
	if (ups <= 0)
		ups = 1000;
	int64_t secs = floor_div(v, ups);
	int64_t frac = v - secs * ups; /* 0 <= frac < ups */
	tm->usec = (int32_t)(ups >= 1000000 ? frac / (ups / 1000000) : frac * (1000000 / ups));
	secs += tz_secs;
	int64_t days = floor_div(secs, 86400);
	int64_t sod = secs - days * 86400;
	vfmt_civil_from_days(days, &tm->year, &tm->mon, &tm->day);
	tm->hour = (int)(sod / 3600);
	tm->min = (int)(sod / 60 % 60);
	tm->sec = (int)(sod % 60);
}

int64_t vfmt_ts_micros(int64_t v, enum dtype t, int32_t tz_secs)
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
	return (secs + tz_secs) * 1000000 + us;
}

/* Shortest digits: fills dig with the significant digits (no dot) and
 * returns the decimal exponent of the first digit (d = 0.DIG * 10^(e+1)). */
static int shortest_digits(double d, int is_f32, char *dig, int *ndig)
{
	char tmp[48];
	int lo = 1, hi = is_f32 ? 9 : 17;
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

size_t vfmt_double(char *out, double d, int is_f32, int flavor)
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
	char dig[24];
	int n;
	int e = shortest_digits(fabs(d), is_f32, dig, &n);
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

static const char hexd[] = "0123456789abcdef";

int vfmt_text(struct buf *out, const struct colvec *v, uint32_t i, int flavor, int32_t tz_secs)
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
		n = snprintf(tmp, sizeof(tmp), "%" PRId64, v->i64[i]);
		return buf_append(out, tmp, (size_t)n);
	case DT_UINT8:
	case DT_UINT16:
	case DT_UINT32:
	case DT_UINT64:
		n = snprintf(tmp, sizeof(tmp), "%" PRIu64, (uint64_t)v->i64[i]);
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
	case DT_TS_NS: {
		struct vfmt_tm tm;
		vfmt_ts_split(v->i64[i], v->type, tz_secs, &tm);
		n = snprintf(tmp, sizeof(tmp), "%04" PRId64 "-%02d-%02d %02d:%02d:%02d.%06d", tm.year,
			     tm.mon, tm.day, tm.hour, tm.min, tm.sec, (int)tm.usec);
		return buf_append(out, tmp, (size_t)n);
	}
	default:
		return err_set(ERR_INTERNAL, "cannot render type %d", (int)v->type);
	}
}
