#!/usr/bin/env bash
# cluster_backends: the cluster on real distributed backends (TAP) - SSTs
# and manifests in S3 (a one-node Ceph radosgw) and metadata in a 3-member
# etcd cluster, both started here (tests/suites/lib/backends.sh) and always
# stopped at the end, also on failure or interrupt.
#   1-2    radosgw and etcd are up
#   then   every scenario of cluster_basic.sh, run on s3 + etcd through one
#          config file (STRATA_CLUSTER_ARGS="--config FILE ..."), renumbered
#   then   cluster_consistency.sh (the randomized follower check) and
#          cluster_sql.sh (the feature scenario through SQL clients) on s3 +
#          etcd, each cluster with its own S3 root and etcd prefix
#   then   startup errors: a wrong S3 secret, a wrong S3 endpoint and an
#          unreachable etcd stop the process with a clear message
#   then   metasrv HA: 3 metasrv on the etcd, 3 datanodes (heartbeat 500 ms,
#          SST cache each) given all three addresses; exactly one leads and
#          the others refuse with "not the leader"; under write + follower
#          read load the leader is SIGKILLed: a new leader within 5 s,
#          writes acknowledged again, every acknowledged row present once,
#          follower reads complete (each returns at least the rows acked
#          before it started), routes unchanged, DDL works on the new
#          leader; the SST caches were used
#   then   radosgw frozen (SIGSTOP) for 10 s under writes: every write is
#          acknowledged meanwhile, a flush started then goes through (or on
#          retry) once it is back, every row is there, manifests intact
#   then   one etcd member SIGKILLed: writes, DDL and follower reads go on
#   last   `strata cluster start --config FILE` passes the config to its
#          children (datanodes on s3, metasrv on etcd) and stops cleanly
set -u
cd "$(dirname "$0")/../.."
. tests/suites/lib/backends.sh
. tests/suites/lib/ports.sh
B=${STRATA_BUILD:-build}
STRATA=$B/strata
DRV=$B/tests/tools/cluster_driver
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
diag() { sed 's/^/# /'; }
finish() { echo "1..$n"; }

for b in "$STRATA" "$DRV"; do
	if [ ! -x "$b" ]; then
		nok "$b not built"
		finish
		exit 1
	fi
done

work=$(mktemp -d /tmp/strata-backends-XXXXXX)
rgwdir="" etcddir=""
declare -A pid
cleanup() {
	local p
	for p in "${pid[@]+"${pid[@]}"}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "$rgwdir" ] && kill -CONT "$(cat "$rgwdir/run/client.rgw.local.pid" 2>/dev/null)" 2>/dev/null
	[ -n "$rgwdir" ] && scripts/rgw-down.sh "$rgwdir" >/dev/null 2>&1
	[ -n "$etcddir" ] && scripts/etcd-down.sh "$etcddir" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dump_logs() {
	local f
	for f in "$work"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $(basename "$f") (last 15 lines)" | diag
		tail -15 "$f" | diag
	done
}
poll() { # SECONDS CMD...
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- the backends ----------------------------------------------------------------
t0=$(now_ms)
rgwdir=$work/rgw
if backends_rgw_up "$rgwdir" strata-backends "$work/rgw-up.err"; then
	ok "radosgw up at $STRATA_S3_ENDPOINT in $(($(now_ms) - t0)) ms"
else
	nok "radosgw did not start"
	diag <"$work/rgw-up.err"
	rgwdir=""
	finish
	exit 1
fi
t0=$(now_ms)
etcddir=$work/etcd
if backends_etcd_up "$etcddir" 3 "$work/etcd-up.err"; then
	ok "3-member etcd up at $STRATA_ETCD_ENDPOINTS in $(($(now_ms) - t0)) ms"
else
	nok "etcd did not start"
	diag <"$work/etcd-up.err"
	etcddir=""
	finish
	exit 1
fi

# config NAME: a config file on s3 + etcd, its own key prefixes
config() {
	local f=$work/$1.toml
	cat >"$f" <<EOF
# written by cluster_backends.sh
[storage]
type = "s3"
bucket = "$STRATA_S3_BUCKET"
root = "$1/"
endpoint = "$STRATA_S3_ENDPOINT"
region = "$STRATA_S3_REGION"
access_key_id = "$STRATA_S3_ACCESS_KEY_ID"
secret_access_key = "$STRATA_S3_SECRET_ACCESS_KEY"

[metadata]
type = "etcd"
endpoints = "$STRATA_ETCD_ENDPOINTS"
prefix = "/strata-suite/$1"
lease_ttl_ms = 2000
EOF
	echo "$f"
}

# ---- cluster_basic on s3 + etcd -----------------------------------------------------
cfg=$(config basic)
STRATA_CLUSTER_ARGS="--config $cfg --store-root basic/" timeout 400 tests/suites/cluster_basic.sh \
	>"$work/basic.out" 2>"$work/basic.err"
st=$?
while IFS= read -r line; do
	case "$line" in
	"ok "[0-9]*) ok "s3+etcd: ${line#* - }" ;;
	"not ok "[0-9]*) nok "s3+etcd: ${line#* - }" ;;
	1..*) ;;
	*) echo "$line" ;;
	esac
