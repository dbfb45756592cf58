#!/usr/bin/env bash
# One TSBS cpu-only side-by-side run: Strata vs InfluxDB 1.6, VictoriaMetrics, PostgreSQL 15,
# all on loopback on this machine. Prints one JSON line per step and stores them in
# $WORK/results.jsonl. Every server started here is stopped on exit, even on failure.
#   HOSTS=100 HOURS=12 RUNS=10 bench/tsbs_run.sh
# Requires make build, the peers (see bench/peers.sh) and /usr/bin/python3 with pymysql +
# psycopg2. Not part of make test.
set -euo pipefail
cd "$(dirname "$0")/.."
export WORK=${WORK:-/tmp/strata-tsbs}
HOSTS=${HOSTS:-100}
HOURS=${HOURS:-12}
RUNS=${RUNS:-10}
INSERT_CAP_S=${INSERT_CAP_S:-90}
PY=/usr/bin/python3
G=bench/tsbs_gen.py
PEERS=bench/peers.sh

cleanup() {
  for p in strata influx vm pg; do $PEERS stop $p || true; done
}
trap cleanup EXIT INT TERM

mkdir -p "$WORK"
OUT=$WORK/results.jsonl
: > "$OUT"
log() { echo "$1" | tee -a "$OUT"; }

echo "== $(date -u +%FT%TZ) $(nproc) cores; scale $HOSTS hosts x $HOURS h @10 s"
DATA=$WORK/cpu_${HOSTS}x${HOURS}.lp
[ -s "$DATA" ] || log "$($PY $G gen --hosts "$HOSTS" --hours "$HOURS" --out "$DATA")"

for p in strata influx vm pg; do $PEERS start $p; done

echo "== line protocol over HTTP, 5000-line batches, 2 clients"
log "$($PY $G lp --file "$DATA" --url 'http://127.0.0.1:24000/v1/influxdb/write?db=public&precision=ms')"
log "$($PY $G lp --file "$DATA" --url 'http://127.0.0.1:8428/write?precision=ms')"
curl -s http://127.0.0.1:8428/internal/force_flush >/dev/null
log "$($PY $G lp --file "$DATA" --url 'http://127.0.0.1:8086/write?db=benchmark&precision=ms')"

echo "== multi-row INSERT, 1000 rows/statement, 1 client, autocommit"
log "$($PY $G insert --file "$DATA" --proto pg --port 5433 --db benchmark --table cpu --cap-s "$INSERT_CAP_S")"
psql -h 127.0.0.1 -p 5433 -U postgres -d benchmark -qc 'VACUUM ANALYZE cpu'
log "$($PY $G insert --file "$DATA" --proto mysql --port 24002 --table cpu_my --strata --cap-s "$INSERT_CAP_S")"
log "$($PY $G insert --file "$DATA" --proto pg --port 24003 --table cpu_pg --strata --cap-s "$INSERT_CAP_S")"

echo "== queries: median of $RUNS runs after 1 warm-up"
sleep 2 # VictoriaMetrics: make the flushed rows searchable
mkdir -p "$WORK"/dump
for s in strata pg influx vm; do
  case $s in strata) port=24003 db=public ;; pg) port=5433 db=benchmark ;;
             influx) port=8086 db=benchmark ;; vm) port=8428 db=x ;; esac
  log "$($PY $G query --system $s --port $port --db $db --hosts "$HOSTS" --hours "$HOURS" \
        --runs "$RUNS" --dump "$WORK"/dump)"
done
log "$($PY $G check --dump "$WORK"/dump)"

# The queries above read Strata's active memtable (nothing was flushed yet). Peers answer
# from their persisted storage, so Strata is timed a second time with every row in SSTs.
echo "== Strata again after ADMIN FLUSH_TABLE('cpu'): every row in Parquet SSTs"
psql -h 127.0.0.1 -p 24003 -d public -qAtc "ADMIN FLUSH_TABLE('cpu')" >/dev/null
mkdir -p "$WORK"/dump_flushed
cp "$WORK"/dump/pg.json "$WORK"/dump_flushed/
log "$($PY $G query --system strata --port 24003 --db public --hosts "$HOSTS" --hours "$HOURS" \
      --runs "$RUNS" --dump "$WORK"/dump_flushed | sed 's/"system": "strata"/"system": "strata-flushed"/')"
log "$($PY $G check --dump "$WORK"/dump_flushed)"
du -sh "$WORK"/strata/data "$WORK"/vm/data "$WORK"/influxdb/data "$WORK"/pg/primary 2>/dev/null || true
echo "== done; results in $OUT"
