#!/usr/bin/env bash
# wire_clients: the MySQL and PostgreSQL wire servers against real clients.
#
# Starts $STRATA_BUILD/tests/tools/wire_test_server (every server on a free
# port, see the tool's header for what each port does), then runs the mysql
# CLI (MariaDB client), psql, pymysql and psycopg2 (Debian's
# /usr/bin/python3), hostile raw-socket clients and, when javac and the
# drivers are installed, PgJDBC and MariaDB Connector/J. Checks exact
# values, error codes, auth, limits. Prints TAP lines; finally checks that
# the server stops cleanly (exit 0, no sanitizer report).
#
# Needs (Debian): mariadb-client postgresql-client python3-pymysql
# python3-psycopg2 python3-cryptography; optional: default-jdk-headless (javac)
# libpostgresql-jdbc-java libmariadb-java.
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
	if [ "$2" -eq 0 ]; then ok "$1"; else nok "$1"; echo "#   ${3:-}" | head -c 2000; echo; fi
}
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# Renumber "ok - x" / "not ok - x" lines of a client script.
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

server="$B/tests/tools/wire_test_server"
if [ ! -x "$server" ]; then
	nok "wire_test_server is built ($server missing)"
	exit 1
fi
"$server" --port-file "$work/ports" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/ports" ] && break; sleep 0.1; done
if [ ! -s "$work/ports" ]; then
	nok "wire_test_server starts and reports its ports"
	cat "$work/server.log"
	exit 1
fi
ok "wire_test_server starts and reports its ports"
while IFS='=' read -r k v; do eval "P_$k=$v"; done <"$work/ports"

# ---- mysql CLI (MariaDB client) ----------------------------------------
if command -v mysql >/dev/null; then
	my() { timeout 20 mysql --protocol=TCP -h 127.0.0.1 "$@"; }
	out=$(my -P "$P_mysql" -u root -N -B -e "select * from types" 2>&1)
	want_row3=$'0\t127\t0\t2147483647\t9223372036854775807\t0\t0\t0\t0\t-1.5\t100000000000000000000\t\t\t1969-12-31\t1969-12-31 23:59:59.000000\t1969-12-31 23:59:59.999000\t1970-01-01 00:00:00.000000\t1969-12-31 23:59:59.999999'
	want_row1_part=$'1\t-8\t-16000\t-2000000000\t-9223372036854775808\t255\t65535\t4294967295\t18446744073709551615\t0.1\t0.1\théllo, \'world\''
	[ "$(echo "$out" | sed -n 3p)" = "$want_row3" ] && [ "$(echo "$out" | sed -n 2p)" = "$(printf 'NULL\t%.0s' {1..17})NULL" ] &&
		[[ "$(echo "$out" | sed -n 1p)" == "$want_row1_part"* ]] &&
		[[ "$(echo "$out" | sed -n 1p)" == *$'\t2024-01-01\t2023-11-14 22:13:20.000000\t1970-01-01 00:00:00.001000\t2023-11-14 22:13:20.123456\t2023-11-14 22:13:20.123456' ]]
	expect "mysql CLI: every type renders as GreptimeDB's text (timestamps .ffffff, floats, unsigned, NULL)" $? "$out"

	out=$(my -P "$P_mysql" -u root -N -B -e "select 'a''b', 1.5, NULL, -3, TRUE" 2>&1)
	[ "$out" = $'a\'b\t1.5\tNULL\t-3\t1' ]
	expect "mysql CLI: literals echo" $? "$out"

	out=$(my -P "$P_mysql" -u root -e "select * from missing" 2>&1 | tail -n 1)
	[ "$out" = "ERROR 1146 (42S02) at line 1: (TableNotFound): Table not found: greptime.public.missing" ]
	expect "mysql CLI: TableNotFound as ERROR 1146 (42S02) with '(TableNotFound): ' prefix" $? "$out"

	out=$(my -P "$P_mysql" -u root -e "SET read_preference='hi'" 2>&1 | tail -n 1)
	[ "$out" = "ERROR 1235 (42000) at line 1: (Unsupported): Not supported: Invalid read preference expr hi in set variable statement" ]
	expect "mysql CLI: GreptimeDB's read_preference error text and code 1235 (42000)" $? "$out"

	out=$(my -P "$P_mysql" -u root -N -B -e "select 1; select big(2); set x = 5; select @@x" 2>&1)
	[ "$out" = $'1\n0\trow-0\n1\trow-1\n5' ]
	expect "mysql CLI: multi-statement script" $? "$out"

	out=$(my -P "$P_mysql" -u root -D public -N -B -e "select database(); use other; select database()" 2>&1)
	[ "$out" = $'public\nother' ]
	expect "mysql CLI: -D database and USE (COM_INIT_DB)" $? "$out"

	out=$(my -P "$P_mysql" -u root -D public -e "status" 2>&1)
	echo "$out" | grep -q "Server version:.*8.4.2"
	expect "mysql CLI: status shows the server version 8.4.2" $? "$out"

	out=$(my -P "$P_mysql_native" -u alice -psecret -N -B -e "select database()" 2>&1)
	[ "$out" = "public" ]
	expect "mysql CLI: mysql_native_password login" $? "$out"

	out=$(my -P "$P_mysql_native" -u alice -pwrong -e "select 1" 2>&1)
	[ "$out" = "ERROR 1045 (28000): Access denied for user 'alice'@'127.0.0.1' (using password: YES)" ]
	expect "mysql CLI: wrong password -> ERROR 1045 (28000)" $? "$out"

	out=$(my -P "$P_mysql_sha2" -u alice -psecret -e "select 1" 2>&1)
	[[ "$out" == "ERROR 1251 (08004): Authentication requires secure connection"* ]]
	expect "mysql CLI: caching_sha2 full auth with a cleartext password over plain TCP is refused clearly" $? "$out"

	$PY - "$P_mysql_sha2" >"$work/warm.log" 2>&1 <<'EOF'
