/*
 * Unit tests of the wire servers' security and limit helpers: the users
 * file parser (good, malformed and hostile input), duration parsing for
 * statement timeouts, the INSERT row counter, the session deadline, the
 * limits wrapper and the option parser. The end-to-end behaviour with real
 * clients is tests/suites/security_limits.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "server/handler.h"
#include "server/limits.h"
#include "server/netio.h"
#include "server/sqltext.h"
#include "server/user_provider.h"
#include "server/wire_config.h"

static void test_users_parse(void **state)
{
	(void)state;
	const char *t = "# users\n\nroot=pass1\r\n  alice = s3 cret  \nbob=a=b\nempty=\n";
	struct wire_user *u;
	size_t n;
	assert_int_equal(user_provider_parse(t, strlen(t), "f", &u, &n), ERR_OK);
	assert_int_equal(n, 4);
	assert_string_equal(u[0].name, "root");
	assert_string_equal(u[0].password, "pass1");
	assert_string_equal(u[1].name, "alice");
	assert_string_equal(u[1].password, "s3 cret");
	assert_string_equal(u[2].password, "a=b");
	assert_string_equal(u[3].password, "");
	user_provider_free(u, n);

	assert_int_equal(user_provider_load("static_user_provider:cmd:a=1,b=2", &u, &n), ERR_OK);
	assert_int_equal(n, 2);
	assert_string_equal(u[1].name, "b");
	assert_string_equal(u[1].password, "2");
	user_provider_free(u, n);
}

static void test_users_bad(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"root\n", "entry 1: expected user=password"},
		{"a=1\nnoequals\n", "entry 2"},
		{" =pw\n", "user name empty"},
		{"a=1\na=2\n", "appears twice"},
		{"# only comments\n\n", "no users"},
		{"", "no users"},
		{"0123456789012345678901234567890123456789012345678901234567890123=x\n",
		 "longer than 63"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wire_user *u = (void *)1;
		size_t n = 9;
		int rc = user_provider_parse(bad[i].text, strlen(bad[i].text), "users.txt", &u, &n);
		assert_int_equal(rc, ERR_BAD_INPUT);
		assert_null(u);
		assert_int_equal(n, 0);
		assert_non_null(strstr(err_msg(), bad[i].want));
	}
	/* embedded NUL */
	struct wire_user *u;
	size_t n;
	assert_int_equal(user_provider_parse("a=b\0c\n", 6, "f", &u, &n), ERR_BAD_INPUT);
	assert_int_equal(user_provider_load("static_user_provider:file:/nonexistent/x", &u, &n),
			 ERR_IO);
	assert_int_equal(user_provider_load("ldap_provider:x", &u, &n), ERR_BAD_INPUT);
	/* every prefix of a valid file either parses or fails cleanly */
	const char *t = "root=pass1\nalice=s3cret\n";
	for (size_t k = 0; k <= strlen(t); k++) {
		int rc = user_provider_parse(t, k, "f", &u, &n);
		if (rc == ERR_OK)
			user_provider_free(u, n);
		else
			assert_int_equal(rc, ERR_BAD_INPUT);
	}
}

static void test_parse_ms(void **state)
{
	(void)state;
	int64_t ms;
	assert_int_equal(limits_parse_ms("250", &ms), ERR_OK);
	assert_int_equal(ms, 250);
	assert_int_equal(limits_parse_ms("'300ms'", &ms), ERR_OK);
	assert_int_equal(ms, 300);
	assert_int_equal(limits_parse_ms("2s", &ms), ERR_OK);
	assert_int_equal(ms, 2000);
	assert_int_equal(limits_parse_ms("1min", &ms), ERR_OK);
	assert_int_equal(ms, 60000);
	assert_int_equal(limits_parse_ms("DEFAULT", &ms), ERR_OK);
	assert_int_equal(ms, 0);
	assert_int_equal(limits_parse_ms("0", &ms), ERR_OK);
	assert_int_equal(ms, 0);
	assert_int_equal(limits_parse_ms("abc", &ms), ERR_BAD_INPUT);
	assert_int_equal(limits_parse_ms("-5", &ms), ERR_BAD_INPUT);
	assert_int_equal(limits_parse_ms("5 parsecs", &ms), ERR_BAD_INPUT);
	assert_int_equal(limits_parse_ms("", &ms), ERR_BAD_INPUT);

	struct session s;
	session_init(&s, SESSION_MYSQL, 1);
	assert_int_equal(limits_session_timeout_ms(&s, 70), 70);
	session_set_var(&s, "max_execution_time", "120");
	assert_int_equal(limits_session_timeout_ms(&s, 70), 120);
	session_set_var(&s, "max_execution_time", "0");
	assert_int_equal(limits_session_timeout_ms(&s, 70), 0);
	session_init(&s, SESSION_PG, 1);
	session_set_var(&s, "statement_timeout", "1s");
	assert_int_equal(limits_session_timeout_ms(&s, 0), 1000);
	session_set_var(&s, "statement_timeout", "garbage");
	assert_int_equal(limits_session_timeout_ms(&s, 5), 5);
}

