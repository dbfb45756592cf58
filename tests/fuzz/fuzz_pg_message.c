/*
 * fuzz_pg_message: the PostgreSQL wire decoders of client messages
 * (server/pg_int.h).
 *
 * Input: u8 selector, then:
 *   selector % 4 == 0  a startup packet body after its length (code +
 *                      parameters; pg_parse_startup). On success: at most
 *                      PG_MAX_PARAMS pairs, every key and value a
 *                      NUL-terminated string inside the input.
 *   selector % 4 == 1  u16 len | Parse body (len bytes: name NUL | query
 *                      NUL | i16 n | n x i32 oid, decoded as pg_server.c's
 *                      msg_parse does) | Bind body (pg_parse_bind). Every
 *                      bound value goes through pg_param_literal with the
 *                      oid the Parse declared (0 past the end) and its
 *                      format (pg_bind_param_format).
 *   selector % 4 == 2  u32 oid | u8 format | value bytes: pg_param_literal
 *                      alone (a NULL value when the format byte's bit 7 is
 *                      set)
 *   selector % 4 == 3  u16 len | SCRAM client-first (len bytes) |
 *                      client-final (pg_scram_first / pg_scram_final with
 *                      a fixed password, salt and server nonce)
 * Every literal appended must be one SQL literal (fuzz_literal.h); text
 * parameters of a string type must round-trip exactly. Then an OOM pass.
 */
#include <string.h>

#include "base/buf.h"
#include "fuzz/fuzz_literal.h"
#include "fuzz/fuzz_util.h"
#include "server/pg_int.h"

static void startup(const uint8_t *p, size_t n)
{
	struct pg_startup s;
	if (pg_parse_startup(p, n, &s))
		return;
	FUZZ_CHECK(s.nparams <= PG_MAX_PARAMS);
	for (uint32_t i = 0; i < s.nparams; i++) {
		FUZZ_CHECK((const uint8_t *)s.keys[i] >= p && (const uint8_t *)s.keys[i] < p + n);
		FUZZ_CHECK((const uint8_t *)s.vals[i] >= p && (const uint8_t *)s.vals[i] < p + n);
		FUZZ_CHECK(strlen(s.keys[i]) < n && strlen(s.vals[i]) < n);
	}
	pg_startup_get(&s, "user");
	pg_startup_get(&s, "database");
}

static int is_text_oid(uint32_t oid)
{
	return oid == 0 || oid == PG_OID_TEXT || oid == PG_OID_VARCHAR || oid == PG_OID_BPCHAR ||
	       oid == PG_OID_NAME || oid == PG_OID_UNKNOWN;
}

static void literal(uint32_t oid, int format, const uint8_t *v, int32_t len)
{
	struct buf sql;
	buf_init(&sql);
	if (pg_param_literal(&sql, oid, format, v, len) == 0) {
		int exact = v && len >= 0 && is_text_oid(oid);
		fuzz_check_literal(sql.data ? (const char *)sql.data : "", sql.len,
				   SQL_DIALECT_POSTGRES, exact ? v : NULL, exact ? (size_t)len : 0);
	}
	buf_free(&sql);
}

static void parse_bind(const uint8_t *p, size_t n)
{
	if (n < 2)
		return;
	size_t plen = (size_t)p[0] << 8 | p[1];
	p += 2;
	n -= 2;
	if (plen > n)
		return;
	/* Parse, as msg_parse reads it */
	struct rd r;
	rd_init(&r, p, plen);
	const char *name = pg_rd_str(&r);
	const char *sql = pg_rd_str(&r);
	uint16_t noids = pg_rd_u16(&r);
	const uint8_t *oidp = rd_bytes(&r, (size_t)noids * 4);
	if (r.err || rd_left(&r))
		return;
	FUZZ_CHECK(name && sql);
	struct pg_bind b;
	if (pg_parse_bind(p + plen, n - plen, &b))
		return;
	FUZZ_CHECK(b.portal && b.stmt);
	FUZZ_CHECK(b.nparams == 0 || (b.vals && b.lens));
	for (uint16_t i = 0; i < b.nrfmt; i++)
		FUZZ_CHECK(b.rfmts[i] == 0 || b.rfmts[i] == 1);
	for (uint16_t i = 0; i < b.nparams; i++) {
		uint32_t oid = i < noids ? pg_get_u32(oidp + 4 * i) : 0;
		int fmt = pg_bind_param_format(&b, i);
		FUZZ_CHECK(fmt == 0 || fmt == 1);
		FUZZ_CHECK(b.vals[i] ? b.lens[i] >= 0 : b.lens[i] == -1);
		literal(oid, fmt, b.vals[i], b.lens[i]);
	}
	pg_bind_free(&b);
}

static void single(const uint8_t *p, size_t n)
{
	if (n < 5)
		return;
	uint32_t oid = pg_get_u32(p);
	int null = (p[4] & 0x80) != 0;
	literal(oid, p[4] & 1, null ? NULL : p + 5, null ? -1 : (int32_t)(n - 5));
}

static void scram(const uint8_t *p, size_t n)
{
	if (n < 2)
		return;
	size_t flen = (size_t)p[0] << 8 | p[1];
	p += 2;
	n -= 2;
	if (flen > n)
		return;
	static const uint8_t salt[16] = "0123456789abcdef";
	struct pg_scram s;
	if (pg_scram_first(&s, "secret", salt, sizeof(salt), 2, "c2VydmVyTm9uY2U", p, flen))
		return;
	FUZZ_CHECK(memchr(s.server_first, 0, sizeof(s.server_first)) != NULL);
	char final[128];
	pg_scram_final(&s, p + flen, n - flen, final, sizeof(final));
}

static void run(const uint8_t *p, size_t n)
{
	if (n < 1)
		return;
	switch (p[0] % 4) {
	case 0:
		startup(p + 1, n - 1);
		break;
	case 1:
		parse_bind(p + 1, n - 1);
		break;
	case 2:
		single(p + 1, n - 1);
		break;
	default:
		scram(p + 1, n - 1);
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = fuzz_guarded_copy(data, size);
	if (!p)
		return 0;
	run(p, size);
	fuzz_oom_begin(data, size);
	run(p, size);
	fuzz_oom_end();
	return 0;
}
