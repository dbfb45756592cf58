#!/usr/bin/env bash
# sqlness: golden-file SQL cases against `strata standalone start`.
#
# Runs tests/sqlness/runner.py (Debian's /usr/bin/python3 with pymysql and
# psycopg2) with $STRATA_BUILD/strata: every case of tests/sqlness/cases
# over MySQL and over PostgreSQL, each on a fresh server with a temporary
# data home (the runner starts, restarts and stops the server itself), then
# the GreptimeDB peer cases of shared/peer-tests/greptime-sqlness/standalone,
# whose match count is reported as comment lines (see
# tests/sqlness/EXCLUSIONS.md for what is out of scope). Prints TAP lines.
set -u
cd "$(dirname "$0")/../.."
B=${STRATA_BUILD:-build}
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ ! -x "$B/strata" ]; then
	echo "not ok 1 - strata binary is built ($B/strata missing)"
	exit 1
fi
if ! "$PY" -c 'import pymysql, psycopg2' 2>/dev/null; then
	echo "ok 1 - sqlness # SKIP python3-pymysql / python3-psycopg2 not installed"
	exit 0
fi
peer=()
for d in ../shared/peer-tests/greptime-sqlness/standalone /work/shared/peer-tests/greptime-sqlness/standalone; do
	if [ -d "$d" ]; then
		peer=(--peer "$d")
		break
	fi
done
[ "${SQLNESS_NO_PEER:-0}" = 1 ] && peer=()
"$PY" tests/sqlness/runner.py --strata "$B/strata" --work "$work" \
	--cases tests/sqlness/cases "${peer[@]}" --exclusions tests/sqlness/EXCLUSIONS.md
rc=$?
if [ $rc -ne 0 ] && [ -f "$work/server.log" ]; then
	echo "# last server log lines:"
	tail -n 30 "$work/server.log" | sed 's/^/#   /'
fi
exit $rc
