#!/usr/bin/env bash
# Read-replica benchmarks (issue: cluster): one metasrv and three datanodes on
# loopback, datanode 0 (leaders) pinned to core 0 and datanode 1 (followers)
# to core 1 with taskset (the metasrv and datanode 2 too); bench/replica_bench.c does the measuring.
#   (1) write-ack -> visible on a follower: memtable fetch vs SST-only
#   (2) read/write separation: leader ingest alone, with heavy full-table
#       reads on the leader, with the same reads on the follower
#   (3) ADD follower time on a table of 1x and 10x data, against
#       pg_basebackup of the same rows into a PostgreSQL 15 standby
# Prints result lines; record them in bench/RESULTS.md. Not part of make test.
#   ROWS=100000 SEP_ROWS=300000 SECONDS_EACH=5 ROUNDS=3 bench/replica_bench.sh
# Needs make build; PostgreSQL 15 (apt-get install -y postgresql-15) for (3).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${STRATA_BUILD:-build}
STRATA=$B/strata
RB=$B/bench/replica_bench
ROWS=${ROWS:-100000}
SEP_ROWS=${SEP_ROWS:-300000}
SECS=${SECONDS_EACH:-5}
ROUNDS=${ROUNDS:-3}
# The reading clients stand in for remote clients: in a deployment they run on
# other machines. Here they share core 1 with the follower, and at normal
# priority they delay the kernel work (softirq, I/O completion) the leader's
# WAL sync waits for; READER_NICE=0 measures that too.
READER_NICE=${READER_NICE:-19}
IV=${HEARTBEAT_MS:-500}
work=$(mktemp -d /tmp/strata-replica-bench-XXXXXX)
chmod 755 "$work" # the postgres user writes under it
pids=()
PGBIN=/usr/lib/postgresql/15/bin
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -f "$work/pg/primary/postmaster.pid" ]; then
		su postgres -s /bin/bash -c "$PGBIN/pg_ctl -D $work/pg/primary -m fast -w stop" >/dev/null 2>&1 || true
	fi
	[ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT INT TERM
. tests/suites/lib/ports.sh
META=127.0.0.1:$(free_port)
rb() { "$RB" --meta "$META" "$@"; }

echo "== $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), heartbeat ${IV} ms, commit $(git rev-parse --short HEAD)"
# Everything but the leader datanode and its ingest client runs on core 1, so
# that nothing of ours competes with the leader for core 0.
taskset -c 1 "$STRATA" metasrv start --rpc-addr "$META" --data-home "$work/meta" --heartbeat-interval-ms "$IV" >"$work/meta.log" 2>&1 &
pids+=($!)
for i in 0 1 2; do
	pin=(taskset -c 1)
	[ $i -eq 0 ] && pin=(taskset -c 0)
	"${pin[@]}" "$STRATA" datanode start --node-id $i --rpc-addr "127.0.0.1:$(free_port)" \
		--metasrv-addrs "$META" --data-home "$work/dn$i" --store-root "$work/shared" \
		--heartbeat-interval-ms "$IV" >"$work/dn$i.log" 2>&1 &
	pids+=($!)
done
"$B/tests/tools/cluster_driver" --meta "$META" wait-alive 3 20000 >/dev/null

echo "== (1) write-ack -> visible on the follower (50 samples each)"
rb visibility --samples 50

echo "== (2) read/write separation: ingest into rb_ing (1,000-row batches, ${SECS} s per phase, $ROUNDS rounds) while"
echo "   2 clients read all of rb_sep (${SEP_ROWS} rows, flushed) in a loop; both leaders on datanode 0"
echo "   (core 0: datanode 0 + the ingest client; core 1: the metasrv, datanodes 1 (followers) and 2, the reading clients at nice $READER_NICE)"
rb load --table rb_sep --rows "$SEP_ROWS"
rb load --table rb_ing --rows 1000 >/dev/null
# phases interleaved over ROUNDS rounds (ingest speed drifts with memtable flushes and
# the machine's load: the median per condition is the result)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system, 1/100 s
phase() { # none|leader|follower
	local q=() c0 c1
	c0=$(cpu_ticks "${pids[1]}")
	c1=$(cpu_ticks "${pids[2]}")
	if [ "$1" != none ]; then
		nice -n "$READER_NICE" taskset -c 1 "$RB" --meta "$META" query --table rb_sep --pref "$1" --seconds "$SECS" >"$work/q1" &
		q+=($!)
		nice -n "$READER_NICE" taskset -c 1 "$RB" --meta "$META" query --table rb_sep --pref "$1" --seconds "$SECS" >"$work/q2" &
		q+=($!)
	fi
	taskset -c 0 "$RB" --meta "$META" ingest --table rb_ing --seconds "$SECS" >"$work/ing"
	[ ${#q[@]} -gt 0 ] && wait "${q[@]}"
	local r
	r=$(sed -n 's/.*rows_per_s \([0-9]*\).*/\1/p' "$work/ing")
	echo "$r" >>"$work/rate-$1"
	local reads=""
	[ "$1" != none ] && reads=" ($(cat "$work/q1" "$work/q2" | awk '{q+=$5; f+=$9} END {print q" reads, "f" served by followers"}'))"
	echo "round $2, readers: $1: ingest $r rows/s$reads; CPU s: datanode 0 (leaders)" \
		"$(awk -v a="$c0" -v b="$(cpu_ticks "${pids[1]}")" 'BEGIN {printf "%.2f", (b - a) / 100}')," \
		"datanode 1 (followers) $(awk -v a="$c1" -v b="$(cpu_ticks "${pids[2]}")" 'BEGIN {printf "%.2f", (b - a) / 100}')"
}
for round in $(seq 1 "$ROUNDS"); do
	for cond in none leader follower; do phase $cond "$round"; done
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
base=$(median "$work/rate-none")
for cond in none leader follower; do
	m=$(median "$work/rate-$cond")
	echo "median ingest with readers: $cond: $m rows/s = $((m * 100 / base)) % of no readers"
done

echo "== (3) add a follower: 1x and 10x data"
rb add-follower --table rb_add1 --rows "$ROWS"
rb add-follower --table rb_add10 --rows $((ROWS * 10))

if [ -x "$PGBIN/pg_basebackup" ]; then
	echo "== (3) pg_basebackup of the same rows into a standby (PostgreSQL 15)"
	P=$work/pg
	mkdir -p "$P"
	chown postgres:postgres "$P"
	su postgres -s /bin/bash -c "$PGBIN/initdb -D $P/primary -A trust -U postgres -E UTF8 --no-sync" >/dev/null
	PORT=$(free_port)
	cat >>"$P/primary/postgresql.conf" <<PGCONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$P'
wal_level = replica
max_wal_senders = 5
synchronous_commit = on
PGCONF
	su postgres -s /bin/bash -c "$PGBIN/pg_ctl -D $P/primary -l $P/primary.log -w -t 60 start" >/dev/null
	for mult in 1 10; do
		n=$((ROWS * mult))
		psql -h 127.0.0.1 -p "$PORT" -U postgres -qc "DROP TABLE IF EXISTS rb; CREATE TABLE rb (ts timestamp, host text, v double precision); INSERT INTO rb SELECT to_timestamp((k/100)*10), 'host_'||(k%100), k*0.5 FROM generate_series(0,$n-1) k; CREATE INDEX ON rb (host, ts); CHECKPOINT;"
		size=$(psql -h 127.0.0.1 -p "$PORT" -U postgres -Atc "SELECT pg_size_pretty(pg_database_size('postgres'))")
		rm -rf "$P/standby$mult"
		t0=$(date +%s%N)
		su postgres -s /bin/bash -c "$PGBIN/pg_basebackup -h 127.0.0.1 -p $PORT -U postgres -D $P/standby$mult -R -X stream -c fast"
		t1=$(date +%s%N)
		echo "pg_basebackup rows $n database $size ms $(((t1 - t0) / 1000000))"
		rm -rf "$P/standby$mult"
	done
else
	echo "== (3) pg_basebackup skipped: PostgreSQL 15 not installed"
fi
