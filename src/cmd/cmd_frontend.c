/*
 * strata frontend start [--metasrv-addrs HOST:PORT[,...] (127.0.0.1:3002)]
 *                       [--http-addr H:P (127.0.0.1:4000)]
 *                       [--mysql-addr H:P (127.0.0.1:4002)]
 *                       [--postgres-addr H:P (127.0.0.1:4003)]
 *                       [--node-id N (0)] [--heartbeat-interval-ms N (3000)]
 *                       [--port-file FILE]
 *                       [authentication, TLS and limit flags]
 *
 * A stateless cluster frontend: the SQL layer (frontend/frontend.h) in
 * cluster mode over a cluster_client - catalog in the metasrv's KV, DDL and
 * follower procedures on the metasrv, region reads and writes on the
 * datanodes - behind the MySQL, PostgreSQL and HTTP servers (the same
 * start-up code as standalone: frontend_servers_start).
 *
 * Every heartbeat interval the frontend registers itself with the metasrv
 * (cluster_client_frontend_heartbeat), under its MySQL address, so that
 * information_schema.cluster_info lists it; a metasrv that is not up yet
 * is retried at the next beat. A port of 0 picks a free one; --port-file
 * gets "mysql=N", "postgres=N", "http=N" once all three listen.
 * Authentication, TLS and limits (--user-provider, --tls-*, --max-*,
 * --statement-timeout-ms, ...) are server/wire_config.h's, as in
 * standalone. SIGINT / SIGTERM stop the servers and exit 0.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "cluster/cluster_client.h"
#include "cmd/cluster_cmds.h"
#include "frontend/frontend.h"
#include "server/wire_config.h"

#define STRATA_VERSION "0.1.0"

static int usage(void)
{
	fprintf(stderr,
	        "usage: strata frontend start [--metasrv-addrs HOST:PORT[,...] (127.0.0.1:3002)]\n"
	        "         [--http-addr H:P (127.0.0.1:4000)] [--mysql-addr H:P (127.0.0.1:4002)]\n"
	        "         [--postgres-addr H:P (127.0.0.1:4003)] [--node-id N (0)]\n"
	        "         [--heartbeat-interval-ms N (3000)] [--port-file FILE]\n%s",
	        wire_config_usage());
	return 2;
}

int frontend_main(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "start"))
		return usage();
	const char *meta = "127.0.0.1:3002", *http = "127.0.0.1:4000", *my = "127.0.0.1:4002",
	           *pg = "127.0.0.1:4003", *port_file = NULL;
	uint64_t node_id = 0;
	int iv = 3000;
	static struct wire_config wire; /* servers and their threads use it until exit */
	wire_config_init(&wire);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return usage() - 2;
		if (!v) {
			fprintf(stderr, "strata frontend: %s needs a value\n", a);
			return usage();
		}
		char *end = NULL;
		bool wired = false;
		if (wire_config_flag(&wire, a, v, &wired)) {
			fprintf(stderr, "strata frontend: %s\n", err_msg());
			return usage();
		}
		if (wired) {
			i++;
			continue;
		}
		if (!strcmp(a, "--metasrv-addrs"))
			meta = v;
		else if (!strcmp(a, "--http-addr"))
			http = v;
		else if (!strcmp(a, "--mysql-addr"))
			my = v;
		else if (!strcmp(a, "--postgres-addr"))
			pg = v;
		else if (!strcmp(a, "--port-file"))
			port_file = v;
		else if (!strcmp(a, "--node-id")) {
			node_id = strtoull(v, &end, 10);
			if (!*v || *end || v[0] == '-') {
				fprintf(stderr, "strata frontend: bad --node-id '%s'\n", v);
				return usage();
			}
		} else if (!strcmp(a, "--heartbeat-interval-ms")) {
			iv = atoi(v);
			if (iv < 10) {
				fprintf(stderr, "strata frontend: --heartbeat-interval-ms >= 10\n");
				return usage();
			}
		} else {
			fprintf(stderr, "strata frontend: unknown option %s\n", a);
			return usage();
		}
		i++;
	}

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread inherits it */
	signal(SIGPIPE, SIG_IGN);

	int code = 1, rc;
	struct cluster_client *cc = NULL;
	struct frontend *fe = NULL;
	struct frontend_servers *sv = NULL;
	struct cluster_client_options co = {.metasrv_addrs = meta};
	if ((rc = wire_config_open(&wire)) || (rc = cluster_client_open(&co, &cc)))
		goto out;
	struct frontend_options fo = {.kv = cluster_client_kv(cc),
	                              .cc = cc,
	                              .node_id = node_id,
	                              .peer_addr = my,
	                              .mode = "distributed",
	                              .version = STRATA_VERSION};
	if ((rc = frontend_open(&fo, &fe)) ||
	    (rc = frontend_servers_start(fe, &wire, my, pg, http, &sv)))
		goto out;
	uint16_t myp, pgp, hp;
	frontend_servers_ports(sv, &myp, &pgp, &hp);
	char self[160];
	snprintf(self, sizeof(self), "%.*s:%u", (int)(strrchr(my, ':') - my), my, myp);
	if (port_file && (rc = frontend_write_port_file(port_file, sv)))
		goto out;
	log_info("strata %s frontend %" PRIu64 " ready: mysql port %u, postgres port %u, http "
	         "port %u, metasrv %s",
	         STRATA_VERSION, node_id, myp, pgp, hp, meta);
	int64_t start_ms = clock_now_ms();
	bool registered = false;
	for (;;) {
		if (cluster_client_frontend_heartbeat(cc, node_id, self, start_ms, (uint32_t)iv)) {
			if (registered)
				log_warn("frontend heartbeat: %s", err_msg());
			registered = false;
		} else if (!registered) {
			log_info("registered with the metasrv as frontend %" PRIu64, node_id);
			registered = true;
		}
		struct timespec ts = {iv / 1000, (long)(iv % 1000) * 1000000L};
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM) {
			log_info("signal %d: stopping", sig);
			break;
		}
	}
	code = 0;
out:
	if (code)
		log_error("frontend: %s", err_msg()[0] ? err_msg() : err_code_name(rc));
	frontend_servers_stop(sv);
	frontend_close(fe);
	cluster_client_close(cc);
	wire_config_close(&wire);
	if (code == 0)
		log_info("frontend stopped");
	return code;
}
