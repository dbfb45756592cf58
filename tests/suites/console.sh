#!/usr/bin/env bash
# console: the web console (/dashboard/) and the cluster JSON endpoints
# (/v1/cluster/...), end to end.
#
# 1. Starts $STRATA_BUILD/strata standalone on free ports in a temporary
#    folder; checks the JSON endpoints and the console's assets with curl;
#    then drives the console in Debian's headless Chromium through
#    playwright-core (tests/console/standalone.mjs): cluster view, query
#    view (create, insert, rows + chart, bad SQL, unknown table), table view
#    (region grid, Flush, ADMIN errors). Stops the server with SIGTERM: exit
#    0 and no sanitizer report.
# 2. The 3-datanode cluster test (tests/console/cluster.mjs) against
#    `strata cluster start --datanodes 3` with the SQL frontend: runs only
#    when `strata frontend start --help` exits 0, otherwise reported as a
#    SKIP (never a pass).
# Screenshots: $STRATA_BUILD/console-screens/{standalone,cluster}/*.png.
# Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
root=$PWD
B=${STRATA_BUILD:-build}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-console-XXXXXX")
case "$B" in
/*) screens="$B/console-screens" ;;
*) screens="$root/$B/console-screens" ;;
esac
n=0
failed=0
server_pid=
cluster_pid=

ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
expect() { # description, condition-exit-status, detail
	if [ "$2" -eq 0 ]; then ok "$1"; else nok "$1"; echo "#   ${3:-}" | head -c 3000; echo; fi
}
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	if [ -n "$cluster_pid" ]; then
		kill -TERM "$cluster_pid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$cluster_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$cluster_pid" 2>/dev/null
		wait "$cluster_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
relay() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) nok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done
}
. tests/suites/lib/ports.sh

if [ ! -x "$B/strata" ]; then
	nok "strata is built ($B/strata missing)"
	exit 1
fi

# ---- standalone -----------------------------------------------------------------
"$B/strata" standalone start --data-home "$work/data" --mysql-addr 127.0.0.1:0 \
	--postgres-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --port-file "$work/ports" \
	>>"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do [ -s "$work/ports" ] && break; sleep 0.1; done
if [ ! -s "$work/ports" ]; then
	nok "strata standalone starts and reports its ports"
	cat "$work/server.log"
	exit 1
fi
while IFS='=' read -r k v; do eval "P_$k=$v"; done <"$work/ports"
H="http://127.0.0.1:$P_http"

# ---- JSON endpoints and assets with curl ----------------------------------------------
get() { curl -s -o "$work/body" -w '%{http_code} %{content_type}' "$@"; }
sqlq() { curl -s "$H/v1/sql" --data-urlencode "sql=$1"; }

out=$(get "$H/dashboard")
loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$H/dashboard")
[[ "$out" == 301* ]] && [ "$loc" = "$H/dashboard/" ]
expect "GET /dashboard redirects to /dashboard/" $? "$out $loc"

out=$(get "$H/dashboard/")
[ "$out" = "200 text/html; charset=utf-8" ] && cmp -s "$work/body" console/index.html
expect "GET /dashboard/ serves console/index.html as text/html (built into the binary)" $? "$out"

ctypes=ok
for f in app.js:text/javascript style.css:text/css chart.js:text/javascript; do
	out=$(get "$H/dashboard/${f%%:*}")
	{ [[ "$out" == "200 ${f#*:}"* ]] && cmp -s "$work/body" "console/${f%%:*}"; } || ctypes="$f -> $out"
done
[ "$ctypes" = ok ]
expect "console assets are served byte for byte with their content types" $? "$ctypes"

out=$(get "$H/dashboard/missing.js")
out2=$(get --path-as-is "$H/dashboard/../v1/sql")
[[ "$out" == 404* ]] && [[ "$out2" == 404* ]]
expect "unknown console files answer 404" $? "$out / $out2"

grep -qE 'https?://' console/*.html console/*.css && ext=1 || ext=0
[ $ext -eq 0 ] && ! grep -qE "(fetch|src|href)\(?['\"]https?://" console/*.js
expect "console files reference no external URL" $? "$(grep -nE 'https?://' console/* | head -5)"

out=$(curl -s "$H/v1/cluster/nodes")
echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
n = d["nodes"]
assert len(n) == 1 and n[0]["peer_type"] == "STANDALONE" and n[0]["alive"] is True, n
assert n[0]["leader_regions"] == 0 and n[0]["follower_regions"] == 0, n
assert n[0]["uptime"] and n[0]["peer_addr"], n'
expect "GET /v1/cluster/nodes lists the standalone node, alive, with region counts" $? "$out"

sqlq "CREATE TABLE web (host STRING, ts TIMESTAMP TIME INDEX, v DOUBLE, PRIMARY KEY(host)) PARTITION ON COLUMNS (host) (host < 'm', host >= 'm')" >/dev/null
sqlq "INSERT INTO web VALUES ('a', 1000, 1.5), ('b', 2000, 2), ('z', 3000, 3)" >/dev/null
out=$(curl -s "$H/v1/cluster/tables/public/web/regions")
echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["table"] == "web" and d["schema"] == "public" and d["table_id"] >= 1024, d
r = d["regions"]
assert [x["region_number"] for x in r] == [0, 1], r
assert [x["stats"]["region_rows"] for x in r] == [2, 1], r
for x in r:
    assert x["region_id"] >> 32 == d["table_id"], x
    p = x["peers"]
    assert len(p) == 1 and p[0]["role"] == "leader" and p[0]["status"] == "ALIVE", p
    assert p[0]["stats"]["region_role"] == "Leader", p
    rep = p[0]["replica"]
    assert rep["region_id"] == x["region_id"] and rep["role"] == "Leader" and rep["peer_id"] == 0, rep
    assert rep["versions_behind"] == 0, rep
assert d["replicas_available"] is True, d'
expect "GET /v1/cluster/tables/public/web/regions: two regions, leader stats and replica rows" $? "$out"

out=$(curl -s "$H/v1/cluster/nodes")
echo "$out" | grep -q '"leader_regions":2,"follower_regions":0'
expect "GET /v1/cluster/nodes counts the new table's leader regions" $? "$out"

out=$(get "$H/v1/cluster/tables/public/nope/regions")
[[ "$out" == 400* ]] && grep -q '"error":"Table not found: greptime.public.nope"' "$work/body"
expect "regions of an unknown table: the server's own error (400, Table not found)" $? "$out $(cat "$work/body")"

bad=ok
for p in "tables/public/web" "tables//web/regions" "tables/pub%27lic/web/regions" \
	"tables/public/we%60b/regions" "tables/public/web/regions/x" "tables/a%0Ab/web/regions" \
	"tables/$(printf 'x%.0s' $(seq 200))/web/regions"; do
	out=$(get "$H/v1/cluster/$p")
	{ [[ "$out" == 400* ]] && grep -q '"code":1004' "$work/body"; } || bad="$p -> $out $(cat "$work/body")"
done
[ "$bad" = ok ]
expect "malformed or hostile table paths answer 400 with a JSON error" $? "$bad"

out=$(get "$H/v1/cluster/nothing")
[[ "$out" == 404* ]] && grep -q '"error"' "$work/body"
expect "unknown /v1/cluster/ endpoint answers 404 JSON" $? "$out"

out=$(get "$H/v1/cluster/lag")
[[ "$out" == 200* ]] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = d["replicas"]
assert len(r) == 2 and all(x["role"] == "Leader" and x["table_name"] == "web" for x in r), r
assert d["max_versions_behind"] == 0, d' "$work/body"
expect "GET /v1/cluster/lag: one leader row per region of web, nothing behind (standalone)" $? "$out $(cat "$work/body")"

out=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$H/v1/cluster/nodes")
[ "$out" = 405 ]
expect "POST /v1/cluster/nodes is 405" $? "$out"

out=$(curl -s "$H/health")
[ "$out" = "{}" ]
expect "the server keeps serving after the hostile requests" $? "$out"

# ---- the browser ----------------------------------------------------------------------
have_browser=1
if ! command -v node >/dev/null || [ ! -d tests/console/node_modules/playwright-core ]; then
	have_browser=0
	why="node or playwright-core (tests/console: npm install) missing"
elif [ ! -x "$CHROMIUM" ]; then
	have_browser=0
	why="$CHROMIUM (Debian package chromium) missing"
fi
if [ $have_browser -eq 1 ]; then
	rm -rf "$screens/standalone"
	mkdir -p "$screens/standalone"
	relay < <(cd tests/console && timeout 150 node standalone.mjs "$H" "$screens/standalone" 2>&1)
	ls "$screens/standalone"/*.png >/dev/null 2>&1
	expect "screenshots saved under $B/console-screens/standalone" $? ""
else
	skip "console browser tests (standalone)" "$why"
fi

kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
if [ $rc -eq 0 ] && ! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$work/server.log"; then
	ok "strata standalone stops cleanly on SIGTERM (exit 0, no sanitizer report)"
else
	nok "strata standalone stops cleanly on SIGTERM (exit $rc)"
	grep -E -A30 "AddressSanitizer|LeakSanitizer|runtime error" "$work/server.log" | head -80
fi

# ---- 3-datanode cluster ----------------------------------------------------------------
if ! "$B/strata" frontend start --help >/dev/null 2>&1; then
	skip "console against a 3-datanode cluster" "cluster frontend not available"
elif [ $have_browser -eq 0 ]; then
	skip "console against a 3-datanode cluster" "$why"
else
	http=$(free_port)
	meta=$(free_port)
	# three consecutive free ports for the datanodes
	base=$(free_ports 3)
	help=$("$B/strata" cluster start --help 2>&1)
	extra=()
	for f in mysql postgres; do
		for opt in "--$f-port" "--$f-addr"; do
			if echo "$help" | grep -q -- "$opt"; then
				p=$(free_port)
				[ "$opt" = "--$f-addr" ] && p="127.0.0.1:$p"
				extra+=("$opt" "$p")
				break
			fi
		done
	done
	"$B/strata" cluster start --datanodes 3 --heartbeat-interval-ms 200 --http-port "$http" \
		--metasrv-port "$meta" --datanode-base-port "$base" --data-home "$work/cluster" \
		"${extra[@]}" >>"$work/cluster.log" 2>&1 &
	cluster_pid=$!
	CH="http://127.0.0.1:$http"
	for _ in $(seq 600); do
		curl -s -o /dev/null "$CH/health" && break
		kill -0 "$cluster_pid" 2>/dev/null || break
		sleep 0.1
	done
	if curl -s -o /dev/null "$CH/health"; then
		ok "strata cluster start --datanodes 3 serves HTTP on $http"
		rm -rf "$screens/cluster"
		mkdir -p "$screens/cluster"
		relay < <(cd tests/console && timeout 180 node cluster.mjs "$CH" "$screens/cluster" "$cluster_pid" 2>&1)
	else
		nok "strata cluster start --datanodes 3 serves HTTP on $http"
		tail -n 40 "$work/cluster.log" | sed 's/^/#   /'
	fi
	kill -TERM "$cluster_pid" 2>/dev/null
	for _ in $(seq 150); do kill -0 "$cluster_pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$cluster_pid" 2>/dev/null; then
		nok "the cluster stops on SIGTERM within 15 s"
	else
		wait "$cluster_pid"
		ok "the cluster stops on SIGTERM within 15 s"
		if grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$work/cluster.log"; then
			nok "no sanitizer report from the cluster's processes"
			grep -E -A30 "AddressSanitizer|LeakSanitizer|runtime error" "$work/cluster.log" | head -80
		else
			ok "no sanitizer report from the cluster's processes"
		fi
	fi
	cluster_pid=
fi

echo "1..$n"
[ $failed -eq 0 ]
