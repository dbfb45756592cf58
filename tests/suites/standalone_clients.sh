#!/usr/bin/env bash
# standalone_clients: real clients against `strata standalone start`.
#
# Starts $STRATA_BUILD/strata standalone on free ports with a temporary data
# home, then: the mysql CLI, psql (including \dt and \d, which need the
# pg_catalog answers), pymysql and psycopg2 (tests/clients/
# standalone_clients.py, Debian's /usr/bin/python3), PgJDBC and MariaDB
# Connector/J (tests/clients/java/StandaloneJdbc.java, when javac and the
# drivers are installed), and HTTP (/v1/sql, InfluxDB line protocol, /metrics).
# Each creates a table, inserts and reads back exact values; bad input must
# give a clear error while the server keeps serving. Then the server is
# restarted on the same data home (data must survive), and finally stopped
# with SIGTERM: exit status 0 and no sanitizer report. Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
B=${STRATA_BUILD:-build}
PY=/usr/bin/python3
work=$(mktemp -d)
n=0
failed=0
server_pid=

ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
expect() { # description, condition-exit-status, detail
	if [ "$2" -eq 0 ]; then ok "$1"; else nok "$1"; echo "#   ${3:-}" | head -c 3000; echo; fi
}
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
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

start_server() {
	rm -f "$work/ports"
	"$B/strata" standalone start --data-home "$work/data" --mysql-addr 127.0.0.1:0 \
		--postgres-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --port-file "$work/ports" \
		>>"$work/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 300); do [ -s "$work/ports" ] && break; sleep 0.1; done
	[ -s "$work/ports" ] || return 1
	while IFS='=' read -r k v; do eval "P_$k=$v"; done <"$work/ports"
}

stop_server() { # -> exit status of the server
	kill -TERM "$server_pid"
	wait "$server_pid"
	local rc=$?
	server_pid=
	return $rc
}

if [ ! -x "$B/strata" ]; then
	nok "strata is built ($B/strata missing)"
	exit 1
fi
if start_server; then
	ok "strata standalone starts and reports its ports"
else
	nok "strata standalone starts and reports its ports"
	cat "$work/server.log"
	exit 1
fi

