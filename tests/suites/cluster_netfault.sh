#!/usr/bin/env bash
# cluster_netfault: network faults between Strata processes. A metasrv and
# three datanodes (heartbeat 200 ms); every link runs through a
# tests/tools/tcp_proxy the test controls:
#   pm<i>: datanode i -> metasrv (heartbeats, leases)
#   pd<i>: everyone -> datanode i (datanode i advertises the proxy's
#          address, so frontends, followers and the metasrv reach it there)
# Table foo: region 0 leader dn0, region 1 leader dn1, both followed on dn2.
# Checks: a follower cut off from its leader answers with an error, never
# with stale rows, and serves again once the link heals; a follower cut off
# from the metasrv still answers exactly like the leader across flushes
# and compactions (it gets the version from the leader); a hung link makes
# a follower read fail within a bounded time instead of hanging; a leader
# cut off from the metasrv stops taking writes once its lease expires,
# while the other leader keeps writing, and takes writes again after the
# heal with no acknowledged row lost. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/suites/lib/cluster.sh
B=${STRATA_BUILD:-build}
STRATA=$B/strata
DRV=$B/tests/tools/cluster_driver
PROXY=$B/tests/tools/tcp_proxy
IV=200
LEASE_MS=$((3 * IV + 1000))
work=$(mktemp -d /tmp/strata-netfault-XXXXXX)
declare -A pid
n=0

