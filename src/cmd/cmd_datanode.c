/*
 * strata datanode start --node-id N [--rpc-addr HOST:PORT]
 *                       [--metasrv-addrs HOST:PORT[,...]] [--data-home DIR]
 *                       [--store-root DIR] [--heartbeat-interval-ms N]
 *                       [--follower-memtable-fetch on|off]
 *                       [--rpc-server-addr HOST:PORT]
 *                       [--config FILE] [storage flags, see config/config.h]
 *
 * Runs one datanode (datanode/datanode.h) until SIGINT or SIGTERM. Its WAL
 * lives in DIR/wal (default ./strata_data/datanode{N}); SSTs and manifests
 * in the shared fs object store at --store-root (default
 * ./strata_data/shared), which every datanode of the cluster must share.
 * --grpc-bind-addr is accepted as GreptimeDB's name for --rpc-addr.
 * --rpc-server-addr (GreptimeDB's name; --advertise-addr also works) is the
 * address advertised to the metasrv when it differs from the bound one.
 * With --config FILE the [storage], [storage.cache] and [heartbeat]
 * sections apply (e.g. s3 storage); flags override the file. The object
 * store is checked at start: a wrong S3 endpoint or secret exits 1 with the
 * server's words.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "cmd/cluster_cmds.h"
#include "config/config.h"
#include "datanode/datanode.h"

static int usage(void)
{
	fprintf(stderr,
	        "usage: strata datanode start --node-id N [--rpc-addr HOST:PORT (127.0.0.1:3001)]\n"
	        "         [--metasrv-addrs HOST:PORT[,...] (127.0.0.1:3002)]\n"
	        "         [--data-home DIR (./strata_data/datanode{N})]\n"
	        "         [--store-root DIR (./strata_data/shared)]\n"
	        "         [--heartbeat-interval-ms N (3000)] [--follower-memtable-fetch on|off]\n"
	        "         [--rpc-server-addr HOST:PORT (advertised address; default: --rpc-addr)]\n"
	        "         [--config FILE] [--store-type fs|s3] [--s3-bucket B] [--s3-root P]\n"
	        "         [--s3-endpoint URL] [--s3-region R] [--s3-access-key-id K]\n"
	        "         [--s3-secret-access-key S] [--cache-path DIR] [--cache-size 1GiB]\n");
	return 2;
}

int datanode_main(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "start"))
		return usage();
	struct datanode_options o = {.rpc_addr = DATANODE_DEFAULT_ADDR,
	                             .metasrv_addrs = "127.0.0.1:3002"};
	bool have_id = false;
	char home[64];
	struct strata_config cfg;
	config_init(&cfg);
	int rc = 2;
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--config") && config_load_file(&cfg, argv[i + 1])) {
			fprintf(stderr, "strata datanode: %s\n", err_msg());
			goto out;
		}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			rc = usage() - 2;
			goto out;
		}
		if (!v) {
			fprintf(stderr, "strata datanode: %s needs a value\n", a);
			rc = usage();
			goto out;
		}
		char *end = NULL;
		bool used;
		if (config_flag(&cfg, a, v, &used)) {
			fprintf(stderr, "strata datanode: %s\n", err_msg());
			rc = usage();
			goto out;
		}
		if (used || !strcmp(a, "--config")) {
			/* applied above */
		} else if (!strcmp(a, "--node-id")) {
			o.node_id = strtoull(v, &end, 10);
			if (!*v || *end || v[0] == '-') {
				fprintf(stderr, "strata datanode: bad --node-id '%s'\n", v);
				rc = usage();
				goto out;
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
		} else if (!strcmp(a, "--follower-memtable-fetch")) {
			if (strcmp(v, "on") && strcmp(v, "off")) {
				fprintf(stderr,
				        "strata datanode: --follower-memtable-fetch on|off\n");
				rc = usage();
				goto out;
			}
			o.no_memtable_fetch = !strcmp(v, "off");
		} else {
			fprintf(stderr, "strata datanode: unknown option %s\n", a);
			rc = usage();
			goto out;
		}
		i++;
	}
	if (!have_id) {
		fprintf(stderr, "strata datanode: --node-id is required\n");
		rc = usage();
		goto out;
	}
	o.heartbeat_interval_ms = (int)cfg.heartbeat_interval_ms;
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
	rc = 1;
	struct datanode *dn;
	if (config_open_objstore(&cfg, "./strata_data/shared", &o.store)) {
		log_error("datanode failed to start: object store: %s", err_msg());
		goto out;
	}
	if (datanode_start(&o, &dn)) {
		log_error("datanode failed to start: %s", err_msg());
		goto out;
	}
	int sig = 0;
	sigwait(&set, &sig);
	log_info("signal %d: stopping", sig);
	datanode_stop(dn);
	log_info("datanode stopped");
	rc = 0;
out:
	config_free(&cfg);
	return rc;
}
