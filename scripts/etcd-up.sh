#!/usr/bin/env bash
# Start a 1-member or 3-member etcd cluster on loopback for the metadata
# store tests (see the test infrastructure notes, section 1).
#
#   scripts/etcd-up.sh [DIR [MEMBERS]]
#       DIR      defaults to $STRATA_ETCD_DIR or /tmp/strata-etcd
#       MEMBERS  1 (default, or $ETCD_MEMBERS) or 3
#
# Prints shell assignments on stdout (eval them) once every member answers a
# linearizable read (so the cluster has a raft leader):
#   STRATA_ETCD_DIR=DIR
#   STRATA_ETCD_ENDPOINTS=http://127.0.0.1:P1[,http://127.0.0.1:P2,...]
#   STRATA_ETCD_PIDS=PID1[,PID2,...]          (same order as the endpoints)
# Progress and errors go to stderr. On failure it dumps the members' log
# tails, stops what it started (scripts/etcd-down.sh) and exits non-zero.
#
# Layout of DIR: nI.etcd/ (data dir), nI.log, nI.pid, nI.cmd (the exact
# command line, one argument per line, for restarting member I), endpoints.
# Ports: free ports picked at random in 30000-39999 (several engineers share
# the machine), two per member (client, peer). Fast raft settings
# (--heartbeat-interval 50 --election-timeout 500) make failover quick
# enough for tests; the minimum lease TTL becomes 1 s.
# Needs: apt-get install -y etcd-server etcd-client curl
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
D=${1:-${STRATA_ETCD_DIR:-/tmp/strata-etcd}}
N=${2:-${ETCD_MEMBERS:-1}}
T0=$(date +%s.%N)

say() { echo "etcd-up: $*" >&2; }
case "$N" in 1 | 3) ;; *)
	say "MEMBERS must be 1 or 3, not '$N'"
	exit 2
	;;
esac
for b in etcd curl timeout; do
	command -v "$b" >/dev/null || {
		say "$b not found; apt-get install -y etcd-server etcd-client curl"
		exit 2
	}
done

port_free() { # nothing listens on 127.0.0.1:$1 (ss from iproute2 when present)
	if command -v ss >/dev/null; then
		! ss -ltnH "sport = :$1" 2>/dev/null | grep -q .
	else
		! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}
taken=" "
pick_port() {
	local p i
	for i in $(seq 1 100); do
		p=$((30000 + RANDOM % 10000))
		case "$taken" in *" $p "*) continue ;; esac
		if port_free "$p"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

fail() {
	say "FAILED: $*"
	for f in "$D"/n*.log; do
		[ -f "$f" ] || continue
		say "--- tail $f"
		tail -n 20 "$f" >&2 || true
	done
	"$here/etcd-down.sh" "$D" >&2 || true
	exit 1
}

# One start on fresh ports. Returns 0 when every member serves a
# linearizable read (so there is a raft leader), 1 when a member exited
# because its port was taken meanwhile (the caller retries), else fails.
start_once() {
	local i c p e out deadline cluster="" token
	# A previous cluster in the same folder is stopped first (idempotent start).
	"$here/etcd-down.sh" "$D" >/dev/null 2>&1 || true
	rm -rf "$D"
	mkdir -p "$D"
	D=$(cd "$D" && pwd)
	cports=()
	pports=()
	taken=" "
	for i in $(seq 1 "$N"); do
		cports+=("$(pick_port)")
		taken="$taken${cports[-1]} "
		pports+=("$(pick_port)")
		taken="$taken${pports[-1]} "
		cluster="${cluster:+$cluster,}n$i=http://127.0.0.1:${pports[-1]}"
	done
	token="strata-$$-$RANDOM"
	endpoints=""
	pids=""
	for i in $(seq 1 "$N"); do
		c=${cports[$((i - 1))]}
		p=${pports[$((i - 1))]}
		cmd=(etcd --name "n$i" --data-dir "$D/n$i.etcd"
			--listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c"
			--listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p"
			--initial-cluster "$cluster" --initial-cluster-token "$token" --initial-cluster-state new
			--heartbeat-interval 50 --election-timeout 500)
		printf '%s\n' "${cmd[@]}" >"$D/n$i.cmd"
		"${cmd[@]}" </dev/null >"$D/n$i.log" 2>&1 &
		echo $! >"$D/n$i.pid"
		endpoints="${endpoints:+$endpoints,}http://127.0.0.1:$c"
		pids="${pids:+$pids,}$!"
	done
	echo "$endpoints" >"$D/endpoints"

	deadline=$(($(date +%s) + 30))
	for i in $(seq 1 "$N"); do
		e="http://127.0.0.1:${cports[$((i - 1))]}"
		while :; do
			out=$(curl -s -m 2 -X POST "$e/v3/kv/range" -d '{"key":"AA=="}' 2>/dev/null || true)
			case "$out" in *'"header"'*) break ;; esac
			if ! kill -0 "$(cat "$D/n$i.pid")" 2>/dev/null; then
				grep -q "address already in use" "$D/n$i.log" && return 1
				fail "member n$i exited"
			fi
			[ "$(date +%s)" -lt "$deadline" ] || fail "member n$i at $e not ready after 30 s: $out"
			sleep 0.1
		done
	done
	return 0
}

for attempt in 1 2 3; do
	start_once && break
	[ "$attempt" -lt 3 ] || fail "ports kept being taken"
	say "a port was taken meanwhile; retrying on other ports"
done

say "etcd $N-member cluster up at $endpoints in $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s (dir $D)"
cat <<EOF
STRATA_ETCD_DIR=$D
STRATA_ETCD_ENDPOINTS=$endpoints
STRATA_ETCD_PIDS=$pids
EOF
