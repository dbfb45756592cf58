#!/usr/bin/env bash
# Start/stop the peer databases (InfluxDB 1.6, VictoriaMetrics, PostgreSQL 15) and Strata on
# loopback for the TSBS side-by-side benchmark. Fresh data dir under $WORK per start.
#   peers.sh start influx|vm|pg|strata      (prints "<name> pid <pid> listens on: ...")
#   peers.sh stop  influx|vm|pg|strata      (stops by the recorded PID; no-op if not running)
# Ports: influx 8086/8088, vm 8428, pg 5433, strata mysql 24002 / pg 24003 / http 24000.
# Requires: apt-get install -y influxdb influxdb-client victoria-metrics; PostgreSQL 15.
set -euo pipefail
WORK=${WORK:-/tmp/strata-tsbs}
STRATA=${STRATA:-$(cd "$(dirname "$0")/.." && pwd)/build/strata}
PGBIN=/usr/lib/postgresql/15/bin

wait_port() { # port, seconds
  for _ in $(seq 1 $(($2 * 10))); do
    ss -ltn "sport = :$1" | grep -q LISTEN && return 0
    sleep 0.1
  done
  echo "port $1 not listening after $2 s" >&2
  return 1
}

check_loopback() { # name pid
  local pids addrs
  pids=$( (echo "$2"; pgrep -P "$2" || true) )
  addrs=$(ss -ltnpH | grep -E "pid=($(echo "$pids" | paste -sd'|'))," | awk '{print $4}' | sort -u)
  echo "$1 pid $2 listens on: $(echo "$addrs" | paste -sd' ')"
  if echo "$addrs" | grep -vqE '^127\.0\.0\.1:'; then
    echo "$1 listens beyond loopback - aborting" >&2
    return 1
  fi
}

stop_pid() { # file
  [ -f "$1" ] || return 0
  local p; p=$(cat "$1")
  if kill -0 "$p" 2>/dev/null; then
    kill "$p"
    for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p"
  fi
  rm -f "$1"
}

start() {
  case $1 in
  influx)
    D=$WORK/influxdb; rm -rf "$D"; mkdir -p "$D"/meta "$D"/data "$D"/wal
    cat > "$D"/influxdb.conf <<EOF
reporting-enabled = false
bind-address = "127.0.0.1:8088"
[meta]
  dir = "$D/meta"
[data]
  dir = "$D/data"
  wal-dir = "$D/wal"
  index-version = "inmem"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:8086"
  log-enabled = false
  pprof-enabled = false
[continuous_queries]
  enabled = false
EOF
    nohup influxd -config "$D"/influxdb.conf > "$D"/influxd.log 2>&1 & echo $! > "$D"/pid
    until curl -s -o /dev/null http://127.0.0.1:8086/ping; do sleep 0.1; done
    curl -sS -XPOST http://127.0.0.1:8086/query --data-urlencode 'q=CREATE DATABASE benchmark' >/dev/null
    check_loopback influxd "$(cat "$D"/pid)" ;;
  vm)
    D=$WORK/vm; rm -rf "$D"; mkdir -p "$D"
    nohup victoria-metrics -httpListenAddr=127.0.0.1:8428 -storageDataPath="$D"/data \
      -retentionPeriod=100y -loggerLevel=WARN > "$D"/vm.log 2>&1 & echo $! > "$D"/pid
    until curl -s -o /dev/null http://127.0.0.1:8428/health; do sleep 0.1; done
    check_loopback victoria-metrics "$(cat "$D"/pid)" ;;
  pg)
    P=$WORK/pg; rm -rf "$P"; mkdir -p "$P"; chown postgres:postgres "$P"
    su postgres -s /bin/bash -c "$PGBIN/initdb -D $P/primary -A trust -U postgres -E UTF8 --no-sync" >/dev/null
    cat >> "$P"/primary/postgresql.conf <<EOF
listen_addresses = '127.0.0.1'
port = 5433
unix_socket_directories = '$P'
shared_buffers = 2GB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 8GB
checkpoint_timeout = 15min
synchronous_commit = on
timezone = 'UTC'
jit = off
EOF
    su postgres -s /bin/bash -c "$PGBIN/pg_ctl -D $P/primary -l $P/primary.log -w -t 60 start" >/dev/null
    head -1 "$P"/primary/postmaster.pid > "$P"/pid
    psql -h 127.0.0.1 -p 5433 -U postgres -d postgres -qc 'CREATE DATABASE benchmark'
    check_loopback postgres "$(cat "$P"/pid)" ;;
  strata)
    D=$WORK/strata; rm -rf "$D"; mkdir -p "$D"
    nohup "$STRATA" standalone start --data-home "$D"/data --mysql-addr 127.0.0.1:24002 \
      --postgres-addr 127.0.0.1:24003 --http-addr 127.0.0.1:24000 > "$D"/strata.log 2>&1 &
    echo $! > "$D"/pid
    wait_port 24000 30; wait_port 24003 30
    check_loopback strata "$(cat "$D"/pid)" ;;
  *) echo "unknown peer $1" >&2; return 2 ;;
  esac
}

stop() {
  case $1 in
  influx) stop_pid "$WORK"/influxdb/pid ;;
  vm) stop_pid "$WORK"/vm/pid ;;
  strata) stop_pid "$WORK"/strata/pid ;;
  pg)
    if [ -f "$WORK"/pg/pid ] || [ -f "$WORK"/pg/primary/postmaster.pid ]; then
      su postgres -s /bin/bash -c "$PGBIN/pg_ctl -D $WORK/pg/primary -m fast -w stop" >/dev/null || true
      stop_pid "$WORK"/pg/pid
    fi ;;
  *) echo "unknown peer $1" >&2; return 2 ;;
  esac
}

mkdir -p "$WORK"
"$1" "$2"
