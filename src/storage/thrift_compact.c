/*
 * thrift_compact: the Thrift compact protocol, the encoding of every Parquet
 * metadata structure (FileMetaData, PageHeader). The wire format is summed
 * up in parquet_int.h. The writer appends to a struct buf; the reader
 * parses untrusted bytes with bounds checks on every byte, a nesting limit
 * (TC_MAX_DEPTH) for skipped values, and list counts capped by the bytes
 * left (every element takes at least one byte), so a corrupt footer can
 * neither crash nor make a caller allocate more than the footer could hold.
 */
#include <string.h>

#include "base/err.h"
#include "storage/parquet_int.h"

/* ---- writer ---- */

void tcw_init(struct tcw *w, struct buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

int tcw_finish(struct tcw *w)
{
	if (w->err == ERR_NOMEM)
		return ERR_NOMEM;
	if (w->err || w->depth != 0)
		return err_set(ERR_INTERNAL, "thrift writer: unbalanced structs");
	return ERR_OK;
}

static void put(struct tcw *w, const void *p, size_t n)
{
	if (!w->err && buf_append(w->out, p, n))
		w->err = ERR_NOMEM;
}

static void put_byte(struct tcw *w, uint8_t c)
{
	put(w, &c, 1);
}

static void put_uvarint(struct tcw *w, uint64_t v)
{
	uint8_t t[10];
	int n = 0;
	while (v >= 0x80) {
		t[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	t[n++] = (uint8_t)v;
	put(w, t, (size_t)n);
}

static uint64_t zigzag64(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

void tcw_struct_begin(struct tcw *w)
{
	if (w->depth >= TC_MAX_DEPTH) {
		w->err = ERR_INTERNAL;
		return;
	}
	w->last[w->depth++] = 0;
}

void tcw_struct_end(struct tcw *w)
{
	put_byte(w, TC_STOP);
	if (w->depth > 0)
		w->depth--;
	else
		w->err = ERR_INTERNAL;
}

void tcw_field(struct tcw *w, int16_t id, enum tc_type type)
{
	if (w->depth == 0) {
		w->err = ERR_INTERNAL;
		return;
	}
	int delta = id - w->last[w->depth - 1];
	if (delta > 0 && delta <= 15) {
		put_byte(w, (uint8_t)(delta << 4 | type));
	} else {
		put_byte(w, (uint8_t)type);
		put_uvarint(w, zigzag64(id));
	}
	w->last[w->depth - 1] = id;
}

void tcw_i32(struct tcw *w, int32_t v)
{
	put_uvarint(w, zigzag64(v));
}

void tcw_field_i32(struct tcw *w, int16_t id, int32_t v)
{
	tcw_field(w, id, TC_I32);
	tcw_i32(w, v);
}

void tcw_field_i64(struct tcw *w, int16_t id, int64_t v)
{
	tcw_field(w, id, TC_I64);
	put_uvarint(w, zigzag64(v));
}

void tcw_field_i8(struct tcw *w, int16_t id, int8_t v)
{
	tcw_field(w, id, TC_I8);
	put_byte(w, (uint8_t)v);
}

void tcw_field_bool(struct tcw *w, int16_t id, bool v)
{
	tcw_field(w, id, v ? TC_TRUE : TC_FALSE);
}

void tcw_binary(struct tcw *w, const void *p, size_t n)
{
	put_uvarint(w, n);
	put(w, p, n);
}

void tcw_field_binary(struct tcw *w, int16_t id, const void *p, size_t n)
{
	tcw_field(w, id, TC_BINARY);
	tcw_binary(w, p, n);
}

void tcw_field_string(struct tcw *w, int16_t id, const char *s)
{
	tcw_field_binary(w, id, s, strlen(s));
}

void tcw_field_struct(struct tcw *w, int16_t id)
{
	tcw_field(w, id, TC_STRUCT);
	tcw_struct_begin(w);
}

void tcw_list(struct tcw *w, enum tc_type elem, uint32_t n)
{
	if (n < 15) {
		put_byte(w, (uint8_t)(n << 4 | elem));
	} else {
		put_byte(w, (uint8_t)(0xF0 | elem));
		put_uvarint(w, n);
	}
}

void tcw_field_list(struct tcw *w, int16_t id, enum tc_type elem, uint32_t n)
{
	tcw_field(w, id, TC_LIST);
	tcw_list(w, elem, n);
}

/* ---- reader ---- */

void tcr_init(struct tcr *r, const void *p, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->end = r->p + n;
}

void tcr_fail(struct tcr *r, const char *what)
{
	if (!r->err) {
		r->err = ERR_CORRUPT;
		r->what = what;
	}
	r->p = r->end;
}

size_t tcr_offset(const struct tcr *r, const void *start)
{
	return (size_t)(r->p - (const uint8_t *)start);
}

static uint8_t get_byte(struct tcr *r)
{
	if (r->err || r->p >= r->end) {
		tcr_fail(r, "truncated thrift data");
		return 0;
	}
	return *r->p++;
}

static uint64_t get_uvarint(struct tcr *r)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t c = get_byte(r);
		if (r->err)
			return 0;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	tcr_fail(r, "thrift varint too long");
	return 0;
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void tcr_struct_begin(struct tcr *r)
{
	if (r->depth >= TC_MAX_DEPTH) {
		tcr_fail(r, "thrift structs nested too deeply");
		return;
	}
	r->last[r->depth++] = 0;
}

bool tcr_field(struct tcr *r, int16_t *id, uint8_t *type)
{
	if (r->err || r->depth == 0)
		return false;
	uint8_t h = get_byte(r);
	if (r->err)
		return false;
	if (h == TC_STOP) {
		r->depth--;
		return false;
	}
	uint8_t t = h & 0x0f;
	int64_t fid;
	if (h >> 4)
		fid = r->last[r->depth - 1] + (h >> 4);
	else
		fid = unzigzag(get_uvarint(r));
	if (r->err)
		return false;
	if (t > TC_STRUCT || fid < INT16_MIN || fid > INT16_MAX) {
		tcr_fail(r, "bad thrift field header");
		return false;
	}
	r->last[r->depth - 1] = (int16_t)fid;
	*id = (int16_t)fid;
	*type = t;
	return true;
}

int64_t tcr_i64(struct tcr *r, uint8_t type)
{
	switch (type) {
	case TC_I8:
		return (int8_t)get_byte(r);
	case TC_I16:
	case TC_I32:
	case TC_I64:
		return unzigzag(get_uvarint(r));
	default:
		tcr_fail(r, "thrift field is not an integer");
		return 0;
	}
}

int32_t tcr_i32(struct tcr *r, uint8_t type)
{
	if (type == TC_I64) {
		tcr_fail(r, "thrift field is not an i32");
		return 0;
	}
	int64_t v = tcr_i64(r, type);
	if (v < INT32_MIN || v > INT32_MAX) {
		tcr_fail(r, "thrift i32 out of range");
		return 0;
	}
	return (int32_t)v;
}

bool tcr_bool(struct tcr *r, uint8_t type)
{
	if (type != TC_TRUE && type != TC_FALSE) {
		tcr_fail(r, "thrift field is not a bool");
		return false;
	}
	return type == TC_TRUE;
}

static const uint8_t *get_binary(struct tcr *r, uint32_t *n)
{
	uint64_t len = get_uvarint(r);
	if (r->err || len > (uint64_t)(r->end - r->p)) {
		tcr_fail(r, "thrift binary longer than its data");
		*n = 0;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += len;
	*n = (uint32_t)len;
	return p;
}

const uint8_t *tcr_binary(struct tcr *r, uint8_t type, uint32_t *n)
{
	if (type != TC_BINARY) {
		tcr_fail(r, "thrift field is not binary");
		*n = 0;
		return NULL;
	}
	return get_binary(r, n);
}

static uint32_t list_header(struct tcr *r, uint8_t *elem)
{
	uint8_t h = get_byte(r);
	uint64_t n = h >> 4;
	*elem = h & 0x0f;
	if (n == 15)
		n = get_uvarint(r);
	if (r->err)
		return 0;
	if (n > (uint64_t)(r->end - r->p)) {
		tcr_fail(r, "thrift list longer than its data");
		return 0;
	}
	return (uint32_t)n;
}

uint32_t tcr_list(struct tcr *r, uint8_t type, uint8_t *elem)
{
	if (type != TC_LIST && type != TC_SET) {
		tcr_fail(r, "thrift field is not a list");
		return 0;
	}
	return list_header(r, elem);
}

int32_t tcr_elem_i32(struct tcr *r, uint8_t elem)
{
	if (elem != TC_I32 && elem != TC_I16 && elem != TC_I8) {
		tcr_fail(r, "thrift list element is not an i32");
		return 0;
	}
	return tcr_i32(r, elem);
}

const uint8_t *tcr_elem_binary(struct tcr *r, uint8_t elem, uint32_t *n)
{
	return tcr_binary(r, elem, n);
}

static void skip_depth(struct tcr *r, uint8_t type, int depth);

static void skip_struct(struct tcr *r, int depth)
{
	int16_t id;
	uint8_t t;
	tcr_struct_begin(r);
	while (tcr_field(r, &id, &t))
		skip_depth(r, t, depth + 1);
}

static void skip_depth(struct tcr *r, uint8_t type, int depth)
{
	if (r->err)
		return;
	if (depth > TC_MAX_DEPTH) {
		tcr_fail(r, "thrift values nested too deeply");
		return;
	}
	uint32_t n;
	uint8_t elem;
	switch (type) {
	case TC_TRUE:
	case TC_FALSE:
		break; /* the value is in the field header */
	case TC_I8:
		get_byte(r);
		break;
	case TC_I16:
	case TC_I32:
	case TC_I64:
		get_uvarint(r);
		break;
	case TC_DOUBLE:
		if (r->end - r->p < 8)
			tcr_fail(r, "truncated thrift double");
		else
			r->p += 8;
		break;
	case TC_BINARY:
		get_binary(r, &n);
		break;
	case TC_LIST:
	case TC_SET:
		n = list_header(r, &elem);
		for (uint32_t i = 0; i < n && !r->err; i++) {
			if (elem == TC_TRUE || elem == TC_FALSE)
				get_byte(r); /* bool element: one byte */
			else
				skip_depth(r, elem, depth + 1);
		}
		break;
	case TC_MAP: {
		uint64_t m = get_uvarint(r);
		if (m == 0 || r->err)
			break;
		if (m > (uint64_t)(r->end - r->p)) {
			tcr_fail(r, "thrift map longer than its data");
			break;
		}
		uint8_t kv = get_byte(r);
		for (uint64_t i = 0; i < m && !r->err; i++) {
			uint8_t kt = kv >> 4, vt = kv & 0x0f;
			if (kt == TC_TRUE || kt == TC_FALSE)
				get_byte(r);
			else
				skip_depth(r, kt, depth + 1);
			if (vt == TC_TRUE || vt == TC_FALSE)
				get_byte(r);
			else
				skip_depth(r, vt, depth + 1);
		}
		break;
	}
	case TC_STRUCT:
		skip_struct(r, depth);
		break;
	default:
		tcr_fail(r, "unknown thrift type");
		break;
	}
}

void tcr_skip(struct tcr *r, uint8_t type)
{
	skip_depth(r, type, 0);
}
