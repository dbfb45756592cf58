#!/usr/bin/env bash
# cluster_start: `strata cluster start` - one command runs a metasrv, N
# datanodes and a frontend as child processes under one data folder; the cluster works
# (tables, followers, follower reads); a child that dies is reported while
# the others keep running; SIGTERM / SIGINT stop every child (exit 0, no
# process left behind); a second start on the same folder finds the data.
# Prints TAP.
set -u
cd "$(dirname "$0")/../.."
B=${STRATA_BUILD:-build}
STRATA=$B/strata
DRV=$B/tests/tools/cluster_driver
work=$(mktemp -d /tmp/strata-cstart-XXXXXX)
. tests/suites/lib/ports.sh
n=0
cpid=

base=$(free_ports 7)
MP=$base
DBASE=$((base + 1))
FEPORTS="--http-port $((base + 4)) --mysql-port $((base + 5)) --postgres-port $((base + 6))"
META=127.0.0.1:$MP
drv() { "$DRV" --meta "$META" "$@"; }

cleanup() {
	[ -n "$cpid" ] && kill -9 "$cpid" 2>/dev/null
	pkill -9 -f "$work/c" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	for f in "$work"/logs/*.log "$work/parent.log"; do
		[ -f "$f" ] || continue
		echo "# ---- $(basename "$f") ----"
		tail -20 "$f" | sed 's/^/#   /'
	done
}
start_cluster() {
	"$STRATA" cluster start --datanodes 3 --data-home "$work/c" --heartbeat-interval-ms 200 \
		--metasrv-port $MP --datanode-base-port $DBASE $FEPORTS --log-dir "$work/logs" \
		${STRATA_CLUSTER_ARGS:-} >>"$work/parent.log" 2>&1 &
	cpid=$!
}
children() { pgrep -P "$cpid" | wc -l; }

start_cluster
if out=$(drv wait-alive 3 20000); then ok "cluster start: 3 datanodes ALIVE after $out ms"; else not_ok "cluster start: $out"; fi
[ "$(children)" -eq 5 ] && ok "5 child processes (metasrv + 3 datanodes + frontend)" || not_ok "children: $(children)"
drv create foo 2 >/dev/null && drv add-table-follower 1024 >/dev/null && drv write 1024 -5 6 >/dev/null
drv read 1024 leader >"$work/leader.txt" 2>/dev/null
if [ "$(wc -l <"$work/leader.txt")" -eq 11 ] && drv read 1024 follower 2>/dev/null | cmp -s - "$work/leader.txt"; then
	ok "tables, followers and follower reads work"
else
	not_ok "cluster does not serve: $(wc -l <"$work/leader.txt") rows"
fi
if [ -f "$work/c/metasrv/metadata.sqlite" ] && [ -d "$work/c/datanode0/wal" ] &&
	[ -d "$work/c/shared/data/greptime/public/1024" ]; then
	ok "layout: metasrv/metadata.sqlite, datanode{i}/wal, shared/data/greptime/public/1024"
else
	not_ok "layout: $(cd "$work/c" && find . -maxdepth 3 | tr '\n' ' ')"
fi
dn2=$(pgrep -f "node-id 2 .*$work/c")
kill -9 $dn2
if drv wait-status 2 DEAD 5000 >/dev/null && kill -0 $cpid 2>/dev/null && [ "$(children)" -eq 4 ]; then
	ok "a killed datanode is reported, the rest keeps running"
else
	not_ok "after killing datanode 2: parent alive=$(kill -0 $cpid 2>/dev/null && echo y), children=$(children)"
fi
grep -q 'datanode 2 (pid .*) killed by signal 9' "$work/parent.log" && ok "the parent logged the death" || not_ok "no death report"
kill -TERM $cpid
wait $cpid
rc=$?
cpid=
sleep 0.2
[ $rc -eq 0 ] && [ "$(pgrep -f "$work/c" | wc -l)" -eq 0 ] && ok "SIGTERM: every child stopped, exit 0" || not_ok "SIGTERM: rc=$rc, left: $(pgrep -f "$work/c" | wc -l)"
for f in "$work"/logs/*.log; do
	if grep -q 'Sanitizer' "$f"; then not_ok "sanitizer report in $(basename "$f")"; fi
done

start_cluster
drv wait-alive 3 20000 >/dev/null
ok_data=0
for _ in $(seq 1 200); do
	if drv read 1024 follower 2>/dev/null | cmp -s - "$work/leader.txt"; then
		ok_data=1
		break
	fi
	sleep 0.05
done
[ $ok_data -eq 1 ] && ok "second start on the same folder: the table, its followers and rows are back" || not_ok "data after a second start"
kill -INT $cpid
wait $cpid
rc=$?
cpid=
sleep 0.2
[ $rc -eq 0 ] && [ "$(pgrep -f "$work/c" | wc -l)" -eq 0 ] && ok "SIGINT: every child stopped, exit 0" || not_ok "SIGINT: rc=$rc"
echo "1..$n"
