#!/usr/bin/env bash
# cluster_stream: region answers stream from the datanodes to the
# frontend's engine (src/frontend/regions.c, cluster/cluster_client.h
# region_reader), on a real cluster: one metasrv, three datanodes and a
# frontend started with --query-memory-limit 262144 (256 KiB), as
# processes of this suite, through the mysql CLI.
#
# Table big: 3 regions (leaders on the 3 datanodes), 150000 known rows of
# about 60 bytes: an answer ~35 times the memory limit.
#   - the limit is real: a query that must hold every row (ORDER BY) fails
#     with the memory-limit error;
#   - SELECT * succeeds with every row, for leader and follower reads
#     (followers added, data flushed; EXPLAIN ANALYZE names the
#     followers): row count and a checksum of every value against the
#     rows inserted;
#   - LIMIT 10 returns quickly and the frontend keeps answering exactly
#     afterwards (a stream closed early leaves no half-read connection in
#     the pool), also after 30 LIMIT queries in a row;
#   - pushed-down aggregates carry the statement's limits to the datanode:
#     a GROUP BY over 150000 groups fails there with the memory-limit
#     error (the message names the peer), a 30 ms max_execution_time gives
#     the statement-timeout error (MySQL 3024);
#   - the leader of the region being streamed is killed mid-stream (the
#     frontend consumes slowly: an expensive filter evaluated on the
#     frontend): the query fails with a clear error naming the peer's
#     connection, never a shorter answer; the frontend keeps serving, and
#     follower_preferred reads fall back to leaders / live followers.
# Prints TAP.
set -u
shopt -s lastpipe # relay runs in this shell: its counters and kills stick
cd "$(dirname "$0")/../.."
. tests/suites/lib/cluster.sh
B=${STRATA_BUILD:-build}
STRATA=$B/strata
DRV=$B/tests/tools/cluster_driver
IV=200
work=$(mktemp -d /tmp/strata-stream-XXXXXX)
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

start_metasrv
for i in 0 1 2; do start_datanode $i; done
if ! drv wait-alive 3 20000 >/dev/null 2>&1; then
	not_ok "3 datanodes ALIVE" "$(tail -5 "$work"/*.log)"
	echo "1..$n"
	exit 0
fi
start_frontend --query-memory-limit 262144
my_up() { mysql --protocol=TCP -h 127.0.0.1 -P "$P_MY" -u root -N -B -e "SELECT 1" >/dev/null 2>&1; }
if ! poll 20 my_up; then
	not_ok "frontend up" "$(tail -20 "$work/frontend.log")"
	echo "1..$n"
	exit 0
fi
ok "cluster up: metasrv, 3 datanodes, frontend with --query-memory-limit 262144"

relay() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		"KILL "*) # KILL <node>: kill -9 that datanode, answer on the fifo
			local d=${line#KILL }
			kill -9 "${pid[dn$d]}" 2>/dev/null
			wait "${pid[dn$d]}" 2>/dev/null
			pid[dn$d]=
			echo killed >"$work/killed"
			;;
		*) echo "$line" ;;
		esac
	done
}

P_MY=$P_MY WORK=$work python3 -u - 2>&1 <<'EOF' | relay
import hashlib, os, subprocess, sys, time

PORT = os.environ["P_MY"]
WORK = os.environ["WORK"]


def ok(msg):
    print("ok - " + msg, flush=True)


def not_ok(msg, detail=""):
    print("not ok - " + msg, flush=True)
    for line in str(detail).splitlines()[:30]:
        print("#   " + line, flush=True)


def my(sql, timeout=120):
    r = subprocess.run(["timeout", str(timeout), "mysql", "--protocol=TCP", "-h", "127.0.0.1",
                        "-P", PORT, "-u", "root", "-N", "-B"],
                       input=sql, capture_output=True, text=True)
    err = [l for l in r.stderr.splitlines() if l.startswith("ERROR")]
    return r.returncode, r.stdout, (err[-1] if err else r.stderr.strip())


def must(sql, what):
    rc, out, err = my(sql)
    if rc != 0:
        not_ok(what, err)
        sys.exit(0)
    return out


N = 150000
HOSTS = ["h%02d" % i for i in range(30)]


def row(i):
    return (HOSTS[i % 30], i, (i * 7919) % 1000003, "payload-%08d" % i)


must("CREATE TABLE big (ts TIMESTAMP TIME INDEX, host STRING PRIMARY KEY, v BIGINT, s STRING) "
     "PARTITION ON COLUMNS ('host') (host < 'h10', host >= 'h10' AND host < 'h20', host >= 'h20')",
     "create big")
