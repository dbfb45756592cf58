#!/usr/bin/env bash
# cluster_sql: the read-replica feature description's scenario, statement
# for statement, through SQL clients against `strata cluster start
# --datanodes 3` (metasrv + 3 datanodes + frontend as child processes):
#
#   mysql CLI   fresh cluster: CREATE TABLE foo ... PARTITION ON COLUMNS
#               (2 regions; a one-region table is created first, so foo is
#               table 1025 as in the feature text and its leaders land on
#               datanodes 1 and 2); region_peers shows the two leaders;
#               ADD_TABLE_FOLLOWER('foo', '0,1,2') puts the followers on
#               datanodes 0 and 1 exactly as the feature text shows; INSERT
#               3 rows; SET READ_PREFERENCE='follower'; SELECT returns them
#               at once (no sleep, no flush) and EXPLAIN ANALYZE plus
#               region_replicas.reads_served prove followers served; the
#               error cases; kill -9 of the follower-only datanode 0:
#               follower_preferred keeps answering, 'follower' names the
#               region left without a live follower; restart of the whole
#               cluster: tables, routes, followers and rows intact.
#   psql        the same scenario on a fresh cluster.
#   JDBC        PgJDBC and MariaDB Connector/J (tests/clients/java/
#               ClusterScenario.java), each on a fresh cluster, when javac
#               and the drivers are installed.
#   standalone  the follower ADMIN functions give a clear error.
#
# Ports are picked free; every process is stopped on exit. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
B=${STRATA_BUILD:-build}
STRATA=$B/strata
work=$(mktemp -d /tmp/strata-csql-XXXXXX)
. tests/suites/lib/ports.sh
n=0
cpid=
spid=


