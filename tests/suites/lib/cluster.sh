# Sourced (not run) by the cluster suites that start their own metasrv and
# datanodes as processes of the suite: cluster_basic.sh,
# cluster_consistency.sh, cluster_crash.sh, cluster_netfault.sh,
# cluster_stream.sh, cluster_alter_resume.sh. The suite defines `work` (its
# temp folder; process logs are $work/*.log), the associative array `pid`
# (name -> pid, e.g. pid[dn0]) and `ok` / `not_ok` TAP functions.
#
#   free_port, free_ports N  free loopback ports (lib/ports.sh)
#   start_metasrv [VAR=VALUE...]
#   start_datanode I [VAR=VALUE...]
#   start_frontend [ARG...]  one process in the background, logging to
#                            $work/{meta,dnI,frontend}.log, its pid in
#                            pid[meta] / pid[dnI] / pid[fe]. VAR=VALUE
#                            pairs go into the process's environment
#                            (e.g. STRATA_FAULTS=...), ARGs after the
#                            frontend's own. Uses STRATA (the binary), IV
#                            (heartbeat interval, ms), META (metasrv
#                            host:port), DP[I] (datanode I's RPC port),
#                            P_MY / P_HTTP / P_PG (frontend ports);
#                            metasrv and datanodes also take the
#                            word-split STRATA_CLUSTER_ARGS.
#   poll SECONDS CMD...      until CMD succeeds; non-zero on timeout
#   cluster_cleanup          SIGKILL every process in pid, remove $work
#                            (the suites' EXIT trap)
#   stop_cluster_checked NAME...
#                            SIGTERM each named process in turn; one TAP
#                            check: every one exited 0 and no log holds a
#                            sanitizer report

. tests/suites/lib/ports.sh

start_metasrv() {
	env "$@" "$STRATA" metasrv start --rpc-addr "$META" --data-home "$work/meta" \
		--heartbeat-interval-ms "$IV" ${STRATA_CLUSTER_ARGS:-} >>"$work/meta.log" 2>&1 &
	pid[meta]=$!
}

start_datanode() {
	local i=$1
	shift
	env "$@" "$STRATA" datanode start --node-id "$i" --rpc-addr "127.0.0.1:${DP[$i]}" \
		--metasrv-addrs "$META" --data-home "$work/dn$i" --store-root "$work/shared" \
		--heartbeat-interval-ms "$IV" ${STRATA_CLUSTER_ARGS:-} >>"$work/dn$i.log" 2>&1 &
	pid[dn$i]=$!
}

start_frontend() {
	"$STRATA" frontend start --metasrv-addrs "$META" --mysql-addr "127.0.0.1:$P_MY" \
		--http-addr "127.0.0.1:$P_HTTP" --postgres-addr "127.0.0.1:$P_PG" \
		--heartbeat-interval-ms "$IV" "$@" >>"$work/frontend.log" 2>&1 &
	pid[fe]=$!
}

poll() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}

cluster_cleanup() {
	for p in "${pid[@]}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}

stop_cluster_checked() {
	local clean=1 p st
	for p in "$@"; do
		kill -TERM "${pid[$p]}"
		wait "${pid[$p]}"
		st=$?
		if [ $st -ne 0 ]; then
			clean=0
			echo "# $p exited with $st"
		fi
		pid[$p]=
	done
	if [ $clean -eq 1 ] && ! grep -l 'Sanitizer' "$work"/*.log >/dev/null 2>&1; then
		ok "SIGTERM: every process stopped cleanly (no sanitizer report)"
	else
		not_ok "unclean shutdown: $(grep -h -A3 'Sanitizer' "$work"/*.log | head -20 | tr '\n' ' ')"
	fi
}
