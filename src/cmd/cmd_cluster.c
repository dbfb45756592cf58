/*
 * strata cluster start [--datanodes N] [--data-home DIR]
 *                      [--heartbeat-interval-ms N] [--metasrv-port P]
 *                      [--datanode-base-port P] [--log-dir DIR]
 *                      [--http-port P (4000)] [--mysql-port P (4002)]
 *                      [--postgres-port P (4003)]
 *                      [--config FILE] [config flags: --store-type, --s3-*,
 *                       --cache-*, --metadata, --etcd-*, --election-ttl-ms]
 *
 * A local cluster for development and demos: one metasrv, N datanodes
 * (ids 0..N-1) and a frontend (`strata frontend start`, SQL on 127.0.0.1
 * at the three ports) as child processes of this one, data under one
 * folder:
 *     DIR/metasrv/       metadata.sqlite
 *     DIR/datanode{i}/   WAL of datanode i
 *     DIR/shared/        the fs object store every datanode shares
 * Ports: metasrv 127.0.0.1:P (3002), datanode i 127.0.0.1:(B+i) with
 * B = 14100 (3001 + i would collide with the metasrv's 3002). Children log
 * to this process's stderr, or to DIR/<name>.log files with --log-dir.
 *
 * --config FILE and every config flag (config/config.h) are passed on to
 * the metasrv and every datanode (the frontend keeps no data and only needs
 * the metasrv's address), after the options this command sets, so s3
 * storage and etcd metadata work for the whole cluster; DIR/shared is the
 * store only when the storage is fs without a root of its own.
 *
 * SIGINT / SIGTERM: forwarded as SIGTERM to the frontend, then the
 * datanodes once it is gone, then the metasrv; any child still running after 15 s gets
 * SIGKILL. A child that dies meanwhile is reported and not restarted; when
 * none is left the command exits 1. Children get PR_SET_PDEATHSIG, so they
 * do not outlive a killed parent.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"
#include "cmd/cluster_cmds.h"
#include "config/config.h"

#define MAX_DATANODES 64
#define MAX_PASS      64 /* config arguments passed on to every child */

struct child {
	char name[32];
	pid_t pid; /* 0 once reaped */
};

static int usage(void)
{
	fprintf(stderr, "usage: strata cluster start [--datanodes N (3)]\n"
	                "         [--data-home DIR (./strata_data/cluster)]\n"
	                "         [--heartbeat-interval-ms N (3000)] [--metasrv-port P (3002)]\n"
	                "         [--datanode-base-port P (14100)] [--log-dir DIR]\n"
	                "         [--http-port P (4000)] [--mysql-port P (4002)]\n"
	                "         [--postgres-port P (4003)]\n"
	                "         [--config FILE] [--store-type fs|s3] [--s3-* ...] [--metadata etcd]\n"
	                "         [--etcd-endpoints URL[,URL]] (passed on to the metasrv and datanodes)\n");
	return 2;
}

/* The config arguments (--config and config flags) every child gets. */
static char *pass_args[MAX_PASS + 1];
static int npass;

/* fork + exec argv, followed by pass_args when with_config; the child gets
 * the default signal mask back. */
static pid_t spawn(char *const base[], bool with_config, const char *log_path,
                   const sigset_t *old_mask)
{
	char *argv[128];
	int n = 0;
	while (base[n] && n < 128 - MAX_PASS - 1) {
		argv[n] = base[n];
		n++;
	}
	for (int i = 0; with_config && i < npass; i++)
		argv[n++] = pass_args[i];
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	if (log_path) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
	}
	execv(argv[0], argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int alive_count(const struct child *c, int n)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += c[i].pid != 0;
	return k;
}

/* Reap what exited; report the ones that died on their own. */
static void reap(struct child *c, int n, bool stopping)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < n; i++) {
			if (c[i].pid != pid)
				continue;
			c[i].pid = 0;
			if (WIFSIGNALED(status))
				log_msg(stopping ? LOG_INFO : LOG_WARN,
				        "%s (pid %d) killed by signal %d", c[i].name, (int)pid,
				        WTERMSIG(status));
			else
				log_msg(stopping ? LOG_INFO : LOG_WARN,
				        "%s (pid %d) exited with %d", c[i].name, (int)pid,
				        WEXITSTATUS(status));
		}
	}
}