META=127.0.0.1:$(free_port)
drv() { "$DRV" --meta "$META" "$@"; }
trap cluster_cleanup EXIT
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	drv route 1024 2>&1 | sed 's/^/#   /'
	for f in "$work"/*.log; do
		echo "# ---- $(basename "$f") (last 15 lines) ----"
		tail -15 "$f" | sed 's/^/#   /'
	done
}
link() { echo "$2" >"$work/$1.state"; sleep 0.1; } # link NAME up|drop|hang
now_ms() { date +%s%3N; }

start_proxy() { # name listen target
	"$PROXY" "$2" "$3" "$work/$1.state" >"$work/proxy-$1.log" 2>&1 &
	pid[proxy-$1]=$!
}
"$STRATA" metasrv start --rpc-addr "$META" --data-home "$work/meta" \
	--heartbeat-interval-ms $IV >>"$work/meta.log" 2>&1 &
pid[meta]=$!
for i in 0 1 2; do
	PM[$i]=127.0.0.1:$(free_port)
	PD[$i]=127.0.0.1:$(free_port)
	DA[$i]=127.0.0.1:$(free_port)
	start_proxy pm$i "${PM[$i]}" "$META"
	start_proxy pd$i "${PD[$i]}" "${DA[$i]}"
done
sleep 0.2
start_dn() {
	"$STRATA" datanode start --node-id "$1" --rpc-addr "${DA[$1]}" --rpc-server-addr "${PD[$1]}" \
		--metasrv-addrs "${PM[$1]}" --data-home "$work/dn$1" --store-root "$work/shared" \
		--heartbeat-interval-ms $IV >>"$work/dn$1.log" 2>&1 &
	pid[dn$1]=$!
}
for i in 0 1 2; do start_dn $i; done
if drv wait-alive 3 20000 >/dev/null 2>&1; then ok "3 datanodes ALIVE behind proxies"; else
	not_ok "3 datanodes ALIVE behind proxies"
	echo "1..$n"
	exit 0
fi
drv nodes | grep -qF "${PD[0]}" && ok "datanode 0 advertises its proxy address (--rpc-server-addr)" || not_ok "advertised address: $(drv nodes)"

out=$(drv faults 0 "wal.fsync=kill" 2>&1)
grep -q "runtime fault injection is off" <<<"$out" && ok "fault points cannot be armed over RPC without STRATA_FAULTS_RUNTIME=1" || not_ok "runtime faults on a normal datanode: $out"
drv create foo 2 0,1 >/dev/null && drv add-table-follower 1024 2 >/dev/null
route=$(drv route 1024)
[ "$route" = "region 4398046511104 leader 0 followers 2
region 4398046511105 leader 1 followers 2" ] && ok "foo: leaders dn0/dn1, followers on dn2" || not_ok "route: $route"
drv write 1024 -20 21 >"$work/acks" 2>&1
drv read 1024 leader >"$work/leader.txt" 2>/dev/null
if poll 10 sh -c "'$DRV' --meta $META read 1024 follower 2>/dev/null | cmp -s - '$work/leader.txt'"; then
	ok "before any fault: follower read = leader read ($(wc -l <"$work/leader.txt") rows)"
else
	not_ok "follower read before faults"
fi

# ---- follower cut off from its leader (link dropped) ---------------------------
link pd0 drop
out=$(drv read 1024 follower 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q "^error" <<<"$out"; then
	ok "leader link dropped: the follower read fails instead of serving stale rows: $(grep '^error' <<<"$out" | head -1)"
else
	not_ok "leader link dropped: follower read returned (rc $rc) $(head -3 <<<"$out" | tr '\n' ' ')"
fi
link pd0 up
if poll 15 sh -c "'$DRV' --meta $META read 1024 follower 2>/dev/null | cmp -s - '$work/leader.txt'"; then
	ok "link healed: the follower serves the leader's rows again"
else
	not_ok "after heal: $(drv read 1024 follower 2>&1 | tail -2 | tr '\n' ' ')"
fi

# ---- follower cut off from its leader (link hangs) ---------------------------------
link pd0 hang
t0=$(now_ms)
out=$(timeout 60 "$DRV" --meta "$META" read 1024 follower 2>&1)
rc=$?
el=$(($(now_ms) - t0))
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "^error.*leader snapshot.*timed out" <<<"$out" && [ $el -lt 9000 ]; then
	ok "leader link hangs: the follower read fails in $el ms, no stale rows: $(grep '^error' <<<"$out" | head -1)"
else
	not_ok "leader link hangs: rc $rc after $el ms: $(head -3 <<<"$out" | tr '\n' ' ')"
fi
link pd0 up
if poll 30 sh -c "'$DRV' --meta $META read 1024 follower 2>/dev/null | cmp -s - '$work/leader.txt'"; then
	ok "hang healed: the follower serves the leader's rows again"
else
	not_ok "after hang heal: $(drv read 1024 follower 2>&1 | tail -2 | tr '\n' ' ')"
fi

# ---- follower cut off from the metasrv -----------------------------------------------
link pm2 drop
drv write 1024 21 41 >>"$work/acks" 2>&1
drv flush 1024 >/dev/null 2>&1
drv write 1024 -40 -20 >>"$work/acks" 2>&1
sleep $(((2 * IV + 999) / 1000))
drv read 1024 leader >"$work/leader2.txt" 2>/dev/null
drv read-at 1024 2 >"$work/follower2.txt" 2>&1
if [ "$(wc -l <"$work/leader2.txt")" -eq 81 ] && cmp -s "$work/leader2.txt" "$work/follower2.txt"; then
	ok "follower cut off from the metasrv, rows written and flushed meanwhile: dn2 answers like the leader (81 rows)"
else
	not_ok "follower without metasrv: leader $(wc -l <"$work/leader2.txt") rows, follower $(wc -l <"$work/follower2.txt"): $(diff "$work/leader2.txt" "$work/follower2.txt" | head -3 | tr '\n' ' ')"
fi
out=$(drv read 1024 follower 2>&1)
if grep -q "^error" <<<"$out"; then
	ok "clients stop choosing the follower the metasrv lost: $(head -1 <<<"$out")"
else
	not_ok "pref follower with the only follower dead: $(head -2 <<<"$out" | tr '\n' ' ')"
fi
link pm2 up

# ---- leader cut off from the metasrv: lease expiry stops its writes -----------------------
link pm0 hang
t0=$(now_ms)
poll 20 sh -c "! '$DRV' --meta $META write 1024 -50 -49 >>'$work/acks' 2>&1"
el=$(($(now_ms) - t0))
out=$(drv write 1024 -51 -50 2>&1)
if grep -q "lease" <<<"$out" && [ $el -le $((LEASE_MS + 3000)) ]; then
	ok "leader cut off from the metasrv refuses writes after its lease (${el} ms; lease $LEASE_MS ms): $(tail -1 <<<"$out")"
else
	not_ok "leader without metasrv: after ${el} ms: $out"
fi
if drv write 1024 50 52 >>"$work/acks" 2>&1; then
	ok "the other leader (dn1) keeps taking writes"
else
	not_ok "dn1 writes while dn0 is cut off: $(tail -1 "$work/acks")"
fi
link pm0 up
if poll 20 drv write 1024 -60 -59; then
	echo "ack -60" >>"$work/acks"
	ok "link healed: dn0 takes writes again"
else
	not_ok "dn0 writes after heal: $(drv write 1024 -61 -60 2>&1)"
fi
out=$(drv verify-acks 1024 "$work/acks" 2>&1)
if [ $? -eq 0 ]; then ok "no acknowledged row lost across the faults: $(tail -1 <<<"$out")"; else not_ok "verify: $out"; fi
drv read 1024 leader >"$work/leader3.txt" 2>/dev/null
if poll 15 sh -c "'$DRV' --meta $META read 1024 follower 2>/dev/null | cmp -s - '$work/leader3.txt'"; then
	ok "after every heal: follower read = leader read ($(wc -l <"$work/leader3.txt") rows)"
else
	not_ok "final follower read differs"
fi

stop_cluster_checked dn0 dn1 dn2 meta
echo "1..$n"
