/*
 * cluster_cmds: the cluster subcommands of the strata binary. Each takes
 * the arguments after the role name (argv[0] is "start") and returns the
 * process exit code.
 *   strata metasrv start    cmd_metasrv.c
 *   strata datanode start   cmd_datanode.c
 *   strata frontend start   cmd_frontend.c
 *   strata cluster start    cmd_cluster.c
 */
#ifndef STRATA_CMD_CLUSTER_CMDS_H
#define STRATA_CMD_CLUSTER_CMDS_H

int metasrv_main(int argc, char **argv);
int datanode_main(int argc, char **argv);
int frontend_main(int argc, char **argv);
int cluster_main(int argc, char **argv);

#endif