/* Signal [from, to) and wait for them until deadline_ns (monotonic). */
static void stop_range(struct child *c, int from, int to, const sigset_t *wait_set,
                       struct timespec deadline)
{
	for (int i = from; i < to; i++)
		if (c[i].pid)
			kill(c[i].pid, SIGTERM);
	for (;;) {
		reap(c, to, true);
		if (alive_count(c + from, to - from) == 0)
			return;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline.tv_sec ||
		    (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
			for (int i = from; i < to; i++)
				if (c[i].pid) {
					log_warn("%s (pid %d) did not stop: SIGKILL", c[i].name,
					         (int)c[i].pid);
					kill(c[i].pid, SIGKILL);
				}
			deadline.tv_sec = now.tv_sec + 5;
			continue;
		}
		struct timespec step = {0, 50 * 1000000L};
		sigtimedwait(wait_set, NULL, &step); /* SIGCHLD or a tick */
	}
}

static bool port_ok(int p)
{
	return p >= 0 && p <= 65535;
}

int cluster_main(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "start"))
		return usage();
	int ndn = 3, iv = 3000, meta_port = 3002, base_port = 14100;
	int http_port = 4000, mysql_port = 4002, pg_port = 4003;
	const char *home = "./strata_data/cluster", *log_dir = NULL;
	struct strata_config cfg;
	config_init(&cfg);
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--config") && config_load_file(&cfg, argv[i + 1])) {
			fprintf(stderr, "strata cluster: %s\n", err_msg());
			config_free(&cfg);
			return 2;
		}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return usage() - 2;
		if (!v) {
			fprintf(stderr, "strata cluster: %s needs a value\n", a);
			return usage();
		}
		bool used;
		if (config_flag(&cfg, a, v, &used)) {
			fprintf(stderr, "strata cluster: %s\n", err_msg());
			config_free(&cfg);
			return usage();
		}
		if (used || !strcmp(a, "--config")) {
			if (npass + 2 > MAX_PASS) {
				fprintf(stderr, "strata cluster: too many config options\n");
				config_free(&cfg);
				return usage();
			}
			pass_args[npass++] = argv[i];
			pass_args[npass++] = argv[i + 1];
		} else if (!strcmp(a, "--datanodes"))
			ndn = atoi(v);
		else if (!strcmp(a, "--data-home"))
			home = v;
		else if (!strcmp(a, "--metasrv-port"))
			meta_port = atoi(v);
		else if (!strcmp(a, "--datanode-base-port"))
			base_port = atoi(v);
		else if (!strcmp(a, "--log-dir"))
			log_dir = v;
		else if (!strcmp(a, "--http-port"))
			http_port = atoi(v);
		else if (!strcmp(a, "--mysql-port"))
			mysql_port = atoi(v);
		else if (!strcmp(a, "--postgres-port"))
			pg_port = atoi(v);
		else {
			fprintf(stderr, "strata cluster: unknown option %s\n", a);
			config_free(&cfg);
			return usage();
		}
		i++;
	}
	if (cfg.heartbeat_interval_ms > 0)
		iv = cfg.heartbeat_interval_ms > 1000000 ? 1000000 : (int)cfg.heartbeat_interval_ms;
	/* the datanodes share DIR/shared unless the config names a store */
	bool fs_default = (!cfg.storage.type || !strcmp(cfg.storage.type, "fs")) && !cfg.storage.root;
	int vrc = config_validate(&cfg);
	config_free(&cfg);
	if (vrc) {
		fprintf(stderr, "strata cluster: %s\n", err_msg());
		return usage();
	}
	if (ndn < 1 || ndn > MAX_DATANODES || iv < 10 || meta_port < 1 || meta_port > 65535 ||
	    base_port < 1 || base_port + ndn - 1 > 65535 ||
	    (meta_port >= base_port && meta_port < base_port + ndn) || !port_ok(http_port) ||
	    !port_ok(mysql_port) || !port_ok(pg_port)) {
		fprintf(stderr,
		        "strata cluster: bad option values (1..%d datanodes, ports must "
		        "not collide)\n",
		        MAX_DATANODES);
		return usage();
	}
	char exe[1024];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		log_error("cannot find my own executable: %s", strerror(errno));
		return 1;
	}
	exe[n] = 0;
	char path[1100], shared[1100], meta_addr[64], ivs[16];
	snprintf(shared, sizeof(shared), "%s/shared", home);
	snprintf(meta_addr, sizeof(meta_addr), "127.0.0.1:%d", meta_port);
	snprintf(ivs, sizeof(ivs), "%d", iv);
	if (fs_mkdir_p(home) || fs_mkdir_p(shared) || (log_dir && fs_mkdir_p(log_dir))) {
		log_error("cannot create the cluster's folders: %s", err_msg());
		return 1;
	}

	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);

	struct child kids[MAX_DATANODES + 2];
	memset(kids, 0, sizeof(kids));
	int nk = 0;
	char logp[1100];
	/* the metasrv first: datanodes retry their heartbeats until it is up */
	snprintf(path, sizeof(path), "%s/metasrv", home);
	char *margv[] = {exe,       "metasrv",     "start", "--rpc-addr",
	                 meta_addr, "--data-home", path,    "--heartbeat-interval-ms",
	                 ivs,       NULL};
	snprintf(kids[nk].name, sizeof(kids[nk].name), "metasrv");
	snprintf(logp, sizeof(logp), "%s/metasrv.log", log_dir ? log_dir : "");
	kids[nk].pid = spawn(margv, true, log_dir ? logp : NULL, &old);
	nk++;
	for (int i = 0; i < ndn && kids[0].pid > 0; i++) {
		char id[16], addr[64], dh[1100];
		snprintf(id, sizeof(id), "%d", i);
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", base_port + i);
		snprintf(dh, sizeof(dh), "%s/datanode%d", home, i);
		char *dargv[] = {exe,       "datanode",
		                 "start",   "--node-id",
		                 id,        "--rpc-addr",
		                 addr,      "--metasrv-addrs",
		                 meta_addr, "--data-home",
		                 dh,        "--heartbeat-interval-ms",
		                 ivs,       fs_default ? "--store-root" : NULL,
		                 shared,    NULL};
		snprintf(kids[nk].name, sizeof(kids[nk].name), "datanode %d", i);
		snprintf(logp, sizeof(logp), "%s/datanode%d.log", log_dir ? log_dir : "", i);
		kids[nk].pid = spawn(dargv, true, log_dir ? logp : NULL, &old);
		if (kids[nk].pid < 0)
			kids[nk].pid = 0;
		nk++;
	}
	if (kids[0].pid <= 0) {
		log_error("cannot start the metasrv: %s", strerror(errno));
		return 1;
	}
	/* the frontend last; it stops first */
	int fe_idx = nk;
	{
		char ha[64], ma[64], pa[64];
		snprintf(ha, sizeof(ha), "127.0.0.1:%d", http_port);
		snprintf(ma, sizeof(ma), "127.0.0.1:%d", mysql_port);
		snprintf(pa, sizeof(pa), "127.0.0.1:%d", pg_port);
		char *fargv[] = {exe,       "frontend",        "start", "--metasrv-addrs",
		                 meta_addr, "--http-addr",     ha,      "--mysql-addr",
		                 ma,        "--postgres-addr", pa,      "--heartbeat-interval-ms",
		                 ivs,       NULL};
		snprintf(kids[nk].name, sizeof(kids[nk].name), "frontend");
		snprintf(logp, sizeof(logp), "%s/frontend.log", log_dir ? log_dir : "");
		kids[nk].pid = spawn(fargv, false, log_dir ? logp : NULL, &old);
		if (kids[nk].pid < 0)
			kids[nk].pid = 0;
		nk++;
	}
	log_info("cluster: metasrv on %s, %d datanodes on ports %d..%d, frontend mysql %d, "
	         "postgres %d, http %d, data under %s",
	         meta_addr, ndn, base_port, base_port + ndn - 1, mysql_port, pg_port, http_port,
	         home);

	int rc = 0;
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGCHLD) {
			reap(kids, nk, false);
			if (alive_count(kids, nk) == 0) {
				log_error("every process of the cluster has exited");
				rc = 1;
				break;
			}
			continue;
		}
		log_info("signal %d: stopping the cluster", sig);
		struct timespec dl;
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += 15;
		stop_range(kids, fe_idx, nk, &set, dl);
		stop_range(kids, 1, fe_idx, &set, dl);
		stop_range(kids, 0, 1, &set, dl);
		break;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