cleanup() { # by process id only: the cluster parent, its children, standalone
	local kids=
	[ -n "$cpid" ] && kids=$(pgrep -P "$cpid") && kill -TERM "$cpid" 2>/dev/null
	[ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null
	for _ in $(seq 50); do
		[ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null && { sleep 0.1; continue; }
		break
	done
	for p in $cpid $kids $spid; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | head -40 | sed 's/^/#   /'
	return 0
}
check() { # description, got, want
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:
$2
want:
$3"; fi
}
contains() { # description, got, needle
	case "$2" in
	*"$3"*) ok "$1" ;;
	*) not_ok "$1" "got: $2
want it to contain: $3" ;;
	esac
}
relay() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done
}
logs_tail() {
	for f in "$work"/$1/logs/*.log "$work/$1/parent.log"; do
		[ -f "$f" ] || continue
		echo "# ---- $f"
		tail -15 "$f" | sed 's/^/#   /'
	done
}

# start_cluster NAME: a fresh (or existing) cluster under $work/NAME, ports
# in P_MY, P_PG, P_HTTP; waits until SQL answers and 3 datanodes are ALIVE.
start_cluster() {
	local name=$1
	if [ ! -f "$work/$name.ports" ]; then
		free_ports 8 >"$work/$name.ports"
	fi
	local base
	base=$(cat "$work/$name.ports")
	P_MY=$((base + 5))
	P_PG=$((base + 6))
	P_HTTP=$((base + 7))
	mkdir -p "$work/$name"
	# STRATA_CLUSTER_CONFIG_TEMPLATE: a config file whose @NAME@ is replaced
	# by a name unique to this cluster (its own S3 root and etcd prefix), so
	# every fresh cluster of this suite starts empty on shared backends
	local cfg=()
	if [ -n "${STRATA_CLUSTER_CONFIG_TEMPLATE:-}" ]; then
		[ -f "$work/$name.toml" ] ||
			sed "s/@NAME@/sql-$name-$$/g" "$STRATA_CLUSTER_CONFIG_TEMPLATE" >"$work/$name.toml"
		cfg=(--config "$work/$name.toml")
	fi
	"$STRATA" cluster start --datanodes 3 --data-home "$work/$name/c" --heartbeat-interval-ms 200 \
		--metasrv-port "$base" --datanode-base-port $((base + 1)) --http-port "$P_HTTP" \
		--mysql-port "$P_MY" --postgres-port "$P_PG" --log-dir "$work/$name/logs" "${cfg[@]}" \
		>>"$work/$name/parent.log" 2>&1 &
	cpid=$!
	for _ in $(seq 1 200); do
		local alive
		alive=$(mysql --protocol=TCP -h 127.0.0.1 -P "$P_MY" -u root -N -B -e \
			"SELECT count(*) FROM information_schema.cluster_info WHERE peer_type = 'DATANODE' AND node_status = 'ALIVE'" 2>/dev/null)
		[ "$alive" = 3 ] && return 0
		sleep 0.1
	done
	return 1
}
stop_cluster() {
	kill -TERM "$cpid"
	wait "$cpid"
	local rc=$?
	cpid=
	return $rc
}

my() { timeout 30 mysql --protocol=TCP -h 127.0.0.1 -P "$P_MY" -u root -N -B -e "$1" 2>&1; }
pq() { # every statement of $1 in one session
	PGCONNECT_TIMEOUT=10 timeout 30 psql -h 127.0.0.1 -p "$P_PG" -U root -d public -X -A -t \
		-F $'\t' <<<"$1" 2>&1
}

TAB=$'\t'
PEERS_Q="SELECT table_name, region_id, peer_id, is_leader FROM information_schema.region_peers WHERE table_name = 'foo';"
LEADERS="foo${TAB}4402341478400${TAB}1${TAB}Yes
foo${TAB}4402341478401${TAB}2${TAB}Yes"
WITH_FOLLOWERS="foo${TAB}4402341478400${TAB}1${TAB}Yes
foo${TAB}4402341478400${TAB}0${TAB}No
foo${TAB}4402341478401${TAB}2${TAB}Yes
foo${TAB}4402341478401${TAB}1${TAB}No"
ROWS="1970-01-01 00:00:00.001000${TAB}-1${TAB}s1
1970-01-01 00:00:00.002000${TAB}0${TAB}s2
1970-01-01 00:00:00.003000${TAB}1${TAB}s3"
CREATE_FOO="CREATE TABLE foo (
ts TIMESTAMP TIME INDEX,
i INT PRIMARY KEY,
s STRING,
) PARTITION ON COLUMNS ('i') (
i <= 0,
i > 0,
);"
REPLICAS_Q="SELECT region_id, peer_id, role, CASE WHEN reads_served > 0 THEN 1 ELSE 0 END FROM information_schema.region_replicas WHERE table_name = 'foo' ORDER BY region_id, role, peer_id"
REPLICAS_WANT="4402341478400${TAB}0${TAB}Follower${TAB}1
4402341478400${TAB}1${TAB}Leader${TAB}0
4402341478401${TAB}1${TAB}Follower${TAB}1
4402341478401${TAB}2${TAB}Leader${TAB}0"

if [ ! -x "$STRATA" ] || ! command -v mysql >/dev/null || ! command -v psql >/dev/null; then
	echo "not ok 1 - needs $STRATA, mysql and psql"
	exit 1
fi

# ---- the scenario, through a client: $1 = my | pq -----------------------------
scenario() {
	local c=$1 who=$2 out
	$c "CREATE TABLE warmup (ts TIMESTAMP TIME INDEX, v DOUBLE);" >/dev/null
	out=$($c "$CREATE_FOO")
	[ "$c" = pq ] && check "$who: CREATE TABLE foo (2-way partition)" "$out" "CREATE TABLE" ||
		check "$who: CREATE TABLE foo (2-way partition)" "$out" ""
	check "$who: region_peers shows 2 leaders on datanodes 1 and 2" "$($c "$PEERS_Q")" "$LEADERS"
	out=$($c "ADMIN ADD_TABLE_FOLLOWER('foo', '0,1,2');")
	check "$who: ADMIN ADD_TABLE_FOLLOWER('foo', '0,1,2') answers 0" "$out" "0"
	check "$who: followers on datanodes 0 and 1, as in the feature text" "$($c "$PEERS_Q")" \
		"$WITH_FOLLOWERS"
	out=$($c "INSERT INTO foo (ts, i, s)
VALUES (1, -1, 's1'), (2, 0, 's2'), (3, 1, 's3');")
	[ "$c" = pq ] && check "$who: INSERT 3 rows" "$out" "INSERT 0 3" || check "$who: INSERT 3 rows" "$out" ""
	out=$($c "SET READ_PREFERENCE='follower';
SELECT * FROM foo ORDER BY ts;")
	[ "$c" = pq ] && out=$(printf '%s\n' "$out" | grep -v '^SET$')
	check "$who: READ_PREFERENCE='follower': SELECT * FROM foo ORDER BY ts returns the 3 rows at once" \
		"$out" "$ROWS"
	out=$($c "SET READ_PREFERENCE='follower';
EXPLAIN ANALYZE SELECT * FROM foo ORDER BY ts;")
	contains "$who: EXPLAIN ANALYZE: region 0 served by follower datanode 0" "$out" \
		"region=4402341478400(1025, 0), peer=0 (follower)"
	contains "$who: EXPLAIN ANALYZE: region 1 served by follower datanode 1" "$out" \
		"region=4402341478401(1025, 1), peer=1 (follower)"
	check "$who: region_replicas.reads_served: only followers served" "$($c "$REPLICAS_Q")" \
		"$REPLICAS_WANT"
	out=$($c "SET READ_PREFERENCE='leader';
EXPLAIN ANALYZE SELECT * FROM foo ORDER BY ts;")
	contains "$who: READ_PREFERENCE='leader': the leader serves" "$out" \
		"region=4402341478400(1025, 0), peer=1 (leader)"
	# errors
	out=$($c "SET READ_PREFERENCE='follower';
SELECT * FROM warmup;")
	contains "$who: 'follower' on a table without followers names the region" "$out" \
		"Failed to find region peer for region id 4398046511104(1024, 0), read preference: FOLLOWER"
	contains "$who: ADD_TABLE_FOLLOWER of an unknown table" \
		"$($c "ADMIN ADD_TABLE_FOLLOWER('nope', '0');")" "Table not found: greptime.public.nope"
	contains "$who: ADD_REGION_FOLLOWER on an unknown datanode" \
		"$($c "ADMIN ADD_REGION_FOLLOWER(4402341478400, 9);")" \
		"The target peer is unavailable temporally: 9"
	contains "$who: ADD_REGION_FOLLOWER on the leader's datanode" \
		"$($c "ADMIN ADD_REGION_FOLLOWER(4402341478400, 1);")" \
		"datanode 1 holds the leader of region 4402341478400(1025, 0)"
	contains "$who: a duplicate follower" \
		"$($c "ADMIN ADD_REGION_FOLLOWER(4402341478400, 0);")" \
		"datanode 0 already has a follower of region 4402341478400(1025, 0)"
	contains "$who: ADD_TABLE_FOLLOWER with a bad datanode list" \
		"$($c "ADMIN ADD_TABLE_FOLLOWER('foo', 'x');")" "comma-separated list of datanode ids"
	check "$who: routes unchanged by the refused requests" "$($c "$PEERS_Q")" "$WITH_FOLLOWERS"
}

# ---- mysql ------------------------------------------------------------------------
if start_cluster m; then ok "cluster start: SQL answers, 3 datanodes ALIVE"; else
	not_ok "cluster start"
	logs_tail m
	echo "1..$n"
	exit 1
fi
scenario my mysql

# READ_PREFERENCE 'random' and over HTTP (header x-greptime-read-preference)
good=0
for _ in $(seq 1 8); do
	[ "$(my "SET READ_PREFERENCE='random'; SELECT * FROM foo ORDER BY ts;")" = "$ROWS" ] && good=$((good + 1))
done
check "mysql: READ_PREFERENCE='random' answers every time (8 of 8)" "$good" 8
out=$(curl -s -XPOST "http://127.0.0.1:$P_HTTP/v1/sql?db=public" \
	-H 'x-greptime-read-preference: follower' --data-urlencode 'sql=SELECT * FROM warmup')
contains "HTTP: x-greptime-read-preference: follower is honoured" "$out" \
	"Failed to find region peer for region id 4398046511104(1024, 0), read preference: FOLLOWER"
out=$(curl -s -XPOST "http://127.0.0.1:$P_HTTP/v1/sql?db=public" \
	-H 'x-greptime-read-preference: follower' --data-urlencode 'sql=SELECT count(*) FROM foo')
contains "HTTP: follower read of foo" "$out" '"rows":[[3]]'

# DML, ADMIN on leaders, region-level followers, information_schema
out=$(my "ADMIN FLUSH_TABLE('foo'); ADMIN COMPACT_TABLE('foo'); ADMIN FLUSH_REGION(4402341478401); ADMIN COMPACT_REGION(4402341478401);")
check "mysql: FLUSH_TABLE / COMPACT_TABLE / FLUSH_REGION / COMPACT_REGION on the leaders" "$out" "0
0
0
0"
check "mysql: follower read after flush + compaction" \
	"$(my "SET READ_PREFERENCE='follower'; SELECT * FROM foo ORDER BY ts;")" "$ROWS"

# ALTER TABLE ADD/DROP COLUMN on a table with followers: the metasrv changes
# every leader's schema and pushes the new version to the followers, so a
# follower read right after the DDL sees the new column (old rows in SSTs
# and in the flushed memtable read its DEFAULT or NULL)
out=$(my "CREATE TABLE bar (ts TIMESTAMP TIME INDEX, i INT PRIMARY KEY, v DOUBLE) PARTITION ON COLUMNS (i) (i <= 0, i > 0);
ADMIN ADD_TABLE_FOLLOWER('bar', '0,1,2');
INSERT INTO bar VALUES (1, -1, 1.5), (2, 1, 2.5);
ADMIN FLUSH_TABLE('bar');
INSERT INTO bar VALUES (3, -2, 3.5), (4, 2, 4.5);
ALTER TABLE bar ADD COLUMN extra BIGINT DEFAULT 7, ADD COLUMN note STRING;
INSERT INTO bar (ts, i, v, extra, note) VALUES (5, -3, 5.5, 50, 'n5'), (6, 3, 6.5, 60, 'n6');")
check "mysql: ALTER TABLE bar ADD COLUMN (2 regions with followers) and INSERT with the new columns" "$out" "0
0"
out=$(my "SET READ_PREFERENCE='follower'; SELECT ts, i, v, extra, note FROM bar ORDER BY ts;")
check "mysql: follower read right after ADD COLUMN: DEFAULT/NULL for old rows, values for new rows" "$out" \
	"1970-01-01 00:00:00.001000${TAB}-1${TAB}1.5${TAB}7${TAB}NULL
1970-01-01 00:00:00.002000${TAB}1${TAB}2.5${TAB}7${TAB}NULL
1970-01-01 00:00:00.003000${TAB}-2${TAB}3.5${TAB}7${TAB}NULL
1970-01-01 00:00:00.004000${TAB}2${TAB}4.5${TAB}7${TAB}NULL
1970-01-01 00:00:00.005000${TAB}-3${TAB}5.5${TAB}50${TAB}n5
1970-01-01 00:00:00.006000${TAB}3${TAB}6.5${TAB}60${TAB}n6"
contains "mysql: that read was served by followers" \
	"$(my "SET READ_PREFERENCE='follower'; EXPLAIN ANALYZE SELECT * FROM bar;")" "(follower)"
out=$(my "ALTER TABLE bar DROP COLUMN v; SET READ_PREFERENCE='follower'; SELECT * FROM bar WHERE i > 0 ORDER BY ts;")
check "mysql: follower read right after DROP COLUMN v" "$out" \
	"1970-01-01 00:00:00.002000${TAB}1${TAB}7${TAB}NULL
1970-01-01 00:00:00.004000${TAB}2${TAB}7${TAB}NULL
1970-01-01 00:00:00.006000${TAB}3${TAB}60${TAB}n6"
contains "mysql: SHOW CREATE TABLE bar after the ALTERs" "$(my "SHOW CREATE TABLE bar")" \
	'`extra` BIGINT NULL DEFAULT 7,\n  `note` STRING NULL,'
contains "mysql: ALTER TABLE bar DROP COLUMN i (the partition key) is refused" \
	"$(my "ALTER TABLE bar DROP COLUMN i")" "Not allowed to remove index column i from table bar"
check "mysql: DROP TABLE bar" "$(my "DROP TABLE bar")" ""
# line protocol into an existing table: a new field and a new tag are added
# through the same metasrv procedure, then written
code=$(curl -s -o "$work/lp.out" -w '%{http_code}' -XPOST "http://127.0.0.1:$P_HTTP/v1/influxdb/write?db=public&precision=ms" \
	--data-binary $'lpt,host=a v=1 1000\n')
code2=$(curl -s -o "$work/lp.out" -w '%{http_code}' -XPOST "http://127.0.0.1:$P_HTTP/v1/influxdb/write?db=public&precision=ms" \
	--data-binary $'lpt,host=a,zone=z v=2,w=3i 2000\nlpt,host=a v=5 1000\n')
check "line protocol: a new field and tag are added to an existing table (cluster)" \
	"$code $code2 $(my "SELECT host, zone, greptime_timestamp, v, w FROM lpt ORDER BY greptime_timestamp; DROP TABLE lpt;")" \
	"204 204 a${TAB}NULL${TAB}1970-01-01 00:00:01.000000${TAB}5${TAB}NULL
a${TAB}z${TAB}1970-01-01 00:00:02.000000${TAB}2${TAB}3"
out=$(my "ADMIN ADD_REGION_FOLLOWER(4402341478400, 2); $PEERS_Q")
check "mysql: ADD_REGION_FOLLOWER(region 0, datanode 2)" "$out" "0
foo${TAB}4402341478400${TAB}1${TAB}Yes
foo${TAB}4402341478400${TAB}0${TAB}No
foo${TAB}4402341478400${TAB}2${TAB}No
foo${TAB}4402341478401${TAB}2${TAB}Yes
foo${TAB}4402341478401${TAB}1${TAB}No"
out=$(my "ADMIN REMOVE_REGION_FOLLOWER(4402341478400, 2); $PEERS_Q")
check "mysql: REMOVE_REGION_FOLLOWER(region 0, datanode 2)" "$out" "0
$WITH_FOLLOWERS"
check "mysql: SHOW REGION FROM foo" "$(my "SHOW REGION FROM foo")" \
	"foo${TAB}4402341478400${TAB}0${TAB}No
foo${TAB}4402341478400${TAB}1${TAB}Yes
foo${TAB}4402341478401${TAB}1${TAB}No
foo${TAB}4402341478401${TAB}2${TAB}Yes"
check "mysql: partitions" \
	"$(my "SELECT partition_name, partition_description, greptime_partition_id FROM information_schema.partitions WHERE table_name = 'foo' ORDER BY partition_name")" \
	"p0${TAB}i <= 0${TAB}4402341478400
p1${TAB}i > 0${TAB}4402341478401"
check "mysql: cluster_info lists the metasrv, 3 datanodes and the frontend, ALIVE" \
	"$(my "SELECT peer_type, peer_id, node_status FROM information_schema.cluster_info ORDER BY peer_type, peer_id")" \
	"DATANODE${TAB}0${TAB}ALIVE
DATANODE${TAB}1${TAB}ALIVE
DATANODE${TAB}2${TAB}ALIVE
FRONTEND${TAB}0${TAB}ALIVE
METASRV${TAB}0${TAB}ALIVE"
# region_statistics: one row per peer (heartbeat-fresh: wait for it)
for _ in $(seq 1 50); do
	out=$(my "SELECT region_id, region_role FROM information_schema.region_statistics WHERE table_id = 1025 ORDER BY region_id, region_role")
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 4 ] && break
	sleep 0.1
done
check "mysql: region_statistics has a row per peer with its role" "$out" \
	"4402341478400${TAB}Follower
4402341478400${TAB}Leader
4402341478401${TAB}Follower
4402341478401${TAB}Leader"
for _ in $(seq 1 50); do
	out=$(my "SELECT count(*) FROM information_schema.region_replicas WHERE table_name = 'foo' AND role = 'Follower' AND versions_behind = 0 AND installed_manifest_version = leader_manifest_version AND leader_manifest_version > 0 AND ms_since_sync < 5000")
	[ "$out" = 2 ] && break
	sleep 0.1
done
check "mysql: region_replicas: followers caught up with the leaders' manifests after the flush" "$out" "2"
metrics=$(curl -s "http://127.0.0.1:$P_HTTP/metrics")
contains "/metrics: strata_follower_versions_behind per follower" "$metrics" \
	'strata_follower_versions_behind{region_id="4402341478400",peer_id="0"} 0'
contains "/metrics: strata_follower_sync_age_ms per follower" "$metrics" \
	'strata_follower_sync_age_ms{region_id="4402341478401",peer_id="1"}'
out=$(my "DELETE FROM foo WHERE i = 0; SET READ_PREFERENCE='follower'; SELECT * FROM foo ORDER BY ts;")
check "mysql: DELETE reaches the leader, followers see it" "$out" \
	"1970-01-01 00:00:00.001000${TAB}-1${TAB}s1
1970-01-01 00:00:00.003000${TAB}1${TAB}s3"
my "INSERT INTO foo (ts, i, s) VALUES (2, 0, 's2');" >/dev/null

# faults: datanode 0 holds only followers (of region 0)
dn0=$(pgrep -P "$cpid" -f "node-id 0 ")
kill -9 "$dn0"
good=0
for _ in 1 2 3 4 5; do
	out=$(my "SET READ_PREFERENCE='follower_preferred'; SELECT * FROM foo ORDER BY ts;")
	[ "$out" = "$ROWS" ] && good=$((good + 1))
done
check "kill -9 of follower datanode 0: follower_preferred keeps answering (5 of 5)" "$good" 5
for _ in $(seq 1 100); do
	out=$(my "SELECT node_status FROM information_schema.cluster_info WHERE peer_type = 'DATANODE' AND peer_id = 0")
	[ "$out" = DEAD ] && break
	sleep 0.1
done
check "cluster_info: datanode 0 DEAD" "$out" "DEAD"
contains "'follower' with the only follower of region 0 dead names the region" \
	"$(my "SET READ_PREFERENCE='follower'; SELECT * FROM foo ORDER BY ts;")" \
	"Failed to find region peer for region id 4402341478400(1025, 0), read preference: FOLLOWER"
out=$(my "SET READ_PREFERENCE='follower_preferred'; SELECT * FROM foo ORDER BY ts; EXPLAIN ANALYZE SELECT * FROM foo ORDER BY ts;")
contains "follower_preferred after detection: region 0 from its leader" "$out" \
	"region=4402341478400(1025, 0), peer=1 (leader)"
contains "follower_preferred after detection: region 1 still from its follower" "$out" \
	"region=4402341478401(1025, 1), peer=1 (follower)"

# restart everything
kids_before=$(pgrep -P "$cpid")
if stop_cluster; then ok "SIGTERM stops the cluster (exit 0)"; else not_ok "SIGTERM: exit status"; fi
left=0
for p in $kids_before; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
[ $left -eq 0 ] && ok "no process left" || not_ok "$left processes left"
if start_cluster m; then ok "restart of the whole cluster"; else not_ok "restart"; logs_tail m; fi
check "after restart: routes and followers intact" "$(my "$PEERS_Q")" "$WITH_FOLLOWERS"
out=
for _ in $(seq 1 100); do
	out=$(my "SET READ_PREFERENCE='follower'; SELECT * FROM foo ORDER BY ts;")
	[ "$out" = "$ROWS" ] && break
	sleep 0.1
done
check "after restart: follower reads return every row" "$out" "$ROWS"
check "after restart: leader reads return every row" \
	"$(my "SET READ_PREFERENCE='leader'; SELECT * FROM foo ORDER BY ts;")" "$ROWS"
check "after restart: SHOW TABLES" "$(my "SHOW TABLES")" "foo
numbers
warmup"
out=$(my "TRUNCATE TABLE foo; SELECT count(*) FROM foo; SET READ_PREFERENCE='follower'; SELECT count(*) FROM foo;")
check "TRUNCATE reaches leaders and followers" "$out" "0
0"
out=$(my "DROP TABLE foo; SHOW TABLES; SELECT count(*) FROM information_schema.region_peers WHERE table_name = 'foo';")
check "DROP TABLE removes the table and its routes" "$out" "numbers
warmup
0"
stop_cluster || not_ok "second SIGTERM: exit status"

# ---- psql ---------------------------------------------------------------------------
if start_cluster p; then
	ok "psql: fresh cluster"
	scenario pq psql
	stop_cluster || not_ok "psql cluster: exit status"
else
	not_ok "psql: fresh cluster"
	logs_tail p
fi

# ---- JDBC --------------------------------------------------------------------------
pgjar=/usr/share/java/postgresql.jar
myjar=/usr/share/java/mariadb-java-client.jar
if command -v javac >/dev/null && [ -f "$pgjar" ] && [ -f "$myjar" ]; then
	mkdir -p "$work/jdbc"
	if javac -d "$work/jdbc" tests/clients/java/ClusterScenario.java 2>"$work/javac.log"; then
		J="java -Duser.timezone=UTC -Xss512k -XX:+UseSerialGC -Xmx256m"
		if start_cluster jp; then
			relay < <(timeout 120 $J -cp "$pgjar:$work/jdbc" ClusterScenario pgjdbc \
				"jdbc:postgresql://127.0.0.1:$P_PG/public" 2>&1)
			stop_cluster || not_ok "pgjdbc cluster: exit status"
		else
			not_ok "pgjdbc: fresh cluster"
		fi
		if start_cluster jm; then
			relay < <(timeout 120 $J -cp "$myjar:$work/jdbc" ClusterScenario mariadb \
				"jdbc:mariadb://127.0.0.1:$P_MY/public" 2>&1)
			stop_cluster || not_ok "mariadb cluster: exit status"
		else
			not_ok "mariadb: fresh cluster"
		fi
	else
		not_ok "ClusterScenario.java compiles" "$(cat "$work/javac.log")"
	fi
else
	ok "JDBC scenario # SKIP javac, libpostgresql-jdbc-java or libmariadb-java missing"
fi

# ---- standalone: followers need a cluster -----------------------------------------------
"$STRATA" standalone start --data-home "$work/s" --mysql-addr 127.0.0.1:0 --postgres-addr 127.0.0.1:0 \
	--http-addr 127.0.0.1:0 --port-file "$work/s.ports" >>"$work/s.log" 2>&1 &
spid=$!
for _ in $(seq 100); do [ -s "$work/s.ports" ] && break; sleep 0.1; done
P_MY=$(sed -n 's/^mysql=//p' "$work/s.ports")
my "CREATE TABLE t (ts TIMESTAMP TIME INDEX, v DOUBLE);" >/dev/null
contains "standalone: ADD_TABLE_FOLLOWER is a clear error" "$(my "ADMIN ADD_TABLE_FOLLOWER('t');")" \
	"no other datanode to hold a follower"
contains "standalone: ADD_REGION_FOLLOWER is a clear error" \
	"$(my "ADMIN ADD_REGION_FOLLOWER(4398046511104, 1);")" "no other datanode to hold a follower"
contains "standalone: READ_PREFERENCE='follower' names the region" \
	"$(my "SET READ_PREFERENCE='follower'; SELECT * FROM t;")" \
	"Failed to find region peer for region id 4398046511104(1024, 0), read preference: FOLLOWER"
kill -TERM "$spid"
wait "$spid"
spid=
reports=0
for f in "$work"/*/logs/*.log "$work/s.log"; do
	[ -f "$f" ] || continue
	if grep -q 'Sanitizer' "$f"; then
		reports=$((reports + 1))
		not_ok "sanitizer report in $f" "$(grep -A8 Sanitizer "$f")"
	fi
done
[ $reports -eq 0 ] && ok "no sanitizer report in any process log"
echo "1..$n"