# ---- mysql CLI ---------------------------------------------------------------
if command -v mysql >/dev/null; then
	my() { timeout 30 mysql --protocol=TCP -h 127.0.0.1 -P "$P_mysql" -u root "$@"; }
	out=$(my -N -B -e "CREATE TABLE cli (host STRING PRIMARY KEY, ts TIMESTAMP TIME INDEX, v DOUBLE, s STRING);
		INSERT INTO cli VALUES ('a', '2024-01-01 00:00:00.250', 1.25, 'x'), ('b', 0, NULL, NULL);
		SELECT host, ts, v, s FROM cli ORDER BY host" 2>&1)
	[ "$out" = $'a\t2024-01-01 00:00:00.250000\t1.25\tx\nb\t1970-01-01 00:00:00.000000\tNULL\tNULL' ]
	expect "mysql CLI: create, insert, select exact values (timestamp .ffffff, NULL)" $? "$out"

	out=$(my -e "SELECT (1" 2>&1 | tail -n 1)
	[[ "$out" == "ERROR 1064 (42000) at line 1: (InvalidSyntax): "* ]]
	expect "mysql CLI: malformed SQL -> ERROR 1064 (InvalidSyntax)" $? "$out"

	out=$(my -e "SELECT * FROM nope" 2>&1 | tail -n 1)
	[[ "$out" == "ERROR 1146 (42S02) at line 1: (TableNotFound): "*"Table not found: greptime.public.nope" ]]
	expect "mysql CLI: unknown table -> ERROR 1146 (TableNotFound)" $? "$out"

	out=$(my -e "INSERT INTO cli (host, ts, v) VALUES ('c', 1, 'abc')" 2>&1 | tail -n 1)
	[ "$out" = "ERROR 1210 (HY000) at line 1: (InvalidArguments): Column v expect type: Float64(Float64Type), actual: String(StringType { size_type: Utf8 })" ]
	expect "mysql CLI: wrong value type -> GreptimeDB's type mismatch text" $? "$out"

	out=$(my -e "CREATE TABLE g (a INT PRIMARY KEY, ts TIMESTAMP TIME INDEX) PARTITION ON COLUMNS (a) (a < 10, a > 10)" 2>&1 | tail -n 1)
	[ "$out" = 'ERROR 1210 (HY000) at line 1: (InvalidArguments): Checkpoint `a=10` is not covered' ]
	expect "mysql CLI: partition gap -> Checkpoint \`a=10\` is not covered" $? "$out"

	out=$(my -N -B -e "show tables; select @@version_comment limit 1; select database()" 2>&1)
	[ "$out" = $'cli\nnumbers\nStrata\npublic' ]
	expect "mysql CLI: SHOW TABLES, @@version_comment, database()" $? "$out"

	out=$(my -e "status" 2>&1)
	echo "$out" | grep -q "Server version:.*8.4.2"
	expect "mysql CLI: status works (server version 8.4.2)" $? "$out"
else
	skip "mysql CLI tests" "mysql (mariadb-client) not installed"
fi

# ---- psql ---------------------------------------------------------------------
if command -v psql >/dev/null; then
	ps() { PGCONNECT_TIMEOUT=10 timeout 30 psql -X -h 127.0.0.1 -p "$P_postgres" -U root -d public "$@"; }
	out=$(ps -At -F '|' -c "CREATE TABLE pq (host STRING PRIMARY KEY, ts TIMESTAMP TIME INDEX, v DOUBLE, n BIGINT NOT NULL DEFAULT 7)" \
		-c "INSERT INTO pq (host, ts, v) VALUES ('a', '2024-01-01 00:00:00', 0.5), ('b', 1, NULL)" \
		-c "SELECT host, ts, v, n FROM pq ORDER BY host" 2>&1)
	[ "$out" = $'CREATE TABLE\nINSERT 0 2\na|2024-01-01 00:00:00.000000|0.5|7\nb|1970-01-01 00:00:00.001000||7' ]
	expect "psql: create, insert, select exact values" $? "$out"

	out=$(ps -c '\dt' 2>&1)
	echo "$out" | grep -qE '^ public +\| pq +\| table +\| greptime' && echo "$out" | grep -qE '^ public +\| cli +\| table'
	expect "psql: \\dt lists the tables" $? "$out"

	out=$(ps -c '\d pq' 2>&1)
	echo "$out" | grep -q 'Table "public.pq"' &&
		echo "$out" | grep -qE '^ ts +\| timestamp without time zone +\| +\| not null \|' &&
		echo "$out" | grep -qE '^ v +\| double precision +\| +\| +\|' &&
		echo "$out" | grep -qE '^ n +\| bigint +\| +\| not null \| 7'
	expect "psql: \\d pq describes columns, types, nullability, defaults" $? "$out"

	out=$(ps -c '\d nothing' 2>&1)
	echo "$out" | grep -q 'Did not find any relation named "nothing"'
	expect "psql: \\d of a missing table" $? "$out"

	out=$(ps -c "\\set VERBOSITY verbose" -c "SELECT * FROM nope" 2>&1)
	echo "$out" | grep -q "ERROR:  42P01: .*Table not found: greptime.public.nope"
	expect "psql: unknown table -> SQLSTATE 42P01" $? "$out"

	out=$(ps -At -c "SELECT (1" -c "SELECT 1" 2>&1)
	echo "$out" | grep -q "ERROR:" && echo "$out" | grep -qx "1"
	expect "psql: malformed SQL errors and the session keeps serving" $? "$out"
else
	skip "psql tests" "psql (postgresql-client) not installed"
fi

# ---- Python clients --------------------------------------------------------------
if $PY -c "import pymysql, psycopg2" 2>/dev/null; then
	relay < <(cd tests/clients && timeout 300 $PY standalone_clients.py "$work/ports" 2>&1)
	relay < <(cd tests/clients && timeout 600 $PY standalone_concurrency.py "$work/ports" 2>&1)
else
	skip "pymysql/psycopg2 tests" "python3-pymysql / python3-psycopg2 not installed for /usr/bin/python3"
fi

# ---- JDBC ---------------------------------------------------------------------------
pgjar=/usr/share/java/postgresql.jar
myjar=/usr/share/java/mariadb-java-client.jar
if command -v javac >/dev/null && [ -f "$pgjar" ] && [ -f "$myjar" ]; then
	mkdir -p "$work/jdbc"
	if javac -d "$work/jdbc" tests/clients/java/StandaloneJdbc.java 2>"$work/javac.log"; then
		J="java -Duser.timezone=UTC -Xss512k -XX:+UseSerialGC -Xmx256m"
		relay < <(timeout 120 $J -cp "$pgjar:$work/jdbc" StandaloneJdbc pgjdbc \
			"jdbc:postgresql://127.0.0.1:$P_postgres/public" 2>&1)
		relay < <(timeout 120 $J -cp "$pgjar:$work/jdbc" StandaloneJdbc pgjdbc_binary \
			"jdbc:postgresql://127.0.0.1:$P_postgres/public?prepareThreshold=1&binaryTransfer=true" 2>&1)
		relay < <(timeout 120 $J -cp "$myjar:$work/jdbc" StandaloneJdbc mariadb \
			"jdbc:mariadb://127.0.0.1:$P_mysql/public" 2>&1)
		relay < <(timeout 120 $J -cp "$myjar:$work/jdbc" StandaloneJdbc mariadb_server_prep \
			"jdbc:mariadb://127.0.0.1:$P_mysql/public?useServerPrepStmts=true" 2>&1)
	else
		nok "JDBC test compiles"
		cat "$work/javac.log"
	fi
else
	skip "JDBC tests" "javac, libpostgresql-jdbc-java or libmariadb-java missing"
fi

# ---- HTTP -----------------------------------------------------------------------------
if command -v curl >/dev/null; then
	H="http://127.0.0.1:$P_http"
	code=$(curl -s -o "$work/w.out" -w '%{http_code}' -XPOST "$H/v1/influxdb/write?db=public&precision=ms" \
		--data-binary $'weather,city=oslo temp=-3.5,hum=80i 1700000000000\nweather,city=rome temp=12.25 1700000000001\n')
	out=$(curl -s "$H/v1/sql?db=public" --data-urlencode "sql=SELECT city, temp, hum FROM weather ORDER BY city")
	[ "$code" = 204 ] && [[ "$out" == *'"rows":[["oslo",-3.5,80],["rome",12.25,null]]'* ]]
	expect "HTTP: line protocol creates the table; /v1/sql reads the points back" $? "$code $out $(cat "$work/w.out")"

	out=$(curl -s "$H/v1/sql?db=public" --data-urlencode "sql=DESC weather")
	[[ "$out" == *'["city","String","PRI","YES","","TAG"]'* ]] && [[ "$out" == *'["greptime_timestamp","TimestampNanosecond","PRI","NO","","TIMESTAMP"]'* ]]
	expect "HTTP: auto-created table has tags as primary key and greptime_timestamp" $? "$out"

	code=$(curl -s -o "$work/w.out" -w '%{http_code}' -XPOST "$H/v1/influxdb/write?db=public" \
		--data-binary $'weather,city=oslo wind=3 1700000000002000000\n')
	out=$(curl -s "$H/v1/sql?db=public" --data-urlencode "sql=SELECT city, wind FROM weather ORDER BY greptime_timestamp")
	[ "$code" = 204 ] && [[ "$out" == *'"rows":[["oslo",null],["rome",null],["oslo",3.0]]'* ]]
	expect "HTTP: a field the table lacks is added, old points read it as NULL" $? "$code $out $(cat "$work/w.out")"

	code=$(curl -s -o "$work/w.out" -w '%{http_code}' -XPOST "$H/v1/influxdb/write?db=public" \
		--data-binary $'weather,city=oslo,zone=n wind=4 1700000000003000000\n')
	out=$(curl -s "$H/v1/sql?db=public" --data-urlencode "sql=SELECT city, zone, wind FROM weather WHERE zone = 'n' OR wind IS NULL ORDER BY greptime_timestamp")
	[ "$code" = 204 ] && [[ "$out" == *'"rows":[["oslo",null,null],["rome",null,null],["oslo","n",4.0]]'* ]]
	expect "HTTP: a tag the table lacks is added to the primary key" $? "$code $out $(cat "$work/w.out")"
	out=$(curl -s "$H/v1/sql?db=public" --data-urlencode "sql=DESC weather")
	[[ "$out" == *'["zone","String","PRI","YES","","TAG"]'* ]]
	expect "HTTP: DESC shows the added tag" $? "$out"
	code=$(curl -s -o "$work/w.out" -w '%{http_code}' -XPOST "$H/v1/influxdb/write?db=public" \
		--data-binary $'weather,city=oslo wind="strong" 1700000000000000002\n')
	[ "$code" = 400 ] && grep -q "wind" "$work/w.out"
	expect "HTTP: a type clash with an existing field is a clear error" $? "$code $(cat "$work/w.out")"

	out=$(curl -s "$H/v1/sql" --data-urlencode "sql=SELECT * FROM nope")
	[[ "$out" == *'"code":4001'* ]] && [[ "$out" == *'Table not found'* ]]
	expect "HTTP: /v1/sql error carries GreptimeDB's status code" $? "$out"

	out=$(curl -s "$H/metrics")
	echo "$out" | grep -q "^strata_frontend_statements_total [1-9]" &&
		echo "$out" | grep -q "^strata_frontend_ingest_rows_total 4"
	expect "HTTP: /metrics exposes frontend counters" $? "$out"
else
	skip "HTTP tests" "curl not installed"
fi

# ---- restart: data survives --------------------------------------------------------------
stop_server
rc=$?
if start_server; then
	if command -v mysql >/dev/null; then
		out=$(timeout 30 mysql --protocol=TCP -h 127.0.0.1 -P "$P_mysql" -u root -N -B \
			-e "SELECT host, v FROM cli ORDER BY host; SELECT count(*) FROM weather" 2>&1)
		[ $rc -eq 0 ] && [ "$out" = $'a\t1.25\nb\tNULL\n4' ]
		expect "restart: tables and rows survive a restart on the same data home" $? "rc=$rc $out"
	else
		skip "restart check" "mysql client missing"
	fi
else
	nok "restart: the server starts again on the same data home"
	tail -n 30 "$work/server.log"
fi

# ---- clean shutdown ------------------------------------------------------------------------
stop_server
rc=$?
if [ $rc -eq 0 ] && ! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$work/server.log"; then
	ok "strata standalone stops cleanly on SIGTERM (exit 0, no sanitizer report)"
else
	nok "strata standalone stops cleanly on SIGTERM (exit $rc)"
	grep -E -A30 "AddressSanitizer|LeakSanitizer|runtime error" "$work/server.log" | head -80
fi
echo "1..$n"
[ $failed -eq 0 ]