done <"$work/basic.out"
[ $st -ne 0 ] && ! grep -q '^not ok' "$work/basic.out" && nok "cluster_basic.sh exited $st"
[ -s "$work/basic.err" ] && tail -5 "$work/basic.err" | diag

# ---- the randomized follower consistency test and the SQL feature scenario on s3 + etcd ----
# run_suite LABEL OUT CMD...: run another suite, its checks re-labelled as ours
run_suite() {
	local label=$1 out=$2 st
	shift 2
	"$@" >"$out" 2>"$out.err"
	st=$?
	while IFS= read -r line; do
		case "$line" in
		"ok "[0-9]*) ok "$label: ${line#* - }" ;;
		"not ok "[0-9]*) nok "$label: ${line#* - }" ;;
		1..*) ;;
		*) echo "$line" ;;
		esac
	done <"$out"
	[ $st -ne 0 ] && ! grep -q '^not ok' "$out" && nok "$label: suite exited $st"
	[ -s "$out.err" ] && tail -5 "$out.err" | diag
}
cfg=$(config consistency)
STRATA_CLUSTER_ARGS="--config $cfg --store-root consistency/" CONSISTENCY_SECONDS=15 \
	run_suite "s3+etcd consistency" "$work/consistency.out" timeout 300 tests/suites/cluster_consistency.sh
config @NAME@ >/dev/null # a template: cluster_sql.sh gives each cluster its own root and prefix
STRATA_CLUSTER_CONFIG_TEMPLATE="$work/@NAME@.toml" \
	run_suite "s3+etcd SQL" "$work/sql.out" timeout 600 tests/suites/cluster_sql.sh

# ---- startup errors ---------------------------------------------------------------------
# expect_start_error DESC PATTERN CMD...: exits non-zero within 60 s, stderr matches
expect_start_error() {
	local desc=$1 pat=$2 st msg t
	shift 2
	t=$(now_ms)
	timeout 60 "$@" >"$work/start.out" 2>&1
	st=$?
	msg=$(grep -E "$pat" "$work/start.out" | tail -1)
	if [ $st -ne 0 ] && [ $st -ne 124 ] && [ -n "$msg" ]; then
		ok "$desc: exit $st after $(($(now_ms) - t)) ms: ${msg#*] }"
	else
		nok "$desc: exit $st, output: $(tail -2 "$work/start.out" | tr '\n' ' ')"
	fi
}
dn_args=(datanode start --node-id 9 --rpc-addr 127.0.0.1:0 --metasrv-addrs 127.0.0.1:1
	--data-home "$work/bad" --config "$cfg")
expect_start_error "wrong S3 secret: the datanode refuses to start" \
	'failed to start: object store: .*startup check.*403 SignatureDoesNotMatch' \
	"$STRATA" "${dn_args[@]}" --s3-secret-access-key not-the-secret