static void test_insert_rows(void **state)
{
	(void)state;
	static const struct {
		const char *sql;
		uint64_t rows;
	} t[] = {
		{"INSERT INTO t VALUES (1, 2)", 1},
		{"insert into t(a, b) values (1, 2), (3, (4)), (5, f(6, 7))", 3},
		{"INSERT INTO t VALUES ('(', ')'), (')(', '((')", 2},
		{"INSERT INTO t VALUES (1) /* (2), (3) */, (4) -- , (5)\n", 2},
		{"INSERT INTO t SELECT * FROM (SELECT 1) x", 0},
		{"SELECT (1), (2)", 0},
		{"INSERT INTO t VALUES (1), (2) ON DUPLICATE KEY UPDATE a = (3)", 2},
		{"REPLACE INTO t VALUES (1),(2),(3)", 3},
		{"INSERT INTO t VALUES (1", 1},
		{"INSERT INTO t VALUES ))((", 1},
		{"INSERT", 0},
		{"", 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(sqltext_insert_rows(t[i].sql, strlen(t[i].sql), SQL_DIALECT_MYSQL),
				 t[i].rows);
	const char *pg = "INSERT INTO t VALUES ($$),($$), (E'\\'('), (2)";
	assert_int_equal(sqltext_insert_rows(pg, strlen(pg), SQL_DIALECT_PG), 3);
}

/* ---- limits wrapper over a fake engine -------------------------------------- */

struct fake {
	int calls;
	bool slow;
};

static int fake_execute(void *ctx, struct session *s, const char *sql, size_t len,
			query_emit_fn emit, void *emit_ctx)
{
	(void)sql;
	(void)len;
	struct fake *f = ctx;
	f->calls++;
	if (f->slow) {
		/* an engine loop that polls for cancellation between batches */
		int64_t end = clock_mono_ns() / 1000000 + 5000;
		while (clock_mono_ns() / 1000000 < end) {
			if (session_cancelled(s)) {
				struct query_result r = {.kind = QUERY_ERROR, .err = ERR_EXEC,
							 .err_msg = "Query was cancelled"};
				return emit(emit_ctx, &r) ? ERR_INTERNAL : ERR_OK;
			}
			clock_sleep_ms(1);
		}
	}
	struct query_result r = {.kind = QUERY_AFFECTED, .affected = 1};
	emit(emit_ctx, &r);
	return ERR_OK;
}

struct seen {
	int n;
	struct query_result last;
	char msg[256];
};

static int record(void *ctx, const struct query_result *r)
{
	struct seen *s = ctx;
	s->n++;
	s->last = *r;
	snprintf(s->msg, sizeof(s->msg), "%s", r->err_msg ? r->err_msg : "");
	return 0;
}

static void test_limits_wrapper(void **state)
{
	(void)state;
	struct fake f = {0};
	struct limits_handler lh = {.inner = {.ctx = &f, .execute = fake_execute},
				    .lim = {.statement_timeout_ms = 0, .max_insert_rows = 2}};
	struct query_handler h = limits_wrap(&lh);
	struct session s;
	session_init(&s, SESSION_MYSQL, 1);
	struct seen seen = {0};

	const char *ok = "INSERT INTO t VALUES (1), (2)";
	assert_int_equal(h.execute(h.ctx, &s, ok, strlen(ok), record, &seen), ERR_OK);
	assert_int_equal(f.calls, 1);
	assert_int_equal(seen.last.kind, QUERY_AFFECTED);

	const char *big = "SELECT 1; INSERT INTO t VALUES (1), (2), (3)";
	assert_int_equal(h.execute(h.ctx, &s, big, strlen(big), record, &seen), ERR_OK);
	assert_int_equal(f.calls, 1); /* the engine never saw it */
	assert_int_equal(seen.last.kind, QUERY_ERROR);
	assert_int_equal(seen.last.err, ERR_LIMIT);
	assert_string_equal(seen.last.sqlstate, "54000");
	assert_non_null(strstr(seen.msg, "INSERT of 3 rows exceeds the limit of 2 rows"));

	/* session timeout: the slow engine is stopped with 3024 / 57014 */
	f.slow = true;
	session_set_var(&s, "max_execution_time", "50");
	int64_t t0 = clock_mono_ns();
	assert_int_equal(h.execute(h.ctx, &s, "SELECT 1", 8, record, &seen), ERR_OK);
	int64_t took_ms = (clock_mono_ns() - t0) / 1000000;
	assert_true(took_ms >= 40 && took_ms < 3000);
	assert_int_equal(seen.last.kind, QUERY_ERROR);
	assert_int_equal(seen.last.mysql_errno, 3024);
	assert_non_null(strstr(seen.msg, "maximum statement execution time exceeded"));
	assert_int_equal(s.deadline_ms, 0); /* cleared: the next statement is unaffected */
	assert_false(session_cancelled(&s));

	/* server default, PostgreSQL wording */
	struct session p;
	session_init(&p, SESSION_PG, 2);
	lh.lim.statement_timeout_ms = 30;
	assert_int_equal(h.execute(h.ctx, &p, "SELECT 1", 8, record, &seen), ERR_OK);
	assert_string_equal(seen.last.sqlstate, "57014");
	assert_string_equal(seen.msg, "canceling statement due to statement timeout");

	/* a cancel request is not reported as a timeout */
	lh.lim.statement_timeout_ms = 0;
	f.slow = true;
	session_request_cancel(&p);
	assert_int_equal(h.execute(h.ctx, &p, "SELECT 1", 8, record, &seen), ERR_OK);
	assert_string_equal(seen.msg, "Query was cancelled");
	assert_null(seen.last.sqlstate);
}

static void test_wire_config_flags(void **state)
{
	(void)state;
	struct wire_config w;
	wire_config_init(&w);
	bool m;
	assert_int_equal(wire_config_flag(&w, "--mysql-max-packet", "64K", &m), ERR_OK);
	assert_true(m);
	assert_int_equal(w.mysql_max_packet, 65536);
	assert_int_equal(wire_config_flag(&w, "--pg-max-message", "2M", &m), ERR_OK);
	assert_int_equal(w.pg_max_message, 2u << 20);
	assert_int_equal(wire_config_flag(&w, "--max-connections", "0", &m), ERR_BAD_INPUT);
	assert_int_equal(wire_config_flag(&w, "--max-connections", "12x", &m), ERR_BAD_INPUT);
	assert_int_equal(wire_config_flag(&w, "--http-max-body", "-1", &m), ERR_BAD_INPUT);
	assert_int_equal(wire_config_flag(&w, "--http-max-body", "99999999999999999999G", &m),
			 ERR_BAD_INPUT);
	assert_int_equal(wire_config_flag(&w, "--statement-timeout-ms", "1500", &m), ERR_OK);
	assert_int_equal(w.limits.lim.statement_timeout_ms, 1500);
	assert_int_equal(wire_config_flag(&w, "--data-home", "x", &m), ERR_OK);
	assert_false(m);
	/* TLS mode without files, a bad mode, a bad plugin: refused at open */
	w.tls_mode = "require";
	assert_int_equal(wire_config_open(&w), ERR_BAD_INPUT);
	w.tls_mode = "sometimes";
	w.tls_cert_path = "/nonexistent.pem";
	w.tls_key_path = "/nonexistent.key";
	assert_int_equal(wire_config_open(&w), ERR_BAD_INPUT);
	w.tls_mode = "prefer";
	assert_int_equal(wire_config_open(&w), ERR_BAD_INPUT);
	assert_non_null(strstr(err_msg(), "TLS certificate"));
	wire_config_close(&w);
	wire_config_init(&w);
	w.mysql_auth_plugin = "sha256_password";
	assert_int_equal(wire_config_open(&w), ERR_BAD_INPUT);
	wire_config_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users_parse),
		cmocka_unit_test(test_users_bad),
		cmocka_unit_test(test_parse_ms),
		cmocka_unit_test(test_insert_rows),
		cmocka_unit_test(test_limits_wrapper),
		cmocka_unit_test(test_wire_config_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