for lo in range(0, N, 5000):
    vals = ", ".join("(%d, '%s', %d, '%s')" % (1700000000000 + i, h, v, s)
                     for (h, i, v, s) in (row(k) for k in range(lo, min(N, lo + 5000))))
    must("INSERT INTO big (ts, host, v, s) VALUES " + vals, "insert rows %d.." % lo)

EXPECT = hashlib.sha256()
for line in sorted("%s\t%d\t%s" % (h, v, s) for (h, i, v, s) in (row(k) for k in range(N))):
    EXPECT.update(line.encode() + b"\n")
EXPECT = EXPECT.hexdigest()


def check_all(tag, pre=""):
    """SELECT * through the frontend: every row, checksummed."""
    t0 = time.time()
    rc, out, err = my(pre + "SELECT * FROM big")
    dt = time.time() - t0
    if rc != 0:
        not_ok(tag + ": SELECT * FROM big", err)
        return
    lines = out.splitlines()
    got = hashlib.sha256()
    for line in sorted("\t".join(l.split("\t")[1:]) for l in lines):
        got.update(line.encode() + b"\n")
    if len(lines) == N and got.hexdigest() == EXPECT:
        ok("%s: SELECT * FROM big under a 256 KiB memory limit returns all %d rows, "
           "checksum matches (%.1f s, ~%d KB answer)" % (tag, N, dt, len(out) // 1024))
    else:
        not_ok("%s: SELECT * FROM big: %d rows, checksum %s" % (tag, len(lines),
               "ok" if got.hexdigest() == EXPECT else "differs"), out[:500])


# ---- the limit is in force for what must be held ------------------------------------
rc, out, err = my("SELECT host, v, s FROM big ORDER BY v, s")
if rc != 0 and "memory limit of 262144 bytes" in err:
    ok("the 256 KiB limit is real: ORDER BY over every row fails: " + err[:120])
else:
    not_ok("ORDER BY over every row should exceed the memory limit", err or out[:200])

# ---- leader reads -------------------------------------------------------------------------
check_all("leader")

# ---- follower reads: followers on other datanodes, data in SSTs --------------------------
must("ADMIN ADD_TABLE_FOLLOWER('big')", "add followers")
must("ADMIN FLUSH_TABLE('big')", "flush big")
deadline = time.time() + 30
while time.time() < deadline:
    rc, out, err = my("SET READ_PREFERENCE='follower'; SELECT count(*) FROM big")
    if rc == 0 and out.strip() == str(N):
        break
    time.sleep(0.3)
check_all("follower", "SET READ_PREFERENCE='follower'; ")
rc, out, err = my("SET READ_PREFERENCE='follower'; SET strata_agg_pushdown = 0; "
                  "EXPLAIN ANALYZE SELECT * FROM big")
if rc == 0 and out.count("(follower)") == 3:
    ok("follower: EXPLAIN ANALYZE SELECT * names a follower for each of the 3 regions")
else:
    not_ok("follower: EXPLAIN ANALYZE should name 3 followers", err or out[:600])

# ---- LIMIT closes streams early; the frontend stays exact ---------------------------------
t0 = time.time()
rc, out, err = my("SELECT * FROM big LIMIT 10")
dt = time.time() - t0
if rc == 0 and len(out.splitlines()) == 10 and dt < 5:
    ok("SELECT * FROM big LIMIT 10: 10 rows in %.2f s" % dt)
else:
    not_ok("LIMIT 10", err or out[:300])
bad = []
for k in range(30):
    pref = "follower" if k % 2 else "leader"
    rc, out, err = my("SET READ_PREFERENCE='%s'; SELECT host, v FROM big LIMIT 10; "
                      "SELECT count(*), sum(v) FROM big WHERE host = 'h%02d'" % (pref, k % 30))
    want_sum = sum(row(i)[2] for i in range(k % 30, N, 30))
    lines = out.splitlines()
    if rc != 0 or len(lines) != 11 or lines[10] != "%d\t%d" % (N // 30, want_sum):
        bad.append((k, err or lines[10:]))
if not bad:
    ok("30 LIMIT queries (leader and follower), each followed by an exact count/sum on the "
       "same frontend")
else:
    not_ok("after LIMIT queries", bad[:3])
check_all("after the LIMIT queries")

# ---- pushed-down aggregates run under the statement's limits on the datanode ---------------
rc, out, err = my("SELECT host, v, s, count(*) FROM big GROUP BY host, v, s")
if rc != 0 and "memory limit of 262144 bytes" in err and "peer 127.0.0.1" in err:
    ok("pushed-down GROUP BY over 150000 groups: the datanode's memory-limit error: " +
       err[:160])
else:
    not_ok("pushed-down GROUP BY should fail on the datanode's memory limit", err or out[:200])
rc, out, err = my("SET max_execution_time = 30; "
                  "SELECT host, count(*), max(length(repeat(s, 400))) FROM big GROUP BY host")
if rc != 0 and "3024" in err and "maximum statement execution time exceeded" in err:
    ok("pushed-down aggregate with max_execution_time = 30: " + err[:120])
else:
    not_ok("pushed-down aggregate should time out", err or out[:200])
rc, out, err = my("SELECT count(*), sum(v) FROM big")
want = "%d\t%d" % (N, sum(row(i)[2] for i in range(N)))
if rc == 0 and out.strip() == want:
    ok("the same frontend answers a pushed-down count/sum exactly afterwards")
else:
    not_ok("after the limit errors", err or out)

# ---- a datanode killed mid-stream ----------------------------------------------------------
# one region, 30000 rows of ~1 KB: 30 MB, far more than the socket buffers hold, so the
# datanode is still writing when it dies
must("CREATE TABLE wide (ts TIMESTAMP TIME INDEX, k STRING PRIMARY KEY, s STRING)", "create wide")
pad = "x" * 1000
for lo in range(0, 30000, 1000):
    must("INSERT INTO wide (ts, k, s) VALUES " +
         ", ".join("(%d, 'k%d', '%s%d')" % (1700000000000 + i, i % 7, pad, i)
                   for i in range(lo, lo + 1000)), "insert wide")
rc, out, err = my("SELECT peer_id FROM information_schema.region_peers WHERE table_name = 'wide' "
                  "AND is_leader = 'Yes'")
victim = out.strip()
slow = ("SET strata_agg_pushdown = 0; SELECT count(*) FROM wide "
        "WHERE length(repeat(s, 200)) > 0")
p = subprocess.Popen(["timeout", "120", "mysql", "--protocol=TCP", "-h", "127.0.0.1", "-P", PORT,
                      "-u", "root", "-N", "-B", "-e", slow],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
time.sleep(1.0)
still = p.poll() is None
print("KILL " + victim, flush=True)
for _ in range(100):
    if os.path.exists(os.path.join(WORK, "killed")):
        break
    time.sleep(0.05)
out, err = p.communicate()
err = ([l for l in err.splitlines() if l.startswith("ERROR")] or [err.strip()])[-1]
if (still and p.returncode != 0 and "peer 127.0.0.1" in err and
        ("closed by the peer" in err or "connection lost" in err or "reset" in err)):
    ok("datanode %s killed while its region was streaming: a clear error, no answer: %s" %
       (victim, err[:220]))
else:
    not_ok("kill mid-stream (running at kill: %s, rc %s)" % (still, p.returncode), err or out)
rc, out, err = my("SELECT 1")
if rc == 0 and out.strip() == "1":
    ok("the frontend keeps serving after the mid-stream failure")
else:
    not_ok("frontend after the kill", err)
# follower_preferred over the regions the victim does not lead: a follower on the dead
# node fails before sending anything and the read falls back to the leader - whole
# answers, no duplicates (the victim's own region has no reachable leader: an error)
rc, out, err = my("SELECT region_id FROM information_schema.region_peers WHERE table_name = 'big' "
                  "AND is_leader = 'Yes' AND peer_id = %s" % victim)
vreg = int(out.split()[0]) & 0xffffffff if rc == 0 and out.strip() else 3
# region r holds hosts h{r}0..h{r}9
cond = {0: "host >= 'h10'", 1: "(host < 'h10' OR host >= 'h20')", 2: "host < 'h20'",
        3: "host >= 'h00'"}[vreg]
keep = [i for i in range(N) if (i % 30) // 10 != vreg]
want = "%d\t%d" % (len(keep), sum(row(i)[2] for i in keep))
good = 0
for _ in range(5):
    rc, out, err = my("SET READ_PREFERENCE='follower_preferred'; SET strata_agg_pushdown = 0; "
                      "SELECT count(*), sum(v) FROM big WHERE " + cond)
    if rc == 0 and out.strip() == want:
        good += 1
if good == 5:
    ok("follower_preferred after the kill: exact count/sum (5 of 5), no duplicated rows")
else:
    not_ok("follower_preferred after the kill: %d of 5 exact" % good, err or out)
EOF

live=(fe)
for i in 0 1 2; do [ -n "${pid[dn$i]}" ] && live+=("dn$i"); done
live+=(meta)
stop_cluster_checked "${live[@]}"
echo "1..$n"
