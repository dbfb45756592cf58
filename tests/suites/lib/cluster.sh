# Sourced (not run) by the cluster suites that start their own metasrv and
# datanodes as processes of the suite: cluster_consistency.sh,
# cluster_crash.sh, cluster_netfault.sh, cluster_basic.sh. The suite defines `work` (its temp
# folder; process logs are $work/*.log), the associative array `pid`
# (name -> pid, e.g. pid[dn0]) and `ok` / `not_ok` TAP functions.
#
#   free_port, free_ports N  free loopback ports (lib/ports.sh)
#   poll SECONDS CMD...      until CMD succeeds; non-zero on timeout
#   cluster_cleanup          SIGKILL every process in pid, remove $work
#                            (the suites' EXIT trap)
#   stop_cluster_checked NAME...
#                            SIGTERM each named process in turn; one TAP
#                            check: every one exited 0 and no log holds a
#                            sanitizer report

. tests/suites/lib/ports.sh

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
