#!/usr/bin/env bash
# cluster_alter_resume: an ALTER TABLE interrupted by the death of the
# metasrv is completed by the metasrv that comes back (alter intents,
# src/meta/metasrv_procedure.c), on a real cluster: one metasrv, three
# datanodes and a frontend, as processes of this suite, through the mysql
# CLI.
#
# Table pt has 3 regions (leaders on the 3 datanodes). The metasrv runs
# with STRATA_FAULTS="metasrv.alter.region=kill": it dies right after the
# first region took `ALTER TABLE pt ADD COLUMN b DOUBLE`, before the others
# and before the catalog. That region is then ahead of the catalog and
# refuses writes built for the old schema, so without completion the table
# would stay unwritable. After a restart (no fault) the metasrv completes
# the ALTER on its own: the catalog shows b, every region takes writes
# with b, the rows written before are all there (b NULL), and the intent
# is gone (a second restart logs no completion).
# Prints TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/suites/lib/cluster.sh
B=${STRATA_BUILD:-build}
STRATA=$B/strata
DRV=$B/tests/tools/cluster_driver
IV=200
work=$(mktemp -d /tmp/strata-aresume-XXXXXX)
declare -A pid
n=0
trap cluster_cleanup EXIT
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | head -30 | sed 's/^/#   /'
	return 0
}
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:
$2
want:
$3"; fi; }
if [ ! -x "$STRATA" ] || ! command -v mysql >/dev/null || ! command -v python3 >/dev/null; then
	echo "not ok 1 - needs $STRATA, mysql and python3"
	exit 1
fi

META=127.0.0.1:$(free_port)
for i in 0 1 2; do DP[$i]=$(free_port); done
P_MY=$(free_port)
P_HTTP=$(free_port)
P_PG=$(free_port)
drv() { "$DRV" --meta "$META" "$@"; }
my() { mysql --protocol=TCP -h 127.0.0.1 -P "$P_MY" -u root -N -B -e "$1" 2>&1; }

start_metasrv STRATA_FAULTS="metasrv.alter.region=kill"
for i in 0 1 2; do start_datanode $i; done
if ! drv wait-alive 3 20000 >/dev/null 2>&1; then
	not_ok "3 datanodes ALIVE" "$(tail -5 "$work"/*.log)"
	echo "1..$n"
	exit 0
fi
start_frontend
my_up() { my "SELECT 1" >/dev/null; }
if ! poll 20 my_up; then
	not_ok "frontend up" "$(tail -20 "$work/frontend.log")"
	echo "1..$n"
	exit 0
fi
ok "cluster up: metasrv (armed to die inside ALTER), 3 datanodes, frontend"

my "CREATE TABLE pt (h STRING, ts TIMESTAMP TIME INDEX, a DOUBLE, PRIMARY KEY (h))
	PARTITION ON COLUMNS (h) (h < 'h', h >= 'h' AND h < 'p', h >= 'p')" >/dev/null
my "INSERT INTO pt (h, ts, a) VALUES ('a', 1, 1), ('k', 1, 2), ('z', 1, 3)" >/dev/null
check "3 regions, one row each" \
	"$(my "SELECT count(*) FROM information_schema.partitions WHERE table_name = 'pt'") $(my "SELECT count(*) FROM pt")" "3 3"

out=$(my "ALTER TABLE pt ADD COLUMN b DOUBLE")
wait "${pid[meta]}" 2>/dev/null
st=$?
if [ -n "$out" ] && [ $st -eq 137 ] && grep -q "injected crash at metasrv.alter.region" "$work/meta.log"; then
	ok "the metasrv died inside the ALTER after the first region (the ALTER fails: $(grep -m1 ERROR <<<"$out"))"
else
	not_ok "metasrv killed inside the ALTER: exit $st, ALTER said '$out'" "$(tail -5 "$work/meta.log")"
fi

start_metasrv
completed() { grep -q "completed the interrupted ALTER of table" "$work/meta.log"; }
if poll 30 completed; then
	ok "the restarted metasrv completed the interrupted ALTER on its own"
else
	not_ok "the restarted metasrv completed the interrupted ALTER" "$(tail -10 "$work/meta.log")"
fi
check "the catalog shows the new column" \
	"$(my "SELECT column_name FROM information_schema.columns WHERE table_name = 'pt' ORDER BY column_name")" \
	"a
b
h
ts"
wrote() { my "INSERT INTO pt (h, ts, a, b) VALUES ('a', 2, 4, 40), ('k', 2, 5, 50), ('z', 2, 6, 60)" >"$work/ins.out" && [ ! -s "$work/ins.out" ]; }
if poll 20 wrote; then
	ok "every region takes writes with the new column"
else
	not_ok "writes with the new column" "$(cat "$work/ins.out")"
fi
check "every row: the ones from before the ALTER with b NULL" \
	"$(my "SELECT h, CAST(ts AS BIGINT), a, b FROM pt ORDER BY h, ts")" \
	"a	1	1	NULL
a	2	4	40
k	1	2	NULL
k	2	5	50
z	1	3	NULL
z	2	6	60"

# the intent is gone: one more restart completes nothing
kill -TERM "${pid[meta]}"
wait "${pid[meta]}" 2>/dev/null
: >"$work/meta.log"
start_metasrv
poll 20 my_up
sleep 2.5 # two rounds of the procedure thread (ALTER_RESUME_MS)
if completed; then
	not_ok "a second restart completes nothing (the intent was removed)" "$(grep -i alter "$work/meta.log" | head -5)"
else
	ok "a second restart completes nothing (the intent was removed)"
fi
stop_cluster_checked fe dn0 dn1 dn2 meta
echo "1..$n"