expect_start_error "unknown S3 access key: the datanode refuses to start" \
	'failed to start: object store: .*InvalidAccessKeyId' \
	"$STRATA" "${dn_args[@]}" --s3-access-key-id NOSUCHKEY
expect_start_error "wrong S3 bucket: the datanode refuses to start" \
	'failed to start: object store: .*(NoSuchBucket|404)' \
	"$STRATA" "${dn_args[@]}" --s3-bucket no-such-bucket-here
expect_start_error "unreachable etcd: the metasrv refuses to start" \
	'failed to start: etcd metadata store at http://127.0.0.1:1 is not reachable' \
	"$STRATA" metasrv start --rpc-addr 127.0.0.1:0 --config "$cfg" --etcd-endpoints http://127.0.0.1:1
expect_start_error "bad config file: line number in the error" \
	"$work/bad.toml:2: unknown key 'bukket' in \\[storage\\]" \
	sh -c "printf '[storage]\nbukket = \"x\"\n' >'$work/bad.toml'; '$STRATA' datanode start --node-id 1 --config '$work/bad.toml'"

# ---- metasrv HA ----------------------------------------------------------------------------
IV=500
cfg=$(config ha)
MP=() DP=()
for i in 0 1 2; do MP[$i]=$(free_port) DP[$i]=$(free_port); done
METAS=127.0.0.1:${MP[0]},127.0.0.1:${MP[1]},127.0.0.1:${MP[2]}
drv() { "$DRV" --meta "$METAS" "$@"; }
start_meta() {
	"$STRATA" metasrv start --rpc-addr "127.0.0.1:${MP[$1]}" --data-home "$work/m$1" \
		--config "$cfg" --heartbeat-interval-ms $IV >>"$work/meta$1.log" 2>&1 &
	pid[m$1]=$!
}
start_dn() {
	"$STRATA" datanode start --node-id "$1" --rpc-addr "127.0.0.1:${DP[$1]}" \
		--metasrv-addrs "$METAS" --data-home "$work/dn$1" --config "$cfg" \
		--cache-path "$work/cache$1" --cache-size 64MiB \
		--heartbeat-interval-ms $IV >>"$work/dn$1.log" 2>&1 &
	pid[dn$1]=$!
}
is_leader() { "$DRV" --meta "127.0.0.1:${MP[$1]}" debug meta 2>/dev/null | grep -q '"leader":[[:space:]]*true'; }
leaders() {
	local i l=""
	for i in "$@"; do is_leader "$i" && l="$l $i"; done
	echo "${l# }"
}
for i in 0 1 2; do start_meta $i; done
for i in 0 1 2; do start_dn $i; done
if out=$(drv wait-alive 3 30000 2>&1); then
	ok "HA: 3 metasrv + 3 datanodes on s3 + etcd, datanodes ALIVE after $out ms"
else
	nok "HA: datanodes not alive: $out"
	dump_logs
fi
poll 10 test -n "$(leaders 0 1 2)"
ld=$(leaders 0 1 2)
if [ "$(wc -w <<<"$ld")" -eq 1 ]; then ok "HA: exactly one metasrv leads (metasrv $ld)"; else nok "HA: leaders: '$ld'"; fi
fol=$(((ld + 1) % 3))
out=$("$DRV" --meta "127.0.0.1:${MP[$fol]}" nodes 2>&1)
if [[ "$out" == *"UNAVAILABLE"*"is not the leader (the leader is 127.0.0.1:${MP[$ld]})"*"try another metasrv address"* ]]; then
	ok "HA: a follower metasrv refuses and names the leader"
else
	nok "HA: follower answer: $out"
fi
out=$(drv create ha 2 2>&1) && drv add-table-follower 1024 0,1,2 >/dev/null 2>&1 &&
	ok "HA: table with 2 regions and followers created: $(tr '\n' ' ' <<<"$out")" || nok "HA: create: $out"
T=1024
drv route $T >"$work/route_before.txt" 2>&1

