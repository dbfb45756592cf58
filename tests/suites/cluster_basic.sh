#!/usr/bin/env bash
# cluster_basic: a real cluster - one metasrv and three datanodes as separate
# processes (heartbeat 200 ms, one shared fs object store) - driven by
# tests/tools/cluster_driver (cluster_client.h, what a frontend uses):
# routes and the documented follower placement, follower procedure errors,
# follower reads equal to leader reads (memtable fetch) and served by the
# followers (counters), flushed rows reaching followers through heartbeats
# with fetch off (measured), failure detection, no acknowledged write lost
# when a leader is SIGKILLed mid-write, a full restart, truncate / drop
# reaching followers, and a clean shutdown (exit 0: no sanitizer report).
# Conditions are polled with deadlines; on a failure the cluster state and
# the logs are dumped as TAP comments. Prints TAP.
# STRATA_CLUSTER_ARGS (word-split) is appended to every metasrv and datanode
# command line, e.g. "--config FILE" for s3 storage and etcd metadata
# (tests/suites/cluster_backends.sh); it comes last, so it overrides.
set -u
cd "$(dirname "$0")/../.."
B=${STRATA_BUILD:-build}
STRATA=$B/strata
DRV=$B/tests/tools/cluster_driver
IV=200
work=$(mktemp -d /tmp/strata-cluster-XXXXXX)
declare -A pid
n=0
. tests/suites/lib/cluster.sh

MP=$(free_port)
DP=()
for i in 0 1 2; do DP[$i]=$(free_port); done
META=127.0.0.1:$MP
drv() { "$DRV" --meta "$META" "$@"; }

kill9() { # name
	kill -9 "${pid[$1]}" 2>/dev/null
	wait "${pid[$1]}" 2>/dev/null
	pid[$1]=
}
trap cluster_cleanup EXIT

