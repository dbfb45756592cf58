#!/usr/bin/env bash
# cluster_consistency: "fresh and identical" on a real cluster - one metasrv
# and three datanodes (heartbeat 200 ms, one shared fs object store), a
# 2-region table with two followers per region, and for a bounded time
# concurrent writers, flushes and compactions on the leaders, and follower
# reads (tests/tools/cluster_consistency.c states the invariants). Every
# follower answer must contain every row acknowledged before the query
# started exactly once and nothing never written; at the quiescent point
# every follower's answer must equal its leader's. Prints TAP.
#
# STRATA_CLUSTER_ARGS (word-split) is appended to the metasrv and datanode
# command lines (e.g. "--config s3-etcd.toml"; cluster_backends.sh).
# CONSISTENCY_SECONDS (default 25) bounds the run; the number of follower
# queries it made is printed and must be at least CONSISTENCY_MIN_QUERIES
# (default 300) so a slow machine cannot pass vacuously.
set -u
cd "$(dirname "$0")/../.."
. tests/suites/lib/cluster.sh
B=${STRATA_BUILD:-build}
STRATA=$B/strata
DRV=$B/tests/tools/cluster_driver
CHK=$B/tests/tools/cluster_consistency
SECS=${CONSISTENCY_SECONDS:-25}
MINQ=${CONSISTENCY_MIN_QUERIES:-300}
IV=200
work=$(mktemp -d /tmp/strata-consistency-XXXXXX)
declare -A pid
n=0

MP=$(free_port)
META=127.0.0.1:$MP
trap cluster_cleanup EXIT
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	for f in "$work"/*.log; do
		echo "# ---- $(basename "$f") (last 20 lines) ----"
		tail -20 "$f" | sed 's/^/#   /'
	done
}

start_metasrv
for i in 0 1 2; do
	DP[$i]=$(free_port)
	start_datanode $i
done
if "$DRV" --meta "$META" wait-alive 3 20000 >/dev/null 2>&1; then
	ok "3 datanodes ALIVE"
else
	not_ok "3 datanodes ALIVE"
	echo "1..$n"
	exit 0
fi

"$CHK" --meta "$META" --seconds "$SECS" --writers 2 --readers 2 --keys 2000 >"$work/out.txt" 2>&1
rc=$?
grep '^#' "$work/out.txt" | tail -8
last=$(grep -E '^(queries|error)' "$work/out.txt" | tail -1)
q=$(sed -n 's/^queries \([0-9]*\) .*/\1/p' <<<"$last")
v=$(sed -n 's/.* violations \([0-9]*\) .*/\1/p' <<<"$last")
if [ $rc -eq 0 ] && [ "${v:-x}" = 0 ]; then
	ok "follower answers fresh and exactly-once under writes, flushes and compactions: $last"
else
	not_ok "consistency (rc $rc): ${last:-no summary} $(grep VIOLATION "$work/out.txt" | head -5 | tr '\n' ' ')"
fi
if [ -n "$q" ] && [ "$q" -ge "$MINQ" ]; then
	ok "enough follower queries checked: $q (minimum $MINQ)"
else
	not_ok "too few follower queries checked: ${q:-0} (minimum $MINQ)"
fi
grep -q "identical yes" <<<"$last" && ok "quiescent point: every follower answer equals its leader's" || not_ok "quiescent comparison: $last"

stop_cluster_checked dn0 dn1 dn2 meta
echo "1..$n"
