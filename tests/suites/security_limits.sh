#!/usr/bin/env bash
# security_limits: authentication, TLS and limits of `strata standalone start`
# with real clients (mysql CLI, psql, curl, pymysql, psycopg2 and a few raw
# protocol exchanges in tests/clients/security_limits.py).
#
# Three servers, each on free ports with its own temporary data home:
#   A  users file (root=pass1, alice=s3cret), SCRAM-SHA-256, TLS prefer
#      (self-signed certificate made here with openssl), and small limits:
#      --max-connections 3 --mysql-max-packet 64K --pg-max-message 64K
#      --http-max-body 64K --max-insert-rows 100
#   B  same users, --pg-auth-method md5, --mysql-auth-plugin
#      caching_sha2_password, --statement-timeout-ms 300, no TLS
#   C  no users file (no authentication), --tls-mode require, --pg-max-message 64K
#   D  --query-memory-limit 1M: a GROUP BY over 50,000 groups and a full ORDER BY
#      of 50,000 rows fail with the limit's error; counts, top-k and other
#      connections keep working
# Every server must stop on SIGTERM with status 0 and no sanitizer report.
# Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
B=${STRATA_BUILD:-build}
PY=/usr/bin/python3
work=$(mktemp -d)
n=0
failed=0
pids=()

ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
expect() { # description, condition-exit-status, detail
	if [ "$2" -eq 0 ]; then ok "$1"; else nok "$1"; echo "#   ${3:-}" | head -c 2000; echo; fi
}
cleanup() {
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
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

# start_server NAME flags... -> P_<NAME>_mysql / _postgres / _http, pid in PID_<NAME>
start_server() {
	local name=$1
	shift
	mkdir -p "$work/$name"
	"$B/strata" standalone start --data-home "$work/$name/data" --mysql-addr 127.0.0.1:0 \
		--postgres-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --port-file "$work/$name/ports" \
		"$@" >>"$work/$name/server.log" 2>&1 &
	local pid=$!
	pids+=("$pid")
	eval "PID_$name=$pid"
	for _ in $(seq 300); do [ -s "$work/$name/ports" ] && break; sleep 0.1; done
	[ -s "$work/$name/ports" ] || return 1
	while IFS='=' read -r k v; do eval "P_${name}_$k=$v"; done <"$work/$name/ports"
}

stop_server() { # NAME: SIGTERM, status 0, no sanitizer report
	local name=$1 pid
	eval "pid=\$PID_$name"
	kill -TERM "$pid"
	wait "$pid"
	local rc=$?
	local new=()
	for p in "${pids[@]}"; do [ "$p" != "$pid" ] && new+=("$p"); done
	pids=("${new[@]+"${new[@]}"}")
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$work/$name/server.log"
	local san=$?
	expect "server $name stops cleanly (exit $rc, no sanitizer report)" $((rc != 0 || san != 0)) \
		"$(grep -E -A12 'Sanitizer|runtime error' "$work/$name/server.log" | head -40)"
}

if [ ! -x "$B/strata" ]; then
	nok "strata is built ($B/strata missing)"
	exit 1
fi
for tool in mysql psql curl openssl; do
	command -v $tool >/dev/null || { nok "$tool is installed (scripts/install-deps.sh test)"; exit 1; }
done

printf 'root=pass1\n# a comment, then a blank line\n\n  alice = s3cret  \n' >"$work/users.txt"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-days 2 -subj /CN=localhost >/dev/null 2>&1
expect "openssl made a self-signed certificate" $? ""

# ---- flags that must stop the server before it listens --------------------------
out=$(timeout 20 "$B/strata" standalone start --data-home "$work/bad" --mysql-addr 127.0.0.1:0 \
	--postgres-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 \
	--user-provider static_user_provider:file:"$work/missing.txt" 2>&1)
rc=$?
expect "a missing users file stops the server (exit $rc)" $((rc == 0)) "$out"
printf 'root\n' >"$work/bad_users.txt"
out=$(timeout 20 "$B/strata" standalone start --data-home "$work/bad" --mysql-addr 127.0.0.1:0 \
	--postgres-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 \
	--user-provider static_user_provider:file:"$work/bad_users.txt" 2>&1)
rc=$?
echo "$out" | grep -q "expected user=password"
expect "a malformed users file stops the server with the line's error" $((rc == 0 || $? != 0)) "$out"
out=$(timeout 20 "$B/strata" standalone start --data-home "$work/bad" --mysql-addr 127.0.0.1:0 \
	--postgres-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --tls-cert-path "$work/cert.pem" \
	--tls-key-path "$work/users.txt" 2>&1)
rc=$?
echo "$out" | grep -q "TLS key"
expect "an unusable TLS key stops the server clearly" $((rc == 0 || $? != 0)) "$out"

# ---- server A: users, SCRAM, TLS prefer, small limits --------------------------
if ! start_server A --user-provider static_user_provider:file:"$work/users.txt" \
	--tls-cert-path "$work/cert.pem" --tls-key-path "$work/key.pem" --max-connections 3 \
	--mysql-max-packet 64K --pg-max-message 64K --http-max-body 64K --max-insert-rows 100; then
	nok "server A starts"
	cat "$work/A/server.log"
	exit 1
fi
ok "server A starts (users file, TLS, limits)"

my() { timeout 30 mysql --protocol=TCP -h 127.0.0.1 -P "$P_A_mysql" -N -B "$@" 2>&1; }
out=$(my -u alice -ps3cret --skip-ssl -e "SELECT 40+2")
expect "mysql CLI: right password" $([ "$out" = 42 ]; echo $?) "$out"
out=$(my -u alice -pwrong --skip-ssl -e "SELECT 1")
echo "$out" | grep -q "ERROR 1045 (28000).*Access denied for user 'alice'"
expect "mysql CLI: wrong password -> ERROR 1045 Access denied" $? "$out"
out=$(my -u nobody -ps3cret --skip-ssl -e "SELECT 1")
echo "$out" | grep -q "ERROR 1045"
expect "mysql CLI: unknown user -> ERROR 1045" $? "$out"
out=$(my -u root --skip-ssl -e "SELECT 1")
echo "$out" | grep -q "ERROR 1045.*using password: NO"
expect "mysql CLI: no password -> ERROR 1045 (using password: NO)" $? "$out"
out=$(my -u alice -ps3cret --skip-ssl --default-auth=caching_sha2_password -e "SELECT 43")
expect "mysql CLI: caching_sha2_password, right password" $([ "$out" = 43 ]; echo $?) "$out"
out=$(my -u alice -pwrong --skip-ssl --default-auth=caching_sha2_password -e "SELECT 43")
echo "$out" | grep -q "ERROR 1045"
expect "mysql CLI: caching_sha2_password, wrong password -> 1045" $? "$out"
out=$(my -u root -ppass1 --ssl --ssl-verify-server-cert=0 -e "status")
echo "$out" | grep -qE "^SSL:.*Cipher in use is"
expect "mysql --ssl: TLS session (status shows the cipher)" $? "$out"
out=$(my -u root -ppass1 --ssl --ssl-verify-server-cert=0 --default-auth=caching_sha2_password \
	-e "CREATE TABLE tls_t (ts TIMESTAMP TIME INDEX, v DOUBLE); INSERT INTO tls_t VALUES (1, 2.5); SELECT v FROM tls_t")
expect "mysql --ssl (caching_sha2 full auth over TLS): create, insert, select" \
	$([ "$out" = 2.5 ]; echo $?) "$out"

ps() { PGPASSWORD=$1 timeout 30 psql "host=127.0.0.1 port=$P_A_postgres user=$2 dbname=public $3" -X -A -t "${@:4}" 2>&1; }
out=$(ps s3cret alice "sslmode=require" -c "\\conninfo" -c "SELECT v FROM tls_t")
echo "$out" | grep -q "SSL connection (protocol: TLS" && echo "$out" | grep -qx "2.5"
expect "psql sslmode=require: TLS session, query works" $? "$out"
out=$(ps s3cret alice "sslmode=disable" -c "SELECT 44")
expect "psql (SCRAM): right password without TLS" $([ "$out" = 44 ]; echo $?) "$out"
out=$(ps wrong alice "sslmode=disable" -c "SELECT 1")
echo "$out" | grep -q 'FATAL:  password authentication failed for user "alice"'
expect "psql: wrong password -> password authentication failed" $? "$out"
out=$(ps s3cret nobody "sslmode=disable" -c "SELECT 1")
echo "$out" | grep -q 'password authentication failed for user "nobody"'
expect "psql: unknown user rejected" $? "$out"

h() { timeout 30 curl -s -o "$work/body" -w '%{http_code}' "$@"; }
code=$(h "http://127.0.0.1:$P_A_http/v1/sql?db=public" --data-urlencode "sql=SELECT v FROM tls_t")
expect "HTTP /v1/sql without credentials -> 401" $([ "$code" = 401 ]; echo $?) "$code $(cat "$work/body")"
code=$(h -u alice:wrong "http://127.0.0.1:$P_A_http/v1/sql?db=public" --data-urlencode "sql=SELECT 1")
expect "HTTP /v1/sql wrong password -> 401" $([ "$code" = 401 ]; echo $?) "$code $(cat "$work/body")"
code=$(h -u alice:s3cret "http://127.0.0.1:$P_A_http/v1/sql?db=public" --data-urlencode "sql=SELECT v FROM tls_t")
grep -q '"rows":\[\[2.5\]\]' "$work/body"
expect "HTTP /v1/sql basic auth -> 200 with rows" $([ "$code" = 200 ] && [ $? = 0 ]; echo $?) \
	"$code $(cat "$work/body")"
head -c 100000 /dev/zero | tr '\0' x >"$work/big"
code=$(h -u alice:s3cret "http://127.0.0.1:$P_A_http/v1/sql?db=public" --data-binary @"$work/big")
expect "HTTP body over --http-max-body -> 413" $([ "$code" = 413 ]; echo $?) "$code $(cat "$work/body")"

if [ -x "$PY" ] && "$PY" -c 'import pymysql, psycopg2' 2>/dev/null; then
	relay < <(cd tests/clients && timeout 120 "$PY" security_limits.py auth "$work/A/ports" 2>&1)
	relay < <(cd tests/clients && timeout 180 "$PY" security_limits.py limits "$work/A/ports" 2>&1)
else
	nok "pymysql and psycopg2 are installed (scripts/install-deps.sh test)"
fi
out=$(ps s3cret alice "sslmode=require" -c "SELECT '$(head -c 100000 /dev/zero | tr '\0' x)'")
echo "$out" | grep -q "FATAL:  message of 100014 bytes exceeds the limit of 65536 bytes"
expect "psql: message over --pg-max-message -> FATAL with the sizes" $? "${out:0:300}"
code=$(h -u alice:s3cret "http://127.0.0.1:$P_A_http/v1/sql?db=public" --data-urlencode "sql=SELECT count(*) FROM lim")
grep -q '"rows":\[\[100\]\]' "$work/body"
expect "server A still serves after every limit was hit" $? "$code $(cat "$work/body")"
stop_server A

# ---- server B: md5, caching_sha2 by default, statement timeout, no TLS ----------
if start_server B --user-provider static_user_provider:file:"$work/users.txt" --pg-auth-method md5 \
	--mysql-auth-plugin caching_sha2_password --statement-timeout-ms 300; then
	ok "server B starts (md5, caching_sha2_password, --statement-timeout-ms 300)"
	out=$(PGPASSWORD=s3cret timeout 30 psql "host=127.0.0.1 port=$P_B_postgres user=alice dbname=public sslmode=require" -XAt -c "SELECT 1" 2>&1)
	echo "$out" | grep -q "server does not support SSL"
	expect "psql sslmode=require without a server certificate fails clearly" $? "$out"
	out=$(PGPASSWORD=s3cret timeout 30 psql "host=127.0.0.1 port=$P_B_postgres user=alice dbname=public" -XAt -c "SELECT 45" 2>&1)
	expect "psql md5: right password" $([ "$out" = 45 ]; echo $?) "$out"
	out=$(PGPASSWORD=x timeout 30 psql "host=127.0.0.1 port=$P_B_postgres user=alice dbname=public" -XAt -c "SELECT 45" 2>&1)
	echo "$out" | grep -q "password authentication failed"
	expect "psql md5: wrong password rejected" $? "$out"
	out=$(timeout 30 mysql --protocol=TCP -h 127.0.0.1 -P "$P_B_mysql" -u alice -ps3cret -NB \
		--default-auth=mysql_native_password -e "SELECT 46" 2>&1)
	expect "mysql CLI with mysql_native_password on a caching_sha2_password server" \
		$([ "$out" = 46 ]; echo $?) "$out"
	# the MariaDB CLI does not fetch the RSA key: a clear error, as MySQL gives
	out=$(timeout 30 mysql --protocol=TCP -h 127.0.0.1 -P "$P_B_mysql" -u alice -ps3cret -NB \
		-e "SELECT 46" 2>&1)
	echo "$out" | grep -q "ERROR 1251.*secure connection"
	expect "caching_sha2 full auth without TLS or RSA key request -> clear 1251" $? "$out"
	if [ -x "$PY" ] && "$PY" -c 'import pymysql, psycopg2' 2>/dev/null; then
		relay < <(cd tests/clients && timeout 120 "$PY" security_limits.py md5 "$work/B/ports" 2>&1)
	fi
	stop_server B
else
	nok "server B starts"
	cat "$work/B/server.log"
fi

# ---- server D: per-query memory limit -----------------------------------------------
if start_server D --query-memory-limit 1M; then
	ok "server D starts (--query-memory-limit 1M)"
	myd() { timeout 60 mysql --protocol=TCP -h 127.0.0.1 -P "$P_D_mysql" -u root -NB "$@" 2>&1; }
	"$PY" - "$work/mem.sql" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("CREATE TABLE m (host STRING, ts TIMESTAMP TIME INDEX, v DOUBLE, PRIMARY KEY (host));\n")
    for b in range(10):
        rows = ",".join("('host_%06d', %d, %d.5)" % (i, 1000 + i, i) for i in range(b * 5000, b * 5000 + 5000))
        f.write("INSERT INTO m VALUES %s;\n" % rows)
PYEOF
	out=$(myd <"$work/mem.sql")
	expect "50,000 rows in 50,000 series loaded" $([ -z "$out" ]; echo $?) "$out"
	out=$(myd -e "SELECT host, count(*) FROM m GROUP BY host")
	echo "$out" | grep -q "exceeded the memory limit of 1048576 bytes"
	expect "GROUP BY over 50,000 groups: fails with the memory limit's error" $? "$(echo "$out" | head -c 300)"
	out=$(myd -e "SELECT * FROM m ORDER BY v DESC")
	echo "$out" | grep -q "exceeded the memory limit"
	expect "ORDER BY of 50,000 rows without LIMIT: fails with the memory limit's error" $? "$(echo "$out" | head -c 300)"
	out=$(myd -e "SELECT count(*), max(v) FROM m")
	expect "an aggregate without groups still answers: $out" $([ "$out" = "50000	49999.5" ]; echo $?) "$out"
	out=$(myd -e "SELECT host FROM m ORDER BY v DESC LIMIT 2")
	expect "top-k (ORDER BY ... LIMIT 2) stays under the limit" $([ "$out" = "host_049999
host_049998" ]; echo $?) "$out"
	out=$(myd -e "SELECT 7")
	expect "the server keeps serving after the refused queries" $([ "$out" = 7 ]; echo $?) "$out"
	stop_server D
else
	nok "server D starts"
	cat "$work/D/server.log"
fi

# ---- server C: no users file, TLS required -------------------------------------
if start_server C --tls-mode require --tls-cert-path "$work/cert.pem" --tls-key-path "$work/key.pem" \
	--pg-max-message 64K; then
	ok "server C starts (no users file, --tls-mode require)"
	out=$(timeout 30 mysql --protocol=TCP -h 127.0.0.1 -P "$P_C_mysql" -u anyone -pwhatever --ssl \
		--ssl-verify-server-cert=0 -NB -e "SELECT 47" 2>&1)
	expect "no users file: any user and password get in (over TLS)" $([ "$out" = 47 ]; echo $?) "$out"
	out=$(timeout 30 psql "host=127.0.0.1 port=$P_C_postgres user=anyone dbname=public sslmode=require" -XAt -c "SELECT 48" 2>&1)
	expect "no users file: psql sslmode=require gets in" $([ "$out" = 48 ]; echo $?) "$out"
	out=$(timeout 30 mysql --protocol=TCP -h 127.0.0.1 -P "$P_C_mysql" -u anyone --skip-ssl -NB -e "SELECT 1" 2>&1)
	echo "$out" | grep -q "ERROR 3159"
	expect "--tls-mode require: mysql without TLS -> ERROR 3159" $? "$out"
	out=$(timeout 30 psql "host=127.0.0.1 port=$P_C_postgres user=anyone dbname=public sslmode=disable" -XAt -c "SELECT 1" 2>&1)
	echo "$out" | grep -q "SSL connection is required"
	expect "--tls-mode require: psql sslmode=disable refused" $? "$out"
	if [ -x "$PY" ]; then
		relay < <(cd tests/clients && timeout 60 "$PY" security_limits.py raw_tls "$work/C/ports" 2>&1)
	fi
	stop_server C
else
	nok "server C starts"
	cat "$work/C/server.log"
fi

echo "1..$n"
[ $failed -eq 0 ]