# load: a writer (restarts after a refused write) and a follower reader
stopf=$work/stop
writer() {
	local k=1 last
	while [ ! -e "$stopf" ]; do
		"$DRV" --meta "$METAS" write $T $k $((k + 40)) >>"$work/acks.txt" 2>>"$work/writer.err"
		last=$(grep '^ack' "$work/acks.txt" | tail -1 | cut -d' ' -f2)
		[ "${last:-0}" -lt $((k + 39)) ] && sleep 0.1 # a write was refused: pause
		k=$((${last:-0} + 1))
	done
}
reader() {
	local a out r
	while [ ! -e "$stopf" ]; do
		a=$(grep -c '^ack' "$work/acks.txt")
		if out=$("$DRV" --meta "$METAS" read $T follower 2>/dev/null); then
			r=$(grep -c . <<<"$out")
			echo "read $(now_ms) $a $r" >>"$work/reads.txt"
		else
			echo "fail $(now_ms) $(tail -1 <<<"$out")" >>"$work/reads.txt"
		fi
		sleep 0.2
	done
}
: >"$work/acks.txt"
: >"$work/reads.txt"
writer &
pid[writer]=$!
reader &
pid[reader]=$!
poll 30 sh -c "[ \$(grep -c '^ack' '$work/acks.txt') -ge 200 ]"
acks_before=$(grep -c '^ack' "$work/acks.txt")
kill -9 "${pid[m$ld]}"
wait "${pid[m$ld]}" 2>/dev/null
pid[m$ld]=
tkill=$(now_ms)
others=$(for i in 0 1 2; do [ "$i" != "$ld" ] && echo "$i"; done | tr '\n' ' ')
newld=""
while [ $(($(now_ms) - tkill)) -lt 10000 ]; do
	newld=$(leaders $others)
	[ -n "$newld" ] && break
	sleep 0.1
done
took=$(($(now_ms) - tkill))
if [ -n "$newld" ] && [ $took -le 5000 ]; then
	ok "HA: leader metasrv $ld SIGKILLed under load: metasrv $newld leads after $took ms (<= 5000)"
else
	nok "HA: no new leader within 5 s (after $took ms: '$newld')"
	dump_logs
fi
if poll 20 sh -c "[ \$(grep -c '^ack' '$work/acks.txt') -ge $((acks_before + 200)) ]"; then
	ok "HA: writes acknowledged again after the failover ($acks_before before, $(grep -c '^ack' "$work/acks.txt") now)"
else
	nok "HA: writes stalled at $(grep -c '^ack' "$work/acks.txt") acks"
	tail -5 "$work/writer.err" | diag
fi
if out=$(drv wait-alive 3 15000 2>&1); then ok "HA: the new leader sees 3 datanodes ALIVE ($out ms)"; else nok "HA: new leader: $out"; fi
treads=$(now_ms)
poll 15 sh -c "awk -v t=$tkill '\$1==\"read\" && \$2>t+1000' '$work/reads.txt' | grep -q ."
touch "$stopf"
wait "${pid[writer]}" "${pid[reader]}" 2>/dev/null
pid[writer]= pid[reader]=
acked=$(grep -c '^ack' "$work/acks.txt")
if out=$(drv verify-acks $T "$work/acks.txt" 2>&1); then
	ok "HA: all $acked acknowledged rows present exactly once ($out)"
else
	nok "HA: acknowledged rows: $(tail -3 <<<"$out" | tr '\n' ' ')"
fi
nread=$(grep -c '^read' "$work/reads.txt")
nfail=$(grep -c '^fail' "$work/reads.txt")
after=$(awk -v t=$tkill '$1=="read" && $2>t' "$work/reads.txt" | wc -l)
incomplete=$(awk '$1=="read" && $4<$3' "$work/reads.txt" | wc -l)
if [ "$incomplete" -eq 0 ] && [ "$after" -ge 1 ]; then
	ok "HA: follower reads complete: $nread reads ($after after the kill), none missing an acked row; $nfail refused during the failover"
	grep '^fail' "$work/reads.txt" | head -3 | diag
else
	nok "HA: follower reads: $incomplete incomplete, $after after the kill, $nfail failed"
	awk '$1=="read" && $4<$3' "$work/reads.txt" | head -3 | diag
