/*
 * fuzz_mysql_packet: the MySQL wire decoders of client packets
 * (server/mysql_int.h).
 *
 * Input: u8 selector, then the packet payload:
 *   selector % 3 == 0  HandshakeResponse41 / SSLRequest payload
 *                      (my_parse_handshake_response); on success the
 *                      strings must be NUL-terminated inside their arrays
 *                      and auth_len <= sizeof(auth)
 *   selector % 3 == 1  u8 nparams, then a COM_STMT_EXECUTE payload after
 *                      the command byte: u32 stmt_id | u8 flags | u32
 *                      iterations | null bitmap | u8 new_params_bound |
 *                      [types] | values, decoded as mysql_server.c's
 *                      com_execute does (statement types default to
 *                      VAR_STRING when the client binds none), every value
 *                      through my_param_literal
 *   selector % 3 == 2  u8 type | u8 unsigned flag | one binary value
 *                      (my_param_literal alone)
 * Every literal appended must be a single SQL literal (fuzz_literal.h).
 * Then an OOM pass.
 */
#include <string.h>

#include "base/buf.h"
#include "fuzz/fuzz_literal.h"
#include "fuzz/fuzz_util.h"
#include "server/mysql_int.h"

static void handshake(const uint8_t *p, size_t n)
{
	struct my_handshake_resp hr;
	if (my_parse_handshake_response(p, n, &hr))
		return;
	FUZZ_CHECK(memchr(hr.user, 0, sizeof(hr.user)) != NULL);
	FUZZ_CHECK(memchr(hr.db, 0, sizeof(hr.db)) != NULL);
	FUZZ_CHECK(memchr(hr.plugin, 0, sizeof(hr.plugin)) != NULL);
	FUZZ_CHECK(hr.auth_len <= sizeof(hr.auth));
	FUZZ_CHECK(hr.ssl_request ? n == 32 : 1);
}

/* One value; returns -1 when the decoder refused it. */
static int one_param(struct rd *r, uint8_t type, bool uns)
{
	struct buf sql;
	buf_init(&sql);
	const uint8_t *start = r->p;
	int rc = my_param_literal(r, type, uns, &sql);
	if (rc == 0) {
		/* string-like types carry their bytes as a lenenc string */
		const uint8_t *raw = NULL;
		size_t rawn = 0;
		if (type == MY_TYPE_VAR_STRING || type == MY_TYPE_STRING || type == MY_TYPE_VARCHAR ||
		    type == MY_TYPE_BLOB) {
			struct rd again;
			rd_init(&again, start, (size_t)(r->p - start));
			raw = my_rd_lenenc_str(&again, &rawn);
		}
		fuzz_check_literal(sql.data ? (const char *)sql.data : "", sql.len,
				   SQL_DIALECT_MYSQL, raw, rawn);
	}
	buf_free(&sql);
	return rc ? -1 : 0;
}

static void stmt_execute(const uint8_t *p, size_t n)
{
	if (n < 1)
		return;
	uint32_t nparams = p[0] % 65; /* a statement with 0..64 placeholders */
	struct rd r;
	rd_init(&r, p + 1, n - 1);
	rd_u32le(&r); /* stmt id */
	rd_u8(&r);    /* flags */
	rd_u32le(&r); /* iterations */
	if (r.err || nparams == 0)
		return;
	uint8_t types[2 * 64];
	for (uint32_t i = 0; i < nparams; i++) {
		types[2 * i] = MY_TYPE_VAR_STRING;
		types[2 * i + 1] = 0;
	}
	const uint8_t *nulls = rd_bytes(&r, ((size_t)nparams + 7) / 8);
	uint8_t bound = rd_u8(&r);
	if (!r.err && bound) {
		const uint8_t *t = rd_bytes(&r, (size_t)nparams * 2);
		if (t)
			memcpy(types, t, (size_t)nparams * 2);
	}
	if (r.err)
		return;
	for (uint32_t i = 0; i < nparams; i++) {
		if (nulls[i / 8] & (1u << (i % 8)))
			continue;
		if (one_param(&r, types[2 * i], (types[2 * i + 1] & 0x80) != 0))
			return;
	}
}

static void single_param(const uint8_t *p, size_t n)
{
	if (n < 2)
		return;
	struct rd r;
	rd_init(&r, p + 2, n - 2);
	one_param(&r, p[0], (p[1] & 1) != 0);
}

static void run(const uint8_t *p, size_t n)
{
	if (n < 1)
		return;
	switch (p[0] % 3) {
	case 0:
		handshake(p + 1, n - 1);
		break;
	case 1:
		stmt_execute(p + 1, n - 1);
		break;
	default:
		single_param(p + 1, n - 1);
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
