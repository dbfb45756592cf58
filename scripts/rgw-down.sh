#!/usr/bin/env bash
# Stop the one-node radosgw cluster that scripts/rgw-up.sh started in DIR
# and delete DIR. Idempotent: a missing folder or dead daemons are fine.
#
#   scripts/rgw-down.sh [DIR]   DIR defaults to $STRATA_RGW_DIR or /tmp/strata-rgw
#
# Only processes started for DIR are signalled: the pids in DIR/run/*.pid, and
# any process whose command line names DIR/ceph.conf (a daemon that died
# before writing its pid file). Order: radosgw, osd, mon; SIGTERM, then
# SIGKILL after 10 s.
set -u
D=${1:-${STRATA_RGW_DIR:-/tmp/strata-rgw}}
conf="$D/ceph.conf"
[ -d "$D" ] || exit 0

ours() { # pid: does its command line name our ceph.conf?
	[ -r "/proc/$1/cmdline" ] && tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -qxF "$conf"
}
pids=()
for name in client.rgw.local osd.0 mon.a; do
	f="$D/run/$name.pid"
	[ -f "$f" ] || continue
	p=$(cat "$f" 2>/dev/null)
	case "$p" in '' | *[!0-9]*) continue ;; esac
	ours "$p" && pids+=("$p")
done
for d in /proc/[0-9]*; do
	p=${d#/proc/}
	[ "$p" = $$ ] && continue
	ours "$p" || continue
	case " ${pids[*]-} " in *" $p "*) ;; *) pids+=("$p") ;; esac
done
for p in "${pids[@]+"${pids[@]}"}"; do
	kill -TERM "$p" 2>/dev/null
done
for _ in $(seq 1 100); do
	alive=0
	for p in "${pids[@]+"${pids[@]}"}"; do
		ours "$p" && alive=1
	done
	[ $alive -eq 0 ] && break
	sleep 0.1
done
for p in "${pids[@]+"${pids[@]}"}"; do
	ours "$p" && kill -KILL "$p" 2>/dev/null
done
rm -rf "$D"
exit 0