fi
if drv route $T 2>&1 | cmp -s - "$work/route_before.txt"; then ok "HA: routes unchanged by the failover (no metadata lost)"; else nok "HA: route changed: $(drv route $T 2>&1 | tr '\n' ' ')"; fi
if out=$(drv create ha2 1 2>&1); then ok "HA: DDL on the new leader: $(tr '\n' ' ' <<<"$out")"; else nok "HA: DDL after failover: $out"; fi
drv read $T leader >"$work/leader.txt" 2>/dev/null
if poll 10 sh -c "'$DRV' --meta '$METAS' read $T follower 2>/dev/null | cmp -s - '$work/leader.txt'"; then
	ok "HA: follower read = leader read ($(wc -l <"$work/leader.txt") rows)"
else
	nok "HA: follower read differs from the leader read"
fi
cached=$(find "$work"/cache0 "$work"/cache1 "$work"/cache2 -name '*.sst' 2>/dev/null | wc -l)
drv flush $T >/dev/null 2>&1
cached2=$(find "$work"/cache0 "$work"/cache1 "$work"/cache2 -name '*.sst' 2>/dev/null | wc -l)
if [ "$cached2" -ge 1 ] && [ "$cached2" -ge "$cached" ]; then
	ok "HA: SSTs land in the datanodes' local caches ($cached2 cached files)"
else
	nok "HA: no SST in the local caches ($cached -> $cached2)"
fi

# ---- radosgw stopped for 10 s under write load --------------------------------------------
rgwpid=$(cat "$rgwdir/run/client.rgw.local.pid" 2>/dev/null)
drv flush $T >/dev/null 2>&1
lapsed0=$(cat "$work"/dn*.log | grep -c 'lease expired')
if [ -n "$rgwpid" ] && kill -STOP "$rgwpid"; then
	tstop=$(now_ms)
	"$DRV" --meta "$METAS" flush $T >"$work/flush1.txt" 2>&1 &
	fpid=$!
	timeout 9 "$DRV" --meta "$METAS" write $T 3000000 3000150 >"$work/acks_s3.txt" 2>&1
	nack=$(grep -c '^ack' "$work/acks_s3.txt")
	while [ $(($(now_ms) - tstop)) -lt 10000 ]; do sleep 0.1; done
	kill -CONT "$rgwpid"
	if [ "$nack" -eq 150 ]; then
		ok "S3 frozen 10 s: all 150 writes acknowledged meanwhile (WAL + memtable)"
	else
		nok "S3 frozen: $nack of 150 writes acknowledged: $(tail -1 "$work/acks_s3.txt")"
	fi
	wait $fpid
	fst=$?
	if [ $fst -eq 0 ] || drv flush $T >>"$work/flush1.txt" 2>&1; then
		ok "S3 back: the flush went through (exit $fst while frozen, retried within its deadline or again)"
	else
		nok "S3 back: flush fails: $(tail -1 "$work/flush1.txt")"
	fi
	if poll 15 drv verify-acks $T "$work/acks_s3.txt"; then
		ok "S3 back: every row written while frozen is present once ($(drv verify-acks $T "$work/acks_s3.txt" 2>&1))"
	else
		nok "S3 back: $(drv verify-acks $T "$work/acks_s3.txt" 2>&1 | tail -2 | tr '\n' ' ')"
	fi
	if [ "$(cat "$work"/dn*.log | grep -c 'lease expired')" -ne "$lapsed0" ]; then
		nok "S3 frozen: heartbeats stalled and leases lapsed ($(grep -h 'lease expired' "$work"/dn*.log | tail -1))"
	else
		ok "S3 frozen: heartbeats went on, no leader lost its lease"
	fi
	poll 10 drv read $T leader
	drv read $T leader >"$work/leader.txt" 2>/dev/null
	if poll 15 sh -c "'$DRV' --meta '$METAS' read $T follower 2>/dev/null | cmp -s - '$work/leader.txt'"; then
		ok "S3 back: manifests intact, follower read = leader read ($(wc -l <"$work/leader.txt") rows)"
	else
		nok "S3 back: follower read differs from the leader read"
	fi
