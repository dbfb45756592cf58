/*
 * strata metasrv start [--rpc-addr HOST:PORT] [--data-home DIR]
 *                      [--heartbeat-interval-ms N]
 *
 * Runs the metasrv (meta/metasrv.h) until SIGINT or SIGTERM. Metadata goes
 * to DIR/metadata.sqlite (default ./strata_data/metasrv). --grpc-bind-addr
 * is accepted as GreptimeDB's name for --rpc-addr.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "cmd/cluster_cmds.h"
#include "meta/metasrv.h"

static int usage(void)
{
	fprintf(stderr, "usage: strata metasrv start [--rpc-addr HOST:PORT (127.0.0.1:3002)]\n"
	                "                            [--data-home DIR (./strata_data/metasrv)]\n"
	                "                            [--heartbeat-interval-ms N (3000)]\n");
	return 2;
}

int metasrv_main(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "start"))
		return usage();
	struct metasrv_options o = {.bind_addr = METASRV_DEFAULT_ADDR,
	                            .data_home = "./strata_data/metasrv"};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return usage() - 2;
		if (!v) {
			fprintf(stderr, "strata metasrv: %s needs a value\n", a);
			return usage();
		}
		if (!strcmp(a, "--rpc-addr") || !strcmp(a, "--grpc-bind-addr"))
			o.bind_addr = v;
		else if (!strcmp(a, "--data-home"))
			o.data_home = v;
		else if (!strcmp(a, "--heartbeat-interval-ms"))
			o.heartbeat_interval_ms = atoi(v);
		else {
			fprintf(stderr, "strata metasrv: unknown option %s\n", a);
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
	struct metasrv *ms;
	if (metasrv_start(&o, &ms)) {
		log_error("metasrv failed to start: %s", err_msg());
		return 1;
	}
	int sig = 0;
	sigwait(&set, &sig);
	log_info("signal %d: stopping", sig);
	metasrv_stop(ms);
	log_info("metasrv stopped");
	return 0;
}