import sys, pymysql
pymysql.connect(host="127.0.0.1", port=int(sys.argv[1]), user="alice", password="secret").close()
EOF
	out=$(my -P "$P_mysql_sha2" -u alice -psecret -N -B -e "select 1" 2>&1)
	[ "$out" = "1" ]
	expect "mysql CLI: caching_sha2 fast path after an RSA full auth (pymysql) cached the user" $? "$out $(cat "$work/warm.log")"

	my -P "$P_mysql_small" -u root -e "select sleep(3000)" >/dev/null 2>&1 &
	h1=$!
	my -P "$P_mysql_small" -u root -e "select sleep(3000)" >/dev/null 2>&1 &
	h2=$!
	sleep 0.5
	out=$(my -P "$P_mysql_small" -u root --skip-ssl -e "select 1" 2>&1)
	wait $h1 $h2
	[ "$out" = "ERROR 1040 (08004): Too many connections" ]
	expect "mysql CLI: over max_connections -> ERROR 1040 (08004): Too many connections" $? "$out"
else
	skip "mysql CLI tests" "mysql (mariadb-client) not installed"
fi

# ---- psql ---------------------------------------------------------------
if command -v psql >/dev/null; then
	ps() { PGCONNECT_TIMEOUT=10 timeout 20 psql -X -h 127.0.0.1 "$@"; }
	out=$(ps -p "$P_pg" -U alice -d public -At -F '|' -c "select * from types" 2>&1)
	want=$'t|-8|-16000|-2000000000|-9223372036854775808|255|65535|4294967295|18446744073709551615|0.1|0.1|héllo, \'world\'|\\x0001feff|2024-01-01|2023-11-14 22:13:20.000000|1970-01-01 00:00:00.001000|2023-11-14 22:13:20.123456|2023-11-14 22:13:20.123456\n|||||||||||||||||\nf|127|0|2147483647|9223372036854775807|0|0|0|0|-1.5|1e+20||\\x|1969-12-31|1969-12-31 23:59:59.000000|1969-12-31 23:59:59.999000|1970-01-01 00:00:00.000000|1969-12-31 23:59:59.999999'
	[ "$out" = "$want" ]
	expect "psql: every type renders as text (t/f, bytea hex, 1e+20, timestamps .ffffff)" $? "$out"

	out=$(ps -p "$P_pg" -U alice -d public -c "\\set VERBOSITY verbose" -c "select * from missing" 2>&1)
	echo "$out" | grep -q "ERROR:  42P01: Table not found: greptime.public.missing"
	expect "psql: error with SQLSTATE 42P01" $? "$out"

	out=$(ps -p "$P_pg" -U alice -d public -At -c "begin" -c "select 1" -c "commit" -c "select big(2)" 2>&1)
	[ "$out" = $'BEGIN\n1\nCOMMIT\n0|row-0\n1|row-1' ]
	expect "psql: BEGIN/COMMIT answered by the server" $? "$out"

	out=$(ps -p "$P_pg" -U alice -d public -At -c "select 1; select 'two'" 2>&1)
	[ "$out" = $'1\ntwo' ]
	expect "psql: multi-statement simple query returns every result" $? "$out"

	for m in password md5 scram; do
		out=$(PGPASSWORD=secret ps -p "$(eval echo \$P_pg_$m)" -U alice -d public -At -c "select 1" 2>&1)
		[ "$out" = "1" ]
		expect "psql: $m authentication succeeds" $? "$out"
		out=$(PGPASSWORD=bad ps -p "$(eval echo \$P_pg_$m)" -U alice -d public -At -c "select 1" 2>&1)
		echo "$out" | grep -q 'password authentication failed for user "alice"'
		expect "psql: $m authentication rejects a wrong password" $? "$out"
	done

	out=$(ps -p "$P_pg" -U alice -d nosuchdb -c "select 1" 2>&1)
	echo "$out" | grep -q "FATAL:  Database not found: nosuchdb"
	expect "psql: unknown database is refused at startup" $? "$out"

	ps -p "$P_pg_small" -U alice -d public -c "select sleep(3000)" >/dev/null 2>&1 &
	h1=$!
	ps -p "$P_pg_small" -U alice -d public -c "select sleep(3000)" >/dev/null 2>&1 &
	h2=$!
	sleep 0.5
	out=$(ps -p "$P_pg_small" -U alice -d public -c "select 1" 2>&1)
	wait $h1 $h2
	echo "$out" | grep -q "FATAL:  Too many connections"
	expect "psql: over max_connections -> FATAL Too many connections" $? "$out"
