#!/usr/bin/env bash
# Stop the etcd cluster that scripts/etcd-up.sh started in DIR and delete
# DIR. Idempotent: a missing folder or dead members are fine.
#
#   scripts/etcd-down.sh [DIR]   DIR defaults to $STRATA_ETCD_DIR or /tmp/strata-etcd
#
# Only processes started for DIR are signalled: the pids in DIR/n*.pid whose
# command line names a data dir inside DIR, and any other etcd process whose
# command line does (a member restarted by a test). SIGTERM, then SIGKILL
# after 1 s: the data is deleted anyway, and when every member of a 3-member
# cluster stops at once the last one waits ~6 s for its lost peers.
set -u
D=${1:-${STRATA_ETCD_DIR:-/tmp/strata-etcd}}
[ -d "$D" ] || exit 0
D=$(cd "$D" && pwd)

ours() { # pid: an etcd whose --data-dir lies in $D?
	local arg
	[ -r "/proc/$1/cmdline" ] || return 1
	while IFS= read -r arg; do
		[[ "$arg" == "$D"/n*.etcd ]] && return 0
	done < <(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null)
	return 1
}
pids=()
for f in "$D"/n*.pid; do
	[ -f "$f" ] || continue
	p=$(cat "$f" 2>/dev/null)
	case "$p" in '' | *[!0-9]*) continue ;; esac
	ours "$p" && pids+=("$p")
done
for d in /proc/[0-9]*; do
	p=${d#/proc/}
	comm=""
	read -r comm 2>/dev/null <"$d/comm" || continue
	[ "$comm" = etcd ] || continue
	case " ${pids[*]+"${pids[*]}"} " in *" $p "*) continue ;; esac
	ours "$p" && pids+=("$p")
done
if [ ${#pids[@]} -gt 0 ]; then
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 1 10); do
		alive=0
		for p in "${pids[@]}"; do ours "$p" && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do ours "$p" && kill -KILL "$p" 2>/dev/null; done
fi
rm -rf "$D"
exit 0
