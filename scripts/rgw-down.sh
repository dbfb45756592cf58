#!/usr/bin/env bash
# Stop the one-node radosgw cluster that scripts/rgw-up.sh started in DIR
# and delete DIR. Idempotent: a missing folder or dead daemons are fine.
#
#   scripts/rgw-down.sh [DIR]   DIR defaults to $STRATA_RGW_DIR or /tmp/strata-rgw
#
# Only processes started for DIR are signalled: the pids in DIR/run/*.pid, and
# any process whose command line names DIR/ceph.conf (a daemon that died
# before writing its pid file). Order: radosgw, osd, mon; SIGTERM, then
# SIGKILL after 5 s each.
set -u
D=${1:-${STRATA_RGW_DIR:-/tmp/strata-rgw}}
conf="$D/ceph.conf"
[ -d "$D" ] || exit 0

ours() { # pid: does its command line name our ceph.conf?
	[ -r "/proc/$1/cmdline" ] && tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -qxF "$conf"
}
# stop_pids GRACE_TENTHS PID...: SIGTERM, wait, then SIGKILL what is left.
stop_pids() {
	local grace=$1 p alive
	shift
	[ $# -gt 0 ] || return 0
	for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 1 "$grace"); do
		alive=0
		for p in "$@"; do ours "$p" && alive=1; done
		[ $alive -eq 0 ] && return 0
		sleep 0.1
	done
	for p in "$@"; do ours "$p" && kill -KILL "$p" 2>/dev/null; done
	return 0
}
pidof_name() { # daemon name -> pid from its pid file, when that process is ours
	local f="$D/run/$1.pid" p
	[ -f "$f" ] || return 0
	p=$(cat "$f" 2>/dev/null)
	case "$p" in '' | *[!0-9]*) return 0 ;; esac
	ours "$p" && echo "$p"
	return 0
}
# radosgw first (it takes ~2 s to leave and hangs if the mon goes first),
# then the OSD, then the mon.
stop_pids 50 $(pidof_name client.rgw.local)
stop_pids 50 $(pidof_name osd.0)
stop_pids 50 $(pidof_name mon.a)
# Any other process still naming our ceph.conf (a daemon that died before
# writing its pid file, a stuck radosgw-admin).
left=()
for d in /proc/[0-9]*; do
	p=${d#/proc/}
	comm=""
	read -r comm 2>/dev/null <"$d/comm" || continue
	case "$comm" in ceph* | rados* | *rgw* | msgr-worker* | monmaptool) ;; *) continue ;; esac
	ours "$p" && left+=("$p")
done
stop_pids 20 "${left[@]+"${left[@]}"}"
rm -rf "$D"
exit 0