else
	skip "psql tests" "psql (postgresql-client) not installed"
fi

# ---- Python clients -------------------------------------------------------
if $PY -c "import pymysql" 2>/dev/null; then
	relay < <(cd tests/clients && timeout 300 $PY mysql_clients.py "$work/ports" 2>&1)
else
	skip "pymysql tests" "python3-pymysql not installed for /usr/bin/python3"
fi
if $PY -c "import psycopg2" 2>/dev/null; then
	relay < <(cd tests/clients && timeout 300 $PY pg_clients.py "$work/ports" 2>&1)
else
	skip "psycopg2 tests" "python3-psycopg2 not installed for /usr/bin/python3"
fi

# ---- JDBC -----------------------------------------------------------------
pgjar=/usr/share/java/postgresql.jar
myjar=/usr/share/java/mariadb-java-client.jar
if command -v javac >/dev/null && [ -f "$pgjar" ] && [ -f "$myjar" ]; then
	mkdir -p "$work/jdbc"
	if javac -d "$work/jdbc" tests/clients/java/WireJdbc.java 2>"$work/javac.log"; then
		J="java -Duser.timezone=UTC -Xss512k -XX:+UseSerialGC -Xmx256m"
		relay < <(timeout 120 $J -cp "$pgjar:$work/jdbc" WireJdbc pg \
			"jdbc:postgresql://127.0.0.1:$P_pg_scram/public" \
			"jdbc:postgresql://127.0.0.1:$P_pg/public?prepareThreshold=1&binaryTransfer=true" 2>&1)
		relay < <(timeout 120 $J -cp "$myjar:$work/jdbc" WireJdbc mysql \
			"jdbc:mariadb://127.0.0.1:$P_mysql_native/public" \
			"jdbc:mariadb://127.0.0.1:$P_mysql_native/public?useServerPrepStmts=true" \
			"jdbc:mysql://127.0.0.1:$P_mysql_sha2/public?useServerPrepStmts=true" 2>&1)
	else
		nok "JDBC test compiles"
		cat "$work/javac.log"
	fi
else
	skip "JDBC tests" "javac, libpostgresql-jdbc-java or libmariadb-java missing"
fi

# ---- clean shutdown ---------------------------------------------------------
kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
if [ $rc -eq 0 ] && ! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$work/server.log"; then
	ok "wire_test_server stops cleanly on SIGTERM (exit 0, no sanitizer report)"
else
	nok "wire_test_server stops cleanly on SIGTERM (exit $rc)"
	grep -E -A20 "AddressSanitizer|LeakSanitizer|runtime error" "$work/server.log" | head -60
fi
echo "1..$n"
[ $failed -eq 0 ]
