/*
 * strata metasrv start [--rpc-addr HOST:PORT] [--data-home DIR]
 *                      [--heartbeat-interval-ms N] [--config FILE]
 *                      [--metadata sqlite|etcd] [--etcd-endpoints URL[,URL]]
 *                      [--etcd-prefix P] [--election-ttl-ms N]
 *
 * Runs the metasrv (meta/metasrv.h) until SIGINT or SIGTERM. Metadata goes
 * to DIR/metadata.sqlite (default ./strata_data/metasrv). --grpc-bind-addr
 * is accepted as GreptimeDB's name for --rpc-addr.
 * With [metadata] type = "etcd" (file or --metadata etcd) the metadata
 * lives in etcd under the prefix, and every metasrv started on it
 * campaigns for leadership: one leads, the others answer "not the
 * leader" until it dies. etcd is probed at start: unreachable = exit 1.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "cmd/cluster_cmds.h"
#include "config/config.h"
#include "meta/kv.h"
#include "meta/metasrv.h"

static int usage(void)
{
	fprintf(stderr, "usage: strata metasrv start [--rpc-addr HOST:PORT (127.0.0.1:3002)]\n"
	                "                            [--data-home DIR (./strata_data/metasrv)]\n"
	                "                            [--heartbeat-interval-ms N (3000)]\n"
	                "                            [--config FILE] [--metadata sqlite|etcd]\n"
	                "                            [--etcd-endpoints URL[,URL...]] [--etcd-prefix P]\n"
	                "                            [--election-ttl-ms N (2000)]\n");
	return 2;
}

int metasrv_main(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "start"))
		return usage();
	struct metasrv_options o = {.bind_addr = METASRV_DEFAULT_ADDR,
	                            .data_home = "./strata_data/metasrv"};
	struct strata_config cfg;
	config_init(&cfg);
	int rc = 2;
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--config") && config_load_file(&cfg, argv[i + 1])) {
			fprintf(stderr, "strata metasrv: %s\n", err_msg());
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
			fprintf(stderr, "strata metasrv: %s needs a value\n", a);
			rc = usage();
			goto out;
		}
		bool used;
		if (config_flag(&cfg, a, v, &used)) {
			fprintf(stderr, "strata metasrv: %s\n", err_msg());
			rc = usage();
			goto out;
		}
		if (used || !strcmp(a, "--config"))
			; /* applied */
		else if (!strcmp(a, "--rpc-addr") || !strcmp(a, "--grpc-bind-addr"))
			o.bind_addr = v;
		else if (!strcmp(a, "--data-home"))
			o.data_home = v;
		else {
			fprintf(stderr, "strata metasrv: unknown option %s\n", a);
			rc = usage();
			goto out;
		}
		i++;
	}
	o.heartbeat_interval_ms = (int)cfg.heartbeat_interval_ms;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread inherits it */
	signal(SIGPIPE, SIG_IGN);
	rc = 1;
	struct kv_etcd_options eo;
	if (config_uses_etcd(&cfg)) {
		if (config_open_kv(&cfg, NULL, &o.kv)) {
			log_error("metasrv failed to start: %s", err_msg());
			goto out;
		}
		o.own_kv = true;
		config_etcd_options(&cfg, &eo);
		o.election = &eo;
		o.election_ttl_ms = (int)cfg.metadata.lease_ttl_ms;
	} else if (config_validate(&cfg)) {
		log_error("metasrv failed to start: %s", err_msg());
		goto out;
	}
	struct metasrv *ms;
	if (metasrv_start(&o, &ms)) {
		log_error("metasrv failed to start: %s", err_msg());
		goto out;
	}
	int sig = 0;
	sigwait(&set, &sig);
	log_info("signal %d: stopping", sig);
	metasrv_stop(ms);
	log_info("metasrv stopped");
	rc = 0;
out:
	config_free(&cfg);
	return rc;
}