else
	nok "radosgw pid not found in $rgwdir/run"
fi

# ---- one etcd member dies ---------------------------------------------------------------
IFS=, read -r -a epids <<<"$STRATA_ETCD_PIDS"
kill -9 "${epids[0]}" 2>/dev/null
ok "etcd member 1 (pid ${epids[0]}) SIGKILLed"
if out=$(drv write $T 2000000 2000100 2>&1); then ok "etcd 2/3: writes go on ($(tail -1 <<<"$out"))"; else nok "etcd 2/3: write: $(tail -1 <<<"$out")"; fi
if out=$(drv create ha3 2 2>&1); then ok "etcd 2/3: DDL goes on (the metadata store answers)"; else nok "etcd 2/3: create: $out"; fi
drv read $T leader >"$work/leader.txt" 2>/dev/null
if poll 10 sh -c "'$DRV' --meta '$METAS' read $T follower 2>/dev/null | cmp -s - '$work/leader.txt'" &&
	[ "$(wc -l <"$work/leader.txt")" -ge 101 ]; then
	ok "etcd 2/3: follower read = leader read ($(wc -l <"$work/leader.txt") rows)"
else
	nok "etcd 2/3: follower read differs"
fi
if out=$(drv wait-alive 3 10000 2>&1); then ok "etcd 2/3: heartbeats go on, 3 datanodes ALIVE"; else nok "etcd 2/3: $out"; fi
clean=1
for p in dn0 dn1 dn2 m0 m1 m2; do
	[ -n "${pid[$p]:-}" ] || continue
	kill -TERM "${pid[$p]}"
	if ! wait "${pid[$p]}"; then clean=0; echo "# $p exited with $?"; fi
	pid[$p]=
done
if [ $clean -eq 1 ] && ! grep -l 'Sanitizer' "$work"/*.log >/dev/null 2>&1; then
	ok "HA: every process stopped cleanly (exit 0, no sanitizer report)"
else
	nok "HA: unclean shutdown"
	grep -h -A5 'Sanitizer' "$work"/*.log | head -20 | diag
fi

# ---- strata cluster start --config ---------------------------------------------------------
cfg=$(config cstart)
# every port the cluster listens on is passed: metasrv, datanodes base+1, base+2, frontend
CMP=$(free_ports 6)
"$STRATA" cluster start --datanodes 2 --data-home "$work/c" --heartbeat-interval-ms 300 \
	--metasrv-port $CMP --datanode-base-port $((CMP + 1)) --http-port $((CMP + 3)) \
	--mysql-port $((CMP + 4)) --postgres-port $((CMP + 5)) --log-dir "$work/clogs" --config "$cfg" \
	>>"$work/cluster.log" 2>&1 &
pid[cluster]=$!
CM=127.0.0.1:$CMP
if "$DRV" --meta $CM wait-alive 2 30000 >/dev/null 2>&1 && "$DRV" --meta $CM create cs 1 >/dev/null 2>&1 &&
	"$DRV" --meta $CM write 1024 1 50 >/dev/null 2>&1 && "$DRV" --meta $CM flush 1024 >/dev/null 2>&1 &&
	[ "$("$DRV" --meta $CM read 1024 leader 2>/dev/null | wc -l)" -eq 49 ] &&
	grep -q 's3 object store' "$work"/clogs/datanode0.log && [ ! -d "$work/c/shared/data" ]; then
	ok "cluster start --config: children on s3 + etcd; table created, 49 rows written, flushed and read"
else
	nok "cluster start --config"
	for f in "$work"/clogs/*.log; do tail -5 "$f" | diag; done
fi
kill -TERM "${pid[cluster]}"
if wait "${pid[cluster]}"; then ok "cluster start: SIGTERM stops every child, exit 0"; else nok "cluster start: exit $?"; fi
pid[cluster]=
[ $fails -ne 0 ] && dump_logs
finish
[ $fails -eq 0 ]
