/*
 * strata: the one binary. Subcommands:
 *   strata standalone start [--data-home DIR] [--mysql-addr H:P]
 *                           [--postgres-addr H:P] [--http-addr H:P]
 *   strata metasrv start ...     (cmd_metasrv.c)
 *   strata datanode start ...    (cmd_datanode.c)
 *   strata frontend start ...    (cmd_frontend.c)
 *   strata cluster start ...     (cmd_cluster.c)
 *   strata version
 */
#include <stdio.h>
#include <string.h>

#include "base/crash.h"
#include "base/log.h"
#include "cmd/cluster_cmds.h"
#include "frontend/frontend.h"

#define STRATA_VERSION "0.1.0"

static int usage(void)
{
	fprintf(stderr, "usage: strata <standalone|metasrv|datanode|frontend|cluster> start [options]\n"
			"       strata version\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	crash_handler_install();
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("strata %s\n", STRATA_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "standalone"))
		return standalone_main(argc - 2, argv + 2);
	log_set_tag(argv[1]);
	if (!strcmp(argv[1], "metasrv"))
		return metasrv_main(argc - 2, argv + 2);
	if (!strcmp(argv[1], "datanode"))
		return datanode_main(argc - 2, argv + 2);
	if (!strcmp(argv[1], "cluster"))
		return cluster_main(argc - 2, argv + 2);
	if (!strcmp(argv[1], "frontend"))
		return frontend_main(argc - 2, argv + 2);
	log_error("'%s' is not available yet", argv[1]);
	return usage();
}
