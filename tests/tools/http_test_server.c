/*
 * http_test_server: the HTTP server with a stand-in engine, for trying the
 * API with curl and for measuring the HTTP + line protocol path without
 * storage.
 *
 *   http_test_server [--bind ADDR] [--port N] [--max-body BYTES]
 *
 * Prints "listening on PORT" once ready and serves until SIGINT/SIGTERM,
 * then prints the points ingested. The stand-in engine:
 *   - /v1/sql answers every statement text with one row: the text itself
 *     (column "sql", String), the session schema ("db", String) and the
 *     points ingested so far ("ingested", UInt64); "error" answers a
 *     syntax error instead;
 *   - the write endpoints count points and tables and store nothing;
 *   - /metrics adds strata_test_ingested_points_total.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "server/handler.h"
#include "server/http_server.h"
#include "server/line_protocol.h"

static atomic_uint_fast64_t points, requests;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int execute(void *ctx, struct session *s, const char *sql, size_t len, query_emit_fn emit,
                   void *ectx)
{
	(void)ctx;
	if (len == 5 && !memcmp(sql, "error", 5)) {
		struct query_result e = {.kind = QUERY_ERROR,
		                         .err = ERR_SYNTAX,
		                         .greptime_status = 2000,
		                         .err_msg = "Invalid SQL syntax: error requested"};
		emit(ectx, &e);
		return ERR_OK;
	}
	const char *names[] = {"sql", "db", "ingested"};
	enum dtype types[] = {DT_STRING, DT_STRING, DT_UINT64};
	struct query_result q = {.kind = QUERY_ROWS};
	int rc = result_set_init(&q.rs, 3, names, types);
	if (rc)
		return rc;
	if (colvec_push_bytes(&q.rs.rows.cols[0], sql, len) ||
	    colvec_push_bytes(&q.rs.rows.cols[1], s->schema, strlen(s->schema)) ||
	    colvec_push_i64(&q.rs.rows.cols[2], (int64_t)atomic_load(&points))) {
		result_set_free(&q.rs);
		return ERR_NOMEM;
	}
	q.rs.rows.nrows = 1;
	emit(ectx, &q);
	result_set_free(&q.rs);
	return ERR_OK;
}

static int ingest(void *ctx, struct session *s, const struct lp_batch *b)
{
	(void)ctx;
	(void)s;
	atomic_fetch_add(&points, b->nrows);
	atomic_fetch_add(&requests, 1);
	return ERR_OK;
}

static int metrics(void *ctx, struct buf *out)
{
	(void)ctx;
	return buf_printf(out,
	                  "# TYPE strata_test_ingested_points_total counter\n"
	                  "strata_test_ingested_points_total %llu\n",
	                  (unsigned long long)atomic_load(&points));
}

int main(int argc, char **argv)
{
	struct http_options o;
	http_options_default(&o);
	o.bind_addr = "127.0.0.1";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bind") && i + 1 < argc)
			o.bind_addr = argv[++i];
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			o.port = (uint16_t)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--max-body") && i + 1 < argc)
			o.max_body_bytes = (size_t)strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: %s [--bind ADDR] [--port N] [--max-body BYTES]\n",
			        argv[0]);
			return 2;
		}
	}
	o.handler.execute = execute;
	o.ingest = ingest;
	o.metrics = metrics;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct http_server *srv;
	if (http_server_start(&o, &srv)) {
		fprintf(stderr, "start: %s\n", err_msg());
		return 1;
	}
	printf("listening on %u\n", http_server_port(srv));
	fflush(stdout);
	while (!stop)
		pause();
	http_server_stop(srv);
	printf("ingested %llu points in %llu write requests\n",
	       (unsigned long long)atomic_load(&points),
	       (unsigned long long)atomic_load(&requests));
	return 0;
}