dump() {
	echo "# ---- cluster state ----"
	drv nodes 2>&1 | sed 's/^/#   /'
	for t in 1024 1025; do drv route $t 2>&1 | sed 's/^/#   /'; done
	for f in "$work"/*.log; do
		echo "# ---- $(basename "$f") (last 25 lines) ----"
		tail -25 "$f" | sed 's/^/#   /'
	done
}
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	dump
}
# check DESC CMD...: the command must exit 0; its last output line is shown.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$desc: $(echo "$out" | tail -1)"; else not_ok "$desc: $(echo "$out" | tail -3 | tr '\n' ' ')"; fi
}
# expect_err DESC SUBSTRING CMD...: the command must fail with SUBSTRING.
expect_err() {
	local desc=$1 want=$2 out
	shift 2
	out=$("$@" 2>&1)
	local rc=$?
	if [ $rc -ne 0 ] && grep -qF -- "$want" <<<"$out"; then ok "$desc: $out"; else not_ok "$desc: rc=$rc, got: $out"; fi
}

# ---- start -----------------------------------------------------------------
start_metasrv
for i in 0 1 2; do start_datanode $i; done
check "3 datanodes ALIVE (ms)" drv wait-alive 3 15000

# ---- tables, routes and the documented follower placement ---------------------
out=$(drv create t0 1)
[ "$out" = "table_id 1024
region 4398046511104 leader 0 followers -" ] && ok "create t0: 1 region, leader on dn0 (round-robin)" || not_ok "create t0: $out"
out=$(drv create foo 2)
[ "$out" = "table_id 1025
region 4402341478400 leader 1 followers -
region 4402341478401 leader 2 followers -" ] && ok "create foo: 2 regions on dn1 and dn2 (as in the docs)" || not_ok "create foo: $out"
check "add_table_follower(foo, '0,1,2')" drv add-table-follower 1025 0,1,2
expected_route="region 4402341478400 leader 1 followers 0
region 4402341478401 leader 2 followers 1"
out=$(drv route 1025)
[ "$out" = "$expected_route" ] && ok "placement as documented: region0 follower on dn0, region1 on dn1" || not_ok "route after add: $out"

# ---- follower procedure errors ------------------------------------------------
expect_err "follower on the leader's datanode refused" "holds the leader of region 4402341478400(1025, 0)" drv add-region-follower 4402341478400 1
expect_err "duplicate follower refused" "already has a follower of region 4402341478400(1025, 0)" drv add-region-follower 4402341478400 0
expect_err "unknown datanode" "The target peer is unavailable temporally: 7" drv add-region-follower 4402341478400 7
expect_err "unknown datanode in a table list" "The target peer is unavailable temporally: 9" drv add-table-follower 1025 0,9
expect_err "unknown region" "Region 4402341478409(1025, 9) not found" drv add-region-follower 4402341478409 2
expect_err "unknown table" "Table not found" drv add-table-follower 4242 0
expect_err "no eligible datanode" "no eligible datanode for a follower of region 4402341478400(1025, 0)" drv add-table-follower 1025 1
expect_err "removing a follower that is not there" "has no follower of region 4402341478401(1025, 1)" drv remove-region-follower 4402341478401 0
out=$(drv route 1025)
[ "$out" = "$expected_route" ] && ok "failed procedures left the route unchanged" || not_ok "route changed: $out"

# ---- writes, follower reads ----------------------------------------------------
check "write 41 rows to the leaders" drv write 1025 -20 21
drv read 1025 leader >"$work/leader.txt" 2>/dev/null
poll 10 drv read 1025 follower
drv read 1025 follower >"$work/follower.txt" 2>"$work/served.txt"
if [ "$(wc -l <"$work/leader.txt")" -eq 41 ] && cmp -s "$work/leader.txt" "$work/follower.txt"; then
	ok "follower read = leader read right after the writes (41 rows, memtable fetch)"
else
	not_ok "follower read differs: $(diff "$work/leader.txt" "$work/follower.txt" | head -5 | tr '\n' ' ')"
fi
if grep -q "^served 4402341478400 0 follower" "$work/served.txt" && grep -q "^served 4402341478401 1 follower" "$work/served.txt"; then
	ok "the client sent the reads to the followers (dn0, dn1)"
else
	not_ok "reads not served by followers: $(tr '\n' ' ' <"$work/served.txt")"
fi
f0=$(drv count-reads 0 reads_follower_fetch) f1=$(drv count-reads 1 reads_follower_fetch)
s1=$(drv count-reads 1 snapshots_served) s2=$(drv count-reads 2 snapshots_served)
if [ "${f0:-0}" -ge 1 ] && [ "${f1:-0}" -ge 1 ] && [ "${s1:-0}" -ge 1 ] && [ "${s2:-0}" -ge 1 ]; then
	ok "followers counted the reads they served (dn0 $f0, dn1 $f1), leaders the snapshots they gave (dn1 $s1, dn2 $s2)"
else
	not_ok "counters: follower reads dn0=$f0 dn1=$f1, snapshots dn1=$s1 dn2=$s2"
fi
for p in follower_preferred random; do
	if drv read 1025 $p 2>/dev/null | cmp -s - "$work/leader.txt"; then ok "READ_PREFERENCE $p = leader read"; else not_ok "READ_PREFERENCE $p differs"; fi
done
check "overwrite 5 rows (newer values win on followers too)" drv --v2 write 1025 -2 3
drv read 1025 leader >"$work/leader.txt" 2>/dev/null
if drv read 1025 follower 2>/dev/null | cmp -s - "$work/leader.txt" && grep -q '^0,1000,v2-s0$' "$work/leader.txt"; then
	ok "follower read after overwrites = leader read (no duplicates)"
else
	not_ok "overwrites: follower read differs"
fi

# ---- fetch off: flushed rows reach followers through heartbeats ------------------
check "switch follower memtable fetch off on dn0" drv set-fetch 0 off
check "switch follower memtable fetch off on dn1" drv set-fetch 1 off
check "flushed row visible on the follower of region1 within 2 heartbeats (ms)" drv flush-visible 1025 100 $((2 * IV))
check "flushed row visible on the follower of region0 within 2 heartbeats (ms)" drv flush-visible 1025 -100 $((2 * IV))
sst=$(drv count-reads 0 reads_follower_sst)
[ "${sst:-0}" -ge 1 ] && ok "dn0 served SST-only follower reads ($sst)" || not_ok "no SST-only reads counted on dn0"
drv set-fetch 0 on >/dev/null && drv set-fetch 1 on >/dev/null

# ---- remove / re-add ---------------------------------------------------------
check "remove_table_follower(foo)" drv remove-table-follower 1025
out=$(drv route 1025)
[ "$out" = "region 4402341478400 leader 1 followers -
region 4402341478401 leader 2 followers -" ] && ok "newest follower of each region removed" || not_ok "route after remove: $out"
expect_err "follower read with no follower is an error naming the region" "No available follower for region 4402341478400(1025, 0)" drv read 1025 follower
check "add them back" drv add-table-follower 1025 0,1,2
out=$(drv route 1025)
[ "$out" = "$expected_route" ] && ok "same placement again" || not_ok "route after re-add: $out"
poll 10 drv read 1025 follower

# ---- failure detection -----------------------------------------------------------
kill9 dn0
check "SIGKILLed follower dn0 marked DEAD within 8 heartbeats (ms)" drv wait-status 0 DEAD $((8 * IV))
expect_err "READ_PREFERENCE follower without a live follower errors" "No available follower for region 4402341478400(1025, 0)" drv read 1025 follower
drv read 1025 leader >"$work/leader.txt" 2>/dev/null
if drv read 1025 follower_preferred 2>/dev/null | cmp -s - "$work/leader.txt"; then ok "follower_preferred falls back to the leader"; else not_ok "follower_preferred without followers"; fi
start_datanode 0
check "dn0 back: ALIVE (ms)" drv wait-status 0 ALIVE 10000
if poll 10 drv read 1025 follower && drv read 1025 follower 2>/dev/null | cmp -s - "$work/leader.txt"; then
	ok "dn0 reopened its follower region through heartbeats; follower read = leader read"
else
	not_ok "follower read after dn0 restart"
fi

# ---- SIGKILL a leader during writes ---------------------------------------------------
drv write 1025 1000 1000000 >"$work/acks.txt" 2>&1 &
wpid=$!
poll 20 sh -c "[ \$(grep -c '^ack' '$work/acks.txt') -ge 100 ]"
kill9 dn2
wait $wpid 2>/dev/null
acked=$(grep -c '^ack' "$work/acks.txt")
start_datanode 2
if poll 20 drv verify-acks 1025 "$work/acks.txt"; then
	ok "leader dn2 SIGKILLed during writes and restarted: all $acked acknowledged rows present once ($(drv verify-acks 1025 "$work/acks.txt"))"
else
	not_ok "acknowledged rows lost: $(drv verify-acks 1025 "$work/acks.txt" | tail -3 | tr '\n' ' ')"
fi

# ---- truncate and drop reach followers ---------------------------------------------
check "t0: follower on dn1" drv add-region-follower 4398046511104 1
check "t0: write 10 rows" drv write 1024 0 10
poll 10 drv read 1024 follower
[ "$(drv read 1024 follower 2>/dev/null | wc -l)" -eq 10 ] && ok "t0: follower sees 10 rows" || not_ok "t0 follower rows"
check "truncate t0" drv truncate 1024
if poll 10 sh -c "[ \$('$DRV' --meta $META read 1024 follower 2>/dev/null | wc -l) -eq 0 ] && [ \$('$DRV' --meta $META read 1024 leader 2>/dev/null | wc -l) -eq 0 ]"; then
	ok "truncate reached leader and follower: no rows"
else
	not_ok "rows left after truncate"
fi
check "drop t0" drv drop 1024
expect_err "t0 route gone" "NOT_FOUND" drv route 1024
holds() { drv debug "$1" | grep -Eq '"region_id":[[:space:]]*4398046511104,'; }
if poll 10 sh -c "! '$DRV' --meta $META debug 0 | grep -Eq '\"region_id\":[[:space:]]*4398046511104,' && ! '$DRV' --meta $META debug 1 | grep -Eq '\"region_id\":[[:space:]]*4398046511104,'" && ! holds 0 && ! holds 1; then
	ok "leader dn0 and follower dn1 no longer hold t0's region"
else
	not_ok "t0's region still open somewhere"
fi

# ---- restart every process ---------------------------------------------------------
drv read 1025 leader >"$work/before.txt" 2>/dev/null
drv route 1025 >"$work/route_before.txt"
for p in dn0 dn1 dn2 meta; do kill9 $p; done
start_metasrv
for i in 0 1 2; do start_datanode $i; done
check "after a full restart: 3 datanodes ALIVE (ms)" drv wait-alive 3 15000
if poll 20 sh -c "'$DRV' --meta $META read 1025 leader 2>/dev/null | cmp -s - '$work/before.txt'"; then
	ok "after a full restart: all $(wc -l <"$work/before.txt") rows intact"
else
	not_ok "data after restart: $(drv read 1025 leader 2>&1 | wc -l) rows, expected $(wc -l <"$work/before.txt")"
fi
drv route 1025 | cmp -s - "$work/route_before.txt" && ok "after a full restart: routes intact" || not_ok "routes changed by the restart"
if poll 20 sh -c "'$DRV' --meta $META read 1025 follower 2>/dev/null | cmp -s - '$work/before.txt'"; then
	ok "after a full restart: follower read = leader read"
else
	not_ok "follower read after a full restart"
fi

# ---- clean shutdown ---------------------------------------------------------------
clean=1
for p in dn0 dn1 dn2 meta; do
	kill -TERM "${pid[$p]}"
	if ! wait "${pid[$p]}"; then clean=0; echo "# $p exited with $?"; fi
	pid[$p]=
done
if [ $clean -eq 1 ] && ! grep -l 'Sanitizer' "$work"/*.log >/dev/null 2>&1; then
	ok "SIGTERM: every process stopped cleanly (exit 0, no sanitizer report)"
else
	not_ok "unclean shutdown: $(grep -h -A3 'Sanitizer' "$work"/*.log | head -20 | tr '\n' ' ')"
fi
echo "1..$n"
