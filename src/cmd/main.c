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
#include <malloc.h>
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

/*
 * Allocator policy for the servers. A scan allocates its result batches
 * (about 12 MB for 432,000 rows of three columns) and frees them before
 * the next query; with glibc's defaults the freed top of the heap is
 * given back to the kernel at once (trim threshold 128 KB) and the next
 * query page-faults every page in again, a third of a full-scan
 * aggregation's time. Keep up to 64 MB of freed heap, and serve blocks
 * below 32 MB from the heap rather than from fresh mmaps. (No-op under
 * ASan, whose allocator ignores mallopt.)
 */
static void tune_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	crash_handler_install();
	tune_malloc();
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
