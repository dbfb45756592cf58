#!/usr/bin/env bash
# cluster_crash: the crash matrix on a real cluster. One metasrv and three
# datanodes (heartbeat 200 ms); datanode 0 leads every test table, datanode
# 1 follows it. For each named fault point (src/base/fault.h) the point is
# armed on datanode 0 at run time (cluster_driver faults; the datanode runs
# with STRATA_FAULTS_RUNTIME=1) while a writer acknowledges rows one by one
# and a flusher flushes every 200 ms:
#   kill  -> datanode 0 dies on the spot at that point; it is restarted
#            without faults; every acknowledged row must be there exactly
#            once, and the follower must answer exactly like the leader;
#   fail  -> the operation fails with an error naming the point, the node
#            keeps serving, and after disarming nothing acknowledged is lost;
#   delay -> everything still works, only slower.
# The follower (datanode 1) is also killed at the points of a follower read
# (memtable.fetch, objstore.get) and must answer like the leader after its
# restart. A follower read slowed by objstore.get delays runs across a
# compaction on the leader and must return exactly the leader's rows.
# Prints TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/suites/lib/cluster.sh
B=${STRATA_BUILD:-build}
STRATA=$B/strata
DRV=$B/tests/tools/cluster_driver
IV=200
work=$(mktemp -d /tmp/strata-crash-XXXXXX)
declare -A pid
n=0
META=127.0.0.1:$(free_port)
for i in 0 1 2; do DP[$i]=$(free_port); done
drv() { "$DRV" --meta "$META" "$@"; }
trap cluster_cleanup EXIT
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	for f in "$work"/*.log; do
		echo "# ---- $(basename "$f") (last 12 lines) ----"
		tail -12 "$f" | sed 's/^/#   /'
	done
}
start_dn() { start_datanode "$1" STRATA_FAULTS_RUNTIME=1; }
start_metasrv
for i in 0 1 2; do start_dn $i; done
if drv wait-alive 3 20000 >/dev/null 2>&1; then ok "3 datanodes ALIVE"; else
	not_ok "3 datanodes ALIVE"
	echo "1..$n"
	exit 0
fi
bad=$(drv faults 2 "no.such.point=kill" 2>&1)
grep -q "^error" <<<"$bad" && ok "an unknown fault point is refused: $bad" || not_ok "bad spec accepted: $bad"
drv faults 2 "" >/dev/null 2>&1

tid=1023
new_table() { # -> sets tid, rid; table with 1 region led by dn0, followed by dn1
	tid=$((tid + 1))
	drv create "t$tid" 1 0 >/dev/null 2>&1 || return 1
	rid=$(drv route "$tid" | awk '{print $2}')
	drv add-region-follower "$rid" 1 >/dev/null 2>&1
}
follower_open() { # node region: the node has the region open as a follower
	drv debug "$1" | tr -d ' \n\t' | grep -q "\"region_id\":$2,\"role\":\"follower\",\"open\":true"
}
same_on_follower() { # table: follower read = leader read
	drv read "$1" leader >"$work/l.txt" 2>/dev/null || return 1
	drv read "$1" follower 2>/dev/null | cmp -s - "$work/l.txt"
}

# ---- kill at each point ------------------------------------------------------------
for spec in "wal.append.after=kill:300" "wal.fsync=kill:200" "sst.upload.after=kill" \
	"manifest.write.mid=kill" "manifest.write.after=kill" "objstore.put=kill:1" \
	"heartbeat.send=kill:3"; do
	point=${spec%%=*}
	if ! new_table; then not_ok "$point: create table"; continue; fi
	: >"$work/acks"
	drv write "$tid" 0 200 >>"$work/acks" 2>&1 # some rows before arming
	if ! drv faults 0 "$spec" >/dev/null 2>&1; then not_ok "$point: arm $spec"; continue; fi
	drv write "$tid" 200 100000 >>"$work/acks" 2>&1 &
	wpid=$!
	(while kill -0 "${pid[dn0]}" 2>/dev/null; do "$DRV" --meta "$META" flush "$tid" >/dev/null 2>&1; sleep 0.2; done) &
	fpid=$!
	end=$((SECONDS + 30))
	while kill -0 "${pid[dn0]}" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.05; done
	wait "${pid[dn0]}" 2>/dev/null
	status=$?
	kill "$wpid" "$fpid" 2>/dev/null
	wait "$wpid" "$fpid" 2>/dev/null
	acked=$(grep -c '^ack' "$work/acks")
	if [ $status -ne 137 ]; then
		not_ok "$point: datanode 0 was not killed at the point (status $status, $acked acks)"
		kill -9 "${pid[dn0]}" 2>/dev/null
		wait "${pid[dn0]}" 2>/dev/null
		start_dn 0
		continue
	fi
	start_dn 0
	if poll 30 drv verify-acks "$tid" "$work/acks"; then
		ok "$point: killed there under load; after restart all $acked acknowledged rows present exactly once"
	else
		not_ok "$point: after restart: $(drv verify-acks "$tid" "$work/acks" 2>&1 | tail -3 | tr '\n' ' ')"
	fi
	if poll 20 same_on_follower "$tid"; then
		ok "$point: the follower answers exactly like the restarted leader ($(wc -l <"$work/l.txt") rows)"
	else
		not_ok "$point: follower differs from leader after restart"
	fi
done

# ---- kill the follower at the points of a follower read ------------------------------------
# memtable.fetch: when it asks the leader for its snapshot; objstore.get: when it reads an SST
# or manifest it has not cached (a restarted follower has nothing cached)
for spec in "memtable.fetch=kill" "objstore.get=kill"; do
	point=${spec%%=*}
	if ! new_table; then not_ok "$point: create table"; continue; fi
	: >"$work/acks"
	drv write "$tid" 0 300 >>"$work/acks" 2>&1
	drv flush "$tid" >/dev/null 2>&1
	drv write "$tid" 300 400 >>"$work/acks" 2>&1
	# restart the follower so that its caches are empty
	kill -TERM "${pid[dn1]}"
	wait "${pid[dn1]}" 2>/dev/null
	start_dn 1
	poll 20 drv faults 1 "$spec" >/dev/null 2>&1
	out=$(drv read-at "$tid" 1 2>&1)
	end=$((SECONDS + 15))
	while kill -0 "${pid[dn1]}" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.05; done
	wait "${pid[dn1]}" 2>/dev/null
	status=$?
	if [ $status -eq 137 ] && grep -q "^error" <<<"$out"; then
		ok "$point: the follower was killed there during a follower read; the read failed ($(head -c 120 <<<"$out"))"
	else
		not_ok "$point: follower not killed at the point (status $status): $(head -2 <<<"$out" | tr '\n' ' ')"
		kill -9 "${pid[dn1]}" 2>/dev/null
		wait "${pid[dn1]}" 2>/dev/null
	fi
	start_dn 1
	if poll 30 same_on_follower "$tid" && drv verify-acks "$tid" "$work/acks" >/dev/null 2>&1; then
		ok "$point: after the follower's restart it answers like the leader, all $(grep -c '^ack' "$work/acks") acknowledged rows there"
	else
		not_ok "$point: after the follower's restart: $(drv verify-acks "$tid" "$work/acks" 2>&1 | tail -1)"
	fi
done

# ---- a follower read running across a compaction on the leader -------------------------
# The restarted follower has nothing cached and every object-store read it makes is
# slowed by 400 ms, so its read of the table's two SSTs is still running when the
# leader compacts them into one (and the follower learns the new version by heartbeat).
# The read must finish with exactly the rows the leader had.
new_table
: >"$work/acks"
drv write "$tid" 0 300 >>"$work/acks" 2>&1
drv flush "$tid" >/dev/null 2>&1
drv write "$tid" 300 600 >>"$work/acks" 2>&1
drv flush "$tid" >/dev/null 2>&1
drv write "$tid" 600 650 >>"$work/acks" 2>&1
drv read "$tid" leader >"$work/before.txt" 2>"$work/before.err"
kill -TERM "${pid[dn1]}"
wait "${pid[dn1]}" 2>/dev/null
start_dn 1
# the restarted follower reopens its regions after it starts serving: a
# read sent before that fails at once instead of running across the compaction
poll 20 follower_open 1 "$rid"
poll 20 drv faults 1 "objstore.get=delay:400" >/dev/null 2>&1
(drv read-at "$tid" 1 >"$work/across.txt" 2>"$work/across.err"; echo $? >"$work/across.rc") &
rpid=$!
sleep 0.3
if out=$(drv compact "$tid" 2>&1) && kill -0 $rpid 2>/dev/null; then
	ok "compaction on the leader finished while the follower read was still running"
else
	not_ok "compaction during the follower read: compact says '$out', read running: $(kill -0 $rpid 2>/dev/null && echo yes || echo no)"
fi
wait $rpid
drv faults 1 "" >/dev/null 2>&1
if [ "$(cat "$work/across.rc")" = 0 ] && cmp -s "$work/across.txt" "$work/before.txt" && [ "$(wc -l <"$work/before.txt")" -eq 650 ]; then
	ok "the follower read across the compaction returned exactly the leader's 650 rows"
else
	not_ok "follower read across a compaction: rc $(cat "$work/across.rc"), $(wc -l <"$work/across.txt") rows vs $(wc -l <"$work/before.txt"): $(head -2 "$work/across.err" | tr '\n' ' ')"
fi
poll 10 same_on_follower "$tid" && ok "after the compaction: follower = leader" || not_ok "follower after the compaction"

# ---- fail and delay ---------------------------------------------------------------------
new_table
: >"$work/acks"
drv write "$tid" 0 100 >>"$work/acks" 2>&1
drv faults 1 "memtable.fetch=fail" >/dev/null 2>&1
out=$(drv read "$tid" follower 2>&1)
if grep -q "^error.*memtable.fetch" <<<"$out"; then
	ok "memtable.fetch=fail on the follower: the follower read fails naming the point, no stale rows"
else
	not_ok "memtable.fetch=fail: $(head -2 <<<"$out" | tr '\n' ' ')"
fi
drv faults 1 "" >/dev/null 2>&1
poll 10 same_on_follower "$tid" && ok "memtable.fetch disarmed: follower = leader again" || not_ok "after memtable.fetch"

drv faults 0 "objstore.put=fail" >/dev/null 2>&1
out=$(drv flush "$tid" 2>&1)
grep -q "^error.*objstore.put" <<<"$out" && ok "objstore.put=fail: the flush fails naming the point" || not_ok "flush with objstore.put=fail: $out"
drv write "$tid" 100 150 >>"$work/acks" 2>&1 && ok "writes keep being acknowledged while the object store fails" || not_ok "writes during objstore failure: $(tail -1 "$work/acks")"
drv faults 0 "" >/dev/null 2>&1
drv flush "$tid" >/dev/null 2>&1 && ok "objstore.put disarmed: the flush goes through" || not_ok "flush after disarm"

drv faults 0 "wal.fsync=fail" >/dev/null 2>&1
out=$(drv write "$tid" 150 151 2>&1)
grep -q "^error.*wal.fsync" <<<"$out" && ok "wal.fsync=fail: the write is refused, not acknowledged" || not_ok "write with wal.fsync=fail: $out"
drv faults 0 "wal.fsync=delay:30" >/dev/null 2>&1
drv write "$tid" 151 161 >>"$work/acks" 2>&1 && ok "wal.fsync=delay:30: writes slower but acknowledged" || not_ok "write with fsync delay: $(tail -1 "$work/acks")"
drv faults 0 "" >/dev/null 2>&1
out=$(drv verify-acks "$tid" "$work/acks" 2>&1)
[ $? -eq 0 ] && ok "after fail/delay faults: $(tail -1 <<<"$out")" || not_ok "verify after fail/delay: $out"
poll 10 same_on_follower "$tid" && ok "after fail/delay faults: follower = leader" || not_ok "follower after fail/delay faults"

stop_cluster_checked dn0 dn1 dn2 meta
echo "1..$n"
