/*
 * strata datanode start --node-id N [--rpc-addr HOST:PORT]
 *                       [--metasrv-addrs HOST:PORT[,...]] [--data-home DIR]
 *                       [--store-root DIR] [--heartbeat-interval-ms N]
 *                       [--follower-memtable-fetch on|off]
 *                       [--rpc-server-addr HOST:PORT]
 *
 * Runs one datanode (datanode/datanode.h) until SIGINT or SIGTERM. Its WAL
 * lives in DIR/wal (default ./strata_data/datanode{N}); SSTs and manifests
 * in the shared fs object store at --store-root (default
 * ./strata_data/shared), which every datanode of the cluster must share.
 * --grpc-bind-addr is accepted as GreptimeDB's name for --rpc-addr.
 * --rpc-server-addr (GreptimeDB's name; --advertise-addr also works) is the
 * address advertised to the metasrv when it differs from the bound one.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "cmd/cluster_cmds.h"
#include "datanode/datanode.h"

static int usage(void)
{
	fprintf(stderr,
	        "usage: strata datanode start --node-id N [--rpc-addr HOST:PORT (127.0.0.1:3001)]\n"
	        "         [--metasrv-addrs HOST:PORT[,...] (127.0.0.1:3002)]\n"
	        "         [--data-home DIR (./strata_data/datanode{N})]\n"
	        "         [--store-root DIR (./strata_data/shared)]\n"
	        "         [--heartbeat-interval-ms N (3000)] [--follower-memtable-fetch on|off]\n"
	        "         [--rpc-server-addr HOST:PORT (advertised address; default: --rpc-addr)]\n");
	return 2;
}

int datanode_main(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "start"))
		return usage();
	struct datanode_options o = {.rpc_addr = DATANODE_DEFAULT_ADDR,
	                             .metasrv_addrs = "127.0.0.1:3002",
	                             .store_root = "./strata_data/shared"};
	bool have_id = false;
	char home[64];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return usage() - 2;
		if (!v) {
			fprintf(stderr, "strata datanode: %s needs a value\n", a);
			return usage();
		}
		char *end = NULL;
		if (!strcmp(a, "--node-id")) {
			o.node_id = strtoull(v, &end, 10);
			if (!*v || *end || v[0] == '-') {
				fprintf(stderr, "strata datanode: bad --node-id '%s'\n", v);
				return usage();
			}
			have_id = true;
		} else if (!strcmp(a, "--rpc-addr") || !strcmp(a, "--grpc-bind-addr")) {
			o.rpc_addr = v;
		} else if (!strcmp(a, "--rpc-server-addr") || !strcmp(a, "--advertise-addr")) {
			o.advertise_addr = v;
		} else if (!strcmp(a, "--metasrv-addrs")) {
			o.metasrv_addrs = v;
		} else if (!strcmp(a, "--data-home")) {
			o.data_home = v;
		} else if (!strcmp(a, "--store-root")) {
			o.store_root = v;
		} else if (!strcmp(a, "--heartbeat-interval-ms")) {
			o.heartbeat_interval_ms = atoi(v);
		} else if (!strcmp(a, "--follower-memtable-fetch")) {
			if (strcmp(v, "on") && strcmp(v, "off")) {
				fprintf(stderr,
				        "strata datanode: --follower-memtable-fetch on|off\n");
				return usage();
			}
			o.no_memtable_fetch = !strcmp(v, "off");
		} else {
			fprintf(stderr, "strata datanode: unknown option %s\n", a);
			return usage();
		}
		i++;
	}
	if (!have_id) {
		fprintf(stderr, "strata datanode: --node-id is required\n");
		return usage();
	}
	if (!o.data_home) {
		snprintf(home, sizeof(home), "./strata_data/datanode%" PRIu64, o.node_id);
		o.data_home = home;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread inherits it */
	signal(SIGPIPE, SIG_IGN);
	struct datanode *dn;
	if (datanode_start(&o, &dn)) {
		log_error("datanode failed to start: %s", err_msg());
		return 1;
	}
	int sig = 0;
	sigwait(&set, &sig);
	log_info("signal %d: stopping", sig);
	datanode_stop(dn);
	log_info("datanode stopped");
	return 0;
}
