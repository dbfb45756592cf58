#!/usr/bin/env bash
# S3 benchmarks (issue: S3 and etcd): a metasrv and two datanodes on loopback
# with the object store on a one-node Ceph radosgw (memstore OSD, loopback)
# versus the fs object store; bench/replica_bench.c measures.
#   (1) ingest + flush of ROWS rows into one region (leader on datanode 0):
#       fs vs s3
#   (2) follower scan of a table of ROWS rows on datanode 1 (local SST disk
#       cache configured): cold (nothing cached: every SST fetched from S3),
#       hot (the in-process SST cache), warm (after a restart of datanode 1:
#       the disk cache only), and cold again after a restart with the cache
#       folder wiped.
# Prints result lines; record them in bench/RESULTS.md. Not part of make test.
#   ROWS=1000000 bench/s3_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
B=${STRATA_BUILD:-build}
STRATA=$B/strata
RB=$B/bench/replica_bench
DRV=$B/tests/tools/cluster_driver
ROWS=${ROWS:-1000000}
IV=500
work=$(mktemp -d /tmp/strata-s3-bench-XXXXXX)
declare -A pid
. tests/suites/lib/backends.sh
cleanup() {
	for p in "${pid[@]}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${STRATA_RGW_DIR:-}" ] && scripts/rgw-down.sh "$STRATA_RGW_DIR" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
. tests/suites/lib/ports.sh

start_cluster() { # name store-args...
	local name=$1
	shift
	META=127.0.0.1:$(free_port)
	"$STRATA" metasrv start --rpc-addr "$META" --data-home "$work/$name/meta" \
		--heartbeat-interval-ms $IV >"$work/$name-meta.log" 2>&1 &
	pid[meta]=$!
	STORE_ARGS=("$@")
	for i in 0 1; do start_dn "$name" $i; done
	"$DRV" --meta "$META" wait-alive 2 30000 >/dev/null
}
start_dn() { # cluster-name id
	local extra=()
	[ "$2" = 1 ] && extra=(--cache-path "$work/$1/cache1" --cache-size 2GiB)
	DP[$2]=${DP[$2]:-$(free_port)}
	"$STRATA" datanode start --node-id "$2" --rpc-addr "127.0.0.1:${DP[$2]}" \
		--metasrv-addrs "$META" --data-home "$work/$1/dn$2" --heartbeat-interval-ms $IV \
		"${STORE_ARGS[@]}" "${extra[@]}" >>"$work/$1-dn$2.log" 2>&1 &
	pid[dn$2]=$!
}
stop_cluster() {
	for p in dn0 dn1 meta; do
		kill -TERM "${pid[$p]}" 2>/dev/null || true
		wait "${pid[$p]}" 2>/dev/null || true
		pid[$p]=
	done
	DP=()
}
restart_dn1() { # cluster-name
	kill -TERM "${pid[dn1]}"
	wait "${pid[dn1]}" || true
	start_dn "$1" 1
}
rb() { "$RB" --meta "$META" "$@"; }

echo "== $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD), $ROWS rows"
backends_rgw_up "$work/rgw" strata-bench "$work/rgw.err" || { cat "$work/rgw.err"; exit 1; }
S3=(--store-type s3 --s3-bucket "$STRATA_S3_BUCKET" --s3-endpoint "$STRATA_S3_ENDPOINT"
	--s3-region "$STRATA_S3_REGION" --s3-access-key-id "$STRATA_S3_ACCESS_KEY_ID"
	--s3-secret-access-key "$STRATA_S3_SECRET_ACCESS_KEY" --s3-root bench)

echo "== (1) ingest + flush, one region"
declare -a DP
start_cluster fs --store-root "$work/fs/shared"
rb load --table ing --rows "$ROWS" | sed 's/^/fs: /'
stop_cluster
start_cluster s3 "${S3[@]}"
rb load --table ing --rows "$ROWS" | sed 's/^/s3: /'

echo "== (2) follower scans on datanode 1 (s3, local SST disk cache)"
rb add-follower --table scan1 --rows "$ROWS" | sed -e 's/^loaded/  setup: loaded/' \
	-e 's/^add_follower/cold from s3 (a new follower: ready = a one-timestamp read, then one full read): add_follower/'
rb scan --table scan1 --node 1 --repeat 3 | sed 's/^/hot (in-process cache): /'
restart_dn1 s3
rb scan --table scan1 --node 1 --repeat 2 | sed 's/^/after restart, disk cache warm: /'
echo "disk cache: $(du -sh "$work/s3/cache1" | cut -f1)"
kill -TERM "${pid[dn1]}"
wait "${pid[dn1]}" || true
rm -rf "$work/s3/cache1"
start_dn s3 1
rb scan --table scan1 --node 1 --repeat 1 | sed 's/^/after restart, cache wiped (cold from s3): /'
stop_cluster
